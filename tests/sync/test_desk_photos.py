"""Photos picked at a desk: checked before anything is kept (wrong type, oversize, corrupt, EXIF
orientation), kept for upload by content hash, and the cache of full images stays under its limit without
dropping the photos of open incidents."""

from __future__ import annotations

import io
import os
from types import SimpleNamespace

import pytest
from PIL import Image

from commandroom.domain.models import Photo
from commandroom.store.local import DeskStore
from commandroom.store.photos import PhotoError, attach_files, cached_path, desk_photo_dir
from commandroom.sync.photos import PhotoSync
from tests.sync.helpers import copy_template


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "desk.db"
    copy_template("client", path)
    s = DeskStore(path)
    yield s
    s.close()


def jpeg(path, size=(640, 480), orientation=None):
    buf = io.BytesIO()
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    Image.new("RGB", size, (10, 120, 200)).save(buf, format="JPEG", exif=exif)
    path.write_bytes(buf.getvalue())
    return path


def kept(store):
    with store.read() as s:
        rows = s.query(Photo).count()
    root = desk_photo_dir(store.path)
    return rows, sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize(("content", "words"), [
    (b"GIF89a not a photo", "不是 JPEG 或 PNG"),
    (b"\xff\xd8\xff" + b"\0" * 64, "已损坏"),
    (b"", "空文件"),
    (b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024), "超过 10 MB"),
])
def test_a_bad_file_is_refused_by_name_and_nothing_is_kept(store, tmp_path, content, words):
    good = jpeg(tmp_path / "good.jpg")
    bad = tmp_path / "现场.jpg"
    bad.write_bytes(content)
    with pytest.raises(PhotoError) as refused:
        attach_files(store, [good, bad])
    assert words in refused.value.message and "“现场.jpg”" in refused.value.message
    assert kept(store) == (0, [])  # not even the good one: the officer picks again, nothing half-attached


def test_attached_photo_waits_for_upload_with_an_upright_thumbnail(store, tmp_path):
    photo = jpeg(tmp_path / "phone.jpg", size=(400, 200), orientation=6)
    [sha] = attach_files(store, [photo, photo])  # the same photo twice is one photo
    root = desk_photo_dir(store.path)
    assert (root / "outgoing" / sha).read_bytes() == photo.read_bytes()
    assert cached_path(root, sha) == root / "outgoing" / sha
    with store.read() as s:
        row = s.get(Photo, sha)
        assert (row.width, row.height, row.has_full) == (200, 400, True)
        assert Image.open(io.BytesIO(row.thumbnail)).size == (160, 320)


def test_cache_keeps_open_incidents_photos_and_drops_the_oldest_beyond_the_limit(store, tmp_path, monkeypatch):
    root = desk_photo_dir(store.path)
    (root / "cache").mkdir(parents=True)
    for i, name in enumerate(("a" * 64, "b" * 64, "c" * 64)):
        path = root / "cache" / name
        path.write_bytes(b"x" * 1000)
        os.utime(path, (1_000_000 + i, 1_000_000 + i))  # a is the least recently viewed
    engine = SimpleNamespace(store=store, client=None)
    photos = PhotoSync(engine, cache_limit=1500)
    monkeypatch.setattr("commandroom.sync.photos.open_incident_hashes", lambda _s: {"a" * 64})
    assert photos.evict() == 2
    assert sorted(p.name for p in (root / "cache").iterdir()) == ["a" * 64]  # the open incident's stays
