"""The console's rules that need no browser: who a user is bound to, passwords, the language
chosen, words for codes, how near a deadline is, and a reception form as intake's body."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from concord_console.bootstrap import build_app
from concord_console.domain.deadlines import Urgency, nearest, urgency
from concord_console.domain.texts import MESSAGES, Texts, choose_language
from concord_console.domain.users import (
    PasswordDirectory,
    Role,
    User,
    hash_password,
    user_from_claims,
)
from concord_console.entrypoints.pages.reception import form_field, submission_of
from concord_console.settings import DEFAULT_USERS, ConsoleSettings, ServiceKeys
from concord_shared.enums import CaseStatus
from concord_shared.registry import load_registry
from concord_shared.startup_secrets import DevelopmentSecret
from pydantic import ValidationError
from starlette.datastructures import FormData

REGISTRY = load_registry()


def test_a_user_is_bound_to_one_place_of_the_right_kind() -> None:
    assert User(username="m-1", role=Role.MEDIATOR, platform="339901001001").scope == (
        "mediator@339901001001"
    )
    assert User(username="c-1", role=Role.DEPARTMENT, department="land").scope == "department@land"
    with pytest.raises(ValidationError, match="needs a platform"):
        User(username="m-2", role=Role.MEDIATOR)
    with pytest.raises(ValidationError, match="department only"):
        User(username="c-2", role=Role.DEPARTMENT, department="land", platform="339901")


def test_passwords_are_checked_against_their_hash_and_unknown_names_fail_alike(
    tmp_path: Path,
) -> None:
    users = tmp_path / "users.yaml"
    users.write_text(
        "users:\n"
        "  - username: clerk\n"
        "    role: department\n"
        "    department: land\n"
        f"    password_hash: '{hash_password('a long passphrase')}'\n",
        encoding="utf-8",
    )
    directory = PasswordDirectory.load(users)
    user = directory.authenticate("clerk", "a long passphrase")
    assert user is not None and user.department == "land"
    assert directory.authenticate("clerk", "wrong") is None
    assert directory.authenticate("nobody", "a long passphrase") is None
    assert "a long passphrase" not in users.read_text()


def test_the_sample_users_load_and_each_has_a_scope() -> None:
    directory = PasswordDirectory.load(DEFAULT_USERS)
    roles = {u.role for u in directory.users}
    assert roles == set(Role)
    assert directory.authenticate("leader-county", "concord-dev") is not None


def test_an_oidc_token_maps_to_a_user_only_with_a_role_claim() -> None:
    user = user_from_claims(
        {
            "sub": "abc",
            "preferred_username": "Li.Wei",
            "concord": {"role": "leader", "platform": "339901"},
        }
    )
    assert (user.username, user.role, user.platform) == ("li.wei", Role.LEADER, "339901")
    with pytest.raises(ValueError, match="no 'concord' claim"):
        user_from_claims({"sub": "abc"})


def test_the_language_is_the_asked_one_then_the_browsers_then_chinese() -> None:
    assert choose_language("en", "zh-CN") == "en"
    assert choose_language(None, "en-GB,en;q=0.9") == "en"
    assert choose_language(None, "fr-FR,zh;q=0.5") == "zh"
    assert choose_language("xx", None) == "zh"


def test_every_status_has_words_in_both_languages_and_codes_become_names() -> None:
    for status in CaseStatus:
        zh_words, en_words = MESSAGES[f"status.{status.value}"]
        assert zh_words and en_words
    zh, en = Texts("zh", REGISTRY), Texts("en", REGISTRY)
    assert zh.platform("339901001") == REGISTRY.platforms_by_code["339901001"].name_zh
    assert en.category("land_dispute") == "Land dispute"
    assert zh.department("unknown") == "unknown"
    assert zh("no.such.key") == "[no.such.key]"
    assert zh.said("not a mainland mobile (11 digits…)").startswith("不是有效的手机号")
    assert en.said("not a mainland mobile") == "not a mainland mobile"
    # Deadlines are shown in the platforms' time (UTC+8), not the server's.
    assert zh.when("2026-12-02T16:30:00+00:00") == "2026年12月03日 00:30"
    # A day alone (a department's answer deadline) is a day, not midnight of it.
    assert zh.when("2026-12-09") == "2026年12月09日" and en.when("2026-12-09") == "2026-12-09"


def test_a_deadline_is_breached_due_today_soon_or_later() -> None:
    now = datetime(2026, 12, 2, 8, tzinfo=UTC)
    assert urgency(now - timedelta(minutes=1), now) is Urgency.BREACHED
    assert urgency(now + timedelta(hours=5), now) is Urgency.TODAY
    assert urgency((now + timedelta(days=2)).isoformat(), now) is Urgency.SOON
    assert urgency(now + timedelta(days=10), now) is Urgency.LATER
    assert urgency(None, now) is None
    # An answer due on a day is due until that day ends in Beijing (16:00 UTC).
    assert urgency("2026-12-02", now) is Urgency.TODAY  # it is 16:00 in Beijing: 8 hours left
    assert urgency("2026-12-01", now) is Urgency.BREACHED
    assert urgency("2026-12-04", now) is Urgency.SOON  # ends 2026-12-04T16:00Z, 2 d 8 h on
    assert urgency("2026-12-05", now) is Urgency.LATER
    assert nearest("2026-12-02", now + timedelta(hours=9)) == datetime(2026, 12, 2, 16, tzinfo=UTC)
    assert nearest(None, now + timedelta(days=2), now + timedelta(days=1)) == now + timedelta(
        days=1
    )


def test_a_reception_form_becomes_intakes_body_and_its_problems_find_their_field() -> None:
    form = FormData(
        [
            ("kind", "dispute"),
            ("channel", "visit"),
            ("category", "neighbour"),
            ("area", "339901001001"),
            ("description", " 邻居噪音 "),
            ("party-0-role", "applicant"),
            ("party-0-name", "王秀英"),
            ("party-0-phone", "13900001111"),
            ("party-0-id_number", ""),
            ("party-1-role", "respondent"),
            ("party-1-name", ""),
            ("party-1-phone", ""),
        ]
    )
    body = submission_of(form, "339901001")
    assert body["platform"] == "339901001"
    assert body["description"] == "邻居噪音"
    assert body["location"] == {"area_code": "339901001001"}
    assert body["parties"] == [{"role": "applicant", "name": "王秀英", "phone": "13900001111"}]
    assert form_field("parties.0.phone") == "party-0-phone"
    assert form_field("location.area_code") == "area"
    assert form_field("description") == "description"


def test_outside_development_the_console_refuses_the_sample_users_and_public_secrets(
    tmp_path: Path,
) -> None:
    with pytest.raises(DevelopmentSecret) as refused:
        build_app(ConsoleSettings(development=False))
    assert "SESSION_SECRET" in str(refused.value) and "USERS_PATH" in str(refused.value)

    users = tmp_path / "users.yaml"
    users.write_text("users: []\n", encoding="utf-8")
    with pytest.raises(DevelopmentSecret, match="KEYS holds a development key") as refused:
        build_app(
            ConsoleSettings(
                development=False,
                session_secret="x" * 40,
                users_path=users,
                keys={"leader@339901": ServiceKeys(mediation="dev-console-leader-county")},
                citizen_feedback_key="k" * 32,
            )
        )
    assert "dev-console-leader-county" not in str(refused.value)  # never the key itself
    app = build_app(
        ConsoleSettings(
            development=False,
            session_secret="x" * 40,
            users_path=users,
            citizen_feedback_key="k" * 32,
        )
    )
    assert app.title == "Concord console"
