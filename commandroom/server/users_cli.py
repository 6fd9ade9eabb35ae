"""``commandroom user add|list|disable|enable|reset-password|revoke-key`` on the county server's database.

Examples::

    commandroom user add zhang --role duty-officer --name 张敏 --township 球川
    commandroom user add li --role team-leader --zone QC
    commandroom user add wang --role county-coordinator --county
    commandroom user add gw01 --role grid-worker --township 330822111 --grid 330822111-001-G1
    commandroom user add ma --role department-liaison --department 自然资源 --county
    commandroom user roles zhang --role duty-officer,module-lead
    commandroom user reset-password zhang
    commandroom user revoke-key gw01

Passwords: ``--password`` if given; otherwise typed twice when the terminal is
interactive; otherwise generated and printed once. A grid worker (only) gets no
password unless ``--password`` is given; with one it signs in to the field app on
its phone (``/field/``), never to a desk. A grid worker's Open311
api_key is printed once and never again (``revoke-key`` then ``add`` a new
account, or rotate it through the admin API, if it is lost).
"""

from __future__ import annotations

import getpass
import sys
from typing import Any

from commandroom.domain.enums import ROLE_LABELS, Role
from commandroom.domain.errors import DomainError, ValidationError


def _password(args: Any, out, *, confirm: bool = True) -> tuple[str, bool]:
    """(password, generated?) from --password, a TTY prompt, or a fresh random one."""
    from commandroom.server.users import check_password, generate_password

    if getattr(args, "password", None):
        return check_password(args.password), False
    if sys.stdin is not None and sys.stdin.isatty():
        for _ in range(3):
            first = getpass.getpass("new password (at least 8 characters): ")
            if len(first) < 8:
                print("too short; at least 8 characters", file=out)
                continue
            if confirm and getpass.getpass("again: ") != first:
                print("the two entries differ; try again", file=out)
                continue
            return first, False
        raise ValidationError("password", "not set after three tries")
    return generate_password(), True


def _scope_args(args: Any) -> dict[str, Any]:
    kind = None
    code = None
    if getattr(args, "county", False):
        kind = "county"
    if getattr(args, "zone", None):
        kind = kind or "zone"
        code = args.zone
    return {"scope_kind": kind, "scope_code": code}


def _line(u) -> str:
    try:
        label = ROLE_LABELS[Role(u.role)]
    except ValueError:
        label = u.role
    scope = f"{u.scope_kind}:{u.scope_code}" if u.scope_code else u.scope_kind
    flags = []
    if u.disabled:
        flags.append("DISABLED")
    if u.api_key_hash:
        flags.append("key revoked" if u.api_key_revoked else "api_key")
    if not u.password_hash:
        flags.append("no password")
    if len(u.roles or []) > 1:
        from commandroom.permissions import role_words

        label = "+".join(role_words([r]) for r in u.roles)
    return (f"{u.username:<16} {u.display_name:<10} {u.role:<19} {label:<8} {scope:<20} "
            f"{u.grid_id or '':<20} {', '.join(flags)}")


def run_user_command(settings, args, *, out=None, err=None) -> int:
    """Run one ``user`` action; 0 on success, 2 on a problem (printed, saying what to fix)."""
    from commandroom.server.state import open_state
    from commandroom.server.users import (
        create_user,
        disable_user,
        enable_user,
        list_users,
        reset_password,
        resolve_township,
        revoke_api_key,
    )

    out = out or sys.stdout
    err = err or sys.stderr
    action = args.action
    if action != "list" and not getattr(args, "username", None):
        print(f"commandroom user {action}: give the user name", file=err)
        return 2
    state = open_state(settings.server_db_url)
    try:
        if action == "add":
            if not getattr(args, "role", None):
                from commandroom.server.users import role_choices

                print(f"commandroom user add: --role is required ({role_choices()})", file=err)
                return 2
            from commandroom.domain.enums import Role as _Role
            from commandroom.server.users import parse_roles

            if parse_roles(args.role) == [_Role.GRID_WORKER] and not getattr(args, "password", None):
                password, generated = None, False  # Open311 key only (a --password opens the field app, never a desk)
            else:
                password, generated = _password(args, err)
            with state.transaction() as session:
                user, api_key = create_user(
                    session,
                    username=args.username,
                    display_name=getattr(args, "display_name", None) or args.username,
                    role=args.role,
                    township_code=getattr(args, "township", None),
                    grid_id=getattr(args, "grid", None),
                    password=password,
                    department=getattr(args, "department", None),
                    **_scope_args(args),
                )
                summary = _line(user)
            print(f"created {summary}", file=out)
            if generated:
                print(f"password (shown once): {password}", file=out)
            if api_key:
                print(f"Open311 api_key (shown once, store it on the grid worker's phone): {api_key}", file=out)
            return 0
        if action == "list":
            with state.read() as session:
                township = None
                if getattr(args, "township", None):
                    township = resolve_township(session, args.township).code
                rows = list_users(session, role=getattr(args, "role", None), township_code=township)
                if not rows:
                    print("no accounts yet: commandroom user add NAME --role … ", file=out)
                for u in rows:
                    print(_line(u), file=out)
            return 0
        if action == "disable":
            with state.transaction() as session:
                user = disable_user(session, args.username)
                print(f"disabled {user.username}: its devices and api_key stop working now", file=out)
            return 0
        if action == "enable":
            with state.transaction() as session:
                user = enable_user(session, args.username)
                print(f"enabled {user.username}", file=out)
            return 0
        if action == "reset-password":
            password, generated = _password(args, err)
            with state.transaction() as session:
                user, revoked = reset_password(session, args.username, password)
                name = user.username
            print(f"new password set for {name}; {revoked} device sign-in(s) revoked", file=out)
            if generated:
                print(f"password (shown once): {password}", file=out)
            return 0
        if action == "roles":
            from commandroom.server.users import set_roles

            with state.transaction() as session:
                user = set_roles(session, args.username, args.role or "", department=getattr(args, "department", None))
                print(f"roles of {user.username}: {', '.join(user.roles or [user.role])}", file=out)
            return 0
        if action == "revoke-key":
            with state.transaction() as session:
                user = revoke_api_key(session, args.username)
                print(f"api_key of {user.username} revoked", file=out)
            return 0
        print(f"commandroom user: unknown action {action}", file=err)
        return 2
    except DomainError as exc:
        print(f"commandroom user {action}: {exc.message}", file=err)
        return 2
    finally:
        state.close()
