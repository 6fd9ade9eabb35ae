"""Labels, colours and small formatters of the enforcement-zone screens (English source, zh_CN via the .qm).

Every table is a ``QT_TRANSLATE_NOOP`` table in the ``Zones`` context, keyed by the
domain value (``MemberStatus``, ``MemberOrigin``, shift, balance…), so both languages
come from the same table.
"""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from commandroom.timeutil import fmt_local

CTX = "Zones"

STATUS_LABELS = {
    "available": QT_TRANSLATE_NOOP("Zones", "Available"),
    "en_route": QT_TRANSLATE_NOOP("Zones", "En route"),
    "on_scene": QT_TRANSLATE_NOOP("Zones", "On scene"),
    "off_duty": QT_TRANSLATE_NOOP("Zones", "Resting"),
}
STATUS_ORDER = ("available", "en_route", "on_scene", "off_duty")
STATUS_COLOURS = {"available": "#1e8449", "en_route": "#2874a6", "on_scene": "#d35400", "off_duty": "#7f8c8d"}

ORIGIN_LABELS = {
    "enforcement_bureau": QT_TRANSLATE_NOOP("Zones", "County enforcement bureau"),
    "market_supervision": QT_TRANSLATE_NOOP("Zones", "Market supervision"),
    "township_cadre": QT_TRANSLATE_NOOP("Zones", "Certified township cadre"),
    "other_department": QT_TRANSLATE_NOOP("Zones", "Other department"),
}

SHIFT_LABELS = {
    "day": QT_TRANSLATE_NOOP("Zones", "Day"),
    "night": QT_TRANSLATE_NOOP("Zones", "Night"),
    "full": QT_TRANSLATE_NOOP("Zones", "Full day"),
    "custom": QT_TRANSLATE_NOOP("Zones", "Custom"),
}
SHIFT_CYCLE = (None, "day", "night", "full")
SHIFT_COLOURS = {"day": "#d6eaf8", "night": "#d2d7f0", "full": "#d5f5e3", "custom": "#fcf3cf"}

BALANCE_LABELS = {
    "busy": QT_TRANSLATE_NOOP("Zones", "Busy"),
    "normal": QT_TRANSLATE_NOOP("Zones", "Balanced"),
    "idle": QT_TRANSLATE_NOOP("Zones", "Idle"),
    "unstaffed": QT_TRANSLATE_NOOP("Zones", "Nobody on duty"),
}
BALANCE_COLOURS = {"busy": "#c0392b", "normal": "#5d6d7e", "idle": "#1e8449", "unstaffed": "#7f8c8d"}

CERT_LABELS = {
    "none": QT_TRANSLATE_NOOP("Zones", "No certificate"),
    "expired": QT_TRANSLATE_NOOP("Zones", "Expired"),
    "expiring": QT_TRANSLATE_NOOP("Zones", "Expires soon"),
    "valid": QT_TRANSLATE_NOOP("Zones", "Valid"),
}
CERT_COLOURS = {"expired": "#f5b7b1", "expiring": "#fad7a0", "none": "#eaeded"}
CERT_TEXT_COLOURS = {"expired": "#922b21", "expiring": "#9a5b00"}

DISPATCH_STATE_LABELS = {
    "assigned": QT_TRANSLATE_NOOP("Zones", "Assigned"),
    "acknowledged": QT_TRANSLATE_NOOP("Zones", "Acknowledged"),
    "en_route": QT_TRANSLATE_NOOP("Zones", "Under way"),
    "on_scene": QT_TRANSLATE_NOOP("Zones", "On site"),
    "done": QT_TRANSLATE_NOOP("Zones", "Done"),
    "cancelled": QT_TRANSLATE_NOOP("Zones", "Cancelled"),
}


def zt(text: str) -> str:
    """Translate ``text`` in the ``Zones`` context."""
    return QCoreApplication.translate(CTX, text)


def label(table: dict[str, str], value: str | None) -> str:
    """The translated label of ``value`` in one of the tables above (the raw value if unknown)."""
    if value is None:
        return ""
    source = table.get(str(value))
    return zt(source) if source else str(value)


def when(dt: datetime | None) -> str:
    """A UTC time as Shanghai ``MM-DD HH:MM`` (empty for None)."""
    return fmt_local(dt, "%m-%d %H:%M") if dt else ""


def day_text(d: date | None) -> str:
    return d.isoformat() if d else ""


def minutes_text(value: float | None) -> str:
    """Minutes as the duty officer reads them: ``42 min`` / ``3.5 h`` / ``—``."""
    if value is None:
        return "—"
    if value < 120:
        return QCoreApplication.translate("Zones", "{n} min").format(n=f"{value:.0f}")
    return QCoreApplication.translate("Zones", "{n} h").format(n=f"{value / 60:.1f}")


def distance_text(km: float | None) -> str:
    if km is None:
        return QCoreApplication.translate("Zones", "unknown distance")
    if km < 1:
        return QCoreApplication.translate("Zones", "{n} m").format(n=f"{km * 1000:.0f}")
    return QCoreApplication.translate("Zones", "{n} km").format(n=f"{km:.1f}")


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678`` (shorter numbers keep only their last two digits)."""
    digits = phone or ""
    if len(digits) >= 7:
        return digits[:3] + "****" + digits[-4:]
    if len(digits) > 2:
        return "*" * (len(digits) - 2) + digits[-2:]
    return digits
