"""The wall's dark, high-contrast look, sized from the window height.

Sizes are pixels at 1080 lines and multiplied by ``scale = height / 1080``, so a 4K wall
(2160 lines) shows everything twice as big and the same layout fills both. The smallest text
(chart ticks, notes) is 20 px at 1080 lines: about 1/54 of the screen height, readable from
5 m on a typical command-room screen.
"""

from __future__ import annotations

BG = "#0a1322"
PANEL = "#0f1a2c"
BORDER = "#223353"
TEXT = "#eef3fb"
MUTED = "#9fb1cc"
ACCENT = "#38bdf8"
GOOD = "#34d399"
WARN = "#fbbf24"
BAD = "#f87171"
URGENT_BG = "#3b0d12"
URGENT_BORDER = "#ef4444"
FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'

MIN_SCALE = 0.5
MAX_SCALE = 4.0


def scale_for(height: int) -> float:
    """The size factor for a window ``height`` pixels high (1.0 at 1080)."""
    return max(MIN_SCALE, min(MAX_SCALE, height / 1080.0))


def style_sheet(scale: float) -> str:
    """The wall window's style sheet at ``scale``."""

    def px(v: float) -> str:
        return f"{max(1, round(v * scale))}px"

    return f"""
QWidget#WallWindow, QWidget#WallContent {{ background: {BG}; }}
QLabel {{ color: {TEXT}; font-family: {FONT}; font-size: {px(22)}; }}
QStackedWidget#WallStack, QStackedWidget#WallStack > QWidget {{ background: {BG}; }}
QFrame#WallHeader {{ background: {BG}; border-bottom: {px(2)} solid {BORDER}; }}
QLabel#WallTitle {{ font-size: {px(36)}; font-weight: bold; color: {TEXT}; }}
QLabel#WallSubtitle {{ font-size: {px(28)}; color: {ACCENT}; font-weight: bold; }}
QLabel#WallClock {{ font-size: {px(46)}; font-weight: bold; color: {TEXT}; }}
QLabel#WallDate {{ font-size: {px(24)}; color: {MUTED}; }}
QLabel#WallDots {{ font-size: {px(22)}; color: {MUTED}; }}
QLabel#StaleBanner {{ background: #4a1d06; color: #fde68a; font-size: {px(30)}; font-weight: bold;
    border: {px(2)} solid {WARN}; border-radius: {px(6)}; padding: {px(6)} {px(16)}; }}
QLabel#StaleBanner[level="info"] {{ background: #10263f; color: #bfdbfe; border-color: {ACCENT}; }}
QLabel#ConfirmStrip {{ background: #1e293b; color: {TEXT}; font-size: {px(28)}; font-weight: bold;
    border: {px(2)} solid {ACCENT}; border-radius: {px(6)}; padding: {px(8)} {px(16)}; }}
QFrame#KpiTile {{ background: {PANEL}; border: {px(2)} solid {BORDER}; border-radius: {px(10)}; }}
QLabel#KpiTitle {{ font-size: {px(26)}; color: {MUTED}; }}
QLabel#KpiValue {{ font-size: {px(80)}; font-weight: bold; color: {TEXT}; }}
QLabel#KpiValue[tone="good"] {{ color: {GOOD}; }}
QLabel#KpiValue[tone="warn"] {{ color: {WARN}; }}
QLabel#KpiValue[tone="bad"] {{ color: {BAD}; }}
QLabel#KpiNote {{ font-size: {px(21)}; color: {MUTED}; }}
QFrame#KpiTile[compact="true"] QLabel#KpiValue {{ font-size: {px(64)}; }}
QFrame#WallPanel {{ background: {PANEL}; border: {px(2)} solid {BORDER}; border-radius: {px(10)}; }}
QLabel#PanelTitle {{ font-size: {px(27)}; font-weight: bold; color: {TEXT}; }}
QLabel#PanelLegend {{ font-size: {px(20)}; color: {MUTED}; }}
QLabel#PageNote {{ font-size: {px(22)}; color: {MUTED}; }}
QLabel#EmptyNote {{ font-size: {px(30)}; color: {MUTED}; padding: {px(30)}; }}
QLabel#TableHeader {{ font-size: {px(22)}; color: {MUTED}; border-bottom: {px(2)} solid {BORDER};
    padding-bottom: {px(4)}; }}
QLabel#TableCell {{ font-size: {px(25)}; color: {TEXT}; }}
QLabel#TableCell[tone="bad"] {{ color: {BAD}; }}
QLabel#TableCell[tone="warn"] {{ color: {WARN}; }}
QFrame#ZoneTile {{ background: {PANEL}; border: {px(2)} solid {BORDER}; border-radius: {px(10)}; }}
QFrame#ZoneTile[balance="busy"] {{ border: {px(3)} solid {BAD}; }}
QFrame#ZoneTile[balance="idle"] {{ border: {px(3)} solid {GOOD}; }}
QLabel#ZoneName {{ font-size: {px(34)}; font-weight: bold; }}
QLabel#ZoneBadge {{ font-size: {px(24)}; color: {MUTED}; }}
QFrame#ZoneTile[balance="busy"] QLabel#ZoneBadge {{ color: {BAD}; font-weight: bold; }}
QFrame#ZoneTile[balance="idle"] QLabel#ZoneBadge {{ color: {GOOD}; font-weight: bold; }}
QFrame#ZoneTile[balance="unstaffed"] QLabel#ZoneBadge {{ color: {MUTED}; font-weight: bold; }}
QLabel#ZoneTowns {{ font-size: {px(22)}; color: {MUTED}; }}
QLabel#ZoneValue {{ font-size: {px(56)}; font-weight: bold; }}
QLabel#ZoneValue[tone="bad"] {{ color: {BAD}; }}
QLabel#ZoneCaption {{ font-size: {px(21)}; color: {MUTED}; }}
QFrame#UrgentCard {{ background: {URGENT_BG}; border: {px(4)} solid {URGENT_BORDER}; border-radius: {px(14)}; }}
QLabel#UrgentHeader {{ font-size: {px(44)}; font-weight: bold; color: #fecaca; }}
QLabel#UrgentTitle {{ font-size: {px(52)}; font-weight: bold; color: #ffffff; }}
QLabel#UrgentPlace {{ font-size: {px(34)}; color: #fde68a; font-weight: bold; }}
QLabel#UrgentText {{ font-size: {px(28)}; color: {TEXT}; }}
QLabel#UrgentMeta {{ font-size: {px(24)}; color: #fecaca; }}
QLabel#UrgentMore {{ font-size: {px(24)}; color: {WARN}; font-weight: bold; }}
"""
