"""The county server's base maps: import a checked package as the next version of a layer.

Files are kept as ``<folder>/<sha256>.mbtiles`` (written to a temporary name, hashed, then
renamed), and a :class:`~commandroom.domain.models.BaseMap` row records the version. The row is
written last: a refused or failed import leaves the layer's previous version in use and no
half-written file behind.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commandroom.basemap.package import (
    LAYERS,
    BaseMapError,
    PackageInfo,
    inspect_package,
    write_normalized_mbtiles,
)
from commandroom.domain.models import BaseMap

CHUNK = 1024 * 1024


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def package_path(folder: Path, sha256: str) -> Path:
    return Path(folder) / f"{sha256}.mbtiles"


@dataclass
class ImportResult:
    basemap: dict[str, Any]
    info: PackageInfo


def describe(row: BaseMap) -> dict[str, Any]:
    """What desks see of a base map (the listing endpoint's items)."""
    return {
        "id": row.id, "layer": row.layer, "version": row.version, "name": row.name,
        "tile_format": row.tile_format, "raster": row.tile_format != "pbf", "crs": row.crs,
        "min_zoom": row.min_zoom, "max_zoom": row.max_zoom,
        "bounds": [row.west, row.south, row.east, row.north],
        "tile_count": row.tile_count, "size": row.size, "sha256": row.sha256,
        "attribution": row.attribution, "imported_at": row.imported_at.isoformat(),
    }


def import_package(
    state: Any,
    path: str | Path,
    folder: str | Path,
    *,
    layer: str = "streets",
    crs: str | None = None,
    data_dir: str | Path | None = None,
) -> ImportResult:
    """Check ``path`` and record it as the next version of ``layer``; :class:`BaseMapError` if refused.

    ``state`` is anything with ``transaction()`` (the server's state); ``folder`` keeps the files.
    """
    if layer not in LAYERS:
        raise BaseMapError(f"unknown layer {layer!r}; choose one of {', '.join(LAYERS)}")
    info = inspect_package(path, crs=crs, data_dir=data_dir)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with state.transaction() as session:
        version = _next_version(session, layer)
    fd, tmp_name = tempfile.mkstemp(prefix=".import-", suffix=".mbtiles", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    final: Path | None = None
    try:
        write_normalized_mbtiles(info, tmp, {"commandroom_layer": layer, "commandroom_version": str(version)})
        sha = file_sha256(tmp)
        final = package_path(folder, sha)
        existed = final.exists()
        os.replace(tmp, final)
        with state.transaction() as session:
            if _next_version(session, layer) != version:
                raise BaseMapError(f"another import of the {layer} layer finished meanwhile; import again")
            row = BaseMap(
                layer=layer, version=version, name=info.name or Path(path).stem, source_file=Path(path).name[:300],
                container=info.container, tile_format=info.tile_format, crs=info.crs,
                min_zoom=info.min_zoom, max_zoom=info.max_zoom,
                west=info.bounds[0], south=info.bounds[1], east=info.bounds[2], north=info.bounds[3],
                tile_count=info.tile_count, size=final.stat().st_size, sha256=sha,
                attribution=(info.attribution or "")[:300],
            )
            session.add(row)
            session.flush()
            described = describe(row)
    except BaseException:
        tmp.unlink(missing_ok=True)
        if final is not None and not existed and not _referenced(state, final):
            final.unlink(missing_ok=True)
        raise
    return ImportResult(described, info)


def _referenced(state: Any, final: Path) -> bool:
    sha = final.stem
    with state.transaction() as session:
        return session.scalar(select(func.count()).select_from(BaseMap).where(BaseMap.sha256 == sha)) > 0


def _next_version(session: Session, layer: str) -> int:
    top = session.scalar(select(func.max(BaseMap.version)).where(BaseMap.layer == layer))
    return int(top or 0) + 1


def current(session: Session) -> list[BaseMap]:
    """The newest version of each layer, in :data:`LAYERS` order."""
    newest = (select(BaseMap.layer, func.max(BaseMap.version).label("v")).group_by(BaseMap.layer).subquery())
    rows = session.scalars(
        select(BaseMap).join(newest, (BaseMap.layer == newest.c.layer) & (BaseMap.version == newest.c.v))
    ).all()
    return sorted(rows, key=lambda r: LAYERS.index(r.layer) if r.layer in LAYERS else 99)


def all_versions(session: Session) -> list[BaseMap]:
    return list(session.scalars(select(BaseMap).order_by(BaseMap.layer, BaseMap.version)).all())
