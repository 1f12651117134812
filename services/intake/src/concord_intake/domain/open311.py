"""Open311 GeoReport v2 as intake speaks it: categories are services, a service request is
a case, its service_request_id is the receipt number.

What a GET returns is public in Open311, so it carries no description, address or exact
position (they may identify a person), and early-warning reports are not listed at all.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from concord_shared.enums import CaseKind, CaseStatus, Channel, Severity
from concord_shared.registry import Category, Registry
from concord_shared.submission import CaseSubmission
from pydantic import ValidationError

from concord_intake.domain.cases import PublicRow
from concord_intake.domain.submission import FieldProblem

CLOSED = {CaseStatus.CLOSED, CaseStatus.RESOLVED, CaseStatus.NOT_ACCEPTED, CaseStatus.REFERRED}
ANONYMOUS = "匿名"


class Open311Error(Exception):
    def __init__(
        self, code: int, descriptions: list[str], headers: dict[str, str] | None = None
    ) -> None:
        super().__init__("; ".join(descriptions))
        self.code = code
        self.descriptions = descriptions
        self.headers = headers or {}

    def body(self) -> list[dict[str, Any]]:
        return [{"code": self.code, "description": d} for d in self.descriptions]


def service(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name_zh,
        "description": f"{category.name_zh} / {category.name_en}",
        "metadata": True,
        "type": "realtime",
        "keywords": ", ".join(category.kinds),
        "group": category.name_en,
    }


def service_definition(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": "kind",
                "datatype": "singlevaluelist",
                "required": True,
                "datatype_description": "What kind of matter this is.",
                "order": 1,
                "description": "Kind of matter",
                "values": [{"key": k, "name": k} for k in category.kinds],
            },
            {
                "variable": True,
                "code": "area_code",
                "datatype": "string",
                "required": True,
                "datatype_description": "Administrative area code of the village or township.",
                "order": 2,
                "description": "Area code",
            },
            {
                "variable": True,
                "code": "platform",
                "datatype": "string",
                "required": False,
                "datatype_description": "Receiving platform code; default: the area's platform.",
                "order": 3,
                "description": "Receiving platform",
            },
            {
                "variable": True,
                "code": "severity",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "For early warnings: how urgent the situation is.",
                "order": 4,
                "description": "Severity",
                "values": [{"key": s, "name": s} for s in Severity],
            },
        ],
    }


_FIELD_NAMES = {
    ("kind",): "attribute[kind]",
    ("platform",): "attribute[platform]",
    ("category",): "service_code",
    ("severity",): "attribute[severity]",
    ("location", "area_code"): "attribute[area_code]",
    ("location", "lat"): "lat",
    ("location", "lon"): "long",
    ("location", "address"): "address_string",
    ("location",): "attribute[area_code]",
    ("description",): "description",
    ("parties", 0, "name"): "first_name",
    ("parties", 0, "phone"): "phone",
    ("attachments", 0): "media_url",
}


def field_name(loc: tuple[str | int, ...]) -> str:
    return _FIELD_NAMES.get(loc, ".".join(map(str, loc)))


def submission_from_form(form: Mapping[str, str], registry: Registry) -> CaseSubmission:
    """Build a submission from Open311 POST fields; Open311Error(400) names each bad field."""
    attributes = {
        k[len("attribute[") : -1]: v for k, v in form.items() if k.startswith("attribute[")
    }
    code = form.get("service_code", "")
    if code not in registry.categories_by_code:
        raise Open311Error(400, [f"service_code: unknown service {code!r}"])
    area = attributes.get("area_code") or None
    platform = attributes.get("platform") or None
    if platform is None and area:
        local = registry.platform_for_area(area)
        platform = local.code if local else area
    name = f"{form.get('last_name', '')}{form.get('first_name', '')}".strip() or ANONYMOUS
    data: dict[str, Any] = {
        "kind": attributes.get("kind"),
        "channel": Channel.ONLINE,
        "platform": platform or "",
        "category": code,
        "description": form.get("description", ""),
        "location": {
            "area_code": area,
            "lat": form.get("lat") or None,
            "lon": form.get("long") or None,
            "address": form.get("address_string") or None,
        },
        "parties": [{"name": name, "phone": form.get("phone") or None}],
        "attachments": [form["media_url"]] if form.get("media_url") else [],
    }
    if attributes.get("severity"):
        data["severity"] = attributes["severity"]
    try:
        return CaseSubmission.model_validate(data)
    except ValidationError as exc:
        raise Open311Error(
            400, [f"{field_name(tuple(e['loc']))}: {e['msg']}" for e in exc.errors()]
        ) from exc


def problems_to_error(problems: list[FieldProblem]) -> Open311Error:
    return Open311Error(400, [f"{field_name(p.loc)}: {p.msg}" for p in problems])


def _w3c(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def status(record: PublicRow) -> str:
    """Open311's two statuses: `closed` once the case is, else `open`."""
    return "closed" if record.public.status in CLOSED else "open"


def service_request(
    record: PublicRow, registry: Registry, with_receipt: bool = True
) -> dict[str, Any]:
    """A case as a service request; without its receipt number for the public, since
    the receipt number is half of what opens the case's status."""
    category = registry.categories_by_code.get(record.category)
    department = registry.departments_by_code.get(record.public.department or "")
    public = record.public
    return {
        "service_request_id": record.receipt_number if with_receipt else None,
        "status": status(record),
        "status_notes": public.status,
        "service_name": category.name_zh if category else record.category,
        "service_code": record.category,
        "agency_responsible": department.name_zh if department else None,
        "service_notice": None,
        "requested_datetime": _w3c(record.received_at),
        "updated_datetime": _w3c(public.updated_at),
        "expected_datetime": _w3c(public.handling_due),
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


def publicly_listed(record: PublicRow) -> bool:
    return record.kind is not CaseKind.EARLY_WARNING


def update(receipt: str | None, entry: Mapping[str, Any]) -> dict[str, Any]:
    status = entry.get("status")
    return {
        "update_id": entry["update_id"],
        "service_request_id": receipt,
        "status": "closed" if status in CLOSED else "open",
        "updated_datetime": _w3c(entry["at"]),
        "description": entry.get("description", ""),
        "media_url": None,
    }
