"""API documentation pages that work without the internet.

FastAPI's own /docs and /redoc load Swagger UI and ReDoc from a CDN, so on an intranet they
render blank. Each service serves the same files itself instead, from the fastapi-offline
package (a PyPI package, so the Docker images carry them too), under /docs-assets/.
"""

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

ASSETS_URL = "/docs-assets"
SWAGGER_JS = "swagger-ui-bundle.js"
SWAGGER_CSS = "swagger-ui.css"
REDOC_JS = "redoc.standalone.js"
FAVICON = "favicon.png"
ASSET_FILES = (SWAGGER_JS, SWAGGER_CSS, REDOC_JS, FAVICON)
# Never ask a public validator about the API (Swagger UI's default would).
SWAGGER_UI_PARAMETERS = {"validatorUrl": None}


def assets_dir() -> Path:
    """Where the installed package keeps Swagger UI's and ReDoc's files."""
    return Path(str(files("fastapi_offline") / "static"))


# The pages load nothing from elsewhere, not even what the bundles would (ReDoc's footer logo
# comes from its vendor's CDN): the browser refuses it instead of trying the network.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; frame-ancestors 'self'"
)


def _offline(page: HTMLResponse) -> HTMLResponse:
    """FastAPI's page, with a language (screen readers otherwise guess how to read it) and
    a policy keeping the browser on this server."""
    body = bytes(page.body).replace(b"<html>", b'<html lang="en">', 1)
    return HTMLResponse(body, headers={"Content-Security-Policy": DOCS_CSP})


def install_local_docs(
    app: FastAPI, docs_url: str | None = "/docs", redoc_url: str | None = "/redoc"
) -> None:
    """Serve Swagger UI at `docs_url` and ReDoc at `redoc_url` from the service's own files.
    The app must be created with ``docs_url=None, redoc_url=None`` (FastAPI's CDN pages)."""
    if app.docs_url is not None or app.redoc_url is not None:
        raise ValueError("create the app with docs_url=None and redoc_url=None")
    openapi_url = app.openapi_url
    if openapi_url is None:  # no schema, nothing to show
        return
    app.mount(ASSETS_URL, StaticFiles(directory=assets_dir()), name="docs-assets")
    oauth2_redirect_url = app.swagger_ui_oauth2_redirect_url

    if docs_url is not None:

        @app.get(docs_url, include_in_schema=False)
        async def swagger_ui(request: Request) -> HTMLResponse:
            root = request.scope.get("root_path", "")
            return _offline(
                get_swagger_ui_html(
                    openapi_url=f"{root}{openapi_url}",
                    title=f"{app.title} – API",
                    swagger_js_url=f"{root}{ASSETS_URL}/{SWAGGER_JS}",
                    swagger_css_url=f"{root}{ASSETS_URL}/{SWAGGER_CSS}",
                    swagger_favicon_url=f"{root}{ASSETS_URL}/{FAVICON}",
                    oauth2_redirect_url=(
                        f"{root}{oauth2_redirect_url}" if oauth2_redirect_url else None
                    ),
                    init_oauth=app.swagger_ui_init_oauth,
                    swagger_ui_parameters={
                        **SWAGGER_UI_PARAMETERS,
                        **(app.swagger_ui_parameters or {}),
                    },
                )
            )

        if oauth2_redirect_url:

            @app.get(oauth2_redirect_url, include_in_schema=False)
            async def swagger_ui_oauth2_redirect() -> HTMLResponse:
                return get_swagger_ui_oauth2_redirect_html()

    if redoc_url is not None:

        @app.get(redoc_url, include_in_schema=False)
        async def redoc(request: Request) -> HTMLResponse:
            root = request.scope.get("root_path", "")
            return _offline(
                get_redoc_html(
                    openapi_url=f"{root}{openapi_url}",
                    title=f"{app.title} – API",
                    redoc_js_url=f"{root}{ASSETS_URL}/{REDOC_JS}",
                    redoc_favicon_url=f"{root}{ASSETS_URL}/{FAVICON}",
                    with_google_fonts=False,
                )
            )
