"""Workflows as pure code: the state machines of reports, incidents, dispatches, cases and cards.

See :mod:`commandroom.workflows.machine` for the generic machine and the
merge rule (progress rank, lifecycle epoch, ``resolve``), and
:mod:`commandroom.workflows.definitions` for the machines themselves.
"""

from commandroom.workflows.definitions import (  # noqa: F401
    CARD,
    CASE,
    DISPATCH,
    DISPATCH_ACTIVE_STATES,
    INCIDENT,
    INCIDENT_OPEN_STATES,
    MACHINES,
    REPORT,
    card_action_for_move,
)
from commandroom.workflows.machine import Machine, Resolution, Step  # noqa: F401
