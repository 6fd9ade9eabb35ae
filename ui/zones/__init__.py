"""执法片区: enforcement-team deployment across the 7 Changshan zones (board, members, roster, dispatch, statistics)."""
