"""Rate limits of intake's public endpoints (the status lookup and Open311), on `limits`.

Two limits: requests per client address, so one client cannot enumerate receipt numbers
or flood the store; and wrong verification codes per receipt number, so a code cannot be
guessed however many addresses the guesser has. Both answer 429 with Retry-After.

A receipt over its limit answers 429 to the right code as well: otherwise the one answer
that is not 429 would tell the guesser the code. The counters live in the storage the
settings name (default: this instance's memory; several instances then count apart).
"""

import math
import time

from fastapi import HTTPException, Request, status
from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from concord_intake.settings import PublicLimitSettings


class Limited(Exception):
    """Over a limit; `retry_after` is whole seconds until a request may succeed."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many requests; retry after {retry_after} s")
        self.retry_after = retry_after


def too_many_requests(exc: Limited) -> HTTPException:
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        "too many requests; try again later",
        headers={"Retry-After": str(exc.retry_after)},
    )


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class PublicLimits:
    def __init__(self, settings: PublicLimitSettings) -> None:
        uri = settings.storage
        self._limiter = MovingWindowRateLimiter(
            storage_from_string(uri if uri.startswith("async+") else f"async+{uri}")
        )
        self._per_client = parse(settings.per_client)
        self._per_receipt = parse(settings.wrong_codes_per_receipt)

    async def _retry_after(self, item: RateLimitItem, *keys: str) -> int:
        stats = await self._limiter.get_window_stats(item, *keys)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def client_request(self, request: Request) -> None:
        """Count one public request of the client; Limited when it is over its limit."""
        address = client_address(request)
        if not await self._limiter.hit(self._per_client, "client", address):
            raise Limited(await self._retry_after(self._per_client, "client", address))

    async def receipt_open(self, receipt: str) -> None:
        """Limited if the receipt has had too many wrong codes lately."""
        if not await self._limiter.test(self._per_receipt, "receipt", receipt):
            raise Limited(await self._retry_after(self._per_receipt, "receipt", receipt))

    async def wrong_code(self, receipt: str) -> None:
        """Count a wrong code; Limited if it was one too many (the caller then answers 429,
        not "wrong", so parallel guesses past the limit learn nothing either)."""
        if not await self._limiter.hit(self._per_receipt, "receipt", receipt):
            raise Limited(await self._retry_after(self._per_receipt, "receipt", receipt))
