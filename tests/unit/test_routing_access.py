"""Routing's case views and the registry's "at or below", without a stack."""

import pytest
from concord_routing.domain.access import ApiKey, CaseScope, View, case_view
from concord_routing.domain.views import routing_body
from concord_shared.registry import load_registry

REGISTRY = load_registry()
VILLAGE, TOWNSHIP, COUNTY = "339901001001", "339901001", "339901"
NEIGHBOUR_VILLAGE, OTHER_TOWNSHIP = "339901001002", "339901002"


def key(role: str, platform: str | None = None) -> ApiKey:
    return ApiKey.model_validate({"role": role, "platform": platform})


def test_a_platform_is_at_or_below_itself_and_its_ancestors_only() -> None:
    assert REGISTRY.ancestors(VILLAGE) == (TOWNSHIP, COUNTY)
    assert REGISTRY.ancestors(COUNTY) == ()
    assert REGISTRY.ancestors("339999999") == ()  # not in the registry: nothing above
    assert REGISTRY.is_at_or_below(VILLAGE, VILLAGE)
    assert REGISTRY.is_at_or_below(VILLAGE, TOWNSHIP)
    assert REGISTRY.is_at_or_below(VILLAGE, COUNTY)
    assert not REGISTRY.is_at_or_below(TOWNSHIP, VILLAGE)
    assert not REGISTRY.is_at_or_below(VILLAGE, NEIGHBOUR_VILLAGE)
    assert not REGISTRY.is_at_or_below(VILLAGE, OTHER_TOWNSHIP)


@pytest.mark.parametrize(
    ("who", "routed_to", "expected"),
    [
        (key("admin"), [OTHER_TOWNSHIP], View.FULL),
        (key("auditor"), [VILLAGE], View.MINIMISED),
        (key("staff", VILLAGE), [VILLAGE], View.FULL),
        (key("staff", TOWNSHIP), [VILLAGE], View.FULL),  # the township supervises
        (key("staff", COUNTY), [VILLAGE], View.FULL),
        (key("staff", VILLAGE), [VILLAGE, TOWNSHIP], View.FULL),  # it was here before
        (key("staff", VILLAGE), [TOWNSHIP], None),  # nothing above the village
        (key("staff", NEIGHBOUR_VILLAGE), [VILLAGE], None),
        (key("staff", OTHER_TOWNSHIP), [VILLAGE, TOWNSHIP], None),
        (key("staff", TOWNSHIP), [], None),
    ],
)
def test_who_sees_how_much_of_a_cases_routing(
    who: ApiKey, routed_to: list[str], expected: View | None
) -> None:
    assert case_view(who, CaseScope.of(routed_to), REGISTRY) == expected


def test_the_minimised_view_keeps_the_structure_and_no_free_text() -> None:
    decision = {
        "level": "village",
        "platform": VILLAGE,
        "desk": "mediation",
        "lead_department": "civil_affairs",
        "co_departments": [],
        "rule_id": "decline.justice",
        "ruleset_version": "7",
        "reason": "justice declined: 王秀英 lives at 东关路3号",
        "decided_at": "2026-01-01T00:00:00Z",
        "a_field_added_later": "free text",
    }
    doc = {
        "facts": {"kind": "dispute", "category": "neighbour", "area_code": VILLAGE},
        "current": decision,
        "decisions": [decision],
        "declines": [
            {"department": "justice", "declined_by": "刘建国", "reason": "王秀英", "at": "t"}
        ],
    }
    body = routing_body("case-1", doc, View.MINIMISED)
    assert body["declines"] == [{"department": "justice", "at": "t"}]
    assert body["current"]["rule_id"] == "decline.justice"
    for text in ("王秀英", "刘建国", "东关路", "a_field_added_later"):
        assert text not in repr(body)
    assert routing_body("case-1", doc, View.FULL)["declines"] == doc["declines"]
