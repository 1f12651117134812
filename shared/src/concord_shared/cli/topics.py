"""concord-topics: Concord's Kafka topics, declared in code, provisioned idempotently.

concord-topics provision [--bootstrap 127.0.0.1:9092] [--namespace concord] [--partitions N]
concord-topics list
concord-topics chart [--check]   the Helm chart's Strimzi topics and users (strimzi.py)
"""

import asyncio
import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from concord_shared.access_provision import provision_access
from concord_shared.kafka_access import ADMIN, principals
from concord_shared.kafka_auth import cli_auth, local_passwords
from concord_shared.provision import declared_topics, provision
from concord_shared.registry import load_registry
from concord_shared.strimzi import CHART_CATALOG, render
from concord_shared.topics import all_topics

app = typer.Typer(help="Concord's Kafka topics: declared in code, provisioned idempotently.")


@app.command("provision")
def provision_command(
    bootstrap: str = typer.Option("127.0.0.1:9092", envvar="CONCORD_KAFKA_BOOTSTRAP_SERVERS"),
    namespace: str = typer.Option("concord", envvar="CONCORD_TOPIC_NAMESPACE"),
    registry: Path | None = typer.Option(None, help="Registry YAML (departments' topics)."),
    partitions: int | None = typer.Option(None, help="At least this many partitions each."),
    passwords: Path | None = typer.Option(
        None,
        envvar="CONCORD_KAFKA_PASSWORDS",
        help="JSON file: Kafka principal -> password (default on a developer's machine: "
        "derived from deploy/local's secret).",
    ),
) -> None:
    """Create missing topics, add partitions, align retention and cleanup policy; on a broker
    with authentication also every principal's SCRAM credential and the ACLs."""
    auth = cli_auth(ADMIN)
    departments = list(load_registry(registry).department_codes())
    specs = all_topics(departments)
    report = asyncio.run(
        provision(bootstrap, namespace, specs, min_partitions=partitions, auth=auth)
    )
    console = Console()
    if auth.sasl:
        secrets = _passwords(passwords, principals(departments))
        access = asyncio.run(provision_access(bootstrap, auth, namespace, departments, secrets))
        console.print(
            f"kafka users: {len(access.users)} set; ACLs: {access.acls} in place, "
            f"{access.removed} no longer granted removed"
        )
    for label, names in (
        ("created", report.created),
        ("partitions added", report.partitions_added),
        ("reconfigured", report.reconfigured),
    ):
        for name in names:
            console.print(f"{label}: {name}")
    console.print(
        f"topics: {len(report.created)} created, {len(report.partitions_added)} grown, "
        f"{len(report.reconfigured)} reconfigured, {len(report.unchanged)} unchanged"
    )


def _passwords(path: Path | None, wanted: list[str]) -> dict[str, str]:
    if path is not None:
        given = json.loads(path.read_text())
        if not isinstance(given, dict):
            raise typer.BadParameter(f"{path}: expected a JSON object of principal -> password")
        return {str(k): str(v) for k, v in given.items()}
    derived = local_passwords(wanted)
    if derived is None:
        raise typer.BadParameter("give --passwords FILE (principal -> password)")
    return derived


@app.command("chart")
def chart_command(
    registry: Path | None = typer.Option(None, help="Registry YAML (departments' topics)."),
    out: Path = typer.Option(CHART_CATALOG, help="The chart's catalog file."),
    check: bool = typer.Option(False, help="Only say whether the file is current."),
) -> None:
    """Write the topics, principals and ACLs the Helm chart's Strimzi resources are made of."""
    text = render(load_registry(registry).department_codes())
    if check:
        current = out.read_text(encoding="utf-8") if out.exists() else ""
        if current != text:
            Console(stderr=True).print(f"{out} is out of date: run `concord-topics chart`")
            raise typer.Exit(1)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    Console().print(f"wrote {out}")


@app.command("list")
def list_command(
    namespace: str = typer.Option("concord", envvar="CONCORD_TOPIC_NAMESPACE"),
    registry: Path | None = typer.Option(None),
) -> None:
    """Print the declared topics: name, partitions, retention, cleanup, key."""
    table = Table("topic", "partitions", "retention (days)", "cleanup", "key", "purpose")
    for spec in declared_topics(registry):
        table.add_row(
            spec.full_name(namespace),
            str(spec.partitions),
            str(spec.retention_ms // 86_400_000),
            spec.cleanup_policy,
            spec.key,
            spec.description,
        )
    Console().print(table)


if __name__ == "__main__":
    app()
