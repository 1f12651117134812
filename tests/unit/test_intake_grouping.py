"""Grouping: early warnings by situation (place, category, time), never by person."""

from datetime import UTC, datetime, timedelta

from concord_intake.domain.grouping import EarlierCase, NewCase, group

NOW = datetime(2026, 5, 11, 9, tzinfo=UTC)
SETTINGS = {
    "repeat_window": timedelta(days=180),
    "collective_window": timedelta(hours=72),
    "threshold": 0.35,
    "party_threshold": 5,
    "min_cases": 3,
    "situation_window": timedelta(hours=72),
}


def earlier(case_id: str, *, warning: bool, hours_ago: float = 1, **kw: object) -> EarlierCase:
    fields: dict[str, object] = {
        "party_refs": frozenset({"p-same"}),
        "category": "land_dispute",
        "area_code": "339901001002",
        "description": "两村因灌溉用水争执，扬言堵渠",
        "received_at": NOW - timedelta(hours=hours_ago),
        "early_warning": warning,
    }
    fields.update(kw)
    return EarlierCase(case_id, **fields)  # type: ignore[arg-type]


def warning(**kw: object) -> NewCase:
    fields: dict[str, object] = {
        "party_refs": frozenset(),
        "party_count": 2,
        "category": "land_dispute",
        "area_code": "339901001002",
        "description": "两村因灌溉用水争执，扬言堵渠",
        "received_at": NOW,
        "early_warning": True,
        "case_id": "new",
    }
    fields.update(kw)
    return NewCase(**fields)  # type: ignore[arg-type]


def test_an_early_warning_is_never_a_repeat_and_joins_the_situation() -> None:
    flags = group(warning(), [earlier("first", warning=True)], **SETTINGS)  # type: ignore[arg-type]
    assert flags.repeat_of is None and flags.situation_group == "first"


def test_a_warning_starts_its_own_situation_outside_place_category_or_window() -> None:
    for other in (
        earlier("a", warning=True, area_code="339901001003"),
        earlier("b", warning=True, category="wage_arrears"),
        earlier("c", warning=True, hours_ago=73),
        earlier("d", warning=False),  # a dispute is not a warning's situation
    ):
        assert group(warning(), [other], **SETTINGS).situation_group == "new"  # type: ignore[arg-type]


def test_a_dispute_is_never_a_repeat_of_an_early_warning() -> None:
    dispute = warning(early_warning=False, party_refs=frozenset({"p-same"}))
    flags = group(dispute, [earlier("w", warning=True)], **SETTINGS)  # type: ignore[arg-type]
    assert flags.repeat_of is None and flags.situation_group is None
    assert group(dispute, [earlier("d", warning=False)], **SETTINGS).repeat_of == "d"  # type: ignore[arg-type]


def dispute(description: str, **kw: object) -> NewCase:
    return warning(
        party_refs=frozenset({"p-same"}),
        early_warning=False,
        description=description,
        **kw,
    )


def test_the_same_party_on_the_same_matter_worded_otherwise_is_a_probable_repeat() -> None:
    """The case of the issue: a returning citizen tells the same matter in other words
    (similarity 0.22, under the 0.35 threshold): not a repeat, a probable one."""
    first = earlier("first", warning=False, description="邻居在我家门前堆放杂物，多次协商无果")
    again = dispute("隔壁那户又把东西堆到我家门口了，说了也不听，请你们来看看")
    flags = group(again, [first], **SETTINGS)  # type: ignore[arg-type]
    assert flags.repeat_of is None and flags.probable_repeat_of == "first"
    # Worded alike, it is a repeat outright, and nothing is left for staff to judge.
    same = group(dispute(first.description), [first], **SETTINGS)  # type: ignore[arg-type]
    assert same.repeat_of == "first" and same.probable_repeat_of is None


def test_no_probable_repeat_for_another_party_place_category_or_past_the_window() -> None:
    again = dispute("隔壁那户又把东西堆到我家门口了，说了也不听，请你们来看看")
    for other in (
        earlier("a", warning=False, party_refs=frozenset({"p-other"})),
        earlier("b", warning=False, area_code="339901001003"),
        earlier("c", warning=False, category="wage_arrears"),
        earlier("d", warning=False, hours_ago=181 * 24),
        earlier("e", warning=True),  # an early warning is nobody's earlier matter
    ):
        assert group(again, [other], **SETTINGS).probable_repeat_of is None  # type: ignore[arg-type]
