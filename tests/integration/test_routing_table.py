"""The routing table on the real broker: 240 generated cases, each sent as intake emits it,
each decision read back from routing's API and compared with the one written in the table."""

import asyncio

import httpx
import pytest

from tests.support.routing import new_case_id, received, route_of, send_received
from tests.support.stack import Services
from tests.unit.test_routing_table import ROWS, expected_of

pytestmark = pytest.mark.real


async def test_every_case_of_the_table_is_routed_as_written(services: Services) -> None:
    case_ids = {row["case"]: new_case_id() for row in ROWS}
    await send_received(
        services.namespace,
        {
            case_ids[row["case"]]: received(
                case_ids[row["case"]],
                kind=row["kind"],
                category=row["category"],
                area_code=row["area_code"],
                severity=row["severity"],
                party_count=int(row["party_count"]),
                collective=row["collective"] == "true",
                repeat=row["repeat"] == "true",
            )
            for row in ROWS
        },
    )
    base = services["routing"].url
    async with httpx.AsyncClient(timeout=10) as http:
        routes = await asyncio.gather(
            *(route_of(http, base, case_ids[row["case"]]) for row in ROWS)
        )
    wrong = {}
    for row, route in zip(ROWS, routes, strict=True):
        [decision] = route["decisions"]
        got = {
            "level": decision["level"],
            "platform": decision["platform"],
            "desk": decision["desk"],
            "lead": decision["lead_department"],
            "co": decision["co_departments"],
            "rule_id": decision["rule_id"],
        }
        if got != expected_of(row):
            wrong[row["case"]] = (got, expected_of(row))
    assert not wrong
