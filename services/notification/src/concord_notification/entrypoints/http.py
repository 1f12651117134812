"""Notification's API: the delivery log of a case, and departments' webhook subscriptions."""

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from concord_shared.clock import Clock
from concord_shared.enums import Language, RecipientKind
from concord_shared.submission import normalise_email
from fastapi import APIRouter, Depends, HTTPException, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, BaseModel, Field, HttpUrl, field_validator

from concord_notification.adapters.delivery_log import DeliveryLog
from concord_notification.adapters.subscriptions import (
    ACTIVE,
    Subscriptions,
    new_subscription_id,
)
from concord_notification.domain.access import ApiKey, Right, Role, permits
from concord_notification.domain.webhook_secrets import new_secret, weakness_of_secret
from concord_notification.domain.webhook_targets import refusal_of_url
from concord_notification.entrypoints.auth import authenticated, require, require_department
from concord_notification.handlers import SUBSCRIBABLE


def deliveries_router(deliveries: DeliveryLog, keys: Mapping[str, ApiKey]) -> APIRouter:
    router = APIRouter(tags=["deliveries"])
    Caller = Annotated[ApiKey, Depends(authenticated(keys))]

    @router.get("/cases/{case_id}/deliveries")
    async def for_case(case_id: str, caller: Caller) -> list[dict[str, Any]]:
        """What went to whom (recipient kind and reference, a masked address at most),
        when, by which channel, with what result after how many attempts. A department sees
        only what went to it; an operator sees every delivery but no citizen's address."""
        require(caller, Right.READ_DELIVERIES)
        entries = await deliveries.for_case(case_id)
        if caller.role is Role.OPERATOR:
            return [_without_citizen_contact(e) for e in entries]
        return [e for e in entries if _to_department(e, caller.department or "")]

    return router


def _to_department(entry: dict[str, Any], department: str) -> bool:
    return bool(
        entry.get("recipient_kind") == RecipientKind.DEPARTMENT
        and entry.get("recipient_ref") == department
    )


def _without_citizen_contact(entry: dict[str, Any]) -> dict[str, Any]:
    # Operators fix failing deliveries: a directory's work address or a webhook's host helps
    # them; a citizen's phone or e-mail, even masked, is not theirs to see.
    if entry.get("recipient_kind") == RecipientKind.CITIZEN:
        return {k: v for k, v in entry.items() if k != "address"}
    return entry


class SubscriptionIn(BaseModel):
    url: HttpUrl = Field(
        description="https, to a public address (plain http and loopback in development only)."
    )
    event_types: list[str] = Field(min_length=1, description=f"Any of {sorted(SUBSCRIBABLE)}.")
    secret: str | None = Field(
        default=None,
        max_length=256,
        description="At least 32 bytes and hard to guess; omit it to have a random one made.",
    )
    contact_email: Annotated[str, AfterValidator(normalise_email)] | None = Field(
        default=None, description="A work address told when the endpoint is paused."
    )
    language: Language = Language.ZH
    department: str | None = Field(default=None, description="Operators only.")

    @field_validator("event_types")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(SUBSCRIBABLE))
        if unknown:
            raise ValueError(f"not subscribable: {unknown}; choose from {sorted(SUBSCRIBABLE)}")
        return sorted(set(value))


class SubscriptionOut(BaseModel):
    id: str
    department: str
    url: str
    event_types: list[str]
    status: str
    consecutive_failures: int
    language: Language
    created_at: datetime
    secret: str | None = Field(default=None, description="Shown once, when created.")


def _out(doc: dict[str, Any], with_secret: bool = False) -> SubscriptionOut:
    return SubscriptionOut(
        id=doc["_id"],
        department=doc["department"],
        url=doc["url"],
        event_types=doc["event_types"],
        status=doc["status"],
        consecutive_failures=doc.get("consecutive_failures", 0),
        language=doc.get("language", Language.ZH),
        created_at=doc["created_at"],
        secret=doc["secret"] if with_secret else None,
    )


def _refused(field: str, message: str) -> RequestValidationError:
    """A 422 shaped like pydantic's, naming the field; without the input (a URL may carry a
    password, and a secret is a secret)."""
    return RequestValidationError([{"type": "value_error", "loc": ("body", field), "msg": message}])


def _checked(body: SubscriptionIn, department: str, development: bool) -> tuple[str, str]:
    """The endpoint and secret to store, or a 422 saying what is wrong with them."""
    url = str(body.url)
    if reason := refusal_of_url(url, development=development):
        raise _refused("url", f"the webhook URL {reason}")
    if body.secret is None:
        return url, new_secret()
    if reason := weakness_of_secret(body.secret, [department, body.url.host or ""]):
        raise _refused("secret", f"the secret {reason}")
    return url, body.secret


def subscriptions_router(
    subscriptions: Subscriptions,
    keys: Mapping[str, ApiKey],
    clock: Clock,
    *,
    development: bool = False,
) -> APIRouter:
    """`development` allows plain-http and loopback endpoints (`make run`, the tests)."""
    router = APIRouter(tags=["subscriptions"])
    Caller = Annotated[ApiKey, Depends(authenticated(keys))]

    async def owned(caller: ApiKey, subscription_id: str) -> dict[str, Any]:
        doc = await subscriptions.get(subscription_id)
        if doc is None or not permits(caller, Right.MANAGE_SUBSCRIPTIONS, doc["department"]):
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such subscription")
        return doc

    @router.post("/subscriptions", status_code=201, response_model=SubscriptionOut)
    async def create(body: SubscriptionIn, caller: Caller) -> SubscriptionOut:
        """Register a webhook endpoint for the caller's department. The answer carries the
        signing secret (the one given, or a random one made when none is); it is not shown
        again."""
        department = require_department(caller, body.department)
        url, secret = _checked(body, department, development)
        doc = {
            "_id": new_subscription_id(),
            "department": department,
            "url": url,
            "secret": secret,
            "event_types": body.event_types,
            "contact_email": body.contact_email,
            "language": body.language.value,
            "status": ACTIVE,
            "consecutive_failures": 0,
            "created_at": clock.now(),
        }
        return _out(await subscriptions.create(doc), with_secret=True)

    @router.get("/subscriptions", response_model=list[SubscriptionOut])
    async def list_own(caller: Caller, department: str | None = None) -> list[SubscriptionOut]:
        return [
            _out(d)
            for d in await subscriptions.of_department(require_department(caller, department))
        ]

    @router.get("/subscriptions/{subscription_id}", response_model=SubscriptionOut)
    async def get(subscription_id: str, caller: Caller) -> SubscriptionOut:
        return _out(await owned(caller, subscription_id))

    @router.post("/subscriptions/{subscription_id}/resume", response_model=SubscriptionOut)
    async def resume(subscription_id: str, caller: Caller) -> SubscriptionOut:
        """Resume a paused endpoint after fixing it."""
        await owned(caller, subscription_id)
        doc = await subscriptions.resume(subscription_id)
        if doc is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such subscription")
        return _out(doc)

    @router.delete("/subscriptions/{subscription_id}", status_code=204)
    async def delete(subscription_id: str, caller: Caller) -> Response:
        await owned(caller, subscription_id)
        await subscriptions.delete(subscription_id)
        return Response(status_code=204)

    return router
