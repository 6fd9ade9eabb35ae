"""Responsibility-list management (属地管理事项清单, 动态调整): versions, validation, diffs.

The county coordinator never edits a list in place: a change is a new version
with an ``effective_from`` date. Routing
(:func:`commandroom.services.routing.version_in_force`) picks, for an incident,
the version with the latest ``effective_from`` on or before the incident's
creation date in Asia/Shanghai, so incidents created before the date keep the
old routing and incidents created from that date use the new one.

A new version must:

* have a version number above every existing one;
* take effect strictly after every existing version's date (so date order and
  version order agree) and not before today (no retroactive change);
* list each matter code once; name known departments, event categories and
  one-thing types; ``default_for`` categories must be among the matter's own
  categories, and each category is the default of at most one matter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commandroom.domain.enums import Urgency
from commandroom.domain.errors import ValidationError
from commandroom.domain.models import Department, EventCategory, Matter, MatterListVersion, OneThingType

MATTER_FIELDS = (
    "name", "field", "category_codes", "default_for", "lead_department_code", "township_duty",
    "department_duty", "limits", "is_enforcement", "one_thing_code",
)
LIMIT_KEYS = {"ack_minutes", "onsite_minutes", "close_workdays", "working_time"}
MAX_MATTERS = 2000


def versions(session: Session) -> list[MatterListVersion]:
    return list(session.scalars(select(MatterListVersion).order_by(MatterListVersion.version)))


def version_by_number(session: Session, number: int) -> MatterListVersion | None:
    return session.scalars(select(MatterListVersion).where(MatterListVersion.version == number)).first()


def version_on(session: Session, day: date) -> MatterListVersion | None:
    """The version in force on a Shanghai calendar day."""
    return session.scalars(
        select(MatterListVersion)
        .where(MatterListVersion.effective_from <= day)
        .order_by(MatterListVersion.effective_from.desc(), MatterListVersion.version.desc())
        .limit(1)
    ).first()


def matters_of(session: Session, version: MatterListVersion) -> list[Matter]:
    return list(session.scalars(select(Matter).where(Matter.version_id == version.id).order_by(Matter.code)))


def matter_dict(m: Matter) -> dict[str, Any]:
    """A matter as the plain dict ``reflist.publish_version`` takes (the editor starts from these)."""
    return {
        "code": m.code,
        "name": m.name,
        "field": m.field,
        "category_codes": list(m.category_codes or []),
        "default_for": list(getattr(m, "default_for", None) or []),
        "lead_department_code": m.lead_department_code,
        "township_duty": m.township_duty,
        "department_duty": m.department_duty,
        "limits": dict(m.limits or {}),
        "is_enforcement": bool(m.is_enforcement),
        "one_thing_code": m.one_thing_code,
    }


# --------------------------------------------------------------------------- validation


def _text(item: dict[str, Any], key: str, where: str, *, required: bool, max_len: int) -> str:
    value = item.get(key)
    if value is None or value == "":
        if required:
            raise ValidationError(f"{where}.{key}", "is required")
        return ""
    if not isinstance(value, str):
        raise ValidationError(f"{where}.{key}", "must be text")
    value = value.strip()
    if required and not value:
        raise ValidationError(f"{where}.{key}", "must not be empty")
    if len(value) > max_len:
        raise ValidationError(f"{where}.{key}", f"is {len(value)} characters long; at most {max_len}")
    return value


def _codes(item: dict[str, Any], key: str, where: str) -> list[str]:
    value = item.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(c, str) and c for c in value):
        raise ValidationError(f"{where}.{key}", "must be a list of codes")
    return list(dict.fromkeys(value))


def _limits(item: dict[str, Any], where: str) -> dict[str, Any]:
    value = item.get("limits") or {}
    if not isinstance(value, dict):
        raise ValidationError(f"{where}.limits", "must be an object {L1: {ack_minutes, …}, …}")
    levels = {u.value for u in Urgency}
    out: dict[str, Any] = {}
    for level, clocks in value.items():
        if level not in levels:
            raise ValidationError(f"{where}.limits", f"'{level}' is not an urgency level ({', '.join(sorted(levels))})")
        if not isinstance(clocks, dict):
            raise ValidationError(f"{where}.limits.{level}", "must be an object")
        for k, val in clocks.items():
            if k not in LIMIT_KEYS:
                raise ValidationError(f"{where}.limits.{level}", f"unknown clock '{k}' ({', '.join(sorted(LIMIT_KEYS))})")
            if k == "working_time":
                if not isinstance(val, bool):
                    raise ValidationError(f"{where}.limits.{level}.{k}", "must be true or false")
            elif isinstance(val, bool) or not isinstance(val, int | float) or val < 0:
                raise ValidationError(f"{where}.limits.{level}.{k}", f"must be a number ≥ 0, got {val!r}")
        out[level] = dict(clocks)
    return out


def validate_matters(session: Session, raw: Any) -> list[dict[str, Any]]:
    """Check a full list of matter dicts; returns them normalised. Raises ValidationError naming the row."""
    if not isinstance(raw, list) or not raw:
        raise ValidationError("matters", "must be a non-empty list of matters (the full list of the version)")
    if len(raw) > MAX_MATTERS:
        raise ValidationError("matters", f"has {len(raw)} matters; at most {MAX_MATTERS}")
    departments = set(session.scalars(select(Department.code)))
    categories = set(session.scalars(select(EventCategory.code)))
    one_things = set(session.scalars(select(OneThingType.code)))
    seen: dict[str, int] = {}
    default_owner: dict[str, str] = {}
    out = []
    for i, item in enumerate(raw):
        where = f"matters[{i}]"
        if not isinstance(item, dict):
            raise ValidationError(where, "must be an object")
        unknown = sorted(set(item) - set(MATTER_FIELDS) - {"code"})
        if unknown:
            raise ValidationError(f"{where}.{unknown[0]}", f"unknown field (known: code, {', '.join(MATTER_FIELDS)})")
        code = _text(item, "code", where, required=True, max_len=32)
        where = f"matters[{i}] ({code})"
        if code in seen:
            raise ValidationError(f"{where}.code", f"duplicate code: also matters[{seen[code]}]")
        seen[code] = i
        m = {
            "code": code,
            "name": _text(item, "name", where, required=True, max_len=128),
            "field": _text(item, "field", where, required=False, max_len=32),
            "category_codes": _codes(item, "category_codes", where),
            "default_for": _codes(item, "default_for", where),
            "lead_department_code": _text(item, "lead_department_code", where, required=True, max_len=32),
            "township_duty": _text(item, "township_duty", where, required=True, max_len=4000),
            "department_duty": _text(item, "department_duty", where, required=True, max_len=4000),
            "limits": _limits(item, where),
            "is_enforcement": item.get("is_enforcement", False),
            "one_thing_code": _text(item, "one_thing_code", where, required=False, max_len=32) or None,
        }
        if not isinstance(m["is_enforcement"], bool):
            raise ValidationError(f"{where}.is_enforcement", "must be true or false")
        if m["lead_department_code"] not in departments:
            raise ValidationError(f"{where}.lead_department_code",
                                  f"unknown department '{m['lead_department_code']}'")
        if not m["category_codes"]:
            raise ValidationError(f"{where}.category_codes", "give at least one event category")
        for c in m["category_codes"]:
            if c not in categories:
                raise ValidationError(f"{where}.category_codes", f"unknown event category '{c}'")
        for c in m["default_for"]:
            if c not in m["category_codes"]:
                raise ValidationError(f"{where}.default_for", f"'{c}' is not one of the matter's category_codes")
            if c in default_owner:
                raise ValidationError(f"{where}.default_for",
                                      f"category '{c}' is already the default of matter {default_owner[c]}")
            default_owner[c] = code
        if m["one_thing_code"] and m["one_thing_code"] not in one_things:
            raise ValidationError(f"{where}.one_thing_code", f"unknown one-thing type '{m['one_thing_code']}'")
        out.append(m)
    return out


def validate_version_header(session: Session, number: int, effective_from: date, today: date) -> None:
    """The version number and date rules (module doc)."""
    existing = versions(session)
    if any(v.version == number for v in existing):
        raise ValidationError("version", f"version {number} already exists")
    top = max((v.version for v in existing), default=0)
    if number <= top:
        raise ValidationError("version", f"must be above the latest version {top}")
    latest_date = max((v.effective_from for v in existing), default=None)
    if latest_date is not None and effective_from <= latest_date:
        in_force = version_on(session, today)
        raise ValidationError(
            "effective_from",
            f"must be after {latest_date.isoformat()}, the date of the latest version"
            + (f" (version {in_force.version} is in force today)" if in_force else ""),
        )
    if effective_from < today:
        raise ValidationError("effective_from", f"{effective_from.isoformat()} is in the past; a list change "
                                                f"takes effect today ({today.isoformat()}) or later")


# --------------------------------------------------------------------------- diff


@dataclass(frozen=True)
class MatterChange:
    code: str
    name: str
    fields: dict[str, tuple[Any, Any]]  # field → (old, new)


@dataclass
class VersionDiff:
    old_version: int
    new_version: int
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: list[MatterChange] = field(default_factory=list)
    unchanged: int = 0

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


_SET_FIELDS = {"category_codes", "default_for"}


def _norm(field_name: str, value: Any) -> Any:
    if field_name in _SET_FIELDS:
        return sorted(value or [])
    if field_name == "limits":
        return value or {}
    return value


def diff_matters(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> tuple[list, list, list, int]:
    """(added, removed, changed, unchanged count) between two lists of matter dicts, by code."""
    a = {m["code"]: m for m in old}
    b = {m["code"]: m for m in new}
    added = [b[c] for c in sorted(set(b) - set(a))]
    removed = [a[c] for c in sorted(set(a) - set(b))]
    changed, same = [], 0
    for c in sorted(set(a) & set(b)):
        fields = {}
        for f in MATTER_FIELDS:
            x, y = _norm(f, a[c].get(f)), _norm(f, b[c].get(f))
            if x != y:
                fields[f] = (x, y)
        if fields:
            changed.append(MatterChange(c, b[c].get("name") or a[c].get("name", ""), fields))
        else:
            same += 1
    return added, removed, changed, same


def diff_versions(session: Session, old_version: int, new_version: int) -> VersionDiff:
    """Matters added, removed and changed (with the changed fields) from one version to another."""
    old = version_by_number(session, old_version)
    new = version_by_number(session, new_version)
    if old is None:
        raise LookupError(f"list version {old_version} does not exist")
    if new is None:
        raise LookupError(f"list version {new_version} does not exist")
    added, removed, changed, same = diff_matters(
        [matter_dict(m) for m in matters_of(session, old)], [matter_dict(m) for m in matters_of(session, new)]
    )
    return VersionDiff(old_version, new_version, added, removed, changed, same)


FIELD_LABELS = {
    "name": "事项名称", "field": "领域", "category_codes": "事件类别", "default_for": "默认类别",
    "lead_department_code": "牵头部门", "township_duty": "乡镇职责", "department_duty": "部门职责",
    "limits": "时限", "is_enforcement": "执法事项", "one_thing_code": "一件事",
}
