"""Chinese search for one- and two-character queries: unigram + bigram tokens, FTS5 and PostgreSQL."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from commandroom.domain.models import Base, Incident
from commandroom.services.search import (
    fts_exists,
    match_expression,
    rebuild_fts,
    search_incident_ids,
    search_tokens,
)
from commandroom.store.db import make_engine, session_factory
from commandroom.store.migrate import upgrade


def test_search_tokens_unigrams_bigrams_and_ascii():
    tokens = search_tokens("城区机动车违停，G60 高速").split()
    assert "违停" in tokens and "违" in tokens and "停" in tokens
    assert "车违" in tokens
    assert "g60" in tokens
    assert "，" not in "".join(tokens)
    assert "停g" not in tokens  # bigrams never cross a non-CJK boundary
    assert len(tokens) == len(set(tokens))


def test_search_tokens_of_several_texts_and_empty():
    assert search_tokens(None, "", "  ") == ""
    assert search_tokens("扬尘", "扬尘") == "扬 尘 扬尘"


def test_match_expression():
    assert match_expression("违停") == '"违停"'
    assert match_expression("尘") == '"尘"'
    assert match_expression("扬尘处置") == '"扬尘" AND "尘处" AND "处置"'
    assert match_expression("G60 违停") == '"g60"* AND "违停"'
    assert match_expression("  ，。") == ""
    assert match_expression('a"b') == '"a"* AND "b"*'


TEXTS = [
    "城区机动车违停",
    "违法建设停工",
    "渣土扬尘污染",
    "工地扬尘未覆盖",
    "占道经营",
    "G60 服务区油烟扰民",
    "河道垃圾漂浮",
    "违停车辆堵塞消防通道",
]


def _fill(factory, n: int = 400) -> dict[str, str]:
    rng = random.Random(7)
    ids: dict[str, str] = {}
    base = datetime(2026, 11, 1)
    with factory() as s, s.begin():
        for i in range(n):
            title = TEXTS[i % len(TEXTS)] if i < len(TEXTS) else rng.choice(["乱堆乱放", "路灯损坏", "噪声扰民",
                                                                              "占道经营", "出租房隐患"])
            inc = Incident(
                id=f"inc-{i:04d}",
                township_code="330822111" if i % 2 == 0 else "330822104",
                title=title,
                category_code="x",
                created_at=base + timedelta(minutes=i),
                updated_at=base,
                search_text=search_tokens(title),
            )
            s.add(inc)
            if i < len(TEXTS):
                ids[title] = inc.id
    return ids


def _fill_at_revision(engine, factory, n: int) -> dict[str, str]:
    """:func:`_fill` on a store at an older revision: incident columns added by later revisions are added for the
    ORM's insert and dropped again, so the rows are as an older desk wrote them."""
    import sqlalchemy as sa

    have = {c["name"] for c in sa.inspect(engine).get_columns("incident")}
    later = [c for c in Incident.__table__.columns if c.name not in have]
    with engine.begin() as conn:
        for c in later:
            conn.exec_driver_sql(f"ALTER TABLE incident ADD COLUMN {c.name} {c.type.compile(engine.dialect)}")
    ids = _fill(factory, n)
    with engine.begin() as conn:
        for c in later:
            conn.exec_driver_sql(f"ALTER TABLE incident DROP COLUMN {c.name}")
    return ids


@pytest.fixture
def sqlite_db(tmp_path):
    """A store migrated to the head: the FTS table and its triggers come from migration 0002."""
    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    upgrade(engine)
    factory = session_factory(engine)
    yield engine, factory
    engine.dispose()


def _check_queries(factory, ids) -> None:
    with factory() as s:
        hits = set(search_incident_ids(s, "违停"))
        assert ids["城区机动车违停"] in hits and ids["违停车辆堵塞消防通道"] in hits
        assert ids["违法建设停工"] not in hits
        hits = set(search_incident_ids(s, "尘"))
        assert {ids["渣土扬尘污染"], ids["工地扬尘未覆盖"]} <= hits
        hits = set(search_incident_ids(s, "扬尘"))
        assert {ids["渣土扬尘污染"], ids["工地扬尘未覆盖"]} == hits
        assert search_incident_ids(s, "g60 油烟") == [ids["G60 服务区油烟扰民"]]
        assert search_incident_ids(s, "G6") == [ids["G60 服务区油烟扰民"]]  # ASCII prefix
        assert search_incident_ids(s, "违停", township_code="330822104") == [ids["违停车辆堵塞消防通道"]]
        assert search_incident_ids(s, "，") == []
        many = search_incident_ids(s, "占道", limit=5)
        assert len(many) == 5
        # newest first
        rows = {i.id: i.created_at for i in s.query(Incident).filter(Incident.id.in_(many))}
        assert [rows[i] for i in many] == sorted(rows.values(), reverse=True)


def test_sqlite_fts_finds_one_and_two_character_queries(sqlite_db):
    _engine, factory = sqlite_db
    ids = _fill(factory)
    with factory() as s:
        assert fts_exists(s)
        n = s.execute(text("SELECT count(*) FROM incident_fts WHERE incident_fts MATCH :m"),
                      {"m": match_expression("违停")}).scalar()
        assert n == 2
    _check_queries(factory, ids)


def test_sqlite_fts_indexes_existing_rows_and_follows_updates_and_deletes(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    upgrade(engine, "0001")
    factory = session_factory(engine)
    ids = _fill_at_revision(engine, factory, 50)  # rows first (a store from before the search revision), index afterwards
    with factory() as s:
        assert not fts_exists(s)
    upgrade(engine)
    _check_queries(factory, ids)
    with factory() as s, s.begin():
        inc = s.get(Incident, ids["违法建设停工"])
        inc.title = "违停"
        inc.search_text = search_tokens(inc.title)
        s.delete(s.get(Incident, ids["城区机动车违停"]))
    with factory() as s:
        hits = set(search_incident_ids(s, "违停"))
        assert ids["违法建设停工"] in hits and ids["城区机动车违停"] not in hits
        assert search_incident_ids(s, "违法") == []
    with engine.begin() as conn:
        rebuild_fts(conn)
    with factory() as s:
        assert ids["违法建设停工"] in set(search_incident_ids(s, "违停"))
    engine.dispose()


def test_sqlite_without_fts_falls_back_to_token_like(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    Base.metadata.create_all(engine)  # the models only: no FTS table
    factory = session_factory(engine)
    ids = _fill(factory)
    with factory() as s:
        assert not fts_exists(s)
    _check_queries(factory, ids)
    engine.dispose()


@pytest.mark.postgres
def test_postgres_token_search_with_trigram_index(pg_url):
    engine = make_engine(pg_url)
    try:
        upgrade(engine)  # migration 0002 adds the trigram index when pg_trgm can be created
        with engine.connect() as conn:
            has_trgm = conn.execute(text("SELECT 1 FROM pg_extension WHERE extname='pg_trgm'")).scalar() == 1
        factory = session_factory(engine)
        ids = _fill(factory)
        _check_queries(factory, ids)
        if has_trgm:
            with engine.connect() as conn:
                idx = conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename='incident' "
                                        "AND indexname='ix_incident_search_trgm'")).scalar()
            assert idx == "ix_incident_search_trgm"
    finally:
        engine.dispose()
