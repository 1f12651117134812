"""Deadlines of a case: which apply (per kind, level and severity), when they warn and fall
due, how a pause shifts them, and which timers are due now.

A timer is plain data kept on the case document, so it survives restarts and every instance
sees the same one; whichever instance first flips its flag in the store fires it.
"""

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from concord_shared.calendar import DAY_S, WorkingCalendar
from concord_shared.enums import CaseKind, Level, Severity
from pydantic import BaseModel, ConfigDict, field_validator

Unit = Literal["working", "calendar"]
_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(wd|d|h)\s*$")


@dataclass(frozen=True)
class Span:
    """A length of time: working days (`15wd`), calendar days (`30d`) or hours (`4h`)."""

    seconds: float
    unit: Unit

    @classmethod
    def parse(cls, text: str) -> "Span":
        match = _SPAN.match(text)
        if not match:
            raise ValueError(f"not a span like 15wd, 30d or 4h: {text!r}")
        amount, suffix = float(match.group(1)), match.group(2)
        if suffix == "h":
            return cls(amount * 3600, "calendar")
        return cls(amount * DAY_S, "working" if suffix == "wd" else "calendar")


class DeadlineRule(BaseModel):
    """Spans for cases matching kind, level and severity (None matches any)."""

    model_config = ConfigDict(frozen=True)

    kind: CaseKind | None = None
    level: Level | None = None
    severity: Severity | None = None
    acceptance: str
    handling: str

    @field_validator("acceptance", "handling")
    @classmethod
    def _span(cls, value: str) -> str:
        Span.parse(value)
        return value

    def matches(self, kind: CaseKind, level: Level, severity: Severity) -> bool:
        return (
            (self.kind is None or self.kind == kind)
            and (self.level is None or self.level == level)
            and (self.severity is None or self.severity == severity)
        )

    @property
    def specificity(self) -> int:
        return sum(x is not None for x in (self.kind, self.level, self.severity))


@dataclass(frozen=True)
class Timer:
    name: str  # acceptance | handling
    unit: Unit
    started_at: datetime
    due_at: datetime
    warn_at: datetime
    warned: bool = False
    breached: bool = False
    active: bool = True
    paused_at: datetime | None = None
    extended: bool = False

    def to_doc(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> "Timer":
        fields: dict[str, Any] = {k: doc[k] for k in cls.__dataclass_fields__ if k in doc}
        return cls(**fields)

    def next_fire_at(self) -> datetime | None:
        if not self.active or self.paused_at is not None:
            return None
        if not self.warned:
            return self.warn_at
        if not self.breached:
            return self.due_at
        return None


@dataclass(frozen=True)
class DeadlinePolicy:
    rules: tuple[DeadlineRule, ...]
    calendar: WorkingCalendar
    warn_share: float = 0.8
    extension_max: Span = Span(30 * DAY_S, "working")
    review_window: Span = Span(30 * DAY_S, "calendar")

    def spans(self, kind: CaseKind, level: Level, severity: Severity) -> tuple[Span, Span]:
        """(acceptance, handling) of the most specific matching rule; later rules win ties."""
        best: DeadlineRule | None = None
        for rule in self.rules:
            if rule.matches(kind, level, severity) and (
                best is None or rule.specificity >= best.specificity
            ):
                best = rule
        if best is None:
            raise ValueError(f"no deadline rule for {kind}/{level}/{severity}")
        return Span.parse(best.acceptance), Span.parse(best.handling)

    def _add(self, unit: Unit, start: datetime, seconds: float) -> datetime:
        if unit == "working":
            return self.calendar.add_working_time(start, seconds)
        return start + timedelta(seconds=seconds)

    def _between(self, unit: Unit, start: datetime, end: datetime) -> float:
        if unit == "working":
            return self.calendar.working_time_between(start, end)
        return max(0.0, (end - start).total_seconds())

    def start(self, name: str, span: Span, at: datetime) -> Timer:
        return Timer(
            name=name,
            unit=span.unit,
            started_at=at,
            due_at=self._add(span.unit, at, span.seconds),
            warn_at=self._add(span.unit, at, span.seconds * self.warn_share),
        )

    def pause(self, timer: Timer, at: datetime) -> Timer:
        if not timer.active or timer.paused_at is not None:
            return timer
        return replace(timer, paused_at=at)

    def resume(self, timer: Timer, at: datetime) -> Timer:
        """The time left when the clock paused is left again from `at`."""
        if timer.paused_at is None:
            return timer
        paused = timer.paused_at

        def shifted(moment: datetime) -> datetime:
            return self._add(timer.unit, at, self._between(timer.unit, paused, moment))

        return replace(
            timer,
            paused_at=None,
            due_at=shifted(timer.due_at),
            warn_at=timer.warn_at if timer.warned else shifted(timer.warn_at),
        )

    def extend(self, timer: Timer, span: Span, now: datetime) -> Timer:
        """The one extension: the due time moves by `span` (at most `extension_max`), and the
        warning is given again at the same share of the new length if it is still ahead."""
        if timer.extended:
            raise ValueError("the deadline was extended before; only one extension is allowed")
        if span.unit != self.extension_max.unit or span.seconds > self.extension_max.seconds:
            raise ValueError("the extension is longer than allowed")
        due = self._add(timer.unit, timer.due_at, span.seconds)
        total = self._between(timer.unit, timer.started_at, due)
        warn = self._add(timer.unit, timer.started_at, total * self.warn_share)
        return replace(
            timer,
            due_at=due,
            warn_at=warn,
            extended=True,
            warned=timer.warned and warn <= now,
            breached=False,
        )

    def share_elapsed(self, timer: Timer, now: datetime) -> float:
        total = self._between(timer.unit, timer.started_at, timer.due_at)
        done = self._between(timer.unit, timer.started_at, now)
        return round(done / total, 3) if total else 1.0


def due_alarms(timer: Timer, now: datetime) -> list[Literal["warning", "breach"]]:
    """What this timer has to say at `now` that it has not said yet."""
    if not timer.active or timer.paused_at is not None:
        return []
    alarms: list[Literal["warning", "breach"]] = []
    if not timer.warned and timer.warn_at <= now:
        alarms.append("warning")
    if not timer.breached and timer.due_at <= now:
        alarms.append("breach")
    return alarms


def next_fire_at(timers: list[Timer]) -> datetime | None:
    moments = [m for m in (t.next_fire_at() for t in timers) if m is not None]
    return min(moments) if moments else None


def default_rules(
    acceptance_days: int, handling_days: int, warning_hours: int
) -> list[DeadlineRule]:
    """After the 2022 Regulations on Letters and Visits; high-severity early warnings: hours."""
    return [
        DeadlineRule(acceptance=f"{acceptance_days}wd", handling=f"{handling_days}wd"),
        DeadlineRule(
            kind=CaseKind.EARLY_WARNING,
            severity=Severity.HIGH,
            acceptance=f"{warning_hours}h",
            handling=f"{warning_hours * 6}h",
        ),
    ]


def local_due(policy: DeadlinePolicy, moment: datetime) -> str:
    """A due time as a notice gives it: the platform's local date and time of day (a
    four-hour deadline is not a date), e.g. 2026-12-03 15:30."""
    return moment.astimezone(policy.calendar.tz).strftime("%Y-%m-%d %H:%M")
