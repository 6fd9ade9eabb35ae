"""The card delegate: paints a board card from its :class:`~commandroom.queries.boards.CardRow`.

A card shows its title (two lines at most), the assignee, the due date (red when overdue),
how long it has been in its column, and small badges: the linked incident or case, an
automatic 督办 card, summons waiting or missed, and a conflict notice. Age shows as the
colour of the strip on the card's left edge (grey → amber → orange → red as the days in
the column add up) and as "n d" in the meta line, so an ageing card is visible at a glance.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from commandroom.queries.boards import CardRow
from commandroom.timeutil import fmt_local
from ui.boards import labels
from ui.boards.models import CardRole

AGE_STEPS = ((10.0, "#c0392b"), (5.0, "#e8912d"), (2.0, "#f0c040"), (0.0, "#c9d3df"))
PAD = 8
STRIP = 5


def age_colour(days: float) -> str:
    """The colour of a card's age strip for ``days`` in its column."""
    for limit, colour in AGE_STEPS:
        if days >= limit:
            return colour
    return AGE_STEPS[-1][1]


def badges(row: CardRow) -> list[tuple[str, str]]:
    """(text, colour) of the small badges under a card."""
    out: list[tuple[str, str]] = []
    if row.has_conflict:
        out.append(("⚠ " + QCoreApplication.translate("Boards", "Conflict"), "#c0392b"))
    if row.auto_source:
        out.append((QCoreApplication.translate("Boards", "Supervision"), "#d9822b"))
    if row.summons_total:
        if row.summons_missed:
            text = QCoreApplication.translate("Boards", "Summons: {n} missed").format(n=row.summons_missed)
            colour = labels.ESCALATION_COLOURS.get(row.escalation_level, "#c0392b")
        else:
            text = QCoreApplication.translate("Boards", "Summons: {done}/{total} in").format(
                done=row.summons_total - row.summons_waiting, total=row.summons_total)
            colour = "#1e7b8c"
        out.append((text, colour))
    if row.escalation_level != "none":
        out.append((labels.escalation_label(row.escalation_level), labels.ESCALATION_COLOURS.get(
            row.escalation_level, "#c0392b")))
    if row.incident_label:
        out.append((row.incident_label.split(" ")[0] or QCoreApplication.translate("Boards", "Incident"), "#2d6cc0"))
    if row.case_label:
        out.append((row.case_label.split(" ")[0] or QCoreApplication.translate("Boards", "One-thing case"), "#7b4fb0"))
    return out


class CardDelegate(QStyledItemDelegate):
    """Paints cards, all of one height: two lines of title, a meta line, a line of badges."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)

    @staticmethod
    def fonts(base: QFont) -> tuple[QFont, QFont]:
        title = QFont(base)
        title.setBold(True)
        small = QFont(base)
        small.setPointSizeF(max(7.5, base.pointSizeF() - 1.5))
        return title, small

    @staticmethod
    def line_height(font: QFont) -> int:
        """A line's height that also fits CJK glyphs (their fallback font is taller than the Latin one)."""
        fm = QFontMetrics(font)
        return max(fm.lineSpacing(), fm.boundingRect("国Ag").height()) + 1

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        title, small = self.fonts(option.font)
        height = 6 + PAD + 2 * self.line_height(title) + 4 + self.line_height(small) + 5 \
            + self.line_height(small) + 2 + PAD
        return QSize(max(option.rect.width(), 160), height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        row: CardRow | None = index.data(CardRole)
        if row is None:
            super().paint(painter, option, index)
            return
        title_font, small_font = self.fonts(option.font)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = option.palette
        rect = QRect(option.rect).adjusted(4, 3, -4, -3)
        dark = pal.color(QPalette.ColorRole.Base).lightness() < 128
        if row.overdue:
            bg = QColor("#5a2a2a") if dark else QColor("#fdecea")
        else:
            bg = pal.color(QPalette.ColorRole.Base)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        border = QColor("#2d6cc0") if selected else (QColor("#d9534f") if row.overdue else QColor(
            "#434b56" if dark else "#d0d7e2"))
        painter.setPen(QPen(border, 2 if selected or row.overdue else 1))
        painter.setBrush(bg)
        painter.drawRoundedRect(QRectF(rect), 5, 5)
        # the age strip
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(age_colour(row.age_days)))
        painter.drawRoundedRect(QRectF(rect.left() + 1, rect.top() + 1, STRIP, rect.height() - 2), 2, 2)

        text_colour = pal.color(QPalette.ColorRole.Text)
        muted = QColor("#98a3b3" if dark else "#6b7585")
        x = rect.left() + STRIP + PAD
        width = rect.right() - x - PAD
        y = rect.top() + PAD
        # title: two lines at most, the second elided
        painter.setFont(title_font)
        painter.setPen(text_colour)
        fm = QFontMetrics(title_font)
        lh = self.line_height(title_font)
        first, rest = _split_line(fm, row.title, width)
        painter.drawText(QRect(x, y, width, lh), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         first)
        if rest:
            painter.drawText(QRect(x, y + lh, width, lh),
                             int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                             fm.elidedText(rest, Qt.TextElideMode.ElideRight, width))
        y += 2 * lh + 4
        # meta: assignee · due · age
        painter.setFont(small_font)
        sm = QFontMetrics(small_font)
        slh = self.line_height(small_font)
        parts: list[tuple[str, QColor]] = []
        if row.assignee:
            parts.append((row.assignee, muted))
        age_text = QCoreApplication.translate("Boards", "{days} d").format(days=f"{row.age_days:.0f}")
        parts.append((age_text, QColor(age_colour(row.age_days)) if row.age_days >= 5 else muted))
        if row.due_at is not None:
            due = fmt_local(row.due_at, "%m-%d")
            if row.overdue:
                parts.append((QCoreApplication.translate("Boards", "overdue since {when}").format(when=due), QColor("#c0392b")))
            else:
                parts.append((QCoreApplication.translate("Boards", "due {when}").format(when=due), muted))
        cx = x
        flags = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for k, (part, colour) in enumerate(parts):
            if k:
                painter.setPen(muted)
                painter.drawText(QRect(cx, y, sm.horizontalAdvance(" · "), slh), flags, " · ")
                cx += sm.horizontalAdvance(" · ")
            room = x + width - cx
            if room <= 8:
                break
            shown = sm.elidedText(part, Qt.TextElideMode.ElideRight, room)
            painter.setPen(colour)
            painter.drawText(QRect(cx, y, room, slh), flags, shown)
            cx += sm.horizontalAdvance(shown)
        y += slh + 5
        # badges
        bx = x
        for text, colour in badges(row):
            w = sm.horizontalAdvance(text) + 10
            if bx + w > x + width:
                break
            pill = QRectF(bx, y, w, slh + 1)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(colour))
            painter.drawRoundedRect(pill, 4, 4)
            painter.setPen(QColor("#ffffff"))
            painter.drawText(pill, int(Qt.AlignmentFlag.AlignCenter), text)
            bx += w + 4
        painter.restore()


def _split_line(fm: QFontMetrics, text: str, width: int) -> tuple[str, str]:
    """The part of ``text`` that fits on one line of ``width`` pixels, and the rest."""
    if fm.horizontalAdvance(text) <= width:
        return text, ""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fm.horizontalAdvance(text[:mid]) <= width:
            lo = mid
        else:
            hi = mid - 1
    cut = max(lo, 1)
    # prefer breaking after a space or a Chinese punctuation mark near the end
    for k in range(cut, max(cut - 6, 0), -1):
        if text[k - 1] in " ：:，,、）)":
            cut = k
            break
    return text[:cut], text[cut:].lstrip()
