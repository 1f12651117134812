"""Submits a few sample cases to a running stack and shows what happened to each.

    python deploy/local/demo.py [--intake http://127.0.0.1:8001 ...]

Used by `make run`. It talks to the services over HTTP only, as a user would.
"""

import time
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

SAMPLES: list[dict[str, Any]] = [
    {
        "kind": "dispute",
        "channel": "visit",
        "platform": "339901001",
        "category": "neighbour",
        "description": "邻居扩建院墙挡住了出路，多次协商未果，请求调解。",
        "location": {"area_code": "339901001001"},
        "parties": [
            {"name": "王秀英", "phone": "13912345678", "role": "applicant"},
            {"name": "刘建国", "role": "respondent"},
        ],
    },
    {
        "kind": "petition",
        "channel": "letter",
        "platform": "339901002",
        "category": "wage_arrears",
        "description": "在县城某工地务工半年，工资拖欠至今未付，共计三万余元。",
        "location": {"area_code": "339901002002"},
        "parties": [{"name": "陈志强", "phone": "13700001111", "role": "applicant"}],
    },
    {
        "kind": "legal_service",
        "channel": "call",
        "platform": "339901",
        "category": "legal_aid",
        "description": "Asking how to apply for legal aid in a contract dispute with a landlord.",
        "location": {"area_code": "339901003"},
        "parties": [{"name": "Li Na", "phone": "13800002222", "role": "applicant"}],
        "language": "en",
    },
]


def main(
    intake: str = "http://127.0.0.1:8001",
    routing: str = "http://127.0.0.1:8002",
    mediation: str = "http://127.0.0.1:8003",
    notification: str = "http://127.0.0.1:8004",
    timeout: float = 20.0,
    api_key: str = typer.Option("dev-integration", envvar="CONCORD_DEMO_API_KEY"),
    # Routing's explanation, mediation's cases and notification's delivery log need a key
    # too (deploy/local/dev.env).
    routing_key: str = typer.Option("dev-routing-admin", envvar="CONCORD_DEMO_ROUTING_API_KEY"),
    mediation_key: str = typer.Option(
        "dev-mediation-supervisor", envvar="CONCORD_DEMO_MEDIATION_API_KEY"
    ),
    notification_key: str = typer.Option(
        "dev-notification-operator", envvar="CONCORD_DEMO_NOTIFICATION_API_KEY"
    ),
) -> None:
    console = Console(width=160)
    table = Table(title="Sample cases through Concord")
    columns = (
        "receipt",
        "kind / category",
        "flags",
        "routed to",
        "rule",
        "mediation",
        "notice",
        "ms",
    )
    for column in columns:
        table.add_column(column)
    failures = 0
    with httpx.Client(timeout=10) as http:
        for sample in SAMPLES:
            started = time.monotonic()
            receipt = (
                http.post(f"{intake}/cases", json=sample, headers={"X-API-Key": api_key})
                .raise_for_status()
                .json()
            )
            case_id = receipt["case_id"]
            route = case = notices = None
            while time.monotonic() - started < timeout and not notices:
                route = route or _get(http, f"{routing}/cases/{case_id}/routing", routing_key)
                case = case or _get(http, f"{mediation}/cases/{case_id}", mediation_key)
                notices = (
                    _get(http, f"{notification}/cases/{case_id}/deliveries", notification_key)
                    or None
                )
                time.sleep(0.05)
            elapsed = round((time.monotonic() - started) * 1000)
            decision = (route or {}).get("decisions", [{}])[-1]
            failures += notices is None
            table.add_row(
                receipt["receipt_number"],
                f"{sample['kind']} / {sample['category']}",
                # Run `make run` twice: the same people with the same matters come back as
                # repeats, and routing takes them a level up.
                ", ".join(
                    f
                    for f, on in (
                        ("repeat", receipt["repeat_of"]),
                        ("collective", receipt["collective"]),
                    )
                    if on
                )
                or "—",
                "{platform} ({level}, {desk})".format_map(
                    {k: decision.get(k, "—") for k in ("platform", "level", "desk")}
                ),
                decision.get("rule_id", "—"),
                (case or {}).get("status", "— not yet"),
                ", ".join(f"{n['notice']} via {n['channel']}" for n in notices or [])
                or "— not yet",
                str(elapsed),
            )
    console.print(table)
    if failures:
        console.print(f"[red]{failures} case(s) did not reach notification in {timeout}s[/red]")
        raise typer.Exit(1)


def _get(http: httpx.Client, url: str, key: str | None = None) -> Any:
    response = http.get(url, headers={"X-API-Key": key} if key else None)
    return response.json() if response.status_code == 200 else None


if __name__ == "__main__":
    typer.run(main)
