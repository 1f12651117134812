"""Wires notification: settings -> store, broker, relay -> service layer -> HTTP, consumers."""

from concord_shared.envelope import utcnow
from concord_shared.service import build_runtime, create_app, subscribe
from concord_shared.topics import NOTIFY_REQUESTS
from fastapi import FastAPI

from concord_notification.adapters.delivery_log import DELIVERIES, DeliveryLog
from concord_notification.domain.rendering import Renderer
from concord_notification.entrypoints.http import deliveries_router
from concord_notification.handlers import SERVICE, Notification
from concord_notification.settings import NotificationSettings


def build_app(settings: NotificationSettings | None = None) -> FastAPI:
    settings = settings or NotificationSettings()
    runtime = build_runtime(SERVICE, settings, outbox_collection=DELIVERIES)
    deliveries = DeliveryLog(runtime.db)
    notification = Notification(
        deliveries=deliveries,
        renderer=Renderer(),
        topic=runtime.topic,
        on_written=runtime.relay.notify,
        clock=utcnow,
    )
    subscribe(runtime, [NOTIFY_REQUESTS], notification.handlers())
    return create_app(runtime, [deliveries_router(deliveries)], title="Concord notification")
