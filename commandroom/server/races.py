"""Work queued on a record that lost a race follows the winner, or is explained naming it.

Two desks offline accept the same report: each creates its own incident. The first accept to reach
the server wins; the other is merged (nothing to do: the report is already accepted) and its incident
never exists on the server. Everything that desk queued on its incident afterwards — notes, dispatches,
acknowledgements, closing — used to be refused as "incident <uuid> does not exist".

Now the server remembers the losing incident (:class:`~commandroom.domain.models.LostRace`) and, for a
later mutation on it:

* a **note** (and a report merged into it) *follows the winner*: it is applied to the incident the
  report was accepted as, and the desk is told so;
* anything else is **rejected in the officer's words**, naming the winning incident (number and title)
  and who accepted it, with one action: do it again on that incident (the result's ``follow`` names it,
  so the desk's 重做 applies it there).

A dispatch created on a losing incident is remembered too, so acknowledging it later is explained the
same way.

The other race of an outage: one desk closes an incident while another, offline, goes on working on it
(dispatches a team, signs for it, starts…). Those acts need an open incident; arriving after the close
they are **refused naming the incident and who closed it, when**, with one action: reopen it and do it
again (:func:`closed_first`). Closing or noting a closed incident stays as before (merged, or applied).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commandroom.domain.enums import DispatchState, IncidentState, ReportState
from commandroom.domain.models import Dispatch, Incident, LostRace, Report, TimelineEntry, User
from commandroom.timeutil import fmt_local

# mutations that carry over to the winning incident as they are
FOLLOWS = {"incident.note"}
# mutations naming an incident in their args (the incident the report is merged into)
INCIDENT_ARG = {"report.merge": "incident_id"}

ACTION_WORDS = {
    "incident.dispatch": "派遣", "incident.acknowledge": "签收", "incident.arrive": "到场",
    "incident.start": "开始处置", "incident.note": "备注", "incident.return": "退回",
    "incident.escalate": "升级", "incident.submit": "提交办结", "incident.verify": "核查",
    "incident.close": "办结", "incident.reopen": "重新打开", "incident.update": "修改",
    "incident.remind": "催办", "incident.reject_closure": "退回结案", "dispatch.acknowledge": "签收派遣",
    "dispatch.en_route": "出发",
    "dispatch.on_scene": "到达现场", "dispatch.done": "完成派遣", "dispatch.cancel": "取消派遣",
    "report.merge": "合并报告",
}


ENTITY_WORDS = {"incident": "事件", "report": "报告", "dispatch": "派遣", "task_card": "任务卡片",
                "one_thing_case": "一件事办件", "team_member": "队员", "member_loan": "借调",
                "roster_entry": "排班", "module": "模块", "handover": "交接班记录"}


def missing_explanation(entity_type: str) -> str:
    """A record the server does not have, in words (never its id)."""
    what = ENTITY_WORDS.get(entity_type, "要操作的记录")
    return (f"服务器上没有这条{what}（它可能没有上传成功，或已被删除），所以这项操作未执行。"
            f"请刷新后在现有的{what}上重做。")


@dataclass
class Decision:
    """What to do with a mutation aimed at a record that lost a race."""

    entity_id: str  # where to apply it (the winner when it follows)
    args: dict[str, Any]
    explanation: str = ""
    reject: bool = False
    follow: dict[str, str] | None = None  # {"entity_type", "entity_id"}: where the officer can redo it


def remember_lost_accept(session: Session, args: dict[str, Any], report_id: str) -> None:
    """A ``report.accept`` was merged (the report was accepted elsewhere first): remember its incident."""
    lost = args.get("incident_id")
    report = session.get(Report, report_id)
    if not lost or report is None or session.get(Incident, lost) is not None:
        return
    winner_type, winner_id = ("incident", report.incident_id) if report.incident_id else ("report", report.id)
    _remember(session, "incident", str(lost), winner_type, winner_id)


def _remember(session: Session, entity_type: str, entity_id: str, winner_type: str, winner_id: str) -> None:
    if session.get(LostRace, (entity_type, entity_id)) is None:
        session.add(LostRace(entity_type=entity_type, entity_id=entity_id, winner_type=winner_type,
                             winner_id=winner_id))
        session.flush()


def _lost(session: Session, entity_type: str, entity_id: str) -> LostRace | None:
    model = Incident if entity_type == "incident" else Dispatch if entity_type == "dispatch" else None
    if model is None or not entity_id or session.get(model, entity_id) is not None:
        return None
    return session.get(LostRace, (entity_type, entity_id))


def decide(session: Session, name: str, entity_type: str, entity_id: str,
           args: dict[str, Any]) -> Decision | None:
    """None when the mutation's records exist (the usual case: two primary-key lookups at most)."""
    arg = INCIDENT_ARG.get(name)
    if arg is not None:
        race = _lost(session, "incident", str(args.get(arg) or ""))
        if race is None or race.winner_type != "incident":
            return None if race is None else _refuse(session, name, race)
        winner = session.get(Incident, race.winner_id)
        return Decision(entity_id, {**args, arg: race.winner_id},
                        explanation=f"{_story(session, winner)}；这份报告已合并到该事件。")
    race = _lost(session, entity_type, entity_id)
    if race is None:
        return None
    if name in FOLLOWS and race.winner_type == "incident":
        winner = session.get(Incident, race.winner_id)
        return Decision(race.winner_id, args,
                        explanation=f"{_story(session, winner)}；您的{ACTION_WORDS.get(name, '操作')}已记在该事件上。",
                        follow={"entity_type": "incident", "entity_id": race.winner_id})
    decision = _refuse(session, name, race)
    if name == "incident.dispatch" and args.get("dispatch_id"):
        _remember(session, "dispatch", str(args["dispatch_id"]), race.winner_type, race.winner_id)
    return decision


def _refuse(session: Session, name: str, race: LostRace) -> Decision:
    action = ACTION_WORDS.get(name, "这项操作")
    if race.winner_type == "incident":
        winner = session.get(Incident, race.winner_id)
        number = (winner.number if winner is not None else None) or "该事件"
        redo = {"entity_type": "incident", "entity_id": race.winner_id} if name.startswith("incident.") else None
        return Decision("", {}, reject=True, follow=redo,
                        explanation=f"{_story(session, winner)}，本机离线受理的事件没有被采用，所以「{action}」未执行。"
                                    f"请在事件 {number} 上重做。")
    report = session.get(Report, race.winner_id)
    reason = f"（理由：{report.reject_reason}）" if report is not None and report.reject_reason else ""
    return Decision("", {}, reject=True,
                    explanation=f"这份报告已{_by(session, report)}不予受理{reason}，本机离线受理的事件没有被采用，"
                                f"所以「{action}」未执行。如仍需处置，请重新受理该报告。")


def _by(session: Session, report: Report | None) -> str:
    user = session.get(User, report.triaged_by) if report is not None and report.triaged_by else None
    return f"由{user.display_name or user.username}" if user is not None else "在另一工作站"


def _story(session: Session, winner: Incident | None) -> str:
    if winner is None:
        return "这份报告已在另一工作站受理"
    report = session.scalar(select(Report).where(Report.incident_id == winner.id,
                                                 Report.state == ReportState.ACCEPTED.value).limit(1))
    return f"这份报告已{_by(session, report)}受理为事件 {winner.number or '编号待分配'}「{winner.title}」"


# acts that need an open incident: on one closed meanwhile they did not happen, and the officer must know
NEEDS_OPEN = {"incident.dispatch", "incident.acknowledge", "incident.arrive", "incident.start",
              "incident.submit", "incident.escalate", "incident.return"}
# a team's steps on a dispatch that the close wound up
DISPATCH_STEPS = {"dispatch.acknowledge", "dispatch.en_route", "dispatch.on_scene"}


def closed_first(session: Session, name: str, entity_id: str) -> Decision | None:
    """Work on an incident that was closed before it arrived: refused naming the incident; None otherwise.

    Call after the target's scope is checked (the refusal names the incident).
    """
    if name in NEEDS_OPEN:
        incident = session.get(Incident, entity_id)
        redo = {"entity_type": "incident", "entity_id": entity_id}
    elif name in DISPATCH_STEPS:
        dispatch = session.get(Dispatch, entity_id)
        if dispatch is None or dispatch.state not in (DispatchState.CANCELLED.value, DispatchState.DONE.value):
            return None
        incident = session.get(Incident, dispatch.incident_id)
        redo = None  # the dispatch itself is over: a new one is sent from the incident
    else:
        return None
    if incident is None or incident.state != IncidentState.CLOSED.value:
        return None
    action = ACTION_WORDS.get(name, "这项操作")
    closing = session.scalar(select(TimelineEntry).where(TimelineEntry.incident_id == incident.id,
                                                         TimelineEntry.to_state == IncidentState.CLOSED.value)
                             .order_by(TimelineEntry.at.desc()).limit(1))
    who = f"由{closing.actor_name or '系统'}于 {fmt_local(closing.at)} " if closing is not None else "在另一工作站"
    again = "再重新派遣" if name in DISPATCH_STEPS else f"再重做「{action}」"
    return Decision("", {}, reject=True, follow=redo,
                    explanation=f"事件 {incident.number or '编号待分配'}「{incident.title}」已{who}办结，"
                                f"本机的「{action}」未执行。如仍需处置，请先重新打开该事件，{again}。")
