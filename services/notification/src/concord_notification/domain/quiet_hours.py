"""Quiet hours: non-urgent notices to citizens are held through the night, sent after."""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class QuietHours:
    start: time  # local time the quiet begins, e.g. 22:00
    end: time  # local time it ends, e.g. 08:00 (may be on the next day)
    timezone: ZoneInfo

    @classmethod
    def parse(cls, start: str, end: str, timezone: str) -> "QuietHours":
        return cls(time.fromisoformat(start), time.fromisoformat(end), ZoneInfo(timezone))

    def is_quiet(self, now: datetime) -> bool:
        local = now.astimezone(self.timezone).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def release_at(self, now: datetime) -> datetime:
        """When a notice held at `now` may go: the end of the current quiet period (UTC);
        `now` itself if it is not quiet."""
        if not self.is_quiet(now):
            return now
        local = now.astimezone(self.timezone)
        release = datetime.combine(local.date(), self.end, tzinfo=self.timezone)
        if release <= local:
            release += timedelta(days=1)
        return release.astimezone(UTC)
