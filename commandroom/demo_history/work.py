"""Demo work of the module leads in 球川镇: board cards, linked command, one-thing cases, assessment.

Called from :func:`commandroom.refdata.seed.seed_database`'s demo branch after the
demo history, so it can link cards, summons and cases to real demo incidents. Every
row is written through the real mutations (``card.create``, ``card.move``, ``summon``,
``checkin``, ``case.open`` …) at back-dated clocks, so the rows are exactly what the
desktop would have written, and the server's change log backfill replicates them.

What it leaves (deterministic for a given ``seed`` and ``now``):

* the four modules' boards with cards in every column: some aged (days in their
  column), some overdue, some linked to incidents or a case, an automatic 督办 card
  or two; 平安法治's 进行中 column over its (tightened) WIP limit after a forced move
  with a reason (the override is a conflict notice);
* summons (乡镇吹哨) from a card and from an incident: one check-in on time, one
  late, one missed and escalated, one still waiting with time left;
* one-thing cases: 农民建房 (township's order) at step 2 with one collaborating
  department late and one missing; 城区机动车违停治理 overdue and escalated;
  扬尘处置 completed on time last month; 固体废物处置 just ordered;
* last month's assessment: 岗位赋分 and 模块评分 for every module member, cards and
  case steps completed last month (组团积分 / 专班计分), one reverse veto.
"""

from __future__ import annotations

import contextlib
import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commandroom.domain.errors import ValidationError
from commandroom.domain.models import ConflictRecord, Incident, Module
from commandroom.mutations.core import Actor, MutationContext, apply_mutation, get_spec
from commandroom.server import changelog
from commandroom.timeutil import as_utc, iso, to_local

QIUCHUAN = "330822111"

_CARDS: dict[str, list[tuple[str, str, str, float, float | None, str]]] = {
    # module → [(title, column, lane, days in column, due in days from now (None: no due), body)]
    "平安法治": [
        ("矛盾纠纷排查：东案村宅基地边界纠纷", "todo", "justice", 1.2, 5, "村调委会先行调解，司法所指导"),
        ("出租房消防隐患复查（第二批）", "todo", "fire_rescue", 9.5, -1.5, "上月排查发现 14 处隐患待复查"),
        ("汛后地质灾害点回头看", "todo", "natres", 4.0, 6, ""),
        ("校园周边交通秩序整治方案", "todo", "traffic_police", 0.4, 10, ""),
        ("信访积案化解：球川村土地补偿", "doing", "police", 13.0, -3.0, "包案领导每周走访一次"),
        ("违法建设查处：G320 沿线", "doing", "enforcement", 6.0, 2.0, "已下达责令停止违法行为通知书"),
        ("小餐饮油烟整治联合执法", "doing", "enforcement", 2.5, 4.0, "市场监管、生态环境联合检查"),
        ("安全生产大检查：砖瓦厂", "doing", "emergency", 8.0, -0.5, ""),
        ("电动自行车进楼入户专项整治", "doing", "fire_rescue", 1.0, 7.0, ""),
        ("重点场所反诈宣传", "doing", "police", 0.3, 3.0, "超限放入：牵头人已说明理由"),
        ("重点人员稳控：节前走访", "review", "police", 3.0, 1.0, "走访记录已上传，待牵头人验收"),
        ("非法捕捞巡查（常山港球川段）", "review", "agri", 0.8, 3.0, ""),
        ("无证经营摸排建档", "review", "market", 5.5, -1.0, "建档 23 户，待市场监管所核对"),
        ("群租房安全隐患整改销号", "done", "police", 2.0, None, ""),
        ("春运道路交通安全宣传", "done", "traffic_police", 6.0, None, ""),
    ],
    "经济生态": [
        ("农民建房需求摸底（下半年）", "todo", "agri", 2.0, 12.0, ""),
        ("秸秆禁烧巡查", "doing", "ecoenv", 3.5, 1.0, ""),
        ("卫片图斑核查（第三季度）", "doing", "natres", 10.0, -2.0, "图斑 37 个，已核 21 个"),
        ("河道保洁考核", "review", "forest_water", 1.5, 2.0, ""),
        ("招商项目土地预审", "done", "natres", 4.0, None, ""),
    ],
    "公共服务": [
        ("困难群众春节慰问名单", "todo", "civil_affairs", 0.6, 8.0, ""),
        ("便民服务中心一件事窗口改造", "doing", "", 4.0, 9.0, ""),
        ("医保参保扩面", "review", "health", 2.0, 1.0, ""),
        ("退役军人信息采集", "done", "veterans", 3.0, None, ""),
    ],
    "党建统领": [
        ("村社组织换届准备", "todo", "", 3.0, 20.0, ""),
        ("党员冬训方案", "doing", "", 1.0, 6.0, ""),
        ("清廉村居建设检查", "done", "", 8.0, None, ""),
    ],
}


def _actor(name: str, role: str = "module_lead", user_id: str | None = None) -> Actor:
    return Actor(user_id=user_id, name=name, role=role, scope_kind="township", scope_code=QIUCHUAN,
                 township_code=QIUCHUAN, device_id="demo", device_name="球川指挥室")


# the seed writes history as the system (bound by no role rule), not as an account
ADMIN = Actor(user_id=None, name="系统管理员", role="system", scope_kind="county", device_id="demo",
              device_name="县社会治理中心")


class _Writer:
    """Applies mutations at back-dated clocks in the seed's session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.count = 0

        def alloc(obj: Any, kind: str) -> str | None:
            return changelog.allocate_number(session, obj, kind)

        self.alloc = alloc

    def run(self, name: str, entity_id: str, args: dict[str, Any], at: datetime, actor: Actor) -> MutationContext:
        ctx = MutationContext(self.session, actor, now=at, number_allocator=self.alloc)
        apply_mutation(ctx, name, entity_id, args)
        # what the server's pipeline does with a rule's notice: a conflict record users can see
        for note in ctx.notices:
            self.session.add(ConflictRecord(
                township_code=actor.township_code or QIUCHUAN, entity_type=get_spec(name).entity_type,
                entity_id=entity_id, field=note.get("field", ""), kept_value=note.get("kept"),
                lost_value=note.get("lost"), rule=note["rule"], origin_device=actor.device_name,
                by_user_name=actor.name, explanation=note["explanation"], created_at=at, updated_at=at))
        self.session.flush()
        self.count += 1
        return ctx


def _last_month(now: datetime) -> tuple[str, datetime]:
    """``YYYY-MM`` of the month before ``now`` (Shanghai) and a moment in its middle (UTC)."""
    local = to_local(now)
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    prev_end = first - timedelta(days=1)
    month = f"{prev_end.year:04d}-{prev_end.month:02d}"
    return month, as_utc(prev_end.replace(day=12, hour=10))


def generate_work(session: Session, *, seed: int, now: datetime, township_code: str = QIUCHUAN) -> dict[str, int]:
    """Write the demo work of ``township_code`` (module doc). Returns counts of what was written."""
    from commandroom.services.assessment import record_id
    from commandroom.services.boards import auto_cards
    from commandroom.services.teams import stable_id

    modules = {m.name: m for m in session.scalars(
        select(Module).where(Module.township_code == township_code, Module.deleted.is_(False)))}
    if not modules:
        return {"mutations": 0}
    rng = random.Random(f"{seed}:work:{township_code}")
    w = _Writer(session)
    incidents = list(session.scalars(
        select(Incident).where(Incident.township_code == township_code, Incident.deleted.is_(False),
                               Incident.merged_into_id.is_(None))
        .order_by(Incident.created_at.desc()).limit(60)))
    open_incidents = [i for i in incidents if i.state != "closed"]

    def open_before(at: datetime) -> list[Incident]:
        """Open incidents that already existed at ``at``: nothing cites an incident created after it."""
        return [i for i in open_incidents if i.created_at <= at]

    def member_names(module: Module) -> list[str]:
        return [m["name"] for m in (module.members or []) if m.get("name")] or [module.lead_name]

    # -- module boards
    card_ids: dict[str, str] = {}
    safety = modules.get("平安法治")
    if safety is not None:
        lead = _actor(safety.lead_name)
        w.run("module.update", safety.id, {"wip_limit": 5}, now - timedelta(days=15), lead)
    for mod_name, cards in _CARDS.items():
        module = modules.get(mod_name)
        if module is None:
            continue
        lead = _actor(module.lead_name)
        names = member_names(module)
        for k, (title, column, lane, days, due_days, body) in enumerate(cards):
            at = now - timedelta(days=days, minutes=rng.randint(0, 240))
            cid = stable_id("demo-card", township_code, mod_name, k)
            card_ids[title] = cid
            args: dict[str, Any] = {"module_id": module.id, "title": title, "body": body, "lane": lane,
                                    "assignee_name": names[k % len(names)], "column": column}
            if due_days is not None:
                args["due_at"] = iso(now + timedelta(days=due_days))
            earlier = open_before(at)
            if earlier and k % 3 == 1:
                args["incident_id"] = earlier[(k + len(mod_name)) % len(earlier)].id
            if column == "doing" and module.id == (safety.id if safety else None):
                n_doing = sum(1 for c in cards[:k] if c[1] == "doing")
                if n_doing >= 5:
                    args.update(force=True, reason="信访积案与安全生产检查同时到期，牵头人同意临时超限")
            w.run("card.create", cid, args, at, lead)

    # a card moved through the columns (sent back once: a second round)
    if safety is not None:
        lead = _actor(safety.lead_name)
        cid = stable_id("demo-card", township_code, "平安法治", "returned")
        t0 = now - timedelta(days=7)
        w.run("card.create", cid, {"module_id": safety.id, "title": "夜市占道经营整治", "lane": "enforcement",
                                   "assignee_name": member_names(safety)[-1],
                                   "due_at": iso(now + timedelta(days=2))}, t0, lead)
        w.run("card.move", cid, {"column": "review", "expected_epoch": 0, "from_column": "todo"},
              t0 + timedelta(days=2), lead)
        w.run("card.move", cid, {"column": "todo", "expected_epoch": 0, "from_column": "review", "position": 0.5},
              t0 + timedelta(days=3), lead)

    # two members moved the same card while offline: 待验收 arrived first, the move to 进行中 lost
    fishing = card_ids.get("非法捕捞巡查（常山港球川段）")
    if fishing and safety is not None:
        names = member_names(safety)
        w.run("card.move", fishing, {"column": "todo", "expected_epoch": 0, "from_column": "review",
                                     "position": 0.25}, now - timedelta(hours=18), _actor(names[0]))
        w.run("card.move", fishing, {"column": "review", "expected_epoch": 1, "from_column": "todo",
                                     "from_position": 0.25}, now - timedelta(hours=10), _actor(names[1]))
        w.run("card.move", fishing, {"column": "doing", "expected_epoch": 1, "from_column": "todo",
                                     "from_position": 0.25, "force": True, "reason": "渔政联合巡查提前"},
              now - timedelta(hours=9), _actor(names[2 % len(names)]))

    # -- linked command (乡镇吹哨、部门报到)
    summons = 0
    petition = card_ids.get("信访积案化解：球川村土地补偿")
    if petition:
        lead = _actor(safety.lead_name if safety else "牵头人")
        t = now - timedelta(hours=30)
        sid = stable_id("demo-summon", township_code, "petition")
        w.run("summon", sid, {"card_id": petition, "hours": 24, "note": "土地补偿标准需自然资源、农业农村部门到场说明",
                              "targets": [{"kind": "department", "code": "natres"},
                                          {"kind": "department", "code": "agri"},
                                          {"kind": "department", "code": "justice"}]}, t, lead)
        w.run("checkin", stable_id("summon", sid, "department", "natres"), {"note": "已派员到镇"},
              t + timedelta(hours=3), _actor("自然资源所 联络员"))
        w.run("checkin", stable_id("summon", sid, "department", "justice"), {"note": "司法所长到场"},
              t + timedelta(hours=27), _actor("县司法局 联络员"))
        w.run("checkin.escalate", stable_id("summon", sid, "department", "agri"), {"level": "reminder"},
              now - timedelta(hours=2), lead)
        summons += 1
    building = card_ids.get("违法建设查处：G320 沿线")
    if building:
        lead = _actor(safety.lead_name if safety else "牵头人")
        sid = stable_id("demo-summon", township_code, "building")
        targets = [{"kind": "department", "code": "enforcement"}, {"kind": "department", "code": "housing"}]
        if "经济生态" in modules:
            targets.append({"kind": "module", "code": modules["经济生态"].id})
        w.run("summon", sid, {"card_id": building, "hours": 24, "note": "联合拆违，请执法局、住建局到场",
                              "targets": targets}, now - timedelta(hours=5), lead)
        w.run("checkin", stable_id("summon", sid, "department", "enforcement"), {},
              now - timedelta(hours=4), _actor("执法中队 联络员"))
        summons += 1
    summoned_at = now - timedelta(days=3)
    if len(open_before(summoned_at)) > 5:
        inc = open_before(summoned_at)[5]
        sid = stable_id("demo-summon", township_code, "incident")
        w.run("summon", sid, {"incident_id": inc.id, "hours": 8, "targets": [{"kind": "department", "code": "ecoenv"}],
                              "note": "请生态环境分局派员核查"}, summoned_at, _actor("球川值班员"))
        w.run("checkin.escalate", stable_id("summon", sid, "department", "ecoenv"),
              {"level": "supervision_order"}, now - timedelta(hours=20), _actor("球川值班员"))
        summons += 1

    # automatic 督办 cards: every missed check-in, the two oldest overdue incidents
    plans = auto_cards(session, now, township_code=township_code)
    overdue = [p for p in plans if p.args.get("auto_source") == "overdue_incident"][:2]
    for plan in [p for p in plans if p.args.get("auto_source") == "missed_checkin"] + overdue:
        w.run(plan.name, plan.entity_id, plan.args, now - timedelta(minutes=30), _actor("球川值班员"))

    # -- one-thing cases (一件事)
    cases = 0
    officer = _actor("球川值班员")
    housing = stable_id("demo-case", township_code, "farmer_housing")
    t = now - timedelta(days=4, hours=3)
    w.run("case.open", housing, {"type_code": "farmer_housing", "title": "农民建房：球川村徐某某新建住宅",
                                 "township_code": township_code, "ordered_at": iso(t),
                                 "note": "乡镇点单：村民徐某某申请原址翻建"}, t, officer)
    for dept, hours in (("agri", 1.5), ("natres", 4), ("housing", 20), ("forest_water", 30), ("water_supply", 9)):
        w.run("case.checkin", housing, {"department_code": dept}, t + timedelta(hours=hours),
              _actor(f"{dept} 联络员"))
    w.run("case.step_done", housing, {"position": 1}, t + timedelta(days=1, hours=2), _actor("徐建华"))
    cases += 1

    parking = stable_id("demo-case", township_code, "urban_parking")
    t = now - timedelta(days=5)
    args = {"type_code": "urban_parking", "township_code": township_code, "ordered_at": iso(t)}
    if open_before(t):
        args = {"type_code": "urban_parking", "incident_id": open_before(t)[0].id, "ordered_at": iso(t),
                "title": "城区机动车违停治理：集镇主街"}
    w.run("case.open", parking, args, t, officer)
    for dept in ("traffic_police", "enforcement", "housing", "transport"):
        w.run("case.checkin", parking, {"department_code": dept}, t + timedelta(hours=rng.randint(1, 3)),
              _actor(f"{dept} 联络员"))
    w.run("case.step_done", parking, {"position": 1}, t + timedelta(hours=6), _actor("周强"))
    w.run("case.step_done", parking, {"position": 2}, t + timedelta(days=1), _actor("周强"))
    with contextlib.suppress(ValidationError):  # a long holiday in the window: the case is not overdue yet
        w.run("case.escalate", parking, {"level": "reminder", "reason": "超过限时仍未处罚到位"},
              now - timedelta(hours=6), officer)
    cases += 1

    waste = stable_id("demo-case", township_code, "solid_waste")
    t = now - timedelta(hours=5)
    w.run("case.open", waste, {"type_code": "solid_waste", "title": "固体废物处置：废弃矿坑倾倒建筑垃圾",
                               "township_code": township_code, "ordered_at": iso(t)}, t, officer)
    w.run("case.checkin", waste, {"department_code": "ecoenv"}, t + timedelta(hours=1), _actor("生态环境分局 联络员"))
    cases += 1

    # -- last month: a completed case, completed cards, assessment records
    month, mid = _last_month(now)
    dust = stable_id("demo-case", township_code, "dust_control", month)
    t = mid - timedelta(days=3)
    w.run("case.open", dust, {"type_code": "dust_control", "title": "扬尘处置：砂石码头堆场",
                              "township_code": township_code, "ordered_at": iso(t)}, t, officer)
    for k, dept in enumerate(("ecoenv", "housing", "enforcement", "transport", "natres")):
        w.run("case.checkin", dust, {"department_code": dept}, t + timedelta(hours=1 + k), _actor(f"{dept} 联络员"))
    doers = []
    for module in modules.values():
        doers += member_names(module)[:2]
    for pos in range(1, 5):
        w.run("case.step_done", dust, {"position": pos}, t + timedelta(hours=6 * pos),
              _actor(doers[pos % len(doers)]))
    w.run("case.complete", dust, {"note": "堆场已覆盖，处罚到位"}, t + timedelta(days=1), officer)
    cases += 1

    done_cards = 0
    for mod_name, module in modules.items():
        lead = _actor(module.lead_name)
        for k, name in enumerate(member_names(module)):
            for j in range(1 + (k + len(mod_name)) % 3):
                cid = stable_id("demo-card-done", township_code, month, mod_name, k, j)
                at = mid - timedelta(days=rng.randint(1, 9))
                due = at + timedelta(days=rng.choice((1, 3, 5, -1)))
                w.run("card.create", cid, {"module_id": module.id, "title": f"{mod_name}月度任务 {k + 1}-{j + 1}",
                                           "assignee_name": name, "due_at": iso(due), "column": "todo"}, at, lead)
                w.run("card.move", cid, {"column": "done", "expected_epoch": 0, "from_column": "todo"},
                      at + timedelta(days=rng.randint(1, 4)), lead)
                done_cards += 1

    records = 0
    rated_at = mid + timedelta(days=14)
    vetoed = False
    for module in modules.values():
        if module.lead_name:
            w.run("assessment.set_post", record_id(township_code, month, module.lead_name, "post"),
                  {"month": month, "subject_code": module.lead_name, "subject_name": module.lead_name,
                   "points": 80.0, "township_code": township_code}, rated_at, ADMIN)
            records += 1
        for k, m in enumerate(module.members or []):
            name = m.get("name")
            if not name:
                continue
            w.run("assessment.set_post", record_id(township_code, month, name, "post"),
                  {"month": month, "subject_code": name, "subject_name": name, "points": float(55 + (k * 7) % 25),
                   "township_code": township_code}, rated_at, ADMIN)
            w.run("assessment.rate_module", record_id(township_code, month, name, "module", module.id),
                  {"month": month, "module_id": module.id, "subject_code": name, "subject_name": name,
                   "points": float(70 + (k * 11 + len(module.name)) % 26)}, rated_at, ADMIN)
            records += 2
            if m.get("dispatched") and not vetoed and module.name == "平安法治":
                w.run("assessment.veto", record_id(township_code, month, name, "veto"),
                      {"month": month, "subject_code": name, "subject_name": name, "township_code": township_code,
                       "reason": "当月两次联动指挥未按时报到，经乡镇党委研究予以反向否决"}, rated_at, ADMIN)
                vetoed = True
                records += 1
    return {"mutations": w.count, "summons": summons, "cases": cases, "done_cards": done_cards,
            "assessment_records": records}


__all__ = ["QIUCHUAN", "generate_work"]
