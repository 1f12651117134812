"""concord-contracts: the published event contracts (contracts.py), from the command line.

concord-contracts generate   write the JSON Schemas, the AsyncAPI document, the enumerations
concord-contracts check      fail on a breaking change against the published version
concord-contracts publish    record the current schemas as the published version
"""

import shutil
from pathlib import Path

import typer

from concord_shared.contracts import check, write
from concord_shared.paths import CONTRACTS

app = typer.Typer(help="Concord's published event contracts.")


@app.command("generate")
def generate_command(out: Path = typer.Option(CONTRACTS)) -> None:
    """Write the JSON Schemas, the AsyncAPI document and the enumerations page."""
    changed = write(out)
    typer.echo(f"contracts: {len(changed)} file(s) written" + "".join(f"\n  {c}" for c in changed))


@app.command("check")
def check_command(out: Path = typer.Option(CONTRACTS)) -> None:
    """Fail on a breaking change against the previously published contracts."""
    report = check(out)
    for event_type, problems in report.items():
        for problem in problems:
            typer.echo(f"BREAKING {event_type}: {problem}")
    if report:
        raise typer.Exit(1)
    typer.echo("contracts: compatible with the published version")


@app.command("publish")
def publish_command(out: Path = typer.Option(CONTRACTS)) -> None:
    """Record the current schemas as the published version (after a release)."""
    write(out)
    published = out / "published"
    published.mkdir(exist_ok=True)
    for path in (out / "schemas").glob("*.json"):
        shutil.copy(path, published / path.name)
    typer.echo(f"contracts: {len(list(published.glob('*.json')))} schemas published")


if __name__ == "__main__":
    app()
