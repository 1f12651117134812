"""A service's long-running loops (the outbox relay, a dispatcher, a timer watch): started
with the service, cancelled and awaited when the service stops."""

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import structlog

log = structlog.get_logger(__name__)


class Background:
    def __init__(self, name: str) -> None:
        self._name = name
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, *runs: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Each loop in a task of its own: a slow one (a sweep of the store) never holds up
        another (publishing what was just written)."""
        self._tasks += [asyncio.create_task(run(), name=self._name) for run in runs]

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass


def every(
    interval_s: float, action: Callable[[], Awaitable[Any]], failed: str
) -> Callable[[], Coroutine[Any, Any, None]]:
    """A loop for `Background.start`: `action` at once, then every `interval_s`; a failure
    (the store away, say) is logged with `failed` and tried again at the next turn."""

    async def loop() -> None:
        while True:
            try:
                await action()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(failed, error=repr(exc))
            await asyncio.sleep(interval_s)

    return loop
