import pytest
from concord_intake.domain.submission import check_against_registry
from concord_shared.registry import load_registry
from concord_shared.submission import CaseSubmission, normalise_id_number, normalise_phone
from pydantic import ValidationError

from tests.support.cases import neighbour_dispute, valid_id_number


def problems_of(data: dict) -> dict[str, str]:
    try:
        CaseSubmission.model_validate(data)
    except ValidationError as exc:
        return {".".join(map(str, e["loc"])): e["msg"] for e in exc.errors()}
    return {}


def test_a_valid_submission_in_chinese_passes() -> None:
    assert problems_of(neighbour_dispute()) == {}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13912345678", "13912345678"),
        ("+86 139-1234-5678", "13912345678"),
        ("057112345678", "057112345678"),
    ],
)
def test_phone_numbers_are_normalised(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "23912345678", "1391234567a", ""])
def test_bad_phone_numbers_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        normalise_phone(raw)


def test_identity_number_check_digit_is_verified() -> None:
    good = valid_id_number("33990119800101123")
    assert normalise_id_number(good.lower()) == good
    wrong_digit = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(ValueError, match="check digit"):
        normalise_id_number(wrong_digit)


def test_every_wrong_field_is_named() -> None:
    data = neighbour_dispute(kind="complaint", description="")
    data["parties"] = [{"name": "张三", "phone": "123"}]
    data["location"] = {"address": "somewhere"}
    problems = problems_of(data)
    assert "kind" in problems
    assert "description" in problems
    assert "parties.0.phone" in problems
    assert "location" in problems


def test_length_limits_and_control_characters() -> None:
    assert "description" in problems_of(neighbour_dispute(description="长" * 5001))
    assert "description" in problems_of(neighbour_dispute(description="bad\x00text here"))


def test_registry_rules_name_the_field() -> None:
    registry = load_registry()
    submission = CaseSubmission.model_validate(
        neighbour_dispute(
            platform="339999",
            category="land_dispute",
            kind="legal_service",
            location={"area_code": "110101001001"},
        )
    )
    fields = {
        ".".join(map(str, p.loc)): p.msg for p in check_against_registry(submission, registry)
    }
    assert fields["platform"] == "no platform with code 339999"
    assert "does not take kind legal_service" in fields["category"]
    assert fields["location.area_code"] == "no platform covers area 110101001001"


def test_a_party_may_give_an_email_address_and_how_to_be_told() -> None:
    from concord_shared.submission import PartyIn

    party = PartyIn(name="王秀英", email=" wang@mail.example ", notify_by="email")
    assert party.email == "wang@mail.example" and party.notify_by == "email"
    assert PartyIn(name="王秀英").email is None
    for bad in ("wang", "wang@", "a b@mail.example", "@mail.example"):
        with pytest.raises(ValidationError, match="email"):
            PartyIn(name="王秀英", email=bad)
    with pytest.raises(ValidationError, match="notify_by"):
        PartyIn(name="王秀英", notify_by="pigeon")
