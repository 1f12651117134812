"""Working-day calendars: public holidays and make-up working days (调休), loaded from data.

Working time: every working day counts whole (24 hours, in the calendar's own time zone);
holidays and weekends that are not make-up days count nothing. "15 working days from 10:00
on a Friday" is therefore 10:00 on the 15th working day after that Friday.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path

import yaml

from concord_shared.paths import SAMPLE

DAY_S = 86400.0
DEFAULT_CALENDARS = [SAMPLE / "calendar-cn-2026.yaml"]
_MAX_DAYS = 3660  # no deadline walks further than ten years


@dataclass(frozen=True)
class WorkingCalendar:
    name: str
    tz: tzinfo
    holidays: frozenset[date] = frozenset()
    make_up_days: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        if day in self.make_up_days:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def _midnight_after(self, moment: datetime) -> datetime:
        local = moment.astimezone(self.tz)
        return datetime.combine(local.date() + timedelta(days=1), time(0), self.tz)

    def add_working_time(self, start: datetime, seconds: float) -> datetime:
        """The moment when `seconds` of working time have passed after `start`."""
        remaining = seconds
        moment = start.astimezone(self.tz)
        if remaining <= 0:
            return start.astimezone(UTC)
        for _ in range(_MAX_DAYS):
            midnight = self._midnight_after(moment)
            if self.is_working_day(moment.date()):
                available = (midnight - moment).total_seconds()
                if remaining <= available:
                    return (moment + timedelta(seconds=remaining)).astimezone(UTC)
                remaining -= available
            moment = midnight
        raise ValueError("deadline too far in the future")

    def add_working_days(self, start: datetime, days: float) -> datetime:
        return self.add_working_time(start, days * DAY_S)

    def working_day_after(self, start: datetime, days: int) -> date:
        """The `days`-th working day after the (local) day of `start`: an answer asked for
        within `days` working days is due by the end of it."""
        day = start.astimezone(self.tz).date()
        counted = 0
        for _ in range(_MAX_DAYS):
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
                if counted >= days:
                    return day
        raise ValueError("deadline too far in the future")

    def working_time_between(self, start: datetime, end: datetime) -> float:
        """Seconds of working time in [start, end); 0 when end is not after start."""
        total = 0.0
        moment = start.astimezone(self.tz)
        end = end.astimezone(self.tz)
        for _ in range(_MAX_DAYS):
            if moment >= end:
                return total
            midnight = min(self._midnight_after(moment), end)
            if self.is_working_day(moment.date()):
                total += (midnight - moment).total_seconds()
            moment = midnight
        raise ValueError("interval too long")


def _dates(entry: object) -> list[date]:
    if isinstance(entry, date):
        return [entry]
    if isinstance(entry, dict):
        first, last = entry["from"], entry.get("to", entry["from"])
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]
    raise ValueError(f"not a date or a date range: {entry!r}")


def load_calendar(*paths: Path | str) -> WorkingCalendar:
    """One calendar from one or more YAML files (say one per year); the first names it."""
    name, offset = "weekdays", 8.0
    holidays: set[date] = set()
    make_up: set[date] = set()
    for index, path in enumerate(paths):
        with Path(path).open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
        if index == 0:
            name = data.get("name", name)
            offset = float(data.get("utc_offset_hours", offset))
        for entry in data.get("holidays", []):
            holidays.update(_dates(entry))
        for entry in data.get("make_up_working_days", []):
            make_up.update(_dates(entry))
    overlap = holidays & make_up
    if overlap:
        raise ValueError(f"days both holiday and make-up day: {sorted(overlap)}")
    return WorkingCalendar(
        name, timezone(timedelta(hours=offset)), frozenset(holidays), frozenset(make_up)
    )
