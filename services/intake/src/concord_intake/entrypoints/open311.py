"""Open311 GeoReport v2 under /open311/v2/, with mySociety's servicerequestupdates extension.

JSON and XML (the path's extension chooses); errors in the spec's format, an array of
{code, description} with 400, 403 or 404.
"""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

from concord_shared.registry import Registry
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from concord_intake.domain import open311
from concord_intake.domain.access import Action, ApiKey, permits
from concord_intake.domain.open311 import Open311Error
from concord_intake.entrypoints.auth import find_key
from concord_intake.handlers import Intake, Registration, SubmissionRejected

PREFIX = "/open311/v2"
MAX_RESULTS = 1000
# The XML root and item element of each kind of answer, as in the spec's examples.
XML_NAMES = {
    "services": ("services", "service"),
    "service_definition": ("service_definition", None),
    "requests": ("service_requests", "request"),
    "tokens": ("service_requests", "request"),
    "updates": ("service_request_updates", "request_update"),
    "errors": ("errors", "error"),
}


def _xml(kind: str, body: Any) -> bytes:
    root_name, item_name = XML_NAMES[kind]
    root = ElementTree.Element(root_name)

    def fill(element: ElementTree.Element, value: Any, item: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                fill(ElementTree.SubElement(element, k), v, k[:-1] if k.endswith("s") else k)
        elif isinstance(value, list):
            for v in value:
                fill(ElementTree.SubElement(element, item), v, item)
        elif value is not None:
            element.text = str(value).lower() if isinstance(value, bool) else str(value)

    fill(root, body, item_name or "item")
    body_bytes: bytes = ElementTree.tostring(root, "utf-8")
    return b'<?xml version="1.0" encoding="utf-8"?>' + body_bytes


def render(kind: str, body: Any, fmt: str, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(_xml(kind, body), status_code=status, media_type="application/xml")
    return JSONResponse(body, status_code=status)


def error_response(exc: Open311Error, fmt: str = "json") -> Response:
    return render("errors", exc.body(), fmt, exc.code)


def _format(fmt: str) -> str:
    if fmt not in ("json", "xml"):
        raise Open311Error(404, [f"format {fmt!r} is not served; use json or xml"])
    return fmt


def _date(params: dict[str, str], name: str, default: datetime) -> datetime:
    raw = params.get(name)
    if not raw:
        return default
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Open311Error(400, [f"{name}: not a w3c datetime, e.g. 2026-01-01T00:00:00Z"]) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def respond(kind: str, fmt: str, produce: Callable[[], Awaitable[Any]]) -> Response:
    """Run an Open311 operation; its Open311Error becomes the spec's error array."""
    try:
        chosen = _format(fmt)
        return render(kind, await produce(), chosen)
    except Open311Error as exc:
        return error_response(exc, fmt if fmt in ("json", "xml") else "json")


def open311_router(
    intake: Intake, keys: dict[str, ApiKey], clock: Callable[[], datetime]
) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["open311"])

    def registry() -> Registry:
        return intake.registry  # looked up per call: the registry may change at runtime

    @router.get("/services.{fmt}")
    async def services(fmt: str) -> Response:
        """The categories a citizen can report, as Open311 services."""

        async def produce() -> Any:
            return [open311.service(c) for c in registry().categories]

        return await respond("services", fmt, produce)

    @router.get("/services/{service_code}.{fmt}")
    async def service_definition(service_code: str, fmt: str) -> Response:
        """A service's attributes: kind, area code, platform, severity."""

        async def produce() -> Any:
            category = registry().categories_by_code.get(service_code)
            if category is None:
                raise Open311Error(404, [f"service_code: no service {service_code!r}"])
            return open311.service_definition(category)

        return await respond("service_definition", fmt, produce)

    @router.post("/requests.{fmt}")
    async def create_request(request: Request, fmt: str) -> Response:
        """Create a service request (form-encoded, with api_key). Returns its id at once."""

        async def produce() -> Any:
            form = {k: str(v) for k, v in (await request.form()).items()}
            key = find_key(keys, form.get("api_key"))
            if key is None:
                raise Open311Error(403, ["api_key: missing or not valid"])
            submission = open311.submission_from_form(form, registry())
            if not permits(key, Action.REGISTER, submission.platform):
                raise Open311Error(403, ["api_key: not permitted for this platform"])
            try:
                registered = await intake.register(Registration(submission))
            except SubmissionRejected as exc:
                raise open311.problems_to_error(exc.problems) from exc
            record = registered.record
            return [
                {
                    "service_request_id": record.receipt_number,
                    "token": record.case_id,
                    "service_notice": f"验证码 / verification code: {record.verification_code}",
                    "account_id": None,
                }
            ]

        return await respond("requests", fmt, produce)

    @router.get("/requests.{fmt}")
    async def list_requests(request: Request, fmt: str) -> Response:
        """Requests by id, service, date range (at most 90 days) and status."""

        async def produce() -> Any:
            params = dict(request.query_params)
            wanted = {s.strip() for s in params.get("status", "").split(",") if s.strip()}
            if wanted - {"open", "closed"}:
                raise Open311Error(400, ["status: use open, closed, or both comma-separated"])
            if params.get("service_request_id"):
                ids = [i.strip() for i in params["service_request_id"].split(",") if i.strip()]
                records = await intake.repo.by_receipts(ids[:MAX_RESULTS])
            else:
                end = _date(params, "end_date", clock())
                start = _date(params, "start_date", end - timedelta(days=90))
                if end - start > timedelta(days=90) or start > end:
                    raise Open311Error(400, ["start_date: the range may not exceed 90 days"])
                query: dict[str, Any] = {"received_at": {"$gte": start, "$lte": end}}
                if params.get("service_code"):
                    query["category"] = {"$in": params["service_code"].split(",")}
                records = await intake.repo.search(query, MAX_RESULTS)
            rows = [
                open311.service_request(r, registry())
                for r in records
                if open311.publicly_listed(r)
            ]
            return [r for r in rows if not wanted or r["status"] in wanted]

        return await respond("requests", fmt, produce)

    @router.get("/requests/{service_request_id}.{fmt}")
    async def get_request(service_request_id: str, fmt: str) -> Response:
        """One request, as a one-element array (as the spec has it)."""

        async def produce() -> Any:
            record = await intake.repo.by_receipt(service_request_id)
            if record is None or not open311.publicly_listed(record):
                raise Open311Error(404, [f"service_request_id: no request {service_request_id}"])
            return [open311.service_request(record, registry())]

        return await respond("requests", fmt, produce)

    @router.get("/tokens/{token}.{fmt}")
    async def token(token: str, fmt: str) -> Response:
        """The service_request_id behind a token returned by POST requests."""

        async def produce() -> Any:
            record = await intake.repo.get(token)
            if record is None:
                raise Open311Error(404, [f"token: no request for token {token}"])
            return [{"service_request_id": record.receipt_number, "token": token}]

        return await respond("tokens", fmt, produce)

    @router.get("/servicerequestupdates.{fmt}")
    async def updates(request: Request, fmt: str) -> Response:
        """mySociety's extension: status updates in a time range (default: the last day)."""

        async def produce() -> Any:
            params = dict(request.query_params)
            end = _date(params, "end_date", clock())
            start = _date(params, "start_date", end - timedelta(days=1))
            rows = []
            for doc in await intake.repo.updated_between(start, end):
                if doc.get("kind") == "early_warning":
                    continue
                for entry in doc.get("public_updates", []):
                    if start <= entry["at"] <= end:
                        rows.append(open311.update(doc["receipt_number"], entry))
            return sorted(rows, key=lambda r: r["updated_datetime"])[:MAX_RESULTS]

        return await respond("updates", fmt, produce)

    return router
