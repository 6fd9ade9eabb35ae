"""The triage dialogs of the inbox: accept (A), merge (M), reject (R) and hand over (T).

Each dialog only collects the arguments of its named mutation; the inbox view performs
the mutation on the writer thread. Enter confirms (the confirm button is the default),
Escape cancels. Data the dialogs show is loaded before they open.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from commandroom.queries.inbox import Choice, MergeTarget, ReportDetail, RoutingPreview
from commandroom.timeutil import fmt_local
from ui import i18n


def _error_label() -> QLabel:
    label = QLabel()
    label.setStyleSheet("color: #c0392b; font-weight: bold;")
    label.setWordWrap(True)
    label.hide()
    return label


def _confirm_buttons(dialog: QDialog, ok_text: str, on_confirm: Any) -> QDialogButtonBox:
    """OK (the default button, Enter) labelled ``ok_text`` that calls ``on_confirm``, and Cancel."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
    ok.setText(ok_text)
    ok.setDefault(True)
    buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(QCoreApplication.translate("InboxDialogs", "Cancel"))
    buttons.accepted.connect(on_confirm)
    buttons.rejected.connect(dialog.reject)
    return buttons




def deadline_text(routing: RoutingPreview, urgency: str) -> str:
    """'签收 11-26 10:30 · 到场 … · 办结 …' for one urgency level (empty when unknown)."""
    dues = routing.deadlines.get(urgency)
    if not dues:
        return ""
    names = (
        QCoreApplication.translate("Routing", "Acknowledge by"),
        QCoreApplication.translate("Routing", "On site by"),
        QCoreApplication.translate("Routing", "Close by"),
    )
    parts = [f"{name} {fmt_local(due, '%m-%d %H:%M')}" for name, due in zip(names, dues, strict=True) if due]
    return " · ".join(parts)


def routing_html(routing: RoutingPreview, urgency: str | None = None) -> str:
    """The routing preview as a small HTML block (used by the detail pane and the accept dialog)."""
    if not routing.available:
        return "<i>{}</i>".format(QCoreApplication.translate("Routing", "The responsibility list cannot route this report here.")) + (
            f"<br><small>{routing.problem}</small>" if routing.problem else "")
    matter = routing.matter_name or ""
    if routing.outside_list:
        matter = "{} <b>({})</b>".format(matter, QCoreApplication.translate("Routing", "outside the list: township accepts, county and township handle jointly"))
    version = QCoreApplication.translate("Routing", "list v{n}").format(n=routing.matter_version) if routing.matter_version is not None else ""
    rows = [
        (QCoreApplication.translate("Routing", "Matter"), f"{matter} <small>{version}</small>"),
        (QCoreApplication.translate("Routing", "Lead department"), routing.lead_department_name or QCoreApplication.translate("Routing", "(none)")),
        (QCoreApplication.translate("Routing", "Township duty"), routing.township_duty),
        (QCoreApplication.translate("Routing", "Department duty"), routing.department_duty),
    ]
    if routing.is_enforcement:
        rows.append((QCoreApplication.translate("Routing", "Enforcement"), QCoreApplication.translate("Routing", "Yes: the zone's enforcement team handles it")))
    if urgency:
        text = deadline_text(routing, urgency)
        if text:
            rows.append((QCoreApplication.translate("Routing", "Deadlines"), text))
    body = "".join(f"<tr><td style='padding-right:10px'><b>{k}</b></td><td>{v}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


class AcceptDialog(QDialog):
    """Accept a report as a new incident: routing shown, urgency chosen, optional override with a reason."""

    def __init__(self, detail: ReportDetail, matters: list[Choice], departments: list[Choice],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.detail = detail
        self.setWindowTitle(self.tr("Accept report"))
        self.setMinimumWidth(640)
        row = detail.row
        layout = QVBoxLayout(self)

        head = QLabel("<b>{}</b> · {} · {}".format(row.category_name, row.address or row.grid_name,
                                                    fmt_local(row.reported_at, "%m-%d %H:%M")))
        layout.addWidget(head)
        desc = QLabel(row.description)
        desc.setWordWrap(True)
        desc.setObjectName("Muted")
        layout.addWidget(desc)

        self.routing_label = QLabel()
        self.routing_label.setObjectName("RoutingBox")
        self.routing_label.setWordWrap(True)
        self.routing_label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.routing_label)

        form = QFormLayout()
        self.title_edit = QLineEdit(f"{row.category_name}：{row.address or row.grid_name}".strip("："))
        self.title_edit.setMaxLength(128)
        form.addRow(self.tr("Incident title"), self.title_edit)
        self.urgency_combo = QComboBox()
        for code in ("L1", "L2", "L3", "L4"):
            self.urgency_combo.addItem(f"{code} {i18n.label(i18n.URGENCY_LABELS, code)}", code)
        self.urgency_combo.setCurrentIndex(self.urgency_combo.findData(row.urgency_hint or "L3"))
        self.urgency_combo.currentIndexChanged.connect(self._on_urgency_changed)
        form.addRow(self.tr("Urgency"), self.urgency_combo)
        layout.addLayout(form)

        self.override_box = QGroupBox(self.tr("Override the routing (a reason is required)"))
        self.override_box.setCheckable(True)
        self.override_box.setChecked(False)
        oform = QFormLayout(self.override_box)
        self.matter_combo = QComboBox()
        for m in matters:
            self.matter_combo.addItem(f"{m.code} {m.name}", m.code)
        if detail.routing.matter_code:
            self.matter_combo.setCurrentIndex(max(0, self.matter_combo.findData(detail.routing.matter_code)))
        self.department_combo = QComboBox()
        for d in departments:
            self.department_combo.addItem(d.name, d.code)
        if detail.routing.lead_department_code:
            self.department_combo.setCurrentIndex(
                max(0, self.department_combo.findData(detail.routing.lead_department_code)))
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText(self.tr("Why the list's routing does not fit this report"))
        oform.addRow(self.tr("Matter"), self.matter_combo)
        oform.addRow(self.tr("Lead department"), self.department_combo)
        oform.addRow(self.tr("Reason"), self.reason_edit)
        self.override_box.toggled.connect(self._on_override_toggled)
        layout.addWidget(self.override_box)

        self.error_label = _error_label()
        layout.addWidget(self.error_label)
        layout.addWidget(_confirm_buttons(self, self.tr("Accept (Enter)"), self._on_confirm))
        self._on_urgency_changed()

    @property
    def urgency(self) -> str:
        return self.urgency_combo.currentData()

    def _on_urgency_changed(self, *_: Any) -> None:
        self.routing_label.setText(routing_html(self.detail.routing, self.urgency))

    def _on_override_toggled(self, on: bool) -> None:
        if on:
            self.reason_edit.setFocus()

    def _on_confirm(self) -> None:
        problem = self.problem()
        if problem:
            self.error_label.setText(problem)
            self.error_label.show()
            return
        self.accept()

    def problem(self) -> str:
        """Why the dialog cannot be confirmed yet ('' when it can)."""
        if not self.title_edit.text().strip():
            return self.tr("Give the incident a title.")
        if self.override_box.isChecked() and not self.reason_edit.text().strip():
            return self.tr("Overriding the routing needs a reason.")
        return ""

    def mutation_args(self, incident_id: str) -> dict[str, Any]:
        """The ``report.accept`` arguments this dialog describes."""
        args: dict[str, Any] = {"incident_id": incident_id, "urgency": self.urgency,
                                "title": self.title_edit.text().strip()}
        if self.override_box.isChecked():
            args["override"] = {
                "matter_code": self.matter_combo.currentData(),
                "lead_department_code": self.department_combo.currentData(),
                "reason": self.reason_edit.text().strip(),
            }
        return args


class MergeTargetModel(QAbstractTableModel):
    """Incidents offered as merge targets (suggested duplicates first). A small fixed list."""

    def __init__(self, targets: list[MergeTarget], parent: Any = None) -> None:
        super().__init__(parent)
        self.targets = targets

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.targets)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else 8

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        titles = [self.tr("Match"), self.tr("Number"), self.tr("Title"), self.tr("State"), self.tr("Category"),
                  self.tr("Distance"), self.tr("Time apart"), self.tr("Why")]
        return titles[section] if 0 <= section < len(titles) else None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self.targets)):
            return None
        t = self.targets[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return self.tr("{score}%").format(score=round(t.score * 100))
            if col == 1:
                return t.number or self.tr("(not numbered yet)")
            if col == 2:
                return t.title
            if col == 3:
                return i18n.label(i18n.INCIDENT_STATE_LABELS, t.state)
            if col == 4:
                return t.category_name
            if col == 5:
                return self.tr("{m} m").format(m=round(t.distance_m)) if t.distance_m is not None else ""
            if col == 6:
                return self.tr("{h} h").format(h=round(t.hours_apart, 1)) if t.hours_apart is not None else ""
            if col == 7:
                place, time, category = (round(p * 100) for p in t.parts)
                return self.tr("place {place} · time {time} · category {category}").format(
                    place=place, time=time, category=category)
        if role == Qt.ItemDataRole.FontRole and t.suggested:
            from PySide6.QtGui import QFont

            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 0:
                return self.score_parts(t)
            return fmt_local(t.created_at)
        return None

    def score_parts(self, t: MergeTarget) -> str:
        """The score's three parts in words: place, time and category."""
        place, time, category = (round(p * 100) for p in t.parts)
        return self.tr("Place {place} + time {time} + category {category} (of 50 + 30 + 20)").format(
            place=place, time=time, category=category)


class MergeDialog(QDialog):
    """Merge one or several reports into an existing incident (nearby duplicates listed first)."""

    def __init__(self, targets: list[MergeTarget], report_count: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Merge into an incident"))
        self.setMinimumSize(1120, 440)  # room for the score parts column
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr("Merge {n} report(s) into the incident chosen below. Suggested duplicates "
                               "(near in place, time and category) come first.").format(n=report_count))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.model = MergeTargetModel(targets, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for col, width in enumerate((64, 160, 0, 80, 130, 72, 80, 220)):
            if width:
                self.table.setColumnWidth(col, width)
        self.table.setWordWrap(False)
        self.table.doubleClicked.connect(self._on_confirm)
        layout.addWidget(self.table)
        self.empty_label = QLabel(self.tr("No open incident in this township to merge into. Accept the report instead."))
        self.empty_label.setObjectName("Muted")
        self.empty_label.setVisible(not targets)
        layout.addWidget(self.empty_label)
        self.error_label = _error_label()
        layout.addWidget(self.error_label)
        buttons = _confirm_buttons(self, self.tr("Merge (Enter)"), self._on_confirm)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        layout.addWidget(buttons)
        if targets:
            self.table.selectRow(0)
        self.table.setFocus()

    def selected_incident_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.targets[rows[0].row()].incident_id

    def keyPressEvent(self, event: Any) -> None:  # Enter inside the table confirms, like the button
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._on_confirm()
            return
        super().keyPressEvent(event)

    def _on_confirm(self, *_: Any) -> None:
        if self.selected_incident_id() is None:
            self.error_label.setText(self.tr("Choose the incident to merge into."))
            self.error_label.show()
            return
        self.accept()




class RejectDialog(QDialog):
    """Reject a report with a reason: the common reasons are listed (1–6 picks one), or type another.

    Enter confirms. The list is a fixed set of sentences, not database data.
    """

    def __init__(self, report_count: int = 1, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Reject report"))
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Reject {n} report(s). The reporter sees the reason.").format(n=report_count)))
        self.reasons_list = QListWidget()
        for i, reason in enumerate(reject_reasons(), start=1):
            self.reasons_list.addItem(QListWidgetItem(f"{i}  {reason}"))
        self.reasons_list.setMaximumHeight(self.reasons_list.sizeHintForRow(0) * len(REJECT_REASONS) + 8)
        # selection, not the current row: focusing the list makes row 0 current without choosing it
        self.reasons_list.itemSelectionChanged.connect(self._on_reason_selection_changed)
        layout.addWidget(self.reasons_list)
        self.reason_edit = QLineEdit()
        self.reason_edit.setPlaceholderText(self.tr("Choose or type the reason"))
        self.reason_edit.setMaxLength(2000)
        form = QFormLayout()
        form.addRow(self.tr("Reason"), self.reason_edit)
        layout.addLayout(form)
        self.error_label = _error_label()
        layout.addWidget(self.error_label)
        layout.addWidget(_confirm_buttons(self, self.tr("Reject (Enter)"), self._on_confirm))
        self.reasons_list.setFocus()

    @property
    def reason(self) -> str:
        return self.reason_edit.text().strip()

    def choose(self, index: int) -> None:
        """Pick common reason ``index`` (0-based)."""
        self.reasons_list.setCurrentRow(index)

    def _on_reason_selection_changed(self) -> None:
        rows = [self.reasons_list.row(item) for item in self.reasons_list.selectedItems()]
        reasons = reject_reasons()
        if rows and 0 <= rows[0] < len(reasons):
            self.reason_edit.setText(reasons[rows[0]])

    def keyPressEvent(self, event: Any) -> None:
        # digits pick a common reason, unless the officer is typing their own
        key = event.key()
        if not self.reason_edit.hasFocus() and Qt.Key.Key_1 <= key <= Qt.Key.Key_9:
            index = key - Qt.Key.Key_1
            if index < self.reasons_list.count():
                self.choose(index)
                return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._on_confirm()
            return
        super().keyPressEvent(event)

    def _on_confirm(self) -> None:
        if not self.reason:
            self.error_label.setText(self.tr("A reason is required."))
            self.error_label.show()
            return
        self.accept()


class TransferDialog(QDialog):
    """Hand reports over to another township (转交): the nearest townships first, a reason required.

    The receiving room sees the reason in its inbox; the report keeps its number and stays waiting.
    """

    def __init__(self, targets: list[Choice], report_count: int = 1, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Hand over to another township"))
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Hand {n} report(s) over to the township they belong to. "
                                        "They leave this inbox and wait in theirs.").format(n=report_count)))
        form = QFormLayout()
        self.township_combo = QComboBox()
        for choice in targets:
            self.township_combo.addItem(choice.name, choice.code)
        form.addRow(self.tr("Township"), self.township_combo)
        self.reason_edit = QLineEdit()
        self.reason_edit.setMaxLength(2000)
        self.reason_edit.setText(self.tr("The location lies in your township"))
        self.reason_edit.selectAll()
        form.addRow(self.tr("Reason"), self.reason_edit)
        layout.addLayout(form)
        self.error_label = _error_label()
        layout.addWidget(self.error_label)
        layout.addWidget(_confirm_buttons(self, self.tr("Hand over (Enter)"), self._on_confirm))
        self.township_combo.setFocus()

    @property
    def township_code(self) -> str | None:
        return self.township_combo.currentData()

    @property
    def reason(self) -> str:
        return self.reason_edit.text().strip()

    def _on_confirm(self) -> None:
        if not self.township_code:
            self.error_label.setText(self.tr("Choose the township."))
        elif not self.reason:
            self.error_label.setText(self.tr("A reason is required."))
        else:
            self.accept()
            return
        self.error_label.show()


REJECT_REASONS = (
    QT_TRANSLATE_NOOP("RejectDialog", "Duplicate of a report already handled"),
    QT_TRANSLATE_NOOP("RejectDialog", "Not in this township's jurisdiction"),
    QT_TRANSLATE_NOOP("RejectDialog", "Too little information to verify"),
    QT_TRANSLATE_NOOP("RejectDialog", "Already resolved on the spot"),
    QT_TRANSLATE_NOOP("RejectDialog", "Not an incident (consultation or suggestion)"),
    QT_TRANSLATE_NOOP("RejectDialog", "Test or mistaken submission"),
)


def reject_reasons() -> list[str]:
    """The common reasons, translated."""
    return [QCoreApplication.translate("RejectDialog", r) for r in REJECT_REASONS]


def format_when(dt: datetime | None) -> str:
    return fmt_local(dt, "%m-%d %H:%M") if dt else ""
