"""The three ways out: a group robot webhook, an SMS gateway over HTTP, e-mail over SMTP.

Each channel sends one :class:`Message` and either returns or raises :class:`DeliveryError` with a
reason a duty officer can read in the delivery log. Secrets (robot secret, gateway token, SMTP
password) are used here and nowhere else: they are not part of any error text or log line.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import smtplib
import ssl
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any, Protocol

import httpx

CHANNEL_KINDS = {"robot": "群机器人", "sms": "短信", "email": "电子邮件"}


class DeliveryError(Exception):
    """A message could not be delivered; ``retry`` says whether trying again may help."""

    def __init__(self, reason: str, *, retry: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry


@dataclass(frozen=True)
class Message:
    """What is said, to whom: ``address`` is a phone or an e-mail; ``mention`` phones for a group post."""

    title: str
    body: str
    address: str = ""
    recipient_name: str = ""
    mention: tuple[str, ...] = field(default_factory=tuple)


class Channel(Protocol):
    kind: str

    def send(self, message: Message) -> None: ...


def _need(config: dict[str, Any], key: str, kind: str) -> str:
    value = str(config.get(key) or "").strip()
    if not value:
        raise ValueError(f"{CHANNEL_KINDS.get(kind, kind)}通道缺少设置项 {key}")
    return value


def _http_failure(exc: Exception) -> DeliveryError:
    if isinstance(exc, httpx.TimeoutException):
        return DeliveryError("对方服务器无应答（超时）")
    return DeliveryError(f"连不上对方服务器（{type(exc).__name__}）")


def robot_signature(secret: str, timestamp_ms: int) -> str:
    """The group robot's request signature: base64(HMAC-SHA256(secret, "<timestamp>\\n<secret>"))."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class RobotChannel:
    """A DingTalk / 浙政钉-style group robot: a signed webhook that posts a text into a group chat."""

    kind = "robot"

    def __init__(self, config: dict[str, Any], *, timeout: float = 10.0) -> None:
        self.url = _need(config, "url", self.kind)
        self.secret = str(config.get("secret") or "")
        self.timeout = timeout

    def send(self, message: Message) -> None:
        params: dict[str, str] = {}
        if self.secret:
            stamp = int(time.time() * 1000)
            params = {"timestamp": str(stamp), "sign": robot_signature(self.secret, stamp)}
        text = f"{message.title}\n{message.body}".strip()
        payload = {"msgtype": "text", "text": {"content": text},
                   "at": {"atMobiles": list(message.mention), "isAtAll": False}}
        try:
            response = httpx.post(self.url, params=params, json=payload, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise _http_failure(exc) from None
        if response.status_code >= 500:
            raise DeliveryError(f"群机器人服务出错（HTTP {response.status_code}）")
        if response.status_code >= 400:
            raise DeliveryError(f"群机器人拒收（HTTP {response.status_code}）", retry=False)
        try:
            answer = response.json()
        except ValueError:
            raise DeliveryError("群机器人的答复无法识别") from None
        if answer.get("errcode", 0) != 0:
            # 310000 is the robots' "signature / keyword / IP check failed": a setting to fix, not to retry
            raise DeliveryError(f"群机器人拒收：{answer.get('errmsg') or answer.get('errcode')}",
                                retry=answer.get("errcode") not in (310000, 300001))


class SmsChannel:
    """An SMS gateway over HTTP: POST JSON ``{<phone field>: phone, <text field>: text}`` with a bearer token.

    ``template`` shapes the text (``{sign}``, ``{title}``, ``{body}``); ``phone_field``/``text_field``
    name the gateway's fields. A 2xx answer whose JSON ``code`` is absent, 0, "0" or "OK" is delivered.
    """

    kind = "sms"

    def __init__(self, config: dict[str, Any], *, timeout: float = 10.0) -> None:
        self.url = _need(config, "url", self.kind)
        self.token = str(config.get("token") or "")
        self.sign = str(config.get("sign") or "常山县")
        self.template = str(config.get("template") or "【{sign}】{title}：{body}")
        self.phone_field = str(config.get("phone_field") or "mobile")
        self.text_field = str(config.get("text_field") or "content")
        self.timeout = timeout

    def text_of(self, message: Message) -> str:
        return self.template.format(sign=self.sign, title=message.title, body=message.body)

    def send(self, message: Message) -> None:
        if not message.address:
            raise DeliveryError("收件人没有手机号", retry=False)
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        payload = {self.phone_field: message.address, self.text_field: self.text_of(message)}
        try:
            response = httpx.post(self.url, json=payload, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise _http_failure(exc) from None
        if response.status_code >= 500:
            raise DeliveryError(f"短信网关出错（HTTP {response.status_code}）")
        if response.status_code in (401, 403):
            raise DeliveryError("短信网关拒绝了本服务器的凭据，请检查通道设置", retry=False)
        if response.status_code >= 400:
            raise DeliveryError(f"短信网关拒收（HTTP {response.status_code}）", retry=False)
        try:
            code = response.json().get("code", 0)
        except ValueError:
            code = 0
        if code not in (0, "0", "OK", "ok"):
            raise DeliveryError(f"短信网关拒收（代码 {code}）")


class EmailChannel:
    """E-mail over SMTP (optionally STARTTLS and a login)."""

    kind = "email"

    def __init__(self, config: dict[str, Any], *, timeout: float = 15.0) -> None:
        self.host = _need(config, "host", self.kind)
        self.port = int(config.get("port") or 25)
        self.sender = _need(config, "sender", self.kind)
        self.sender_name = str(config.get("sender_name") or "常山县综合信息指挥室")
        self.username = str(config.get("username") or "")
        self.password = str(config.get("password") or "")
        self.starttls = bool(config.get("starttls"))
        self.timeout = timeout

    def send(self, message: Message) -> None:
        if not message.address:
            raise DeliveryError("收件人没有电子邮箱", retry=False)
        mail = EmailMessage()
        mail["Subject"] = message.title
        mail["From"] = formataddr((self.sender_name, self.sender))
        mail["To"] = formataddr((message.recipient_name, message.address)) if message.recipient_name \
            else message.address
        mail.set_content(message.body or message.title)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(mail)
        except smtplib.SMTPAuthenticationError:
            raise DeliveryError("邮件服务器拒绝了登录，请检查通道设置", retry=False) from None
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryError("邮件服务器拒收这个收件地址，请本人核对所填邮箱", retry=False) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"邮件发送失败（{type(exc).__name__}）") from None


def channel_for(kind: str, config: dict[str, Any]) -> Channel:
    """The channel of a configured kind; ValueError names a missing setting or an unknown kind."""
    if kind == "robot":
        return RobotChannel(config)
    if kind == "sms":
        return SmsChannel(config)
    if kind == "email":
        return EmailChannel(config)
    raise ValueError(f"未知的通知通道类型 {kind!r}（可选：robot 群机器人、sms 短信、email 电子邮件）")
