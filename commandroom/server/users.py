"""Accounts on the county server: create, list, disable, reset passwords, revoke keys and devices.

A user's *scope* follows from the role: a duty officer, grid supervisor, module
lead or grid worker works for one township; an enforcement team leader for a
zone (the hub township and its neighbours); a county coordinator and an admin
for the whole county. :func:`create_user` derives the scope from the role and
the place given, and refuses combinations that make no sense, saying why.

A grid worker gets an Open311 ``api_key``: random, returned once in clear,
stored only as its SHA-256 hash (like the device tokens). Every change here is
written to the hash-chained audit log, with password and key hashes left out.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from commandroom.domain.enums import ROLE_LABELS, Role, ScopeKind
from commandroom.domain.errors import NotFound, ValidationError
from commandroom.domain.models import Department, DeviceToken, Grid, Township, User, Zone, row_to_dict
from commandroom.server.audit import append_audit
from commandroom.server.auth import hash_password, token_hash

MIN_PASSWORD = 8
API_KEY_PREFIX = "cr311_"

TOWNSHIP_ROLES = {Role.DUTY_OFFICER, Role.GRID_SUPERVISOR, Role.MODULE_LEAD, Role.GRID_WORKER, Role.VIEWER}
ZONE_ROLES = {Role.TEAM_LEADER, Role.TEAM_MEMBER}
COUNTY_ROLES = {Role.COUNTY_COORDINATOR, Role.ADMIN, Role.DEPARTMENT_LIAISON}
MANAGER_ROLES = {Role.ADMIN}  # accounts, keys and devices (see commandroom.permissions)

_SECRET_FIELDS = ("password_hash", "api_key_hash")

# what people type on the command line → the stored role value
_ROLE_ALIASES = {label: role for role, label in ROLE_LABELS.items()} | {
    "coordinator": Role.COUNTY_COORDINATOR,
    "county": Role.COUNTY_COORDINATOR,
    "officer": Role.DUTY_OFFICER,
    "duty": Role.DUTY_OFFICER,
    "supervisor": Role.GRID_SUPERVISOR,
    "leader": Role.TEAM_LEADER,
    "worker": Role.GRID_WORKER,
    "网格长/指导员": Role.GRID_SUPERVISOR,
    "指导员": Role.GRID_SUPERVISOR,
    "dispatcher": Role.GRID_SUPERVISOR,
    "调度员": Role.GRID_SUPERVISOR,
    "member": Role.TEAM_MEMBER,
    "liaison": Role.DEPARTMENT_LIAISON,
    "wall": Role.VIEWER,
    "县级协调员": Role.COUNTY_COORDINATOR,
    "管理员": Role.ADMIN,
}


def parse_role(text: str | None) -> Role:
    """``grid-worker``, ``grid_worker``, ``网格员`` … → :class:`Role`; a clear error otherwise."""
    if not text or not str(text).strip():
        raise ValidationError("role", f"is required (one of {role_choices()})")
    raw = str(text).strip()
    key = raw.lower().replace("-", "_").replace(" ", "_")
    try:
        return Role(key)
    except ValueError:
        pass
    if raw in _ROLE_ALIASES:
        return _ROLE_ALIASES[raw]
    if key in _ROLE_ALIASES:
        return _ROLE_ALIASES[key]
    raise ValidationError("role", f"'{raw}' is not a role; use one of {role_choices()}")


def parse_roles(text: str | list[str] | tuple[str, ...] | None) -> list[Role]:
    """``duty-officer,module-lead`` (or a list) → roles, first = primary; all must share one kind of scope."""
    items = [p for p in (text.split(",") if isinstance(text, str) else list(text or [])) if str(p).strip()]
    if not items:
        raise ValidationError("role", f"is required (one of {role_choices()})")
    roles = list(dict.fromkeys(parse_role(p) for p in items))
    kinds = {expected_scope(r) for r in roles}
    if len(kinds) > 1:
        raise ValidationError("role", "roles held together must work on the same scope (one township, one zone "
                                      "or the county); make a second account for the other scope")
    if Role.DEPARTMENT_LIAISON in roles and len(roles) > 1:
        raise ValidationError("role", "a department liaison holds no other role on the same account")
    return roles


def resolve_department(session: Session, text: str | None) -> Department:
    """A county department by code, name or short name."""
    if text is None or not str(text).strip():
        raise ValidationError("department", "a department liaison needs a department (--department 自然资源)")
    value = str(text).strip()
    row = session.get(Department, value) or session.scalars(
        select(Department).where(or_(Department.name == value, Department.short_name == value))).first()
    if row is None:
        known = ", ".join(f"{d.short_name} {d.code}" for d in session.scalars(select(Department).order_by(Department.code)))
        raise ValidationError("department", f"'{value}' is not a county department; known: {known or 'none loaded'}")
    return row


def role_choices() -> str:
    return ", ".join(f"{r.value.replace('_', '-')} ({ROLE_LABELS[r]})" for r in Role)


def expected_scope(role: Role) -> ScopeKind:
    if role in ZONE_ROLES:
        return ScopeKind.ZONE
    if role in COUNTY_ROLES:
        return ScopeKind.COUNTY
    return ScopeKind.TOWNSHIP


# --------------------------------------------------------------------------- places


def resolve_township(session: Session, text: str | None) -> Township:
    """A township by NBS code, full name (球川镇), short name (球川) or pinyin (qiuchuan)."""
    if text is None or not str(text).strip():
        raise ValidationError("township", "is required")
    value = str(text).strip()
    row = session.get(Township, value)
    if row is None:
        row = session.scalars(
            select(Township).where(
                or_(Township.name == value, Township.short_name == value, Township.pinyin.ilike(value))
            )
        ).first()
    if row is None:
        known = ", ".join(f"{t.short_name} {t.code}" for t in session.scalars(select(Township).order_by(Township.code)))
        if not known:
            raise ValidationError("township", f"'{value}' is unknown: no townships are loaded yet "
                                              "(run `commandroom seed` first)")
        raise ValidationError("township", f"'{value}' is not a township of the county; known: {known}")
    return row


def resolve_zone(session: Session, text: str | None) -> Zone:
    """A zone by id (QC), name (球川片区) or the name/code of its hub township."""
    if text is None or not str(text).strip():
        raise ValidationError("zone", "is required")
    value = str(text).strip()
    row = session.get(Zone, value) or session.get(Zone, value.upper())
    if row is None:
        row = session.scalars(select(Zone).where(Zone.name == value)).first()
    if row is None:
        hub = session.scalars(
            select(Township).where(or_(Township.code == value, Township.name == value, Township.short_name == value))
        ).first()
        if hub is not None:
            row = session.scalars(select(Zone).where(Zone.hub_code == hub.code)).first()
    if row is None:
        known = ", ".join(f"{z.id} {z.name}" for z in session.scalars(select(Zone).order_by(Zone.id)))
        raise ValidationError("zone", f"'{value}' is not an enforcement zone; known: {known or 'none loaded'}")
    return row


# --------------------------------------------------------------------------- helpers


def generate_password(length: int = 14) -> str:
    """A random password without look-alike characters (0/O, 1/l/I)."""
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise ValidationError("password", f"must be at least {MIN_PASSWORD} characters long")
    if len(password) > 256:
        raise ValidationError("password", "must be at most 256 characters long")
    return password


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def public_dict(user: User) -> dict[str, Any]:
    """The user's columns without secrets (for the audit log and JSON answers)."""
    out = row_to_dict(user)
    for key in _SECRET_FIELDS:
        out.pop(key, None)
    out["has_password"] = bool(user.password_hash)
    out["has_api_key"] = bool(user.api_key_hash) and not user.api_key_revoked
    return out


def _audit(session: Session, action: str, user: User, before: dict[str, Any] | None,
           actor_id: str | None = None) -> None:
    session.flush()
    append_audit(session, user_id=actor_id, device_id=None, mutation_id=None, action=action,
                 entity_type=User.__tablename__, entity_id=user.id, before=before, after=public_dict(user))


def find_user(session: Session, ident: str | None) -> User:
    """A user by user name or id."""
    if not ident:
        raise ValidationError("username", "is required")
    user = session.scalars(select(User).where(User.username == ident)).first() or session.get(User, ident)
    if user is None:
        raise NotFound("user", ident)
    return user


# --------------------------------------------------------------------------- create


@dataclass(frozen=True)
class _Scope:
    kind: ScopeKind
    code: str | None
    township_code: str | None


def _derive_scope(session: Session, role: Role, scope_kind: str | None, scope_code: str | None,
                  township_code: str | None, grid: Grid | None) -> _Scope:
    want = expected_scope(role)
    label = ROLE_LABELS[role]
    if scope_kind is not None:
        try:
            given = ScopeKind(str(scope_kind).lower())
        except ValueError:
            raise ValidationError("scope_kind", f"'{scope_kind}' is not one of township, zone, county") from None
        if given != want:
            raise ValidationError(
                "scope", f"a {role.value} ({label}) works for {_scope_words(want)}, not for {_scope_words(given)}"
            )
    if want is ScopeKind.COUNTY:
        # a home township is allowed (where the person sits); the scope stays the whole county
        home = resolve_township(session, township_code).code if township_code else None
        return _Scope(ScopeKind.COUNTY, None, home)
    if want is ScopeKind.ZONE:
        zone_text = scope_code
        if zone_text is None and township_code is not None:
            # obvious when the township is a zone's hub or belongs to exactly one zone
            town = resolve_township(session, township_code)
            zones = [z for z in session.scalars(select(Zone).order_by(Zone.id))
                     if z.hub_code == town.code or town.code in (z.member_codes or [])]
            hubs = [z for z in zones if z.hub_code == town.code]
            if hubs or len(zones) == 1:
                zone_text = (hubs or zones)[0].id
        if zone_text is None:
            raise ValidationError("zone", f"a {role.value} ({label}) needs a zone (--zone QC, 球川片区 or 球川)")
        zone = resolve_zone(session, zone_text)
        home = township_code
        if home is not None:
            home = resolve_township(session, home).code
            if home not in (zone.member_codes or []):
                raise ValidationError("township", f"{home} is not in zone {zone.id} ({zone.name})")
        return _Scope(ScopeKind.ZONE, zone.id, home or zone.hub_code)
    # township roles
    text = scope_code or township_code or (grid.township_code if grid is not None else None)
    if text is None:
        raise ValidationError("township", f"a {role.value} ({label}) needs a township (--township 球川 or its code)")
    town = resolve_township(session, text)
    if township_code and scope_code:
        other = resolve_township(session, township_code)
        if other.code != town.code:
            raise ValidationError("township", f"scope {town.code} and home township {other.code} disagree")
    if grid is not None and grid.township_code != town.code:
        raise ValidationError("grid", f"grid {grid.id} lies in township {grid.township_code}, not {town.code}")
    return _Scope(ScopeKind.TOWNSHIP, town.code, town.code)


def _scope_words(kind: ScopeKind) -> str:
    return {ScopeKind.TOWNSHIP: "one township", ScopeKind.ZONE: "an enforcement zone",
            ScopeKind.COUNTY: "the whole county"}[kind]


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    role: str,
    scope_kind: str | None = None,
    scope_code: str | None = None,
    township_code: str | None = None,
    grid_id: str | None = None,
    password: str | None = None,
    phone: str = "",
    created_by: str | None = None,
    department: str | None = None,
) -> tuple[User, str | None]:
    """Create an account; returns the user and, for a grid worker, the clear Open311 api_key (shown once).

    Args:
        role: a :class:`Role` value or an alias (``grid-worker``, ``网格员``), or several separated by commas
            (``duty-officer,module-lead``) sharing one scope; the first is the primary role.
        department: a department liaison's department (code or name).
        scope_kind / scope_code: optional; derived from the role and the place when omitted.
            For a zone role ``scope_code`` names the zone; for township roles it may name the township.
        township_code: home township (code or name); required for township roles unless a grid says it.
        password: at least 8 characters; None leaves the account without a password (no sign-in yet).
    Raises:
        ValidationError: a missing or inconsistent role, scope, place or password, or a taken user name.
    """
    username = (username or "").strip()
    if not username:
        raise ValidationError("username", "is required")
    if len(username) > 64 or any(c.isspace() for c in username):
        raise ValidationError("username", "must be at most 64 characters with no spaces")
    if session.scalars(select(User).where(User.username == username)).first() is not None:
        raise ValidationError("username", f"'{username}' is already taken")
    display_name = (display_name or username).strip()
    if len(display_name) > 64:
        raise ValidationError("display_name", "must be at most 64 characters")
    if phone and len(phone) > 32:
        raise ValidationError("phone", "must be at most 32 characters")
    roles = parse_roles(role)
    role_ = roles[0]
    grid = None
    if grid_id:
        grid = session.get(Grid, grid_id)
        if grid is None:
            raise ValidationError("grid", f"'{grid_id}' is not a known grid")
        if not {Role.GRID_WORKER, Role.GRID_SUPERVISOR} & set(roles):
            raise ValidationError("grid", f"only grid workers and supervisors belong to a grid, not a {role_.value}")
    scope = _derive_scope(session, role_, scope_kind, scope_code, township_code, grid)
    dept = resolve_department(session, department) if Role.DEPARTMENT_LIAISON in roles else None
    if department and dept is None:
        raise ValidationError("department", "only a department liaison belongs to a department")
    # a grid worker's password signs in to the field app only (a field token, never a desk's: server/field_api.py)
    if password is not None:
        check_password(password)
    user = User(
        username=username,
        display_name=display_name,
        role=role_.value,
        roles=[r.value for r in roles],
        department_code=dept.code if dept is not None else None,
        scope_kind=scope.kind.value,
        scope_code=scope.code,
        township_code=scope.township_code,
        grid_id=grid.id if grid is not None else None,
        phone=phone or "",
        password_hash=hash_password(password) if password else None,
    )
    api_key = None
    if Role.GRID_WORKER in roles:
        api_key = new_api_key()
        user.api_key_hash = token_hash(api_key)
        user.api_key_revoked = False
    session.add(user)
    _audit(session, "user.create", user, None, created_by)
    return user, api_key


# --------------------------------------------------------------------------- list / change


def list_users(session: Session, *, role: str | None = None, township_code: str | None = None,
               include_disabled: bool = True) -> list[User]:
    q = select(User).order_by(User.role, User.username)
    wanted = parse_role(role).value if role else None
    if township_code:
        q = q.where(User.township_code == township_code)
    if not include_disabled:
        q = q.where(User.disabled.is_(False))
    rows = list(session.scalars(q))
    if wanted is not None:  # roles is a JSON list: filter here, on both databases alike
        rows = [u for u in rows if wanted == u.role or wanted in (u.roles or [])]
    return rows


def set_roles(session: Session, ident: str, role: str | list[str], *, department: str | None = None,
              by: str | None = None) -> User:
    """Give an account a new set of roles on its present kind of scope (audited)."""
    user = find_user(session, ident)
    roles = parse_roles(role)
    if expected_scope(roles[0]).value != user.scope_kind:
        raise ValidationError("role", f"{user.username} works for {user.scope_kind}; these roles work for "
                                      f"{expected_scope(roles[0]).value} — make a new account instead")
    before = public_dict(user)
    user.roles = [r.value for r in roles]
    user.role = roles[0].value
    if Role.DEPARTMENT_LIAISON in roles:
        user.department_code = resolve_department(session, department or user.department_code).code
    else:
        user.department_code = None
    if Role.GRID_WORKER in roles and not user.api_key_hash:
        user.api_key_revoked = True  # no key yet: the administrator issues one (shown once)
    _audit(session, "user.set_roles", user, before, by)
    return user


def disable_user(session: Session, ident: str, *, by: str | None = None) -> User:
    """Disable an account: its tokens and api_key stop working at once (checked on every request)."""
    user = find_user(session, ident)
    before = public_dict(user)
    user.disabled = True
    _audit(session, "user.disable", user, before, by)
    return user


def enable_user(session: Session, ident: str, *, by: str | None = None) -> User:
    user = find_user(session, ident)
    before = public_dict(user)
    user.disabled = False
    _audit(session, "user.enable", user, before, by)
    return user


def reset_password(session: Session, ident: str, password: str, *, by: str | None = None) -> tuple[User, int]:
    """Set a new password and revoke every device token of the user; returns (user, tokens revoked)."""
    check_password(password)
    user = find_user(session, ident)
    before = public_dict(user)
    user.password_hash = hash_password(password)
    revoked = session.execute(
        update(DeviceToken).where(DeviceToken.user_id == user.id, DeviceToken.revoked.is_(False)).values(revoked=True)
    ).rowcount
    _audit(session, "user.reset_password", user, before, by)
    return user, int(revoked or 0)


def revoke_api_key(session: Session, ident: str, *, by: str | None = None) -> User:
    """Revoke the user's Open311 api_key (requests with it get 403 'revoked')."""
    user = find_user(session, ident)
    if not user.api_key_hash:
        raise ValidationError("api_key", f"{user.username} has no api_key")
    before = public_dict(user)
    user.api_key_revoked = True
    _audit(session, "user.revoke_key", user, before, by)
    return user


def rotate_api_key(session: Session, ident: str, *, by: str | None = None) -> tuple[User, str]:
    """Give the user a new api_key (the old one stops working); returns the clear key once."""
    user = find_user(session, ident)
    before = public_dict(user)
    key = new_api_key()
    user.api_key_hash = token_hash(key)
    user.api_key_revoked = False
    _audit(session, "user.rotate_key", user, before, by)
    return user, key


def revoke_device(session: Session, device_id: str, *, user_id: str | None = None, by: str | None = None) -> int:
    """Revoke every token of a device (optionally only those of one user); returns how many."""
    q = update(DeviceToken).where(DeviceToken.device_id == device_id, DeviceToken.revoked.is_(False))
    if user_id is not None:
        q = q.where(DeviceToken.user_id == user_id)
    count = int(session.execute(q.values(revoked=True)).rowcount or 0)
    append_audit(session, user_id=by, device_id=device_id, mutation_id=None, action="device.revoke",
                 entity_type="srv_device_token", entity_id=device_id, before=None,
                 after={"device_id": device_id, "revoked_tokens": count})
    return count


# --------------------------------------------------------------------------- api keys


@dataclass(frozen=True)
class KeyCheck:
    """The outcome of an api_key lookup: the user, or why not."""

    user: User | None
    problem: str = ""  # "", "missing", "unknown", "revoked", "disabled"


def user_for_api_key(session: Session, api_key: str | None) -> KeyCheck:
    if not api_key:
        return KeyCheck(None, "missing")
    if len(api_key) > 200:
        return KeyCheck(None, "unknown")
    user = session.scalars(select(User).where(User.api_key_hash == token_hash(api_key))).first()
    if user is None:
        return KeyCheck(None, "unknown")
    if user.api_key_revoked:
        return KeyCheck(user, "revoked")
    if user.disabled:
        return KeyCheck(user, "disabled")
    return KeyCheck(user)
