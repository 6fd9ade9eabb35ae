"""Photos stored by content hash: upload, thumbnail, full image.

Bytes live under ``<data dir>/photos/ab/cdef…`` (the SHA-256 in hex, split after
two characters), written atomically; the :class:`Photo` row holds the type,
size, dimensions and a 320-pixel JPEG thumbnail, so a workstation on a weak
link fetches thumbnails first and full images on demand. Only JPEG and PNG are
accepted (checked by magic bytes and by decoding), at most 10 MB (the rule is
:mod:`commandroom.services.photos`, shared with the desk).

Endpoints: ``POST /api/v1/photos`` (bearer; raw body or multipart ``file``/``media``),
``PUT /api/v1/photos/{sha256}`` (the desk's upload: the body must match the hash it is named by),
``GET /api/v1/photos/{sha256}`` (metadata), ``…/thumb`` and ``…/full``. Reading
needs a signed-in device or a valid Open311 ``api_key`` with ``photo.read``, and a record in the
caller's reach that shows the photo (:func:`in_reach`): a report, an incident or its timeline in the
caller's townships; for a department liaison its department's work in any township; for a grid worker
its grid's records and its own reports. Any other photo gets the answer a photo the server does not
hold gets (a hash is no key: one seen once, in a forwarded screenshot or a log, opens nothing).
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import String, cast, or_, select, true
from sqlalchemy.orm import Session

from commandroom import permissions
from commandroom.domain.enums import ScopeKind
from commandroom.domain.models import Incident, Photo, Report, TimelineEntry, User
from commandroom.queries import scope as scope_rules
from commandroom.server.auth import Principal, principal
from commandroom.services.photos import (  # noqa: F401 - the server's photo API names them too
    JPEG_MAGIC,
    MAX_BYTES,
    PNG_MAGIC,
    THUMB_PX,
    PhotoError,
    Prepared,
    prepare,
    sniff_mime,
)

router = APIRouter(prefix="/api/v1/photos", tags=["photos"])

SHA_RE = re.compile(r"^[0-9a-f]{64}$")
CACHE_FOREVER = "private, max-age=31536000, immutable"


def photos_dir(state) -> Path:
    """``settings.data_dir/photos``; else ``extras['photos_dir']``; else a temporary folder (tests)."""
    settings = getattr(state, "settings", None)
    data_dir = getattr(settings, "data_dir", None)
    if data_dir is not None:
        path = Path(data_dir) / "photos"
    elif state.extras.get("photos_dir"):
        path = Path(state.extras["photos_dir"])
    else:
        path = Path(tempfile.mkdtemp(prefix="commandroom-photos-"))
        state.extras["photos_dir"] = str(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


def photo_path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256[2:]


def write_file(root: Path, prepared: Prepared) -> bool:
    """Write the bytes if not yet there (atomic rename); True if this call created the file."""
    path = photo_path(root, prepared.sha256)
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".up-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(prepared.data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def upsert_row(session: Session, prepared: Prepared) -> tuple[Photo, bool]:
    """The :class:`Photo` row for the upload (created if new); ``(row, created)``."""
    row = session.get(Photo, prepared.sha256)
    if row is not None:
        if not row.has_full:
            row.has_full = True
        if row.thumbnail is None:
            row.thumbnail = prepared.thumbnail
        return row, False
    row = Photo(sha256=prepared.sha256, mime=prepared.mime, size=len(prepared.data), width=prepared.width,
                height=prepared.height, thumbnail=prepared.thumbnail, has_full=True)
    session.add(row)
    session.flush()
    return row, True


def full_url(sha256: str) -> str:
    return f"/api/v1/photos/{sha256}/full"


def photo_json(row: Photo, base_url: str = "") -> dict:
    return {
        "sha256": row.sha256,
        "mime": row.mime,
        "size": row.size,
        "width": row.width,
        "height": row.height,
        "has_full": bool(row.has_full),
        "thumb_url": f"{base_url}/api/v1/photos/{row.sha256}/thumb",
        "full_url": f"{base_url}{full_url(row.sha256)}",
    }


def store(state, data: bytes, *, expected_sha256: str | None = None,
          documents: bool = False) -> tuple[dict, bool]:
    """Check, write and record one photo in its own transaction; ``(photo json, created)``."""
    prepared = prepare(data, expected_sha256=expected_sha256, documents=documents)
    root = photos_dir(state)
    made_file = write_file(root, prepared)
    try:
        with state.transaction() as session:
            row, created = upsert_row(session, prepared)
            out = photo_json(row)
    except BaseException:
        if made_file:
            photo_path(root, prepared.sha256).unlink(missing_ok=True)
        raise
    return out, created


# --------------------------------------------------------------------------- HTTP


async def read_limited(request: Request, limit: int = MAX_BYTES) -> bytes:
    """The request body, refusing (413) more than ``limit`` bytes without reading it all."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise PhotoError(413, f"the upload is {int(declared) / 1048576:.1f} MB; at most {limit // 1048576} MB")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit + 64 * 1024:
            raise PhotoError(413, f"the upload is larger than {limit // 1048576} MB")
        chunks.append(chunk)
    return b"".join(chunks)


def _error(exc: PhotoError) -> JSONResponse:
    return JSONResponse(status_code=exc.status, content={"detail": {"code": "bad_photo", "message": exc.message}})


def _reader(request: Request) -> Any:
    """Signed-in device (bearer) or a valid Open311 api_key with ``photo.read``: the Principal or the key's User."""
    api_key = request.query_params.get("api_key")
    auth = request.headers.get("authorization", "")
    if api_key and not auth:
        from commandroom.server.users import user_for_api_key

        with request.app.state.server.read() as session:
            check = user_for_api_key(session, api_key)
        if check.problem:
            raise HTTPException(403, detail={"code": f"api_key_{check.problem}",
                                             "message": f"api_key is {check.problem}"})
        if check.user is None:  # not reached: a key without a user has a problem
            raise HTTPException(403, detail={"code": "api_key_unknown", "message": "api_key is unknown"})
        _require(check.user, "photo.read")
        return check.user
    scheme, _, token = auth.partition(" ")
    creds = HTTPAuthorizationCredentials(scheme=scheme, credentials=token) if token else None
    who = principal(request, creds)
    who.require("photo.read")
    return who


def in_reach(session: Session, holder: Any, sha256: str) -> bool:
    """Does a record the caller may read show this photo (a report, an incident, an incident's timeline)?

    ``holder``: a :class:`Principal` or an Open311 key's :class:`User`. The county's roles reach every
    record; a department liaison its department's work (all townships); a grid worker (``photo.read`` ▦) its
    grid's reports and incidents and its own reports; everyone else the records of its townships.
    """
    roles = permissions.roles_of(holder)
    reach = permissions.RULES["photo.read"].reach(roles)
    dept = scope_rules.department_of(holder)
    grid = getattr(holder, "grid_id", None) if reach is permissions.Reach.GRID else None
    towns: tuple[str, ...] | None = None
    if holder.scope_kind != ScopeKind.COUNTY.value:
        towns = tuple(getattr(holder, "townships", ()) or ()) or tuple(scope_rules.township_codes(
            session, holder.scope_kind, holder.scope_code or getattr(holder, "township_code", None)))
    needle = sha256.lower()

    def in_towns(model: Any) -> Any:
        return true() if towns is None else model.township_code.in_(towns)

    def accepts(found: list[tuple[str, dict[str, Any]]]) -> bool:
        if not found:
            return False
        if dept is not None:
            return any(dept in depts for depts in scope_rules.departments_of_rows(session, found))
        if reach is permissions.Reach.GRID and grid is not None:
            incidents = {v.get("incident_id") or v["id"] for t, v in found if t != "report"}
            return bool(incidents) and session.scalar(select(Incident.id).where(
                Incident.id.in_(sorted(incidents)), Incident.grid_id == grid).limit(1)) is not None
        return True  # found within the caller's townships (or anywhere, for the county)

    # the cheapest tables first, and stop at the first that answers (most photos are a report's)
    reports: list[tuple[str, dict[str, Any]]] = []
    for rid, town, rgrid, reporter, incident in session.execute(
            select(Report.id, Report.township_code, Report.grid_id, Report.reporter_user_id, Report.incident_id)
            .where(cast(Report.photos, String).contains(needle), in_towns(Report))):
        if grid is not None and (rgrid == grid or (reporter and reporter == holder_id(holder))):
            return True
        reports.append(("report", {"id": rid, "township_code": town, "grid_id": rgrid, "incident_id": incident}))
    if accepts([r for r in reports if grid is None]):
        return True
    incidents = [("incident", {"id": iid, "township_code": town, "grid_id": igrid})
                 for iid, town, igrid in session.execute(
                     select(Incident.id, Incident.township_code, Incident.grid_id)
                     .where(or_(cast(Incident.photos_before, String).contains(needle),
                                cast(Incident.photos_after, String).contains(needle)), in_towns(Incident)))]
    if accepts(incidents):
        return True
    entries = [("timeline_entry", {"id": tid, "township_code": town, "incident_id": incident})
               for tid, town, incident in session.execute(
                   select(TimelineEntry.id, TimelineEntry.township_code, TimelineEntry.incident_id)
                   .where(cast(TimelineEntry.data, String).contains(needle), in_towns(TimelineEntry)))]
    return accepts(entries)


REACH_TTL = 600.0  # seconds a "yes" is remembered (a desk asks for the metadata, then the thumbnail, then the image)
_REACH_MAX = 20_000


def _reach_cached(state: Any, session: Session, holder: Any, sha256: str) -> bool:
    """:func:`in_reach`, remembering a "yes" per account and photo for :data:`REACH_TTL` (records rarely leave a
    scope; the scan of the timeline for a county-wide caller is what it saves)."""
    cache: dict[tuple[str | None, str], float] = state.extras.setdefault("photo_reach", {})
    key = (holder_id(holder), sha256)
    now = time.monotonic()
    if cache.get(key, 0.0) > now:
        return True
    if not in_reach(session, holder, sha256):
        return False
    if len(cache) >= _REACH_MAX:
        cache.clear()
    cache[key] = now + REACH_TTL
    return True


def holder_id(holder: Any) -> str | None:
    """The account id of a Principal (``user_id``) or a User row (``id``)."""
    return getattr(holder, "user_id", None) or getattr(holder, "id", None)


def _require(holder: User, name: str) -> None:
    why = permissions.refusal(holder, name)
    if why is not None:
        raise HTTPException(403, detail={"code": "forbidden", "message": why, "rule": name})


@router.post("", status_code=201)
async def upload(request: Request, who: Principal = Depends(principal)) -> Response:
    who.require("photo.upload")
    state = request.app.state.server
    try:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype == "multipart/form-data":
            declared = request.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > MAX_BYTES + 64 * 1024:
                raise PhotoError(413, f"the upload is {int(declared) / 1048576:.1f} MB; at most "
                                      f"{MAX_BYTES // 1048576} MB")
            form = await request.form(max_files=1, max_fields=10)
            upload_file = form.get("file") or form.get("media")
            if upload_file is None or isinstance(upload_file, str):
                raise PhotoError(400, "multipart upload needs a file field named 'file' (or 'media')")
            data = await upload_file.read(MAX_BYTES + 1)
        elif ctype in ("image/jpeg", "image/png", "application/octet-stream", ""):
            data = await read_limited(request)
        else:
            raise PhotoError(400, f"send the photo as image/jpeg, image/png or multipart/form-data, not {ctype}")
        out, created = await run_in_threadpool(store, state, data)
    except PhotoError as exc:
        return _error(exc)
    return JSONResponse(status_code=201 if created else 200, content=out)


@router.put("/{sha256}", status_code=201)
async def upload_named(sha256: str, request: Request, who: Principal = Depends(principal)) -> Response:
    """The desk's upload of a photo it names by its hash: a body that does not match is refused, and one
    the server already holds in full is not stored again (200)."""
    who.require("photo.upload")
    state = request.app.state.server
    documents = request.query_params.get("kind") == "document"
    try:
        if not SHA_RE.match(sha256):
            raise PhotoError(400, "照片编号应为 64 位十六进制 SHA-256。")
        with state.read() as session:
            row = session.get(Photo, sha256)
            held = row is not None and row.has_full and photo_path(photos_dir(state), sha256).exists()
            out = photo_json(row) if held and row is not None else None
        if out is not None:
            return JSONResponse(status_code=200, content=out)
        data = await read_limited(request)
        out, created = await run_in_threadpool(lambda: store(state, data, expected_sha256=sha256,
                                                             documents=documents))
    except PhotoError as exc:
        return _error(exc)
    return JSONResponse(status_code=201 if created else 200, content=out)


def _load(request: Request, sha256: str, holder: Any) -> Photo:
    """The photo row, when it exists and a record in the caller's reach shows it; else the same 404."""
    if not SHA_RE.match(sha256):
        raise HTTPException(404, detail={"code": "not_found", "message": "no such photo (expected a SHA-256 in hex)"})
    state = request.app.state.server
    with state.read() as session:
        row = session.get(Photo, sha256)
        if row is not None and not _reach_cached(state, session, holder, sha256):
            row = None  # not yours: answered like a photo the server does not hold
    if row is None:
        raise HTTPException(404, detail={"code": "not_found", "message": f"photo {sha256} is not on this server"})
    return row


@router.get("/{sha256}")
def metadata(sha256: str, request: Request) -> dict:
    return photo_json(_load(request, sha256, _reader(request)))


@router.get("/{sha256}/thumb")
def thumb(sha256: str, request: Request) -> Response:
    row = _load(request, sha256, _reader(request))
    if row.thumbnail is None:
        raise HTTPException(404, detail={"code": "not_found", "message": f"photo {sha256} has no thumbnail"})
    return Response(row.thumbnail, media_type="image/jpeg",
                    headers={"Cache-Control": CACHE_FOREVER, "ETag": f'"{sha256}-t"'})


@router.get("/{sha256}/full")
def full(sha256: str, request: Request) -> Response:
    row = _load(request, sha256, _reader(request))
    path = photo_path(photos_dir(request.app.state.server), sha256)
    if not path.exists():
        raise HTTPException(404, detail={"code": "not_found",
                                         "message": f"the full image of {sha256} is not stored on this server "
                                                    "(only its thumbnail)"})
    return Response(path.read_bytes(), media_type=row.mime,
                    headers={"Cache-Control": CACHE_FOREVER, "ETag": f'"{sha256}"'})
