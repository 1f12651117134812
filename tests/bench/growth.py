"""The data-growth run: the same pipeline measured on stores already holding 0, 10,000 and
100,000 cases, so a cost that grows with what is stored shows as a ratio above 1.

For each level the stores of a fresh namespace are filled through the real pipeline (cases
on the integration topic, as a hotline's bulk feed sends them), and most are then finished at
mediation as a platform does over the years: four in five not accepted and closed, one in ten
worked to closed, the rest left open. Beyond TEMPLATE cases, the rest is years of history:
copies of the template's closed cases moved back in time (tests/bench/history.py), indexed
by each service's own backfill at its next start. Then, for that level:

- the pipeline at a steady offered rate: end-to-end p50/p99 (submission to receipt notice);
- every process's CPU over 60 s of idling (timers, sweeps, consumers polling);
- the main listings, each the median of several calls; a township's whole queue read page
  after page, its slowest page.

Before the first level, a few cases go through a throwaway namespace (WARM_UP_CASES), so
the empty store is not also the first thing the broker and the store ever served.

The figure is each measure at a level divided by the same measure on the empty store.
"""

import asyncio
import json
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from concord_shared.provision import provision
from concord_shared.registry import load_registry
from concord_shared.topics import CASE_EVENTS, INTAKE_SUBMISSIONS, all_topics
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from tests.bench import cpu
from tests.bench.cpu import CpuMeter
from tests.bench.history import clone_history, not_backfilled
from tests.bench.pipeline import BENCH_NOTIFICATION, Run, Submitter, Watcher, settle
from tests.support.access import grant_access, remove_namespace
from tests.support.stack import (
    ADMIN_AUTH,
    KAFKA,
    MEDIATION_SUPERVISOR_KEY,
    MONGO,
    NOTIFICATION_API_KEYS,
    ROUTING_LAND_KEY,
    Services,
    ensure_stack,
)

SUPERVISOR = {"X-API-Key": MEDIATION_SUPERVISOR_KEY}
OPERATOR = {
    "X-API-Key": next(k for k, v in NOTIFICATION_API_KEYS.items() if v["role"] == "operator")
}
SEED_CHUNK = 2000  # cases in flight while filling the stores
TEMPLATE = 300  # cases filled through the pipeline; beyond it, copies of their closed ones
HISTORY_YEARS = 3.0
BACKFILL_TIMEOUT_S = 1800.0
IDLE_S = 60.0
# Cases through a throwaway namespace before the first level: else that level alone pays the
# stack's start (the broker's JIT compiling, the store's first files), and the baseline is
# slow (measured: the broker's CPU per case 60 ms on an empty store measured first, 24 ms at
# 100,000 measured after it).
WARM_UP_CASES = 200
LISTING_CALLS = 7
PAGE = 50  # a console page: what a person is shown at once


@dataclass
class Level:
    stored: int
    seeded_in_s: float = 0.0
    copied_in_s: float = 0.0  # history written into the stores, services stopped
    backfilled_in_s: float = 0.0  # the services' backfills of their indexes, at start
    closed: int = 0
    run: dict[str, Any] = field(default_factory=dict)
    idle_cpu_s: dict[str, float] = field(default_factory=dict)
    run_cpu_s: dict[str, float] = field(default_factory=dict)  # while the pipeline runs
    rss_mb: dict[str, float] = field(default_factory=dict)  # each process after the run
    run_busy: float = 0.0  # share of the machine's CPU busy while the pipeline ran
    listings_ms: dict[str, float] = field(default_factory=dict)
    listings_entries: dict[str, int] = field(default_factory=dict)  # what each answered


async def _fill(
    submitter: Submitter, watcher: Watcher, count: int, progress: Progress
) -> list[str]:
    """`count` cases through the pipeline, SEED_CHUNK at a time; their case ids."""
    task = progress.add_task(f"filling the stores: {count} cases", total=count)
    ids: list[str] = []
    while len(ids) < count:
        run = Run(f"seed-{len(ids)}", None)
        await submitter.run(run, min(SEED_CHUNK, count - len(ids)))
        await watcher.wait_for(run, timeout_s=900)
        ids.extend(run.submitted)
        progress.update(task, completed=len(ids))
    return ids


async def _finish(mediation: str, ids: list[str], progress: Progress) -> int:
    """Most cases finished as years of work leave them: 80 % not accepted and closed, 10 %
    mediated and closed, 10 % left open."""
    task = progress.add_task("finishing most of them at mediation", total=len(ids))
    queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
    for n, case_id in enumerate(ids):
        queue.put_nowait((n, case_id))
    closed = 0

    async def worker(http: httpx.AsyncClient) -> None:
        nonlocal closed
        while not queue.empty():
            n, case_id = queue.get_nowait()
            share = n % 10
            if share < 8:
                # Not accepted, the citizen told, then closed: a not-accepted case left
                # open would stay in its platform's open list for ever.
                steps = [{"action": "not_accept", "reason": "不属于受理范围"}, {"action": "close"}]
            elif share == 8:
                steps = [
                    {"action": "accept"},
                    {"action": "assign_mediator"},
                    {"action": "resolve", "outcome": "已调处"},
                    {"action": "close"},
                ]
            else:
                steps = []
            for step in steps:
                r = await http.post(f"{mediation}/cases/{case_id}/transitions", json=step)
                if r.status_code != 200:
                    break
            else:
                closed += bool(steps)
            progress.advance(task)

    async with httpx.AsyncClient(timeout=30, headers=SUPERVISOR) as http:
        await asyncio.gather(*(worker(http) for _ in range(16)))
    return closed


async def _median_ms(call: Callable[[], Awaitable[httpx.Response]]) -> tuple[float, int]:
    """The median time of a listing, and how many entries it answered (a list's length; 1
    for a single document): a listing's cost is per entry shown, so the two go together."""
    await call()  # warm-up
    times = []
    for _ in range(LISTING_CALLS):
        started = time.perf_counter()
        response = await call()
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    body = response.json()
    return statistics.median(times), len(body) if isinstance(body, list) else 1


async def _slowest_page_ms(http: httpx.AsyncClient, url: str) -> tuple[float, int]:
    """A list read whole, page after page by its `Link: rel=next`: the median over several
    readings of the slowest page, and the entries of all pages. What each request costs
    when the whole list is wanted (each page's time is per entry, the pages' sum too)."""
    slowest = []
    for reading in range(LISTING_CALLS + 1):  # the first, a warm-up
        entries, times = 0, []
        following: str | None = url
        while following:
            started = time.perf_counter()
            response = await http.get(following, headers=SUPERVISOR)
            times.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            entries += len(response.json())
            following = response.links.get("next", {}).get("url")
        if reading:
            slowest.append(max(times))
    return statistics.median(slowest), entries


async def _listings(services: Services, case_id: str | None) -> dict[str, tuple[float, int]]:
    intake = services["intake"].url
    mediation = services["mediation"].url
    routing = services["routing"].url
    notification = services["notification"].url
    month = datetime.now(UTC).strftime("%Y-%m")
    today = datetime.now(UTC).strftime("%Y-%m-%dT00:00:00Z")
    # An idle connection is dropped before the services' (uvicorn's 5 s keep-alive) would:
    # a request sent on one the server is just closing fails without an answer.
    keep = httpx.Limits(keepalive_expiry=2)
    async with httpx.AsyncClient(timeout=120, limits=keep) as http:
        calls: dict[str, Callable[[], Awaitable[httpx.Response]]] = {
            "mediation: a village's cases": lambda: http.get(
                f"{mediation}/platforms/339901001001/cases", headers=SUPERVISOR
            ),
            "mediation: a township's cases, a page (100)": lambda: http.get(
                f"{mediation}/platforms/339901001/cases", headers=SUPERVISOR
            ),
            "mediation: a township's cases, first 50": lambda: http.get(
                f"{mediation}/platforms/339901001/cases",
                params={"limit": PAGE},
                headers=SUPERVISOR,
            ),
            "mediation: ratings of the month": lambda: http.get(
                f"{mediation}/ratings", params={"period": month}, headers=SUPERVISOR
            ),
            "mediation: four decreases, county": lambda: http.get(
                f"{mediation}/indicators/four-decreases",
                params={"area": "339901", "period": month},
                headers=SUPERVISOR,
            ),
            "intake: Open311 requests of today": lambda: http.get(
                f"{intake}/open311/v2/requests.json", params={"start_date": today}
            ),
            "intake: Open311 requests of today, first 50": lambda: http.get(
                f"{intake}/open311/v2/requests.json",
                params={"start_date": today, "page_size": PAGE},
            ),
            "routing: a department's inbox": lambda: http.get(
                f"{routing}/departments/land/requests", headers={"X-API-Key": ROUTING_LAND_KEY}
            ),
        }
        if case_id:
            calls["notification: a case's deliveries"] = lambda: http.get(
                f"{notification}/cases/{case_id}/deliveries", headers=OPERATOR
            )
        found = {name: await _median_ms(call) for name, call in calls.items()}
        found["mediation: a township's cases, all pages: the slowest"] = await _slowest_page_ms(
            http, f"{mediation}/platforms/339901001/cases"
        )
        return found


async def measure_level(
    stored: int,
    out: Path,
    rate: float,
    cases: int,
    idle_s: float,
    progress: Progress,
    name: str | None = None,
) -> Level:
    namespace = f"growth{uuid.uuid4().hex[:6]}"
    registry = load_registry()
    await provision(KAFKA, namespace, all_topics(registry.department_codes()), auth=ADMIN_AUTH)
    await grant_access(namespace)
    services = Services(
        namespace,
        out / "logs" / (name or f"growth-{stored}"),
        overrides={"LOG_FORMAT": "json", "OUTBOX_SWEEP_INTERVAL_S": "30"},
        log_store_commands=False,
        trace_spans=False,
        extra_env={"notification": BENCH_NOTIFICATION},
    )
    services.log_dir.mkdir(parents=True, exist_ok=True)
    level = Level(stored)
    try:
        await asyncio.to_thread(services.start_all)
        watcher = Watcher(KAFKA, CASE_EVENTS.full_name(namespace))
        await watcher.start()
        submitter = Submitter(
            KAFKA, INTAKE_SUBMISSIONS.full_name(namespace), services, seed=stored + 11
        )
        await submitter.start()
        try:
            started = time.time()
            filled = min(stored, TEMPLATE)
            ids = await _fill(submitter, watcher, filled, progress) if filled else []
            if ids:
                level.closed = await _finish(services["mediation"].url, ids, progress)
            level.seeded_in_s = time.time() - started
            await _settle(services)
            if stored > filled:
                await _history(services, level, stored - filled, progress)
            task = progress.add_task(f"{stored} stored: pipeline at {rate:.0f}/s", total=None)
            run = Run(f"{stored} stored, {rate:.0f} cases/s", rate)
            meter = CpuMeter(_pids(services))
            meter.start()
            machine = cpu.machine_jiffies()
            await submitter.run(run, cases)
            await watcher.wait_for(run, timeout_s=600)
            level.run_cpu_s = meter.stop()
            level.run_busy = cpu.busy_share(machine, cpu.machine_jiffies())
            level.rss_mb = cpu.resident_mb(_pids(services))
            level.run = run.summary()
            _write_timeline(run, services.log_dir / "cases.json")
            progress.update(task, total=1, completed=1)
            await _settle(services)
            task = progress.add_task(f"{stored} stored: idling {idle_s:.0f} s", total=None)
            meter = CpuMeter(_pids(services))
            meter.start()
            await asyncio.sleep(idle_s)
            level.idle_cpu_s = meter.stop()
            progress.update(task, total=1, completed=1)
            listed = await _listings(services, next(iter(run.delivered), None))
            level.listings_ms = {name: ms for name, (ms, _) in listed.items()}
            level.listings_entries = {name: n for name, (_, n) in listed.items()}
        finally:
            await submitter.stop()
            await watcher.stop()
    finally:
        try:
            services.stop_all()
        finally:
            await remove_namespace(namespace)
    return level


def _write_timeline(run: Run, path: Path) -> None:
    """Each case's times (submitted, each service's step, seen by the bench), beside the
    level's logs: a p99 is a few cases, and these say when they went in and where they waited."""
    cases = {
        case_id: {
            "submitted": at,
            **run.milestones.get(case_id, {}),
            "seen by the bench": run.delivered.get(case_id),
        }
        for case_id, at in run.submitted.items()
    }
    path.write_text(json.dumps(cases, indent=1), encoding="utf-8")


def _pids(services: Services) -> dict[str, int]:
    return {
        **{n: p.proc.pid for n, p in services.processes.items() if p.proc},
        **cpu.infrastructure(),
    }


async def _history(services: Services, level: Level, count: int, progress: Progress) -> None:
    """`count` closed cases of past years written into the stopped services' stores; then
    the services started again and their backfills waited for."""
    services.stop_all()
    task = progress.add_task(f"copying {count} cases of {HISTORY_YEARS:.0f} years", total=count)
    started = time.time()
    level.closed += await clone_history(
        MONGO,
        services.namespace,
        count,
        HISTORY_YEARS,
        lambda done: progress.update(task, completed=done),
    )
    level.copied_in_s = time.time() - started
    started = time.time()
    task = progress.add_task("the services' backfills", total=None)
    # Intake and routing backfill before they are ready; mediation after, in the background.
    await asyncio.to_thread(services.start_all, BACKFILL_TIMEOUT_S)
    while waiting := await not_backfilled(MONGO, services.namespace):
        if time.time() - started > BACKFILL_TIMEOUT_S:
            raise TimeoutError(f"backfills not done in {BACKFILL_TIMEOUT_S:.0f} s: {waiting}")
        await asyncio.sleep(2)
    level.backfilled_in_s = time.time() - started
    progress.update(task, total=1, completed=1)
    await _settle(services)


async def _settle(services: Services) -> None:
    await settle([p.url for p in services.processes.values()], timeout_s=900)


async def growth(
    levels: list[int],
    out: Path,
    rate: float,
    cases: int,
    console: Console,
    idle_s: float = IDLE_S,
) -> dict[str, Any]:
    ensure_stack()
    measured: list[Level] = []
    with Progress(console=console) as progress:
        await measure_level(0, out, rate, WARM_UP_CASES, 0.0, progress, name="growth-warm-up")
        for stored in levels:
            measured.append(await measure_level(stored, out, rate, cases, idle_s, progress))
    return {**summarise(measured), "idle_s": idle_s, "offered_per_s": rate}


def summarise(levels: list[Level]) -> dict[str, Any]:
    base = levels[0]

    def idle_total(level: Level) -> float:
        return sum(level.idle_cpu_s.values())

    rows = []
    for level in levels:
        latency = level.run.get("latency_ms", {})
        base_latency = base.run.get("latency_ms", {})
        rows.append(
            {
                "stored": level.stored,
                "closed": level.closed,
                "seeded_in_s": level.seeded_in_s,
                "copied_in_s": level.copied_in_s,
                "backfilled_in_s": level.backfilled_in_s,
                "p50_ms": latency.get("p50", 0.0),
                "p99_ms": latency.get("p99", 0.0),
                "p99_ratio": _ratio(latency.get("p99", 0.0), base_latency.get("p99", 0.0)),
                "idle_cpu_s": level.idle_cpu_s,
                "idle_cpu_total_s": idle_total(level),
                "idle_cpu_ratio": _ratio(idle_total(level), idle_total(base)),
                "listings_ms": level.listings_ms,
                "listings_entries": level.listings_entries,
                "listings_ratio": {
                    name: _ratio(ms, base.listings_ms.get(name, 0.0))
                    for name, ms in level.listings_ms.items()
                },
                # What a case costs each process while cases flow: CPU ms per completed case.
                "run_cpu_ms_per_case": {
                    name: seconds * 1000 / max(1, level.run.get("completed", 0))
                    for name, seconds in level.run_cpu_s.items()
                },
                "rss_mb": level.rss_mb,
                "run_busy": level.run_busy,
                "hops_ms": level.run.get("hops_ms", {}),  # where the p99 goes, per step
                "completed": level.run.get("completed", 0),
                "cases": level.run.get("cases", 0),
            }
        )
    return {"levels": rows}


def _ratio(value: float, baseline: float) -> float | None:
    return value / baseline if baseline else None


def table(results: dict[str, Any], console: Console) -> None:
    rows = results["levels"]
    t = Table(title="Data growth: the same pipeline on stores already holding cases (÷ empty)")
    t.add_column("measure")
    for row in rows:
        t.add_column(f"{row['stored']:,} stored", justify="right")
    t.add_column("last ÷ empty", justify="right")

    def fmt(v: float | None, unit: str = "") -> str:
        return "-" if v is None else f"{v:.1f}{unit}"

    last = rows[-1]
    t.add_row(
        "pipeline p50 (ms)",
        *(fmt(r["p50_ms"]) for r in rows),
        fmt(_ratio(last["p50_ms"], rows[0]["p50_ms"])),
    )
    t.add_row("pipeline p99 (ms)", *(fmt(r["p99_ms"]) for r in rows), fmt(last["p99_ratio"]))
    t.add_row(
        "machine CPU busy while flowing (%)",
        *(fmt(r["run_busy"] * 100) for r in rows),
        fmt(_ratio(last["run_busy"], rows[0]["run_busy"])),
    )
    t.add_row(
        "CPU per case while flowing, all processes (ms)",
        *(fmt(sum(r["run_cpu_ms_per_case"].values())) for r in rows),
        fmt(
            _ratio(
                sum(last["run_cpu_ms_per_case"].values()),
                sum(rows[0]["run_cpu_ms_per_case"].values()),
            )
        ),
    )
    t.add_row(
        f"idle CPU, all processes, {results.get('idle_s', IDLE_S):.0f} s (s)",
        *(fmt(r["idle_cpu_total_s"]) for r in rows),
        fmt(last["idle_cpu_ratio"]),
    )
    for process in rows[0]["idle_cpu_s"]:
        t.add_row(
            f"  idle CPU: {process} (s)",
            *(fmt(r["idle_cpu_s"].get(process)) for r in rows),
            fmt(_ratio(last["idle_cpu_s"].get(process, 0.0), rows[0]["idle_cpu_s"][process])),
        )
    for key, label in (("run_cpu_ms_per_case", "CPU per case while flowing"), ("rss_mb", "memory")):
        unit = "ms" if key == "run_cpu_ms_per_case" else "MiB"
        for process in rows[0].get(key, {}):
            t.add_row(
                f"  {label}: {process} ({unit})",
                *(fmt(r[key].get(process)) for r in rows),
                fmt(_ratio(last[key].get(process, 0.0), rows[0][key][process])),
            )
    for name in rows[0]["listings_ms"]:
        t.add_row(
            f"{name} (ms, entries)",
            *(
                f"{fmt(r['listings_ms'].get(name))} ({r['listings_entries'].get(name, '-')})"
                for r in rows
            ),
            fmt(last["listings_ratio"].get(name)),
        )
    t.add_row("filled in (s)", *(fmt(r["seeded_in_s"]) for r in rows), "")
    t.add_row("history copied in (s)", *(fmt(r["copied_in_s"]) for r in rows), "")
    t.add_row("backfills took (s)", *(fmt(r["backfilled_in_s"]) for r in rows), "")
    console.print(t)
