"""What the desktop and the wall do to their process before the QApplication exists, and right after.

* Run as root (the README's Debian advice), QtWebEngine's Chromium refuses to start without
  ``--no-sandbox`` and takes the whole application down when the map or the wall opens.
  :func:`prepare_process` adds the flag itself (``QTWEBENGINE_CHROMIUM_FLAGS``) and logs a
  warning once.
* Qt writes its shader and pipeline caches (and QtWebEngine anything it keeps) under the
  user's cache folder (``~/.cache/…``). With ``COMMANDROOM_HOME`` set, everything belongs under
  that folder: the cache goes to ``<data dir>/qt-cache`` (``XDG_CACHE_HOME`` for this process
  and its QtWebEngine helpers; only that variable, so fonts and desktop data stay the user's).
* :func:`install_fault_logging`: ``faulthandler`` dumps a hard crash's Python stacks into
  ``<name>-faults.log`` next to the log, and Qt's own messages (warnings from Qt, QtWebEngine)
  go into the log instead of a console nobody reads.

Nothing here imports QtWebEngine (cold start): the attribute set before the application is
Qt Core's.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
qt_log = logging.getLogger("qt")

CHROMIUM_FLAGS_ENV = "QTWEBENGINE_CHROMIUM_FLAGS"
NO_SANDBOX = "--no-sandbox"
QT_CACHE_FOLDER = "qt-cache"
_warned_root = False
_fault_file: Any = None  # kept open for faulthandler for the life of the process


def is_root() -> bool:
    geteuid = getattr(os, "geteuid", None)
    return bool(geteuid is not None and geteuid() == 0)


def chromium_flags_for(flags: str, root: bool) -> str:
    """The Chromium flags QtWebEngine needs in this process: ``--no-sandbox`` added when running as root."""
    if not root or NO_SANDBOX in flags.split() or os.environ.get("QTWEBENGINE_DISABLE_SANDBOX") == "1":
        return flags
    return f"{flags} {NO_SANDBOX}".strip()


def qt_cache_dir(settings: Any) -> Path | None:
    """Where Qt's caches go: under the data folder when ``COMMANDROOM_HOME`` is set, else Qt's own place."""
    if not os.environ.get("COMMANDROOM_HOME"):
        return None
    return Path(settings.data_dir) / QT_CACHE_FOLDER


def prepare_process(settings: Any) -> None:
    """Call before the QApplication is created (the desktop and the wall)."""
    global _warned_root
    flags = os.environ.get(CHROMIUM_FLAGS_ENV, "")
    wanted = chromium_flags_for(flags, is_root())
    if wanted != flags:
        os.environ[CHROMIUM_FLAGS_ENV] = wanted
        if not _warned_root:
            _warned_root = True
            log.warning("running as root: the map's web engine runs without its sandbox (%s). "
                        "Run CommandRoom as an ordinary user to keep it.", NO_SANDBOX)
    cache = qt_cache_dir(settings)
    if cache is not None and sys.platform.startswith("linux"):
        cache.mkdir(parents=True, exist_ok=True)
        os.environ["XDG_CACHE_HOME"] = str(cache)
    from PySide6.QtCore import QCoreApplication, Qt

    if QCoreApplication.instance() is None:
        # QtWebEngine (map, wall) wants shared GL contexts, set before the application exists.
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
        if cache is not None and not sys.platform.startswith("linux"):
            # no per-process cache folder outside Linux: keep Qt's shader cache off the user's folders
            QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_DisableShaderDiskCache)


_QT_LEVELS = {"QtDebugMsg": logging.DEBUG, "QtInfoMsg": logging.INFO, "QtWarningMsg": logging.WARNING,
              "QtCriticalMsg": logging.ERROR, "QtFatalMsg": logging.CRITICAL, "QtSystemMsg": logging.ERROR}


def _qt_message(kind: Any, context: Any, message: str) -> None:
    name = getattr(kind, "name", str(kind)).rsplit(".", 1)[-1]
    where = getattr(context, "category", None)
    qt_log.log(_QT_LEVELS.get(name, logging.WARNING), "%s%s", f"[{where}] " if where and where != "default" else "",
               message)


def install_fault_logging(log_dir: Path | None, name: str) -> Path | None:
    """faulthandler into ``<log_dir>/<name>-faults.log`` and Qt's messages into the log; returns the faults file."""
    global _fault_file
    from PySide6.QtCore import qInstallMessageHandler

    qInstallMessageHandler(_qt_message)
    if log_dir is None:
        return None
    path = Path(log_dir) / f"{name}-faults.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if _fault_file is not None:
            _fault_file.close()
        _fault_file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - faulthandler needs it open for life
    except OSError:
        log.warning("cannot open %s for crash stacks", path)
        return None
    faulthandler.enable(_fault_file, all_threads=True)
    log.info("a hard crash writes its stacks to %s", path)
    return path
