"""Models of the one-thing screen: the catalogue, the case list, a case's department check-ins."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtGui import QColor, QFont

from commandroom.queries.cases import CaseRow, CatalogueRow
from commandroom.services.cases import CheckinView
from commandroom.timeutil import fmt_local
from ui.boards import labels as board_labels
from ui.common.row_model import Column, RowTableModel

DISPLAY = Qt.ItemDataRole.DisplayRole

STATE_LABELS = {
    "ordered": QT_TRANSLATE_NOOP("Cases", "Ordered"),
    "checking_in": QT_TRANSLATE_NOOP("Cases", "Departments checking in"),
    "in_progress": QT_TRANSLATE_NOOP("Cases", "In progress"),
    "completed": QT_TRANSLATE_NOOP("Cases", "Completed"),
    "escalated": QT_TRANSLATE_NOOP("Cases", "Escalated"),
}
ROLE_LABELS = {
    "lead": QT_TRANSLATE_NOOP("Cases", "Lead"),
    "collaborator": QT_TRANSLATE_NOOP("Cases", "Collaborating"),
}
STATE_COLOURS = {"ordered": "#d9822b", "checking_in": "#2d6cc0", "in_progress": "#1e7b8c", "completed": "#5a6472",
                 "escalated": "#c0392b"}


def tr(text: str) -> str:
    return QCoreApplication.translate("Cases", text)


def state_label(state: str) -> str:
    source = STATE_LABELS.get(state)
    return tr(source) if source else state


def role_label(role: str) -> str:
    source = ROLE_LABELS.get(role)
    return tr(source) if source else role


def _bold() -> QFont:
    font = QFont()
    font.setBold(True)
    return font


class CatalogueModel(RowTableModel):
    """The one-thing catalogue (17 entries); the six named in the article carry a star."""

    def columns(self) -> list[Column]:
        return [
            (self.tr("One thing"), self._name),
            (self.tr("Lead department"), lambda r, role: r.lead_name if role == DISPLAY else None),
            (self.tr("Steps"), lambda r, role: str(len(r.steps)) if role == DISPLAY else None),
            (self.tr("Time limit"), lambda r, role: self.tr("{n} working days").format(n=r.time_limit_days)
             if role == DISPLAY else None),
            (self.tr("Open"), lambda r, role: str(r.open_cases) if role == DISPLAY else None),
        ]

    def _name(self, r: CatalogueRow, role: int) -> Any:
        if role == DISPLAY:
            return ("★ " if r.named_in_seed else "") + r.name
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [r.name]
            if r.named_in_seed:
                lines.append(self.tr("Named in the article (one of the six)"))
            else:
                lines.append(self.tr("Proposed entry: plausible, not the official list"))
            lines.append(self.tr("Steps: {steps}").format(steps=" → ".join(r.steps)))
            if r.collaborators:
                lines.append(self.tr("Collaborating: {names}").format(names="、".join(r.collaborators)))
            if r.description:
                lines.append(r.description)
            return "\n".join(lines)
        if role == Qt.ItemDataRole.FontRole and r.named_in_seed:
            return _bold()
        return None


class CaseListModel(RowTableModel):
    """The cases: number, title, state, steps done, the deadline's countdown, escalation."""

    def __init__(self, clock: Callable[[], datetime], parent: Any = None) -> None:
        super().__init__(parent)
        self.clock = clock

    def columns(self) -> list[Column]:
        return [
            (self.tr("Number"), lambda r, role: r.number if role == DISPLAY else None),
            (self.tr("Case"), self._title),
            (self.tr("State"), self._state),
            (self.tr("Steps"), lambda r, role: f"{r.steps_done}/{r.steps_total}" if role == DISPLAY else None),
            (self.tr("Current step"), self._step),
            (self.tr("Time limit"), self._clock),
        ]

    def _step(self, r: CaseRow, role: int) -> Any:
        """The step being worked on with its own countdown (each step has a limit of its own)."""
        if not r.current_step:
            return None
        now = self.clock()
        late = r.step_due_at is not None and now > r.step_due_at
        if role == DISPLAY:
            if r.step_due_at is None:
                return r.current_step
            return f"{r.current_step} · {board_labels.countdown(r.step_due_at, None, now)}"
        if role == Qt.ItemDataRole.ToolTipRole and r.step_due_at is not None:
            tip = self.tr("This step is due {due}").format(due=fmt_local(r.step_due_at))
            if r.step_escalation not in ("", "none"):
                tip += "  " + board_labels.escalation_label(r.step_escalation)
            return tip
        if role == Qt.ItemDataRole.ForegroundRole and late:
            return QColor("#c0392b")
        return None

    def _title(self, r: CaseRow, role: int) -> Any:
        if role == DISPLAY:
            return r.title
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{r.type_name} · {r.lead_name}"
        return None

    def _state(self, r: CaseRow, role: int) -> Any:
        if role == DISPLAY:
            text = state_label(r.state)
            if r.escalation_level != "none":
                text += f"（{board_labels.escalation_label(r.escalation_level)}）"
            return text
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor(STATE_COLOURS.get(r.state, "#1d232b"))
        return None

    def _clock(self, r: CaseRow, role: int) -> Any:
        now = self.clock()
        if role == DISPLAY:
            if r.completed_at is not None:
                return self.tr("completed {when}").format(when=fmt_local(r.completed_at, "%m-%d"))
            if now > r.due_at:
                return QCoreApplication.translate("Boards", "overdue {span}").format(span=board_labels.span((now - r.due_at)
                                                                                        .total_seconds()))
            return QCoreApplication.translate("Boards", "{span} left").format(span=board_labels.span((r.due_at - now).total_seconds()))
        if role == Qt.ItemDataRole.ForegroundRole and r.completed_at is None and now > r.due_at:
            return QColor("#c0392b")
        return None


class CaseCheckinModel(RowTableModel):
    """The lead and collaborating departments of a case with their check-in (部门报到) status and time."""

    def __init__(self, clock: Callable[[], datetime], parent: Any = None) -> None:
        super().__init__(parent)
        self.clock = clock

    def key(self, row: CheckinView) -> str:
        return row.checkin_id

    def columns(self) -> list[Column]:
        return [
            (self.tr("Department"), self._name),
            (self.tr("Role"), lambda r, role: role_label(r.role) if role == DISPLAY else None),
            (self.tr("Check in by"), lambda r, role: fmt_local(r.due_at, "%m-%d %H:%M") if role == DISPLAY else None),
            (self.tr("Checked in"), self._checked),
            (self.tr("Escalation"), self._escalation),
        ]

    def _name(self, r: CheckinView, role: int) -> Any:
        if role == DISPLAY:
            return r.name
        if role == Qt.ItemDataRole.FontRole and r.role == "lead":
            return _bold()
        return None

    def _checked(self, r: CheckinView, role: int) -> Any:
        now = self.clock()
        outcome = r.outcome if r.checked_in_at is not None else ("missed" if now > r.due_at else "waiting")
        if role == DISPLAY:
            if r.checked_in_at is not None:
                return f"{fmt_local(r.checked_in_at, '%m-%d %H:%M')} {board_labels.outcome_label(outcome)}"
            return f"{board_labels.outcome_label(outcome)} · {board_labels.countdown(r.due_at, None, now)}"
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor({"missed": "#c0392b", "late": "#b9770e", "on_time": "#1e7b34"}.get(outcome, "#1d232b"))
        return None

    def _escalation(self, r: CheckinView, role: int) -> Any:
        if r.escalation_level in ("", "none"):
            return None
        if role == DISPLAY:
            return board_labels.escalation_label(r.escalation_level)
        if role == Qt.ItemDataRole.BackgroundRole:
            return QColor(board_labels.ESCALATION_COLOURS.get(r.escalation_level, "#c0392b"))
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor("#ffffff")
        return None
