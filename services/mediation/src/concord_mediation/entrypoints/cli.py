"""``concord-mediation-ratings``: the star ratings of every platform for a period, as a table.

Asks the mediation API (GET /ratings), so it shows what the API shows.
"""

from typing import Annotated, Any

import httpx
import typer
from concord_shared.registry import load_registry
from rich.console import Console
from rich.table import Table

app = typer.Typer(add_completion=False, help=__doc__)

RATES = (
    ("response_rate", "response"),
    ("on_time_acceptance_rate", "on-time acceptance"),
    ("resolution_rate", "resolution"),
    ("satisfaction_rate", "satisfaction"),
    ("repeat_rate", "repeat"),
    ("escalation_rate", "escalation"),
    ("local_resolution_rate", "resolved here"),
)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def ratings_table(ratings: list[dict[str, Any]], period: str) -> Table:
    names = {p.code: p.name_zh for p in load_registry().platforms}
    table = Table(title=f"Platform ratings {period}")
    table.add_column("platform")
    table.add_column("name")
    table.add_column("stars")
    table.add_column("score", justify="right")
    table.add_column("cases", justify="right")
    for _, label in RATES:
        table.add_column(label, justify="right")
    for r in ratings:
        table.add_row(
            r["platform"],
            names.get(r["platform"], ""),
            "★" * r["stars"] + "☆" * (5 - r["stars"]),
            "—" if r["score"] is None else f"{r['score']:.2f}",
            str(r["inputs"]["cases"]),
            *(_percent(r["rates"][key]) for key, _ in RATES),
        )
    return table


@app.command()
def ratings(
    period: Annotated[str, typer.Option(help="A month (2026-11) or a quarter (2026-Q4).")],
    url: Annotated[
        str, typer.Option(envvar="CONCORD_MEDIATION_URL", help="The mediation API.")
    ] = "http://127.0.0.1:8003",
    api_key: Annotated[
        str, typer.Option(envvar="CONCORD_MEDIATION_API_KEY", help="A supervisor or auditor key.")
    ] = "",
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for mediation's answer.", min=0.1)
    ] = 30.0,
) -> None:
    """Print the star rating of every platform with cases in the period, and how it is
    scored. Exit status 1: mediation refused (the message says why); 2: no answer."""
    try:
        response = httpx.get(
            f"{url}/ratings",
            params={"period": period},
            headers={"X-API-Key": api_key},
            timeout=timeout,
        )
    except httpx.TimeoutException:
        typer.echo(
            f"mediation at {url} did not answer within {timeout:g} s; it may be busy: "
            "try again, or allow longer with --timeout",
            err=True,
        )
        raise typer.Exit(2) from None
    except httpx.HTTPError as exc:
        typer.echo(f"cannot reach mediation at {url}: {type(exc).__name__} {exc}", err=True)
        raise typer.Exit(2) from None
    if response.status_code != 200:
        typer.echo(f"mediation answered {response.status_code}: {response.text}", err=True)
        raise typer.Exit(1)
    rows = response.json()
    Console(width=200).print(ratings_table(rows, period))
    if rows:
        policy = rows[0]["policy"]
        typer.echo(f"How it is scored: {policy['formula']}")
        typer.echo(
            "Weights: "
            + ", ".join(f"{name} {weight:g}" for name, weight in policy["weights"].items())
        )
        if "rates" in policy:
            typer.echo(
                "Rates: " + "; ".join(f"{name} = {how}" for name, how in policy["rates"].items())
            )


def main() -> None:
    app()
