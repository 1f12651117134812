"""One case through its whole life on a running stack (`make run`), and what each person sees
at each step: the citizen's status and notices, the departments', the staff's.

    .venv/bin/python deploy/local/walkthrough.py

Submit at a township, routed to a department that declines, accepted by the next, mediated,
closed; the citizen is not satisfied, and the review goes one level up. It talks to the
services over HTTP only, with the development keys of deploy/local/dev.env; README.md's
walk-through is its output.
"""

import random
import time
from collections.abc import Callable
from typing import Any

import httpx
import typer

INTAKE, ROUTING, MEDIATION, NOTIFICATION = (
    f"http://127.0.0.1:{p}" for p in (8001, 8002, 8003, 8004)
)
RECEPTION = {"X-API-Key": "dev-reception-chengguan"}
ROUTING_ADMIN = {"X-API-Key": "dev-routing-admin"}
TOWNSHIP_STAFF = {"X-API-Key": "dev-mediation-chengguan"}
COUNTY_STAFF = {"X-API-Key": "dev-mediation-county"}
CITIZEN_FORM = {"X-API-Key": "dev-console-citizen"}
OPERATOR = {"X-API-Key": "dev-notification-operator"}

CASE = {
    "kind": "dispute",
    "channel": "visit",
    "platform": "339901001",
    "category": "land_dispute",
    # A village of Chengguan and wording of their own each run: the same matter told again
    # in one place would be flagged collective (or a repeat), and go to the county.
    "description": random.choice(
        [
            "邻组村民在我家承包地边界上修水渠，占地约半亩，多次协商未果。",
            "去年土地确权后，隔壁户仍在我家责任田里种树，说他家祖上就在这里。",
            "村里调整宅前菜地时把我家的地划给了别人，找组长几次都没有结果。",
        ]
    ),
    "location": {"area_code": f"33990100100{random.randint(1, 6)}"},
    "parties": [
        # Numbers of their own each run: the same party again would be a repeat.
        {"name": "王秀英", "phone": f"139{random.randrange(10**8):08d}", "role": "applicant"},
        {"name": "刘建国", "phone": f"137{random.randrange(10**8):08d}", "role": "respondent"},
    ],
}


def wait(probe: Callable[[], Any], what: str, within: float = 30.0) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.3)
    raise SystemExit(f"gave up waiting for: {what}")


def main() -> None:
    http = httpx.Client(timeout=10)
    seen: set[str] = set()

    def say(who: str, text: str) -> None:
        typer.echo(f"  {who:<26} {text}")

    def step(title: str) -> None:
        typer.echo(f"\n{title}")

    r = http.post(f"{INTAKE}/cases", json=CASE, headers=RECEPTION)
    r.raise_for_status()
    receipt = r.json()
    case_id = receipt["case_id"]
    codes = {
        "receipt_number": receipt["receipt_number"],
        "verification_code": receipt["verification_code"],
    }

    def status(**expected: Any) -> dict[str, Any] | None:
        body = http.get(f"{INTAKE}/cases/status", params=codes).json()
        return body if all(body.get(k) == v for k, v in expected.items()) else None

    def citizen_sees(**expected: Any) -> None:
        body = wait(lambda: status(**expected), f"the status {expected}")
        say("citizen (status page)", body["summary"])

    def notices(settle: float = 1.5) -> None:
        time.sleep(settle)  # what the step caused is planned within a moment
        log = http.get(f"{NOTIFICATION}/cases/{case_id}/deliveries", headers=OPERATOR).json()
        for entry in sorted(log, key=lambda e: str(e.get("recorded_at", ""))):
            if entry["id"] in seen:
                continue
            seen.add(entry["id"])
            ref = entry["recipient_ref"]
            # A citizen is a pseudonym: a few characters tell two apart.
            ref = f"{ref[:6]}…" if entry["recipient_kind"] == "citizen" else ref
            say(f"→ {entry['recipient_kind']} {ref}", f"[{entry['channel']}] {entry['text']}")

    def inbox(department: str) -> None:
        """What the department's clerks see of the case in their inbox."""
        r = http.get(
            f"{ROUTING}/departments/{department}/requests",
            params={"state": "all"},
            headers=ROUTING_ADMIN,
        )
        for item in r.json()["requests"]:
            if item["case_id"] == case_id:
                said = item.get("reason") or item.get("answer") or ""
                if item["state"] in ("requested", "accepted") and item.get("answer_due"):
                    said = f"answer by {item['answer_due']}"
                say(f"{department} bureau (inbox)", f"{item['state']} {said}".strip())

    def mediation(**expected: Any) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            r = http.get(f"{MEDIATION}/cases/{case_id}", headers=COUNTY_STAFF)
            body = r.json() if r.status_code == 200 else None
            return body if body and all(body.get(k) == v for k, v in expected.items()) else None

        found: dict[str, Any] = wait(probe, f"mediation's case {expected}")
        return found

    def act(action: str, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
        r = http.post(
            f"{MEDIATION}/cases/{case_id}/transitions",
            json={"action": action, **fields},
            headers=headers,
        )
        r.raise_for_status()
        body: dict[str, Any] = r.json()
        return body

    step("1. Reception at Chengguan registers the matter")
    say("reception", f"receipt {receipt['receipt_number']}, code {receipt['verification_code']}")
    route = wait(
        lambda: (
            http.get(f"{ROUTING}/cases/{case_id}/routing", headers=ROUTING_ADMIN)
            .json()
            .get("current")
        ),
        "routing's decision",
    )
    say(
        "routing",
        f"{route['platform']} ({route['level']}), lead {route['lead_department']}: "
        f"{route['reason']}",
    )
    citizen_sees(status="received")
    inbox("land")
    inbox("agriculture")
    notices()

    step("2. The land bureau says it is not theirs: agriculture, already asked, leads")
    r = http.post(
        f"{ROUTING}/cases/{case_id}/coordination/land/reply",
        json={"decision": "decline", "reason": "属农田水利设施纠纷，请农业农村局牵头"},
        headers={"X-API-Key": "dev-routing-land"},
    )
    r.raise_for_status()
    moved = mediation(lead_department="agriculture")
    say("mediation desk", f"lead department now {moved['lead_department']}")
    citizen_sees(department="agriculture")
    inbox("land")
    inbox("agriculture")
    notices()

    step("3. The township's mediation desk accepts the case")
    act("accept", TOWNSHIP_STAFF)
    citizen_sees(status="accepted")
    notices()

    step("4. A mediator is assigned and a session set")
    assigned = act("assign_mediator", TOWNSHIP_STAFF)
    say("mediation desk", f"mediator {assigned['mediator']}")
    act(
        "schedule_session",
        TOWNSHIP_STAFF,
        starts_at="2026-12-10T09:30:00+08:00",
        location="城关镇人民调解委员会调解室",
    )
    citizen_sees(status="in_session")
    notices()

    step("5. Agreement, resolution, closure")
    act("reach_agreement", TOWNSHIP_STAFF, terms=["水渠改道至组界外", "恢复占用的半亩承包地"])
    act("resolve", TOWNSHIP_STAFF, outcome="双方达成协议：水渠改道，恢复承包地")
    act("close", TOWNSHIP_STAFF)
    citizen_sees(status="closed")
    notices()

    step("6. The citizen is not satisfied: the review goes to the county")
    r = http.post(
        f"{MEDIATION}/cases/{case_id}/feedback",
        json={"satisfied": False, "comment": "协议未履行"},
        headers=CITIZEN_FORM,
    )
    r.raise_for_status()
    citizen_sees(status="review_requested", platform="339901")
    notices()

    step("7. The county's staff start the review")
    act("start_review", COUNTY_STAFF)
    citizen_sees(status="under_review")
    notices()


if __name__ == "__main__":
    typer.run(main)
