"""One planned delivery: what to say to whom, over which channel; and how it may end."""

from datetime import datetime
from enum import StrEnum

from concord_shared.enums import Language, NoticeKind, NotificationChannel, RecipientKind
from pydantic import BaseModel


class Status(StrEnum):
    PENDING = "pending"  # due now or at its next attempt
    HELD = "held"  # quiet hours: due when they end
    SENDING = "sending"  # claimed by a dispatcher; a lease guards against a crash
    DELIVERED = "delivered"
    FAILED = "failed"  # the last attempt failed, or a failure retrying cannot fix
    # Not to be sent any more: a reminder of a request the department has answered or
    # declined, or that routing withdrew.
    WITHDRAWN = "withdrawn"


OPEN = (Status.PENDING, Status.HELD)
SETTLED = (Status.DELIVERED, Status.FAILED, Status.WITHDRAWN)


def delivery_id(request_event_id: str, recipient_ref: str, channel: str) -> str:
    """The dedupe key of a delivery, usable as a field name: no dots, no leading '$'."""
    return f"{request_event_id}:{recipient_ref}:{channel}".replace(".", "_").lstrip("$")


class Delivery(BaseModel):
    """Everything needed to send one notice, except the address of a citizen, which is
    fetched from intake at each attempt and never stored."""

    key: str
    case_id: str
    request_event_id: str
    correlation_id: str
    event_type: str
    notice: NoticeKind
    recipient_kind: RecipientKind
    recipient_ref: str
    channel: NotificationChannel
    language: Language
    urgent: bool = False
    subject: str = ""
    text: str = ""
    address_masked: str | None = None  # what the log may show of the address
    subscription_id: str | None = None  # webhooks: whose URL and secret
    body: str | None = None  # webhooks: the JSON body that is signed and sent
    not_before: datetime | None = None  # a reminder: not sent before this moment
    original_topic: str = ""  # for the dead letter of a delivery that gave up
    original_b64: str = ""
    # The span that planned it (W3C traceparent): its attempts continue that trace.
    trace: dict[str, str] = {}

    @property
    def citizen(self) -> bool:
        return self.recipient_kind is RecipientKind.CITIZEN

    def log_entry(self, status: Status, now: datetime, due_at: datetime) -> dict[str, object]:
        """The delivery as the per-case log keeps it: no text of an address, ever."""
        return {
            "request_event_id": self.request_event_id,
            "event_type": self.event_type,
            "notice": self.notice.value,
            "recipient_kind": self.recipient_kind.value,
            "recipient_ref": self.recipient_ref,
            "channel": self.channel.value,
            "address": self.address_masked,
            "subscription_id": self.subscription_id,
            "language": self.language.value,
            "urgent": self.urgent,
            "text": self.text,
            "status": status.value,
            "attempts": 0,
            "results": [],
            "recorded_at": now,
            "due_at": due_at,
        }
