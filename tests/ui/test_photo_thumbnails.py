"""Photos on the desk: the inbox and the incident detail show a "downloading" tile until the thumbnail
arrives with the sync, then the picture; a double-click opens the full image (EXIF orientation applied)."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest


@pytest.fixture(autouse=True)
def _pyside_refcount_guard(qapp):
    from ui.incidents import refcounts

    refcounts.install()


def _jpeg(size=(640, 480), orientation=None, colour=(30, 140, 60)) -> bytes:
    buf = io.BytesIO()
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    Image.new("RGB", size, colour).save(buf, format="JPEG", exif=exif)
    return buf.getvalue()


def _thumbnail_arrives(store, sha: str, data: bytes) -> None:
    """What the sync does when a pulled row names a photo: the thumbnail lands in the photo table."""
    from commandroom.domain.models import Photo
    from commandroom.mutations.core import Changes
    from commandroom.services.photos import prepare

    prepared = prepare(data)
    with store.write() as session:
        session.add(Photo(sha256=sha, mime="image/jpeg", size=len(data), width=prepared.width,
                          height=prepared.height, thumbnail=prepared.thumbnail, has_full=False))
    store.emit(Changes({"photo": {sha}}))


class FakeSource:
    """Stands in for the sync engine's photo fetcher: hands out a file, counts the asks."""

    def __init__(self, path):
        self.path = path
        self.asked: list[str] = []

    async def full_image(self, sha):
        self.asked.append(sha)
        return self.path


@pytest.mark.asyncio
async def test_inbox_shows_the_thumbnail_when_it_arrives_and_opens_the_full_image(store, actor, qtbot, ui, zh,
                                                                                   tmp_path):
    from ui.common import photo_viewer
    from ui.inbox.detail import PhotoThumb
    from ui.inbox.view import InboxView

    data = _jpeg(size=(400, 200), orientation=6)  # a phone photo taken upright
    sha = "d" * 64
    rid = ui.make_report(store, actor, category="river_waste", text="河道漂浮垃圾", photos=[sha])
    view = InboxView(store, actor)
    qtbot.addWidget(view)
    view.resize(1400, 800)
    view.show()
    view.load()
    await ui.wait_until(lambda: view.model.row_of(rid) >= 0, what="report listed")
    view.table.selectRow(view.model.row_of(rid))
    await ui.wait_until(lambda: view.detail.detail is not None, what="detail shown")
    texts = [view.detail._photos_layout.itemAt(i).widget().text()
             for i in range(view.detail._photos_layout.count())]
    assert texts == ["另有 1 张照片尚未下载"]

    _thumbnail_arrives(store, sha, data)
    await ui.wait_until(lambda: view.detail.findChildren(PhotoThumb), what="thumbnail shown")
    [thumb] = view.detail.findChildren(PhotoThumb)
    assert thumb.pixmap().height() > thumb.pixmap().width()  # upright, as taken
    assert thumb.toolTip() == "双击查看原图"

    full = tmp_path / "full.jpg"
    full.write_bytes(data)
    source = FakeSource(full)
    photo_viewer.set_photo_source(source)
    try:
        QTest.mouseDClick(thumb, Qt.MouseButton.LeftButton)
        await ui.wait_until(lambda: [w for w in qtbot_dialogs() if w.isVisible()], what="full image opened")
        [dialog] = [w for w in qtbot_dialogs() if w.isVisible()]
        pix = dialog.image.pixmap()
        assert pix.height() > pix.width() and source.asked == [sha]
        dialog.reject()
        await view.detail.photo_task
    finally:
        photo_viewer.set_photo_source(None)


def qtbot_dialogs():
    from PySide6.QtWidgets import QApplication

    from ui.common.photo_viewer import PhotoDialog

    return [w for w in QApplication.topLevelWidgets() if isinstance(w, PhotoDialog)]


@pytest.mark.asyncio
async def test_incident_detail_tiles_turn_into_thumbnails_and_say_when_offline(store, actor, qtbot, ui, zh):
    from ui.common import photo_viewer
    from ui.incidents.detail import IncidentDetailPanel
    from ui.incidents.detail_models import PhotoHashRole

    sha_report, sha_after = "e" * 64, "f" * 64
    rid = ui.make_report(store, actor, photos=[sha_report])
    incident_id = ui.accept_report(store, actor, rid)
    store.perform(actor, "incident.close", incident_id, {"note": "已清运", "photos_after": [sha_after]})
    panel = IncidentDetailPanel(store, actor)
    qtbot.addWidget(panel)
    panel.resize(700, 900)
    panel.show()
    panel.load(incident_id)
    await ui.wait_until(lambda: panel.detail is not None, what="detail loaded")
    model = panel.photo_model
    assert model.rowCount() == 2
    assert [model.data(model.index(i, 0)) for i in range(2)] == ["报告", "处置后"]  # the report photo once
    assert model.data(model.index(1, 0), Qt.ItemDataRole.ToolTipRole) == "尚未下载，下次同步时送达"
    grey = model.data(model.index(1, 0), Qt.ItemDataRole.DecorationRole).pixmap(96, 72).toImage()

    _thumbnail_arrives(store, sha_after, _jpeg(colour=(200, 30, 30)))
    await ui.wait_until(lambda: panel.detail.photos[1].thumbnail is not None, what="panel reloaded")
    icon = model.data(model.index(1, 0), Qt.ItemDataRole.DecorationRole).pixmap(96, 72).toImage()
    assert icon != grey and QImage(icon).pixelColor(48, 36).red() > 150  # the red photo, not the grey tile
    assert model.data(model.index(1, 0), Qt.ItemDataRole.ToolTipRole) == "双击查看原图"

    # no server connection: the officer is told why the full image cannot come
    photo_viewer.set_photo_source(None)
    panel.open_photo(model.index(1, 0))
    from PySide6.QtWidgets import QApplication, QMessageBox

    def offline_boxes() -> list[QMessageBox]:  # (a box another test left open is not this one)
        return [w for w in QApplication.topLevelWidgets()
                if isinstance(w, QMessageBox) and w.isVisible() and "未连接县服务器" in w.text()]

    await ui.wait_until(offline_boxes, what="the message that the server is not connected")
    [box] = offline_boxes()
    assert model.data(model.index(1, 0), PhotoHashRole) == sha_after
    box.accept()
    await panel.photo_task
