import json

import pytest
from concord_shared.codec import MAX_MESSAGE_BYTES, Undecodable, UnknownType, decode
from concord_shared.envelope import envelope
from concord_shared.events import FeedbackReceived


def test_a_valid_event_round_trips() -> None:
    event = envelope(FeedbackReceived(platform="339901", satisfied=True), source="t", case_id="c1")
    decoded = decode(event.to_bytes())
    assert not isinstance(decoded, UnknownType)
    assert decoded.payload == event.payload
    assert decoded.event_id == event.event_id


def test_unknown_fields_are_ignored() -> None:
    event = envelope(FeedbackReceived(platform="339901", satisfied=False), source="t", case_id="c")
    data = json.loads(event.to_bytes())
    data["new_field"] = 1
    data["payload"]["also_new"] = "x"
    decoded = decode(json.dumps(data).encode())
    assert not isinstance(decoded, UnknownType)
    assert decoded.payload.satisfied is False


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"\xff\xfe garbage", "not_json"),
        (b"[1, 2, 3]", "not_an_object"),
        (b'{"no": "type"}', "no_type"),
        (b'{"type": "FeedbackReceived", "payload": {}}', "invalid"),
        (b"x" * (MAX_MESSAGE_BYTES + 1), "oversized"),
        (None, "empty"),
    ],
)
def test_undecodable_messages_say_why(value: bytes | None, reason: str) -> None:
    with pytest.raises(Undecodable) as caught:
        decode(value)
    assert caught.value.reason == reason


def test_schema_errors_name_the_field() -> None:
    event = envelope(FeedbackReceived(platform="339901", satisfied=True), source="t", case_id="c")
    data = json.loads(event.to_bytes())
    data["payload"]["satisfied"] = "perhaps"
    with pytest.raises(Undecodable) as caught:
        decode(json.dumps(data).encode())
    assert "payload.satisfied" in caught.value.error


def test_unknown_event_types_are_reported_not_refused() -> None:
    decoded = decode(b'{"type": "SomethingNew", "event_id": "e1"}')
    assert decoded == UnknownType("SomethingNew", "e1")


def test_a_locked_store_is_a_reason_to_retry_not_to_dead_letter() -> None:
    from concord_shared.store import is_store_busy
    from pymongo.errors import OperationFailure

    locked = OperationFailure("[collection.go:177] database is locked (5) (SQLITE_BUSY)", 1)
    assert is_store_busy(locked)
    assert not is_store_busy(OperationFailure("Unknown modifier: $frobnicate", 9))
    assert not is_store_busy(ValueError("SQLITE_BUSY"))
