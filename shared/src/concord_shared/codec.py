"""Turning bytes from a topic into a typed envelope, with a reason for every refusal.

The reasons are what a dead-letter record says, so they name what is wrong.
"""

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from concord_shared.envelope import Envelope
from concord_shared.events import EVENT_TYPES


class Undecodable(Exception):
    """The message can never be processed as it is: dead-letter it."""

    def __init__(self, reason: str, error: str) -> None:
        super().__init__(f"{reason}: {error}")
        self.reason = reason
        self.error = error


@dataclass(frozen=True)
class UnknownType:
    """A well-formed envelope of a type this library does not know: log and skip."""

    type: str
    event_id: str | None


MAX_MESSAGE_BYTES = 512 * 1024


def peek_type(value: bytes | None) -> tuple[dict[str, Any], str]:
    """Parse just enough to learn the event type."""
    if value is None:
        raise Undecodable("empty", "the message has no value")
    if len(value) > MAX_MESSAGE_BYTES:
        raise Undecodable("oversized", f"{len(value)} bytes exceeds {MAX_MESSAGE_BYTES}")
    try:
        data = json.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Undecodable("not_json", str(exc)) from exc
    if not isinstance(data, dict):
        raise Undecodable("not_an_object", f"expected a JSON object, got {type(data).__name__}")
    event_type = data.get("type")
    if not isinstance(event_type, str):
        raise Undecodable("no_type", "the envelope has no string field 'type'")
    return data, event_type


def decode(value: bytes | None) -> Envelope[Any] | UnknownType:
    data, event_type = peek_type(value)
    payload_type = EVENT_TYPES.get(event_type)
    if payload_type is None:
        event_id = data.get("event_id")
        return UnknownType(event_type, event_id if isinstance(event_id, str) else None)
    try:
        return Envelope[payload_type].model_validate(data)  # type: ignore[valid-type]
    except ValidationError as exc:
        raise Undecodable("invalid", _describe(exc)) from exc


def _describe(exc: ValidationError) -> str:
    """One line per wrong field: 'payload.kind: Input should be ...'."""
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()
    )
