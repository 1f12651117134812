"""Wires intake: settings -> store, broker, relay -> service layer -> HTTP and consumers."""

from concord_shared.clock import SystemClock
from concord_shared.outbox import Outbox
from concord_shared.registry import load_registry
from concord_shared.registry_source import RegistrySource
from concord_shared.service import bound, build_runtime, create_app, subscribe
from concord_shared.startup_secrets import refuse_development_secrets
from concord_shared.store import Document
from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from concord_intake.adapters.repository import CASES, CaseRepository
from concord_intake.entrypoints.auth import authenticated
from concord_intake.entrypoints.contacts import contacts_router
from concord_intake.entrypoints.http import cases_router
from concord_intake.entrypoints.open311 import open311_router
from concord_intake.entrypoints.public_limits import PublicLimits
from concord_intake.handlers import BATCH_HANDLERS, HANDLERS, SERVICE, Intake
from concord_intake.settings import IntakeSettings


def build_intake(db: AsyncDatabase[Document], settings: IntakeSettings, outbox: Outbox) -> Intake:
    """The service layer, for the service process and for the bulk-import CLI alike."""
    return Intake(
        repo=CaseRepository(db),
        registry_source=RegistrySource(
            load_registry(settings.registry_path),
            settings.routing_url,
            settings.registry_refresh_s,
        ),
        pseudonym_key=settings.pseudonym_key,
        receipt_prefix=settings.receipt_prefix,
        outbox=outbox,
        clock=SystemClock(),
        grouping=settings.grouping,
    )


def build_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    refuse_development_secrets(
        settings, {"api_keys": settings.api_keys}, {"pseudonym_key": settings.pseudonym_key}
    )
    runtime = build_runtime(SERVICE, settings, outbox_collection=CASES)
    intake = build_intake(runtime.db, settings, runtime.outbox)
    runtime.startup.append(intake.repo.ensure_indexes)

    async def follow_registry() -> None:
        intake.registry_source.start()

    runtime.startup.append(follow_registry)
    runtime.shutdown.append(intake.registry_source.stop)
    limits = PublicLimits(settings.public_limits)
    subscribe(runtime, bound(HANDLERS, intake), bound(BATCH_HANDLERS, intake))
    return create_app(
        runtime,
        [
            cases_router(intake, authenticated(settings.api_keys), limits),
            open311_router(intake, settings.api_keys, intake.clock, limits),
            contacts_router(intake, authenticated(settings.api_keys)),
        ],
        title="Concord intake",
        description="Registers cases from every channel; the only service holding personal data.",
    )
