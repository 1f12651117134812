"""A department clerk works the department's inbox in the browser: sees the coordination
request routing sent for a land dispute, is told a decline needs a reason, accepts, then
answers; mediation's case carries the answer, and another department's clerk never sees it.
Real console, services, broker and store, in Debian's Chromium."""

from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.support.browser import OfflinePage, check_accessibility, format_violations, screenshot
from tests.support.cases import neighbour_dispute, unique_text
from tests.support.console import sign_in
from tests.support.stack import (
    INTEGRATION_KEY,
    MEDIATION_SUPERVISOR_KEY,
    ROUTING_LAND_KEY,
    Services,
)
from tests.support.wait import eventually

pytestmark = pytest.mark.real


async def accessible(page: Page, name: str) -> None:
    await screenshot(page, name)
    violations = await check_accessibility(page)
    assert not violations, f"{name}:\n{format_violations(violations)}"


async def land_case(services: Services) -> str:
    case = neighbour_dispute(category="land_dispute", description=unique_text("承包地边界争议："))
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(
            f"{services.processes['intake'].url}/cases",
            json=case,
            headers={"X-API-Key": INTEGRATION_KEY},
        )
        assert r.status_code == 201, r.text
        case_id: str = r.json()["case_id"]

        async def in_the_inbox() -> bool:
            r = await http.get(
                f"{services.processes['routing'].url}/departments/land/requests",
                headers={"X-API-Key": ROUTING_LAND_KEY},
            )
            return any(item["case_id"] == case_id for item in r.json()["requests"])

        await eventually(in_the_inbox)
    return case_id


async def mediation_replies(services: Services, case_id: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.get(
            f"{services.processes['mediation'].url}/cases/{case_id}",
            headers={"X-API-Key": MEDIATION_SUPERVISOR_KEY},
        )
    return list(r.json().get("department_replies", [])) if r.status_code == 200 else []


async def test_the_land_clerk_accepts_and_answers_a_request_in_the_inbox(
    console: str, services: Services, offline_page: OfflinePage
) -> None:
    case_id = await land_case(services)
    page = offline_page.page
    await sign_in(page, console, "clerk-land")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("自然资源")
    request = page.locator("article.request", has=page.locator(f"code:text('{case_id[:8]}')"))
    await expect(request).to_contain_text("土地纠纷")
    await expect(request).to_contain_text("待接收")
    await expect(request).to_contain_text("清河街道社会治理中心")
    await accessible(page, "department-inbox")

    # A decline without a reason is refused, and says why.
    await request.get_by_role("button", name="退回").click()
    await expect(page.get_by_role("alert")).to_contain_text("退回须写明理由")

    request = page.locator("article.request", has=page.locator(f"code:text('{case_id[:8]}')"))
    await request.get_by_role("button", name="接收").click()
    await expect(page.get_by_role("status")).to_contain_text("已接收")
    request = page.locator("article.request", has=page.locator(f"code:text('{case_id[:8]}')"))
    await expect(request).to_contain_text("已接收，待答复")
    await request.get_by_label("答复意见（必填）").fill("经核查，该地块属村集体，已通知村委会处理")
    await request.get_by_role("button", name="答复").click()
    await expect(page.get_by_role("status")).to_contain_text("已答复")

    await page.get_by_role("link", name="全部").click()
    request = page.locator("article.request", has=page.locator(f"code:text('{case_id[:8]}')"))
    await expect(request).to_contain_text("已答复")
    await expect(request).to_contain_text("已通知村委会处理")
    await accessible(page, "department-answered")

    replies = await eventually(lambda: mediation_replies(services, case_id))
    assert {r.get("department") for r in replies} >= {"land"}

    # Another department's clerk never sees it.
    hrss = await offline_page.context.browser.new_context(locale="zh-CN")  # type: ignore[union-attr]
    other = await hrss.new_page()
    try:
        await sign_in(other, console, "clerk-hrss")
        await page.wait_for_load_state("networkidle")
        await expect(other.get_by_role("heading", level=1)).to_contain_text("人力资源")
        await expect(other.locator(f"code:text('{case_id[:8]}')")).to_have_count(0)
        await other.goto(f"{console}/reception")
        await expect(other.get_by_role("alert")).to_contain_text("无权")
    finally:
        await hrss.close()
    assert not offline_page.blocked, offline_page.blocked
