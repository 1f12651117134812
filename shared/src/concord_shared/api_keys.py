"""API-key authentication for the services' HTTP endpoints.

Each service has its own key model (roles differ); this module only finds the caller's key.
A missing or unknown key is 401, a key without the right is 403; neither says more, so an
attacker learns nothing about which keys or cases exist.
"""

import hmac
from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar

from fastapi import Header, HTTPException, status
from pydantic import ValidationError, ValidatorFunctionWrapHandler

K = TypeVar("K")


def find_key(keys: Mapping[str, K], presented: str | None) -> K | None:
    if not presented:
        return None
    found = None
    for secret, key in keys.items():
        # Compare against every key in constant time, so timing reveals nothing either.
        if hmac.compare_digest(secret.encode(), presented.encode()):
            found = key
    return found


def unauthorized() -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "authentication required",
        headers={"WWW-Authenticate": "ApiKey"},
    )


def forbidden() -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, "not permitted")


def authenticated(keys: Mapping[str, K]) -> Callable[..., K]:
    """A dependency giving the caller's key from the X-API-Key header, or 401."""

    def dependency(x_api_key: Annotated[str | None, Header()] = None) -> K:
        key = find_key(keys, x_api_key)
        if key is None:
            raise unauthorized()
        return key

    return dependency


def without_naming_keys(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """Validates a settings mapping of API keys, saying what is wrong but never which key:
    the mapping's keys are the secrets, and pydantic's errors would print them. Use it as a
    ``field_validator("api_keys", mode="wrap")``."""
    try:
        return handler(value)
    except ValidationError as exc:
        problems = sorted({e["msg"].removeprefix("Value error, ") for e in exc.errors()})
        raise ValueError("; ".join(problems)) from None
