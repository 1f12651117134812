"""Topics are provisioned from their declarations, idempotently, on the real broker."""

import asyncio
import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from concord_shared.provision import declared_topics, delete_namespace, provision
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
)

from tests.support.access import grant_access, revoke_access
from tests.support.stack import ADMIN_AUTH, KAFKA, kafka_client_options
from tests.support.wait import eventually

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


async def test_provisioning_again_removes_a_rule_the_catalog_took_back(real_stack: None) -> None:
    """An ACL of a Concord principal on the namespace that the catalog no longer grants (here
    a DENY as routing had on department replies before the console) is gone after the next
    provisioning; creating ACLs alone would leave it in force for ever."""
    if not ADMIN_AUTH.sasl:
        pytest.skip("the broker has no authentication")
    ns = f"t{uuid.uuid4().hex[:10]}"
    admin = AdminClient({"bootstrap.servers": KAFKA, **ADMIN_AUTH.confluent()})
    stale = (
        ResourceType.TOPIC,
        f"{ns}.horizontal.replies",
        ResourcePatternType.LITERAL,
        "User:concord-routing",
        "*",
        AclOperation.WRITE,
        AclPermissionType.DENY,
    )

    def bindings() -> list[AclBinding]:
        return list(admin.describe_acls(AclBindingFilter(*stale)).result(timeout=30))

    try:
        await grant_access(ns)
        for future in admin.create_acls([AclBinding(*stale)]).values():
            future.result(timeout=30)
        # ACLs reach the broker's authorizer a moment after the call returns.
        await eventually(lambda: asyncio.to_thread(lambda: len(bindings()) == 1))
        await grant_access(ns)
        await eventually(lambda: asyncio.to_thread(lambda: bindings() == []))
    finally:
        await revoke_access(ns)
