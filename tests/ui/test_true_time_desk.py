"""The desk side of issue 17: the timeline marks entries made offline (离线录入, upload time on hover), and a
pre-breach warning from the county server's scheduler raises a banner."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt


@pytest.fixture(autouse=True)
def _pyside_refcount_guard(qapp):
    from ui.incidents import refcounts

    refcounts.install()


def test_the_timeline_marks_an_entry_made_offline_with_its_upload_time(qapp, zh):
    from commandroom.queries.incidents import TimelineItem
    from commandroom.timeutil import utcnow
    from ui.incidents.detail_models import TimelineModel

    at = utcnow().replace(microsecond=0) - timedelta(minutes=34)
    online = TimelineItem(at, "球川值班甲", "球川-甲", "note", None, None, "在线录入", {})
    offline = TimelineItem(at, "球川值班甲", "球川-甲", "note", None, None, "断网时录入", {}, True,
                           at + timedelta(minutes=34), False)
    skewed = TimelineItem(at, "球川值班乙", "球川-乙", "note", None, None, "时钟不准", {}, False,
                          at + timedelta(seconds=3), True)
    model = TimelineModel()
    model.set_items([online, offline, skewed], "i-1")
    cell = model.data(model.index(1, 0), Qt.ItemDataRole.DisplayRole)
    hover = model.data(model.index(1, 0), Qt.ItemDataRole.ToolTipRole)
    assert "离线录入" in cell
    assert "上传" in hover and "离线录入于" in hover
    from commandroom.timeutil import fmt_local

    assert fmt_local(at + timedelta(minutes=34), "%H:%M") in hover
    assert "离线录入" not in model.data(model.index(0, 0), Qt.ItemDataRole.DisplayRole)
    assert model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole) is None
    assert "时钟不准" in model.data(model.index(2, 0), Qt.ItemDataRole.ToolTipRole)


@pytest.mark.asyncio
async def test_a_pre_breach_warning_raises_a_banner_once(store, actor, ui, zh):
    from commandroom.timeutil import utcnow
    from ui.notifications import BannerArea, BreachWarningWatcher, Notifier

    incident_id = ui.accept_report(store, actor, ui.make_report(store, actor), title="河边垃圾")
    banner = BannerArea()
    watcher = BreachWarningWatcher(store, Notifier(banner, sound=False))
    arrived: list = []
    watcher.warnings_did_arrive.connect(arrived.extend)
    from commandroom.mutations.core import Actor

    system = Actor.system()  # what arrives from the county server's scheduler (only it may warn)
    due = (utcnow() + timedelta(minutes=40)).replace(microsecond=0)
    store.perform(system, "incident.warn_breach", incident_id, {"clock": "close", "due": due.isoformat()})
    await ui.wait_until(lambda: banner.banners, what="banner")
    text = banner.banners[0].text_label.text()
    assert "即将超时" in text and "河边垃圾" in text and "办结" in text
    # the same warning again is merged (no new entry), and an unrelated change raises nothing
    store.perform(system, "incident.warn_breach", incident_id, {"clock": "close", "due": due.isoformat()})
    store.perform(actor, "incident.note", incident_id, {"note": "进展"})
    for _ in range(20):
        await ui.wait_until(lambda: True)
    assert len(arrived) == 1 and len(banner.banners) == 1
