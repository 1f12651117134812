"""The citizen's status in plain words: names instead of codes, in the reader's language."""

from datetime import datetime

from concord_shared.enums import CaseStatus
from concord_shared.registry import Registry
from concord_shared.wording import Lang, Names, level_words, local_time, status_words
from pydantic import BaseModel

from concord_intake.domain.cases import CaseRecord


class StatusWords(BaseModel):
    language: Lang
    status_text: str
    category_name: str
    level_text: str | None
    platform_name: str | None
    department_name: str | None
    acceptance_due_text: str | None
    handling_due_text: str | None
    summary: str  # one sentence: where the case is, who holds it, what is due by when


def _due(value: datetime | None, language: Lang) -> str | None:
    return None if value is None else local_time(value, language)


def status_words_of(record: CaseRecord, registry: Registry, language: Lang) -> StatusWords:
    public = record.public
    names = Names(registry, language)
    # Mediation's "received" is a case at its platform, waiting to be accepted: to the
    # citizen that is "assigned", not "registered, waiting to be assigned".
    shown = (
        CaseStatus.ROUTED
        if public.status is CaseStatus.RECEIVED and public.platform
        else public.status
    )
    status = status_words(shown, language)
    level = level_words(public.level, language) if public.level else None
    platform = names.platform(public.platform) if public.platform else None
    department = names.department(public.department) if public.department else None
    acceptance = _due(public.acceptance_due, language)
    handling = _due(public.handling_due, language)
    zh = language == "zh"
    parts = [status]
    if platform:
        held = f"{platform}（{level}）" if zh and level else f"{platform} ({level})"
        parts.append(f"承办单位：{held}" if zh else f"handled by {held}")
    if department:
        parts.append(f"牵头部门：{department}" if zh else f"lead department: {department}")
    if acceptance:
        parts.append(f"受理期限：{acceptance}" if zh else f"to be accepted by {acceptance}")
    if handling:
        parts.append(f"办理期限：{handling}" if zh else f"to be handled by {handling}")
    summary = ("；".join(parts) + "。") if zh else ("; ".join(parts) + ".")
    return StatusWords(
        language=language,
        status_text=status,
        category_name=names.category(record.category),
        level_text=level,
        platform_name=platform,
        department_name=department,
        acceptance_due_text=acceptance,
        handling_due_text=handling,
        summary=summary,
    )
