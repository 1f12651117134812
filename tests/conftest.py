"""Session fixtures: the real broker and store, a private topic namespace, the services."""

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from concord_shared.provision import declared_topics, provision

from tests.support.access import grant_access, remove_namespace
from tests.support.sinks import Sinks, running_sinks
from tests.support.stack import ADMIN_AUTH, KAFKA, Services, ensure_stack, free_port


@pytest.fixture(scope="session")
def real_stack() -> None:
    ensure_stack()


@pytest_asyncio.fixture(scope="session")
async def namespace(real_stack: None) -> AsyncIterator[str]:
    """A topic namespace and database prefix of this session's own."""
    ns = f"t{uuid.uuid4().hex[:10]}"
    await provision(KAFKA, ns, declared_topics(), auth=ADMIN_AUTH)
    await grant_access(ns)
    yield ns
    await remove_namespace(ns)


@pytest.fixture(scope="session")
def sinks() -> Iterator[Sinks]:
    """Where notification's channels lead in tests: a real SMTP server and a recording SMS
    gateway, on loopback."""
    yield from running_sinks(free_port())


@pytest.fixture(scope="session")
def services(
    namespace: str, sinks: Sinks, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Services]:
    """The four services as separate processes on the real broker and store."""
    channels = {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(sinks.smtp_port),
        "SMS_GATEWAY_URL": f"{sinks.sms.url}/sms/send",
        "SMS_GATEWAY_USERNAME": sinks.sms_user,
        "SMS_GATEWAY_PASSWORD": sinks.sms_password,
    }
    running = Services(
        namespace,
        Path(tmp_path_factory.mktemp("service-logs")),
        extra_env={"notification": channels},
    )
    try:
        running.start_all()
        yield running
    finally:
        running.stop_all()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Show what the fault tests measured, whatever their outcome."""
    from tests.support.faults import REPORT
    from tests.support.security import SECURITY

    if lines := SECURITY.lines():
        terminalreporter.section("security")
        for line in lines:
            terminalreporter.write_line(line)
    if REPORT:
        terminalreporter.section("fault injection")
        for line in REPORT:
            terminalreporter.write_line(line)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `last` run after all others (they look at what the whole run did)."""
    items.sort(key=lambda item: item.get_closest_marker("last") is not None)
