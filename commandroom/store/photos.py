"""The workstation's photo files: photos the officer attached (waiting to be uploaded) and full images
fetched from the county server (a cache with a size limit).

Files are named by their SHA-256 under :func:`desk_photo_dir` next to the workstation database:

* ``outgoing/<sha256>`` — attached at this desk, not yet on the server; never evicted. The sync engine
  uploads them before it pushes the mutations that name them, then moves them to ``cache/``;
* ``cache/<sha256>`` — full images held here (viewable offline); the oldest are evicted beyond the
  limit, except those of incidents still open.

The ``photo`` table holds each photo's type, size and thumbnail (what the inbox and the incident
detail show); it is this desk's own record, not a synced table.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from commandroom.domain.models import Photo
from commandroom.services.photos import PhotoError, Prepared, prepare

if TYPE_CHECKING:
    from commandroom.store.local import DeskStore

__all__ = ["PhotoError", "attach_files", "cached_path", "desk_photo_dir", "write_atomic"]


def desk_photo_dir(store_path: str | Path) -> Path:
    """``<database name>-photos`` next to the workstation database (two desks in one folder keep apart)."""
    path = Path(store_path)
    return path.with_name(path.stem + "-photos")


def write_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` whole or not at all (temporary file, fsync, rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cached_path(root: Path, sha256: str) -> Path | None:
    """The full image of ``sha256`` on this desk (waiting to go out, or fetched), or None."""
    for folder in ("outgoing", "cache"):
        path = root / folder / sha256
        if path.exists():
            if folder == "cache":
                with contextlib.suppress(OSError):
                    os.utime(path)  # recently viewed: evicted last
            return path
    return None


def attach_files(store: DeskStore, paths: list[str | Path], *, documents: bool = False) -> list[str]:
    """Check the files the officer picked and keep them to be uploaded; returns their hashes in order.

    Each file is checked first (type, size, a readable image; the thumbnail follows the EXIF
    orientation); one bad file raises :class:`PhotoError` naming it, and then nothing is kept.
    """
    prepared: list[Prepared] = []
    for p in paths:
        path = Path(p)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise PhotoError(400, f"无法读取“{path.name}”（{exc.strerror or exc}），请检查文件后重新选择。") from None
        prepared.append(prepare(data, name=path.name, documents=documents))
    root = desk_photo_dir(store.path)
    for item in prepared:
        if cached_path(root, item.sha256) is None:
            write_atomic(root / "outgoing" / item.sha256, item.data)
    with store.write() as session:
        for item in prepared:
            row = session.get(Photo, item.sha256)
            if row is None:
                session.add(Photo(sha256=item.sha256, mime=item.mime, size=len(item.data), width=item.width,
                                  height=item.height, thumbnail=item.thumbnail, has_full=True))
            else:
                row.has_full = True
                if row.thumbnail is None:
                    row.thumbnail = item.thumbnail
    return list(dict.fromkeys(item.sha256 for item in prepared))
