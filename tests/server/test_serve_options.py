"""What ``commandroom serve`` hands uvicorn: the C HTTP parser and event loop, which a poked county server needs
to keep up with its desks' pulls (docs/performance.md, session 13: a request costs 12-22 % less server CPU)."""

from __future__ import annotations

import gc
import sys

import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from commandroom.config import Settings
from commandroom.server.run import _uvicorn_options, freeze_heap


async def _app(scope, receive, send):  # a bare ASGI app; never called
    raise AssertionError("not called")


def _serve_config(tmp_path) -> uvicorn.Config:
    """uvicorn's configuration as ``commandroom serve`` builds it."""
    return uvicorn.Config(_app, **_uvicorn_options(Settings(config_dir=tmp_path, data_dir=tmp_path, log_dir=tmp_path)))


def test_the_server_parses_http_in_c(tmp_path):
    config = _serve_config(tmp_path)
    config.load()
    assert config.http_protocol_class is HttpToolsProtocol


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop has no Windows build; the server runs on asyncio there")
def test_the_server_runs_on_uvloop(tmp_path):
    import uvloop

    config = _serve_config(tmp_path)
    loop = config.get_loop_factory()()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


def _young_collections_during_requests(requests: int) -> int:
    """Young collections while ``requests`` request-sized bursts of objects are built and dropped, one at a time."""
    counted = [0]

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start" and info["generation"] == 0:
            counted[0] += 1

    gc.callbacks.append(on_gc)
    try:
        for i in range(requests):
            rows = [{"id": f"{i}-{k}", "fields": [k, {"title": "违停"}]} for k in range(300)]  # ~900 containers
            del rows
    finally:
        gc.callbacks.remove(on_gc)
    return counted[0]


def test_a_server_process_does_not_collect_while_each_requests_objects_are_freed_by_it():
    """A request's objects die with it: a server process should not stop every thread to look at them."""
    before, enabled = gc.get_threshold(), gc.isenabled()
    gc.enable()  # as a server process starts (a desktop test in this process may have its own policy)
    gc.set_threshold(700, 10, 10)
    try:
        assert _young_collections_during_requests(200) > 100  # Python's default: a collection every request
        freeze_heap()
        assert _young_collections_during_requests(200) == 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
        if not enabled:
            gc.disable()
