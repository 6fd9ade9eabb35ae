"""The demo county's history: reports and incidents of past days, the module leads' work, the zone teams.

Not reference data (that is :mod:`commandroom.refdata`, loaded on every install): this is made-up
operational history for ``commandroom seed --demo-days N`` and the demo, written into the county
server's database through the same mutations the desk uses. It numbers cases through the server's
change log (:mod:`commandroom.server.changelog`), so it is part of the server side and is left out of
the desktop build.

* :mod:`.history` — reports, incidents, dispatches and timelines over ``days`` days;
* :mod:`.work` — the module leads' boards, cases, summons and assessment;
* :mod:`.teams` — rosters, loans and dispatches of the zone enforcement teams;
* :mod:`.text` — the Chinese texts the generators draw from.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session


def generate(session: Session, *, days: int, seed: int, now: datetime) -> None:
    """Write ``days`` days of demo history into ``session`` (reference data already loaded)."""
    from commandroom.demo_history.history import generate_history
    from commandroom.demo_history.teams import generate_team_demo
    from commandroom.demo_history.work import generate_work

    generate_history(session, days=days, seed=seed, now=now)
    generate_work(session, seed=seed, now=now)
    generate_team_demo(session, seed=seed, now=now)
