"""IN lists padded to powers of two: the same rows, and few SQL texts for SQLite to prepare and cache.

The wall asks for 1…500 ids over the weeks (its urgent items, its zones' open incidents); each length
was a statement SQLite prepared and kept per connection (issue 21: the wall's memory rose slowly).
"""

from __future__ import annotations

import sqlalchemy as sa

from commandroom.domain.sql import in_values


def test_padding_repeats_the_last_value_up_to_a_power_of_two():
    assert in_values([]) == []
    assert in_values(["a"]) == ["a"]
    assert in_values(["a", "b", "c"]) == ["a", "b", "c", "c"]
    assert len(in_values(range(5))) == 8
    assert len(in_values(range(512))) == 512
    assert in_values(iter(("x", "y"))) == ["x", "y"]


def test_same_rows_and_at_most_a_statement_per_power_of_two():
    engine = sa.create_engine("sqlite://")
    meta = sa.MetaData()
    t = sa.Table("t", meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("v", sa.String))
    meta.create_all(engine)
    texts: set[str] = set()
    sa.event.listen(engine, "before_cursor_execute", lambda _c, _cur, statement, *_a: texts.add(statement))
    with engine.begin() as conn:
        conn.execute(t.insert(), [{"id": i, "v": f"row {i}"} for i in range(300)])
        texts.clear()
        for n in range(1, 201):
            wanted = list(range(0, 2 * n, 2))
            got = sorted(conn.scalars(sa.select(t.c.id).where(t.c.id.in_(in_values(wanted)))))
            assert got == [i for i in wanted if i < 300]
    assert len(texts) == 9  # 1, 2, 4, … 256 ids, where 200 lengths were 200 texts
