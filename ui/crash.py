"""Crash reports: what an unhandled exception leaves behind for whoever supports the command room.

:func:`write_crash_report` writes a plain-text file next to the log (time, version, platform,
the traceback and the last lines of the log), so a duty officer can send one file.
:func:`show_crash_dialog` tells the user, with the report's path and a button that copies
the report to the clipboard. ``ui.app.install_excepthook`` calls both; the dialog
function can be replaced (tests pass their own, so no modal box ever appears).

Writing the report needs no Qt, so it also works when the failure happened before or
after the QApplication existed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import sys
import traceback
from collections import deque
from pathlib import Path
from types import TracebackType
from typing import Any

LOG_TAIL_LINES = 200
KEEP_REPORTS = 20
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def _version() -> str:
    from commandroom import __version__

    return __version__


def log_tail(log_path: Path | None, lines: int = LOG_TAIL_LINES) -> list[str]:
    """The last ``lines`` lines of the log file (empty when there is none or it cannot be read)."""
    if log_path is None:
        return []
    try:
        with open(log_path, encoding="utf-8", errors="replace") as f:
            return [line.rstrip("\n") for line in deque(f, maxlen=lines)]
    except OSError:
        return []


def crash_report_text(exc_info: ExcInfo, log_path: Path | None, *, now: dt.datetime | None = None) -> str:
    """The report's text: header, traceback, then the log's tail."""
    now = now or dt.datetime.now().astimezone()
    frozen = "frozen build" if getattr(sys, "frozen", False) else "source"
    try:
        from PySide6 import __version__ as qt_version
    except ImportError:
        qt_version = "-"
    header = [
        "CommandRoom crash report",
        f"time:     {now.isoformat(timespec='seconds')}",
        f"version:  {_version()} ({frozen})",
        f"platform: {platform.platform()} ({platform.machine()})",
        f"python:   {sys.version.split()[0]}; PySide6 {qt_version}",
        f"command:  {' '.join(sys.argv)}",
        f"log:      {log_path or '-'}",
        "",
        "Traceback:",
        "".join(traceback.format_exception(*exc_info)).rstrip("\n"),
        "",
    ]
    tail = log_tail(log_path)
    header.append(f"Last {len(tail)} lines of the log:" if tail else "The log could not be read.")
    return "\n".join(header + tail) + "\n"


def crash_dir(log_path: Path | None) -> Path:
    """Where reports go: next to the log; without one, the platformdirs log dir."""
    if log_path is not None:
        return Path(log_path).parent
    from commandroom.config import load_settings

    return load_settings().log_dir


def write_crash_report(exc_info: ExcInfo, log_path: Path | None) -> Path:
    """Write a crash report into the log dir and return its path (``commandroom-crash-YYYYmmdd-HHMMSS-<pid>.txt``).

    Keeps the newest :data:`KEEP_REPORTS` reports, so a loop of failures cannot fill the disk.
    """
    now = dt.datetime.now().astimezone()
    folder = crash_dir(log_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"commandroom-crash-{now:%Y%m%d-%H%M%S}-{os.getpid()}.txt"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"commandroom-crash-{now:%Y%m%d-%H%M%S}-{os.getpid()}-{n}.txt"
    path.write_text(crash_report_text(exc_info, log_path, now=now), encoding="utf-8")
    for old in sorted(folder.glob("commandroom-crash-*.txt"))[:-KEEP_REPORTS]:
        with contextlib.suppress(OSError):
            old.unlink()
    return path


def show_crash_dialog(exc_info: ExcInfo, report: Path | None, log_path: Path | None,
                      parent: Any = None) -> Any:
    """Open (non-modally) the "unexpected error" box; returns it. Buttons: copy the report, OK."""
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QMessageBox

    text = QCoreApplication.translate("App", "Something went wrong. Your data is safe; the error was written "
                                             "to the log{where}.").format(where=f" ({log_path})" if log_path else "")
    if report is not None:
        text += "\n\n" + QCoreApplication.translate(
            "CrashDialog", "A crash report was saved to:\n{path}\nPlease send this file to your support contact."
        ).format(path=report)
    box = QMessageBox(QMessageBox.Icon.Critical, QCoreApplication.translate("App", "Unexpected error"), text,
                      QMessageBox.StandardButton.Ok, parent)
    box.setDetailedText("".join(traceback.format_exception(*exc_info)))
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    copy = box.addButton(QCoreApplication.translate("CrashDialog", "Copy report"),
                         QMessageBox.ButtonRole.ActionRole)

    def copy_report() -> None:
        body = ""
        if report is not None:
            try:
                body = Path(report).read_text(encoding="utf-8")
            except OSError:
                body = ""
        QGuiApplication.clipboard().setText(body or box.detailedText())

    # An ActionRole button would close the box; disconnect that so the user can copy, then read on.
    copy.clicked.disconnect()
    copy.clicked.connect(copy_report)
    box.open()
    return box
