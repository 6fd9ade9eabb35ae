"""The workstation's HTTP client: TLS checks, plain-HTTP refusal, JSON with orjson, error mapping."""

from __future__ import annotations

import ipaddress
import ssl
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from commandroom.domain.errors import DomainError

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class InsecureTransport(DomainError):
    code = "insecure_transport"


class SyncHTTPError(Exception):
    """A non-2xx answer: status, the server's code and its human message, and the whole body."""

    def __init__(self, status: int, code: str, message: str, body: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.body = body or {}


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, allow_insecure_http: bool = False) -> str:
    """Refuse plain ``http://`` to anything but this machine unless explicitly allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InsecureTransport(f"server address {url!r} must start with https:// (or http:// for this machine)")
    if parts.scheme == "http" and not is_loopback(parts.hostname) and not allow_insecure_http:
        raise InsecureTransport(
            f"refusing plain http:// to {parts.hostname}: passwords and reports would travel unencrypted. "
            f"Use https://, or set allow_insecure_http only on a trusted network."
        )
    return url.rstrip("/")


def ssl_context(ca_file: str | None = None) -> ssl.SSLContext:
    """Verify the server against the system's trust store, or against ``ca_file`` (the county's CA)."""
    ctx = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def make_client(
    server_url: str,
    *,
    ca_file: str | None = None,
    allow_insecure_http: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: httpx.Timeout | float | None = None,
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` for the county server (a custom ``transport`` is used as given: tests)."""
    base = check_url(server_url, allow_insecure_http=allow_insecure_http)
    kwargs: dict[str, Any] = {"base_url": base, "timeout": timeout or DEFAULT_TIMEOUT}
    if transport is not None:
        kwargs["transport"] = transport
    else:
        kwargs["verify"] = ssl_context(ca_file) if base.startswith("https://") else True
    return httpx.AsyncClient(**kwargs)


def decode(response: httpx.Response) -> dict[str, Any]:
    """The JSON body, or raise :class:`SyncHTTPError` for a non-2xx answer (or a body that is not JSON)."""
    try:
        body = orjson.loads(response.content) if response.content else {}
    except orjson.JSONDecodeError:
        if response.is_success:
            raise httpx.DecodingError("the server's answer was cut off or is not JSON") from None
        body = {}
    if response.is_success:
        return body
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, dict):
        code, message = str(detail.get("code", "")), str(detail.get("message", ""))
    else:
        code, message = "", str(detail or response.reason_phrase)
    raise SyncHTTPError(response.status_code, code, message, body if isinstance(body, dict) else {})
