"""Mediation's access rules and case views, without a stack."""

import pytest
from concord_mediation.domain.access import ApiKey, CaseScope, Right, View, case_view, permits
from concord_mediation.domain.views import case_body
from concord_mediation.settings import MediationSettings
from concord_routing.domain.access import Action
from concord_routing.domain.access import ApiKey as RoutingKey
from concord_routing.domain.access import Role as RoutingRole
from concord_routing.domain.access import permits as routing_permits
from concord_routing.settings import RoutingSettings
from pydantic import ValidationError

VILLAGE = CaseScope("339901001001", ("339901001", "339901"))
WARNING = CaseScope("339901001001", ("339901001", "339901"), early_warning=True)


def key(role: str, platform: str | None = None) -> ApiKey:
    return ApiKey.model_validate({"role": role, "platform": platform})


@pytest.mark.parametrize(
    ("who", "scope", "expected"),
    [
        (key("staff", "339901001001"), VILLAGE, View.FULL),
        (key("staff", "339901001"), VILLAGE, View.FULL),  # the parent supervises
        (key("staff", "339901001002"), VILLAGE, None),  # a neighbour does not
        (key("supervisor"), VILLAGE, View.FULL),
        (key("auditor"), VILLAGE, View.MINIMISED),
        (key("integration"), VILLAGE, None),
        (key("staff", "339901001001"), WARNING, View.FULL),
        (key("staff", "339901001"), WARNING, None),
        (key("auditor"), WARNING, None),
        (key("supervisor"), WARNING, View.FULL),
    ],
)
def test_who_sees_how_much_of_a_case(who: ApiKey, scope: CaseScope, expected: View | None) -> None:
    assert case_view(who, scope) == expected


def test_feedback_comes_from_the_citizens_channel_not_the_platforms_staff() -> None:
    assert permits(key("integration"), Right.FEEDBACK, "339901001001")
    assert not permits(key("staff", "339901001001"), Right.FEEDBACK, "339901001001")
    assert not permits(key("auditor"), Right.FEEDBACK, "339901001001")


def test_a_staff_key_without_a_platform_is_refused_when_the_settings_load() -> None:
    for settings in (MediationSettings, RoutingSettings):
        with pytest.raises(ValidationError) as raised:
            settings(api_keys={"the-secret-key": {"role": "staff"}})
        assert "staff key needs the platform" in str(raised.value)
        assert "the-secret-key" not in str(raised.value)
    # Built around the check, such a key still may not recategorise anything.
    nowhere = RoutingKey.model_construct(role=RoutingRole.STAFF, platform=None)
    assert not routing_permits(nowhere, Action.RECATEGORISE, "339901001")


def test_the_minimised_view_keeps_structured_fields_only() -> None:
    doc = {
        "_id": "c1",
        "platform": "339901001001",
        "status": "closed",
        "summary": "张三与李四的纠纷",
        "parties": [{"ref": "pty-1", "role": "applicant"}],
        "history": [{"at": "t", "action": "fail", "status": "x", "reason": "张三不同意"}],
        "sessions": [{"session_id": "s1", "location": "东关街12号", "minutes": "到场"}],
        "agreement": {"terms": ["赔偿200元"], "follow_up_on": None, "at": "t"},
        "feedback": {"satisfied": False, "comment": "电话13800001111", "at": "t"},
        "department_replies": [{"type": "CoordinationAnswered", "at": "t", "answer": "界址"}],
        "outcome": "已履行",
        "some_new_free_text": "未审的文字",
    }
    body = case_body(doc, View.MINIMISED)
    text = str(body)
    secrets = ("张三", "东关街", "到场", "赔偿", "13800001111", "界址", "已履行", "未审", "pty-1")
    for secret in secrets:
        assert secret not in text, secret
    assert body["status"] == "closed" and body["feedback"] == {"satisfied": False, "at": "t"}
    full = case_body(doc, View.FULL)
    assert "东关街12号" in str(full) and "到场" not in str(full)  # minutes: their own endpoint
