"""The mediator's pages: the queue of the user's platform, nearest deadline first, and a case
with its deadlines, history, sessions and agreement, and a small form for each action the
workflow allows now.

What may be done is mediation's to say: the forms are the case's `allowed_actions`, each with
the fields its command needs, and a form's refusal (422: the field; 409: the reason) is shown
on the form. Staff act on their own platform's cases only; the level above reads them, so a
township's mediator sees a village's case without its forms. Times typed in a form are the
platforms' local time and go to mediation as aware datetimes.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from concord_console.adapters.services import ServiceError
from concord_console.domain.deadlines import urgency
from concord_console.domain.texts import LOCAL_TIME, MESSAGES, Texts
from concord_console.domain.users import Role, User
from concord_console.entrypoints.web import Console, check_csrf, language_texts, redirect, signed_in

# Done at this platform: nothing left for its mediators to do.
ENDED_STATUSES = frozenset({"closed", "escalated"})
SHOWS = ("all", "open", "closed")
MAX_CASES = 1000  # the most mediation lists in one call
DEADLINES = ("acceptance", "handling")
REFERRALS = ("court", "arbitration", "legal_aid")
# Pydantic's words for an empty required field, said in the user's language instead.
EMPTY_MESSAGES = ("String should have at least 1", "Field required", "List should have at least 1")

Widget = Literal["text", "textarea", "lines", "datetime", "date", "select", "mediator", "number"]


@dataclass(frozen=True)
class Input:
    """One field of an action's form: the command's field of the same name."""

    name: str
    widget: Widget = "textarea"
    required: bool = True
    options: tuple[str, ...] = ()


REASON = Input("reason")
ACTION_INPUTS: dict[str, tuple[Input, ...]] = {
    "accept": (Input("note", required=False),),
    "not_accept": (REASON,),
    "assign_mediator": (Input("mediator_ref", "mediator", required=False),),
    "schedule_session": (Input("starts_at", "datetime"), Input("location", "text", False)),
    "reach_agreement": (Input("terms", "lines"), Input("follow_up_on", "date", False)),
    "fail": (REASON,),
    "resolve": (Input("outcome"),),
    "close": (Input("note", required=False),),
    "request_review": (REASON,),
    "start_review": (),
    "escalate": (REASON,),
    "refer": (Input("referred_to", "select", options=REFERRALS), REASON),
    "await_citizen": (REASON,),
    "resume": (),
}
EXTENSION_INPUTS = (Input("days", "number"), REASON)
RECORD_INPUTS = (Input("minutes"),)


@dataclass
class Failed:
    """A form that came back refused: which one, what was typed, what is wrong."""

    form: str
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    refused: str = ""


class FormProblem(Exception):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(field_name)
        self.field = field_name
        self.message = message


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def local_moment(typed: str) -> str:
    """A date and time typed in local time ("2026-05-04T14:30") as an aware ISO datetime."""
    moment = datetime.fromisoformat(typed)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TIME)
    return moment.isoformat()


def body_of(inputs: tuple[Input, ...], form: FormData) -> dict[str, Any]:
    """The form as the command's fields. An empty required field is sent empty, so mediation's
    rules (not the console's) say what is missing; empty optional fields are left out."""
    body: dict[str, Any] = {}
    for i in inputs:
        raw = _text(form, i.name)
        if i.widget == "lines":
            body[i.name] = [line.strip() for line in raw.splitlines() if line.strip()]
        elif not raw:
            if i.required:
                body[i.name] = ""
        elif i.widget == "datetime":
            try:
                body[i.name] = local_moment(raw)
            except ValueError as exc:
                raise FormProblem(i.name, "bad_time") from exc
        else:
            body[i.name] = raw
    return body


def field_of(problem_field: str, names: set[str]) -> str:
    """The form field a service's problem is about ("reach_agreement.terms.0" -> "terms")."""
    return next((p for p in problem_field.split(".") if p in names), "form")


def said(texts: Texts, message: str) -> str:
    if message.startswith(EMPTY_MESSAGES):
        return texts("mediator.required")
    return texts(message) if message in MESSAGES else texts.said(message)


def staff_status(texts: Texts, code: str | None) -> str:
    """A status as staff read it (the citizen's words, where they do not speak to a citizen)."""
    key = f"mediator.status.{code}"
    return texts(key) if key in MESSAGES else texts.status(code)


def history_words(texts: Texts, action: str | None) -> str:
    """A line of the case log in words: a workflow action, or what else happened."""
    for key in (f"action.{action}", f"mediator.history.{action}"):
        if key in MESSAGES:
            return texts(key)
    return action or ""


def done_words(texts: Texts, done: str | None) -> str | None:
    """The success message after a form: what was done, in words (nothing for an unknown)."""
    for key in (f"action.{done}", f"mediator.done.{done}"):
        if done and key in MESSAGES and done in (*ACTION_INPUTS, "extension", "record"):
            return texts("mediator.done", what=texts(key))
    return None


def party_label(texts: Texts, parties: list[dict[str, Any]], ref: str) -> str:
    """A party as the case knows them: their role and a short pseudonym, never a name."""
    role = next((p.get("role") for p in parties if p.get("ref") == ref), None)
    short = ref.removeprefix("p-")[:6]
    return texts("mediator.party", role=texts(f"party.{role}") if role else "—", ref=short)


def reference(case_id: str) -> str:
    """The case's short reference: mediation knows the case id, not the receipt number."""
    return case_id[:8].upper()


def timers_of(case: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """The case's deadlines in order, each with its state and (while it runs) its urgency."""
    found: list[dict[str, Any]] = []
    for name in DEADLINES:
        timer = (case.get("deadlines") or {}).get(name)
        if not timer:
            continue
        running = bool(timer.get("active")) and not timer.get("paused_at")
        state = "running" if running else "paused" if timer.get("active") else "stopped"
        found.append(
            {
                "name": name,
                "due_at": timer["due_at"],
                "state": state,
                "extended": bool(timer.get("extended")),
                "urgency": urgency(timer["due_at"], now) if running else None,
            }
        )
    return found


def nearest_running(case: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    running = [t for t in timers_of(case, now) if t["state"] == "running"]
    return min(running, key=lambda t: datetime.fromisoformat(t["due_at"]), default=None)


def queue_rows(cases: list[dict[str, Any]], show: str, now: datetime) -> list[dict[str, Any]]:
    """Open cases first, nearest deadline first (none last); then the ended, latest first."""
    rows: list[dict[str, Any]] = [
        {
            "case": c,
            "reference": reference(c["case_id"]),
            "open": c["status"] not in ENDED_STATUSES,
            "due": nearest_running(c, now),
        }
        for c in cases
    ]
    if show != "all":
        rows = [r for r in rows if r["open"] == (show == "open")]
    far = datetime.max.replace(tzinfo=LOCAL_TIME)

    def due(row: dict[str, Any]) -> datetime:
        return datetime.fromisoformat(row["due"]["due_at"]) if row["due"] else far

    open_rows = sorted((r for r in rows if r["open"]), key=due)
    ended = sorted(
        (r for r in rows if not r["open"]),
        key=lambda r: str(r["case"].get("updated_at") or ""),
        reverse=True,
    )
    return open_rows + ended


def mediator_router(console: Console) -> APIRouter:
    router = APIRouter(prefix="/mediator")
    Mediator = Annotated[User, Depends(signed_in(console, Role.MEDIATOR))]
    mediation = console.backends.mediation

    def key_of(user: User) -> str:
        key = console.key(user, "mediation")
        if key is None:
            raise HTTPException(403, "forbidden")
        return key

    @router.get("")
    async def queue(
        request: Request, user: Mediator, show: str = "all", pages: int = 1
    ) -> Response:
        show = show if show in SHOWS else "all"
        size = console.settings.queue_page_size
        pages = max(1, min(pages, MAX_CASES // size))
        cases = await mediation.call(
            "GET",
            f"/platforms/{user.platform}/cases",
            key_of(user),
            params={"limit": size * pages},
        )
        texts = language_texts(request, console.registry)
        more = len(cases) >= size * pages and size * (pages + 1) <= MAX_CASES
        return console.render(
            request,
            "mediator/queue.html",
            rows=queue_rows(cases, show, console.now()),
            show=show,
            shows=SHOWS,
            more_href=f"/mediator?show={show}&pages={pages + 1}" if more else None,
            status_words=lambda code: staff_status(texts, code),
        )

    async def case_page(
        request: Request,
        user: User,
        case_id: str,
        done: str | None = None,
        failed: Failed | None = None,
        status_code: int = 200,
    ) -> Response:
        key = key_of(user)
        case = await mediation.call("GET", f"/cases/{case_id}", key)
        sessions = await mediation.call("GET", f"/cases/{case_id}/sessions", key)
        acts = case["platform"] == user.platform
        allowed = [a for a in case.get("allowed_actions", []) if a in ACTION_INPUTS] if acts else []
        mediators = []
        if "assign_mediator" in allowed:
            mediators = await mediation.call(
                "GET", "/mediators", key, params={"platform": case["platform"]}
            )
        timers = timers_of(case, console.now())
        handling = next((t for t in timers if t["name"] == "handling"), None)
        texts = language_texts(request, console.registry)
        return console.render(
            request,
            "mediator/case.html",
            status_code,
            case=case,
            reference=reference(case_id),
            timers=timers,
            sessions=sessions,
            acts=acts,
            actions=[(a, ACTION_INPUTS[a]) for a in allowed],
            extension=acts and handling is not None and handling["state"] == "running",
            handling=handling,
            record_inputs=RECORD_INPUTS,
            extension_inputs=EXTENSION_INPUTS,
            mediators=mediators,
            parties=case.get("parties", []),
            done=done_words(texts, done),
            failed=failed or Failed(""),
            status_words=lambda code: staff_status(texts, code),
            history_words=lambda action: history_words(texts, action),
            party_label=lambda ref: party_label(texts, case.get("parties", []), ref),
        )

    async def submit(
        request: Request,
        user: User,
        case_id: str,
        form_id: str,
        inputs: tuple[Input, ...],
        path: str,
        extra: dict[str, Any],
        done: str,
    ) -> Response:
        form = await request.form()
        values = {k: form.getlist(k) if k == "attended" else v for k, v in form.items()}
        texts = language_texts(request, console.registry)
        names = {i.name for i in inputs} | {"attended"}
        try:
            body = {**extra, **body_of(inputs, form)}
            if form_id.startswith("record-"):
                body["attended"] = [v for v in form.getlist("attended") if isinstance(v, str)]
            await mediation.call("POST", path, key_of(user), json=body)
        except FormProblem as exc:
            failed = Failed(form_id, values, {exc.field: texts(f"mediator.{exc.message}")})
            return await case_page(request, user, case_id, failed=failed, status_code=422)
        except ServiceError as exc:
            if exc.status == 422:
                errors: dict[str, str] = {}
                for p in exc.problems:
                    errors.setdefault(field_of(p.field, names), said(texts, p.message))
                failed = Failed(form_id, values, errors or {"form": exc.reason})
            elif exc.status == 409:
                failed = Failed(form_id, values, refused=exc.reason)
            else:
                raise
            return await case_page(request, user, case_id, failed=failed, status_code=exc.status)
        return redirect(f"/mediator/cases/{case_id}?done={done}")

    @router.get("/cases/{case_id}")
    async def case(
        request: Request, user: Mediator, case_id: str, done: str | None = None
    ) -> Response:
        return await case_page(request, user, case_id, done=done)

    @router.post("/cases/{case_id}/actions/{action}", dependencies=[Depends(check_csrf)])
    async def act(request: Request, user: Mediator, case_id: str, action: str) -> Response:
        if action not in ACTION_INPUTS:
            raise HTTPException(404, "no such action")
        path = f"/cases/{case_id}/transitions"
        extra = {"action": action}
        return await submit(
            request, user, case_id, action, ACTION_INPUTS[action], path, extra, action
        )

    @router.post("/cases/{case_id}/extension", dependencies=[Depends(check_csrf)])
    async def extend(request: Request, user: Mediator, case_id: str) -> Response:
        path = f"/cases/{case_id}/extension"
        return await submit(
            request, user, case_id, "extension", EXTENSION_INPUTS, path, {}, "extension"
        )

    @router.post(
        "/cases/{case_id}/sessions/{session_id}/record", dependencies=[Depends(check_csrf)]
    )
    async def record(request: Request, user: Mediator, case_id: str, session_id: str) -> Response:
        path = f"/cases/{case_id}/sessions/{session_id}/record"
        form_id = f"record-{session_id}"
        return await submit(request, user, case_id, form_id, RECORD_INPUTS, path, {}, "record")

    return router
