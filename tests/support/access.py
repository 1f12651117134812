"""The Kafka users and ACLs of a test namespace, as `concord-topics provision` makes them."""

from concord_shared.access_provision import provision_access, remove_access
from concord_shared.kafka_access import local_password, principals
from concord_shared.kafka_auth import local_secret
from concord_shared.registry import load_registry

from tests.support.stack import ADMIN_AUTH, KAFKA


def _departments() -> list[str]:
    return list(load_registry(None).department_codes())


async def grant_access(namespace: str) -> None:
    if not ADMIN_AUTH.sasl:
        return  # a broker without authentication (CONCORD_TEST_KAFKA elsewhere)
    secret = local_secret()
    assert secret is not None
    departments = _departments()
    passwords = {p: local_password(secret, p) for p in principals(departments)}
    await provision_access(KAFKA, ADMIN_AUTH, namespace, departments, passwords)


async def revoke_access(namespace: str) -> None:
    if ADMIN_AUTH.sasl:
        await remove_access(KAFKA, ADMIN_AUTH, namespace, _departments())
