"""API keys and roles at intake, on the real store."""

import httpx
import pytest

from tests.support.cases import neighbour_dispute
from tests.support.stack import AUDITOR_KEY, INTEGRATION_KEY, RECEPTION_KEY, Services

pytestmark = pytest.mark.real


def key(value: str) -> dict[str, str]:
    return {"X-API-Key": value}


async def test_missing_or_wrong_keys_get_401_without_detail(services: Services) -> None:
    url = f"{services['intake'].url}/cases"
    async with httpx.AsyncClient(timeout=10) as http:
        missing = await http.post(url, json=neighbour_dispute())
        wrong = await http.post(url, json=neighbour_dispute(), headers=key("guess"))
    for response in (missing, wrong):
        assert response.status_code == 401
        # Nothing but that the key is missing or wrong, in English and in Chinese.
        assert response.json() == {
            "detail": "authentication required",
            "message_zh": "缺少或无效的 API 密钥（X-API-Key）",
        }


async def test_reception_staff_register_only_for_their_own_platform(services: Services) -> None:
    url = f"{services['intake'].url}/cases"
    async with httpx.AsyncClient(timeout=10, headers=key(RECEPTION_KEY)) as http:
        own = await http.post(url, json=neighbour_dispute(platform="339901001"))
        other = await http.post(
            url,
            json=neighbour_dispute(platform="339901002", location={"area_code": "339901002001"}),
        )
        assert own.status_code == 201
        assert other.status_code == 403 and other.json()["detail"] == "not permitted"
        # They read their platform's case with its parties' contact data...
        mine = await http.get(f"{services['intake'].url}/cases/{own.json()['case_id']}")
        assert mine.status_code == 200
        assert mine.json()["parties"][0]["name"] == "王秀英"
        # ...and cannot tell another platform's case from a missing one.
        async with httpx.AsyncClient(timeout=10, headers=key(INTEGRATION_KEY)) as integration:
            elsewhere = await integration.post(
                url,
                json=neighbour_dispute(
                    platform="339901002", location={"area_code": "339901002001"}
                ),
            )
        theirs = await http.get(f"{services['intake'].url}/cases/{elsewhere.json()['case_id']}")
        missing = await http.get(f"{services['intake'].url}/cases/no-such-case")
        assert theirs.status_code == missing.status_code == 403


async def test_auditors_read_but_never_write(services: Services) -> None:
    url = f"{services['intake'].url}/cases"
    async with httpx.AsyncClient(timeout=10) as http:
        created = await http.post(url, json=neighbour_dispute(), headers=key(INTEGRATION_KEY))
        case_id = created.json()["case_id"]
        write = await http.post(url, json=neighbour_dispute(), headers=key(AUDITOR_KEY))
        read = await http.get(f"{url}/{case_id}", headers=key(AUDITOR_KEY))
        integration_read = await http.get(f"{url}/{case_id}", headers=key(INTEGRATION_KEY))
    assert write.status_code == 403
    assert read.status_code == 200 and read.json()["case_id"] == case_id
    assert "verification_code" not in read.json()
    assert integration_read.status_code == 403
