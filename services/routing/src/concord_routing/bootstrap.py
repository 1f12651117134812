"""Wires routing: settings -> store, broker, relay -> service layer -> HTTP and consumers."""

from typing import Any

import yaml
from concord_shared.api_keys import authenticated
from concord_shared.calendar import load_calendar
from concord_shared.kafka_auth import KafkaAuth
from concord_shared.provision import provision
from concord_shared.registry import load_registry
from concord_shared.service import bound, build_runtime, create_app, subscribe
from concord_shared.startup_secrets import refuse_development_secrets
from concord_shared.topics import (
    department_topic,
)
from fastapi import FastAPI

from concord_routing.adapters.config_store import ConfigStore, LiveConfig
from concord_routing.adapters.repository import ROUTES, RouteRepository
from concord_routing.domain.config import RoutingConfig
from concord_routing.domain.rules import load_rules
from concord_routing.entrypoints.http import routes_router
from concord_routing.entrypoints.inbox import inbox_router
from concord_routing.handlers import HANDLERS, SERVICE, Routing
from concord_routing.settings import RoutingSettings


def _yaml(path: Any) -> Any:
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def build_app(settings: RoutingSettings | None = None) -> FastAPI:
    settings = settings or RoutingSettings()
    refuse_development_secrets(settings, {"api_keys": settings.api_keys})
    runtime = build_runtime(SERVICE, settings, outbox_collection=ROUTES)
    repo = RouteRepository(runtime.db)
    # The files are validated before anything starts: a bad file stops the process here.
    registry = load_registry(settings.registry_path)
    store = ConfigStore(runtime.db)
    live = LiveConfig(store, RoutingConfig(0, registry, load_rules(registry, settings.rules_path)))

    async def settle_config() -> None:
        await live.settle(
            _yaml(settings.registry_path),
            _yaml(settings.rules_path),
            source=f"files {settings.registry_path.name}, {settings.rules_path.name}",
        )

    async def provision_departments(codes: list[str]) -> None:
        await provision(
            settings.kafka_bootstrap_servers,
            settings.topic_namespace,
            [department_topic(code) for code in codes],
            auth=KafkaAuth.of(settings),
        )

    routing = Routing(
        repo=repo,
        config=live,
        config_store=store,
        outbox=runtime.outbox,
        calendar=load_calendar(*settings.calendar_paths),
        max_declines=settings.max_declines,
        provision_departments=provision_departments,
    )
    runtime.startup.append(settle_config)
    runtime.startup.append(repo.ensure_indexes)
    subscribe(runtime, bound(HANDLERS, routing), on_dead_letter=routing.on_dead_letter)
    caller = authenticated(settings.api_keys)
    return create_app(
        runtime,
        [routes_router(repo, routing, store, caller), inbox_router(repo, routing, caller)],
        title="Concord routing",
    )
