"""Where "now" comes from: the system clock, or a file an operator or a test controls."""

from datetime import datetime
from pathlib import Path
from typing import Protocol

from concord_shared.envelope import utcnow


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return utcnow()


class FileClock:
    """Now is the ISO time written in a file; the system clock while the file is absent or
    empty. Read on every call, so whoever writes the file moves time for every instance."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def now(self) -> datetime:
        try:
            text = self._path.read_text().strip()
        except FileNotFoundError:
            text = ""
        if not text:
            return utcnow()
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise ValueError(f"clock file {self._path} needs a time zone: {text!r}")
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
