"""The status bar shows the base-map download and its 暂停/继续 reach the downloader."""

from __future__ import annotations

import httpx
import pytest
from PySide6.QtCore import Qt

from commandroom.sync.basemap import BaseMapProgress, BaseMapSync
from ui.status_bar import StatusBarWidget

pytestmark = pytest.mark.usefixtures("zh")


def test_progress_pause_and_continue(qtbot, tmp_path):
    bar = StatusBarWidget()
    qtbot.addWidget(bar)
    bar.show()
    sync = BaseMapSync(tmp_path / "maps", httpx.AsyncClient(base_url="http://127.0.0.1:9"))
    bar.basemap_pause_clicked.connect(sync.pause)
    bar.basemap_resume_clicked.connect(sync.resume)
    sync.on_progress(bar.set_basemap_progress)
    assert not bar.basemap_label.isVisible() and not bar.basemap_progress.isVisible()

    sync._report(name="常山县演示底图", layer="streets", done=1_200_000, total=3_000_000, active=True)
    assert bar.basemap_progress.isVisible() and bar.basemap_progress.value() == 400
    assert bar.basemap_label.text() == "正在下载底图 常山县演示底图：1.2 / 3.0 MB"
    assert bar.basemap_pause_button.isVisible() and not bar.basemap_resume_button.isVisible()

    qtbot.mouseClick(bar.basemap_pause_button, Qt.MouseButton.LeftButton)
    assert sync.paused
    assert bar.basemap_resume_button.isVisible() and not bar.basemap_pause_button.isVisible()
    assert bar.basemap_label.text().startswith("底图下载已暂停")

    qtbot.mouseClick(bar.basemap_resume_button, Qt.MouseButton.LeftButton)
    assert not sync.paused and not bar.basemap_resume_button.isVisible()

    sync._report(active=False, error="503 server_busy")
    assert "继续使用现有底图" in bar.basemap_label.text() and bar.basemap_label.toolTip() == "503 server_busy"
    assert not bar.basemap_progress.isVisible()
    sync._report(error="")
    assert not bar.basemap_label.isVisible()
    assert isinstance(sync.progress, BaseMapProgress)
