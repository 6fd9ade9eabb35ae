"""Module and task-card mutations (牵头人负责制, the module boards).

* ``module.create`` / ``module.update`` — name, lead, members (including cadres
  dispatched from county departments: ``{"name", "user_id", "department", "dispatched": true}``),
  the WIP limit of the 进行中 column;
* ``card.create`` / ``card.update`` / ``card.assign`` — scalar edits, last writer wins;
* ``card.move`` / ``card.reopen`` — the card lifecycle with the deterministic merge
  rule of :mod:`commandroom.services.boards`; the move that loses leaves a
  ``ctx.notice`` (a conflict record users can see on the card).

Moving a card into 进行中 beyond the module's WIP limit is refused unless
``force`` is true and a ``reason`` is given (the override is logged as a notice).
"""

from __future__ import annotations

from typing import Any, Literal, overload

from sqlalchemy import func, select

from commandroom.domain.enums import CardColumn
from commandroom.domain.errors import IllegalTransition, ValidationError
from commandroom.domain.models import Department, Incident, Module, OneThingCase, TaskCard
from commandroom.mutations import validate as v
from commandroom.mutations.core import MutationContext, mutation
from commandroom.permissions import boards_limited, roles_of
from commandroom.services import boards as svc

AUTO_SOURCES = ("", "overdue_incident", "missed_checkin", "overdue_step")


def _touch(ctx: MutationContext, obj: Any) -> None:
    obj.updated_at = ctx.now


@overload
def _int(args: dict[str, Any], key: str, *, required: Literal[True] = True, lo: int = 0, hi: int = 10**6) -> int: ...


@overload
def _int(args: dict[str, Any], key: str, *, required: bool, lo: int = 0, hi: int = 10**6) -> int | None: ...


def _int(args: dict[str, Any], key: str, *, required: bool = True, lo: int = 0, hi: int = 10**6) -> int | None:
    value = args.get(key)
    if value is None:
        if required:
            raise ValidationError(key, "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(key, f"must be an integer, got {value!r}")
    if not lo <= value <= hi:
        raise ValidationError(key, f"must be between {lo} and {hi}")
    return value


def _bool(args: dict[str, Any], key: str, default: bool = False) -> bool:
    value = args.get(key, default)
    if not isinstance(value, bool):
        raise ValidationError(key, f"must be true or false, got {value!r}")
    return value


# --------------------------------------------------------------------------- modules


def _members(ctx: MutationContext, args: dict[str, Any]) -> list[dict[str, Any]]:
    raw = args.get("members", [])
    if not isinstance(raw, list):
        raise ValidationError("members", "must be a list of {name, user_id?, department?, dispatched?}")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        key = f"members[{i}]"
        if not isinstance(item, dict):
            raise ValidationError(key, "must be an object {name, user_id?, department?, dispatched?}")
        name = v.text(item, "name", max_len=64)
        user_id = v.text(item, "user_id", required=False, max_len=64) or None
        dept = v.text(item, "department", required=False, max_len=32) or None
        if dept and ctx.session.get(Department, dept) is None:
            raise ValidationError(f"{key}.department", f"no department with code '{dept}'")
        dispatched = _bool(item, "dispatched", default=False)
        if dispatched and not dept:
            raise ValidationError(f"{key}.department", "a dispatched cadre (派驻干部) needs the sending department")
        ident = user_id or name
        if ident in seen:
            raise ValidationError(key, f"{name} is listed twice")
        seen.add(ident)
        role = v.text(item, "role", required=False, max_len=32)
        out.append({"name": name, "user_id": user_id, "department": dept, "dispatched": dispatched, "role": role})
    return out


@mutation("module.create", "module", creates=True)
def module_create(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """A township module with its lead (牵头人) and members."""
    name = v.text(args, "name", max_len=32)
    township = v.text(args, "township_code", required=False, max_len=32) or ctx.actor.township_code
    if not township:
        raise ValidationError("township_code", "is required (the module's township)")
    lead_user_id = v.text(args, "lead_user_id", required=False, max_len=64) or None
    if lead_user_id is None and boards_limited(roles_of(ctx.actor)):
        lead_user_id = ctx.actor.user_id  # a module lead's new board is its own (else its desk would not hold it)
    lead_name = v.text(args, "lead_name", required=False, max_len=32)
    members = _members(ctx, args)
    wip = _int(args, "wip_limit", required=False, lo=1, hi=500) or 8
    sort_order = _int(args, "sort_order", required=False, lo=0, hi=10**4) or 0
    if ctx.session.get(Module, entity_id) is not None:
        ctx.mark_merged(f"模块“{name}”已存在")
        return
    dup = ctx.session.scalars(
        select(Module).where(Module.township_code == township, Module.name == name, Module.deleted.is_(False))
    ).first()
    if dup is not None:
        raise ValidationError("name", f"the township already has a module named '{name}'")
    ctx.add(Module(id=entity_id, township_code=township, name=name, lead_user_id=lead_user_id,
                   lead_name=lead_name, members=members, wip_limit=wip, sort_order=sort_order,
                   created_at=ctx.now, updated_at=ctx.now))


@mutation("module.update", "module")
def module_update(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Change a module's name, lead, members, WIP limit or order (last writer wins per field)."""
    allowed = {"name", "lead_user_id", "lead_name", "members", "wip_limit", "sort_order"}
    unknown = sorted(set(args) - allowed)
    if unknown:
        raise ValidationError(unknown[0], f"cannot be edited here (editable: {', '.join(sorted(allowed))})")
    module = ctx.get(Module, entity_id)
    changes: dict[str, Any] = {}
    if "name" in args:
        changes["name"] = v.text(args, "name", max_len=32)
    if "lead_user_id" in args:
        changes["lead_user_id"] = v.text(args, "lead_user_id", required=False, max_len=64) or None
    if "lead_name" in args:
        changes["lead_name"] = v.text(args, "lead_name", required=False, max_len=32)
    if "members" in args:
        changes["members"] = _members(ctx, args)
    if "wip_limit" in args:
        changes["wip_limit"] = _int(args, "wip_limit", lo=1, hi=500)
    if "sort_order" in args:
        changes["sort_order"] = _int(args, "sort_order", lo=0, hi=10**4)
    diff = {k: val for k, val in changes.items() if getattr(module, k) != val}
    if not diff:
        ctx.mark_merged("这些字段已是该值，无需修改")
        return
    for k, val in diff.items():
        setattr(module, k, val)
    _touch(ctx, module)


# --------------------------------------------------------------------------- cards


def _end_position(ctx: MutationContext, module_id: str, column: str, exclude_id: str | None = None) -> float:
    q = select(func.max(TaskCard.position)).where(
        TaskCard.module_id == module_id, TaskCard.column == column, TaskCard.deleted.is_(False)
    )
    if exclude_id:
        q = q.where(TaskCard.id != exclude_id)
    top = ctx.session.scalar(q)
    return float(top) + 1.0 if top is not None else 1.0


def _check_wip(ctx: MutationContext, module: Module, card_id: str, args: dict[str, Any]) -> None:
    n = svc.wip_count(ctx.session, module.id, exclude_id=card_id)
    if n < module.wip_limit:
        return
    if not _bool(args, "force"):
        raise ValidationError(
            "column",
            f"模块“{module.name}”的“进行中”已有 {n} 张卡片，达到上限 {module.wip_limit}；"
            f"请先完成或移出一张，或以 force 并填写 reason 强制放入",
        )
    reason = v.text(args, "reason", max_len=2000)
    ctx.notice(
        "wip_override",
        f"{ctx.actor.name} 超出“进行中”上限（{n}/{module.wip_limit}）放入卡片，理由：{reason}",
        field="column", kept=CardColumn.DOING.value,
    )


@mutation("card.create", "task_card", creates=True)
def card_create(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """A card on a module's board: ``{module_id, title, body?, lane?, assignee_user_id?, assignee_name?,
    due_at?, incident_id?, case_id?, column?, position?, auto_source?}``."""
    module_id = v.text(args, "module_id", max_len=64)
    title = v.text(args, "title", max_len=128)
    body = v.text(args, "body", required=False, max_len=8000)
    lane = v.text(args, "lane", required=False, max_len=32)
    assignee_user_id = v.text(args, "assignee_user_id", required=False, max_len=64) or None
    assignee_name = v.text(args, "assignee_name", required=False, max_len=64)
    due_at = v.when(args, "due_at", required=False)
    incident_id = v.text(args, "incident_id", required=False, max_len=64) or None
    case_id = v.text(args, "case_id", required=False, max_len=64) or None
    column = v.choice(args, "column", svc.COLUMNS, required=False, default=CardColumn.TODO.value)
    position = v.number(args, "position", required=False)
    auto_source = v.choice(args, "auto_source", AUTO_SOURCES, required=False, default="")
    existing = ctx.session.get(TaskCard, entity_id)
    if existing is not None:
        if existing.module_id != module_id:
            raise ValidationError("entity_id", "already used by a card of another module")
        ctx.mark_merged(f"卡片“{existing.title}”已存在，无需重复创建")
        return
    module = ctx.get(Module, module_id)
    if incident_id and ctx.find(Incident, incident_id) is None:
        raise ValidationError("incident_id", f"no incident with id '{incident_id}'")
    if case_id and ctx.find(OneThingCase, case_id) is None:
        raise ValidationError("case_id", f"no one-thing case with id '{case_id}'")
    if column == CardColumn.DOING:
        _check_wip(ctx, module, entity_id, args)
    if position is None:
        position = _end_position(ctx, module.id, column)
    ctx.add(TaskCard(
        id=entity_id, township_code=module.township_code, module_id=module.id, title=title, body=body,
        column=column, position=position, lifecycle_epoch=0, lane=lane, assignee_user_id=assignee_user_id,
        assignee_name=assignee_name, due_at=due_at, incident_id=incident_id, case_id=case_id,
        auto_source=auto_source, column_changed_at=ctx.now, created_at=ctx.now, updated_at=ctx.now,
    ))


@mutation("card.update", "task_card")
def card_update(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Edit a card's title, body, lane or due date (last writer wins per field)."""
    allowed = {"title", "body", "lane", "due_at"}
    unknown = sorted(set(args) - allowed)
    if unknown:
        raise ValidationError(unknown[0], f"cannot be edited here (editable: {', '.join(sorted(allowed))})")
    card = ctx.get(TaskCard, entity_id)
    changes: dict[str, Any] = {}
    if "title" in args:
        changes["title"] = v.text(args, "title", max_len=128)
    if "body" in args:
        changes["body"] = v.text(args, "body", required=False, max_len=8000)
    if "lane" in args:
        changes["lane"] = v.text(args, "lane", required=False, max_len=32)
    if "due_at" in args:
        changes["due_at"] = v.when(args, "due_at", required=False)
    diff = {k: val for k, val in changes.items() if getattr(card, k) != val}
    if not diff:
        ctx.mark_merged("这些字段已是该值，无需修改")
        return
    for k, val in diff.items():
        setattr(card, k, val)
    _touch(ctx, card)


@mutation("card.assign", "task_card")
def card_assign(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Assign the card to a person (by account, or by name for a cadre without one)."""
    user_id = v.text(args, "assignee_user_id", required=False, max_len=64) or None
    name = v.text(args, "assignee_name", required=False, max_len=64)
    if not user_id and not name:
        raise ValidationError("assignee_name", "give assignee_user_id or assignee_name")
    card = ctx.get(TaskCard, entity_id)
    if card.assignee_user_id == user_id and card.assignee_name == name:
        ctx.mark_merged(f"卡片已指派给 {name or user_id}")
        return
    card.assignee_user_id, card.assignee_name = user_id, name
    _touch(ctx, card)


def _apply_decision(ctx: MutationContext, card: TaskCard, module: Module, move: svc.Move,
                    args: dict[str, Any], verb: str) -> None:
    current = svc.Place(card.lifecycle_epoch or 0, card.column, float(card.position))
    decision = svc.decide_move(current, move)
    wanted = svc.place_label(move.column, move.position)
    now_at = svc.place_label(card.column, card.position)
    if decision.outcome == "same":
        ctx.mark_merged(f"卡片已在“{now_at}”，无需重复{verb}")
        return
    if decision.outcome == "lost":
        why = (
            f"卡片已被重新打开或退回（第 {card.lifecycle_epoch} 轮），此前的{verb}不再适用"
            if decision.reason == "stale" else
            f"卡片同时被他人移到“{now_at}”，按规则保留进度更靠后（同列靠前）的位置"
        )
        explanation = f"{ctx.actor.name} 将卡片{verb}到“{wanted}”未生效：{why}"
        ctx.notice("card_move_lost", explanation, field="column", kept=card.column, lost=move.column)
        ctx.mark_merged(explanation)
        return
    new = decision.place
    if new.column == CardColumn.DOING and card.column != CardColumn.DOING:
        _check_wip(ctx, module, card.id, args)
    saw_current = (
        move.expected_epoch == (card.lifecycle_epoch or 0)
        and move.from_column == card.column
        and (move.from_position is None or abs(float(move.from_position) - float(card.position)) < 1e-9)
    )
    if decision.reason in ("join_won", "rewind") and not saw_current:
        ctx.notice(
            "card_move_overrode",
            f"卡片同时被移动：此前的位置“{now_at}”被 {ctx.actor.name} 的{verb}“{wanted}”取代"
            f"（按规则保留进度更靠后、同列靠前的位置）",
            field="column", kept=new.column, lost=card.column,
        )
    if new.column != card.column:
        card.column_changed_at = ctx.now
    card.column = new.column
    card.position = new.position
    card.lifecycle_epoch = new.epoch
    _touch(ctx, card)


@mutation("card.move", "task_card")
def card_move(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Move a card: ``{column, position?, expected_epoch, from_column?, from_position?, force?, reason?}``.

    ``from_column``/``from_position`` are what the mover saw; a move back (送回) needs
    ``from_column`` and starts a new lifecycle round.
    """
    column = v.choice(args, "column", svc.COLUMNS)
    expected = _int(args, "expected_epoch")
    from_column = v.choice(args, "from_column", svc.COLUMNS, required=False)
    from_position = v.number(args, "from_position", required=False)
    position = v.number(args, "position", required=False)
    card = ctx.get(TaskCard, entity_id)
    module = ctx.get(Module, card.module_id)
    if position is None:
        position = float(card.position) if card.column == column else _end_position(ctx, module.id, column, card.id)
    move = svc.Move(expected, column, position, from_column, from_position)
    _apply_decision(ctx, card, module, move, args, "移动")


@mutation("card.reopen", "task_card")
def card_reopen(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Reopen a done card (to 待办 by default); starts a new lifecycle round.

    ``{expected_epoch, column?, position?}``; a ``reason`` is not stored on the card (cards have no
    history rows yet) — put it in a comment on the linked incident if needed.
    """
    expected = _int(args, "expected_epoch")
    column = v.choice(args, "column", [c for c in svc.COLUMNS if c != CardColumn.DONE], required=False,
                      default=CardColumn.TODO.value)
    position = v.number(args, "position", required=False)
    card = ctx.get(TaskCard, entity_id)
    module = ctx.get(Module, card.module_id)
    if (card.lifecycle_epoch or 0) == expected and card.column != CardColumn.DONE:
        raise IllegalTransition("task_card", card.column, "reopen", ["reopen (only from done)"])
    if position is None:
        position = _end_position(ctx, module.id, column, card.id)
    move = svc.Move(expected, column, position, CardColumn.DONE.value, None, reopen=True)
    _apply_decision(ctx, card, module, move, args, "重新打开")
