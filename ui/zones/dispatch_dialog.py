"""The team dispatch dialog: send an enforcement incident (or a joint visit) to the zone's team.

It offers only the members on duty now in the zone serving the incident's township,
including members lent in and leaving out those lent away or resting, ranked by the
core's :func:`commandroom.services.teams.suggest_members` (status, distance, open load),
with the reasons shown. The lead enforcer (主办) is picked in the "Lead" column; it is
disabled, with the reason, for auxiliaries and for members without a certificate valid
today. The dialog only collects arguments (``mutation_args()``, the same shape as
:class:`ui.incidents.dialogs.DispatchDialog`); :func:`dispatch_to_team` and
:func:`joint_visit` open it and perform ``incident.dispatch`` / ``team.joint_visit``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from commandroom.ids import new_id
from commandroom.queries.zones import Candidate, TeamDispatchData, team_dispatch_data
from commandroom.timeutil import utcnow
from ui.async_runner import exec_dialog, run_read
from ui.common.operations import Operation
from ui.zones import labels
from ui.zones.labels import zt

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor
    from commandroom.store.protocol import Store

_Index = QModelIndex | QPersistentModelIndex

COLUMNS = (
    QT_TRANSLATE_NOOP("Zones", "Send"),
    QT_TRANSLATE_NOOP("Zones", "Lead"),
    QT_TRANSLATE_NOOP("Zones", "Member"),
    QT_TRANSLATE_NOOP("Zones", "Status"),
    QT_TRANSLATE_NOOP("Zones", "Distance"),
    QT_TRANSLATE_NOOP("Zones", "Open dispatches"),
    QT_TRANSLATE_NOOP("Zones", "Certificate"),
    QT_TRANSLATE_NOOP("Zones", "Why here"),
)
SEND, LEAD, NAME, STATUS, DISTANCE, LOAD, CERT, WHY = range(len(COLUMNS))
MemberIdRole = Qt.ItemDataRole.UserRole + 5


def lead_blocker_text(c: Candidate) -> str | None:
    """Why ``c`` cannot lead, in the interface language (None if they can)."""
    if c.lead_blocker == "auxiliary":
        return QCoreApplication.translate("Zones", "{name} is auxiliary staff: auxiliaries cannot lead an enforcement action").format(name=c.name)
    if c.lead_blocker == "none":
        return QCoreApplication.translate("Zones", "{name} holds no enforcement certificate and cannot lead").format(name=c.name)
    if c.lead_blocker == "expired":
        return QCoreApplication.translate("Zones", "{name}'s enforcement certificate expired on {date} and they cannot lead").format(
            name=c.name, date=labels.day_text(c.cert_expiry))
    return None


def reason_text(c: Candidate, recommended_lead: bool = False) -> str:
    """Why the member ranks where they do (and whether they are the suggested lead)."""
    parts = [labels.label(labels.STATUS_LABELS, c.status), labels.distance_text(c.distance_km),
             QCoreApplication.translate("Zones", "{n} open dispatches").format(n=c.open_load)]
    if c.lent_from:
        parts.append(QCoreApplication.translate("Zones", "lent in from {zone}").format(zone=c.lent_from))
    if c.cert_state == "expiring":
        parts.append(QCoreApplication.translate("Zones", "certificate expires {date}").format(date=labels.day_text(c.cert_expiry)))
    text = " · ".join(parts)
    if recommended_lead:
        return QCoreApplication.translate("Zones", "Suggested lead: {why}").format(why=text)
    return text


class CandidateModel(QAbstractTableModel):
    """The dialog's ranked members with two check columns: send (crew) and lead (one at most)."""

    selection_did_change = Signal()

    def __init__(self, candidates: list[Candidate], parent: Any = None) -> None:
        super().__init__(parent)
        self.candidates = list(candidates)
        self.crew: set[str] = set()
        self.lead: str | None = None
        # the best-ranked member who may lead: what the dialog preselects
        self.recommended_lead = next((c.member_id for c in self.candidates if c.lead_blocker is None), None)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.candidates)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(COLUMNS):
            return zt(COLUMNS[section])
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
        c = self.candidates[index.row()]
        if index.column() == SEND:
            return base | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable
        if index.column() == LEAD:
            # a member who may not lead keeps the cell visible but disabled (the tooltip says why)
            return base | Qt.ItemFlag.ItemIsUserCheckable | (
                Qt.ItemFlag.ItemIsEnabled if c.lead_blocker is None else Qt.ItemFlag.NoItemFlags)
        return base | Qt.ItemFlag.ItemIsEnabled

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.candidates):
            return None
        c = self.candidates[index.row()]
        col = index.column()
        if role == MemberIdRole:
            return c.member_id
        if role == Qt.ItemDataRole.CheckStateRole:
            if col == SEND:
                return Qt.CheckState.Checked if c.member_id in self.crew else Qt.CheckState.Unchecked
            if col == LEAD:
                return Qt.CheckState.Checked if c.member_id == self.lead else Qt.CheckState.Unchecked
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if col == LEAD:
                return QCoreApplication.translate("Zones", "cannot lead") if c.lead_blocker else ""
            if col == NAME:
                return c.name + (QCoreApplication.translate("Zones", " (aux.)") if c.is_auxiliary else "") + (" ↘" if c.lent_from else "")
            if col == STATUS:
                return labels.label(labels.STATUS_LABELS, c.status)
            if col == DISTANCE:
                return labels.distance_text(c.distance_km)
            if col == LOAD:
                return str(c.open_load)
            if col == CERT:
                if c.is_auxiliary:
                    return "—"
                return labels.label(labels.CERT_LABELS, c.cert_state) + (
                    f" {labels.day_text(c.cert_expiry)}" if c.cert_expiry else "")
            if col == WHY:
                return reason_text(c, c.member_id == self.recommended_lead)
            return ""
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == LEAD and c.lead_blocker:
                return lead_blocker_text(c)
            if col == NAME and c.capabilities:
                return "、".join(c.capabilities)
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == STATUS:
                return QBrush(QColor(labels.STATUS_COLOURS.get(c.status, "#333333")))
            if col == LEAD and c.lead_blocker:
                return QBrush(QColor("#922b21"))
            if col == CERT and c.cert_state in labels.CERT_TEXT_COLOURS and not c.is_auxiliary:
                return QBrush(QColor(labels.CERT_TEXT_COLOURS[c.cert_state]))
            return None
        if role == Qt.ItemDataRole.BackgroundRole and col == CERT and not c.is_auxiliary \
                and c.cert_state in labels.CERT_COLOURS:
            return QBrush(QColor(labels.CERT_COLOURS[c.cert_state]))
        return None

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.CheckStateRole:
            return False
        if not self.flags(index) & Qt.ItemFlag.ItemIsEnabled:
            return False
        c = self.candidates[index.row()]
        checked = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) else value
        if index.column() == SEND:
            self.set_crew(c.member_id, checked)
            return True
        if index.column() == LEAD:
            return self.set_lead(c.member_id if checked else None)
        return False

    def set_crew(self, member_id: str, on: bool) -> None:
        if on:
            self.crew.add(member_id)
        else:
            self.crew.discard(member_id)
            if self.lead == member_id:
                self.lead = None
        self._changed()

    def set_lead(self, member_id: str | None) -> bool:
        """Make ``member_id`` the lead (also sends them); refused (False) for one who may not lead."""
        if member_id is not None:
            c = next((x for x in self.candidates if x.member_id == member_id), None)
            if c is None or c.lead_blocker is not None:
                return False
            self.crew.add(member_id)
        self.lead = member_id
        self._changed()
        return True

    def can_lead(self, member_id: str) -> bool:
        c = next((x for x in self.candidates if x.member_id == member_id), None)
        return c is not None and c.lead_blocker is None

    def row_of(self, member_id: str) -> int:
        return next((i for i, c in enumerate(self.candidates) if c.member_id == member_id), -1)

    def _changed(self) -> None:
        if self.candidates:
            self.dataChanged.emit(self.index(0, SEND), self.index(len(self.candidates) - 1, LEAD))
        self.selection_did_change.emit()


class TeamDispatchDialog(QDialog):
    """Dispatch to the zone's team (one incident) or a joint visit (several), see the module doc.

    Args:
        data: from :func:`commandroom.queries.zones.team_dispatch_data`.
        joint: a joint visit (综合查一次) of all ``data.incidents``.
    """

    def __init__(self, data: TeamDispatchData, *, joint: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data = data
        self.joint = joint
        self.setWindowTitle(self.tr("Joint visit") if joint else self.tr("Dispatch to the zone team"))
        self.setMinimumSize(900, 560)
        layout = QVBoxLayout(self)
        self.heading = QLabel()
        self.heading.setObjectName("SectionTitle")
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)
        self.incidents_label = QLabel()
        self.incidents_label.setWordWrap(True)
        self.incidents_label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.incidents_label)
        self._fill_heading()
        self.model = CandidateModel(data.candidates, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(WHY, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(LEAD, QHeaderView.ResizeMode.Fixed)
        self.table.setColumnWidth(LEAD, 104)
        layout.addWidget(self.table, 1)
        self.empty_label = QLabel(self.tr("Nobody of the {zone} team is on duty now: lend a member from a "
                                          "neighbouring zone on the zone board, or dispatch to a department.")
                                  .format(zone=data.zone_name or "?"))
        self.empty_label.setWordWrap(True)
        self.empty_label.setStyleSheet("QLabel { color:#922b21; font-weight:bold; }")
        self.empty_label.setVisible(not data.candidates)
        layout.addWidget(self.empty_label)
        self.blocked_label = QLabel()
        self.blocked_label.setObjectName("LeadRules")
        self.blocked_label.setWordWrap(True)
        self.blocked_label.setStyleSheet("QLabel { color:#6e2c00; background:#fef5e7; border:1px solid #f0b27a; "
                                         "border-radius:4px; padding:6px; }")
        layout.addWidget(self.blocked_label)
        self.lead_label = QLabel()
        self.lead_label.setObjectName("SectionTitle")
        layout.addWidget(self.lead_label)
        self.note_edit = QPlainTextEdit()
        self.note_edit.setPlaceholderText(self.tr("Instructions for the team (optional)"))
        self.note_edit.setFixedHeight(56)
        self.note_edit.setTabChangesFocus(True)
        layout.addWidget(self.note_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button().setText(self.tr("Start joint visit") if joint else self.tr("Dispatch"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.model.selection_did_change.connect(self._update)
        self._fill_blocked()
        self._preselect()
        self._update()

    def _fill_heading(self) -> None:
        d = self.data
        if self.joint:
            self.heading.setText(self.tr("Joint visit by the {zone} team: {n} incidents in one trip").format(
                zone=d.zone_name, n=len(d.incidents)))
        else:
            first = d.incidents[0] if d.incidents else None
            subject = f"{first.number} {first.title}" if first else ""
            self.heading.setText(self.tr("Dispatch to the {zone} team: {subject}").format(
                zone=d.zone_name, subject=subject))
        lines = [f"<b>{i.number}</b> {_esc(i.title)} · {_esc(i.township)} {_esc(i.address)}" for i in d.incidents]
        self.incidents_label.setText("<br>".join(lines[:8]) + ("<br>…" if len(lines) > 8 else ""))
        self.incidents_label.setVisible(self.joint)

    def _fill_blocked(self) -> None:
        lines = [t for c in self.data.candidates if (t := lead_blocker_text(c))]
        head = self.tr("Lead enforcer (主办): only a non-auxiliary member with a certificate valid today.")
        self.blocked_label.setText(head + ("\n" + "\n".join("• " + x for x in lines) if lines else ""))

    def _preselect(self) -> None:
        """The suggestion: the best-ranked member who may lead, plus the next best available member."""
        lead = next((c for c in self.data.candidates if c.lead_blocker is None), None)
        if lead is None:
            return
        self.model.set_lead(lead.member_id)
        second = next((c for c in self.data.candidates if c.member_id != lead.member_id), None)
        if second is not None:
            self.model.set_crew(second.member_id, True)

    def ok_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def _update(self) -> None:
        lead = next((c for c in self.data.candidates if c.member_id == self.model.lead), None)
        n = len(self.model.crew)
        if lead is None:
            self.lead_label.setText(self.tr("Choose the lead enforcer in the Lead column ({n} selected)").format(n=n))
        else:
            self.lead_label.setText(self.tr("Lead: {name} · {n} members").format(name=lead.name, n=n))
        self.ok_button().setEnabled(self.is_complete())

    def is_complete(self) -> bool:
        return self.data.zone_id is not None and self.model.lead is not None and bool(self.data.incidents)

    # -- what the tests and the helpers use

    def check_member(self, member_id: str, on: bool = True) -> None:
        self.model.set_crew(member_id, on)

    def choose_lead(self, member_id: str) -> bool:
        """Try to make ``member_id`` the lead as a click on the Lead cell does; False when refused."""
        row = self.model.row_of(member_id)
        if row < 0:
            return False
        index = self.model.index(row, LEAD)
        return self.model.setData(index, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)

    def member_ids(self) -> list[str]:
        """The crew in rank order, the lead first."""
        ranked = [c.member_id for c in self.data.candidates if c.member_id in self.model.crew]
        if self.model.lead in ranked:
            ranked.remove(self.model.lead)
            ranked.insert(0, self.model.lead)
        return ranked

    def mutation_args(self, dispatch_id: str | None = None) -> dict[str, Any]:
        """``incident.dispatch`` arguments, or ``team.joint_visit`` ones for a joint visit."""
        note = self.note_edit.toPlainText().strip()
        if self.joint:
            args: dict[str, Any] = {"incident_ids": [i.id for i in self.data.incidents],
                                    "lead_member_id": self.model.lead, "member_ids": self.member_ids()}
            if note:
                args["note"] = note
            return args
        return {"target_kind": "team", "target_code": self.data.zone_id, "member_ids": self.member_ids(),
                "lead_member_id": self.model.lead, "dispatch_id": dispatch_id or new_id(), "note": note}


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def open_team_dialog(store: Store, incident_ids: list[str], *, joint: bool = False,
                           now_fn: Callable[[], datetime] = utcnow, parent: QWidget | None = None,
                           on_open: Callable[[TeamDispatchDialog], None] | None = None) -> TeamDispatchDialog | None:
    """Load the ranked members (reader pool), show the dialog; the accepted dialog, or None."""
    data = await run_read(team_dispatch_data, store, incident_ids, now_fn())
    dialog = TeamDispatchDialog(data, joint=joint, parent=parent)
    if on_open is not None:
        on_open(dialog)
    accepted = await exec_dialog(dialog) == QDialog.DialogCode.Accepted
    return dialog if accepted else None


async def dispatch_to_team(store: Store, actor: Actor, incident_id: str, *, now_fn: Callable[[], datetime] = utcnow,
                           parent: QWidget | None = None,
                           on_open: Callable[[TeamDispatchDialog], None] | None = None) -> str | None:
    """Ask for the crew and lead, then perform ``incident.dispatch``; returns the dispatch id (None: not done).

    The incident detail can call this instead of the generic dispatch dialog for an
    enforcement incident. A refusal is shown on ``parent`` (None returned).
    """
    dialog = await open_team_dialog(store, [incident_id], now_fn=now_fn, parent=parent, on_open=on_open)
    if dialog is None:
        return None
    args = dialog.mutation_args()
    if await Operation(parent, store, actor, "incident.dispatch", incident_id, args).run() is None:
        return None
    return args["dispatch_id"]


async def joint_visit(store: Store, actor: Actor, incident_ids: list[str], *, now_fn: Callable[[], datetime] = utcnow,
                      parent: QWidget | None = None,
                      on_open: Callable[[TeamDispatchDialog], None] | None = None) -> str | None:
    """Ask for the crew and lead, then perform ``team.joint_visit``; returns the joint visit id (None: not done)."""
    dialog = await open_team_dialog(store, incident_ids, joint=True, now_fn=now_fn, parent=parent, on_open=on_open)
    if dialog is None:
        return None
    visit_id = new_id()
    if await Operation(parent, store, actor, "team.joint_visit", visit_id, dialog.mutation_args()).run() is None:
        return None
    return visit_id


__all__ = ["CandidateModel", "TeamDispatchDialog", "dispatch_to_team", "joint_visit"]
