"""The console's end-to-end tests: the console process on the session's real services, and
Debian's Chromium (fixtures `browser` and `offline_page` from tests.support.browser)."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.browser import browser, offline_page  # noqa: F401  (fixtures)
from tests.support.console import console_process
from tests.support.stack import ServiceProcess, Services


@pytest.fixture(scope="session")
def console(services: Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The console's base URL."""
    process: ServiceProcess = console_process(
        services, Path(tmp_path_factory.mktemp("console-logs"))
    )
    process.start()
    try:
        process.wait_ready()
        yield process.url
    finally:
        process.stop()
