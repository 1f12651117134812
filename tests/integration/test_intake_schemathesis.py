"""schemathesis against intake's served OpenAPI document finds no server error."""

import asyncio
import subprocess

import pytest

from tests.support.stack import BIN, INTEGRATION_KEY, Services

pytestmark = pytest.mark.real


async def test_no_server_error_for_generated_requests(services: Services) -> None:
    url = services["intake"].url
    result = await asyncio.to_thread(
        subprocess.run,
        [
            str(BIN / "schemathesis"), "run", f"{url}/openapi.json",
            "--checks", "not_a_server_error",
            "--max-examples", "25",
            "--header", f"X-API-Key: {INTEGRATION_KEY}",
            "--seed", "20261126",
            "--no-color",
        ],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
