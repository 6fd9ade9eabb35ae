"""Rows the map page draws, read from the local store as small JSON-ready dicts.

The page's JavaScript API (``cr.setIncidents``, ``cr.upsertIncidents`` …, see
``assets/cr_map.js``) takes lists of these dicts. Keys are short because 50,000
incidents travel through one ``runJavaScript`` call:

incident
    ``id, no`` (human number), ``title, desc`` (first :data:`DESC_CHARS` characters),
    ``addr, cat`` (category name), ``st`` (IncidentState value), ``urg`` (L1…L4),
    ``lat, lon`` (WGS84), ``due`` (close deadline, ms since the epoch UTC, or null),
    ``zone``.
report (open ones only: state ``new``)
    ``id, no, desc, addr, cat, src`` (ReportSource value), ``at`` (ms), ``who``, ``lat, lon``.
team member (with a known position)
    ``id, name, zone, st`` (MemberStatus value), ``at`` (ms of the status), ``lat, lon``.

For bulk pushes the rows travel as ``{"cols": [...], "rows": [[...], ...]}`` (the
page accepts both forms): half the bytes of a list of dicts, and no dicts to build.

All text is user text: the page puts it in the DOM with ``textContent`` only.
Queries select columns through Core (no ORM objects), with deadlines converted to
epoch milliseconds in SQL, so 50k rows read in a few hundred milliseconds.
No Qt here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Integer, Select, func, select

from commandroom.domain.models import EventCategory, Incident, Report, TeamMember
from commandroom.queries.masking import mask_name, mask_person_label, mask_text
from commandroom.store.protocol import ReadStore

DESC_CHARS = 100
IN_CHUNK = 500  # SQLite's bound-parameter limit is far above this; keeps statements small

INCIDENT = "incident"
REPORT = "report"
TEAM_MEMBER = "team_member"
KINDS = (INCIDENT, REPORT, TEAM_MEMBER)


def epoch_ms(value: datetime | None) -> int | None:
    """Naive-UTC datetime → milliseconds since the epoch (what JavaScript's Date uses)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)


def _chunks(ids: Iterable[str]) -> Iterable[list[str]]:
    batch: list[str] = []
    for i in ids:
        batch.append(i)
        if len(batch) >= IN_CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _ms(column: Any) -> Any:
    """SQL for a naive-UTC DateTime column as integer ms since the epoch (SQLite's julianday).

    The local store is SQLite; doing it in SQL spares 50,000 Python datetime objects.
    """
    return func.cast(func.round((func.julianday(column) - 2440587.5) * 86400000.0), Integer)


def _incident_query() -> Select:
    return (
        select(
            Incident.id,
            Incident.number,
            Incident.title,
            func.substr(Incident.description, 1, DESC_CHARS),
            Incident.address,
            func.coalesce(EventCategory.name, Incident.category_code),
            Incident.state,
            Incident.urgency,
            Incident.lat,
            Incident.lon,
            _ms(Incident.close_due),
            Incident.zone_id,
        )
        .outerjoin(EventCategory, EventCategory.code == Incident.category_code)
        .where(
            Incident.deleted.is_(False),
            Incident.merged_into_id.is_(None),
            Incident.lat.is_not(None),
            Incident.lon.is_not(None),
        )
    )


INCIDENT_COLS = ["id", "no", "title", "desc", "addr", "cat", "st", "urg", "lat", "lon", "due", "zone"]


def _report_query() -> Select:
    return (
        select(
            Report.id,
            Report.number,
            func.substr(Report.description, 1, DESC_CHARS),
            Report.address,
            func.coalesce(EventCategory.name, Report.category_code),
            Report.source,
            _ms(Report.reported_at),
            Report.reporter_name,
            Report.lat,
            Report.lon,
        )
        .outerjoin(EventCategory, EventCategory.code == Report.category_code)
        .where(
            Report.deleted.is_(False),
            Report.state == "new",
            Report.lat.is_not(None),
            Report.lon.is_not(None),
        )
    )


REPORT_COLS = ["id", "no", "desc", "addr", "cat", "src", "at", "who", "lat", "lon"]


def _member_query() -> Select:
    return select(
        TeamMember.id,
        TeamMember.name,
        TeamMember.zone_id,
        TeamMember.status,
        _ms(TeamMember.status_at),
        TeamMember.lat,
        TeamMember.lon,
    ).where(TeamMember.deleted.is_(False), TeamMember.lat.is_not(None), TeamMember.lon.is_not(None))


MEMBER_COLS = ["id", "name", "zone", "st", "at", "lat", "lon"]

_QUERIES: dict[str, tuple[Any, Any, list[str]]] = {
    INCIDENT: (_incident_query, Incident, INCIDENT_COLS),
    REPORT: (_report_query, Report, REPORT_COLS),
    TEAM_MEMBER: (_member_query, TeamMember, MEMBER_COLS),
}


def _clean(kind: str, rows: list[tuple[Any, ...]]) -> list[list[Any]]:
    """Plain lists for JSON: None text → "" (null only where the page expects it).

    Closed vocabularies (state, urgency, source, member status) stay values: the page has
    their labels in the language it was built in (``ui.map.page.page_config``).
    """
    nullable = _NULLABLE[kind]
    return [["" if v is None and i not in nullable else v for i, v in enumerate(row)] for row in rows]


_NULLABLE = {
    INCIDENT: {INCIDENT_COLS.index("due")},
    REPORT: {REPORT_COLS.index("at")},
    TEAM_MEMBER: {MEMBER_COLS.index("at")},
}


def table(kind: str, rows: list[list[Any]]) -> dict[str, Any]:
    """The compact form the page accepts: ``{"cols": [...], "rows": [[...], ...]}``."""
    return {"cols": _QUERIES[kind][2], "rows": rows}


# what a person is on the map's rows: masked on the wall, where visitors see the screen
_MASKED_TEXT = {INCIDENT: ("title", "desc", "addr"), REPORT: ("desc", "addr"), TEAM_MEMBER: ()}
_MASKED_PERSON = {INCIDENT: (), REPORT: ("who",), TEAM_MEMBER: ("name",)}


def mask_rows(kind: str, rows: list[list[Any]]) -> list[list[Any]]:
    """``rows`` with every person's name and number masked (``commandroom.queries.masking``): the wall's map and popups."""
    cols = _QUERIES[kind][2]
    texts = [cols.index(c) for c in _MASKED_TEXT[kind]]
    people = [cols.index(c) for c in _MASKED_PERSON[kind]]
    out = []
    for row in rows:
        row = list(row)
        for i in texts:
            row[i] = mask_text(row[i]) if isinstance(row[i], str) else row[i]
        for i in people:
            if isinstance(row[i], str):
                row[i] = mask_name(row[i]) if kind == TEAM_MEMBER else mask_person_label(row[i])
        out.append(row)
    return out


def read_rows(store: ReadStore, kind: str, masked: bool = False) -> list[list[Any]]:
    """Every row of ``kind`` the map shows, as value lists in column order (reader-thread safe)."""
    query, _model, _cols = _QUERIES[kind]
    with store.read() as session:
        # Core execution on the session's connection: no ORM row processing for 50k rows.
        rows = _clean(kind, session.connection().execute(query()).all())
    return mask_rows(kind, rows) if masked else rows


def read_all(store: ReadStore, kind: str) -> list[dict[str, Any]]:
    """Every row of ``kind`` as dicts (see the module docstring for the keys)."""
    cols = _QUERIES[kind][2]
    return [dict(zip(cols, row, strict=True)) for row in read_rows(store, kind)]


def read_changed(store: ReadStore, kind: str, ids: Iterable[str],
                 masked: bool = False) -> tuple[list[dict[str, Any]], list[str]]:
    """``(rows to upsert, ids to remove)`` for the changed ``ids`` of ``kind``.

    An id that no longer qualifies (deleted, merged, lost its position, a report that
    was triaged) is returned for removal.
    """
    query, model, cols = _QUERIES[kind]
    wanted = list(dict.fromkeys(ids))
    found_rows: list[list[Any]] = []
    with store.read() as session:
        conn = session.connection()
        for batch in _chunks(wanted):
            found_rows.extend(_clean(kind, conn.execute(query().where(model.id.in_(batch))).all()))
    if masked:
        found_rows = mask_rows(kind, found_rows)
    rows = [dict(zip(cols, row, strict=True)) for row in found_rows]
    found = {r["id"] for r in rows}
    return rows, [i for i in wanted if i not in found]


def read_snapshot(store: ReadStore, masked: bool = False) -> dict[str, dict[str, Any]]:
    """All three kinds at once, in the compact table form, for the first push after loading."""
    return {kind: table(kind, read_rows(store, kind, masked)) for kind in KINDS}


def to_js(value: Any) -> str:
    """JSON text that is also a valid JavaScript expression (JSON ⊂ JS since ES2019).

    Passed as a literal, not ``JSON.parse("…")``: measured here with 50k rows (14 MB) the
    literal ran in 0.12 s and JSON.parse of the escaped string in 0.18–0.26 s.
    """
    return orjson.dumps(value).decode("utf-8")



def popup_photo(store: ReadStore, incident_id: str) -> bytes | None:
    """The thumbnail an incident's map popup shows: its newest after-photo, else a before- or report photo
    (None when none has arrived on this desk yet)."""
    from commandroom.domain.models import Photo

    with store.read() as session:
        incident = session.get(Incident, incident_id)
        if incident is None:
            return None
        hashes = [*reversed(incident.photos_after or []), *(incident.photos_before or [])]
        for (photos,) in session.execute(select(Report.photos).where(Report.incident_id == incident_id)):
            hashes.extend(photos or [])
        if not hashes:
            return None
        thumbs = dict(session.execute(select(Photo.sha256, Photo.thumbnail).where(
            Photo.sha256.in_(hashes), Photo.thumbnail.is_not(None))).all())
        for h in hashes:
            thumb = thumbs.get(h)
            if thumb:
                return bytes(thumb)
    return None
