"""Export the daily briefing (值班日报) as PDF and Excel, with progress and a Cancel button.

The figures are computed on the reader pool and the workbook written on a worker thread,
both watching a :class:`~commandroom.queries.briefing.TaskState`; Cancel sets its flag and
the running step stops at its next check (nothing half-written is left behind). The PDF is
laid out by Qt on the GUI thread, with the overdue list capped for the page count.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from commandroom.queries.briefing import Cancelled, DailyBriefing, TaskState, daily_briefing, local_today
from commandroom.queries.scope import scope_title
from ui.async_runner import run_read
from ui.handover.export import BriefingText, briefing_html, discard_partial, write_pdf, write_xlsx

if TYPE_CHECKING:
    from commandroom.store.protocol import Store

log = logging.getLogger(__name__)


def compute_briefing(store: Store, day: date, township_codes: tuple[str, ...] | None, now: datetime,
                     state: TaskState) -> DailyBriefing:
    """Core read for the reader pool."""
    with store.read() as session:
        return daily_briefing(session, day=day, township_codes=township_codes, now=now, state=state)


FOLDER_KEY = "briefing/folder"


async def export_briefing(store: Store, *, day: date, scope: tuple[str, ...] | None, folder: Path,
                          pdf: bool, xlsx: bool, state: TaskState, now: datetime | None = None,
                          text: BriefingText | None = None) -> list[Path]:
    """Compute the briefing and write the chosen files into ``folder``; returns their paths.

    Raises :class:`Cancelled` (and removes partial files) when ``state`` is cancelled.
    """
    now = now or store.now()  # the server's clock when this machine's is off
    text = text or BriefingText.current(await run_read(scope_title, store, scope))
    stem = f"值班日报_{day.isoformat()}"
    pdf_path, xlsx_path = folder / f"{stem}.pdf", folder / f"{stem}.xlsx"
    written: list[Path] = []
    try:
        briefing = await run_read(compute_briefing, store, day, scope, now, _Linked(state, 0.0, 0.6))
        if xlsx:
            written.append(await run_read(write_xlsx, briefing, text, xlsx_path, _Linked(state, 0.6, 0.9)))
        state.check()
        if pdf:
            state.set_progress(0.92, "pdf")
            await asyncio.sleep(0)  # let the progress bar paint before the layout
            written.append(write_pdf(briefing_html(briefing, text, now=now), pdf_path))
        state.set_progress(1.0, "done")
        return written
    except (Cancelled, Exception):
        for p in (pdf_path, xlsx_path):
            discard_partial(p)
        raise


class _Linked(TaskState):
    """A sub-task's state mapped onto a slice [lo, hi] of the parent's progress; shares its cancel flag."""

    def __init__(self, parent: TaskState, lo: float, hi: float) -> None:
        super().__init__()
        self.parent = parent
        self.lo, self.hi = lo, hi

    @property  # type: ignore[override]
    def cancelled(self) -> bool:
        return self.parent.cancelled

    @cancelled.setter
    def cancelled(self, value: bool) -> None:
        if value:
            self.parent.cancelled = True

    def set_progress(self, fraction: float, message: str = "") -> None:
        self.check()
        self.parent.set_progress(self.lo + (self.hi - self.lo) * fraction, message)


class BriefingDialog(QDialog):
    """Choose the day and the files; export with progress; Cancel stops it.

    Args:
        store: the workstation's DeskStore.
        scope: the townships in the briefing (None: the whole county).
    """

    export_did_finish = Signal(list)  # paths

    def __init__(self, store: Store, scope: tuple[str, ...] | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.scope = scope
        self.state: TaskState | None = None
        self.task: asyncio.Task | None = None
        self.written: list[Path] = []
        self.setWindowTitle(self.tr("Daily briefing"))
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        today = local_today(store.now())
        self.day_edit = QDateEdit(QDate(today.year, today.month, today.day).addDays(-1))
        self.day_edit.setCalendarPopup(True)
        self.day_edit.setDisplayFormat("yyyy-MM-dd")
        form.addRow(self.tr("Day"), self.day_edit)
        folder_row = QHBoxLayout()
        from ui import ui_state

        # the folder used last time, else the documents folder (where an officer looks for a file)
        self.folder_edit = QLineEdit(str(ui_state.value(FOLDER_KEY) or ui_state.documents_folder()))
        browse = QPushButton(self.tr("Choose…"))
        browse.clicked.connect(self._on_browse_clicked)
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(browse)
        form.addRow(self.tr("Folder"), folder_row)
        kinds = QHBoxLayout()
        self.pdf_check = QCheckBox(self.tr("PDF"))
        self.xlsx_check = QCheckBox(self.tr("Excel"))
        self.pdf_check.setChecked(True)
        self.xlsx_check.setChecked(True)
        kinds.addWidget(self.pdf_check)
        kinds.addWidget(self.xlsx_check)
        kinds.addStretch(1)
        form.addRow(self.tr("Files"), kinds)
        layout.addLayout(form)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        layout.addWidget(self.progress)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        layout.addWidget(self.status_label)
        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton(self.tr("Export"), QDialogButtonBox.ButtonRole.ActionRole)
        self.print_button = self.buttons.addButton(self.tr("Print…"), QDialogButtonBox.ButtonRole.ActionRole)
        self.print_button.setToolTip(self.tr("Print preview of the briefing (the same pages as the PDF), then print"))
        self.print_button.clicked.connect(self._on_print_clicked)
        self.print_preview: Any = None
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.export_button.clicked.connect(self.start_export)
        self.cancel_button.clicked.connect(self.cancel_export)
        self.close_button.clicked.connect(self.reject)
        self.cancel_button.setEnabled(False)
        layout.addWidget(self.buttons)

    def _on_browse_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Folder for the briefing"), self.folder_edit.text())
        if folder:
            self.folder_edit.setText(folder)

    def _on_print_clicked(self) -> None:
        if self.task is not None and not self.task.done():
            return
        self.task = asyncio.ensure_future(self.open_print_preview())

    async def open_print_preview(self) -> Any:
        """Compute the day's briefing and show it in Qt's print preview (printing is from there)."""
        from ui.printing import open_preview

        self.status_label.setText(self.tr("Preparing the print preview…"))
        now = self.store.now()
        text = BriefingText.current(await run_read(scope_title, self.store, self.scope))
        briefing = await run_read(compute_briefing, self.store, self.day(), self.scope, now, TaskState())
        self.status_label.clear()
        self.print_html = briefing_html(briefing, text, now=now)
        self.print_preview = open_preview(self.print_html, self.tr("Daily briefing"), self)
        return self.print_preview

    def day(self) -> date:
        return self.day_edit.date().toPython()

    def _on_progress(self, fraction: float, _message: str) -> None:
        self.progress.setValue(int(fraction * 1000))

    def start_export(self) -> None:
        if self.task is not None and not self.task.done():
            return
        if not (self.pdf_check.isChecked() or self.xlsx_check.isChecked()):
            return
        loop = asyncio.get_running_loop()
        self.state = TaskState(lambda f, m: loop.call_soon_threadsafe(self._on_progress, f, m))
        self.progress.setValue(0)
        self.status_label.setText(self.tr("Exporting…"))
        self.export_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.close_button.setEnabled(False)
        self.task = asyncio.ensure_future(self._run(self.state))

    async def _run(self, state: TaskState) -> None:
        folder = Path(self.folder_edit.text()).expanduser()  # noqa: ASYNC240 - reads $HOME, not the disk
        try:
            await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
            self.written = await export_briefing(self.store, day=self.day(), scope=self.scope, folder=folder,
                                                 pdf=self.pdf_check.isChecked(), xlsx=self.xlsx_check.isChecked(),
                                                 state=state)
        except Cancelled:
            self.progress.setValue(0)
            self.status_label.setText(self.tr("Cancelled; no file was written."))
        except Exception as exc:  # shown in the dialog, logged
            log.exception("briefing export failed")
            self.status_label.setText(self.tr("Export failed: {error}").format(error=exc))
        else:
            from ui import ui_state

            ui_state.set_value(FOLDER_KEY, str(folder))
            self.progress.setValue(1000)
            self.status_label.setText(self.tr("Written: {files}").format(
                files="、".join(str(p) for p in self.written)))
            self.export_did_finish.emit(list(self.written))
        finally:
            self.export_button.setEnabled(True)
            self.cancel_button.setEnabled(False)
            self.close_button.setEnabled(True)

    def cancel_export(self) -> None:
        if self.state is not None:
            self.state.cancel()
            self.status_label.setText(self.tr("Cancelling…"))

    async def wait_idle(self) -> None:
        if self.task is not None:
            await self.task


__all__ = ["BriefingDialog", "compute_briefing", "export_briefing"]
