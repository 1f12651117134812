"""A case's next state and the events it causes, gathered while the case's rules decide
(domain/case.py) and written as one update of the case document (adapters/updates.py)."""

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from concord_shared.enums import CaseStatus, Level
from concord_shared.envelope import EventPayload
from concord_shared.events import CaseStatusChanged
from concord_shared.topics import TopicSpec

from concord_mediation.domain.deadlines import Timer, next_fire_at
from concord_mediation.domain.stored_case import StoredCase


@dataclass
class Change:
    """A case's next state and the events it causes, not yet written."""

    doc: dict[str, Any]
    now: datetime
    sets: dict[str, Any] = field(default_factory=dict)
    push: dict[str, list[Any]] = field(default_factory=dict)
    unset: set[str] = field(default_factory=set)
    payloads: list[tuple[TopicSpec, EventPayload]] = field(default_factory=list)

    @cached_property
    def case(self) -> StoredCase:
        """The case as it was read, typed (what the rules look at; `sets` is what changes)."""
        return StoredCase.of(self.doc)

    @property
    def platform(self) -> str:
        return str(self.sets.get("platform", self.doc["platform"]))

    @property
    def status(self) -> CaseStatus:
        return CaseStatus(self.sets.get("status", self.doc["status"]))

    def timers(self) -> dict[str, Timer]:
        raw = self.sets.get("deadlines", self.doc.get("deadlines") or {})
        return {name: Timer.from_doc(t) for name, t in raw.items()}

    def set_timers(self, timers: dict[str, Timer]) -> None:
        self.sets["deadlines"] = {name: t.to_doc() for name, t in timers.items()}
        self.sets["next_timer_at"] = next_fire_at(list(timers.values()))

    def emit(self, topic: TopicSpec, payload: EventPayload) -> None:
        self.payloads.append((topic, payload))

    def events(self) -> list[tuple[TopicSpec, EventPayload]]:
        """The events, each status change stamped with where the case stands once written:
        its platform, level and the deadlines then running, so the citizen's status never
        lags."""
        after = self.result()
        stamp = standing(after)
        return [
            (topic, p.model_copy(update=stamp) if isinstance(p, CaseStatusChanged) else p)
            for topic, p in self.payloads
        ]

    def add(self, key: str, value: Any) -> None:
        self.push.setdefault(key, []).append(value)

    def record(self, action: str, by: str, reason: str | None, **more: Any) -> None:
        """A line of the case's history: what was done, by whom and why, and where the case
        stands after it (its status and platform with this change)."""
        self.add(
            "history",
            {
                "at": self.now,
                "action": action,
                **more,
                "status": self.status.value,
                "platform": self.platform,
                "by": by,
                "reason": reason,
            },
        )

    def result(self) -> dict[str, Any]:
        """The case document as it will be once the update is written (for its indexes)."""
        doc = {k: v for k, v in self.doc.items() if k not in self.unset}
        doc.update(self.sets)
        for key, values in self.push.items():
            doc[key] = [*doc.get(key, []), *values]
        return doc


def standing(doc: dict[str, Any]) -> dict[str, Any]:
    """A case's platform, level and the due times of its deadlines that run (not stopped
    or paused)."""

    def due(name: str) -> datetime | None:
        raw = (doc.get("deadlines") or {}).get(name)
        if raw is None:
            return None
        timer = Timer.from_doc(raw)
        return timer.due_at if timer.active and timer.paused_at is None else None

    return {
        "platform": doc["platform"],  # where it is once written (a review goes one level up)
        "level": Level(doc["level"]),
        "acceptance_due": due("acceptance"),
        "handling_due": due("handling"),
    }
