"""Failed sign-ins are rate-limited per account and per address.

Every sign-in attempt is a :class:`LoginAttempt` row, so the limit holds across
all server processes that share one PostgreSQL database. Defaults: 5 failures
for one account within 15 minutes lock that account for 15 minutes after the
last failure; 20 failures from one address within 15 minutes block that
address for 15 minutes. A successful sign-in clears the account's count.
While locked, attempts are refused with 429 before the password is checked
(and are not counted), with ``Retry-After`` and a message saying why and when.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import HTTPException
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from commandroom.domain.models import LoginAttempt
from commandroom.timeutil import fmt_local, utcnow

KEEP = timedelta(days=2)  # attempts older than this are pruned


@dataclass
class LoginLimiter:
    """``check`` before a sign-in, ``record`` in the sign-in's transaction (the login endpoint calls both)."""

    state: object
    per_account: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)
    clock: object = None  # a callable returning naive UTC; tests move time

    def now(self) -> datetime:
        return self.clock() if callable(self.clock) else utcnow()

    # -- reading

    def _account_block(self, session: Session, username: str, now: datetime) -> datetime | None:
        last_ok = session.scalar(
            select(func.max(LoginAttempt.at)).where(LoginAttempt.username == username, LoginAttempt.success.is_(True))
        )
        since = now - self.window
        if last_ok is not None and last_ok > since:
            since = last_ok
        rows = session.execute(
            select(func.count(), func.max(LoginAttempt.at)).where(
                LoginAttempt.username == username, LoginAttempt.success.is_(False), LoginAttempt.at > since
            )
        ).one()
        failures, last = int(rows[0] or 0), rows[1]
        if failures >= self.per_account and last is not None and last + self.lockout > now:
            return last + self.lockout
        return None

    def _address_block(self, session: Session, address: str, now: datetime) -> datetime | None:
        rows = session.execute(
            select(func.count(), func.max(LoginAttempt.at)).where(
                LoginAttempt.address == address, LoginAttempt.success.is_(False), LoginAttempt.at > now - self.window
            )
        ).one()
        failures, last = int(rows[0] or 0), rows[1]
        if failures >= self.per_address and last is not None and last + self.lockout > now:
            return last + self.lockout
        return None

    def blocked(self, username: str, address: str) -> tuple[str, datetime] | None:
        """``(reason, until)`` if a sign-in must be refused now, else None."""
        username, address = username[:64], address[:64]
        now = self.now()
        with self.state.read() as session:
            until = self._account_block(session, username, now)
            if until is not None:
                return (f"account '{username}' is locked after {self.per_account} failed sign-ins "
                        f"within {self._minutes(self.window)} minutes"), until
            until = self._address_block(session, address, now)
            if until is not None:
                return (f"too many failed sign-ins ({self.per_address} within "
                        f"{self._minutes(self.window)} minutes) from address {address}"), until
        return None

    def check(self, username: str, address: str) -> None:
        """Raise 429 (with Retry-After) if this account or address is locked."""
        hit = self.blocked(username, address)
        if hit is None:
            return
        reason, until = hit
        seconds = max(1, math.ceil((until - self.now()).total_seconds()))
        minutes = max(1, math.ceil(seconds / 60))
        raise HTTPException(
            429,
            detail={
                "code": "too_many_attempts",
                "message": f"{reason}; try again in {minutes} minute{'s' if minutes != 1 else ''} "
                           f"(after {fmt_local(until, '%H:%M')} Beijing time), or ask an administrator "
                           "to reset the password",
                "retry_after": seconds,
                "until": until.isoformat() + "Z",
            },
            headers={"Retry-After": str(seconds)},
        )

    # -- writing

    def record(self, session: Session, username: str, address: str, ok: bool) -> None:
        """Note an attempt in the caller's transaction (the login endpoint commits failures too)."""
        now = self.now()
        session.add(LoginAttempt(username=username[:64], address=address[:64], at=now, success=bool(ok)))
        if ok:
            # old rows are only evidence; keep the table small
            session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - KEEP))

    @staticmethod
    def _minutes(td: timedelta) -> int:
        return int(td.total_seconds() // 60)


@dataclass
class IntakeLimiter:
    """Open311 intake per api_key (its account): at most ``per_key`` requests within ``window``.

    Each authenticated intake is a :class:`LoginAttempt` row named ``open311:<user id>`` (kept
    apart from sign-in names and never a failure), so the limit holds across server processes.
    Over the limit the request is refused with 429 and ``Retry-After`` before anything is read.
    """

    state: object
    per_key: int = 30
    window: timedelta = timedelta(minutes=10)
    clock: object = None

    PREFIX = "open311:"

    def now(self) -> datetime:
        return self.clock() if callable(self.clock) else utcnow()

    def retry_after(self, user_id: str) -> int | None:
        """Seconds to wait when this key is over its limit now, else None (and the request is counted)."""
        name = (self.PREFIX + user_id)[:64]
        now = self.now()
        with self.state.transaction() as session:
            recent = list(session.scalars(
                select(LoginAttempt.at).where(LoginAttempt.username == name, LoginAttempt.at > now - self.window)
                .order_by(LoginAttempt.at.desc()).limit(self.per_key)))
            if len(recent) >= self.per_key:
                return max(1, math.ceil((recent[-1] + self.window - now).total_seconds()))
            session.add(LoginAttempt(username=name, address="open311", at=now, success=True))
        return None
