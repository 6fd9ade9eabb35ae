"""Shift handover (交接班): ``handover.sign`` records the summary both officers signed off."""

from __future__ import annotations

from typing import Any

import orjson

from commandroom.domain.errors import ValidationError
from commandroom.domain.models import Handover
from commandroom.mutations import validate as v
from commandroom.mutations.core import MutationContext, mutation
from commandroom.timeutil import fmt_local

MAX_SUMMARY_BYTES = 256 * 1024


@mutation("handover.sign", "handover", creates=True)
def sign(ctx: MutationContext, entity_id: str, args: dict[str, Any]) -> None:
    """The outgoing and the incoming duty officer sign the handover summary (one row per handover).

    Args (in ``args``): ``outgoing_name``, ``incoming_name`` (two different people),
    ``summary`` (the JSON summary both saw), ``notes`` (free text, optional) and, for an
    officer whose scope is wider than one township, ``township_code``.
    """
    outgoing = v.text(args, "outgoing_name", max_len=64)
    incoming = v.text(args, "incoming_name", max_len=64)
    notes = v.text(args, "notes", required=False, max_len=8000)
    if outgoing == incoming:
        raise ValidationError("incoming_name", "must be a different person from the outgoing officer")
    summary = args.get("summary", {})
    if not isinstance(summary, dict):
        raise ValidationError("summary", "must be an object")
    size = len(orjson.dumps(summary, option=orjson.OPT_NON_STR_KEYS))
    if size > MAX_SUMMARY_BYTES:
        raise ValidationError("summary", f"is {size} bytes; at most {MAX_SUMMARY_BYTES}")
    township = ctx.actor.township_code or v.text(args, "township_code", required=False, max_len=32) \
        or ctx.actor.scope_code or "county"
    existing = ctx.session.get(Handover, entity_id)
    if existing is not None:
        ctx.mark_merged(f"该交接班已于 {fmt_local(existing.at)} 签字，无需重复")
        return
    ctx.add(Handover(
        id=entity_id,
        township_code=township,
        outgoing_user_id=ctx.actor.user_id,
        outgoing_name=outgoing,
        incoming_name=incoming,
        at=ctx.occurred_at,
        summary=summary,
        notes=notes,
        signed_out_at=ctx.occurred_at,
        signed_in_at=ctx.occurred_at,
        created_at=ctx.now,
        updated_at=ctx.now,
    ))
