"""Creates or updates Concord's topics on a broker, idempotently: a second run changes nothing.
The operators' command is concord-topics (cli/topics.py)."""

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError

from concord_shared.kafka_auth import NO_AUTH, KafkaAuth
from concord_shared.registry import load_registry
from concord_shared.topics import TopicSpec, all_topics


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
