"""Every topic Concord uses, declared once: name, key, partitions, retention, cleanup.

Names are ``<namespace>.<name>``; the namespace is ``concord`` in production and a unique
value in tests, so a test run never reads another run's messages.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from concord_shared.letter_seal import DeadLetterSettings

DAY_MS = 24 * 60 * 60 * 1000
SERVICES = ("intake", "routing", "mediation", "notification")


@dataclass(frozen=True)
class TopicSpec:
    name: str  # without the namespace
    description: str
    partitions: int = 4
    retention_ms: int = 30 * DAY_MS
    cleanup_policy: str = "delete"
    key: str = "case_id"

    def full_name(self, namespace: str) -> str:
        return f"{namespace}.{self.name}"

    def config(self) -> dict[str, str]:
        return {"retention.ms": str(self.retention_ms), "cleanup.policy": self.cleanup_policy}


CASE_EVENTS = TopicSpec(
    "case.events",
    "The case log: every state change of a case, for anyone entitled to subscribe.",
    retention_ms=365 * DAY_MS,
)
INTAKE_SUBMISSIONS = TopicSpec(
    "intake.submissions", "Submissions from other systems (a 12345 hotline, a court)."
)
VERTICAL_ASSIGN = TopicSpec("vertical.assign", "Down: a case assigned or delegated to a platform.")
VERTICAL_ESCALATE = TopicSpec("vertical.escalate", "Up: a case escalated to the parent level.")
HORIZONTAL_REPLIES = TopicSpec(
    "horizontal.replies", "Departments' answers: accepted, declined (with reason), answered."
)
INTERNAL_TASKS = TopicSpec(
    "internal.tasks", "Hand-offs between the desks of one platform (carries the platform)."
)
NOTIFY_REQUESTS = TopicSpec("notify.requests", "What to tell whom.")

FIXED_TOPICS = (
    CASE_EVENTS,
    INTAKE_SUBMISSIONS,
    VERTICAL_ASSIGN,
    VERTICAL_ESCALATE,
    HORIZONTAL_REPLIES,
    INTERNAL_TASKS,
    NOTIFY_REQUESTS,
)


def department_topic(department: str) -> TopicSpec:
    """One topic per department, so access can be granted per topic."""
    return TopicSpec(
        f"horizontal.{department}",
        f"Coordination requests for department {department}.",
    )


def dead_letter_topic(service: str) -> TopicSpec:
    # Kept briefly: a letter holds a message that may carry personal data (sealed, but
    # still), and an operator replays it within days (CONCORD_DLQ_RETENTION_DAYS, default 7).
    return TopicSpec(
        f"dlq.{service}",
        f"Messages {service} could not process, with the reason and the original bytes "
        "(sealed: encrypted under the dead-letter key).",
        partitions=1,
        retention_ms=DeadLetterSettings().retention_days * DAY_MS,
    )


def all_topics(departments: Iterable[str]) -> list[TopicSpec]:
    return [
        *FIXED_TOPICS,
        *(department_topic(d) for d in departments),
        *(dead_letter_topic(s) for s in SERVICES),
    ]
