"""Verified closure (闭环): what closing an incident needs, and what is still missing.

Each event category may say what its incidents need before they count as closed, and a matter of the
responsibility list may say it more strictly for itself::

    {"photos": "none" | "after" | "before_after", "verify": "room" | "grid_worker" | "both"}

``photos`` — which photos must be on the incident (a report's photos count as "before");
``verify`` — who confirms the matter is really fixed: the room (a direct close or 核查 at the desk),
the grid worker of the incident's grid (核查 in the field app), or both.

The rules are reference data (``data/event_categories.json``, optional ``closure`` column of
``data/responsibility_list.csv``); the desk and the server judge with this one module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PHOTO_RULES = ("none", "after", "before_after")
VERIFY_RULES = ("room", "grid_worker", "both")
DEFAULT = {"photos": "none", "verify": "room"}

PHOTO_WORDS = {"none": "无需照片", "after": "需处置后照片", "before_after": "需处置前、处置后照片"}
VERIFY_WORDS = {"room": "指挥室核查", "grid_worker": "上报网格员核查", "both": "网格员和指挥室共同核查"}
VERIFIER_WORDS = {"room": "指挥室", "grid_worker": "网格员"}


def parse_rule(value: Any) -> tuple[dict[str, str] | None, list[str]]:
    """A rule from reference data (a dict, or the CSV form ``before_after/grid_worker``); (rule, problems)."""
    if value in (None, "", {}):
        return None, []
    if isinstance(value, str):
        photos, _, verify = value.strip().partition("/")
        value = {"photos": photos.strip(), "verify": verify.strip() or DEFAULT["verify"]}
    if not isinstance(value, dict):
        return None, [f"closure must be an object or 'photos/verify', got {value!r}"]
    problems = []
    photos = value.get("photos", DEFAULT["photos"])
    verify = value.get("verify", DEFAULT["verify"])
    if photos not in PHOTO_RULES:
        problems.append(f"closure photos must be one of {', '.join(PHOTO_RULES)}, got {photos!r}")
    if verify not in VERIFY_RULES:
        problems.append(f"closure verify must be one of {', '.join(VERIFY_RULES)}, got {verify!r}")
    return ({"photos": photos, "verify": verify} if not problems else None), problems


@dataclass(frozen=True)
class Requirement:
    """What closing one incident needs and what it still lacks, in the officer's words."""

    photos: str
    verify: str
    missing_before: bool
    missing_after: bool
    verified: tuple[str, ...]

    @property
    def verifiers(self) -> tuple[str, ...]:
        return ("grid_worker", "room") if self.verify == "both" else (self.verify,)

    def still_to_verify(self, by: str | None = None) -> list[str]:
        """The verifiers still missing, counting ``by`` as verifying now."""
        done = set(self.verified) | ({by} if by else set())
        return [v for v in self.verifiers if v not in done]

    @property
    def missing_photos(self) -> list[str]:
        out = []
        if self.missing_before:
            out.append("处置前照片")
        if self.missing_after:
            out.append("处置后照片")
        return out

    def describe(self) -> str:
        return f"{PHOTO_WORDS[self.photos]}，{VERIFY_WORDS[self.verify]}"

    def refusal(self, by: str | None) -> str | None:
        """Why closing now (verified by ``by``) is refused; None when nothing is missing."""
        parts = []
        if self.missing_photos:
            parts.append("缺少" + "、".join(self.missing_photos))
        waiting = self.still_to_verify(by)
        if waiting:
            parts.append("尚待" + "、".join(VERIFIER_WORDS[w] for w in waiting) + "核查")
        if not parts:
            return None
        return f"此类事项结案要求：{self.describe()}。目前{'；'.join(parts)}。"


def rule_for(session: Any, incident: Any) -> dict[str, str]:
    """The closure rule of an incident: its matter's (in the list version it was routed by), else its category's."""
    from sqlalchemy import select

    from commandroom.domain.models import EventCategory, Matter, MatterListVersion

    if incident.matter_code and incident.matter_version is not None:
        matter = session.scalars(select(Matter).join(MatterListVersion, Matter.version_id == MatterListVersion.id)
                                 .where(Matter.code == incident.matter_code,
                                        MatterListVersion.version == incident.matter_version)).first()
        if matter is not None and matter.closure:
            return {**DEFAULT, **matter.closure}
    category = session.get(EventCategory, incident.category_code) if incident.category_code else None
    if category is not None and category.closure:
        return {**DEFAULT, **category.closure}
    return dict(DEFAULT)


def requirement(session: Any, incident: Any, *, extra_before: int = 0, extra_after: int = 0) -> Requirement:
    """What closing ``incident`` needs now (``extra_*``: photos the act itself brings)."""
    rule = rule_for(session, incident)
    from sqlalchemy import select

    from commandroom.domain.models import Report

    before = len(incident.photos_before or []) + extra_before
    if not before:
        before = sum(len(r.photos or []) for r in session.scalars(
            select(Report).where(Report.incident_id == incident.id)))
    after = len(incident.photos_after or []) + extra_after
    return Requirement(
        photos=rule["photos"], verify=rule["verify"],
        missing_before=rule["photos"] == "before_after" and before == 0,
        missing_after=rule["photos"] in ("after", "before_after") and after == 0,
        verified=tuple(incident.verifications or ()),
    )
