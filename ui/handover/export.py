"""The daily briefing (值班日报) as a PDF (QTextDocument → QPdfWriter, Chinese fonts) and an Excel workbook.

The texts are translated on the GUI thread into a :class:`BriefingText`; the workbook is
written by :func:`write_xlsx`, a plain function (openpyxl) that runs on a worker thread and
honours a :class:`~commandroom.queries.briefing.TaskState` (progress, cancellation). The PDF
is laid out by Qt on the GUI thread (:func:`write_pdf`); its overdue list is capped at
:data:`PDF_OVERDUE_ROWS` rows — the workbook always has all of them. Both write to a
temporary file and rename it at the end, so a cancelled or failed export leaves nothing.
"""

from __future__ import annotations

import base64
import io
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QMarginsF
from PySide6.QtGui import QFont, QPageLayout, QPageSize, QPdfWriter, QTextDocument

from commandroom.queries.briefing import CLOSED_LATER, DailyBriefing, TaskState
from commandroom.timeutil import fmt_local
from ui.incidents import labels

CTX = "Handover"
PDF_OVERDUE_ROWS = 300
CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei",
             "SimHei", "SimSun"]

_TEXTS = {
    "title": QT_TRANSLATE_NOOP("Handover", "Daily duty briefing"),
    "county": QT_TRANSLATE_NOOP("Handover", "Changshan county"),
    "day": QT_TRANSLATE_NOOP("Handover", "Day"),
    "as_of": QT_TRANSLATE_NOOP("Handover", "Figures as of"),
    "generated": QT_TRANSLATE_NOOP("Handover", "Generated"),
    "summary": QT_TRANSLATE_NOOP("Handover", "Summary"),
    "figure": QT_TRANSLATE_NOOP("Handover", "Figure"),
    "value": QT_TRANSLATE_NOOP("Handover", "Value"),
    "created": QT_TRANSLATE_NOOP("Handover", "New incidents"),
    "closed": QT_TRANSLATE_NOOP("Handover", "Closed"),
    "closed_on_time": QT_TRANSLATE_NOOP("Handover", "Closed on time"),
    "on_time_rate": QT_TRANSLATE_NOOP("Handover", "On-time closure rate"),
    "open": QT_TRANSLATE_NOOP("Handover", "Open"),
    "overdue": QT_TRANSLATE_NOOP("Handover", "Overdue"),
    "returned": QT_TRANSLATE_NOOP("Handover", "Returned"),
    "escalated": QT_TRANSLATE_NOOP("Handover", "Escalated"),
    "by_township": QT_TRANSLATE_NOOP("Handover", "By township"),
    "by_category": QT_TRANSLATE_NOOP("Handover", "By category"),
    "by_state": QT_TRANSLATE_NOOP("Handover", "Open incidents by state"),
    "overdue_list": QT_TRANSLATE_NOOP("Handover", "Overdue incidents"),
    "township": QT_TRANSLATE_NOOP("Handover", "Township"),
    "category": QT_TRANSLATE_NOOP("Handover", "Category"),
    "state": QT_TRANSLATE_NOOP("Handover", "State"),
    "count": QT_TRANSLATE_NOOP("Handover", "Count"),
    "number": QT_TRANSLATE_NOOP("Handover", "No."),
    "incident": QT_TRANSLATE_NOOP("Handover", "Incident"),
    "clock": QT_TRANSLATE_NOOP("Handover", "Clock"),
    "due": QT_TRANSLATE_NOOP("Handover", "Due"),
    "late_by": QT_TRANSLATE_NOOP("Handover", "Late by"),
    "assignee": QT_TRANSLATE_NOOP("Handover", "Assigned to"),
    "supervision": QT_TRANSLATE_NOOP("Handover", "Supervision"),
    "none": QT_TRANSLATE_NOOP("Handover", "None"),
    "more": QT_TRANSLATE_NOOP("Handover", "… and {n} more (see the Excel workbook)"),
    "closed_later": QT_TRANSLATE_NOOP("Handover", "Open then, closed since"),
    "scope_all": QT_TRANSLATE_NOOP("Handover", "All townships"),
    "team": QT_TRANSLATE_NOOP("Handover", "{zone} team"),
    "photos": QT_TRANSLATE_NOOP("Handover", "Photos of the day's closures"),
    "before": QT_TRANSLATE_NOOP("Handover", "Before"),
    "after": QT_TRANSLATE_NOOP("Handover", "After"),
    "closed_at": QT_TRANSLATE_NOOP("Handover", "Closed at"),
    "no_photo": QT_TRANSLATE_NOOP("Handover", "none"),
    "not_here": QT_TRANSLATE_NOOP("Handover", "photo not on this workstation yet"),
}


@dataclass
class BriefingText:
    """Every text the exports need, translated on the GUI thread (workers never call Qt)."""

    t: dict[str, str]
    states: dict[str, str]
    clocks: dict[str, str]
    escalations: dict[str, str]
    scope_name: str
    extra: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, key: str) -> str:
        return self.t[key]

    @classmethod
    def current(cls, scope_name: str = "") -> BriefingText:
        from commandroom.domain.enums import IncidentState

        t = {k: QCoreApplication.translate(CTX, v) for k, v in _TEXTS.items()}
        states = {s.value: labels.state_label(s.value) for s in IncidentState}
        states[CLOSED_LATER] = t["closed_later"]
        clocks = {k: labels.label(labels.CLOCK_LABELS, k) for k in labels.CLOCK_LABELS}
        escalations = {k: labels.label(labels.ESCALATION_LABELS, k) for k in labels.ESCALATION_LABELS}
        escalations["none"] = ""
        return cls(t, states, clocks, escalations, scope_name or t["county"])


def _rate(b: DailyBriefing) -> str:
    return "—" if b.on_time_rate is None else f"{b.on_time_rate * 100:.1f}%"


def _span(delta: Any) -> str:
    return labels.duration_text(delta)


def _assignee(c: Any, text: BriefingText) -> str:
    return text["team"].format(zone=c.assignee) if c.assignee_kind == "team" and c.assignee else c.assignee


def summary_rows(b: DailyBriefing, text: BriefingText) -> list[tuple[str, Any]]:
    return [
        (text["created"], b.created),
        (text["closed"], b.closed),
        (text["closed_on_time"], b.closed_on_time),
        (text["on_time_rate"], _rate(b)),
        (text["open"], b.open_total),
        (text["overdue"], b.overdue_total),
        (text["returned"], b.returned),
        (text["escalated"], b.escalated),
    ]


# ----------------------------------------------------------------------------- PDF


def _esc(value: Any) -> str:
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _table(headers: list[str], rows: list[list[Any]], widths: list[int] | None = None,
           nowrap: tuple[int, ...] = ()) -> str:
    """A bordered table; the ``nowrap`` columns (incident numbers, times) are never broken across lines."""
    head = "".join(f"<th{_w(widths, i)}>{_esc(h)}</th>" for i, h in enumerate(headers))

    def cell(i: int, c: Any) -> str:
        cls = " class=num" if isinstance(c, int | float) else ""
        style = " style='white-space:nowrap'" if i in nowrap else ""
        return f"<td{cls}{style}>{_esc(c)}</td>"

    body = "".join("<tr>" + "".join(cell(i, c) for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table class=grid cellspacing=0 cellpadding=3 width=100%><tr>{head}</tr>{body}</table>"


def _w(widths: list[int] | None, i: int) -> str:
    return f" width={widths[i]}%" if widths and i < len(widths) else ""


def briefing_html(b: DailyBriefing, text: BriefingText, *, now: datetime | None = None,
                  overdue_rows: int = PDF_OVERDUE_ROWS) -> str:
    """The briefing as HTML for QTextDocument (Qt's rich-text subset)."""
    title = f"{text.scope_name} {text['title']}"
    day = b.day.strftime("%Y-%m-%d")
    parts = [
        "<html><head><style>"
        "body { font-size: 10pt; } h1 { font-size: 17pt; text-align: center; margin-bottom: 2px; }"
        "h2 { font-size: 12pt; margin-top: 14px; margin-bottom: 4px; color: #1f3a5f; }"
        "p.meta { color: #555555; text-align: center; margin-top: 0; }"
        "table.grid { border-collapse: collapse; border: 1px solid #9aa5b4; }"
        "table.grid th { background: #e8eef6; border: 1px solid #9aa5b4; font-weight: bold; }"
        "table.grid td { border: 1px solid #c9d1dc; } td.num { text-align: right; }"
        "td.kpi { font-size: 15pt; font-weight: bold; text-align: center; color: #1f3a5f; }"
        "td.kpilabel { text-align: center; color: #555555; }"
        "</style></head><body>",
        f"<h1>{_esc(title)}</h1>",
        f"<p class=meta>{_esc(text['day'])}：{day}　{_esc(text['as_of'])}：{_esc(fmt_local(b.as_of))}　"
        f"{_esc(text['generated'])}：{_esc(fmt_local(now) if now else '')}</p>",
        f"<h2>{_esc(text['summary'])}</h2>",
    ]
    kpis = summary_rows(b, text)
    parts.append("<table class=grid cellspacing=0 cellpadding=4 width=100%><tr>"
                 + "".join(f"<td class=kpi>{_esc(v)}</td>" for _k, v in kpis) + "</tr><tr>"
                 + "".join(f"<td class=kpilabel>{_esc(k)}</td>" for k, _v in kpis) + "</tr></table>")
    parts.append(f"<h2>{_esc(text['by_township'])}</h2>")
    parts.append(_table(
        [text["township"], text["created"], text["closed"], text["closed_on_time"], text["open"], text["overdue"]],
        [[r.name, r.created, r.closed, r.closed_on_time, r.open_now, r.overdue_now] for r in b.by_township],
        [30, 14, 14, 14, 14, 14]))
    parts.append(f"<h2>{_esc(text['by_category'])}</h2>")
    parts.append(_table(
        [text["category"], text["created"], text["closed"], text["closed_on_time"]],
        [[r.name, r.created, r.closed, r.closed_on_time] for r in b.by_category if r.created or r.closed],
        [55, 15, 15, 15]))
    parts.append(f"<h2>{_esc(text['by_state'])}</h2>")
    parts.append(_table([text["state"], text["count"]],
                        [[text.states.get(s, s), n] for s, n in b.by_state.items()], [70, 30]))
    parts.append(f"<h2>{_esc(text['overdue_list'])}（{len(b.overdue)}）</h2>")
    rows = [[c.number, c.title, c.township_name, text.states.get(c.state, c.state), text.clocks.get(c.clock, c.clock),
             fmt_local(c.due, "%m-%d %H:%M"), _span(b.as_of - c.due), _assignee(c, text)]
            for c in b.overdue[:overdue_rows]]
    parts.append(_table([text["number"], text["incident"], text["township"], text["state"], text["clock"],
                         text["due"], text["late_by"], text["assignee"]], rows, [16, 26, 8, 9, 7, 11, 11, 12],
                        nowrap=(0, 5)))  # "QC-2026-000123" and "12-03 14:30" stay whole
    if len(b.overdue) > overdue_rows:
        parts.append(f"<p>{_esc(text['more'].format(n=len(b.overdue) - overdue_rows))}</p>")
    if b.photos:
        parts.append(f"<h2>{_esc(text['photos'])}（{len(b.photos)}）</h2>")
        parts.append(_photo_table(b, text))
    parts.append("</body></html>")
    return "".join(parts)


PHOTO_PX = 110  # a thumbnail's longer side in the briefing


def _thumb_html(item: Any, hashes: list[str], text: BriefingText) -> str:
    """The thumbnails as inline images (data: URLs, so the print preview and the PDF need no files)."""
    if not hashes:
        return f"<span style='color:#888888'>{_esc(text['no_photo'])}</span>"
    out = []
    for sha in hashes:
        thumb = item.thumbnails.get(sha)
        if thumb is None:
            out.append(f"<span style='color:#888888'>（{_esc(text['not_here'])}）</span>")
            continue
        width, height = _fit(thumb)
        data = base64.b64encode(thumb).decode("ascii")
        out.append(f"<img src='data:image/jpeg;base64,{data}' width={width} height={height}>&nbsp;")
    return "".join(out)


def _fit(thumb: bytes) -> tuple[int, int]:
    """The size to draw a thumbnail at: its longer side :data:`PHOTO_PX`, its shape kept."""
    from PySide6.QtGui import QImage

    img = QImage.fromData(thumb)
    if img.isNull() or not img.width() or not img.height():
        return PHOTO_PX, PHOTO_PX * 3 // 4
    scale = PHOTO_PX / max(img.width(), img.height())
    return max(1, round(img.width() * scale)), max(1, round(img.height() * scale))


def _photo_table(b: DailyBriefing, text: BriefingText) -> str:
    head = "".join(f"<th width={w}%>{_esc(h)}</th>" for h, w in (
        (text["incident"], 30), (text["before"], 35), (text["after"], 35)))
    body = "".join(
        "<tr><td>" + f"<span style='white-space:nowrap'>{_esc(item.number)}</span><br>{_esc(item.title)}<br>"
        f"<span style='color:#555555'>{_esc(item.township_name)}　{_esc(text['closed_at'])} "
        f"{_esc(fmt_local(item.closed_at, '%H:%M'))}</span></td>"
        f"<td>{_thumb_html(item, item.before, text)}</td><td>{_thumb_html(item, item.after, text)}</td></tr>"
        for item in b.photos)
    return f"<table class=grid cellspacing=0 cellpadding=3 width=100%><tr>{head}</tr>{body}</table>"


def write_pdf(html: str, path: str | Path) -> Path:
    """Lay out ``html`` on A4 pages with a Chinese font and write the PDF (GUI thread)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    writer = QPdfWriter(str(tmp))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter)
    writer.setResolution(300)
    writer.setTitle("值班日报")
    writer.setCreator("CommandRoom")
    doc = QTextDocument()
    font = QFont()
    font.setFamilies(CJK_FONTS)
    font.setPointSizeF(10)
    doc.setDefaultFont(font)
    doc.setHtml(html)
    # no page size of our own: print_() lays the document out for the writer's page and resolution
    doc.print_(writer)
    del writer  # flushes and closes the file
    os.replace(tmp, path)
    return path


# ----------------------------------------------------------------------------- Excel


def write_xlsx(b: DailyBriefing, text: BriefingText, path: str | Path, state: TaskState | None = None) -> Path:
    """The briefing as a workbook: summary, by township, by category, by state, overdue list (worker thread)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    state = state or TaskState()
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="E8EEF6")
    wb = Workbook()

    def sheet(ws: Any, title: str, headers: list[str], rows: list[list[Any]], widths: list[int]) -> None:
        ws.title = title[:31]
        ws.append(headers)
        for cell in ws[1]:
            cell.font = bold
            cell.fill = fill
            cell.alignment = Alignment(horizontal="center")
        for i, row in enumerate(rows):
            if i % 1000 == 0:
                state.check()
            ws.append(row)
        for i, w in enumerate(widths):
            ws.column_dimensions[chr(ord("A") + i)].width = w
        ws.freeze_panes = "A2"

    ws = wb.active
    sheet(ws, text["summary"], [text["figure"], text["value"]],
          [[text["day"], b.day.isoformat()], [text["as_of"], fmt_local(b.as_of)]]
          + [[k, v] for k, v in summary_rows(b, text)], [24, 20])
    if b.on_time_rate is not None:
        ws.cell(row=7, column=2, value=round(b.on_time_rate, 4)).number_format = "0.0%"
    state.set_progress(0.2, "township")
    sheet(wb.create_sheet(), text["by_township"],
          [text["township"], text["created"], text["closed"], text["closed_on_time"], text["open"], text["overdue"]],
          [[r.name, r.created, r.closed, r.closed_on_time, r.open_now, r.overdue_now] for r in b.by_township],
          [14, 10, 10, 12, 10, 10])
    state.set_progress(0.35, "category")
    sheet(wb.create_sheet(), text["by_category"],
          [text["category"], text["created"], text["closed"], text["closed_on_time"]],
          [[r.name, r.created, r.closed, r.closed_on_time] for r in b.by_category], [44, 10, 10, 12])
    sheet(wb.create_sheet(), text["by_state"], [text["state"], text["count"]],
          [[text.states.get(s, s), n] for s, n in b.by_state.items()], [20, 10])
    state.set_progress(0.5, "overdue")
    sheet(wb.create_sheet(), text["overdue_list"],
          [text["number"], text["incident"], text["township"], text["state"], text["clock"], text["due"],
           text["late_by"], text["assignee"], text["supervision"]],
          [[c.number, c.title, c.township_name, text.states.get(c.state, c.state), text.clocks.get(c.clock, c.clock),
            fmt_local(c.due), _span(b.as_of - c.due), _assignee(c, text), text.escalations.get(c.escalation_level, "")]
           for c in b.overdue],
          [18, 40, 10, 10, 8, 18, 14, 16, 10])
    if b.photos:
        state.set_progress(0.8, "photos")
        _photo_sheet(wb.create_sheet(), b, text, sheet)
    state.set_progress(0.9, "saving")
    wb.save(tmp)
    state.check()
    os.replace(tmp, path)
    state.set_progress(1.0, "done")
    return path


def _photo_sheet(ws: Any, b: DailyBriefing, text: BriefingText, sheet: Any) -> None:
    """The day's closures with their thumbnails anchored in the before / after columns (worker thread: no Qt)."""
    from openpyxl.drawing.image import Image as SheetImage
    from PIL import Image

    sheet(ws, text["photos"], [text["number"], text["incident"], text["township"], text["closed_at"],
                               text["before"], text["after"]],
          [[item.number, item.title, item.township_name, fmt_local(item.closed_at), "", ""] for item in b.photos],
          [18, 30, 10, 18, 36, 36])
    for row, item in enumerate(b.photos, start=2):
        ws.row_dimensions[row].height = 66  # points: the 80-pixel thumbnails fit
        for column, hashes in (("E", item.before), ("F", item.after)):
            shown = [h for h in hashes if h in item.thumbnails]
            missing = len(hashes) - len(shown)
            if not hashes:
                ws[f"{column}{row}"] = text["no_photo"]
            elif missing:
                ws[f"{column}{row}"] = f"（{text['not_here']}：{missing}）"
            for i, sha in enumerate(shown):
                with Image.open(io.BytesIO(item.thumbnails[sha])) as img:
                    img.thumbnail((80, 80))
                    out = io.BytesIO()
                    img.convert("RGB").save(out, format="PNG")
                pic = SheetImage(io.BytesIO(out.getvalue()))
                pic.anchor = f"{column}{row}"
                if i:  # side by side in the cell: openpyxl anchors at a cell, so shift by a column offset
                    from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, OneCellAnchor
                    from openpyxl.drawing.xdr import XDRPositiveSize2D
                    from openpyxl.utils.units import pixels_to_EMU

                    col = ord(column) - ord("A")
                    marker = AnchorMarker(col=col, colOff=pixels_to_EMU(86 * i), row=row - 1, rowOff=0)
                    pic.anchor = OneCellAnchor(_from=marker, ext=XDRPositiveSize2D(
                        pixels_to_EMU(pic.width), pixels_to_EMU(pic.height)))
                ws.add_image(pic)


def discard_partial(path: str | Path) -> None:
    """Remove the temporary file of a cancelled or failed export."""
    p = Path(path)
    p.with_name(p.name + ".part").unlink(missing_ok=True)
