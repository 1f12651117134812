"""The registry and rule set in force, kept in routing's store so that every instance uses
the same ones and a change made through the admin API outlives a restart.

Layout: immutable content documents (registry, rules, who changed what and when, and the
previous content's id) and one small ``head`` document naming the content in force. A
change inserts new content, then moves the head with a compare-and-set on its revision, so
two concurrent changes cannot both win and a crash in between leaves only an unreferenced
document. The chain of contents is the audit trail: each entry's before is its previous.
Instances read the head (one lookup by _id) before each case and reload when it moved.
"""

import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import structlog
from concord_shared.envelope import utcnow
from concord_shared.registry import Registry
from concord_shared.store import Document
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from concord_routing.domain.config import RoutingConfig
from concord_routing.domain.rules import parse_rules

log = structlog.get_logger(__name__)
CONFIG = "config"
HEAD = "head"
Part = Literal["rules", "registry", "seed"]


@dataclass(frozen=True)
class Change:
    revision: int
    changed: Part
    by: str
    at: datetime
    note: str
    before: Any
    after: Any


class ConfigStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._config = db[CONFIG]

    async def head(self) -> Document | None:
        return await self._config.find_one({"_id": HEAD})

    async def load(self) -> RoutingConfig | None:
        head = await self.head()
        if head is None:
            return None
        content = await self._config.find_one({"_id": head["content"]})
        if content is None:  # pragma: no cover - the head is only moved to stored content
            raise RuntimeError(f"routing config: head names missing content {head['content']}")
        registry = Registry.model_validate(content["registry"])
        return RoutingConfig(head["revision"], registry, parse_rules(content["rules"], registry))

    async def propose(
        self,
        expected: int | None,
        registry: dict[str, Any],
        rules: dict[str, Any],
        *,
        changed: Part,
        by: str,
        note: str = "",
    ) -> bool:
        """Put new content in force if the revision in force is still `expected` (None: no
        config stored yet). False: someone else changed it first."""
        head = await self.head()
        if (head["revision"] if head else None) != expected:
            return False
        revision = (expected or 0) + 1
        content_id = uuid.uuid4().hex
        await self._config.insert_one(
            {
                "_id": content_id,
                "revision": revision,
                "previous": head["content"] if head else None,
                "registry": registry,
                "rules": rules,
                "changed": changed,
                "by": by,
                "at": utcnow(),
                "note": note,
            }
        )
        if head is None:
            try:
                await self._config.insert_one(
                    {"_id": HEAD, "revision": revision, "content": content_id}
                )
            except DuplicateKeyError:
                return False
            return True
        moved = await self._config.update_one(
            {"_id": HEAD, "revision": expected},
            {"$set": {"revision": revision, "content": content_id}},
        )
        return moved.modified_count == 1

    async def changes(self, limit: int = 50) -> list[Change]:
        """The latest changes, newest first, each with what it replaced."""
        head = await self.head()
        entries: list[Change] = []
        content = await self._config.find_one({"_id": head["content"]}) if head else None
        while content is not None and len(entries) < limit:
            previous = (
                await self._config.find_one({"_id": content["previous"]})
                if content["previous"]
                else None
            )
            part = content["changed"]
            entries.append(
                Change(
                    revision=content["revision"],
                    changed=part,
                    by=content["by"],
                    at=content["at"],
                    note=content["note"],
                    before=_part(previous, part),
                    after=_part(content, part),
                )
            )
            content = previous
        return entries

    async def content_of(self, config: RoutingConfig) -> tuple[dict[str, Any], dict[str, Any]]:
        """The stored registry and rules documents as given (comments and order aside)."""
        head = await self.head()
        content = await self._config.find_one({"_id": head["content"]}) if head else None
        if content is None or content["revision"] != config.revision:
            raise LookupError("the config in force changed meanwhile")
        return content["registry"], content["rules"]


def _part(content: Document | None, part: str) -> Any:
    if content is None:
        return None
    if part == "seed":
        return {"registry": content["registry"], "rules": content["rules"]}
    return content[part]


class LiveConfig:
    """The config in force for this instance, reloaded whenever another one changed it.

    A change made through this instance applies to its next case at once (`adopt`); one made
    through another instance within `recheck_s`: the head document is read at most that
    often, not once per case (it was a quarter of routing's store round trips).
    """

    def __init__(self, store: ConfigStore, config: RoutingConfig, recheck_s: float = 1.0) -> None:
        self._store = store
        self._config = config
        self._recheck_s = recheck_s
        self._checked_at: float | None = None

    async def settle(self, registry: dict[str, Any], rules: dict[str, Any], source: str) -> None:
        """At start: seed the store from the files the first time; afterwards the store is
        the truth, except that changed files replace a config nobody changed at runtime."""
        for _ in range(5):
            head = await self._store.head()
            if head is None:
                await self._store.propose(None, registry, rules, changed="seed", by=source)
                continue
            stored = await self._store.load()
            assert stored is not None
            self._config = stored
            if await self._store.content_of(stored) == (registry, rules):
                return
            latest = (await self._store.changes(limit=1))[0]
            if latest.changed != "seed":
                log.warning(
                    "routing config files differ from the config changed at runtime; "
                    "the runtime change stays in force",
                    revision=stored.revision,
                    changed_by=latest.by,
                )
                return
            await self._store.propose(stored.revision, registry, rules, changed="seed", by=source)
        raise RuntimeError("routing config: could not settle the config in force")

    async def current(self, *, fresh: bool = False) -> RoutingConfig:
        now = time.monotonic()
        if not fresh and self._checked_at is not None and now - self._checked_at < self._recheck_s:
            return self._config
        head = await self._store.head()
        self._checked_at = now
        if head is not None and head["revision"] != self._config.revision:
            loaded = await self._store.load()
            if loaded is not None:
                log.info("routing config reloaded", revision=loaded.revision)
                self._config = loaded
        return self._config

    def adopt(self, config: RoutingConfig) -> None:
        """This instance made the change: use it at once."""
        self._config = config
