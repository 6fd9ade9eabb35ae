"""Opening a photo's full image: from this desk's files, else fetched from the county server.

The main window registers the sync engine's :class:`~commandroom.sync.photos.PhotoSync` with
:func:`set_photo_source`; the inbox and the incident detail call :func:`show_photo` on a double-click.
The image is drawn with its EXIF orientation applied (a phone photo taken upright shows upright).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QImageReader, QPixmap
from PySide6.QtWidgets import QDialog, QLabel, QMessageBox, QScrollArea, QVBoxLayout, QWidget

from ui.async_runner import exec_dialog

_SOURCE: dict[str, Any] = {}


def set_photo_source(source: Any) -> None:
    """Where full images come from (``engine.photos``); None: this desk has no server connection."""
    _SOURCE["photos"] = source


def photo_source() -> Any:
    return _SOURCE.get("photos")


def load_oriented(path: Path) -> QPixmap:
    """The image at ``path`` as shown: EXIF orientation applied."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    return QPixmap.fromImage(reader.read())


class PhotoDialog(QDialog):
    """One full image, scaled to fit the screen."""

    def __init__(self, pixmap: QPixmap, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        area = QScrollArea()
        area.setWidgetResizable(True)
        self.image = QLabel()
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setPixmap(pixmap.scaled(1000, 720, Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation))
        area.setWidget(self.image)
        layout.addWidget(area)
        self.resize(min(1040, pixmap.width() + 40), min(780, pixmap.height() + 60))


async def show_photo(parent: QWidget | None, sha256: str, title: str = "") -> bool:
    """Open the full image of ``sha256``; tells the officer why when it cannot be had. True when shown."""
    source = photo_source()
    message = ""
    path: Path | None = None
    if source is None:
        message = QCoreApplication.translate(
            "Photos", "This workstation is not connected to the county server; the full image cannot be fetched.")
    else:
        try:
            path = await source.full_image(sha256)
        except Exception as exc:  # noqa: BLE001 - PhotoUnavailable, or the line dropped mid-download
            message = getattr(exc, "message", "") or QCoreApplication.translate(
                "Photos", "The full image could not be fetched; try again later.")
    if path is not None:
        pixmap = load_oriented(path)
        if not pixmap.isNull():
            dialog = PhotoDialog(pixmap, title or QCoreApplication.translate("Photos", "Photo"), parent)
            await exec_dialog(dialog)
            dialog.deleteLater()
            return True
        message = QCoreApplication.translate("Photos", "The photo file cannot be shown (it is not an image).")
    box = QMessageBox(QMessageBox.Icon.Information, QCoreApplication.translate("Photos", "Photo"), message,
                      QMessageBox.StandardButton.Ok, parent)
    await exec_dialog(box)
    box.deleteLater()
    return False
