"""What time it is, as the dispatcher sees it: real time, or a time set in a file, so quiet
hours can be tested (and drilled) without waiting for the night."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from concord_shared.envelope import utcnow


class Clock(Protocol):
    def __call__(self) -> datetime: ...


class FileClock:
    """The file holds an ISO time (naive means UTC): "it was this time when the file was
    written". From then on the clock runs at real speed, so retries still come due. Real
    time while the file is absent or empty."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def __call__(self) -> datetime:
        try:
            text = self._path.read_text().strip()
            written = self._path.stat().st_mtime
        except FileNotFoundError:
            return utcnow()
        if not text:
            return utcnow()
        moment = datetime.fromisoformat(text)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        elapsed = max(timedelta(0), utcnow() - datetime.fromtimestamp(written, UTC))
        now = moment + elapsed
        return now.replace(microsecond=now.microsecond // 1000 * 1000)


def clock_for(path: Path | None) -> Clock:
    return FileClock(path) if path is not None else utcnow
