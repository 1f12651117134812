"""Where "now" comes from: the system clock, or a file an operator or a test controls.

One clock for every service. A file clock holds an ISO time with its zone; while the file is
absent or empty it is the system clock. Read on every call, so whoever writes the file moves
time for every instance that reads it. Two ways to move on from the time written:
- standing (mediation): now *is* the time written until the file changes, so a test or a
  drill sets the moment a deadline is checked exactly;
- running (notification): the time written is "now" at the moment the file was written, and
  time runs on at real speed from there, so retries and holds still come due (a time
  without a zone is UTC here; a standing clock refuses one).
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from concord_shared.envelope import utcnow


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return utcnow()


class FileClock:
    def __init__(self, path: Path, *, runs: bool = False) -> None:
        self._path = path
        self._runs = runs

    def now(self) -> datetime:
        try:
            text = self._path.read_text().strip()
            written = self._path.stat().st_mtime
        except FileNotFoundError:
            return utcnow()
        if not text:
            return utcnow()
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            if not self._runs:  # a deadline checked at a moment must say whose moment
                raise ValueError(f"clock file {self._path} needs a time zone: {text!r}")
            moment = moment.replace(tzinfo=UTC)  # a running clock's naive time: UTC
        if self._runs:
            moment += max(timedelta(0), utcnow() - datetime.fromtimestamp(written, UTC))
        # Milliseconds, as the store keeps times: a time read back equals the one written.
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def clock_for(path: Path | None, *, runs: bool = False) -> Clock:
    """The file clock when a file is configured (CONCORD_<SERVICE>_CLOCK_FILE), else the
    system's."""
    return FileClock(path, runs=runs) if path is not None else SystemClock()
