"""County administration (系统管理): accounts, workstations, Open311 keys, the audit log and the scheduler.

Only the county administrator (``admin.*`` rules of :mod:`commandroom.permissions`) sees it.
It talks to the county server's admin API through the signed-in sync engine (``api``: an
async ``(method, path, **httpx kwargs) -> dict``); the server audits every change. A new
password or Open311 key is shown once, in the notice line, and never again.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QAbstractTableModel, QCoreApplication, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from commandroom import permissions
from commandroom.timeutil import fmt_local, parse_iso
from ui import i18n, ui_state
from ui.common.row_model import fit_columns

if TYPE_CHECKING:
    from commandroom.mutations.core import Actor

Api = Callable[..., Awaitable[dict[str, Any]]]


class RowsModel(QAbstractTableModel):
    """A read-only table of dict rows: (header, how to show a row) per column."""

    def __init__(self, columns: list[tuple[str, Callable[[dict[str, Any]], str]]],
                 colour: Callable[[dict[str, Any]], str | None] | None = None) -> None:
        super().__init__()
        self.columns = columns
        self.colour = colour  # a row's text colour (a failed job in red), None: the theme's
        self.rows: list[dict[str, Any]] = []

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.ForegroundRole and self.colour is not None:
            colour = self.colour(self.rows[index.row()])
            return QBrush(QColor(colour)) if colour else None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        return self.columns[index.column()][1](self.rows[index.row()])

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section][0]
        return None


def _when(value: str | None) -> str:
    return fmt_local(parse_iso(value)) if value else ""


def _tr(text: str) -> str:
    return QCoreApplication.translate("AdminView", text)


# account changes the server audits itself (the other actions are named mutations: their permission label)
ACCOUNT_ACTIONS = {
    "user.create": QT_TRANSLATE_NOOP("AdminView", "Account created"),
    "user.disable": QT_TRANSLATE_NOOP("AdminView", "Account disabled"),
    "user.enable": QT_TRANSLATE_NOOP("AdminView", "Account enabled"),
    "user.reset_password": QT_TRANSLATE_NOOP("AdminView", "Password reset"),
    "user.revoke_key": QT_TRANSLATE_NOOP("AdminView", "Open311 key revoked"),
    "user.rotate_key": QT_TRANSLATE_NOOP("AdminView", "Open311 key issued"),
    "user.set_roles": QT_TRANSLATE_NOOP("AdminView", "Roles changed"),
}

# the scheduler's jobs by their names in GET /api/v1/admin/jobs; an unknown one shows the server's label
JOB_NAMES = {
    "escalate": QT_TRANSLATE_NOOP("AdminView", "Overdue reminders and escalation (reminder, supervision order, "
                                               "report to leaders)"),
    "warn_breaches": QT_TRANSLATE_NOOP("AdminView", "Warnings before a deadline passes"),
    "auto_cards": QT_TRANSLATE_NOOP("AdminView", "Supervision cards for overdue incidents and missed check-ins"),
    "compact_changes": QT_TRANSLATE_NOOP("AdminView", "Compacting the sync change log"),
    "clean_up": QT_TRANSLATE_NOOP("AdminView", "Removing unused photos and expired workstation tokens"),
}


def action_words(action: str) -> str:
    """An audited action as the administrator reads it, never its code."""
    if action in ACCOUNT_ACTIONS:
        return _tr(ACCOUNT_ACTIONS[action])
    found = permissions.rule(action)
    return found.label if found is not None else action


def chain_words(answer: dict[str, Any], user_names: dict[str, str] | None = None) -> str:
    """The server's verdict on the audit chain (``reason``: a code and its parameters) in the officer's words,
    with what to do when it is broken."""
    reason = answer.get("reason") or {}
    code, p = reason.get("code"), reason.get("params") or {}
    if code == "empty":
        return QCoreApplication.translate("AdminView", "The audit log is empty: nothing has been recorded yet.")
    if code == "intact":
        return QCoreApplication.translate("AdminView", "Chain intact: all {count} entries check out, the newest is #{head} (fingerprint {hash}…). "
                   "Write the newest number and fingerprint in the daily report: a cut-off tail shows only "
                   "against them.").format(count=p.get("count"), head=p.get("head_id"),
                                           hash=str(p.get("head_hash", ""))[:16])
    what_to_do = QCoreApplication.translate("AdminView", "Do not change the database further; keep a copy of it and report this to the county "
                     "information office.")
    if code == "missing":
        if p.get("first") == p.get("last"):
            gap = QCoreApplication.translate("AdminView", "Chain broken: entry #{first} is missing (deleted?), the numbers jump from #{before} to "
                      "#{after}.").format(**p)
        else:
            gap = QCoreApplication.translate("AdminView", "Chain broken: entries #{first} to #{last} are missing (deleted?), the numbers jump from "
                      "#{before} to #{after}.").format(**p)
        return f"{gap}{what_to_do}"
    if code in ("relinked", "altered"):
        entity = p.get("entity_type", "")
        if entity in ("user", "user_account"):
            thing = (user_names or {}).get(p.get("entity_id", "")) or QCoreApplication.translate("AdminView", "an account")
        else:
            thing = i18n.label(i18n.ENTITY_LABELS, entity)
        common = {"id": p.get("id"), "at": p.get("at", ""), "action": action_words(p.get("action", "")),
                  "thing": thing, "before": int(p.get("id") or 1) - 1}
        if code == "relinked":
            text = QCoreApplication.translate("AdminView", "Chain broken at entry #{id} ({at}, {action}, {thing}): it no longer follows entry "
                       "#{before}, so an entry before it was changed or replaced.").format(**common)
        else:
            text = QCoreApplication.translate("AdminView", "Chain broken at entry #{id} ({at}, {action}, {thing}): its content was altered after it "
                       "was written.").format(**common)
        return f"{text}{what_to_do}"
    if answer.get("ok"):  # an older server without reasons
        return QCoreApplication.translate("AdminView", "Chain intact: {message}").format(message=answer.get("message", ""))
    return QCoreApplication.translate("AdminView", "Chain broken at entry #{id}: {message}").format(id=answer.get("broken_at"),
                                                                  message=answer.get("message", ""))


def _table(model: QAbstractTableModel) -> QTableView:
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)  # the officer may widen
    table.horizontalHeader().setStretchLastSection(True)
    table.verticalHeader().hide()
    return table


class AdminView(QWidget):
    """Users, workstations and the audit log, for the county administrator."""

    def __init__(self, api: Api, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.api = api
        self.actor = actor
        self.task: asyncio.Future | None = None
        self.user_names: dict[str, str] = {}
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._users_tab(), self.tr("Accounts"))
        self.tabs.addTab(self._devices_tab(), self.tr("Workstations"))
        self.tabs.addTab(self._audit_tab(), self.tr("Audit log"))
        self.tabs.addTab(self._jobs_tab(), self.tr("Scheduled jobs"))
        for table, key in ((self.users_table, "admin-users"), (self.devices_table, "admin-devices"),
                           (self.audit_table, "admin-audit"), (self.jobs_table, "admin-jobs")):
            ui_state.remember_table(table, key)  # widths the administrator chose win over fitting
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.notice)
        if not actor.may("admin.users"):
            self.setEnabled(False)
            self.notice.setText(permissions.refusal(actor, "admin.users") or "")

    # ---------------------------------------------------------------- building

    def _users_tab(self) -> QWidget:
        def roles(u: dict[str, Any]) -> str:
            return permissions.role_words(u.get("roles") or [u.get("role", "")])

        def place(u: dict[str, Any]) -> str:
            return " ".join(x for x in (u.get("scope_code") or "", u.get("department_code") or "") if x) or "全县"

        self.users_model = RowsModel([
            (self.tr("User name"), lambda u: u["username"]), (self.tr("Name"), lambda u: u["display_name"]),
            (self.tr("Roles"), roles), (self.tr("Scope"), place),
            (self.tr("Status"), lambda u: self.tr("disabled") if u["disabled"] else self.tr("active")),
            (self.tr("Open311 key"), lambda u: self.tr("yes") if u.get("has_api_key") else ""),
        ])
        self.users_table = _table(self.users_model)
        self.username_edit, self.name_edit = QLineEdit(), QLineEdit()
        self.role_edit, self.place_edit, self.department_edit = QLineEdit(), QLineEdit(), QLineEdit()
        self.username_edit.setPlaceholderText(self.tr("user name"))
        self.name_edit.setPlaceholderText(self.tr("name"))
        self.role_edit.setPlaceholderText(self.tr("roles, e.g. duty-officer,module-lead"))
        self.place_edit.setPlaceholderText(self.tr("township, or zone (QC), or empty for the county"))
        self.department_edit.setPlaceholderText(self.tr("department (liaisons)"))
        self.add_button = QPushButton(self.tr("Add account"))
        self.disable_button = QPushButton(self.tr("Disable"))
        self.enable_button = QPushButton(self.tr("Enable"))
        self.roles_button = QPushButton(self.tr("Set roles"))
        self.key_button = QPushButton(self.tr("Issue Open311 key"))
        self.revoke_key_button = QPushButton(self.tr("Revoke key"))
        self.add_button.clicked.connect(lambda: self._start(self.add_user()))
        self.disable_button.clicked.connect(lambda: self._start(self.user_action("disable")))
        self.enable_button.clicked.connect(lambda: self._start(self.user_action("enable")))
        self.roles_button.clicked.connect(lambda: self._start(self.set_roles()))
        self.key_button.clicked.connect(lambda: self._start(self.user_action("issue-key")))
        self.revoke_key_button.clicked.connect(lambda: self._start(self.user_action("revoke-key")))
        form = QHBoxLayout()
        for w in (self.username_edit, self.name_edit, self.role_edit, self.place_edit, self.department_edit,
                  self.add_button):
            form.addWidget(w)
        buttons = QHBoxLayout()
        for b in (self.disable_button, self.enable_button, self.roles_button, self.key_button,
                  self.revoke_key_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        page = QWidget()
        v = QVBoxLayout(page)
        v.addWidget(self.users_table, 1)
        v.addLayout(buttons)
        v.addLayout(form)
        return page

    def _devices_tab(self) -> QWidget:
        self.devices_model = RowsModel([
            (self.tr("Workstation"), lambda d: d["device_name"] or d["device_id"]),
            (self.tr("Accounts"), lambda d: "、".join(d["users"])),
            (self.tr("Last sync"), lambda d: _when(d["last_sync"])),
            (self.tr("Sign-in"), lambda d: self.tr("valid") if d["active"] else self.tr("revoked")),
        ])
        self.devices_table = _table(self.devices_model)
        self.revoke_device_button = QPushButton(self.tr("Revoke sign-in"))
        self.revoke_device_button.clicked.connect(lambda: self._start(self.revoke_device()))
        page = QWidget()
        v = QVBoxLayout(page)
        v.addWidget(self.devices_table, 1)
        v.addWidget(self.revoke_device_button, 0, Qt.AlignmentFlag.AlignLeft)
        return page

    def _audit_tab(self) -> QWidget:
        self.audit_model = RowsModel([
            ("#", lambda e: str(e["id"])), (self.tr("Time"), lambda e: _when(e["at"])),
            (self.tr("Action"), lambda e: action_words(e["action"])), (self.tr("Row"), self._row_words),
            (self.tr("By"), lambda e: self.user_names.get(e.get("user_id") or "", e.get("user_id") or "")),
        ])
        self.audit_table = _table(self.audit_model)
        self.actor_edit, self.row_edit = QLineEdit(), QLineEdit()
        self.since_edit, self.until_edit = QLineEdit(), QLineEdit()
        self.actor_edit.setPlaceholderText(self.tr("by (user name)"))
        self.row_edit.setPlaceholderText(self.tr("row id"))
        self.since_edit.setPlaceholderText(self.tr("from (2026-12-01)"))
        self.until_edit.setPlaceholderText(self.tr("to (2026-12-31)"))
        self.search_button = QPushButton(self.tr("Search"))
        self.history_button = QPushButton(self.tr("History of this row"))
        self.verify_button = QPushButton(self.tr("Verify the chain"))
        self.verify_label = QLabel()
        self.verify_label.setWordWrap(True)
        self.search_button.clicked.connect(lambda: self._start(self.search_audit()))
        self.history_button.clicked.connect(lambda: self._start(self.row_history()))
        self.verify_button.clicked.connect(lambda: self._start(self.verify()))
        filters = QHBoxLayout()
        for w in (self.actor_edit, self.row_edit, self.since_edit, self.until_edit, self.search_button,
                  self.history_button, self.verify_button):
            filters.addWidget(w)
        page = QWidget()
        v = QVBoxLayout(page)
        v.addLayout(filters)
        v.addWidget(self.audit_table, 1)
        v.addWidget(self.verify_label)
        return page

    def _fit(self, table: QTableView) -> None:
        """Columns as wide as their contents, until the administrator sizes them (ui_state.remember_table)."""
        if table.model().rowCount():
            fit_columns(table)

    def _row_words(self, e: dict[str, Any]) -> str:
        if e["entity_type"] in ("user", "user_account"):
            return self.tr("Account {name}").format(name=self.user_names.get(e["entity_id"], e["entity_id"]))
        return f"{i18n.label(i18n.ENTITY_LABELS, e['entity_type'])} {e['entity_id']}"

    def _jobs_tab(self) -> QWidget:
        def name(j: dict[str, Any]) -> str:
            source = JOB_NAMES.get(j["job"])
            return _tr(source) if source else j.get("label") or j["job"]

        def every(j: dict[str, Any]) -> str:
            minutes = int(j.get("every_minutes") or 0)
            if minutes and minutes % 1440 == 0:
                return self.tr("daily") if minutes == 1440 else self.tr("every {n} days").format(n=minutes // 1440)
            if minutes and minutes % 60 == 0:
                return self.tr("every {n} h").format(n=minutes // 60)
            return self.tr("every {n} min").format(n=minutes)

        def result(j: dict[str, Any]) -> str:
            if j.get("running_since"):
                return self.tr("running since {when}").format(when=_when(j["running_since"]))
            if j.get("last_error"):  # the server's words without the programmer's exception name
                why = re.sub(r"^\w+(?:Error|Exception): ", "", str(j["last_error"]))
                return self.tr("failed: {why}").format(why=why)
            if not j.get("last_run_at"):
                return self.tr("not run yet")
            acts = int(j.get("last_acts") or 0)
            return self.tr("done, {n} actions").format(n=acts) if acts else self.tr("done, nothing to do")

        def colour(j: dict[str, Any]) -> str | None:
            return "#c0392b" if j.get("last_error") and not j.get("running_since") else None

        self.jobs_model = RowsModel([
            (self.tr("Job"), name), (self.tr("Runs"), every), (self.tr("Last run"), lambda j: _when(j.get("last_attempt_at") or j["last_run_at"])),
            (self.tr("Result"), result), (self.tr("Next run"), lambda j: _when(j["next_run_at"])),
        ], colour)
        self.jobs_table = _table(self.jobs_model)
        self.jobs_button = QPushButton(self.tr("Refresh"))
        self.jobs_button.clicked.connect(lambda: self._start(self.load_jobs()))
        self.jobs_label = QLabel()
        self.jobs_label.setWordWrap(True)
        page = QWidget()
        v = QVBoxLayout(page)
        v.addWidget(self.jobs_table, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.jobs_label, 1)
        bottom.addWidget(self.jobs_button)
        v.addLayout(bottom)
        return page

    # ---------------------------------------------------------------- actions

    def _start(self, coro: Any) -> None:
        self.task = asyncio.ensure_future(self._guard(coro))

    async def _guard(self, coro: Any) -> None:
        try:
            await coro
        except Exception as exc:  # noqa: BLE001 - the server's refusal, in its words
            message = getattr(exc, "message", "") or str(exc)
            self.notice.setText(self.tr("Not done: {message}").format(message=message))

    async def wait_idle(self) -> None:
        if self.task is not None:
            await self.task

    def selected(self, table: QTableView, model: RowsModel) -> dict[str, Any] | None:
        rows = table.selectionModel().selectedRows()
        return model.rows[rows[0].row()] if rows else None

    async def load(self) -> None:
        self.users_model.set_rows((await self.api("GET", "/api/v1/users"))["users"])
        self.user_names = {u["id"]: u["display_name"] or u["username"] for u in self.users_model.rows}
        self.devices_model.set_rows((await self.api("GET", "/api/v1/admin/devices"))["devices"])
        for table in (self.users_table, self.devices_table):
            self._fit(table)
        await self.search_audit()
        await self.load_jobs()

    async def load_jobs(self) -> None:
        """The scheduler's jobs: what each did last, when, and when it runs next."""
        answer = await self.api("GET", "/api/v1/admin/jobs")
        self.jobs_model.set_rows(answer["jobs"])
        self._fit(self.jobs_table)
        failed = sum(1 for j in answer["jobs"] if j.get("last_error"))
        never = sum(1 for j in answer["jobs"] if not j.get("last_run_at") and not j.get("running_since"))
        parts = [self.tr("As of {when}.").format(when=_when(answer.get("now")))]
        if failed:
            parts.append(self.tr("{n} job(s) failed on their last run: see the reason in red; the scheduler tries "
                                 "again at the next run.").format(n=failed))
        if never and never == len(answer["jobs"]):
            parts.append(self.tr("No job has run yet: check that the county server runs with its scheduler on."))
        self.jobs_label.setText(" ".join(parts))

    async def add_user(self) -> None:
        place = self.place_edit.text().strip()
        body: dict[str, Any] = {"username": self.username_edit.text().strip(),
                                "display_name": self.name_edit.text().strip(), "role": self.role_edit.text().strip()}
        if not place:
            body["county"] = True
        elif place.isascii() and place.isalpha() and len(place) <= 4:
            body["zone"] = place
        else:
            body["township"] = place
        if self.department_edit.text().strip():
            body["department"] = self.department_edit.text().strip()
        answer = await self.api("POST", "/api/v1/admin/users", json=body)
        shown = [self.tr("Account {name} created.").format(name=answer["user"]["username"])]
        if answer.get("password"):
            shown.append(self.tr("Password (shown once): {password}").format(password=answer["password"]))
        if answer.get("api_key"):
            shown.append(self.tr("Open311 key (shown once): {key}").format(key=answer["api_key"]))
        self.notice.setText(" ".join(shown))
        for edit in (self.username_edit, self.name_edit, self.role_edit, self.place_edit, self.department_edit):
            edit.clear()
        await self.load()

    async def user_action(self, action: str) -> None:
        user = self.selected(self.users_table, self.users_model)
        if user is None:
            self.notice.setText(self.tr("Select an account first."))
            return
        answer = await self.api("POST", f"/api/v1/admin/users/{user['id']}/{action}")
        if answer.get("api_key"):
            self.notice.setText(self.tr("Open311 key of {name} (shown once): {key}").format(
                name=user["username"], key=answer["api_key"]))
        else:
            self.notice.setText(self.tr("Done: {name}").format(name=user["username"]))
        await self.load()

    async def set_roles(self) -> None:
        user = self.selected(self.users_table, self.users_model)
        if user is None or not self.role_edit.text().strip():
            self.notice.setText(self.tr("Select an account and type its roles."))
            return
        body = {"role": self.role_edit.text().strip(), "department": self.department_edit.text().strip() or None}
        await self.api("POST", f"/api/v1/admin/users/{user['id']}/roles", json=body)
        self.notice.setText(self.tr("Done: {name}").format(name=user["username"]))
        await self.load()

    async def revoke_device(self) -> None:
        device = self.selected(self.devices_table, self.devices_model)
        if device is None:
            self.notice.setText(self.tr("Select a workstation first."))
            return
        await self.api("POST", f"/api/v1/admin/devices/{device['device_id']}/revoke")
        self.notice.setText(self.tr("Sign-in of {name} revoked.").format(name=device["device_name"]))
        await self.load()

    async def search_audit(self) -> None:
        params = {k: v for k, v in (("actor", self.actor_edit.text().strip()), ("entity_id", self.row_edit.text().strip()),
                                    ("since", self.since_edit.text().strip()), ("until", self.until_edit.text().strip()))
                  if v}
        self.audit_model.set_rows((await self.api("GET", "/api/v1/admin/audit", params=params))["entries"])
        self._fit(self.audit_table)

    async def row_history(self) -> None:
        entry = self.selected(self.audit_table, self.audit_model)
        if entry is not None:
            self.row_edit.setText(entry["entity_id"])
            self.actor_edit.clear()
        await self.search_audit()

    async def verify(self) -> None:
        answer = await self.api("POST", "/api/v1/admin/audit/verify")
        self.verify_label.setText(chain_words(answer, self.user_names))
        self.verify_label.setStyleSheet("" if answer["ok"] else "color: #c0392b;")
