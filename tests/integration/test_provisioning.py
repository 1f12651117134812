"""Topics are provisioned from their declarations, idempotently, on the real broker."""

import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from concord_shared.provision import declared_topics, delete_namespace, provision

from tests.support.stack import ADMIN_AUTH, KAFKA, kafka_client_options

pytestmark = pytest.mark.real


async def test_provisioning_twice_changes_nothing(real_stack: None) -> None:
    ns = f"p{uuid.uuid4().hex[:8]}"
    specs = declared_topics()
    try:
        first = await provision(KAFKA, ns, specs, auth=ADMIN_AUTH)
        assert sorted(first.created) == sorted(s.full_name(ns) for s in specs)
        second = await provision(KAFKA, ns, specs, auth=ADMIN_AUTH)
        assert not second.changed
        assert len(second.unchanged) == len(specs)

        admin = AIOKafkaAdminClient(bootstrap_servers=KAFKA, **kafka_client_options())
        await admin.start()
        try:
            described = {
                t["topic"]: len(t["partitions"])
                for t in await admin.describe_topics([s.full_name(ns) for s in specs])
            }
        finally:
            await admin.close()
        for spec in specs:
            assert described[spec.full_name(ns)] == spec.partitions
        assert f"{ns}.horizontal.land" in described  # one topic per department
        assert f"{ns}.dlq.routing" in described

        grown = await provision(KAFKA, ns, specs, min_partitions=6, auth=ADMIN_AUTH)
        assert f"{ns}.case.events" in grown.partitions_added
    finally:
        await delete_namespace(KAFKA, ns, auth=ADMIN_AUTH)
