"""The wall screen: masking, config, figures on fixed data, rotation, fixed page, urgent takeover,
staleness banner, watchdog, scaling, burn-in shift, leaving full screen and the desktop toggle."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from datetime import date, datetime, timedelta

import pytest

from commandroom.domain.models import Incident, Report, RosterEntry, TeamMember
from commandroom.ids import new_id
from commandroom.mutations.core import Changes
from commandroom.queries import wall as fg
from commandroom.queries.masking import mask_name, mask_person_label, mask_phone, mask_text
from commandroom.sync.status import SyncStatus
from ui.incidents import refcounts
from ui.wall.banner import NO_ENGINE, staleness_text
from ui.wall.config import WallConfig, parse_wall_config

refcounts.install()  # a wall makes many void Qt calls: PySide6 6.12 on CPython 3.11 (ui/incidents/refcounts.py)

QC = "330822111"  # 球川, zone QC
TM = "330822001"  # 天马, zone TM
NOW = datetime(2026, 11, 20, 6, 30)  # naive UTC = 14:30 Friday in Shanghai


def fast_config(**kw) -> WallConfig:
    values = dict(interval_s=0.25, pages=("overview", "zones", "cases", "boards"), sound=False, urgent_s=0.4,
                  refresh_s=5.0, debounce_s=0.05, max_wait_s=0.3, watchdog_s=60.0, shift_minutes=60.0)
    values.update(kw)
    return WallConfig(**values)


async def open_wall(store, qtbot, config=None, **kw):
    from ui.wall.window import WallWindow

    window = WallWindow(store, config or fast_config(), **kw)
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    return window


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time as naive UTC."""
    from commandroom.timeutil import local_to_utc

    return local_to_utc(datetime(day.year, day.month, day.day, hour, minute))


def add_report(session, at: datetime, *, town: str = QC, cat: str = "urban_parking", text: str = "路边违停",
               who: str = "李网格", deleted: bool = False, urgency: str | None = None, state: str = "new") -> str:
    rid = new_id()
    session.add(Report(id=rid, township_code=town, source="grid_patrol", category_code=cat, description=text,
                       reporter_name=who, reported_at=at, deleted=deleted, urgency_hint=urgency, state=state,
                       created_at=at, updated_at=at))
    return rid


def add_incident(session, *, town: str, zone: str, state: str, created: datetime, close_due: datetime | None = None,
                 closed_at: datetime | None = None, ack_due=None, onsite_due=None, urgency: str = "L3",
                 merged_into: str | None = None, cat: str = "urban_parking") -> str:
    iid = new_id()
    session.add(Incident(id=iid, township_code=town, zone_id=zone, title="测试事件", category_code=cat,
                         state=state, urgency=urgency, created_at=created, updated_at=created, close_due=close_due,
                         closed_at=closed_at, ack_due=ack_due, onsite_due=onsite_due, merged_into_id=merged_into,
                         acknowledged_at=created if state not in ("pending_dispatch", "dispatched") else None))
    return iid


@pytest.fixture
def fixed(store):
    """The store with a small, fully known history around NOW."""
    today = date(2026, 11, 20)
    with store.write() as s:
        add_report(s, local(today, 9, 10))
        add_report(s, local(today, 9, 40), text="联系人：张三丰，电话13812345678，车牌浙H·A1234B", who="王建国")
        add_report(s, local(today, 14, 5), cat="sanitation", who="村情通·钱佳怡")
        add_report(s, local(today - timedelta(days=1), 9, 20))
        add_report(s, local(today - timedelta(days=2), 14, 10))
        add_report(s, local(today - timedelta(days=8), 10, 0))  # outside the 7-day baseline
        add_report(s, local(today, 10, 0), town=TM, deleted=True)
        add_incident(s, town=QC, zone="QC", state="in_progress", created=NOW - timedelta(days=3),
                     close_due=NOW - timedelta(hours=1))  # overdue
        add_incident(s, town=TM, zone="TM", state="dispatched", created=NOW - timedelta(hours=1),
                     ack_due=NOW + timedelta(hours=1), onsite_due=NOW + timedelta(hours=2),
                     close_due=NOW + timedelta(days=2))
        add_incident(s, town=QC, zone="QC", state="closed", created=NOW - timedelta(days=5),
                     closed_at=NOW - timedelta(days=2), close_due=NOW - timedelta(days=1))  # on time
        add_incident(s, town=TM, zone="TM", state="closed", created=NOW - timedelta(days=6),
                     closed_at=NOW - timedelta(days=1), close_due=NOW - timedelta(days=3))  # late
        add_incident(s, town=QC, zone="QC", state="closed", created=datetime(2026, 10, 24),
                     closed_at=datetime(2026, 10, 25, 3), close_due=datetime(2026, 10, 26))  # last month
        add_incident(s, town=QC, zone="QC", state="in_progress", created=NOW - timedelta(days=1),
                     close_due=NOW - timedelta(days=1), merged_into="x")  # merged: not open
        for name, status in (("王一", "available"), ("李二", "en_route"), ("张三", "off_duty")):
            s.add(TeamMember(id=new_id(), township_code=QC, zone_id="QC", name=name, origin="township_cadre",
                             status=status))
    return store


# ----------------------------------------------------------------------------- masking


def test_mask_names_phones_and_labels():
    assert mask_name("王建国") == "王**"
    assert mask_name("王五") == "王**"
    assert mask_name("欧阳娜娜") == "欧阳**"
    assert mask_name("王**") == "王**"
    assert mask_name("") == ""
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("+86 138 1234 1234") == "138****1234"
    assert mask_phone("187****0643") == "187****0643"
    assert mask_person_label("村情通·钱佳怡") == "村情通·钱**"
    assert mask_person_label("杨建华(党委副书记)") == "杨**(党委副书记)"
    assert mask_person_label("张辉") == "张**"
    assert mask_person_label("综合执法局推送") == "综合执法局推送"
    assert mask_person_label("县社会治理中心") == "县社会治理中心"
    assert mask_person_label("河道视频监控 QC-012") == "河道视频监控 QC-012"
    assert mask_person_label("网格员 徐建华") == "网格员 徐**"  # what the demo simulator writes
    assert mask_person_label("12345 市民 张三") == "12345 市民 张**"


def test_mask_free_text():
    text = "联系人：张三丰，电话13812345678，座机0570-5012345，车牌浙H·A1234B，身份证330822199001011234"
    masked = mask_text(text)
    assert "13812345678" not in masked and "138****5678" in masked
    assert "5012345" not in masked and "0570-***2345" in masked
    assert "A1234B" not in masked and "浙H·******" in masked
    assert "199001011234" not in masked and masked.endswith("1234")
    assert "张三丰" not in masked and "联系人：张**" in masked
    assert mask_text(masked) == masked


# ----------------------------------------------------------------------------- config


def test_config_file_values_are_checked(tmp_path, caplog):
    from ui.wall.config import load_wall_config

    config = parse_wall_config({"interval_s": 20, "pages": ["map", "nope", "overview"], "fixed_page": "zones",
                                "sound": False, "urgent_s": 1, "extra": 1})
    assert config.interval_s == 20 and config.pages == ("map", "overview")
    assert config.fixed_page == "zones" and config.shown_pages == ("zones",) and not config.rotating
    assert config.sound is False
    assert config.urgent_s == WallConfig().urgent_s  # below the minimum a file may set: the default
    assert "unknown key 'extra'" in caplog.text
    # a missing file is written with the defaults; a broken one falls back to them
    loaded = load_wall_config(tmp_path, "wall", sound=False)
    assert loaded == WallConfig(sound=False) and (tmp_path / "wall-wall.json").exists()
    (tmp_path / "wall-wall.json").write_text("{not json", encoding="utf-8")
    assert load_wall_config(tmp_path, "wall") == WallConfig()


# ----------------------------------------------------------------------------- figures on fixed data


def test_overview_figures_on_fixed_data(fixed):
    with fixed.read() as session:
        f = fg.overview_figures(session, NOW)
    k = f.kpis
    assert k.reports_today == 3
    assert (k.open_incidents, k.overdue) == (2, 1)
    assert (k.closed_month, k.closed_on_time_month) == (2, 1) and k.on_time_rate_month == 0.5
    assert (k.on_duty, k.on_duty_source) == (2, "status")
    assert f.current_hour == 14
    assert f.hourly_today()[9] == 2 and f.hourly_today()[14] == 1 and f.hourly_today().sum() == 3
    assert f.hourly_baseline()[9] == pytest.approx(1 / 7) and f.hourly_baseline()[14] == pytest.approx(1 / 7)
    assert f.hourly_baseline().sum() == pytest.approx(2 / 7)
    names, counts = f.categories()
    assert list(counts) == [2, 1] and names[0] == "城区机动车违停"
    zones, open_, late = f.zone_load()
    by_zone = dict(zip(f.zone_ids, zip(open_, late, strict=True), strict=True))
    assert by_zone["QC"] == (1, 1) and by_zone["TM"] == (1, 0) and len(zones) == 7
    days, rate = f.on_time_trend()
    assert len(days) == 30 and days[-1] == date(2026, 11, 20)
    assert rate[days.index(date(2026, 11, 18))] == 100.0
    assert rate[days.index(date(2026, 11, 19))] == 0.0
    assert rate[days.index(date(2026, 10, 25))] == 100.0
    assert int(sum(~(rate == rate))) == 27  # NaN on the 27 days without closures


@pytest.mark.working_time
def test_on_duty_follows_the_roster_when_there_is_one(fixed):
    with fixed.write() as s:
        member = s.query(TeamMember).filter_by(name="王一").one()
        s.add(RosterEntry(id=new_id(), township_code=QC, zone_id="QC", member_id=member.id, day=date(2026, 11, 20),
                          shift="day", starts_at=NOW - timedelta(hours=6), ends_at=NOW + timedelta(hours=4)))
    with fixed.read() as session:
        k = fg.overview_figures(session, NOW).kpis
        zones = {z.zone_id: z for z in fg.zone_figures(session, NOW)}
    assert (k.on_duty, k.on_duty_source) == (1, "roster")
    assert zones["QC"].on_duty == 1


def test_zone_figures_count_what_the_zone_board_counts(fixed):
    """The wall reads its zone board as plain rows; the desktop's board (services.teams.zone_board) is the rule."""
    from commandroom.domain.models import MemberLoan
    from commandroom.services.teams import zone_board

    with fixed.write() as s:
        members = {m.name: m for m in s.query(TeamMember)}
        for name in ("王一", "李二", "张三"):  # available, en route (lent to 天马), off duty (休息)
            s.add(RosterEntry(id=new_id(), township_code=QC, zone_id="QC", member_id=members[name].id,
                              day=date(2026, 11, 20), shift="day", starts_at=NOW - timedelta(hours=6),
                              ends_at=NOW + timedelta(hours=4)))
        s.add(MemberLoan(id=new_id(), township_code=QC, member_id=members["李二"].id, from_zone_id="QC",
                         to_zone_id="TM", starts_at=NOW - timedelta(hours=1), ends_at=NOW + timedelta(hours=3)))
        for town, zone, close_due, merged in ((QC, "QC", NOW - timedelta(hours=2), None),
                                              (QC, "QC", NOW + timedelta(days=1), None),
                                              (TM, "TM", NOW + timedelta(days=1), None),
                                              (TM, "TM", NOW - timedelta(days=1), "x")):
            iid = add_incident(s, town=town, zone=zone, state="in_progress", created=NOW - timedelta(days=2),
                               close_due=close_due, merged_into=merged)
            s.flush()
            s.get(Incident, iid).is_enforcement = True
    with fixed.read() as session:
        zones = {z.zone_id: z for z in fg.zone_figures(session, NOW)}
        board = {b.zone_id: b for b in zone_board(session, NOW)}
    qc, tm = zones["QC"], zones["TM"]
    assert (qc.on_duty, qc.available, qc.open_incidents, qc.overdue) == (1, 1, 2, 1)
    assert (tm.on_duty, tm.available, tm.open_incidents, tm.overdue) == (1, 0, 1, 0)
    assert qc.townships[0] == "球川" and qc.load == 2.0
    assert list(zones) == list(board) and len(zones) == 7
    for zone_id, b in board.items():
        z = zones[zone_id]
        assert (z.name, z.townships, z.on_duty, z.available, z.open_incidents, z.balance) == \
            (b.name, b.township_names, b.on_duty, b.available, b.open_incidents, b.balance), zone_id


def test_overview_counts_per_hour_and_day_on_sqlite_and_postgres(db_url):
    """The overview counts reports per hour and closures per day in the database (one text form per dialect)."""
    from sqlalchemy.orm import Session

    from commandroom.refdata.seed import seed_database
    from commandroom.store.db import make_engine

    seed_database(db_url, now=NOW)
    today = date(2026, 11, 20)
    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            for at in (local(today, 9, 10), local(today, 9, 59), local(today, 14, 5), local(today - timedelta(days=1), 9, 20),
                       local(today, 23, 0)):  # the last one is after NOW: not counted
                add_report(s, at)
            add_incident(s, town=QC, zone="QC", state="closed", created=NOW - timedelta(days=5),
                         closed_at=local(today - timedelta(days=2), 0, 30), close_due=NOW)  # on time
            add_incident(s, town=QC, zone="QC", state="closed", created=NOW - timedelta(days=5),
                         closed_at=local(today - timedelta(days=3), 23, 50), close_due=NOW - timedelta(days=4))  # late
            add_incident(s, town=QC, zone="QC", state="in_progress", created=NOW - timedelta(days=1),
                         close_due=NOW - timedelta(hours=1))  # overdue
            s.commit()
        with Session(engine) as s:
            f = fg.overview_figures(s, NOW)
    finally:
        engine.dispose()
    assert f.hourly_today()[9] == 2 and f.hourly_today()[14] == 1 and f.hourly_today().sum() == 3
    assert f.hourly_baseline()[9] == pytest.approx(1 / 7)
    days, rate = f.on_time_trend()
    assert rate[days.index(date(2026, 11, 18))] == 100.0 and rate[days.index(date(2026, 11, 17))] == 0.0
    assert (f.kpis.closed_month, f.kpis.closed_on_time_month, f.kpis.overdue) == (2, 1, 1)


def test_ticker_items_are_masked_and_newest_first(fixed):
    with fixed.read() as session:
        items = fg.ticker_items(session, NOW, size=10)
    assert [i.category for i in items][:1] == ["环境卫生/垃圾分类"]
    assert items[0].reporter == "村情通·钱**"
    second = items[1]
    assert second.reporter == "王**"
    assert "138****5678" in second.text and "13812345678" not in second.text and "张三丰" not in second.text
    assert all(i.at <= NOW for i in items) and len(items) == 6  # the deleted one is not shown


def test_zone_case_board_figures_handle_empty_data(fixed):
    with fixed.read() as session:
        zones = fg.zone_figures(session, NOW)
        cases = fg.case_figures(session, NOW)
        boards = fg.board_figures(session, NOW)
    qc = next(z for z in zones if z.zone_id == "QC")
    assert (qc.on_duty, qc.available) == (2, 1)
    assert cases.open_total == 0 and cases.cases == [] and cases.checkins == []
    assert boards.totals == {"todo": 0, "doing": 0, "review": 0, "done": 0} and boards.rows == []


def test_case_and_board_figures_on_fixed_data(fixed):
    from commandroom.domain.models import CaseCheckin, Module, OneThingCase, TaskCard

    with fixed.write() as s:
        late_case = new_id()
        s.add(OneThingCase(id=late_case, township_code=QC, type_code="muck_dust", title="渣土一件事", state="in_progress",
                           lead_department_code="enforcement", ordered_at=NOW - timedelta(days=9),
                           due_at=NOW - timedelta(hours=30)))
        s.add(OneThingCase(id=new_id(), township_code=QC, type_code="fumes", title="油烟一件事", state="checking_in",
                           lead_department_code="ecoenv", ordered_at=NOW - timedelta(days=1),
                           due_at=NOW + timedelta(days=5)))
        s.add(OneThingCase(id=new_id(), township_code=QC, type_code="fumes", title="已办结", state="completed",
                           lead_department_code="ecoenv", ordered_at=NOW - timedelta(days=6),
                           due_at=NOW - timedelta(days=1), completed_at=NOW - timedelta(days=2)))
        for due in (NOW - timedelta(hours=2), NOW + timedelta(hours=5)):
            s.add(CaseCheckin(id=new_id(), township_code=QC, case_id=late_case, target_code="natres", state="waiting",
                              due_at=due))
        module = new_id()
        s.add(Module(id=module, township_code=QC, name="平安法治", lead_name="谢晓峰(政法委员)", wip_limit=1))
        for column, due in (("todo", None), ("doing", NOW - timedelta(days=1)), ("doing", None), ("done", None)):
            s.add(TaskCard(id=new_id(), township_code=QC, module_id=module, title="卡片", column=column, due_at=due))
    with fixed.read() as session:
        cases = fg.case_figures(session, NOW)
        boards = fg.board_figures(session, NOW)
    assert (cases.open_total, cases.overdue_total) == (2, 1)
    assert cases.by_state == {"in_progress": 1, "checking_in": 1}
    assert cases.cases[0].title == "渣土一件事" and cases.cases[0].overdue_hours == 30.0
    assert cases.cases[0].waiting_checkins == 2
    assert (cases.completed_30d, cases.completed_on_time_30d) == (1, 1)
    assert (cases.waiting_total, cases.waiting_late) == (2, 1) and cases.checkins[0].overdue
    assert boards.totals == {"todo": 1, "doing": 2, "review": 0, "done": 1}
    assert (boards.overdue_total, boards.modules_over_wip) == (1, 1)
    row = boards.rows[0]
    assert row.name == "球川·平安法治" and row.lead == "谢**(政法委员)" and row.over_wip and row.overdue == 1


def test_urgent_items_recent_open_l1_only(fixed):
    with fixed.write() as s:
        fresh = add_incident(s, town=QC, zone="QC", state="pending_dispatch", created=NOW - timedelta(minutes=5),
                             urgency="L1", cat="forest_fire")
        old = add_incident(s, town=QC, zone="QC", state="pending_dispatch", created=NOW - timedelta(days=2),
                           urgency="L1")
        plain = add_incident(s, town=QC, zone="QC", state="pending_dispatch", created=NOW, urgency="L2")
        report = add_report(s, NOW - timedelta(minutes=1), urgency="L1", text="山火，电话13812345678")
    with fixed.read() as session:
        items = fg.urgent_items(session, [fresh, old, plain], [report], NOW)
    assert [(i.kind, i.id) for i in items] == [("incident", fresh), ("report", report)]
    assert "13812345678" not in items[1].text


# ----------------------------------------------------------------------------- staleness banner


def test_staleness_texts(zh):
    now = datetime(2026, 11, 20, 6, 10)  # 14:10 in Shanghai
    offline = SyncStatus(online=False, offline_since=datetime(2026, 11, 20, 6, 3),
                         last_success=datetime(2026, 11, 20, 6, 2))
    assert staleness_text(offline, now) == ("离线 自 14:03 · 数据截至 14:02", "alert")
    yesterday = offline.with_(last_success=datetime(2026, 11, 19, 6, 2))
    assert staleness_text(yesterday, now)[0] == "离线 自 14:03 · 数据截至 11-19 14:02"
    assert staleness_text(SyncStatus(online=False, offline_since=datetime(2026, 11, 20, 6, 3)), now)[0] == \
        "离线 自 14:03 · 尚未同步"
    assert staleness_text(SyncStatus(online=True, last_success=datetime(2026, 11, 20, 6, 9)), now) is None
    assert staleness_text(SyncStatus(online=True, last_success=datetime(2026, 11, 20, 5, 40)), now)[0] == \
        "同步延迟 · 数据截至 13:40"
    assert staleness_text(offline.with_(signed_in=False, online=True), now)[0] == "登录已失效 · 数据截至 14:02"
    assert staleness_text(NO_ENGINE, now)[1] == "info"
    assert staleness_text(None, now) is None


@pytest.mark.asyncio
async def test_banner_shows_offline_and_recovers_by_itself(store, qtbot, zh):
    window = await open_wall(store, qtbot, clock=lambda: datetime(2026, 11, 20, 6, 10))
    window.set_sync_status(SyncStatus(online=False, offline_since=datetime(2026, 11, 20, 6, 3),
                                      last_success=datetime(2026, 11, 20, 6, 2)))
    assert window.banner.isVisible() and window.banner.text() == "离线 自 14:03 · 数据截至 14:02"
    window.set_sync_status(SyncStatus(online=True, last_success=datetime(2026, 11, 20, 6, 9)))
    assert not window.banner.isVisible()
    window.close()


# ----------------------------------------------------------------------------- rotation, fixed page


@pytest.mark.asyncio
async def test_rotation_order_and_interval(store, qtbot, ui):
    seen: list[tuple[str, float]] = []
    window = await open_wall(store, qtbot, fast_config(interval_s=0.25))
    window.page_did_change.connect(lambda key: seen.append((key, time.monotonic())))
    await ui.wait_until(lambda: len(seen) >= 6, what="six page changes")
    keys = [k for k, _t in seen]
    order = list(window.config.pages)
    start = order.index(keys[0])
    assert keys[:6] == [order[(start + i) % len(order)] for i in range(6)]
    gaps = [b - a for (_k, a), (_k2, b) in itertools.pairwise(seen)]
    assert all(g >= 0.2 for g in gaps), gaps  # never faster than the interval (not stuck: six changes came)
    assert window.dots.text().count("●") == 1
    window.close()


@pytest.mark.asyncio
async def test_fixed_page_mode(store, qtbot):
    window = await open_wall(store, qtbot, fast_config(fixed_page="zones", interval_s=0.1))
    await asyncio.sleep(0.6)
    assert list(window.pages) == ["zones"] and window.current_key() == "zones"
    assert window.rotator.fixed and window.page_switches == 1
    assert not window.rotator.is_stuck(time.monotonic() + 100)
    window.close()


# ----------------------------------------------------------------------------- urgent takeover


@pytest.mark.asyncio
async def test_urgent_takeover_then_rotation_resumes(store, actor, qtbot, ui, tmp_path, zh):
    ui.make_report(store, actor, urgency="L1", category="forest_fire", text="已有的紧急上报")  # before: no takeover
    window = await open_wall(store, qtbot, fast_config(interval_s=0.3, urgent_s=0.5, sound=True),
                             sound_dir=tmp_path)
    # what the wall shows as each thing happens (looked at afterwards, a loaded loop may come back late)
    started: list = []
    ended: list = []
    pages: list = []
    window.takeover_did_start.connect(lambda _item: started.append(
        (time.monotonic(), window.current_key(), window.in_takeover, window.rotator.paused)))
    window.takeover_did_end.connect(lambda: ended.append((time.monotonic(), window.current_key())))
    window.page_did_change.connect(lambda key: pages.append((key, window.in_takeover)))
    await asyncio.sleep(0.5)
    assert started == []
    ui.make_report(store, actor, urgency="L1", category="forest_fire",
                   text="山上起火，联系人：张三丰，电话13812345678", minutes_ago=1)
    await ui.wait_until(lambda: started, what="the takeover")
    assert started[0][1:] == ("urgent", True, True)
    card = window.urgent_page.card
    assert "森林火情" in card.title.text() and "13812345678" not in card.text.text()
    assert "138****5678" in card.text.text() and "张三丰" not in card.text.text()
    assert window.sounds == 1
    await ui.wait_until(lambda: ended, what="the end of the takeover")
    # the card holds the screen for urgent_s (a timer may fire a little early, never a page of the rotation)
    assert ended[0][0] - started[0][0] >= 0.9 * window.config.urgent_s
    assert not [key for key, during in pages if during], pages
    assert ended[0][1] in window.config.pages
    switches = window.page_switches
    await ui.wait_until(lambda: window.page_switches >= switches + 2, what="rotation again")
    assert window.takeovers == 1
    window.close()


@pytest.mark.asyncio
async def test_urgent_takeover_shows_card_when_the_map_is_missing(store, actor, qtbot, ui):
    def no_map(_store):
        raise ImportError("no QtWebEngine here")

    window = await open_wall(store, qtbot, fast_config(pages=("overview", "map"), interval_s=5),
                             page_kwargs={"map": {"map_factory": no_map}})
    assert not window.pages["map"].has_map and window.pages["map"].placeholder.text()
    await asyncio.sleep(0.3)
    ui.make_report(store, actor, urgency="L1", category="gas_hazard", text="燃气泄漏", minutes_ago=1)
    await ui.wait_until(lambda: window.in_takeover, what="the takeover")
    assert window.current_key() == "urgent"
    window.close()


# ----------------------------------------------------------------------------- watchdog


@pytest.mark.asyncio
async def test_watchdog_restarts_a_stuck_rotation(store, qtbot, ui, caplog):
    window = await open_wall(store, qtbot, fast_config(interval_s=0.2))
    await ui.wait_until(lambda: window.page_switches >= 2, what="rotation")
    window.rotator.timer.stop()  # the rotation is stuck (Grafana #15465)
    window.rotator.last_step = time.monotonic() - 60
    switches = window.page_switches
    with caplog.at_level(logging.WARNING, logger="ui.wall.watchdog"):
        window.watchdog.check()
    assert window.rotator.restarts == 1 and window.watchdog.events[-1][0] == "rotation"
    assert "rotation has not moved" in caplog.text
    await ui.wait_until(lambda: window.page_switches >= switches + 3, what="rotation after restart")
    window.watchdog.check()
    assert window.rotator.restarts == 1  # a healthy rotation is left alone
    window.close()


@pytest.mark.asyncio
async def test_watchdog_rebuilds_a_page_that_stopped_updating(store, qtbot, ui, caplog):
    window = await open_wall(store, qtbot, fast_config(interval_s=10, stale_s=5))
    old = window.pages["zones"]
    await ui.wait_until(lambda: old.update_count >= 1, what="first load")
    old.refresh = lambda: None  # the page is stuck: it never loads again
    old.last_update = time.monotonic() - 60
    with caplog.at_level(logging.WARNING, logger="ui.wall.watchdog"):
        window.watchdog.check()
    new = window.pages["zones"]
    assert new is not old and window.rebuilds == 1
    assert window.watchdog.events[-1][0] == "page:zones" and "page zones has not updated" in caplog.text
    assert window.stack.indexOf(new) >= 0 and window.stack.indexOf(old) == -1
    await ui.wait_until(lambda: new.update_count >= 1, what="the rebuilt page loads")
    window.watchdog.check()
    assert window.rebuilds == 1
    window.close()


# ----------------------------------------------------------------------------- live figures, ticker, look


@pytest.mark.asyncio
async def test_pages_follow_change_events_and_ticker_is_masked(store, qtbot, ui):
    window = await open_wall(store, qtbot)
    overview = window.pages["overview"]
    await ui.wait_until(lambda: overview.update_count >= 1 and window.ticker_feed.update_count >= 1)
    before = overview.update_count
    from commandroom.timeutil import utcnow

    with store.write() as s:
        rid = add_report(s, utcnow() - timedelta(minutes=1), text="联系人：张三丰，电话13812345678", who="网格员 王建国")
    changes = Changes()
    changes.note("report", rid)
    store.emit(changes)
    await ui.wait_until(lambda: overview.update_count > before, what="overview reload")
    assert overview.last_value.kpis.reports_today >= 1
    await ui.wait_until(lambda: any("王**" in t for t in window.ticker.texts), what="ticker")
    text = " ".join(window.ticker.texts)
    assert "王建国" not in text and "13812345678" not in text and "138****5678" in text and "张三丰" not in text
    window.close()


@pytest.mark.asyncio
async def test_sizes_follow_the_screen_and_content_shifts(store, qtbot):
    window = await open_wall(store, qtbot)
    window.resize(1920, 1080)
    await asyncio.sleep(0.05)
    small = window.pages["overview"].kpi_reports.value.fontInfo().pixelSize()
    assert window.scale == pytest.approx(1.0)
    window.resize(3840, 2160)
    await asyncio.sleep(0.05)
    assert window.scale == pytest.approx(2.0)
    big = window.pages["overview"].kpi_reports.value.fontInfo().pixelSize()
    assert big >= 1.8 * small and small >= 60
    size = window.content.size()
    before = window.content.pos()
    window._on_shift()
    await asyncio.sleep(0.05)
    assert window.content.pos() != before and window.content.size() == size
    assert max(abs(v) for v in window.shift_offset) <= 2 * window.config.shift_px
    window.close()


@pytest.mark.asyncio
async def test_leaving_full_screen_needs_a_confirmation(store, qtbot):
    window = await open_wall(store, qtbot)
    window.enter_full_screen()
    assert window.request_leave_full_screen() is False
    assert window.confirm.isVisible()
    assert window.request_leave_full_screen() is True
    assert not window.confirm.isVisible() and not window.isFullScreen()
    window.close()


# ----------------------------------------------------------------------------- the desktop toggle


@pytest.mark.asyncio
async def test_desktop_toggle_opens_and_closes_the_wall(store, actor, qtbot, tmp_path):
    from ui.main_window import MainWindow
    from ui.wall.window import WallWindow

    main = MainWindow(store, actor, sound=False, sound_dir=tmp_path)
    qtbot.addWidget(main)
    main.show()
    toggle = main.wall_toggle
    assert toggle.action.isCheckable() and toggle.action.shortcut().toString() == "Ctrl+Shift+W"
    toggle.action.trigger()
    wall = toggle.wall
    assert isinstance(wall, WallWindow) and wall.isVisible() and wall.store is store
    assert wall.config.townships == (QC,) and wall.place == "球川镇"  # the desk's township, by name
    assert wall.banner.isVisible()  # the desktop has no engine here: "not connected"
    from commandroom.timeutil import utcnow

    main.sync_status_did_change.emit(SyncStatus(online=True, last_success=utcnow()))
    assert not wall.banner.isVisible()
    await asyncio.sleep(0.2)
    toggle.action.trigger()
    assert toggle.wall is None and not toggle.action.isChecked()
    toggle.action.trigger()  # again, then the wall closes itself: the action follows
    second = toggle.wall
    second.close()
    assert toggle.wall is None and not toggle.action.isChecked()
    main.close()


@pytest.mark.asyncio
async def test_wall_title_names_its_township(store, qtbot, zh):
    window = await open_wall(store, qtbot, fast_config(townships=(QC,)))
    assert window.title_label.text() == "球川镇综合信息指挥室"
    assert window.windowTitle() == "球川镇指挥室大屏"
    assert QC not in window.title_label.text()
    window.shutdown()


def test_case_page_names_a_module_waiting_for_check_in_never_its_id(fixed):
    from commandroom.domain.models import CaseCheckin, Module

    module = new_id()
    with fixed.write() as s:
        s.add(Module(id=module, township_code=QC, name="经济生态", lead_name="周(副镇长)", wip_limit=5))
        s.add(CaseCheckin(id=new_id(), township_code=QC, target_kind="module", target_code=module, state="waiting",
                          due_at=NOW + timedelta(hours=3)))
    with fixed.read() as session:
        cases = fg.case_figures(session, NOW)
    assert [c.target for c in cases.checkins] == ["经济生态模块"]


@pytest.mark.asyncio
async def test_zone_tile_with_nobody_rostered_says_nobody_on_duty_not_idle(fixed, qtbot, zh):
    """One member rostered in 球川: the other six zones have nobody there, which is no spare capacity."""
    from ui.wall.pages import WallZonesPage

    with fixed.write() as s:
        member = s.query(TeamMember).filter_by(name="王一").one()
        s.add(RosterEntry(id=new_id(), township_code=QC, zone_id="QC", member_id=member.id, day=date(2026, 11, 20),
                          shift="day", starts_at=NOW - timedelta(hours=6), ends_at=NOW + timedelta(hours=4)))
    with fixed.read() as session:
        zones = fg.zone_figures(session, NOW)
    page = WallZonesPage(fixed, fast_config(), lambda: NOW)
    qtbot.addWidget(page)
    page.apply(zones)
    badges = {tile.name.text(): tile.badge.text() for tile in page.tiles}
    others = [badge for name, badge in badges.items() if name and not name.startswith("球川")]
    assert len(others) == 6 and set(others) == {"无人在岗"}, badges
    assert all(z.balance == "unstaffed" for z in zones if z.zone_id != "QC")


@pytest.mark.asyncio
async def test_the_overview_comes_up_in_one_paint_of_each_chart(fixed, qtbot, ui):
    """Coming up in the rotation with new figures, each chart of the overview is drawn once, with the newest figures.

    A chart drawn again in the same pass of the event loop is time the wall's GUI thread stands
    still (the overview was the soak's longest stall: each chart repainted the window two or three
    times). On screen, a refresh still reaches every chart.
    """
    from PySide6.QtCore import QEvent, QObject

    class PaintCounter(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.paints: dict[int, int] = {}

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
            if event.type() == QEvent.Type.Paint:
                self.paints[id(watched)] = self.paints.get(id(watched), 0) + 1
            return False

    window = await open_wall(fixed, qtbot, fast_config(interval_s=3600, refresh_s=3600, pages=("overview", "zones")),
                             clock=lambda: NOW)
    overview = window.pages["overview"]
    await ui.wait_until(lambda: overview.update_count >= 1 and window.pages["zones"].update_count >= 1,
                        what="both pages loaded")
    window.rotator.page_requested.emit("zones")
    await asyncio.sleep(0.3)
    loaded = overview.update_count
    overview.refresh()  # new figures arrive while the page is hidden
    await ui.wait_until(lambda: overview.update_count > loaded, what="the hidden overview reloaded")
    await asyncio.sleep(0.3)
    counter = PaintCounter()
    viewports = [chart.viewport() for chart in overview.charts]
    for viewport in viewports:
        viewport.installEventFilter(counter)
    window.rotator.page_requested.emit("overview")
    await asyncio.sleep(0.5)
    assert window.current_key() == "overview"
    assert [counter.paints.get(id(v), 0) for v in viewports] == [1, 1, 1, 1]
    assert overview.kpi_reports.value.text() == "3"  # the newest figures (3 reports today at NOW)

    # on screen, a new report reaches the big number and every chart (one chart per pass of the loop)
    updates = [chart.updates for chart in overview.charts]
    with fixed.write() as s:
        add_report(s, local(date(2026, 11, 20), 14, 20), cat="sanitation")
    overview.refresh()
    await ui.wait_until(lambda: overview.kpi_reports.value.text() == "4", what="the new report counted")
    await ui.wait_until(lambda: all(c.updates > u for c, u in zip(overview.charts, updates, strict=True)),
                        what="every chart updated")
    assert list(overview.hourly.current.opts["height"]) == [2]  # two reports in the running hour now
    window.close()
