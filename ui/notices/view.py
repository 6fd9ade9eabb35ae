"""Notices sent (通知记录): what the county server sent out of the room, to whom, by which channel, and what
became of it.

The delivery log lives on the county server (``GET /api/v1/notices``, the caller's townships only), not
on the desk: the page asks for it through the signed-in sync engine (``api``: an async
``(method, path, **httpx kwargs) -> dict``), when shown, every half minute while shown, and on 刷新.
Addresses come masked from the server (139****0002); a failed or waiting notice says why and, when
waiting, when the server tries again. The filter (status, channel, words) works on the rows loaded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QShowEvent
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

from commandroom import permissions
from commandroom.timeutil import fmt_local, parse_iso
from ui import ui_state
from ui.common.row_model import Column, RowTableModel

Api = Callable[..., Awaitable[dict[str, Any]]]
REFRESH_MS = 30_000

STATUS_WORDS = {
    "pending": QT_TRANSLATE_NOOP("NoticesView", "Waiting"),
    "sent": QT_TRANSLATE_NOOP("NoticesView", "Sent"),
    "failed": QT_TRANSLATE_NOOP("NoticesView", "Failed"),
}
STATUS_COLOURS = {"pending": "#b9770e", "failed": "#c0392b"}
CHANNEL_WORDS = {
    "robot": QT_TRANSLATE_NOOP("NoticesView", "Group robot"),
    "sms": QT_TRANSLATE_NOOP("NoticesView", "SMS"),
    "email": QT_TRANSLATE_NOOP("NoticesView", "E-mail"),
}
EVENT_WORDS = {
    "dispatch": QT_TRANSLATE_NOOP("NoticesView", "Dispatch"),
    "summons": QT_TRANSLATE_NOOP("NoticesView", "Summons (whistle)"),
    "pre_breach": QT_TRANSLATE_NOOP("NoticesView", "Deadline near"),
    "escalation": QT_TRANSLATE_NOOP("NoticesView", "Escalation"),
    "verification_rejected": QT_TRANSLATE_NOOP("NoticesView", "Verification failed"),
}


def _tr(text: str) -> str:
    return QCoreApplication.translate("NoticesView", text)


def _when(value: str | None) -> str:
    return fmt_local(parse_iso(value), "%m-%d %H:%M") if value else ""


class Row(dict):
    """One delivery-log entry as the server answered it (a dict keyed by the server's fields)."""

    @property
    def id(self) -> str:
        return str(self["id"])


def status_text(n: dict[str, Any]) -> str:
    source = STATUS_WORDS.get(n.get("status", ""))
    return _tr(source) if source else str(n.get("status_text") or n.get("status") or "")


def channel_text(n: dict[str, Any]) -> str:
    kind = CHANNEL_WORDS.get(n.get("channel_kind", ""))
    kind_words = _tr(kind) if kind else str(n.get("channel_kind_text") or "")
    name = str(n.get("channel") or "")
    return f"{name}（{kind_words}）" if kind_words and name else name or kind_words


def event_text(n: dict[str, Any]) -> str:
    source = EVENT_WORDS.get(n.get("event_kind", ""))
    return _tr(source) if source else str(n.get("event") or "")


def why_text(n: dict[str, Any]) -> str:
    """Why a notice failed or still waits, and what happens next, in the officer's words."""
    status = n.get("status")
    if status == "sent":
        return QCoreApplication.translate("NoticesView", "Sent at {when}").format(when=_when(n.get("sent_at")))
    reason = str(n.get("error") or "")
    if status == "failed":
        return QCoreApplication.translate("NoticesView", "{reason}. Not retried: ask the county administrator to check the channel or the "
                   "person's contact.").format(reason=reason or QCoreApplication.translate("NoticesView", "No reason given"))
    nxt = _when(n.get("next_attempt_at"))
    if reason:
        return QCoreApplication.translate("NoticesView", "{reason}. Next try {when}.").format(reason=reason, when=nxt)
    return QCoreApplication.translate("NoticesView", "Queued, sending {when}.").format(when=nxt) if nxt else QCoreApplication.translate("NoticesView", "Queued.")


class NoticesModel(RowTableModel):
    """The delivery log, newest first."""

    def columns(self) -> list[Column]:
        def text(fn: Callable[[dict[str, Any]], str]) -> Callable[[Row, int], Any]:
            def cell(row: Row, role: int) -> Any:
                if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                    return fn(row)
                return None
            return cell

        def status(row: Row, role: int) -> Any:
            if role == Qt.ItemDataRole.DisplayRole:
                return status_text(row)
            if role == Qt.ItemDataRole.ForegroundRole and row.get("status") in STATUS_COLOURS:
                return QBrush(QColor(STATUS_COLOURS[row["status"]]))
            return None

        return [
            (self.tr("Time"), text(lambda n: _when(n.get("created_at")))),
            (self.tr("Occasion"), text(event_text)),
            (self.tr("Message"), text(lambda n: str(n.get("title") or ""))),
            (self.tr("To"), text(lambda n: str(n.get("recipient") or ""))),
            (self.tr("Address"), text(lambda n: str(n.get("address") or ""))),
            (self.tr("Channel"), text(channel_text)),
            (self.tr("Status"), status),
            (self.tr("Tries"), text(lambda n: str(n.get("attempts") or 0))),
            (self.tr("Why / next"), text(why_text)),
        ]


class NoticesView(QWidget):
    """The room's view of the notices the county server sent for its townships."""

    def __init__(self, api: Api, actor: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.api = api
        self.actor = actor
        self.task: asyncio.Future | None = None
        self.all_rows: list[Row] = []
        self.status_filter = QComboBox()
        self.status_filter.addItem(self.tr("All statuses"), "")
        for code, source in STATUS_WORDS.items():
            self.status_filter.addItem(_tr(source), code)
        self.channel_filter = QComboBox()
        self.channel_filter.addItem(self.tr("All channels"), "")
        for code, source in CHANNEL_WORDS.items():
            self.channel_filter.addItem(_tr(source), code)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search message, person or reason"))
        self.search.setClearButtonEnabled(True)
        self.refresh_button = QPushButton(self.tr("Refresh"))
        for combo in (self.status_filter, self.channel_filter):
            combo.currentIndexChanged.connect(self.apply_filter)
        self.search.textChanged.connect(self.apply_filter)
        self.refresh_button.clicked.connect(lambda: self._start(self.load()))
        self.model = NoticesModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((96, 96, 300, 90, 150, 170, 72, 48)):
            header.resizeSection(column, width)
        ui_state.remember_table(self.table, "notices")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        filters = QHBoxLayout()
        filters.addWidget(self.status_filter)
        filters.addWidget(self.channel_filter)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(lambda: self._start(self.load()))
        refusal = permissions.refusal(actor, "notices.read")
        if refusal:
            self.setEnabled(False)
            self.summary.setText(refusal)

    # ---------------------------------------------------------------- loading

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.isEnabled():
            self.timer.start()
            if self.task is None or self.task.done():
                self._start(self.load())

    def hideEvent(self, event: Any) -> None:
        self.timer.stop()
        super().hideEvent(event)

    def _start(self, coro: Any) -> None:
        if self.task is not None and not self.task.done():
            coro.close()  # one load at a time; the running one brings the news
            return
        self.task = asyncio.ensure_future(self._guard(coro))

    async def _guard(self, coro: Any) -> None:
        try:
            await coro
        except Exception as exc:  # noqa: BLE001 - the server unreachable or refusing: say so, keep the rows
            message = getattr(exc, "message", "") or str(exc)
            self.summary.setText(self.tr("Could not load the notices from the county server ({why}). The list "
                                         "shows the last rows loaded; it tries again in half a minute.")
                                 .format(why=message))

    async def wait_idle(self) -> None:
        while self.task is not None and not self.task.done():
            await self.task

    async def load(self) -> None:
        answer = await self.api("GET", "/api/v1/notices", params={"limit": 500})
        self.all_rows = [Row(n) for n in answer["notices"]]
        self.apply_filter()

    # ---------------------------------------------------------------- filter

    def visible_rows(self) -> list[Row]:
        status = self.status_filter.currentData()
        channel = self.channel_filter.currentData()
        words = self.search.text().strip().lower()
        out = []
        for n in self.all_rows:
            if status and n.get("status") != status:
                continue
            if channel and n.get("channel_kind") != channel:
                continue
            if words and words not in " ".join(str(n.get(k) or "") for k in ("title", "recipient", "error", "channel",
                                                                              "event")).lower():
                continue
            out.append(n)
        return out

    def apply_filter(self) -> None:
        rows = self.visible_rows()
        self.model.set_rows(rows)
        counts = {code: sum(1 for n in self.all_rows if n.get("status") == code) for code in STATUS_WORDS}
        text = self.tr("{shown} of {total} notices shown · sent {sent} · waiting {pending} · failed {failed}").format(
            shown=len(rows), total=len(self.all_rows), sent=counts["sent"], pending=counts["pending"],
            failed=counts["failed"])
        if counts["failed"]:
            text += self.tr(" — a failed notice did not reach its person: tell them by phone.")
        self.summary.setText(text)
