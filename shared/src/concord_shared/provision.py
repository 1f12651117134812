"""Creates or updates Concord's topics on a broker, idempotently: a second run changes nothing.

concord-topics provision [--bootstrap 127.0.0.1:9092] [--namespace concord] [--partitions N]
concord-topics list
concord-topics chart [--check]   the Helm chart's Strimzi topics and users (strimzi.py)
"""

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path

import typer
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError
from rich.console import Console
from rich.table import Table

from concord_shared.access_provision import provision_access
from concord_shared.kafka_access import ADMIN, principals
from concord_shared.kafka_auth import NO_AUTH, KafkaAuth, cli_auth, local_passwords
from concord_shared.registry import load_registry
from concord_shared.strimzi import CHART_CATALOG, render
from concord_shared.topics import TopicSpec, all_topics

app = typer.Typer(help="Concord's Kafka topics: declared in code, provisioned idempotently.")


@dataclass
class ProvisionReport:
    created: list[str] = field(default_factory=list)
    partitions_added: list[str] = field(default_factory=list)
    reconfigured: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.partitions_added or self.reconfigured)


def declared_topics(registry_path: Path | None = None) -> list[TopicSpec]:
    return all_topics(load_registry(registry_path).department_codes())


async def provision(
    bootstrap: str,
    namespace: str,
    specs: list[TopicSpec],
    *,
    min_partitions: int | None = None,
    auth: KafkaAuth = NO_AUTH,
) -> ProvisionReport:
    """Bring the broker's topics in line with the declarations; never shrinks anything."""
    report = ProvisionReport()
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=30_000, **auth.aiokafka()
    )
    await admin.start()
    try:
        wanted = {
            s.full_name(namespace): (max(s.partitions, min_partitions or 0), s) for s in specs
        }
        existing = await _partitions(admin, list(wanted))
        missing = [name for name in wanted if name not in existing]
        if missing:
            there = await _create(admin, [(n, *wanted[n]) for n in missing], report)
            # A topic can exist before the broker describes it (just created, by us or by
            # another run): it is existing, to be grown and aligned like the others.
            for _ in range(50):
                if not there:
                    break
                found = await _partitions(admin, there)
                existing.update(found)
                there = [n for n in there if n not in found]
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"topics exist but the broker does not describe them: {there}")
        grow = {n: NewPartitions(wanted[n][0]) for n in existing if existing[n] < wanted[n][0]}
        if grow:
            await admin.create_partitions(grow)
            report.partitions_added.extend(grow)
        await _align_configs(admin, {n: wanted[n][1] for n in existing}, report)
    finally:
        await admin.close()
    return report


async def _partitions(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, int]:
    """Partition counts of the topics the broker describes."""
    return {
        t["topic"]: len(t["partitions"])
        for t in await admin.describe_topics(names)
        if t["error_code"] == 0
    }


async def _create(
    admin: AIOKafkaAdminClient,
    topics: list[tuple[str, int, TopicSpec]],
    report: ProvisionReport,
) -> list[str]:
    """Create the topics; returns those that turned out to exist already."""
    new = [
        NewTopic(name, num_partitions=partitions, replication_factor=1, topic_configs=s.config())
        for name, partitions, s in topics
    ]
    response = await admin.create_topics(new)
    there = []
    for name, code, *_ in response.topic_errors:
        if code == 0:
            report.created.append(name)
        elif code == TopicAlreadyExistsError.errno:
            there.append(name)
        else:
            raise RuntimeError(f"could not create topic {name}: error code {code}")
    return there


async def _align_configs(
    admin: AIOKafkaAdminClient, specs: dict[str, TopicSpec], report: ProvisionReport
) -> None:
    if not specs:
        return
    resources = [ConfigResource(ConfigResourceType.TOPIC, n, None) for n in specs]
    current: dict[str, dict[str, str]] = {}
    for response in await admin.describe_configs(resources):
        for _code, _msg, _type, name, entries in response.resources:
            current[name] = {entry[0]: entry[1] for entry in entries}
    changes = [
        ConfigResource(ConfigResourceType.TOPIC, name, spec.config())
        for name, spec in specs.items()
        if any(current.get(name, {}).get(k) != v for k, v in spec.config().items())
    ]
    if changes:
        await admin.alter_configs(changes)
        report.reconfigured.extend(c.name for c in changes)
    report.unchanged.extend(n for n in specs if n not in {c.name for c in changes})


async def delete_namespace(bootstrap: str, namespace: str, auth: KafkaAuth = NO_AUTH) -> None:
    """Remove every topic of a namespace (tests clean up after themselves with it)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **auth.aiokafka())
    await admin.start()
    try:
        names = [t for t in await admin.list_topics() if t.startswith(f"{namespace}.")]
        if names:
            await admin.delete_topics(names)
    finally:
        await admin.close()


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
