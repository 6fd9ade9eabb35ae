"""One-thing cases (一件事: 乡镇点单、部门报到、限时办结): catalogue, case list and the case pane.

Left: the catalogue of 17 entries (the six named in the article starred) with "order"
(乡镇点单) and "open from an incident"; below it the cases. Right: the selected case —
the before/after of the reform (农民建房: 7 个步骤 → 3 个步骤), the lead department (领办)
and the collaborating departments with their check-in status and time, the named steps
with the current one highlighted (steps complete in order), and the time limit with its
countdown and escalation, and the case's attachments (材料: documents and photos, attached here and
opened or saved as a copy from this desk's files or the county server). Actions perform ``case.checkin`` /
``case.step_done`` / ``case.complete`` / ``case.escalate`` / ``case.attach`` on the writer; the pane reloads
from change events.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from commandroom.ids import new_id
from commandroom.queries.cases import (
    Attachment,
    CaseDetail,
    CaseRow,
    CatalogueRow,
    case_detail,
    case_list,
    catalogue,
)
from commandroom.services.deadlines import escalation_for, escalation_rank
from commandroom.store.photos import PhotoError, attach_files
from commandroom.timeutil import fmt_local, utcnow
from ui import ui_state
from ui.async_runner import LatestTask, run_db, run_read, store_events
from ui.boards import labels as board_labels
from ui.boards.dialogs import BaseDialog, IncidentPickerDialog, text_edit
from ui.cases.models import STATE_COLOURS, CaseCheckinModel, CaseListModel, CatalogueModel, state_label
from ui.common.id_model import IdRole
from ui.common.operations import ActionHostMixin, Operation
from ui.common.photo_viewer import photo_source, show_photo
from ui.common.row_model import fit_columns

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor
    from commandroom.store.protocol import Store

WATCHED = ("one_thing_case", "case_step", "case_checkin")
LADDER = ("reminder", "supervision_order", "leader_notice")
AttachmentRole = Qt.ItemDataRole.UserRole + 41
ATTACH_FILTER = "*.pdf *.doc *.docx *.xls *.xlsx *.ppt *.pptx *.jpg *.jpeg *.png"


def kind_label(mime: str) -> str:
    """What kind of file an attachment is, in the officer's words."""
    words = {
        "application/pdf": QCoreApplication.translate("Cases", "PDF"),
        "image/jpeg": QCoreApplication.translate("Cases", "Photo"),
        "image/png": QCoreApplication.translate("Cases", "Photo"),
    }
    if mime in words:
        return words[mime]
    if "wordprocessing" in mime:
        return QCoreApplication.translate("Cases", "Word")
    if "spreadsheet" in mime:
        return QCoreApplication.translate("Cases", "Excel")
    if "presentation" in mime:
        return QCoreApplication.translate("Cases", "PowerPoint")
    return QCoreApplication.translate("Cases", "Office file")


def size_label(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1048576:.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


class OpenCaseDialog(BaseDialog):
    """Open a one-thing case: the catalogue entry, a title and a note (乡镇点单, or from an incident)."""

    def __init__(self, entries: list[CatalogueRow], type_code: str | None, incident_label: str = "",
                 parent: QWidget | None = None) -> None:
        title = self.tr("Open a one-thing case from an incident") if incident_label else \
            self.tr("Township's order (open a one-thing case)")
        super().__init__(title, parent, incident_label)
        self.entries = {e.id: e for e in entries}
        self.type_combo = QComboBox()
        for e in entries:
            self.type_combo.addItem(("★ " if e.named_in_seed else "") + e.name, e.id)
        if type_code:
            self.type_combo.setCurrentIndex(max(0, self.type_combo.findData(type_code)))
        self.info_label = QLabel()
        self.info_label.setWordWrap(True)
        self.info_label.setObjectName("Muted")
        self.title_edit = QLineEdit()
        self.title_edit.setMaxLength(128)
        self.title_edit.setPlaceholderText(self.tr("(the catalogue name)"))
        self.note_edit = text_edit(self.tr("What the township orders"))
        self.form.addRow(self.tr("One thing"), self.type_combo)
        self.form.addRow("", self.info_label)
        self.form.addRow(self.tr("Title"), self.title_edit)
        self.form.addRow(self.tr("Note"), self.note_edit)
        self.type_combo.currentIndexChanged.connect(self._show_info)
        self._show_info()
        self.finish_layout()

    def _show_info(self, *_: Any) -> None:
        e = self.entries.get(self.type_combo.currentData())
        if e is None:
            self.info_label.clear()
            return
        self.info_label.setText(self.tr("Lead: {lead}; collaborating: {others}; steps: {steps}; "
                                        "time limit {n} working days").format(
            lead=e.lead_name, others="、".join(e.collaborators) or "—", steps=" → ".join(e.steps),
            n=e.time_limit_days))

    def is_complete(self) -> bool:
        return bool(self.type_combo.currentData())

    def mutation_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {"type_code": self.type_combo.currentData()}
        if self.title_edit.text().strip():
            args["title"] = self.title_edit.text().strip()
        if self.note_edit.toPlainText().strip():
            args["note"] = self.note_edit.toPlainText().strip()
        return args


class StepStrip(QWidget):
    """The case's named steps left to right: done ✓, the current one highlighted, the rest grey."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_ = QHBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setSpacing(4)
        self.labels: list[QLabel] = []

    def show_steps(self, steps: list[Any], current: int | None, now: datetime | None = None) -> None:
        for label in self.labels:
            label.setParent(None)
            label.deleteLater()
        self.labels = []
        for k, step in enumerate(steps):
            if k:
                arrow = QLabel("→")
                self.layout_.addWidget(arrow)
                self.labels.append(arrow)
            if step.done:
                text = f"✓ {step.position}. {step.name}"
                tip = self.tr("Done {when} by {who}").format(when=fmt_local(step.done_at, "%m-%d %H:%M"),
                                                            who=step.done_by or "—")
                style = "background:#e3f3e6; color:#1e6b34; border:1px solid #9fd3ab;"
                if step.overdue:  # done after its own limit
                    tip += "  " + self.tr("(after the step's limit {due})").format(due=fmt_local(step.due_at))
            elif step.position == current:
                text = f"▶ {step.position}. {step.name}"
                tip = self.tr("Current step")
                style = "background:#2d6cc0; color:white; font-weight:bold;"
                if step.due_at is not None and now is not None:
                    # the step's own countdown, on the working-day clock (holidays do not count)
                    text += "\n" + board_labels.countdown(step.due_at, None, now)
                    tip = self.tr("Current step, due {due} ({days} working days)").format(
                        due=fmt_local(step.due_at), days=f"{step.limit_days:g}")
                    if step.escalation_level not in ("", "none"):
                        text += f"（{board_labels.escalation_label(step.escalation_level)}）"
                    if step.overdue:
                        style = "background:#c0392b; color:white; font-weight:bold;"
            else:
                text = f"{step.position}. {step.name}"
                tip = self.tr("Not started")
                style = "background:#eef1f5; color:#5a6472; border:1px solid #d0d7e2;"
                if step.limit_days:
                    text += "\n" + self.tr("{days} working days").format(days=f"{step.limit_days:g}")
            label = QLabel(text)
            label.setToolTip(tip)
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setStyleSheet(f"QLabel {{ {style} border-radius:4px; padding:8px 6px; }}")
            label.setProperty("done", bool(step.done))
            self.layout_.addWidget(label, 1)
            self.labels.append(label)


class CasePanel(QWidget):
    """One case: the reform's before/after, departments and check-ins, steps, the clock."""

    def __init__(self, view: CasesView) -> None:
        super().__init__(view)
        self.view = view
        self.detail: CaseDetail | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 4, 4, 4)
        self.empty_label = QLabel(self.tr("Select a case, or order one from the catalogue."))
        self.empty_label.setObjectName("Muted")
        self.title_label = QLabel()
        self.title_label.setObjectName("DetailTitle")
        self.title_label.setWordWrap(True)
        self.state_label = QLabel()
        self.sub_label = QLabel()
        self.sub_label.setWordWrap(True)
        self.sub_label.setObjectName("Muted")
        self.reform_label = QLabel()
        self.reform_label.setObjectName("ReformSummary")
        self.reform_label.setWordWrap(True)
        self.reform_label.setStyleSheet("QLabel { background:#fff7e0; border:1px solid #f0c040; border-radius:4px;"
                                        " padding:8px; font-size:13pt; font-weight:bold; color:#6b4a00; }")
        self.reform_note = QLabel()
        self.reform_note.setWordWrap(True)
        self.reform_note.setObjectName("Muted")
        self.lead_label = QLabel()
        self.lead_label.setWordWrap(True)
        self.clock_label = QLabel()
        self.clock_label.setWordWrap(True)
        self.incident_button = QPushButton()
        self.incident_button.setFlat(True)
        self.incident_button.setStyleSheet("QPushButton { color:#2d6cc0; text-align:left; text-decoration:underline; }")
        self.incident_button.clicked.connect(self._on_incident_clicked)
        steps_title = QLabel(self.tr("Steps (completed in order)"))
        steps_title.setObjectName("SectionTitle")
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.steps = StepStrip()
        depts_title = QLabel(self.tr("Departments check in"))
        depts_title.setObjectName("SectionTitle")
        self.checkin_model = CaseCheckinModel(view.clock, self)
        self.checkin_table = QTableView()
        self.checkin_table.setModel(self.checkin_model)
        self.checkin_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.checkin_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.checkin_table.verticalHeader().hide()
        self.checkin_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.checkin_table.horizontalHeader().setStretchLastSection(True)
        ui_state.remember_table(self.checkin_table, "cases-checkins")
        buttons = QHBoxLayout()
        self.checkin_button = QPushButton(self.tr("Department checks in"))
        self.step_button = QPushButton(self.tr("Complete the current step"))
        self.complete_button = QPushButton(self.tr("Close the case"))
        self.escalate_button = QPushButton(self.tr("Escalate (supervise)"))
        self.checkin_button.clicked.connect(lambda: view.start_action(view.checkin_selected()))
        self.step_button.clicked.connect(lambda: view.start_action(view.complete_step()))
        self.complete_button.clicked.connect(lambda: view.start_action(view.complete_case()))
        self.escalate_button.clicked.connect(lambda: view.start_action(view.escalate_case()))
        for b in (self.checkin_button, self.step_button, self.complete_button, self.escalate_button):
            buttons.addWidget(b)
        self.note_label = QLabel()
        self.note_label.setWordWrap(True)
        self.note_label.setObjectName("Muted")
        self.attach_title = QLabel(self.tr("Attachments (documents and photos)"))
        self.attach_title.setObjectName("SectionTitle")
        self.attachment_list = QListWidget()
        self.attachment_list.setMaximumHeight(110)
        self.attachment_list.itemDoubleClicked.connect(lambda _item: self._on_open_clicked())
        self.attachment_list.currentRowChanged.connect(self._update_buttons)
        attach_bar = QHBoxLayout()
        self.attach_button = QPushButton(self.tr("Attach files…"))
        self.open_attachment_button = QPushButton(self.tr("Open"))
        self.save_attachment_button = QPushButton(self.tr("Save a copy…"))
        self.attach_button.clicked.connect(self._on_attach_clicked)
        self.open_attachment_button.clicked.connect(self._on_open_clicked)
        self.save_attachment_button.clicked.connect(self._on_save_clicked)
        attach_bar.addWidget(self.attach_title, 1)
        for b in (self.attach_button, self.open_attachment_button, self.save_attachment_button):
            attach_bar.addWidget(b)
        head = QHBoxLayout()
        head.addWidget(self.title_label, 1)
        head.addWidget(self.state_label)
        layout.addWidget(self.empty_label)
        layout.addLayout(head)
        for w in (self.sub_label, self.reform_label, self.reform_note, self.lead_label, self.clock_label,
                  self.incident_button, steps_title, self.progress, self.steps, depts_title):
            layout.addWidget(w)
        layout.addWidget(self.checkin_table, 1)
        layout.addWidget(self.note_label)
        layout.addLayout(attach_bar)
        layout.addWidget(self.attachment_list)
        layout.addLayout(buttons)
        self._content = [self.title_label, self.state_label, self.sub_label, self.reform_label, self.reform_note,
                         self.lead_label, self.clock_label, self.incident_button, steps_title, self.progress,
                         self.steps, depts_title, self.checkin_table, self.note_label, self.checkin_button,
                         self.step_button, self.complete_button, self.escalate_button, self.attach_title,
                         self.attachment_list, self.attach_button, self.open_attachment_button,
                         self.save_attachment_button]
        self.checkin_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.show_detail(None)

    def show_detail(self, detail: CaseDetail | None) -> None:
        self.detail = detail
        self.empty_label.setVisible(detail is None)
        for w in self._content:
            w.setVisible(detail is not None)
        if detail is None:
            self.checkin_model.set_rows([])
            self.attachment_list.clear()
            return
        p = detail.progress
        now = self.view.clock()
        self.title_label.setText(p.title)
        colour = STATE_COLOURS.get(p.state, "#5a6472")
        self.state_label.setText(state_label(p.state))
        self.state_label.setStyleSheet(f"QLabel {{ background:{colour}; color:white; font-weight:bold;"
                                       f" border-radius:4px; padding:4px 10px; }}")
        self.sub_label.setText(self.tr("{number} · {type} · {township} · ordered {when}").format(
            number=p.number or self.tr("(number assigned by the server)"), type=p.type_name,
            township=detail.township_name, when=fmt_local(p.ordered_at)))
        summary = p.reform_summary
        self.reform_label.setVisible(bool(summary))
        self.reform_label.setText(self.tr("Reform: {summary}").format(summary=summary))
        self.reform_note.setVisible(bool(summary and detail.description))
        self.reform_note.setText(detail.description)
        self.lead_label.setText(self.tr("Lead department: <b>{lead}</b> · collaborating: {others}").format(
            lead=detail.lead_name, others="、".join(detail.collaborators) or "—"))
        self.lead_label.setTextFormat(Qt.TextFormat.RichText)
        limit = self.tr("{n} working days").format(n=p.time_limit_days) if p.time_limit_days else ""
        if p.completed_at is not None:
            clock = self.tr("Completed {when} ({how})").format(
                when=fmt_local(p.completed_at),
                how=self.tr("on time") if not p.overdue else self.tr("late"))
            style = "color:#1e7b34;"
        elif now > p.due_at:
            clock = self.tr("Time limit {limit}, due {due}: overdue {span}").format(
                limit=limit, due=fmt_local(p.due_at), span=board_labels.span((now - p.due_at).total_seconds()))
            style = "color:#c0392b; font-weight:bold;"
        else:
            clock = self.tr("Time limit {limit}, due {due}: {span} left").format(
                limit=limit, due=fmt_local(p.due_at), span=board_labels.span((p.due_at - now).total_seconds()))
            style = "color:#1d232b;"
        if p.escalation_level not in ("", "none"):
            clock += "  " + self.tr("[escalated: {level}]").format(
                level=board_labels.escalation_label(p.escalation_level))
        self.clock_label.setText(clock)
        self.clock_label.setStyleSheet(f"QLabel {{ {style} font-size:11.5pt; }}")
        self.incident_button.setVisible(bool(detail.incident_id))
        self.incident_button.setText(self.tr("From incident {label}").format(label=detail.incident_label))
        self.progress.setRange(0, max(p.steps_total, 1))
        self.progress.setValue(p.steps_done)
        self.progress.setFormat(self.tr("{done} of {total} steps done").format(done=p.steps_done, total=p.steps_total))
        self.steps.show_steps(p.steps, p.current_step.position if p.current_step else None, now)
        self.checkin_model.set_rows(p.checkins)
        fit_columns(self.checkin_table)
        self.note_label.setText(detail.note)
        self.note_label.setVisible(bool(detail.note))
        self.show_attachments(detail.attachments)
        self._update_buttons()

    def show_attachments(self, attachments: tuple[Attachment, ...]) -> None:
        """One line per file: name, kind, size, who attached it and when; the selection is kept."""
        current = self.selected_attachment()
        self.attachment_list.clear()
        for a in attachments:
            when = fmt_local(a.at, "%m-%d %H:%M") if a.at else ""
            item = QListWidgetItem(self.tr("{name}  ·  {kind} {size}  ·  {by} {when}").format(
                name=a.name, kind=kind_label(a.mime), size=size_label(a.size), by=a.by, when=when).strip())
            item.setData(AttachmentRole, a)
            item.setToolTip(a.name)
            self.attachment_list.addItem(item)
            if current is not None and a.sha256 == current.sha256:
                self.attachment_list.setCurrentItem(item)
        if not attachments:
            empty = QListWidgetItem(self.tr("No attachments yet."))
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.attachment_list.addItem(empty)

    def selected_attachment(self) -> Attachment | None:
        item = self.attachment_list.currentItem()
        return item.data(AttachmentRole) if item is not None else None

    def _on_attach_clicked(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, self.tr("Attach files to the case"), "",
            self.tr("Documents and photos ({patterns})").format(patterns=ATTACH_FILTER))
        if paths:
            self.view.start_action(self.view.attach([Path(p) for p in paths]))

    def _on_open_clicked(self) -> None:
        chosen = self.selected_attachment()
        if chosen is not None:
            self.view.start_action(self.view.open_attachment(chosen))

    def _on_save_clicked(self) -> None:
        chosen = self.selected_attachment()
        if chosen is None:
            return
        target, _ = QFileDialog.getSaveFileName(self, self.tr("Save a copy of the attachment"), chosen.name)
        if target:
            self.view.start_action(self.view.save_attachment_copy(chosen, Path(target)))

    def selected_checkin(self) -> Any:
        sel = self.checkin_table.selectionModel().selectedRows()
        return self.checkin_model.row_by_id(self.checkin_model.data(sel[0], IdRole)) if sel else None

    def _update_buttons(self, *_: Any) -> None:
        d = self.detail
        open_ = d is not None and d.progress.state != "completed"
        chk = self.selected_checkin()
        may = self.view.actor.may
        self.checkin_button.setEnabled(open_ and chk is not None and chk.checked_in_at is None and may("case.checkin"))
        self.step_button.setEnabled(open_ and d.progress.current_step is not None and may("case.step_done"))
        self.complete_button.setEnabled(open_ and d.progress.current_step is None and may("case.complete"))
        self.escalate_button.setEnabled(open_ and self.view.clock() > d.progress.due_at
                                        and escalation_rank(d.progress.escalation_level) < len(LADDER))
        self.attach_button.setEnabled(d is not None and may("case.attach"))
        chosen = self.selected_attachment()
        self.open_attachment_button.setEnabled(chosen is not None)
        self.save_attachment_button.setEnabled(chosen is not None)
        if d is not None and d.progress.current_step is not None:
            self.step_button.setText(self.tr("Complete step {n}: {name}").format(
                n=d.progress.current_step.position, name=d.progress.current_step.name))
        else:
            self.step_button.setText(self.tr("Complete the current step"))

    def _on_incident_clicked(self) -> None:
        if self.detail is not None and self.detail.incident_id:
            self.view.incident_requested.emit(self.detail.incident_id, self.detail.incident_label)


class CasesView(ActionHostMixin, QWidget):
    """The one-thing screen.

    Args:
        store: the workstation's DeskStore.
        actor: who acts.
        township_codes: the townships in scope (None: the whole county).
        clock: the current time (naive UTC); tests and screenshots freeze it.
    """

    incident_requested = Signal(str, str)

    def __init__(self, store: Store, actor: Actor, township_codes: list[str] | None,
                 clock: Callable[[], datetime] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actor = actor
        self.township_codes = township_codes
        self.clock = clock or utcnow
        self.action_task: asyncio.Task | None = None
        self.open_dialog: Any = None
        self.case_id: str | None = None
        self.open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl  # how a document is handed to its program
        self.entries: list[CatalogueRow] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 4)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.hide()
        outer.addWidget(self.message_label)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        cat_bar = QHBoxLayout()
        self.catalogue_title = QLabel(self.tr("One-thing catalogue"))
        self.catalogue_title.setObjectName("SectionTitle")
        self.order_button = QPushButton(self.tr("Township's order…"))
        self.from_incident_button = QPushButton(self.tr("From an incident…"))
        cat_bar.addWidget(self.catalogue_title, 1)
        cat_bar.addWidget(self.order_button)
        cat_bar.addWidget(self.from_incident_button)
        ll.addLayout(cat_bar)
        self.catalogue_note = QLabel(self.tr("★ named in the article (6 of 17); the other entries are proposed "
                                             "and not the official list."))
        self.catalogue_note.setObjectName("Muted")
        self.catalogue_note.setWordWrap(True)
        ll.addWidget(self.catalogue_note)
        self.catalogue_model = CatalogueModel(self)
        self.catalogue_table = self._table(self.catalogue_model, stretch=0)
        ll.addWidget(self.catalogue_table, 3)
        list_bar = QHBoxLayout()
        cases_title = QLabel(self.tr("Cases"))
        cases_title.setObjectName("SectionTitle")
        self.filter_combo = QComboBox()
        self.filter_combo.addItem(self.tr("Open"), "open")
        self.filter_combo.addItem(self.tr("Completed"), "done")
        self.filter_combo.addItem(self.tr("All"), "all")
        list_bar.addWidget(cases_title, 1)
        list_bar.addWidget(self.filter_combo)
        ll.addLayout(list_bar)
        self.case_model = CaseListModel(self.clock, self)
        self.case_table = self._table(self.case_model, stretch=1)
        ll.addWidget(self.case_table, 2)
        splitter.addWidget(left)
        self.panel = CasePanel(self)
        splitter.addWidget(self.panel)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([560, 840])
        ui_state.remember_splitter(splitter, "cases")
        ui_state.remember_table(self.catalogue_table, "cases-catalogue")
        ui_state.remember_table(self.case_table, "cases-list")
        outer.addWidget(splitter, 1)

        self.order_button.clicked.connect(lambda: self.start_action(self.order_case()))
        self.from_incident_button.clicked.connect(lambda: self.start_action(self.open_from_incident()))
        self.filter_combo.currentIndexChanged.connect(lambda _i: self.load_list())
        self.case_table.selectionModel().currentRowChanged.connect(self._on_case_row)
        self._list_task = LatestTask("cases")
        self._detail_task = LatestTask("case-detail")
        self._cat_task = LatestTask("catalogue")
        self._reload = QTimer(self)
        self._reload.setSingleShot(True)
        self._reload.setInterval(120)
        self._reload.timeout.connect(self.reload)
        self._tick = QTimer(self)
        self._tick.setInterval(60_000)
        self._tick.timeout.connect(self.case_model.repaint_all)
        self._tick.start()
        store_events(store).changes_did_happen.connect(self._on_store_changes)

    @staticmethod
    def _table(model: Any, stretch: int) -> QTableView:
        table = QTableView()
        table.setModel(model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.verticalHeader().hide()
        table.setAlternatingRowColors(True)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        return table

    # -- loading

    def reload(self) -> None:
        self._cat_task.start(run_read(catalogue, self.store, self.township_codes), self._on_catalogue)
        self.load_list()
        if self.case_id:
            self.load_detail(self.case_id)

    def _on_catalogue(self, rows: list[CatalogueRow]) -> None:
        self.entries = rows
        self.catalogue_model.set_rows(rows)
        fit_columns(self.catalogue_table)
        self.catalogue_title.setText(self.tr("One-thing catalogue ({n})").format(n=len(rows)))

    def load_list(self) -> None:
        self._list_task.start(run_read(case_list, self.store, self.township_codes, self.clock(),
                                       state=self.filter_combo.currentData()), self._on_list)

    def _on_list(self, rows: list[CaseRow]) -> None:
        self.case_model.set_rows(rows)
        fit_columns(self.case_table)
        if self.case_id and self.case_model.row_of(self.case_id) >= 0:
            self._select_row(self.case_model.row_of(self.case_id))
        elif self.case_id is None and rows:
            self._select_row(0)

    def _select_row(self, row: int) -> None:
        sel = self.case_table.selectionModel()
        index = self.case_model.index(row, 0)
        if sel.currentIndex().row() != row:
            self.case_table.selectRow(row)
        self.case_table.scrollTo(index)

    def _on_case_row(self, current: Any, _previous: Any) -> None:
        if current.isValid():
            case_id = self.case_model.data(current, IdRole)
            if case_id != self.case_id or self.panel.detail is None:
                self.load_detail(case_id)

    def load_detail(self, case_id: str) -> None:
        self.case_id = case_id
        self._detail_task.start(run_read(case_detail, self.store, case_id, self.clock()), self._on_detail)

    def _on_detail(self, detail: CaseDetail | None) -> None:
        if detail is not None and detail.progress.case_id != self.case_id:
            return
        self.panel.show_detail(detail)

    def select_case(self, case_id: str) -> None:
        """Show ``case_id`` (from a card's link): the list switches to all cases."""
        self.case_id = case_id
        if self.filter_combo.currentData() != "all":
            self.filter_combo.setCurrentIndex(self.filter_combo.findData("all"))
        else:
            self.load_list()
        self.load_detail(case_id)

    def _on_store_changes(self, changes: Any) -> None:
        if changes.touches(*WATCHED):
            self._reload.start()

    async def wait_idle(self) -> None:
        for _ in range(2):
            if self.action_task is not None and not self.action_task.done():
                await self.action_task
            if self._reload.isActive():
                self._reload.stop()
                self.reload()
            for task in (self._cat_task, self._list_task, self._detail_task):
                await task.wait()

    # -- actions

    async def perform(self, name: str, entity_id: str, args: dict[str, Any]) -> bool:
        return await Operation(self, self.store, self.actor, name, entity_id, args).run() is not None

    def show_refusal(self, message: str) -> None:
        self.message_label.setStyleSheet("QLabel { color:#c0392b; font-weight:bold; }")
        self.message_label.setText(message)
        self.message_label.show()

    def clear_refusal(self) -> None:
        self.message_label.hide()

    def _selected_type(self) -> str | None:
        sel = self.catalogue_table.selectionModel().selectedRows()
        return self.catalogue_model.data(sel[0], IdRole) if sel else None

    def _own_township(self) -> str | None:
        if self.township_codes and len(self.township_codes) == 1:
            return self.township_codes[0]
        return self.actor.township_code

    async def order_case(self) -> bool:
        """乡镇点单: open a case as the township's order."""
        dialog = OpenCaseDialog(self.entries, self._selected_type(), parent=self)
        if not await self._dialog(dialog):
            return False
        args = dialog.mutation_args()
        township = self._own_township()
        if township:
            args["township_code"] = township
        case_id = new_id()
        ok = await self.perform("case.open", case_id, args)
        if ok:
            self.select_case(case_id)
        return ok

    async def open_from_incident(self, incident_id: str | None = None, label: str = "") -> bool:
        """Open a case from an incident (picked here, or given)."""
        if incident_id is None:
            picker = IncidentPickerDialog(self.store, self.township_codes, self.tr("Open a one-thing case"), self)
            if not await self._dialog(picker):
                return False
            choice = picker.selected()
            if choice is None:
                return False
            incident_id, label = choice.id, f"{choice.number} {choice.title}".strip()
        dialog = OpenCaseDialog(self.entries, self._selected_type(), label, self)
        if not await self._dialog(dialog):
            return False
        case_id = new_id()
        ok = await self.perform("case.open", case_id, {**dialog.mutation_args(), "incident_id": incident_id})
        if ok:
            self.select_case(case_id)
        return ok

    async def checkin_selected(self) -> bool:
        chk = self.panel.selected_checkin()
        if chk is None or self.case_id is None:
            return False
        return await self.perform("case.checkin", self.case_id, {"department_code": chk.target_code})

    async def complete_step(self) -> bool:
        d = self.panel.detail
        if d is None or d.progress.current_step is None:
            return False
        return await self.perform("case.step_done", d.progress.case_id, {"position": d.progress.current_step.position})

    async def complete_case(self) -> bool:
        d = self.panel.detail
        if d is None:
            return False
        return await self.perform("case.complete", d.progress.case_id, {})

    async def attach(self, files: list[Path]) -> bool:
        """Check the picked files (type, size, not damaged) and attach them to the case (``case.attach``);
        they go up with it at the next sync, by content hash. A bad file is named and nothing is attached."""
        d = self.panel.detail
        if d is None or not files:
            return False
        try:
            hashes = await run_db(attach_files, self.store, files, documents=True)
        except PhotoError as exc:
            self.show_refusal(self.tr("Not attached: {why}").format(why=exc.message))
            return False
        names = {}
        for path in files:  # the same file picked twice is one attachment, under its first name
            names.setdefault(await run_db(_sha256_of, path), path.name)
        return await self.perform("case.attach", d.progress.case_id,
                                  {"attachments": hashes, "names": [names[h] for h in hashes]})

    async def _attachment_file(self, attachment: Attachment) -> Path | None:
        """The attachment's bytes on this desk (fetched from the county server once if needed), or None with
        the reason on the message line."""
        source = photo_source()
        if source is None:
            self.show_refusal(self.tr("This workstation is not connected to the county server; the file cannot "
                                      "be fetched."))
            return None
        try:
            return await source.full_image(attachment.sha256)
        except Exception as exc:  # noqa: BLE001 - PhotoUnavailable (its message is the officer's), or the line
            self.show_refusal(getattr(exc, "message", "") or self.tr("The file could not be fetched; try again "
                                                                     "later."))
            return None

    async def open_attachment(self, attachment: Attachment) -> Path | None:
        """A photo in the photo viewer; a document in the program this computer opens it with (a copy under
        its own name in a temporary folder). Returns the file opened (None: not available)."""
        if attachment.mime.startswith("image/"):
            shown = await show_photo(self, attachment.sha256, attachment.name)
            return Path(attachment.name) if shown else None
        held = await self._attachment_file(attachment)
        if held is None:
            return None
        self.clear_refusal()
        folder = Path(tempfile.mkdtemp(prefix="commandroom-attachment-"))
        copy = folder / attachment.name
        await asyncio.to_thread(shutil.copyfile, held, copy)
        self.open_url(QUrl.fromLocalFile(str(copy)))
        return copy

    async def save_attachment_copy(self, attachment: Attachment, target: Path) -> bool:
        """Write a copy of the attachment where the officer chose (whole or not at all)."""
        held = await self._attachment_file(attachment)
        if held is None:
            return False
        from commandroom.store.photos import write_atomic

        try:
            data = await asyncio.to_thread(held.read_bytes)
            await asyncio.to_thread(write_atomic, target, data)
        except OSError as exc:
            self.show_refusal(self.tr("The copy could not be saved ({why}); choose another folder.").format(
                why=exc.strerror or exc))
            return False
        self.message_label.setStyleSheet("QLabel { color:#1e7b34; }")
        self.message_label.setText(self.tr("Saved a copy: {path}").format(path=str(target)))
        self.message_label.show()
        return True

    async def escalate_case(self) -> bool:
        d = self.panel.detail
        if d is None:
            return False
        current = escalation_rank(d.progress.escalation_level)
        suggested = escalation_for(d.progress.due_at, self.clock()).value
        level = suggested if escalation_rank(suggested) > current else next(
            (lv for lv in LADDER if escalation_rank(lv) > current), None)
        if level is None:
            return False
        return await self.perform("case.escalate", d.progress.case_id, {"level": level})


def _sha256_of(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
