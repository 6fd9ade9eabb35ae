"""Workflows as pure code: the state machines of reports, incidents, dispatches, cases and cards."""
