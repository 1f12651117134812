"""Property-based fuzzing (schemathesis, on hypothesis) of every service's HTTP API, from
the OpenAPI document it serves: no generated request gets a server error."""

import asyncio
import subprocess

import pytest

from tests.support.stack import BIN, INTEGRATION_KEY, ROUTING_ADMIN_KEY, SERVICES, Services

pytestmark = pytest.mark.real

# The most powerful key each service knows, so the fuzzing reaches past authentication.
KEYS = {"intake": INTEGRATION_KEY, "routing": ROUTING_ADMIN_KEY}


@pytest.mark.parametrize("service", SERVICES)
async def test_no_server_error_for_generated_requests(services: Services, service: str) -> None:
    url = services[service].url
    result = await asyncio.to_thread(
        subprocess.run,
        [
            str(BIN / "schemathesis"), "run", f"{url}/openapi.json",
            "--checks", "not_a_server_error",
            "--max-examples", "25",
            "--header", f"X-API-Key: {KEYS.get(service, 'none')}",
            "--seed", "20261126",
            "--no-color",
        ],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
