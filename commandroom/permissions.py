"""Who may do what: the roles, their scopes, and one rule per mutation and per read.

This is the one place the powers are written down. The server enforces it in the
mutation pipeline and in every endpoint; the desk asks the same rules before it
queues a change (so a refusal is immediate, offline too) and to hide what the
signed-in person cannot do; ``docs/permissions.md`` is generated from it.

A rule names the roles that may act and how far each reaches:

* ``scope`` — any row in the person's scope (their township, their zone's
  townships, or the county);
* ``assigned`` — only rows given to the person's own department or team (an
  incident or dispatch assigned to it, a summons or case check-in addressed to
  it): 依单履责 — a department answers for what is on its list, nothing else.
  For a module lead: only the boards (modules) it leads;
* ``grid`` — a grid worker's own grid (and what it reported itself).

Scope is decided by the server from the account, never by the request; a row
outside it is answered exactly like a row that does not exist.

The seed's township powers over county staff (赋予乡镇党委对派驻干部的…):
指挥协调 = dispatching and summoning (incident.dispatch, summon, team.joint_visit);
考核管理 and 反向否决 = the assessment.* mutations, by the township's leadership
roles only (duty officer and module lead); 推荐提名 = ``assessment.nominate``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, TypedDict

from commandroom.domain.enums import ROLE_LABELS, Role
from commandroom.domain.errors import Forbidden

if TYPE_CHECKING:
    from commandroom.domain.models import User

SYSTEM_ROLE = "system"  # the server's own scheduled work and the seed; never an account


class Reach(StrEnum):
    SCOPE = "scope"
    ASSIGNED = "assigned"
    OWN = "own"  # only the person's own thing (their device)
    GRID = "grid"  # a grid worker's own grid


ROLE_SCOPE: dict[Role, str] = {
    Role.DUTY_OFFICER: "township",
    Role.GRID_SUPERVISOR: "township",
    Role.TEAM_LEADER: "zone",
    Role.TEAM_MEMBER: "zone",
    Role.MODULE_LEAD: "township",
    Role.DEPARTMENT_LIAISON: "department",
    Role.COUNTY_COORDINATOR: "county",
    Role.ADMIN: "county",
    Role.GRID_WORKER: "grid",
    Role.VIEWER: "township",
}

SCOPE_WORDS = {"township": "本乡镇", "zone": "本执法片区", "department": "本部门（全县各乡镇）",
               "county": "全县", "grid": "本网格"}

DESK_ROLES = frozenset(r for r in Role if r is not Role.GRID_WORKER)
TOWNSHIP_LEADERSHIP = frozenset({Role.DUTY_OFFICER, Role.MODULE_LEAD})  # 乡镇党委的考核、否决、提名
COMMAND = frozenset({Role.DUTY_OFFICER, Role.GRID_SUPERVISOR})  # the township command desk (指挥协调)
ACCOUNTS_ONLY = frozenset({Role.ADMIN})  # may sign in to a desk but reads no operational rows

DO, GS, TL, TM, ML, DL, CC, AD, GW, VW = (
    Role.DUTY_OFFICER, Role.GRID_SUPERVISOR, Role.TEAM_LEADER, Role.TEAM_MEMBER, Role.MODULE_LEAD,
    Role.DEPARTMENT_LIAISON, Role.COUNTY_COORDINATOR, Role.ADMIN, Role.GRID_WORKER, Role.VIEWER,
)
READERS = frozenset({DO, GS, TL, TM, ML, DL, CC, VW})  # every role that reads operational rows at a desk


@dataclass(frozen=True)
class Rule:
    """Who may do one thing (a named mutation or a read), and how far."""

    name: str
    kind: str  # "mutation" | "read"
    label: str  # what it is, in the officer's words
    grants: Mapping[Role, Reach] = field(default_factory=dict)
    power: str = ""  # the seed's power it exercises, if any
    public: bool = False  # no sign-in needed (Open311 discovery, health)
    signed_in: bool = False  # any signed-in desk account

    def reach(self, roles: Iterable[str]) -> Reach | None:
        """The widest reach any of ``roles`` has here; None: none may."""
        best: Reach | None = None
        for r in roles:
            try:
                got = self.grants.get(Role(r))
            except ValueError:
                continue
            if got is Reach.SCOPE:
                return got
            best = best or got
        return best

    def who(self) -> str:
        if self.public:
            return "任何人"
        if self.signed_in:
            return "任何已登录的工作站"
        return "、".join(ROLE_LABELS[r] for r in Role if r in self.grants) or "无人"


def _g(*roles: Role, assigned: Iterable[Role] = (), own: Iterable[Role] = (),
       grid: Iterable[Role] = ()) -> dict[Role, Reach]:
    out = {r: Reach.SCOPE for r in roles}
    out.update({r: Reach.ASSIGNED for r in assigned})
    out.update({r: Reach.OWN for r in own})
    out.update({r: Reach.GRID for r in grid})
    return out


_M: list[tuple[str, str, dict[Role, Reach], str]] = [
    # reports (受理)
    ("report.create", "登记上报事件", _g(DO, GS, GW), ""),
    ("report.accept", "受理上报", _g(DO, GS), ""),
    ("report.merge", "合并到已有事件", _g(DO, GS), ""),
    ("report.unmerge", "撤销合并", _g(DO, GS), ""),
    ("report.reject", "不予受理", _g(DO, GS), ""),
    ("report.transfer", "转交其他乡镇", _g(DO, GS, CC), ""),
    # incidents (指挥协调 by the command desk; the assignee works its own)
    ("incident.dispatch", "派单", _g(DO, GS), "指挥协调权"),
    ("incident.acknowledge", "签收", _g(DO, GS, assigned=(TL, TM, DL)), ""),
    ("incident.arrive", "到场", _g(DO, GS, assigned=(TL, TM, DL)), ""),
    ("incident.start", "开始处置", _g(DO, GS, assigned=(TL, TM, DL)), ""),
    ("incident.note", "添加记录", _g(DO, GS, ML, CC, assigned=(TL, TM, DL)), ""),
    ("incident.return", "退回（非本单位职责）", _g(assigned=(TL, DL)), ""),
    ("incident.return_by_department", "部门退回（附处理建议）", _g(assigned=(DL,)), ""),
    ("incident.proxy_acknowledge", "代录部门签收（须写明原因）", _g(DO, GS), ""),
    ("incident.escalate", "升级督办", _g(DO, GS, CC), "指挥协调权"),
    ("incident.submit", "办结提交", _g(DO, GS, assigned=(TL, TM, DL)), ""),
    # a grid worker: incidents of its own grid (核查 from the field app); the closure rule says who verifies
    ("incident.verify", "核查验收（按结案要求：指挥室或本网格网格员）", _g(DO, GS, assigned=(GW,)), ""),
    ("incident.reject_closure", "核查不通过、退回结案", _g(DO, GS, assigned=(GW,)), ""),
    ("incident.close", "结案", _g(DO), ""),
    ("incident.reopen", "重新打开", _g(DO, GS), ""),
    ("incident.update", "修改事件信息", _g(DO, GS), ""),
    ("incident.remind", "催办", _g(DO, GS, CC), "指挥协调权"),
    ("incident.warn_breach", "即将超时预警（县服务器定时发出）", _g(), ""),
    # dispatches (the team or department works its own)
    ("dispatch.acknowledge", "派单签收", _g(DO, GS, assigned=(TL, TM, DL)), ""),
    ("dispatch.en_route", "出发", _g(DO, GS, assigned=(TL, TM, DL)), ""),
    ("dispatch.on_scene", "到达现场", _g(DO, GS, assigned=(TL, TM, DL)), ""),
    ("dispatch.done", "派单完成", _g(DO, GS, assigned=(TL, TM, DL)), ""),
    ("dispatch.cancel", "撤回派单", _g(DO, GS), "指挥协调权"),
    ("dispatch.reassign", "队内改派（带队队员、出勤队员）", _g(DO, GS, assigned=(TL,)), ""),
    # summons and one-thing cases (依单履责: a department checks in only for itself)
    ("summon", "召集部门报到（吹哨）", _g(DO, GS, assigned=(ML,)), "指挥协调权"),  # a module lead: from its own board
    ("checkin", "报到", _g(assigned=(DL, ML)), ""),
    ("checkin.escalate", "报到超时升级", _g(DO, GS, ML, CC), "指挥协调权"),
    ("checkin.proxy", "代录部门报到（须写明原因）", _g(DO, GS), ""),
    ("case.open", "启动一件事", _g(DO, GS), "指挥协调权"),
    ("case.checkin", "一件事部门报到", _g(assigned=(DL,)), ""),
    ("case.step_done", "完成一件事环节", _g(DO, GS, assigned=(DL,)), ""),
    ("case.complete", "一件事办结", _g(DO, GS), ""),
    ("case.escalate", "一件事升级", _g(DO, GS, CC), "指挥协调权"),
    ("case.attach", "一件事添加附件（文件、照片）", _g(DO, GS, assigned=(DL,)), ""),
    ("case.step_warn", "一件事步骤即将超时预警（县服务器定时发出）", _g(), ""),
    ("case.step_escalate", "一件事步骤超时督办（县服务器定时发出）", _g(), ""),
    # zone teams
    ("member.create", "新增执法队员", _g(TL, CC), ""),
    ("member.update", "修改执法队员", _g(TL, CC), ""),
    ("member.set_status", "设置队员状态", _g(TL, TM, DO, GS), ""),
    ("member.lend", "借调队员", _g(TL, CC), ""),
    ("member.end_loan", "结束借调", _g(TL, CC), ""),
    ("roster.set", "排班", _g(TL), ""),
    ("roster.copy_week", "复制一周排班", _g(TL), ""),
    ("team.joint_visit", "联合出勤", _g(DO, GS, TL), "指挥协调权"),
    # the command room
    ("handover.sign", "交接班签字", _g(DO, GS), ""),
    ("module.create", "新建模块", _g(DO, ML), ""),
    ("module.update", "修改模块", _g(DO, assigned=(ML,)), ""),
    ("card.create", "新建任务卡", _g(DO, GS, assigned=(ML,)), ""),
    ("card.update", "修改任务卡", _g(DO, GS, assigned=(ML,)), ""),
    ("card.assign", "指派任务卡", _g(DO, GS, assigned=(ML,)), ""),
    ("card.move", "移动任务卡", _g(DO, GS, assigned=(ML,)), ""),
    ("card.reopen", "重新打开任务卡", _g(DO, GS, assigned=(ML,)), ""),
    # 考核管理、反向否决、推荐提名: the township's leadership only
    ("assessment.set_post", "岗位赋分", _g(*TOWNSHIP_LEADERSHIP), "考核管理权"),
    ("assessment.rate_module", "模块评分", _g(*TOWNSHIP_LEADERSHIP), "考核管理权"),
    ("assessment.veto", "反向否决", _g(*TOWNSHIP_LEADERSHIP), "反向否决权"),
    ("assessment.revoke", "撤销考核记录", _g(*TOWNSHIP_LEADERSHIP), "考核管理权"),
    ("assessment.nominate", "推荐提名", _g(*TOWNSHIP_LEADERSHIP), "推荐提名权"),
    # 双向考核: each side rates the other from its own seat
    ("assessment.rate_counterpart", "双向考核评价（乡镇评部门、部门评乡镇）", _g(*TOWNSHIP_LEADERSHIP, DL), ""),
    # disputes (推诿) go to the county
    ("dispute.open", "提请县级仲裁（对退回有异议）", _g(DO, GS, assigned=(DL,)), ""),
    ("dispute.decide", "县级仲裁裁定", _g(CC), ""),
    ("dispute.escalate", "仲裁超时升级（县服务器定时发出）", _g(), ""),
    # county reference data
    ("reflist.publish_version", "发布属地管理事项清单", _g(CC), ""),
    ("reflist.propose_amendment", "推诿多发事项的清单调整建议（县服务器自动提出）", _g(), ""),
    ("calendar.publish_year", "发布节假日安排", _g(CC), ""),
]

class _ReadFlags(TypedDict, total=False):
    public: bool
    signed_in: bool


_R: list[tuple[str, str, dict[Role, Reach], _ReadFlags]] = [
    ("public", "公开信息（Open311 服务目录、健康检查）", {}, {"public": True}),
    ("auth.login", "登录工作站", _g(*DESK_ROLES), {}),
    ("auth.session", "刷新、退出、查看本人登录", {}, {"signed_in": True}),
    ("sync.pull", "同步下载（本范围的数据桶）", _g(*READERS, AD), {}),
    ("sync.push", "同步上传（每条修改另按其规则检查）", _g(DO, GS, TL, TM, ML, DL, CC), {}),
    ("report.read", "查看上报详情", _g(*READERS), {}),
    ("report.contact", "查看上报人联系方式", _g(DO, GS, CC), {}),
    ("incident.read", "查看事件详情与时间线", _g(*READERS), {}),
    # exports are written on the desk from the rows it holds (its scope); these say which seats may export
    ("export.incidents", "导出事件（每日简报）", _g(DO, GS, ML, CC), {}),
    ("export.assessment", "导出考核表", _g(DO, ML, CC), {}),
    ("export.zone_stats", "导出片区响应统计", _g(DO, GS, TL, CC), {}),
    ("photo.read", "查看照片（本人范围内记录的照片）", _g(*READERS, grid=(GW,)), {}),
    ("photo.upload", "上传照片", _g(DO, GS, TL, TM, ML, DL, CC, GW), {}),
    ("open311.read", "Open311 查询上报", _g(DO, GS, CC, grid=(GW,)), {}),
    ("open311.create", "Open311 上报", _g(DO, GS, GW), {}),
    ("admin.users", "账号管理（查看、新增、停用、角色）", _g(AD), {}),
    ("admin.keys", "Open311 密钥（签发、吊销）", _g(AD), {}),
    ("admin.devices", "吊销工作站登录", _g(AD, own=DESK_ROLES - {AD}), {}),
    ("admin.audit", "审计日志（查看、校验）", _g(AD), {}),
    ("notices.read", "查看通知发送记录", _g(DO, GS, TL, ML, CC), {}),
    ("admin.jobs", "查看定时任务（上次、下次运行）", _g(CC, AD), {}),
    ("notices.configure", "设置通知通道和规则", _g(CC, AD), {}),
    ("basemap.package", "下载全县底图包（工作站地图）", _g(*READERS), {}),
    ("basemap.read", "底图瓦片（本人范围内）", _g(*READERS, GW), {}),
    ("field.login", "登录外勤手机应用", _g(TL, TM, GW), {}),
    ("field.read", "外勤应用：我的派单、我的上报、待我核查", _g(TL, TM, GW), {}),
    ("field.push", "外勤应用上传操作（每条另按其规则检查）", _g(TL, TM, GW), {}),
]

RULES: dict[str, Rule] = {}
for _name, _label, _grants, _power in _M:
    RULES[_name] = Rule(_name, "mutation", _label, _grants, _power)
for _name, _label, _grants, _flags in _R:
    RULES[_name] = Rule(_name, "read", _label, _grants, **_flags)

# Every HTTP route → the rule that guards it (a test walks the app's routes).
ENDPOINTS: dict[tuple[str, str], str] = {
    ("GET", "/health"): "public",
    ("POST", "/api/v1/auth/login"): "auth.login",
    ("POST", "/api/v1/auth/refresh"): "auth.session",
    ("POST", "/api/v1/auth/logout"): "auth.session",
    ("GET", "/api/v1/auth/me"): "auth.session",
    ("POST", "/api/v1/sync/push"): "sync.push",
    ("GET", "/api/v1/sync/pull"): "sync.pull",
    ("GET", "/api/v1/sync/summary"): "sync.pull",
    ("GET", "/api/v1/sync/events"): "sync.pull",
    ("GET", "/api/v1/users"): "admin.users",
    ("GET", "/api/v1/admin/jobs"): "admin.jobs",
    ("POST", "/api/v1/admin/users/{user_id}/disable"): "admin.users",
    ("POST", "/api/v1/admin/users/{user_id}/enable"): "admin.users",
    ("POST", "/api/v1/admin/users/{user_id}/revoke-key"): "admin.keys",
    ("POST", "/api/v1/admin/devices/{device_id}/revoke"): "admin.devices",
    ("POST", "/api/v1/admin/users"): "admin.users",
    ("POST", "/api/v1/admin/users/{user_id}/roles"): "admin.users",
    ("POST", "/api/v1/admin/users/{user_id}/issue-key"): "admin.keys",
    ("GET", "/api/v1/admin/devices"): "admin.users",
    ("GET", "/api/v1/admin/audit"): "admin.audit",
    ("POST", "/api/v1/admin/audit/verify"): "admin.audit",
    ("GET", "/api/v1/reports/{report_id}"): "report.read",
    ("GET", "/api/v1/incidents/{incident_id}"): "incident.read",
    ("POST", "/api/v1/photos"): "photo.upload",
    ("PUT", "/api/v1/photos/{sha256}"): "photo.upload",
    ("GET", "/api/v1/photos/{sha256}"): "photo.read",
    ("GET", "/api/v1/photos/{sha256}/thumb"): "photo.read",
    ("GET", "/api/v1/photos/{sha256}/full"): "photo.read",
    ("GET", "/api/v1/photos/{sha256}/upload"): "photo.upload",
    ("POST", "/api/v1/photos/thumbs"): "photo.read",
    ("GET", "/open311/v2/discovery.{fmt}"): "public",
    ("GET", "/open311/v2/services.{fmt}"): "public",
    ("GET", "/open311/v2/services/{code}.{fmt}"): "public",
    ("GET", "/open311/v2/jurisdictions.{fmt}"): "public",
    ("GET", "/open311/v2/requests.{fmt}"): "open311.read",
    ("GET", "/open311/v2/requests/{rid}.{fmt}"): "open311.read",
    ("GET", "/open311/v2/tokens/{token}.{fmt}"): "open311.read",
    ("POST", "/open311/v2/requests.{fmt}"): "open311.create",
    ("GET", "/api/v1/notices"): "notices.read",
    ("GET", "/api/v1/notice-channels"): "notices.configure",
    ("POST", "/api/v1/notice-channels"): "notices.configure",
    ("POST", "/api/v1/notice-rules"): "notices.configure",
    ("PUT", "/api/v1/notice-contacts/me"): "auth.session",
    ("GET", "/api/v1/basemaps"): "basemap.package",
    ("GET", "/api/v1/basemaps/{basemap_id}/package"): "basemap.package",
    ("GET", "/api/v1/basemaps/{layer}/zones/{zone_id}"): "basemap.read",
    ("GET", "/api/v1/basemaps/{layer}/tiles/{z}/{x}/{y}"): "basemap.read",
    ("GET", "/field"): "public",
    ("GET", "/field/"): "public",
    ("GET", "/field/{asset}"): "public",
    ("POST", "/api/v1/field/login"): "field.login",
    ("GET", "/api/v1/field/me"): "field.read",
    ("POST", "/api/v1/field/logout"): "field.read",
    ("GET", "/api/v1/field/dispatches"): "field.read",
    ("GET", "/api/v1/field/reports"): "field.read",
    ("GET", "/api/v1/field/verifications"): "field.read",
    ("POST", "/api/v1/field/push"): "field.push",
    ("GET", "/api/v1/field/basemap"): "basemap.read",
    ("GET", "/api/v1/field/tiles/{layer}/{z}/{x}/{y}"): "basemap.read",
}


# --------------------------------------------------------------------------- who asks


class HasRoles(Protocol):
    """Anyone the rules ask about: the desk's Actor, the server's Principal (a user row is asked too)."""

    @property
    def role(self) -> str: ...

    @property
    def roles(self) -> Sequence[str] | None: ...


class Acting(HasRoles, Protocol):
    """Someone acting, with the scope the assigned-row rules read (an Actor or a Principal)."""

    @property
    def user_id(self) -> str | None: ...

    @property
    def scope_kind(self) -> str: ...

    @property
    def scope_code(self) -> str | None: ...

    @property
    def department_code(self) -> str | None: ...


# --------------------------------------------------------------------------- questions


def roles_of(actor: HasRoles | User) -> tuple[str, ...]:
    """Every role an actor, principal or user row holds (``roles``, else the single ``role``)."""
    roles = tuple(actor.roles or ())
    primary = actor.role or ""
    if primary and primary not in roles:
        roles = (primary, *roles)
    return roles


def role_words(roles: Iterable[str]) -> str:
    out = []
    for r in roles:
        try:
            out.append(ROLE_LABELS[Role(r)])
        except ValueError:
            out.append(r or "无角色")
    return "、".join(out) or "无角色"


def rule(name: str) -> Rule | None:
    return RULES.get(name)


def is_system(actor: HasRoles | User) -> bool:
    return SYSTEM_ROLE in roles_of(actor)


def may(actor: HasRoles | User, name: str) -> bool:
    """May this actor do ``name`` at all (on some row of its scope)? What the desk asks to show a button."""
    return refusal(actor, name) is None


def refusal(actor: HasRoles | User, name: str) -> str | None:
    """Why the actor may not do ``name`` at all, in the officer's words; None when some reach is granted."""
    if is_system(actor):
        return None
    r = RULES.get(name)
    if r is None:
        return f"“{name}”没有定义权限，系统拒绝执行；请联系县级管理员。"
    if r.public or r.signed_in:
        return None
    roles = roles_of(actor)
    if r.reach(roles) is not None:
        return None
    return (f"您的角色（{role_words(roles)}）无权{r.label}；此操作由{r.who()}办理。"
            + (f"（{r.power}属乡镇党委）" if r.power in ("考核管理权", "反向否决权", "推荐提名权") else ""))


def check(actor: HasRoles | User, name: str) -> Reach | None:
    """Raise :class:`Forbidden` (the refusal) unless the actor may do ``name``; returns the reach."""
    why = refusal(actor, name)
    if why is not None:
        raise Forbidden(why, rule=name)
    r = RULES.get(name)
    if r is None or is_system(actor):
        return Reach.SCOPE
    return r.reach(roles_of(actor)) or Reach.SCOPE


def is_desk_account(roles: Iterable[str]) -> bool:
    """May an account with these roles obtain a desk token (grid workers use Open311 only)?"""
    return any(_role(r) in DESK_ROLES for r in roles)


def boards_limited(roles: Iterable[str]) -> bool:
    """True for a module lead's desk: of the township's boards it reads (and may name) only those it leads.

    Any other reading role of the same account (a duty officer who also leads a module, the wall) sees
    every board of its townships.
    """
    held = {_role(r) for r in roles}
    return Role.MODULE_LEAD in held and not (held & (READERS - {Role.MODULE_LEAD}))


def reads_operational_rows(roles: Iterable[str]) -> bool:
    """False for an accounts-only administrator: its desk token reads reference data only."""
    return any(_role(r) in READERS for r in roles)


def _role(value: str) -> Role | None:
    try:
        return Role(value)
    except ValueError:
        return None


# --------------------------------------------------------------------------- assigned rows


def assigned_to(actor: Acting, table: str, row: Any, session: Any = None) -> bool:
    """Is this existing row given to the actor's own department (liaison) or team/zone (team roles)?"""
    roles = {_role(r) for r in roles_of(actor)}
    dept = actor.department_code
    zone = actor.scope_code if actor.scope_kind == "zone" else None
    module_lead = Role.MODULE_LEAD in roles

    def target(kind: str | None, code: str | None) -> bool:
        if kind == "department" and dept and Role.DEPARTMENT_LIAISON in roles:
            return code == dept
        if kind == "team" and zone and roles & {Role.TEAM_LEADER, Role.TEAM_MEMBER}:
            return code == zone
        if kind == "module" and module_lead:
            return _leads_module(session, actor, code)
        return False

    if table == "incident":
        if Role.GRID_WORKER in roles:
            # 核查: a grid worker checks closures in its own grid (one without a grid: its township's)
            grid = getattr(actor, "grid_id", None)
            if (row.grid_id == grid) if grid else (row.township_code == getattr(actor, "township_code", None)):
                return True
        if target(row.assignee_kind, row.assignee_code):
            return True
        return bool(dept and Role.DEPARTMENT_LIAISON in roles and row.lead_department_code == dept)
    if table == "dispatch":
        return target(row.target_kind, row.target_code)
    if table == "dispute":
        return bool(dept and Role.DEPARTMENT_LIAISON in roles and row.department_code == dept)
    if table == "module":
        return module_lead and _leads_module(session, actor, row.id)
    if table == "task_card":
        return module_lead and _leads_module(session, actor, row.module_id)
    if table == "case_checkin":
        return target(row.target_kind, row.target_code)
    if table == "one_thing_case":
        if not (dept and Role.DEPARTMENT_LIAISON in roles):
            return False
        if row.lead_department_code == dept:
            return True
        return dept in _collaborators(session, row.type_code)
    return False


def assigned_args(actor: Acting, name: str, args: Mapping[str, Any], session: Any) -> bool:
    """For a new row (nothing to look at yet): is what the arguments point at the actor's own?

    A module lead creates cards on, and whistles from, only the boards it leads (a summons for an
    incident, from the command view, is not a board's).
    """
    roles = {_role(r) for r in roles_of(actor)}
    if Role.MODULE_LEAD in roles and name == "card.create":
        return _leads_module(session, actor, str(args.get("module_id") or ""), strict=True)
    if Role.MODULE_LEAD in roles and name == "summon" and not (args.get("incident_id") and not args.get("card_id")):
        from commandroom.domain.models import TaskCard

        card = session.get(TaskCard, str(args.get("card_id") or "")) if session is not None else None
        return card is not None and _leads_module(session, actor, card.module_id, strict=True)
    return True


def _leads_module(session: Any, actor: Acting, module_id: str | None, *, strict: bool = False) -> bool:
    """Does the actor lead this module? A module without a named lead is every module lead's of its township
    until one is named (the seed names none); :func:`commandroom.sync.buckets.board_buckets` reads the same."""
    if session is None or not module_id:
        return not strict
    from commandroom.domain.models import Module

    module = session.get(Module, module_id)
    return module is not None and (not module.lead_user_id or module.lead_user_id == actor.user_id)


def leads_board(session: Any, actor: Acting, table: str, row: Any) -> bool:
    """For a board-limited desk (:func:`boards_limited`): is this module or task card on a board it leads?"""
    module_id = row.id if table == "module" else getattr(row, "module_id", None)
    return _leads_module(session, actor, module_id, strict=True)


def _collaborators(session: Any, type_code: str) -> list[str]:
    if session is None:
        return []
    from commandroom.domain.models import OneThingType

    t = session.get(OneThingType, type_code)
    return list(t.collaborating_department_codes or []) if t is not None else []


def may_on(actor: Acting, name: str, table: str, row: Any, session: Any = None) -> bool:
    """May the actor do ``name`` on this row (its role, and for assigned-only roles, the row is theirs)?"""
    if refusal(actor, name) is not None:
        return False
    r = RULES.get(name)
    if is_system(actor) or r is None or r.reach(roles_of(actor)) is not Reach.ASSIGNED:
        return True
    return assigned_to(actor, table, row, session)


def assigned_refusal(name: str) -> str:
    r = RULES.get(name)
    label = r.label if r is not None else name
    return f"只能对派给本部门或本队的事项进行“{label}”；此项不是派给您的。"


# --------------------------------------------------------------------------- the matrix, for docs


def coverage_problems(mutation_names: Iterable[str]) -> list[str]:
    """Registered mutations without a rule (a test keeps this empty)."""
    return sorted(n for n in mutation_names if n not in RULES)


def matrix_markdown() -> str:
    """docs/permissions.md, generated: roles and scopes, then one row per mutation and read."""
    roles = list(Role)
    lines = [
        "# 权限矩阵 (who may do what)",
        "",
        "Generated from `commandroom/permissions.py` by `python -m commandroom.permissions`; "
        "a test fails when this file is not current.",
        "",
        "`●` any row in the role's scope · `◐` only rows assigned to the person's own department or team "
        "(依单履责; a module lead: only the boards it leads) · `○` only the person's own (device) · "
        "`▦` only the grid worker's own grid (and its own reports) · blank: refused.",
        "",
        "A row outside the person's scope is answered exactly like a row that does not exist "
        "(`404 not_found`, same body); a refused role gets `403 forbidden` with the reason in Chinese.",
        "",
        "## Roles",
        "",
        "| role | 角色 | scope | desk sign-in |",
        "|---|---|---|---|",
    ]
    for r in roles:
        desk = "yes" if r in DESK_ROLES else "no (Open311 key only)"
        if r in ACCOUNTS_ONLY:
            desk += ", accounts only"
        lines.append(f"| `{r.value}` | {ROLE_LABELS[r]} | {SCOPE_WORDS[ROLE_SCOPE[r]]} | {desk} |")
    for kind, title in (("mutation", "Mutations (named changes)"), ("read", "Reads")):
        lines += ["", f"## {title}", "",
                  "| name | 说明 | 权力 | " + " | ".join(ROLE_LABELS[r] for r in roles) + " |",
                  "|---|---|---|" + "---|" * len(roles)]
        for r in RULES.values():
            if r.kind != kind:
                continue
            if r.public:
                cells = ["公开"] * len(roles)
            elif r.signed_in:
                cells = ["●" if role in DESK_ROLES else "" for role in roles]
            else:
                marks = {Reach.SCOPE: "●", Reach.ASSIGNED: "◐", Reach.OWN: "○", Reach.GRID: "▦"}
                cells = [marks.get(reach, "") if (reach := r.grants.get(role)) is not None else "" for role in roles]
            lines.append(f"| `{r.name}` | {r.label} | {r.power} | " + " | ".join(cells) + " |")
    lines += ["", "## Where the model is coarser than the roles (known limits)", "",
              "- A department liaison's desk receives only its department's bucket (`department:<code>`: "
              "incidents where it is lead or collaborator, its summonses and one-thing cases, with their "
              "timelines) plus reference data; another department's row is answered as missing. A row stays "
              "in a department's bucket once it was the department's work (a returned matter stays in its "
              "history).",
              "- A team member's desk receives its zone's townships (not only its own dispatches).",
              "- A module lead's desk receives its township's operational rows except the boards: of those only "
              "the boards it leads (one bucket per module, `module:<id>`); another module's module or card is "
              "answered as missing. It changes cards, whistles and rates only on the modules it leads. A module "
              "without a named lead (the seed names none) is every module lead's of the township until the "
              "township names one. An account that also holds a township-wide reading role (duty officer, wall) "
              "sees every board.",
              "- Photos (`photo.read`) are answered only when a record in the caller's reach refers to them (a "
              "report, an incident or its timeline): a township's desks their townships' records, a liaison its "
              "department's work in every township, a grid worker its grid's records and its own reports; any "
              "other photo is answered `404` like one the server does not hold.",
              "- The base-map package (`basemap.package`) is the county's one file, checked by its SHA-256 and "
              "shared by every desk (a map's layers are not per township, and a cut per caller would be a file "
              "per scope to keep and verify); only desk roles that show a map may fetch it (not the "
              "administrator, not a grid worker's key). Tiles and zone ranges (`basemap.read`) are limited to "
              "the caller's area.",
              "- A grid worker's Open311 reads cover its grid and the reports it made; it has no desk.",
              "- Reporter contact details are blanked in pulls and REST reads for roles without "
              "`report.contact`; the Open311 GeoReport answer never carries them."]
    lines += ["", "## Endpoints", "", "| method | path | rule |", "|---|---|---|"]
    for (method, path), name in sorted(ENDPOINTS.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        lines.append(f"| {method} | `{path}` | `{name}` |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - regenerates the doc
    import pathlib

    target = pathlib.Path(__file__).resolve().parent.parent / "docs" / "permissions.md"
    target.write_text(matrix_markdown(), encoding="utf-8")
    print(f"wrote {target}")
