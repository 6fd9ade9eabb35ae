"""SQLAlchemy 2 typed ORM, shared by the desktop's local cache and the county server.

Three kinds of tables live in one metadata:

* reference data (townships, zones, departments, the responsibility list, the
  one-thing catalogue…), replicated to every client in the ``county:shared`` bucket;
* operational rows (reports, incidents, dispatches, cases, cards…), each a
  :class:`SyncedMixin` row with a client-generated UUIDv7, replicated in the
  ``township:<code>`` bucket of the township that owns it;
* server-only (``srv_*``) and client-only (``local_*``) bookkeeping for sync,
  auth and audit. Both sides create every table; each uses its own.

Times are naive UTC. Ids are text (UUIDv7 for synced rows, codes for reference rows).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from commandroom.ids import new_id
from commandroom.timeutil import utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(36)
CODE = String(32)


def _statement_now(context: Any) -> datetime:
    """One ``updated_at`` per statement: a batched UPDATE of several rows calls this once per row, but the
    ORM copies the first row's value into every object, so per-row clock reads left the stored rows a few
    microseconds off what the change log (and so every desk) got."""
    stamp = getattr(context, "_commandroom_now", None)
    if stamp is None:
        stamp = context._commandroom_now = utcnow()
    return stamp


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012 - SQLAlchemy reads it as is


class SyncedMixin:
    """Columns every replicated operational row carries.

    ``row_version`` and ``field_versions`` are assigned by the server (the seq of
    the change that last touched the row / each field); clients send them back as
    the base of their edits so the server can tell a concurrent overwrite.
    """

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    township_code: Mapped[str] = mapped_column(CODE, index=True)
    row_version: Mapped[int] = mapped_column(BigInteger, default=0)
    field_versions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # who wrote each field's current version (user id; "" = every field not listed): two edits of a field
    # conflict only when they came from different people
    field_writers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=_statement_now)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    # when the person last acted on this row (the desk's clock, corrected and bounded by the server);
    # ``updated_at`` is when the server stored it. None until the server has stamped it.
    occurred_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


# --------------------------------------------------------------------------- reference data


class Township(Base):
    """A township-level division (乡镇街道) of Changshan county, keyed by its NBS code."""

    __tablename__ = "township"
    code: Mapped[str] = mapped_column(CODE, primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    short_name: Mapped[str] = mapped_column(String(16))
    pinyin: Mapped[str] = mapped_column(String(32), default="")
    kind: Mapped[str] = mapped_column(String(16))  # 街道 / 镇 / 乡
    seat_lat: Mapped[float] = mapped_column(Float)
    seat_lon: Mapped[float] = mapped_column(Float)
    seat_quality: Mapped[str] = mapped_column(String(128), default="")
    number_prefix: Mapped[str] = mapped_column(String(8))  # e.g. QC for 球川, used in human numbers
    zone_id: Mapped[str | None] = mapped_column(CODE, ForeignKey("zone.id"), nullable=True)
    area_geojson: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    area_approximate: Mapped[bool] = mapped_column(Boolean, default=True)
    population: Mapped[int | None] = mapped_column(Integer, nullable=True)
    urban: Mapped[bool] = mapped_column(Boolean, default=False)


class Zone(Base):
    """An enforcement zone (执法片区): a hub township whose team also serves its members."""

    __tablename__ = "zone"
    id: Mapped[str] = mapped_column(CODE, primary_key=True)  # QC, TM, …
    name: Mapped[str] = mapped_column(String(32))
    hub_code: Mapped[str] = mapped_column(CODE)
    member_codes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    confidence: Mapped[str] = mapped_column(String(128), default="proposed")
    # configured adjacency (zone ids), used when township areas are missing to find lending neighbours
    neighbour_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)


class Village(Base):
    __tablename__ = "village"
    id: Mapped[str] = mapped_column(CODE, primary_key=True)
    township_code: Mapped[str] = mapped_column(CODE, ForeignKey("township.code"), index=True)
    name: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16), default="行政村")  # 行政村 / 社区
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)


class Grid(Base):
    """A grid (网格) inside a village; grid workers report from it."""

    __tablename__ = "grid"
    id: Mapped[str] = mapped_column(CODE, primary_key=True)
    village_id: Mapped[str] = mapped_column(CODE, ForeignKey("village.id"), index=True)
    township_code: Mapped[str] = mapped_column(CODE, ForeignKey("township.code"), index=True)
    name: Mapped[str] = mapped_column(String(48))
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    area_geojson: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Department(Base):
    """A county department (县级部门) that leads matters or checks in to cases."""

    __tablename__ = "department"
    code: Mapped[str] = mapped_column(CODE, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    short_name: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32), default="county")


class EventCategory(Base):
    """A report/incident category (事件类别), grouped by module."""

    __tablename__ = "event_category"
    code: Mapped[str] = mapped_column(CODE, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    module: Mapped[str] = mapped_column(String(32))
    platform: Mapped[str] = mapped_column(String(32), default="")
    group: Mapped[str] = mapped_column(String(32), default="")
    related: Mapped[list[Any]] = mapped_column(JSON, default=list)  # related category codes (duplicates)
    urban_weight: Mapped[float] = mapped_column(Float, default=1.0)
    rural_weight: Mapped[float] = mapped_column(Float, default=1.0)
    # what closing needs (闭环): {"photos": "none|after|before_after", "verify": "room|grid_worker|both"};
    # None: the defaults of commandroom.services.closure
    closure: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class UrgencyLevel(Base):
    """Default clocks per urgency; a matter may override them."""

    __tablename__ = "urgency_level"
    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    name: Mapped[str] = mapped_column(String(16))
    ack_minutes: Mapped[int] = mapped_column(Integer)
    onsite_minutes: Mapped[int] = mapped_column(Integer)
    close_workdays: Mapped[float] = mapped_column(Float)
    working_time: Mapped[bool] = mapped_column(Boolean, default=True)  # False: clocks run around the clock


class CalendarYear(Base):
    """A year's statutory holidays and make-up working days (调休), as the State Council publishes them.

    The ``chinese_calendar`` package only knows the years up to its release; the county publishes a
    new year here and every desk receives it with the reference data, so deadlines computed on the
    server and on the desks agree (see :mod:`commandroom.services.deadlines`).
    """

    __tablename__ = "calendar_year"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    holidays: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO dates
    workdays: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO dates: weekend days worked
    source: Mapped[str] = mapped_column(String(256), default="")
    published_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    published_by: Mapped[str | None] = mapped_column(ID, nullable=True)


class MatterListVersion(Base):
    """A version of the responsibility list (属地管理事项清单), in force from a date."""

    __tablename__ = "matter_list_version"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    effective_from: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(128), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    illustrative: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(ID, nullable=True)


class MatterListAmendment(Base):
    """A proposed amendment (清单调整建议): the draft of the next list version for one matter, by 系统.

    Proposed once per matter per quarter when disputes (推诿) on that matter reach the threshold; the county
    edits it in the list editor and publishes it as a new version (``state`` then ``published``).
    """

    __tablename__ = "matter_list_amendment"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    matter_code: Mapped[str] = mapped_column(CODE, index=True)
    quarter: Mapped[str] = mapped_column(String(8))  # "2026Q4", Shanghai calendar
    title: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(Text, default="")  # which disputes, what each decision said
    dispute_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    matter: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the proposed matter (matter_dict form)
    state: Mapped[str] = mapped_column(String(16), default="draft")  # draft / published
    published_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(ID, nullable=True)


class Matter(Base):
    """One matter of the responsibility list in one version."""

    __tablename__ = "matter"
    __table_args__ = (UniqueConstraint("version_id", "code"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    version_id: Mapped[str] = mapped_column(ID, ForeignKey("matter_list_version.id"), index=True)
    code: Mapped[str] = mapped_column(CODE)
    name: Mapped[str] = mapped_column(String(128))
    field: Mapped[str] = mapped_column(String(32))  # 自然资源 / 市场监管 / …
    category_codes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # the categories this matter is the default route for (exactly one matter per category per version)
    default_for: Mapped[list[Any]] = mapped_column(JSON, default=list)
    lead_department_code: Mapped[str] = mapped_column(CODE, ForeignKey("department.code"))
    township_duty: Mapped[str] = mapped_column(Text)
    department_duty: Mapped[str] = mapped_column(Text)
    # {"L1": {"ack_minutes": 30, "onsite_minutes": 60, "close_workdays": 1}, …}; missing → urgency defaults
    limits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_enforcement: Mapped[bool] = mapped_column(Boolean, default=False)
    one_thing_code: Mapped[str | None] = mapped_column(CODE, nullable=True)
    illustrative: Mapped[bool] = mapped_column(Boolean, default=True)
    closure: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # overrides its category's rule


class OneThingType(Base):
    """An entry of the one-thing catalogue (一件事): lead, collaborators, steps, time limit."""

    __tablename__ = "one_thing_type"
    code: Mapped[str] = mapped_column(CODE, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    lead_department_code: Mapped[str] = mapped_column(CODE, ForeignKey("department.code"))
    collaborating_department_codes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    steps: Mapped[list[Any]] = mapped_column(JSON, default=list)  # ["需求申报", "联合审批", "验收发证"]
    previous_steps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    time_limit_days: Mapped[int] = mapped_column(Integer)
    previous_duration: Mapped[str] = mapped_column(String(64), default="")
    checkin_hours: Mapped[int] = mapped_column(Integer, default=24)
    named_in_seed: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text, default="")


# --------------------------------------------------------------------------- people


class User(Base):
    """An account: a role scoped to a township, a zone or the county."""

    __tablename__ = "user_account"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))  # the first of ``roles`` (what lists and old clients show)
    roles: Mapped[list[Any]] = mapped_column(JSON, default=list)  # every role held, all on this one scope
    department_code: Mapped[str | None] = mapped_column(CODE, nullable=True)  # a department liaison's
    scope_kind: Mapped[str] = mapped_column(String(16))  # township / zone / county
    scope_code: Mapped[str | None] = mapped_column(CODE, nullable=True)
    township_code: Mapped[str | None] = mapped_column(CODE, nullable=True)  # home township
    grid_id: Mapped[str | None] = mapped_column(CODE, nullable=True)
    phone: Mapped[str] = mapped_column(String(32), default="")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str | None] = mapped_column(String(256), nullable=True)
    api_key_hash: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    api_key_revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class TeamMember(SyncedMixin, Base):
    """A member of a zone's comprehensive enforcement team (综合行政执法队)."""

    __tablename__ = "team_member"
    zone_id: Mapped[str] = mapped_column(CODE, index=True)
    name: Mapped[str] = mapped_column(String(32))
    origin: Mapped[str] = mapped_column(String(32))  # MemberOrigin
    origin_department_code: Mapped[str | None] = mapped_column(CODE, nullable=True)
    is_auxiliary: Mapped[bool] = mapped_column(Boolean, default=False)
    cert_no: Mapped[str | None] = mapped_column(String(32), nullable=True)
    cert_expiry: Mapped[date | None] = mapped_column(Date, nullable=True)
    capabilities: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="available")  # MemberStatus
    status_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    phone: Mapped[str] = mapped_column(String(32), default="")
    user_id: Mapped[str | None] = mapped_column(ID, nullable=True)


class RosterEntry(SyncedMixin, Base):
    """A duty-roster (排班) entry: one member on one shift of one day."""

    __tablename__ = "roster_entry"
    zone_id: Mapped[str] = mapped_column(CODE, index=True)
    member_id: Mapped[str] = mapped_column(ID, index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    shift: Mapped[str] = mapped_column(String(16), default="day")  # day / night / full
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime)


class MemberLoan(SyncedMixin, Base):
    """A time-limited loan of a member to a busier neighbouring zone (忙闲不均)."""

    __tablename__ = "member_loan"
    member_id: Mapped[str] = mapped_column(ID, index=True)
    from_zone_id: Mapped[str] = mapped_column(CODE)
    to_zone_id: Mapped[str] = mapped_column(CODE)
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(Text, default="")


class Module(SyncedMixin, Base):
    """A township module (模块) with its lead (牵头人负责制)."""

    __tablename__ = "module"
    name: Mapped[str] = mapped_column(String(32))
    lead_user_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    lead_name: Mapped[str] = mapped_column(String(32), default="")
    members: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{"name":…, "department":…, "dispatched": bool}]
    wip_limit: Mapped[int] = mapped_column(Integer, default=8)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


# --------------------------------------------------------------------------- operational rows


class Report(SyncedMixin, Base):
    """What a grid worker (or the hotline, a sensor, …) reported. Immutable except its triage."""

    __tablename__ = "report"
    __table_args__ = (Index("ix_report_township_state", "township_code", "state", "reported_at"),)
    number: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True)
    source: Mapped[str] = mapped_column(String(32))  # ReportSource
    category_code: Mapped[str] = mapped_column(CODE)
    description: Mapped[str] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    address: Mapped[str] = mapped_column(String(256), default="")
    grid_id: Mapped[str | None] = mapped_column(CODE, nullable=True)
    reporter_user_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    reporter_name: Mapped[str] = mapped_column(String(64), default="")
    reporter_phone: Mapped[str] = mapped_column(String(32), default="")
    reporter_email: Mapped[str] = mapped_column(String(128), default="")  # Open311 contact, never in description
    reported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    photos: Mapped[list[Any]] = mapped_column(JSON, default=list)  # content hashes
    urgency_hint: Mapped[str | None] = mapped_column(String(4), nullable=True)
    state: Mapped[str] = mapped_column(String(16), default="new")  # ReportState
    incident_id: Mapped[str | None] = mapped_column(ID, nullable=True, index=True)
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    triaged_by: Mapped[str | None] = mapped_column(ID, nullable=True)
    triaged_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    external_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)  # Open311 token etc.
    # handed over by the township it first landed in (a point near an approximate boundary)
    transferred_from: Mapped[str | None] = mapped_column(CODE, nullable=True)
    transfer_reason: Mapped[str] = mapped_column(Text, default="")


class Incident(SyncedMixin, Base):
    """An accepted report (or several merged), routed by the responsibility list."""

    __tablename__ = "incident"
    __table_args__ = (
        # the incident list at a million rows: each filter reads its index range in creation order
        Index("ix_incident_township_state_created", "township_code", "state", "created_at"),
        Index("ix_incident_township_created", "township_code", "created_at"),
        Index("ix_incident_state_created", "state", "created_at"),
        Index("ix_incident_created", "created_at"),
        # the few deleted rows, so list queries need not read every row to skip them
        Index("ix_incident_deleted_rows", "deleted", sqlite_where=text("deleted"), postgresql_where=text("deleted")),
    )
    number: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True)
    title: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    category_code: Mapped[str] = mapped_column(CODE, index=True)
    zone_id: Mapped[str | None] = mapped_column(CODE, nullable=True, index=True)
    grid_id: Mapped[str | None] = mapped_column(CODE, nullable=True)
    source: Mapped[str] = mapped_column(String(32), default="grid_patrol")
    urgency: Mapped[str] = mapped_column(String(4), default="L3", index=True)
    state: Mapped[str] = mapped_column(String(32), default="pending_dispatch", index=True)
    lifecycle_epoch: Mapped[int] = mapped_column(Integer, default=0)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    address: Mapped[str] = mapped_column(String(256), default="")
    # routing, frozen from the list version in force at creation
    matter_code: Mapped[str | None] = mapped_column(CODE, nullable=True, index=True)
    matter_name: Mapped[str] = mapped_column(String(128), default="")
    matter_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    outside_list: Mapped[bool] = mapped_column(Boolean, default=False)  # 乡镇受理、县乡联办
    lead_department_code: Mapped[str | None] = mapped_column(CODE, nullable=True, index=True)
    township_duty: Mapped[str] = mapped_column(Text, default="")
    department_duty: Mapped[str] = mapped_column(Text, default="")
    is_enforcement: Mapped[bool] = mapped_column(Boolean, default=False)
    routing_override_reason: Mapped[str] = mapped_column(Text, default="")
    # assignment
    assignee_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)  # department / team
    assignee_code: Mapped[str | None] = mapped_column(CODE, nullable=True)
    # clocks (UTC); a None due means the clock does not apply
    ack_due: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    onsite_due: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    close_due: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    onsite_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    escalation_level: Mapped[str] = mapped_column(String(24), default="none")
    return_reason: Mapped[str] = mapped_column(Text, default="")
    counter_proposal: Mapped[str] = mapped_column(Text, default="")
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    report_count: Mapped[int] = mapped_column(Integer, default=1)
    photos_before: Mapped[list[Any]] = mapped_column(JSON, default=list)
    photos_after: Mapped[list[Any]] = mapped_column(JSON, default=list)
    verified_by: Mapped[str] = mapped_column(String(64), default="")
    # verified closure: who has verified this round ("grid_worker", "room"), and the room's stated reason
    # when it closed without what the rule asks (counted in the assessment)
    verifications: Mapped[list[Any]] = mapped_column(JSON, default=list)
    closure_override: Mapped[str] = mapped_column(Text, default="")
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    merged_into_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    search_text: Mapped[str] = mapped_column(Text, default="")  # unigram+bigram tokens for 1–2 char Chinese search


class TimelineEntry(SyncedMixin, Base):
    """Append-only history of an incident: who did what, when, from which workstation.

    ``at`` is when the person acted (``occurred_at``: the desk's corrected clock, bounded by the server);
    ``received_at`` when the server learned of it. ``entered_offline`` marks an entry uploaded well after
    it was made (离线录入); ``clock_untrusted`` one whose desk clock was off or had to be bounded.
    """

    __tablename__ = "timeline_entry"
    incident_id: Mapped[str] = mapped_column(ID, index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    received_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    entered_offline: Mapped[bool] = mapped_column(Boolean, default=False)
    clock_untrusted: Mapped[bool] = mapped_column(Boolean, default=False)
    actor_user_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    actor_name: Mapped[str] = mapped_column(String(64), default="")
    device_name: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(32), nullable=True)
    to_state: Mapped[str | None] = mapped_column(String(32), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Dispatch(SyncedMixin, Base):
    """An assignment of an incident to a department or to a zone team (and its members)."""

    __tablename__ = "dispatch"
    incident_id: Mapped[str] = mapped_column(ID, index=True)
    target_kind: Mapped[str] = mapped_column(String(16))  # DispatchTarget
    target_code: Mapped[str] = mapped_column(CODE)  # department code or zone id
    lead_member_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    member_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    joint_visit_id: Mapped[str | None] = mapped_column(ID, nullable=True, index=True)
    state: Mapped[str] = mapped_column(String(16), default="assigned")  # DispatchState
    lifecycle_epoch: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    assigned_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    en_route_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    on_scene_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # 代录: the township room recorded the department's 签收 on its behalf (phoned in); who typed it and why
    proxy_by: Mapped[str] = mapped_column(String(64), default="", server_default="")
    proxy_reason: Mapped[str] = mapped_column(Text, default="", server_default="")


class OneThingCase(SyncedMixin, Base):
    """A running one-thing case: lead department, check-ins, steps, time limit."""

    __tablename__ = "one_thing_case"
    number: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True)
    type_code: Mapped[str] = mapped_column(CODE)
    title: Mapped[str] = mapped_column(String(128))
    incident_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    lead_department_code: Mapped[str] = mapped_column(CODE)
    state: Mapped[str] = mapped_column(String(16), default="ordered")  # CaseState
    lifecycle_epoch: Mapped[int] = mapped_column(Integer, default=0)
    ordered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(DateTime)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    escalation_level: Mapped[str] = mapped_column(String(24), default="none")
    note: Mapped[str] = mapped_column(Text, default="")
    # documents and images attached (case.attach): [{sha256, name, mime, size, by, at}], in the order attached;
    # the files travel like photos, by content hash
    attachments: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default="[]")


class CaseCheckin(SyncedMixin, Base):
    """A department's check-in (部门报到) to a case or a summons."""

    __tablename__ = "case_checkin"
    case_id: Mapped[str | None] = mapped_column(ID, nullable=True, index=True)
    card_id: Mapped[str | None] = mapped_column(ID, nullable=True, index=True)
    incident_id: Mapped[str | None] = mapped_column(ID, nullable=True, index=True)
    target_kind: Mapped[str] = mapped_column(String(16), default="department")  # department / module
    target_code: Mapped[str] = mapped_column(String(64))  # a department code or a module id
    state: Mapped[str] = mapped_column(String(16), default="waiting")  # CheckinState
    due_at: Mapped[datetime] = mapped_column(DateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_level: Mapped[str] = mapped_column(String(24), default="none")  # EscalationLevel
    note: Mapped[str] = mapped_column(Text, default="")
    # 代录: the township room recorded the department's 报到 on its behalf; who typed it and why
    proxy_by: Mapped[str] = mapped_column(String(64), default="", server_default="")
    proxy_reason: Mapped[str] = mapped_column(Text, default="", server_default="")


class CaseStep(SyncedMixin, Base):
    __tablename__ = "case_step"
    case_id: Mapped[str] = mapped_column(ID, index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    done_by: Mapped[str] = mapped_column(String(64), default="")
    done_by_user_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    # the step's own time limit (catalogue, working days); its clock starts when the step before it is done
    limit_days: Mapped[float | None] = mapped_column(Float, nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # set when the clock starts
    warned_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # 即将超时 given (once)
    escalation_level: Mapped[str] = mapped_column(String(24), default="none")


class TaskCard(SyncedMixin, Base):
    """A card on a module's kanban board."""

    __tablename__ = "task_card"
    module_id: Mapped[str] = mapped_column(ID, index=True)
    title: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text, default="")
    column: Mapped[str] = mapped_column(String(16), default="todo")  # CardColumn
    position: Mapped[float] = mapped_column(Float, default=0.0)
    lifecycle_epoch: Mapped[int] = mapped_column(Integer, default=0)
    lane: Mapped[str] = mapped_column(String(32), default="")  # department or zone swimlane
    assignee_user_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    assignee_name: Mapped[str] = mapped_column(String(64), default="")
    due_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    incident_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    case_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    auto_source: Mapped[str] = mapped_column(String(32), default="")  # overdue_incident / missed_checkin
    column_changed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class AssessmentRecord(SyncedMixin, Base):
    """Points for one cadre in one month on one dimension of the four-dimension assessment."""

    __tablename__ = "assessment_record"
    month: Mapped[str] = mapped_column(String(7), index=True)  # 2026-11
    subject_kind: Mapped[str] = mapped_column(String(16), default="cadre")  # cadre / department / township
    subject_code: Mapped[str] = mapped_column(String(64))
    subject_name: Mapped[str] = mapped_column(String(64), default="")
    dimension: Mapped[str] = mapped_column(String(16))  # AssessmentDimension, or "veto"
    module_id: Mapped[str | None] = mapped_column(ID, nullable=True)  # the rating module (模块评分)
    points: Mapped[float] = mapped_column(Float, default=0.0)
    note: Mapped[str] = mapped_column(Text, default="")
    given_by: Mapped[str] = mapped_column(String(64), default="")


class Dispute(SyncedMixin, Base):
    """A contested return (推诿) between a township and a county department, for the county to arbitrate.

    Lives in the incident's township bucket and the department's. ``due_at`` is the arbitration time limit in working time
    (:func:`commandroom.domain.clocks.dispute_due`); past it, undecided, the scheduler escalates it.
    """

    __tablename__ = "dispute"
    incident_id: Mapped[str] = mapped_column(ID, index=True)
    department_code: Mapped[str] = mapped_column(CODE, index=True)  # the department on the other side
    matter_code: Mapped[str | None] = mapped_column(CODE, nullable=True)  # the incident's list matter then
    opened_by_side: Mapped[str] = mapped_column(String(16))  # township / department: who contests
    opened_by: Mapped[str] = mapped_column(String(64), default="")
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    # the return (or refusal) being contested, and the contest
    return_side: Mapped[str] = mapped_column(String(16))  # township / department: who returned
    return_reason: Mapped[str] = mapped_column(Text, default="")
    proposed_matter_code: Mapped[str | None] = mapped_column(CODE, nullable=True)
    proposed_department_code: Mapped[str | None] = mapped_column(CODE, nullable=True)
    counter_proposal: Mapped[str] = mapped_column(Text, default="")
    contest_reason: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open / escalated / decided
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # the county's decision
    handler_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)  # township / department
    handler_department_code: Mapped[str | None] = mapped_column(CODE, nullable=True)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(64), default="")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    upheld: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # was the return upheld?


class Handover(SyncedMixin, Base):
    """A shift handover (交接班), signed off by both officers."""

    __tablename__ = "handover"
    outgoing_user_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    outgoing_name: Mapped[str] = mapped_column(String(64), default="")
    incoming_name: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notes: Mapped[str] = mapped_column(Text, default="")
    signed_out_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    signed_in_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class ConflictRecord(SyncedMixin, Base):
    """A value the server overwrote or a rule that intervened; users can see these."""

    __tablename__ = "conflict_record"
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(ID, index=True)
    field: Mapped[str] = mapped_column(String(64), default="")
    kept_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    lost_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    rule: Mapped[str] = mapped_column(String(32))
    mutation_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    origin_device: Mapped[str] = mapped_column(String(64), default="")
    by_user_name: Mapped[str] = mapped_column(String(64), default="")
    explanation: Mapped[str] = mapped_column(Text, default="")
    # what the record was called when this was written (number and title): a desk that no longer holds
    # the record (closed and compacted, moved to another township) still names it
    record_label: Mapped[str] = mapped_column(String(300), default="", server_default="")


class Photo(Base):
    """A photo stored by content hash; thumbnails are fetched first, full images on demand."""

    __tablename__ = "photo"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    mime: Mapped[str] = mapped_column(String(100))  # Office documents' types are long
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    thumbnail: Mapped[bytes | None] = mapped_column(nullable=True)
    has_full: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# --------------------------------------------------------------------------- server-only bookkeeping


class SyncCounter(Base):
    """One row: the head of the change sequence and the epoch (new after a restore)."""

    __tablename__ = "srv_sync_counter"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    head: Mapped[int] = mapped_column(BigInteger, default=0)
    epoch: Mapped[str] = mapped_column(ID, default=new_id)
    restored_head: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    human_serials: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ChangeLog(Base):
    """Ordered change log that clients pull by (bucket, seq) cursor."""

    __tablename__ = "srv_change_log"
    __table_args__ = (Index("ix_change_bucket_seq", "bucket", "seq"),)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    bucket: Mapped[str] = mapped_column(String(48))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    op: Mapped[str] = mapped_column(String(8))  # upsert / delete / remove
    row_version: Mapped[int] = mapped_column(BigInteger, default=0)
    fields: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    origin_device: Mapped[str | None] = mapped_column(String(64), nullable=True)
    origin_mutation: Mapped[str | None] = mapped_column(ID, nullable=True)
    server_ts: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LostRace(Base):
    """Server only: a record a desk created offline that lost a race (two desks accepted one report).

    Work queued on it afterwards follows the winner or is explained naming it (``server/races.py``).
    """

    __tablename__ = "srv_lost_race"
    entity_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    entity_id: Mapped[str] = mapped_column(ID, primary_key=True)
    winner_type: Mapped[str] = mapped_column(String(32))
    winner_id: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ProcessedMutation(Base):
    """Exactly-once: the stored result of every mutation the server has seen."""

    __tablename__ = "srv_processed_mutation"
    mutation_id: Mapped[str] = mapped_column(ID, primary_key=True)
    device_id: Mapped[str] = mapped_column(ID, index=True)
    device_incarnation: Mapped[str] = mapped_column(ID)
    local_seq: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    name: Mapped[str] = mapped_column(String(48))
    payload_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # applied / merged / rejected
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    processed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # received_at
    occurred_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # bounded desk moment


class DeviceCursor(Base):
    """The last local_seq seen from each (device, incarnation)."""

    __tablename__ = "srv_device_cursor"
    device_id: Mapped[str] = mapped_column(ID, primary_key=True)
    incarnation: Mapped[str] = mapped_column(ID, primary_key=True)
    last_local_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    user_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    device_name: Mapped[str] = mapped_column(String(64), default="")
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)
    last_seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class BaseMap(Base):
    """One imported version of an offline base-map layer; its MBTiles file lives in ``<data dir>/basemaps``.

    Rows are never changed: a newer import of the same layer is the next version, and desks
    switch to the highest version of each layer. A refused import writes no row.
    """

    __tablename__ = "srv_base_map"
    __table_args__ = (UniqueConstraint("layer", "version", name="uq_srv_base_map_layer_version"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    layer: Mapped[str] = mapped_column(String(16))  # streets | imagery | labels
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    source_file: Mapped[str] = mapped_column(String(300))  # the imported file's name
    container: Mapped[str] = mapped_column(String(16))  # what came in: mbtiles | pmtiles
    tile_format: Mapped[str] = mapped_column(String(8))  # png | jpg | webp | pbf
    crs: Mapped[str] = mapped_column(String(8))  # wgs84 | gcj02
    min_zoom: Mapped[int] = mapped_column(Integer)
    max_zoom: Mapped[int] = mapped_column(Integer)
    west: Mapped[float] = mapped_column(Float)
    south: Mapped[float] = mapped_column(Float)
    east: Mapped[float] = mapped_column(Float)
    north: Mapped[float] = mapped_column(Float)
    tile_count: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(BigInteger)  # bytes of the kept MBTiles file
    sha256: Mapped[str] = mapped_column(String(64))  # of the kept MBTiles file, names it on disk
    attribution: Mapped[str] = mapped_column(String(300), default="")
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class DeviceToken(Base):
    """A per-device access token (short) and refresh token (long); stored as hashes."""

    __tablename__ = "srv_device_token"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("user_account.id"), index=True)
    device_id: Mapped[str] = mapped_column(ID, index=True)
    device_name: Mapped[str] = mapped_column(String(64), default="")
    access_hash: Mapped[str] = mapped_column(String(64), index=True)
    refresh_hash: Mapped[str] = mapped_column(String(64), index=True)
    access_expires_at: Mapped[datetime] = mapped_column(DateTime)
    refresh_expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LoginAttempt(Base):
    __tablename__ = "srv_login_attempt"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    success: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditEntry(Base):
    """Hash-chained audit log of every applied mutation."""

    __tablename__ = "srv_audit"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    user_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    device_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    mutation_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    action: Mapped[str] = mapped_column(String(48))
    entity_type: Mapped[str] = mapped_column(String(32), default="")
    entity_id: Mapped[str] = mapped_column(String(64), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class JobRun(Base):
    """One run of a county-server scheduler job (commandroom.server.scheduler), keyed by its slot.

    The unique (job, slot_at) row is what makes a run happen once: a second scheduler that reaches
    the same slot finds it. ``finished_at`` None means the run was interrupted (the next leader
    resumes it; each act is idempotent).
    """

    __tablename__ = "srv_job_run"
    __table_args__ = (UniqueConstraint("job", "slot_at"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    job: Mapped[str] = mapped_column(String(32), index=True)
    slot_at: Mapped[datetime] = mapped_column(DateTime)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    runner: Mapped[str] = mapped_column(String(64), default="")
    acts: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")


# --------------------------------------------------------------------------- notices that leave the room


class NoticeChannel(Base):
    """A way out of the room: a group robot webhook, an SMS gateway or an SMTP server.

    ``config`` holds the endpoint and its secret; it never leaves the server and is never logged.
    """

    __tablename__ = "srv_notice_channel"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # robot / sms / email
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class NoticeRule(Base):
    """Which event goes out through which channel, for one township or (None) the whole county."""

    __tablename__ = "srv_notice_rule"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    event_kind: Mapped[str] = mapped_column(String(32), index=True)
    channel_id: Mapped[str] = mapped_column(ID)
    township_code: Mapped[str | None] = mapped_column(CODE, nullable=True)
    __table_args__ = (UniqueConstraint("event_kind", "channel_id", "township_code"),)


class NoticeContact(Base):
    """Where a person is reached, as the person (or the county for them) set it."""

    __tablename__ = "srv_notice_contact"
    user_id: Mapped[str] = mapped_column(ID, primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), default="")
    email: Mapped[str] = mapped_column(String(128), default="")
    muted_kinds: Mapped[list[Any]] = mapped_column(JSON, default=list)  # channel kinds the person opted out of


class Notice(Base):
    """One message to one address through one channel, and what became of it (the delivery log)."""

    __tablename__ = "srv_notice"
    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    event_kind: Mapped[str] = mapped_column(String(32))
    township_code: Mapped[str | None] = mapped_column(CODE, nullable=True)
    subject_type: Mapped[str] = mapped_column(String(32), default="")
    subject_id: Mapped[str] = mapped_column(ID, default="")
    channel_id: Mapped[str] = mapped_column(ID)
    channel_kind: Mapped[str] = mapped_column(String(16))
    recipient_name: Mapped[str] = mapped_column(String(64), default="")
    address: Mapped[str] = mapped_column(String(128), default="")  # phone / e-mail; "" for a group post
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending / sent / failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    __table_args__ = (
        Index("ix_srv_notice_due", "status", "next_attempt_at"),
        Index("ix_srv_notice_township_created", "township_code", "created_at"),
    )


# --------------------------------------------------------------------------- client-only bookkeeping


class OutboxEntry(Base):
    """A named mutation waiting to be pushed, written in the same transaction as its local effect.

    After acknowledgement it stays as the acked journal for 14 days (server-restore recovery).
    """

    __tablename__ = "local_outbox"
    mutation_id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    local_seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    device_incarnation: Mapped[str] = mapped_column(ID)
    user_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    name: Mapped[str] = mapped_column(String(48))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    base_versions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_local_ts: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # occurred_at, corrected
    clock_skew: Mapped[str] = mapped_column(String(8), default="")  # "" / warn / bad / unknown at that moment
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending/acked/rejected/merged
    server_result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    acked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    acked_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    acked_epoch: Mapped[str | None] = mapped_column(ID, nullable=True)
    schema_version: Mapped[int] = mapped_column(Integer, default=1)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    dismissed: Mapped[bool] = mapped_column(Boolean, default=False)
    # what the record was called when the officer acted (number and title), for a rejection shown after the
    # desk stopped holding the record
    record_label: Mapped[str] = mapped_column(String(300), default="", server_default="")


class SyncCursor(Base):
    """The client's cursor per bucket, written in the same transaction as the page it covers."""

    __tablename__ = "local_sync_cursor"
    bucket: Mapped[str] = mapped_column(String(48), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    epoch: Mapped[str | None] = mapped_column(ID, nullable=True)


class LocalMeta(Base):
    """Key/value facts about this workstation: device id, incarnation, epoch, last sync…"""

    __tablename__ = "local_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)


SYNCED_MODELS: dict[str, type[Base]] = {
    m.__tablename__: m
    for m in (
        Report,
        Incident,
        TimelineEntry,
        Dispatch,
        OneThingCase,
        CaseCheckin,
        CaseStep,
        TaskCard,
        AssessmentRecord,
        Dispute,
        Handover,
        ConflictRecord,
        TeamMember,
        RosterEntry,
        MemberLoan,
        Module,
    )
}
"""Operational tables replicated per township bucket, by entity_type name."""

REFERENCE_MODELS: dict[str, type[Base]] = {
    m.__tablename__: m
    for m in (
        Zone,
        Township,
        Village,
        Grid,
        Department,
        EventCategory,
        UrgencyLevel,
        CalendarYear,
        MatterListVersion,
        Matter,
        MatterListAmendment,
        OneThingType,
    )
}
"""Reference tables replicated to every client in the county:shared bucket."""


def row_to_dict(obj: Base) -> dict[str, Any]:
    """Column values of a row as JSON-ready values (datetimes and dates as ISO text)."""
    out: dict[str, Any] = {}
    for col in obj.__table__.columns:
        value = getattr(obj, col.key)
        if isinstance(value, datetime | date):
            value = value.isoformat()
        elif isinstance(value, bytes):
            continue
        out[col.key] = value
    return out


def record_label(session: Any, entity_type: str, entity_id: str) -> str:
    """'QC-2026-000123「违停」' — a record as the officer knows it (never its id); "" when not held here."""
    model = SYNCED_MODELS.get(entity_type)
    row = session.get(model, entity_id) if model is not None and entity_id else None
    if row is None:
        return ""
    number = getattr(row, "number", None)
    title = getattr(row, "title", None) or getattr(row, "name", None)
    if title:
        return (f"{number}「{title}」" if number else f"「{title}」")[:300]
    return str(number or "")[:300]
