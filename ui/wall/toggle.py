"""The desktop's "Wall screen" toggle: opens a :class:`~ui.wall.window.WallWindow` on the same store.

:func:`install_wall_toggle` adds a checkable action (Ctrl+Shift+W) and a button for it in the
status bar. Checked: the wall opens full screen on another screen if there is one (else on
the desktop's screen), showing the desktop's sync status. Unchecked, or the wall closed: the
wall is gone and the action unchecked again.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QToolButton

log = logging.getLogger(__name__)

SHORTCUT = "Ctrl+Shift+W"
PROFILE = "desktop"


def _config(sound: bool) -> Any:
    from ui.wall.config import WallConfig, load_wall_config

    try:
        from commandroom.config import load_settings

        settings = load_settings()
        return load_wall_config(settings.config_dir, PROFILE, sound=sound)
    except Exception:  # a broken settings file must not stop the wall from opening
        log.warning("wall: settings unreadable; using the default wall config", exc_info=True)
        return WallConfig(sound=sound)


class WallToggle(QObject):
    """Owns the desktop's wall window (at most one)."""

    def __init__(self, main_window: Any) -> None:
        super().__init__(main_window)
        self.main_window = main_window
        self.wall: Any = None
        self.action = QAction(QCoreApplication.translate("WallToggle", "Wall screen"), main_window)
        self.action.setCheckable(True)
        self.action.setShortcut(QKeySequence(SHORTCUT))
        self.action.setToolTip(QCoreApplication.translate(
            "WallToggle", "Open the wall screen (full screen, on another screen if there is one)"))
        self.action.toggled.connect(self._on_toggled)
        main_window.addAction(self.action)
        main_window.installEventFilter(self)  # the desktop closing closes its wall too

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        if watched is self.main_window and event.type() == QEvent.Type.Close and self.wall is not None:
            self.close()
        return False

    def _on_toggled(self, checked: bool) -> None:
        if checked:
            self.open()
        else:
            self.close()

    def open(self) -> Any:
        """Open the wall (or return the open one)."""
        if self.wall is not None:
            return self.wall
        from ui.wall.banner import NO_ENGINE
        from ui.wall.window import WallWindow

        mw = self.main_window
        notifier = getattr(mw, "notifier", None)
        sound = bool(getattr(notifier, "sound_enabled", True))
        config = _config(sound)
        scope = mw._township_scope() if hasattr(mw, "_township_scope") else None
        if config.townships is None and scope:
            # a township desk's wall shows (and names) its township unless the wall config says otherwise
            from dataclasses import replace

            config = replace(config, townships=tuple(scope))
        wall = WallWindow(mw.store, config, sound_dir=getattr(notifier, "sound_dir", None))
        signal = getattr(mw, "sync_status_did_change", None)
        engine = getattr(mw, "engine", None)
        if signal is not None:
            signal.connect(wall.set_sync_status)
        wall.set_sync_status(engine.status if engine is not None and hasattr(engine, "status") else NO_ENGINE)
        wall.closed.connect(self._on_wall_closed)
        self.wall = wall
        wall.show_on_screen(self._screen_index())
        if not self.action.isChecked():
            self.action.setChecked(True)
        return wall

    def close(self) -> None:
        wall, self.wall = self.wall, None
        if wall is not None:
            self._disconnect(wall)
            wall.close()
            wall.deleteLater()
        if self.action.isChecked():
            self.action.blockSignals(True)
            self.action.setChecked(False)
            self.action.blockSignals(False)

    def _on_wall_closed(self) -> None:
        if self.wall is not None:
            self._disconnect(self.wall)
            self.wall.deleteLater()
            self.wall = None
        if self.action.isChecked():
            self.action.blockSignals(True)
            self.action.setChecked(False)
            self.action.blockSignals(False)

    def _disconnect(self, wall: Any) -> None:
        signal = getattr(self.main_window, "sync_status_did_change", None)
        if signal is not None:
            with contextlib.suppress(RuntimeError, TypeError):
                signal.disconnect(wall.set_sync_status)

    def _screen_index(self) -> int:
        screens = QGuiApplication.screens()
        here = self.main_window.screen()
        for i, screen in enumerate(screens):
            if screen is not here:
                return i
        return 0


def install_wall_toggle(main_window: Any) -> WallToggle:
    """Add the "Wall screen" action to the desktop's main window (and a button in its status bar)."""
    toggle = WallToggle(main_window)
    status_bar = getattr(main_window, "status_bar", None)
    if status_bar is not None:
        button = QToolButton()
        button.setObjectName("WallToggleButton")
        button.setDefaultAction(toggle.action)
        button.setAutoRaise(True)
        status_bar.addPermanentWidget(button)
        toggle.button = button
    return toggle
