"""The console as a process beside the session's four services, and signing in to it in a
browser page, for the console's end-to-end tests."""

import json
from pathlib import Path

from playwright.async_api import Page

from tests.support.stack import (
    CONSOLE_CITIZEN_KEY,
    CONSOLE_KEYS,
    CONSOLE_PASSWORD,
    ServiceProcess,
    Services,
    free_port,
)


def console_process(services: Services, log_dir: Path) -> ServiceProcess:
    prefix = "CONCORD_CONSOLE_"
    port = free_port()
    env = {
        f"{prefix}DEVELOPMENT": "true",
        f"{prefix}HTTP_PORT": str(port),
        f"{prefix}LOG_FORMAT": "json",
        f"{prefix}KEYS": json.dumps(CONSOLE_KEYS),
        f"{prefix}CITIZEN_FEEDBACK_KEY": CONSOLE_CITIZEN_KEY,
        **{
            f"{prefix}{name.upper()}_URL": f"http://127.0.0.1:{services.ports[name]}"
            for name in ("intake", "routing", "mediation", "notification")
        },
    }
    return ServiceProcess("console", env, log_dir / "console.log", port)


async def sign_in(page: Page, console_url: str, username: str) -> None:
    """Sign in through the sign-in page as a person does (every development user has the
    same password), and land on the user's home page."""
    await page.goto(f"{console_url}/signin")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(CONSOLE_PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_load_state("networkidle")
