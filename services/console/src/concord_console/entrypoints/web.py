"""What every page is made of: the signed-in user, the language, the CSRF token, the keys of
the user's scope, and rendering a template with all of it.

Sessions are signed cookies (Starlette's SessionMiddleware): the console keeps no store. A
session holds the username only; the user is looked up in the directory at every request,
so a removed user is out at once. Every form post carries the session's CSRF token (a
hidden field, or htmx's header), and the cookie is SameSite=Lax and HttpOnly.
"""

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from concord_shared.registry import Registry
from concord_shared.registry_source import RegistrySource
from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from concord_console.adapters.services import Backends, Service, ServiceError
from concord_console.domain.deadlines import urgency
from concord_console.domain.texts import Language, Texts, choose_language
from concord_console.domain.users import Directory, Role, User
from concord_console.settings import ConsoleSettings

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
STATIC = Path(__file__).resolve().parents[1] / "static"
LANGUAGE_COOKIE = "concord_lang"
HOME = {
    Role.RECEPTION: "/reception",
    Role.MEDIATOR: "/mediator",
    Role.DEPARTMENT: "/department",
    Role.LEADER: "/leader",
}


class SignInRequired(Exception):
    """A staff page without a session: the sign-in page, then back."""


@dataclass
class Console:
    """The console's parts, given to every page module."""

    settings: ConsoleSettings
    registry_source: RegistrySource  # routing's registry in force, kept fresh
    directory: Directory
    backends: Backends
    templates: Jinja2Templates

    @property
    def registry(self) -> Registry:
        return self.registry_source.current

    def key(self, user: User, service: Service) -> str | None:
        keys = self.settings.keys.get(user.scope)
        return getattr(keys, service) if keys else None

    def now(self) -> datetime:
        return datetime.now(UTC)

    def render(
        self, request: Request, template: str, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        texts = language_texts(request, self.registry)
        return self.templates.TemplateResponse(
            request,
            template,
            {
                "t": texts,
                "lang": texts.language,
                "user": current_user(request, self),
                "csrf": csrf_token(request),
                "urgency": lambda due: urgency(due, self.now()),
                "home": HOME,
                **context,
            },
            status_code=status_code,
        )


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.trim_blocks = True
    templates.env.lstrip_blocks = True
    return templates


def language_texts(request: Request, registry: Registry) -> Texts:
    language: Language = choose_language(
        request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE),
        request.headers.get("accept-language"),
    )
    return Texts(language, registry)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return str(token)


async def check_csrf(request: Request) -> None:
    """Every state-changing request proves it comes from the console's own page."""
    expected = request.session.get("csrf")
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf")
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not secrets.compare_digest(str(expected), sent):
        raise HTTPException(403, "csrf")


def current_user(request: Request, console: Console) -> User | None:
    username = request.session.get("user")
    return console.directory.find(username) if isinstance(username, str) else None


def signed_in(console: Console, role: Role) -> Callable[[Request], Awaitable[User]]:
    """A dependency: the signed-in user of this role (403 for another role)."""

    async def dependency(request: Request) -> User:
        user = current_user(request, console)
        if user is None:
            raise SignInRequired()
        if user.role is not role:
            raise HTTPException(403, "forbidden")
        return user

    return dependency


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def error_page(request: Request, console: Console, exc: Exception) -> Response:
    """Errors as pages in the user's language: the service that failed, the field, the
    reason; never a traceback."""
    texts = language_texts(request, console.registry)
    if isinstance(exc, SignInRequired):
        return redirect(f"/signin?next={request.url.path}")
    if isinstance(exc, ServiceError):
        if exc.status == 0 or exc.status >= 500:
            message, status = texts("error.service", service=exc.service), 503
        elif exc.status == 403:
            message, status = texts("error.forbidden"), 403
        elif exc.status == 404:
            message, status = texts("error.not_found"), 404
        else:
            message, status = texts("error.refused", reason=exc.reason or exc.status), 409
        return console.render(request, "error.html", status, message=message)
    if isinstance(exc, HTTPException):
        if exc.detail == "csrf":
            message = texts("signin.expired")
        elif exc.status_code == 403:
            message = texts("error.forbidden")
        else:
            message = texts("error.not_found")
        return console.render(request, "error.html", exc.status_code, message=message)
    raise exc
