"""The envelope every Concord event travels in, and its JSON wire format.

Keyed by case id on every topic, so one case keeps its order. Consumers ignore unknown
fields (``extra="ignore"``) so producers may add optional fields without breaking anyone.
"""

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field


class EventPayload(BaseModel):
    """Base of every event's payload. Subclasses set ``event_type`` and ``schema_version``."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1


P = TypeVar("P", bound=EventPayload)


def new_event_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    """Now, in UTC, to the millisecond: what the store keeps, so what is returned before a
    write equals what is read after it."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class Envelope(BaseModel, Generic[P]):
    """Metadata common to all events, around a typed payload."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: str = Field(default_factory=new_event_id, description="Unique id; deduplicate on it.")
    type: str = Field(description="Event type name, e.g. CaseReceived.")
    schema_version: int = Field(ge=1, description="Major version of this type's payload schema.")
    source: str = Field(description="The service that emitted the event.")
    occurred_at: datetime = Field(default_factory=utcnow)
    case_id: str = Field(min_length=1, description="The case this event belongs to; the Kafka key.")
    correlation_id: str = Field(description="Id shared by every event caused by one submission.")
    causation_id: str | None = Field(default=None, description="event_id of the direct cause.")
    payload: P

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    def headers(self) -> dict[str, str]:
        """Kafka headers that let a consumer filter without decoding the body."""
        return {
            "event_type": self.type,
            "event_id": self.event_id,
            "schema_version": str(self.schema_version),
            "correlation_id": self.correlation_id,
        }


def envelope(
    payload: P,
    *,
    source: str,
    case_id: str,
    correlation_id: str | None = None,
    causation: "Envelope[Any] | None" = None,
) -> Envelope[P]:
    """Wrap a payload; a caused event inherits the correlation id of its cause."""
    if causation is not None:
        correlation_id = causation.correlation_id
    # Parametrised with the payload's own class, so the payload serialises with its schema.
    model: Any = Envelope[type(payload)]  # type: ignore[misc]
    return cast(
        Envelope[P],
        model(
            type=payload.event_type,
            schema_version=payload.schema_version,
            source=source,
            case_id=case_id,
            correlation_id=correlation_id or new_event_id(),
            causation_id=causation.event_id if causation is not None else None,
            payload=payload,
        ),
    )
