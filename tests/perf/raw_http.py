"""HTTP/1.1 on plain asyncio streams, for the load benchmarks' clients (the simulated desks, the pushers).

The benchmarks' clients share the server's two cores, where in the county each desk is its own computer.
httpx spent 3.4 ms of CPU per request in the push and pull client (0.3 of a core at 100 requests/s, more
than the 140 desks together) and 0.6–0.8 of a core in the desks once every desk was poked. These few lines
write the request and read the answer (a length or chunked body) on one keep-alive connection, at a small
part of that cost; the server sees the same requests.
"""

from __future__ import annotations

import asyncio
import urllib.parse

import orjson


async def read_head(reader: asyncio.StreamReader) -> tuple[int, int | None, bool]:
    """The status line and headers of an answer: (status, content length or None, chunked)."""
    status = await reader.readline()
    if not status:
        raise ConnectionError("closed")
    length, chunked = None, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        key, _, value = line.partition(b":")
        key = key.strip().lower()
        if key == b"content-length":
            length = int(value)
        elif key == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    return int(status.split()[1]), length, chunked


async def read_chunk(reader: asyncio.StreamReader) -> bytes:
    """One chunk of a chunked body (empty at its end)."""
    size = int((await reader.readline()).strip() or b"0", 16)
    data = await reader.readexactly(size + 2)
    return data[:-2]


def pull_path(cursors: dict[str, int], limit: int = 500) -> str:
    """The path of a desk's pull: every change after ``cursors``, at most ``limit``."""
    return "/api/v1/sync/pull?" + urllib.parse.urlencode({"cursors": orjson.dumps(cursors).decode(), "limit": limit})


class RawConnection:
    """One keep-alive connection of one client to the server at ``base``, requests one at a time (as a desk sends
    them)."""

    def __init__(self, base: str, token: str) -> None:
        address = urllib.parse.urlsplit(base)
        self.host, self.port = address.hostname or "127.0.0.1", address.port or 80
        self.auth = f"Authorization: Bearer {token}\r\n"
        self.rw: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, method: str, path: str, body: bytes | None = None,
                      headers: str = "") -> tuple[int, bytes]:
        """Send one request and read its whole answer: (status, body).

        A GET whose keep-alive connection the server had closed meanwhile is sent once more on a new one; a
        POST is not (the push was perhaps received: the caller counts it as failed)."""
        for attempt in (1, 2):
            try:
                if self.rw is None:
                    self.rw = await asyncio.open_connection(self.host, self.port)
                reader, writer = self.rw
                head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.auth}{headers}"
                if body is None:
                    writer.write(f"{head}\r\n".encode())
                else:
                    writer.write(f"{head}Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                                 .encode() + body)
                status, length, chunked = await read_head(reader)
                if chunked:
                    answer = b""
                    while True:
                        part = await read_chunk(reader)
                        if not part:
                            break
                        answer += part
                else:
                    answer = await reader.readexactly(length or 0)
                return status, answer
            except (ConnectionError, asyncio.IncompleteReadError, OSError):
                self.close()
                if attempt == 2 or body is not None:
                    raise
        raise AssertionError("not reached")

    async def get(self, path: str) -> tuple[int, bytes]:
        return await self.request("GET", path)

    def close(self) -> None:
        if self.rw is not None:
            self.rw[1].close()
        self.rw = None
