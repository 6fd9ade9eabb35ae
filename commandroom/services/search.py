"""Chinese full-text search that works for one- and two-character queries (违停, 扬尘, 尘).

FTS5's trigram tokenizer cannot match queries shorter than three characters,
and unicode61 treats a run of Chinese characters as one token. So the text is
pre-tokenised here: every CJK character (unigram), every pair of adjacent CJK
characters (bigram) and every lowercased ASCII word or number become
space-separated tokens, stored in ``Incident.search_text``.

* SQLite: an external-content FTS5 table ``incident_fts`` over that column,
  kept in step by triggers (both made by migration 0002). A one-character query matches
  the unigram token; a longer query is the AND of its bigrams.
* PostgreSQL: the same tokens matched with ``LIKE`` on `` search_text ``
  (space-delimited), helped by a GIN trigram index when ``pg_trgm`` could be
  created (migration 0002); without it the same query is a scan.

Caveat (SQLite): ``incident`` has a text primary key, so the FTS index is keyed
by the implicit rowid. ``VACUUM`` may renumber rowids and ``INSERT OR REPLACE``
gives a row a new rowid without firing the delete trigger; after either, call
:func:`rebuild_fts`. Writers should upsert with ``ON CONFLICT DO UPDATE``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import Connection, and_, column, literal_column, select, table, text
from sqlalchemy.orm import Session

from commandroom.domain.models import Incident

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
_PIECE = re.compile(rf"[{_CJK}]+|[A-Za-z0-9]+")
_CJK_RUN = re.compile(rf"[{_CJK}]+")


def _pieces(text_: str) -> list[str]:
    return _PIECE.findall(text_ or "")


def search_tokens(*texts: str | None) -> str:
    """Space-separated tokens of ``texts``: CJK unigrams and bigrams, lowercased ASCII words.

    Each token appears once, in order of first appearance.
    """
    seen: dict[str, None] = {}
    for t in texts:
        for piece in _pieces(t or ""):
            if _CJK_RUN.fullmatch(piece):
                for ch in piece:
                    seen.setdefault(ch, None)
                for i in range(len(piece) - 1):
                    seen.setdefault(piece[i : i + 2], None)
            else:
                seen.setdefault(piece.lower(), None)
    return " ".join(seen)


def query_terms(query: str) -> list[tuple[str, bool]]:
    """The tokens a query must match, each with whether it is a prefix (ASCII words) term."""
    terms: dict[tuple[str, bool], None] = {}
    for piece in _pieces(query or ""):
        if _CJK_RUN.fullmatch(piece):
            if len(piece) == 1:
                terms.setdefault((piece, False), None)
            else:
                for i in range(len(piece) - 1):
                    terms.setdefault((piece[i : i + 2], False), None)
        else:
            terms.setdefault((piece.lower(), True), None)
    return list(terms)


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def match_expression(query: str) -> str:
    """An FTS5 MATCH expression for ``query`` ('' when the query has nothing searchable).

    One CJK character → its unigram; two or more → the AND of their bigrams;
    ASCII words match as prefixes (``"g60"*``). Tokens are quoted.
    """
    parts = [_quote(tok) + ("*" if prefix else "") for tok, prefix in query_terms(query)]
    return " AND ".join(parts)


# ----------------------------------------------------------------------------- SQLite FTS5

_FTS_TABLE = table("incident_fts", column("rowid"))

def _dialect(connection: Connection | Session) -> str:
    bind = connection.get_bind() if isinstance(connection, Session) else connection
    return bind.dialect.name


def fts_exists(connection: Connection | Session) -> bool:
    if _dialect(connection) != "sqlite":
        return False
    row = connection.execute(
        text("SELECT 1 FROM sqlite_master WHERE type='table' AND name='incident_fts'")
    ).first()
    return row is not None


def rebuild_fts(connection: Connection | Session) -> None:
    """Re-index every incident (after a VACUUM, a bulk load with triggers off, or a REPLACE)."""
    connection.execute(text("INSERT INTO incident_fts(incident_fts) VALUES ('rebuild')"))


def _like_escape(token: str) -> str:
    return token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _token_conditions(query: str) -> list:
    """One ``LIKE`` per token on the space-padded token string (a token matches whole, ASCII as prefix)."""
    conds = []
    for tok, prefix in query_terms(query):
        pattern = "% " + _like_escape(tok) + ("%" if prefix else " %")
        conds.append((" " + Incident.search_text + " ").like(pattern, escape="\\"))
    return conds


def search_incident_ids(
    session: Session,
    query: str,
    *,
    township_code: str | None = None,
    states: Sequence[str] | None = None,
    limit: int = 200,
    include_deleted: bool = False,
) -> list[str]:
    """Ids of incidents matching ``query``, newest first (at most ``limit``).

    On SQLite with ``incident_fts`` the index is walked from the most recently
    stored row backwards, so a common token among a million rows still answers
    in about a millisecond; the page found is then ordered by ``created_at``.
    (Storage order follows arrival on this machine, which is close to, but not
    exactly, creation order.) Elsewhere (PostgreSQL, or an SQLite file where
    the FTS table is missing) one ``LIKE`` per token, newest first.
    """
    terms = query_terms(query)
    if not terms:
        return []
    filters = []
    if township_code is not None:
        filters.append(Incident.township_code == township_code)
    if states:
        filters.append(Incident.state.in_(list(states)))
    if not include_deleted:
        filters.append(Incident.deleted.is_(False))
    if fts_exists(session):
        fts_rowid = literal_column("incident_fts.rowid")
        q = (
            select(Incident.id, Incident.created_at)
            .join_from(Incident, _FTS_TABLE, fts_rowid == literal_column("incident.rowid"))
            .where(text("incident_fts MATCH :m").bindparams(m=match_expression(query)), *filters)
            .order_by(fts_rowid.desc())
            .limit(limit)
        )
        rows = list(session.execute(q))
        rows.sort(key=lambda r: (r.created_at, r.id), reverse=True)
        return [r.id for r in rows]
    q = (
        select(Incident.id)
        .where(and_(*_token_conditions(query)), *filters)
        .order_by(Incident.created_at.desc(), Incident.id.desc())
        .limit(limit)
    )
    return list(session.scalars(q))
