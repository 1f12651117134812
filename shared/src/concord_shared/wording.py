"""The words people read for the platform's codes, in Chinese and English.

One place for what a status or a level is called, so the citizen's status API, the console
and the notices say the same thing; names of platforms, departments and categories come from
the registry. The language is the reader's: `?lang=` first, then Accept-Language, then Chinese.
"""

from collections.abc import Mapping
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from concord_shared.enums import CaseStatus, Level
from concord_shared.registry import Registry

Lang = Literal["zh", "en"]
LANGUAGES: tuple[Lang, ...] = ("zh", "en")
# The platforms' local time: deadlines are given as the staff and citizens live them.
LOCAL_TIME = ZoneInfo("Asia/Shanghai")

STATUS: Mapping[CaseStatus, tuple[str, str]] = {
    CaseStatus.RECEIVED: ("已登记，等待分派", "Registered, waiting to be assigned"),
    CaseStatus.ROUTED: ("已分派到承办单位，等待受理", "Assigned, waiting to be accepted"),
    CaseStatus.ACCEPTED: ("已受理，正在办理", "Accepted and being handled"),
    CaseStatus.NOT_ACCEPTED: ("不予受理", "Not accepted"),
    CaseStatus.IN_PROGRESS: ("正在办理", "Being handled"),
    CaseStatus.IN_SESSION: ("正在调解", "Mediation sessions under way"),
    CaseStatus.AGREEMENT_REACHED: ("已达成调解协议", "An agreement was reached"),
    CaseStatus.MEDIATION_FAILED: ("调解未成功", "Mediation did not succeed"),
    CaseStatus.RESOLVED: ("已办结", "Resolved"),
    CaseStatus.CLOSED: ("已结案", "Closed"),
    CaseStatus.UNDER_REVIEW: ("正在复查", "Under review"),
    CaseStatus.REVIEW_REQUESTED: (
        "已申请复查，等待上级决定",
        "Review asked for; the level above decides",
    ),
    CaseStatus.ESCALATED: ("已提交上级处理", "Passed to the level above"),
    CaseStatus.REFERRED: ("已引导至其他途径", "Referred to another body"),
    CaseStatus.AWAITING_CITIZEN: ("等待您补充材料", "Waiting for you to provide something"),
}

LEVEL: Mapping[Level, tuple[str, str]] = {
    Level.VILLAGE: ("村级", "village"),
    Level.TOWNSHIP: ("乡镇级", "township"),
    Level.COUNTY: ("县级", "county"),
}


def choose_language(asked: str | None, accept_language: str | None) -> Lang:
    """`?lang=` (or a cookie) first, then the first of Accept-Language we speak, then Chinese."""
    if asked in LANGUAGES:
        return asked
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "zh"


def say(pair: tuple[str, str], language: Lang) -> str:
    """One of a (Chinese, English) pair; English falls back to Chinese where it is missing."""
    return pair[1] if language == "en" and pair[1] else pair[0]


def status_words(status: CaseStatus | str | None, language: Lang) -> str:
    if status is None:
        return "—"
    pair = STATUS.get(CaseStatus(status))
    return say(pair, language) if pair else str(status)


def level_words(level: Level | str | None, language: Lang) -> str:
    if level is None:
        return "—"
    return say(LEVEL[Level(level)], language)


class Names:
    """The registry's names of codes in one language; an unknown code shows as itself."""

    def __init__(self, registry: Registry, language: Lang) -> None:
        self.registry = registry
        self.language = language

    def _named(self, found: object | None, code: str | None) -> str:
        if found is None:
            return code or "—"
        return str(getattr(found, "name_en" if self.language == "en" else "name_zh"))

    def platform(self, code: str | None) -> str:
        return self._named(self.registry.platforms_by_code.get(code or ""), code)

    def category(self, code: str | None) -> str:
        return self._named(self.registry.categories_by_code.get(code or ""), code)

    def department(self, code: str | None) -> str:
        return self._named(self.registry.departments_by_code.get(code or ""), code)


def local_time(value: datetime | date | None, language: Lang, with_time: bool = True) -> str:
    """A date (and time) in the platforms' local time, written as people write it."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        local = value.astimezone(LOCAL_TIME) if value.tzinfo else value
        if language == "en":
            return local.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
        return local.strftime("%Y年%m月%d日 %H:%M" if with_time else "%Y年%m月%d日")
    return value.strftime("%Y年%m月%d日" if language == "zh" else "%Y-%m-%d")
