"""Notification's service layer: render a notice, deliver it once, log what happened."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from concord_shared.enums import NotificationChannel
from concord_shared.envelope import Envelope
from concord_shared.events import NotificationDelivered, NotificationRequested
from concord_shared.outbox import caused
from concord_shared.topics import CASE_EVENTS, TopicSpec

from concord_notification.adapters.delivery_log import DeliveryLog, delivery_id
from concord_notification.domain.rendering import Renderer

log = structlog.get_logger(__name__)
SERVICE = "notification"


@dataclass
class Notification:
    deliveries: DeliveryLog
    renderer: Renderer
    topic: Callable[[TopicSpec], str]
    on_written: Callable[[list[str]], None]
    clock: Callable[[], datetime]

    async def on_notification_requested(self, event: Envelope[Any]) -> None:
        request: NotificationRequested = event.payload
        channel = NotificationChannel.RECORD
        facts = {"case_ref": event.case_id[:8], **request.facts}
        text = self.renderer.render(request.notice, request.language, facts)
        key = delivery_id(event.event_id, request.recipient_ref, channel)
        delivered = NotificationDelivered(
            notice=request.notice,
            recipient_kind=request.recipient_kind,
            recipient_ref=request.recipient_ref,
            channel=channel,
            request_event_id=event.event_id,
        )
        stored = await self.deliveries.record(
            event.case_id,
            key,
            {
                "request_event_id": event.event_id,
                "notice": request.notice,
                "recipient_kind": request.recipient_kind,
                "recipient_ref": request.recipient_ref,
                "channel": channel,
                "language": request.language,
                "text": text,
                "status": "recorded",
                "attempts": 1,
                "requested_at": event.occurred_at,
                "recorded_at": self.clock(),
            },
            [caused(self.topic(CASE_EVENTS), delivered, event, SERVICE)],
        )
        if stored:
            self.on_written([event.case_id])
            log.info("notice recorded", notice=request.notice, channel=channel)

    def handlers(self) -> dict[str, Any]:
        return {"NotificationRequested": self.on_notification_requested}
