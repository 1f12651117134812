"""Every service's API docs (/docs, /redoc) render in a browser that cannot leave this machine:
Swagger UI and ReDoc come from the service itself, not a CDN."""

from typing import Any

import httpx
import pytest
from concord_shared.http_docs import ASSET_FILES, ASSETS_URL, assets_dir, install_local_docs
from fastapi import FastAPI
from playwright.async_api import expect

from tests.support.browser import (
    OfflinePage,
    browser,
    check_accessibility,
    offline_page,
    screenshot,
)
from tests.support.stack import SERVICES, Services

__all__ = ["browser", "offline_page"]

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
RENDER_TIMEOUT_MS = 30_000


def test_docs_assets_are_in_the_installed_package() -> None:
    folder = assets_dir()
    for name in ASSET_FILES:
        assert (folder / name).is_file(), f"{name} missing from {folder}"
        assert (folder / name).stat().st_size > 1000, f"{name} is empty"
    assert b"SwaggerUIBundle" in (folder / "swagger-ui-bundle.js").read_bytes()


async def test_docs_pages_point_at_the_service_itself() -> None:
    app = FastAPI(title="Docs example", docs_url=None, redoc_url=None)
    install_local_docs(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for page in ("/docs", "/redoc"):
            response = await client.get(page)
            html = response.text
            assert "default-src 'self'" in response.headers["content-security-policy"], page
            assert f'src="{ASSETS_URL}/' in html, page
            assert "cdn." not in html and "fonts.googleapis" not in html, page
            assert '<html lang="en">' in html, page
        css = await client.get(f"{ASSETS_URL}/swagger-ui.css")
        assert css.status_code == 200 and "text/css" in css.headers["content-type"]


def test_an_app_with_cdn_docs_is_refused() -> None:
    with pytest.raises(ValueError, match="docs_url=None"):
        install_local_docs(FastAPI())


def rendered_operations(schema: dict[str, Any]) -> int:
    """How many operation blocks Swagger UI shows: one per operation and tag."""
    return sum(
        max(1, len(operation.get("tags", [])))
        for path in schema["paths"].values()
        for method, operation in path.items()
        if method in HTTP_METHODS
    )


@pytest.mark.real
@pytest.mark.parametrize("service", SERVICES)
async def test_swagger_ui_renders_offline(
    services: Services, offline_page: OfflinePage, service: str
) -> None:
    base = services.processes[service].url
    page = offline_page.page
    async with httpx.AsyncClient() as client:
        schema = (await client.get(f"{base}/openapi.json")).json()

    await page.goto(f"{base}/docs")
    title = page.locator(".information-container .title")
    await expect(title).to_contain_text(f"Concord {service}", timeout=RENDER_TIMEOUT_MS)
    await expect(page.locator(".opblock").first).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    await expect(page.locator(".opblock")).to_have_count(rendered_operations(schema))
    await screenshot(page, f"docs-{service}")

    assert offline_page.blocked == [], "the docs asked for something off this machine"
    assert any(f"{ASSETS_URL}/swagger-ui-bundle.js" in url for url in offline_page.requests)
    assert offline_page.errors == []


@pytest.mark.real
@pytest.mark.parametrize("service", SERVICES)
async def test_redoc_renders_offline(
    services: Services, offline_page: OfflinePage, service: str
) -> None:
    base = services.processes[service].url
    page = offline_page.page

    await page.goto(f"{base}/redoc")
    heading = page.locator(".api-info h1")
    await expect(heading).to_contain_text(f"Concord {service}", timeout=RENDER_TIMEOUT_MS)
    await screenshot(page, f"redoc-{service}")

    assert offline_page.blocked == [], "the docs asked for something off this machine"
    assert offline_page.errors == []


async def test_accessibility_check_finds_what_a_screen_reader_misses(
    offline_page: OfflinePage,
) -> None:
    """The check itself can fail: an image without text and a nameless button are caught,
    the same page done right passes."""
    page = offline_page.page
    await page.set_content(
        '<html lang="zh-CN"><head><title>案件</title></head><body><main><h1>案件</h1>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><button></button></main></body>'
        "</html>"
    )
    found = {v["id"]: v for v in await check_accessibility(page)}
    assert {"image-alt", "button-name"} <= found.keys()
    assert found["image-alt"]["nodes"][0]["target"] == ["img"]

    await page.set_content(
        '<html lang="zh-CN"><head><title>案件</title></head><body><main><h1>案件</h1>'
        '<img alt="地图" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        "<button>提交</button></main></body></html>"
    )
    assert await check_accessibility(page) == []
