"""Per-case locks in the store, shared by every instance.

FerretDB 1.24 applies an update by reading the document, changing it and writing the whole
document back, in two steps: two updates of one case at the same moment (a clerk's action,
a timer, the outbox relay clearing what it published) can silently undo one another, and a
conditional update can match in two instances at once. An insert with a unique _id is atomic,
so a lock is a document: whoever inserts it holds the case until they delete it. A lease
(wall-clock seconds) frees the lock of a process that died holding it.
"""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from concord_shared.store import Document
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

LOCKS = "case_locks"


class LockTimeout(TimeoutError):
    """The case stayed locked by someone else; the caller retries later."""


class CaseLocks:
    def __init__(
        self, db: AsyncDatabase[Document], *, lease_s: float = 15.0, wait_s: float = 10.0
    ) -> None:
        self._locks = db[LOCKS]
        self._lease_s = lease_s
        self._wait_s = wait_s
        self._owner = uuid.uuid4().hex

    @asynccontextmanager
    async def hold(self, case_id: str) -> AsyncIterator[None]:
        token = f"{self._owner}:{uuid.uuid4().hex[:8]}"
        await self._acquire(case_id, token)
        try:
            yield
        finally:
            await self._locks.delete_one({"_id": case_id, "token": token})

    async def _acquire(self, case_id: str, token: str) -> None:
        deadline = time.monotonic() + self._wait_s
        pause = 0.005
        while True:
            try:
                await self._locks.insert_one(
                    {"_id": case_id, "token": token, "until": time.time() + self._lease_s}
                )
                return
            except DuplicateKeyError:
                held = await self._locks.find_one({"_id": case_id})
                if held is not None and held.get("until", 0) < time.time():
                    # The holder died: break its lock (only that one, by its token).
                    await self._locks.delete_one({"_id": case_id, "token": held["token"]})
                    continue
            if time.monotonic() > deadline:
                raise LockTimeout(f"case {case_id} stayed locked")
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.1)
