"""Photos between a desk and the county server: up before the mutations that name them, thumbnails right
after the rows that name them, full images when an officer opens one.

* **Upload** (:meth:`PhotoSync.upload_pending`, run by the engine before every push): each file in
  ``outgoing/`` goes up with ``PUT /api/v1/photos/{sha256}`` (``?kind=document`` for a case's PDF or Office
  file). The server answers 200 without reading the body when it already holds the photo, so a photo is
  never stored twice and a push interrupted after an upload costs nothing; the server refuses a body that
  does not match its hash. A file over 1 MB goes in parts by byte range (``Content-Range``), from the
  offset the server reports it holds (``GET …/{sha256}/upload``): an upload cut off midway continues
  where it stopped at the next round. Only when the server holds it does the file move to ``cache/``. A push names a photo only after this: the server
  refuses a mutation naming a photo it does not hold.
* **Thumbnails** (:meth:`PhotoSync.fetch_thumbnails`, right after every pull): hashes named by the pulled
  reports, incidents and timeline entries that have no thumbnail here are fetched with their metadata, up
  to 200 in one request (``POST …/thumbs``), into the ``photo`` table, so the inbox and the incident detail
  show them when opened later, offline too, without a request per photo.
* **Full images** (:meth:`PhotoSync.full_image`): from ``outgoing/`` or ``cache/`` when held, else
  fetched, checked against the hash and kept; :meth:`PhotoSync.evict` keeps the cache under its limit,
  never dropping the photos of open incidents.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import os
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from commandroom.domain.enums import IncidentState
from commandroom.domain.models import Incident, Photo, Report, TimelineEntry
from commandroom.mutations.core import Changes
from commandroom.services.photos import PHOTO_ARGS
from commandroom.store.photos import cached_path, desk_photo_dir, write_atomic
from commandroom.sync.transport import SyncHTTPError, decode

log = logging.getLogger(__name__)

CACHE_LIMIT = 512 * 1024 * 1024  # bytes of fetched full images kept on a desk
THUMB_BATCH = 200
PART_SIZE = 1024 * 1024  # a file larger than this goes up in parts (an upload cut off continues from the last)


class PhotoUnavailable(Exception):
    """A full image is neither on this desk nor obtainable now; ``message`` says why, in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _hashes(value: Any) -> list[str]:
    return [h for h in (value or []) if isinstance(h, str) and len(h) == 64]


SCANNED = ("report", "incident", "timeline_entry")


def _chunks(ids: set[str] | None) -> list[list[str] | None]:
    if ids is None:
        return [None]
    ordered = sorted(ids)
    return [ordered[i:i + 500] for i in range(0, len(ordered), 500)]


def referenced_hashes(session: Any, only: dict[str, set[str]] | None = None) -> set[str]:
    """Every photo hash the desk's rows name (reports, incidents, timeline entries); ``only``: just these rows."""
    out: set[str] = set()

    def ids_of(kind: str) -> set[str] | None:
        return None if only is None else only.get(kind, set())

    for chunk in _chunks(ids_of("report")):
        if chunk == []:
            continue
        q = select(Report.photos).where(Report.deleted.is_(False))
        for (photos,) in session.execute(q if chunk is None else q.where(Report.id.in_(chunk))):
            out.update(_hashes(photos))
    for chunk in _chunks(ids_of("incident")):
        if chunk == []:
            continue
        q = select(Incident.photos_before, Incident.photos_after).where(Incident.deleted.is_(False))
        for before, after in session.execute(q if chunk is None else q.where(Incident.id.in_(chunk))):
            out.update(_hashes(before))
            out.update(_hashes(after))
    for chunk in _chunks(ids_of("timeline_entry")):
        if chunk == []:
            continue
        q = select(TimelineEntry.data).where(TimelineEntry.data.is_not(None))
        for (data,) in session.execute(q if chunk is None else q.where(TimelineEntry.id.in_(chunk))):
            if isinstance(data, dict):
                for key in PHOTO_ARGS:
                    out.update(_hashes(data.get(key)))
    return out


def open_incident_hashes(session: Any) -> set[str]:
    """Photos of incidents not closed (and of their reports): kept in the cache whatever its size."""
    out: set[str] = set()
    rows = session.execute(select(Incident.id, Incident.photos_before, Incident.photos_after)
                           .where(Incident.deleted.is_(False), Incident.state != IncidentState.CLOSED.value)).all()
    ids = [r[0] for r in rows]
    for _id, before, after in rows:
        out.update(_hashes(before))
        out.update(_hashes(after))
    for start in range(0, len(ids), 500):
        for (photos,) in session.execute(select(Report.photos).where(Report.incident_id.in_(ids[start:start + 500]))):
            out.update(_hashes(photos))
    return out


class PhotoSync:
    """One desk's photo traffic; created by :class:`~commandroom.sync.engine.SyncEngine` as ``engine.photos``."""

    def __init__(self, engine: Any, *, cache_limit: int = CACHE_LIMIT) -> None:
        self.engine = engine
        self.store = engine.store
        self.root = desk_photo_dir(self.store.path)
        self.cache_limit = cache_limit
        self._absent: set[str] = set()  # named by a row but not on the server: not asked again this session
        self._fetching: dict[str, asyncio.Future] = {}
        # rows written since the last look for missing thumbnails (None: look at every row, as at start)
        self._changed: dict[str, set[str]] | None = None
        self._unsubscribe = self.store.subscribe(self._note_changes)
        self._waiting: set[str] = set()  # named, not fetched yet (kept across a failed round)
        self._one_by_one = False  # the server has no batch thumbnail answer
        self.part_size = PART_SIZE
        self.stats = {"uploaded": 0, "already_there": 0, "thumbnails": 0, "thumb_requests": 0, "full_fetched": 0,
                      "evicted": 0, "bytes_sent": 0, "resumed_from": 0}

    def close(self) -> None:
        self._unsubscribe()

    # ------------------------------------------------------------------ HTTP

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = kwargs.pop("headers", {})
        for attempt in range(2):
            token = self.store.auth().get("access_token")
            response = await self.engine.client.request(method, path, headers={
                **headers, **self.engine._auth_headers()}, **kwargs)
            if response.status_code == 401 and attempt == 0:
                await self.engine._refresh(token)
                continue
            return response
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ upload

    def outgoing(self) -> list[str]:
        folder = self.root / "outgoing"
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if len(p.name) == 64 and p.is_file())

    async def upload_pending(self) -> int:
        """Upload every attached file the server does not hold yet; returns how many were sent.

        A file up to :attr:`part_size` goes in one request; a larger one in parts by byte range, starting
        where the server's held part ends (``GET …/upload``), so an upload cut off continues, never restarts.
        """
        sent = 0
        for sha in self.outgoing():
            path = self.root / "outgoing" / sha
            data = await asyncio.to_thread(path.read_bytes)
            if hashlib.sha256(data).hexdigest() != sha:
                # the file was damaged on this disk: keep it aside; the server refuses the mutation naming it
                log.error("attached photo %s is damaged on disk; set aside", sha[:12])
                os.replace(path, self._aside(sha))
                continue
            params = {"kind": "document"} if await asyncio.to_thread(self._is_document, sha) else {}
            if len(data) > self.part_size:
                response = await self._upload_in_parts(sha, data, params)
            else:
                response = await self._call("PUT", f"/api/v1/photos/{sha}", content=data, params=params,
                                            headers={"Content-Type": "application/octet-stream"})
                self.stats["bytes_sent"] += len(data)
            if response.status_code in (200, 201):
                self.stats["uploaded" if response.status_code == 201 else "already_there"] += 1
                sent += response.status_code == 201
                target = self.root / "cache" / sha
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
                continue
            if response.status_code in (400, 413):
                log.error("server refused attached photo %s: %s", sha[:12], response.text[:200])
                os.replace(path, self._aside(sha))
                continue
            decode(response)  # raises SyncHTTPError (5xx: the round backs off and retries)
        return sent

    def _is_document(self, sha: str) -> bool:
        """An attachment that is not a photo (PDF, Office): the server checks it as a document."""
        with self.store.read() as session:
            mime = session.scalar(select(Photo.mime).where(Photo.sha256 == sha))
        return mime is not None and not mime.startswith("image/")

    async def _upload_in_parts(self, sha: str, data: bytes, params: dict[str, str]) -> httpx.Response:
        """Send ``data`` in parts from where the server's held part ends; the last part's answer (or a refusal)."""
        status = await self._call("GET", f"/api/v1/photos/{sha}/upload")
        if status.status_code in (404, 405):  # an older county server: the whole file at once
            self.stats["bytes_sent"] += len(data)
            return await self._call("PUT", f"/api/v1/photos/{sha}", content=data, params=params,
                                    headers={"Content-Type": "application/octet-stream"})
        held = decode(status)
        if held.get("complete"):
            return httpx.Response(200, json=held.get("photo") or {})
        offset = int(held.get("offset") or 0)
        if offset:
            self.stats["resumed_from"] += offset
        total = len(data)
        while True:
            end = min(offset + self.part_size, total)
            response = await self._call(
                "PUT", f"/api/v1/photos/{sha}", content=data[offset:end], params=params,
                headers={"Content-Type": "application/octet-stream",
                         "Content-Range": f"bytes {offset}-{end - 1}/{total}"})
            self.stats["bytes_sent"] += end - offset
            if response.status_code == 409:  # the server holds a different amount: continue from there
                offset = int(((response.json().get("detail") or {}).get("offset")) or 0)
                continue
            if response.status_code != 202:
                return response
            offset = int(response.json().get("offset") or end)

    def _aside(self, sha: str) -> Path:
        folder = self.root / "refused"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / sha

    # ------------------------------------------------------------------ thumbnails

    def _note_changes(self, changes: Changes) -> None:
        if self._changed is None:
            return
        for kind in SCANNED:
            ids = changes.ids(kind)
            if "*" in ids:
                self._changed = None  # a bucket was downloaded again: look at everything
                return
            if ids:
                self._changed.setdefault(kind, set()).update(ids)

    def _missing_thumbnails(self) -> list[str]:
        only, self._changed = self._changed, {}
        with self.store.read() as session:
            named = referenced_hashes(session, only)
            if not named:
                return []
            have: set[str] = set()
            names = sorted(named)
            for start in range(0, len(names), 500):
                have.update(session.scalars(select(Photo.sha256).where(
                    Photo.sha256.in_(names[start:start + 500]), Photo.thumbnail.is_not(None))))
        return [h for h in names if h not in have and h not in self._absent]

    def _still_missing(self) -> list[str]:
        """Hashes to fetch: newly named ones, and those a failed round did not get."""
        self._waiting.update(self._missing_thumbnails())
        self._waiting -= self._absent
        return sorted(self._waiting)

    def _save_thumbnails(self, rows: list[dict[str, Any]]) -> None:
        with self.store.write() as session:
            for r in rows:
                row = session.get(Photo, r["sha256"])
                if row is None:
                    row = Photo(sha256=r["sha256"], mime=r.get("mime") or "image/jpeg", size=int(r.get("size") or 0),
                                has_full=False)
                    session.add(row)
                row.width, row.height = r.get("width"), r.get("height")
                row.thumbnail = r["thumbnail"]
                if cached_path(self.root, r["sha256"]) is not None:
                    row.has_full = True

    async def fetch_thumbnails(self) -> int:
        """Fetch the thumbnails of photos the rows name and this desk lacks; returns how many arrived."""
        missing = await asyncio.to_thread(self._still_missing)
        got = 0
        for start in range(0, len(missing), THUMB_BATCH):
            rows = await self._thumbnail_batch(missing[start:start + THUMB_BATCH])
            if rows:
                await asyncio.to_thread(self._save_thumbnails, rows)
                self._waiting.difference_update(r["sha256"] for r in rows)
                got += len(rows)
                self.stats["thumbnails"] += len(rows)
                self.store.emit(Changes({"photo": {r["sha256"] for r in rows}}))
        return got

    async def _thumbnail_batch(self, hashes: list[str]) -> list[dict[str, Any]]:
        """One round trip for up to :data:`THUMB_BATCH` thumbnails (``POST …/thumbs``); a server without it is
        asked photo by photo."""
        if not self._one_by_one:
            response = await self._call("POST", "/api/v1/photos/thumbs", json={"sha256": hashes})
            if response.status_code in (404, 405):
                self._one_by_one = True  # an older county server
            else:
                body = decode(response)
                self.stats["thumb_requests"] += 1
                self._absent.update(body.get("missing") or [])
                rows = []
                for item in body.get("photos") or []:
                    if item.get("thumbnail") is None:
                        self._absent.add(item["sha256"])  # a document: nothing to show as a tile
                        continue
                    rows.append({**item, "thumbnail": base64.b64decode(item["thumbnail"])})
                return rows
        rows = []
        for sha in hashes:
            meta = await self._call("GET", f"/api/v1/photos/{sha}")
            if meta.status_code == 404:
                self._absent.add(sha)
                continue
            info = decode(meta)
            thumb = await self._call("GET", f"/api/v1/photos/{sha}/thumb")
            if thumb.status_code == 404:
                self._absent.add(sha)
                continue
            if thumb.status_code != 200:
                decode(thumb)
            rows.append({**info, "thumbnail": thumb.content})
            self.stats["thumb_requests"] += 2
        return rows

    # ------------------------------------------------------------------ full images

    async def full_image(self, sha: str) -> Path:
        """The full image's file on this desk, fetched now if needed; raises :class:`PhotoUnavailable`."""
        held = cached_path(self.root, sha)
        if held is not None:
            return held
        pending = self._fetching.get(sha)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._fetching[sha] = future
        try:
            path = await self._fetch_full(sha)
            future.set_result(path)
            return path
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waited
            raise
        finally:
            self._fetching.pop(sha, None)

    async def _fetch_full(self, sha: str) -> Path:
        try:
            response = await self._call("GET", f"/api/v1/photos/{sha}/full")
        except httpx.TransportError:
            raise PhotoUnavailable("原图尚未下载到本机，现在连不上县服务器；联网后再打开即可查看。") from None
        if response.status_code == 404:
            raise PhotoUnavailable("县服务器上没有这张照片的原图（只有缩略图）。")
        if response.status_code != 200:
            try:
                decode(response)
            except SyncHTTPError as exc:
                raise PhotoUnavailable(f"下载原图失败：{exc.message or exc.status}；请稍后再试。") from None
        data = response.content
        if hashlib.sha256(data).hexdigest() != sha:
            raise PhotoUnavailable("下载的原图与编号不符（传输中损坏），未保存；请重新打开。")
        target = self.root / "cache" / sha
        await asyncio.to_thread(write_atomic, target, data)
        self.stats["full_fetched"] += 1
        await asyncio.to_thread(self._mark_full, sha)
        await asyncio.to_thread(self.evict)
        return target

    def _mark_full(self, sha: str) -> None:
        with self.store.write() as session:
            row = session.get(Photo, sha)
            if row is not None:
                row.has_full = True

    def evict(self) -> int:
        """Drop the least recently viewed full images beyond the cache limit (not those of open incidents)."""
        folder = self.root / "cache"
        if not folder.is_dir():
            return 0
        files = []
        for p in folder.iterdir():
            with contextlib.suppress(OSError):
                st = p.stat()
                files.append((st.st_mtime, st.st_size, p))
        total = sum(size for _t, size, _p in files)
        if total <= self.cache_limit:
            return 0
        with self.store.read() as session:
            keep = open_incident_hashes(session)
        dropped: list[str] = []
        for _mtime, size, path in sorted(files, key=lambda f: f[0]):
            if total <= self.cache_limit:
                break
            if path.name in keep:
                continue
            path.unlink(missing_ok=True)
            total -= size
            dropped.append(path.name)
        if dropped:
            with self.store.write() as session:
                for sha in dropped:
                    row = session.get(Photo, sha)
                    if row is not None:
                        row.has_full = False
            self.stats["evicted"] += len(dropped)
        return len(dropped)
