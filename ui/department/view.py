"""部门工作台: a county department's own seat — its work in every township, each with its clock, and its acts.

The list comes from :func:`commandroom.queries.department.work_items` (model/view over the rows' ids);
every act is a named mutation through the store (offline too, the same outbox as a township desk), so
the timeline shows it under the liaison's name. The acts: 签收, 报到 (who attends and when), 进展,
办结 of its step, and 退回 with a reason and a counter-proposal (``incident.return_by_department``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from commandroom.queries import department as q
from commandroom.queries.scope import department_of
from commandroom.timeutil import fmt_local
from ui import i18n
from ui.async_runner import LatestTask, run_read, store_events
from ui.boards import labels as board_labels
from ui.common.operations import ActionHostMixin, Operation
from ui.common.row_model import RowTableModel, fit_columns
from ui.form_dialog import FormDialog, text_edit
from ui.notifications import Notice

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor
    from commandroom.store.protocol import Store

KIND_LABELS = {
    "incident": QT_TRANSLATE_NOOP("Department", "Incident"),
    "summons": QT_TRANSLATE_NOOP("Department", "Summons"),
    "case_checkin": QT_TRANSLATE_NOOP("Department", "One-thing case check-in"),
    "case_step": QT_TRANSLATE_NOOP("Department", "One-thing case step"),
}
RELATION_LABELS = {
    "assignee": QT_TRANSLATE_NOOP("Department", "Assigned to us"),
    "lead": QT_TRANSLATE_NOOP("Department", "Lead department"),
    "collaborator": QT_TRANSLATE_NOOP("Department", "Collaborating"),
    "summoned": QT_TRANSLATE_NOOP("Department", "Summoned"),
    "case_lead": QT_TRANSLATE_NOOP("Department", "Leads the case"),
    "case_collaborator": QT_TRANSLATE_NOOP("Department", "Collaborates on the case"),
}
CLOCK_LABELS = {
    "ack": QT_TRANSLATE_NOOP("Department", "Sign for it"),
    "onsite": QT_TRANSLATE_NOOP("Department", "Be on site"),
    "close": QT_TRANSLATE_NOOP("Department", "Finish"),
    "checkin": QT_TRANSLATE_NOOP("Department", "Check in"),
    "step": QT_TRANSLATE_NOOP("Department", "Case time limit"),
}
CHECKIN_STATE_LABELS = {
    "waiting": QT_TRANSLATE_NOOP("Department", "Waiting for check-in"),
    "checked_in": QT_TRANSLATE_NOOP("Department", "Checked in"),
    "missed": QT_TRANSLATE_NOOP("Department", "Overdue, escalated"),
}


def _label(table: dict[str, str], key: str) -> str:
    source = table.get(key)
    return QCoreApplication.translate("Department", source) if source else key


def _state_text(w: q.WorkItem) -> str:
    if w.kind == "incident":
        return i18n.label(i18n.INCIDENT_STATE_LABELS, w.state)
    if w.kind == "case_step":
        return QCoreApplication.translate("Department", "Next step: {step}").format(step=w.state)
    return _label(CHECKIN_STATE_LABELS, w.state)


class WorkModel(RowTableModel):
    """The department's work: one row per thing to act on, the clock's countdown moving with the time."""

    def __init__(self, now: Any, parent: Any = None) -> None:
        super().__init__(parent)
        self.now = now

    def columns(self) -> list[Any]:
        def text(fn: Any) -> Any:
            return lambda w, role: fn(w) if role == Qt.ItemDataRole.DisplayRole else None

        def countdown(w: q.WorkItem, role: int) -> Any:
            if w.due is None or not w.clock:
                return "—" if role == Qt.ItemDataRole.DisplayRole else None
            if role == Qt.ItemDataRole.DisplayRole:
                return board_labels.countdown(w.due, None, self.now())
            if role == Qt.ItemDataRole.ForegroundRole and w.overdue:
                return QColor("#c0392b")
            return None

        return [
            (self.tr("Kind"), text(lambda w: _label(KIND_LABELS, w.kind))),
            (self.tr("Township"), text(lambda w: w.township_name)),
            (self.tr("Number"), text(lambda w: w.number or "—")),
            (self.tr("Matter"), text(lambda w: w.title)),
            (self.tr("Our part"), text(lambda w: _label(RELATION_LABELS, w.relation))),
            (self.tr("State"), text(_state_text)),
            (self.tr("Clock"), text(lambda w: _label(CLOCK_LABELS, w.clock) if w.clock else "—")),
            (self.tr("Due"), text(lambda w: fmt_local(w.due, "%m-%d %H:%M") if w.due else "—")),
            (self.tr("Countdown"), countdown),
        ]


class CheckinDialog(FormDialog):
    """报到: who attends, and when."""

    def __init__(self, subject: str, parent: QWidget | None = None) -> None:
        super().__init__(QCoreApplication.translate("Department", "Check in"), parent, subject)
        self.attendee_edit = QLineEdit()
        self.attendee_edit.setPlaceholderText(self.tr("Name(s) of who attends"))
        self.attend_at_edit = QLineEdit()
        self.attend_at_edit.setPlaceholderText(self.tr("e.g. today 14:30, on site"))
        self.note_edit = text_edit(self.tr("Anything the township should know (optional)"), 60)
        self.form.addRow(self.tr("Who attends"), self.attendee_edit)
        self.form.addRow(self.tr("When"), self.attend_at_edit)
        self.form.addRow(self.tr("Note"), self.note_edit)
        self.attendee_edit.textChanged.connect(self._update_ok)
        self.finish_layout()

    def is_complete(self) -> bool:
        return bool(self.attendee_edit.text().strip())

    def mutation_args(self) -> dict[str, Any]:
        return {"attendee": self.attendee_edit.text().strip(), "attend_at": self.attend_at_edit.text().strip(),
                "note": self.note_edit.toPlainText().strip()}


class NoteDialog(FormDialog):
    """进展: a progress note on the incident's timeline."""

    def __init__(self, subject: str, parent: QWidget | None = None) -> None:
        super().__init__(QCoreApplication.translate("Department", "Progress"), parent, subject)
        self.note_edit = text_edit(self.tr("What has been done, what comes next"), 100)
        self.form.addRow(self.tr("Progress"), self.note_edit)
        self.note_edit.textChanged.connect(self._update_ok)
        self.finish_layout()

    def is_complete(self) -> bool:
        return bool(self.note_edit.toPlainText().strip())


class ReturnDialog(FormDialog):
    """退回: the reason, and which list matter or department should handle it instead."""

    def __init__(self, subject: str, matters: list[tuple[str, str]], departments: list[tuple[str, str]],
                 parent: QWidget | None = None) -> None:
        super().__init__(QCoreApplication.translate("Department", "Return"), parent, subject)
        self.reason_edit = text_edit(self.tr("Why this is not our department's duty (cite the list)"), 90)
        self.matter_combo = QComboBox()
        self.matter_combo.addItem(self.tr("(no list matter proposed)"), "")
        for mid, name in matters:
            self.matter_combo.addItem(name, mid)
        self.department_combo = QComboBox()
        self.department_combo.addItem(self.tr("(no department proposed)"), "")
        for code, name in departments:
            self.department_combo.addItem(name, code)
        self.form.addRow(self.tr("Reason"), self.reason_edit)
        self.form.addRow(self.tr("Should be list matter"), self.matter_combo)
        self.form.addRow(self.tr("Should be handled by"), self.department_combo)
        self.hint = QLabel(self.tr("A return needs a reason and at least one proposal; the county arbitrates."))
        self.hint.setWordWrap(True)
        self.form.addRow(self.hint)
        self.reason_edit.textChanged.connect(self._update_ok)
        self.matter_combo.currentIndexChanged.connect(self._update_ok)
        self.department_combo.currentIndexChanged.connect(self._update_ok)
        self.finish_layout()

    def is_complete(self) -> bool:
        return bool(self.reason_edit.toPlainText().strip()) and bool(
            self.matter_combo.currentData() or self.department_combo.currentData())

    def mutation_args(self) -> dict[str, Any]:
        out: dict[str, Any] = {"reason": self.reason_edit.toPlainText().strip()}
        if self.matter_combo.currentData():
            out["proposed_matter_id"] = self.matter_combo.currentData()
        if self.department_combo.currentData():
            out["proposed_department_code"] = self.department_combo.currentData()
        return out


class DepartmentView(ActionHostMixin, QWidget):
    """The department's workspace page."""

    banner_requested = Signal(object)
    incident_activated = Signal(str)

    def __init__(self, store: Store, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actor = actor
        self.department = department_of(actor) or ""
        self.model = WorkModel(store.now, self)
        self._task = LatestTask("department-work")
        self._items: list[q.WorkItem] = []

        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        self.title_label = QLabel(self.tr("Department workspace"))
        self.title_label.setObjectName("SectionTitle")
        head.addWidget(self.title_label)
        self.counts_label = QLabel("")
        head.addWidget(self.counts_label, 1)
        head.addWidget(QLabel(self.tr("Township")))
        self.township_combo = QComboBox()
        self.township_combo.addItem(self.tr("All townships"), None)
        self.township_combo.currentIndexChanged.connect(lambda *_: self.reload())
        head.addWidget(self.township_combo)
        layout.addLayout(head)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.table.doubleClicked.connect(self._on_double_clicked)
        layout.addWidget(self.table, 1)

        buttons = QHBoxLayout()
        self.sign_button = QPushButton(self.tr("Sign for it (签收)"))
        self.checkin_button = QPushButton(self.tr("Check in (报到)…"))
        self.note_button = QPushButton(self.tr("Progress…"))
        self.finish_button = QPushButton(self.tr("Finish our part (办结)"))
        self.return_button = QPushButton(self.tr("Return (退回)…"))
        for b, fn in ((self.sign_button, self.sign), (self.checkin_button, self.check_in),
                      (self.note_button, self.add_note), (self.finish_button, self.finish),
                      (self.return_button, self.return_matter)):
            b.clicked.connect(lambda _=False, f=fn: self.start_action(f()))
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.message_label = QLabel("")
        self.message_label.setWordWrap(True)
        self.message_label.hide()
        layout.addWidget(self.message_label)

        self._reload = QTimer(self)
        self._reload.setSingleShot(True)
        self._reload.setInterval(150)
        self._reload.timeout.connect(self.reload)
        self._tick = QTimer(self)
        self._tick.setInterval(30_000)
        self._tick.timeout.connect(self.model.repaint_all)  # countdowns move; nothing is reloaded
        self._tick.start()
        store_events(store).changes_did_happen.connect(self._on_store_changes)
        self._update_buttons()

    # -- loading

    def _on_store_changes(self, changes: Any) -> None:
        if any(changes.touches(t) for t in ("incident", "dispatch", "case_checkin", "one_thing_case", "case_step",
                                            "township")):
            self._reload.start()

    def reload(self) -> None:
        town = self.township_combo.currentData()
        self._task.start(run_read(self._load, town), self._on_loaded)

    def _load(self, town: str | None) -> tuple[str, list[tuple[str, str]], list[q.WorkItem]]:
        name = q.department_name(self.store, self.department)
        towns = q.townships(self.store)
        items = q.work_items(self.store, self.department, self.store.now(), townships=[town] if town else None)
        return name, towns, items

    def _on_loaded(self, result: tuple[str, list[tuple[str, str]], list[q.WorkItem]]) -> None:
        name, towns, items = result
        self.title_label.setText(self.tr("{department} · department workspace").format(department=name or "—"))
        if self.township_combo.count() == 1 and towns:
            self.township_combo.blockSignals(True)
            for code, tname in towns:
                self.township_combo.addItem(tname, code)
            self.township_combo.blockSignals(False)
        self._items = items
        self.model.set_rows(items)
        fit_columns(self.table, skip=(3,))
        c = q.counts(items)
        self.counts_label.setText(self.tr("{open} open · {overdue} overdue · {checkin} waiting for our check-in").format(
            **c))
        self._update_buttons()

    async def wait_idle(self) -> None:
        for _ in range(2):
            if self.action_task is not None and not self.action_task.done():
                await self.action_task
            if self._reload.isActive():
                self._reload.stop()
                self.reload()
            await self._task.wait()

    # -- selection and acts

    def selected(self) -> q.WorkItem | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.row_by_id(self.model.ids[rows[0].row()])

    def select_item(self, item_id: str) -> bool:
        if item_id not in self.model.ids:
            return False
        self.table.selectRow(self.model.ids.index(item_id))
        return True

    def _on_double_clicked(self, index: Any) -> None:
        w = self.model.row_by_id(self.model.ids[index.row()])
        if w is not None and w.incident_id:
            self.incident_activated.emit(w.incident_id)

    def _sign_act(self, w: q.WorkItem | None) -> tuple[str, str] | None:
        if w is None or w.kind != "incident":
            return None
        if w.dispatch_id and w.dispatch_state == "assigned":
            return "dispatch.acknowledge", w.dispatch_id
        if w.relation == "assignee" and w.state == "dispatched":
            return "incident.acknowledge", w.entity_id
        return None

    def _finish_act(self, w: q.WorkItem | None) -> tuple[str, str, dict[str, Any]] | None:
        if w is None:
            return None
        if w.kind == "case_step" and w.step_position is not None:
            return "case.step_done", w.entity_id, {"position": w.step_position}
        if w.kind != "incident":
            return None
        if w.relation == "assignee" and w.state in ("acknowledged", "in_progress"):
            return "incident.submit", w.entity_id, {}
        if w.dispatch_id and w.dispatch_state in ("acknowledged", "en_route", "on_scene"):
            return "dispatch.done", w.dispatch_id, {}
        return None

    def _may_return(self, w: q.WorkItem | None) -> bool:
        return (w is not None and w.kind == "incident" and w.relation == "assignee"
                and w.state in ("dispatched", "acknowledged", "in_progress"))

    def _update_buttons(self) -> None:
        w = self.selected()
        may = self.actor.may
        self.sign_button.setEnabled(self._sign_act(w) is not None and may("incident.acknowledge"))
        self.checkin_button.setEnabled(w is not None and w.clock == "checkin" and may("checkin"))
        self.note_button.setEnabled(w is not None and bool(w.incident_id) and may("incident.note"))
        self.finish_button.setEnabled(self._finish_act(w) is not None)
        self.return_button.setEnabled(self._may_return(w) and may("incident.return_by_department"))

    async def perform(self, name: str, entity_id: str, args: dict[str, Any]) -> bool:
        if await Operation(self, self.store, self.actor, name, entity_id, args).run() is None:
            return False
        self._reload.start()
        return True

    def show_refusal(self, message: str) -> None:
        self.message_label.setStyleSheet("QLabel { color:#c0392b; font-weight:bold; }")
        self.message_label.setText(message)
        self.message_label.show()

    def clear_refusal(self) -> None:
        self.message_label.hide()

    def _subject(self, w: q.WorkItem) -> str:
        return f"{w.township_name} {w.number} {w.title}".strip()

    async def sign(self) -> bool:
        w = self.selected()
        act = self._sign_act(w)
        if w is None or act is None:
            return False
        return await self.perform(act[0], act[1], {})

    async def check_in(self) -> bool:
        w = self.selected()
        if w is None or w.clock != "checkin":
            return False
        dialog = CheckinDialog(self._subject(w), self)
        if not await self._dialog(dialog):
            return False
        args = dialog.mutation_args()
        if w.kind == "case_checkin":
            return await self.perform("case.checkin", w.entity_id, {**args, "department_code": self.department})
        return await self.perform("checkin", w.entity_id, args)

    async def add_note(self) -> bool:
        w = self.selected()
        if w is None or not w.incident_id:
            return False
        dialog = NoteDialog(self._subject(w), self)
        if not await self._dialog(dialog):
            return False
        return await self.perform("incident.note", w.incident_id, {"note": dialog.note_edit.toPlainText().strip()})

    async def finish(self) -> bool:
        w = self.selected()
        act = self._finish_act(w)
        if act is None:
            return False
        return await self.perform(*act)

    async def return_matter(self) -> bool:
        w = self.selected()
        if not self._may_return(w) or w is None:
            return False
        matters, depts = await run_read(q.proposal_choices, self.store, self.department)
        dialog = ReturnDialog(self._subject(w), matters, depts, self)
        if not await self._dialog(dialog):
            return False
        ok = await self.perform("incident.return_by_department", w.entity_id, dialog.mutation_args())
        if ok:
            self.banner_requested.emit(Notice(text=self.tr("Returned: the township and the county see the reason and "
                                                      "your proposal."), level="info", key="dept-returned"))
        return ok


def build_page(window: Any) -> QWidget:
    """The department workspace for ``window`` (a MainWindow); double-click opens the incident."""
    from ui.main_window import PAGE_INCIDENTS

    view = DepartmentView(window.store, window.actor)
    view.banner_requested.connect(window.notifier.notify)

    def show(incident_id: str) -> None:
        page = window.show_page(PAGE_INCIDENTS)
        fn = getattr(page, "show_incident", None) or getattr(page, "select_incident", None)
        if fn is not None:
            fn(incident_id)

    view.incident_activated.connect(show)
    view.reload()
    return view
