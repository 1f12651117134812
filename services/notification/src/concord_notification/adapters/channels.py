"""The channels, each a real protocol: webhooks (signed HTTP POST), e-mail (SMTP) and SMS
(an HTTP gateway). Each raises SendFailed, saying whether trying again could help."""

import asyncio
import json
import smtplib
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import httpx

from concord_notification.domain.signing import signed_headers


class SendFailed(Exception):
    def __init__(self, error: str, *, retryable: bool) -> None:
        super().__init__(error)
        self.error = error
        self.retryable = retryable


def _http_result(response: httpx.Response) -> None:
    if response.is_success:
        return
    # 408 and 429 say "later"; other 4xx say "this request is wrong": retrying cannot help.
    retryable = response.status_code >= 500 or response.status_code in (408, 429)
    raise SendFailed(f"HTTP {response.status_code}", retryable=retryable)


class Webhooks:
    def __init__(self, timeout_s: float) -> None:
        self._client = httpx.AsyncClient(timeout=timeout_s, follow_redirects=False)

    async def post(self, url: str, secret: str, body: str, event_id: str, event_type: str) -> None:
        raw = body.encode()
        headers = signed_headers(secret, int(time.time()), raw, event_id, event_type)
        try:
            response = await self._client.post(url, content=raw, headers=headers)
        except httpx.HTTPError as exc:
            raise SendFailed(type(exc).__name__, retryable=True) from exc
        _http_result(response)

    async def close(self) -> None:
        await self._client.aclose()


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    starttls: bool = False
    username: str = ""
    password: str = ""
    timeout_s: float = 10.0


class Mailer:
    """E-mail over SMTP, with the standard library's client in a worker thread."""

    def __init__(self, config: SmtpConfig) -> None:
        self._config = config

    async def send(self, to: str, subject: str, text: str, message_key: str) -> None:
        message = EmailMessage()
        message["From"] = self._config.sender
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain=self._config.sender.partition("@")[2] or None)
        # The delivery key lets a receiving system spot a duplicate after a crash mid-send.
        message["X-Concord-Delivery"] = message_key
        message.set_content(text)
        try:
            await asyncio.to_thread(self._send_blocking, message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise SendFailed("recipient refused", retryable=False) from exc
        except smtplib.SMTPResponseException as exc:
            raise SendFailed(f"SMTP {exc.smtp_code}", retryable=exc.smtp_code < 500) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise SendFailed(type(exc).__name__, retryable=True) from exc

    def _send_blocking(self, message: EmailMessage) -> None:
        c = self._config
        with smtplib.SMTP(c.host, c.port, timeout=c.timeout_s) as smtp:
            if c.starttls:
                smtp.starttls()
            if c.username:
                smtp.login(c.username, c.password)
            smtp.send_message(message)


@dataclass(frozen=True)
class SmsConfig:
    url: str
    username: str
    password: str
    sender: str


class SmsGateway:
    """An HTTP SMS gateway: POST JSON {to, text, sender, reference} with basic auth."""

    def __init__(self, config: SmsConfig, timeout_s: float) -> None:
        self._config = config
        self._client = httpx.AsyncClient(timeout=timeout_s)

    @property
    def configured(self) -> bool:
        return bool(self._config.url)

    async def send(self, to: str, text: str, reference: str) -> None:
        body = {"to": to, "text": text, "sender": self._config.sender, "reference": reference}
        try:
            response = await self._client.post(
                self._config.url,
                content=json.dumps(body, ensure_ascii=False).encode(),
                headers={"Content-Type": "application/json; charset=utf-8"},
                auth=(self._config.username, self._config.password),
            )
        except httpx.HTTPError as exc:
            raise SendFailed(type(exc).__name__, retryable=True) from exc
        _http_result(response)

    async def close(self) -> None:
        await self._client.aclose()
