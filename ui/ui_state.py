"""What the desktop remembers between runs about its own look: one mechanism, one file.

A ``QSettings`` INI file, ``ui-state.ini`` in the config folder (under ``COMMANDROOM_HOME`` when
set), holds window geometry, splitter positions, column widths per page and the last folders
chosen. It is not configuration (that is the TOML, see ``commandroom.config``): losing it only
brings the default layout back.

* :func:`remember_geometry` / :func:`remember_splitter` / :func:`remember_header` restore a
  widget's state now and save it whenever it changes (on close, on a moved splitter, on a
  resized or moved column), under a key naming the page (``incidents/splitter``);
* :func:`remember_table` remembers a table's columns and tells :func:`ui.common.row_model.fit_columns`
  to leave widths alone once they are the officer's (restored, or dragged on the header);
* :func:`value` / :func:`set_value` for small values (the briefing's last folder).
"""

from __future__ import annotations

import contextlib
import logging
import weakref
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QCoreApplication, QEvent, QObject, QSettings, QStandardPaths, QTimer

log = logging.getLogger(__name__)

FILE_NAME = "ui-state.ini"
_settings: QSettings | None = None
_path: Path | None = None


def state_file() -> Path:
    from commandroom.config import load_settings

    try:
        return load_settings().config_dir / FILE_NAME
    except Exception:  # noqa: BLE001 - a broken TOML must not stop the window from opening
        from commandroom.config import _dirs

        return _dirs()[0] / FILE_NAME


def settings() -> QSettings:
    """The one QSettings of the desktop's look (re-opened when COMMANDROOM_HOME moved: tests)."""
    global _settings, _path
    path = state_file()
    if _settings is None or path != _path:
        path.parent.mkdir(parents=True, exist_ok=True)
        _settings = QSettings(str(path), QSettings.Format.IniFormat)
        _path = path
    return _settings


def value(key: str, default: Any = None) -> Any:
    return settings().value(key, default)


def set_value(key: str, data: Any) -> None:
    s = settings()
    s.setValue(key, data)
    s.sync()


def documents_folder() -> Path:
    """The user's documents folder (where an officer looks for an exported file), else the home folder."""
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(found) if found else Path.home()


def _restore(key: str, apply: Any) -> bool:
    """Apply the state remembered under ``key``; True when there was one and it applied."""
    data = settings().value(key)
    if isinstance(data, QByteArray) and not data.isEmpty():
        try:
            return apply(data) is not False  # restoreState answers False for a state it cannot read
        except Exception:  # noqa: BLE001 - a stale state from an older layout is ignored
            log.info("ignored the remembered %s", key)
    return False


_pending: weakref.WeakSet[_Saver] = weakref.WeakSet()


def flush() -> None:
    """Save every change still waiting for its moment (the application is quitting, or a page is rebuilt):
    a table on a tab never shown gets no hide event to save on."""
    for saver in list(_pending):
        saver.save()


class _Saver(QObject):
    """Saves a widget's state a moment after it changed (a drag sends many signals) and when it closes."""

    def __init__(self, owner: QObject, key: str, read: Any) -> None:
        super().__init__(owner)
        self.key = key
        self.read = read
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(400)
        self.timer.timeout.connect(self.save)
        owner.installEventFilter(self)
        _hook_quit()

    def later(self, *_: Any) -> None:
        self.timer.start()
        _pending.add(self)

    def save(self) -> None:
        _pending.discard(self)
        with contextlib.suppress(RuntimeError):  # the widget is already gone
            self.timer.stop()
            state = self.read()
            if state is not None:  # None: nothing of the officer's to keep (yet)
                set_value(self.key, state)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # Qt override
        if event.type() in (QEvent.Type.Close, QEvent.Type.Hide):
            self.save()
        elif event.type() in (QEvent.Type.Resize, QEvent.Type.Move):
            self.later()
        return False


_quit_hooked: list[bool] = []


def _hook_quit() -> None:
    app = QCoreApplication.instance()
    if app is not None and not _quit_hooked:
        _quit_hooked.append(True)
        app.aboutToQuit.connect(flush)


def remember_geometry(window: Any, key: str) -> None:
    """Restore ``window``'s size and place (``<key>/geometry``) and save them when they change."""
    full = f"{key}/geometry"
    _restore(full, window.restoreGeometry)
    _Saver(window, full, window.saveGeometry)


def remember_splitter(splitter: Any, key: str) -> bool:
    """Restore a splitter's positions (``<key>/splitter``) and save them when moved; True when restored."""
    full = f"{key}/splitter"
    restored = _restore(full, splitter.restoreState)
    saver = _Saver(splitter, full, splitter.saveState)
    splitter.splitterMoved.connect(saver.later)
    return restored


def remember_header(header: Any, key: str, *, read: Any = None) -> bool:
    """Restore a table header's column widths and order (``<key>/columns``) and save them when changed;
    True when restored (a page then leaves its default widths alone)."""
    full = f"{key}/columns"
    restored = _restore(full, header.restoreState)
    saver = _Saver(header, full, read or header.saveState)
    header.sectionResized.connect(saver.later)
    header.sectionMoved.connect(saver.later)
    return restored


KEEP_WIDTHS = "commandroom_keep_widths"
"""Header property: the column widths are the officer's (restored or dragged), fitting leaves them alone."""


class _HeaderTouch(QObject):
    """Marks a header's widths as the officer's when the mouse is released on it (a drag or a double-click)."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.MouseButtonRelease:
            header = self.parent()
            if header is not None:
                header.setProperty(KEEP_WIDTHS, True)
        return False


def remember_table(table: Any, key: str) -> bool:
    """Remember ``table``'s column widths and order under ``<key>/columns`` once the officer set them (dragged
    a column's edge or moved a column); until then the page fits its columns to what it shows and nothing is
    kept. Restored widths are the officer's: automatic fitting after a load leaves them alone."""
    header = table.horizontalHeader()

    def officers_state() -> Any:
        return header.saveState() if header.property(KEEP_WIDTHS) else None  # None: nothing to keep

    restored = remember_header(header, key, read=officers_state)
    header.setProperty(KEEP_WIDTHS, restored)
    header.viewport().installEventFilter(_HeaderTouch(header))
    return restored


def keeps_widths(table: Any) -> bool:
    return bool(table.horizontalHeader().property(KEEP_WIDTHS))
