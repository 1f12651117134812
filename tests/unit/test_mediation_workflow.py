"""The workflow table, the mediator choice and the rating formula, without infrastructure."""

import pytest
from concord_mediation.domain.assignment import Mediator, choose_mediator
from concord_mediation.domain.figures import FOUR_DECREASES
from concord_mediation.domain.periods import Period
from concord_mediation.domain.rating import PlatformFigures, RatingPolicy, four_decreases, rate
from concord_mediation.domain.workflow import Action, TransitionRefused, next_status
from concord_shared.enums import CaseStatus as S

ALLOWED = [
    (S.RECEIVED, Action.ACCEPT, S.ACCEPTED),
    (S.RECEIVED, Action.NOT_ACCEPT, S.NOT_ACCEPTED),
    (S.ACCEPTED, Action.ASSIGN_MEDIATOR, S.IN_PROGRESS),
    (S.IN_PROGRESS, Action.SCHEDULE_SESSION, S.IN_SESSION),
    (S.IN_SESSION, Action.SCHEDULE_SESSION, S.IN_SESSION),
    (S.IN_SESSION, Action.REACH_AGREEMENT, S.AGREEMENT_REACHED),
    (S.IN_SESSION, Action.FAIL, S.MEDIATION_FAILED),
    (S.AGREEMENT_REACHED, Action.RESOLVE, S.RESOLVED),
    (S.RESOLVED, Action.CLOSE, S.CLOSED),
    (S.MEDIATION_FAILED, Action.CLOSE, S.CLOSED),
    (S.NOT_ACCEPTED, Action.CLOSE, S.CLOSED),
    (S.CLOSED, Action.REQUEST_REVIEW, S.REVIEW_REQUESTED),
    (S.REVIEW_REQUESTED, Action.START_REVIEW, S.UNDER_REVIEW),
    (S.UNDER_REVIEW, Action.ASSIGN_MEDIATOR, S.IN_PROGRESS),
    (S.MEDIATION_FAILED, Action.ESCALATE, S.ESCALATED),
    (S.IN_SESSION, Action.REFER, S.REFERRED),
    (S.IN_PROGRESS, Action.AWAIT_CITIZEN, S.AWAITING_CITIZEN),
    (S.ESCALATED, Action.REOPEN, S.RECEIVED),
]


@pytest.mark.parametrize(("source", "action", "target"), ALLOWED)
def test_allowed_transitions(source: S, action: Action, target: S) -> None:
    assert next_status(source, action) == target


def test_resume_returns_to_where_the_case_paused() -> None:
    assert next_status(S.AWAITING_CITIZEN, Action.RESUME, S.IN_SESSION) == S.IN_SESSION


@pytest.mark.parametrize(
    ("source", "action"),
    [
        (S.RECEIVED, Action.CLOSE),
        (S.CLOSED, Action.ACCEPT),
        (S.ACCEPTED, Action.REACH_AGREEMENT),
        (S.RESOLVED, Action.ESCALATE),
        (S.CLOSED, Action.START_REVIEW),
    ],
)
def test_anything_else_is_refused_with_what_is_allowed(source: S, action: Action) -> None:
    with pytest.raises(TransitionRefused) as refused:
        next_status(source, action)
    assert f"cannot {action.value} a case that is {source.value}" in refused.value.message
    assert "allowed from" in refused.value.message


def test_received_case_tells_what_it_allows() -> None:
    with pytest.raises(TransitionRefused) as refused:
        next_status(S.RECEIVED, Action.CLOSE)
    assert refused.value.message == (
        "cannot close a case that is received; allowed from received: "
        "accept, await_citizen, escalate, not_accept"
    )


MEDIATORS = [
    Mediator(
        ref="a", platform="p1", categories=frozenset({"neighbour"}), languages=frozenset({"zh"})
    ),
    Mediator(
        ref="b",
        platform="p1",
        categories=frozenset({"neighbour"}),
        languages=frozenset({"zh", "en"}),
    ),
    Mediator(
        ref="c", platform="p1", categories=frozenset({"wage_arrears"}), languages=frozenset({"zh"})
    ),
    Mediator(
        ref="d", platform="p2", categories=frozenset({"neighbour"}), languages=frozenset({"zh"})
    ),
]


def test_the_least_loaded_mediator_with_the_skills_is_chosen() -> None:
    def choose(
        category: str, language: str, load: dict[str, int], away: tuple[str, ...] = ()
    ) -> str | None:
        found = choose_mediator(
            MEDIATORS,
            platform="p1",
            category=category,
            language=language,
            load=load,
            unavailable=away,
        )
        return found.ref if found else None

    assert choose("neighbour", "zh", {"a": 3, "b": 1, "c": 0}) == "b"  # c lacks the skill
    assert choose("neighbour", "zh", {"a": 0, "b": 1}) == "a"
    assert choose("neighbour", "en", {"a": 0, "b": 5}) == "b"  # only b speaks English
    assert choose("neighbour", "zh", {"a": 0, "b": 1}, away=("a",)) == "b"  # a unavailable
    assert choose("medical", "zh", {"a": 2, "b": 2, "c": 1}) == "c"  # nobody skilled: least load
    assert choose("neighbour", "zh", {}, away=("a", "b", "c")) is None


def test_rating_worked_by_hand() -> None:
    figures = PlatformFigures(
        platform="p1",
        period="2026-11",
        cases=10,
        decision_due=10,
        resolution_due=8,
        responded=9,
        accepted_on_time=8,
        accepted=8,
        resolved=6,
        resolved_here=5,
        feedback=5,
        satisfied=4,
        repeats=1,
        escalated=2,
    )
    rating = rate(figures, RatingPolicy())
    # 100 x (.10x.9 + .15x.8 + .20x6/8 + .20x.8 + .10x(1-.1) + .10x(1-.2) + .15x5/6) = 81.5
    assert rating.score == 81.5
    assert rating.stars == 4
    assert rating.rates["resolution_rate"] == 0.75
    assert rating.rates["local_resolution_rate"] == 0.8333


def test_cases_inside_their_deadlines_are_not_counted_as_failures() -> None:
    """Ten cases this month, eight still inside their acceptance deadline: the two that
    were due were both decided on time, so response is perfect, not 20%."""
    young = PlatformFigures(
        platform="p1",
        period="2026-12",
        cases=10,
        decision_due=2,
        responded=2,
        accepted_on_time=2,
        accepted=2,
    )
    rating = rate(young, RatingPolicy())
    assert rating.rates["response_rate"] == 1.0
    assert rating.rates["on_time_acceptance_rate"] == 1.0
    assert rating.rates["resolution_rate"] is None  # nothing due to be resolved yet
    assert rating.stars == 5


def test_a_rate_without_cases_behind_it_is_left_out() -> None:
    figures = PlatformFigures(
        platform="p1",
        period="2026-11",
        cases=2,
        decision_due=2,
        resolution_due=2,
        responded=2,
        accepted_on_time=2,
        accepted=2,
        resolved=2,
        resolved_here=2,
    )
    # no feedback: satisfaction left out; every other rate is perfect -> 100
    assert rate(figures, RatingPolicy()).score == 100.0
    assert rate(figures, RatingPolicy()).stars == 5


def test_weights_and_thresholds_are_configurable() -> None:
    figures = PlatformFigures(platform="p1", period="2026-11", cases=4, decision_due=4, responded=2)
    policy = RatingPolicy(weights={"response_rate": 1.0}, thresholds=(95, 75, 50, 25))
    assert rate(figures, policy).score == 50.0
    assert rate(figures, policy).stars == 3
    with pytest.raises(ValueError, match="unknown rates"):
        RatingPolicy(weights={"happiness": 1.0})


def test_four_decreases_against_the_previous_period() -> None:
    result = four_decreases(
        {"total": 8, "collective": 1, "repeat": 2, "non_reception_place": 0, "escalated": 5},
        {"total": 10, "collective": 1, "repeat": 1, "non_reception_place": 2},
        FOUR_DECREASES,
    )
    assert list(result) == ["total", "collective", "repeat", "non_reception_place"]
    assert result["total"].change == -2 and result["total"].decreased
    assert result["total"].change_rate == -0.2
    assert not result["collective"].decreased and result["collective"].change == 0
    assert result["repeat"].change == 1 and not result["repeat"].decreased
    assert result["non_reception_place"].decreased


def test_periods() -> None:
    assert str(Period.parse("2026-11").previous()) == "2026-10"
    assert str(Period.parse("2026-01").previous()) == "2025-12"
    assert str(Period.parse("2026-Q1").previous()) == "2025-Q4"
    with pytest.raises(ValueError, match="a period is a month"):
        Period.parse("2026-13")
