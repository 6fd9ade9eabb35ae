"""The QObject the map page talks to through QWebChannel.

It is registered in an isolated JavaScript world (see ``assets/cr_bridge.js``), so
page scripts never hold it; they reach only these three slots, through a whitelist:

* ``incidentClicked(id)`` — a marker (or the popup's 查看详情 button) was clicked;
* ``selectionMade(ids)`` — the rectangle or lasso tool selected these incidents;
* ``rendered(token)`` — the data pushed before ``cr.afterRender(token)`` is drawn.

Arguments are checked again here: the page is treated as untrusted input.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot

MAX_ID_LEN = 64


def _is_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LEN


class MapBridge(QObject):
    """Turns the page's calls into Qt signals (``incident_clicked``, ``selection_made``, ``render_done``)."""

    incident_clicked = Signal(str)
    selection_made = Signal(list)
    render_done = Signal(int)

    @Slot(str)
    def incidentClicked(self, incident_id: str) -> None:  # the JS-facing name
        if _is_id(incident_id):
            self.incident_clicked.emit(incident_id)

    @Slot("QVariantList")
    def selectionMade(self, ids: list) -> None:  # the JS-facing name
        if isinstance(ids, list) and all(_is_id(i) for i in ids):
            self.selection_made.emit(list(ids))

    @Slot(int)
    def rendered(self, token: int) -> None:
        self.render_done.emit(int(token))
