"""Who publishes which events on which topic, and who subscribes: the map the AsyncAPI
document, the ACLs and the Helm chart are generated from, and what each service's consumers
subscribe to (`lanes`). A subscription is declared here once."""

from collections.abc import Iterable
from dataclasses import dataclass

from concord_shared.topics import (
    CASE_EVENTS,
    FIXED_TOPICS,
    HORIZONTAL_REPLIES,
    INTAKE_SUBMISSIONS,
    INTERNAL_TASKS,
    NOTIFY_REQUESTS,
    VERTICAL_ASSIGN,
    VERTICAL_ESCALATE,
    TopicSpec,
    department_topic,
)

# Parties outside the four services.
DEPARTMENTS = "departments"  # department systems, one topic each
INTEGRATORS = "integrators"  # a 12345 hotline, a court system, an Open311 bridge
OPERATORS = "operators"  # people replaying dead letters
ANYONE_ENTITLED = "subscribers"  # dashboards, auditors, other systems granted the case log
DESKS = "desks"  # the desk applications of each platform (reception, mediation, ...)

DEPARTMENT_CHANNEL = "horizontal.{department}"
DEAD_LETTER_CHANNEL = "dlq.{service}"


@dataclass(frozen=True)
class Flow:
    channel: str  # a topic name without namespace, or a parameterised one
    events: tuple[str, ...]
    publishers: tuple[str, ...]
    subscribers: tuple[str, ...]


def _name(spec: TopicSpec) -> str:
    return spec.name


_FIXED = {t.name: t for t in FIXED_TOPICS}


FLOWS: tuple[Flow, ...] = (
    Flow(_name(INTAKE_SUBMISSIONS), ("SubmitCase",), (INTEGRATORS,), ("intake",)),
    Flow(_name(CASE_EVENTS), ("CaseReceived",), ("intake",), ("routing", ANYONE_ENTITLED)),
    Flow(
        _name(CASE_EVENTS),
        ("CaseRouted",),
        ("routing",),
        ("intake", "notification", ANYONE_ENTITLED),
    ),
    # Intake follows these into the citizen's public status (it reads nothing else of them).
    Flow(
        _name(CASE_EVENTS),
        ("MediationOpened", "CaseStatusChanged", "RepeatReviewed"),
        ("mediation",),
        ("intake", ANYONE_ENTITLED),
    ),
    Flow(
        _name(CASE_EVENTS),
        (
            "SessionScheduled",
            "AgreementReached",
            "MediationFailed",
            "ReviewRequested",
            "FeedbackReceived",
        ),
        ("mediation",),
        (ANYONE_ENTITLED,),
    ),
    # Notification passes these on to the case's departments that subscribed by webhook;
    # routing withdraws, on CaseClosed, what is still asked of departments.
    Flow(
        _name(CASE_EVENTS),
        ("CaseClosed",),
        ("mediation",),
        ("routing", "notification", ANYONE_ENTITLED),
    ),
    Flow(
        _name(CASE_EVENTS),
        ("CaseResolved", "DeadlineWarning", "DeadlineBreached"),
        ("mediation",),
        ("notification", ANYONE_ENTITLED),
    ),
    Flow(
        _name(CASE_EVENTS),
        ("NotificationDelivered", "NotificationFailed"),
        ("notification",),
        (ANYONE_ENTITLED,),
    ),
    Flow(_name(VERTICAL_ASSIGN), ("CaseAssigned",), ("routing",), ("mediation",)),
    Flow(_name(VERTICAL_ESCALATE), ("CaseEscalated",), ("mediation",), ("routing",)),
    # Notification passes requests, refusals and withdrawals on to the department's webhooks
    # (and a withdrawal takes back the reminder of the request).
    Flow(
        DEPARTMENT_CHANNEL,
        ("CoordinationRequested", "CoordinationReplyRefused", "CoordinationWithdrawn"),
        ("routing",),
        (DEPARTMENTS, "notification"),
    ),
    # Routing too: the department console's clerks reply over HTTP through routing, which
    # sends the very event a department system would (department from the key).
    Flow(
        _name(HORIZONTAL_REPLIES),
        ("CoordinationAccepted",),
        (DEPARTMENTS, "routing"),
        ("routing", "mediation"),
    ),
    # Notification: an answer or a decline takes back the reminder to answer.
    Flow(
        _name(HORIZONTAL_REPLIES),
        ("CoordinationDeclined", "CoordinationAnswered"),
        (DEPARTMENTS, "routing"),
        ("routing", "mediation", "notification"),
    ),
    Flow(
        _name(INTERNAL_TASKS),
        ("DeskTaskCreated", "DeskTaskCompleted"),
        ("routing", "mediation"),
        (DESKS,),
    ),
    Flow(_name(NOTIFY_REQUESTS), ("NotificationRequested",), ("mediation",), ("notification",)),
    Flow(
        DEAD_LETTER_CHANNEL,
        ("DeadLettered",),
        ("intake", "routing", "mediation", "notification"),
        (OPERATORS,),
    ),
)


# Topics a service reads with a consumer of their own (a lane), so that a backlog on the others
# never holds them up; the rest of what the service reads shares one lane.
OWN_LANES: dict[str, tuple[TopicSpec, ...]] = {
    "intake": (INTAKE_SUBMISSIONS,),  # new submissions never wait behind the case log
    "notification": (NOTIFY_REQUESTS,),  # what to tell whom never waits behind the case log
}


def subscribed_events(service: str) -> set[str]:
    return {e for f in FLOWS if service in f.subscribers for e in f.events}


def consumed_topics(service: str, departments: Iterable[str]) -> list[TopicSpec]:
    """The topics a service's consumer group reads, by name."""
    specs: dict[str, TopicSpec] = {}
    for flow in FLOWS:
        if service not in flow.subscribers:
            continue
        if flow.channel == DEPARTMENT_CHANNEL:
            specs.update((t.name, t) for t in map(department_topic, departments))
        else:
            specs[flow.channel] = _FIXED[flow.channel]
    return [specs[name] for name in sorted(specs)]


def lanes(service: str, departments: Iterable[str]) -> list[list[TopicSpec]]:
    """The service's consumers, each with the topics it reads (OWN_LANES first)."""
    topics = consumed_topics(service, departments)
    own = [t for t in OWN_LANES.get(service, ()) if t in topics]
    rest = [t for t in topics if t not in own]
    return [*([t] for t in own), *([rest] if rest else [])]
