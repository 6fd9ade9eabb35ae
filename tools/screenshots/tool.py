"""The command line of the ``python -m tools.screenshots.<area>`` scripts that regenerate docs/screenshots."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path


def run_screenshots(shoot: Callable[[Path, int], Awaitable[list[Path]]], *, description: str, default_days: int,
                    argv: list[str] | None = None) -> int:
    """Parse ``--out``/``--days``/``--lang``, start an offscreen app in that language (Chinese by default) and
    run ``shoot(out, days)`` once.

    One QApplication.exec() for the whole run, as in the desktop (see ui/app.py).
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--days", type=int, default=default_days, help="days of demo history to seed")
    parser.add_argument("--lang", default="zh_CN", help="zh_CN (default) or en; English shots are named en_*.png")
    args = parser.parse_args(argv)
    import tools.screenshots

    tools.screenshots.LANG = args.lang
    tools.screenshots.private_home()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PySide6.QtWidgets import QApplication

    from ui.i18n import install_translators
    from ui.incidents import refcounts
    from ui.theme import apply_theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)  # closing the pages at the end must not stop the loop
    refcounts.install()
    install_translators(app, args.lang)
    apply_theme(app, "light")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        saved = loop.run_until_complete(shoot(out, args.days))
    for path in saved:
        print(path)
    return 0
