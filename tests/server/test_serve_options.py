"""What ``commandroom serve`` hands uvicorn: the C HTTP parser and event loop, which a poked county server needs
to keep up with its desks' pulls (docs/performance.md, session 13: a request costs 12-20 % less server CPU)."""

from __future__ import annotations

import sys

import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from commandroom.config import Settings
from commandroom.server.run import _uvicorn_options


async def _app(scope, receive, send):  # a bare ASGI app; never called
    raise AssertionError("not called")


def test_the_server_parses_http_in_c(tmp_path):
    config = uvicorn.Config(_app, **_uvicorn_options(Settings(config_dir=tmp_path, data_dir=tmp_path, log_dir=tmp_path)))
    config.load()
    assert config.http_protocol_class is HttpToolsProtocol


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop has no Windows build; the server runs on asyncio there")
def test_the_server_runs_on_uvloop(tmp_path):
    import uvloop

    config = uvicorn.Config(_app, **_uvicorn_options(Settings(config_dir=tmp_path, data_dir=tmp_path, log_dir=tmp_path)))
    loop = config.get_loop_factory()()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
