"""The channels, each a real protocol: webhooks (signed HTTP POST), e-mail (SMTP) and SMS
(an HTTP gateway). Each raises SendFailed, saying whether trying again could help."""

import asyncio
import ipaddress
import json
import smtplib
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import anyio
import httpcore
import httpx

from concord_notification.domain.signing import signed_headers
from concord_notification.domain.webhook_targets import refusal_of_address, refusal_of_url


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


class TargetRefused(Exception):
    """A webhook's host resolved to an address it may not reach; nothing was connected."""


class PublicAddressesOnly(httpcore.AsyncNetworkBackend):
    """Opens a connection only to public addresses: resolves the host itself, refuses if ANY
    address it resolves to is not public (a name that answers with one public and one private
    address could be steered to the second), then connects to one of the addresses it checked.
    Checking and connecting with the same answer is what defeats DNS rebinding: a check before
    the request would resolve once, and the connection again, perhaps to 127.0.0.1.

    TLS is unaffected: httpcore starts it on the stream returned here with the URL's host name
    for SNI and certificate verification, and the Host header is the URL's too."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 -- httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._resolve(host, port, timeout)
        for address in addresses:
            if reason := refusal_of_address(ipaddress.ip_address(address)):
                raise TargetRefused(f"{host} resolves to a {reason}")
        failure: Exception = httpcore.ConnectError(f"{host} resolves to no address")
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc  # the next address may answer (IPv6 and IPv4, several hosts)
        raise failure

    @staticmethod
    async def _resolve(host: str, port: int, limit_s: float | None) -> list[str]:
        try:
            with anyio.fail_after(limit_s):
                infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        except OSError as exc:  # no such name, or the resolver is down: may pass
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        return list(dict.fromkeys(str(info[4][0]) for info in infos))

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 -- httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise TargetRefused("a webhook does not go to a local socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _PublicOnlyTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport on a connection pool whose network backend is
    PublicAddressesOnly (httpx takes no network backend itself, so the pool is built here,
    with httpx's default TLS context and limits)."""

    def __init__(self) -> None:
        super().__init__(trust_env=False)
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=PublicAddressesOnly(),
        )


class Webhooks:
    """Signed POSTs to departments' endpoints. With `public_only` (everywhere but
    development) an endpoint must be https and every address it resolves to public, checked
    when the connection opens; a refused target fails the delivery at once, without a retry."""

    def __init__(self, timeout_s: float, *, public_only: bool = True) -> None:
        self._public_only = public_only
        # No environment proxies (they would connect for us, past the address check), and no
        # redirects: a 3xx could point anywhere, and the receiver is told to answer 2xx.
        self._client = httpx.AsyncClient(
            timeout=timeout_s,
            follow_redirects=False,
            trust_env=False,
            transport=_PublicOnlyTransport() if public_only else None,
        )

    async def post(self, url: str, secret: str, body: str, event_id: str, event_type: str) -> None:
        # Registration checked the URL already; a subscription stored before that rule (or
        # under development settings) is checked here again.
        if reason := refusal_of_url(url, development=not self._public_only):
            raise SendFailed(f"endpoint refused: URL {reason}", retryable=False)
        raw = body.encode()
        headers = signed_headers(secret, int(time.time()), raw, event_id, event_type)
        try:
            response = await self._client.post(url, content=raw, headers=headers)
        except TargetRefused as exc:
            raise SendFailed(f"endpoint refused: {exc}", retryable=False) from exc
        except httpx.HTTPError as exc:
            raise SendFailed(type(exc).__name__, retryable=True) from exc
        if response.is_redirect:
            raise SendFailed(
                f"HTTP {response.status_code}: redirects are not followed", retryable=False
            )
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
