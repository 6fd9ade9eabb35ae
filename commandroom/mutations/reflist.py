"""``reflist.publish_version``: the county coordinator publishes a new responsibility-list version.

Args: ``{version, effective_from: "YYYY-MM-DD", title, note?, illustrative?, matters: [full list], amendment_id?}``;
``amendment_id`` names the proposed amendment (清单调整建议) this version publishes, which is then marked so;
``entity_id`` is the new version's id. The rules are in :mod:`commandroom.services.reflist`.
Reference rows: the server lets only a county coordinator (or an admin) write them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from commandroom.domain.errors import ValidationError
from commandroom.domain.models import Matter, MatterListAmendment, MatterListVersion
from commandroom.mutations import validate as v
from commandroom.mutations.core import MutationContext, mutation
from commandroom.services import reflist as svc
from commandroom.services.teams import shanghai_date, stable_id


@mutation("reflist.publish_version", "matter_list_version", creates=True)
def publish_version(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """Publish a new version of the responsibility list, in force from ``effective_from``."""
    number = args.get("version")
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise ValidationError("version", f"must be a positive integer, got {number!r}")
    raw_date = args.get("effective_from")
    if not isinstance(raw_date, str):
        raise ValidationError("effective_from", "is required (YYYY-MM-DD)")
    try:
        effective = date.fromisoformat(raw_date)
    except ValueError:
        raise ValidationError("effective_from", f"'{raw_date}' is not a date YYYY-MM-DD") from None
    title = v.text(args, "title", max_len=128)
    note = v.text(args, "note", required=False, max_len=4000)
    illustrative = args.get("illustrative", False)
    if not isinstance(illustrative, bool):
        raise ValidationError("illustrative", "must be true or false")
    existing = ctx.session.get(MatterListVersion, entity_id)
    if existing is not None:
        if existing.version == number:
            ctx.mark_merged(f"清单第 {number} 版已发布")
            return
        raise ValidationError("entity_id", "already used by another list version")
    svc.validate_version_header(ctx.session, number, effective, shanghai_date(ctx.now))
    matters = svc.validate_matters(ctx.session, args.get("matters"))
    proposal_id = v.text(args, "amendment_id", required=False, max_len=64)
    proposal = ctx.session.get(MatterListAmendment, proposal_id) if proposal_id else None
    if proposal_id and proposal is None:
        raise ValidationError("amendment_id", "没有这条清单调整建议，可能尚未同步到本机")
    if proposal is not None and proposal.state != "draft":
        raise ValidationError("amendment_id", f"这条清单调整建议已在第 {proposal.published_version} 版发布")
    ctx.add(MatterListVersion(id=entity_id, version=number, effective_from=effective, title=title, note=note,
                              illustrative=illustrative, created_at=ctx.now, created_by=ctx.actor.user_id))
    ctx.session.flush()
    for m in matters:
        ctx.add(Matter(id=stable_id("matter", entity_id, m["code"]), version_id=entity_id,
                       illustrative=illustrative, **m))
    if proposal is not None:
        proposal.state, proposal.published_version = "published", number
