"""The closed vocabularies of the domain, with their Chinese labels.

Values are stable ASCII strings (they travel in the sync protocol and sit in
the database); labels are what the screens show.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Who a person is in the command system; what each may do is in :mod:`commandroom.permissions`."""

    DUTY_OFFICER = "duty_officer"  # 值班员 (township)
    GRID_SUPERVISOR = "grid_supervisor"  # 网格长 / 调度员 (township)
    TEAM_LEADER = "team_leader"  # 执法队长 (zone)
    TEAM_MEMBER = "team_member"  # 执法队员 (zone)
    MODULE_LEAD = "module_lead"  # 模块牵头人 (a township module)
    DEPARTMENT_LIAISON = "department_liaison"  # 部门联络员 (one county department, every township)
    COUNTY_COORDINATOR = "county_coordinator"  # 县社会治理中心 (county)
    ADMIN = "admin"  # 县级系统管理员 (county; accounts only)
    GRID_WORKER = "grid_worker"  # 网格员 (grid; Open311 and the field, never a desk)
    VIEWER = "viewer"  # 大屏只读 (read-only wall screen)


ROLE_LABELS = {
    Role.DUTY_OFFICER: "值班员",
    Role.GRID_SUPERVISOR: "网格长",
    Role.TEAM_LEADER: "执法队长",
    Role.TEAM_MEMBER: "执法队员",
    Role.MODULE_LEAD: "模块牵头人",
    Role.DEPARTMENT_LIAISON: "部门联络员",
    Role.COUNTY_COORDINATOR: "县社会治理中心",
    Role.ADMIN: "系统管理员",
    Role.GRID_WORKER: "网格员",
    Role.VIEWER: "大屏只读",
}


class ScopeKind(StrEnum):
    TOWNSHIP = "township"
    ZONE = "zone"
    COUNTY = "county"


class ReportSource(StrEnum):
    GRID_PATROL = "grid_patrol"  # 网格员巡查上报
    VILLAGER_APP = "villager_app"  # 村情通
    HOTLINE_12345 = "hotline_12345"  # 12345 热线
    DEPARTMENT_PUSH = "department_push"  # 部门推送
    SENSOR_ALERT = "sensor_alert"  # 视频/物联感知预警
    ASSIGNED_FROM_ABOVE = "assigned_from_above"  # 上级交办
    INSPECTION = "inspection"  # 督查稽查


SOURCE_LABELS = {
    ReportSource.GRID_PATROL: "网格巡查",
    ReportSource.VILLAGER_APP: "村情通",
    ReportSource.HOTLINE_12345: "12345热线",
    ReportSource.DEPARTMENT_PUSH: "部门推送",
    ReportSource.SENSOR_ALERT: "感知预警",
    ReportSource.ASSIGNED_FROM_ABOVE: "上级交办",
    ReportSource.INSPECTION: "督查稽查",
}


class Urgency(StrEnum):
    L1 = "L1"  # 紧急
    L2 = "L2"  # 较急
    L3 = "L3"  # 一般
    L4 = "L4"  # 疑难复杂


URGENCY_LABELS = {Urgency.L1: "紧急", Urgency.L2: "较急", Urgency.L3: "一般", Urgency.L4: "疑难复杂"}


class ReportState(StrEnum):
    NEW = "new"  # 待受理
    ACCEPTED = "accepted"  # 已受理 (an incident was created)
    MERGED = "merged"  # 已合并 (into an existing incident)
    REJECTED = "rejected"  # 不予受理


REPORT_STATE_LABELS = {
    ReportState.NEW: "待受理",
    ReportState.ACCEPTED: "已受理",
    ReportState.MERGED: "已合并",
    ReportState.REJECTED: "不予受理",
}


class IncidentState(StrEnum):
    PENDING_DISPATCH = "pending_dispatch"  # 待派单
    DISPATCHED = "dispatched"  # 已交办
    ACKNOWLEDGED = "acknowledged"  # 已签收
    IN_PROGRESS = "in_progress"  # 处置中
    AWAITING_VERIFICATION = "awaiting_verification"  # 待核查
    CLOSED = "closed"  # 已办结
    RETURNED = "returned"  # 已退回
    ESCALATED = "escalated"  # 已上报


INCIDENT_STATE_LABELS = {
    IncidentState.PENDING_DISPATCH: "待派单",
    IncidentState.DISPATCHED: "已交办",
    IncidentState.ACKNOWLEDGED: "已签收",
    IncidentState.IN_PROGRESS: "处置中",
    IncidentState.AWAITING_VERIFICATION: "待核查",
    IncidentState.CLOSED: "已办结",
    IncidentState.RETURNED: "已退回",
    IncidentState.ESCALATED: "已上报",
}


class DispatchState(StrEnum):
    ASSIGNED = "assigned"  # 已派
    ACKNOWLEDGED = "acknowledged"  # 已签收
    EN_ROUTE = "en_route"  # 在途
    ON_SCENE = "on_scene"  # 到场
    DONE = "done"  # 完成
    CANCELLED = "cancelled"  # 撤销


DISPATCH_STATE_LABELS = {
    DispatchState.ASSIGNED: "已派",
    DispatchState.ACKNOWLEDGED: "已签收",
    DispatchState.EN_ROUTE: "在途",
    DispatchState.ON_SCENE: "到场",
    DispatchState.DONE: "完成",
    DispatchState.CANCELLED: "撤销",
}


class DispatchTarget(StrEnum):
    DEPARTMENT = "department"
    TEAM = "team"


class CaseState(StrEnum):
    ORDERED = "ordered"  # 乡镇点单
    CHECKING_IN = "checking_in"  # 部门报到中
    IN_PROGRESS = "in_progress"  # 办理中
    COMPLETED = "completed"  # 已办结
    ESCALATED = "escalated"  # 已督办


CASE_STATE_LABELS = {
    CaseState.ORDERED: "已点单",
    CaseState.CHECKING_IN: "报到中",
    CaseState.IN_PROGRESS: "办理中",
    CaseState.COMPLETED: "已办结",
    CaseState.ESCALATED: "已督办",
}


class CardColumn(StrEnum):
    TODO = "todo"  # 待办
    DOING = "doing"  # 进行中
    REVIEW = "review"  # 待验收
    DONE = "done"  # 已办结


CARD_COLUMN_LABELS = {
    CardColumn.TODO: "待办",
    CardColumn.DOING: "进行中",
    CardColumn.REVIEW: "待验收",
    CardColumn.DONE: "已办结",
}


class MemberStatus(StrEnum):
    AVAILABLE = "available"  # 空闲
    EN_ROUTE = "en_route"  # 在途
    ON_SCENE = "on_scene"  # 在现场
    OFF_DUTY = "off_duty"  # 休息


MEMBER_STATUS_LABELS = {
    MemberStatus.AVAILABLE: "空闲",
    MemberStatus.EN_ROUTE: "在途",
    MemberStatus.ON_SCENE: "在现场",
    MemberStatus.OFF_DUTY: "休息",
}


class MemberOrigin(StrEnum):
    ENFORCEMENT_BUREAU = "enforcement_bureau"  # 县综合行政执法局
    MARKET_SUPERVISION = "market_supervision"  # 县市场监督管理局
    TOWNSHIP_CADRE = "township_cadre"  # 乡镇持证干部
    OTHER_DEPARTMENT = "other_department"  # 其他部门


MEMBER_ORIGIN_LABELS = {
    MemberOrigin.ENFORCEMENT_BUREAU: "县综合行政执法局",
    MemberOrigin.MARKET_SUPERVISION: "县市场监督管理局",
    MemberOrigin.TOWNSHIP_CADRE: "乡镇持证干部",
    MemberOrigin.OTHER_DEPARTMENT: "其他部门",
}


class CheckinState(StrEnum):
    WAITING = "waiting"  # 待报到
    CHECKED_IN = "checked_in"  # 已报到
    MISSED = "missed"  # 超时未报到


class ClockKind(StrEnum):
    ACK = "ack"  # 签收时限
    ONSITE = "onsite"  # 到场时限
    CLOSE = "close"  # 办结时限


CLOCK_LABELS = {ClockKind.ACK: "签收", ClockKind.ONSITE: "到场", ClockKind.CLOSE: "办结"}


class EscalationLevel(StrEnum):
    NONE = "none"
    REMINDER = "reminder"  # 提醒
    SUPERVISION_ORDER = "supervision_order"  # 督办单
    LEADER_NOTICE = "leader_notice"  # 领导通报


ESCALATION_LABELS = {
    EscalationLevel.NONE: "",
    EscalationLevel.REMINDER: "提醒",
    EscalationLevel.SUPERVISION_ORDER: "督办单",
    EscalationLevel.LEADER_NOTICE: "领导通报",
}


class AssessmentDimension(StrEnum):
    POST = "post"  # 岗位赋分
    MODULE = "module"  # 模块评分
    CLUSTER = "cluster"  # 组团积分
    TASK_FORCE = "task_force"  # 专班计分


ASSESSMENT_LABELS = {
    AssessmentDimension.POST: "岗位赋分",
    AssessmentDimension.MODULE: "模块评分",
    AssessmentDimension.CLUSTER: "组团积分",
    AssessmentDimension.TASK_FORCE: "专班计分",
}
