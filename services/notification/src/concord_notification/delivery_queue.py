"""The deliveries due now, handed from the planner to the dispatcher in memory: made first in
bootstrap and given to both, so neither needs the other to exist. A delivery carries the
citizen's contact the planner just fetched, used for the first attempt and then forgotten.
What is lost with the process is not lost: the schedule has every delivery at its due time."""

import asyncio

from concord_notification.adapters.contacts import CitizenContact
from concord_notification.domain.deliveries import Delivery

Ready = tuple[Delivery, CitizenContact | None]


class DeliveryQueue:
    def __init__(self) -> None:
        self._ready: dict[str, Ready] = {}
        self._wake = asyncio.Event()

    def put(self, deliveries: list[Ready]) -> None:
        self._ready.update((d.key, (d, contact)) for d, contact in deliveries)
        self._wake.set()

    def take(self, most: int) -> dict[str, Ready]:
        """Up to `most` deliveries, in the order they came."""
        return {k: self._ready.pop(k) for k in list(self._ready)[:most]}

    def __contains__(self, key: object) -> bool:
        return key in self._ready

    def __len__(self) -> int:
        return len(self._ready)

    async def wait(self, timeout_s: float) -> None:
        """Until something is put, or `timeout_s` has passed."""
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=timeout_s)
        except TimeoutError:
            pass

    def rest(self) -> None:
        """Forget the last wake-up (before reading the queue again)."""
        self._wake.clear()
