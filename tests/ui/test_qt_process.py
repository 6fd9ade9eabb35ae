"""The process set-up shared by the desktop and the wall: root sandbox flag, Qt caches, Qt messages in the log."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ui.qt_process import NO_SANDBOX, chromium_flags_for

ROOT = Path(__file__).resolve().parents[2]


def test_no_sandbox_is_added_only_for_root_and_only_once():
    assert chromium_flags_for("", root=True) == NO_SANDBOX
    assert chromium_flags_for("--disable-gpu", root=True) == f"--disable-gpu {NO_SANDBOX}"
    assert chromium_flags_for(f"--disable-gpu {NO_SANDBOX}", root=True) == f"--disable-gpu {NO_SANDBOX}"
    assert chromium_flags_for("--disable-gpu", root=False) == "--disable-gpu"


CHILD = """
import logging, os, sys
logging.basicConfig(level=logging.INFO, stream=sys.stderr)
from commandroom.config import load_settings
from ui.qt_process import prepare_process
settings = load_settings()
prepare_process(settings)
prepare_process(settings)  # the wall opened from the desktop: no second warning
from PySide6.QtCore import QStandardPaths, qWarning
from PySide6.QtWidgets import QApplication
app = QApplication([])
app.setOrganizationName("Changshan"); app.setApplicationName("CommandRoom")
from ui.qt_process import install_fault_logging
print("FAULTS", install_fault_logging(settings.log_dir, "probe"))
qWarning("a warning from Qt itself")
print("FLAGS", os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", ""))
print("CACHE", QStandardPaths.writableLocation(QStandardPaths.StandardLocation.CacheLocation))
print("GENERIC", QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericCacheLocation))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG cache folders are Linux's")
def test_qt_caches_stay_under_commandroom_home_and_root_gets_no_sandbox_with_one_warning(tmp_path):
    env = {key: value for key, value in os.environ.items()
           if key not in ("QTWEBENGINE_CHROMIUM_FLAGS", "QTWEBENGINE_DISABLE_SANDBOX", "XDG_CACHE_HOME")}
    env.update(QT_QPA_PLATFORM="offscreen", COMMANDROOM_HOME=str(tmp_path / "home"), HOME=str(tmp_path / "user"),
               PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if " " in line)
    home = str(tmp_path / "home")
    assert out["CACHE"].startswith(home), out
    assert out["GENERIC"].startswith(home), out
    faults = Path(out["FAULTS"])
    assert faults.parent == tmp_path / "home" / "logs" and faults.exists()
    assert "a warning from Qt itself" in proc.stderr and "WARNING:qt:" in proc.stderr
    if os.geteuid() == 0:
        assert out["FLAGS"] == NO_SANDBOX
        assert proc.stderr.count("running as root") == 1
    else:
        assert NO_SANDBOX not in out["FLAGS"]
