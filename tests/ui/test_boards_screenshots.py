"""Screenshots of the boards, linked command, one-thing cases, list diff and assessment (docs/screenshots).

Runs only when asked: ``COMMANDROOM_SCREENSHOTS=1 pytest tests/ui/test_boards_screenshots.py``
(the same as ``python -m tools.screenshots.boards``; it seeds a 60-day demo county first).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "screenshots"

pytestmark = pytest.mark.skipif(not os.environ.get("COMMANDROOM_SCREENSHOTS"),
                                reason="set COMMANDROOM_SCREENSHOTS=1 to regenerate docs/screenshots")


@pytest.mark.asyncio
async def test_board_screenshots(qapp, zh):
    from PySide6.QtGui import QImage

    from tools.screenshots.boards import SIZE, shoot
    from ui.incidents import refcounts
    from ui.theme import apply_theme

    refcounts.install()
    apply_theme(qapp, "light")
    saved = await shoot(OUT, 60)
    names = {p.name for p in saved}
    assert {"boards.png", "boards_command.png", "cases.png", "reflist_diff.png", "assessment.png"} <= names
    for p in saved:
        img = QImage(str(p))
        assert (img.width(), img.height()) == SIZE, p
