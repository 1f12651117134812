"""What every service's HTTP API refuses before its own code runs, and how it says so.

- A request body over the limit is refused with 413: at once when its Content-Length says
  so, and while it streams in when it comes in chunks without one -- never read whole first.
- A 422 names each wrong field but does not echo large inputs back: FastAPI's default puts
  the whole offending value in ``input`` (a 1 MB description came back whole).
"""

import math
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from concord_shared.error_words import BY_STATUS, in_chinese, with_chinese

MAX_BODY_BYTES = 1024 * 1024
# Before answering 413, so much of the rest is read and thrown away: a server that closes
# with a body still coming makes the client see a reset, not the 413. Beyond it: closed.
DISCARD_BYTES = 8 * 1024 * 1024
# An input this short (as JSON) is echoed in a 422: it helps and costs nothing.
MAX_ECHOED_INPUT = 100


def too_large(max_bytes: int) -> HTTPException:
    return HTTPException(413, f"request body larger than {max_bytes} bytes")


async def discard_rest(receive: Receive, message: Message | None = None) -> None:
    """Read the rest of a refused body (up to DISCARD_BYTES), keeping none of it."""
    discarded = 0
    while message is None or (message["type"] == "http.request" and message.get("more_body")):
        if discarded > DISCARD_BYTES:
            return
        message = await receive()
        discarded += len(message.get("body", b""))


class BodySizeLimit:
    """ASGI middleware: 413 for a body over `max_bytes`, counted as it arrives."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            if declared.isdigit() and int(declared) <= DISCARD_BYTES:
                await discard_rest(receive)
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    await discard_rest(receive, message)
                    # FastAPI turns this into the 413 response wherever the body is read.
                    raise too_large(self.max_bytes)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except HTTPException as exc:
            # Read outside a route's exception handling (middleware, a raw ASGI app).
            if exc.status_code != 413 or started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = str(too_large(self.max_bytes).detail)
        response = JSONResponse(
            {"detail": detail, "message_zh": in_chinese(detail, 413)}, status_code=413
        )
        await response(scope, receive, send)


def _short(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)  # NaN and Infinity are not JSON: the answer would fail
    if value is None or isinstance(value, bool | int):
        return True
    if not isinstance(value, str) or len(value) > MAX_ECHOED_INPUT:
        return False
    try:
        value.encode()
    except UnicodeEncodeError:  # a lone surrogate cannot be written back in UTF-8
        return False
    return True


def trimmed_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """The errors with long or nested inputs left out (and the context too, which may
    repeat them); the field's location and the message stay."""
    out = []
    for error in errors:
        error = dict(error)
        if "input" in error and not _short(error["input"]):
            error.pop("input")
            error.pop("ctx", None)
        out.append(error)
    return out


async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = with_chinese(trimmed_errors(exc.errors()))
    fields = "、".join(".".join(str(p) for p in e.get("loc", ())[1:]) for e in errors)
    return JSONResponse(
        status_code=422,
        content={
            "detail": jsonable_encoder(errors),
            "message_zh": f"{BY_STATUS[422]}：{fields}" if fields else BY_STATUS[422],
        },
    )


async def http_error(_request: Request, exc: Exception) -> Response:
    """FastAPI's answer to an HTTPException, with the Chinese beside the English."""
    assert isinstance(exc, HTTPException)
    if exc.status_code < 400:  # 204, 304: no body to add words to
        return Response(status_code=exc.status_code, headers=exc.headers)
    # A detail that is no message (a list, say) gets the words of its status.
    message = exc.detail if isinstance(exc.detail, str) else ""
    content = {"detail": exc.detail, "message_zh": in_chinese(message, exc.status_code)}
    return JSONResponse(content, status_code=exc.status_code, headers=exc.headers)


def install_http_guards(app: FastAPI, max_body_bytes: int = MAX_BODY_BYTES) -> None:
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
