"""The benchmark's outputs: a JSON file, a PNG plot and a table, every figure also as a
ratio to the baseline measured in the same run."""

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.4f}" if baseline else "-"


def write_json(results: dict[str, Any], out: Path) -> Path:
    path = out / "bench.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def plot(results: dict[str, Any], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    for key, label in (("paced", "one instance each"), ("scaled_paced", "two instances each")):
        runs = [r for r in results.get(key, []) if r["offered_per_s"]]
        if not runs:
            continue
        offered = [r["offered_per_s"] for r in runs]
        left.plot(offered, [r["per_s"] for r in runs], marker="o", label=label)
        for pct, style in (("p50", "-"), ("p95", "--"), ("p99", ":")):
            right.plot(
                offered,
                [r["latency_ms"][pct] for r in runs],
                style,
                marker="o",
                label=f"{pct}, {label}",
            )
    left.set(xlabel="offered load (cases/s)", ylabel="completed (cases/s)", title="Throughput")
    right.set(
        xlabel="offered load (cases/s)",
        ylabel="submission → receipt notice (ms)",
        title="Latency",
    )
    left.legend()
    right.legend(fontsize=7)
    fig.suptitle(f"Concord pipeline; Kafka baseline {results['baseline']['per_s']:.0f} msg/s")
    fig.tight_layout()
    path = out / "bench.png"
    fig.savefig(path, dpi=110)
    return path


def table(results: dict[str, Any], console: Console) -> None:
    base = results["baseline"]["per_s"]
    t = Table(title="Concord benchmark (ratios against the raw Kafka baseline of this run)")
    for column in ("measure", "cases/s", "÷ baseline", "p50 ms", "p95 ms", "p99 ms"):
        t.add_column(column, justify="left" if column == "measure" else "right")
    t.add_row("baseline: raw aiokafka, acks=all", f"{base:.0f}", "1.0000", "", "", "")
    rows = [results["max"], *results["paced"], results["http"]]
    rows += [results["scaled_max"], *results["scaled_paced"]] if "scaled_max" in results else []
    for r in rows:
        lat = r["latency_ms"]
        t.add_row(
            r["name"],
            f"{r['per_s']:.0f}",
            ratio(r["per_s"], base),
            f"{lat['p50']:.0f}",
            f"{lat['p95']:.0f}",
            f"{lat['p99']:.0f}",
        )
    console.print(t)
    rss = Table(title="Peak resident memory (VmHWM)")
    rss.add_column("process")
    rss.add_column("MB", justify="right")
    for name, mb in results["peak_rss_mb"].items():
        rss.add_row(name, f"{mb:.0f}")
    console.print(rss)
    half = next((r for r in results.get("paced", []) if "50%" in r["name"]), None)
    if half and half.get("hops_ms"):
        hops = Table(title=f"Where the latency goes: {half['name']}, step to step (ms)")
        for column in ("step", "p50", "p95", "p99"):
            hops.add_column(column, justify="left" if column == "step" else "right")
        for hop, q in half["hops_ms"].items():
            hops.add_row(hop, f"{q['p50']:.0f}", f"{q['p95']:.0f}", f"{q['p99']:.0f}")
        console.print(hops)
    cpu = results.get("cpu_ms_per_case")
    if cpu:
        where = Table(title="Where the time goes: CPU ms per case at full speed")
        where.add_column("process")
        where.add_column("CPU ms/case", justify="right")
        where.add_column("share", justify="right")
        total = sum(cpu.values())
        for name, ms in sorted(cpu.items(), key=lambda kv: -kv[1]):
            where.add_row(name, f"{ms:.1f}", f"{ms / total:.0%}")
        where.add_row("all", f"{total:.1f}", "100%")
        console.print(where)
