"""Wires notification: settings -> store, broker, relay -> planner and dispatcher -> HTTP,
consumers."""

from datetime import timedelta

from concord_shared.clock import clock_for
from concord_shared.registry import load_registry
from concord_shared.service import bound, build_runtime, create_app, subscribe
from concord_shared.startup_secrets import refuse_development_secrets
from fastapi import FastAPI

from concord_notification.adapters.channels import (
    Mailer,
    SmsConfig,
    SmsGateway,
    SmtpConfig,
    Webhooks,
)
from concord_notification.adapters.contacts import Directory, IntakeContacts
from concord_notification.adapters.delivery_log import DELIVERIES, DeliveryLog
from concord_notification.adapters.schedule import DeliverySchedule
from concord_notification.adapters.subscriptions import Subscriptions
from concord_notification.delivery_queue import DeliveryQueue
from concord_notification.dispatcher import Dispatcher, RetryPolicy
from concord_notification.domain.quiet_hours import QuietHours
from concord_notification.domain.rendering import Renderer
from concord_notification.entrypoints.http import deliveries_router, subscriptions_router
from concord_notification.handlers import BATCH_HANDLERS, HANDLERS, SERVICE, Notification
from concord_notification.settings import NotificationSettings


def build_app(settings: NotificationSettings | None = None) -> FastAPI:
    s = settings or NotificationSettings()
    refuse_development_secrets(s, {"api_keys": s.api_keys, "intake_api_key": s.intake_api_key})
    runtime = build_runtime(SERVICE, s, outbox_collection=DELIVERIES)
    clock = clock_for(s.clock_file, runs=True)
    deliveries = DeliveryLog(runtime.db)
    schedule = DeliverySchedule(runtime.db)
    subscriptions = Subscriptions(runtime.db)
    contacts = IntakeContacts(s.intake_url, s.intake_api_key, s.send_timeout_s)
    directory = Directory.load(s.contacts_path)
    sms = SmsGateway(
        SmsConfig(s.sms_gateway_url, s.sms_gateway_username, s.sms_gateway_password, s.sms_sender),
        s.send_timeout_s,
    )
    webhooks = Webhooks(s.send_timeout_s, public_only=not s.development)
    queue = DeliveryQueue()  # the planner puts what is due now, the dispatcher takes it
    planner = Notification(
        deliveries=deliveries,
        schedule=schedule,
        subscriptions=subscriptions,
        contacts=contacts,
        directory=directory,
        renderer=Renderer(),
        quiet=QuietHours.parse(s.quiet_hours_start, s.quiet_hours_end, s.quiet_hours_timezone),
        outbox=runtime.outbox,
        clock=clock,
        sms_configured=sms.configured,
        queue=queue,
        reminder_days=s.department_reminder_days,
    )
    dispatcher = Dispatcher(
        planner=planner,
        deliveries=deliveries,
        schedule=schedule,
        subscriptions=subscriptions,
        contacts=contacts,
        directory=directory,
        webhooks=webhooks,
        mailer=Mailer(
            SmtpConfig(
                s.smtp_host,
                s.smtp_port,
                s.smtp_sender,
                s.smtp_starttls,
                s.smtp_username,
                s.smtp_password,
                s.send_timeout_s,
            )
        ),
        sms=sms,
        clock=clock,
        outbox=runtime.outbox,
        policy=RetryPolicy(
            attempts=s.delivery_attempts,
            base_delay_s=s.retry_base_delay_s,
            max_delay_s=s.retry_max_delay_s,
            pause_after_failures=s.pause_after_failures,
            lease=timedelta(seconds=max(30.0, 3 * s.send_timeout_s)),
        ),
        seal=runtime.seal,
        queue=queue,
        interval_s=s.dispatch_interval_s,
    )
    departments = load_registry(s.registry_path).department_codes()
    subscribe(
        runtime,
        bound(HANDLERS, planner),
        bound(BATCH_HANDLERS, planner),
        departments=departments,
    )

    async def start() -> None:
        dispatcher.start()

    async def stop() -> None:
        await dispatcher.stop()
        await webhooks.close()
        await sms.close()
        await contacts.close()

    runtime.startup.append(start)
    runtime.shutdown.append(stop)
    return create_app(
        runtime,
        [
            deliveries_router(deliveries, s.api_keys),
            subscriptions_router(subscriptions, s.api_keys, clock, development=s.development),
        ],
        title="Concord notification",
        description="Tells citizens, departments, mediators and leaders, once.",
    )
