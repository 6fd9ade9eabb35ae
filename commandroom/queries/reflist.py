"""Reads behind responsibility-list management (属地管理事项清单, 动态调整). Qt-free core code.

The county centre never edits a version in place: it copies the version in force,
edits the copy, picks the date from which the new version applies, checks the diff
against the version in force and publishes (``reflist.publish_version``). Everyone else
reads the versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from commandroom.domain.models import Department, EventCategory, Matter, MatterListAmendment, OneThingType
from commandroom.mutations.core import Actor
from commandroom.services import reflist as svc
from commandroom.store.protocol import ReadStore

EDITOR_ROLES = ("county_coordinator", "admin")


def can_edit(actor: Actor) -> bool:
    """Only the county governance centre (and an administrator) publishes list versions."""
    return actor.role in EDITOR_ROLES


@dataclass(frozen=True)
class VersionRow:
    id: str
    version: int
    effective_from: date
    title: str
    note: str
    illustrative: bool
    matters: int
    status: str  # in_force / scheduled / past


def versions(store: ReadStore, today: date) -> list[VersionRow]:
    """Every list version, newest first, with its status on ``today`` (Shanghai calendar day)."""
    with store.read() as session:
        counts = dict(session.execute(select(Matter.version_id, func.count()).group_by(Matter.version_id)).all())
        in_force = svc.version_on(session, today)
        out = []
        for v in svc.versions(session):
            if in_force is not None and v.id == in_force.id:
                status = "in_force"
            elif v.effective_from > today:
                status = "scheduled"
            else:
                status = "past"
            out.append(VersionRow(v.id, v.version, v.effective_from, v.title or "", v.note or "",
                                  bool(v.illustrative), int(counts.get(v.id, 0)), status))
    return sorted(out, key=lambda r: -r.version)


@dataclass(frozen=True)
class MatterRow:
    """One matter of a version, as the read-only table shows it (``data`` is the full dict)."""

    id: str  # the matter code
    data: dict[str, Any]


def matters(store: ReadStore, version: int) -> list[MatterRow]:
    with store.read() as session:
        v = svc.version_by_number(session, version)
        if v is None:
            return []
        return [MatterRow(m.code, svc.matter_dict(m)) for m in svc.matters_of(session, v)]


@dataclass(frozen=True)
class Draft:
    """The start of a new version: a copy of the version in force and the header's defaults."""

    base_version: int | None
    base_matters: list[dict[str, Any]]
    number: int
    earliest: date  # the first allowed effective date
    title: str
    start_matters: list[dict[str, Any]] | None = None  # the editor's start when not the base (an amendment)
    amendment_id: str = ""  # the proposed amendment (清单调整建议) this draft publishes
    note: str = ""


def new_draft(store: ReadStore, today: date) -> Draft:
    """Copy the version in force (else the latest) as the start of the next version."""
    with store.read() as session:
        all_versions = svc.versions(session)
        base = svc.version_on(session, today) or (all_versions[-1] if all_versions else None)
        base_matters = [svc.matter_dict(m) for m in svc.matters_of(session, base)] if base else []
        top = max((v.version for v in all_versions), default=0)
        latest = max((v.effective_from for v in all_versions), default=None)
    earliest = max(today, latest + timedelta(days=1)) if latest else today
    title = base.title if base is not None else ""
    return Draft(base.version if base else None, base_matters, top + 1, earliest, title)


@dataclass(frozen=True)
class AmendmentRow:
    """A proposed amendment (清单调整建议) as the list screen shows it."""

    id: str
    title: str
    reason: str
    quarter: str
    state: str  # draft / published
    published_version: int | None
    disputes: int


def amendments(store: ReadStore) -> list[AmendmentRow]:
    """The proposed amendments, drafts first, newest first."""
    with store.read() as session:
        rows = list(session.scalars(select(MatterListAmendment)))
    rows.sort(key=lambda a: (a.state != "draft", -a.created_at.timestamp() if a.created_at else 0, a.id))
    return [AmendmentRow(a.id, a.title, a.reason, a.quarter, a.state, a.published_version, len(a.dispute_ids or []))
            for a in rows]


def amendment_draft(store: ReadStore, today: date, amendment_id: str) -> Draft | None:
    """A new draft from the version in force with the amendment's proposed matter in it; None if it is gone."""
    base = new_draft(store, today)
    with store.read() as session:
        row = session.get(MatterListAmendment, amendment_id)
        if row is None or row.state != "draft":
            return None
        proposed, title = dict(row.matter or {}), row.title
    start = [proposed if m["code"] == proposed.get("code") else m for m in base.base_matters]
    if not any(m["code"] == proposed.get("code") for m in base.base_matters):
        start.append(proposed)
    return Draft(base.base_version, base.base_matters, base.number, base.earliest, base.title,
                 start_matters=start, amendment_id=amendment_id, note=title)


@dataclass(frozen=True)
class Choices:
    departments: list[tuple[str, str]]
    categories: list[tuple[str, str]]
    one_things: list[tuple[str, str]]


def choices(store: ReadStore) -> Choices:
    with store.read() as session:
        return Choices(
            [(d.code, d.short_name) for d in session.scalars(select(Department).order_by(Department.code))],
            [(c.code, c.name) for c in session.scalars(select(EventCategory).order_by(EventCategory.code))],
            [(t.code, t.name) for t in session.scalars(select(OneThingType).order_by(OneThingType.code))],
        )


def check_draft(store: ReadStore, draft: list[dict[str, Any]]) -> str:
    """The first problem of a draft list (as ``reflist.publish_version`` will see it), or ""."""
    from commandroom.domain.errors import ValidationError

    with store.read() as session:
        try:
            svc.validate_matters(session, draft)
        except ValidationError as exc:
            return exc.message
    return ""


@dataclass(frozen=True)
class DiffRow:
    """One line of a diff: an added or removed matter, or one changed field of a matter."""

    id: str
    kind: str  # added / removed / changed
    code: str
    name: str
    field: str  # the changed field ("" for added/removed)
    old: Any
    new: Any


def diff_rows(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> tuple[list[DiffRow], dict[str, int]]:
    """The diff of two matter lists as rows, and the counts (added, removed, changed, unchanged)."""
    added, removed, changed, same = svc.diff_matters(old, new)
    rows: list[DiffRow] = []
    for m in added:
        rows.append(DiffRow(f"+{m['code']}", "added", m["code"], m.get("name", ""), "", "", m.get("name", "")))
    for m in removed:
        rows.append(DiffRow(f"-{m['code']}", "removed", m["code"], m.get("name", ""), "", m.get("name", ""), ""))
    for ch in changed:
        for f, (a, b) in ch.fields.items():
            rows.append(DiffRow(f"~{ch.code}:{f}", "changed", ch.code, ch.name, f, a, b))
    counts = {"added": len(added), "removed": len(removed), "changed": len(changed), "unchanged": same}
    return rows, counts
