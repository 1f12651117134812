"""Open311 GeoReport v2 under /open311/v2/, with mySociety's servicerequestupdates extension.

JSON and XML (the path's extension chooses); errors in the spec's format, an array of
{code, description} with 400, 403, 404 or 429.

What a GET serves is public, and rate limited per client address. Receipt numbers are half
of what opens a case's status, so listings (requests, updates) carry them only for a
caller with an entitled key (`api_key` parameter or X-API-Key header); a request fetched by
its own id shows the id its caller already knows.
"""

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

from concord_shared.clock import Clock
from concord_shared.registry import Registry
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from concord_intake.domain import open311
from concord_intake.domain.access import Action, ApiKey, permits
from concord_intake.domain.cases import PublicRow
from concord_intake.domain.open311 import Open311Error
from concord_intake.entrypoints.auth import find_key
from concord_intake.entrypoints.public_limits import Limited, PublicLimits
from concord_intake.handlers import Intake, Registration, SubmissionRejected

PREFIX = "/open311/v2"
MAX_RESULTS = 1000  # the spec's default; also the largest page_size
MAX_PAGE = 10_000
# Dates outside these years are refused: far ones overflow date arithmetic and the store.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
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
    response = render("errors", exc.body(), fmt, exc.code)
    response.headers.update(exc.headers)
    return response


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
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise Open311Error(400, [f"{name}: not a w3c datetime, e.g. 2026-01-01T00:00:00Z"]) from exc
    if not EARLIEST <= moment < LATEST:
        raise Open311Error(400, [f"{name}: out of range (years {EARLIEST.year}-{LATEST.year})"])
    return moment


def _whole(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    """A whole-number parameter within [low, high] (the pagination extension's)."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise Open311Error(400, [f"{name}: a whole number from {low} to {high}"])
    return value


async def respond(kind: str, fmt: str, produce: Callable[[], Awaitable[Any]]) -> Response:
    """Run an Open311 operation; its Open311Error becomes the spec's error array."""
    try:
        chosen = _format(fmt)
        return render(kind, await produce(), chosen)
    except Open311Error as exc:
        return error_response(exc, fmt if fmt in ("json", "xml") else "json")


def _presented_key(request: Request) -> str | None:
    return request.query_params.get("api_key") or request.headers.get("x-api-key")


def open311_router(
    intake: Intake,
    keys: dict[str, ApiKey],
    clock: Clock,
    limits: PublicLimits,
) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["open311"])

    async def public(request: Request) -> None:
        """Count a public request of this client; Open311's 429 when it is over its limit."""
        try:
            await limits.client_request(request)
        except Limited as exc:
            raise Open311Error(
                429, ["too many requests; try again later"], {"Retry-After": str(exc.retry_after)}
            ) from exc

    def lister(request: Request) -> ApiKey | None:
        """The caller's key for a listing: none (the public view), or a valid one."""
        presented = _presented_key(request)
        if not presented:
            return None
        key = find_key(keys, presented)
        if key is None:
            raise Open311Error(403, ["api_key: not valid"])
        return key

    def shows_receipt(key: ApiKey | None, platform: str) -> bool:
        return key is not None and permits(key, Action.LIST_RECEIPTS, platform)

    def registry() -> Registry:
        return intake.registry  # looked up per call: the registry may change at runtime

    @router.get("/services.{fmt}")
    async def services(request: Request, fmt: str) -> Response:
        """The categories a citizen can report, as Open311 services."""

        async def produce() -> Any:
            await public(request)
            return [open311.service(c) for c in registry().categories]

        return await respond("services", fmt, produce)

    @router.get("/services/{service_code}.{fmt}")
    async def service_definition(request: Request, service_code: str, fmt: str) -> Response:
        """A service's attributes: kind, area code, platform, severity."""

        async def produce() -> Any:
            await public(request)
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
        """Requests by id, service, date range (at most 90 days) and status. Receipt numbers
        (service_request_id) only for an entitled api_key; the public sees none."""

        async def produce() -> Any:
            await public(request)
            caller = lister(request)
            params = dict(request.query_params)
            wanted = {s.strip() for s in params.get("status", "").split(",") if s.strip()}
            if wanted - {"open", "closed"}:
                raise Open311Error(400, ["status: use open, closed, or both comma-separated"])
            page_size = _whole(params, "page_size", MAX_RESULTS, 1, MAX_RESULTS)
            skip = (_whole(params, "page", 1, 1, MAX_PAGE) - 1) * page_size

            def shown(r: PublicRow) -> bool:
                return open311.publicly_listed(r) and (not wanted or open311.status(r) in wanted)

            named = bool(params.get("service_request_id"))
            if named:
                ids = [i.strip() for i in params["service_request_id"].split(",") if i.strip()]
                found = await intake.repo.by_receipts(ids[:MAX_RESULTS])
                records: Sequence[PublicRow] = [r for r in found if shown(r)][
                    skip : skip + page_size
                ]
            else:
                end = _date(params, "end_date", clock.now())
                start = _date(params, "start_date", max(EARLIEST, end - timedelta(days=90)))
                if end - start > timedelta(days=90) or start > end:
                    raise Open311Error(400, ["start_date: the range may not exceed 90 days"])
                codes = params.get("service_code")
                categories = set(codes.split(",")) if codes else None
                records = await intake.repo.listings.received_between(
                    start, end, categories, page_size, keep=shown, skip=skip
                )
            return [
                # Requests asked for by id show the ids their caller already knows.
                open311.service_request(r, registry(), named or shows_receipt(caller, r.platform))
                for r in records
            ]

        return await respond("requests", fmt, produce)

    @router.get("/requests/{service_request_id}.{fmt}")
    async def get_request(request: Request, service_request_id: str, fmt: str) -> Response:
        """One request, as a one-element array (as the spec has it)."""

        async def produce() -> Any:
            await public(request)
            record = await intake.repo.by_receipt(service_request_id)
            if record is None or not open311.publicly_listed(record):
                raise Open311Error(404, [f"service_request_id: no request {service_request_id}"])
            return [open311.service_request(record, registry())]

        return await respond("requests", fmt, produce)

    @router.get("/tokens/{token}.{fmt}")
    async def token(request: Request, token: str, fmt: str) -> Response:
        """The service_request_id behind a token returned by POST requests."""

        async def produce() -> Any:
            await public(request)
            record = await intake.repo.get(token)
            if record is None:
                raise Open311Error(404, [f"token: no request for token {token}"])
            return [{"service_request_id": record.receipt_number, "token": token}]

        return await respond("tokens", fmt, produce)

    @router.get("/servicerequestupdates.{fmt}")
    async def updates(request: Request, fmt: str) -> Response:
        """mySociety's extension: status updates in a time range (default: the last day);
        their service_request_id only for an entitled api_key."""

        async def produce() -> Any:
            await public(request)
            caller = lister(request)
            params = dict(request.query_params)
            end = _date(params, "end_date", clock.now())
            start = _date(params, "start_date", max(EARLIEST, end - timedelta(days=1)))
            rows = []
            for doc in await intake.repo.listings.updated_between(start, end, MAX_RESULTS):
                if doc.get("kind") == "early_warning":
                    continue
                for entry in doc.get("public_updates", []):
                    if start <= entry["at"] <= end:
                        shown = shows_receipt(caller, doc.get("platform", ""))
                        receipt = doc["receipt_number"] if shown else None
                        rows.append(open311.update(receipt, entry))
            return sorted(rows, key=lambda r: r["updated_datetime"])[:MAX_RESULTS]

        return await respond("updates", fmt, produce)

    return router
