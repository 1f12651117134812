"""The example subscriber in contracts/ runs against the real broker and sees its requests."""

import asyncio
import os
import sys
from pathlib import Path

import httpx
import pytest
from concord_shared.contracts import CONTRACTS
from concord_shared.kafka_access import department_principal

from tests.support.cases import neighbour_dispute
from tests.support.routing import ROUTING_READER
from tests.support.stack import AUTH, KAFKA, Services, kafka_client_options
from tests.support.wait import eventually

pytestmark = pytest.mark.real


async def test_the_example_department_subscriber_prints_its_coordination_requests(
    services: Services, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as http:
        case_id = (
            await http.post(f"{services['intake'].url}/cases", json=neighbour_dispute())
        ).json()["case_id"]

        async def routed() -> bool:
            r = await http.get(
                f"{services['routing'].url}/cases/{case_id}/routing", headers=ROUTING_READER
            )
            return r.status_code == 200

        await eventually(routed)

    async def run_once() -> str:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(CONTRACTS / "examples" / "subscriber.py"),
            "--department",
            "justice",
            "--bootstrap",
            KAFKA,
            "--namespace",
            services.namespace,
            "--state",
            str(tmp_path / "seen.sqlite3"),
            "--idle-exit",
            "3",
            env={
                **os.environ,
                "CONCORD_KAFKA_PASSWORD": kafka_client_options(department_principal("justice")).get(
                    "sasl_plain_password", ""
                ),
            },
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0, out.decode()
        return out.decode()

    first = await run_once()
    assert f"CoordinationRequested case={case_id} role=lead" in first
    # Run again with the same state and group: nothing is handled twice.
    second = await run_once()
    assert case_id not in second and "handled 0 event(s)" in second
