"""Wires mediation: settings -> store, broker, relay -> service layer -> HTTP and consumers."""

from concord_shared.service import build_runtime, create_app, subscribe
from concord_shared.topics import VERTICAL_ASSIGN
from fastapi import FastAPI

from concord_mediation.adapters.repository import CASES, MediationRepository
from concord_mediation.domain.deadlines import DeadlinePolicy
from concord_mediation.entrypoints.http import mediation_router
from concord_mediation.handlers import SERVICE, Mediation
from concord_mediation.settings import MediationSettings


def build_app(settings: MediationSettings | None = None) -> FastAPI:
    settings = settings or MediationSettings()
    runtime = build_runtime(SERVICE, settings, outbox_collection=CASES)
    repo = MediationRepository(runtime.db)
    mediation = Mediation(
        repo=repo,
        deadlines=DeadlinePolicy(
            settings.acceptance_days, settings.handling_days, settings.high_severity_warning_hours
        ),
        topic=runtime.topic,
        on_written=runtime.relay.notify,
    )
    runtime.startup.append(repo.ensure_indexes)
    subscribe(runtime, [VERTICAL_ASSIGN], mediation.handlers())
    return create_app(runtime, [mediation_router(repo)], title="Concord mediation")
