"""Creates Concord's Kafka users (SCRAM-SHA-512) and their ACLs on a broker, idempotently.

aiokafka has no API for SCRAM credentials or ACLs, so this uses confluent-kafka's admin
client (librdkafka, shipped in its wheel). Its calls block; they run in a worker thread.
"""

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialAlteration,
    UserScramCredentialUpsertion,
)

from concord_shared.kafka_access import Grant, grants, principals
from concord_shared.kafka_auth import KafkaAuth

SCRAM_ITERATIONS = 8192
TIMEOUT_S = 30.0


@dataclass
class AccessReport:
    users: list[str] = field(default_factory=list)
    acls: int = 0
    removed: int = 0  # ACLs the catalog no longer grants, deleted


def _admin(bootstrap: str, auth: KafkaAuth) -> AdminClient:
    return AdminClient({"bootstrap.servers": bootstrap, **auth.confluent()})


def _acl_fields(g: Grant) -> tuple[Any, ...]:
    """A grant as the fields of an ACL binding (or of a filter matching exactly it)."""
    return (
        ResourceType[g.kind],
        g.name,
        ResourcePatternType[g.pattern],
        f"User:{g.principal}",
        "*",
        AclOperation[g.operation],
        AclPermissionType[g.permission],
    )


def _apply(
    bootstrap: str,
    auth: KafkaAuth,
    namespace: str,
    departments: list[str],
    passwords: Mapping[str, str],
) -> AccessReport:
    admin = _admin(bootstrap, auth)
    report = AccessReport()
    wanted = principals(departments)
    missing = [p for p in wanted if p not in passwords]
    if missing:
        raise ValueError(f"no password given for Kafka principal(s): {', '.join(missing)}")
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS)
    upserts: list[UserScramCredentialAlteration] = [
        UserScramCredentialUpsertion(p, info, passwords[p].encode()) for p in wanted
    ]
    for user, future in admin.alter_user_scram_credentials(upserts).items():
        future.result(timeout=TIMEOUT_S)
        report.users.append(user)
    bindings = [AclBinding(*_acl_fields(g)) for g in grants(namespace, departments)]
    # Creating an ACL that exists changes nothing, so a second run is harmless.
    for future in admin.create_acls(bindings, request_timeout=TIMEOUT_S).values():
        future.result(timeout=TIMEOUT_S)
    report.acls = len(bindings)
    report.removed = _drop_stale(admin, namespace, wanted, bindings)
    return report


def _drop_stale(
    admin: AdminClient, namespace: str, principals_: list[str], wanted: list[AclBinding]
) -> int:
    """Delete the ACLs of Concord's principals on this namespace that the catalog no longer
    grants (a rule taken back, such as a DENY dropped, must not outlive the change: creating
    ACLs only ever adds)."""
    keep = {_key(b) for b in wanted}
    stale = []
    for principal in principals_:
        found = admin.describe_acls(
            AclBindingFilter(
                ResourceType.ANY,
                None,  # type: ignore[arg-type]  # any resource name
                ResourcePatternType.ANY,
                f"User:{principal}",
                None,  # type: ignore[arg-type]  # any host (librdkafka takes None)
                AclOperation.ANY,
                AclPermissionType.ANY,
            ),
            request_timeout=TIMEOUT_S,
        ).result(timeout=TIMEOUT_S)
        stale += [b for b in found if b.name.startswith(f"{namespace}.") and _key(b) not in keep]
    if stale:
        filters = [AclBindingFilter(*_key(b)) for b in stale]
        for future in admin.delete_acls(filters, request_timeout=TIMEOUT_S).values():
            future.result(timeout=TIMEOUT_S)
    return len(stale)


def _key(b: AclBinding) -> tuple[Any, ...]:
    return (
        b.restype,
        b.name,
        b.resource_pattern_type,
        b.principal,
        b.host,
        b.operation,
        b.permission_type,
    )


async def provision_access(
    bootstrap: str,
    auth: KafkaAuth,
    namespace: str,
    departments: Iterable[str],
    passwords: Mapping[str, str],
) -> AccessReport:
    """Every principal's SCRAM credential (set to the given password) and the namespace's
    ACLs. Needs a super user's `auth`."""
    return await asyncio.to_thread(
        _apply, bootstrap, auth, namespace, sorted(set(departments)), passwords
    )


def _remove(bootstrap: str, auth: KafkaAuth, namespace: str, departments: list[str]) -> None:
    admin = _admin(bootstrap, auth)
    filters = [AclBindingFilter(*_acl_fields(g)) for g in grants(namespace, departments)]
    for future in admin.delete_acls(filters, request_timeout=TIMEOUT_S).values():
        future.result(timeout=TIMEOUT_S)


async def remove_access(
    bootstrap: str, auth: KafkaAuth, namespace: str, departments: Iterable[str]
) -> None:
    """Delete a namespace's ACLs (tests clean up after themselves); users stay."""
    await asyncio.to_thread(_remove, bootstrap, auth, namespace, sorted(set(departments)))
