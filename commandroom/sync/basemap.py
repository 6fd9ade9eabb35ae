"""A desk's copy of the county's base maps: downloaded in the background, resumable, swapped atomically.

After a successful sync round (at most every :attr:`BaseMapSync.check_interval` seconds) the
desk asks the server for its base maps (``GET /api/v1/basemaps``). For each layer whose newest
version it does not hold, it downloads the package in chunks of :data:`CHUNK` bytes into
``<layer>-v<version>.mbtiles.part``, asking with an HTTP ``Range`` for what is still missing, so
an interruption (network gone, desk closed, the officer pressing pause) costs nothing already
received. A complete file must match the server's SHA-256; only then is it renamed into place
and the manifest (``basemaps.json``, itself replaced atomically) switches to it. The old version
is deleted after the switch. Offline, or when anything fails, the desk keeps what it has.

Files live in :func:`desk_basemap_dir` next to the workstation database; the map page reads the
manifest through :func:`installed_layers`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from commandroom.basemap.local import installed_layers, read_manifest, write_manifest
from commandroom.sync.transport import SyncHTTPError, decode

log = logging.getLogger(__name__)

CHUNK = 512 * 1024
NETWORK_ERRORS = (httpx.TransportError, httpx.DecodingError)


@dataclass(frozen=True)
class BaseMapProgress:
    """What the status bar shows: the layer in transfer, bytes so far and in all, paused or not."""

    name: str = ""
    layer: str = ""
    done: int = 0
    total: int = 0
    active: bool = False
    paused: bool = False
    error: str = ""
    installed: tuple[str, ...] = ()  # "layer:version" of what the desk holds


class BaseMapSync:
    """Keeps ``folder`` holding the newest version of every layer on the server."""

    def __init__(
        self,
        folder: str | Path,
        client: httpx.AsyncClient,
        auth_headers: Callable[[], dict[str, str]] = dict,
        *,
        refresh: Callable[[], Any] | None = None,
        check_interval: float = 600.0,
        chunk: int = CHUNK,
    ) -> None:
        self.folder = Path(folder)
        self.client = client
        self.auth_headers = auth_headers
        self.refresh = refresh
        self.check_interval = check_interval
        self.chunk = chunk
        self.progress = BaseMapProgress(installed=self._installed_keys())
        self._progress_cbs: list[Callable[[BaseMapProgress], None]] = []
        self._installed_cbs: list[Callable[[], None]] = []
        self._paused = False
        self._task: asyncio.Task | None = None
        self._last_check: float | None = None

    @classmethod
    def for_engine(cls, engine: Any, folder: str | Path, **kwargs: Any) -> BaseMapSync:
        """A downloader sharing a :class:`~commandroom.sync.engine.SyncEngine`'s client and sign-in;
        it checks after each successful sync round."""
        sync = cls(folder, engine.client, engine._auth_headers, refresh=engine._refresh, **kwargs)
        engine.on_status(sync._on_sync_status)
        return sync

    # ------------------------------------------------------------------ observers and controls

    def on_progress(self, callback: Callable[[BaseMapProgress], None]) -> None:
        self._progress_cbs.append(callback)
        callback(self.progress)

    def on_installed(self, callback: Callable[[], None]) -> None:
        """``callback()`` after a new version was switched in (map pages rebuild)."""
        self._installed_cbs.append(callback)

    def pause(self) -> None:
        """Stop after the current chunk; what arrived is kept for :meth:`resume`."""
        self._paused = True
        self._report(paused=True)

    def resume(self) -> None:
        self._paused = False
        self._report(paused=False)
        self.trigger(force=True)

    @property
    def paused(self) -> bool:
        return self._paused

    def _report(self, **changes: Any) -> None:
        self.progress = replace(self.progress, **changes)
        for cb in list(self._progress_cbs):
            try:
                cb(self.progress)
            except Exception:
                log.exception("base map progress callback failed")

    def _installed_keys(self) -> tuple[str, ...]:
        return tuple(f"{e['layer']}:{e['version']}" for e in installed_layers(self.folder))

    # ------------------------------------------------------------------ scheduling

    def _on_sync_status(self, status: Any) -> None:
        if getattr(status, "last_success", None) is not None and getattr(status, "online", False):
            self.trigger()

    def trigger(self, *, force: bool = False) -> None:
        """Start a background check unless one runs, the desk paused it, or one ran recently."""
        if self._paused or (self._task is not None and not self._task.done()):
            return
        now = time.monotonic()
        if not force and self._last_check is not None and now - self._last_check < self.check_interval:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._last_check = now
        self._task = loop.create_task(self._run_quietly())

    async def _run_quietly(self) -> None:
        try:
            await self.sync_once()
        except NETWORK_ERRORS as exc:
            log.info("base map download stopped (offline?): %s", exc)
            self._report(active=False, error="")
        except (SyncHTTPError, BaseMapDownloadError) as exc:
            log.warning("base map download failed: %s", exc)
            self._report(active=False, error=str(getattr(exc, "message", "") or exc))
        except Exception as exc:  # keep the desk running; say what happened
            log.exception("base map download failed")
            self._report(active=False, error=f"{type(exc).__name__}: {exc}")

    async def aclose(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    # ------------------------------------------------------------------ the work

    async def _get(self, path: str, **kwargs: Any) -> httpx.Response:
        extra = kwargs.pop("headers", {})
        response = await self.client.get(path, headers={**extra, **self.auth_headers()}, **kwargs)
        if response.status_code == 401 and self.refresh is not None:
            await self.refresh()
            response = await self.client.get(path, headers={**extra, **self.auth_headers()}, **kwargs)
        return response

    async def sync_once(self) -> list[str]:
        """Bring every layer up to the server's newest version; the ``layer:version`` keys installed now.

        Returns early (keeping partial files) when paused.
        """
        listing = decode(await self._get("/api/v1/basemaps")).get("basemaps", [])
        self.folder.mkdir(parents=True, exist_ok=True)
        manifest = read_manifest(self.folder)
        self._remove_unreferenced(manifest)
        installed: list[str] = []
        for item in listing:  # raster and vector layers alike: the desk draws vector tiles to PNG itself
            have = manifest["layers"].get(item["layer"])
            if have and have.get("sha256") == item["sha256"] and (self.folder / have["file"]).is_file():
                continue
            if self._paused:
                break
            done = await self._download(item)
            if not done:
                break
            self._install(item)
            installed.append(f"{item['layer']}:{item['version']}")
        self._report(active=False, error="", installed=self._installed_keys())
        if installed:
            for cb in list(self._installed_cbs):
                try:
                    cb()
                except Exception:
                    log.exception("base map installed callback failed")
        return installed

    def _remove_unreferenced(self, manifest: dict[str, Any]) -> None:
        """Old versions a map page still held open when they were replaced (Windows keeps them)."""
        keep = {e.get("file") for e in manifest["layers"].values()}
        for path in self.folder.glob("*.mbtiles"):
            if path.name not in keep:
                with contextlib.suppress(OSError):
                    path.unlink()

    def _file_name(self, item: dict[str, Any]) -> str:
        return f"{item['layer']}-v{item['version']}-{item['sha256'][:12]}.mbtiles"

    async def _download(self, item: dict[str, Any]) -> bool:
        """Fetch the package into its ``.part`` file; True when complete and verified."""
        part = self.folder / (self._file_name(item) + ".part")
        total = int(item["size"])
        # a part of another version of this layer is of no use any more
        for stale in self.folder.glob(f"{item['layer']}-v*.mbtiles.part"):
            if stale != part:
                stale.unlink(missing_ok=True)
        have = part.stat().st_size if part.exists() else 0
        if have > total:
            part.unlink()
            have = 0
        self._report(name=item.get("name", ""), layer=item["layer"], done=have, total=total, active=True,
                     paused=False, error="")
        url = f"/api/v1/basemaps/{item['id']}/package"
        while have < total:
            if self._paused:
                self._report(active=False, paused=True)
                return False
            end = min(total, have + self.chunk) - 1
            response = await self._get(url, headers={"Range": f"bytes={have}-{end}"})
            if response.status_code == 200 and have == 0 and len(response.content) == total:
                body = response.content  # a server without ranges: the whole file in one answer
            elif response.status_code == 206:
                body = response.content
                if len(body) != end - have + 1:
                    raise BaseMapDownloadError(f"the server sent {len(body)} bytes for {end - have + 1} asked")
            else:
                decode(response)  # raises with the server's words
                raise BaseMapDownloadError(f"unexpected answer {response.status_code} to a ranged request")
            with part.open("ab") as fh:
                fh.write(body)
            have += len(body)
            self._report(done=have)
        if await asyncio.to_thread(_sha256, part) != item["sha256"]:
            part.unlink(missing_ok=True)
            raise BaseMapDownloadError(
                f"the downloaded base map {item.get('name', '')} does not match the server's checksum; "
                "it was discarded and is fetched again at the next check")
        return True

    def _install(self, item: dict[str, Any]) -> None:
        name = self._file_name(item)
        os.replace(self.folder / (name + ".part"), self.folder / name)
        manifest = read_manifest(self.folder)
        old = manifest["layers"].get(item["layer"])
        entry = {k: item.get(k) for k in ("id", "layer", "version", "name", "tile_format", "raster", "crs",
                                          "min_zoom", "max_zoom", "bounds", "size", "sha256", "attribution")}
        manifest["layers"][item["layer"]] = {**entry, "file": name}
        write_manifest(self.folder, manifest)
        if old and old.get("file") and old["file"] != name:
            with contextlib.suppress(OSError):  # a page may still hold it open (Windows): next start
                (self.folder / old["file"]).unlink()
        log.info("base map %s version %s installed", item["layer"], item["version"])


class BaseMapDownloadError(Exception):
    """A download that cannot be used (wrong size or checksum, an unexpected answer)."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()
