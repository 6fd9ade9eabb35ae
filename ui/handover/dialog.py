"""The shift handover (交接班): one action computes the summary, both officers sign it off.

The summary (open incidents by state, imminent breaches in the next hours, overdue
incidents, departments that have not checked in, unsynced items) is computed on the
reader pool by :func:`commandroom.queries.briefing.handover_summary`. Signing performs
``handover.sign`` on the writer thread; the Handover row syncs like every other row.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from commandroom.ids import new_id
from commandroom.queries.briefing import HandoverSummary, handover_summary
from commandroom.queries.scope import scope_title
from commandroom.timeutil import fmt_local
from ui import ui_state
from ui.async_runner import LatestTask, run_read
from ui.common.operations import ActionHostMixin, Operation
from ui.common.row_model import fit_columns
from ui.handover.models import RowsTableModel
from ui.incidents import labels

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor
    from commandroom.store.protocol import Store


def compute_handover(store: Store, township_codes: tuple[str, ...] | None, now: datetime) -> HandoverSummary:
    """Core read for the reader pool: the summary, with the workstation's unsynced count."""
    unsynced = store.pending_count()
    with store.read() as session:
        return handover_summary(session, township_codes=township_codes, now=now, unsynced=unsynced)


class _Tile(QFrame):
    """One key figure: a big number over its label."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("HandoverTile")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        self.value = QLabel("—")
        self.value.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel(title)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.value)
        layout.addWidget(self.title)
        self.set_alert(False)

    def set_value(self, value: int, alert: bool) -> None:
        self.value.setText(str(value))
        self.set_alert(alert)

    def set_alert(self, alert: bool) -> None:
        colour = "#c0392b" if alert else "#1f3a5f"
        self.value.setStyleSheet(f"font-size: 24pt; font-weight: bold; color: {colour};")
        border, background = ("#d9534f", "#fdecea") if alert else ("#d0d7e2", "#f5f7fa")
        self.setStyleSheet(f"QFrame#HandoverTile {{ border: 1px solid {border}; border-radius: 6px; "
                           f"background: {background}; }}")


class HandoverDialog(ActionHostMixin, QDialog):
    """Compute, review and sign the shift handover.

    Args:
        store: the workstation's DeskStore.
        actor: the outgoing officer (signed in).
        scope: the townships handed over (None: the whole county).
    """

    handover_did_sign = Signal(str)  # the Handover id

    def __init__(self, store: Store, actor: Actor, scope: tuple[str, ...] | None, parent: QWidget | None = None,
                 *, now: datetime | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actor = actor
        self.scope = scope
        self.scope_name = scope_title(store, scope)
        self.summary: HandoverSummary | None = None
        self.handover_id: str | None = None
        self.confirmation = ""  # what the window says once the handover is signed
        self._now = now
        self._task = LatestTask("handover-summary")
        self.setWindowTitle(self.tr("Shift handover"))
        self.resize(1100, 760)

        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        self.heading = QLabel(self.tr("Shift handover"))
        self.heading.setObjectName("DetailTitle")
        head.addWidget(self.heading)
        head.addStretch(1)
        self.refresh_button = QPushButton(self.tr("Recompute"))
        self.refresh_button.clicked.connect(self.refresh)
        head.addWidget(self.refresh_button)
        self.print_button = QPushButton(self.tr("Print…"))
        self.print_button.setToolTip(self.tr("Print preview of the handover sheet, then print"))
        self.print_button.clicked.connect(self.open_print_preview)
        head.addWidget(self.print_button)
        layout.addLayout(head)

        tiles = QGridLayout()
        self.tile_open = _Tile(self.tr("Open incidents"))
        self.tile_imminent = _Tile(self.tr("Due within 4 h"))
        self.tile_overdue = _Tile(self.tr("Overdue"))
        self.tile_checkins = _Tile(self.tr("Check-ins waiting"))
        self.tile_unsynced = _Tile(self.tr("Not yet synced"))
        for i, tile in enumerate((self.tile_open, self.tile_imminent, self.tile_overdue, self.tile_checkins,
                                  self.tile_unsynced)):
            tiles.addWidget(tile, 0, i)
        layout.addLayout(tiles)

        self.tabs = QTabWidget()
        self.state_model = RowsTableModel([self.tr("State"), self.tr("Count")], self)
        incident_headers = [self.tr("No."), self.tr("Incident"), self.tr("Township"), self.tr("State"),
                            self.tr("Clock"), self.tr("Due"), self.tr("Assigned to")]
        self.imminent_model = RowsTableModel(incident_headers, self)
        self.overdue_model = RowsTableModel(incident_headers, self)
        self.checkin_model = RowsTableModel([self.tr("Department"), self.tr("Case / incident"), self.tr("Due"),
                                             self.tr("Status")], self)
        self.tables = {key: self._table(model, widths) for key, model, widths in (
            ("imminent", self.imminent_model, (136, 300, 50, 64, 46, 270)),
            ("overdue", self.overdue_model, (136, 300, 50, 64, 46, 270)),
            ("checkins", self.checkin_model, (140, 360, 120)), ("states", self.state_model, (160,)))}
        for key, table in self.tables.items():
            ui_state.remember_table(table, f"handover-{key}")
        self.tabs.addTab(self.tables["imminent"], self.tr("Due soon"))
        self.tabs.addTab(self.tables["overdue"], self.tr("Overdue"))
        self.tabs.addTab(self.tables["checkins"], self.tr("Check-ins"))
        self.tabs.addTab(self.tables["states"], self.tr("Open by state"))
        layout.addWidget(self.tabs, 1)

        form = QFormLayout()
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setPlaceholderText(self.tr("What the next shift must know: calls promised, leaders to "
                                                   "inform, equipment, the wall screen…"))
        self.notes_edit.setFixedHeight(70)
        self.notes_edit.setTabChangesFocus(True)
        form.addRow(self.tr("Notes"), self.notes_edit)
        names = QHBoxLayout()
        self.outgoing_edit = QLineEdit(actor.name)
        self.incoming_edit = QLineEdit()
        self.incoming_edit.setPlaceholderText(self.tr("Name of the officer taking over"))
        names.addWidget(QLabel(self.tr("Outgoing")))
        names.addWidget(self.outgoing_edit)
        names.addSpacing(16)
        names.addWidget(QLabel(self.tr("Incoming")))
        names.addWidget(self.incoming_edit)
        form.addRow(self.tr("Officers"), names)
        checks = QHBoxLayout()
        self.outgoing_check = QCheckBox(self.tr("Outgoing officer: I handed over the items above"))
        self.incoming_check = QCheckBox(self.tr("Incoming officer: I take them over"))
        checks.addWidget(self.outgoing_check)
        checks.addWidget(self.incoming_check)
        checks.addStretch(1)
        form.addRow(self.tr("Sign-off"), checks)
        layout.addLayout(form)

        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #9b1c1c; font-weight: bold;")
        self.error_label.hide()
        layout.addWidget(self.error_label)

        self.buttons = QDialogButtonBox()
        self.sign_button = self.buttons.addButton(self.tr("Sign handover"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        self.sign_button.clicked.connect(self._on_sign_clicked)
        layout.addWidget(self.buttons)
        for w in (self.outgoing_edit, self.incoming_edit):
            w.textChanged.connect(self._update_sign)
        for c in (self.outgoing_check, self.incoming_check):
            c.toggled.connect(self._update_sign)
        self._update_sign()
        self.refresh()

    @staticmethod
    def _table(model: RowsTableModel, widths: tuple[int, ...]) -> QTableView:
        view = QTableView()
        view.setModel(model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.verticalHeader().hide()
        view.verticalHeader().setDefaultSectionSize(26)
        view.setAlternatingRowColors(True)
        view.horizontalHeader().setStretchLastSection(True)
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for i, w in enumerate(widths):
            view.setColumnWidth(i, w)
        return view

    # -- summary

    def refresh(self) -> None:
        """Recompute the summary (reader pool; the latest request wins)."""
        now = self._now or self.store.now()  # the server's clock when this machine's is off
        self.refresh_button.setEnabled(False)
        self._task.start(run_read(compute_handover, self.store, self.scope, now), self.show_summary,
                         self._on_summary_failed)

    async def wait_idle(self) -> None:
        await self._task.wait()
        if self.action_task is not None:
            await self.action_task

    def _on_summary_failed(self, exc: BaseException) -> None:
        self.refresh_button.setEnabled(True)
        self.error_label.setText(self.tr("The summary could not be computed: {error}").format(error=exc))
        self.error_label.show()

    def show_summary(self, summary: HandoverSummary) -> None:
        self.summary = summary
        self.refresh_button.setEnabled(True)
        self.heading.setText(self.tr("Shift handover · {scope} · {when}").format(
            scope=self.scope_name or self.tr("whole county"), when=fmt_local(summary.at)))
        self.tile_open.set_value(summary.open_total, False)
        self.tile_imminent.set_value(len(summary.imminent), bool(summary.imminent))
        self.tile_overdue.set_value(len(summary.overdue), bool(summary.overdue))
        self.tile_checkins.set_value(len(summary.pending_checkins), any(c.overdue for c in summary.pending_checkins))
        self.tile_unsynced.set_value(summary.unsynced, summary.unsynced > 0)
        self.state_model.set_rows([[labels.state_label(s), str(n)] for s, n in summary.open_by_state.items()])

        def incident_rows(items: list[Any], overdue: bool) -> list[list[str]]:
            out = []
            for c in items:
                span = labels.duration_text(summary.at - c.due if overdue else c.due - summary.at)
                when = self.tr("{due} (late {span})") if overdue else self.tr("{due} (in {span})")
                assignee = self.tr("{zone} team").format(zone=c.assignee) if c.assignee_kind == "team" \
                    else c.assignee
                out.append([c.number, c.title, c.township_name, labels.state_label(c.state),
                            labels.label(labels.CLOCK_LABELS, c.clock),
                            when.format(due=fmt_local(c.due, "%m-%d %H:%M"), span=span), assignee])
            return out

        self.imminent_model.set_rows(incident_rows(summary.imminent, False), ["#7a4f00"] * len(summary.imminent))
        self.overdue_model.set_rows(incident_rows(summary.overdue, True), ["#9b1c1c"] * len(summary.overdue))
        self.checkin_model.set_rows(
            [[c.target_name, c.subject, fmt_local(c.due_at, "%m-%d %H:%M"),
              self.tr("Overdue") if c.overdue else self.tr("Waiting")] for c in summary.pending_checkins],
            ["#9b1c1c" if c.overdue else None for c in summary.pending_checkins])
        for key, table in self.tables.items():  # short columns fit their words (longer in English); the titles
            if table.model().rowCount():        # keep their width; the officer's own widths win (ui_state)
                fit_columns(table, skip=(1,) if key in ("imminent", "overdue", "checkins") else ())
        self.tabs.setTabText(0, self.tr("Due soon ({n})").format(n=len(summary.imminent)))
        self.tabs.setTabText(1, self.tr("Overdue ({n})").format(n=len(summary.overdue)))
        self.tabs.setTabText(2, self.tr("Check-ins ({n})").format(n=len(summary.pending_checkins)))
        self._update_sign()

    # -- sign-off

    def can_sign(self) -> bool:
        out, inc = self.outgoing_edit.text().strip(), self.incoming_edit.text().strip()
        return bool(self.summary is not None and out and inc and out != inc and self.outgoing_check.isChecked()
                    and self.incoming_check.isChecked() and self.handover_id is None)

    def _update_sign(self, *_: Any) -> None:
        self.sign_button.setEnabled(self.can_sign())

    def sheet_html(self) -> str:
        """The handover sheet to print: the heading, the key figures, each list, the notes and both names."""
        from html import escape

        from ui.printing import model_table

        tiles = [(t.title.text(), t.value.text()) for t in (self.tile_open, self.tile_imminent, self.tile_overdue,
                                                             self.tile_checkins, self.tile_unsynced)]
        parts = [f"<h2 style='text-align:center'>{escape(self.heading.text())}</h2>",
                 "<table cellspacing=0 cellpadding=4 width=100% border=1><tr>"
                 + "".join(f"<td align=center><b>{escape(v)}</b><br>{escape(k)}</td>" for k, v in tiles)
                 + "</tr></table>"]
        for i, model in enumerate((self.imminent_model, self.overdue_model, self.checkin_model, self.state_model)):
            parts.append(f"<h3>{escape(self.tabs.tabText(i))}</h3>{model_table(model)}")
        parts.append(f"<h3>{escape(self.tr('Notes'))}</h3><p>{escape(self.notes_edit.toPlainText())}</p>")
        parts.append("<p>{}：{}　　{}：{}</p>".format(
            escape(self.tr("Outgoing")), escape(self.outgoing_edit.text()),
            escape(self.tr("Incoming")), escape(self.incoming_edit.text())))
        return "<html><body>" + "".join(parts) + "</body></html>"

    def open_print_preview(self) -> Any:
        from ui.printing import open_preview

        self.print_preview = open_preview(self.sheet_html(), self.tr("Shift handover"), self)
        return self.print_preview

    def mutation_args(self) -> dict[str, Any]:
        assert self.summary is not None
        args: dict[str, Any] = {
            "outgoing_name": self.outgoing_edit.text().strip(),
            "incoming_name": self.incoming_edit.text().strip(),
            "summary": self.summary.to_dict(),
            "notes": self.notes_edit.toPlainText().strip(),
        }
        if self.actor.township_code is None and self.scope and len(self.scope) == 1:
            args["township_code"] = self.scope[0]
        return args

    def _on_sign_clicked(self) -> None:
        if not self.can_sign():
            return
        self.start_action(self.sign())

    def show_refusal(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()

    def clear_refusal(self) -> None:
        self.error_label.hide()

    async def sign(self) -> bool:
        """Perform ``handover.sign`` on the writer thread; close the dialog when it is recorded."""
        handover_id = new_id()
        if await Operation(self, self.store, self.actor, "handover.sign", handover_id, self.mutation_args()).run() is None:
            return False
        self.handover_id = handover_id
        args = self.mutation_args()
        self.confirmation = self.tr("Handover signed at {time}: {outgoing} handed over to {incoming}.").format(
            time=fmt_local(self.store.now(), "%H:%M"), outgoing=args["outgoing_name"], incoming=args["incoming_name"])
        self.handover_did_sign.emit(handover_id)
        self.accept()
        return True
