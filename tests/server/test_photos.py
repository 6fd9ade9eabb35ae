"""Photos by content hash: upload, thumbnail, full image, limits."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import ClassVar

import pytest
from PIL import Image

from commandroom.domain.models import Photo
from commandroom.server import photos
from tests.server.test_auth_support import QC, jpeg_bytes, open_server, png_bytes


@pytest.fixture
def srv(db_url, tmp_path):
    with open_server(db_url, tmp_path) as server:
        server.add_user("duty", "duty_officer", township_code=QC)
        _, key = server.add_user("gw", "grid_worker", township_code=QC)
        server.key = key
        server.h = server.bearer("duty")
        yield server


def test_upload_raw_jpeg_then_thumb_and_full(srv):
    data = jpeg_bytes((1600, 1200))
    sha = hashlib.sha256(data).hexdigest()
    r = srv.client.post("/api/v1/photos", content=data, headers={**srv.h, "Content-Type": "image/jpeg"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["sha256"] == sha and body["width"] == 1600 and body["height"] == 1200 and body["size"] == len(data)
    stored = Path(srv.state.extras["photos_dir"]) / sha[:2] / sha[2:]
    assert stored.read_bytes() == data
    thumb = srv.client.get(f"/api/v1/photos/{sha}/thumb", headers=srv.h)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert "immutable" in thumb.headers["cache-control"]
    img = Image.open(io.BytesIO(thumb.content))
    assert max(img.size) == 320 and img.size == (320, 240)
    full = srv.client.get(f"/api/v1/photos/{sha}/full", headers=srv.h)
    assert full.content == data and full.headers["content-type"] == "image/jpeg"
    meta = srv.client.get(f"/api/v1/photos/{sha}", headers=srv.h).json()
    assert meta["full_url"] == f"/api/v1/photos/{sha}/full"
    # the same bytes again: nothing new
    again = srv.client.post("/api/v1/photos", content=data, headers={**srv.h, "Content-Type": "image/jpeg"})
    assert again.status_code == 200 and again.json()["sha256"] == sha
    assert srv.counts()["photo"] == 1


def test_upload_multipart_png_with_alpha(srv):
    data = png_bytes((640, 100))
    r = srv.client.post("/api/v1/photos", files={"file": ("a.png", data, "image/png")}, headers=srv.h)
    assert r.status_code == 201, r.text
    sha = r.json()["sha256"]
    with srv.state.read() as s:
        row = s.get(Photo, sha)
        assert row.mime == "image/png" and row.has_full
        assert Image.open(io.BytesIO(row.thumbnail)).size == (320, 50)
    assert srv.client.get(f"/api/v1/photos/{sha}/full", params={"api_key": srv.key}).status_code == 200


@pytest.mark.parametrize(("body", "ctype", "status", "words"), [
    (b"GIF89a....", "image/gif", 400, "类型 image/gif 不能接收"),
    (b"GIF89a....", "application/octet-stream", 400, "不是 JPEG 或 PNG"),
    (b"%PDF-1.5", "image/jpeg", 400, "不是 JPEG 或 PNG"),
    (b"\x89PNG\r\n\x1a\n" + b"broken", "image/png", 400, "已损坏"),
    (b"", "image/jpeg", 400, "空文件"),
    (b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024), "image/jpeg", 413, "10 MB"),
])
def test_bad_uploads_are_refused(srv, body, ctype, status, words):
    before = srv.counts()
    r = srv.client.post("/api/v1/photos", content=body, headers={**srv.h, "Content-Type": ctype})
    assert r.status_code == status, r.text
    assert words in r.json()["detail"]["message"]
    assert srv.counts() == before
    assert not any(p.is_file() for p in Path(srv.state.extras["photos_dir"]).rglob("*"))


def test_reading_needs_a_sign_in(srv):
    data = jpeg_bytes()
    sha = srv.client.post("/api/v1/photos", content=data, headers={**srv.h, "Content-Type": "image/jpeg"}).json()[
        "sha256"]
    assert srv.client.get(f"/api/v1/photos/{sha}/thumb").status_code == 401
    assert srv.client.get(f"/api/v1/photos/{sha}/full", params={"api_key": "wrong"}).status_code == 403
    assert srv.client.post("/api/v1/photos", content=data, headers={"Content-Type": "image/jpeg"}).status_code == 401
    assert srv.client.get(f"/api/v1/photos/{'0' * 64}/thumb", headers=srv.h).status_code == 404
    assert srv.client.get("/api/v1/photos/not-a-hash/full", headers=srv.h).status_code == 404


def test_photos_dir_follows_settings(tmp_path):
    class S:
        data_dir = tmp_path / "data"

    class State:
        settings = S()
        extras: ClassVar[dict] = {}

    assert photos.photos_dir(State()) == tmp_path / "data" / "photos"

    class Bare:
        settings = None
        extras: ClassVar[dict] = {}

    first = photos.photos_dir(Bare())
    assert first.is_dir() and photos.photos_dir(Bare()) == first


def test_named_upload_checks_the_hash_and_never_stores_twice(srv):
    data = jpeg_bytes((800, 600))
    sha = hashlib.sha256(data).hexdigest()
    before = srv.counts()
    # a body that is not the photo it is named by (damaged on the way): refused, nothing kept
    wrong = srv.client.put(f"/api/v1/photos/{'0' * 64}", content=data, headers=srv.h)
    assert wrong.status_code == 400 and "与其编号不符" in wrong.json()["detail"]["message"]
    assert srv.counts() == before
    assert not any(p.is_file() for p in Path(srv.state.extras["photos_dir"]).rglob("*"))
    first = srv.client.put(f"/api/v1/photos/{sha}", content=data, headers=srv.h)
    assert first.status_code == 201 and first.json()["has_full"] is True
    # asked again (a retry after a lost answer): the server already holds it and says so
    again = srv.client.put(f"/api/v1/photos/{sha}", content=data, headers=srv.h)
    assert again.status_code == 200 and srv.counts()["photo"] == before["photo"] + 1
    # a grid worker's key cannot upload through the desk's route
    assert srv.client.put(f"/api/v1/photos/{sha}", content=data).status_code == 401


def test_exif_orientation_is_applied_to_the_thumbnail(srv):
    img = Image.new("RGB", (400, 200), (200, 20, 20))  # stored landscape, taken upright (EXIF 6: rotate 90°)
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif)
    r = srv.client.post("/api/v1/photos", content=buf.getvalue(), headers={**srv.h, "Content-Type": "image/jpeg"})
    assert r.status_code == 201, r.text
    assert (r.json()["width"], r.json()["height"]) == (200, 400)
    thumb = Image.open(io.BytesIO(srv.client.get(f"/api/v1/photos/{r.json()['sha256']}/thumb", headers=srv.h).content))
    assert thumb.size == (160, 320)  # upright, as the officer took it


def test_many_thumbnails_in_one_answer(srv):
    """The desk's batch after a pull: each known photo with its thumbnail, a document without one, the rest
    named as missing; a wrong request is told in Chinese."""
    import base64

    photo = jpeg_bytes((800, 600))
    sha = srv.client.post("/api/v1/photos", content=photo, headers={**srv.h, "Content-Type": "image/jpeg"}).json()[
        "sha256"]
    doc = b"%PDF-1.4\n% a letter\ntrailer << >>\n%%EOF\n"
    doc_sha = hashlib.sha256(doc).hexdigest()
    assert srv.client.put(f"/api/v1/photos/{doc_sha}", params={"kind": "document"}, content=doc,
                          headers=srv.h).status_code == 201
    unknown = "f" * 64
    r = srv.client.post("/api/v1/photos/thumbs", json={"sha256": [sha, doc_sha, unknown, "not-a-hash"]},
                        headers=srv.h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [p["sha256"] for p in body["photos"]] == [sha, doc_sha] and body["missing"] == [unknown, "not-a-hash"]
    assert Image.open(io.BytesIO(base64.b64decode(body["photos"][0]["thumbnail"]))).size == (320, 240)
    assert body["photos"][1]["thumbnail"] is None and body["photos"][1]["mime"] == "application/pdf"
    # a grid worker's key reads them too; nobody without one
    assert srv.client.post("/api/v1/photos/thumbs", params={"api_key": srv.key}, json={"sha256": [sha]}).status_code \
        == 200
    assert srv.client.post("/api/v1/photos/thumbs", json={"sha256": [sha]}).status_code == 401
    bad = srv.client.post("/api/v1/photos/thumbs", json={"sha256": ["a" * 64] * 201}, headers=srv.h)
    assert bad.status_code == 400 and "一次最多取 200 张" in bad.json()["detail"]["message"]
    bad = srv.client.post("/api/v1/photos/thumbs", json=["a"], headers=srv.h)
    assert bad.status_code == 400 and "请求应为" in bad.json()["detail"]["message"]


def test_protocol_refusals_are_in_chinese_with_their_codes(srv):
    r = srv.client.get(f"/api/v1/photos/{'0' * 64}/full", params={"api_key": "wrong"})
    assert r.status_code == 403 and r.json()["detail"] == {"code": "api_key_unknown",
                                                           "message": "api_key 不正确：请核对发给本账号的 api_key。"}
    r = srv.client.get(f"/api/v1/photos/{'0' * 64}", headers=srv.h)
    assert r.status_code == 404 and r.json()["detail"]["code"] == "not_found"
    assert "县服务器上没有这张照片" in r.json()["detail"]["message"]
    r = srv.client.post("/api/v1/photos", files={"other": ("a.jpg", jpeg_bytes(), "image/jpeg")}, headers=srv.h)
    assert r.status_code == 400 and r.json()["detail"]["code"] == "bad_photo"
    assert "表单里没有照片" in r.json()["detail"]["message"]
    r = srv.client.put(f"/api/v1/photos/{'1' * 64}", content=b"x" * 100, headers={
        **srv.h, "Content-Range": "bytes 0-99/" + str(30 * 1024 * 1024)})
    assert r.status_code == 413 and "超过 10 MB 上限" in r.json()["detail"]["message"]
    r = srv.client.put(f"/api/v1/photos/{'1' * 64}", content=b"x", headers={**srv.h, "Content-Range": "bytes 5-1/9"})
    assert r.status_code == 400 and "范围" in r.json()["detail"]["message"]
    assert srv.client.get(f"/api/v1/photos/{'1' * 64}/upload", params={"api_key": srv.key}).status_code == 401
