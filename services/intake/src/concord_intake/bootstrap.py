"""Wires intake: settings -> store, broker, relay -> service layer -> HTTP and consumers."""

from concord_shared.envelope import utcnow
from concord_shared.registry import load_registry
from concord_shared.service import build_runtime, create_app, subscribe
from concord_shared.topics import CASE_EVENTS, INTAKE_SUBMISSIONS
from fastapi import FastAPI

from concord_intake.adapters.repository import CASES, CaseRepository
from concord_intake.entrypoints.http import cases_router
from concord_intake.handlers import SERVICE, Intake
from concord_intake.settings import IntakeSettings


def build_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    runtime = build_runtime(SERVICE, settings, outbox_collections=[CASES])
    repo = CaseRepository(runtime.db)
    intake = Intake(
        repo=repo,
        registry=load_registry(settings.registry_path),
        pseudonym_key=settings.pseudonym_key,
        receipt_prefix=settings.receipt_prefix,
        case_events_topic=runtime.topic(CASE_EVENTS),
        on_written=runtime.relay.wake,
        clock=utcnow,
    )
    runtime.startup.append(repo.ensure_indexes)
    subscribe(runtime, [INTAKE_SUBMISSIONS, CASE_EVENTS], intake.handlers())
    return create_app(
        runtime,
        [cases_router(intake)],
        title="Concord intake",
        description="Registers cases from every channel; the only service holding personal data.",
    )
