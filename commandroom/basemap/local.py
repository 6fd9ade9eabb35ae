"""A desk's installed base maps: where they live and which versions it holds (no network here).

The map page reads this at build time; :mod:`commandroom.sync.basemap` writes it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

MANIFEST = "basemaps.json"


def desk_basemap_dir(store_path: str | Path) -> Path:
    """Where a workstation keeps its base maps: ``<database name>-basemaps`` beside its database."""
    p = Path(store_path)
    return p.parent / f"{p.stem}-basemaps"


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """``{"layers": {layer: entry}}`` of the installed base maps (empty when none or unreadable)."""
    path = Path(folder) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"layers": {}}
    return data if isinstance(data.get("layers"), dict) else {"layers": {}}


def installed_layers(folder: str | Path) -> list[dict[str, Any]]:
    """The installed layers whose file is present, each with ``path`` (absolute)."""
    folder = Path(folder)
    out = []
    for entry in read_manifest(folder)["layers"].values():
        path = folder / entry.get("file", "")
        if entry.get("file") and path.is_file():
            out.append({**entry, "path": str(path)})
    order = {"streets": 0, "imagery": 1, "labels": 2}
    return sorted(out, key=lambda e: order.get(e.get("layer", ""), 9))


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    tmp = folder / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, folder / MANIFEST)
