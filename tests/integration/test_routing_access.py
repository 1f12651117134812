"""Who may read a case's routing, and how much, on the real broker and store: no key 401,
another platform's staff 403, the staff of a platform the case is or was at (or of one above
it) the full explanation, an auditor no free text, an administrator everything. And every
other routing endpoint needs the right key."""

from typing import Any

import httpx
import pytest

from tests.support.routing import decline, escalate, new_case_id, received, route_of, send_received
from tests.support.security import SECURITY
from tests.support.stack import (
    ROUTING_ADMIN_KEY,
    ROUTING_AUDITOR_KEY,
    ROUTING_OTHER_TOWNSHIP_STAFF_KEY,
    ROUTING_STAFF_KEY,
    ROUTING_VILLAGE_STAFF_KEY,
    Services,
)

pytestmark = pytest.mark.real

KEYS = {
    "none": None,
    "wrong": "not-a-routing-key",
    "admin": ROUTING_ADMIN_KEY,
    "auditor": ROUTING_AUDITOR_KEY,
    "staff-township": ROUTING_STAFF_KEY,  # 339901001, the village's parent
    "staff-village": ROUTING_VILLAGE_STAFF_KEY,  # 339901001001
    "staff-other-township": ROUTING_OTHER_TOWNSHIP_STAFF_KEY,  # 339901002
}
# Free text the department and mediation wrote: it names a person and a place.
DECLINE_REASON = "王秀英家的院墙问题应由街道处理"
DECLINED_BY = "officer 刘建国"
ESCALATION_REASON = "调解员张伟认为需上级协调"


def headers(name: str) -> dict[str, str]:
    key = KEYS[name]
    return {"X-API-Key": key} if key else {}


async def try_get(http: httpx.AsyncClient, url: str, key: str, what: str) -> httpx.Response:
    r = await http.get(url, headers=headers(key))
    SECURITY.endpoint(f"{what} key={key}", r.status_code)
    return r


async def _village_case_declined_and_escalated(services: Services) -> str:
    """A neighbour dispute at village 339901001001, declined once with a reason, then
    escalated by mediation to its township 339901001."""
    ns, base = services.namespace, services["routing"].url
    case_id = new_case_id()
    await send_received(ns, {case_id: received(case_id, category="neighbour")})
    async with httpx.AsyncClient(timeout=10) as http:
        first = (await route_of(http, base, case_id))["current"]
        assert first["platform"] == "339901001001"
        await decline(
            ns,
            case_id,
            first["lead_department"],
            reason=DECLINE_REASON,
            declined_by=DECLINED_BY,
        )
        await route_of(http, base, case_id, decisions=2)
        await escalate(
            ns,
            case_id,
            from_platform="339901001001",
            from_level="village",
            to_platform="339901001",
            to_level="township",
            reason=ESCALATION_REASON,
        )
        now = (await route_of(http, base, case_id, decisions=3))["current"]
        assert now["platform"] == "339901001"
    return case_id


async def test_a_cases_routing_is_shown_only_to_who_may_see_it_and_minimised_for_auditors(
    services: Services,
) -> None:
    base = services["routing"].url
    case_id = await _village_case_declined_and_escalated(services)
    url = f"{base}/cases/{case_id}/routing"
    what = "GET /cases/{id}/routing"
    async with httpx.AsyncClient(timeout=10) as http:
        got = {name: await try_get(http, url, name, what) for name in KEYS}
    statuses = {name: r.status_code for name, r in got.items()}
    assert statuses == {
        "none": 401,
        "wrong": 401,
        "admin": 200,
        "auditor": 200,
        # Now at the township: its staff see it; the village's staff, where it was before,
        # still do; the other township never had it.
        "staff-township": 200,
        "staff-village": 200,
        "staff-other-township": 403,
    }
    for refused in ("none", "wrong", "staff-other-township"):
        assert case_id not in got[refused].text and "339901001001" not in got[refused].text

    full: dict[str, Any] = got["admin"].json()
    assert full["view"] == "full"
    assert [d["platform"] for d in full["decisions"]] == [
        "339901001001",
        "339901001001",
        "339901001",
    ]
    assert full["declines"][0]["reason"] == DECLINE_REASON
    assert full["declines"][0]["declined_by"] == DECLINED_BY
    assert ESCALATION_REASON in full["current"]["reason"]
    assert got["staff-township"].json() == full
    assert got["staff-village"].json() == full

    minimised: dict[str, Any] = got["auditor"].json()
    assert minimised["view"] == "minimised"
    # The structure is all there: facts, where the case went by which rule, who declined.
    assert minimised["facts"] == full["facts"]
    assert [(d["platform"], d["rule_id"]) for d in minimised["decisions"]] == [
        (d["platform"], d["rule_id"]) for d in full["decisions"]
    ]
    assert minimised["current"]["platform"] == "339901001"
    assert minimised["declines"] == [
        {"department": full["declines"][0]["department"], "at": full["declines"][0]["at"]}
    ]
    # None of the free text, anywhere.
    assert all("reason" not in d for d in [minimised["current"], *minimised["decisions"]])
    for text in (DECLINE_REASON, DECLINED_BY, ESCALATION_REASON, "declined:"):
        assert text not in got["auditor"].text


async def test_staff_do_not_see_the_routing_of_a_case_above_their_platform(
    services: Services,
) -> None:
    """A township case: its villages' staff supervise nothing above them."""
    ns, base = services.namespace, services["routing"].url
    case_id = new_case_id()
    await send_received(
        ns, {case_id: received(case_id, category="consumer", area_code="339901001002")}
    )
    url = f"{base}/cases/{case_id}/routing"
    what = "GET /cases/{id}/routing (township case)"
    async with httpx.AsyncClient(timeout=10) as http:
        assert (await route_of(http, base, case_id))["current"]["platform"] == "339901001"
        statuses = {
            name: (await try_get(http, url, name, what)).status_code
            for name in ("staff-township", "staff-village", "staff-other-township")
        }
        missing = await try_get(http, f"{base}/cases/{new_case_id()}/routing", "admin", what)
    assert statuses == {"staff-township": 200, "staff-village": 403, "staff-other-township": 403}
    assert missing.status_code == 404


async def test_every_other_routing_endpoint_needs_the_right_key(services: Services) -> None:
    ns, base = services.namespace, services["routing"].url
    case_id = new_case_id()
    await send_received(ns, {case_id: received(case_id, category="neighbour")})
    async with httpx.AsyncClient(timeout=10) as http:
        await route_of(http, base, case_id)  # at village 339901001001
        config = (await http.get(f"{base}/admin/config", headers=headers("admin"))).json()

        async def status(method: str, path: str, key: str, **kw: Any) -> int:
            r = await http.request(method, f"{base}{path}", headers=headers(key), **kw)
            SECURITY.endpoint(f"{method} {path.replace(case_id, '{id}')} key={key}", r.status_code)
            return r.status_code

        # A change that would go through for the right key: the rules in force, unchanged
        # version, refused with 422 after the key check -- so a 422 proves the key passed
        # and nothing in force changes whatever key tries.
        same_rules = {"json": config["rules"]}
        recategorise = {"json": {"category": "family", "reason": "tried"}}
        expected = {
            # At a village: the staff of its township above read it too.
            ("GET", f"/cases/{case_id}/routing"): {
                "staff-village": 200,
                "staff-township": 200,
                "staff-other-township": 403,
            },
            ("GET", "/admin/config"): {"admin": 200, "auditor": 200, "staff-village": 403},
            ("GET", "/admin/audit"): {"admin": 200, "auditor": 200, "staff-village": 403},
            ("PUT", "/admin/rules"): {"admin": 422, "auditor": 403, "staff-village": 403},
            ("PUT", "/admin/registry"): {"auditor": 403, "staff-township": 403},
            # Only the staff of the platform the case is at (or an administrator) may move it;
            # the township above reads it but does not act on it, auditors change nothing.
            ("POST", f"/cases/{case_id}/recategorise"): {
                "auditor": 403,
                "staff-township": 403,
                "staff-other-township": 403,
            },
        }
        bodies = {
            "/admin/rules": same_rules,
            "/admin/registry": {"json": config["registry"]},
            f"/cases/{case_id}/recategorise": recategorise,
        }
        seen: dict[tuple[str, str], dict[str, int]] = {}
        for (method, path), by_key in expected.items():
            keys = ["none", "wrong", *by_key]
            seen[(method, path)] = {
                key: await status(method, path, key, **bodies.get(path, {})) for key in keys
            }
        assert seen == {
            endpoint: {"none": 401, "wrong": 401, **by_key} for endpoint, by_key in expected.items()
        }
        # The village's own staff may recategorise it, and it moves.
        moved = await status(
            "POST", f"/cases/{case_id}/recategorise", "staff-village", **recategorise
        )
        assert moved == 200
        after = await route_of(http, base, case_id, decisions=2)
    assert after["facts"]["category"] == "family"
