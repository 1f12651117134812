"""The Kafka users and ACLs of a test namespace, as `concord-topics provision` makes them."""

from concord_shared.access_provision import provision_access, remove_access
from concord_shared.kafka_access import principals
from concord_shared.kafka_auth import local_passwords
from concord_shared.provision import delete_namespace
from concord_shared.registry import load_registry
from pymongo import AsyncMongoClient

from tests.support.stack import ADMIN_AUTH, KAFKA, MONGO


def _departments() -> list[str]:
    return list(load_registry(None).department_codes())


async def grant_access(namespace: str) -> None:
    if not ADMIN_AUTH.sasl:
        return  # a broker without authentication (CONCORD_TEST_KAFKA elsewhere)
    departments = _departments()
    passwords = local_passwords(principals(departments))
    assert passwords is not None
    await provision_access(KAFKA, ADMIN_AUTH, namespace, departments, passwords)


async def revoke_access(namespace: str) -> None:
    if ADMIN_AUTH.sasl:
        await remove_access(KAFKA, ADMIN_AUTH, namespace, _departments())


async def remove_namespace(namespace: str) -> None:
    """Everything a namespace left: its ACLs, its topics and its services' databases."""
    await revoke_access(namespace)
    await delete_namespace(KAFKA, namespace, auth=ADMIN_AUTH)
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(MONGO)
    for name in await client.list_database_names():
        if name.startswith(f"{namespace}_"):
            await client.drop_database(name)
    await client.close()
