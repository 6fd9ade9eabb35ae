"""Response-time statistics to an Excel workbook (openpyxl; no Qt, runs on a worker thread)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from commandroom.services.teams import ResponseStats


def _row(s: ResponseStats, extra: list[Any]) -> list[Any]:
    return [s.name, *extra, s.dispatches,
            s.acknowledged.median_min, s.acknowledged.p90_min,
            s.on_scene.median_min, s.on_scene.p90_min,
            s.done.median_min, s.done.p90_min]


def export_stats_xlsx(path: str | Path, zones: list[ResponseStats], members: list[ResponseStats],
                      member_zone: dict[str, str], headers: dict[str, str], period: str) -> Path:
    """Write two sheets (zones, members) of dispatch counts and median/p90 minutes; returns the path.

    Args:
        headers: translated texts for the keys ``zones``, ``members``, ``name``, ``zone``, ``dispatches``,
            ``ack_median``, ``ack_p90``, ``scene_median``, ``scene_p90``, ``done_median``, ``done_p90``, ``period``.
        period: the period the figures cover, as shown on screen.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    timing = [headers[k] for k in ("dispatches", "ack_median", "ack_p90", "scene_median", "scene_p90",
                                   "done_median", "done_p90")]
    wb = Workbook()
    ws = wb.active
    ws.title = headers["zones"][:31]
    ws.append([headers["period"], period])
    ws.append([headers["name"], *timing])
    for s in zones:
        ws.append(_row(s, []))
    ws2 = wb.create_sheet(headers["members"][:31])
    ws2.append([headers["period"], period])
    ws2.append([headers["name"], headers["zone"], *timing])
    for s in members:
        ws2.append(_row(s, [member_zone.get(s.key, "")]))
    for sheet in (ws, ws2):
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 16
        sheet.freeze_panes = "A3"
    out = Path(path)
    wb.save(out)
    return out
