"""Notices that leave the room, end to end: a desk's dispatch reaches the team through a real group-robot
receiver (which checks the signature), a real SMS gateway (which fails once) and a real SMTP server.

The county configures channels and rules over the REST API, the team leader sets their own e-mail, the
duty officer dispatches from a desk, and the county server's own delivery loop sends, retries and logs.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from aiosmtpd.controller import Controller
from PySide6.QtCore import Qt

from commandroom.server.users import create_user
from tests.e2e.conftest import PASSWORD, QC, new_id, wait_until
from tests.server.test_auth_support import free_port

pytestmark = pytest.mark.asyncio

ROBOT_SECRET = "SECrobot-9f8e7d6c5b4a"
SMS_TOKEN = "sms-token-1a2b3c"
LEADER_PHONE = "13900000002"
LEADER_MAIL = "qc-team@zhifa.example.cn"


class Receivers:
    """A loopback HTTP server standing in for the robot and the SMS gateway, and a real SMTP server."""

    def __init__(self, *, sms_failures: int = 1, robot_errcode: int = 0) -> None:
        self.robot: list[dict] = []
        self.sms: list[dict] = []
        self.mail: list[object] = []
        self.sms_failures = sms_failures
        self.robot_errcode = robot_errcode
        receivers = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                url = urlparse(self.path)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if url.path == "/robot":
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    expected = base64.b64encode(hmac.new(ROBOT_SECRET.encode(),
                                                         f"{query.get('timestamp')}\n{ROBOT_SECRET}".encode(),
                                                         hashlib.sha256).digest()).decode()
                    if query.get("sign") != expected or receivers.robot_errcode:
                        self._answer(200, {"errcode": receivers.robot_errcode or 310000, "errmsg": "sign not match"})
                        return
                    receivers.robot.append(body)
                    self._answer(200, {"errcode": 0, "errmsg": "ok"})
                elif url.path == "/sms":
                    if self.headers.get("Authorization") != f"Bearer {SMS_TOKEN}":
                        self._answer(401, {"code": "AUTH"})
                        return
                    if receivers.sms_failures > 0:
                        receivers.sms_failures -= 1
                        self._answer(503, {"code": "BUSY"})
                        return
                    receivers.sms.append(body)
                    self._answer(200, {"code": 0})
                else:
                    self._answer(404, {})

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # binds a free port itself, at once
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

        class MailHandler:
            async def handle_DATA(self, server, session, envelope):
                receivers.mail.append(envelope)
                return "250 OK"

        self.smtp = Controller(MailHandler(), hostname="127.0.0.1", port=free_port())

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}"

    def __enter__(self) -> Receivers:
        self.thread.start()
        self.smtp.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.shutdown()
        self.smtp.stop()


async def _bearer(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    r = await http.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD,
                                                     "device_id": f"dev-{username}-{new_id()[:6]}",
                                                     "device_name": f"{username}的电脑"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _configure(county, receivers: Receivers, *, robot_secret: str = ROBOT_SECRET) -> None:
    """The county's channels and rules, and the team leader's own e-mail, through the REST API."""
    state = county.server.state
    state.extras["notice_interval"] = 0.2
    state.extras["notice_retry_pauses"] = (0.3, 0.3, 0.3)
    with state.transaction() as s:
        create_user(s, username="qc-team", display_name="球川队长", role="team_leader", scope_code="QC",
                    township_code=QC, password=PASSWORD, phone=LEADER_PHONE)
    http = county.http
    cc = await _bearer(http, "cc")
    for name, kind, config in (
        ("球川执法群", "robot", {"url": f"{receivers.base}/robot", "secret": robot_secret}),
        ("短信平台", "sms", {"url": f"{receivers.base}/sms", "token": SMS_TOKEN, "sign": "常山县"}),
        ("县局邮箱", "email", {"host": "127.0.0.1", "port": receivers.smtp.port, "sender": "zhs@changshan.example.cn"}),
    ):
        r = await http.post("/api/v1/notice-channels", json={"name": name, "kind": kind, "config": config}, headers=cc)
        assert r.status_code == 201, r.text
        assert robot_secret not in r.text and SMS_TOKEN not in r.text  # a secret never comes back
    for channel in ("球川执法群", "短信平台", "县局邮箱"):
        r = await http.post("/api/v1/notice-rules", json={"event_kind": "dispatch", "channel": channel,
                                                           "township_code": QC}, headers=cc)
        assert r.status_code == 201, r.text
    leader = await _bearer(http, "qc-team")
    r = await http.put("/api/v1/notice-contacts/me", json={"email": LEADER_MAIL}, headers=leader)
    assert r.status_code == 200, r.text


async def _dispatch_from_the_desk(county) -> tuple[str, str]:
    desk = await county.workstation("qc-desk", "qc1")
    desk.engine.start()  # the desk's own sync loop pushes what the officer does
    report = await county.report("球川镇镇区主干道机动车违停，堵塞交通，通知测试")
    await wait_until(lambda: desk.get("report", report) is not None, 10, "the report on the desk")
    incident_id = new_id()
    desk.perform("report.accept", report, {"incident_id": incident_id})
    desk.perform("incident.dispatch", incident_id, {"target_kind": "team", "target_code": "QC", "dispatch_id": new_id()})
    await wait_until(lambda: desk.store.pending_count() == 0, 15, "the dispatch pushed")
    return incident_id, desk.get("incident", incident_id)["title"]


async def test_a_dispatch_reaches_the_team_by_group_robot_sms_and_mail(county, caplog):
    caplog.set_level(logging.INFO)
    with Receivers(sms_failures=1) as receivers:
        await _configure(county, receivers)
        _incident_id, title = await _dispatch_from_the_desk(county)
        await wait_until(lambda: receivers.robot and receivers.sms and receivers.mail, 20, "all three delivered")

        post = receivers.robot[0]["text"]["content"]
        assert "新派遣" in post and title in post and f"@{LEADER_PHONE}" in post
        assert receivers.robot[0]["at"]["atMobiles"] == [LEADER_PHONE]
        sms = receivers.sms[0]
        assert sms["mobile"] == LEADER_PHONE and sms["content"].startswith("【常山县】新派遣") and title in sms["content"]
        mail = receivers.mail[0]
        assert mail.rcpt_tos == [LEADER_MAIL]
        assert "新派遣".encode() in mail.content or b"=?utf-8?" in mail.content.lower()

        # the room's delivery log: all sent, the SMS on its second try, addresses masked
        officer = await _bearer(county.http, "qc1")
        await wait_until(lambda: len(receivers.sms) == 1, 5, "one SMS")
        # a receiver has the message a moment before the server records it as sent: read the log until it settles
        for _ in range(100):
            log = (await county.http.get("/api/v1/notices", headers=officer)).json()["notices"]
            if len(log) == 3 and all(n["status_text"] == "已发送" for n in log):
                break
            await asyncio.sleep(0.1)
        by_channel = {n["channel"]: n for n in log}
        assert set(by_channel) == {"球川执法群", "短信平台", "县局邮箱"}
        assert all(n["status_text"] == "已发送" for n in log), log
        assert by_channel["短信平台"]["attempts"] == 2
        assert by_channel["短信平台"]["address"] == "139****0002"
        assert by_channel["县局邮箱"]["address"] == "q***@zhifa.example.cn"
        assert LEADER_PHONE not in json.dumps(log, ensure_ascii=False)

        # 天马's officer sees none of 球川's notices
        other = await _bearer(county.http, "tm1")
        assert (await county.http.get("/api/v1/notices", headers=other)).json()["notices"] == []

    assert ROBOT_SECRET not in caplog.text and SMS_TOKEN not in caplog.text and LEADER_PHONE not in caplog.text
    assert len(receivers.robot) == 1 and len(receivers.mail) == 1  # each exactly once


async def test_a_robot_that_refuses_the_signature_is_logged_as_failed_with_the_reason(county):
    with Receivers(sms_failures=0) as receivers:
        await _configure(county, receivers, robot_secret="SECwrong-secret")
        await _dispatch_from_the_desk(county)
        officer = await _bearer(county.http, "qc1")

        async def robot_entry():
            log = (await county.http.get("/api/v1/notices", headers=officer)).json()["notices"]
            return next((n for n in log if n["channel"] == "球川执法群"), None)

        entry = None
        for _ in range(150):  # the delivery loop runs every 0.2 s
            entry = await robot_entry()
            if entry and entry["status"] != "pending":
                break
            await asyncio.sleep(0.1)
        assert entry is not None and entry["status_text"] == "发送失败", entry
        assert entry["error"] == "群机器人拒收：sign not match"
        assert entry["attempts"] == 1  # a wrong setting is not retried
        await wait_until(lambda: len(receivers.sms) == 1 and len(receivers.mail) == 1, 10, "the other channels")
        assert receivers.robot == []  # the other channels still went out, the robot never accepted one


async def test_a_channel_missing_a_setting_is_refused_by_name(county):
    cc = await _bearer(county.http, "cc")
    r = await county.http.post("/api/v1/notice-channels", json={"name": "坏通道", "kind": "email",
                                                                "config": {"host": "127.0.0.1"}}, headers=cc)
    assert r.status_code == 422 and "sender" in r.json()["detail"]["message"]
    officer = await _bearer(county.http, "qc1")
    r = await county.http.post("/api/v1/notice-channels", json={"name": "x", "kind": "sms",
                                                                "config": {"url": "http://127.0.0.1:1/"}}, headers=officer)
    assert r.status_code == 403


@pytest.fixture
def zh(qapp):
    """The screens in Chinese, as the duty officer sees them."""
    from ui.i18n import install_translators

    install_translators(qapp, "zh_CN")
    yield
    install_translators(qapp, "en")


async def test_the_room_reads_the_delivery_log_on_its_desk(county, qtbot, zh):
    """通知记录 through the widgets: sent, waiting (and when it tries again) and failed (and why), to whom with
    the address masked, by which channel, how many tries; the filter narrows it; another township sees none."""
    from ui.notices.view import NoticesView

    with Receivers(sms_failures=100) as receivers:
        await _configure(county, receivers, robot_secret="SECwrong-secret")
        county.server.state.extras["notice_retry_pauses"] = (600, 600)  # the SMS waits ten minutes after a failure
        await _dispatch_from_the_desk(county)
        await wait_until(lambda: len(receivers.mail) == 1, 15, "the e-mail")
        desk = await county.workstation("qc-desk-2", "qc1")
        view = NoticesView(desk.engine._request, desk.actor)
        qtbot.addWidget(view)
        view.show()
        model = view.model

        def rows() -> list[dict[str, str]]:
            titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
            return [{titles[c]: model.data(model.index(r, c)) for c in range(model.columnCount())}
                    for r in range(model.rowCount())]

        for _ in range(100):  # the server's delivery loop runs every 0.2 s: wait until every channel tried once
            await view.wait_idle()
            shown = rows()
            if len(shown) == 3 and all(r["次数"] != "0" for r in shown):
                break
            view.refresh_button.click()
            await asyncio.sleep(0.1)
        by_channel = {r["通道"]: r for r in rows()}
        assert set(by_channel) == {"球川执法群（群机器人）", "短信平台（短信）", "县局邮箱（电子邮件）"}
        robot, sms, mail = (by_channel[k] for k in ("球川执法群（群机器人）", "短信平台（短信）", "县局邮箱（电子邮件）"))
        assert all(r["事由"] == "派遣" and "派遣" in r["通知内容"] for r in (robot, sms, mail))
        assert mail["状态"] == "已发送" and mail["地址"] == "q***@zhifa.example.cn" and mail["收件人"] == "球川队长"
        assert robot["状态"] == "发送失败" and robot["次数"] == "1"
        assert robot["原因 / 下一步"].startswith("群机器人拒收：sign not match。不再重试")
        assert sms["状态"] == "待发送" and sms["地址"] == "139****0002" and sms["次数"] == "1"
        assert "短信网关出错（HTTP 503）" in sms["原因 / 下一步"] and "重试" in sms["原因 / 下一步"]
        assert LEADER_PHONE not in str(rows())
        assert "已发送 1 · 待发送 1 · 发送失败 1" in view.summary.text() and "电话告知" in view.summary.text()

        # the filter: only what failed, then only SMS, then words
        view.status_filter.setCurrentIndex(view.status_filter.findText("发送失败"))
        assert [r["通道"] for r in rows()] == ["球川执法群（群机器人）"]
        assert view.summary.text().startswith("显示 1 / 3 条")
        view.status_filter.setCurrentIndex(0)
        view.channel_filter.setCurrentIndex(view.channel_filter.findText("短信"))
        assert [r["通道"] for r in rows()] == ["短信平台（短信）"]
        view.channel_filter.setCurrentIndex(0)
        view.search.setText("sign not match")
        assert [r["通道"] for r in rows()] == ["球川执法群（群机器人）"]
        view.search.clear()
        assert len(rows()) == 3

        # 天马's room has its own log: 球川's notices are not in it
        other = await county.workstation("tm-desk", "tm1")
        theirs = NoticesView(other.engine._request, other.actor)
        qtbot.addWidget(theirs)
        await theirs.load()
        assert theirs.model.rowCount() == 0 and theirs.summary.text().startswith("显示 0 / 0 条")


async def test_a_dispatch_and_a_summons_to_a_department_reach_its_liaison_made_with_department(county):
    from sqlalchemy import select

    from commandroom.domain.models import Notice, NoticeChannel, NoticeRule
    from tests.e2e.test_disputes import _dispatched_incident

    with county.server.state.transaction() as s:  # as `commandroom user add … --department 执法局` makes it
        create_user(s, username="enf", display_name="执法局联络员", role="department_liaison",
                    department="enforcement", phone="13900000077", password=PASSWORD)
        sms = NoticeChannel(name="短信平台", kind="sms", config={"url": "http://127.0.0.1:1/sms", "token": SMS_TOKEN,
                                                               "sign": "常山县"})
        s.add(sms)
        s.flush()
        s.add_all([NoticeRule(event_kind="dispatch", channel_id=sms.id),
                   NoticeRule(event_kind="summons", channel_id=sms.id)])
    room = await county.workstation("球川-值班", "qc1")
    incident = await _dispatched_incident(county, room)
    room.perform("summon", new_id(), {"incident_id": incident, "hours": 4,
                                      "targets": [{"kind": "department", "code": "enforcement"}]})
    assert await room.sync()
    with county.server.state.read() as s:
        notices = s.scalars(select(Notice).where(Notice.subject_id.is_not(None))).all()
    sent = sorted((n.event_kind, n.recipient_name, n.address) for n in notices)
    assert sent == [("dispatch", "执法局联络员", "13900000077"), ("summons", "执法局联络员", "13900000077")]
