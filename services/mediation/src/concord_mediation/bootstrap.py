"""Wires mediation: settings -> store, broker, relay -> service layer -> HTTP, consumers and
the deadline watch."""

import asyncio

import structlog
from concord_shared.background import Background
from concord_shared.calendar import DAY_S, load_calendar
from concord_shared.clock import clock_for
from concord_shared.registry import load_registry
from concord_shared.service import bound, build_runtime, create_app, subscribe
from concord_shared.startup_secrets import refuse_development_secrets
from fastapi import FastAPI

from concord_mediation.adapters.indexes import CaseIndexes
from concord_mediation.adapters.locks import CaseLocks
from concord_mediation.adapters.repository import CASES, MediationRepository
from concord_mediation.domain.assignment import load_mediators
from concord_mediation.domain.deadlines import DeadlinePolicy, Span, default_rules
from concord_mediation.entrypoints.http import mediation_router
from concord_mediation.handlers import HANDLERS, SERVICE, Mediation
from concord_mediation.queues import Queues
from concord_mediation.reports import Reports
from concord_mediation.settings import MediationSettings
from concord_mediation.timers import DeadlineWatch
from concord_mediation.workflow import Workflow

log = structlog.get_logger(__name__)


def deadline_policy(settings: MediationSettings) -> DeadlinePolicy:
    rules = settings.deadline_rules or default_rules(
        settings.acceptance_days, settings.handling_days, settings.high_severity_warning_hours
    )
    return DeadlinePolicy(
        rules=tuple(rules),
        calendar=load_calendar(*settings.calendar_paths),
        warn_share=settings.warn_share,
        extension_max=Span(settings.extension_max_days * DAY_S, "working"),
        review_window=Span(settings.review_window_days * DAY_S, "calendar"),
    )


def build_app(settings: MediationSettings | None = None) -> FastAPI:
    settings = settings or MediationSettings()
    refuse_development_secrets(settings, {"api_keys": settings.api_keys})
    runtime = build_runtime(SERVICE, settings, outbox_collection=CASES)
    repo = MediationRepository(runtime.db)
    locks = CaseLocks(runtime.db)
    registry = load_registry(settings.registry_path)
    policy = deadline_policy(settings)
    indexes = CaseIndexes(runtime.db, policy.calendar.tz)
    clock = clock_for(settings.clock_file)
    workflow = Workflow(
        repo=repo,
        registry=registry,
        policy=policy,
        mediators=load_mediators(settings.mediators_path),
        clock=clock,
        outbox=runtime.outbox,
        locks=locks,
        indexes=indexes,
    )
    mediation = Mediation(repo, workflow)
    reports = Reports(repo, indexes, registry, policy.calendar, settings.rating)
    queues = Queues(repo, indexes, registry, clock, policy.calendar.tz)
    watch = DeadlineWatch(workflow, settings.timer_interval_s)
    backfill = Background("mediation-backfill")

    async def backfill_indexes() -> None:
        # Cases stored before the index documents existed; readers use the old queries
        # until it is done (then marked, so it runs once per store).
        while True:
            try:
                await indexes.backfill(locks, repo.get, clock.now())
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("backfill of the case indexes failed; trying again")
                await asyncio.sleep(5)

    async def start_background() -> None:
        await repo.ensure_mediator_set()
        backfill.start(backfill_indexes)
        watch.start()

    async def stop_background() -> None:
        await watch.stop()
        await backfill.stop()

    runtime.startup.append(repo.ensure_indexes)
    runtime.startup.append(start_background)
    runtime.shutdown.append(stop_background)
    subscribe(runtime, bound(HANDLERS, mediation))
    app = create_app(
        runtime,
        [mediation_router(repo, workflow, reports, settings.api_keys, registry, queues)],
        title="Concord mediation",
    )
    app.state.deadline_watch = watch
    return app
