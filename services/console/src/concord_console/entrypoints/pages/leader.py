"""The leader's page: how the platforms at and below the leader's are rated this month and
why, six months of trend, the "four decreases" of the leader's area, and the open cases that
are major or past their deadline.

Everything comes from mediation with the key of the leader's scope (a staff key of the
leader's platform: it reads aggregates, and the cases of the platforms below without
minutes). The console computes no rating: it shows mediation's stars, scores, rates and the
counts behind them, and adds up counts only for the trend's total.
"""

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from concord_shared import rating_defaults
from concord_shared.enums import CaseStatus, Severity
from concord_shared.registry import Platform
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from concord_console.domain.charts import bar_chart, line_chart
from concord_console.domain.deadlines import Urgency, urgency
from concord_console.domain.texts import LOCAL_TIME, Texts
from concord_console.domain.users import Role, User
from concord_console.entrypoints.web import Console, language_texts, signed_in

TREND_MONTHS = 6
MAJOR_CASES_SHOWN = 20
MAX_FLAGGED = "1000"  # the largest page mediation gives
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

# Each rate of the rating and the two counts it is made of, in the order of the table:
# mediation's PlatformFigures.rates() (services/mediation/src/concord_mediation/domain/rating.py).
RATES: tuple[tuple[str, str, str], ...] = (
    ("response_rate", "responded", "decision_due"),
    ("on_time_acceptance_rate", "accepted_on_time", "decision_due"),
    ("resolution_rate", "resolved", "resolution_due"),
    ("satisfaction_rate", "satisfied", "feedback"),
    ("repeat_rate", "repeats", "cases"),
    ("escalation_rate", "escalated", "cases"),
    ("local_resolution_rate", "resolved_here", "resolved"),
)
# Lower is better for these: the score counts 1 - rate.
LOWER_IS_BETTER = frozenset({"repeat_rate", "escalation_rate"})
# The weights and thresholds come with every rating (its `policy`: mediation's RatingPolicy,
# configurable there); these are mediation's defaults, for a month nothing was rated in.
# `policy_holds` checks every score against the weights the page states.
WEIGHTS, THRESHOLDS = rating_defaults.WEIGHTS, rating_defaults.THRESHOLDS
# The four decreases, then the escalated cases shown beside them (mediation's `also`).
DECREASES = ("total", "collective", "repeat", "non_reception_place", "escalated")


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> "Month":
        found = _MONTH.match(text)
        if not found:
            raise ValueError(text)
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def of(cls, moment: datetime) -> "Month":
        local = moment.astimezone(LOCAL_TIME)
        return cls(local.year, local.month)

    def plus(self, months: int) -> "Month":
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"

    def words(self, t: Texts) -> str:
        return t("leader.month", year=self.year, month=self.month)


def number(value: float | None) -> str:
    """At most two decimals, no trailing zeros: 87.5, 100, 66.67."""
    if value is None:
        return "—"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{number(rate * 100)}%"


def score_of(rates: dict[str, float | None], weights: dict[str, float]) -> float | None:
    """Mediation's formula (domain/rating.py, rate()) with the given weights."""
    weighted = total = 0.0
    for name, weight in weights.items():
        value = rates.get(name)
        if value is None or weight == 0:
            continue
        weighted += weight * (1 - value if name in LOWER_IS_BETTER else value)
        total += weight
    return round(100 * weighted / total, 2) if total else None


def policy_of(ratings: list[dict[str, Any]]) -> tuple[dict[str, float], tuple[float, ...]]:
    """The weights and star thresholds mediation rated with (the defaults if none)."""
    policy = next((r["policy"] for r in ratings if r.get("policy")), None)
    if policy is None:
        return WEIGHTS, THRESHOLDS
    return dict(policy["weights"]), tuple(policy["thresholds"])


def policy_holds(ratings: list[dict[str, Any]], weights: dict[str, float]) -> bool:
    """Whether every score mediation gave is the one the stated weights give."""
    for r in ratings:
        expected = score_of(r.get("rates") or {}, weights)
        given = r.get("score")
        if expected is None or given is None:
            if expected is not given:
                return False
        elif abs(expected - float(given)) > 0.011:
            return False
    return True


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def trend_row(month: Month, ratings: list[dict[str, Any]]) -> dict[str, Any]:
    """One month's counts added up over the platforms, and the two rates of the sums (the
    same parts and wholes as mediation's rates)."""
    sums = {
        name: sum(int(r["inputs"].get(name, 0)) for r in ratings)
        for name in ("cases", "accepted_on_time", "feedback", "satisfied")
    }
    return {
        "month": month,
        **sums,
        "on_time": ratio(sums["accepted_on_time"], sums["cases"]),
        "satisfaction": ratio(sums["satisfied"], sums["feedback"]),
    }


def open_timers(case: dict[str, Any]) -> list[tuple[str, datetime, bool]]:
    """A case's running deadlines: (name, due, passed)."""
    found = []
    for name, timer in (case.get("deadlines") or {}).items():
        if not isinstance(timer, dict) or not timer.get("active") or timer.get("paused_at"):
            continue
        due = datetime.fromisoformat(str(timer["due_at"]))
        found.append((str(timer.get("name") or name), due, bool(timer.get("breached"))))
    return found


def major_entry(case: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    """An open case that is high severity or past a deadline, as the list shows it."""
    if case.get("status") == CaseStatus.CLOSED:
        return None
    timers = sorted(open_timers(case), key=lambda timer: timer[1])
    passed = any(breached or due <= now for _, due, breached in timers)
    high = case.get("severity") == Severity.HIGH
    if not (high or passed):
        return None
    name, due = (timers[0][0], timers[0][1]) if timers else (None, None)
    return {
        "case": case,
        "high": high,
        "passed": passed,
        "deadline": name,
        "due": due,
        "urgency": Urgency.BREACHED if passed else urgency(due, now),
    }


def below(console: Console, platform: str) -> list[Platform]:
    """The leader's platform and the platforms under it, in the registry's order."""
    registry = console.registry
    return [p for p in registry.platforms if registry.is_at_or_below(p.code, platform)]


def leader_router(console: Console) -> APIRouter:
    router = APIRouter(prefix="/leader")
    Leader = Annotated[User, Depends(signed_in(console, Role.LEADER))]

    @router.get("")
    async def overview(request: Request, user: Leader, period: str | None = None) -> Response:
        t = language_texts(request, console.registry)
        now = console.now()
        current = Month.of(now)
        try:
            month = Month.parse(period) if period else current
        except ValueError:
            return console.render(
                request,
                "error.html",
                422,
                message=t("leader.bad_period"),
            )
        key = console.key(user, "mediation")
        mediation = console.backends.mediation
        platform = console.registry.platforms_by_code.get(user.platform or "")
        if platform is None:
            return console.render(request, "error.html", 403, message=t("error.forbidden"))
        platforms = below(console, platform.code)
        codes = {p.code for p in platforms}
        months = [month.plus(i - TREND_MONTHS + 1) for i in range(TREND_MONTHS)]

        async def ratings(m: Month) -> list[dict[str, Any]]:
            found = await mediation.call("GET", "/ratings", key, params={"period": str(m)})
            return [r for r in found if r["platform"] in codes]

        async def decreases(area: str) -> dict[str, Any]:
            found: dict[str, Any] = await mediation.call(
                "GET",
                "/indicators/four-decreases",
                key,
                params={"area": area, "period": str(month)},
            )
            return found

        async def attention() -> list[dict[str, Any]]:
            """Open cases of the platform and those below it that are high severity or
            past a running deadline: one call for the whole county, a page as large as
            mediation gives, since they are shown most urgent first, not newest first."""
            found: list[dict[str, Any]] = await mediation.call(
                "GET",
                f"/platforms/{platform.code}/cases",
                key,
                params={"include_below": "true", "attention": "true", "limit": MAX_FLAGGED},
            )
            return found

        # Every call at once: six months of ratings, the area's decreases, the attention list.
        by_month, by_area, flagged = await asyncio.gather(
            asyncio.gather(*(ratings(m) for m in months)),
            asyncio.gather(*(decreases(a) for a in platform.area_codes)),
            attention(),
        )
        this_month = {r["platform"]: r for r in by_month[-1]}
        trend = [trend_row(m, found) for m, found in zip(months, by_month, strict=True)]
        labels = [m.words(t) for m in months]
        majors = [entry for case in flagged if (entry := major_entry(case, now)) is not None]
        weights, thresholds = policy_of(list(this_month.values()))
        majors.sort(
            key=lambda e: (not e["passed"], not e["high"], e["due"] or now.replace(year=9999))
        )
        return console.render(
            request,
            "leader/overview.html",
            platform=platform,
            month=month,
            previous_month=month.plus(-1),
            next_month=month.plus(1) if month != current else None,
            rows=[(p, this_month[p.code]) for p in platforms if p.code in this_month],
            unrated=[p for p in platforms if p.code not in this_month],
            rates=RATES,
            weights=weights,
            thresholds=thresholds,
            lower_is_better=LOWER_IS_BETTER,
            policy_holds=policy_holds(list(this_month.values()), weights),
            trend=trend,
            trend_cases_desc=t("leader.list_sep").join(
                t("leader.desc_cases", month=label, count=row["cases"])
                for label, row in zip(labels, trend, strict=True)
            ),
            trend_rates_desc=t("leader.list_sep").join(
                t(
                    "leader.desc_rates",
                    month=label,
                    on_time=percent(row["on_time"]),
                    satisfaction=percent(row["satisfaction"]),
                )
                for label, row in zip(labels, trend, strict=True)
            ),
            cases_chart=bar_chart(labels, [row["cases"] for row in trend]),
            rates_chart=line_chart(
                labels,
                [
                    ("on_time", [pct(row["on_time"]) for row in trend]),
                    ("satisfaction", [pct(row["satisfaction"]) for row in trend]),
                ],
                top=100,
            ),
            decreases=by_area,
            indicators=DECREASES,
            majors=majors[:MAJOR_CASES_SHOWN],
            more_majors=max(0, len(majors) - MAJOR_CASES_SHOWN),
            number=number,
            percent=percent,
        )

    return router


def pct(rate: float | None) -> float | None:
    return None if rate is None else rate * 100
