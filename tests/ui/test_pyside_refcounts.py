"""The installed PySide6 must not lose references to None/True (6.12.0 on CPython 3.11 does).

A process that loses one reference per Qt call aborts with ``none_dealloc`` after a few
ten thousand calls: a wall screen that runs for weeks would die within minutes.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_qt_calls_and_signals_keep_none_and_true_alive():
    script = textwrap.dedent(
        """
        import sys
        from PySide6.QtCore import QObject, Signal
        from PySide6.QtWidgets import QApplication, QLabel
        app = QApplication([])
        label = QLabel()
        class Emitter(QObject):
            fired = Signal()
        emitter = Emitter()
        none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
        for _ in range(50_000):
            label.setText("值班")
            emitter.fired.emit()
        print(sys.getrefcount(None) - none_before, sys.getrefcount(True) - true_before)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, f"the Qt process died: {out.stderr[-400:]}"
    none_delta, true_delta = (int(x) for x in out.stdout.split())
    assert abs(none_delta) < 1000 and abs(true_delta) < 1000, (none_delta, true_delta)
