"""API-key authentication for mediation's staff endpoints (X-API-Key).

A missing or unknown key is 401, a key without the right is 403; neither says more.
"""

import hmac
from collections.abc import Callable, Mapping
from typing import Annotated

from fastapi import Header, HTTPException, status

from concord_mediation.domain.access import ApiKey, Right, permits


def find_key(keys: Mapping[str, ApiKey], presented: str | None) -> ApiKey | None:
    if not presented:
        return None
    found = None
    for secret, key in keys.items():
        # Compare against every key in constant time, so timing reveals nothing either.
        if hmac.compare_digest(secret.encode(), presented.encode()):
            found = key
    return found


def authenticated(keys: Mapping[str, ApiKey]) -> Callable[..., ApiKey]:
    def dependency(x_api_key: Annotated[str | None, Header()] = None) -> ApiKey:
        key = find_key(keys, x_api_key)
        if key is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "authentication required",
                headers={"WWW-Authenticate": "ApiKey"},
            )
        return key

    return dependency


def require(key: ApiKey, right: Right, platform: str | None = None) -> None:
    if not permits(key, right, platform):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "not permitted")
