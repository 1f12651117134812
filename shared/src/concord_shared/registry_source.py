"""The registry in force, read from routing: one source for categories, areas, platforms and
departments.

The registry changes at runtime through routing's admin API (PUT /admin/registry, validated
and audited there); every other service reads it from routing's GET /registry and keeps it
fresh in the background. Until routing first answers, the seed file routing itself starts
from; when routing does not answer, the last registry it gave.
"""

from typing import Any

import httpx
import structlog

from concord_shared.background import Background, every
from concord_shared.registry import Registry

log = structlog.get_logger(__name__)


class RegistrySource:
    def __init__(self, seed: Registry, routing_url: str | None, interval_s: float = 10.0) -> None:
        self._current = seed
        self._url = routing_url.rstrip("/") if routing_url else None
        self._interval_s = interval_s
        self._etag: str | None = None
        self._client: httpx.AsyncClient | None = None
        self._background = Background("registry-refresh")
        self.revision: int | None = None  # routing's revision of the registry in use

    @property
    def current(self) -> Registry:
        return self._current

    async def refresh(self) -> bool:
        """Ask routing for its registry; True when it changed. Unchanged (304) or refused,
        the one in use stays."""
        if self._url is None:
            return False
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=5.0)
        headers = {"If-None-Match": self._etag} if self._etag else {}
        response = await self._client.get(f"{self._url}/registry", headers=headers)
        if response.status_code == 304:
            return False
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        registry = Registry.model_validate(body["registry"])
        changed = registry != self._current
        self._current, self._etag = registry, response.headers.get("ETag")
        self.revision = body.get("revision")
        if changed:
            log.info("registry changed at routing", revision=self.revision)
        return changed

    def start(self) -> None:
        if self._url is not None:
            self._background.start(
                every(self._interval_s, self.refresh, "routing's registry not read")
            )

    async def stop(self) -> None:
        await self._background.stop()
        if self._client is not None:
            await self._client.aclose()
