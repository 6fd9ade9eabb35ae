"""Photos stored by content hash: upload, thumbnail, full image.

Bytes live under ``<data dir>/photos/ab/cdef…`` (the SHA-256 in hex, split after
two characters), written atomically; the :class:`Photo` row holds the type,
size, dimensions and a 320-pixel JPEG thumbnail, so a workstation on a weak
link fetches thumbnails first and full images on demand. Only JPEG and PNG are
accepted (checked by magic bytes and by decoding), at most 10 MB (the rule is
:mod:`commandroom.services.photos`, shared with the desk).

Endpoints: ``POST /api/v1/photos`` (bearer; raw body or multipart ``file``/``media``),
``PUT /api/v1/photos/{sha256}`` (the desk's upload: the body must match the hash it is named by; a large file
goes in parts by byte range and an upload cut off continues from ``GET …/{sha256}/upload``'s offset),
``GET /api/v1/photos/{sha256}`` (metadata), ``…/thumb`` and ``…/full``, ``POST /api/v1/photos/thumbs``
(many thumbnails with their metadata in one answer). Reading
needs a signed-in device or a valid Open311 ``api_key`` with ``photo.read``, and a record in the
caller's reach that shows the photo (:func:`in_reach`): a report, an incident or its timeline, a one-thing
case's attachments, in the caller's townships; for a department liaison its department's work in any township;
for a grid worker its grid's records and its own reports. Any other photo gets the answer a photo the server
does not hold gets (a hash is no key: one seen once, in a forwarded screenshot or a log, opens nothing).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
import re
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import String, cast, or_, select, true
from sqlalchemy.orm import Session
from starlette.requests import ClientDisconnect

from commandroom import permissions
from commandroom.domain.enums import ScopeKind
from commandroom.domain.models import Incident, OneThingCase, Photo, Report, TimelineEntry, User
from commandroom.queries import scope as scope_rules
from commandroom.server.auth import Principal, principal
from commandroom.services.photos import (  # noqa: F401 - the server's photo API names them too
    JPEG_MAGIC,
    MAX_BYTES,
    PNG_MAGIC,
    THUMB_PX,
    PhotoError,
    Prepared,
    limit_for,
    prepare,
    sniff_mime,
)

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/photos", tags=["photos"])

SHA_RE = re.compile(r"^[0-9a-f]{64}$")
CACHE_FOREVER = "private, max-age=31536000, immutable"
# why an Open311 api_key was refused (users.ApiKeyCheck.problem), in the words of whoever holds the key
API_KEY_PROBLEMS = {
    "missing": "缺少 api_key：请在请求中带上发给本账号的 api_key。",
    "unknown": "api_key 不正确：请核对发给本账号的 api_key。",
    "revoked": "这个 api_key 已作废：请向管理员领取新的。",
    "disabled": "这个账号已停用：请联系管理员。",
}


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
        raise PhotoError(413, f"上传的文件有 {int(declared) / 1048576:.1f} MB，超过 {limit // 1048576} MB 上限，未保存；"
                              "请压缩后再上传。")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit + 64 * 1024:
            raise PhotoError(413, f"上传的文件超过 {limit // 1048576} MB 上限，未保存；请压缩后再上传。")
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
                                             "message": API_KEY_PROBLEMS.get(check.problem, "api_key 无效")})
        if check.user is None:  # not reached: a key without a user has a problem
            raise HTTPException(403, detail={"code": "api_key_unknown", "message": API_KEY_PROBLEMS["unknown"]})
        _require(check.user, "photo.read")
        return check.user
    scheme, _, token = auth.partition(" ")
    creds = HTTPAuthorizationCredentials(scheme=scheme, credentials=token) if token else None
    who = principal(request, creds)
    who.require("photo.read")
    return who


def in_reach(session: Session, holder: Any, sha256: str) -> bool:
    """Does a record the caller may read show this photo (a report, an incident, a case's attachments, a timeline)?

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
    cases = [("one_thing_case", {"id": cid, "township_code": town, "incident_id": incident})
             for cid, town, incident in session.execute(
                 select(OneThingCase.id, OneThingCase.township_code, OneThingCase.incident_id)
                 .where(cast(OneThingCase.attachments, String).contains(needle), in_towns(OneThingCase)))]
    if accepts(cases):
        return True
    entries = [("timeline_entry", {"id": tid, "township_code": town, "incident_id": incident})
               for tid, town, incident in session.execute(
                   select(TimelineEntry.id, TimelineEntry.township_code, TimelineEntry.incident_id)
                   .where(cast(TimelineEntry.data, String).contains(needle), in_towns(TimelineEntry)))]
    return accepts(entries)


REACH_TTL = 60.0  # seconds a "yes" is remembered (a desk asks for the metadata, then the thumbnail, then the image)
_REACH_MAX = 20_000


def _reach_cached(state: Any, session: Session, holder: Any, sha256: str) -> bool:
    """:func:`in_reach`, remembering a "yes" per account, reach and photo for :data:`REACH_TTL` (the scan of the
    timeline for a county-wide caller is what it saves). The key holds the account's roles and scope, so a role
    taken away or a move to another township is obeyed at once; a record moved out of reach, within a minute."""
    cache: dict[tuple[Any, ...], float] = state.extras.setdefault("photo_reach", {})
    key = (holder_id(holder), *_reach_identity(holder), sha256)
    now = time.monotonic()
    if cache.get(key, 0.0) > now:
        return True
    if not in_reach(session, holder, sha256):
        return False
    if len(cache) >= _REACH_MAX:
        cache.clear()
    cache[key] = now + REACH_TTL
    return True


def _reach_identity(holder: Any) -> tuple[Any, ...]:
    """What decides an account's reach: its roles and the codes of its scope."""
    roles = getattr(holder, "roles", None)
    return (tuple(roles) if isinstance(roles, (list, tuple)) else roles,
            *(getattr(holder, name, None) for name in ("scope_code", "township_code", "department_code", "grid_id")))


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
                raise PhotoError(413, f"上传的文件有 {int(declared) / 1048576:.1f} MB，超过 "
                                      f"{MAX_BYTES // 1048576} MB 上限，未保存；请压缩后再上传。")
            form = await request.form(max_files=1, max_fields=10)
            upload_file = form.get("file") or form.get("media")
            if upload_file is None or isinstance(upload_file, str):
                raise PhotoError(400, "表单里没有照片：请把照片放在名为 file（或 media）的文件字段中上传。")
            data = await upload_file.read(MAX_BYTES + 1)
        elif ctype in ("image/jpeg", "image/png", "application/octet-stream", ""):
            data = await read_limited(request)
        else:
            raise PhotoError(400, f"照片的类型 {ctype} 不能接收，未保存；请以 image/jpeg、image/png 或 "
                                  "multipart/form-data 上传 JPEG 或 PNG 照片。")
        out, created = await run_in_threadpool(store, state, data)
    except PhotoError as exc:
        return _error(exc)
    return JSONResponse(status_code=201 if created else 200, content=out)


def _held(state, sha256: str) -> dict | None:
    """The photo's metadata when this server holds it in full, else None."""
    with state.read() as session:
        row = session.get(Photo, sha256)
        held = row is not None and row.has_full and photo_path(photos_dir(state), sha256).exists()
        return photo_json(row) if held and row is not None else None


# ------------------------------------------------------------- resumable uploads (parts by byte range)

RANGE_RE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
_part_locks: dict[str, asyncio.Lock] = {}


def partial_path(state, sha256: str) -> Path:
    """Where the received part of an upload in several parts is kept until the last part arrives."""
    return photos_dir(state) / "partial" / sha256


def drop_stale_partials(state, before: datetime) -> int:
    """Remove parts of uploads not continued since ``before`` (the nightly clean-up); how many went."""
    folder = photos_dir(state) / "partial"
    if not folder.is_dir():
        return 0
    gone = 0
    for path in folder.iterdir():
        with contextlib.suppress(OSError):
            if datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None) < before:
                path.unlink()
                gone += 1
    return gone


def _held_bytes(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


@router.get("/{sha256}/upload")
def upload_status(sha256: str, request: Request, who: Principal = Depends(principal)) -> dict:
    """How much of an upload in parts this server holds: ``{"offset": bytes received, "complete": bool}``
    (complete: the whole file is stored). The desk asks before it sends, and continues from ``offset``."""
    who.require("photo.upload")
    if not SHA_RE.match(sha256):
        raise HTTPException(404, detail={"code": "not_found", "message": "照片编号应为 64 位十六进制 SHA-256。"})
    state = request.app.state.server
    held = _held(state, sha256)
    if held is not None:
        return {"offset": held["size"], "complete": True, "photo": held}
    return {"offset": _held_bytes(partial_path(state, sha256)), "complete": False}


async def _receive_part(request: Request, state, sha256: str, start: int, total: int, limit: int) -> int:
    """Append this part's body to the held part; what arrived is kept even if the line drops midway."""
    path = partial_path(state, sha256)
    path.parent.mkdir(parents=True, exist_ok=True)
    held = _held_bytes(path)
    if start != held:
        raise PartOffset(held)
    if total > limit:
        raise PhotoError(413, f"上传的文件有 {total / 1048576:.1f} MB，超过 {limit // 1048576} MB 上限，未保存；"
                              "请压缩后再上传。")
    with path.open("ab") as fh:
        try:
            async for chunk in request.stream():
                if held + len(chunk) > total:
                    raise PhotoError(400, "这一段超出了文件的总长度，未保存；请重新上传。")
                fh.write(chunk)
                held += len(chunk)
        except ClientDisconnect:
            log.info("upload of %s cut off at %d of %d bytes; kept for resuming", sha256[:12], held, total)
        finally:
            fh.flush()
            os.fsync(fh.fileno())
    return held


class PartOffset(Exception):
    """A part that does not start where the held part ends (409; the answer says where to continue)."""

    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


@router.put("/{sha256}", status_code=201)
async def upload_named(sha256: str, request: Request, who: Principal = Depends(principal)) -> Response:
    """The desk's upload of a file it names by its hash: a body that does not match is refused, and one
    the server already holds in full is not stored again (200). ``?kind=document``: an attachment of a
    one-thing case (PDF, Office or image, up to 20 MB).

    With ``Content-Range: bytes a-b/total`` the body is one part of a larger upload: it must start where the
    held part ends (else 409 with ``offset``); a part cut off midway keeps what arrived, so the desk continues
    from ``GET …/upload``'s offset; 202 until the last part, then the whole file is checked and stored.
    """
    who.require("photo.upload")
    state = request.app.state.server
    documents = request.query_params.get("kind") == "document"
    limit = limit_for(documents)
    try:
        if not SHA_RE.match(sha256):
            raise PhotoError(400, "照片编号应为 64 位十六进制 SHA-256。")
        out = _held(state, sha256)
        if out is not None:
            return JSONResponse(status_code=200, content=out)
        content_range = request.headers.get("content-range")
        if content_range is None:
            data = await read_limited(request, limit)
        else:
            match = RANGE_RE.match(content_range.strip())
            if match is None or int(match.group(1)) > int(match.group(2)) or int(match.group(2)) >= int(
                    match.group(3)):
                raise PhotoError(400, f"分段上传的范围“{content_range}”无效，未保存；请重新上传。")
            start, total = int(match.group(1)), int(match.group(3))
            lock = _part_locks.setdefault(sha256, asyncio.Lock())
            async with lock:
                try:
                    held = await _receive_part(request, state, sha256, start, total, limit)
                except PartOffset as exc:
                    return JSONResponse(status_code=409, content={"detail": {
                        "code": "wrong_offset", "offset": exc.offset,
                        "message": f"县服务器已收到这个文件的前 {exc.offset} 字节，请从那里接着上传。"}})
                if held < total:
                    return JSONResponse(status_code=202, content={"offset": held, "complete": False})
                path = partial_path(state, sha256)
                data = await run_in_threadpool(path.read_bytes)
                path.unlink(missing_ok=True)  # checked below: a whole file that does not match is refused
                _part_locks.pop(sha256, None)
        out, created = await run_in_threadpool(lambda: store(state, data, expected_sha256=sha256,
                                                             documents=documents))
    except PhotoError as exc:
        return _error(exc)
    return JSONResponse(status_code=201 if created else 200, content=out)


THUMBS_AT_ONCE = 200


@router.post("/thumbs")
async def thumbs(request: Request) -> dict:
    """Many thumbnails in one answer (the desk asks right after a pull for the photos its new rows name):
    ``{"sha256": [...]}`` → ``{"photos": [metadata + "thumbnail" (base64 JPEG, or null for a document)],
    "missing": [hashes this server does not hold]}``."""
    holder = _reader(request)
    try:
        body = await request.json()
    except ValueError:
        body = None
    wanted = body.get("sha256") if isinstance(body, dict) else None
    if not isinstance(wanted, list) or not all(isinstance(h, str) for h in wanted):
        raise HTTPException(400, detail={"code": "bad_request",
                                         "message": "请求应为 {\"sha256\": [照片编号…]}。"})
    if len(wanted) > THUMBS_AT_ONCE:
        raise HTTPException(400, detail={"code": "bad_request",
                                         "message": f"一次最多取 {THUMBS_AT_ONCE} 张缩略图，请分批请求。"})
    hashes = list(dict.fromkeys(h.lower() for h in wanted))
    valid = [h for h in hashes if SHA_RE.match(h)]

    def read() -> list[Photo]:
        state = request.app.state.server
        with state.read() as session:
            found = list(session.scalars(select(Photo).where(Photo.sha256.in_(valid)))) if valid else []
            # a photo no record in the caller's reach shows is "missing", like one this server does not hold
            return [row for row in found if _reach_cached(state, session, holder, row.sha256)]

    rows = {row.sha256: row for row in await run_in_threadpool(read)}
    return {
        "photos": [{**photo_json(rows[h]), "thumbnail": _b64(rows[h].thumbnail)} for h in hashes if h in rows],
        "missing": [h for h in hashes if h not in rows],
    }


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _load(request: Request, sha256: str, holder: Any) -> Photo:
    """The photo row, when it exists and a record in the caller's reach shows it; else the same 404."""
    if not SHA_RE.match(sha256):
        raise HTTPException(404, detail={"code": "not_found", "message": "没有这张照片：照片编号应为 64 位十六进制 SHA-256。"})
    state = request.app.state.server
    with state.read() as session:
        row = session.get(Photo, sha256)
        if row is not None and not _reach_cached(state, session, holder, sha256):
            row = None  # not yours: answered like a photo the server does not hold
    if row is None:
        raise HTTPException(404, detail={"code": "not_found", "message": f"县服务器上没有这张照片（编号 {sha256[:12]}…）。"})
    return row


@router.get("/{sha256}")
def metadata(sha256: str, request: Request) -> dict:
    return photo_json(_load(request, sha256, _reader(request)))


@router.get("/{sha256}/thumb")
def thumb(sha256: str, request: Request) -> Response:
    row = _load(request, sha256, _reader(request))
    if row.thumbnail is None:
        raise HTTPException(404, detail={"code": "not_found", "message": f"这张照片（编号 {sha256[:12]}…）没有缩略图。"})
    return Response(row.thumbnail, media_type="image/jpeg",
                    headers={"Cache-Control": CACHE_FOREVER, "ETag": f'"{sha256}-t"'})


@router.get("/{sha256}/full")
def full(sha256: str, request: Request) -> Response:
    row = _load(request, sha256, _reader(request))
    path = photo_path(photos_dir(request.app.state.server), sha256)
    if not path.exists():
        raise HTTPException(404, detail={"code": "not_found",
                                         "message": f"县服务器上只有这张照片（编号 {sha256[:12]}…）的缩略图，"
                                                    "没有原图。"})
    return Response(path.read_bytes(), media_type=row.mime,
                    headers={"Cache-Control": CACHE_FOREVER, "ETag": f'"{sha256}"'})
