"""Screenshots of the status bar's sync states for docs/screenshots (Chinese, light theme).

Runs only when asked: ``COMMANDROOM_SCREENSHOTS=1 pytest tests/ui/test_status_bar_screenshots.py``.
The main window at 1600 px wide on a store with reference data; the states are the ``SyncStatus``
values the engine sends (offline with work waiting, a long download with 取消, a cancelled download,
this machine's clock a few minutes off, and far off).
"""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "screenshots"

pytestmark = pytest.mark.skipif(not os.environ.get("COMMANDROOM_SCREENSHOTS"),
                                reason="set COMMANDROOM_SCREENSHOTS=1 to regenerate docs/screenshots")


@pytest.mark.asyncio
async def test_status_bar_states(store, qapp, qtbot, ui, zh, tmp_path):
    from commandroom.sync.status import SyncStatus
    from commandroom.timeutil import utcnow
    from ui.main_window import MainWindow
    from ui.theme import apply_theme

    apply_theme(qapp, "light")
    actor = ui.make_actor(store, ui.QIUCHUAN, name="王建国")
    window = MainWindow(store, actor, sound=False, sound_dir=tmp_path)
    qtbot.addWidget(window)
    window.engine = SimpleNamespace()  # statuses come from the engine only (no outbox recount)
    window.resize(1600, 1000)
    window.show()
    await window.inbox.wait_idle()
    bar = window.status_bar
    now = utcnow().replace(microsecond=0)
    last = now - timedelta(minutes=14, seconds=21)
    states = {
        "status_bar_offline": (SyncStatus(online=False, offline_since=now - timedelta(minutes=13), pending=4,
                                          last_success=last, last_error="ConnectError: 无法连接县服务器"), None),
        "status_bar_downloading": (SyncStatus(online=True, syncing=True, last_success=last), (4200, 11_000)),
        "status_bar_download_cancelled": (SyncStatus(online=True, last_success=now,
                                                     download_paused_until=now + timedelta(seconds=60)), None),
        "status_bar_clock_warn": (SyncStatus(online=True, last_success=now, clock_offset=-95), None),
        "status_bar_clock_bad": (SyncStatus(online=True, last_success=now, clock_offset=-720), None),
    }
    for name, (status, progress) in states.items():
        window.sync_status_did_change.emit(status)
        if progress:
            window.sync_progress_did_change.emit(*progress)
        await asyncio.sleep(0.1)  # the layout follows the new texts on the event loop
        assert bar.grab().save(str(OUT / f"{name}.png"))
