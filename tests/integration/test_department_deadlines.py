"""A department is asked with a deadline, and reminded of it only while its answer is still
owed, on the real stack: routing sets `answer_due` by the rules' `answers` on the working-day
calendar; the request, the department console and the webhook say it; the day before, 09:00,
the departments that have not answered are reminded; one that answered is not; when the case
is closed, a department still asked hears that it is not any more."""

import json
from datetime import datetime, time, timedelta
from functools import partial
from typing import Any

import httpx
import pytest
from concord_shared.calendar import DEFAULT_CALENDARS, load_calendar
from concord_shared.topics import department_topic

from tests.integration.test_department_inbox import close_at_mediation, inbox, mediation_case
from tests.support.kafka import events_on
from tests.support.notifying import daytime, deliveries, set_clock
from tests.support.routing import new_case_id, received, send_received
from tests.support.sinks import HttpRecorder
from tests.support.stack import LAND_KEY, OPERATOR_KEY, ROUTING_LAND_KEY, Services
from tests.support.wait import eventually

pytestmark = pytest.mark.real
__all__ = ["daytime"]  # autouse: ten in the morning in Shanghai, no quiet hours
CALENDAR = load_calendar(*DEFAULT_CALENDARS)


async def subscribe(
    api: httpx.AsyncClient, department: str, url: str, event_types: list[str]
) -> None:
    response = await api.post(
        "/subscriptions",
        json={
            "url": url,
            "event_types": event_types,
            "secret": "a-secret-only-the-department-and-concord-know",
            "department": department,
        },
        headers={"X-API-Key": LAND_KEY if department == "land" else OPERATOR_KEY},
    )
    assert response.status_code == 201, response.text


def hooks(receiver: HttpRecorder, case_id: str, notice: str) -> list[tuple[str, dict[str, Any]]]:
    """(path, body) of every webhook call about the case with this notice."""
    bodies = [(r.path, json.loads(r.body)) for r in list(receiver.requests)]
    return [(p, b) for p, b in bodies if b["event"]["case_id"] == case_id and b["notice"] == notice]


async def reminder_of(services: Services, case_id: str, department: str) -> dict[str, Any] | None:
    for d in await deliveries(services, case_id):
        if d["notice"] == "deadline_reminder" and d["recipient_ref"] == department:
            return d
    return None


def asked_at(raw: bytes) -> datetime:
    return datetime.fromisoformat(json.loads(raw)["occurred_at"])


async def test_departments_are_asked_by_when_to_answer_on_the_working_day_calendar(
    services: Services,
) -> None:
    ns = services.namespace
    dispute, warning = new_case_id(), new_case_id()
    cases = {
        dispute: received(dispute, category="land_dispute"),
        warning: received(warning, kind="early_warning", category="wage_arrears", severity="high"),
    }
    await send_received(ns, cases)
    topics = [department_topic(d).full_name(ns) for d in ("land", "agriculture", "public_security")]

    def requests(events: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
        return {
            (e["case_id"], e["payload"]["department"]): e["payload"]
            for e in events
            if e["type"] == "CoordinationRequested"
        }

    asked = requests(
        await events_on(topics, set(cases), until=lambda es: len(requests(es)) >= 3, within=30)
    )
    five = CALENDAR.working_day_after(asked_at(cases[dispute]), 5).isoformat()
    assert asked[(dispute, "land")]["answer_due"] == five
    assert asked[(dispute, "agriculture")]["answer_due"] == five
    # A brewing clash: public security is asked to answer on the next working day.
    one = CALENDAR.working_day_after(asked_at(cases[warning]), 1).isoformat()
    assert asked[(warning, "public_security")]["answer_due"] == one

    # The land clerk's inbox in the console says it too.
    async with httpx.AsyncClient(timeout=10) as http:
        mine = await inbox(http, services["routing"].url, "land", {"X-API-Key": ROUTING_LAND_KEY})
    assert mine[dispute]["answer_due"] == five


async def test_a_department_that_answered_is_not_reminded_and_one_still_asked_hears_the_close(
    services: Services, api: httpx.AsyncClient, receiver: HttpRecorder
) -> None:
    await subscribe(api, "land", f"{receiver.url}/land", ["CoordinationRequested"])
    await subscribe(
        api,
        "agriculture",
        f"{receiver.url}/agriculture",
        ["CoordinationRequested", "CoordinationWithdrawn"],
    )
    case_id = new_case_id()
    raw = received(case_id, category="land_dispute")  # land leads, agriculture co-ordinates
    await send_received(services.namespace, {case_id: raw})
    due = CALENDAR.working_day_after(asked_at(raw), 5)

    async def both_asked() -> list[tuple[str, dict[str, Any]]] | None:
        found = hooks(receiver, case_id, "coordination_request")
        return found if len(found) == 2 else None

    for path, body in await eventually(both_asked, within=30):
        assert body["event"]["payload"]["answer_due"] == due.isoformat()
        assert due.isoformat() in body["text"], (path, body["text"])
    for department in ("land", "agriculture"):
        waiting = await eventually(partial(reminder_of, services, case_id, department))
        assert waiting["status"] == "pending"

    # Land answers in the console: its reminder is taken back, agriculture's stays.
    async with httpx.AsyncClient(timeout=10) as http:
        await mediation_case(services, http, case_id)  # the reply finds the case there
        r = await http.post(
            f"{services['routing'].url}/cases/{case_id}/coordination/land/reply",
            json={"decision": "answer", "answer": "边界已重新勘测，材料已转调解员"},
            headers={"X-API-Key": ROUTING_LAND_KEY},
        )
        assert r.status_code == 202, r.text

    async def land_taken_back() -> dict[str, Any] | None:
        entry = await reminder_of(services, case_id, "land")
        return entry if entry and entry["status"] == "withdrawn" else None

    await eventually(land_taken_back, within=30)

    # The day before the deadline, 09:00 in Beijing: agriculture is reminded, land is not.
    set_clock(services, datetime.combine(due - timedelta(days=1), time(9)))

    async def reminded() -> list[tuple[str, dict[str, Any]]] | None:
        entry = await reminder_of(services, case_id, "agriculture")
        if entry is None or entry["status"] != "delivered":
            return None
        return hooks(receiver, case_id, "deadline_reminder")

    # Moving the clock days on makes every delivery of the session due by then (retries,
    # later notices): the dispatcher takes them oldest first, so this one may wait its turn.
    sent = await eventually(reminded, within=180)
    assert [path for path, _ in sent] == ["/agriculture"]
    assert due.isoformat() in sent[0][1]["text"]
    land = await reminder_of(services, case_id, "land")
    assert land is not None and land["status"] == "withdrawn"  # never claimed, never sent

    # The case is closed with agriculture's request still open: routing withdraws it, and
    # agriculture's endpoint hears it needs to answer no more.
    async with httpx.AsyncClient(timeout=10) as http:
        await close_at_mediation(services, http, case_id)

    async def withdrawn() -> list[tuple[str, dict[str, Any]]] | None:
        return hooks(receiver, case_id, "request_withdrawn") or None

    [(path, body)] = await eventually(withdrawn, within=30)
    assert path == "/agriculture" and body["event"]["type"] == "CoordinationWithdrawn"
    assert case_id[:8] in body["text"] and "无需再答复" in body["text"]
