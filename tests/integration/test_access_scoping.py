"""Who sees which case data, on the real broker and store: every endpoint that serves case
data tried with no key and with each kind of key.

Mediation: staff see their own platform's cases and those of the platforms below it, not a
neighbour's; early warnings only their own platform's staff and supervisors; auditors every
other case, minimised (no summary, session place, agreement terms, comments, reasons);
feedback comes from the citizen's channel (an integration key), not the platform's staff.
Notification: a department sees only what went to it; an operator every delivery but no
citizen's contact. Routing refuses, at start, a staff key without a platform.
"""

import json
import os
import subprocess
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from concord_shared.enums import NoticeKind, RecipientKind

from tests.support.cases import unique_phone
from tests.support.mediation import MediationStack, act, get_case
from tests.support.notifying import notice_request, register_case, request_id, request_notice
from tests.support.security import SECURITY
from tests.support.stack import (
    BIN,
    HRSS_KEY,
    LAND_KEY,
    MEDIATION_AUDITOR_KEY,
    MEDIATION_INTEGRATION_KEY,
    MEDIATION_NEIGHBOUR_STAFF_KEY,
    MEDIATION_STAFF_KEY,
    MEDIATION_SUPERVISOR_KEY,
    MEDIATION_TOWNSHIP_STAFF_KEY,
    OPERATOR_KEY,
    Services,
)
from tests.support.wait import eventually

pytestmark = pytest.mark.real

CST = timezone(timedelta(hours=8))
VILLAGE = "339901001001"
KEYS = {
    "none": None,
    "neighbour_staff": MEDIATION_NEIGHBOUR_STAFF_KEY,  # village 339901001002
    "own_staff": MEDIATION_STAFF_KEY,  # village 339901001001
    "township_staff": MEDIATION_TOWNSHIP_STAFF_KEY,  # 339901001, the village's parent
    "supervisor": MEDIATION_SUPERVISOR_KEY,
    "auditor": MEDIATION_AUDITOR_KEY,
    "integration": MEDIATION_INTEGRATION_KEY,
    "department": LAND_KEY,  # another service's key: unknown here
}
# Free text of the case below; none of it may reach an auditor.
LOCATION = "东关街12号王家"
TERMS = "王某赔偿李某200元"
COMMENT = "调解员很耐心，电话13800001111"
SUMMARY = "邻里纠纷：测试"  # what MediationStack.assign puts in every case


async def _get(
    http: httpx.AsyncClient, url: str, who: str, what: str, **params: Any
) -> httpx.Response:
    key = KEYS[who]
    r = await http.get(url, params=params, headers={"X-API-Key": key} if key else {})
    SECURITY.endpoint(f"GET {what} key={who}", r.status_code)
    return r


async def _case_with_free_text(mediation: MediationStack) -> str:
    """A closed dispute at the village with a session place, agreement terms and a comment."""
    case_id, _ = await mediation.assign(
        platform=VILLAGE, level="village", received_at=datetime(2026, 4, 13, 8, tzinfo=CST)
    )
    await eventually(lambda: get_case(mediation, case_id), within=30)
    supervisor = {"X-API-Key": MEDIATION_SUPERVISOR_KEY}
    async with httpx.AsyncClient(timeout=10, headers=supervisor) as http:
        steps: list[tuple[str, dict[str, Any]]] = [
            ("accept", {}),
            ("assign_mediator", {}),
            ("schedule_session", {"starts_at": "2026-04-14T10:00:00+08:00", "location": LOCATION}),
            ("reach_agreement", {"terms": [TERMS]}),
            ("resolve", {"outcome": "已履行"}),
            ("close", {}),
        ]
        for action, fields in steps:
            r = await act(http, mediation, case_id, action, **fields)
            assert r.status_code == 200, (action, r.text)
        session_id = r.json()["sessions"][0]["session_id"]
        r = await http.post(
            f"{mediation.url}/cases/{case_id}/sessions/{session_id}/record",
            json={"attended": [], "minutes": "双方到场"},
        )
        assert r.status_code == 200, r.text
    return case_id


async def test_mediation_case_data_is_scoped_to_the_platform_and_minimised_for_auditors(
    mediation: MediationStack,
) -> None:
    mediation.set_clock(datetime(2026, 4, 13, 9, tzinfo=CST))
    dispute = await _case_with_free_text(mediation)
    warning, _ = await mediation.assign(
        platform=VILLAGE,
        level="village",
        kind="early_warning",
        category="land_dispute",
        severity="high",
        received_at=datetime(2026, 4, 13, 8, tzinfo=CST),
    )
    await eventually(lambda: get_case(mediation, warning), within=30)

    async with httpx.AsyncClient(timeout=10) as http:
        # Feedback: never the rated platform's own staff; the citizen's channel may.
        url = f"{mediation.url}/cases/{dispute}/feedback"
        for who, expected in [("none", 401), ("own_staff", 403), ("integration", 200)]:
            key = KEYS[who]
            r = await http.post(
                url,
                json={"satisfied": True, "comment": COMMENT},
                headers={"X-API-Key": key} if key else {},
            )
            SECURITY.endpoint(f"POST /cases/{{id}}/feedback key={who}", r.status_code)
            assert r.status_code == expected, (who, r.text)
        # The integration's answer is the minimised case: it sent the comment, it reads none.
        assert r.json()["feedback"] == {"satisfied": True, "at": r.json()["feedback"]["at"]}
        assert COMMENT not in r.text

        # One case: who gets it, and how much of it.
        case_url = f"{mediation.url}/cases/{dispute}"
        expected_case = {
            "none": 401,
            "neighbour_staff": 403,
            "own_staff": 200,
            "township_staff": 200,
            "supervisor": 200,
            "auditor": 200,
            "integration": 403,
            "department": 401,
        }
        bodies = {}
        for who, status in expected_case.items():
            r = await _get(http, case_url, who, "/cases/{id}")
            assert r.status_code == status, (who, r.text)
            bodies[who] = r.text
        for who in ("own_staff", "township_staff", "supervisor"):
            for text in (LOCATION, TERMS, COMMENT, SUMMARY):
                assert text in bodies[who], (who, text)
        audited = json.loads(bodies["auditor"])
        for text in (LOCATION, TERMS, COMMENT, SUMMARY, "已履行", "双方到场"):
            assert text not in bodies["auditor"], text
        assert audited["status"] == "closed" and audited["platform"] == VILLAGE
        assert audited["feedback"]["satisfied"] is True
        assert "parties" not in audited and "summary" not in audited
        assert all("reason" not in h for h in audited["history"])

        # Sessions: minutes for the platform and supervisors; no minutes above; auditors
        # neither minutes nor the place.
        sessions_url = f"{mediation.url}/cases/{dispute}/sessions"
        for who, status, minutes, place in [
            ("none", 401, False, False),
            ("neighbour_staff", 403, False, False),
            ("own_staff", 200, True, True),
            ("township_staff", 200, False, True),
            ("supervisor", 200, True, True),
            ("auditor", 200, False, False),
            ("integration", 403, False, False),
        ]:
            r = await _get(http, sessions_url, who, "/cases/{id}/sessions")
            assert r.status_code == status, (who, r.text)
            assert ("双方到场" in r.text) is minutes, who
            assert (LOCATION in r.text) is place, who

        # An early warning: the platform's own staff and supervisors only.
        warning_url = f"{mediation.url}/cases/{warning}"
        expected_warning = {
            "none": 401,
            "neighbour_staff": 403,
            "own_staff": 200,
            "township_staff": 403,
            "supervisor": 200,
            "auditor": 403,
            "integration": 403,
        }
        for who, status in expected_warning.items():
            r = await _get(http, warning_url, who, "/cases/{id} early warning")
            assert r.status_code == status, (who, r.text)
            r = await _get(http, f"{warning_url}/sessions", who, "/cases/{id}/sessions warning")
            assert r.status_code == status, (who, r.text)

        # The platform's queue: each case as the key may see it.
        queue_url = f"{mediation.url}/platforms/{VILLAGE}/cases"
        for who, status, sees_warning in [
            ("none", 401, False),
            ("neighbour_staff", 403, False),
            ("own_staff", 200, True),
            ("township_staff", 200, False),
            ("supervisor", 200, True),
            ("auditor", 200, False),
            ("integration", 403, False),
        ]:
            r = await _get(http, queue_url, who, "/platforms/{code}/cases")
            assert r.status_code == status, (who, r.text)
            if status == 200:
                ids = {c["case_id"] for c in r.json()}
                assert dispute in ids, who
                assert (warning in ids) is sees_warning, who
        r = await _get(http, queue_url, "auditor", "/platforms/{code}/cases")
        for text in (LOCATION, TERMS, COMMENT, SUMMARY):
            assert text not in r.text, text

        # Mediators of a platform: its staff and those above, supervisors, auditors.
        for who, status in [
            ("none", 401),
            ("neighbour_staff", 403),
            ("own_staff", 200),
            ("township_staff", 200),
            ("supervisor", 200),
            ("auditor", 200),
            ("integration", 403),
        ]:
            r = await _get(http, f"{mediation.url}/mediators", who, "/mediators", platform=VILLAGE)
            assert r.status_code == status, (who, r.text)
            if status == 200:
                assert {m["platform"] for m in r.json()} == {VILLAGE}

        # Figures without cases: any staff role, not the citizen's channel.
        for who, status in [
            ("none", 401),
            ("own_staff", 200),
            ("supervisor", 200),
            ("auditor", 200),
            ("integration", 403),
        ]:
            r = await _get(http, f"{mediation.url}/ratings", who, "/ratings", period="2026-04")
            assert r.status_code == status, (who, r.text)
            r = await _get(
                http,
                f"{mediation.url}/indicators/four-decreases",
                who,
                "/indicators/four-decreases",
                area="339901",
                period="2026-04",
            )
            assert r.status_code == status, (who, r.text)


async def test_deliveries_are_shown_to_their_department_and_to_operators_without_contacts(
    services: Services,
) -> None:
    phone = unique_phone()
    case_id = await register_case(services, {"phone": phone})
    to_land = notice_request(case_id, NoticeKind.OUTCOME, RecipientKind.DEPARTMENT, "land")
    to_hrss = notice_request(case_id, NoticeKind.OUTCOME, RecipientKind.DEPARTMENT, "hrss")
    await request_notice(services, case_id, to_land)
    await request_notice(services, case_id, to_hrss)
    url = f"{services['notification'].url}/cases/{case_id}/deliveries"

    async def seen(key: str) -> list[dict[str, Any]] | None:
        async with httpx.AsyncClient(timeout=10, headers={"X-API-Key": key}) as http:
            r = await http.get(url)
        entries = r.json() if r.status_code == 200 else []
        return entries if len(entries) >= 3 else None

    await eventually(lambda: seen(OPERATOR_KEY), within=60)  # receipt + land + hrss

    async with httpx.AsyncClient(timeout=10) as http:
        results: dict[str, httpx.Response] = {}
        for who, key in [
            ("none", None),
            ("mediation_supervisor", MEDIATION_SUPERVISOR_KEY),  # another service's key
            ("land", LAND_KEY),
            ("hrss", HRSS_KEY),
            ("operator", OPERATOR_KEY),
        ]:
            r = await http.get(url, headers={"X-API-Key": key} if key else {})
            SECURITY.endpoint(f"GET /cases/{{id}}/deliveries key={who}", r.status_code)
            results[who] = r
    assert results["none"].status_code == 401
    assert results["mediation_supervisor"].status_code == 401
    land = results["land"].json()
    assert [(d["recipient_kind"], d["recipient_ref"]) for d in land] == [("department", "land")]
    assert land[0]["request_event_id"] == request_id(to_land)
    assert land[0]["address"]  # its own (masked) address: the department's to check
    hrss = results["hrss"].json()
    assert [d["recipient_ref"] for d in hrss] == ["hrss"]
    operator = results["operator"].json()
    assert {d["recipient_kind"] for d in operator} == {"citizen", "department"}
    citizen = [d for d in operator if d["recipient_kind"] == "citizen"]
    assert citizen and all("address" not in d for d in citizen)
    assert all(d["status"] for d in operator)  # the status is what an operator needs
    assert phone not in results["operator"].text and phone[-4:] not in results["operator"].text


@pytest.mark.parametrize("service", ["routing", "mediation"])
def test_a_staff_key_without_a_platform_stops_the_service_at_start(
    service: str, tmp_path: Any
) -> None:
    key = f"test-staff-nowhere-{uuid.uuid4().hex[:6]}"
    prefix = f"CONCORD_{service.upper()}_"
    env = {
        **os.environ,
        f"{prefix}DEVELOPMENT": "true",
        f"{prefix}API_KEYS": json.dumps({key: {"role": "staff", "holder": "clerk"}}),
        f"{prefix}KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",  # never reached
        f"{prefix}MONGO_URL": "mongodb://127.0.0.1:1",
    }
    done = subprocess.run(
        [str(BIN / f"concord-{service}")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode != 0
    assert f"a {service} staff key needs" in done.stderr + done.stdout
    assert key not in done.stderr + done.stdout  # the secret itself is not printed
