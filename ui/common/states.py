"""Every incident state's word and colour on the desk — one table, used by the list, the detail and the map.

The words are the translatable English of :data:`ui.i18n.INCIDENT_STATE_LABELS`; their Chinese is the
core's :data:`commandroom.domain.enums.INCIDENT_STATE_LABELS` (a test holds the two together).
"""

from __future__ import annotations

from commandroom.domain.enums import IncidentState
from ui import i18n

INCIDENT_STATE_COLOURS: dict[str, str] = {
    IncidentState.PENDING_DISPATCH.value: "#f59e0b",
    IncidentState.DISPATCHED.value: "#2563eb",
    IncidentState.ACKNOWLEDGED.value: "#0891b2",
    IncidentState.IN_PROGRESS.value: "#7c3aed",
    IncidentState.AWAITING_VERIFICATION.value: "#0d9488",
    IncidentState.RETURNED.value: "#db2777",
    IncidentState.ESCALATED.value: "#991b1b",
    IncidentState.CLOSED.value: "#9ca3af",
}
"""One colour per state, all different (the map's legend tells states apart by colour alone)."""

UNKNOWN_STATE_COLOUR = "#5a6472"


def incident_state_colour(state: str | None) -> str:
    return INCIDENT_STATE_COLOURS.get(str(state or ""), UNKNOWN_STATE_COLOUR)


def incident_state_label(state: str | None) -> str:
    """The state's word in the current language."""
    return i18n.label(i18n.INCIDENT_STATE_LABELS, state)
