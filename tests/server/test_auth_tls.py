"""HTTPS: a self-signed certificate, uvicorn with TLS on loopback, clients that verify it."""

from __future__ import annotations

import ssl

import httpx
import pytest

from commandroom.domain.errors import ValidationError
from commandroom.server.app import create_app
from commandroom.server.tls import check_files, client_context, make_self_signed
from tests.server.test_auth_support import uvicorn_thread


def test_https_verifies_against_the_county_certificate(db_url, tmp_path):
    cert, key = make_self_signed(tmp_path / "tls", hosts=("localhost", "127.0.0.1"))
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    check_files(cert, key)
    app = create_app(db_url)
    try:
        with uvicorn_thread(app, certfile=str(cert), keyfile=str(key)) as base:
            assert base.startswith("https://")
            r = httpx.get(f"{base}/health", verify=client_context(cert), timeout=10)
            assert r.status_code == 200 and r.json()["ok"] is True
            # the name "localhost" is in the certificate too
            local = base.replace("127.0.0.1", "localhost")
            assert httpx.get(f"{local}/health", verify=client_context(cert), timeout=10).status_code == 200
            # without the certificate as CA the connection is refused
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                httpx.get(f"{base}/health", timeout=10)
            # another self-signed certificate is not accepted either
            other, _ = make_self_signed(tmp_path / "other")
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                httpx.get(f"{base}/health", verify=client_context(other), timeout=10)
            # plain HTTP to the TLS port does not work
            with pytest.raises(httpx.HTTPError):
                httpx.get(base.replace("https://", "http://") + "/health", timeout=10)
    finally:
        app.state.server.close()


def test_check_files_says_what_is_wrong(tmp_path):
    cert, key = make_self_signed(tmp_path / "a")
    cert2, key2 = make_self_signed(tmp_path / "b")
    with pytest.raises(ValidationError, match="--tls-cert"):
        check_files(tmp_path / "missing.crt", key)
    with pytest.raises(ValidationError, match="--tls-key"):
        check_files(cert, "")
    with pytest.raises(ValidationError, match="does not match"):
        check_files(cert, key2)
    assert isinstance(client_context(None), ssl.SSLContext)
    del cert2
