"""Wires routing: settings -> store, broker, relay -> service layer -> HTTP and consumers."""

from concord_shared.registry import load_registry
from concord_shared.service import build_runtime, create_app, subscribe
from concord_shared.topics import CASE_EVENTS
from fastapi import FastAPI

from concord_routing.adapters.repository import ROUTES, RouteRepository
from concord_routing.domain.rules import load_rules
from concord_routing.entrypoints.http import routes_router
from concord_routing.handlers import SERVICE, Routing
from concord_routing.settings import RoutingSettings


def build_app(settings: RoutingSettings | None = None) -> FastAPI:
    settings = settings or RoutingSettings()
    runtime = build_runtime(SERVICE, settings, outbox_collection=ROUTES)
    repo = RouteRepository(runtime.db)
    registry = load_registry(settings.registry_path)
    routing = Routing(
        repo=repo,
        registry=registry,
        rules=load_rules(registry, settings.rules_path),
        topic=runtime.topic,
        on_written=runtime.relay.notify,
    )
    subscribe(runtime, [CASE_EVENTS], routing.handlers())
    return create_app(runtime, [routes_router(repo)], title="Concord routing")
