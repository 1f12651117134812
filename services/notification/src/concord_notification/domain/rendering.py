"""Notice texts from Jinja2 templates, one per notice kind and language."""

from collections.abc import Mapping
from pathlib import Path

from concord_shared.enums import Language, NoticeKind
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

# A citizen's receipt number and verification code go into the text only as it is sent,
# from intake's answer: the stored text (the delivery log) holds these marks instead, so
# notification's store never holds the key to a citizen's case.
CASE_CODE_MARKS = {"receipt_number": "[receipt_number]", "verification_code": "[verification_code]"}


def with_case_codes(text: str, receipt_number: str | None, verification_code: str | None) -> str:
    """The text to send: the marks replaced by the case's codes (left as they are when
    intake gave none, e.g. to a party who did not file the case)."""
    for mark, value in (
        (CASE_CODE_MARKS["receipt_number"], receipt_number),
        (CASE_CODE_MARKS["verification_code"], verification_code),
    ):
        if value:
            text = text.replace(mark, value)
    return text


SUBJECTS: dict[Language, dict[NoticeKind, str]] = {
    Language.ZH: {
        NoticeKind.RECEIPT: "事项登记回执",
        NoticeKind.ACCEPTANCE_DECISION: "受理决定",
        NoticeKind.DEADLINE_EXTENDED: "办理期限延长",
        NoticeKind.OUTCOME: "办理结果",
        NoticeKind.CLOSURE: "事项办结",
        NoticeKind.FEEDBACK_REQUEST: "满意度评价",
        NoticeKind.COORDINATION_REQUEST: "协同办理请求",
        NoticeKind.DEADLINE_REMINDER: "办理期限提醒",
        NoticeKind.ASSIGNMENT: "案件分派",
        NoticeKind.MAJOR_CASE: "重大案件",
        NoticeKind.DEADLINE_BREACH: "超期预警",
        NoticeKind.LOW_RATING: "低评价提醒",
        NoticeKind.ENDPOINT_PAUSED: "推送地址已暂停",
        NoticeKind.DEPARTMENT_REPLY: "部门办理进展",
        NoticeKind.REPLY_REFUSED: "答复未被接收",
        NoticeKind.REQUEST_WITHDRAWN: "协同请求已撤回",
        NoticeKind.CASE_ARRIVED: "新移交案件",
        NoticeKind.SESSION_SCHEDULED: "调解会议通知",
    },
    Language.EN: {
        NoticeKind.RECEIPT: "Your matter is registered",
        NoticeKind.ACCEPTANCE_DECISION: "Acceptance decision",
        NoticeKind.DEADLINE_EXTENDED: "Handling deadline extended",
        NoticeKind.OUTCOME: "Outcome of your matter",
        NoticeKind.CLOSURE: "Your matter is closed",
        NoticeKind.FEEDBACK_REQUEST: "Tell us how we did",
        NoticeKind.COORDINATION_REQUEST: "Coordination requested",
        NoticeKind.DEADLINE_REMINDER: "Deadline reminder",
        NoticeKind.ASSIGNMENT: "Case assigned to you",
        NoticeKind.MAJOR_CASE: "Major case",
        NoticeKind.DEADLINE_BREACH: "Deadline breached",
        NoticeKind.LOW_RATING: "Low rating",
        NoticeKind.ENDPOINT_PAUSED: "Your webhook endpoint is paused",
        NoticeKind.DEPARTMENT_REPLY: "A department has replied",
        NoticeKind.REPLY_REFUSED: "Your reply was not taken",
        NoticeKind.REQUEST_WITHDRAWN: "Request withdrawn",
        NoticeKind.CASE_ARRIVED: "A case was handed to your platform",
        NoticeKind.SESSION_SCHEDULED: "Your mediation session",
    },
}
PREFIX = {Language.ZH: "【清河县社会治理】", Language.EN: "[Qinghe Social Governance] "}


class Renderer:
    def __init__(self, directory: Path = TEMPLATES) -> None:
        self._env = Environment(
            loader=FileSystemLoader(directory),
            undefined=StrictUndefined,  # a missing fact is an error, not a blank in a message
            autoescape=False,
            keep_trailing_newline=False,
        )

    def render(self, notice: NoticeKind, language: Language, facts: Mapping[str, str]) -> str:
        try:
            template = self._env.get_template(f"{language}/{notice}.txt.j2")
        except TemplateNotFound:
            template = self._env.get_template(f"{Language.ZH}/{notice}.txt.j2")
        return template.render(**facts).strip()

    def subject(self, notice: NoticeKind, language: Language) -> str:
        return PREFIX[language] + SUBJECTS[language][notice]
