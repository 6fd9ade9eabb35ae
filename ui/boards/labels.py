"""Labels and small formatters of the boards and linked command (English source, zh_CN via the .qm).

Tables are ``QT_TRANSLATE_NOOP`` in the ``Boards`` context; :func:`tr` translates a text
of that context (for code outside a QObject, e.g. the models' cell functions).
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from ui.incidents import labels as incident_labels

CTX = "Boards"

COLUMN_LABELS = {
    "todo": QT_TRANSLATE_NOOP("Boards", "To do"),
    "doing": QT_TRANSLATE_NOOP("Boards", "In progress"),
    "review": QT_TRANSLATE_NOOP("Boards", "Awaiting acceptance"),
    "done": QT_TRANSLATE_NOOP("Boards", "Done"),
}

SOURCE_LABELS = {
    "card": QT_TRANSLATE_NOOP("Boards", "Card"),
    "incident": QT_TRANSLATE_NOOP("Boards", "Incident"),
    "case": QT_TRANSLATE_NOOP("Boards", "One-thing case"),
}

TARGET_KIND_LABELS = {
    "department": QT_TRANSLATE_NOOP("Boards", "County department"),
    "module": QT_TRANSLATE_NOOP("Boards", "Township module"),
}

OUTCOME_LABELS = {
    "on_time": QT_TRANSLATE_NOOP("Boards", "on time"),
    "late": QT_TRANSLATE_NOOP("Boards", "late"),
    "missed": QT_TRANSLATE_NOOP("Boards", "Missed"),
    "waiting": QT_TRANSLATE_NOOP("Boards", "Waiting"),
}

LANE_MODES = {
    "": QT_TRANSLATE_NOOP("Boards", "No swimlanes"),
    "department": QT_TRANSLATE_NOOP("Boards", "Swimlanes by department"),
    "zone": QT_TRANSLATE_NOOP("Boards", "Swimlanes by area (village)"),
}

AUTO_LABELS = {
    "overdue_incident": QT_TRANSLATE_NOOP("Boards", "Overdue incident"),
    "missed_checkin": QT_TRANSLATE_NOOP("Boards", "Missed check-in"),
    "overdue_step": QT_TRANSLATE_NOOP("Boards", "Case step overdue"),
}

RULE_LABELS = {
    "card_move_lost": QT_TRANSLATE_NOOP("Boards", "A concurrent move did not take effect"),
    "card_move_overrode": QT_TRANSLATE_NOOP("Boards", "Moved at the same time by someone else"),
    "wip_override": QT_TRANSLATE_NOOP("Boards", "WIP limit overridden"),
    "merged": QT_TRANSLATE_NOOP("Boards", "Merged by the server"),
    "rejected": QT_TRANSLATE_NOOP("Boards", "Refused by the server"),
}

ESCALATION_COLOURS = {"reminder": "#d9822b", "supervision_order": "#c0392b", "leader_notice": "#7b1f1f"}


def tr(text: str) -> str:
    """Translate ``text`` in the ``Boards`` context."""
    return QCoreApplication.translate(CTX, text)


def _label(table: dict[str, str], value: str | None) -> str:
    if value is None:
        return ""
    source = table.get(str(value))
    return str(value) if source is None else QCoreApplication.translate(CTX, source)


def column_label(column: str) -> str:
    return _label(COLUMN_LABELS, column)


def source_label(source: str) -> str:
    return _label(SOURCE_LABELS, source)


def target_kind_label(kind: str) -> str:
    return _label(TARGET_KIND_LABELS, kind)


def outcome_label(outcome: str) -> str:
    return _label(OUTCOME_LABELS, outcome)


def lane_mode_label(mode: str) -> str:
    return _label(LANE_MODES, mode)


def auto_label(source: str) -> str:
    return _label(AUTO_LABELS, source)


def rule_label(rule: str) -> str:
    return _label(RULE_LABELS, rule)


def escalation_label(level: str | None) -> str:
    """提醒 / 督办单 / 领导通报 (the incident screens' translations)."""
    return incident_labels.label(incident_labels.ESCALATION_LABELS, level or "none")


def span(seconds: float) -> str:
    """A short positive span: "2 d 3 h", "3 h 20 min"."""
    from datetime import timedelta

    return incident_labels.duration_text(timedelta(seconds=seconds))


def countdown(due: datetime, done_at: datetime | None, now: datetime) -> str:
    """"3 h 20 min left", "overdue 2 h", "checked in 1 h early", "checked in 3 h late"."""
    if done_at is not None:
        if done_at <= due:
            return QCoreApplication.translate("Boards", "checked in on time")
        return QCoreApplication.translate("Boards", "checked in {span} late").format(span=span((done_at - due).total_seconds()))
    if now > due:
        return QCoreApplication.translate("Boards", "overdue {span}").format(span=span((now - due).total_seconds()))
    return QCoreApplication.translate("Boards", "{span} left").format(span=span((due - now).total_seconds()))
