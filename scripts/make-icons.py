"""Render the application icon: ``python scripts/make-icons.py`` (Qt's SVG renderer, Pillow for the .ico).

resources/icons/commandroom.svg → commandroom-{16,24,32,48,64,128,256}.png (window, tray, taskbar,
the Linux .desktop entry) and commandroom.ico (the Windows build's exe icon). Commit the results.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256)


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / "commandroom.svg"))
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        image.save(str(ICONS / f"commandroom-{size}.png"))
    big = Image.open(ICONS / "commandroom-256.png")
    big.save(ICONS / "commandroom.ico", sizes=[(s, s) for s in SIZES])
    print(f"wrote {len(SIZES)} PNGs and commandroom.ico to {ICONS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
