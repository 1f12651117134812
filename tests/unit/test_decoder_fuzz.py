"""Property-based fuzzing of the message decoder: any bytes give an envelope, an unknown
type, or Undecodable with a reason -- never another exception."""

import json

from concord_shared.codec import Undecodable, UnknownType, decode
from concord_shared.envelope import Envelope
from concord_shared.events import EVENT_TYPES
from hypothesis import given, settings
from hypothesis import strategies as st

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


def outcome(value: bytes) -> object:
    try:
        return decode(value)
    except Undecodable as exc:
        assert exc.reason in {
            "empty",
            "oversized",
            "not_json",
            "not_an_object",
            "no_type",
            "invalid",
        }
        return exc


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(value: bytes) -> None:
    outcome(value)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_arbitrary_json(value: object) -> None:
    outcome(json.dumps(value).encode())


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(EVENT_TYPES)), st.dictionaries(st.text(max_size=12), json_values))
def test_known_types_with_arbitrary_payloads(event_type: str, payload: dict[str, object]) -> None:
    result = outcome(json.dumps({"type": event_type, "case_id": "c", "payload": payload}).encode())
    assert isinstance(result, Envelope | Undecodable) and not isinstance(result, UnknownType)
