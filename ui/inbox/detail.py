"""The detail pane of the inbox: what was reported, photos, where, and what the list says to do."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from commandroom.queries.inbox import ReportDetail
from commandroom.timeutil import fmt_local
from ui import i18n
from ui.common.photo_viewer import show_photo
from ui.inbox.dialogs import routing_html

THUMB = 120


class PhotoThumb(QLabel):
    """A report photo's thumbnail; a double-click opens the full image."""

    def __init__(self, sha256: str, owner: Any) -> None:
        super().__init__()
        self.sha256 = sha256
        self.owner = owner

    def mouseDoubleClickEvent(self, event: Any) -> None:
        if self.sha256:
            self.owner.photo_task = asyncio.ensure_future(show_photo(self.owner, self.sha256))
        super().mouseDoubleClickEvent(event)


class ReportDetailWidget(QScrollArea):
    """Shows one :class:`~commandroom.queries.inbox.ReportDetail` (or a hint when nothing is selected)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMinimumWidth(340)
        body = QWidget()
        self._layout = QVBoxLayout(body)
        self._layout.setContentsMargins(12, 8, 12, 8)
        self.title = QLabel()
        self.title.setObjectName("DetailTitle")
        self.title.setWordWrap(True)
        self.meta = QLabel()
        self.meta.setWordWrap(True)
        self.meta.setObjectName("Muted")
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.photos_title = QLabel(self.tr("Photos"))
        self.photos_title.setObjectName("SectionTitle")
        self.photos = QWidget()
        self._photos_layout = QHBoxLayout(self.photos)
        self._photos_layout.setContentsMargins(0, 0, 0, 0)
        self._photos_layout.setAlignment(Qt.AlignmentFlag.AlignLeft)
        self.location_title = QLabel(self.tr("Location"))
        self.location_title.setObjectName("SectionTitle")
        self.location = QLabel()
        self.location.setWordWrap(True)
        self.location.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.routing_title = QLabel(self.tr("Responsibility list"))
        self.routing_title.setObjectName("SectionTitle")
        self.routing = QLabel()
        self.routing.setObjectName("RoutingBox")
        self.routing.setWordWrap(True)
        self.routing.setTextFormat(Qt.TextFormat.RichText)
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        self.hint = QLabel(self.tr("Select a report to see its details.\n"
                                   "A accept · M merge · R reject · Ctrl+Z undo the last merge"))
        self.hint.setObjectName("Muted")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        for w in (self.title, self.meta, self.description, self.photos_title, self.photos, self.location_title,
                  self.location, self.routing_title, self.routing, self.outcome, self.hint):
            self._layout.addWidget(w)
        self._layout.addStretch(1)
        self.setWidget(body)
        self.detail: ReportDetail | None = None
        self.show_detail(None)

    def show_detail(self, detail: ReportDetail | None) -> None:
        self.detail = detail
        parts = (self.title, self.meta, self.description, self.photos_title, self.photos, self.location_title,
                 self.location, self.routing_title, self.routing, self.outcome)
        for w in parts:
            w.setVisible(detail is not None)
        self.hint.setVisible(detail is None)
        if detail is None:
            return
        row = detail.row
        state = i18n.label(i18n.REPORT_STATE_LABELS, row.state)
        urgent = ""
        if row.urgency_hint:
            urgent = " · " + self.tr("reporter marks it {urgency}").format(
                urgency=i18n.label(i18n.URGENCY_LABELS, row.urgency_hint))
        self.title.setText(f"{row.category_name} · {state}{urgent}")
        number = detail.number or self.tr("(number assigned by the server)")
        reporter = row.reporter_name + (f" {detail.reporter_phone}" if detail.reporter_phone else "")
        self.meta.setText(self.tr("{number} · {source} · reported {when} by {reporter}").format(
            number=number, source=i18n.label(i18n.SOURCE_LABELS, row.source),
            when=fmt_local(row.reported_at), reporter=reporter or "—"))
        self.description.setText(row.description)
        self._show_photos(detail)
        place = [row.township_name, detail.village_name, row.grid_name, row.address]
        loc = " · ".join(p for p in place if p)
        if row.lat is not None and row.lon is not None:
            loc += f"\n{row.lat:.5f}, {row.lon:.5f} (WGS84)"
        self.location.setText(loc or self.tr("(no location given)"))
        urgency = row.urgency_hint or "L3"
        self.routing.setText(routing_html(detail.routing, urgency))
        self.outcome.setVisible(row.state != "new" or bool(detail.transferred_from_name))
        if row.state == "new" and detail.transferred_from_name:
            self.outcome.setText(self.tr("Handed over by {township}: {reason}").format(
                township=detail.transferred_from_name, reason=detail.transfer_reason))
        elif row.state == "rejected":
            self.outcome.setText(self.tr("Rejected: {reason}").format(reason=detail.reject_reason))
        elif row.state in ("accepted", "merged"):
            self.outcome.setText(self.tr("Incident {number}: {title}").format(
                number=detail.incident_number or self.tr("(not numbered yet)"), title=detail.incident_title))
        else:
            self.outcome.setText("")

    def _show_photos(self, detail: ReportDetail) -> None:
        while self._photos_layout.count():
            item = self._photos_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        count = len(detail.thumbnails) + detail.missing_photos
        self.photos_title.setVisible(count > 0)
        self.photos.setVisible(count > 0)
        for i, data in enumerate(detail.thumbnails):
            pix = QPixmap()
            if not pix.loadFromData(data):
                continue
            sha = detail.thumbnail_hashes[i] if i < len(detail.thumbnail_hashes) else ""
            label = PhotoThumb(sha, self)
            label.setToolTip(self.tr("Double-click to see the full image"))
            label.setPixmap(pix.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                       Qt.TransformationMode.SmoothTransformation))
            self._photos_layout.addWidget(label)
        if detail.missing_photos:
            more = QLabel(self.tr("{n} photo(s) not downloaded yet").format(n=detail.missing_photos))
            more.setObjectName("Muted")
            self._photos_layout.addWidget(more)

    def current_report_id(self) -> Any:
        return self.detail.row.id if self.detail else None
