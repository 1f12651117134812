"""The rating's default policy, one place for the two that show it: mediation scores with it
(domain/rating.py's RatingPolicy, configurable there) and the console states it for a month
nothing was rated in (every rating carries the policy it was scored with)."""

# Each rate's weight in a platform's score.
WEIGHTS: dict[str, float] = {
    "response_rate": 0.10,
    "on_time_acceptance_rate": 0.15,
    "resolution_rate": 0.20,
    "satisfaction_rate": 0.20,
    "repeat_rate": 0.10,
    "escalation_rate": 0.10,
    "local_resolution_rate": 0.15,
}
# The lowest score for 5, 4, 3 and 2 stars; below the last: 1 star.
THRESHOLDS: tuple[float, float, float, float] = (90.0, 80.0, 70.0, 60.0)
