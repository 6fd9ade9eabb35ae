"""Guard against a PySide6 reference-count bug that crashes long-running CPython < 3.12 processes.

Measured here with PySide6 6.12.0 on CPython 3.11.7: every call of a ``void`` method
(``QObject.setObjectName``, ``QLabel.setText``, ``killTimer``…) drops one reference to
``None`` and every ``Signal.emit()`` one to ``True``. CPython 3.12+ makes these singletons
immortal (PEP 683), so the bug is invisible there; on 3.11 their count reaches zero after a
few tens of thousands of calls and the process aborts with ``Fatal Python error:
none_dealloc`` (or ``bool_dealloc``) — within minutes for a table of a million rows, and
for sure on a wall screen that runs for weeks. qasync's own timers hit it on every loop turn.

:func:`install` checks for the bug with a probe and, only if it is there, raises the
reference counts of ``None``, ``True`` and ``False`` by 2**40, which makes them as good as
immortal (they are never deallocated in a correct program anyway). It belongs at the very
start of the desktop (``ui/app.py``) and of the UI test session; until it is called there,
the incident screens call it themselves. Idempotent.
"""

from __future__ import annotations

import ctypes
import sys

_BUMP = 1 << 40
_installed = False


def bug_present() -> bool:
    """Whether a PySide6 ``void`` call loses a reference to ``None`` in this process."""
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(8):
        probe.setObjectName("probe")
    return sys.getrefcount(None) < before


def install() -> bool:
    """Make None/True/False effectively immortal if (and only if) the bug is present; True if applied."""
    global _installed
    if _installed or sys.version_info >= (3, 12):
        return _installed
    if not bug_present():
        return False
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += _BUMP
    _installed = True
    return True
