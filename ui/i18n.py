"""Translations: English source strings in the code, Chinese (zh_CN) by default on screen.

How to add or change a user-visible string (everyone working in ``ui/``):

1. Write the English text through Qt's translation calls, never a bare literal:
   ``self.tr("Accept")`` inside a QObject subclass, ``QCoreApplication.translate("Context", "…")``
   elsewhere, ``QT_TRANSLATE_NOOP("Context", "…")`` in module-level tables. Use ``{name}``
   placeholders and ``.format(...)`` after translating; never build sentences by concatenation.
2. Add the Chinese to ``resources/i18n/zh_CN.json`` (``"English source": "中文"``; use the key
   ``"Context|English source"`` when one context needs a different Chinese than the rest).
3. Run ``.venv/bin/python scripts/i18n.py``: it runs ``pyside6-lupdate`` over all of ``ui/``,
   fills ``resources/i18n/zh_CN.ts`` from the JSON and compiles ``resources/i18n/zh_CN.qm``.
   Commit all three files. ``tests/ui/test_i18n.py`` fails while any string lacks Chinese.

Labels of the domain's closed vocabularies (roles, sources, states…) live here, keyed by
the enum value, so both languages come from the same table.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QLibraryInfo, QLocale, QTranslator

from commandroom.shipped import RESOURCES_DIR

log = logging.getLogger(__name__)

RESOURCES = RESOURCES_DIR
I18N_DIR = RESOURCES / "i18n"
LANGUAGES = ("zh_CN", "en")

ROLE_LABELS = {
    "duty_officer": QT_TRANSLATE_NOOP("Labels", "Duty officer"),
    "grid_supervisor": QT_TRANSLATE_NOOP("Labels", "Grid head"),
    "team_leader": QT_TRANSLATE_NOOP("Labels", "Team leader"),
    "team_member": QT_TRANSLATE_NOOP("Labels", "Team member"),
    "module_lead": QT_TRANSLATE_NOOP("Labels", "Module lead"),
    "department_liaison": QT_TRANSLATE_NOOP("Labels", "Department liaison"),
    "county_coordinator": QT_TRANSLATE_NOOP("Labels", "County governance center"),
    "admin": QT_TRANSLATE_NOOP("Labels", "Administrator"),
    "grid_worker": QT_TRANSLATE_NOOP("Labels", "Grid worker"),
    "viewer": QT_TRANSLATE_NOOP("Labels", "Wall screen (read only)"),
}

SOURCE_LABELS = {
    "grid_patrol": QT_TRANSLATE_NOOP("Labels", "Grid patrol"),
    "villager_app": QT_TRANSLATE_NOOP("Labels", "Villager app"),
    "hotline_12345": QT_TRANSLATE_NOOP("Labels", "12345 hotline"),
    "department_push": QT_TRANSLATE_NOOP("Labels", "Department push"),
    "sensor_alert": QT_TRANSLATE_NOOP("Labels", "Sensor alert"),
    "assigned_from_above": QT_TRANSLATE_NOOP("Labels", "Assigned from above"),
    "inspection": QT_TRANSLATE_NOOP("Labels", "Inspection"),
}

URGENCY_LABELS = {
    "L1": QT_TRANSLATE_NOOP("Labels", "Urgent"),
    "L2": QT_TRANSLATE_NOOP("Labels", "Pressing"),
    "L3": QT_TRANSLATE_NOOP("Labels", "Normal"),
    "L4": QT_TRANSLATE_NOOP("Labels", "Complex"),
}

REPORT_STATE_LABELS = {
    "new": QT_TRANSLATE_NOOP("Labels", "New"),
    "accepted": QT_TRANSLATE_NOOP("Labels", "Accepted"),
    "merged": QT_TRANSLATE_NOOP("Labels", "Merged"),
    "rejected": QT_TRANSLATE_NOOP("Labels", "Rejected"),
}

INCIDENT_STATE_LABELS = {
    "pending_dispatch": QT_TRANSLATE_NOOP("Labels", "Pending dispatch"),
    "dispatched": QT_TRANSLATE_NOOP("Labels", "Dispatched"),
    "acknowledged": QT_TRANSLATE_NOOP("Labels", "Acknowledged"),
    "in_progress": QT_TRANSLATE_NOOP("Labels", "In progress"),
    "awaiting_verification": QT_TRANSLATE_NOOP("Labels", "Awaiting verification"),
    "closed": QT_TRANSLATE_NOOP("Labels", "Closed"),
    "returned": QT_TRANSLATE_NOOP("Labels", "Returned"),
    "escalated": QT_TRANSLATE_NOOP("Labels", "Escalated"),
}

OUTBOX_STATE_LABELS = {
    "pending": QT_TRANSLATE_NOOP("Labels", "Waiting to sync"),
    "acked": QT_TRANSLATE_NOOP("Labels", "Synced"),
    "rejected": QT_TRANSLATE_NOOP("Labels", "Rejected by server"),
    "merged": QT_TRANSLATE_NOOP("Labels", "Merged by server"),
}

MUTATION_LABELS = {
    "report.accept": QT_TRANSLATE_NOOP("Labels", "Accept report"),
    "report.merge": QT_TRANSLATE_NOOP("Labels", "Merge report"),
    "report.unmerge": QT_TRANSLATE_NOOP("Labels", "Undo merge"),
    "report.reject": QT_TRANSLATE_NOOP("Labels", "Reject report"),
    "report.submit": QT_TRANSLATE_NOOP("Labels", "Submit report"),
    "incident.dispatch": QT_TRANSLATE_NOOP("Labels", "Dispatch incident"),
    "incident.close": QT_TRANSLATE_NOOP("Labels", "Close incident"),
}

FIELD_LABELS = {
    "number": QT_TRANSLATE_NOOP("Labels", "Number"),
    "title": QT_TRANSLATE_NOOP("Labels", "Title"),
    "state": QT_TRANSLATE_NOOP("Labels", "State"),
    "category_code": QT_TRANSLATE_NOOP("Labels", "Category"),
    "urgency": QT_TRANSLATE_NOOP("Labels", "Urgency"),
    "reject_reason": QT_TRANSLATE_NOOP("Labels", "Rejection reason"),
    "assignee_code": QT_TRANSLATE_NOOP("Labels", "Assignee"),
    "lead_department_code": QT_TRANSLATE_NOOP("Labels", "Lead department"),
    "column": QT_TRANSLATE_NOOP("Labels", "Board column"),
    "name": QT_TRANSLATE_NOOP("Labels", "Name"),
    "status": QT_TRANSLATE_NOOP("Labels", "Status"),
    "updated_at": QT_TRANSLATE_NOOP("Labels", "Updated"),
    "description": QT_TRANSLATE_NOOP("Labels", "Description"),
    "address": QT_TRANSLATE_NOOP("Labels", "Address"),
    "close_due": QT_TRANSLATE_NOOP("Labels", "Close deadline"),
}

RULE_LABELS = {
    "last_writer_wins": QT_TRANSLATE_NOOP("Labels", "Later change wins"),
    "terminal_wins": QT_TRANSLATE_NOOP("Labels", "Final state wins"),
    "routing_override": QT_TRANSLATE_NOOP("Labels", "Routing overridden"),
    "already_triaged": QT_TRANSLATE_NOOP("Labels", "Already triaged"),
    "both_kept_review": QT_TRANSLATE_NOOP("Labels", "Both texts kept for review"),
    "card_move_lost": QT_TRANSLATE_NOOP("Labels", "A concurrent move did not take effect"),
    "card_move_overrode": QT_TRANSLATE_NOOP("Labels", "Moved at the same time by someone else"),
    "wip_override": QT_TRANSLATE_NOOP("Labels", "WIP limit overridden"),
}

ENTITY_LABELS = {
    "report": QT_TRANSLATE_NOOP("Labels", "Report"),
    "incident": QT_TRANSLATE_NOOP("Labels", "Incident"),
    "dispatch": QT_TRANSLATE_NOOP("Labels", "Dispatch"),
    "one_thing_case": QT_TRANSLATE_NOOP("Labels", "One-thing case"),
    "task_card": QT_TRANSLATE_NOOP("Labels", "Task card"),
    "team_member": QT_TRANSLATE_NOOP("Labels", "Team member"),
    "handover": QT_TRANSLATE_NOOP("Labels", "Handover"),
    "module": QT_TRANSLATE_NOOP("Labels", "Module"),
    "case_checkin": QT_TRANSLATE_NOOP("Labels", "Check-in"),
}


def value_label(entity_type: str, field: str, value: object) -> str:
    """A field's value as a person reads it: states and urgencies by their label, the rest as text."""
    if value is None:
        return ""
    if field == "state":
        table = REPORT_STATE_LABELS if entity_type == "report" else INCIDENT_STATE_LABELS
        return label(table, str(value))
    if field == "urgency":
        return label(URGENCY_LABELS, str(value))
    if field == "column":  # a task card's board column (todo/doing/review/done)
        from ui.boards.labels import COLUMN_LABELS

        source = COLUMN_LABELS.get(str(value))
        return QCoreApplication.translate("Boards", source) if source else str(value)
    return str(value)


def label(table: dict[str, str], value: str | None) -> str:
    """The translated label of ``value`` in one of the tables above (the raw value if unknown)."""
    if value is None:
        return ""
    source = table.get(str(value))
    if source is None:
        return str(value)
    return QCoreApplication.translate("Labels", source)


_installed: list[QTranslator] = []


def install_translators(app: QCoreApplication, language: str = "zh_CN") -> str:
    """Load the app's and Qt's own translations for ``language``; returns the language in use.

    English is the source language: for ``en`` nothing is loaded. An unknown language or a
    missing ``.qm`` falls back to English with a warning in the log.
    """
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    if language not in LANGUAGES:
        log.warning("unknown language %r; using zh_CN", language)
        language = "zh_CN"
    if language == "en":
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
        return "en"
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    ours = QTranslator(app)
    qm = I18N_DIR / f"{language}.qm"
    if ours.load(str(qm)):
        app.installTranslator(ours)
        _installed.append(ours)
    else:
        log.warning("translation %s not found; the interface stays in English", qm)
        return "en"
    qt_base = QTranslator(app)
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if qt_base.load(f"qtbase_{language}", qt_dir):
        app.installTranslator(qt_base)
        _installed.append(qt_base)
    return language
