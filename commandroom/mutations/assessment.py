"""Assessment mutations: 岗位赋分, 模块评分 (the module's lead), 反向否决 and 推荐提名 — the township's.

The seed gives these powers over dispatched cadres to the township (乡镇党委): only
its leadership roles (:data:`commandroom.permissions.TOWNSHIP_LEADERSHIP`) of that
township record them; the rule in :mod:`commandroom.permissions` says which roles,
the checks here say which township and which module.

Each record's ``entity_id`` must be
:func:`commandroom.services.assessment.record_id` of (township, month, cadre,
dimension[, module]) — one record per cadre, month and dimension, so two people
scoring the same cadre offline edit the same row (last writer wins, and the
overwritten score is in the conflict log) instead of creating two.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from commandroom.domain.enums import AssessmentDimension
from commandroom.domain.errors import Forbidden, ValidationError
from commandroom.domain.models import AssessmentRecord, Module
from commandroom.mutations import validate as v
from commandroom.mutations.core import Actor, MutationContext, mutation
from commandroom.permissions import TOWNSHIP_LEADERSHIP, is_system, roles_of
from commandroom.services import assessment as svc


def leads_township(actor: Actor, township: str | None) -> bool:
    """Is the actor one of this township's leadership (or the system)?"""
    if is_system(actor):
        return True
    leader = any(r in {x.value for x in TOWNSHIP_LEADERSHIP} for r in roles_of(actor))
    return leader and actor.scope_kind == "township" and actor.scope_code == township


def _leads_module(actor: Actor, module: Module | None) -> bool:
    return is_system(actor) or (module is not None and bool(actor.user_id) and actor.user_id == module.lead_user_id)


def _month(args: dict[str, Any]) -> str:
    month = v.text(args, "month", max_len=7)
    if len(month) != 7 or month[4] != "-":
        raise ValidationError("month", f"'{month}' is not a month YYYY-MM")
    svc.month_range(month)
    return month


def _township(ctx: MutationContext, args: dict[str, Any]) -> str:
    code = v.text(args, "township_code", required=False, max_len=32) or ctx.actor.township_code
    if not code:
        raise ValidationError("township_code", "is required (the township that assesses)")
    return code


def _upsert(ctx: MutationContext, entity_id: str, *, township: str, month: str, subject_code: str,
            subject_name: str, dimension: str, points: float, note: str, module_id: str | None = None) -> None:
    expected = svc.record_id(township, month, subject_code, dimension, module_id)
    if entity_id != expected:
        raise ValidationError("entity_id", f"must be {expected} (services.assessment.record_id of township, "
                                           f"month, cadre, dimension{', module' if module_id else ''})")
    row = ctx.session.get(AssessmentRecord, entity_id)
    if row is None:
        ctx.add(AssessmentRecord(
            id=entity_id, township_code=township, month=month, subject_kind="cadre", subject_code=subject_code,
            subject_name=subject_name, dimension=dimension, module_id=module_id, points=points, note=note,
            given_by=ctx.actor.name, created_at=ctx.now, updated_at=ctx.now,
        ))
        return
    if row.points == points and row.note == note and not row.deleted:
        ctx.mark_merged("该评分已是此值，无需修改")
        return
    row.points, row.note, row.deleted = points, note, False
    row.subject_name = subject_name or row.subject_name
    row.given_by = ctx.actor.name
    row.updated_at = ctx.now


def _subject(args: dict[str, Any]) -> tuple[str, str]:
    code = v.text(args, "subject_code", max_len=64)
    name = v.text(args, "subject_name", required=False, max_len=64) or code
    return code, name


@mutation("assessment.set_post", "assessment_record")
def set_post(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """岗位赋分: ``{month, subject_code, subject_name, points (0–100), note?, township_code?}`` — the township."""
    township = _township(ctx, args)
    if not leads_township(ctx.actor, township):
        raise Forbidden("岗位赋分由本乡镇领导（值班员、模块牵头人）给出")
    month = _month(args)
    code, name = _subject(args)
    points = v.number(args, "points", lo=0, hi=100)
    note = v.text(args, "note", required=False, max_len=2000)
    _upsert(ctx, entity_id, township=township, month=month, subject_code=code, subject_name=name,
            dimension=AssessmentDimension.POST.value, points=points, note=note)


def _member_of(module: Module, subject_code: str) -> dict[str, Any] | None:
    for m in module.members or []:
        if subject_code in (m.get("user_id"), m.get("name")):
            return m
    if subject_code in (module.lead_user_id, module.lead_name):
        return {"name": module.lead_name, "user_id": module.lead_user_id}
    return None


@mutation("assessment.rate_module", "assessment_record")
def rate_module(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """模块评分 by the module lead: ``{month, module_id, subject_code, subject_name, points (0–100), note?}``."""
    month = _month(args)
    module_id = v.text(args, "module_id", max_len=64)
    code, name = _subject(args)
    points = v.number(args, "points", lo=0, hi=100)
    note = v.text(args, "note", required=False, max_len=2000)
    module = ctx.get(Module, module_id)
    if not _leads_module(ctx.actor, module):
        raise Forbidden(f"只有模块“{module.name}”的牵头人给本模块成员评分")
    if _member_of(module, code) is None:
        raise ValidationError("subject_code", f"{name} is not a member of module “{module.name}”")
    _upsert(ctx, entity_id, township=module.township_code, month=month, subject_code=code, subject_name=name,
            dimension=AssessmentDimension.MODULE.value, points=points, note=note, module_id=module.id)


@mutation("assessment.veto", "assessment_record")
def veto(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """反向否决 of a dispatched cadre by the township: ``{month, subject_code, subject_name, reason}``."""
    _township_power_over_cadre(ctx, entity_id, args, svc.VETO, "反向否决")


@mutation("assessment.nominate", "assessment_record")
def nominate(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """推荐提名 of a dispatched cadre by the township: ``{month, subject_code, subject_name, reason}``."""
    _township_power_over_cadre(ctx, entity_id, args, svc.NOMINATION, "推荐提名")


def _township_power_over_cadre(ctx: MutationContext, entity_id: str, args: dict[str, Any], dimension: str,
                               power: str) -> None:
    """A township party committee's act on a cadre dispatched to it (no points, a reason on record)."""
    month = _month(args)
    code, name = _subject(args)
    reason = v.text(args, "reason", max_len=2000)
    township = _township(ctx, args)
    if not leads_township(ctx.actor, township):
        raise Forbidden(f"{power}是乡镇党委的权力：只有本乡镇领导（值班员、模块牵头人）可以记录")
    _dispatched_cadre(ctx, township, code, name)
    _upsert(ctx, entity_id, township=township, month=month, subject_code=code, subject_name=name,
            dimension=dimension, points=0.0, note=reason)


def _dispatched_cadre(ctx: MutationContext, township: str, code: str, name: str) -> None:
    modules = ctx.session.scalars(
        select(Module).where(Module.township_code == township, Module.deleted.is_(False))
    ).all()
    dispatched = [m for mod in modules for m in (mod.members or []) if m.get("dispatched")
                  and code in (m.get("user_id"), m.get("name"))]
    if not dispatched:
        raise ValidationError("subject_code", f"{name} is not a cadre dispatched to this township (派驻干部) "
                                              f"in any of its modules")


@mutation("assessment.revoke", "assessment_record")
def revoke(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Withdraw a record (e.g. a veto given in error), keeping it as a tombstone: ``{reason}``."""
    reason = v.text(args, "reason", max_len=2000)
    row = ctx.get(AssessmentRecord, entity_id)
    actor = ctx.actor
    if row.dimension == AssessmentDimension.MODULE:
        module = ctx.session.get(Module, row.module_id) if row.module_id else None
        if not _leads_module(actor, module):
            raise Forbidden("只有评分模块的牵头人可以撤销其模块评分")
    elif not leads_township(actor, row.township_code):
        raise Forbidden("只有本乡镇领导（值班员、模块牵头人）可以撤销岗位赋分、反向否决或推荐提名")
    row.deleted = True
    row.note = (row.note + "\n" if row.note else "") + f"【撤销】{reason}"
    row.updated_at = ctx.now


TOWNSHIP_RATES_DEPARTMENT = "rate_department"  # 乡镇评部门
DEPARTMENT_RATES_TOWNSHIP = "rate_township"  # 部门评乡镇


@mutation("assessment.rate_counterpart", "assessment_record")
def rate_counterpart(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """双向考核评价, from the rater's own seat: ``{month, points (0–100), note?}`` and the side rated.

    The township's leadership rates a county department (``department_code``); a department liaison rates a
    township for its own department (``township_code``). One record per township, department, month and
    direction (``services.assessment.record_id``): a second rating of the same month replaces the first.
    """
    from commandroom.domain.models import Department, Township

    month = _month(args)
    points = float(v.number(args, "points", lo=0, hi=100) or 0.0)
    note = v.text(args, "note", required=False, max_len=2000)
    dept_code = ctx.actor.department_code if "department_liaison" in roles_of(ctx.actor) else None
    if dept_code:
        direction = DEPARTMENT_RATES_TOWNSHIP
        township = v.text(args, "township_code", max_len=32)
        row = ctx.session.get(Township, township)
        if row is None:
            raise ValidationError("township_code", f"没有代码为“{township}”的乡镇")
        subject_kind, subject_name = "township", row.name
    else:
        township = _township(ctx, args)
        if not leads_township(ctx.actor, township):
            raise Forbidden("乡镇对部门的评价由本乡镇领导（值班员、模块牵头人）给出")
        direction = TOWNSHIP_RATES_DEPARTMENT
        dept_code = v.text(args, "department_code", max_len=32)
        dept = ctx.session.get(Department, dept_code)
        if dept is None:
            raise ValidationError("department_code", f"没有代码为“{dept_code}”的县级部门")
        subject_kind, subject_name = "department", dept.name
    expected = svc.record_id(township, month, dept_code, direction)
    if entity_id != expected:
        raise ValidationError("entity_id", f"must be {expected} (services.assessment.record_id of township, "
                                           f"month, department, direction)")
    row_ = ctx.session.get(AssessmentRecord, entity_id)
    if row_ is None:
        ctx.add(AssessmentRecord(
            id=entity_id, township_code=township, month=month, subject_kind=subject_kind, subject_code=dept_code,
            subject_name=subject_name, dimension=direction, points=points, note=note, given_by=ctx.actor.name,
            created_at=ctx.now, updated_at=ctx.now))
        return
    if row_.points == points and row_.note == note and not row_.deleted:
        ctx.mark_merged("该评价已是此值，无需修改")
        return
    row_.points, row_.note, row_.deleted = points, note, False
    row_.given_by = ctx.actor.name
    row_.updated_at = ctx.now
