"""Reception registers a visit in the browser and hands over the receipt; the citizen looks
the case up with it, reads where it stands in plain Chinese, and once it is closed says they
are not satisfied, which opens a review one level up. Real console, services, broker, store,
in Debian's Chromium; every page checked with axe-core and kept as a screenshot."""

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.support.browser import OfflinePage, check_accessibility, format_violations, screenshot
from tests.support.cases import unique_phone, unique_text
from tests.support.console import sign_in
from tests.support.stack import MEDIATION_SUPERVISOR_KEY, Services
from tests.support.wait import eventually

pytestmark = pytest.mark.real

SUPERVISOR = {"X-API-Key": MEDIATION_SUPERVISOR_KEY}


async def accessible(page: Page, name: str) -> None:
    """The page passes axe-core (no serious or critical violation) and is kept as a PNG."""
    await screenshot(page, name)
    violations = await check_accessibility(page)
    assert not violations, f"{name}:\n{format_violations(violations)}"


async def register_in_the_browser(page: Page, console: str, description: str) -> dict[str, str]:
    await sign_in(page, console, "reception-chengguan")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("登记受理")
    await page.get_by_label("事项类型").select_option("dispute")
    await page.get_by_label("来源方式").select_option("visit")
    await page.get_by_label("类别").select_option(label="邻里纠纷")
    await page.get_by_label("发生地").select_option("339901001001")
    await page.get_by_label("事项描述").fill(description)
    await page.locator("#party-0-name").fill("王秀英")
    phone = page.locator("#party-0-phone")
    await phone.fill("1234")  # typed wrong: told before saving
    await expect(page.locator("#party-0-phone-check")).to_contain_text("不是有效的手机号")
    await phone.fill(unique_phone())
    await expect(page.locator("#party-0-phone-check")).to_contain_text("格式正确")
    await page.locator("#party-1-name").fill("刘建国")
    await page.get_by_role("button", name="检查重复与群体性").click()
    await expect(page.locator("#hints")).to_contain_text("未发现重复或群体性事项")
    await accessible(page, "reception-register")
    await page.get_by_role("button", name="登记", exact=True).click()
    await expect(page.get_by_role("heading", name="受理回执")).to_be_visible()
    receipt = {
        "receipt_number": (await page.locator("#receipt-number").inner_text()).strip(),
        "verification_code": (await page.locator("#verification-code").inner_text()).strip(),
    }
    await accessible(page, "reception-receipt")
    return receipt


async def test_a_visit_registered_at_the_desk_is_tracked_and_rated_by_the_citizen(
    console: str, services: Services, offline_page: OfflinePage
) -> None:
    page = offline_page.page
    receipt = await register_in_the_browser(page, console, unique_text("邻居装修噪音扰民："))
    assert receipt["receipt_number"].startswith("QH")
    assert receipt["verification_code"]

    # The citizen, in a browser of their own (no sign-in).
    citizen = await offline_page.context.browser.new_context(locale="zh-CN")  # type: ignore[union-attr]
    page = await citizen.new_page()
    try:
        await page.goto(f"{console}/status")
        await accessible(page, "citizen-lookup")
        await page.get_by_label("受理编号").fill(receipt["receipt_number"])
        await page.get_by_label("查询码").fill("000000")
        await page.get_by_role("button", name="查询").click()
        await expect(page.get_by_role("alert")).to_contain_text("没有找到")

        await page.get_by_label("查询码").fill(receipt["verification_code"])
        await page.get_by_role("button", name="查询").click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text(
            receipt["receipt_number"]
        )
        facts = page.locator("dl.facts")
        await expect(facts).to_contain_text("邻里纠纷")
        await expect(facts).to_contain_text("社会治理")  # a platform's name, not its code
        await expect(facts).not_to_contain_text("339901")
        await accessible(page, "citizen-status")
        # The same page in English, by the language link; and back.
        await page.get_by_role("link", name="English").click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Your case")
        await expect(page.locator("dl.facts")).to_contain_text("Neighbour dispute")
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        await accessible(page, "citizen-status-en")
        await page.get_by_role("link", name="中文").click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text("您的事项")

        # The case is worked and closed (here through mediation's API as a supervisor).
        case_id = await eventually(lambda: mediation_case_of(services, receipt))
        async with httpx.AsyncClient(headers=SUPERVISOR, timeout=10) as http:
            for action, fields in (
                ("accept", {}),
                ("assign_mediator", {}),
                ("resolve", {"outcome": "双方同意调整施工时间"}),
                ("close", {}),
            ):
                r = await http.post(
                    f"{services.processes['mediation'].url}/cases/{case_id}/transitions",
                    json={"action": action, **fields},
                )
                assert r.status_code == 200, r.text

        async def closed_on_the_page() -> bool:
            await page.reload()
            return await page.locator(".status-line").inner_text() == "已结案"

        await eventually(closed_on_the_page, within=30, interval=0.5)
        await expect(page.get_by_role("heading", name="对办理结果满意吗？")).to_be_visible()
        await accessible(page, "citizen-feedback")
        await page.get_by_label("不满意（将由上级复查）").check()
        await page.get_by_label("意见（选填）").fill("噪音问题仍未解决")
        await page.get_by_role("button", name="提交评价").click()
        await expect(page.get_by_role("status")).to_contain_text("已为您申请复查")
        await expect(page.get_by_role("heading", name="对办理结果满意吗？")).to_have_count(0)

        async with httpx.AsyncClient(headers=SUPERVISOR, timeout=10) as http:
            case = (await http.get(f"{services.processes['mediation'].url}/cases/{case_id}")).json()
        assert case["status"] == "review_requested"
        assert case["level"] == "township"
    finally:
        await citizen.close()
    assert not offline_page.blocked, offline_page.blocked


async def mediation_case_of(services: Services, receipt: dict[str, str]) -> str | None:
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.get(f"{services.processes['intake'].url}/cases/status", params=receipt)
        if r.status_code != 200:
            return None
        case_id = r.json()["case_id"]
        m = await http.get(
            f"{services.processes['mediation'].url}/cases/{case_id}", headers=SUPERVISOR
        )
    return str(case_id) if m.status_code == 200 else None
