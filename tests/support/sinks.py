"""Real local servers that stand in for the world notification talks to: an SMTP server
(aiosmtpd) and HTTP servers that record what they receive (an SMS gateway, a department's
webhook endpoint). Each runs in its own thread, on loopback, on a free port."""

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

_LOCK = threading.Lock()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpRecorder:
    """Answers each request with the next status of `statuses` (the last one repeats); with
    `hold`, only once it is set (an endpoint that hangs until then, 30 s at most)."""

    statuses: list[int] = field(default_factory=lambda: [200])
    requests: list[Received] = field(default_factory=list)
    hold: threading.Event | None = None
    _server: ThreadingHTTPServer | None = None

    def start(self) -> "HttpRecorder":
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with _LOCK:
                    index = len(recorder.requests)
                    recorder.requests.append(Received(self.path, dict(self.headers), body))
                status = recorder.statuses[min(index, len(recorder.statuses) - 1)]
                if recorder.hold is not None:
                    recorder.hold.wait(30)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


class _Collect:
    def __init__(self, messages: list[tuple[list[str], EmailMessage]]) -> None:
        self.messages = messages

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


@dataclass
class SmtpSink:
    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    _controller: Controller | None = None

    def start(self, port: int) -> "SmtpSink":
        self._controller = Controller(_Collect(self.messages), hostname="127.0.0.1", port=port)
        self._controller.start()
        return self

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpts, m in self.messages if address in rcpts]

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()


@dataclass
class Sinks:
    smtp: SmtpSink
    sms: HttpRecorder
    smtp_port: int
    sms_user: str = "concord-test"
    sms_password: str = "sms-gateway-secret"

    def sms_to(self, phone: str) -> list[Received]:
        import json

        return [r for r in self.sms.requests if json.loads(r.body).get("to") == phone]


def running_sinks(smtp_port: int) -> Iterator[Sinks]:
    sinks = Sinks(SmtpSink().start(smtp_port), HttpRecorder().start(), smtp_port)
    try:
        yield sinks
    finally:
        sinks.smtp.stop()
        sinks.sms.stop()
