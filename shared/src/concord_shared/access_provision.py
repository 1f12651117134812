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
    return report


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
