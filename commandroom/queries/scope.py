"""Which townships and zones an actor sees — the one definition the desk's screens and the sync use.

A user's scope is set by the role when the account is made (``commandroom.server.users``):

* ``county`` — the whole county: every township, every zone (``None`` below means "all");
* ``zone`` — the member townships of one enforcement zone (片区), and that zone;
* ``township`` — one township, and the zones it belongs to.

A department liaison (``county`` scope with a ``department_code``) is narrowed further: its desk
holds only its department's work across all townships (:func:`departments_of_rows` says which rows
that is; :mod:`commandroom.sync.buckets` puts them in ``department:<code>``).

The server hands a workstation only the rows of its scope (:mod:`commandroom.sync.buckets` builds
its buckets from :func:`township_codes`), and every screen narrows its reads to
:func:`townships_of`. Add new kinds of scope (departments, roles) here, not on a screen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, literal, null, select, union_all
from sqlalchemy.orm import Session

from commandroom.domain.enums import Role, ScopeKind
from commandroom.domain.models import CaseCheckin, Dispatch, Incident, OneThingCase, Township, User, Zone
from commandroom.mutations.core import Actor
from commandroom.permissions import Acting
from commandroom.store.protocol import ReadStore


def is_county(actor: Actor) -> bool:
    """True when ``actor`` sees the whole county."""
    return actor.scope_kind == ScopeKind.COUNTY.value


def home_township(actor: Actor) -> str | None:
    """The township the actor sits in (a zone leader's is the zone's hub); None for a county user without one."""
    return actor.township_code or (actor.scope_code if actor.scope_kind == ScopeKind.TOWNSHIP.value else None)


def township_codes(session: Session, scope_kind: str, scope_code: str | None) -> list[str]:
    """Every township of a scope, sorted: all of them, the zone's members, or the one township."""
    if scope_kind == ScopeKind.COUNTY:
        return list(session.scalars(select(Township.code).order_by(Township.code)))
    if scope_kind == ScopeKind.ZONE:
        zone = session.get(Zone, scope_code) if scope_code else None
        return sorted({*(zone.member_codes or []), zone.hub_code} - {None, ""}) if zone else []
    return [scope_code] if scope_code else []


def zone_ids(session: Session, scope_kind: str, scope_code: str | None) -> list[str]:
    """Every zone of a scope: all, the one zone, or the zones the township belongs to."""
    if scope_kind == ScopeKind.COUNTY:
        return list(session.scalars(select(Zone.id).order_by(Zone.id)))
    if scope_kind == ScopeKind.ZONE:
        return [scope_code] if scope_code else []
    return sorted(zid for zid, members in session.execute(select(Zone.id, Zone.member_codes))
                  if scope_code in (members or []))


def townships_of(actor: Actor, session: Session | None) -> tuple[str, ...] | None:
    """The townships ``actor`` sees: None for the whole county, else a tuple (empty: none).

    ``session`` is only read for a zone scope (its member townships).
    """
    if is_county(actor):
        return None
    kind, code = actor.scope_kind, actor.scope_code
    if kind == ScopeKind.ZONE and session is not None:
        members = township_codes(session, kind, code)
        if members:
            return tuple(members)
    own = actor.township_code or code
    return (own,) if own else ()


def scope_of(actor: Actor, store: ReadStore) -> tuple[str, ...] | None:
    """:func:`townships_of`, reading the zone's members from ``store`` when needed."""
    if actor.scope_kind != ScopeKind.ZONE.value:
        return townships_of(actor, None)  # no read needed
    with store.read() as session:
        return townships_of(actor, session)


@dataclass(frozen=True)
class Scope:
    """An actor's townships and zones, resolved once (None: all of them)."""

    townships: tuple[str, ...] | None
    zones: tuple[str, ...] | None

    def sees_township(self, code: str | None) -> bool:
        return self.townships is None or code in self.townships

    def narrow(self, codes: Sequence[str] | None) -> tuple[str, ...] | None:
        """``codes`` (a filter; None: no filter) limited to this scope."""
        if codes is None:
            return self.townships
        return tuple(c for c in codes if self.sees_township(c))


def resolve(actor: Actor, session: Session) -> Scope:
    """The actor's :class:`Scope`."""
    if is_county(actor):
        return Scope(None, None)
    kind, code = actor.scope_kind, actor.scope_code
    towns = townships_of(actor, session)
    if kind == ScopeKind.TOWNSHIP:
        code = code or actor.township_code
    return Scope(towns, tuple(zone_ids(session, kind, code)))


def township_names(store: ReadStore, codes: Sequence[str] | None) -> list[str]:
    """The names of ``codes``, in their order (a code the store does not know stays a code)."""
    if not codes:
        return []
    with store.read() as session:
        names = dict(session.execute(select(Township.code, Township.name).where(Township.code.in_(list(codes)))).all())
    return [names.get(c, c) for c in codes]


def scope_title(store: ReadStore, codes: Sequence[str] | None) -> str:
    """The townships of a scope as a title ("球川镇、新昌乡"); "" for the whole county (None)."""
    return "、".join(township_names(store, codes))


# --------------------------------------------------------------------------- a department's work


DEPARTMENT_TABLES = frozenset({"incident", "timeline_entry", "dispatch", "report", "one_thing_case", "case_step",
                               "case_checkin", "dispute"})


def department_of(actor: Acting | User) -> str | None:
    """The department whose desk this is: a liaison's department; None for every other desk.

    A liaison account holds no other role (``commandroom.server.users``), so its whole view is the department's.
    """
    roles = (actor.role, *(actor.roles or ()))
    code = actor.department_code
    return code if code and Role.DEPARTMENT_LIAISON.value in roles else None


def incident_departments(session: Session, incident_ids: Iterable[str] | None) -> dict[str, set[str]]:
    """Per incident: the departments it is work of — lead (by the list), assignee, a department dispatch,
    a summons (吹哨) of a department, or a one-thing case on it. ``None``: every incident (the seed's backfill)."""
    return department_links(session, incident_ids, [])[0]


def case_departments(session: Session, case_ids: Iterable[str] | None) -> dict[str, set[str]]:
    """Per one-thing case: its lead department and every department called to check in (the collaborators)."""
    return department_links(session, [], case_ids)[1]


def _wanted(ids: Iterable[str] | None) -> list[str] | None:
    return None if ids is None else sorted({i for i in ids if i})


def department_links(session: Session, incident_ids: Iterable[str] | None,
                     case_ids: Iterable[str] | None) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """:func:`incident_departments` and :func:`case_departments` of these ids in one statement (``None``: all).

    The server asks this for the rows of every write it logs, under the counter lock: one round trip, not six.
    """
    incidents, cases = _wanted(incident_ids), _wanted(case_ids)
    by_incident: dict[str, set[str]] = {}
    by_case: dict[str, set[str]] = {}
    if incidents == [] and cases == []:
        return by_incident, by_case

    def among(col: Any, ids: list[str] | None) -> Any:
        return col.is_not(None) if ids is None else col.in_(ids)

    def row(kind: str, key: Any, code: Any, extra: Any = None, extra2: Any = None) -> Any:
        blank = cast(null(), String)
        return select(literal(kind, String).label("kind"), key.label("key"), cast(code, String).label("code"),
                      (blank if extra is None else extra).label("extra"),
                      (blank if extra2 is None else extra2).label("extra2"))

    department = "department"
    parts = []
    if incidents != []:
        parts += [
            row("incident", Incident.id, Incident.lead_department_code, Incident.assignee_kind,
                Incident.assignee_code).where(among(Incident.id, incidents)),
            row("dispatch", Dispatch.incident_id, Dispatch.target_code)
            .where(among(Dispatch.incident_id, incidents), Dispatch.target_kind == department),
            row("summons", CaseCheckin.incident_id, CaseCheckin.target_code)
            .where(among(CaseCheckin.incident_id, incidents), CaseCheckin.target_kind == department),
            # its one-thing cases bring their departments: the lead, and every department summoned to them
            row("case_lead", OneThingCase.incident_id, OneThingCase.lead_department_code)
            .where(among(OneThingCase.incident_id, incidents)),
            row("case_summons", OneThingCase.incident_id, CaseCheckin.target_code)
            .join_from(CaseCheckin, OneThingCase, OneThingCase.id == CaseCheckin.case_id)
            .where(among(OneThingCase.incident_id, incidents), CaseCheckin.target_kind == department),
        ]
    if cases != []:
        parts += [
            row("lead", OneThingCase.id, OneThingCase.lead_department_code).where(among(OneThingCase.id, cases)),
            row("checkin", CaseCheckin.case_id, CaseCheckin.target_code)
            .where(among(CaseCheckin.case_id, cases), CaseCheckin.target_kind == department),
        ]
    found: list[tuple[str, str, str, str | None, str | None]] = [tuple(r) for r in session.execute(union_all(*parts))]
    for kind, key, code, extra, extra2 in found:
        if kind == "incident":
            got = by_incident.setdefault(key, set())
            if code:
                got.add(code)
            if extra == department and extra2:
                got.add(extra2)
        elif kind == "dispatch":
            by_incident.setdefault(key, set()).add(code)
        elif kind in ("summons", "case_lead", "case_summons"):
            if key:
                by_incident.setdefault(key, set()).add(code)
        elif kind == "lead" or key:  # a case's lead, or a department summoned to a case
            by_case.setdefault(key, set()).add(code)
    return by_incident, by_case


@dataclass
class DepartmentLinks:
    """Incident and case → departments, read once for many rows."""

    incidents: dict[str, set[str]]
    cases: dict[str, set[str]]

    @classmethod
    def everything(cls, session: Session) -> DepartmentLinks:
        return cls(*department_links(session, None, None))

    @classmethod
    def for_rows(cls, session: Session, rows: Sequence[tuple[str, Mapping[str, Any]]]) -> DepartmentLinks:
        return cls(*department_links(session, *cls.ids_of(rows)))

    @staticmethod
    def ids_of(rows: Sequence[tuple[str, Mapping[str, Any]]]) -> tuple[set[str], set[str]]:
        """The incident and case ids whose departments these rows' departments depend on."""
        incidents: set[str] = set()
        cases: set[str] = set()
        for table, values in rows:
            if table == "incident":
                incidents.add(values["id"])
            elif table in ("timeline_entry", "dispatch", "report", "case_checkin", "dispute"):
                incidents.add(values.get("incident_id") or "")
            if table == "one_thing_case":
                cases.add(values["id"])
            elif table in ("case_step", "case_checkin"):
                cases.add(values.get("case_id") or "")
        return incidents, cases

    def of(self, table: str, values: Mapping[str, Any]) -> set[str]:
        """The departments a row of ``table`` is work of (empty: none — the row stays on township desks)."""
        if table not in DEPARTMENT_TABLES:
            return set()
        if table == "incident":
            return set(self.incidents.get(values["id"], ()))
        if table == "one_thing_case":
            return set(self.cases.get(values["id"], ()))
        if table == "case_step":
            return set(self.cases.get(values.get("case_id") or "", ()))
        out = set(self.incidents.get(values.get("incident_id") or "", ()))
        if table == "dispute" and values.get("department_code"):  # the department on the other side sees it
            out.add(values["department_code"])
        if table == "case_checkin":
            out |= self.cases.get(values.get("case_id") or "", set())
        if table in ("case_checkin", "dispatch") and values.get("target_kind") == "department" \
                and values.get("target_code"):
            out.add(values["target_code"])
        return out


def departments_of_rows(session: Session, rows: Sequence[tuple[str, Mapping[str, Any]]]) -> list[set[str]]:
    """For each ``(table, values)``: the departments whose desks hold the row."""
    links = DepartmentLinks.for_rows(session, rows)
    return [links.of(table, values) for table, values in rows]


def is_department_work(session: Session, department: str, table: str, values: Mapping[str, Any]) -> bool:
    """Is this row the department's work (what its desk may read and act on)?"""
    return department in departments_of_rows(session, [(table, values)])[0]
