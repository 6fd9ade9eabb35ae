"""Every malformed Open311 request gets a 4xx in the GeoReport error format and writes nothing."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.server.test_auth_support import QC, QC_SEAT, jpeg_bytes, open_server

GOOD = {"lat": str(QC_SEAT[0]), "long": str(QC_SEAT[1]), "description": "路边垃圾堆放，请清运。"}
HANGZHOU = ("30.2741", "120.1551")


def _cases(service: str, key: str, revoked_key: str, photo_sha_missing: str):
    """(name, form overrides, files, headers, raw body, expected status, words in the description)."""
    big = b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024)
    return [
        ("missing service_code", {"service_code": None}, None, None, None, 400, "service_code is required"),
        ("empty service_code", {"service_code": "  "}, None, None, None, 400, "service_code is required"),
        ("unknown service_code", {"service_code": "no_such_service"}, None, None, None, 400, "not a service"),
        ("no location", {"lat": None, "long": None}, None, None, None, 400, "location is required"),
        ("lat without long", {"long": None}, None, None, None, 400, "both lat and long"),
        ("long without lat", {"lat": None}, None, None, None, 400, "both lat and long"),
        ("non-numeric lat", {"lat": "北纬28度"}, None, None, None, 400, "not a number"),
        ("nan lat", {"lat": "nan"}, None, None, None, 400, "finite"),
        ("lat out of range", {"lat": "95", "long": "118.3"}, None, None, None, 400, "not valid degrees"),
        ("outside the county", {"lat": HANGZHOU[0], "long": HANGZHOU[1]}, None, None, None, 400, "outside 常山县"),
        ("outside the county (gcj02)", {"lat": HANGZHOU[0], "long": HANGZHOU[1], "coord_system": "gcj02"},
         None, None, None, 400, "GCJ-02"),
        ("unknown coord_system", {"coord_system": "bd09"}, None, None, None, 400, "coord_system"),
        ("unknown jurisdiction_id", {"jurisdiction_id": "330822999"}, None, None, None, 400, "jurisdiction_id"),
        ("address without township for a county key is fine for a township key; bad jurisdiction",
         {"lat": None, "long": None, "address_string": "某地", "jurisdiction_id": "xx"}, None, None, None, 400,
         "jurisdiction_id"),
        ("description missing", {"description": None}, None, None, None, 400, "description is required"),
        ("description too long", {"description": "垃" * 4001}, None, None, None, 400, "at most 4000"),
        ("control characters", {"description": "abc\x00def"}, None, None, None, 400, "control characters"),
        ("bad email", {"email": "not-an-email"}, None, None, None, 400, "e-mail"),
        ("bad phone", {"phone": "call me maybe"}, None, None, None, 400, "telephone"),
        ("first_name too long", {"first_name": "x" * 40}, None, None, None, 400, "first_name"),
        ("media_url not http", {"media_url": "ftp://x/y.jpg"}, None, None, None, 400, "media_url"),
        ("media_url unknown own photo", {"media_url": f"http://testserver/api/v1/photos/{photo_sha_missing}/full"},
         None, None, None, 400, "not on this server"),
        ("bad urgency", {"attribute[urgency]": "L9"}, None, None, None, 400, "urgency"),
        ("bad source", {"source": "twitter"}, None, None, None, 400, "source"),
        ("idempotency key too long", {}, None, {"Idempotency-Key": "k" * 200}, None, 400, "Idempotency-Key"),
        ("no api_key", {"api_key": None}, None, None, None, 403, "api_key is required"),
        ("bad api_key", {"api_key": "cr311_not-a-key"}, None, None, None, 403, "not valid"),
        ("revoked api_key", {"api_key": revoked_key}, None, None, None, 403, "revoked"),
        ("bad bearer", {"api_key": None}, None, {"Authorization": "Bearer not-a-token-at-all"}, None, 401,
         "access token unknown"),
        ("json body", None, None, {"Content-Type": "application/json"},
         json.dumps({"api_key": key, "service_code": service, **GOOD}).encode(), 415, "x-www-form-urlencoded"),
        ("text body", None, None, {"Content-Type": "text/plain"}, b"hello", 415, "multipart/form-data"),
        ("no content type", None, None, {"Content-Type": ""}, b"", 415, "no content type"),
        ("non-image media", {}, {"media": ("doc.pdf", b"%PDF-1.4 not an image", "application/pdf")}, None, None,
         400, "不是 JPEG 或 PNG"),
        ("corrupt jpeg", {}, {"media": ("x.jpg", b"\xff\xd8\xff\xe0" + b"garbage" * 100, "image/jpeg")}, None, None,
         400, "已损坏"),
        ("empty media", {}, {"media": ("x.jpg", b"", "image/jpeg")}, None, None, 400, "空文件"),
        ("oversized media", {}, {"media": ("big.jpg", big, "image/jpeg")}, None, None, 413, "10 MB"),
        ("way oversized body", {}, {"media": ("big.jpg", big + big, "image/jpeg")}, None, None, 413, "10 MB"),
        ("file in a text field", {}, {"description": ("d.txt", b"text", "text/plain")}, None, None, 400,
         "unexpected file"),
        ("two media files", {}, [("media", ("a.jpg", jpeg_bytes(), "image/jpeg")),
                                 ("media", ("b.jpg", jpeg_bytes(color=(1, 2, 3)), "image/jpeg"))], None, None, 400,
         "form cannot be read"),
        ("broken multipart", None, None, {"Content-Type": "multipart/form-data; boundary=XYZ"},
         b"--XYZ\r\nContent-Disposition: form-data; name=\"api_key\"\r\n\r\nabc\r\n--XY", 400, "form"),
        ("empty form", None, None, {"Content-Type": "application/x-www-form-urlencoded"}, b"", 400, "form is empty"),
    ]


def _send(srv, fmt, service, key, form, files, headers, raw):
    url = f"/open311/v2/requests.{fmt}"
    if raw is not None:
        return srv.client.post(url, content=raw, headers=headers or {})
    data = {"api_key": key, "service_code": service, **GOOD}
    data.update(form or {})
    data = {k: v for k, v in data.items() if v is not None}
    return srv.client.post(url, data=data, files=files, headers=headers or {})


def _files_in(path: Path) -> int:
    return sum(1 for p in path.rglob("*") if p.is_file()) if path.exists() else 0


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_malformed_posts_are_refused_and_write_nothing(db_url, tmp_path, fmt):
    with open_server(db_url, tmp_path) as srv:
        _, key = srv.add_user("gw", "grid-worker", township_code=QC)
        _, revoked = srv.add_user("gw-old", "grid-worker", township_code=QC)
        from commandroom.server.users import revoke_api_key

        with srv.state.transaction() as s:
            revoke_api_key(s, "gw-old")
        service = srv.client.get("/open311/v2/services.json").json()[0]["service_code"]
        # sanity: the good request works (then count from there)
        ok = _send(srv, fmt, service, key, {}, None, None, None)
        assert ok.status_code == 201, ok.text
        photos_dir = Path(srv.state.extras["photos_dir"])
        before, files_before = srv.counts(), _files_in(photos_dir)
        failures = []
        for name, form, files, headers, raw, status, words in _cases(service, key, revoked, "ab" * 32):
            r = _send(srv, fmt, service, key, form, files, headers, raw)
            problem = None
            if r.status_code != status:
                problem = f"status {r.status_code} (want {status}): {r.text[:300]}"
            else:
                try:
                    if fmt == "json" and r.headers["content-type"].startswith("application/json"):
                        body = r.json()
                        assert isinstance(body, list) and len(body) == 1 and body[0]["code"] == status
                        description = body[0]["description"]
                    else:
                        root = ET.fromstring(r.content)  # well-formed XML
                        assert root.tag == "errors" and root.findtext("error/code") == str(status)
                        description = root.findtext("error/description")
                    assert description and words in description, description
                except (AssertionError, ValueError, ET.ParseError, KeyError) as exc:
                    problem = f"bad error body {r.headers.get('content-type')} {r.text[:300]!r}: {exc}"
            if srv.counts() != before or _files_in(photos_dir) != files_before:
                problem = (problem or "") + f" WROTE SOMETHING: {srv.counts()} vs {before}"
            if problem:
                failures.append(f"{name}: {problem}")
        assert not failures, "\n".join(failures)


def test_unknown_format_on_post(db_url, tmp_path):
    with open_server(db_url, tmp_path) as srv:
        _, key = srv.add_user("gw", "grid-worker", township_code=QC)
        before = srv.counts()
        r = srv.client.post("/open311/v2/requests.txt", data={"api_key": key, "service_code": "x", **GOOD})
        assert r.status_code == 404 and "format" in r.json()[0]["description"]
        assert srv.counts() == before


def test_xml_errors_escape_markup(db_url, tmp_path):
    with open_server(db_url, tmp_path) as srv:
        r = srv.client.get("/open311/v2/services/<b>&amp;\"x'.xml")
        assert r.status_code == 404
        root = ET.fromstring(r.content)
        assert "<b>&amp;\"x'" in root.findtext("error/description")
