"""Light and dark themes: Qt's color scheme hint, the Fusion style, an explicit palette and a small QSS.

``QStyleHints.setColorScheme`` tells Qt (and platform themes that listen) which scheme we
want, as Picard does; because the offscreen and some X11 platforms ignore the hint, the
palette is also set explicitly so both themes look the same everywhere.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from commandroom.shipped import RESOURCES_DIR

STYLES = RESOURCES_DIR / "styles"

TOKENS = {
    "light": {
        "nav_bg": "#1f3a5f", "nav_fg": "#e8eef6", "nav_sel_bg": "#2d5283", "nav_sel_fg": "#ffffff",
        "nav_hover": "#284a75", "accent": "#f0a020",
        "urgent_bg": "#fde2e1", "urgent_border": "#d9534f", "info_bg": "#e3f0fb", "info_border": "#5b9bd5",
        "banner_fg": "#222222", "ok_fg": "#1e7b34", "bad_fg": "#c0392b", "warn_fg": "#b9770e",
        "panel_bg": "#f5f7fa", "panel_border": "#d0d7e2", "muted_fg": "#7a8594",
        "sel_bg": "#cfe2f7", "sel_fg": "#111111",
    },
    "dark": {
        "nav_bg": "#14202e", "nav_fg": "#c9d4e2", "nav_sel_bg": "#24364d", "nav_sel_fg": "#ffffff",
        "nav_hover": "#1c2b3d", "accent": "#f0a020",
        "urgent_bg": "#5a1f1f", "urgent_border": "#e06666", "info_bg": "#1d3550", "info_border": "#5b9bd5",
        "banner_fg": "#f2f2f2", "ok_fg": "#5fd17a", "bad_fg": "#ff7b6b", "warn_fg": "#f5c04a",
        "panel_bg": "#2a2f36", "panel_border": "#434b56", "muted_fg": "#98a3b3",
        "sel_bg": "#2f5a8a", "sel_fg": "#ffffff",
    },
}


def _dark_palette() -> QPalette:
    p = QPalette()
    window, base, text = QColor("#23272e"), QColor("#1b1e23"), QColor("#e6e6e6")
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, QColor("#262b32"))
    p.setColor(QPalette.ColorRole.ToolTipBase, QColor("#2e343c"))
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#8a93a0"))
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, QColor("#2e343c"))
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.BrightText, QColor("#ff6b6b"))
    p.setColor(QPalette.ColorRole.Link, QColor("#6cb4ff"))
    p.setColor(QPalette.ColorRole.Highlight, QColor("#2f5a8a"))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6b7380"))
    return p


def _light_palette() -> QPalette:
    p = QPalette()
    p.setColor(QPalette.ColorRole.Window, QColor("#eef1f5"))
    p.setColor(QPalette.ColorRole.WindowText, QColor("#1d232b"))
    p.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.AlternateBase, QColor("#f4f6f9"))
    p.setColor(QPalette.ColorRole.Text, QColor("#1d232b"))
    p.setColor(QPalette.ColorRole.Button, QColor("#f7f8fa"))
    p.setColor(QPalette.ColorRole.ButtonText, QColor("#1d232b"))
    p.setColor(QPalette.ColorRole.Highlight, QColor("#2d6cc0"))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.ToolTipBase, QColor("#ffffdc"))
    p.setColor(QPalette.ColorRole.ToolTipText, QColor("#1d232b"))
    return p


def style_sheet(theme: str) -> str:
    """The app's QSS with the theme's colour tokens filled in."""
    tokens = TOKENS.get(theme, TOKENS["light"])
    text = (STYLES / "app.qss").read_text(encoding="utf-8")
    for key, value in tokens.items():
        text = text.replace(f"@{key}@", value)
    return text


def apply_theme(app: QApplication, theme: str = "light") -> str:
    """Apply ``light`` or ``dark`` to the whole application; returns the theme applied."""
    theme = theme if theme in TOKENS else "light"
    app.setStyle("Fusion")
    hints = QGuiApplication.styleHints()
    scheme = Qt.ColorScheme.Dark if theme == "dark" else Qt.ColorScheme.Light
    if hasattr(hints, "setColorScheme"):
        hints.setColorScheme(scheme)
    app.setPalette(_dark_palette() if theme == "dark" else _light_palette())
    app.setStyleSheet(style_sheet(theme))
    app.setProperty("commandroom_theme", theme)
    return theme


def current_theme() -> str:
    app = QApplication.instance()
    value = app.property("commandroom_theme") if app is not None else None
    return value or "light"


def color(token: str) -> str:
    """A colour token of the current theme (for painting in delegates and models)."""
    return TOKENS.get(current_theme(), TOKENS["light"]).get(token, "#888888")


# ----------------------------------------------------------------------------- icons

_FONT: dict[str, object] = {}


def _font_awesome() -> tuple[str, dict[str, str]] | None:
    """Family and charmap of Font Awesome 5 Solid, read from the qtawesome package without importing it.

    Importing qtawesome pulls in qtpy and every Qt module it wraps (≈0.8 s at start-up); the font
    file and its charmap are all we need, and they ship inside the package (no network).
    """
    if "fa" in _FONT:
        return _FONT["fa"]  # type: ignore[return-value]
    import importlib.util
    import json

    from PySide6.QtGui import QFontDatabase

    result = None
    spec = importlib.util.find_spec("qtawesome")
    if spec is not None and spec.submodule_search_locations:
        fonts = Path(next(iter(spec.submodule_search_locations))) / "fonts"
        ttf = next(iter(sorted(fonts.glob("fontawesome5-solid-webfont-*.ttf"))), None)
        charmap = next(iter(sorted(fonts.glob("fontawesome5-solid-webfont-charmap-*.json"))), None)
        if ttf is not None and charmap is not None:
            font_id = QFontDatabase.addApplicationFont(str(ttf))
            families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
            if families:
                codes = json.loads(charmap.read_text(encoding="utf-8"))
                result = (families[0], {k: chr(int(v, 16)) for k, v in codes.items()})
    _FONT["fa"] = result
    return result


def icon(name: str, color: str | None = None, size: int = 64) -> object:
    """A Font Awesome 5 Solid icon (``"fa5s.inbox"`` or ``"inbox"``) painted in ``color``.

    Returns an empty QIcon when the font is unavailable: icons are decoration.
    """
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QFont, QIcon, QPainter, QPixmap

    key = (name, color or current_theme(), size)  # uncoloured icons follow the theme's text colour
    cache = _FONT.setdefault("icons", {})
    if key in cache:  # type: ignore[operator]
        return cache[key]  # type: ignore[index]
    fa = _font_awesome()
    glyph = fa[1].get(name.split(".", 1)[-1]) if fa else None
    if fa is None or glyph is None:
        result = QIcon()
    else:
        pix = QPixmap(size, size)
        pix.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pix)
        font = QFont(fa[0])
        font.setPixelSize(int(size * 0.8))
        painter.setFont(font)
        app = QApplication.instance()
        fallback = app.palette().color(QPalette.ColorRole.WindowText) if app else QColor("#333333")
        painter.setPen(QColor(color) if color else fallback)
        painter.drawText(QRect(0, 0, size, size), int(Qt.AlignmentFlag.AlignCenter), glyph)
        painter.end()
        result = QIcon(pix)
    cache[key] = result  # type: ignore[index]
    return result


ICON_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"


def app_icon() -> object:
    """The application's icon (window, tray, taskbar) from ``resources/icons`` (``scripts/make-icons.py``)."""
    from PySide6.QtGui import QIcon

    cached = _FONT.get("app_icon")
    if cached is not None:
        return cached
    result = QIcon()
    for png in sorted(ICON_DIR.glob("commandroom-*.png")):
        result.addFile(str(png))
    _FONT["app_icon"] = result
    return result

