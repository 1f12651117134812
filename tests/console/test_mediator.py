"""A village mediator works a neighbour dispute from the queue to closing, through the
console's forms only: accept, assign a mediator, schedule a session in local time, record it,
reach an agreement, resolve, close; a refused form names its field; the township above reads
the village's case without its forms. Real console, services, broker and store, in Debian's
Chromium; pages checked with axe-core and kept as screenshots."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Locator, Page, expect

from tests.support.browser import (
    OfflinePage,
    check_accessibility,
    format_violations,
    new_offline_page,
    screenshot,
)
from tests.support.cases import neighbour_dispute
from tests.support.console import console_process, sign_in
from tests.support.stack import AUTH, MEDIATION_SUPERVISOR_KEY, Services
from tests.support.wait import eventually

pytestmark = pytest.mark.real

VILLAGE = "339901001001"
LOCAL = timedelta(hours=8)  # Asia/Shanghai has no daylight saving time
URGENCY_WORDS = ("已超期", "24小时内到期", "3天内到期", "期限内")


async def accessible(page: Page, name: str) -> None:
    await screenshot(page, name)
    violations = await check_accessibility(page)
    assert not violations, f"{name}:\n{format_violations(violations)}"


async def case_at_mediation(services: Services) -> dict[str, Any]:
    """A neighbour dispute registered as reception would, once mediation has opened it."""
    base = services.processes
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(f"{base['intake'].url}/cases", json=neighbour_dispute(), headers=AUTH)
        assert r.status_code in (200, 201), r.text
        case_id = r.json()["case_id"]

        async def opened() -> dict[str, Any] | None:
            m = await http.get(
                f"{base['mediation'].url}/cases/{case_id}",
                headers={"X-API-Key": MEDIATION_SUPERVISOR_KEY},
            )
            return m.json() if m.status_code == 200 else None

        case = await eventually(opened, within=60, interval=0.5)
    assert case["platform"] == VILLAGE
    return case


async def mediation_case(services: Services, case_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.get(
            f"{services.processes['mediation'].url}/cases/{case_id}",
            headers={"X-API-Key": MEDIATION_SUPERVISOR_KEY},
        )
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    return found


def local_words(moment: datetime) -> str:
    """A moment as the console writes it in Chinese, in the platforms' local time."""
    return (moment.astimezone(UTC) + LOCAL).strftime("%Y年%m月%d日 %H:%M")


async def act(page: Page, action: str, button: str) -> Locator:
    """Submit the action's form with its button and land back on the case page."""
    form = page.locator(f"#form-{action}")
    await form.get_by_role("button", name=button, exact=True).click()
    await page.wait_for_load_state("networkidle")
    return form


async def shows_done(page: Page, action_words: str, status_words: str) -> None:
    await expect(page.get_by_role("status")).to_have_text(f"已完成：{action_words}")
    await expect(page.locator(".status-line")).to_have_text(status_words)
    await expect(page.locator("ol.history")).to_contain_text(action_words)


async def test_a_village_mediator_works_a_dispute_from_queue_to_closing(
    console: str, services: Services, offline_page: OfflinePage
) -> None:
    case = await case_at_mediation(services)
    case_id = case["case_id"]
    page = offline_page.page
    await sign_in(page, console, "mediator-dongguan")

    # The queue: the new case with its acceptance deadline, in time and in words.
    await expect(page.get_by_role("heading", level=1)).to_contain_text("我的案件")
    row = page.locator(f"#case-{case_id}")
    await expect(row).to_contain_text("邻里纠纷")
    await expect(row).to_contain_text("矛盾纠纷")
    await expect(row).to_contain_text("待受理")
    await expect(row).to_contain_text("受理期限")
    due = datetime.fromisoformat(case["deadlines"]["acceptance"]["due_at"])
    await expect(row.locator(".due")).to_contain_text(local_words(due))
    words = (await row.locator(".urgency").inner_text()).strip()
    assert words in URGENCY_WORDS
    assert words != "已超期"  # just opened
    await accessible(page, "mediator-queue")

    # The township above reads the village's case, without its forms.
    township = await new_offline_page(offline_page.context.browser)  # type: ignore[arg-type]
    try:
        await sign_in(township.page, console, "mediator-chengguan")
        await township.page.goto(f"{console}/mediator/cases/{case_id}")
        await expect(township.page.get_by_role("note")).to_contain_text("不能办理")
        await expect(township.page.locator(".status-line")).to_have_text("待受理")
        await expect(township.page.locator("form.action")).to_have_count(0)
        await expect(township.page.get_by_role("button", name="受理", exact=True)).to_have_count(0)
        await accessible(township.page, "mediator-case-read-only")
        assert not township.blocked, township.blocked
    finally:
        await township.close()

    # The case page, from the queue.
    await row.get_by_role("link").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("案件")
    await expect(page.locator(".status-line")).to_have_text("待受理")
    await expect(page.locator("dl.facts")).to_contain_text("东关")  # the platform's name
    await expect(page.locator("dl.facts")).to_contain_text("邻里纠纷")
    await expect(page.locator("#due-acceptance")).to_contain_text(local_words(due))
    await expect(page.locator("ol.history")).to_contain_text("收到案件")
    await accessible(page, "mediator-case-received")

    # Refused: a reason of spaces only; the form comes back naming the field.
    not_accept = page.locator("#form-not_accept")
    await not_accept.get_by_label("理由").fill("   ")
    await act(page, "not_accept", "不予受理")
    await expect(not_accept.locator(".field-error")).to_contain_text("请检查“理由”")
    await expect(not_accept.locator(".field-error")).to_contain_text("不能为空")
    await expect(page.locator(".status-line")).to_have_text("待受理")
    await accessible(page, "mediator-case-refused")

    await act(page, "accept", "受理")
    await shows_done(page, "受理", "已受理，正在办理")
    await expect(page.locator("#due-handling")).to_contain_text("办理期限")
    await expect(page.locator("#form-extension")).to_be_visible()

    await expect(page.locator("#form-assign_mediator").get_by_label("调解员")).to_have_value("")
    await act(page, "assign_mediator", "指派调解员")
    await shows_done(page, "指派调解员", "正在办理")
    await expect(page.locator("dd.mediator")).to_contain_text("med-v001001-")

    # A session typed in local time, three days ahead at half past two in the afternoon.
    day = (datetime.now(UTC) + LOCAL + timedelta(days=3)).date()
    schedule = page.locator("#form-schedule_session")
    await schedule.get_by_label("调解时间").fill(f"{day.isoformat()}T14:30")
    await schedule.get_by_label("调解地点").fill("东关社区调解室")
    await act(page, "schedule_session", "安排调解")
    await shows_done(page, "安排调解", "正在调解")
    session = page.locator("article.session")
    await expect(session).to_have_count(1)
    await expect(session.get_by_role("heading", level=3)).to_contain_text(
        f"{day:%Y年%m月%d日} 14:30"
    )
    stored = (await mediation_case(services, case_id))["sessions"][0]
    starts = datetime.fromisoformat(stored["starts_at"])
    assert starts.astimezone(UTC).hour == 6 and starts.minute == 30  # 14:30 in Shanghai

    # Recording the session: who came, and the minutes.
    await session.get_by_role("checkbox", name=re.compile("^申请人")).check()
    await session.get_by_label("调解记录").fill("双方陈述了各自意见，同意协商施工时间。")
    await session.get_by_role("button", name="保存记录").click()
    await expect(page.get_by_role("status")).to_have_text("已完成：记录调解会")
    await expect(session.locator("dd.minutes")).to_contain_text("同意协商施工时间")
    attended = session.locator("dd.attended")
    await expect(attended).to_contain_text("申请人（")
    await expect(attended).not_to_contain_text("被申请人")
    await expect(session.locator("form.record")).to_have_count(0)
    await accessible(page, "mediator-case-in-session")

    agreement = page.locator("#form-reach_agreement")
    two_terms = "施工时间限于每日8时至18时\n刘建国赔偿王秀英500元"
    await agreement.get_by_label("协议条款").fill(two_terms)
    await act(page, "reach_agreement", "达成协议")
    await shows_done(page, "达成协议", "已达成调解协议")
    terms = page.locator("ol.terms li")
    await expect(terms).to_have_count(2)
    await expect(terms.nth(0)).to_have_text("施工时间限于每日8时至18时")
    await expect(terms.nth(1)).to_have_text("刘建国赔偿王秀英500元")

    await page.locator("#form-resolve").get_by_label("办理结果").fill("双方按协议履行")
    await act(page, "resolve", "办结")
    await shows_done(page, "办结", "已办结")

    await act(page, "close", "结案")
    await shows_done(page, "结案", "已结案")
    history = page.locator("ol.history li")
    steps = ["收到案件", "受理", "指派调解员", "安排调解", "达成协议", "办结", "结案"]
    await expect(history).to_have_count(len(steps))
    for i, words in enumerate(steps):
        await expect(history.nth(i).locator("strong")).to_have_text(words)
    await expect(page.locator("form.action")).not_to_have_count(0)  # a review may be asked
    await expect(page.locator("#form-extension")).to_have_count(0)
    await accessible(page, "mediator-case-closed")

    # The queue's filters: closed now, not open.
    await page.goto(f"{console}/mediator?show=closed")
    await expect(page.locator(f"#case-{case_id} .status")).to_have_text("已结案")
    await page.goto(f"{console}/mediator?show=open")
    await expect(page.locator(f"#case-{case_id}")).to_have_count(0)
    assert not offline_page.blocked, offline_page.blocked
    assert not offline_page.errors, offline_page.errors


async def test_a_busy_queue_shows_a_page_and_more_on_asking(
    services: Services, offline_page: OfflinePage, tmp_path: Path
) -> None:
    """A console whose queue page holds two cases, at a village with three or more: two
    rows and a link for more; following it shows more, the newest case still there."""
    cases = [(await case_at_mediation(services))["case_id"] for _ in range(3)]
    process = console_process(services, tmp_path)
    process.env["CONCORD_CONSOLE_QUEUE_PAGE_SIZE"] = "2"
    process.start()
    try:
        process.wait_ready()
        page = offline_page.page
        await sign_in(page, process.url, "mediator-dongguan")
        rows = page.locator("table.queue tbody tr")
        await expect(rows).to_have_count(2)
        await expect(page.locator("table.queue caption")).to_contain_text("前 2 件，还有更多")
        await expect(page.locator(f"#case-{cases[-1]}")).to_have_count(1)  # newest first
        more = page.get_by_role("link", name="显示更多案件")
        await more.click()
        await page.wait_for_load_state("networkidle")
        assert "pages=2" in page.url
        assert await rows.count() > 2
        for case_id in cases:
            await expect(page.locator(f"#case-{case_id}")).to_have_count(1)
        await accessible(page, "mediator-queue-more")
    finally:
        process.stop()
