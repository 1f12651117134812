"""Nothing accepted is lost or done twice: a stream of cases with a crash, an outage or a
rebalance in the middle, on the real broker and store. Each scenario prints

    faults: scenario=<name> submitted=N completed=N duplicates=0 lost=0

and the lines are repeated at the end of the run (tests/conftest.py)."""

import asyncio
import signal
import subprocess
from functools import partial

import pytest

from tests.support.faults import reckon, stream
from tests.support.kafka import group_members
from tests.support.stack import SERVICES, STACK_SH, ServiceProcess, Services
from tests.support.wait import eventually

pytestmark = pytest.mark.real


async def _restart(process: ServiceProcess, down_s: float = 1.0) -> None:
    await asyncio.to_thread(process.kill, signal.SIGKILL)
    await asyncio.sleep(down_s)
    process.start()
    await asyncio.to_thread(process.wait_ready, 120)


async def _stack(*commands: str, down_s: float = 2.0) -> None:
    stop, start = commands
    await asyncio.to_thread(subprocess.run, [str(STACK_SH), stop], check=True)
    await asyncio.sleep(down_s)
    await asyncio.to_thread(subprocess.run, [str(STACK_SH), start], check=True, timeout=300)


def _managed_by_stack(part: str) -> bool:
    status = subprocess.run([str(STACK_SH), "status"], capture_output=True, text=True).stdout
    return f"{part}" in status and "running" in status.split(part, 1)[1].split("\n", 1)[0]


async def _check(services: Services, scenario: str, accepted: dict[str, str]) -> None:
    result = await reckon(
        scenario,
        services.namespace,
        accepted,
        services["routing"].url,
        services["notification"].url,
    )
    assert result.problems == [], result.line()
    assert (result.completed, result.duplicates, result.lost) == (len(accepted), 0, 0)


@pytest.mark.parametrize("victim", SERVICES)
async def test_a_service_killed_mid_stream_loses_and_repeats_nothing(
    services: Services, victim: str
) -> None:
    scenario = f"kill-{victim}"
    accepted = await stream(
        scenario, lambda: [services["intake"].url], lambda: _restart(services[victim])
    )
    await _check(services, scenario, accepted)


async def test_a_broker_restart_mid_stream_loses_and_repeats_nothing(services: Services) -> None:
    if not _managed_by_stack("kafka"):
        pytest.skip("the broker was not started by deploy/local/stack.sh; cannot restart it")
    accepted = await stream(
        "restart-broker",
        lambda: [services["intake"].url],
        lambda: _stack("stop-kafka", "start-kafka"),
    )
    await _check(services, "restart-broker", accepted)


async def test_a_store_restart_mid_stream_loses_and_repeats_nothing(services: Services) -> None:
    if not _managed_by_stack("ferretdb"):
        pytest.skip("the store was not started by deploy/local/stack.sh; cannot restart it")
    accepted = await stream(
        "restart-store",
        lambda: [services["intake"].url],
        lambda: _stack("stop-store", "start-store"),
    )
    await _check(services, "restart-store", accepted)


async def test_two_instances_each_one_killed_mid_stream(services: Services) -> None:
    alone = {
        name: await eventually(partial(group_members, f"{services.namespace}.{name}"))
        for name in SERVICES
    }
    seconds: dict[str, ServiceProcess] = {}
    for name in SERVICES:
        # Each twin notification asks the twin intake for contacts, as it would ask the
        # intake service's address behind a load balancer.
        settings = {"INTAKE_URL": seconds["intake"].url} if name == "notification" else {}
        seconds[name] = services.start_instance(name, "twin", settings)
    originals = {name: services[name] for name in SERVICES}
    intakes = [originals["intake"].url, seconds["intake"].url]
    try:
        for name in SERVICES:
            group = f"{services.namespace}.{name}"

            async def stable(group: str = group, members: int = 2 * alone[name]) -> bool:
                return await group_members(group) == members

            await eventually(stable, within=90)

        async def kill_one_of_each() -> None:
            for process in originals.values():
                await asyncio.to_thread(process.kill, signal.SIGKILL)

        alive = [seconds["intake"].url]
        accepted = await stream(
            "two-instances-kill-one",
            lambda: alive if not originals["intake"].running else intakes,
            kill_one_of_each,
        )
        result = await reckon(
            "two-instances-kill-one",
            services.namespace,
            accepted,
            seconds["routing"].url,
            seconds["notification"].url,
        )
        assert result.problems == [], result.line()
        assert (result.completed, result.duplicates, result.lost) == (len(accepted), 0, 0)
    finally:
        for process in originals.values():
            if not process.running:
                process.start()
        for process in originals.values():
            await asyncio.to_thread(process.wait_ready, 120)
        for process in seconds.values():
            process.stop()
            services.extra.remove(process)
