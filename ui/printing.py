"""Print preview and printing of the documents the desk hands on paper: the daily briefing, the handover.

Both are HTML laid out by ``QTextDocument`` (the briefing is the same HTML as its PDF), with the
Chinese font the PDF uses. :func:`open_preview` shows Qt's print preview (page set-up and the
printer dialog are in it); :func:`print_html` prints straight to a ``QPrinter`` (tests print to a
PDF file through it).
"""

from __future__ import annotations

import html as html_lib
from typing import Any

from PySide6.QtGui import QFont, QTextDocument
from PySide6.QtWidgets import QWidget


def document(html: str) -> QTextDocument:
    from ui.handover.export import CJK_FONTS

    doc = QTextDocument()
    font = QFont()
    font.setFamilies(CJK_FONTS)
    font.setPointSizeF(10)
    doc.setDefaultFont(font)
    doc.setHtml(html)
    return doc


def print_html(html: str, printer: Any) -> None:
    """Lay ``html`` out for ``printer``'s page and print it."""
    document(html).print_(printer)


def open_preview(html: str, title: str, parent: QWidget | None = None) -> Any:
    """Qt's print preview of ``html`` (A4), open window-modally; returns the dialog."""
    from PySide6.QtGui import QPageSize
    from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setDocName(title)
    dialog = QPrintPreviewDialog(printer, parent)
    dialog.setWindowTitle(title)
    dialog.paintRequested.connect(lambda p: print_html(html, p))
    dialog.printer_ = printer  # kept alive with the dialog
    dialog.open()
    return dialog


def model_table(model: Any) -> str:
    """A QAbstractItemModel's header and rows as an HTML table (what the handover dialog shows)."""
    from PySide6.QtCore import QModelIndex, Qt

    columns, rows = model.columnCount(QModelIndex()), model.rowCount(QModelIndex())
    head = "".join(f"<th>{html_lib.escape(str(model.headerData(c, Qt.Orientation.Horizontal) or ''))}</th>"
                   for c in range(columns))
    body = "".join("<tr>" + "".join(
        f"<td style='white-space:nowrap'>{html_lib.escape(str(model.index(r, c).data() or ''))}</td>" if c == 0
        else f"<td>{html_lib.escape(str(model.index(r, c).data() or ''))}</td>" for c in range(columns)) + "</tr>"
        for r in range(rows))
    return (f"<table cellspacing=0 cellpadding=3 width=100% style='border-collapse:collapse'"
            f" border=1><tr>{head}</tr>{body}</table>")
