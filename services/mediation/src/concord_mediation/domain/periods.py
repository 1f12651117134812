"""Reporting periods: a month (`2026-11`) or a quarter (`2026-Q4`), in local time."""

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True)
class Period:
    year: int
    first_month: int
    months: int  # 1 or 3

    @classmethod
    def parse(cls, text: str) -> "Period":
        if m := _MONTH.match(text):
            return cls(int(m.group(1)), int(m.group(2)), 1)
        if m := _QUARTER.match(text):
            return cls(int(m.group(1)), (int(m.group(2)) - 1) * 3 + 1, 3)
        raise ValueError(f"a period is a month like 2026-11 or a quarter like 2026-Q4: {text!r}")

    def __str__(self) -> str:
        if self.months == 1:
            return f"{self.year}-{self.first_month:02d}"
        return f"{self.year}-Q{(self.first_month - 1) // 3 + 1}"

    def _month_start(self, offset: int, tz: tzinfo) -> datetime:
        index = self.year * 12 + self.first_month - 1 + offset
        return datetime(index // 12, index % 12 + 1, 1, tzinfo=tz)

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        return self._month_start(0, tz), self._month_start(self.months, tz)

    def previous(self) -> "Period":
        index = self.year * 12 + self.first_month - 1 - self.months
        return Period(index // 12, index % 12 + 1, self.months)

    def month_keys(self) -> list[str]:
        """The months of the period, as `2026-11`."""
        starts = (self.year * 12 + self.first_month - 1 + i for i in range(self.months))
        return [f"{index // 12}-{index % 12 + 1:02d}" for index in starts]
