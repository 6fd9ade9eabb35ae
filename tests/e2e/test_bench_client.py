"""The load benchmarks' own HTTP client (``tests/perf/raw_http.py``) against the county server.

The benchmarks' desks and pushers speak HTTP/1.1 by hand to spare the machine's CPU. If they misread an
answer (a body with a length, a chunked event stream, a second request on a kept-alive connection, a
POST's answer), the benchmark would time failures as requests.
"""

from __future__ import annotations

import asyncio
import urllib.parse

import orjson
import pytest

from commandroom import PROTOCOL_VERSION, SCHEMA_VERSION
from commandroom.ids import new_id
from tests.e2e.conftest import PASSWORD
from tests.perf.raw_http import RawConnection, read_chunk, read_head

pytestmark = pytest.mark.asyncio


@pytest.fixture
def db_url(tmp_path):
    """The client is the subject here, not the database: SQLite only."""
    return f"sqlite:///{tmp_path / 'server.db'}"


async def test_the_benchmarks_client_reads_what_the_server_answers(county):
    device = new_id()
    r = await county.http.post("/api/v1/auth/login", json={"username": "qc1", "password": PASSWORD,
                                                             "device_id": device, "device_name": "压测台"})
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    conn = RawConnection(county.server.url, token)
    try:
        status, body = await conn.get("/api/v1/auth/me")
        assert status == 200 and orjson.loads(body)["username"] == "qc1"
        query = urllib.parse.urlencode({"cursors": "{}", "limit": 3})
        status, body = await conn.get(f"/api/v1/sync/pull?{query}")  # the same connection, kept alive
        page = orjson.loads(body)
        assert status == 200 and len(page["changes"]) == 3 and page["has_more"], body[:200]
        push = {"device_id": device, "device_incarnation": new_id(), "protocol_version": PROTOCOL_VERSION,
                "schema_version": SCHEMA_VERSION, "mutations": [{
                    "mutation_id": new_id(), "local_seq": 1, "name": "no.such.change", "entity_id": new_id(),
                    "args": {}, "base_versions": {}}]}
        status, body = await conn.request("POST", "/api/v1/sync/push", orjson.dumps(push))
        assert status == 422 and orjson.loads(body)["detail"]["code"] == "unknown_mutation", body[:200]
        status, body = await conn.get("/api/v1/sync/pull?cursors=%7B%7D&limit=0")  # still in step after a POST
        assert status == 422 and b"limit" in body
    finally:
        conn.close()
    # the event stream is chunked; its first event is the hello with the heads
    reader, writer = await asyncio.open_connection("127.0.0.1", county.server.port)
    try:
        writer.write(f"GET /api/v1/sync/events HTTP/1.1\r\nHost: 127.0.0.1\r\n{conn.auth}\r\n".encode())
        status, length, chunked = await asyncio.wait_for(read_head(reader), 10)
        assert status == 200 and chunked and length is None
        first = await asyncio.wait_for(read_chunk(reader), 10)
        assert first.startswith(b"event: hello") and b'"heads"' in first, first[:200]
    finally:
        writer.close()
