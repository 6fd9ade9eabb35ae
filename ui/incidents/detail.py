"""The incident detail panel: header, routing, the three clocks and the escalation ladder,
timeline, dispatches, photos, and the workflow actions.

Each action opens a dialog (when it needs arguments) and performs one named mutation
(``incident.dispatch`` …) through :meth:`DeskStore.perform` on the single writer thread.
A refused action (IllegalTransition, ValidationError …) is shown in the panel, in the
interface language; the store rolled it back, so nothing is half-done. The panel reloads
itself from the store's change events, like every other view.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QCoreApplication,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QPushButton,
    QSizePolicy,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from commandroom.domain.clocks import running_clocks
from commandroom.ids import new_id
from commandroom.queries.incidents import IncidentDetail, closure_needs, dispatch_choices, incident_detail
from commandroom.services.deadlines import clock_state, escalation_for, escalation_rank
from commandroom.store.photos import PhotoError, attach_files
from commandroom.timeutil import fmt_local
from commandroom.workflows import INCIDENT
from ui import ui_state
from ui.async_runner import LatestTask, run_db, run_read, store_events
from ui.common.operations import ActionHostMixin, Operation, refusal_message
from ui.common.photo_viewer import show_photo
from ui.common.states import incident_state_colour
from ui.incidents import labels
from ui.incidents.detail_models import DispatchModel, PhotoHashRole, PhotoModel, TimelineModel
from ui.incidents.dialogs import (
    CloseDialog,
    DispatchDialog,
    RemindDialog,
    ReturnDialog,
    TextDialog,
    VerifyDialog,
)
from ui.incidents.labels import ACTIONS

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor
    from commandroom.store.protocol import Store

log = logging.getLogger(__name__)


_URGENCY_COLOURS = {"L1": "#c0392b", "L2": "#d9822b", "L3": "#5a6472", "L4": "#7b4fb0"}
_CLOCK_STYLE = {
    "ok": "background:#e3f3e6; color:#1e6b34;",
    "warning": "background:#fff1c2; color:#7a4f00; font-weight:bold;",
    "overdue": "background:#f9d3cf; color:#9b1c1c; font-weight:bold;",
    "met": "background:#eef1f5; color:#5a6472;",
    "late": "background:#f5e6e4; color:#9b1c1c;",
    "none": "background:#eef1f5; color:#7a8594;",
}


def allowed_actions(state: str, deleted: bool = False) -> set[str]:
    """The panel's actions that make sense from ``state`` (the workflow machine decides)."""
    if deleted:
        return set()
    out = {"note"}
    for key in ("dispatch", "acknowledge", "arrive", "start", "submit", "close", "return", "escalate", "reopen"):
        if INCIDENT.can(state, key):
            out.add(key)
    if INCIDENT.can(state, "verify_pass"):
        out.add("verify")
    if state != "closed":
        out.add("remind")
    return out


def township_actions(detail: IncidentDetail, actor: Actor) -> set[str]:
    """代录签收 while a department's dispatch waits for its 签收; 提请县级仲裁 after a department's return."""
    out = set()
    if detail.get("deleted") or detail.get("state") == "closed":
        return out
    if actor.may("incident.proxy_acknowledge") and any(
            d.target_kind == "department" and d.state == "assigned" for d in detail.dispatches):
        out.add("proxy_acknowledge")
    last = max((i for i, t in enumerate(detail.timeline) if t.action == "return"), default=None)
    if actor.may("dispute.open") and detail.get("state") == "returned" and last is not None \
            and (detail.timeline[last].data or {}).get("department_code") \
            and not any(t.action == "dispute_open" for t in detail.timeline[last:]):
        out.add("contest")
    return out


class ClockRow:
    """One clock's widgets (name, due time, countdown chip)."""

    def __init__(self, grid: QGridLayout, row: int, name: str) -> None:
        self.name = QLabel(name)
        self.due = QLabel()
        self.chip = QLabel()
        self.chip.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.chip.setMinimumWidth(190)
        grid.addWidget(self.name, row, 0)
        grid.addWidget(self.due, row, 1)
        grid.addWidget(self.chip, row, 2)
        self.state = "none"

    def show(self, kind: str, due: datetime | None, done_at: datetime | None, started: datetime | None,
             now: datetime, running: bool) -> None:
        self.due.setText(fmt_local(due) if due else QCoreApplication.translate("Incidents", "no limit"))
        if due is None or (done_at is None and not running):
            self.state = "none"
        else:
            self.state = clock_state(due, done_at, now, started)
        if done_at is None and not running and due is not None:
            text = QCoreApplication.translate("Incidents", "{clock}: not running").format(
                clock=labels.label(labels.CLOCK_LABELS, kind))
        else:
            text = labels.countdown_text(kind, due, done_at, now)
        self.chip.setText(text)
        self.chip.setProperty("clockState", self.state)
        self.chip.setStyleSheet(f"QLabel {{ {_CLOCK_STYLE.get(self.state, '')} border-radius:3px; padding:2px 8px; }}")


class IncidentDetailPanel(ActionHostMixin, QWidget):
    """Everything about one incident, and the actions the officer can take on it.

    Args:
        store: the workstation's DeskStore.
        actor: who acts.
    """

    action_did_finish = Signal(str, str)  # mutation name, incident id
    action_did_fail = Signal(str, str)  # mutation name, message shown

    def __init__(self, store: Store, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actor = actor
        self.detail: IncidentDetail | None = None
        self.incident_id: str | None = None
        self.action_task: asyncio.Task | None = None
        self.open_dialog: Any = None
        self._now: datetime | None = None
        self._load_task = LatestTask("incident-detail")
        self._choices = None
        self.after_action: Callable[[], None] | None = None

        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 6, 8, 6)
        outer.setSpacing(6)

        # header
        top = QHBoxLayout()
        self.number_label = QLabel()
        self.number_label.setObjectName("Muted")
        self.title_label = QLabel(self.tr("Select an incident"))
        self.title_label.setObjectName("DetailTitle")
        self.title_label.setWordWrap(True)
        self.state_badge = QLabel()
        self.urgency_badge = QLabel()
        for badge in (self.state_badge, self.urgency_badge):
            badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
            badge.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        top.addWidget(self.number_label)
        top.addWidget(self.title_label, 1)
        top.addWidget(self.state_badge)
        top.addWidget(self.urgency_badge)
        outer.addLayout(top)
        self.meta_label = QLabel()
        self.meta_label.setObjectName("Muted")
        self.meta_label.setWordWrap(True)
        outer.addWidget(self.meta_label)

        # actions
        self.actions: dict[str, QAction] = {}
        self.buttons: dict[str, QPushButton] = {}
        button_grid = QGridLayout()
        button_grid.setHorizontalSpacing(4)
        button_grid.setVerticalSpacing(4)
        for i, (key, text, shortcut) in enumerate(ACTIONS):
            act = QAction(labels.tr(text), self)
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            act.setToolTip(f"{labels.tr(text)} ({shortcut})")
            act.triggered.connect(lambda _c=False, k=key: self.trigger(k))
            act.setEnabled(False)
            self.actions[key] = act
            button = QPushButton(f"{labels.tr(text)} ({shortcut})")
            button.setObjectName(f"action_{key}")
            button.setEnabled(False)
            button.clicked.connect(act.trigger)
            act.changed.connect(lambda b=button, a=act: b.setEnabled(a.isEnabled()))
            self.buttons[key] = button
            button_grid.addWidget(button, i // 6, i % 6)
        outer.addLayout(button_grid)
        self.setStyleSheet("QPushButton:disabled { color: #a3abb5; background: #eef1f5; border-color: #dde2e8; }")

        self.error_label = QLabel()
        self.error_label.setObjectName("ActionError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("QLabel#ActionError { background:#f9d3cf; color:#7a1010; border:1px solid "
                                       "#d9534f; border-radius:4px; padding:6px; }")
        self.error_label.hide()
        outer.addWidget(self.error_label)

        # routing
        self.routing_label = QLabel()
        self.routing_label.setObjectName("RoutingBox")
        self.routing_label.setWordWrap(True)
        self.routing_label.setTextFormat(Qt.TextFormat.RichText)
        outer.addWidget(self.routing_label)

        # clocks and the escalation ladder
        clocks = QFrame()
        clocks.setObjectName("ClockBox")
        grid = QGridLayout(clocks)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        self.clock_rows = {
            kind: ClockRow(grid, i, labels.label(labels.CLOCK_LABELS, kind))
            for i, kind in enumerate(("ack", "onsite", "close"))
        }
        ladder = QHBoxLayout()
        ladder.setSpacing(4)
        self.ladder_labels: dict[str, QLabel] = {}
        ladder.addWidget(QLabel(self.tr("Supervision:")))
        for i, level in enumerate(("reminder", "supervision_order", "leader_notice")):
            if i:
                ladder.addWidget(QLabel("→"))
            step = QLabel(labels.label(labels.ESCALATION_LABELS, level))
            step.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.ladder_labels[level] = step
            ladder.addWidget(step)
        self.ladder_hint = QLabel()
        self.ladder_hint.setObjectName("Muted")
        ladder.addWidget(self.ladder_hint, 1)
        grid.addLayout(ladder, 3, 0, 1, 3)
        outer.addWidget(clocks)

        # timeline, dispatches, photos, reports
        self.tabs = QTabWidget()
        self.timeline_model = TimelineModel(self)
        self.timeline_view = self._table(self.timeline_model, (84, 64, 104, 76, 126))
        self.dispatch_model = DispatchModel(self)
        self.dispatch_view = self._table(self.dispatch_model, (84, 110, 150, 60, 84, 84))
        ui_state.remember_table(self.timeline_view, "incident-timeline")
        ui_state.remember_table(self.dispatch_view, "incident-dispatches")
        self.photo_model = PhotoModel(self)
        self.photo_view = QListView()
        self.photo_view.setViewMode(QListView.ViewMode.IconMode)
        self.photo_view.setIconSize(QSize(96, 72))
        self.photo_view.setResizeMode(QListView.ResizeMode.Adjust)
        self.photo_view.setModel(self.photo_model)
        self.photo_view.doubleClicked.connect(self.open_photo)
        self.reports_label = QLabel()
        self.reports_label.setWordWrap(True)
        self.reports_label.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.tabs.addTab(self.timeline_view, self.tr("Timeline"))
        self.tabs.addTab(self.dispatch_view, self.tr("Dispatches"))
        self.tabs.addTab(self.photo_view, self.tr("Photos"))
        self.tabs.addTab(self.reports_label, self.tr("Reports"))
        outer.addWidget(self.tabs, 1)

        store_events(store).changes_did_happen.connect(self._on_store_changes)
        self.show_detail(None)

    @staticmethod
    def _table(model: Any, widths: tuple[int, ...]) -> QTableView:
        view = QTableView()
        view.setModel(model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setWordWrap(False)
        view.verticalHeader().hide()
        view.verticalHeader().setDefaultSectionSize(26)
        view.horizontalHeader().setStretchLastSection(True)
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, width in enumerate(widths):
            view.setColumnWidth(col, width)
        return view

    # Loading
    ######################################################################

    def set_now(self, now: datetime | None) -> None:
        """Freeze the clocks at ``now`` (tests, screenshots); None follows the wall clock."""
        self._now = now
        if self.detail is not None:
            self.show_detail(self.detail)

    def load(self, incident_id: str | None) -> None:
        """Show ``incident_id`` (read on the reader pool; the latest request wins)."""
        self.incident_id = incident_id
        if incident_id is None:
            self._load_task.cancel()
            self.show_detail(None)
            return
        self._load_task.start(run_read(incident_detail, self.store, incident_id), self.show_detail)

    def load_now(self, incident_id: str) -> None:
        """Read and show on this thread (tests and tools)."""
        self.incident_id = incident_id
        self.show_detail(incident_detail(self.store, incident_id))

    async def wait_idle(self) -> None:
        await self._load_task.wait()
        if self.action_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.action_task
        await self._load_task.wait()

    def _on_store_changes(self, changes: Any) -> None:
        if not self.incident_id:
            return
        # every incident mutation touches the incident row; a pulled page may bring a dispatch or
        # timeline row of ours alone, so those reload too (a cheap latest-wins read)
        if self.incident_id in changes.ids("incident") or changes.touches("dispatch", "timeline_entry") or (
                self.detail is not None and set(changes.ids("photo")) & {p.sha256 for p in self.detail.photos}):
            self.load(self.incident_id)

    def show_detail(self, detail: IncidentDetail | None) -> None:
        """Fill the panel from ``detail`` (None: nothing selected)."""
        if detail is not None and self.incident_id and detail.id != self.incident_id:
            return  # an older request
        self.detail = detail
        if detail is None:
            self.number_label.clear()
            self.title_label.setText(self.tr("Select an incident") if self.incident_id is None
                                     else self.tr("Incident not found on this workstation"))
            for w in (self.meta_label, self.routing_label, self.state_badge, self.urgency_badge, self.ladder_hint):
                w.clear()
            self.state_badge.setStyleSheet("")
            self.urgency_badge.setStyleSheet("")
            for key in self.actions:
                self.actions[key].setEnabled(False)
            self.timeline_model.set_items([], None)
            self.dispatch_model.set_items([], None)
            self.photo_model.set_items([], None)
            self.reports_label.clear()
            for row in self.clock_rows.values():
                row.show("ack", None, None, None, self.store.now(), False)
            return
        f = detail.fields
        state = f["state"]
        self.number_label.setText(f.get("number") or self.tr("(provisional)"))
        self.title_label.setText(f["title"])
        self.state_badge.setText(labels.state_label(state))
        self.state_badge.setStyleSheet(_badge_style(incident_state_colour(state)))
        self.urgency_badge.setText(labels.urgency_label(f["urgency"]))
        self.urgency_badge.setStyleSheet(_badge_style(_URGENCY_COLOURS.get(f["urgency"], "#5a6472")))
        meta = [detail.township_name, detail.category_name, self.tr("created {when}").format(
            when=fmt_local(f["created_at"]))]
        if f.get("address"):
            meta.append(f["address"])
        if detail.assignee_name:
            meta.append(self.tr("assigned to {who}").format(
                who=self.tr("{zone} team").format(zone=detail.assignee_name) if f.get("assignee_kind") == "team"
                else detail.assignee_name))
        self.meta_label.setText(" · ".join(m for m in meta if m))
        self.routing_label.setText(self._routing_html(detail))
        self._show_clocks(detail)
        # what the workflow allows from this state and the signed-in roles may do (commandroom.permissions)
        enabled = {k for k in allowed_actions(state, bool(f.get("deleted"))) if self.actor.may(f"incident.{k}")}
        enabled |= township_actions(detail, self.actor)
        for key, act in self.actions.items():
            act.setEnabled(key in enabled)
        self.timeline_model.set_items(detail.timeline, detail.id)
        self.dispatch_model.set_items(detail.dispatches, detail.id)
        self.photo_model.set_items(detail.photos, detail.id)
        self.reports_label.setText("\n\n".join(f"{n}：{d}" for n, d in detail.reports)
                                   or self.tr("No linked reports."))
        self.tabs.setTabText(0, self.tr("Timeline ({n})").format(n=len(detail.timeline)))
        self.tabs.setTabText(1, self.tr("Dispatches ({n})").format(n=len(detail.dispatches)))
        self.tabs.setTabText(2, self.tr("Photos ({n})").format(n=len(detail.photos)))

    def _routing_html(self, detail: IncidentDetail) -> str:
        f = detail.fields
        rows = []

        def add(label: str, value: str) -> None:
            if value:
                rows.append(f"<tr><td style='color:#5a6472; padding-right:8px; white-space:nowrap'>{label}</td>"
                            f"<td>{_esc(value)}</td></tr>")

        matter = f.get("matter_name") or ""
        if f.get("matter_code"):
            version = f.get("matter_version")
            matter = f"{matter}（{f['matter_code']}" + (f"，v{version}" if version else "") + "）"
        add(self.tr("Matter"), matter)
        add(self.tr("Lead department"), detail.lead_department_name)
        add(self.tr("Township duty"), f.get("township_duty") or "")
        add(self.tr("Department duty"), f.get("department_duty") or "")
        if f.get("routing_override_reason"):
            add(self.tr("Override reason"), f["routing_override_reason"])
        if f.get("return_reason"):
            add(self.tr("Returned because"), f["return_reason"])
        if f.get("counter_proposal"):
            add(self.tr("Counter-proposal"), f["counter_proposal"])
        marker = ""
        if f.get("outside_list"):
            # tr() outside the f-string: lupdate does not see a call inside one (it stayed English)
            outside = self.tr("Outside the list: township accepts, county and township handle jointly")
            marker = (f"<p style='margin:0 0 4px 0'><span style='background:#d9822b; color:white; padding:1px 6px;'>"
                      f"{_esc(outside)}</span></p>")
        return marker + "<table cellspacing=0 cellpadding=1>" + "".join(rows) + "</table>"

    def _show_clocks(self, detail: IncidentDetail) -> None:
        f = detail.fields
        now = self._now or self.store.now()  # the server's clock when this machine's is off
        closed = f["state"] == "closed"
        running = dict(running_clocks(f["state"], f.get("acknowledged_at"), f.get("onsite_at"), f.get("ack_due"),
                                      f.get("onsite_due"), f.get("close_due")))
        dispatched = f.get("dispatched_at") or f.get("created_at")
        ack_done = f.get("acknowledged_at")
        onsite_done = f.get("onsite_at")
        self.clock_rows["ack"].show("ack", f.get("ack_due"), ack_done, dispatched, now, running="ack" in running)
        self.clock_rows["onsite"].show("onsite", f.get("onsite_due"), onsite_done, ack_done or dispatched, now,
                                       running="onsite" in running)
        self.clock_rows["close"].show("close", f.get("close_due"), f.get("closed_at") if closed else None,
                                      f.get("created_at"), now, running="close" in running)
        current = f.get("escalation_level") or "none"
        called = max((escalation_for(d, now).value for d in running.values()), key=escalation_rank,
                     default="none")
        for level, step in self.ladder_labels.items():
            reached = escalation_rank(level) <= escalation_rank(current)
            due = not reached and escalation_rank(level) <= escalation_rank(called)
            if reached:
                style = "background:#c0392b; color:white; font-weight:bold;"
            elif due:
                style = "border:2px solid #c0392b; color:#9b1c1c;"
            else:
                style = "background:#eef1f5; color:#7a8594;"
            step.setStyleSheet(f"QLabel {{ {style} border-radius:3px; padding:2px 8px; }}")
            step.setProperty("reached", reached)
        if escalation_rank(called) > escalation_rank(current):
            self.ladder_hint.setText(self.tr("the clocks call for: {level}").format(
                level=labels.label(labels.ESCALATION_LABELS, called)))
        else:
            self.ladder_hint.clear()

    # Actions
    ######################################################################

    def trigger(self, key: str) -> None:
        """Run the action ``key`` (a button, its shortcut, or the view's menu)."""
        if self.detail is None or not self.actions[key].isEnabled():
            return
        handler: Callable[[], Coroutine[Any, Any, None]] = getattr(self, f"_do_{key}")
        self.start_action(handler())

    def action_finished(self) -> None:
        # back to where the officer was (the table), so the next key works without a click
        if self.after_action is not None and self.isVisible():
            self.after_action()

    async def perform(self, name: str, args: dict[str, Any]) -> bool:
        """Perform ``incident.<name>`` on the writer thread; show a refusal in the panel."""
        if self.detail is None:
            return False
        incident_id = self.detail.id
        full = dict(args)
        full.setdefault("expected_epoch", int(self.detail.get("lifecycle_epoch") or 0))
        mutation = f"incident.{name}"
        changes = await (Operation(self, self.store, self.actor, mutation, incident_id, full)
                         .failure(lambda exc: self.action_did_fail.emit(mutation, refusal_message(exc)))
                         .run())
        if changes is None:
            return False
        self.action_did_finish.emit(mutation, incident_id)
        return True

    def show_refusal(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()

    def clear_refusal(self) -> None:
        self.error_label.clear()
        self.error_label.hide()

    def subject(self) -> str:
        """"QC-2026-000123 工地扬尘": what a dialog acts on."""
        if self.detail is None:
            return ""
        return f"{self.detail.get('number') or ''} {self.detail.get('title') or ''}".strip()

    async def _choices_once(self) -> Any:
        if self._choices is None:
            self._choices = await run_read(dispatch_choices, self.store)
        return self._choices

    async def _do_dispatch(self) -> None:
        f = self.detail.fields
        choices = await self._choices_once()
        from commandroom.services.teams import shanghai_date

        dialog = DispatchDialog(choices, lead_department=f.get("lead_department_code"), zone_id=f.get("zone_id"),
                                prefer_team=bool(f.get("is_enforcement")), subject=self.subject(),
                                today=shanghai_date(self.store.now()), parent=self)
        if await self._dialog(dialog):
            await self.perform("dispatch", dialog.mutation_args())

    async def _do_acknowledge(self) -> None:
        await self.perform("acknowledge", {})

    async def _do_arrive(self) -> None:
        await self.perform("arrive", {})

    async def _do_start(self) -> None:
        await self.perform("start", {})

    async def _do_note(self) -> None:
        dialog = TextDialog(self.tr("Progress note"), self.tr("Progress"), "note",
                            placeholder=self.tr("What happened, who is doing what"), subject=self.subject(),
                            parent=self)
        if await self._dialog(dialog):
            await self.perform("note", dialog.mutation_args())

    async def _do_return(self) -> None:
        dialog = ReturnDialog(await self._choices_once(), subject=self.subject(), parent=self)
        if await self._dialog(dialog):
            await self.perform("return", dialog.mutation_args())

    async def _do_proxy_acknowledge(self) -> None:
        dialog = TextDialog(self.tr("Proxy sign-for"), self.tr("Reason"), "proxy_reason",
                            placeholder=self.tr("Who phoned it in and when (required); shown on the timeline as a "
                                                "proxy entry under your name"), subject=self.subject(), parent=self)
        if await self._dialog(dialog):
            await self.perform("proxy_acknowledge", dialog.mutation_args())

    async def _do_contest(self) -> None:
        """The township contests the department's return: a dispute for the county (``dispute.open``)."""
        dialog = TextDialog(self.tr("Contest at the county"), self.tr("Reason"), "reason",
                            placeholder=self.tr("Why the department should handle it: the list matter, the facts "
                                                "(required)"), subject=self.subject(), parent=self)
        if not await self._dialog(dialog) or self.detail is None:
            return
        incident_id = self.detail.id
        args = {"incident_id": incident_id, **dialog.mutation_args()}
        if await Operation(self, self.store, self.actor, "dispute.open", new_id(), args).run() is not None:
            self.action_did_finish.emit("dispute.open", incident_id)

    async def _do_escalate(self) -> None:
        dialog = TextDialog(self.tr("Escalate to the county"), self.tr("Reason"), "reason",
                            placeholder=self.tr("Why the township cannot settle this (required)"),
                            subject=self.subject(), parent=self)
        if await self._dialog(dialog):
            await self.perform("escalate", dialog.mutation_args())

    async def _do_submit(self) -> None:
        dialog = TextDialog(self.tr("Submit for verification"), self.tr("Result"), "note", required=False,
                            placeholder=self.tr("What was done (optional)"), subject=self.subject(), parent=self)
        if await self._dialog(dialog):
            await self.perform("submit", dialog.mutation_args())

    async def _do_verify(self) -> None:
        dialog = VerifyDialog(self.actor.name, subject=self.subject(), parent=self)
        if await self._dialog(dialog):
            files = dialog.photo_files()
            if files and not await self.attach(files):
                return
            await self.perform("verify", dialog.mutation_args())

    async def _do_close(self) -> None:
        requirement = await run_read(closure_needs, self.store, self.detail.id) if self.detail else None
        dialog = CloseDialog(subject=self.subject(), parent=self, requirement=requirement)
        if await self._dialog(dialog):
            files = dialog.photo_files()
            if files and not await self.attach(files):
                return
            await self.perform("close", dialog.mutation_args())

    async def attach(self, files: list[Path]) -> bool:
        """Check and keep picked photos for upload (with the mutation that names them); False: refused."""
        try:
            await run_db(attach_files, self.store, files)
        except PhotoError as exc:
            self.show_error(exc.message)
            return False
        return True

    def open_photo(self, index: Any) -> None:
        """Double-click on a thumbnail: the full image (fetched once, then kept on this desk)."""
        sha = index.data(PhotoHashRole)
        if sha:
            self.photo_task = asyncio.ensure_future(show_photo(self, sha, self.subject()))

    async def _do_reopen(self) -> None:
        dialog = TextDialog(self.tr("Reopen incident"), self.tr("Reason"), "reason",
                            placeholder=self.tr("Why it is not settled (required)"), subject=self.subject(),
                            parent=self)
        if await self._dialog(dialog):
            await self.perform("reopen", dialog.mutation_args())

    async def _do_remind(self) -> None:
        dialog = RemindDialog(self.detail.get("escalation_level") or "none", subject=self.subject(), parent=self)
        if await self._dialog(dialog):
            await self.perform("remind", dialog.mutation_args())


def _badge_style(colour: str) -> str:
    return f"QLabel {{ background:{colour}; color:white; border-radius:3px; padding:2px 8px; font-weight:bold; }}"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


