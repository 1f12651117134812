"""The star rating of a platform for a period, and the "four decreases" of an area.

See services/mediation/README.md for the formula; weights and thresholds are configuration.
"""

from typing import Any

from concord_shared import rating_defaults
from pydantic import BaseModel, ConfigDict, Field, model_validator

# Rates where more is better, and rates where less is better (scored as 1 - rate).
GOOD_RATES = (
    "response_rate",
    "on_time_acceptance_rate",
    "resolution_rate",
    "satisfaction_rate",
    "local_resolution_rate",
)
BAD_RATES = ("repeat_rate", "escalation_rate")


# Each rate as (the count it shares, the count it is a share of). A case still inside its
# deadline is in neither count of a rate about that deadline.
RATE_PARTS: dict[str, tuple[str, str]] = {
    "response_rate": ("responded", "decision_due"),
    "on_time_acceptance_rate": ("accepted_on_time", "decision_due"),
    "resolution_rate": ("resolved", "resolution_due"),
    "satisfaction_rate": ("satisfied", "feedback"),
    "repeat_rate": ("repeats", "cases"),
    "escalation_rate": ("escalated", "cases"),
    "local_resolution_rate": ("resolved_here", "resolved"),
}


class PlatformFigures(BaseModel):
    """Counts for the cases first received at one platform in one period."""

    platform: str
    period: str
    cases: int = 0
    # Cases whose acceptance was decided or is overdue (or that went up undecided), and
    # accepted cases resolved, closed or overdue: what the rates are measured on.
    decision_due: int = 0
    resolution_due: int = 0
    responded: int = 0  # an acceptance decision was made
    accepted_on_time: int = 0  # the decision came before the acceptance deadline
    accepted: int = 0
    resolved: int = 0  # at any level
    resolved_here: int = 0  # at the platform itself
    feedback: int = 0
    satisfied: int = 0
    repeats: int = 0
    escalated: int = 0

    def rates(self) -> dict[str, float | None]:
        def share(part: int, whole: int) -> float | None:
            return round(part / whole, 4) if whole else None

        return {
            name: share(getattr(self, part), getattr(self, whole))
            for name, (part, whole) in RATE_PARTS.items()
        }


class RatingPolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    weights: dict[str, float] = Field(default_factory=lambda: dict(rating_defaults.WEIGHTS))
    # Minimum score for 5, 4, 3 and 2 stars; below the last: 1 star.
    thresholds: tuple[float, float, float, float] = rating_defaults.THRESHOLDS

    def describe(self) -> dict[str, Any]:
        """The policy in the terms of the API: formula, weights, star thresholds."""
        return {
            "formula": "score = 100 * sum(w_i * g_i) / sum(w_i), g_i = the rate, or 1 - the "
            "rate for the rates where lower is better; a rate with nothing behind it is left "
            "out with its weight; no rate at all: no score, 1 star",
            "weights": dict(self.weights),
            "rates": {name: f"{part} / {whole}" for name, (part, whole) in RATE_PARTS.items()},
            "lower_is_better": list(BAD_RATES),
            "thresholds": list(self.thresholds),
            "stars": {
                str(5 - i): f"score >= {threshold:g}" for i, threshold in enumerate(self.thresholds)
            }
            | {"1": f"score < {self.thresholds[-1]:g}"},
        }

    @model_validator(mode="after")
    def _check(self) -> "RatingPolicy":
        unknown = set(self.weights) - set(GOOD_RATES) - set(BAD_RATES)
        if unknown:
            raise ValueError(f"unknown rates in weights: {sorted(unknown)}")
        if any(w < 0 for w in self.weights.values()) or not sum(self.weights.values()):
            raise ValueError("weights must be non-negative and not all zero")
        if list(self.thresholds) != sorted(self.thresholds, reverse=True):
            raise ValueError("thresholds must be descending")
        return self


class Rating(BaseModel):
    platform: str
    period: str
    stars: int
    score: float | None
    rates: dict[str, float | None]
    inputs: PlatformFigures


def rate(figures: PlatformFigures, policy: RatingPolicy) -> Rating:
    """Score = 100 x the weighted mean of the rates (1 - rate for repeat and escalation);
    a rate without cases behind it (say no feedback yet) is left out and the other weights
    count for it. Stars from the thresholds; 1 star when nothing could be measured."""
    rates = figures.rates()
    total_weight = 0.0
    weighted = 0.0
    for name, weight in policy.weights.items():
        value = rates[name]
        if value is None or weight == 0:
            continue
        goodness = 1 - value if name in BAD_RATES else value
        weighted += weight * goodness
        total_weight += weight
    score = round(100 * weighted / total_weight, 2) if total_weight else None
    stars = 1
    if score is not None:
        for index, threshold in enumerate(policy.thresholds):
            if score >= threshold:
                stars = 5 - index
                break
    return Rating(
        platform=figures.platform,
        period=figures.period,
        stars=stars,
        score=score,
        rates=rates,
        inputs=figures,
    )


class Decrease(BaseModel):
    current: int
    previous: int
    change: int
    change_rate: float | None  # relative to the previous period; None when that was 0
    decreased: bool


def four_decreases(
    current: dict[str, int], previous: dict[str, int], names: tuple[str, ...]
) -> dict[str, Decrease]:
    """Each of `names` (counts of cases) against the previous period."""
    result = {}
    for name in names:
        now, before = current.get(name, 0), previous.get(name, 0)
        result[name] = Decrease(
            current=now,
            previous=before,
            change=now - before,
            change_rate=round((now - before) / before, 4) if before else None,
            decreased=now < before,
        )
    return result
