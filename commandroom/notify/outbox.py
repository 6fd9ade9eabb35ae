"""What goes out, to whom, and its delivery: notices are written with the act, sent by a loop.

``notices_for_mutation`` runs inside the server's mutation transaction (commandroom/server/pipeline.py):
a rejected mutation rolls its notices back with it, an accepted one can no longer lose them.
``enqueue`` is the same door for acts of the server itself (pre-breach warnings, escalations of the
scheduler). ``deliver_due`` claims what is due, sends it outside any transaction and records the
result; a failure is retried with growing pauses, a hopeless one (a wrong secret, no address) is
marked failed at once with the reason. Delivery is at least once: a server that dies between
sending and recording sends that one message again after the claim lapses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from commandroom.domain.models import (
    CaseCheckin,
    CaseStep,
    Department,
    Dispatch,
    Dispute,
    Incident,
    Notice,
    NoticeChannel,
    NoticeContact,
    NoticeRule,
    OneThingCase,
    TeamMember,
    TimelineEntry,
    Township,
    User,
)
from commandroom.notify.channels import CHANNEL_KINDS, DeliveryError, Message, channel_for
from commandroom.timeutil import fmt_local, utcnow

log = logging.getLogger(__name__)

EVENT_KINDS = {
    "dispatch": "派遣",
    "summons": "吹哨召集",
    "pre_breach": "即将超时",
    "escalation": "督办升级",
    "verification_rejected": "核查未通过",
    "dispute": "推诿争议仲裁",
}
RETRY_PAUSES = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=30),
                timedelta(hours=2))
CLAIM = timedelta(minutes=5)  # a claimed notice is someone's for this long; then it is due again
DEPARTMENT_ROLES = ("department_liaison", "department")
COUNTY_ROLES = ("county_coordinator",)


@dataclass(frozen=True)
class Person:
    """Someone a notice is for, with the addresses known for them."""

    name: str
    user_id: str | None = None
    phone: str = ""
    email: str = ""


def mask_address(address: str) -> str:
    """A phone or mailbox as a log may show it: 138****0001, w***@example.cn."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    if len(address) >= 7:
        return f"{address[:3]}****{address[-4:]}"
    return "***" if address else ""


# --------------------------------------------------------------------------- who


def _with_contacts(session: Session, people: Iterable[Person]) -> list[Person]:
    """Each person's own settings (e-mail, another phone) over what the roster knows."""
    people = list(people)
    ids = [p.user_id for p in people if p.user_id]
    contacts = {c.user_id: c for c in session.scalars(select(NoticeContact).where(NoticeContact.user_id.in_(ids)))} \
        if ids else {}
    out = []
    seen: set[tuple[str, str]] = set()
    for p in people:
        c = contacts.get(p.user_id or "")
        person = Person(p.name, p.user_id, (c.phone if c and c.phone else p.phone), (c.email if c else p.email))
        key = (person.user_id or "", person.phone or person.name)
        if key not in seen:
            seen.add(key)
            out.append(person)
    return out


def _users(session: Session, *conditions: Any) -> list[Person]:
    rows = session.scalars(select(User).where(User.disabled.is_(False), *conditions)).all()
    return [Person(u.display_name, u.id, u.phone or "") for u in rows]


def _team_people(session: Session, dispatch: Dispatch) -> list[Person]:
    ids = [m for m in ([dispatch.lead_member_id, *list(dispatch.member_ids or [])]) if m]
    if not ids:  # the team as a whole: its leaders hear of it
        return _users(session, User.role == "team_leader", User.scope_code == dispatch.target_code)
    members = session.scalars(select(TeamMember).where(TeamMember.id.in_(ids))).all()
    return [Person(m.name, m.user_id, m.phone or "") for m in members]


def _department_people(session: Session, code: str) -> list[Person]:
    """A county department's liaisons: an account made with ``--department`` carries it in ``department_code``
    (its scope is the whole county, so ``scope_code`` is empty); older accounts kept it in ``scope_code``."""
    return _users(session, User.role.in_(DEPARTMENT_ROLES), or_(User.department_code == code, User.scope_code == code))


def _recipients_of_dispatch(session: Session, dispatch: Dispatch) -> list[Person]:
    if dispatch.target_kind == "department":
        return _department_people(session, dispatch.target_code)
    return _team_people(session, dispatch)


def _township_name(session: Session, code: str | None) -> str:
    row = session.get(Township, code) if code else None
    return row.name if row is not None else ""


def _incident_words(session: Session, incident: Incident | None) -> tuple[str, str]:
    if incident is None:
        return "", ""
    where = " ".join(x for x in (_township_name(session, incident.township_code),
                                 getattr(incident, "address", "") or "") if x)
    return f"{incident.number or ''} {incident.title or ''}".strip(), where


# --------------------------------------------------------------------------- what


def enqueue(session: Session, *, event_kind: str, township_code: str | None, subject_type: str, subject_id: str,
            title: str, body: str, people: Sequence[Person], dedup: str, now: datetime | None = None) -> int:
    """Write the notices of one event through every channel the rules name; returns how many are new.

    ``dedup`` names the occasion (e.g. a dispatch and its version): the same occasion never sends twice.
    """
    if event_kind not in EVENT_KINDS:
        raise ValueError(f"unknown notice event {event_kind!r}")
    now = now or utcnow()
    rules = session.execute(
        select(NoticeRule, NoticeChannel)
        .join(NoticeChannel, NoticeChannel.id == NoticeRule.channel_id)
        .where(NoticeRule.event_kind == event_kind, NoticeChannel.enabled.is_(True),
               or_(NoticeRule.township_code.is_(None), NoticeRule.township_code == township_code))
    ).all()
    if not rules:
        return 0
    people = _with_contacts(session, people)
    muted = {c.user_id: set(c.muted_kinds or []) for c in session.scalars(
        select(NoticeContact).where(NoticeContact.user_id.in_([p.user_id for p in people if p.user_id])))}
    added = 0
    for _rule, channel in rules:
        reach = [p for p in people if channel.kind not in muted.get(p.user_id or "", set())]
        if channel.kind == "robot":
            targets = [("", "", tuple(p.phone for p in reach if p.phone))]
        else:
            field = "phone" if channel.kind == "sms" else "email"
            targets = [(getattr(p, field), p.name, ()) for p in reach if getattr(p, field)]
        for address, name, mention in targets:
            key = f"{event_kind}:{dedup}:{channel.id}:{address or 'group'}"[:200]
            if session.scalar(select(Notice.id).where(Notice.dedup_key == key)) is not None:
                continue
            text = body
            if mention:
                text = body + "\n" + " ".join(f"@{m}" for m in mention)
            session.add(Notice(dedup_key=key, event_kind=event_kind, township_code=township_code,
                               subject_type=subject_type, subject_id=subject_id, channel_id=channel.id,
                               channel_kind=channel.kind, recipient_name=name, address=address,
                               title=title[:200], body=text, next_attempt_at=now, created_at=now))
            added += 1
    if added:
        session.flush()
    return added


NOTIFYING_MUTATIONS = {"incident.dispatch", "team.joint_visit", "summon", "incident.verify", "incident.reject_closure",
                       "incident.escalate", "checkin.escalate", "case.escalate", "incident.warn_breach",
                       "incident.remind", "case.step_warn", "case.step_escalate", "dispute.open", "dispute.decide",
                       "dispute.escalate"}
LADDER_WORDS = {"reminder": "提醒", "supervision_order": "督办单", "leader_notice": "领导通报"}
CLOCK_WORDS = {"ack": "签收", "onsite": "到场", "close": "办结"}


def _handlers_of(session: Session, incident: Incident) -> list[Person]:
    """Whoever the incident's live dispatches went to."""
    dispatches = session.scalars(select(Dispatch).where(Dispatch.incident_id == incident.id, Dispatch.deleted.is_(False),
                                                        Dispatch.state.in_(("assigned", "acknowledged", "en_route",
                                                                            "on_scene")))).all()
    return [p for d in dispatches for p in _recipients_of_dispatch(session, d)]


def notices_for_mutation(session: Session, *, name: str, args: dict[str, Any], rows: Sequence[Any],
                         now: datetime) -> int:
    """The notices an accepted mutation causes (called by the server pipeline inside its transaction)."""
    if name not in NOTIFYING_MUTATIONS:
        return 0
    added = 0
    for row in rows:
        if isinstance(row, Dispatch) and name in ("incident.dispatch", "team.joint_visit") and row.state == "assigned":
            incident = session.get(Incident, row.incident_id)
            what, where = _incident_words(session, incident)
            due = incident.onsite_due if incident is not None else None
            body = f"{where}：{incident.title if incident else ''}" + (f"，请于 {fmt_local(due)} 前到场" if due else "")
            added += enqueue(session, event_kind="dispatch", township_code=incident.township_code if incident else None,
                             subject_type="incident", subject_id=row.incident_id, title=f"新派遣 {what}",
                             body=body, people=_recipients_of_dispatch(session, row),
                             dedup=f"{row.id}:{row.lifecycle_epoch}", now=now)
        elif isinstance(row, CaseCheckin) and name == "summon" and row.checked_in_at is None:
            if row.target_kind != "department":
                continue
            dept = session.get(Department, row.target_code)
            incident = session.get(Incident, row.incident_id) if row.incident_id else None
            what, where = _incident_words(session, incident)
            title = f"吹哨召集：请{dept.name if dept else '贵部门'}报到"
            body = (f"{_township_name(session, row.township_code)}召集报到{('：' + what) if what else ''}，"
                    f"请于 {fmt_local(row.due_at)} 前报到。{row.note or ''}").strip()
            added += enqueue(session, event_kind="summons", township_code=row.township_code, subject_type="checkin",
                             subject_id=row.id, title=title, body=body,
                             people=_department_people(session, row.target_code), dedup=row.id, now=now)
        elif isinstance(row, CaseCheckin) and name == "checkin.escalate":
            title = f"报到督办：{_township_name(session, row.township_code)}的召集逾期未报到"
            people = _department_people(session, row.target_code) + _users(session, User.role.in_(COUNTY_ROLES))
            added += enqueue(session, event_kind="escalation", township_code=row.township_code,
                             subject_type="checkin", subject_id=row.id, title=title,
                             body=f"应于 {fmt_local(row.due_at)} 前报到，至今未报到。", people=people,
                             dedup=f"{row.id}:{row.escalation_level}", now=now)
        elif isinstance(row, Incident) and name == "incident.escalate":
            what, where = _incident_words(session, row)
            added += enqueue(session, event_kind="escalation", township_code=row.township_code,
                             subject_type="incident", subject_id=row.id, title=f"事件升级 {what}",
                             body=f"{where}：{row.title}，已升级督办。{args.get('note') or ''}".strip(),
                             people=_users(session, User.role.in_(COUNTY_ROLES)),
                             dedup=f"{row.id}:{row.row_version}", now=now)
        elif isinstance(row, TimelineEntry) and name == "incident.warn_breach":
            # the county server's scheduler: a running clock is about to run out (once per clock and due time)
            incident = session.get(Incident, row.incident_id)
            if incident is None:
                continue
            what, where = _incident_words(session, incident)
            clock = CLOCK_WORDS.get((row.data or {}).get("clock"), "")
            added += enqueue(session, event_kind="pre_breach", township_code=incident.township_code,
                             subject_type="incident", subject_id=incident.id, title=f"即将超时 {what}",
                             body=f"{where}：{incident.title}，{row.note or clock + '时限即将到期'}。",
                             people=_handlers_of(session, incident), dedup=row.id, now=now)
        elif isinstance(row, Incident) and name == "incident.remind" \
                and row.escalation_level in ("supervision_order", "leader_notice"):
            # 督办单 and 领导通报 reach the county and the handlers (a 提醒 stays on the desks)
            what, where = _incident_words(session, row)
            word = LADDER_WORDS[row.escalation_level]
            added += enqueue(session, event_kind="escalation", township_code=row.township_code,
                             subject_type="incident", subject_id=row.id, title=f"{word} {what}",
                             body=f"{where}：{row.title}，超过时限，已发{word}。",
                             people=_handlers_of(session, row) + _users(session, User.role.in_(COUNTY_ROLES)),
                             dedup=f"{row.id}:remind:{row.escalation_level}", now=now)
        elif isinstance(row, CaseStep) and name in ("case.step_warn", "case.step_escalate"):
            added += _case_step_notice(session, name, row, now)
        elif isinstance(row, Dispute) and name.startswith("dispute."):
            added += _dispute_notice(session, name, row, now)
        elif isinstance(row, Incident) and (name == "incident.reject_closure"
                                            or (name == "incident.verify" and args.get("passed") is False)):
            what, where = _incident_words(session, row)
            dispatches = session.scalars(select(Dispatch).where(Dispatch.incident_id == row.id,
                                                                Dispatch.deleted.is_(False))).all()
            people = [p for d in dispatches for p in _recipients_of_dispatch(session, d)]
            added += enqueue(session, event_kind="verification_rejected", township_code=row.township_code,
                             subject_type="incident", subject_id=row.id, title=f"核查未通过 {what}",
                             body=f"{where}：{row.title}，核查未通过，请重新处置。{args.get('reason') or args.get('note') or ''}".strip(),
                             people=people, dedup=f"{row.id}:{row.row_version}", now=now)
    return added


def _case_step_notice(session: Session, name: str, step: CaseStep, now: datetime) -> int:
    """A one-thing case step about to run out (to the lead department) or past its limit (督办单 and up: the county too)."""
    case = session.get(OneThingCase, step.case_id)
    if case is None:
        return 0
    town = _township_name(session, case.township_code)
    what = f"{case.number or ''} {case.title}".strip()
    people = _department_people(session, case.lead_department_code)
    if name == "case.step_warn":
        return enqueue(session, event_kind="pre_breach", township_code=case.township_code, subject_type="case",
                       subject_id=case.id, title=f"一件事步骤即将超时 {what}",
                       body=f"{town}：{what}，步骤“{step.name}”时限 {fmt_local(step.due_at)} 即将到期。",
                       people=people, dedup=f"{step.id}:warn", now=now)
    word = LADDER_WORDS.get(step.escalation_level, "")
    if step.escalation_level in ("supervision_order", "leader_notice"):
        people = people + _users(session, User.role.in_(COUNTY_ROLES))
    return enqueue(session, event_kind="escalation", township_code=case.township_code, subject_type="case",
                   subject_id=case.id, title=f"一件事步骤超时{word} {what}",
                   body=f"{town}：{what}，步骤“{step.name}”时限 {fmt_local(step.due_at)} 已过，已发{word}。",
                   people=people, dedup=f"{step.id}:{step.escalation_level}", now=now)


def _dispute_notice(session: Session, name: str, row: Dispute, now: datetime) -> int:
    """A dispute reaches the county when opened; both sides when decided; the county and both sides when
    it is escalated (its time limit passed undecided)."""
    incident = session.get(Incident, row.incident_id)
    what, where = _incident_words(session, incident)
    dept = session.get(Department, row.department_code)
    dept_name = dept.name if dept is not None else "县级部门"
    county = _users(session, User.role.in_(COUNTY_ROLES))
    sides = _department_people(session, row.department_code) + _users(
        session, User.role.in_(("duty_officer", "grid_supervisor")), User.township_code == row.township_code)
    if name == "dispute.open":
        return enqueue(session, event_kind="dispute", township_code=row.township_code, subject_type="dispute",
                       subject_id=row.id, title=f"推诿争议待仲裁 {what}",
                       body=f"{where}：{_township_name(session, row.township_code)}与{dept_name}对退回有争议，"
                            f"请于 {fmt_local(row.due_at)} 前裁定。", people=county, dedup=f"{row.id}:open", now=now)
    if name == "dispute.decide" and row.decided_at is not None:
        handler = "乡镇属地" if row.handler_kind == "township" else (
            (session.get(Department, row.handler_department_code or "") or dept).name if dept else "县级部门")
        return enqueue(session, event_kind="dispute", township_code=row.township_code, subject_type="dispute",
                       subject_id=row.id, title=f"县级仲裁已裁定 {what}",
                       body=f"{where}：裁定由{handler}办理。理由：{row.decision_reason}", people=sides,
                       dedup=f"{row.id}:decided", now=now)
    if name == "dispute.escalate" and row.state == "escalated":
        return enqueue(session, event_kind="escalation", township_code=row.township_code, subject_type="dispute",
                       subject_id=row.id, title=f"推诿争议超时未裁定 {what}",
                       body=f"{where}：{_township_name(session, row.township_code)}与{dept_name}的争议应于 "
                            f"{fmt_local(row.due_at)} 前裁定，至今未裁定，已升级督办。",
                       people=county + sides, dedup=f"{row.id}:escalated", now=now)
    return 0


# --------------------------------------------------------------------------- delivery


def _claim(sessions: sessionmaker[Session], now: datetime, limit: int) -> list[tuple[str, str, dict, Message]]:
    with sessions() as session, session.begin():
        q = (select(Notice, NoticeChannel)
             .join(NoticeChannel, NoticeChannel.id == Notice.channel_id)
             .where(Notice.status == "pending", Notice.next_attempt_at <= now)
             .order_by(Notice.next_attempt_at).limit(limit))
        if session.get_bind().dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True, of=Notice)  # several server processes share the work
        claimed = []
        for notice, channel in session.execute(q).all():
            notice.attempts += 1
            notice.next_attempt_at = now + CLAIM
            mention = tuple(w[1:] for w in notice.body.split() if w.startswith("@") and w[1:].isdigit())
            claimed.append((notice.id, channel.kind, dict(channel.config or {}),
                            Message(notice.title, notice.body, notice.address, notice.recipient_name, mention)))
        return claimed


def deliver_due(sessions: sessionmaker[Session], *, now: Callable[[], datetime] = utcnow, limit: int = 50,
                pauses: Sequence[timedelta] = RETRY_PAUSES) -> int:
    """Send what is due; returns how many were sent. Safe to run in several processes at once.

    ``pauses``: the wait before each retry; a notice still failing after the last is marked failed.
    """
    claimed = _claim(sessions, now(), limit)
    sent = 0
    for notice_id, kind, config, message in claimed:
        error: DeliveryError | None = None
        try:
            channel_for(kind, config).send(message)
        except DeliveryError as exc:
            error = exc
        except ValueError as exc:  # a channel whose settings are incomplete
            error = DeliveryError(str(exc), retry=False)
        with sessions() as session, session.begin():
            notice = session.get(Notice, notice_id)
            if notice is None:
                continue
            stamp = now()
            if error is None:
                notice.status, notice.sent_at, notice.last_error = "sent", stamp, ""
                sent += 1
                log.info("notice %s sent by %s to %s", notice.event_kind, kind, mask_address(notice.address) or "group")
            else:
                notice.last_error = error.reason
                if error.retry and notice.attempts <= len(pauses):
                    notice.next_attempt_at = stamp + pauses[notice.attempts - 1]
                else:
                    notice.status = "failed"
                log.warning("notice %s by %s to %s not delivered (attempt %d): %s", notice.event_kind, kind,
                            mask_address(notice.address) or "group", notice.attempts, error.reason)
    return sent


def delivery_log(session: Session, townships: Sequence[str] | None, *, limit: int = 200) -> list[dict[str, Any]]:
    """The delivery log as the room reads it (newest first), addresses masked, channel names not secrets."""
    q = select(Notice, NoticeChannel.name).join(NoticeChannel, NoticeChannel.id == Notice.channel_id)
    if townships is not None:
        q = q.where(Notice.township_code.in_(list(townships)))
    rows = session.execute(q.order_by(Notice.created_at.desc()).limit(limit)).all()
    status_words = {"pending": "待发送", "sent": "已发送", "failed": "发送失败"}
    return [{
        "id": n.id, "event": EVENT_KINDS.get(n.event_kind, n.event_kind), "event_kind": n.event_kind,
        "channel": channel_name, "recipient": n.recipient_name or "群", "address": mask_address(n.address),
        "title": n.title, "status": n.status, "status_text": status_words.get(n.status, n.status),
        "attempts": n.attempts, "error": n.last_error, "created_at": n.created_at.isoformat(),
        "sent_at": n.sent_at.isoformat() if n.sent_at else None,
        "channel_kind": n.channel_kind, "channel_kind_text": CHANNEL_KINDS.get(n.channel_kind, n.channel_kind),
        "next_attempt_at": n.next_attempt_at.isoformat() if n.status == "pending" and n.next_attempt_at else None,
    } for n, channel_name in rows]
