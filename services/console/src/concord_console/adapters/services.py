"""The four services' HTTP APIs, as the console calls them: one client per service, the key
of the signed-in user's scope on every call, and the services' errors turned into one
exception the pages can show (a 422's fields, a 409's reason, a 403, an outage)."""

from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

Service = Literal["intake", "routing", "mediation", "notification"]
SERVICES: tuple[Service, ...] = ("intake", "routing", "mediation", "notification")


@dataclass
class FieldProblem:
    field: str  # "parties.0.phone", without the "body" prefix
    message: str


@dataclass
class ServiceError(Exception):
    """A service answered with an error, or did not answer (status 0)."""

    service: Service
    status: int
    reason: str = ""
    problems: list[FieldProblem] = field(default_factory=list)
    retry_after_s: int | None = None

    def __str__(self) -> str:
        return f"{self.service} answered {self.status}: {self.reason}"


def _problems(detail: Any) -> list[FieldProblem]:
    if not isinstance(detail, list):
        return []
    found = []
    for item in detail:
        loc = [str(p) for p in item.get("loc", ()) if p not in ("body", "query", "path")]
        found.append(FieldProblem(".".join(loc), str(item.get("msg", ""))))
    return found


class ServiceClient:
    """One service's API. `key` is the scope's API key for it (None: a public endpoint)."""

    def __init__(self, service: Service, base_url: str, timeout_s: float) -> None:
        self.service = service
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout_s)

    async def call(
        self,
        method: str,
        path: str,
        key: str | None = None,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        sent = dict(headers or {})
        if key:
            sent["X-API-Key"] = key
        try:
            response = await self._http.request(
                method, path, json=json, params=params, headers=sent
            )
        except httpx.HTTPError as exc:
            raise ServiceError(self.service, 0, type(exc).__name__) from exc
        if response.status_code >= 400:
            raise self._error(response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def _error(self, response: httpx.Response) -> ServiceError:
        try:
            detail = response.json().get("detail")
        except ValueError:
            detail = response.text[:200]
        retry = response.headers.get("Retry-After")
        return ServiceError(
            self.service,
            response.status_code,
            reason=detail if isinstance(detail, str) else "",
            problems=_problems(detail),
            retry_after_s=int(retry) if retry and retry.isdigit() else None,
        )

    async def ready(self) -> bool:
        try:
            return (await self._http.get("/health")).status_code == 200
        except httpx.HTTPError:
            return False

    async def close(self) -> None:
        await self._http.aclose()


@dataclass
class Backends:
    intake: ServiceClient
    routing: ServiceClient
    mediation: ServiceClient
    notification: ServiceClient

    @classmethod
    def connect(cls, urls: dict[Service, str], timeout_s: float) -> "Backends":
        clients = {name: ServiceClient(name, urls[name], timeout_s) for name in SERVICES}
        return cls(**clients)

    def all(self) -> list[ServiceClient]:
        return [self.intake, self.routing, self.mediation, self.notification]

    async def close(self) -> None:
        for client in self.all():
            await client.close()
