"""The Makefile: `make demo` opens on the session's display; tests and benchmarks draw offscreen.

A window drawn offscreen is invisible on a real desktop: the user of `make demo` waits and sees
nothing. These run make itself with a stand-in ``commandroom`` that reports the environment it
was started with, so what is checked is what the real target would hand the desktop.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _stand_in(tmp_path: Path) -> Path:
    """A ``bin/`` whose ``commandroom`` and ``python`` print the Qt platform they were given."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("commandroom", "python"):
        script = bin_dir / name
        script.write_text('#!/bin/sh\necho "platform=${QT_QPA_PLATFORM-unset} '
                          'flags=${QTWEBENGINE_CHROMIUM_FLAGS-unset} args=$*"\n')
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return bin_dir


def _make(target: str, bin_dir: Path, **env_extra: str) -> str:
    env = {k: v for k, v in os.environ.items()
           if k not in ("QT_QPA_PLATFORM", "QTWEBENGINE_CHROMIUM_FLAGS", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    env.update(env_extra)
    # STAMP= skips the venv install; system-deps is the project's own script (a no-op when installed)
    done = subprocess.run(["make", "-s", "--no-print-directory", target, f"BIN={bin_dir}", "STAMP="],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_make_demo_uses_the_platform_of_the_session(tmp_path):
    bin_dir = _stand_in(tmp_path)
    out = _make("demo", bin_dir, DISPLAY=":0")
    assert "platform=unset" in out and "args=demo" in out, out  # Qt picks the session's (xcb/wayland)
    out = _make("demo", bin_dir, DISPLAY=":0", QT_QPA_PLATFORM="wayland")
    assert "platform=wayland" in out, out  # a platform the user chose is kept


def test_make_test_and_bench_draw_offscreen(tmp_path):
    bin_dir = _stand_in(tmp_path)
    listed = subprocess.run(["make", "-n", "--no-print-directory", "test", "bench", f"BIN={bin_dir}", "STAMP="],
                            cwd=ROOT, capture_output=True, text=True, timeout=60).stdout
    runs = [line for line in listed.splitlines() if "-m pytest" in line or "-m tests.perf" in line]
    assert runs, listed
    assert all("QT_QPA_PLATFORM=offscreen" in line for line in runs), runs
