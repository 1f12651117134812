"""Intake's service layer: register cases from any channel; follow their public status."""

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from concord_shared.clock import Clock
from concord_shared.consumer import Unprocessable
from concord_shared.enums import CaseKind, CaseStatus
from concord_shared.envelope import Envelope
from concord_shared.events import (
    CaseRouted,
    CaseStatusChanged,
    MediationOpened,
    RepeatReviewed,
    SubmitCase,
)
from concord_shared.outbox import Outbox
from concord_shared.registry import Registry
from concord_shared.registry_source import RegistrySource
from concord_shared.service import BatchTable, HandlerTable
from concord_shared.submission import CaseSubmission
from concord_shared.topics import CASE_EVENTS

from concord_intake.adapters.listings import received_entry
from concord_intake.adapters.repository import CaseRepository
from concord_intake.domain.cases import CaseRecord, case_received, register
from concord_intake.domain.grouping import EarlierCase, Grouping, NewCase, group
from concord_intake.domain.identity import (
    case_id_for,
    new_case_id,
    receipt_number,
    verification_code,
)
from concord_intake.domain.submission import FieldProblem, check_against_registry
from concord_intake.settings import GroupingSettings

log = structlog.get_logger(__name__)
SERVICE = "intake"


class SubmissionRejected(Exception):
    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, p.loc))}: {p.msg}" for p in problems))
        self.problems = problems


# The problem of a retry whose body differs from the first request under its key.
KEY_REUSED = FieldProblem((), "this Idempotency-Key was used before with a different body")


@dataclass(frozen=True)
class Registration:
    """One submission to register, with what makes a retry of it idempotent."""

    submission: CaseSubmission
    idempotency_scope: str | None = None
    idempotency_key: str | None = None
    source_system: str | None = None
    source_ref: str | None = None
    # What the submission looked like (a hash): the same key with another body is refused.
    body_fingerprint: str | None = None

    def case_id(self) -> str:
        if self.idempotency_key:
            return case_id_for(self.idempotency_scope or "", self.idempotency_key)
        return new_case_id()


def _same_entry(retry: CaseRecord, stored: CaseRecord) -> bool:
    """A retry's listing entry is the stored case's own (same millisecond): keep it."""
    return received_entry(retry.case_id, retry.category, retry.received_at) == received_entry(
        stored.case_id, stored.category, stored.received_at
    )


@dataclass(frozen=True)
class Registered:
    record: CaseRecord
    created: bool


@dataclass(frozen=True)
class Hints:
    """What reception sees before saving: the registry's problems with the submission, and
    how it would be grouped if it were registered now."""

    problems: list[FieldProblem]
    repeat_of: CaseRecord | None  # the earlier case of the same party on the same matter
    probable_repeat_of: CaseRecord | None  # same party, category and area, worded otherwise
    collective: bool
    collective_group: str | None
    collective_group_size: int | None  # the matter's cases that make it collective, this one too
    situation_group: str | None  # an early warning's existing situation, if it joins one


@dataclass
class Intake:
    repo: CaseRepository
    registry_source: RegistrySource  # routing's registry in force, kept fresh
    pseudonym_key: str
    receipt_prefix: str
    outbox: Outbox
    clock: Clock
    grouping: GroupingSettings

    @property
    def registry(self) -> Registry:
        """The registry submissions are checked against: routing's, as it is now."""
        return self.registry_source.current

    async def register(self, registration: Registration) -> Registered:
        """Validate and store one case with its CaseReceived in one write.

        Raises SubmissionRejected naming every wrong field; nothing is stored then.
        """
        result = (await self.register_many([registration]))[0]
        if isinstance(result, SubmissionRejected):
            raise result
        return result

    async def register_many(
        self, registrations: Sequence[Registration]
    ) -> list[Registered | SubmissionRejected]:
        """Register a batch (bulk import, or one HTTP request). Valid ones are stored even
        when others are rejected; the result says which was which, in order."""
        results: list[Registered | SubmissionRejected | None] = [None] * len(registrations)
        now = self.clock.now()
        pending: list[tuple[int, CaseRecord]] = []
        for i, registration in enumerate(registrations):
            problems = check_against_registry(registration.submission, self.registry)
            if problems:
                results[i] = SubmissionRejected(problems)
                continue
            pending.append((i, self._record(registration, registration.case_id(), now)))
        flagged = await self._flag_groups([r for _, r in pending], now)
        # One record per case id: a retry may come twice in one batch; the first one counts.
        records: dict[str, CaseRecord] = {}
        for r in flagged:
            records.setdefault(r.case_id, r)
        # Reserve receipt numbers first (unique by _id); redraw the rare one that is taken.
        taken = await self.repo.claim_receipts(list(records.values()))
        for _attempt in range(5):
            if not taken:
                break
            for case_id in taken:
                records[case_id] = records[case_id].model_copy(
                    update={"receipt_number": self._receipt(now)}
                )
            taken = await self.repo.claim_receipts([records[c] for c in taken])
        else:  # pragma: no cover - six collisions in a row
            raise RuntimeError("could not draw a free receipt number")
        unique = list(records.values())
        changes = {r.case_id: self.outbox.change(r.case_id) for r in unique}
        for r in unique:
            changes[r.case_id].emit(CASE_EVENTS, case_received(r))
        fingerprints = {
            case_id: r.body_fingerprint
            for r in registrations
            if r.body_fingerprint and r.idempotency_key and (case_id := r.case_id()) in records
        }
        # Listed before the insert (a listing drops an entry whose case never came).
        await self.repo.listings.received(unique)
        created = await self.repo.insert_many(
            [(r, changes[r.case_id].emits) for r in unique], fingerprints
        )
        new = [
            r for r, fresh in zip(unique, created, strict=True) if changes[r.case_id].stored(fresh)
        ]
        await self.repo.remember_for_grouping(new)
        await self.repo.listings.stored(new)
        fresh_ids = {r.case_id for r in new}
        existing = await self.repo.get_many(r.case_id for r in unique if r.case_id not in fresh_ids)
        await self.repo.listings.not_received(
            [r for r in unique if r.case_id in existing and not _same_entry(r, existing[r.case_id])]
        )
        stored_prints = await self.repo.fingerprints(
            r.case_id for r in unique if r.case_id not in fresh_ids and r.case_id in fingerprints
        )
        answered: set[str] = set()
        for i, r in pending:
            fresh = r.case_id in fresh_ids and r.case_id not in answered
            answered.add(r.case_id)
            stored = records[r.case_id] if r.case_id in fresh_ids else existing[r.case_id]
            sent = registrations[i].body_fingerprint
            if not fresh and sent and stored_prints.get(r.case_id, sent) != sent:
                results[i] = SubmissionRejected([KEY_REUSED])
                continue
            results[i] = Registered(stored, fresh)
        for record in new:
            log.info(
                "case registered",
                case_id=record.case_id,
                kind=record.kind,
                channel=record.channel,
                repeat=record.repeat_of is not None,
                collective=record.collective,
            )
        return [r for r in results if r is not None]

    def _receipt(self, now: datetime) -> str:
        return receipt_number(self.receipt_prefix, now)

    def _record(self, registration: Registration, case_id: str, now: datetime) -> CaseRecord:
        return register(
            registration.submission,
            case_id=case_id,
            receipt=self._receipt(now),
            code=verification_code(),
            pseudonym_key=self.pseudonym_key,
            now=now,
            source_system=registration.source_system,
            source_ref=registration.source_ref,
        )

    async def _flag_groups(self, records: list[CaseRecord], now: datetime) -> list[CaseRecord]:
        """Set repeat and collective flags against earlier cases and earlier rows of the batch."""
        if not records:
            return records
        flagged = self._flagged(records, await self._earlier_cases(records, now))
        return [record for record, _ in flagged]

    async def _earlier_cases(self, records: list[CaseRecord], now: datetime) -> list[EarlierCase]:
        """The stored cases these records could be a repeat of, or grouped with."""
        g = self.grouping
        return await self.repo.earlier_cases(
            # An early warning's parties are never looked up: it is about a situation.
            {p.ref for r in records if r.kind is not CaseKind.EARLY_WARNING for p in r.parties},
            {(r.category, r.location.area_code or "") for r in records},
            party_since=now - timedelta(days=g.repeat_window_days),
            matter_since=now
            - timedelta(hours=max(g.collective_window_hours, g.situation_window_hours)),
            now=now,
        )

    def _flagged(
        self, records: list[CaseRecord], earlier: list[EarlierCase]
    ) -> list[tuple[CaseRecord, Grouping]]:
        """The records with their flags (and the grouping that set them), each judged against
        `earlier` and the records before it; every record is appended to `earlier` as it is
        flagged."""
        g = self.grouping
        warning = {r.case_id: r.kind is CaseKind.EARLY_WARNING for r in records}
        flagged: list[tuple[CaseRecord, Grouping]] = []
        for record in records:
            new = NewCase(
                party_refs=frozenset(
                    () if warning[record.case_id] else (p.ref for p in record.parties)
                ),
                party_count=len(record.parties),
                category=record.category,
                area_code=record.location.area_code or "",
                description=record.description,
                received_at=record.received_at,
                early_warning=warning[record.case_id],
                case_id=record.case_id,
            )
            flags = group(
                new,
                earlier,
                repeat_window=timedelta(days=g.repeat_window_days),
                collective_window=timedelta(hours=g.collective_window_hours),
                threshold=g.similarity_threshold,
                party_threshold=g.collective_party_threshold,
                min_cases=g.collective_min_cases,
                situation_window=timedelta(hours=g.situation_window_hours),
            )
            record = record.model_copy(
                update={
                    "repeat_of": flags.repeat_of,
                    "probable_repeat_of": flags.probable_repeat_of,
                    "collective": flags.collective,
                    "collective_group": flags.collective_group,
                    "situation_group": flags.situation_group,
                }
            )
            flagged.append((record, flags))
            earlier.append(
                EarlierCase(
                    record.case_id,
                    new.party_refs,
                    new.category,
                    new.area_code,
                    new.description,
                    new.received_at,
                    record.collective_group,
                    new.early_warning,
                    record.situation_group,
                )
            )
        return flagged

    async def check(self, submission: CaseSubmission) -> Hints:
        """What registering this submission now would say -- the registry's problems, the
        repeat and collective flags -- by the same rule as `register_many`, on a record that
        is never stored: nothing is written or emitted, so a check counts in no later one."""
        now = self.clock.now()
        problems = check_against_registry(submission, self.registry)
        probe = self._record(Registration(submission), new_case_id(), now)
        earlier = await self._earlier_cases([probe], now)
        ((flagged, grouping),) = self._flagged([probe], earlier)
        repeat_of = await self.repo.get(flagged.repeat_of) if flagged.repeat_of else None
        probable = flagged.probable_repeat_of
        hints = Hints(
            problems=problems,
            repeat_of=repeat_of,
            probable_repeat_of=await self.repo.get(probable) if probable else None,
            collective=flagged.collective,
            collective_group=flagged.collective_group,
            collective_group_size=grouping.group_size,
            # A warning that would start a situation names it after itself: no group yet.
            situation_group=None
            if flagged.situation_group == probe.case_id
            else flagged.situation_group,
        )
        log.info(
            "submission checked",
            kind=submission.kind,
            channel=submission.channel,
            problems=len(problems),
            repeat=repeat_of is not None,
            collective=flagged.collective,
        )
        return hints

    async def public_status(self, receipt: str, code: str) -> CaseRecord | None:
        record = await self.repo.by_receipt(receipt)
        # In constant time: how long a wrong code takes tells nothing of the right one.
        if record is None or not hmac.compare_digest(
            record.verification_code.encode(), code.encode(errors="surrogatepass")
        ):
            return None  # the same answer for both: the receipt's existence is not disclosed
        return record

    # --- the integration topic --------------------------------------------------------------

    async def on_submit_cases(self, events: list[Envelope[Any]]) -> list[Unprocessable | None]:
        """Many submissions from other systems at once: one registration, so one bulk write
        per collection instead of a round trip each. Says which were refused."""
        commands: list[SubmitCase] = [e.payload for e in events]
        results = await self.register_many(
            [
                Registration(
                    c.case,
                    idempotency_scope=f"source:{c.source_system}",
                    idempotency_key=c.source_ref,
                    source_system=c.source_system,
                    source_ref=c.source_ref,
                )
                for c in commands
            ]
        )
        outcomes: list[Unprocessable | None] = []
        for result in results:
            if isinstance(result, SubmissionRejected):
                outcomes.append(Unprocessable("rejected", str(result)))
                continue
            outcomes.append(None)
            if not result.created:
                log.info("resubmission of a known case ignored", case_id=result.record.case_id)
        return outcomes

    async def on_submit_case(self, event: Envelope[Any]) -> None:
        """A submission from another system; (source system, its reference) is idempotent."""
        (refused,) = await self.on_submit_cases([event])
        if refused is not None:
            raise refused

    # --- following the case log -----------------------------------------------------------

    async def on_case_routed(self, event: Envelope[Any]) -> None:
        routed: CaseRouted = event.payload
        where = {
            "level": routed.level,
            "platform": routed.platform,
            "department": routed.lead_department,
        }
        if routed.reroute:
            # Moved (a decline, an escalation): who holds it changes, where it stands in
            # the workflow is mediation's to say.
            await self._status(event, f"re-routed to platform {routed.platform}", **where)
            return
        await self._status(
            event,
            f"routed to platform {routed.platform} ({routed.level})",
            status=CaseStatus.ROUTED,
            **where,
        )

    async def on_mediation_opened(self, event: Envelope[Any]) -> None:
        opened: MediationOpened = event.payload
        await self._status(
            event,
            f"received at platform {opened.platform}",
            status=opened.status,
            level=opened.level,
            platform=opened.platform,
            acceptance_due=opened.acceptance_due,
            handling_due=opened.handling_due,
        )

    async def on_status_changed(self, event: Envelope[Any]) -> None:
        changed: CaseStatusChanged = event.payload
        standing: dict[str, Any] = {}
        if changed.level is not None:  # stamped with where the case stands (since 1.5)
            standing = {
                "level": changed.level,
                "acceptance_due": changed.acceptance_due,
                "handling_due": changed.handling_due,
            }
        await self._status(
            event,
            f"now {changed.to_status}",
            status=changed.to_status,
            platform=changed.platform,
            **standing,
        )

    async def on_repeat_reviewed(self, event: Envelope[Any]) -> None:
        """Mediation's staff said whether the probable repeat is one: intake's record says
        so too, so the next submission of the party is judged against it."""
        reviewed: RepeatReviewed = event.payload
        sets: dict[str, Any] = {
            "probable_repeat_of": None,
            "repeat_review": {
                "earlier_case": reviewed.earlier_case,
                "confirmed": reviewed.confirmed,
                "by": reviewed.reviewed_by,
                "at": event.occurred_at,
            },
        }
        if reviewed.confirmed:
            sets["repeat_of"] = reviewed.earlier_case
        await self.repo.apply_review(event.case_id, event.event_id, sets)

    async def _status(self, event: Envelope[Any], note: str, **fields: Any) -> None:
        fields["updated_at"] = event.occurred_at
        await self.repo.listings.updated(event.case_id, event.occurred_at)  # listed first
        await self.repo.update_public_status(event.case_id, event.event_id, fields, note)
        await self.repo.listings.restate(event.case_id)  # also when it was written before


HANDLERS: HandlerTable[Intake] = {
    SubmitCase: Intake.on_submit_case,
    CaseRouted: Intake.on_case_routed,
    MediationOpened: Intake.on_mediation_opened,
    CaseStatusChanged: Intake.on_status_changed,
    RepeatReviewed: Intake.on_repeat_reviewed,
}
# Submissions from other systems come in batches: one store round trip for all.
BATCH_HANDLERS: BatchTable[Intake] = {SubmitCase: Intake.on_submit_cases}
