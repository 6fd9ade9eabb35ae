"""Report mutations: create, accept (creates the incident), merge / unmerge, reject, transfer.

A report is immutable except its triage. Triage follows
:data:`commandroom.workflows.REPORT`; two officers triaging the same report
offline do not produce two incidents: the second triage is merged ("already
accepted by X") and changes nothing.
"""

from __future__ import annotations

from typing import Any

from commandroom.domain.enums import REPORT_STATE_LABELS, IncidentState, ReportSource, ReportState, Urgency
from commandroom.domain.errors import ValidationError
from commandroom.domain.models import Department, EventCategory, Grid, Incident, Report, Township
from commandroom.mutations import validate as v
from commandroom.mutations.core import MutationContext, mutation
from commandroom.mutations.incidents import (
    add_timeline,
    photo_list,
    refresh_search_text,
    stamped,
    touch,
)
from commandroom.services.deadlines import compute_deadlines, load_levels
from commandroom.services.routing import (
    find_matter,
    route,
    routing_from_matter,
    township_at,
    version_in_force,
)
from commandroom.timeutil import fmt_local
from commandroom.workflows import INCIDENT_OPEN_STATES, REPORT


def _category(ctx: MutationContext, code: str, field: str = "category_code") -> EventCategory:
    category = ctx.session.get(EventCategory, code)
    if category is None:
        raise ValidationError(field, f"no event category with code '{code}'")
    return category


def _triaged_explanation(report: Report, action: str) -> str:
    label = REPORT_STATE_LABELS.get(ReportState(report.state), report.state)
    when = f"于 {fmt_local(report.triaged_at)} " if report.triaged_at else ""
    target = f"（事件 {report.incident_id}）" if report.incident_id else ""
    return f"报告已{when}{label}{target}，本次操作未重复执行"


def _resolve(ctx: MutationContext, report: Report, action: str) -> bool:
    """True when the triage action applies; False (mutation merged) when the report was already triaged."""
    res = REPORT.resolve(report.state, 0, action)
    if not res.applied:
        ctx.mark_merged(_triaged_explanation(report, action))
        return False
    return True


# ----------------------------------------------------------------------------- create


@mutation("report.create", "report", creates=True)
@stamped
def create(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """A new report (from a grid worker, the hotline, a sensor…), located in a township of the county."""
    source = v.choice(args, "source", [s.value for s in ReportSource])
    category_code = v.text(args, "category_code", max_len=32)
    description = v.text(args, "description", max_len=8000)
    lat, lon = v.location(args)
    address = v.text(args, "address", required=False, max_len=256)
    grid_id = v.text(args, "grid_id", required=False, max_len=32) or None
    reporter_name = v.text(args, "reporter_name", required=False, max_len=64)
    reporter_phone = v.text(args, "reporter_phone", required=False, max_len=32)
    reporter_email = v.text(args, "reporter_email", required=False, max_len=128)
    reported_at = v.when(args, "reported_at", required=False) or ctx.occurred_at
    photos = photo_list(args, "photos")
    urgency_hint = v.choice(args, "urgency_hint", [u.value for u in Urgency], required=False)
    external_ref = v.text(args, "external_ref", required=False, max_len=64) or None
    township_code = v.text(args, "township_code", required=False, max_len=32) or None
    _category(ctx, category_code)

    existing = ctx.session.get(Report, entity_id)
    if existing is not None:
        ctx.mark_merged(f"报告 {existing.number or existing.id} 已存在，未重复创建")
        return

    grid = None
    if grid_id is not None:
        grid = ctx.session.get(Grid, grid_id)
        if grid is None:
            raise ValidationError("grid_id", f"no grid with id '{grid_id}'")
    if township_code is not None:
        if ctx.session.get(Township, township_code) is None:
            raise ValidationError("township_code", f"no township with code '{township_code}'")
    elif lat is not None and lon is not None:
        # the point decides; a grid is the fallback for a point in a gap of the (approximate) boundaries
        township_code = township_at(ctx.session, lat, lon) or (grid.township_code if grid is not None else None)
        if township_code is None:
            raise ValidationError("lat/lon", f"({lat:.5f}, {lon:.5f}) lies outside every township of the county")
    elif grid is not None:
        township_code = grid.township_code
    else:
        raise ValidationError("township_code", "give township_code, a location (lat/lon) or a grid_id")
    if reported_at > ctx.now:
        reported_at = ctx.now  # a workstation clock ahead of the server must not date a report in the future

    report = Report(
        id=entity_id,
        township_code=township_code,
        source=source,
        category_code=category_code,
        description=description,
        lat=lat,
        lon=lon,
        address=address,
        grid_id=grid_id,
        reporter_user_id=ctx.actor.user_id,
        reporter_name=reporter_name or (ctx.actor.name if source == ReportSource.GRID_PATROL else ""),
        reporter_phone=reporter_phone,
        reporter_email=reporter_email or "",
        reported_at=reported_at,
        photos=photos,
        urgency_hint=urgency_hint,
        state=ReportState.NEW.value,
        external_ref=external_ref,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.add(report)
    ctx.assign_number(report, "report")


# ----------------------------------------------------------------------------- accept


def _override(ctx: MutationContext, args: dict[str, Any]) -> dict[str, Any] | None:
    raw = args.get("override")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValidationError("override", "must be an object {matter_code, lead_department_code, reason}")
    reason = v.text(raw, "reason", required=False, max_len=2000)
    if not reason:
        raise ValidationError("override.reason", "a routing override needs a reason")
    matter_code = v.text(raw, "matter_code", required=False, max_len=32) or None
    dept = v.text(raw, "lead_department_code", required=False, max_len=32) or None
    if matter_code is None and dept is None:
        raise ValidationError("override", "give matter_code and/or lead_department_code")
    if dept is not None and ctx.session.get(Department, dept) is None:
        raise ValidationError("override.lead_department_code", f"no department with code '{dept}'")
    return {"matter_code": matter_code, "lead_department_code": dept, "reason": reason}


@mutation("report.accept", "report")
@stamped
def accept(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Accept the report (受理): create an incident routed by the list in force when it was reported."""
    incident_id = v.text(args, "incident_id", max_len=64)
    urgency_arg = v.choice(args, "urgency", [u.value for u in Urgency], required=False)
    title_arg = v.text(args, "title", required=False, max_len=128)
    override = _override(ctx, args)

    report = ctx.get(Report, entity_id)
    if not _resolve(ctx, report, "accept"):
        return
    if ctx.session.get(Incident, incident_id) is not None:
        raise ValidationError("incident_id", f"incident {incident_id} already exists")
    category = _category(ctx, report.category_code)
    urgency = urgency_arg or report.urgency_hint or Urgency.L3.value

    routing = route(
        ctx.session,
        category_code=report.category_code,
        lat=report.lat,
        lon=report.lon,
        at=report.reported_at,
        township_code=report.township_code,
    )
    original = routing
    if override is not None and override["matter_code"]:
        version = version_in_force(ctx.session, report.reported_at)
        matter = find_matter(ctx.session, version, override["matter_code"])
        if matter is None:
            raise ValidationError(
                "override.matter_code",
                f"no matter '{override['matter_code']}' in the list version in force on "
                f"{fmt_local(report.reported_at, '%Y-%m-%d')}",
            )
        routing = routing_from_matter(matter, version, township_code=routing.township_code, zone_id=routing.zone_id)

    title = title_arg or (f"{category.name}·{report.address}" if report.address else category.name)[:128]
    incident = Incident(
        id=incident_id,
        township_code=report.township_code,
        title=title,
        description=report.description,
        category_code=report.category_code,
        zone_id=routing.zone_id,
        grid_id=report.grid_id,
        source=report.source,
        urgency=urgency,
        state=IncidentState.PENDING_DISPATCH.value,
        lifecycle_epoch=0,
        lat=report.lat,
        lon=report.lon,
        address=report.address,
        matter_code=routing.matter_code,
        matter_name=routing.matter_name,
        matter_version=routing.matter_version,
        outside_list=routing.outside_list,
        lead_department_code=(override or {}).get("lead_department_code") or routing.lead_department_code,
        township_duty=routing.township_duty,
        department_duty=routing.department_duty,
        is_enforcement=routing.is_enforcement,
        routing_override_reason=override["reason"] if override else "",
        report_count=1,
        photos_before=list(report.photos or []),
        created_at=ctx.occurred_at,  # 立案: when the officer accepted it (its deadlines start on the server's clock)
        updated_at=ctx.now,
    )
    deadlines = compute_deadlines(ctx.now, urgency, routing.limits, load_levels(ctx.session))
    incident.ack_due = deadlines.ack_due
    incident.onsite_due = deadlines.onsite_due
    incident.close_due = deadlines.close_due
    ctx.add(incident)

    report.state = ReportState.ACCEPTED.value
    report.incident_id = incident_id
    report.triaged_by = ctx.actor.user_id
    report.triaged_at = ctx.occurred_at
    touch(ctx, report)
    ctx.assign_number(incident, "incident")

    add_timeline(
        ctx, incident, "create", from_state=None, to_state=incident.state,
        note=f"由报告 {report.number or report.id} 受理",
        data={"report_id": report.id, "matter_code": routing.matter_code, "matter_version": routing.matter_version,
              "outside_list": routing.outside_list, "urgency": urgency},
    )
    if override is not None:
        add_timeline(
            ctx, incident, "override", note=override["reason"],
            data={
                "routed_matter_code": original.matter_code,
                "routed_lead_department_code": original.lead_department_code,
                "matter_code": incident.matter_code,
                "lead_department_code": incident.lead_department_code,
            },
        )
        ctx.notice("routing_override", override["reason"], matter_code=incident.matter_code,
                   lead_department_code=incident.lead_department_code)
    refresh_search_text(ctx, incident)


# ----------------------------------------------------------------------------- merge / unmerge / reject


@mutation("report.merge", "report")
@stamped
def merge(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Merge the report into an existing open incident (the incident's report count goes up by one)."""
    incident_id = v.text(args, "incident_id", max_len=64)
    report = ctx.get(Report, entity_id)
    incident = ctx.get(Incident, incident_id)
    if not _resolve(ctx, report, "merge"):
        return
    if incident.state not in INCIDENT_OPEN_STATES:
        raise ValidationError("incident_id", "that incident is closed; accept the report as a new incident or "
                                             "reopen the incident first")
    if incident.merged_into_id:
        raise ValidationError("incident_id", f"that incident was merged into {incident.merged_into_id}")
    report.state = ReportState.MERGED.value
    report.incident_id = incident.id
    report.triaged_by = ctx.actor.user_id
    report.triaged_at = ctx.occurred_at
    touch(ctx, report)
    incident.report_count = (incident.report_count or 0) + 1
    touch(ctx, incident)
    add_timeline(ctx, incident, "merge_report", note=f"合并报告 {report.number or report.id}",
                 data={"report_id": report.id, "delta": 1})
    refresh_search_text(ctx, incident)


@mutation("report.unmerge", "report")
@stamped
def unmerge(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Undo a merge: the report goes back to the inbox, the incident's report count down by one."""
    report = ctx.get(Report, entity_id)
    if report.state == ReportState.NEW:
        ctx.mark_merged("报告已在待受理列表中，无需撤销合并")
        return
    incident_id = report.incident_id
    REPORT.fire(report.state, "unmerge")  # raises IllegalTransition for accepted / rejected reports
    report.state = ReportState.NEW.value
    report.incident_id = None
    report.triaged_by = None
    report.triaged_at = None
    touch(ctx, report)
    incident = ctx.session.get(Incident, incident_id) if incident_id else None
    if incident is not None:
        incident.report_count = max(1, (incident.report_count or 1) - 1)
        touch(ctx, incident)
        add_timeline(ctx, incident, "unmerge_report", note=f"撤销合并报告 {report.number or report.id}",
                     data={"report_id": report.id, "delta": -1})
        refresh_search_text(ctx, incident)


@mutation("report.reject", "report")
@stamped
def reject(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Reject the report (不予受理) with a reason the reporter will see."""
    reason = v.text(args, "reason", max_len=2000)
    report = ctx.get(Report, entity_id)
    if not _resolve(ctx, report, "reject"):
        return
    report.state = ReportState.REJECTED.value
    report.reject_reason = reason
    report.triaged_by = ctx.actor.user_id
    report.triaged_at = ctx.occurred_at
    touch(ctx, report)


# ----------------------------------------------------------------------------- transfer


@mutation("report.transfer", "report", hands_over=True)
@stamped
def transfer(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Hand a waiting report to the township it belongs to (转交), with a reason both rooms see.

    Township areas are derived from the seats (approximate boundaries), so a point near a
    border can land in the neighbour's inbox. The report keeps its number; it leaves this
    township's desks and appears in the other's inbox, still waiting.
    """
    code = v.text(args, "township_code", max_len=32)
    reason = v.text(args, "reason", max_len=2000)
    report = ctx.get(Report, entity_id)
    target = ctx.session.get(Township, code)
    if target is None:
        raise ValidationError("township_code", f"no township with code '{code}'")
    if report.state != ReportState.NEW.value:
        ctx.mark_merged(_triaged_explanation(report, "transfer"))
        return
    if report.township_code == code:
        ctx.mark_merged(f"报告已在{target.name}，无需转交")
        return
    report.transferred_from = report.township_code
    report.transfer_reason = reason
    report.township_code = code
    touch(ctx, report)
