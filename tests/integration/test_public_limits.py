"""The public endpoints (status lookup, Open311) are rate limited: a few wrong verification
codes per receipt number, then 429 with Retry-After whatever the code and whoever asks; so
many requests per minute per client address, then 429. Open311 listings show receipt
numbers only to an entitled key."""

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from tests.support.cases import neighbour_dispute
from tests.support.security import SECURITY
from tests.support.stack import AUTH, INTEGRATION_KEY, ServiceProcess, Services
from tests.support.wait import eventually

pytestmark = pytest.mark.real

WRONG_CODES = 3
PER_CLIENT = 20


@pytest.fixture(scope="module")
def limited(services: Services) -> Iterator[ServiceProcess]:
    """An intake instance of its own (its counters are its own) with tight limits."""
    instance = services.start_instance(
        "intake",
        "limits",
        {
            "PUBLIC_LIMITS__PER_CLIENT": f"{PER_CLIENT}/minute",
            "PUBLIC_LIMITS__WRONG_CODES_PER_RECEIPT": f"{WRONG_CODES}/minute",
        },
    )
    yield instance
    instance.stop()


def other(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def register(http: httpx.AsyncClient, url: str) -> dict[str, str]:
    created = await http.post(f"{url}/cases", json=neighbour_dispute(), headers=AUTH)
    assert created.status_code == 201, created.text
    return created.json()


async def test_a_receipt_takes_a_few_wrong_codes_then_answers_429_even_to_the_right_one(
    limited: ServiceProcess,
) -> None:
    url = limited.url
    async with httpx.AsyncClient(timeout=10) as http:
        case = await register(http, url)
        spare = await register(http, url)

        async def status(receipt: dict[str, str], code: str, client: str) -> httpx.Response:
            response = await http.get(
                f"{url}/cases/status",
                params={"receipt_number": receipt["receipt_number"], "verification_code": code},
                headers={"X-Forwarded-For": client},  # a new address each time
            )
            SECURITY.endpoint("GET /cases/status wrong code", response.status_code)
            return response

        wrong = other(case["verification_code"])
        answers = [await status(case, wrong, f"10.1.0.{i}") for i in range(WRONG_CODES)]
        assert [a.status_code for a in answers] == [404] * WRONG_CODES
        locked = await status(case, wrong, "10.1.1.1")
        assert locked.status_code == 429
        assert 1 <= int(locked.headers["Retry-After"]) <= 60
        right = await status(case, case["verification_code"], "10.1.1.2")
        assert right.status_code == 429  # otherwise the one non-429 would give the code away
        assert "receipt_number" not in right.text
        # Another receipt is not affected.
        assert (await status(spare, spare["verification_code"], "10.1.1.3")).status_code == 200


async def test_parallel_guesses_past_the_limit_learn_nothing(limited: ServiceProcess) -> None:
    url = limited.url
    async with httpx.AsyncClient(timeout=30) as http:
        case = await register(http, url)
        codes = [f"{n:06d}" for n in range(40)]
        if case["verification_code"] not in codes:
            codes[-1] = case["verification_code"]
        responses = await asyncio.gather(
            *(
                http.get(
                    f"{url}/cases/status",
                    params={"receipt_number": case["receipt_number"], "verification_code": c},
                    headers={"X-Forwarded-For": f"10.2.{n // 200}.{n % 200}"},
                )
                for n, c in enumerate(codes)
            )
        )
    for r in responses:
        SECURITY.endpoint("GET /cases/status parallel guess", r.status_code)
    told_wrong = [r for r in responses if r.status_code == 404]
    assert len(told_wrong) <= WRONG_CODES
    assert {r.status_code for r in responses} <= {200, 404, 429}


async def test_a_client_gets_so_many_public_requests_a_minute(limited: ServiceProcess) -> None:
    url = limited.url
    flood = {"X-Forwarded-For": "10.3.0.1"}
    async with httpx.AsyncClient(timeout=10) as http:
        statuses = []
        for n in range(PER_CLIENT + 10):
            response = await http.get(
                f"{url}/cases/status",
                params={"receipt_number": f"QH20260101X{n:05d}", "verification_code": "123456"},
                headers=flood,
            )
            statuses.append(response.status_code)
            SECURITY.endpoint("GET /cases/status flood", response.status_code)
        assert statuses[:PER_CLIENT] == [404] * PER_CLIENT
        assert set(statuses[PER_CLIENT:]) == {429}
        assert int(response.headers["Retry-After"]) >= 1
        # The same client on Open311: limited too, answered in the spec's error format.
        services_list = await http.get(f"{url}/open311/v2/services.json", headers=flood)
        SECURITY.endpoint("GET /open311/v2/services.json flood", services_list.status_code)
        assert services_list.status_code == 429
        assert services_list.json()[0]["code"] == 429
        assert int(services_list.headers["Retry-After"]) >= 1
        # Another client is served.
        calm = await http.get(
            f"{url}/open311/v2/services.json", headers={"X-Forwarded-For": "10.3.0.2"}
        )
        assert calm.status_code == 200


async def test_open311_listings_show_receipt_numbers_only_to_an_entitled_key(
    services: Services,
) -> None:
    root = f"{services['intake'].url}/open311/v2"
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    async with httpx.AsyncClient(timeout=10) as http:
        case = await register(http, services["intake"].url)
        receipt = case["receipt_number"]
        query = {"service_code": "neighbour"}
        public = await http.get(f"{root}/requests.json", params=query)
        SECURITY.endpoint("GET /open311/v2/requests.json key=none", public.status_code)
        assert public.status_code == 200 and public.json()
        assert receipt not in public.text
        assert all(row["service_request_id"] is None for row in public.json())
        keyed = await http.get(
            f"{root}/requests.json", params={**query, "api_key": INTEGRATION_KEY}
        )
        SECURITY.endpoint("GET /open311/v2/requests.json key=integration", keyed.status_code)
        assert receipt in {row["service_request_id"] for row in keyed.json()}
        bad = await http.get(f"{root}/requests.json", params={**query, "api_key": "not-a-key"})
        SECURITY.endpoint("GET /open311/v2/requests.json key=wrong", bad.status_code)
        assert bad.status_code == 403 and bad.json()[0]["code"] == 403

        async def updates(**params: str) -> list[dict[str, str]]:
            got = await http.get(
                f"{root}/servicerequestupdates.json", params={"start_date": started, **params}
            )
            SECURITY.endpoint("GET /open311/v2/servicerequestupdates.json", got.status_code)
            return got.json()

        async def routed() -> list[dict[str, str]] | None:
            mine = await updates(api_key=INTEGRATION_KEY)
            return [u for u in mine if u["service_request_id"] == receipt] or None

        await eventually(routed)
        anonymous = await updates()
        assert anonymous and all(u["service_request_id"] is None for u in anonymous)
