"""Labels and small formatters of the incident screens (English source, zh_CN via the .qm).

Domain vocabularies the whole app shares (states, urgency) come from :mod:`ui.i18n`;
the ones only these screens use are here, as ``QT_TRANSLATE_NOOP`` tables in the
``Incidents`` context.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from ui import i18n
from ui.common.states import incident_state_label

CTX = "Incidents"

CLOCK_LABELS = {
    "ack": QT_TRANSLATE_NOOP("Incidents", "Acknowledge"),
    "onsite": QT_TRANSLATE_NOOP("Incidents", "On site"),
    "close": QT_TRANSLATE_NOOP("Incidents", "Close"),
}

ESCALATION_LABELS = {
    "none": QT_TRANSLATE_NOOP("Incidents", "None"),
    "reminder": QT_TRANSLATE_NOOP("Incidents", "Reminder"),
    "supervision_order": QT_TRANSLATE_NOOP("Incidents", "Supervision order"),
    "leader_notice": QT_TRANSLATE_NOOP("Incidents", "Leader notice"),
}

DISPATCH_STATE_LABELS = {
    "assigned": QT_TRANSLATE_NOOP("Incidents", "Assigned"),
    "acknowledged": QT_TRANSLATE_NOOP("Incidents", "Acknowledged"),
    "en_route": QT_TRANSLATE_NOOP("Incidents", "En route"),
    "on_scene": QT_TRANSLATE_NOOP("Incidents", "On scene"),
    "done": QT_TRANSLATE_NOOP("Incidents", "Done"),
    "cancelled": QT_TRANSLATE_NOOP("Incidents", "Cancelled"),
}

ACTION_LABELS = {
    "create": QT_TRANSLATE_NOOP("Incidents", "Accepted and filed"),
    "override": QT_TRANSLATE_NOOP("Incidents", "Lead department changed"),
    "merge_report": QT_TRANSLATE_NOOP("Incidents", "Report merged"),
    "unmerge_report": QT_TRANSLATE_NOOP("Incidents", "Merge undone"),
    "dispatch": QT_TRANSLATE_NOOP("Incidents", "Dispatched"),
    "acknowledge": QT_TRANSLATE_NOOP("Incidents", "Acknowledged"),
    "arrive": QT_TRANSLATE_NOOP("Incidents", "Arrived on site"),
    "start": QT_TRANSLATE_NOOP("Incidents", "Handling started"),
    "note": QT_TRANSLATE_NOOP("Incidents", "Progress note"),
    "return": QT_TRANSLATE_NOOP("Incidents", "Returned"),
    "escalate": QT_TRANSLATE_NOOP("Incidents", "Escalated"),
    "submit": QT_TRANSLATE_NOOP("Incidents", "Submitted for verification"),
    "verify_pass": QT_TRANSLATE_NOOP("Incidents", "Verification passed"),
    "verify_fail": QT_TRANSLATE_NOOP("Incidents", "Verification failed"),
    "verify_partial": QT_TRANSLATE_NOOP("Incidents", "Verified (waiting for the other check)"),
    "reject_closure": QT_TRANSLATE_NOOP("Incidents", "Closure rejected"),
    "close": QT_TRANSLATE_NOOP("Incidents", "Closed"),
    "reopen": QT_TRANSLATE_NOOP("Incidents", "Reopened"),
    "update": QT_TRANSLATE_NOOP("Incidents", "Edited"),
    "remind": QT_TRANSLATE_NOOP("Incidents", "Reminder sent"),
    "breach_warning": QT_TRANSLATE_NOOP("Incidents", "About to run out"),
    "dispute_open": QT_TRANSLATE_NOOP("Incidents", "Contested at the county"),
    "dispute_decide": QT_TRANSLATE_NOOP("Incidents", "County arbitration decided"),
    "dispute_escalate": QT_TRANSLATE_NOOP("Incidents", "Arbitration overdue, escalated"),
    "dispatch.acknowledge": QT_TRANSLATE_NOOP("Incidents", "Dispatch acknowledged"),
    "dispatch.en_route": QT_TRANSLATE_NOOP("Incidents", "Set out"),
    "dispatch.on_scene": QT_TRANSLATE_NOOP("Incidents", "Reached the scene"),
    "dispatch.done": QT_TRANSLATE_NOOP("Incidents", "Dispatch done"),
    "dispatch.cancel": QT_TRANSLATE_NOOP("Incidents", "Dispatch withdrawn"),
}

CLOCK_STATE_LABELS = {
    "ok": QT_TRANSLATE_NOOP("Incidents", "Running"),
    "warning": QT_TRANSLATE_NOOP("Incidents", "Due soon"),
    "overdue": QT_TRANSLATE_NOOP("Incidents", "Overdue"),
    "met": QT_TRANSLATE_NOOP("Incidents", "Met"),
    "late": QT_TRANSLATE_NOOP("Incidents", "Met late"),
    "none": QT_TRANSLATE_NOOP("Incidents", "No limit"),
}


# (key, English label, shortcut): the order of the buttons
ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("dispatch", QT_TRANSLATE_NOOP("Incidents", "Dispatch"), "D"),
    ("acknowledge", QT_TRANSLATE_NOOP("Incidents", "Acknowledge"), "K"),
    ("arrive", QT_TRANSLATE_NOOP("Incidents", "On site"), "G"),
    ("start", QT_TRANSLATE_NOOP("Incidents", "Start handling"), "P"),
    ("note", QT_TRANSLATE_NOOP("Incidents", "Progress note"), "N"),
    ("submit", QT_TRANSLATE_NOOP("Incidents", "Submit for verification"), "S"),
    ("verify", QT_TRANSLATE_NOOP("Incidents", "Verify"), "V"),
    ("close", QT_TRANSLATE_NOOP("Incidents", "Close"), "C"),
    ("return", QT_TRANSLATE_NOOP("Incidents", "Return"), "T"),
    ("escalate", QT_TRANSLATE_NOOP("Incidents", "Escalate"), "E"),
    ("remind", QT_TRANSLATE_NOOP("Incidents", "Remind"), "R"),
    ("reopen", QT_TRANSLATE_NOOP("Incidents", "Reopen"), "O"),
    ("proxy_acknowledge", QT_TRANSLATE_NOOP("Incidents", "Proxy sign-for"), "Y"),
    ("contest", QT_TRANSLATE_NOOP("Incidents", "Contest at the county"), "J"),
)
BUTTON_LABELS = {key: text for key, text, _shortcut in ACTIONS}


def tr(text: str) -> str:
    """Translate ``text`` in the ``Incidents`` context (for texts from the tables above)."""
    return QCoreApplication.translate(CTX, text)


def label(table: dict[str, str], value: str | None) -> str:
    """The translated label of ``value`` in one of the tables above (the raw value if unknown)."""
    if value is None:
        return ""
    source = table.get(str(value))
    return str(value) if source is None else QCoreApplication.translate(CTX, source)


def state_label(state: str | None) -> str:
    return incident_state_label(state)


def urgency_label(urgency: str | None) -> str:
    return i18n.label(i18n.URGENCY_LABELS, urgency)


def duration_text(delta: timedelta) -> str:
    """A short, human span: "2 d 3 h", "3 h 20 min", "12 min" (always positive)."""
    seconds = abs(int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return QCoreApplication.translate("Incidents", "{d} d {h} h").format(d=days, h=hours)
    if hours:
        return QCoreApplication.translate("Incidents", "{h} h {m} min").format(h=hours, m=minutes)
    return QCoreApplication.translate("Incidents", "{m} min").format(m=max(minutes, 0 if seconds < 60 else 1))


def countdown_text(kind: str, due: datetime | None, done_at: datetime | None, now: datetime) -> str:
    """The text of one clock: "Close: 3 h 20 min left", "Acknowledge: overdue 2 h", "Close: met"."""
    name = label(CLOCK_LABELS, kind)
    if due is None:
        return QCoreApplication.translate("Incidents", "{clock}: no limit").format(clock=name)
    if done_at is not None:
        if done_at <= due:
            return QCoreApplication.translate("Incidents", "{clock}: met").format(clock=name)
        return QCoreApplication.translate("Incidents", "{clock}: late by {span}").format(clock=name, span=duration_text(done_at - due))
    if now > due:
        return QCoreApplication.translate("Incidents", "{clock}: overdue {span}").format(clock=name, span=duration_text(now - due))
    return QCoreApplication.translate("Incidents", "{clock}: {span} left").format(clock=name, span=duration_text(due - now))
