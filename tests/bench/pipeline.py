"""The pipeline under load: cases submitted on the integration topic (or over HTTP), each
followed until notification records its receipt notice (NotificationDelivered on the case
log). Submission times and delivery times are taken in this process, on one clock."""

import asyncio
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from concord_intake.domain.identity import case_id_for
from concord_shared.envelope import envelope
from concord_shared.events import SubmitCase
from concord_shared.submission import CaseSubmission

from tests.support.casegen import CaseGenerator
from tests.support.stack import kafka_client_options

SOURCE = "bench"
# The benchmark times the pipeline, not the night: with quiet hours on, a run started
# between 22:00 and 08:00 in Shanghai has every receipt held until morning, and waiting for
# receipts then runs into its timeout (an earlier run lost 15 minutes that way, unnoticed).
BENCH_NOTIFICATION = {"QUIET_HOURS_START": "00:00", "QUIET_HOURS_END": "00:00"}
# The case-log events that mark each service's step, in the order they happen.
MILESTONES = ("CaseReceived", "CaseRouted", "MediationOpened", "NotificationDelivered")


@dataclass
class Run:
    """One load phase: when each case went in and when its receipt notice came out."""

    name: str
    offered_per_s: float | None  # None: as fast as possible
    submitted: dict[str, float] = field(default_factory=dict)
    delivered: dict[str, float] = field(default_factory=dict)
    # When each service wrote its step of the case (the events' occurred_at).
    milestones: dict[str, dict[str, float]] = field(default_factory=dict)

    def hops(self) -> dict[str, dict[str, float]]:
        """Where the latency goes: the time between one step and the next, per step."""
        gaps: dict[str, list[float]] = {}
        for case_id, at in self.milestones.items():
            times = [("submitted", self.submitted.get(case_id))]
            times += [(step, at.get(step)) for step in MILESTONES]
            times += [("seen by the bench", self.delivered.get(case_id))]
            for (a, t0), (b, t1) in pairwise(times):
                if t0 is not None and t1 is not None:
                    gaps.setdefault(f"{a} → {b}", []).append((t1 - t0) * 1000)
        return {hop: _percentiles(sorted(ms)) for hop, ms in gaps.items()}

    def summary(self) -> dict[str, Any]:
        done = [c for c in self.submitted if c in self.delivered]
        latencies = sorted((self.delivered[c] - self.submitted[c]) * 1000 for c in done)
        first = min(self.submitted.values())
        last = max(self.delivered[c] for c in done) if done else first
        return {
            "name": self.name,
            "offered_per_s": self.offered_per_s,
            "cases": len(self.submitted),
            "completed": len(done),
            "seconds": last - first,
            "per_s": len(done) / (last - first) if done else 0.0,
            "latency_ms": _percentiles(latencies),
            "hops_ms": self.hops(),
        }


def _percentiles(values: list[float]) -> dict[str, float]:
    if len(values) < 2:
        return {"p50": values[0] if values else 0.0, "p95": 0.0, "p99": 0.0}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "max": values[-1]}


class Watcher:
    """Reads the case log and notes the moment each case's receipt notice is delivered."""

    def __init__(self, bootstrap: str, case_events: str) -> None:
        self._consumer = AIOKafkaConsumer(
            case_events,
            bootstrap_servers=bootstrap,
            **kafka_client_options(),
            auto_offset_reset="earliest",
        )
        self.delivered: dict[str, float] = {}
        self.milestones: dict[str, dict[str, float]] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batch = await self._consumer.getmany(timeout_ms=100, max_records=5000)
            now = time.time()
            for record in (r for rs in batch.values() for r in rs):
                event_type = dict(record.headers).get("event_type", b"").decode()
                if event_type not in MILESTONES:
                    continue
                event = json.loads(record.value)
                if event_type == "NotificationDelivered":
                    if event["payload"]["notice"] != "receipt":
                        continue
                    self.delivered.setdefault(event["case_id"], now)
                at = datetime.fromisoformat(event["occurred_at"]).timestamp()
                self.milestones.setdefault(event["case_id"], {}).setdefault(event_type, at)

    async def wait_for(self, run: Run, timeout_s: float) -> None:
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            if all(c in self.delivered for c in run.submitted):
                break
            await asyncio.sleep(0.05)
        run.delivered = {c: self.delivered[c] for c in run.submitted if c in self.delivered}
        if len(run.delivered) < len(run.submitted):
            missing = len(run.submitted) - len(run.delivered)
            print(
                f"{run.name}: {missing} receipts not delivered within {timeout_s:.0f} s",
                file=sys.stderr,
            )
        run.milestones = {c: self.milestones[c] for c in run.submitted if c in self.milestones}

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self._consumer.stop()


class Submitter:
    """Generated cases as SubmitCase commands on the integration topic."""

    def __init__(self, bootstrap: str, topic: str, services: Any, seed: int = 1) -> None:
        self.services = services
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            **kafka_client_options(),
            acks="all",
            enable_idempotence=True,
            linger_ms=2,
        )
        self._topic = topic
        self._cases = CaseGenerator(seed=seed)
        self._n = 0

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    def _next(self, phase: str) -> tuple[str, bytes]:
        self._n += 1
        ref = f"{phase}-{self._n}"
        command = SubmitCase(
            source_system=SOURCE,
            source_ref=ref,
            case=CaseSubmission.model_validate(self._cases.submission()),
        )
        value = envelope(command, source=SOURCE, case_id=ref).to_bytes()
        return case_id_for(f"source:{SOURCE}", ref), value

    async def run(self, run: Run, count: int) -> None:
        """Submit `count` cases at the run's offered rate (or all at once)."""
        prepared = [self._next(run.name) for _ in range(count)]
        started = time.time()
        acks = []
        for n, (case_id, value) in enumerate(prepared):
            if run.offered_per_s:
                delay = started + n / run.offered_per_s - time.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            run.submitted[case_id] = time.time()
            acks.append(await self._producer.send(self._topic, value, key=case_id.encode()))
        await asyncio.gather(*acks)


async def submit_http(run: Run, intake_url: str, key: str, count: int, workers: int = 16) -> None:
    """The same through intake's HTTP API, `workers` requests in flight."""
    generator = CaseGenerator(seed=7)
    cases = [generator.submission() for _ in range(count)]
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for case in cases:
        queue.put_nowait(case)

    async def worker(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            case = queue.get_nowait()
            sent = time.time()
            r = await http.post(f"{intake_url}/cases", json=case, headers={"X-API-Key": key})
            r.raise_for_status()
            run.submitted[r.json()["case_id"]] = sent

    async with httpx.AsyncClient(timeout=30) as http:
        await asyncio.gather(*(worker(http) for _ in range(workers)))


async def settle(urls: list[str], timeout_s: float = 600) -> None:
    """Wait until every instance has worked off its backlog (its /ready shows no consumer
    lag), so a phase measures itself and not what the one before left behind."""
    deadline = time.time() + timeout_s
    lags: list[Any] = []
    async with httpx.AsyncClient(timeout=5) as http:
        while time.time() < deadline:
            lags = []
            for url in urls:
                try:
                    lags.append((await http.get(f"{url}/ready")).json().get("consumer_lag"))
                except httpx.HTTPError:
                    lags.append(None)
            if all(lag is not None and lag["records"] == 0 for lag in lags):
                return
            await asyncio.sleep(0.5)
    print(f"not settled within {timeout_s:.0f} s; consumer lags: {lags}", file=sys.stderr)
