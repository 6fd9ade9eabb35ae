"""Holiday schedules (节假日安排) in the 一件事 page: every desk sees that next year's holidays are not
known yet (deadlines count Monday–Friday), the county centre types the State Council's notice, sees
what it could not read, publishes, and the deadlines then skip the holidays; the models pass
qtmodeltester. The 2027 schedule typed here is an example (the real one is not published yet)."""

from __future__ import annotations

import asyncio
import os
from datetime import date, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 26, 2, 0)  # naive UTC: 26 November 2026, 10:00 in Shanghai

# an example 2027 schedule as a notice writes it (not the official one)
HOLIDAYS = """元旦：2027-01-01~2027-01-03
春节：2月6日至13日放假调休，共8天。
清明节：4月3日至5日，劳动节：5月1日-5月5日
端午节：2027/6/9、中秋节：9月15日
国庆节：2027-10-01-2027-10-07"""
WORKDAYS = "2月14日（星期日）、2月20日（星期六）、5月8日，10月9日"
SOURCE = "示例：国务院办公厅关于2027年部分节假日安排的通知（示例数据，非正式）"


def span(first: str, last: str) -> list[str]:
    a, b = date.fromisoformat(first), date.fromisoformat(last)
    return [date.fromordinal(o).isoformat() for o in range(a.toordinal(), b.toordinal() + 1)]


EXPECTED_HOLIDAYS = (span("2027-01-01", "2027-01-03") + span("2027-02-06", "2027-02-13")
                     + span("2027-04-03", "2027-04-05") + span("2027-05-01", "2027-05-05")
                     + ["2027-06-09", "2027-09-15"] + span("2027-10-01", "2027-10-07"))
EXPECTED_WORKDAYS = ["2027-02-14", "2027-02-20", "2027-05-08", "2027-10-09"]


@pytest.fixture(autouse=True)
def _pyside_refcount_guard(qapp):
    from ui.incidents import refcounts

    refcounts.install()


@pytest.fixture(autouse=True)
def _forget_published_years():
    """The published years are process-global in the deadline calendar: leave none behind."""
    from commandroom.services import deadlines

    yield
    deadlines.use_published_years({})


@pytest.fixture
def county_store(seeded_sqlite, qapp):
    from commandroom.store.local import DeskStore
    from ui.async_runner import forget_store

    store = DeskStore(seeded_sqlite.split("///", 1)[1])
    store.now = lambda: NOW  # the publication's time stamp
    yield store
    forget_store(store)
    store.close()


def _coordinator(store):
    from commandroom.mutations.core import Actor

    return Actor(user_id="u-county", name="刘洋", role="county_coordinator", scope_kind="county",
                 device_id=store.device_id, device_name="县社会治理中心")


async def _view(store, actor, qtbot):
    from ui.reflist.holidays import HolidayScheduleView

    view = HolidayScheduleView(store, actor, clock=lambda: NOW)
    qtbot.addWidget(view)
    view.resize(1400, 860)
    view.show()
    view.load()
    await view.wait_idle()
    return view


def _statuses(view):
    return [label.text() for label in view.status_labels]


def test_models_pass_qtmodeltester(qtmodeltester, qapp):
    from commandroom.services.holidays import YearRow
    from ui.reflist.holidays import MonthModel, YearModel, month_rows

    row = YearRow("2027", 2027, tuple(date.fromisoformat(d) for d in EXPECTED_HOLIDAYS),
                  tuple(date.fromisoformat(d) for d in EXPECTED_WORKDAYS), "示例", NOW, "刘洋")
    older = YearRow("2026", 2026, (date(2026, 1, 1),), (), "示例", NOW, "")
    years = YearModel()
    years.set_rows([row, older])
    qtmodeltester.check(years)
    months = MonthModel()
    months.set_rows(month_rows(row))
    assert [r.month for r in months.rows()] == [1, 2, 4, 5, 6, 9, 10]
    qtmodeltester.check(months)


@pytest.mark.asyncio
async def test_the_duty_officer_sees_next_year_is_not_known_and_no_editor(county_store, qtbot, ui, zh):
    view = await _view(county_store, ui.make_actor(county_store), qtbot)
    this_year, next_year = _statuses(view)
    assert this_year == "2026年：日历包已收录"
    assert next_year.startswith("2027年：未发布") and "周一至周五" in next_year
    assert "color:#c0392b" in view.status_labels[1].styleSheet()
    assert not view.editor_box.isVisible() and view.readonly_label.isVisible()
    # 2026 is covered by the calendar package: it is listed with its days, month by month (not an empty table)
    assert view.year_model.rowCount() == 1 and not view.empty_label.isVisible()
    assert view.selected_year().year == 2026 and view.selected_year().published_at is None
    months = [view.month_model.index(r, 0).data() for r in range(view.month_model.rowCount())]
    assert "2026年1月" in months and "2026年10月" in months, months
    october = next(r for r in view.month_model.rows() if r.month == 10)
    assert len(october.holidays) >= 7  # 国庆 and 中秋
    assert view.year_model.index(0, 4).data() == "未发布（程序包内置）"

    # the county publishes at its desk; the schedule reaches this one (here: the same store)
    county_store.perform(_coordinator(county_store), "calendar.publish_year", "2027",
                         {"holidays": EXPECTED_HOLIDAYS, "workdays": EXPECTED_WORKDAYS, "source": "示例通知"})
    await ui.wait_until(lambda: view.year_model.rowCount() == 2, what="the published year listed")
    await view.wait_idle()
    assert _statuses(view)[1] == "2027年：县里已于 2026-11-26 发布（示例通知）"
    assert "color:#c0392b" not in view.status_labels[1].styleSheet()
    assert not view.correct_button.isEnabled()


@pytest.mark.asyncio
async def test_the_county_types_the_notice_and_publishes_it(county_store, qtbot, ui, zh):
    from commandroom.services import deadlines

    view = await _view(county_store, _coordinator(county_store), qtbot)
    assert view.editor_box.isVisible() and not view.readonly_label.isVisible()
    assert view.year_spin.value() == 2027
    assert not view.publish_button.isEnabled()

    # a typo: 2月30日 does not exist, and the preview says which item it is
    view.source_edit.setText(SOURCE)
    view.holidays_edit.setPlainText(HOLIDAYS + "\n2月30日")
    view.workdays_edit.setPlainText(WORKDAYS)
    assert view.problem_label.isVisible()
    assert view.problem_label.text() == "放假：“2月30日”不是日历上的日期"
    assert not view.publish_button.isEnabled()
    # a make-up working day on a weekday is refused before publishing, naming the day
    view.holidays_edit.setPlainText(HOLIDAYS)
    view.workdays_edit.setPlainText(WORKDAYS + " 2027-02-15")
    assert view.problem_label.text() == "2月15日（周一）是工作日：调休上班只能是周六或周日。"
    view.workdays_edit.setPlainText(WORKDAYS)
    assert not view.problem_label.isVisible() and view.publish_button.isEnabled()
    preview = view.preview_label.text()
    assert preview.startswith("2027年：放假 28 天，调休上班 4 天")
    assert "元旦 1月1日–3日（3天）" in preview and "春节 2月6日–13日（8天）" in preview
    assert "国庆节 10月1日–7日（7天）" in preview and "2月14日（周日）" in preview

    view.publish_button.click()
    await view.wait_idle()
    name, entity, args = ui.outbox(county_store)[-1]
    assert (name, entity) == ("calendar.publish_year", "2027")
    assert args == {"holidays": EXPECTED_HOLIDAYS, "workdays": EXPECTED_WORKDAYS, "source": SOURCE}
    assert view.message_label.text().startswith("已发布 2027 年")
    await ui.wait_until(lambda: view.year_model.rowCount() == 2, what="the published year listed (and 2026)")
    await view.wait_idle()
    assert _statuses(view)[1] == f"2027年：县里已于 2026-11-26 发布（{SOURCE}）"
    assert [view.year_model.data(view.year_model.index(0, c)) for c in range(3)] == ["2027", "28", "4"]
    assert view.days_title.text() == "2027年各月"
    feb = view.month_model.row_of("2027-02")
    assert [view.month_model.data(view.month_model.index(feb, c)) for c in range(3)] == [
        "2027年2月", "2月6日–13日", "2月14日（周日）、2月20日（周六）"]
    assert view.holidays_edit.toPlainText() == "" and not view.publish_button.isEnabled()

    # every deadline computed from this database now skips 春节 and counts the make-up Sunday
    assert deadlines.is_workday(date(2027, 2, 8))  # Mon–Fri fallback until the year is read
    with county_store.read() as session:
        deadlines.load_levels(session)
    assert not deadlines.is_workday(date(2027, 2, 8)) and not deadlines.is_workday(date(2027, 1, 1))
    assert deadlines.is_workday(date(2027, 2, 14)) and deadlines.calendar_known(date(2027, 3, 1))

    # a correction starts from the published year, read back the same
    view.correct_button.click()
    assert view.source_edit.text() == SOURCE and view.year_spin.value() == 2027
    assert list(view.holiday_input.days) == [date.fromisoformat(d) for d in EXPECTED_HOLIDAYS]
    assert "2027 年已于 2026-11-26 发布，再次发布将替换它。" in view.preview_label.text()


@pytest.mark.asyncio
async def test_a_refusal_of_the_store_is_shown_in_the_view(county_store, qtbot, ui, zh, monkeypatch):
    """Should the preview miss a rule, the mutation's refusal reaches the officer in words."""
    from ui.reflist import holidays

    view = await _view(county_store, _coordinator(county_store), qtbot)
    monkeypatch.setattr(holidays.core, "schedule_problems", lambda *_a: [])
    view.source_edit.setText("示例")
    view.holidays_edit.setPlainText("2027-01-01")
    view.workdays_edit.setPlainText("2027-01-04")  # a Monday
    assert view.publish_button.isEnabled()
    view.publish_button.click()
    await view.wait_idle()
    assert view.message_label.text().startswith("未完成：") and "2027-01-04" in view.message_label.text()
    assert ui.outbox(county_store) == []
    assert view.publish_button.isEnabled()  # fix it and try again


@pytest.mark.asyncio
async def test_the_tab_sits_next_to_the_responsibility_list(county_store, qtbot, ui, zh):
    from ui.cases.page import OneThingPage

    page = OneThingPage(county_store, ui.make_actor(county_store), clock=lambda: NOW)
    qtbot.addWidget(page)
    page.show()
    titles = [page.tabText(k) for k in range(page.count())]
    assert titles.index("节假日安排") == titles.index("清单管理") + 1
    page.setCurrentWidget(page.holidays)
    await page.holidays.wait_idle()
    await ui.wait_until(lambda: page.holidays.overview is not None, what="the holiday overview")
    assert _statuses(page.holidays)[1].startswith("2027年：未发布")
    for view in (page.cases, page.reflist, page.assessment):
        await view.wait_idle()


@pytest.mark.skipif(not os.environ.get("COMMANDROOM_SCREENSHOTS"),
                    reason="set COMMANDROOM_SCREENSHOTS=1 to regenerate docs/screenshots")
@pytest.mark.asyncio
async def test_screenshot(county_store, qtbot, qapp, ui, zh):
    """docs/screenshots/holiday_schedule.png: the county centre with an example 2027 schedule typed in
    (one item wrong), 2026 published earlier (the package's schedule) so the lists show something."""
    import chinese_calendar

    from ui.cases.page import OneThingPage
    from ui.theme import apply_theme

    apply_theme(qapp, "light")
    coordinator = _coordinator(county_store)
    county_store.perform(coordinator, "calendar.publish_year", "2026", {
        "holidays": sorted(d.isoformat() for d in chinese_calendar.holidays if d.year == 2026),
        "workdays": sorted(d.isoformat() for d in chinese_calendar.workdays if d.year == 2026),
        "source": "国务院办公厅关于2026年部分节假日安排的通知（据 chinese_calendar 包）"})
    page = OneThingPage(county_store, coordinator, clock=lambda: NOW)
    qtbot.addWidget(page)
    page.resize(1500, 900)
    page.show()
    page.setCurrentWidget(page.holidays)
    view = page.holidays
    await view.wait_idle()
    await ui.wait_until(lambda: view.year_model.rowCount() == 1, what="2026 listed")
    view.source_edit.setText("示例：国务院办公厅关于2027年部分节假日安排的通知（示例数据）")
    view.holidays_edit.setPlainText(HOLIDAYS)
    view.workdays_edit.setPlainText(WORKDAYS + "、2月29日")
    await asyncio.sleep(0.3)
    assert view.problem_label.isVisible() and not view.publish_button.isEnabled()
    assert page.grab().save(str(ROOT / "docs" / "screenshots" / "holiday_schedule.png"))
    for v in (page.cases, page.reflist, page.assessment):
        await v.wait_idle()
