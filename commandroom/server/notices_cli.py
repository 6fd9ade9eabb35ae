"""``commandroom notify channels|channel-add|rule-add|contact|log`` on the county server's database.

Examples::

    commandroom notify channel-add 球川执法群 --kind robot --set url=https://… --set secret=SEC…
    commandroom notify channel-add 短信 --kind sms --set url=https://sms.example/send --set token=…
    commandroom notify channel-add 县局邮箱 --kind email --set host=smtp.example --set port=25 --set sender=zhs@…
    commandroom notify rule-add dispatch --channel 短信 --township 球川镇
    commandroom notify contact qc-team --email team@example.cn
    commandroom notify log --limit 20
"""

from __future__ import annotations

import sys
from typing import Any


def _config(pairs: list[str]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set wants KEY=VALUE, got {pair!r}")
        config[key.strip()] = value
    if "port" in config:
        config["port"] = int(config["port"])
    if "starttls" in config:
        config["starttls"] = config["starttls"].lower() in ("1", "true", "yes")
    return config


def run_notify_command(settings, args, *, out=None, err=None) -> int:
    """Run one ``notify`` action; 0 on success, 2 on a problem (printed, saying what to fix)."""
    from sqlalchemy import select

    from commandroom.domain.errors import DomainError
    from commandroom.domain.models import NoticeChannel, NoticeContact, NoticeRule, User
    from commandroom.notify.channels import CHANNEL_KINDS, channel_for
    from commandroom.notify.outbox import EVENT_KINDS, delivery_log
    from commandroom.server.state import open_state
    from commandroom.server.users import resolve_township

    out, err = out or sys.stdout, err or sys.stderr
    state = open_state(settings.server_db_url)
    try:
        with state.transaction() as session:
            if args.action == "channels":
                for c in session.scalars(select(NoticeChannel).order_by(NoticeChannel.name)):
                    print(f"{c.name}\t{CHANNEL_KINDS.get(c.kind, c.kind)}\t{'启用' if c.enabled else '停用'}", file=out)
                return 0
            if args.action == "log":
                for n in delivery_log(session, None, limit=args.limit):
                    print(f"{n['created_at'][:16]}  {n['event']}  {n['channel']}  {n['recipient']} {n['address']}  "
                          f"{n['status_text']}  {n['error']}", file=out)
                return 0
            if not args.name:
                print(f"commandroom notify {args.action}: give a name", file=err)
                return 2
            if args.action == "channel-add":
                config = _config(args.set)
                channel_for(args.kind or "", config)
                if session.scalar(select(NoticeChannel.id).where(NoticeChannel.name == args.name)):
                    print(f"commandroom notify: a channel named {args.name} exists already", file=err)
                    return 2
                session.add(NoticeChannel(name=args.name, kind=args.kind, config=config))
                print(f"channel {args.name} ({CHANNEL_KINDS[args.kind]}) added", file=out)
            elif args.action == "rule-add":
                if args.name not in EVENT_KINDS:
                    print(f"commandroom notify: unknown event {args.name}; one of {', '.join(EVENT_KINDS)}", file=err)
                    return 2
                channel = session.scalar(select(NoticeChannel).where(NoticeChannel.name == args.channel))
                if channel is None:
                    print(f"commandroom notify: no channel named {args.channel}", file=err)
                    return 2
                township = resolve_township(session, args.township).code if args.township else None
                session.add(NoticeRule(event_kind=args.name, channel_id=channel.id, township_code=township))
                print(f"{EVENT_KINDS[args.name]} → {channel.name}" + (f" ({args.township})" if township else ""),
                      file=out)
            elif args.action == "contact":
                user = session.scalar(select(User).where(User.username == args.name))
                if user is None:
                    print(f"commandroom notify: no user {args.name}", file=err)
                    return 2
                contact = session.get(NoticeContact, user.id) or NoticeContact(user_id=user.id, muted_kinds=[])
                if args.email is not None:
                    contact.email = args.email
                if args.phone is not None:
                    contact.phone = args.phone
                session.add(contact)
                print(f"{user.display_name}: phone {contact.phone or user.phone or '-'}, e-mail {contact.email or '-'}",
                      file=out)
        return 0
    except (ValueError, DomainError) as exc:
        print(f"commandroom notify: {getattr(exc, 'message', exc)}", file=err)
        return 2
    finally:
        state.close()
