"""Home, sign-in and sign-out, and the language switch."""

import math
import time
from typing import Annotated
from urllib.parse import urlsplit

import structlog
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from concord_console.domain.texts import LANGUAGES
from concord_console.entrypoints.web import (
    HOME,
    LANGUAGE_COOKIE,
    Console,
    check_csrf,
    current_user,
    language_texts,
    redirect,
)

log = structlog.get_logger(__name__)

# Wrong passwords per username before sign-in pauses for that name: a password cannot be
# guessed by trying, from however many addresses.
WRONG_PASSWORDS = parse("10/15 minutes")


def _local(next_url: str | None) -> str | None:
    """Only a path on this site: a sign-in link must not send anyone elsewhere."""
    if not next_url:
        return None
    parts = urlsplit(next_url)
    if parts.scheme or parts.netloc or not next_url.startswith("/") or next_url.startswith("//"):
        return None
    return next_url


def signin_router(console: Console) -> APIRouter:
    router = APIRouter()
    limiter = MovingWindowRateLimiter(MemoryStorage())

    @router.get("/")
    async def home(request: Request) -> Response:
        user = current_user(request, console)
        if user is not None:
            return redirect(HOME[user.role])
        return console.render(request, "home.html")

    @router.get("/signin")
    async def signin_page(request: Request, next: str | None = None) -> Response:
        return console.render(request, "signin.html", next=_local(next))

    @router.post("/signin", dependencies=[Depends(check_csrf)])
    async def signin(
        request: Request,
        username: Annotated[str, Form(max_length=64)],
        password: Annotated[str, Form(max_length=256)],
        next: Annotated[str | None, Form()] = None,
    ) -> Response:
        texts = language_texts(request, console.registry)
        name = username.strip().lower()
        if not await limiter.test(WRONG_PASSWORDS, "user", name):
            stats = await limiter.get_window_stats(WRONG_PASSWORDS, "user", name)
            wait = max(1, math.ceil(stats.reset_time - time.time()))
            return console.render(
                request,
                "signin.html",
                429,
                error=texts("citizen.too_many", seconds=wait),
                username=name,
                next=_local(next),
            )
        user = console.directory.authenticate(name, password)
        if user is None:
            await limiter.hit(WRONG_PASSWORDS, "user", name)
            log.warning("sign-in refused", username=name)
            return console.render(
                request,
                "signin.html",
                401,
                error=texts("signin.failed"),
                username=name,
                next=_local(next),
            )
        # A new session at sign-in: nothing of a session before it carries over.
        request.session.clear()
        request.session["user"] = user.username
        log.info("signed in", username=user.username, role=user.role.value, scope=user.scope)
        return redirect(_local(next) or HOME[user.role])

    @router.post("/signout", dependencies=[Depends(check_csrf)])
    async def signout(request: Request) -> Response:
        request.session.clear()
        return redirect("/")

    @router.get("/language/{language}")
    async def language(language: str, request: Request, next: str | None = None) -> Response:
        response = redirect(_local(next) or "/")
        if language in LANGUAGES:
            response.set_cookie(
                LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="lax", httponly=True
            )
        return response

    return router
