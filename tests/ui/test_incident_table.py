"""The incident table: model contract, SQL sort/filter/search against a Python oracle, live updates
without a reset, and the filter bar's debounced, latest-wins search."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest

from commandroom.timeutil import utcnow


@pytest.fixture(autouse=True)
def _pyside_refcount_guard(qapp):
    """PySide6 6.12 on CPython 3.11 loses references to None/True (see ui/incidents/refcounts.py)."""
    from ui.incidents import refcounts

    refcounts.install()


N_ROWS = 600


def _seed_incidents(store, n: int = N_ROWS, *, seed: int = 11) -> None:
    """``n`` synthetic incidents spread over 120 days (the benchmark's generator); the migrations made the indexes."""
    from commandroom.queries.incidents import forget_stats
    from tests.perf.bench_incident_table import (
        incident_rows,
        insert_incidents,
        insert_reference,
        load_reference,
    )

    ref = load_reference()
    with store.write() as session:
        conn = session.connection().connection.driver_connection
        insert_reference(conn, ref)
        insert_incidents(conn, incident_rows(n, ref, now=utcnow(), seed=seed, days=120))
    forget_stats()


def _all_rows(store) -> list[dict]:
    with store.read() as session:
        conn = session.connection().connection.driver_connection
        cur = conn.execute("SELECT rowid AS k, * FROM incident")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _keys(store, query, now=None):
    from commandroom.queries.incidents import find_incident_keys, raw_reader

    with raw_reader(store) as conn:
        return [int(k) for k in find_incident_keys(conn, query, now or utcnow())]


@pytest.fixture
def seeded(store):
    _seed_incidents(store)
    return store


def test_model_passes_qtmodeltester(seeded, qtmodeltester):
    from commandroom.queries.incidents import IncidentQuery
    from ui.incidents.table_model import IncidentTableModel

    model = IncidentTableModel(seeded, IncidentQuery())
    model.load_now()
    assert model.rowCount() == N_ROWS
    qtmodeltester.check(model)
    # every role of every column formats without touching anything but the cache
    for row in (0, N_ROWS // 2, N_ROWS - 1):
        for col in range(model.columnCount()):
            model.data(model.index(row, col))


def test_empty_model_passes_qtmodeltester(store, qtmodeltester):
    from commandroom.queries.incidents import IncidentQuery
    from ui.incidents.table_model import IncidentTableModel

    model = IncidentTableModel(store, IncidentQuery())
    model.load_now()
    assert model.rowCount() == 0
    qtmodeltester.check(model)


@pytest.mark.parametrize("sort_key,column", [
    ("created", "created_at"), ("number", "number"), ("state", "state"), ("urgency", "urgency"),
    ("township", "township_code"), ("escalation", "escalation_level"), ("lead", "lead_department_code"),
])
@pytest.mark.parametrize("descending", [True, False])
def test_sort_orders_match_python(seeded, sort_key, column, descending):
    from commandroom.queries.incidents import IncidentQuery

    rows = _all_rows(seeded)

    def sort_value(r):
        v = r[column]
        return (v is not None, v or "")  # SQLite sorts NULL first

    expected = [r["k"] for r in sorted(rows, key=lambda r: (sort_value(r), r["k"]), reverse=descending)]
    assert _keys(seeded, IncidentQuery(sort_key=sort_key, descending=descending)) == expected
    # the same order inside a township scope (the UNION ALL arms path)
    scope = ("330822111", "330822001")
    expected_scoped = [k for k in expected if next(r for r in rows if r["k"] == k)["township_code"] in scope]
    got = _keys(seeded, IncidentQuery(scope_townships=scope, sort_key=sort_key, descending=descending))
    assert got == expected_scoped


def _oracle(rows, *, townships=None, states=None, urgencies=None, zone_members=None, overdue_now=None,
            created_from=None, search=None):
    out = []
    for r in rows:
        if r["deleted"]:
            continue
        if townships is not None and r["township_code"] not in townships:
            continue
        if zone_members is not None and r["township_code"] not in zone_members:
            continue
        if states and r["state"] not in states:
            continue
        if urgencies and r["urgency"] not in urgencies:
            continue
        if created_from and r["created_at"] < created_from:
            continue
        if overdue_now is not None:
            # the Python form of the overdue rule (times compared as the stored text)
            from commandroom.domain.clocks import is_overdue

            if not is_overdue(r["state"], r["acknowledged_at"], r["onsite_at"], r["ack_due"], r["onsite_due"],
                              r["close_due"], overdue_now):
                continue
        if search and not all(any(s in (r[f] or "") for f in ("title", "address", "number"))
                              for s in search.split()):
            continue
        out.append(r)
    return sorted(out, key=lambda r: (r["created_at"], r["k"]), reverse=True)


def test_filters_match_python(seeded):
    from commandroom.queries.incidents import OPEN_STATES, IncidentQuery, db_time

    rows = _all_rows(seeded)
    now = utcnow()
    qc, tm = "330822111", "330822001"
    cases = [
        (IncidentQuery(states=("pending_dispatch",), townships=(qc,)), dict(states={"pending_dispatch"},
                                                                             townships={qc})),
        (IncidentQuery(states=OPEN_STATES), dict(states=set(OPEN_STATES))),
        (IncidentQuery(scope_townships=(qc,), townships=(tm,)), dict(townships=set())),  # outside the scope
        (IncidentQuery(scope_townships=(qc, tm), urgencies=("L1",)), dict(townships={qc, tm}, urgencies={"L1"})),
        (IncidentQuery(zone_id="QC"), dict(zone_members={"330822111", "330822104", "330822211"})),
        (IncidentQuery(overdue_only=True), dict(overdue_now=db_time(now))),
        (IncidentQuery(scope_townships=(qc,), overdue_only=True), dict(townships={qc}, overdue_now=db_time(now))),
        (IncidentQuery(created_from=now - timedelta(days=10)),
         dict(created_from=db_time(now - timedelta(days=10)))),
        (IncidentQuery(urgencies=("L3",), states=("closed",)), dict(urgencies={"L3"}, states={"closed"})),
    ]
    for query, oracle in cases:
        expected = [r["k"] for r in _oracle(rows, **oracle)]
        assert _keys(seeded, query, now) == expected, query


@pytest.mark.parametrize("text", ["违停", "扬尘", "尘", "停", "东街 违停", "QC"])
def test_search_two_and_one_character_chinese(seeded, text):
    from commandroom.queries.incidents import IncidentQuery

    rows = _all_rows(seeded)
    expected = [r["k"] for r in _oracle(rows, search=text)]
    got = _keys(seeded, IncidentQuery(search=text))
    if text == "QC":  # ASCII words match as prefixes of tokens (numbers like QC-2026-000123)
        assert set(got) >= set(expected) and got
    else:
        assert got == expected and got, text
    # and combined with a township scope (FTS as a filter on the township index)
    scoped = [k for k in expected if next(r for r in rows if r["k"] == k)["township_code"] == "330822111"]
    if text != "QC":
        assert _keys(seeded, IncidentQuery(search=text, scope_townships=("330822111",))) == scoped


def test_search_without_fts_falls_back_to_like(seeded):
    from commandroom.queries.incidents import IncidentQuery

    with seeded.write() as session:
        conn = session.connection().connection.driver_connection
        for trig in ("incident_fts_ai", "incident_fts_ad", "incident_fts_au"):
            conn.execute(f"DROP TRIGGER IF EXISTS {trig}")
        conn.execute("DROP TABLE incident_fts")
    rows = _all_rows(seeded)
    for text in ("违停", "扬尘", "尘"):
        assert _keys(seeded, IncidentQuery(search=text)) == [r["k"] for r in _oracle(rows, search=text)]


def test_deleted_rows_are_hidden(seeded):
    from commandroom.queries.incidents import IncidentQuery

    rows = _all_rows(seeded)
    victim = rows[5]["k"]
    with seeded.write() as session:
        session.connection().connection.driver_connection.execute(
            "UPDATE incident SET deleted = 1 WHERE rowid = ?", (victim,))
    keys = _keys(seeded, IncidentQuery())
    assert victim not in keys and len(keys) == N_ROWS - 1
    assert victim not in _keys(seeded, IncidentQuery(scope_townships=(rows[5]["township_code"],)))


def test_the_deleted_rows_are_read_through_their_partial_index_not_a_table_scan(seeded):
    """Every key query reads the deleted rows' keys; a scan of the table there cost ~0.4 s at 1M rows (issue 21)."""
    from commandroom.queries.incidents import DELETED_KEYS_SQL, raw_reader

    with raw_reader(seeded) as conn:
        steps = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + DELETED_KEYS_SQL)]
    assert steps == ["SCAN incident USING COVERING INDEX ix_incident_deleted_rows"], steps


def _incident_id(store, key: int) -> str:
    with store.read() as session:
        return session.connection().connection.driver_connection.execute(
            "SELECT id FROM incident WHERE rowid = ?", (key,)).fetchone()[0]


@pytest.mark.asyncio
async def test_live_update_of_one_incident_without_reset(seeded, actor, qtbot, ui):
    from commandroom.queries.incidents import IncidentQuery
    from ui.async_runner import run_db
    from ui.incidents.table_model import COL_STATE, IncidentTableModel

    model = IncidentTableModel(seeded, IncidentQuery(scope_townships=(ui.QIUCHUAN,)))
    model.refresh()
    await model.wait_idle()
    assert model.rowCount() > 0
    resets, changed, inserted = [], [], []
    model.modelReset.connect(lambda: resets.append(1))
    model.dataChanged.connect(lambda a, b, _r=(): changed.append((a.row(), b.row())))
    model.rowsInserted.connect(lambda _p, a, b: inserted.append((a, b)))

    # a pending incident on screen (row cached): dispatch it through the real mutation
    target_row = next(r for r in range(model.rowCount()) if model.row_at(r).state == "pending_dispatch")
    incident_id = model.row_at(target_row).id
    await run_db(seeded.perform, actor, "incident.dispatch", incident_id,
                 {"target_kind": "department", "target_code": "enforcement", "dispatch_id": "d-" + incident_id[:20]})
    await ui.wait_until(lambda: model.row_at(target_row).state == "dispatched", what="row repainted")
    assert not resets, "a single-row change must not reset the model"
    assert any(a <= target_row <= b for a, b in changed)
    assert model.data(model.index(target_row, COL_STATE)) != ""
    assert not inserted

    # a new incident in scope appears at the top (newest first), again without a reset
    rid = ui.make_report(seeded, actor, text="东街路口机动车违停")
    new_id = ui.accept_report(seeded, actor, rid, title="东街路口违停")
    await ui.wait_until(lambda: inserted, what="row inserted")
    assert inserted[-1] == (0, 0)
    assert model.row_at(0).id == new_id
    assert not resets

    # an incident of another township is not inserted into this scope
    count = model.rowCount()
    rid2 = ui.make_report(seeded, actor, township=ui.TIANMA, text="天马扬尘")
    ui.accept_report(seeded, actor, rid2)
    await asyncio.sleep(0.1)
    assert model.rowCount() == count and not resets


@pytest.mark.asyncio
async def test_filter_change_requery_latest_wins(seeded):
    from commandroom.queries.incidents import IncidentQuery
    from ui.incidents.table_model import IncidentTableModel

    model = IncidentTableModel(seeded, IncidentQuery())
    loads = []
    model.keys_did_complete.connect(lambda n, _s: loads.append(n))
    # three requests in a row: only the last one's result is applied
    model.set_query(IncidentQuery(search="违停"))
    model.set_query(IncidentQuery(search="扬尘"))
    model.set_query(IncidentQuery(search="尘"))
    await model.wait_idle()
    await asyncio.sleep(0.05)
    assert loads == [len(_keys(seeded, IncidentQuery(search="尘")))]


@pytest.mark.asyncio
async def test_view_filter_bar_search_and_sort(seeded, actor, qtbot, ui):
    from commandroom.queries.incidents import IncidentQuery
    from ui.incidents.table_model import COL_NUMBER
    from ui.incidents.view import IncidentsView

    view = IncidentsView(seeded, ui.make_actor(seeded, scope_kind="county", role="county_coordinator"))
    qtbot.addWidget(view)
    view.resize(1600, 900)
    view.show()
    await ui.wait_until(lambda: view.model.rowCount() == N_ROWS, what="first load")
    await view.wait_idle()
    # typing is debounced and the last text wins
    for text in ("扬", "扬尘"):
        view.filter_bar.search_edit.setText(text)
        await asyncio.sleep(0.02)
    expected = _keys(seeded, IncidentQuery(search="扬尘"))
    await ui.wait_until(lambda: view.model.rowCount() == len(expected), what="search applied")
    assert [view.model.key_at(r) for r in range(view.model.rowCount())] == expected
    assert view.detail.detail is not None or view.model.rowCount() == 0
    # state + township through the combos
    view.filter_bar.search_edit.clear()
    view.filter_bar.township_combo.setCurrentIndex(view.filter_bar.township_combo.findData(ui.QIUCHUAN))
    view.filter_bar.state_combo.setCurrentIndex(view.filter_bar.state_combo.findData("closed"))
    expected = _keys(seeded, IncidentQuery(townships=(ui.QIUCHUAN,), states=("closed",)))
    await ui.wait_until(lambda: [view.model.key_at(r) for r in range(view.model.rowCount())] == expected,
                        what="state + township")
    # a header click sorts in SQL (number ascending)
    view.table.horizontalHeader().setSortIndicator(COL_NUMBER, view.table.horizontalHeader().sortIndicatorOrder()
                                                   .__class__.AscendingOrder)
    expected = _keys(seeded, IncidentQuery(townships=(ui.QIUCHUAN,), states=("closed",), sort_key="number",
                                           descending=False))
    await ui.wait_until(lambda: [view.model.key_at(r) for r in range(view.model.rowCount())] == expected,
                        what="sorted by number")
    await view.wait_idle()


@pytest.mark.asyncio
async def test_first_page_then_the_rest_as_inserted_rows(seeded):
    """A re-query shows its first page at once, then appends the other keys (one reset, one insert)."""
    from commandroom.queries.incidents import IncidentQuery
    from ui.incidents.table_model import FIRST_PAGE, IncidentTableModel

    model = IncidentTableModel(seeded, IncidentQuery())
    events = []
    model.modelReset.connect(lambda: events.append(("reset", model.rowCount())))
    model.rowsInserted.connect(lambda _p, a, b: events.append(("insert", a, b)))
    model.keys_did_load.connect(lambda n, _s: events.append(("first page", n)))
    model.refresh()
    await model.wait_idle()
    assert events == [("reset", FIRST_PAGE), ("first page", FIRST_PAGE), ("insert", FIRST_PAGE, N_ROWS - 1)]
    assert [model.key_at(r) for r in range(N_ROWS)] == _keys(seeded, IncidentQuery())


def test_township_officer_sees_only_own_township(seeded, ui):
    from commandroom.queries.incidents import filter_choices
    from commandroom.queries.scope import scope_of

    officer = ui.make_actor(seeded)
    scope = scope_of(officer, seeded)
    assert scope == (ui.QIUCHUAN,)
    choices = filter_choices(seeded, scope)
    assert [c.code for c in choices.townships] == [ui.QIUCHUAN]
    county = ui.make_actor(seeded, scope_kind="county", role="county_coordinator")
    assert scope_of(county, seeded) is None
    zone = ui.make_actor(seeded, scope_kind="zone")
    zone = type(zone)(**{**zone.__dict__, "scope_code": "QC"})
    assert set(scope_of(zone, seeded)) == {"330822111", "330822104", "330822211"}


def test_planner_picks_index_ranges(seeded):
    """The arms of a township/state filter read index ranges in order (no full scan, no sort)."""
    from commandroom.queries.incidents import IncidentQuery, plan, raw_reader

    with raw_reader(seeded) as conn:
        p = plan(conn, IncidentQuery(scope_townships=("330822111", "330822001"), states=("pending_dispatch",)),
                 utcnow())
        steps = " | ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + p.sql, p.params))
    assert "ix_incident_township_state_created" in steps
    assert "TEMP B-TREE" not in steps
    random.seed(0)


@pytest.mark.asyncio
async def test_showing_an_incident_hidden_by_the_search_clears_the_filters_and_says_so(seeded, actor, qtbot, ui):
    """What a map marker click does: the incident's detail at once, the list widened to include it, a notice."""
    from ui.incidents.table_model import IdRole
    from ui.incidents.view import IncidentsView

    view = IncidentsView(seeded, ui.make_actor(seeded, scope_kind="county", role="county_coordinator"))
    qtbot.addWidget(view)
    view.resize(1600, 900)
    view.show()
    notices = []
    view.banner_requested.connect(notices.append)
    await ui.wait_until(lambda: view.model.rowCount() == N_ROWS, what="first load")
    await view.wait_idle()
    view.filter_bar.search_edit.setText("扬尘")
    await ui.wait_until(lambda: 0 < view.model.rowCount() < N_ROWS, what="search applied")
    await view.wait_idle()
    shown = {view.model.data(view.model.index(r, 0), IdRole) for r in range(view.model.rowCount())}
    with seeded.read() as session:
        conn = session.connection().connection.driver_connection
        hidden = next(row[0] for row in conn.execute("SELECT id FROM incident WHERE deleted = 0 ORDER BY id")
                      if row[0] not in shown)
    view.show_incident(hidden)
    assert view.detail.incident_id == hidden  # never the previously selected incident
    await ui.wait_until(lambda: view.model.rowCount() == N_ROWS, what="filters cleared")
    await ui.wait_until(lambda: view.table.currentIndex().isValid()
                        and view.model.data(view.table.currentIndex(), IdRole) == hidden, what="selected")
    assert view.filter_bar.search_edit.text() == ""
    assert notices and "cleared" in notices[-1].text
    await view.wait_idle()


@pytest.mark.asyncio
async def test_changes_streaming_in_are_applied_at_a_bounded_rate(seeded, actor, ui, monkeypatch):
    """The first change shows at once; changes that follow within the interval wait and go in as one update
    (a sync of many pages repaints the table a few times a second, not once per page)."""
    from commandroom.queries.incidents import IncidentQuery
    from ui.incidents import table_model
    from ui.incidents.table_model import IncidentTableModel

    monkeypatch.setattr(table_model, "APPLY_INTERVAL", 60.0)
    model = IncidentTableModel(seeded, IncidentQuery(scope_townships=(ui.QIUCHUAN,)))
    model.refresh()
    await model.wait_idle()
    count = model.rowCount()
    inserted, resets = [], []
    model.rowsInserted.connect(lambda _p, a, b: inserted.append((a, b)))
    model.modelReset.connect(lambda: resets.append(1))

    first = ui.accept_report(seeded, actor, ui.make_report(seeded, actor, text="东街路口机动车违停"))
    await ui.wait_until(lambda: inserted, what="the first change shown at once")
    assert inserted == [(0, 0)] and model.row_at(0).id == first

    later = [ui.accept_report(seeded, actor, ui.make_report(seeded, actor, text=f"西街{i}号门前占道经营"))
             for i in range(4)]
    await asyncio.sleep(0.3)
    assert inserted == [(0, 0)], "changes within the interval wait for the next update"
    await model.wait_changes()  # (the interval is long here: apply now)
    assert inserted == [(0, 0), (0, 3)], "the four changes go in as one update"
    assert {model.row_at(r).id for r in range(4)} == set(later)
    assert model.rowCount() == count + 5 and not resets


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_cells_painted_from_laid_out_text_look_like_qts_own(seeded, qtbot, theme):
    """The table's delegate draws each cell's text where, and in the colour, Qt's default delegate would."""
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QApplication, QTableView

    from commandroom.queries.incidents import IncidentQuery
    from ui.incidents.table_model import COL_TITLE, IncidentTableModel
    from ui.incidents.table_view import ROW_HEIGHT, IncidentTable
    from ui.theme import apply_theme, current_theme

    before = current_theme()
    apply_theme(QApplication.instance(), theme)
    try:
        model = IncidentTableModel(seeded, IncidentQuery())
        model.load_now()
        ours, qts = IncidentTable(), QTableView()
        qts.setAlternatingRowColors(True)
        qts.setWordWrap(False)
        qts.verticalHeader().hide()
        qts.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        for view in (ours, qts):
            qtbot.addWidget(view)
            view.setModel(model)
            view.resize(900, 500)
            view.setColumnWidth(COL_TITLE, 120)  # titles too long for it: elided
        images = [view.grab().toImage() for view in (ours, qts)]
        assert ours.cell_delegate is not None and ours.itemDelegate() is ours.cell_delegate
        offset = ours.viewport().pos()

        def ink(image, rect, background):
            """Pixels of a cell that are not its background: count, bounding box, mean colour."""
            xs, ys, rgb = [], [], [0, 0, 0]
            for y in range(rect.top() + 1, rect.bottom()):
                for x in range(rect.left() + 1, rect.right()):
                    c = image.pixelColor(x, y)
                    if abs(c.red() - background.red()) + abs(c.green() - background.green()) \
                            + abs(c.blue() - background.blue()) > 120:
                        xs.append(x)
                        ys.append(y)
                        rgb = [rgb[0] + c.red(), rgb[1] + c.green(), rgb[2] + c.blue()]
            if not xs:
                return 0, None, None
            return len(xs), (min(xs), min(ys), max(xs), max(ys)), [v / len(xs) for v in rgb]

        compared = 0
        for row in range(12):
            for column in range(model.columnCount()):
                rect = ours.visualRect(model.index(row, column)).translated(offset)
                background = images[1].pixelColor(rect.center().x(), rect.top() + 1)
                got, want = (ink(image, rect, background) for image in images)
                assert (got[0] > 0) == (want[0] > 0), (row, column, model.data(model.index(row, column)))
                if not want[0]:
                    continue
                compared += 1
                assert abs(got[0] - want[0]) <= max(12, want[0] // 5), (row, column, got[0], want[0])
                assert all(abs(a - b) <= 2 for a, b in zip(got[1], want[1], strict=True)), (row, column)
                assert all(abs(a - b) <= 40 for a, b in zip(got[2], want[2], strict=True)), (row, column)
                assert background == images[0].pixelColor(rect.center().x(), rect.top() + 1)
        assert compared > 60
        assert QColor(images[0].pixelColor(2, 2)) == QColor(images[1].pixelColor(2, 2))
    finally:
        apply_theme(QApplication.instance(), before)


def _cell_roles(model, row: int, column: int) -> tuple:
    from PySide6.QtCore import Qt

    from ui.incidents.table_model import ClockStateRole

    index = model.index(row, column)
    roles = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole,
             Qt.ItemDataRole.FontRole, Qt.ItemDataRole.TextAlignmentRole, ClockStateRole)
    values = []
    for role in roles:
        value = model.data(index, role)
        if hasattr(value, "color"):  # a brush: its colour
            value = value.color().name()
        elif hasattr(value, "bold"):  # a font: bold or not
            value = ("font", value.bold())
        values.append(value)
    return tuple(values)


def _table_at(seeded, qtbot, now):
    """The incident table over every incident, its countdowns at ``now``, in a 1200×700 view (not yet shown)."""
    from commandroom.queries.incidents import IncidentQuery
    from ui.incidents.table_model import IncidentTableModel
    from ui.incidents.table_view import IncidentTable

    model = IncidentTableModel(seeded, IncidentQuery())
    model.set_now(now)
    model.load_now()
    view = IncidentTable()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(1200, 700)
    return model, view


def test_countdown_tick_repaints_the_countdown_column_and_every_cell_reads_as_a_fresh_table(seeded, qtbot):
    """When the countdowns move on, only their column is repainted, and every cell (text, colours, bold) is
    what a table opened at the new time shows: no stale countdown, and the other columns unchanged."""
    from commandroom.queries.incidents import IncidentQuery
    from ui.incidents.table_model import COL_CLOCK, IncidentTableModel

    start = utcnow().replace(microsecond=0)
    later = start + timedelta(hours=5, minutes=7)
    model, view = _table_at(seeded, qtbot, start)
    view.grab()  # painted once at the first time: the cells are built
    shown = range(40)
    before = [[_cell_roles(model, r, c) for c in range(model.columnCount())] for r in shown]
    changed = []
    model.dataChanged.connect(lambda a, b, _r=(): changed.append((a.column(), b.column())))
    model.set_now(later)
    assert changed == [(COL_CLOCK, COL_CLOCK)], "the tick repaints the countdown column only"
    view.grab()
    fresh = IncidentTableModel(seeded, IncidentQuery())
    fresh.set_now(later)
    fresh.load_now()
    assert [model.key_at(r) for r in shown] == [fresh.key_at(r) for r in shown]
    after = [[_cell_roles(model, r, c) for c in range(model.columnCount())] for r in shown]
    assert after == [[_cell_roles(fresh, r, c) for c in range(fresh.columnCount())] for r in shown]
    assert any(a[COL_CLOCK] != b[COL_CLOCK] for a, b in zip(after, before, strict=True)), "the countdowns moved"
    def other_columns(rows):  # the painted roles of the nine other columns (not the row's clock state)
        return [[roles[:5] for c, roles in enumerate(row) if c != COL_CLOCK] for row in rows]

    assert other_columns(after) == other_columns(before)


def test_cached_cells_are_not_walked_by_the_garbage_collector(seeded):
    """The cells the table paints from hold only text, numbers and colour names: once collected, the garbage
    collector drops them from its lists (over two collections: cells, then rows), so the collections on
    the GUI thread do not walk the 6,000 cached rows' cells each time."""
    import gc

    from commandroom.queries.incidents import IncidentQuery
    from ui.incidents.table_model import IncidentTableModel

    model = IncidentTableModel(seeded, IncidentQuery())
    model.load_now()
    rows = [model.cells_at(r) for r in range(200)]
    assert any(cell[1] or cell[2] or cell[3] for cells in rows for cell in cells), "coloured or bold cells among them"
    gc.collect()  # drops the cells of each row from the collector's lists ...
    gc.collect()  # ... and then the row's tuple that holds them
    assert not [r for r, cells in enumerate(rows) if gc.is_tracked(cells)]


def test_two_changed_rows_far_apart_repaint_those_rows_not_the_rows_between(seeded):
    """A change to two incidents on screen repaints their two rows; the rows between them are not redrawn
    (one range from the first to the last would repaint the whole screen on every sync page)."""
    from commandroom.mutations.core import Changes
    from commandroom.queries.incidents import IncidentQuery
    from ui.incidents.table_model import COL_TITLE, IncidentTableModel

    model = IncidentTableModel(seeded, IncidentQuery())
    model.load_now()
    first, last = 2, 30
    ids = [model.row_at(r).id for r in (first, last)]
    changed = []
    model.dataChanged.connect(lambda a, b, _r=(): changed.append((a.row(), b.row(), a.column(), b.column())))
    with seeded.write() as session:  # as a sync page would write them
        conn = session.connection().connection.driver_connection
        conn.executemany("UPDATE incident SET title = title || '（续报）' WHERE id = ?", [(i,) for i in ids])
    seeded.emit(Changes({"incident": set(ids)}))
    assert all(model.data(model.index(r, COL_TITLE)).endswith("（续报）") for r in (first, last))
    repainted = {r for a, b, _c0, _c1 in changed for r in range(a, b + 1)}
    assert {first, last} <= repainted
    assert not repainted & set(range(first + 1, last)), changed
    assert all((c0, c1) == (0, model.columnCount() - 1) for _a, _b, c0, c1 in changed), "whole rows"


def test_the_table_repaints_only_the_countdown_column_when_the_countdowns_move_on(seeded, qtbot):
    """The tick every 30 s redraws the countdown column's cells on screen, not the other ~270 cells."""
    from PySide6.QtCore import QEvent, QObject

    from ui.incidents.table_model import COL_CLOCK

    start = utcnow().replace(microsecond=0)
    model, view = _table_at(seeded, qtbot, start)
    view.show()
    qtbot.waitExposed(view)
    qtbot.wait(50)
    painted = []

    class PaintSpy(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint:
                painted.append(event.region().boundingRect())
            return False

    spy = PaintSpy()
    view.viewport().installEventFilter(spy)
    model.set_now(start + timedelta(minutes=30))
    rows_on_screen = view.viewport().height() // view.rowHeight(0)
    # the column is repainted in bands, a few rows per turn of the event loop: wait for the whole of it (not a
    # fixed 100 ms, which a loaded machine's turns can outlast)
    qtbot.waitUntil(lambda: sum(r.height() for r in painted) >= rows_on_screen * view.rowHeight(0) - 1,
                    timeout=20_000)
    view.viewport().removeEventFilter(spy)
    left, width = view.columnViewportPosition(COL_CLOCK), view.columnWidth(COL_CLOCK)
    assert all(left - 1 <= r.left() and r.right() <= left + width for r in painted), (painted, left, width)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_tables_own_painting_shows_exactly_what_qts_painting_shows(seeded, qtbot, theme):
    """The table paints its cells itself, row by row (one call per row, not four calls into Python per cell):
    the officer sees, pixel for pixel, what QTableView's own painting through the delegate shows — the whole
    view with elided titles, a selected row, and the parts a sync page and the countdown tick repaint (two
    rows far apart and the countdown column, as one region)."""
    from PySide6.QtCore import QPoint, QRect
    from PySide6.QtGui import QColor, QImage, QRegion
    from PySide6.QtWidgets import QApplication

    from commandroom.queries.incidents import IncidentQuery
    from ui.incidents import table_view
    from ui.incidents.table_model import COL_CLOCK, COL_TITLE, IncidentTableModel
    from ui.theme import apply_theme, current_theme

    before = current_theme()
    apply_theme(QApplication.instance(), theme)
    try:
        model = IncidentTableModel(seeded, IncidentQuery())
        model.load_now()
        ours, qts = table_view.IncidentTable(), table_view.IncidentTable()
        qts.own_painting = False
        for view in (ours, qts):
            qtbot.addWidget(view)
            view.setModel(model)
            view.resize(900, 500)
            view.setColumnWidth(COL_TITLE, 120)  # titles too long for it: elided
            view.show()
        qtbot.waitExposed(ours)
        qtbot.waitExposed(qts)

        def differing(a: QImage, b: QImage) -> int:
            if a == b:
                return 0
            return sum(a.pixel(x, y) != b.pixel(x, y) for y in range(a.height()) for x in range(a.width())) or -1

        def parts(view) -> QImage:
            rows = (2, 12)
            region = QRegion()
            for row in rows:
                region = region.united(QRect(0, view.rowViewportPosition(row), 900, view.rowHeight(row)))
            region = region.united(QRect(view.columnViewportPosition(COL_CLOCK), 0, view.columnWidth(COL_CLOCK),
                                         view.viewport().height()))
            image = QImage(view.viewport().size(), QImage.Format.Format_ARGB32_Premultiplied)
            image.fill(QColor("#ff00ff"))  # what is not repainted stays magenta
            view.viewport().render(image, QPoint(), region)
            return image

        delegated = []
        paint = table_view.CellDelegate.paint

        def counted(self, painter, option, index):
            delegated.append(self.parent())
            paint(self, painter, option, index)

        table_view.CellDelegate.paint = counted
        try:
            whole = [view.grab().toImage() for view in (ours, qts)]
            assert differing(*whole) == 0
            assert delegated.count(ours) == 0 and delegated.count(qts) > 100, "ours paints its cells itself"
            repainted = [parts(view) for view in (ours, qts)]
            assert differing(*repainted) == 0
            assert repainted[0].pixelColor(450, 5 * ours.rowHeight(0) + 5) == QColor("#ff00ff"), "only the region"
            for view in (ours, qts):
                view.selectRow(5)
            selected = [view.grab().toImage() for view in (ours, qts)]
            assert differing(*selected) == 0
            assert selected[0] != whole[0], "the selected row shows"
        finally:
            table_view.CellDelegate.paint = paint
    finally:
        apply_theme(QApplication.instance(), before)


def test_a_changed_row_is_repainted_where_it_is_after_new_rows_went_in_above_it(seeded):
    """New incidents put in at the top move every row down; an incident on the list that changes after that is
    repainted at its new place, showing the change (its remembered place is out of date by then)."""
    from commandroom.mutations.core import Changes
    from commandroom.queries.incidents import IncidentQuery
    from tests.perf.bench_incident_table import (
        INCIDENT_COLUMNS,
        incident_rows,
        insert_incidents,
        load_reference,
    )
    from ui.incidents.table_model import COL_TITLE, IncidentTableModel

    model = IncidentTableModel(seeded, IncidentQuery())
    model.load_now()
    watched = {r: model.row_at(r).id for r in (100, 300)}  # (looked at: their places remembered)
    number = INCIDENT_COLUMNS.index("number")
    ref = load_reference()
    inserted = []
    model.rowsInserted.connect(lambda _p, a, b: inserted.append((a, b)))
    for batch in range(3):  # three syncs' worth of new incidents, newer than any on the list
        rows = [(*values[:number], f"N{batch}-{i}", *values[number + 1:]) for i, values in enumerate(
            incident_rows(3, ref, now=utcnow() + timedelta(days=1), seed=40 + batch, days=1))]
        with seeded.write() as session:
            conn = session.connection().connection.driver_connection
            insert_incidents(conn, rows)
            ids = {r[0] for r in conn.execute("SELECT id FROM incident ORDER BY rowid DESC LIMIT 3")}
        seeded.emit(Changes({"incident": ids}))
    assert inserted == [(0, 2)] * 3
    changed = []
    model.dataChanged.connect(lambda a, b, _r=(): changed.append((a.row(), b.row())))
    with seeded.write() as session:
        conn = session.connection().connection.driver_connection
        conn.executemany("UPDATE incident SET title = title || '（续报）' WHERE id = ?", [(i,) for i in watched.values()])
    seeded.emit(Changes({"incident": set(watched.values())}))
    assert sorted(r for r, _ in changed) == [109, 309]
    for was, incident_id in watched.items():
        assert model.id_at(was + 9) == incident_id
        assert model.data(model.index(was + 9, COL_TITLE)).endswith("（续报）")
