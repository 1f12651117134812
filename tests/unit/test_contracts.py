"""The published contracts: generated from the code, committed, compatible, valid AsyncAPI."""

import copy
import json
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import concord_intake.handlers as intake
import concord_mediation.handlers as mediation
import concord_notification.handlers as notification
import concord_routing.handlers as routing
import pytest
from concord_shared.catalog import lanes, subscribed_events
from concord_shared.cli.contracts import app
from concord_shared.contracts import (
    CONTRACTS,
    breaking_changes,
    check,
    event_schema,
    generated_files,
)
from concord_shared.events import EVENT_TYPES
from concord_shared.service import subscribe
from concord_shared.topics import SERVICES
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]


def test_committed_contracts_are_what_the_code_generates() -> None:
    drifted = [
        relative
        for relative, content in generated_files().items()
        if not (CONTRACTS / relative).is_file()
        or (CONTRACTS / relative).read_text(encoding="utf-8") != content
    ]
    assert drifted == [], f"run `make contracts` and commit: {drifted}"


def test_every_event_type_has_a_schema_and_a_published_version() -> None:
    for event_type in EVENT_TYPES:
        assert (CONTRACTS / "schemas" / f"{event_type}.v1.json").is_file()
        assert (CONTRACTS / "published" / f"{event_type}.v1.json").is_file()


def test_the_code_is_compatible_with_the_published_contracts() -> None:
    assert check(CONTRACTS) == {}


@pytest.fixture
def routed() -> dict:
    return event_schema("CaseRouted")


def test_removing_a_field_breaks(routed: dict) -> None:
    new = copy.deepcopy(routed)
    del new["$defs"]["CaseRouted"]["properties"]["rule_id"]
    new["$defs"]["CaseRouted"]["required"].remove("rule_id")
    assert breaking_changes(routed, new) == ["payload.rule_id: field removed"]


def test_changing_a_type_breaks(routed: dict) -> None:
    new = copy.deepcopy(routed)
    new["$defs"]["CaseRouted"]["properties"]["platform"]["type"] = "integer"
    assert breaking_changes(routed, new) == [
        "payload.platform: type changed from ['string'] to ['integer']"
    ]


def test_a_new_required_field_breaks_but_an_optional_one_does_not(routed: dict) -> None:
    new = copy.deepcopy(routed)
    new["$defs"]["CaseRouted"]["properties"]["extra"] = {"type": "string"}
    assert breaking_changes(routed, new) == []
    new["$defs"]["CaseRouted"]["required"].append("extra")
    assert breaking_changes(routed, new) == ["payload.extra: new required field"]


def test_removing_an_enum_value_breaks(routed: dict) -> None:
    new = copy.deepcopy(routed)
    new["$defs"]["Level"]["enum"].remove("village")
    assert breaking_changes(routed, new) == ["payload.level: enum values removed: ['\"village\"']"]


def test_raising_the_major_version_allows_a_breaking_change(routed: dict) -> None:
    new = copy.deepcopy(routed)
    del new["$defs"]["CaseRouted"]["properties"]["rule_id"]
    new["properties"]["schema_version"]["const"] = 2
    assert breaking_changes(routed, new) == []


def test_the_check_command_fails_on_a_deliberately_broken_published_copy(tmp_path: Path) -> None:
    """A published contract with a field the code no longer has: consumers would break."""
    (tmp_path / "published").mkdir()
    published = event_schema("CaseRouted")
    published["$defs"]["CaseRouted"]["properties"]["handler"] = {"type": "string"}
    published["$defs"]["CaseRouted"]["required"].append("handler")
    (tmp_path / "published" / "CaseRouted.v1.json").write_text(json.dumps(published))
    result = CliRunner().invoke(app, ["check", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "BREAKING CaseRouted: payload.handler: field removed" in result.output


def test_services_handle_only_what_the_catalog_routes_to_them() -> None:
    tables = {
        "intake": [*intake.HANDLERS, *intake.BATCH_HANDLERS],
        "routing": [*routing.HANDLERS],
        "mediation": [*mediation.HANDLERS],
        "notification": [*notification.HANDLERS, *notification.BATCH_HANDLERS],
    }
    for service, classes in tables.items():
        handled = {cls.event_type for cls in classes}
        assert handled == subscribed_events(service), service


def test_a_handler_the_catalog_does_not_know_or_a_routed_event_unhandled_stops_the_start() -> None:
    async def noop(_event: Any) -> None:
        return None

    runtime: Any = SimpleNamespace(service="mediation")
    handlers: dict[str, Any] = {t.event_type: noop for t in mediation.HANDLERS}
    with pytest.raises(ValueError, match=r"mediation handles \['CaseReceived'\]"):
        subscribe(runtime, {**handlers, "CaseReceived": noop})
    del handlers["CaseAssigned"]
    with pytest.raises(ValueError, match=r"routes \['CaseAssigned'\] to mediation"):
        subscribe(runtime, handlers)


def test_each_service_reads_the_topics_of_its_subscriptions_in_its_lanes() -> None:
    lanes_of = {s: [[t.name for t in lane] for lane in lanes(s, ["land"])] for s in SERVICES}
    assert lanes_of == {
        "intake": [["intake.submissions"], ["case.events"]],
        "routing": [["case.events", "horizontal.replies", "vertical.escalate"]],
        "mediation": [["horizontal.replies", "vertical.assign"]],
        "notification": [
            ["notify.requests"],
            ["case.events", "horizontal.land", "horizontal.replies"],
        ],
    }


def test_the_asyncapi_document_passes_the_official_parser() -> None:
    tools = subprocess.run(
        [str(ROOT / "deploy/local/fetch-contract-tools.sh")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    result = subprocess.run(
        ["node", f"{tools}/validate-asyncapi.mjs", str(CONTRACTS / "asyncapi.yaml")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "asyncapi: valid 3.0.0 document" in result.stdout
