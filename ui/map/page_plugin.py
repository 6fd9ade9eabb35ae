"""The desktop's 地图 page: the offline map, wired to the incident list both ways."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget


def build_page(window: Any) -> QWidget:
    """Build the map page for ``window`` (a MainWindow): marker click → incident detail, and back."""
    from ui.main_window import PAGE_INCIDENTS
    from ui.map.view import MapView

    view = MapView(window.store)

    def _on_incident_activated(incident_id: str) -> None:
        page = window.show_page(PAGE_INCIDENTS)
        show = getattr(page, "show_incident", None) or getattr(page, "select_incident", None)
        if show is not None:
            show(incident_id)  # widens the list's filters when they hide it, and says so

    view.incident_activated.connect(_on_incident_activated)
    incidents = window.pages.get(PAGE_INCIDENTS)
    selected = getattr(incidents, "incident_selected", None)
    if selected is not None:
        selected.connect(view.select_incident)
    return view
