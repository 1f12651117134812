"""Open311 GeoReport v2 at intake, driven by the third-party client `georeport` where it can
(it has no call to create a request, in any version: that one is a plain form POST)."""

import asyncio
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime

import httpx
import pytest
from georeport import GeoReport

from tests.support.cases import unique_phone, unique_text
from tests.support.stack import INTEGRATION_KEY, RECEPTION_KEY, Services
from tests.support.wait import eventually

pytestmark = pytest.mark.real


def form(**overrides: str) -> dict[str, str]:
    data = {
        "api_key": INTEGRATION_KEY,
        "service_code": "neighbour",
        "attribute[kind]": "dispute",
        "attribute[area_code]": "339901001001",
        "description": unique_text("楼上漏水："),
        "first_name": "秀英",
        "last_name": "王",
        "phone": unique_phone(),
        "address_string": "东街村3组12号",
        "lat": "30.1234",
        "long": "120.5678",
    }
    data.update(overrides)
    return data


async def test_create_read_back_and_list_with_the_georeport_client(services: Services) -> None:
    root = f"{services['intake'].url}/open311/v2"
    client = GeoReport(root)
    services_list = await asyncio.to_thread(client.get_service_list)
    assert "neighbour" in {s["service_code"] for s in services_list}
    definition = await asyncio.to_thread(client.get_service_definition, "neighbour")
    assert {a["code"] for a in definition["attributes"]} >= {"kind", "area_code"}

    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    async with httpx.AsyncClient(timeout=10) as http:
        created = await http.post(f"{root}/requests.json", data=form())
    assert created.status_code == 200, created.text
    request_id = created.json()[0]["service_request_id"]
    token = created.json()[0]["token"]

    one = await asyncio.to_thread(client.get_service_request, request_id)
    assert one["service_request_id"] == request_id
    assert one["service_code"] == "neighbour" and one["status"] == "open"
    assert one["address"] is None and one["lat"] is None  # nothing that locates a person

    # Listings show receipt numbers to an entitled key only (the client sends none).
    listed = await asyncio.to_thread(client.get_service_requests, service_code="neighbour")
    assert request_id not in {r["service_request_id"] for r in listed}
    async with httpx.AsyncClient(timeout=10) as http:
        keyed = await http.get(
            f"{root}/requests.json",
            params={"service_code": "neighbour", "api_key": INTEGRATION_KEY},
        )
    assert request_id in {r["service_request_id"] for r in keyed.json()}
    by_id = await asyncio.to_thread(client.get_service_requests, service_request_id=request_id)
    assert [r["service_request_id"] for r in by_id] == [request_id]

    async with httpx.AsyncClient(timeout=10) as http:
        tokens = (await http.get(f"{root}/tokens/{token}.json")).json()
        assert tokens == [{"service_request_id": request_id, "token": token}]

        async def routed_update() -> list | None:
            # At most 1,000 updates per call, oldest first: a client pages by start_date.
            updates = (
                await http.get(
                    f"{root}/servicerequestupdates.json",
                    params={"start_date": started, "api_key": INTEGRATION_KEY},
                )
            ).json()
            return [u for u in updates if u["service_request_id"] == request_id] or None

        updates = await eventually(routed_update)
        assert updates[0]["status"] == "open" and updates[0]["update_id"]

        xml = await http.get(f"{root}/requests/{request_id}.xml")
        assert xml.status_code == 200
        parsed = ElementTree.fromstring(xml.content)
        assert parsed.tag == "service_requests"
        assert parsed.find("request/service_request_id").text == request_id  # type: ignore[union-attr]


async def test_open311_errors_use_the_specs_format(services: Services) -> None:
    root = f"{services['intake'].url}/open311/v2"
    async with httpx.AsyncClient(timeout=10) as http:
        bad = await http.post(
            f"{root}/requests.json", data=form(phone="12", **{"attribute[kind]": "x"})
        )
        assert bad.status_code == 400
        descriptions = [e["description"] for e in bad.json()]
        assert all(e["code"] == 400 for e in bad.json())
        assert any(d.startswith("phone:") for d in descriptions)
        assert any(d.startswith("attribute[kind]:") for d in descriptions)

        no_key = await http.post(f"{root}/requests.json", data=form(api_key=""))
        assert no_key.status_code == 403 and no_key.json()[0]["code"] == 403
        elsewhere = await http.post(
            f"{root}/requests.json",
            data=form(api_key=RECEPTION_KEY, **{"attribute[area_code]": "339901002001"}),
        )
        assert elsewhere.status_code == 403

        missing = await http.get(f"{root}/requests/QH00000000XXXXXX.json")
        assert missing.status_code == 404 and missing.json()[0]["code"] == 404
        unknown_service = await http.get(f"{root}/services/nothing.json")
        assert unknown_service.status_code == 404
        too_long = await http.get(
            f"{root}/requests.json",
            params={"start_date": "2020-01-01T00:00:00Z", "end_date": "2021-01-01T00:00:00Z"},
        )
        assert too_long.status_code == 400


async def test_requests_are_listed_a_page_at_a_time_newest_first(services: Services) -> None:
    """The pagination extension (page, page_size) that Chicago, Boston and Toronto serve:
    pages in order, newest first, none repeated, a short last page, and a status filter
    that fills pages rather than emptying them."""
    root = f"{services['intake'].url}/open311/v2"
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    async with httpx.AsyncClient(timeout=10) as http:
        made = []
        for _ in range(5):
            created = await http.post(f"{root}/requests.json", data=form(service_code="family"))
            assert created.status_code == 200, created.text
            made.append(created.json()[0]["service_request_id"])

        async def page(number: int, size: int, **extra: str) -> list[str]:
            r = await http.get(
                f"{root}/requests.json",
                params={
                    "start_date": started,
                    "service_code": "family",
                    "api_key": INTEGRATION_KEY,
                    "page": str(number),
                    "page_size": str(size),
                    **extra,
                },
            )
            assert r.status_code == 200, r.text
            return [x["service_request_id"] for x in r.json()]

        everything = await page(1, 1000)
        assert set(made) <= set(everything)
        pages = [await page(n, 2) for n in (1, 2, 3)]
        assert [len(p) for p in pages[:2]] == [2, 2]
        assert [i for p in pages for i in p] == everything[:6]  # in order, none twice
        assert await page(len(everything) + 1, 1) == []
        assert await page(1, 3, status="open") == everything[:3]  # all still open
        assert await page(1, 3, status="closed") == []

        for bad, field in (
            ({"page_size": "0"}, "page_size"),
            ({"page_size": "1001"}, "page_size"),
            ({"page": "x"}, "page"),
        ):
            r = await http.get(f"{root}/requests.json", params=bad)
            assert r.status_code == 400
            assert r.json()[0]["description"].startswith(f"{field}:")
