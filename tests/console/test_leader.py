"""The county leader reads how the platforms are rated and why, six months of trend, the four
decreases of the county and the overdue or major cases, in Debian's Chromium on the real
console, services, broker and store. Every number on the page is checked against what
mediation's API answers for the same month; nothing expected is written into the test."""

import re
from typing import Any

import httpx
import pytest
from concord_shared.registry import load_registry
from playwright.async_api import Locator, Page, expect

from tests.support.browser import OfflinePage, check_accessibility, format_violations, screenshot
from tests.support.cases import neighbour_dispute
from tests.support.console import sign_in
from tests.support.pages import every_page
from tests.support.stack import INTEGRATION_KEY, MEDIATION_SUPERVISOR_KEY, Services
from tests.support.wait import eventually

pytestmark = pytest.mark.real

SUPERVISOR = {"X-API-Key": MEDIATION_SUPERVISOR_KEY}
LEADER_PLATFORM = "339901"  # leader-county's platform (deploy/sample/console-users.yaml)
REGISTRY = load_registry()
BELOW = [p for p in REGISTRY.platforms if REGISTRY.is_at_or_below(p.code, LEADER_PLATFORM)]
# The rating table's rate columns after platform, level, stars, score and cases, with the
# counts each rate is made of (mediation's PlatformFigures.rates()).
# The rate columns in the page's order; which counts each rate shares of which comes with
# every rating (its policy's `rates`, e.g. "responded / decision_due").
RATE_COLUMNS = [
    "response_rate",
    "on_time_acceptance_rate",
    "resolution_rate",
    "satisfaction_rate",
    "repeat_rate",
    "escalation_rate",
    "local_resolution_rate",
]
STAR_WORDS = {1: "一星", 2: "二星", 3: "三星", 4: "四星", 5: "五星"}
INDICATORS = {"total": "矛盾纠纷总量", "collective": "群体性事件", "repeat": "重复访",
              "non_reception_place": "非接待场所上访"}  # fmt: skip


async def accessible(page: Page, name: str) -> None:
    await screenshot(page, name)
    violations = await check_accessibility(page)
    assert not violations, f"{name}:\n{format_violations(violations)}"


def shown_rate(text: str) -> float | None:
    """ "85.71%" as 0.8571; "—" as None."""
    text = text.strip()
    return None if text == "—" else round(float(text.rstrip("%")) / 100, 6)


def shown_number(text: str) -> float | None:
    text = text.strip()
    return None if text == "—" else float(text)


def figures(text: str) -> tuple[int, int]:
    part, whole = (int(x) for x in text.split("/"))
    return part, whole


async def cells(row: Locator) -> list[Locator]:
    return await row.locator("td").all()


async def mediation_get(services: Services, path: str, **params: str) -> Any:
    async with httpx.AsyncClient(headers=SUPERVISOR, timeout=10) as http:
        r = await http.get(f"{services.processes['mediation'].url}{path}", params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def ratings_below(services: Services, period: str) -> dict[str, dict[str, Any]]:
    found = await mediation_get(services, "/ratings", period=period)
    return {r["platform"]: r for r in found if r["platform"] in {p.code for p in BELOW}}


async def register_cases(services: Services) -> tuple[list[str], str]:
    """Three disputes through intake's API, one of them high severity; one other worked to
    closed at mediation."""
    async with httpx.AsyncClient(headers={"X-API-Key": INTEGRATION_KEY}, timeout=10) as http:
        ids = []
        for severity in ("low", "low", "high"):
            r = await http.post(
                f"{services.processes['intake'].url}/cases",
                json=neighbour_dispute(severity=severity),
            )
            assert r.status_code == 201, r.text
            ids.append(r.json()["case_id"])

    async def at_mediation() -> bool:
        async with httpx.AsyncClient(headers=SUPERVISOR, timeout=10) as http:
            for case_id in ids:
                r = await http.get(f"{services.processes['mediation'].url}/cases/{case_id}")
                if r.status_code != 200:
                    return False
        return True

    await eventually(at_mediation, within=60, interval=0.3)
    async with httpx.AsyncClient(headers=SUPERVISOR, timeout=10) as http:
        for action, fields in (
            ("accept", {}),
            ("assign_mediator", {}),
            ("resolve", {"outcome": "双方协商一致"}),
            ("close", {}),
        ):
            r = await http.post(
                f"{services.processes['mediation'].url}/cases/{ids[0]}/transitions",
                json={"action": action, **fields},
            )
            assert r.status_code == 200, r.text
    return ids, ids[2]


async def check_ratings(page: Page, services: Services, period: str, *, ours: bool) -> None:
    """`ours`: the month of this test's cases, so some platform below the county is rated."""
    expected = await ratings_below(services, period)
    assert expected or not ours, "mediation rates no platform below the county this month"
    table = page.locator("#ratings")
    unrated = page.locator("#unrated li")
    await expect(table.locator("tbody tr")).to_have_count(len(expected))
    await expect(unrated).to_have_count(len(BELOW) - len(expected))
    for platform in BELOW:
        rating = expected.get(platform.code)
        if rating is None:
            await expect(unrated.filter(has_text=platform.name_zh)).to_have_count(1)
            continue
        row = table.locator("tbody tr").filter(
            has=page.get_by_role("rowheader", name=platform.name_zh, exact=True)
        )
        await expect(row).to_have_count(1)
        tds = await cells(row)
        stars = rating["stars"]
        await expect(tds[1].locator(".stars")).to_have_text("★" * stars + "☆" * (5 - stars))
        await expect(tds[1]).to_contain_text(f"{STAR_WORDS[stars]}（满分五星）")
        assert shown_number(await tds[2].inner_text()) == rating["score"]
        assert int(await tds[3].inner_text()) == rating["inputs"]["cases"]
        for td, name in zip(tds[4:], RATE_COLUMNS, strict=True):
            part, whole = (c.strip() for c in rating["policy"]["rates"][name].split("/"))
            assert shown_rate(await td.locator(".rate").inner_text()) == rating["rates"][name]
            assert figures(await td.locator(".figures").inner_text()) == (
                rating["inputs"][part],
                rating["inputs"][whole],
            )

    # The formula as the page states it gives every score mediation gave.
    formula = page.locator("#formula")
    await expect(formula).to_contain_text("得分 = 100 × Σ(权重 × 指标) ÷ Σ权重")
    await expect(formula).to_contain_text("按（1 − 比率）计入")
    weights = {}
    for name, item in zip(RATE_COLUMNS, await formula.locator("li").all(), strict=True):
        found = re.search(r"权重 ([0-9.]+)%", await item.inner_text())
        assert found, await item.inner_text()
        weights[name] = float(found.group(1)) / 100
    for rating in expected.values():
        if rating["score"] is None:
            continue
        weighted = total = 0.0
        for name, weight in weights.items():
            value = rating["rates"][name]
            if value is None:
                continue
            lower_better = name in ("repeat_rate", "escalation_rate")
            weighted += weight * (1 - value if lower_better else value)
            total += weight
        assert round(100 * weighted / total, 2) == pytest.approx(rating["score"], abs=0.01)
    await expect(formula).to_contain_text("本页各平台得分均与之相符")


async def check_trend(page: Page, services: Services) -> None:
    rows = await page.locator("#trend tbody tr").all()
    assert len(rows) == 6
    bar_values = [int(v) for v in await page.locator("#cases-chart text.value").all_text_contents()]
    shown_cases = []
    for row in rows:
        month = await row.locator("th time").get_attribute("datetime")
        assert month
        found = (await ratings_below(services, month)).values()
        cases = sum(r["inputs"]["cases"] for r in found)
        on_time = sum(r["inputs"]["accepted_on_time"] for r in found)
        feedback = sum(r["inputs"]["feedback"] for r in found)
        satisfied = sum(r["inputs"]["satisfied"] for r in found)
        tds = await cells(row)
        assert int(await tds[0].inner_text()) == cases, month
        assert figures(await tds[1].locator(".figures").inner_text()) == (on_time, cases)
        assert shown_rate(await tds[1].locator(".rate").inner_text()) == (
            round(on_time / cases, 4) if cases else None
        )
        assert figures(await tds[2].locator(".figures").inner_text()) == (satisfied, feedback)
        shown_cases.append(cases)
    assert bar_values == shown_cases
    assert sum(shown_cases) >= 3  # this test's cases are among them
    await expect(page.locator("#cases-chart title")).to_have_text("每月受理件数")
    desc = await page.locator("#cases-chart desc").text_content()
    assert desc and all(f"{n} 件" in desc for n in shown_cases)
    await expect(page.locator("#rates-chart title")).to_have_text("按时受理率与满意率（%）")


async def check_decreases(page: Page, services: Services, period: str) -> None:
    found = await mediation_get(
        services, "/indicators/four-decreases", area=LEADER_PLATFORM, period=period
    )
    table = page.locator(f"#decreases-{LEADER_PLATFORM}")
    for name, label in INDICATORS.items():
        d = found["indicators"][name]
        tds = await cells(table.locator("tbody tr").filter(has_text=label))
        assert int(await tds[0].inner_text()) == d["current"]
        assert int(await tds[1].inner_text()) == d["previous"]
        assert int((await tds[2].inner_text()).split("（")[0]) == d["change"]
        word = await tds[3].inner_text()
        if d["decreased"]:
            assert "↓" in word and "下降" in word and "未下降" not in word
        else:
            assert "未下降" in word and ("↑" in word or "→" in word)


async def check_major_cases(page: Page, services: Services, high_case: str) -> None:
    case = await mediation_get(services, f"/cases/{high_case}")
    name = REGISTRY.platforms_by_code[case["platform"]].name_zh
    major = page.locator("#major tbody tr").filter(
        has=page.get_by_role("rowheader", name=name, exact=True)
    )
    high = major.filter(has_text="重大").filter(has_text="邻里纠纷")
    await expect(high.first).to_be_visible()
    # As many major rows as mediation has open high-severity cases below the county.
    open_high = 0
    async with httpx.AsyncClient(headers=SUPERVISOR, timeout=10) as http:
        for platform in BELOW:
            url = f"{services.processes['mediation'].url}/platforms/{platform.code}/cases"
            for c in await every_page(http, url):
                open_high += c["severity"] == "high" and c["status"] != "closed"
    assert await page.locator("#major tbody tr").filter(has_text="重大").count() == min(
        open_high, 20
    )
    assert await page.locator("#major a").count() == 0  # nothing the leader cannot open


async def test_the_leader_reads_ratings_trends_decreases_and_major_cases(
    console: str, services: Services, offline_page: OfflinePage
) -> None:
    _, high_case = await register_cases(services)
    page = offline_page.page
    await sign_in(page, console, "leader-county")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("评价与指标")
    period = await page.locator("#period").get_attribute("datetime")
    assert period and re.fullmatch(r"\d{4}-\d{2}", period)

    await check_ratings(page, services, period, ours=True)
    await check_trend(page, services)
    await check_decreases(page, services, period)
    await check_major_cases(page, services, high_case)
    await accessible(page, "leader-ratings")

    # The month before, through the page's own link.
    await page.get_by_role("link", name=re.compile("^← 上月")).click()
    await expect(page.locator("#period")).not_to_have_attribute("datetime", period)
    before = await page.locator("#period").get_attribute("datetime")
    assert before
    await check_ratings(page, services, before, ours=False)
    await check_decreases(page, services, before)
    await accessible(page, "leader-previous-month")

    # In English, every word has its translation (a missing one shows as "[key]").
    await page.goto(f"{console}/leader?lang=en")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Ratings and indicators")
    assert "[leader." not in await page.locator("main").inner_text()
    await expect(page.locator("#formula")).to_contain_text("Score = 100 × Σ(weight × measure)")
    await accessible(page, "leader-ratings-en")
    await page.goto(f"{console}/language/zh?next=/leader")

    # A month written wrong is refused, naming the field.
    response = await page.goto(f"{console}/leader?period=2026-13")
    assert response is not None and response.status == 422
    await expect(page.get_by_role("alert")).to_contain_text("period")
    assert not offline_page.blocked, offline_page.blocked


async def test_reception_staff_may_not_see_the_leaders_page(
    console: str, offline_page: OfflinePage
) -> None:
    page = offline_page.page
    await sign_in(page, console, "reception-chengguan")
    response = await page.goto(f"{console}/leader")
    assert response is not None and response.status == 403
    await expect(page.get_by_role("alert")).to_contain_text("您无权查看此页面")
    await accessible(page, "leader-not-permitted")
    assert not offline_page.blocked, offline_page.blocked
