"""Pages in a real browser, as a person sees them: Debian's Chromium driven by Playwright.

Every page works offline: a request to anything but this machine (loopback) is aborted and
recorded, so a test can assert that none was tried. `check_accessibility` runs axe-core in the
page; `screenshot` keeps what the page looked like under build/console/.

Chromium and axe-core are installed by `make setup` (deploy/local/fetch-browser.sh).
Fixtures: `browser` (one Chromium for the session) and `offline_page` (a fresh context and
page for one test); a test module imports them by name from here.
"""

import ipaddress
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest_asyncio
from playwright.async_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Route,
    ViewportSize,
    async_playwright,
)

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps trying Google's hosts, which this
# closed network refuses; as root it needs --no-sandbox.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "build" / "console"
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
SETUP_HINT = "run `make setup` (deploy/local/fetch-browser.sh installs it)"
# What a test fails on: axe's two worst impacts.
BLOCKING_IMPACTS = ("serious", "critical")
LOOPBACK_NAMES = {"localhost"}


def cache_root() -> Path:
    """The cache the deploy/local scripts fill (deploy/local/env.sh: CONCORD_CACHE)."""
    return Path(os.environ.get("CONCORD_CACHE") or Path.home() / ".cache" / "concord")


def axe_script() -> Path:
    return cache_root() / "browser-tools" / "node_modules" / "axe-core" / "axe.min.js"


def is_loopback(url: str) -> bool:
    """Whether the URL points at this machine (or has no host, as data: and blob: have)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss"):
        return True
    host = (parts.hostname or "").lower()
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class OfflinePage:
    """A page whose requests off this machine are aborted. `requests` has every URL the page
    asked for, `blocked` those it was refused, `errors` its uncaught script errors."""

    context: BrowserContext
    page: Page
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    async def close(self) -> None:
        await self.context.close()


def installed(path: Path, what: str) -> Path:
    if not path.is_file():
        raise RuntimeError(f"{what} is missing ({path}): {SETUP_HINT}")
    return path


async def launch_chromium(playwright: Playwright) -> Browser:
    chromium = installed(CHROMIUM, "Chromium")
    return await playwright.chromium.launch(
        executable_path=chromium, headless=True, args=CHROMIUM_ARGS
    )


async def new_offline_page(
    browser: Browser,
    locale: str = "zh-CN",
    viewport: ViewportSize | None = None,
    **context_options: Any,
) -> OfflinePage:
    """A new context and page (zh-CN, 1280x900 unless told) that reach loopback only."""
    context = await browser.new_context(
        locale=locale, viewport=viewport or VIEWPORT, **context_options
    )
    page = await context.new_page()
    offline = OfflinePage(context, page)

    async def only_loopback(route: Route) -> None:
        url = route.request.url
        if is_loopback(url):
            await route.continue_()
        else:
            offline.blocked.append(url)
            await route.abort("blockedbyclient")

    await context.route("**/*", only_loopback)
    page.on("request", lambda request: offline.requests.append(request.url))
    page.on("pageerror", lambda error: offline.errors.append(str(error)))
    return offline


async def check_accessibility(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now: each with its
    rule `id`, `impact`, `help`, `help_url` and `nodes` (each node's CSS `target` and `html`).
    Empty when the page passes; `format_violations` makes them readable in a failure."""
    script = installed(axe_script(), "axe-core")
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.add_script_tag(path=script)
    results = await page.evaluate(
        "async () => await window.axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "help_url": violation.get("helpUrl", ""),
            "nodes": [
                {"target": node["target"], "html": node.get("html", "")[:200]}
                for node in violation["nodes"]
            ],
        }
        for violation in results["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['impact']}: {v['id']}: {v['help']} ({v['help_url']})")
        lines.extend(f"    {node['target']}  {node['html']}" for node in v["nodes"])
    return "\n".join(lines)


async def screenshot(page: Page, name: str) -> Path:
    """The whole page as build/console/<name>.png (under the repository root)."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise ValueError(f"screenshot name {name!r}: letters, digits, '.', '_' and '-' only")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=path, full_page=True)
    return path


@pytest_asyncio.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One headless Debian Chromium for the whole session."""
    async with async_playwright() as playwright:
        chromium = await launch_chromium(playwright)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest_asyncio.fixture
async def offline_page(browser: Browser) -> AsyncIterator[OfflinePage]:
    """A fresh context and page for one test (zh-CN, 1280x900, loopback only)."""
    offline = await new_offline_page(browser)
    try:
        yield offline
    finally:
        await offline.close()
