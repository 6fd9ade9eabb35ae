"""The sync wire protocol: versions, limits, codes and the shapes both sides exchange.

This module is shared by the county server and the workstation, so it only uses
the standard library and orjson (the workstation does not need pydantic). The
server's pydantic models in ``commandroom.server.sync_api`` mirror these shapes
for validation and the OpenAPI schema; ``docs/sync-protocol.md`` describes them.

Endpoints (all under ``/api/v1/sync``, bearer token from ``/api/v1/auth/login``):

* ``POST /push``    — a batch of named mutations (≤ :data:`MAX_BATCH`), per-mutation results;
* ``GET  /pull``    — a page of changes after per-bucket cursors;
* ``GET  /summary`` — per-bucket count + hash of the live rows (convergence audit);
* ``GET  /events``  — server-sent events: a data-less poke after each commit, and heartbeats.
"""

from __future__ import annotations

import hashlib
from typing import Any, TypedDict

import orjson

from commandroom import PROTOCOL_VERSION, SCHEMA_VERSION

# Versions the server accepts. A client outside the range gets 426 with a human message
# and keeps its outbox; a new major protocol version keeps accepting the previous one
# for a grace period so offline workstations can drain their outboxes.
PROTOCOL_MIN = 1
PROTOCOL_MAX = PROTOCOL_VERSION
SCHEMA_MIN = 1
SCHEMA_MAX = SCHEMA_VERSION

MAX_BATCH = 100  # mutations per push
MAX_PUSH_BYTES = 4 * 1024 * 1024  # a push body larger than this is refused (413)
DEFAULT_PAGE = 500
MAX_PAGE = 5000
MAX_CURSORS_TEXT = 16 * 1024

SSE_HEARTBEAT_SECONDS = 12.0

# Per-mutation result statuses.
APPLIED = "applied"
MERGED = "merged"
REJECTED = "rejected"
ERROR = "error"  # not processed (payload mismatch): the same id arrived with different content

# Machine-readable codes the server uses; each comes with a message a person can read.
CODE_UPGRADE = "upgrade_required"  # 426
CODE_NEW_INCARNATION = "new_incarnation_required"  # 409: clone/restore of the workstation detected
CODE_GAP = "gap"  # a mutation "from the future": the server expects an earlier local_seq first
CODE_PAYLOAD_MISMATCH = "payload_mismatch"  # 409 for one mutation
CODE_RESYNC = "resync_required"  # 410: cursor older than the retention horizon
CODE_BUCKET_FORBIDDEN = "bucket_forbidden"  # 403
CODE_DEVICE_MISMATCH = "device_mismatch"  # 403: the token belongs to another workstation

SERVER_TOO_OLD = "服务器版本过旧，请联系县级管理员升级服务器；未同步的修改已保留在本机。"
CLIENT_TOO_OLD = "本机软件版本过旧，请升级 CommandRoom 后再同步；未同步的修改已保留在本机，升级后会自动上传。"


def version_problem(protocol_version: Any, schema_version: Any) -> str | None:
    """A human message if a client's versions are outside what this server accepts, else None."""
    try:
        pv, sv = int(protocol_version), int(schema_version)
    except (TypeError, ValueError):
        return f"protocol_version and schema_version must be integers. {CLIENT_TOO_OLD}"
    if pv < PROTOCOL_MIN or sv < SCHEMA_MIN:
        return (f"client protocol {pv}/schema {sv} is older than this server accepts "
                f"(protocol {PROTOCOL_MIN}–{PROTOCOL_MAX}, schema {SCHEMA_MIN}–{SCHEMA_MAX}). {CLIENT_TOO_OLD}")
    if pv > PROTOCOL_MAX or sv > SCHEMA_MAX:
        return (f"client protocol {pv}/schema {sv} is newer than this server understands "
                f"(protocol {PROTOCOL_MIN}–{PROTOCOL_MAX}, schema {SCHEMA_MIN}–{SCHEMA_MAX}). {SERVER_TOO_OLD}")
    return None


class MutationWire(TypedDict):
    mutation_id: str
    local_seq: int
    name: str
    entity_id: str
    args: dict[str, Any]
    base_versions: dict[str, Any]
    created_local_ts: str | None  # occurred_at: when the person acted, by the desk's corrected clock
    clock_skew: str  # the desk's clock then: "" fine, "warn", "bad", "unknown" (not measured yet)


class ResultWire(TypedDict, total=False):
    mutation_id: str
    local_seq: int
    status: str  # applied | merged | rejected | error
    seq: int | None
    explanation: str
    code: str
    conflicts: int
    duplicate: bool  # True: the stored result of an earlier delivery


class ChangeWire(TypedDict):
    seq: int
    bucket: str
    entity_type: str
    entity_id: str
    op: str  # upsert | delete | remove
    row_version: int
    fields: dict[str, Any] | None


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)


# -- bucket summaries (convergence audit, docs/sync-protocol.md "Failure scenarios" 20): count of live entities + an order-free hash


def entity_digest(entity_type: str, entity_id: str, row_version: int | None) -> int:
    """64-bit digest of one live entity; a bucket's hash is the sum of its entities' digests mod 2^64."""
    h = hashlib.blake2b(f"{entity_type}\x1f{entity_id}\x1f{int(row_version or 0)}".encode(), digest_size=8)
    return int.from_bytes(h.digest(), "big")


def combine(digests: int) -> str:
    return f"{digests % (1 << 64):016x}"
