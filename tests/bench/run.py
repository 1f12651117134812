"""`make bench`: the raw Kafka baseline, then the Concord pipeline on the real local broker
and store -- as fast as it goes, at 25 %, 50 % and 90 % of that, through HTTP, and with two
instances of every service -- and each service's peak memory; then the data-growth run
(tests/bench/growth.py): the pipeline, idle CPU and listings on stores already holding
0, 10,000 and 100,000 cases.

    python -m tests.bench.run [--cases 3000] [--out build/bench] [--growth 0,10000,100000]
    python -m tests.bench.run --growth-only --growth 0,1000      (a quick look)
"""

import asyncio
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import typer
from concord_shared.envelope import envelope
from concord_shared.events import CaseReceived, PartyRef
from concord_shared.provision import provision
from concord_shared.registry import load_registry
from concord_shared.topics import CASE_EVENTS, INTAKE_SUBMISSIONS, TopicSpec, all_topics
from rich.console import Console
from rich.progress import Progress

from tests.bench import baseline, cpu, growth, report
from tests.bench.cpu import CpuMeter
from tests.bench.pipeline import BENCH_NOTIFICATION, Run, Submitter, Watcher, settle, submit_http
from tests.support.access import grant_access, remove_namespace
from tests.support.kafka import group_members
from tests.support.stack import (
    ADMIN_AUTH,
    INTEGRATION_KEY,
    KAFKA,
    SERVICES,
    Services,
    ensure_stack,
)

ROOT = Path(__file__).resolve().parents[2]
console = Console()


def _case_received_size() -> int:
    sample = CaseReceived(
        receipt_number="QH20261126ABCDEF",
        kind="dispute",
        channel="visit",
        category="neighbour",
        received_at_platform="339901001",
        area_code="339901001001",
        summary="邻里纠纷：" + "某" * 120,
        parties=[
            PartyRef(ref="p" * 43, role="applicant"),
            PartyRef(ref="q" * 43, role="respondent"),
        ],
        party_count=2,
    )
    return len(envelope(sample, source="intake", case_id=str(uuid.uuid4())).to_bytes())


def _peak_rss_mb(services: Services) -> dict[str, float]:
    peaks: dict[str, float] = {}
    for label, process in [
        *((n, p) for n, p in services.processes.items()),
        *((f"{p.name} (2nd)", p) for p in services.extra),
    ]:
        if process.proc is None:
            continue
        status = Path(f"/proc/{process.proc.pid}/status").read_text()
        kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
        peaks[label] = kb / 1024
    return peaks


async def _settle(services: Services) -> None:
    await settle([p.url for p in [*services.processes.values(), *services.extra]])


async def _topic_run(
    name: str,
    watcher: Watcher,
    submitter: Submitter,
    count: int,
    rate: float | None,
    progress: Progress,
) -> dict[str, Any]:
    await _settle(submitter.services)
    task = progress.add_task(name, total=count)
    run = Run(name, rate)
    submitting = asyncio.create_task(submitter.run(run, count))
    deadline = time.time() + 600
    while time.time() < deadline:
        done = sum(c in watcher.delivered for c in run.submitted)
        progress.update(task, completed=done)
        if submitting.done() and done == count:
            break
        await asyncio.sleep(0.2)
    await submitting
    await watcher.wait_for(run, timeout_s=5)
    progress.update(task, completed=len(run.delivered))
    return run.summary()


async def _bench(
    cases: int, out: Path, scale_out: bool, settings: dict[str, str]
) -> dict[str, Any]:
    ensure_stack()
    namespace = f"bench{uuid.uuid4().hex[:6]}"
    registry = load_registry()
    specs: list[TopicSpec] = all_topics(registry.department_codes())
    baseline_topic = TopicSpec("bench.baseline", "raw client baseline", partitions=4)
    await provision(KAFKA, namespace, [*specs, baseline_topic], auth=ADMIN_AUTH)
    await grant_access(namespace)
    results: dict[str, Any] = {"namespace": namespace, "cases": cases, "settings": settings}
    services = Services(
        namespace,
        out / "logs",
        overrides={"LOG_FORMAT": "json", "OUTBOX_SWEEP_INTERVAL_S": "30", **settings},
        log_store_commands=False,
        trace_spans=False,
        extra_env={"notification": BENCH_NOTIFICATION},
    )
    (out / "logs").mkdir(parents=True, exist_ok=True)
    try:
        with Progress(console=console) as progress:
            t = progress.add_task("baseline: raw aiokafka", total=None)
            size = _case_received_size()
            results["baseline"] = await asyncio.to_thread(
                baseline.measure, KAFKA, baseline_topic.full_name(namespace), 100_000, size
            )
            progress.update(t, total=1, completed=1)

            t = progress.add_task("starting the services", total=None)
            await asyncio.to_thread(services.start_all)
            progress.update(t, total=1, completed=1)
            watcher = Watcher(KAFKA, CASE_EVENTS.full_name(namespace))
            await watcher.start()
            submitter = Submitter(KAFKA, INTAKE_SUBMISSIONS.full_name(namespace), services)
            await submitter.start()
            try:
                await _topic_run("warm-up", watcher, submitter, 200, None, progress)
                meter = CpuMeter(
                    {
                        **{n: p.proc.pid for n, p in services.processes.items() if p.proc},
                        **cpu.infrastructure(),
                    }
                )
                meter.start()
                results["max"] = await _topic_run(
                    "pipeline, as fast as it goes", watcher, submitter, cases, None, progress
                )
                spent = meter.stop()
                completed = max(1, results["max"]["completed"])
                results["cpu_ms_per_case"] = {
                    label: 1000 * s / completed for label, s in spent.items()
                }
                top = results["max"]["per_s"]
                results["paced"] = [
                    await _topic_run(
                        f"pipeline at {int(share * 100)}% of max",
                        watcher,
                        submitter,
                        max(100, int(top * share * 10)),
                        top * share,
                        progress,
                    )
                    for share in (0.25, 0.5, 0.9)
                ]
                await _settle(services)
                http_run = Run("HTTP API, 16 in flight", None)
                t = progress.add_task(http_run.name, total=None)
                await submit_http(
                    http_run, services["intake"].url, INTEGRATION_KEY, max(200, cases // 4)
                )
                await watcher.wait_for(http_run, timeout_s=300)
                results["http"] = http_run.summary()
                progress.update(t, total=1, completed=1)
                if scale_out:
                    t = progress.add_task("starting a second instance of each", total=None)
                    alone = {n: await group_members(f"{namespace}.{n}") for n in SERVICES}
                    for name in SERVICES:
                        await asyncio.to_thread(services.start_instance, name, "2nd")
                    for name in SERVICES:
                        for _ in range(300):
                            if await group_members(f"{namespace}.{name}") == 2 * alone[name]:
                                break
                            await asyncio.sleep(0.2)
                    progress.update(t, total=1, completed=1)
                    results["scaled_max"] = await _topic_run(
                        "two instances each, as fast as it goes",
                        watcher,
                        submitter,
                        cases,
                        None,
                        progress,
                    )
                    top2 = results["scaled_max"]["per_s"]
                    results["scaled_paced"] = [
                        await _topic_run(
                            "two instances each, at 50% of max",
                            watcher,
                            submitter,
                            max(100, int(top2 * 0.5 * 10)),
                            top2 * 0.5,
                            progress,
                        )
                    ]
                results["peak_rss_mb"] = _peak_rss_mb(services)
            finally:
                await submitter.stop()
                await watcher.stop()
    finally:
        services.stop_all()
        await remove_namespace(namespace)
    return results


async def _until_stopped(work: Any) -> Any:
    """Any part of the benchmark, cancelled by SIGTERM or SIGINT (its `finally` stops the
    services it started)."""
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    return await work


def main(
    cases: int = typer.Option(3000, help="cases per full-speed run"),
    out: Path = typer.Option(ROOT / "build" / "bench", help="where the report goes"),
    scale_out: bool = typer.Option(True, help="also measure two instances of each service"),
    setting: list[str] = typer.Option(
        [], help="a service setting for every service, e.g. CONSUME_CONCURRENCY=1"
    ),
    growth_levels: str = typer.Option(
        "0,10000,100000", "--growth", help="cases already stored for the data-growth run"
    ),
    growth_only: bool = typer.Option(False, help="only the data-growth run"),
    # Half the machine on an empty store: a saturated pipeline's p99 measures its backlog
    # (at 20/s every level queued), not what stored cases cost each step.
    growth_rate: float = typer.Option(5.0, help="offered cases/s in the data-growth run"),
    growth_cases: int = typer.Option(600, help="cases measured at each level"),
    growth_idle: float = typer.Option(60.0, help="seconds of idling measured at each level"),
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    settings = dict(s.split("=", 1) for s in setting)
    levels = [int(n) for n in growth_levels.split(",") if n.strip()]
    results: dict[str, Any] = {}
    try:
        if not growth_only:
            results = asyncio.run(_until_stopped(_bench(cases, out, scale_out, settings)))
        if levels:
            results["growth"] = asyncio.run(
                _until_stopped(
                    growth.growth(levels, out, growth_rate, growth_cases, console, growth_idle)
                )
            )
    except asyncio.CancelledError:
        console.print("benchmark stopped; its services are stopped too")
        raise typer.Exit(143) from None
    results["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    json_path = report.write_json(results, out)
    if not growth_only:
        png_path = report.plot(results, out)
        report.table(results, console)
        console.print(f"plot: {png_path}")
    if "growth" in results:
        growth.table(results["growth"], console)
    console.print(f"report: {json_path}")


if __name__ == "__main__":
    typer.run(main)
