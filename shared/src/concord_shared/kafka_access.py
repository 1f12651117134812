"""Who may do what on Concord's topics: the Kafka principals and their ACLs, derived from the
topic catalog (catalog.FLOWS), so a subscription or a publisher is declared once.

Deny by default: the broker runs the KRaft StandardAuthorizer with no ACL meaning no access.
- each service reads the topics it subscribes to and writes the ones it publishes on, and its
  own dead-letter topic; its consumer group is ``<namespace>.<service>``;
- a department reads only its own ``horizontal.<department>`` topic (groups named
  ``<namespace>.department.<department>.*``) and writes only to ``horizontal.replies``
  (where routing writes too: the replies department clerks give in the console);
- integrators write only to ``intake.submissions``; case-log subscribers read only the case
  log; the desks read only the internal tasks;
- operators read the dead letters and may replay one onto the topic it came from.
"""

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from concord_shared.catalog import (
    ANYONE_ENTITLED,
    DEAD_LETTER_CHANNEL,
    DEPARTMENT_CHANNEL,
    DEPARTMENTS,
    DESKS,
    FLOWS,
    INTEGRATORS,
    OPERATORS,
)
from concord_shared.topics import (
    SERVICES,
    dead_letter_topic,
    department_topic,
)

ADMIN = "concord-admin"  # the broker's super user: provisioning only
INTEGRATION = "concord-integration"
OPERATOR = "concord-operator"
SUBSCRIBER = "concord-subscriber"
DESK = "concord-desks"
# The broker's own login on its controller listener (SASL/PLAIN: KRaft controllers cannot
# verify SCRAM, whose credentials live in the metadata they serve).
CONTROLLER = "concord-controller"

Operation = Literal["READ", "WRITE", "CREATE", "ALTER", "DESCRIBE_CONFIGS", "ALTER_CONFIGS"]
ResourceKind = Literal["TOPIC", "GROUP"]
Pattern = Literal["LITERAL", "PREFIXED"]


def service_principal(service: str) -> str:
    return f"concord-{service}"


def department_principal(department: str) -> str:
    # Hyphens, not the code's underscores: on Kubernetes a principal is the name of its
    # Strimzi KafkaUser, which must be a DNS name.
    return f"department-{department.replace('_', '-')}"


def department_group_prefix(namespace: str, department: str) -> str:
    return f"{namespace}.department.{department}."


@dataclass(frozen=True, order=True)
class Grant:
    """One ACL: ``principal`` may (ALLOW) or may not (DENY, which wins) ``operation``."""

    principal: str  # without "User:"
    kind: ResourceKind
    name: str
    pattern: Pattern
    operation: Operation
    permission: Literal["ALLOW", "DENY"] = "ALLOW"


def principals(departments: Iterable[str]) -> list[str]:
    """Every principal Concord's provisioning creates (the admin exists from the start)."""
    return [
        *(service_principal(s) for s in SERVICES),
        *(department_principal(d) for d in departments),
        INTEGRATION,
        OPERATOR,
        SUBSCRIBER,
        DESK,
    ]


def _holders(party: str, departments: list[str]) -> list[str]:
    if party in SERVICES:
        return [service_principal(party)]
    return {
        INTEGRATORS: [INTEGRATION],
        ANYONE_ENTITLED: [SUBSCRIBER],
        DESKS: [DESK],
        OPERATORS: [OPERATOR],
        DEPARTMENTS: [],  # per department, below: each only its own topic
    }[party]


def grants(namespace: str, departments: Iterable[str]) -> list[Grant]:
    """The whole ACL set for one namespace, sorted and without duplicates."""
    depts = sorted(set(departments))
    out: set[Grant] = set()

    def topic(principal: str, name: str, op: Operation) -> None:
        out.add(Grant(principal, "TOPIC", f"{namespace}.{name}", "LITERAL", op))

    for flow in FLOWS:
        if flow.channel == DEAD_LETTER_CHANNEL:
            for service in flow.publishers:
                topic(service_principal(service), dead_letter_topic(service).name, "WRITE")
            for service in SERVICES:
                topic(OPERATOR, dead_letter_topic(service).name, "READ")
            continue
        names = (
            [department_topic(d).name for d in depts]
            if flow.channel == DEPARTMENT_CHANNEL
            else [flow.channel]
        )
        for name in names:
            for party in flow.publishers:
                for principal in _holders(party, depts):
                    topic(principal, name, "WRITE")
            for party in flow.subscribers:
                for principal in _holders(party, depts):
                    topic(principal, name, "READ")
                if party in SERVICES:
                    # A dead letter from this topic may be replayed onto it by an operator.
                    topic(OPERATOR, name, "WRITE")
        if DEPARTMENTS in flow.subscribers and flow.channel == DEPARTMENT_CHANNEL:
            for d in depts:
                topic(department_principal(d), department_topic(d).name, "READ")
        if DEPARTMENTS in flow.publishers:
            for d in depts:
                for name in names:
                    topic(department_principal(d), name, "WRITE")

    # Routing creates a department's topic when the registry gains one at runtime and
    # writes its requests there at once. The replies topic under the same prefix it may
    # write as well: it publishes the console's replies there (catalog.FLOWS).
    routing = service_principal("routing")
    horizontal = f"{namespace}.horizontal."
    creating: tuple[Operation, ...] = (
        "CREATE",
        "ALTER",
        "DESCRIBE_CONFIGS",
        "ALTER_CONFIGS",
        "WRITE",
    )
    for op in creating:
        out.add(Grant(routing, "TOPIC", horizontal, "PREFIXED", op))

    for service in SERVICES:
        group = f"{namespace}.{service}"
        out.add(Grant(service_principal(service), "GROUP", group, "LITERAL", "READ"))
    for d in depts:
        out.add(
            Grant(
                department_principal(d),
                "GROUP",
                department_group_prefix(namespace, d),
                "PREFIXED",
                "READ",
            )
        )
    for principal, group in (
        (SUBSCRIBER, "subscriber."),
        (DESK, "desks."),
        (OPERATOR, "operator."),
    ):
        out.add(Grant(principal, "GROUP", f"{namespace}.{group}", "PREFIXED", "READ"))
    return sorted(out)


def local_password(secret: str, principal: str) -> str:
    """A principal's password on a developer's machine: derived from the one random secret
    that deploy/local/stack.sh keeps in the state folder (mode 0600), so every script and
    test finds any principal's password without a file of passwords to keep in step."""
    return hmac.new(secret.encode(), principal.encode(), hashlib.sha256).hexdigest()
