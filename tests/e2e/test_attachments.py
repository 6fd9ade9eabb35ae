"""Attachments of one-thing cases, thumbnails with the pulled rows and resumable uploads, through the real
county server over HTTP on SQLite and PostgreSQL.

* a case's documents (PDF, Word) and a photo go up by content hash with ``case.attach``, once, and another
  desk lists them and opens each byte for byte; bad files are refused in Chinese with nothing stored;
* the thumbnails of a pulled incident's photos arrive in one request right after the pull, and show with
  the line down;
* a large upload cut off midway continues from what the server holds, and a whole that does not match its
  hash is refused with nothing half-stored.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import httpx
import pytest
from PIL import Image

from commandroom.domain.models import OneThingCase, Photo
from commandroom.server.photos import partial_path, photo_path, photos_dir
from commandroom.services.photos import PhotoError
from commandroom.store.photos import attach_files, desk_photo_dir
from tests.e2e.conftest import QC, new_id, wait_until

pytestmark = pytest.mark.asyncio

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def jpeg(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (640, 480), *, noisy: bool = False) -> Path:
    img = Image.new("RGB", size, colour)
    if noisy:  # random pixels: a JPEG that stays large
        img = Image.frombytes("RGB", size, hashlib.shake_256(bytes(colour)).digest(size[0] * size[1] * 3))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=95)
    path.write_bytes(buf.getvalue())
    return path


def pdf(path: Path, text: str = "农民建房联审意见") -> Path:
    body = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] "
            b"/Count 0 >> endobj\n% " + text.encode() + b"\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    path.write_bytes(body)
    return path


def docx(path: Path) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document>联审会议纪要</w:document>")
    path.write_bytes(buf.getvalue())
    return path


class Counting(httpx.AsyncBaseTransport):
    """Real HTTP that counts requests by method and path, and can cut one upload part off midway."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.seen: list[tuple[str, str, int]] = []  # method, path, body bytes sent
        self.cut_part: int | None = None  # cut the body of this (1-based) ranged PUT after half of it

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = request.content if request.method in ("PUT", "POST") else b""
        if request.method == "PUT" and "content-range" in request.headers and self.cut_part is not None:
            parts = sum(1 for m, p, _n in self.seen if m == "PUT+range") + 1
            self.seen.append(("PUT+range", request.url.path, len(body)))
            if parts == self.cut_part:
                self.cut_part = None
                return await self._cut(request, body)
        self.seen.append((request.method, request.url.path, len(body)))
        return await self.inner.handle_async_request(request)

    async def _cut(self, request: httpx.Request, body: bytes) -> httpx.Response:
        async def half_then_drop():
            yield body[:len(body) // 2]
            raise httpx.WriteError("the line dropped in the middle of the upload")

        cut = httpx.Request(request.method, request.url, headers=request.headers, content=half_then_drop())
        return await self.inner.handle_async_request(cut)

    def count(self, method: str, suffix: str) -> int:
        return sum(1 for m, p, _n in self.seen if m == method and p.endswith(suffix))

    async def aclose(self) -> None:
        await self.inner.aclose()


async def open_case(desk) -> str:
    case_id = new_id()
    desk.perform("case.open", case_id, {"type_code": "farmer_housing", "township_code": QC,
                                        "title": "农民建房：徐某某原址翻建"})
    assert await desk.sync()
    return case_id


async def test_case_documents_go_up_once_and_open_on_another_desk(county, tmp_path):
    transport = Counting()
    a = await county.workstation("球川-甲", "qc1", transport=transport)
    b = await county.workstation("球川-乙", "qc2")
    case_id = await open_case(a)
    files = [pdf(tmp_path / "联审意见.pdf"), docx(tmp_path / "会议纪要.docx"), jpeg(tmp_path / "现场.jpg", (90, 60, 30))]
    hashes = attach_files(a.store, files, documents=True)
    a.perform("case.attach", case_id, {"attachments": hashes, "names": [f.name for f in files]})
    assert await a.sync()
    assert transport.count("PUT", hashes[0]) == 1 and a.store.pending_count() == 0

    with county.server.state.read() as s:
        held = s.get(OneThingCase, case_id).attachments
        for sha in hashes:
            assert s.get(Photo, sha).has_full
            assert photo_path(photos_dir(county.server.state), sha).exists()
    assert [(x["name"], x["mime"], x["by"]) for x in held] == [
        ("联审意见.pdf", "application/pdf", "球川值班甲"), ("会议纪要.docx", DOCX, "球川值班甲"),
        ("现场.jpg", "image/jpeg", "球川值班甲")]
    assert [x["size"] for x in held] == [f.stat().st_size for f in files]

    # attached again (another officer picks the same file): not twice, not uploaded again
    again = attach_files(a.store, [files[0]], documents=True)
    a.perform("case.attach", case_id, {"attachments": again, "names": ["联审意见（副本）.pdf"]})
    assert await a.sync()
    assert transport.count("PUT", hashes[0]) == 1
    assert len(a.get("one_thing_case", case_id)["attachments"]) == 3

    # the other desk lists them and opens each, byte for byte
    assert await b.sync()
    assert [x["name"] for x in b.get("one_thing_case", case_id)["attachments"]] == [f.name for f in files]
    for sha, f in zip(hashes, files, strict=True):
        assert (await b.engine.photos.full_image(sha)).read_bytes() == f.read_bytes()


async def test_two_desks_attaching_at_once_both_keep_their_files(county, tmp_path):
    a = await county.workstation("球川-甲", "qc1")
    b = await county.workstation("球川-乙", "qc2")
    case_id = await open_case(a)
    assert await b.sync()
    [one] = attach_files(a.store, [pdf(tmp_path / "甲.pdf", "甲")], documents=True)
    [two] = attach_files(b.store, [pdf(tmp_path / "乙.pdf", "乙")], documents=True)
    a.perform("case.attach", case_id, {"attachments": [one], "names": ["甲.pdf"]})
    b.perform("case.attach", case_id, {"attachments": [two], "names": ["乙.pdf"]})
    assert await a.sync() and await b.sync() and await a.sync()
    for desk in (a, b):
        assert [x["name"] for x in desk.get("one_thing_case", case_id)["attachments"]] == ["甲.pdf", "乙.pdf"]
    from sqlalchemy import func, select

    from commandroom.domain.models import ConflictRecord

    with county.server.state.read() as s:
        assert s.scalar(select(func.count()).select_from(ConflictRecord)) == 0  # a union, not an overwrite


@pytest.mark.parametrize(("make", "words"), [
    (lambda p: p.write_bytes(b"just some notes") and p, "不是 JPEG、PNG 照片，PDF 或 Word、Excel、PowerPoint 文件"),
    (lambda p: p.write_bytes(pdf(p).read_bytes()[:-20]) and p, "不完整"),
    (lambda p: p.write_bytes(docx(p).read_bytes()[:-30]) and p, "已损坏"),
    (lambda p: p.write_bytes(b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024) + b"%%EOF") and p, "超过 20 MB"),
])
async def test_bad_attachments_are_refused_in_chinese_with_nothing_kept(county, tmp_path, make, words):
    a = await county.workstation("球川-甲", "qc1")
    bad = make(tmp_path / "材料.docx")
    good = pdf(tmp_path / "好.pdf")
    with pytest.raises(PhotoError) as err:
        attach_files(a.store, [good, bad], documents=True)
    assert words in err.value.message and "“材料.docx”" in err.value.message
    assert not (desk_photo_dir(a.path) / "outgoing").exists()
    # and the server refuses the same bytes sent directly, storing nothing
    token = a.store.auth()["access_token"]
    data = bad.read_bytes()
    r = await county.http.put(f"/api/v1/photos/{hashlib.sha256(data).hexdigest()}", params={"kind": "document"},
                              content=data, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code in (400, 413) and r.json()["detail"]["code"] == "bad_photo"
    assert words.split("，")[0] in r.json()["detail"]["message"] or r.status_code == 413
    with county.server.state.read() as s:
        assert s.query(Photo).count() == 0


async def test_thumbnails_arrive_in_one_request_after_the_pull_and_show_offline(county, tmp_path):
    a = await county.workstation("球川-甲", "qc1")
    transport = Counting()
    b = await county.workstation("球川-乙", "qc2", transport=transport)
    report_id = await county.report("河边堆放生活垃圾", service_code="sanitation")
    await a.sync()
    incident_id = new_id()
    a.perform("report.accept", report_id, {"incident_id": incident_id})
    hashes = attach_files(a.store, [jpeg(tmp_path / f"{i}.jpg", (40 * i, 90, 30)) for i in range(1, 4)])
    a.perform("incident.note", incident_id, {"note": "现场照片", "photos": hashes})
    assert await a.sync()

    before = len(transport.seen)
    assert await b.sync()
    asked = [(m, p) for m, p, _n in transport.seen[before:] if "/photos" in p]
    assert asked == [("POST", "/api/v1/photos/thumbs")], "one request for all three, none per photo"
    await county.server.astop()
    with b.store.read() as s:
        rows = {sha: s.get(Photo, sha) for sha in hashes}
    assert all(r is not None and r.thumbnail and not r.has_full for r in rows.values())
    assert Image.open(io.BytesIO(rows[hashes[0]].thumbnail)).size == (320, 240)


async def test_a_large_upload_cut_off_midway_continues_from_what_the_server_holds(county, tmp_path):
    transport = Counting()
    a = await county.workstation("球川-甲", "qc1", transport=transport)
    a.engine.photos.part_size = 256 * 1024
    case_id = await open_case(a)
    big = jpeg(tmp_path / "航拍.jpg", (7, 8, 9), (1400, 1000), noisy=True)
    size = big.stat().st_size
    assert size > 4 * a.engine.photos.part_size
    [sha] = attach_files(a.store, [big], documents=True)
    a.perform("case.attach", case_id, {"attachments": [sha], "names": [big.name]})
    transport.cut_part = 3  # two parts arrive whole, the third is cut in the middle

    assert not await a.sync()
    partial = partial_path(county.server.state, sha)
    await wait_until(lambda: partial.exists() and partial.stat().st_size > 2 * a.engine.photos.part_size, 10,
                     "the server keeps what arrived of the cut part")
    held = partial.stat().st_size
    with county.server.state.read() as s:
        assert s.get(Photo, sha) is None  # nothing stored before the whole file is there and checked
    assert a.store.pending_count() == 1 and (desk_photo_dir(a.path) / "outgoing" / sha).exists()

    sent_before = a.engine.photos.stats["bytes_sent"]
    assert await a.sync()
    assert a.engine.photos.stats["resumed_from"] == held
    assert a.engine.photos.stats["bytes_sent"] - sent_before == size - held, "only the rest went up"
    with county.server.state.read() as s:
        assert s.get(Photo, sha).has_full and s.get(OneThingCase, case_id).attachments[0]["sha256"] == sha
    assert photo_path(photos_dir(county.server.state), sha).read_bytes() == big.read_bytes()
    assert not partial.exists() and a.store.pending_count() == 0


async def test_parts_that_do_not_add_up_to_their_hash_are_refused_and_nothing_is_kept(county, tmp_path):
    a = await county.workstation("球川-甲", "qc1")
    token = a.store.auth()["access_token"]
    data = jpeg(tmp_path / "x.jpg", (1, 2, 3), (600, 400), noisy=True).read_bytes()
    named = hashlib.sha256(data + b"other").hexdigest()  # the desk names it by a hash of other bytes
    headers = {"Authorization": f"Bearer {token}"}
    half = len(data) // 2
    r = await county.http.put(f"/api/v1/photos/{named}", content=data[:half],
                              headers={**headers, "Content-Range": f"bytes 0-{half - 1}/{len(data)}"})
    assert r.status_code == 202 and r.json()["offset"] == half
    status = await county.http.get(f"/api/v1/photos/{named}/upload", headers=headers)
    assert status.json() == {"offset": half, "complete": False}
    wrong = await county.http.put(f"/api/v1/photos/{named}", content=data[:10],
                                  headers={**headers, "Content-Range": f"bytes 0-9/{len(data)}"})
    assert wrong.status_code == 409 and wrong.json()["detail"]["offset"] == half
    assert "前" in wrong.json()["detail"]["message"]
    r = await county.http.put(f"/api/v1/photos/{named}", content=data[half:],
                              headers={**headers, "Content-Range": f"bytes {half}-{len(data) - 1}/{len(data)}"})
    assert r.status_code == 400 and "与其编号不符" in r.json()["detail"]["message"]
    assert not partial_path(county.server.state, named).exists()
    with county.server.state.read() as s:
        assert s.query(Photo).count() == 0
    assert not photo_path(photos_dir(county.server.state), named).exists()
