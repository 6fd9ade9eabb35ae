"""The workstation's photo cache: photos an officer picked, kept by content hash until the photo sync uploads them."""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path

from commandroom.domain.models import Photo
from commandroom.store.protocol import Store


def cache_photos(store: Store, photos: list[tuple[Path, bytes | None]]) -> list[str]:
    """Remember picked photos in the workstation's photo cache (content hash, size, thumbnail).

    The ``photo`` table is a local cache, not a synced table: uploading the files to the
    county server is the photo sync's job. Returns the hashes.
    """
    out = []
    with store.write() as session:
        for path, thumb in photos:
            data = Path(path).read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            out.append(digest)
            if session.get(Photo, digest) is None:
                session.add(Photo(sha256=digest, mime=mimetypes.guess_type(str(path))[0] or "image/jpeg",
                                  size=len(data), thumbnail=thumb, has_full=False))
    return out
