"""Linked command (联动指挥) and one-thing case (一件事) mutations.

Linked command — 乡镇吹哨、部门报到:

* ``summon`` — from a card or an incident, summon modules or county departments;
  each target becomes a ``CaseCheckin`` row due ``hours`` later (default 24; in
  working hours with ``working_time``). A target already summoned and still
  waiting on the same card/incident is not summoned twice;
* ``checkin`` — the summoned department/module reports (报到); late is allowed and shows as late;
* ``checkin.escalate`` — a missed check-in goes up the ladder (提醒 → 督办单 → 领导通报);
  the level only rises, so two officers escalating offline converge on the higher.

One-thing cases — 乡镇点单、部门报到、限时办结:

* ``case.open`` — from an incident or as the township's order (乡镇点单), typed by the
  catalogue: the lead department (领办) and each collaborating department get a
  check-in due ``checkin_hours`` after the order, the catalogue's steps become
  ``CaseStep`` rows, the case is due ``time_limit_days`` working days after the order;
* ``case.checkin`` — a department of the case reports; when all have, the case is in progress;
* ``case.step_done`` — steps complete in order (a step cannot complete before the previous one);
* ``case.complete`` — when every step is done (限时办结);
* ``case.escalate`` — an overdue case is escalated (督办);
* ``case.attach`` — documents and images attached to the case (材料), by content hash.

States follow :data:`commandroom.workflows.CASE`. Child rows get ids derived from
the parent and their natural key, so the workstation and the server create the same rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from commandroom.domain.clocks import step_clock_runs, step_due_at
from commandroom.domain.enums import CaseState, CheckinState, EscalationLevel
from commandroom.domain.errors import ValidationError
from commandroom.domain.models import (
    CaseCheckin,
    CaseStep,
    Department,
    Incident,
    Module,
    OneThingCase,
    OneThingType,
    TaskCard,
)
from commandroom.mutations import validate as v
from commandroom.mutations.core import MutationContext, mutation
from commandroom.services import cases as svc
from commandroom.services.deadlines import escalation_for, escalation_rank
from commandroom.services.teams import fmt_local, stable_id
from commandroom.workflows import CASE

LADDER = [EscalationLevel.REMINDER.value, EscalationLevel.SUPERVISION_ORDER.value,
          EscalationLevel.LEADER_NOTICE.value]
LEVEL_LABELS = {"reminder": "提醒", "supervision_order": "督办单", "leader_notice": "领导通报"}


def _touch(ctx: MutationContext, obj: Any) -> None:
    obj.updated_at = ctx.now


def _bool(args: dict[str, Any], key: str, default: bool = False) -> bool:
    value = args.get(key, default)
    if not isinstance(value, bool):
        raise ValidationError(key, f"must be true or false, got {value!r}")
    return value


def _timeline(ctx: MutationContext, incident_id: str | None, action: str, note: str, data: dict[str, Any]) -> None:
    if not incident_id:
        return
    incident = ctx.session.get(Incident, incident_id)
    if incident is None:
        return
    from commandroom.mutations.incidents import add_timeline

    add_timeline(ctx, incident, action, note=note, data=data)


# --------------------------------------------------------------------------- summons and check-ins


def _targets(ctx: MutationContext, args: dict[str, Any], township: str) -> list[tuple[str, str]]:
    raw = args.get("targets")
    if not isinstance(raw, list) or not raw:
        raise ValidationError("targets", "give at least one {kind: department|module, code}")
    if len(raw) > 50:
        raise ValidationError("targets", f"has {len(raw)} items; at most 50")
    out: list[tuple[str, str]] = []
    for i, item in enumerate(raw):
        key = f"targets[{i}]"
        if not isinstance(item, dict):
            raise ValidationError(key, "must be an object {kind, code}")
        kind = v.choice(item, "kind", ["department", "module"])
        code = v.text(item, "code", max_len=64)
        if kind == "department":
            if ctx.session.get(Department, code) is None:
                raise ValidationError(f"{key}.code", f"no department with code '{code}'")
        else:
            mod = ctx.find(Module, code)
            if mod is None or mod.township_code != township:  # another township's module is not disclosed
                raise ValidationError(f"{key}.code", f"no module with id '{code}'")
        if (kind, code) not in out:
            out.append((kind, code))
    return out


@mutation("summon", "case_checkin", creates=True)
def summon(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """吹哨: ``{card_id | incident_id, targets:[{kind, code}], hours?=24, working_time?=false, note?}``."""
    card_id = v.text(args, "card_id", required=False, max_len=64) or None
    incident_id = v.text(args, "incident_id", required=False, max_len=64) or None
    if bool(card_id) == bool(incident_id):
        raise ValidationError("card_id", "give exactly one of card_id or incident_id")
    hours = v.number(args, "hours", required=False, lo=0.5, hi=720) or svc.DEFAULT_SUMMON_HOURS
    working_time = _bool(args, "working_time")
    note = v.text(args, "note", required=False, max_len=2000)
    if card_id:
        card = ctx.get(TaskCard, card_id)
        township = card.township_code
        linked_incident = card.incident_id
        linked_case = card.case_id
    else:
        incident = ctx.get(Incident, incident_id)
        township = incident.township_code
        linked_incident = incident.id
        linked_case = None
    targets = _targets(ctx, args, township)
    due = svc.summon_due_at(ctx.now, hours, working_time=working_time)
    created, skipped = [], []
    for kind, code in targets:
        cid = stable_id("summon", entity_id, kind, code)
        if ctx.session.get(CaseCheckin, cid) is not None:
            skipped.append(code)
            continue
        q = select(CaseCheckin).where(
            CaseCheckin.deleted.is_(False), CaseCheckin.target_kind == kind, CaseCheckin.target_code == code,
            CaseCheckin.state != CheckinState.CHECKED_IN.value,
        )
        q = q.where(CaseCheckin.card_id == card_id) if card_id else q.where(
            CaseCheckin.incident_id == incident_id, CaseCheckin.card_id.is_(None))
        if ctx.session.scalars(q.limit(1)).first() is not None:
            skipped.append(code)
            continue
        ctx.add(CaseCheckin(
            id=cid, township_code=township, case_id=linked_case, card_id=card_id, incident_id=linked_incident,
            target_kind=kind, target_code=code, state=CheckinState.WAITING.value, due_at=due, note=note,
            created_at=ctx.now, updated_at=ctx.now,
        ))
        created.append((kind, code))
    if not created:
        ctx.mark_merged("所召集的部门/模块均已在等待报到，无需重复吹哨")
        return
    names = [svc.target_name(ctx.session, k, c) for k, c in created]
    _timeline(ctx, linked_incident, "summon", note or f"吹哨：{'、'.join(names)}",
              {"summons_id": entity_id, "targets": [{"kind": k, "code": c} for k, c in created],
               "due_at": due.isoformat(), "skipped": skipped})


def _advance_case_after_checkin(ctx: MutationContext, case: OneThingCase) -> None:
    if case.state == CaseState.ORDERED and CASE.can(case.state, "start_checkin"):
        case.state = CASE.fire(case.state, "start_checkin").to_state
    pending = [c for c in svc.case_checkins(ctx.session, case.id) if c.checked_in_at is None]
    if not pending and CASE.can(case.state, "start"):
        case.state = CASE.fire(case.state, "start").to_state
    _touch(ctx, case)


def _attendance(args: dict[str, Any]) -> tuple[str, str]:
    """报到 from the department's seat says who attends and when: ``attendee``, ``attend_at`` (free text)."""
    return (v.text(args, "attendee", required=False, max_len=64),
            v.text(args, "attend_at", required=False, max_len=64))


def _do_checkin(ctx: MutationContext, chk: CaseCheckin, note: str, attendee: str = "", attend_at: str = "",
                proxy_reason: str = "") -> None:
    if chk.checked_in_at is not None:
        ctx.mark_merged(f"已于 {fmt_local(chk.checked_in_at)} 报到，无需重复")
        return
    proxy = bool(proxy_reason)
    if proxy:
        chk.proxy_by, chk.proxy_reason = ctx.actor.name, proxy_reason
    chk.checked_in_at = ctx.occurred_at
    chk.state = CheckinState.CHECKED_IN.value
    who = "，".join(p for p in (f"到场人员：{attendee}" if attendee else "", f"到场时间：{attend_at}" if attend_at else "")
                   if p)
    for text in (note, who):
        if text:
            chk.note = (chk.note + "\n" if chk.note else "") + text
    _touch(ctx, chk)
    if chk.case_id:
        case = ctx.session.get(OneThingCase, chk.case_id)
        if case is not None and not case.deleted:
            _advance_case_after_checkin(ctx, case)
    late = ctx.occurred_at > chk.due_at
    data: dict[str, Any] = {"checkin_id": chk.id, "late": late, "attendee": attendee, "attend_at": attend_at}
    if proxy:
        data["proxy"] = {"by": ctx.actor.name, "reason": proxy_reason, "for": [chk.target_code]}
    _timeline(ctx, chk.incident_id, "checkin",
              f"{svc.target_name(ctx.session, chk.target_kind, chk.target_code)} 报到" + ("（超时）" if late else "")
              + (f"（{who}）" if who else "")
              + (f"（代录：{ctx.actor.name}，{proxy_reason}）" if proxy else ""), data)


@mutation("checkin", "case_checkin")
def checkin(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """The summoned department or module reports (报到)."""
    note = v.text(args, "note", required=False, max_len=2000)
    _do_checkin(ctx, ctx.get(CaseCheckin, entity_id), note, *_attendance(args))


@mutation("checkin.proxy", "case_checkin")
def checkin_proxy(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """代录报到: the room records a summoned department's 报到 it phoned in: ``{proxy_reason, note?}``.

    Shown on the timeline as 代录 with who typed it; the assessment counts it apart from the department's
    own on-time 报到.
    """
    note = v.text(args, "note", required=False, max_len=2000)
    reason = v.text(args, "proxy_reason", required=False, max_len=2000)
    if not reason:
        raise ValidationError("proxy_reason", "代部门录入报到须写明原因（例如：部门联络员电话告知已到场）")
    chk = ctx.get(CaseCheckin, entity_id)
    if chk.target_kind != "department":
        raise ValidationError("proxy_reason", "只有县级部门的报到可以代录")
    _do_checkin(ctx, chk, note, *_attendance(args), proxy_reason=reason)


def _level(args: dict[str, Any], due, now) -> str:
    level = v.choice(args, "level", LADDER, required=False)
    if level is None:
        level = escalation_for(due, now).value
        if level == EscalationLevel.NONE:
            raise ValidationError("level", f"not overdue yet (due {fmt_local(due)})")
    return level


@mutation("checkin.escalate", "case_checkin")
def checkin_escalate(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Escalate a missed check-in (提醒 → 督办单 → 领导通报); without ``level`` the lateness decides."""
    chk = ctx.get(CaseCheckin, entity_id)
    if chk.checked_in_at is not None:
        ctx.mark_merged(f"已于 {fmt_local(chk.checked_in_at)} 报到，无需督办")
        return
    if ctx.now <= chk.due_at:
        raise ValidationError("level", f"the check-in is not overdue yet (due {fmt_local(chk.due_at)})")
    level = _level(args, chk.due_at, ctx.now)
    if escalation_rank(level) <= escalation_rank(chk.escalation_level or "none"):
        ctx.mark_merged(f"已发出“{LEVEL_LABELS.get(chk.escalation_level, chk.escalation_level)}”或更高等级的督办")
        return
    chk.escalated = True
    chk.escalation_level = level
    chk.state = CheckinState.MISSED.value
    _touch(ctx, chk)
    _timeline(ctx, chk.incident_id, "checkin_escalate",
              f"{svc.target_name(ctx.session, chk.target_kind, chk.target_code)} 超时未报到：{LEVEL_LABELS[level]}",
              {"checkin_id": chk.id, "level": level})


# --------------------------------------------------------------------------- one-thing cases


def _catalogue_steps(ctype: OneThingType) -> list[tuple[str, float | None]]:
    """The catalogue's steps as (name, limit in working days); a plain name has no limit of its own."""
    out: list[tuple[str, float | None]] = []
    for i, s in enumerate(ctype.steps or []):
        if isinstance(s, str):
            out.append((s, None))
        elif isinstance(s, dict) and isinstance(s.get("name"), str):
            days = s.get("days")
            out.append((s["name"], float(days) if isinstance(days, int | float) and days > 0 else None))
        else:
            raise ValidationError("type_code", f"catalogue entry {ctype.code} has a malformed step {i + 1}")
    return out


@mutation("case.open", "one_thing_case", creates=True)
def case_open(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Open a one-thing case: ``{type_code, title?, incident_id?, township_code?, ordered_at?, note?}``."""
    type_code = v.text(args, "type_code", max_len=32)
    title = v.text(args, "title", required=False, max_len=128)
    incident_id = v.text(args, "incident_id", required=False, max_len=64) or None
    ordered_at = v.when(args, "ordered_at", required=False) or ctx.now
    note = v.text(args, "note", required=False, max_len=4000)
    ctype = ctx.session.get(OneThingType, type_code)
    if ctype is None:
        raise ValidationError("type_code", f"no one-thing type '{type_code}' in the catalogue")
    if ordered_at > ctx.now:
        raise ValidationError("ordered_at", "cannot be in the future")
    if ctx.session.get(OneThingCase, entity_id) is not None:
        ctx.mark_merged("该一件事已立案，无需重复")
        return
    incident = None
    if incident_id:
        incident = ctx.get(Incident, incident_id)
        township = incident.township_code
    else:
        township = v.text(args, "township_code", required=False, max_len=32) or ctx.actor.township_code
        if not township:
            raise ValidationError("township_code", "is required for a township's order (乡镇点单)")
    steps = _catalogue_steps(ctype)
    case = OneThingCase(
        id=entity_id, township_code=township, type_code=ctype.code,
        title=title or (f"{ctype.name}：{incident.title}" if incident else ctype.name)[:128],
        incident_id=incident_id, lead_department_code=ctype.lead_department_code,
        state=CASE.initial, lifecycle_epoch=0, ordered_at=ordered_at,
        due_at=svc.case_due_at(ordered_at, ctype.time_limit_days), escalation_level=EscalationLevel.NONE.value,
        note=note, created_at=ctx.now, updated_at=ctx.now,
    )
    ctx.add(case)
    ctx.assign_number(case, "case")
    checkin_due = svc.checkin_due_at(ordered_at, ctype.checkin_hours or svc.DEFAULT_SUMMON_HOURS)
    depts = list(dict.fromkeys([ctype.lead_department_code, *(ctype.collaborating_department_codes or [])]))
    for code in depts:
        ctx.add(CaseCheckin(
            id=stable_id("case-checkin", entity_id, code), township_code=township, case_id=entity_id,
            incident_id=incident_id, target_kind="department", target_code=code, state=CheckinState.WAITING.value,
            due_at=checkin_due, note="领办" if code == ctype.lead_department_code else "协办",
            created_at=ctx.now, updated_at=ctx.now,
        ))
    for pos, (name, days) in enumerate(steps, start=1):
        ctx.add(CaseStep(id=stable_id("case-step", entity_id, pos), township_code=township, case_id=entity_id,
                         position=pos, name=name[:64], done=False, limit_days=days,
                         due_at=step_due_at(ordered_at, days) if pos == 1 else None,  # the first runs from the order
                         escalation_level=EscalationLevel.NONE.value, created_at=ctx.now, updated_at=ctx.now))
    _timeline(ctx, incident_id, "case_open", f"启动一件事：{ctype.name}",
              {"case_id": entity_id, "type_code": ctype.code, "due_at": case.due_at.isoformat()})


def _open_case(ctx: MutationContext, entity_id: str) -> OneThingCase:
    return ctx.get(OneThingCase, entity_id)


@mutation("case.checkin", "one_thing_case")
def case_checkin(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """A department of the case reports (部门报到): ``{department_code, note?}``."""
    dept = v.text(args, "department_code", max_len=32)
    note = v.text(args, "note", required=False, max_len=2000)
    case = _open_case(ctx, entity_id)
    chk = ctx.session.scalars(
        select(CaseCheckin).where(CaseCheckin.case_id == case.id, CaseCheckin.target_code == dept,
                                  CaseCheckin.deleted.is_(False))
    ).first()
    if chk is None:
        raise ValidationError("department_code", f"department '{dept}' is not part of this case")
    _do_checkin(ctx, chk, note, *_attendance(args))


@mutation("case.step_done", "one_thing_case")
def case_step_done(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Complete the next step: ``{position, note?}`` (steps complete in order)."""
    position = args.get("position")
    if isinstance(position, bool) or not isinstance(position, int):
        raise ValidationError("position", f"must be the step number (1, 2, …), got {position!r}")
    case = _open_case(ctx, entity_id)
    steps = svc.case_steps(ctx.session, case.id)
    step = next((s for s in steps if s.position == position), None)
    if step is None:
        raise ValidationError("position", f"the case has no step {position} (it has {len(steps)})")
    if step.done:
        ctx.mark_merged(f"步骤“{step.name}”已于 {fmt_local(step.done_at)} 由 {step.done_by or '他人'} 完成")
        return
    if case.state == CaseState.COMPLETED:
        ctx.mark_merged("一件事已办结")
        return
    before = [s for s in steps if s.position < position and not s.done]
    if before:
        first = before[0]
        raise ValidationError(
            "position",
            f"step {position} “{step.name}” cannot be completed before step {first.position} “{first.name}”",
        )
    step.done = True
    step.done_at = ctx.occurred_at
    step.done_by = ctx.actor.name
    step.done_by_user_id = ctx.actor.user_id
    _touch(ctx, step)
    following = next((s for s in steps if s.position > position), None)
    if following is not None and following.due_at is None and not following.done:
        # the next step's clock starts when this one was done (the act's moment, offline too)
        following.due_at = step_due_at(ctx.occurred_at, following.limit_days)
        _touch(ctx, following)
    if CASE.can(case.state, "start"):
        case.state = CASE.fire(case.state, "start").to_state
    _touch(ctx, case)


@mutation("case.complete", "one_thing_case")
def case_complete(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Close the case (限时办结) once every step is done."""
    note = v.text(args, "note", required=False, max_len=4000)
    case = _open_case(ctx, entity_id)
    if case.state == CaseState.COMPLETED:
        ctx.mark_merged(f"一件事已于 {fmt_local(case.completed_at)} 办结")
        return
    pending = [s for s in svc.case_steps(ctx.session, case.id) if not s.done]
    if pending:
        names = "、".join(f"{s.position}.{s.name}" for s in pending)
        raise ValidationError("steps", f"{len(pending)} step(s) not done yet: {names}")
    if CASE.can(case.state, "start"):
        case.state = CASE.fire(case.state, "start").to_state
    case.state = CASE.fire(case.state, "complete").to_state
    case.completed_at = ctx.occurred_at
    if note:
        case.note = (case.note + "\n" if case.note else "") + note
    _touch(ctx, case)
    _timeline(ctx, case.incident_id, "case_complete", "一件事办结",
              {"case_id": case.id, "on_time": ctx.occurred_at <= case.due_at})


MAX_ATTACHMENTS = 100


@mutation("case.attach", "one_thing_case")
def case_attach(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Attach documents or images to a case (材料): ``{attachments: [sha256…], names: [file name…]}``.

    The files travel by content hash like photos (uploaded before this is pushed; the server refuses it
    while it lacks one). Type and size are read from the checked file's record, not from the sender; a
    file already attached is not attached twice, and two desks attaching at once both keep theirs.
    """
    from commandroom.domain.models import Photo
    from commandroom.mutations.incidents import photo_list
    from commandroom.timeutil import iso

    hashes = photo_list(args, "attachments")
    names = args.get("names")
    if not hashes:
        raise ValidationError("attachments", "give at least one file")
    if not isinstance(names, list) or len(names) != len(hashes) or not all(isinstance(n, str) for n in names):
        raise ValidationError("names", "give one file name per attachment")
    case = _open_case(ctx, entity_id)
    held = list(case.attachments or [])
    known = {a.get("sha256") for a in held if isinstance(a, dict)}
    added = 0
    for sha, raw in zip(hashes, names, strict=True):
        name = raw.replace("\\", "/").rsplit("/", 1)[-1].strip()[:128] or "附件"
        if sha in known:
            continue
        photo = ctx.session.get(Photo, sha)
        if photo is None:
            raise ValidationError("attachments", f"附件“{name}”尚未保存到本机或县服务器，请重新选择文件。")
        held.append({"sha256": sha, "name": name, "mime": photo.mime, "size": photo.size,
                     "by": ctx.actor.name, "at": iso(ctx.occurred_at)})
        known.add(sha)
        added += 1
    if not added:
        ctx.mark_merged("这些文件已在本案材料中")
        return
    if len(held) > MAX_ATTACHMENTS:
        raise ValidationError("attachments", f"一件事最多 {MAX_ATTACHMENTS} 个附件，已有 {len(case.attachments or [])} 个")
    case.attachments = held
    _touch(ctx, case)


@mutation("case.escalate", "one_thing_case")
def case_escalate(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Escalate an overdue case (督办); the level only rises. ``{level?, reason?}``."""
    reason = v.text(args, "reason", required=False, max_len=2000)
    case = _open_case(ctx, entity_id)
    if case.state == CaseState.COMPLETED:
        ctx.mark_merged("一件事已办结，无需督办")
        return
    if ctx.now <= case.due_at:
        raise ValidationError("level", f"the case is not overdue yet (due {fmt_local(case.due_at)})")
    level = _level(args, case.due_at, ctx.now)
    if escalation_rank(level) <= escalation_rank(case.escalation_level or "none"):
        ctx.mark_merged(f"已发出“{LEVEL_LABELS.get(case.escalation_level, case.escalation_level)}”或更高等级的督办")
        return
    if CASE.can(case.state, "escalate"):
        case.state = CASE.fire(case.state, "escalate").to_state
    case.escalation_level = level
    if reason:
        case.note = (case.note + "\n" if case.note else "") + f"【{LEVEL_LABELS[level]}】{reason}"
    _touch(ctx, case)
    _timeline(ctx, case.incident_id, "case_escalate", f"一件事超期：{LEVEL_LABELS[level]}",
              {"case_id": case.id, "level": level})


# --------------------------------------------------------------------------- step clocks (the county scheduler)


def _running_step(ctx: MutationContext, case: OneThingCase, args: dict[str, Any]) -> CaseStep | None:
    """The step named by ``position`` when its clock still runs; otherwise the act is merged (nothing to do)."""
    position = args.get("position")
    if isinstance(position, bool) or not isinstance(position, int):
        raise ValidationError("position", f"must be the step number (1, 2, …), got {position!r}")
    step = next((s for s in svc.case_steps(ctx.session, case.id) if s.position == position), None)
    if step is None:
        raise ValidationError("position", f"the case has no step {position}")
    if case.state == CaseState.COMPLETED or not step_clock_runs(step.done, step.due_at):
        ctx.mark_merged(f"步骤“{step.name}”已完成或未开始计时")
        return None
    return step


@mutation("case.step_warn", "one_thing_case")
def case_step_warn(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """A step's clock is about to run out (步骤即将超时): given once per step. ``{position}``."""
    case = _open_case(ctx, entity_id)
    step = _running_step(ctx, case, args)
    if step is None:
        return
    if step.warned_at is not None:
        ctx.mark_merged("该步骤已发出即将超时预警")
        return
    step.warned_at = ctx.now
    _touch(ctx, step)
    assert step.due_at is not None
    _timeline(ctx, case.incident_id, "case_step_warning",
              f"一件事步骤“{step.name}”时限 {fmt_local(step.due_at)} 即将到期",
              {"case_id": case.id, "position": step.position, "due": step.due_at.isoformat()})


@mutation("case.step_escalate", "one_thing_case")
def case_step_escalate(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """A step past its limit goes up the ladder (提醒 → 督办单 → 领导通报); the level only rises. ``{position, level?}``."""
    case = _open_case(ctx, entity_id)
    step = _running_step(ctx, case, args)
    if step is None:
        return
    assert step.due_at is not None
    if ctx.now <= step.due_at:
        raise ValidationError("level", f"the step is not overdue yet (due {fmt_local(step.due_at)})")
    level = _level(args, step.due_at, ctx.now)
    if escalation_rank(level) <= escalation_rank(step.escalation_level or "none"):
        ctx.mark_merged(f"已发出“{LEVEL_LABELS.get(step.escalation_level, step.escalation_level)}”或更高等级的督办")
        return
    step.escalation_level = level
    _touch(ctx, step)
    _timeline(ctx, case.incident_id, "case_step_escalate", f"一件事步骤“{step.name}”超时：{LEVEL_LABELS[level]}",
              {"case_id": case.id, "position": step.position, "level": level})
