"""A stream of cases with a fault injected in the middle, and the reckoning afterwards.

Cases are submitted over HTTP the way a hotline system would: each with its own
Idempotency-Key, retried until intake answers 201 -- through an intake crash or an outage of
the store. A case counts as submitted once intake accepted it, and as completed once its
receipt notice is in notification's delivery log. Duplicates are looked for at every step:
two cases for one submission, two routing decisions, two receipt notices.
"""

import asyncio
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import httpx
from concord_shared.topics import CASE_EVENTS

from tests.support.cases import neighbour_dispute
from tests.support.kafka import events_on
from tests.support.routing import ROUTING_READER
from tests.support.stack import AUTH, OPERATOR_KEY

# The lines the fault tests print; tests/conftest.py shows them at the end of the run.
REPORT: list[str] = []


@dataclass
class Reckoning:
    scenario: str
    submitted: int = 0
    completed: int = 0
    duplicates: int = 0
    lost: int = 0
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"faults: scenario={self.scenario} submitted={self.submitted} "
            f"completed={self.completed} duplicates={self.duplicates} lost={self.lost}"
        )


async def submit(
    http: httpx.AsyncClient, intakes: list[str], key: str, case: dict[str, Any]
) -> str:
    """POST until accepted, trying each intake instance in turn; the key makes it once."""
    deadline = time.monotonic() + 180
    attempt = 0
    while True:
        base = intakes[attempt % len(intakes)]
        attempt += 1
        try:
            r = await http.post(
                f"{base}/cases", json=case, headers={**AUTH, "Idempotency-Key": key}
            )
            if r.status_code == 201 or r.status_code == 200:
                return str(r.json()["case_id"])
            if r.status_code < 500:
                raise AssertionError(f"submission refused: {r.status_code} {r.text}")
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"submission {key} not accepted within 180 s")
        await asyncio.sleep(0.2)


async def stream(
    scenario: str,
    intakes: Callable[[], list[str]],
    fault: Callable[[], Coroutine[Any, Any, None]],
    *,
    cases: int = 40,
    interval_s: float = 0.1,
) -> dict[str, str]:
    """Submit `cases` cases one after another; start the fault halfway. Returns each
    submission's case id by its summary marker."""
    accepted: dict[str, str] = {}
    fault_task: asyncio.Task[None] | None = None
    async with httpx.AsyncClient(timeout=10) as http:
        for n in range(cases):
            if n == cases // 2:
                fault_task = asyncio.create_task(fault())
            case = neighbour_dispute()
            marker = f"{scenario}-{n:03d}"
            case["description"] = f"[{marker}] {case['description']}"
            accepted[marker] = await submit(http, intakes(), f"faults-{scenario}-{marker}", case)
            await asyncio.sleep(interval_s)
    assert fault_task is not None
    await fault_task
    return accepted


async def reckon(
    scenario: str,
    namespace: str,
    accepted: dict[str, str],
    routing: str,
    notification: str,
    within: float = 180.0,
) -> Reckoning:
    result = Reckoning(scenario, submitted=len(accepted))
    pending = set(accepted.values())
    receipts: dict[str, int] = {}
    decisions: dict[str, int] = {}
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=10) as http:
        while pending and time.monotonic() < deadline:
            for case_id in sorted(pending):
                try:
                    r = await http.get(
                        f"{notification}/cases/{case_id}/deliveries",
                        headers={"X-API-Key": OPERATOR_KEY},
                    )
                except httpx.TransportError:
                    continue
                sent = [d for d in r.json() if d["notice"] == "receipt"] if r.is_success else []
                if sent:
                    receipts[case_id] = len(sent)
                    pending.discard(case_id)
            if pending:
                await asyncio.sleep(0.5)
        for case_id in accepted.values():
            r = await http.get(f"{routing}/cases/{case_id}/routing", headers=ROUTING_READER)
            decisions[case_id] = len(r.json()["decisions"]) if r.is_success else 0
    # Two cases for one submission would show as two CaseReceived with the same marker.
    received = await events_on(
        [CASE_EVENTS.full_name(namespace)],
        set(accepted.values()),
        until=lambda es: sum(e["type"] == "CaseReceived" for e in es) >= len(accepted),
        within=30,
    )
    summaries = [e["payload"]["summary"] for e in received if e["type"] == "CaseReceived"]
    twice = [m for m in accepted if sum(s.startswith(f"[{m}]") for s in summaries) > 1]
    result.completed = len(receipts)
    result.lost = len(pending)
    result.duplicates = (
        sum(n - 1 for n in receipts.values())
        + sum(max(0, n - 1) for n in decisions.values())
        + len(twice)
    )
    if pending:
        result.problems.append(f"no receipt for {sorted(pending)[:5]}")
    result.problems += [f"{c}: {n} routing decisions" for c, n in decisions.items() if n != 1]
    result.problems += [f"{m}: registered twice" for m in twice]
    REPORT.append(result.line())
    print(result.line())
    return result
