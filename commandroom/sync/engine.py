"""The workstation's sync engine: push the outbox, pull the buckets, listen for pokes (pure asyncio + httpx).

One engine per :class:`~commandroom.store.local.DeskStore`. :meth:`SyncEngine.start` runs two
tasks on the current event loop (the desktop runs them on its qasync loop):

* the **sync loop**: push every pending mutation (batches of ≤ 100, ``local_seq`` order), then
  pull until no page is left; again on a local write, on a poke, on reconnect and every
  ``pull_interval`` seconds. While the server cannot be reached the loop probes it cheaply
  (``GET /health`` every ``probe_interval`` seconds) and syncs as soon as it answers, so a line
  that comes back is noticed within seconds, not after a long back-off; a server that answers
  with errors (5xx) backs off exponentially with jitter (``backoff_start`` → ``backoff_cap``);
  401 refreshes the token (once for all concurrent requests) and resumes; 403/409 are not
  retried blindly; 426 stops sync with the server's message and keeps the outbox;
* the **events loop**: ``GET /api/v1/sync/events`` (SSE); a poke or a reconnect wakes the sync
  loop; no byte for ``heartbeat_timeout`` seconds means a dead connection: reconnect. After a failed
  connect it waits with a back-off, cut short as soon as a sync round reaches the server.

Database work runs in a worker thread (``asyncio.to_thread``) so the UI loop stays responsive;
change events are emitted back on the loop's thread. Each pulled page is its own transaction,
so cancelling a long first sync leaves the store consistent and the next sync resumes.
:meth:`SyncEngine.cancel_download` is the officer's 取消: the pull stops between pages (a page being
written is finished and shown), pushes go on, and downloading resumes at the next periodic sync or
on :meth:`SyncEngine.resume_download`.

Every answer's ``Date`` header also measures this machine's clock against the server's
(``SyncStatus.clock_offset``, see :mod:`commandroom.sync.clock`).

Tests call :meth:`SyncEngine.sync_once` directly for deterministic runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson

from commandroom import PROTOCOL_VERSION, SCHEMA_VERSION
from commandroom.mutations.core import Changes
from commandroom.store.local import DeskStore
from commandroom.sync import protocol as wire
from commandroom.sync.clock import ClockEstimator, server_epoch
from commandroom.sync.photos import PhotoSync
from commandroom.sync.status import SyncStatus
from commandroom.sync.transport import SyncHTTPError, decode, make_client
from commandroom.timeutil import utcnow

LAST_SYNC_META = "last_sync_at"  # naive-UTC ISO time of the last successful sync (local meta)
LAST_SYNC_SAVE_EVERY = timedelta(seconds=30)


def _stored_last_sync(store: DeskStore) -> datetime | None:
    """The last successful sync remembered in the store's meta (None if never, or unreadable)."""
    value = store.meta(LAST_SYNC_META)
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None

log = logging.getLogger(__name__)

StatusCallback = Callable[[SyncStatus], None]
ProgressCallback = Callable[[int, int], None]

NETWORK_ERRORS = (httpx.TransportError, httpx.DecodingError, orjson.JSONDecodeError)


class SignedOut(Exception):
    """The server refused the refresh token: the officer must sign in again (online)."""


class UpgradeRequired(Exception):
    """426: this client (or the server) must be upgraded; sync stops, the outbox is kept."""


class DownloadCancelled(Exception):
    """The officer cancelled the download: the pull stopped between pages, at consistent cursors."""


class SyncEngine:
    """Push, pull and listen for one workstation store."""

    def __init__(
        self,
        store: DeskStore,
        server_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        ca_file: str | None = None,
        allow_insecure_http: bool = False,
        device_name: str = "",
        page_size: int = wire.DEFAULT_PAGE,
        catch_up_page_size: int | None = None,
        batch_size: int = wire.MAX_BATCH,
        backoff_start: float = 5.0,
        backoff_cap: float = 60.0,
        pull_interval: float = 60.0,
        heartbeat_timeout: float | None = None,
        request_timeout: float = 30.0,
        probe_interval: float = 1.0,
        rng: random.Random | None = None,
        protocol_version: int = PROTOCOL_VERSION,
        schema_version: int = SCHEMA_VERSION,
    ) -> None:
        self.store = store
        self.server_url = server_url
        self.client = make_client(server_url, ca_file=ca_file, allow_insecure_http=allow_insecure_http,
                                  transport=transport, timeout=request_timeout)
        self.device_name = device_name
        self.page_size = page_size
        # while catching up (the server says there is more), ask for the largest pages allowed;
        # a caller that chose a page size keeps it unless it also sets this
        self.catch_up_page_size = catch_up_page_size or (wire.MAX_PAGE if page_size == wire.DEFAULT_PAGE else page_size)
        self.batch_size = batch_size
        self.backoff_start = backoff_start
        self.backoff_cap = backoff_cap
        self.pull_interval = pull_interval
        self.probe_interval = probe_interval
        self.heartbeat_timeout = heartbeat_timeout or wire.SSE_HEARTBEAT_SECONDS * 2.5
        self.total_timeout = request_timeout * 4  # a whole request, however slowly it trickles
        self.rng = rng or random.Random()
        self.protocol_version = protocol_version
        self.schema_version = schema_version
        # the last successful sync survives a restart: an offline start says when it was, not "not synced yet"
        self._saved_success = _stored_last_sync(store)
        self.status = SyncStatus(pending=store.pending_count(), rejected=store.rejected_count(),
                                 incarnation_reason=store.incarnation_reason, last_success=self._saved_success)
        self._status_cbs: list[StatusCallback] = []
        self._progress_cbs: list[ProgressCallback] = []
        self._wake = asyncio.Event()
        self._reached = asyncio.Event()  # set by every round that reached the server (the events loop waits on it)
        self._unreachable = False  # the last round failed on the network (not on an answer): probe, do not back off
        self._refresh_lock = asyncio.Lock()
        self._lock = asyncio.Lock()
        self._tasks: list[asyncio.Task] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_prune = None
        self._prefetched: tuple[dict[str, int], asyncio.Task] | None = None
        self._pull_cancel: asyncio.Event | None = None  # set while a pull runs; set() stops it
        self._pull_fetch: asyncio.Future | None = None  # the page request being awaited (cancelled with it)
        self._pull_paused_until: float | None = None  # time.monotonic(); pulls wait until then (or resume)
        self._cancelled_start: int | None = None  # where a cancelled download began: progress goes on from it
        self.clock = ClockEstimator()
        self.pokes = 0
        self.sse_connects = 0
        self.stats = {"pushed": 0, "pulled_pages": 0, "stale_pages": 0, "recoveries": 0, "resyncs": 0,
                      "new_incarnations": 0, "refreshes": 0}
        self._unsubscribe = store.subscribe(self._on_local_change)
        self.photos = PhotoSync(self)

    # ------------------------------------------------------------------ observers


    def on_status(self, callback: StatusCallback) -> Callable[[], None]:
        """Call ``callback(SyncStatus)`` whenever the status changes (on the engine's loop)."""
        self._status_cbs.append(callback)
        callback(self.status)
        return lambda: self._status_cbs.remove(callback) if callback in self._status_cbs else None

    def on_progress(self, callback: ProgressCallback) -> Callable[[], None]:
        """Call ``callback(done, total)`` after every pulled page (a long first sync shows progress)."""
        self._progress_cbs.append(callback)
        return lambda: self._progress_cbs.remove(callback) if callback in self._progress_cbs else None

    def _set_status(self, **changes: Any) -> None:
        changes.setdefault("pending", self.store.pending_count())
        changes.setdefault("rejected", self.store.rejected_count())
        new = self.status.with_(**changes)
        success = changes.get("last_success")
        if success is not None and (self._saved_success is None
                                    or success - self._saved_success >= LAST_SYNC_SAVE_EVERY):
            self._saved_success = success
            try:
                self.store.set_meta(LAST_SYNC_META, success.isoformat())
            except Exception:  # a courtesy for the next start; syncing goes on
                log.exception("could not remember the last sync time")
        if new != self.status:
            self.status = new
            for cb in list(self._status_cbs):
                try:
                    cb(new)
                except Exception:
                    log.exception("status callback failed")

    def _online(self) -> None:
        self._set_status(online=True, offline_since=None, last_success=utcnow(), last_error="")

    def _offline(self, error: str) -> None:
        self._set_status(online=False, offline_since=self.status.offline_since or utcnow(), last_error=error)

    def _on_local_change(self, changes: Changes) -> None:
        if not changes.touches("local_outbox"):
            return
        loop = self._loop
        if loop is None:
            self._wake.set()
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._wake.set()
            self._set_status()
        else:
            loop.call_soon_threadsafe(self._wake.set)

    def wake(self) -> None:
        """Sync soon (a local write, a poke, a reconnect)."""
        self._wake.set()

    # ------------------------------------------------------------------ HTTP

    def _auth_headers(self) -> dict[str, str]:
        token = self.store.auth().get("access_token")
        return {"Authorization": f"Bearer {token}"} if token else {}

    async def _request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                       **kwargs: Any) -> dict[str, Any]:
        for attempt in range(2):
            sent_at, started = time.time(), time.monotonic()
            token = self.store.auth().get("access_token")
            try:
                response = await asyncio.wait_for(
                    self.client.request(method, path, headers={**(headers or {}), **self._auth_headers()}, **kwargs),
                    timeout=self.total_timeout)
            except TimeoutError:
                raise httpx.ReadTimeout(f"no complete answer within {self.total_timeout:.0f} s") from None
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                # Python 3.11's wait_for drops a cancel that races with the answer (see stop()): honour it
                raise asyncio.CancelledError()
            self._note_clock(response, sent_at, started)
            if response.status_code == 401 and attempt == 0:
                await self._refresh(token)
                continue
            if response.status_code == 426:
                body = decode_quiet(response)
                self._upgrade(str((body.get("detail") or {}).get("message") or "upgrade required"))
            return decode(response)
        raise AssertionError("unreachable")

    def _note_clock(self, response: httpx.Response, sent_at: float, started: float) -> None:
        """One more clock sample from an answer's ``Date`` (sent at local Unix time ``sent_at``)."""
        at = server_epoch(response.headers)
        if at is None:
            return
        offset = round(self.clock.add(at, sent_at, time.monotonic() - started))
        if offset != self.status.clock_offset:
            self._set_status(clock_offset=offset)
            self.store.clock_offset = self.status.clock_correction
        self.store.clock_skew = self.status.clock_skew

    async def _refresh(self, stale: str | None = None) -> None:
        """A new access token from the refresh token (an expired one after a long outage, say).

        ``stale``: the access token the server refused. Concurrent requests (push, pull prefetch, the
        event stream) all meet the expired token at once; the first refreshes, the others see a newer
        token and retry with it (a second refresh would replace the token the first one just got).
        """
        async with self._refresh_lock:
            if stale is not None and self.store.auth().get("access_token") != stale:
                return
            await self._refresh_now()

    async def _refresh_now(self) -> None:
        auth = self.store.auth()
        refresh = auth.get("refresh_token")
        if not refresh:
            self._set_status(signed_in=False, last_error="请先登录 (sign in first)")
            raise SignedOut("not signed in")
        response = await self.client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
        if response.status_code == 401:
            body = decode_quiet(response)
            message = str((body.get("detail") or {}).get("message") or "sign in again")
            self._set_status(signed_in=False, last_error=f"登录已失效，请重新登录 ({message})")
            raise SignedOut(message)
        data = decode(response)
        auth = {**auth, "access_token": data["access_token"]}
        await asyncio.to_thread(self.store.save_login, auth)
        self.stats["refreshes"] += 1

    def _upgrade(self, message: str) -> None:
        self._set_status(upgrade_required=message, last_error=message, syncing=False)
        raise UpgradeRequired(message)

    # ------------------------------------------------------------------ sign-in

    async def login(self, username: str, password: str, device_name: str | None = None) -> dict[str, Any]:
        """Sign in online; keeps the tokens and an offline verifier (see :meth:`DeskStore.verify_offline`)."""
        sent_at, started = time.time(), time.monotonic()
        response = await self.client.post("/api/v1/auth/login", json={
            "username": username, "password": password, "device_id": self.store.device_id,
            "device_name": device_name if device_name is not None else self.device_name,
        })
        self._note_clock(response, sent_at, started)
        data = decode(response)
        await asyncio.to_thread(self.store.save_login, {
            "access_token": data["access_token"], "refresh_token": data["refresh_token"],
            "user": data.get("user"), "server_url": self.server_url,
        })
        await asyncio.to_thread(self.store.set_meta, "buckets", data.get("buckets") or [])
        await asyncio.to_thread(self.store.save_offline_verifier, username, password, data.get("user") or {})
        self._set_status(signed_in=True, last_error="")
        self.wake()
        return data.get("user") or {}

    # ------------------------------------------------------------------ push

    async def _check_epoch(self, epoch: str | None, restored_head: int | None) -> bool:
        """Run the server-restore recovery if the epoch changed; True if it did."""
        if not epoch:
            return False
        known = await asyncio.to_thread(self.store.meta, "epoch")
        if known is None:
            await asyncio.to_thread(self.store.set_epoch, epoch)
            return False
        if known == epoch:
            return False
        log.warning("server epoch changed %s → %s (restored_head %s): recovering", known, epoch, restored_head)
        buckets = await asyncio.to_thread(self.store.meta, "buckets", [])
        await asyncio.to_thread(self.store.restore_recovery, epoch, restored_head, buckets)
        self.stats["recoveries"] += 1
        self.store.emit(Changes({"local_outbox": {"*"}, "local_sync_cursor": {"*"}}))
        return True

    async def push_once(self) -> int:
        """Push every pending mutation; returns how many results came back.

        Photos attached at this desk go up first: the server refuses a mutation naming a photo it lacks.

        One request at a time, each sent only after the previous one was answered (a second request in flight
        would reach the server with a gap if the first failed). But once an answer covers its whole batch
        (every mutation has its result, no stop, the epoch unchanged), the server has committed it all: the
        next batch goes out at once and the answer is recorded meanwhile (the rebase a rejection costs, the
        outbox writes), instead of the server waiting for this desk's bookkeeping. If the desk stops before
        that recording is written, the batch is sent again and the server answers it from its dedup records.
        """
        done = 0
        await self.photos.upload_pending()
        recording: asyncio.Task | None = None  # the previous answer being written while this batch is out
        after: int | None = None  # that answer's last local_seq: the next batch starts past it
        try:
            for _round in range(10_000):
                batch = await asyncio.to_thread(self.store.pending_batch, self.batch_size, after)
                if not batch or not batch["mutations"]:
                    break
                body = {**batch, "protocol_version": self.protocol_version, "schema_version": self.schema_version}
                try:
                    data = await self._request("POST", "/api/v1/sync/push", content=wire.dumps(body),
                                               headers={"Content-Type": "application/json"})
                except SyncHTTPError as exc:
                    if recording is not None:
                        task, recording, after = recording, None, None
                        await task  # the earlier answer first: what follows assumes it is written
                    unknown = (exc.body.get("detail") or {}).get("unknown") if exc.status == 422 else None
                    if unknown:
                        # the server cannot process these at all: set them aside (rejected) so the queue goes on
                        await self._record([{"mutation_id": m, "status": wire.REJECTED, "seq": None,
                                             "code": "unknown_mutation", "explanation": exc.message}
                                            for m in unknown], None)
                        continue
                    if exc.status == 409 and exc.code == wire.CODE_NEW_INCARNATION:
                        await self._record(exc.body.get("results") or [], exc.body.get("epoch"))
                        await asyncio.to_thread(self.store.new_incarnation, exc.message)
                        self.stats["new_incarnations"] += 1
                        self._set_status(incarnation_reason=exc.message)
                        continue
                    raise
                if recording is not None:
                    task, recording, after = recording, None, None
                    await task  # answers are written in the order they came
                results = data.get("results") or []
                done += len(results)
                self.stats["pushed"] += len(results)
                if results and await self._answered_in_full(batch, data):
                    recording = asyncio.create_task(self._record(results, data.get("epoch")))
                    after = batch["mutations"][-1]["local_seq"]
                    continue
                await self._record(results, data.get("epoch"))
                if await self._check_epoch(data.get("epoch"), data.get("restored_head")):
                    continue
                stop = data.get("stop")
                if stop and stop.get("code") == wire.CODE_GAP:
                    log.warning("server expects local_seq %s: re-sending from there in a new incarnation",
                                stop.get("expected"))
                    await asyncio.to_thread(self.store.new_incarnation, stop.get("message", "gap"),
                                            repend_from=stop.get("expected"))
                    self.stats["new_incarnations"] += 1
                    continue
                if not results:
                    break
            if recording is not None:
                task, recording = recording, None
                await task
        finally:
            if recording is not None:  # left by an error or a cancel: a thread cannot be stopped halfway
                if not recording.done():
                    await asyncio.wait({recording})
                if not recording.cancelled() and recording.exception() is not None:
                    log.error("a push answer was not recorded (the batch is sent again and answered from the "
                              "server's dedup records)", exc_info=recording.exception())
        return done

    async def _answered_in_full(self, batch: dict[str, Any], data: dict[str, Any]) -> bool:
        """The answer gives every mutation of ``batch`` its result, without a stop, under the epoch the desk
        knows: nothing of it is left to send and no recovery follows, so the next batch may go before it is
        recorded."""
        if data.get("stop") or not data.get("epoch"):
            return False
        sent = {m["mutation_id"] for m in batch["mutations"]}
        answered = {str(r.get("mutation_id") or "") for r in data.get("results") or ()}
        if sent != answered:
            return False
        return data["epoch"] == await asyncio.to_thread(self.store.meta, "epoch")

    async def _record(self, results: list[dict[str, Any]], epoch: str | None) -> None:
        if not results:
            return
        changes = await asyncio.to_thread(self.store.record_results, results, epoch)
        self.store.emit(changes)

    # ------------------------------------------------------------------ pull

    async def pull_once(self) -> int:
        """Pull pages until the server has nothing more; returns the number of changes applied.

        Raises :class:`DownloadCancelled` when :meth:`cancel_download` stopped it (between pages).
        """
        applied = 0
        stale = 0
        start: int | None = None
        prefetch: tuple[dict[str, int], asyncio.Task] | None = None
        cancel = self._pull_cancel = asyncio.Event()
        try:
            for _page in range(1_000_000):
                if cancel.is_set():
                    raise DownloadCancelled()
                buckets = await asyncio.to_thread(self.store.meta, "buckets", [])
                cursors = await asyncio.to_thread(self.store.cursors)
                request = {b: cursors.get(b, 0) for b in buckets} if buckets else cursors
                fetched = None
                if prefetch is not None:
                    asked, task = prefetch
                    prefetch = None
                    if asked == request:
                        fetched = task  # the next page was requested while this one was being written
                    else:
                        task.cancel()
                try:
                    result = await self._pull_step(request, buckets, fetched, cancel)
                finally:
                    prefetch, self._prefetched = self._prefetched, None
                if result is None:
                    start = None
                    continue
                data, changes = result
                if changes is None:
                    stale += 1
                    self.stats["stale_pages"] += 1
                    if stale > 5:
                        raise httpx.TransportError("the server keeps answering with out-of-date pages")
                    continue
                stale = 0
                self.stats["pulled_pages"] += 1
                n = len(data.get("changes") or ())
                applied += n
                self.store.emit(changes)
                if start is None:
                    start = min(request.values()) if request else 0
                    if self._cancelled_start is not None:
                        start, self._cancelled_start = min(start, self._cancelled_start), None
                head = int(data.get("head") or 0)
                changes_list = data.get("changes") or ()
                last = changes_list[-1]["seq"] if changes_list else head
                total = max(head - start, 1)
                done = total if not data.get("has_more") else max(0, min(total, last - start))
                for cb in list(self._progress_cbs):
                    with contextlib.suppress(Exception):
                        cb(done, total)
                if not data.get("has_more"):
                    break
        except DownloadCancelled:
            if start is not None:
                self._cancelled_start = start if self._cancelled_start is None else min(start, self._cancelled_start)
            raise
        finally:
            self._pull_cancel = self._pull_fetch = None
            if prefetch is not None:
                prefetch[1].cancel()
                # let it end on this loop (a task cancelled before its first step and then left behind
                # warns "never awaited" when a test's loop closes)
                await asyncio.wait({prefetch[1]}, timeout=1.0)
        return applied

    def _pull_request(self, request: dict[str, int], limit: int | None = None) -> asyncio.Task:
        params = {"cursors": orjson.dumps(request).decode(), "limit": limit or self.page_size,
                  "protocol_version": self.protocol_version, "schema_version": self.schema_version}
        return asyncio.ensure_future(self._request("GET", "/api/v1/sync/pull", params=params))

    async def _pull_step(self, request: dict[str, int], buckets: list[str], fetched: asyncio.Task | None,
                         cancel: asyncio.Event) -> tuple[dict[str, Any], Changes | None] | None:
        """Fetch (or take the prefetched) page for ``request`` and write it; None: start over."""
        self._prefetched = None
        task = fetched or self._pull_request(request)
        if cancel.is_set():
            task.cancel()
            await asyncio.wait({task})
            raise DownloadCancelled()
        self._pull_fetch = task
        try:
            data = await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if cancel.is_set() and not (current and current.cancelling()):
                raise DownloadCancelled() from None  # cancel_download() dropped the page on the wire
            raise
        except SyncHTTPError as exc:
            if exc.status == 410:
                resync = (exc.body.get("detail") or {}).get("resync") or list(request)
                log.warning("server compacted past our cursors: downloading %s again", resync)
                changes = await asyncio.to_thread(self.store.rebuild_buckets, resync)
                self.store.emit(changes)
                self.stats["resyncs"] += 1
                return None
            if exc.status == 403 and exc.code == wire.CODE_BUCKET_FORBIDDEN:
                bucket = (exc.body.get("detail") or {}).get("bucket")
                if bucket in request:
                    await self._drop_bucket(bucket, buckets)
                    return None
            raise
        if await self._check_epoch(data.get("epoch"), data.get("restored_head")):
            await self.push_once()
            return None
        head = int(data.get("head") or 0)
        ahead = [b for b, c in request.items() if c > head]
        if ahead and data.get("since") == request:
            # the server is behind our cursors under the same epoch: it went backwards (restored)
            log.warning("server head %s is behind our cursors %s: treating it as a restore", head, ahead)
            await asyncio.to_thread(self.store.restore_recovery, data["epoch"], head, buckets, same_epoch=True)
            self.stats["recoveries"] += 1
            await self.push_once()
            return None
        server_buckets = data.get("buckets")
        if server_buckets is not None and sorted(server_buckets) != sorted(buckets):
            await asyncio.to_thread(self.store.set_meta, "buckets", list(server_buckets))
            for gone in set(buckets) - set(server_buckets):
                await self._drop_bucket(gone, list(server_buckets), already_set=True)
            if buckets:  # a board this desk may no longer read (its module lead's modules changed) is forgotten
                changes = await asyncio.to_thread(self.store.forget_boards_outside, list(server_buckets))
                self.store.emit(changes)
            return None
        if data.get("has_more"):
            # catching up: ask for the largest pages the server allows (fewer round trips)
            self._prefetched = (dict(data.get("cursors") or {}),
                                self._pull_request(dict(data.get("cursors") or {}), self.catch_up_page_size))
        changes = await asyncio.to_thread(self.store.apply_page, data)
        return data, changes

    async def _thumbnails(self) -> None:
        """The thumbnails of photos the pulled rows name (best effort: a server error does not fail the round)."""
        try:
            await self.photos.fetch_thumbnails()
        except SyncHTTPError as exc:
            log.warning("thumbnails not fetched this round: %s", exc)

    async def _drop_bucket(self, bucket: str, buckets: list[str], *, already_set: bool = False) -> None:
        log.warning("no longer allowed to read %s: forgetting it", bucket)
        if not already_set:
            await asyncio.to_thread(self.store.set_meta, "buckets", [b for b in buckets if b != bucket])
        changes = await asyncio.to_thread(self.store.rebuild_buckets, [bucket])
        self.store.emit(changes)

    # ------------------------------------------------------------------ one round

    async def sync_once(self, *, raise_errors: bool = False) -> bool:
        """Push, pull, and push again if the pull produced work; True when the round succeeded."""
        async with self._lock:
            self._loop = asyncio.get_running_loop()
            if self.status.upgrade_required:
                return False
            self._set_status(syncing=True)
            try:
                for _ in range(5):
                    await self.push_once()
                    if self._download_paused():
                        break  # the officer cancelled the download: send, do not fetch
                    await self.pull_once()
                    if await asyncio.to_thread(self.store.pending_count) == 0:
                        break
                if not self._download_paused():
                    await self._thumbnails()
                await self._maybe_prune()
                self._set_status(syncing=False, online=True, offline_since=None, last_success=utcnow(),
                                 last_error="")
                self._reached_server()
                return True
            except DownloadCancelled:
                log.info("download cancelled by the officer; it resumes at %s", self.status.download_paused_until)
                self._set_status(syncing=False, online=True, offline_since=None, last_error="")
                self._reached_server()
                return True
            except UpgradeRequired:
                self._set_status(syncing=False)
                if raise_errors:
                    raise
                return False
            except SignedOut as exc:
                self._set_status(syncing=False, signed_in=False, last_error=str(exc))
                if raise_errors:
                    raise
                return False
            except NETWORK_ERRORS as exc:
                self._set_status(syncing=False)
                self._offline(f"{type(exc).__name__}: {exc}")
                self._unreachable = True
                if raise_errors:
                    raise
                return False
            except SyncHTTPError as exc:
                self._set_status(syncing=False)
                self._reached_server()
                if exc.status >= 500:
                    self._offline(f"server error {exc.status}")
                else:
                    self._set_status(online=True, offline_since=None, last_error=exc.message or str(exc))
                if raise_errors:
                    raise
                return False
            except Exception as exc:
                # a bug or a local database error: say so and keep the background loop alive (it used to
                # end here for the rest of the session, the status bar still saying 同步中)
                log.exception("sync round failed")
                self._set_status(syncing=False, last_error=f"同步出错：{type(exc).__name__}: {exc}")
                if raise_errors:
                    raise
                return False

    # ------------------------------------------------------------------ cancelling a download

    @property
    def downloading(self) -> bool:
        """A pull is running (what :meth:`cancel_download` would stop)."""
        return self._pull_cancel is not None

    def cancel_download(self) -> bool:
        """Stop the running download between pages; False when none was running.

        Pages already written stay (each is one transaction with its cursors) and the outbox is not
        touched; pushes go on. Pulls wait until the next periodic sync (``pull_interval``) or
        :meth:`resume_download`, then continue from the cursors. Pokes do not end the wait: in a
        busy township they would restart the download at once.
        """
        if self._pull_cancel is None:
            return False
        self._pull_cancel.set()
        if self._pull_fetch is not None and not self._pull_fetch.done():
            self._pull_fetch.cancel()  # a page still on the wire is dropped; one being written is finished
        self._pull_paused_until = time.monotonic() + self.pull_interval
        self._set_status(download_paused_until=utcnow() + timedelta(seconds=self.pull_interval))
        return True

    def resume_download(self) -> None:
        """Download again now (the officer's 继续下载 after a cancel)."""
        self._pull_paused_until = None
        self._set_status(download_paused_until=None)
        self.wake()

    def _download_paused(self) -> bool:
        if self._pull_paused_until is None:
            return False
        if time.monotonic() < self._pull_paused_until:
            return True
        self._pull_paused_until = None
        self._set_status(download_paused_until=None)
        return False

    def _reached_server(self) -> None:
        self._unreachable = False
        self._reached.set()

    async def _probe(self) -> bool | None:
        """One cheap ``GET /health``: True when the server answers well, False when it answers with an
        error, None when it cannot be reached."""
        timeout = max(self.probe_interval, 1.0)
        try:
            response = await asyncio.wait_for(self.client.get("/health", timeout=timeout), timeout + 0.5)
        except (*NETWORK_ERRORS, TimeoutError):
            return None
        return response.status_code < 500

    async def _wait_for_server(self) -> bool:
        """Offline: probe the server every ``probe_interval`` s until it answers (True: sync now) or answers
        with an error (False: back off). A local write or a poke ends the wait too (True)."""
        while True:
            answered = await self._probe()
            if answered is not None:
                return answered
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.probe_interval)
            if self._wake.is_set():
                return True

    async def _maybe_prune(self) -> None:
        now = utcnow()
        if self._last_prune is None or (now - self._last_prune).total_seconds() > 3600:
            self._last_prune = now
            await asyncio.to_thread(self.store.prune_journal)

    async def audit(self, *, repair: bool = True) -> dict[str, Any] | None:
        """Compare per-bucket count + hash with the server (docs/sync-protocol.md "Failure scenarios" 20); re-download mismatching buckets.

        Returns ``{bucket: {"local": …, "server": …}}`` for mismatches (empty: all agree), or None when
        the comparison is not meaningful now (unsent or unconfirmed local edits, cursors behind).
        """
        if await asyncio.to_thread(self.store.pending_count):
            return None
        buckets = await asyncio.to_thread(self.store.meta, "buckets", [])
        data = await self._request("GET", "/api/v1/sync/summary", params={"buckets": ",".join(buckets)})
        cursors = await asyncio.to_thread(self.store.cursors)
        local = await asyncio.to_thread(self.store.bucket_summaries, buckets)
        bad: dict[str, Any] = {}
        for b, srv in (data.get("buckets") or {}).items():
            if cursors.get(b, 0) < srv["seq"]:
                return None
            mine = local.get(b, {})
            if mine.get("count") != srv["count"] or mine.get("hash") != srv["hash"]:
                bad[b] = {"local": mine, "server": srv}
        if bad:
            log.warning("SYNC ALERT: bucket summaries differ from the server: %s", bad)
            if repair:
                changes = await asyncio.to_thread(self.store.rebuild_buckets, list(bad))
                self.store.emit(changes)
                await self.pull_once()
        return bad

    # ------------------------------------------------------------------ background loops

    def start(self) -> None:
        """Run the sync loop and the events loop on the current event loop."""
        self._loop = asyncio.get_running_loop()
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._sync_loop(), name="sync-loop"),
                           asyncio.create_task(self._events_loop(), name="sync-events")]
        self.wake()

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for t in tasks:
            t.cancel()
        for t in tasks:
            # Python 3.11's asyncio.wait_for loses a cancellation that races with its inner future
            # completing (the loop's wake-up wait): cancel again until the task has really ended
            for _attempt in range(50):
                await asyncio.wait({t}, timeout=0.2)
                if t.done():
                    break
                t.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                if t.done():
                    t.result()

    async def aclose(self) -> None:
        await self.stop()
        self._unsubscribe()
        self.photos.close()
        await self.client.aclose()

    async def _sync_loop(self) -> None:
        delay = self.backoff_start
        while True:
            self._wake.clear()
            ok = await self.sync_once()
            if self.status.upgrade_required:
                return
            if ok:
                delay = self.backoff_start
                wait = self.pull_interval
            elif not self.status.signed_in:
                wait = None  # until login() wakes us
            elif self.status.online and self.status.last_error:
                wait = self.backoff_cap  # 403/409/4xx: do not hammer; retry later or on a new event
            elif self._unreachable and await self._wait_for_server():
                continue  # the server answers again (or there is new work): sync now
            else:
                # a server that answers with errors (5xx), or a probe that did: back off
                wait = delay * (0.5 + self.rng.random())
                delay = min(delay * 2, self.backoff_cap)
            paused_for = None if self._pull_paused_until is None else self._pull_paused_until - time.monotonic()
            if paused_for is not None and paused_for > 0 and wait is not None:
                wait = min(wait, paused_for)  # a cancelled download resumes when its pause ends, not later
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    async def _events_loop(self) -> None:
        delay = 1.0
        while True:
            connects = self.sse_connects
            try:
                await self._listen()
                delay = 1.0
            except asyncio.CancelledError:
                raise
            except SignedOut:
                await asyncio.sleep(self.backoff_cap)
            except UpgradeRequired:
                return
            except Exception as exc:  # noqa: BLE001 - reconnect whatever happened
                log.debug("events connection ended: %s", exc)
            if self.sse_connects > connects:
                # an established stream ended: sync now, so the status shows at once whether the
                # server is gone (offline, with the backoff) instead of after the periodic pull
                self.wake()
            # back off, but reconnect as soon as a sync round reaches the server again (the sync loop
            # probes it while it is unreachable), so pokes resume with the line
            self._reached.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._reached.wait(), timeout=delay * (0.5 + self.rng.random()))
            delay = min(delay * 2, 30.0)

    async def _listen(self) -> None:
        timeout = httpx.Timeout(connect=10.0, read=self.heartbeat_timeout, write=10.0, pool=10.0)
        for attempt in range(2):
            sent_at, started = time.time(), time.monotonic()
            token = self.store.auth().get("access_token")
            async with self.client.stream("GET", "/api/v1/sync/events", headers=self._auth_headers(),
                                          timeout=timeout) as response:
                self._note_clock(response, sent_at, started)
                if response.status_code == 401 and attempt == 0:
                    await response.aread()
                    await self._refresh(token)
                    continue
                if response.status_code != 200:
                    await response.aread()
                    decode(response)
                self.sse_connects += 1
                self.wake()  # (re)connected: whatever was missed arrives with the next pull
                event = "message"
                async for line in response.aiter_lines():
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:"):
                        await self._on_event(event, line[5:].strip())
                    elif not line:
                        event = "message"
                return

    async def _on_event(self, event: str, data: str) -> None:
        try:
            payload = orjson.loads(data) if data else {}
        except orjson.JSONDecodeError:
            return
        if event in ("poke", "hello"):
            self.pokes += 1
            heads = payload.get("heads") or {}
            cursors = await asyncio.to_thread(self.store.cursors)
            known = await asyncio.to_thread(self.store.meta, "epoch")
            if (payload.get("epoch") and payload.get("epoch") != known) or any(
                    h is None or int(h) > cursors.get(b, 0) for b, h in heads.items()) or not heads:
                self.wake()
        elif event == "signed_out":
            self.wake()


def decode_quiet(response: httpx.Response) -> dict[str, Any]:
    try:
        body = orjson.loads(response.content) if response.content else {}
        return body if isinstance(body, dict) else {}
    except orjson.JSONDecodeError:
        return {}
