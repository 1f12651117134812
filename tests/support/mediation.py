"""Mediation on the real broker and store with a clock the test controls.

Its own topic namespace and database (so its consumer group is not shared with the session's
services), one or more mediation processes, and helpers to feed CaseAssigned and read what
mediation published on the case log, the notification requests and the vertical topics.
"""

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer
from concord_shared.envelope import envelope
from concord_shared.events import CaseAssigned, PartyRef
from concord_shared.provision import delete_namespace, provision
from concord_shared.topics import (
    CASE_EVENTS,
    FIXED_TOPICS,
    NOTIFY_REQUESTS,
    VERTICAL_ASSIGN,
    VERTICAL_ESCALATE,
    dead_letter_topic,
)
from pymongo import AsyncMongoClient

from tests.support.access import grant_access, revoke_access
from tests.support.kafka import send
from tests.support.stack import (
    ADMIN_AUTH,
    KAFKA,
    MEDIATION_AUDITOR_KEY,
    MEDIATION_INTEGRATION_KEY,
    MEDIATION_STAFF_KEY,
    MEDIATION_SUPERVISOR_KEY,
    MONGO,
    ServiceProcess,
    Services,
    free_port,
    kafka_client_options,
)

SUPERVISOR_KEY = MEDIATION_SUPERVISOR_KEY
STAFF_KEY = MEDIATION_STAFF_KEY
AUDITOR_KEY = MEDIATION_AUDITOR_KEY
INTEGRATION_KEY = MEDIATION_INTEGRATION_KEY
SUPERVISOR = {"X-API-Key": SUPERVISOR_KEY}


@dataclass
class MediationStack:
    namespace: str
    log_dir: Path
    clock_file: Path
    processes: list[ServiceProcess] = field(default_factory=list)

    def env(self, port: int) -> dict[str, str]:
        env = Services(self.namespace, self.log_dir).env_for("mediation", port)
        return {
            **env,
            "CONCORD_MEDIATION_CLOCK_FILE": str(self.clock_file),
            "CONCORD_MEDIATION_TIMER_INTERVAL_S": "0.2",
        }

    def start(self, instances: int = 1) -> None:
        started = []
        for _ in range(instances):
            port = free_port()
            index = len(self.processes)
            process = ServiceProcess(
                "mediation", self.env(port), self.log_dir / f"mediation-{index}.log", port
            )
            process.start()
            self.processes.append(process)
            started.append(process)
        for process in started:
            process.wait_ready()

    def stop(self) -> None:
        for process in self.processes:
            process.stop()
        self.processes.clear()

    def kill(self) -> None:
        for process in self.processes:
            process.kill()
        self.processes.clear()

    @property
    def url(self) -> str:
        return self.processes[0].url

    def set_clock(self, moment: datetime) -> None:
        assert moment.tzinfo is not None
        self.clock_file.write_text(moment.isoformat())

    def topic(self, name: str) -> str:
        return f"{self.namespace}.{name}"

    async def assign(
        self,
        *,
        platform: str,
        level: str,
        received_at: datetime,
        category: str = "neighbour",
        kind: str = "dispute",
        severity: str = "low",
        area_code: str | None = None,
        applicant: str | None = None,
        repeat_of: str | None = None,
        collective: bool = False,
        case_id: str | None = None,
        lead_department: str = "justice",
        co_departments: tuple[str, ...] = (),
    ) -> tuple[str, str]:
        """Publish a CaseAssigned as routing would; (case id, applicant's party ref)."""
        case_id = case_id or f"case-{uuid.uuid4().hex[:12]}"
        applicant = applicant or f"pty-{uuid.uuid4().hex[:10]}"
        payload = CaseAssigned(
            platform=platform,
            level=level,
            desk="mediation",
            kind=kind,
            category=category,
            severity=severity,
            area_code=area_code or platform,
            summary="邻里纠纷：测试",
            parties=[
                PartyRef(ref=applicant, role="applicant"),
                PartyRef(ref=f"pty-{uuid.uuid4().hex[:10]}", role="respondent"),
            ],
            lead_department=lead_department,
            co_departments=list(co_departments),
            received_at=received_at,
            repeat_of=repeat_of,
            collective=collective,
        )
        event = envelope(payload, source="routing", case_id=case_id)
        await send(self.topic(VERTICAL_ASSIGN.name), [event.to_bytes()], key=case_id.encode())
        return case_id, applicant

    async def events(self, case_ids: set[str] | None = None) -> list[dict[str, Any]]:
        """Everything mediation published so far on the case log, notifications and the
        vertical escalation topic (each event with its topic), oldest first, each event id
        once (delivery is at least once; every consumer deduplicates on the event id)."""
        topics = [self.topic(t.name) for t in (CASE_EVENTS, NOTIFY_REQUESTS, VERTICAL_ESCALATE)]
        consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=KAFKA,
            **kafka_client_options(),
            auto_offset_reset="earliest",
            group_id=None,
        )
        await consumer.start()
        found: list[dict[str, Any]] = []
        seen: set[str] = set()
        try:
            empty = 0
            while empty < 2:
                batch = await consumer.getmany(timeout_ms=300)
                records = [r for rs in batch.values() for r in rs]
                empty = 0 if records else empty + 1
                for record in records:
                    event = json.loads(record.value)
                    if event["event_id"] in seen:
                        continue  # at-least-once: a relay may publish twice; readers dedupe
                    seen.add(event["event_id"])
                    if case_ids is None or event["case_id"] in case_ids:
                        event["topic"] = record.topic.removeprefix(self.namespace + ".")
                        found.append(event)
        finally:
            await consumer.stop()
        # By the instant, not the string: a time on a whole second is written without its
        # fraction ("...:05Z" sorts after "...:05.120000Z").
        found.sort(key=lambda e: datetime.fromisoformat(e["occurred_at"]))
        return found


def of_type(events: list[dict[str, Any]], event_type: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == event_type]


@pytest_asyncio.fixture(scope="session")
async def mediation_namespace(real_stack: None) -> AsyncIterator[str]:
    ns = f"m{uuid.uuid4().hex[:10]}"
    await provision(KAFKA, ns, [*FIXED_TOPICS, dead_letter_topic("mediation")], auth=ADMIN_AUTH)
    await grant_access(ns)
    yield ns
    await revoke_access(ns)
    await delete_namespace(KAFKA, ns, auth=ADMIN_AUTH)
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(MONGO)
    await client.drop_database(f"{ns}_mediation")
    await client.close()


@pytest.fixture(scope="session")
def mediation(
    mediation_namespace: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MediationStack]:
    logs = tmp_path_factory.mktemp("mediation-logs")
    stack = MediationStack(mediation_namespace, logs, logs / "clock.txt")
    stack.clock_file.write_text("")
    stack.start(1)
    try:
        yield stack
    finally:
        stack.stop()


async def get_case(stack: MediationStack, case_id: str) -> dict[str, Any] | None:
    async with httpx.AsyncClient(timeout=10, headers=SUPERVISOR) as http:
        r = await http.get(f"{stack.url}/cases/{case_id}")
        return r.json() if r.status_code == 200 else None


async def act(
    http: httpx.AsyncClient, stack: MediationStack, case_id: str, action: str, **fields: Any
) -> httpx.Response:
    return await http.post(
        f"{stack.url}/cases/{case_id}/transitions", json={"action": action, **fields}
    )
