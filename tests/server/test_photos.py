"""Photos by content hash: upload, thumbnail, full image, limits."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import ClassVar

import pytest
from PIL import Image
from sqlalchemy import select

from commandroom.domain.models import Department, Grid, Incident, OneThingCase, Photo, Report, TimelineEntry
from commandroom.ids import new_id
from commandroom.server import photos
from tests.server.test_auth_support import QC, TM, jpeg_bytes, open_server, png_bytes
from tests.server.test_permissions import _row


@pytest.fixture
def srv(db_url, tmp_path):
    with open_server(db_url, tmp_path) as server:
        server.add_user("duty", "duty_officer", township_code=QC)
        _, key = server.add_user("gw", "grid_worker", township_code=QC)
        server.key = key
        server.h = server.bearer("duty")
        yield server


def shown(srv, sha: str, model: type = Report, **values) -> str:
    """A record that shows photo ``sha`` (a 球川 report unless told): a photo nobody's record shows is nobody's."""
    values.setdefault("township_code", QC)
    if model is Report:
        values.setdefault("photos", [sha])
    elif model is Incident:
        values.setdefault("photos_after", [sha])
    else:
        values.setdefault("data", {"photos": [sha]})
    with srv.state.transaction() as s:
        row = _row(model, **values)
        s.add(row)
        return row.id


def test_upload_raw_jpeg_then_thumb_and_full(srv):
    data = jpeg_bytes((1600, 1200))
    sha = hashlib.sha256(data).hexdigest()
    r = srv.client.post("/api/v1/photos", content=data, headers={**srv.h, "Content-Type": "image/jpeg"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["sha256"] == sha and body["width"] == 1600 and body["height"] == 1200 and body["size"] == len(data)
    stored = Path(srv.state.extras["photos_dir"]) / sha[:2] / sha[2:]
    assert stored.read_bytes() == data
    shown(srv, sha)
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
    shown(srv, sha)
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
    shown(srv, r.json()["sha256"])
    thumb = Image.open(io.BytesIO(srv.client.get(f"/api/v1/photos/{r.json()['sha256']}/thumb", headers=srv.h).content))
    assert thumb.size == (160, 320)  # upright, as the officer took it


def test_a_photo_is_read_only_through_a_record_in_reach(srv):
    """#14: a photo answers only to a caller who may read a record showing it; "not yours" and "not here" are
    answered alike. A liaison reaches its department's work in every township, a grid worker its grid."""
    with srv.state.read() as s:
        grids = list(s.scalars(select(Grid.id).where(Grid.township_code == QC).order_by(Grid.id).limit(2)))
        dept, other_dept = list(s.scalars(select(Department.code).order_by(Department.code).limit(2)))
    users = {"tm-duty": ("duty_officer", {"township_code": TM}), "county": ("county_coordinator", {}),
             "dept": ("department_liaison", {"department": dept}),
             "dept2": ("department_liaison", {"department": other_dept}), "admin": ("admin", {})}
    for name, (role, kw) in users.items():
        srv.add_user(name, role, **kw)
    _, mine_key = srv.add_user("gw-mine", "grid_worker", township_code=QC, grid_id=grids[0])
    _, next_key = srv.add_user("gw-next", "grid_worker", township_code=QC, grid_id=grids[1])
    sha = {}
    for name in ("qc_report", "tm_incident", "tm_timeline", "nowhere"):
        data = jpeg_bytes((64 + len(sha), 48))
        sha[name] = srv.client.post("/api/v1/photos", content=data,
                                    headers={**srv.h, "Content-Type": "image/jpeg"}).json()["sha256"]
    shown(srv, sha["qc_report"], grid_id=grids[0], source="grid_patrol", category_code="dispute", description="x")
    shown(srv, sha["tm_incident"], Incident, township_code=TM, lead_department_code=dept, state="dispatched")
    other_incident = shown(srv, new_id(), Incident, township_code=TM, lead_department_code=other_dept,
                           state="dispatched")
    shown(srv, sha["tm_timeline"], TimelineEntry, township_code=TM, incident_id=other_incident)
    ghost = "f" * 64
    readers = {"duty": srv.h, **{name: srv.bearer(name) for name in users},
               "gw-mine": {"api_key": mine_key}, "gw-next": {"api_key": next_key}}
    may = {"duty": {"qc_report"}, "tm-duty": {"tm_incident", "tm_timeline"},
           "county": {"qc_report", "tm_incident", "tm_timeline"}, "dept": {"tm_incident"}, "dept2": {"tm_timeline"},
           "gw-mine": {"qc_report"}, "gw-next": set()}
    for who, creds in readers.items():
        for name, h in (*sha.items(), ("ghost", ghost)):
            for suffix in ("", "/thumb", "/full"):
                kw = {"params": creds} if "api_key" in creds else {"headers": creds}
                r = srv.client.get(f"/api/v1/photos/{h}{suffix}", **kw)
                if who == "admin":  # accounts only: refused before anything is looked up
                    assert r.status_code == 403 and r.json()["detail"]["rule"] == "photo.read"
                elif name in may[who]:
                    assert r.status_code == 200, (who, name, suffix, r.text)
                else:  # the very answer a photo the server does not hold gets
                    assert (r.status_code, r.json()) == (404, {"detail": {
                        "code": "not_found", "message": f"县服务器上没有这张照片（编号 {h[:12]}…）。"}}), (who, name, suffix)
        if who != "admin":  # the desk's batch of thumbnails: the same photos, the others named as missing
            kw = {"params": creds} if "api_key" in creds else {"headers": creds}
            r = srv.client.post("/api/v1/photos/thumbs", json={"sha256": [*sha.values(), ghost]}, **kw)
            assert {p["sha256"] for p in r.json()["photos"]} == {sha[n] for n in may[who]}, who
            assert set(r.json()["missing"]) == {ghost, *(sha[n] for n in sha if n not in may[who])}, who


def test_a_move_to_another_township_is_obeyed_at_once_by_the_photos(srv):
    """#14: the server remembers a "yes" for a minute to spare a desk's three reads of one photo, but an officer
    moved to another township (or a role taken away) is refused his old township's photo on the very next read."""
    from commandroom.domain.models import User

    sha = srv.client.post("/api/v1/photos", content=jpeg_bytes((70, 50)),
                          headers={**srv.h, "Content-Type": "image/jpeg"}).json()["sha256"]
    shown(srv, sha, source="grid_patrol", category_code="dispute", description="x")
    assert srv.client.get(f"/api/v1/photos/{sha}/thumb", headers=srv.h).status_code == 200
    with srv.state.transaction() as s:
        user = s.scalars(select(User).where(User.username == "duty")).one()
        user.township_code = user.scope_code = TM
    assert srv.client.get(f"/api/v1/photos/{sha}/thumb", headers=srv.h).status_code == 404
    with srv.state.transaction() as s:
        user = s.scalars(select(User).where(User.username == "duty")).one()
        user.township_code = user.scope_code = QC
    assert srv.client.get(f"/api/v1/photos/{sha}/thumb", headers=srv.h).status_code == 200


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
    shown(srv, sha)
    case = _row(OneThingCase, township_code=QC, type_code="none", attachments=[{"sha256": doc_sha, "name": "函.pdf"}])
    with srv.state.transaction() as s:  # the document is a one-thing case's attachment
        s.add(case)
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
