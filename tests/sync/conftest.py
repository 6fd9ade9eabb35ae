"""Fixtures for the sync tests: a county server app over SQLite and PostgreSQL (``db_url``)."""

from __future__ import annotations

import pytest_asyncio

from tests.sync.helpers import make_server


@pytest_asyncio.fixture
async def server(db_url, tmp_path):
    srv = make_server(db_url, tmp_path)
    await srv.start()
    yield srv
    await srv.stop()
    srv.state.close()
