"""Authentication: Argon2 password hashes and per-device access/refresh tokens.

Tokens are random and stored only as SHA-256 hashes. An access token lives an
hour, a refresh token 30 days; both die with revocation of the device or the
user. :func:`principal` is the FastAPI dependency every protected endpoint uses.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from commandroom import permissions
from commandroom.domain.models import ChangeLog, DeviceToken, Module, Township, User, Zone
from commandroom.mutations import Actor
from commandroom.queries.scope import department_of as scope_department_of
from commandroom.sync.buckets import SHARED, scope_buckets_and_townships
from commandroom.timeutil import utcnow

ACCESS_TTL = timedelta(hours=1)
FIELD_DEVICE_PREFIX = "field-"
"""Device ids of field-app sign-ins start with this (set by the server, never by the phone)."""
FIELD_PATHS = ("/api/v1/field/", "/api/v1/photos", "/open311/")
"""Where a field token is accepted: the field API, photos, and the Open311 intake a grid worker reports through."""
REFRESH_TTL = timedelta(days=30)
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Principal:
    """An authenticated user on one device, with the scope the server computed."""

    user_id: str
    username: str
    display_name: str
    role: str
    scope_kind: str
    scope_code: str | None
    township_code: str | None
    device_id: str
    device_name: str
    token_id: str
    buckets: tuple[str, ...]
    townships: tuple[str, ...]
    roles: tuple[str, ...] = ()
    department_code: str | None = None
    grid_id: str | None = None

    @property
    def field_only(self) -> bool:
        """A token of the field app (手机外勤): never good for a desk's sync or administration."""
        return self.device_id.startswith(FIELD_DEVICE_PREFIX)

    @property
    def actor(self) -> Actor:
        return Actor(
            user_id=self.user_id,
            name=self.display_name,
            role=self.role,
            scope_kind=self.scope_kind,
            scope_code=self.scope_code,
            township_code=self.township_code,
            device_id=self.device_id,
            device_name=self.device_name,
            roles=self.roles,
            department_code=self.department_code,
            grid_id=self.grid_id,
        )

    def may(self, name: str) -> bool:
        return permissions.may(self, name)

    def require(self, name: str) -> None:
        """403 with the reason in Chinese unless this account's roles may do ``name``."""
        why = permissions.refusal(self, name)
        if why is not None:
            raise HTTPException(403, detail={"code": "forbidden", "message": why, "rule": name})

    def can_read_bucket(self, bucket: str) -> bool:
        return bucket in self.buckets

    @property
    def department(self) -> str | None:
        """The department whose desk this is (a liaison); None for every other desk."""
        return scope_department_of(self)

    def can_write_township(self, code: str | None) -> bool:
        return code is not None and code in self.townships


def issue_tokens(session: Session, user: User, device_id: str, device_name: str) -> dict:
    """Create a device token pair; returns the clear tokens (shown to the client once)."""
    access, refresh = new_secret(), new_secret()
    now = utcnow()
    row = DeviceToken(
        user_id=user.id,
        device_id=device_id,
        device_name=device_name,
        access_hash=token_hash(access),
        refresh_hash=token_hash(refresh),
        access_expires_at=now + ACCESS_TTL,
        refresh_expires_at=now + REFRESH_TTL,
    )
    session.add(row)
    session.flush()
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "bearer",
        "expires_in": int(ACCESS_TTL.total_seconds()),
        "token_id": row.id,
    }


def refresh_tokens(session: Session, refresh_token: str) -> dict:
    row = session.scalar(select(DeviceToken).where(DeviceToken.refresh_hash == token_hash(refresh_token)))
    now = utcnow()
    if row is None:
        raise HTTPException(401, detail={"code": "bad_refresh", "message": "refresh token unknown"})
    if row.revoked:
        raise HTTPException(401, detail={"code": "revoked", "message": "this device's sign-in was revoked"})
    if row.refresh_expires_at < now:
        raise HTTPException(401, detail={"code": "expired", "message": "refresh token expired; sign in again"})
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        raise HTTPException(401, detail={"code": "disabled", "message": "this account is disabled"})
    access = new_secret()
    row.access_hash = token_hash(access)
    row.access_expires_at = now + ACCESS_TTL
    return {"access_token": access, "token_type": "bearer", "expires_in": int(ACCESS_TTL.total_seconds())}


def principal_for(session: Session, user: User, token: DeviceToken) -> Principal:
    return _principal_of(session, user, token.device_id, token.device_name, token.id)


def _principal_of(session: Session, user: Any, device_id: str, device_name: str, token_id: str,
                  scope: tuple[list[str], list[str]] | None = None) -> Principal:
    """``user``: a User row, or any row with its columns (the token check reads columns, not entities).

    ``scope``: the user's (buckets, townships) when already known (:class:`ScopeCache`); read here otherwise.
    """
    roles = permissions.roles_of(user)
    if scope is None:
        scope = _scope_of(session, user, roles)
    buckets, townships = scope
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        scope_kind=user.scope_kind,
        scope_code=user.scope_code,
        township_code=user.township_code,
        device_id=device_id,
        device_name=device_name,
        token_id=token_id,
        buckets=tuple(buckets),
        townships=tuple(townships),
        roles=roles,
        department_code=getattr(user, "department_code", None),
        grid_id=getattr(user, "grid_id", None),
    )


def _scope_key(user: Any, roles: tuple[str, ...]) -> tuple:
    """Everything of the user that decides its buckets and townships (with the database's reference rows)."""
    board_lead = user.id if permissions.boards_limited(roles) else None
    return (user.scope_kind, user.scope_code, scope_department_of(user), board_lead,
            permissions.reads_operational_rows(roles))


def _scope_of(session: Session, user: Any, roles: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The user's buckets and townships, read from the townships, zones and modules."""
    kind, code, department, board_lead, reads_rows = _scope_key(user, roles)
    buckets, townships = scope_buckets_and_townships(session, kind, code, department, board_lead)
    if not reads_rows:
        # an accounts-only administrator (or a role without desk reads) receives reference data only
        buckets, townships = [b for b in buckets if b == SHARED], []
    return buckets, townships

# What a user's buckets are read from, as it stands: reference data changes are logged in the shared bucket
# (townships, zones; the seed's backfill too), a module's with its row_version (its seq); the counts and
# updated_at catch a township, zone or module added (or a module changed) without a change-log entry.
# Read with the token, in the same statement.
_SCOPE_FINGERPRINT = (
    select(func.max(ChangeLog.seq)).where(ChangeLog.bucket == SHARED).scalar_subquery().label("fp_shared"),
    select(func.count()).select_from(Township).scalar_subquery().label("fp_townships"),
    select(func.count()).select_from(Zone).scalar_subquery().label("fp_zones"),
    select(func.count()).select_from(Module).scalar_subquery().label("fp_modules"),
    select(func.max(Module.row_version)).scalar_subquery().label("fp_module_version"),
    select(func.max(Module.updated_at)).scalar_subquery().label("fp_module_updated"),
)

# the token check of every request: the token, its user and the scope fingerprint in one query, as plain columns.
# One statement object for every request, the token's hash a bound parameter: SQLAlchemy keeps a statement's
# cache key on the object, so it is worked out once, not on each request (a new ``.where(…)`` per request
# made SQLAlchemy walk this whole select again every time: a third of the token check's CPU)
_TOKEN_AND_USER = (
    select(DeviceToken.id.label("token_id"), DeviceToken.device_id, DeviceToken.device_name, DeviceToken.revoked,
           DeviceToken.access_expires_at, User.id, User.username, User.display_name, User.role, User.scope_kind,
           User.scope_code, User.township_code, User.disabled, User.roles, User.department_code, User.grid_id,
           *_SCOPE_FINGERPRINT)
    .outerjoin(User, User.id == DeviceToken.user_id)
    .where(DeviceToken.access_hash == bindparam("access_hash"))
)


class ScopeCache:
    """Users' (buckets, townships) by what decides them, valid while the scope fingerprint is unchanged.

    Resolving a scope costs two queries (zones, modules) on every request; the fingerprint read with the
    token changes with every logged change of a township or zone, every change of a module, and any row
    of them added or removed, so a new module or lead is seen by the next request. (Not seen: editing a
    zone's members in place without logging it, which nothing in the server does.) The token itself
    (revoked, expired, user disabled, the user's own scope) is checked on every request as before.
    """

    MAX_ENTRIES = 1024

    def __init__(self) -> None:
        self._scopes: dict[tuple, tuple[tuple, tuple[list[str], list[str]]]] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple, fingerprint: tuple) -> tuple[list[str], list[str]] | None:
        found = self._scopes.get(key)
        if found is None or found[0] != fingerprint:
            self.misses += 1
            return None
        self.hits += 1
        return found[1]

    def put(self, key: tuple, fingerprint: tuple, scope: tuple[list[str], list[str]]) -> None:
        with self._lock:
            if len(self._scopes) >= self.MAX_ENTRIES:
                self._scopes.clear()
            self._scopes[key] = (fingerprint, scope)


def scope_cache(state: Any) -> ScopeCache:
    cache = state.extras.get("scope_cache")
    if cache is None:
        cache = state.extras.setdefault("scope_cache", ScopeCache())
    return cache


bearer = HTTPBearer(auto_error=False)
"""The Authorization header, for a route that checks the token itself (:func:`authenticate`)."""


def bearer_hash(creds: HTTPAuthorizationCredentials | None) -> str:
    """The stored hash of the request's access token, or 401 when the request carries none."""
    if creds is None or creds.scheme.lower() != "bearer":
        raise HTTPException(401, detail={"code": "no_token", "message": "sign in first (Authorization: Bearer …)"},
                            headers={"WWW-Authenticate": "Bearer"})
    return token_hash(creds.credentials)


@dataclass(frozen=True)
class DriverStatement:
    """A SQLAlchemy statement compiled once for PostgreSQL, run with ``exec_driver_sql``.

    The token check runs on every request: SQLAlchemy's compiled-statement cache still costs a cache-key walk,
    an execution context and a result's metadata per run (0.45 ms of CPU for the token check, against 0.26 ms
    this way; docs/performance.md, session 10). The statement's own constants travel in ``params``; psycopg
    prepares the text on each connection after a few runs. Events and a dropped connection's handling
    (``ServerState.quick_read`` runs the work once more) stay SQLAlchemy's.
    """

    sql: str
    params: dict[str, Any]

    @classmethod
    def compile(cls, statement: Any, dialect: Any) -> DriverStatement:
        compiled = statement.compile(dialect=dialect)
        return cls(str(compiled), dict(compiled.params))


_DRIVER_TOKEN: dict[str, DriverStatement] = {}


def token_statement(dialect: Any) -> DriverStatement:
    """The token check's statement for ``dialect`` (PostgreSQL), its hash parameter ``access_hash``."""
    found = _DRIVER_TOKEN.get(dialect.name)
    if found is None:
        found = _DRIVER_TOKEN.setdefault(dialect.name, DriverStatement.compile(_TOKEN_AND_USER, dialect))
    return found


def token_row(session: Session, access_hash: str) -> Any:
    """The token's row (token, user, scope fingerprint columns), None for an unknown token."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return session.execute(_TOKEN_AND_USER, {"access_hash": access_hash}).first()
    statement = token_statement(bind.dialect)
    return session.connection().exec_driver_sql(statement.sql, {**statement.params,
                                                                "access_hash": access_hash}).first()


def authenticate(state: Any, session: Session, creds: HTTPAuthorizationCredentials | None,
                 request: Request) -> Principal:
    """The token check of every request, in the caller's session: the signed-in device, or 401 saying why not.

    One statement (token, user, scope fingerprint); the scope's buckets come from :class:`ScopeCache` when
    nothing they are read from changed. :func:`principal` (the dependency of most routes) and the push route
    call this; the pull route reads the token's row with its own first statement and calls
    :func:`principal_of_token`.
    """
    return principal_of_token(state, session, token_row(session, bearer_hash(creds)), request)


def principal_of_token(state: Any, session: Session, row: Any, request: Request) -> Principal:
    """The signed-in device of a token's row (:func:`token_row`, or any row with its columns), or 401 / 403."""
    if row is None:
        raise HTTPException(401, detail={"code": "bad_token", "message": "access token unknown"},
                            headers={"WWW-Authenticate": "Bearer"})
    if row.revoked:
        raise HTTPException(401, detail={"code": "revoked", "message": "this device's sign-in was revoked"})
    if row.access_expires_at < utcnow():
        raise HTTPException(401, detail={"code": "expired", "message": "access token expired; refresh it"},
                            headers={"WWW-Authenticate": "Bearer"})
    if row.id is None or row.disabled:  # no such user any more, or disabled
        raise HTTPException(401, detail={"code": "disabled", "message": "this account is disabled"})
    if row.device_id.startswith(FIELD_DEVICE_PREFIX) and not request.url.path.startswith(FIELD_PATHS):
        raise HTTPException(403, detail={"code": "field_only",
                                         "message": "外勤手机应用的登录只能在手机应用中使用，不能用于指挥室工作站同步。"})
    user: Any = row  # the user's columns, as _principal_of reads them
    roles = permissions.roles_of(user)
    key = _scope_key(user, roles)
    fingerprint = (row.fp_shared, row.fp_townships, row.fp_zones, row.fp_modules, row.fp_module_version,
                   row.fp_module_updated)
    cache = scope_cache(state)
    scope = cache.get(key, fingerprint)
    if scope is None:
        scope = _scope_of(session, user, roles)
        cache.put(key, fingerprint, scope)
    return _principal_of(session, user, row.device_id, row.device_name, row.token_id, scope)


def principal(request: Request, creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Principal:
    """FastAPI dependency: the signed-in device, or 401 saying why not (:func:`authenticate`)."""
    state = request.app.state.server
    return state.quick_read(lambda session: authenticate(state, session, creds, request))
