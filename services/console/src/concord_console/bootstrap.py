"""The console process wired: settings, registry, user directory, the services' clients,
the pages of each role, sessions, guards and static files."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from concord_shared.http_guards import install_http_guards
from concord_shared.logging import configure_logging
from concord_shared.registry import load_registry
from concord_shared.registry_source import RegistrySource
from concord_shared.startup_secrets import DevelopmentSecret, refuse_development_secrets
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from concord_console.adapters.services import Backends, ServiceError
from concord_console.domain.users import PasswordDirectory
from concord_console.entrypoints.pages.citizen import citizen_router
from concord_console.entrypoints.pages.department import department_router
from concord_console.entrypoints.pages.leader import leader_router
from concord_console.entrypoints.pages.mediator import mediator_router
from concord_console.entrypoints.pages.reception import reception_router
from concord_console.entrypoints.pages.signin import signin_router
from concord_console.entrypoints.web import (
    STATIC,
    Console,
    SignInRequired,
    error_page,
    make_templates,
)
from concord_console.settings import DEFAULT_USERS, DEVELOPMENT_SESSION_SECRET, ConsoleSettings

log = structlog.get_logger(__name__)
SERVICE = "console"


def refuse_development_setup(settings: ConsoleSettings) -> None:
    """Outside development: no public session secret, no sample users (their passwords are
    in the README), no development keys."""
    if settings.development:
        return
    problems = []
    if settings.session_secret == DEVELOPMENT_SESSION_SECRET or len(settings.session_secret) < 32:
        problems.append("CONCORD_CONSOLE_SESSION_SECRET is the development one or short")
    if settings.users_path.resolve() == DEFAULT_USERS.resolve():
        problems.append("CONCORD_CONSOLE_USERS_PATH is the sample list with known passwords")
    if problems:
        raise DevelopmentSecret(problems)
    refuse_development_secrets(
        settings,
        api_keys={
            "keys": [k for keys in settings.keys.values() for k in keys.model_dump().values()],
            "citizen_feedback_key": settings.citizen_feedback_key,
        },
    )


def build_app(settings: ConsoleSettings) -> FastAPI:
    refuse_development_setup(settings)
    # Names of platforms, categories and departments: routing's registry in force.
    registry = RegistrySource(
        load_registry(settings.registry_path), settings.routing_url, settings.registry_refresh_s
    )
    directory = PasswordDirectory.load(settings.users_path)
    missing = sorted({u.scope for u in directory.users} - set(settings.keys))
    backends = Backends.connect(
        {
            "intake": settings.intake_url,
            "routing": settings.routing_url,
            "mediation": settings.mediation_url,
            "notification": settings.notification_url,
        },
        settings.request_timeout_s,
    )
    console = Console(settings, registry, directory, backends, make_templates())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        configure_logging(SERVICE, settings.log_level, settings.log_format)
        if missing:
            # Such users can sign in but every page of theirs answers "not permitted".
            log.warning("users without service keys", scopes=missing)
        log.info("service started", port=settings.http_port, users=len(directory.users))
        registry.start()
        try:
            yield
        finally:
            await registry.stop()
            await backends.close()
            log.info("service stopped")

    app = FastAPI(
        title="Concord console",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # pages, not an API
    )
    install_http_guards(app)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret,
        session_cookie="concord_session",
        max_age=settings.session_max_age_s,
        same_site="lax",
        https_only=settings.https_only,
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": SERVICE}

    @app.get("/ready", include_in_schema=False)
    async def ready() -> JSONResponse:
        """Ready when every service it works through answers."""
        checks: dict[str, bool] = {c.service: await c.ready() for c in backends.all()}
        ok = all(checks.values())
        body = {"status": "ready" if ok else "not_ready", "service": SERVICE, **checks}
        return JSONResponse(body, status_code=200 if ok else 503)

    for router in (
        signin_router(console),
        citizen_router(console),
        reception_router(console),
        mediator_router(console),
        department_router(console),
        leader_router(console),
    ):
        app.include_router(router)

    async def as_page(request: Request, exc: Exception) -> Response:
        return error_page(request, console, exc)

    for error in (SignInRequired, ServiceError, HTTPException):
        app.add_exception_handler(error, as_page)
    return app
