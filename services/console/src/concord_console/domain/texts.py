"""What the console says, in Chinese (the default) and English, and the names behind codes.

People read names, not codes: a platform, a category, a department, a status and a workflow
action each have their words here or in the registry. A message missing in English falls back
to Chinese; a missing key shows itself (`[key]`) so a test or a reader notices it.
"""

from collections.abc import Mapping
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from concord_shared.registry import Registry

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")
# The platforms' local time: deadlines are shown as the staff and citizens live them.
LOCAL_TIME = ZoneInfo("Asia/Shanghai")

MESSAGES: Mapping[str, tuple[str, str]] = {
    # frame
    "app.name": ("矛盾纠纷多元化解平台", "Concord dispute resolution platform"),
    "nav.skip": ("跳到主要内容", "Skip to main content"),
    "nav.home": ("首页", "Home"),
    "nav.signin": ("工作人员登录", "Staff sign-in"),
    "nav.signout": ("退出登录", "Sign out"),
    "nav.status": ("查询办理进度", "Track my case"),
    "nav.language": ("语言", "Language"),
    "nav.reception": ("登记受理", "Registration"),
    "nav.mediator": ("我的案件", "My cases"),
    "nav.department": ("协办事项", "Coordination inbox"),
    "nav.leader": ("评价与指标", "Ratings and indicators"),
    "nav.signed_in_as": ("当前用户", "Signed in as"),
    "home.title": ("欢迎使用", "Welcome"),
    "home.citizen": (
        "群众：凭受理编号和查询码查询办理进度、评价办理结果。",
        "Citizens: track your case and rate the outcome with your receipt number and code.",
    ),
    "home.staff": (
        "工作人员：登录后进入本岗位的工作页面。",
        "Staff: sign in to reach the page of your post.",
    ),
    # sign-in
    "signin.title": ("工作人员登录", "Staff sign-in"),
    "signin.username": ("用户名", "Username"),
    "signin.password": ("密码", "Password"),
    "signin.submit": ("登录", "Sign in"),
    "signin.failed": ("用户名或密码不正确。", "The username or password is not right."),
    "signin.required": ("请先登录。", "Please sign in first."),
    "signin.expired": (
        "页面已过期，请重新提交。",
        "The page has expired; please submit it again.",
    ),
    # errors
    "error.title": ("出错了", "Something went wrong"),
    "error.forbidden": ("您无权查看此页面。", "You may not see this page."),
    "error.not_found": ("没有找到。", "Not found."),
    "error.service": (
        "{service} 服务暂时无法访问，请稍后再试。",
        "The {service} service cannot be reached; please try again shortly.",
    ),
    "error.refused": ("操作未完成：{reason}", "Not done: {reason}"),
    "error.field": ("请检查“{field}”：{message}", "Please check “{field}”: {message}"),
    # roles
    "role.reception": ("受理登记员", "Reception"),
    "role.mediator": ("调解员", "Mediator"),
    "role.department": ("部门协办员", "Department clerk"),
    "role.leader": ("领导", "Leader"),
    # levels, kinds, channels, severities, party roles
    "level.village": ("村（社区）级", "village"),
    "level.township": ("乡镇（街道）级", "township"),
    "level.county": ("县级", "county"),
    "kind.petition": ("信访事项", "Petition"),
    "kind.dispute": ("矛盾纠纷", "Dispute"),
    "kind.early_warning": ("风险预警", "Early warning"),
    "kind.legal_service": ("法律服务", "Legal service"),
    "channel.visit": ("来访", "Visit"),
    "channel.letter": ("来信", "Letter"),
    "channel.call": ("来电", "Call"),
    "channel.online": ("网上", "Online"),
    "channel.hotline": ("热线", "Hotline"),
    "channel.grid_report": ("网格员上报", "Grid report"),
    "severity.low": ("一般", "Low"),
    "severity.medium": ("较重", "Medium"),
    "severity.high": ("重大", "High"),
    "party.applicant": ("申请人", "Applicant"),
    "party.respondent": ("被申请人", "Respondent"),
    "party.representative": ("代理人", "Representative"),
    "party.reporter": ("报告人", "Reporter"),
    # statuses, as a citizen reads them
    "status.received": ("已登记，等待分派", "Registered, waiting to be assigned"),
    "status.routed": ("已分派到承办单位，等待受理", "Assigned, waiting to be accepted"),
    "status.accepted": ("已受理，正在办理", "Accepted and being handled"),
    "status.not_accepted": ("不予受理", "Not accepted"),
    "status.in_progress": ("正在办理", "Being handled"),
    "status.in_session": ("正在调解", "Mediation sessions under way"),
    "status.agreement_reached": ("已达成调解协议", "An agreement was reached"),
    "status.mediation_failed": ("调解未成功", "Mediation did not succeed"),
    "status.resolved": ("已办结", "Resolved"),
    "status.closed": ("已结案", "Closed"),
    "status.under_review": ("正在复查", "Under review"),
    "status.review_requested": (
        "已申请复查，等待上级决定",
        "Review asked for; the level above decides",
    ),
    "status.escalated": ("已提交上级处理", "Passed to the level above"),
    "status.referred": ("已引导至其他途径", "Referred to another body"),
    "status.awaiting_citizen": ("等待您补充材料", "Waiting for you to provide something"),
    # deadlines
    "due.acceptance": ("受理期限", "Accept by"),
    "due.handling": ("办理期限", "Handle by"),
    "due.reply": ("答复期限", "Reply by"),
    "due.none": ("—", "—"),
    "urgency.breached": ("已超期", "overdue"),
    "urgency.today": ("24小时内到期", "due within a day"),
    "urgency.soon": ("3天内到期", "due within 3 days"),
    "urgency.later": ("期限内", "in time"),
    # workflow actions
    "action.accept": ("受理", "Accept"),
    "action.not_accept": ("不予受理", "Do not accept"),
    "action.assign_mediator": ("指派调解员", "Assign a mediator"),
    "action.schedule_session": ("安排调解", "Schedule a session"),
    "action.reach_agreement": ("达成协议", "Record the agreement"),
    "action.fail": ("调解不成", "Mediation failed"),
    "action.resolve": ("办结", "Resolve"),
    "action.close": ("结案", "Close"),
    "action.request_review": ("申请复查", "Request a review"),
    "action.start_review": ("开始复查", "Start the review"),
    "action.escalate": ("提交上级", "Escalate"),
    "action.refer": ("引导至其他途径", "Refer"),
    "action.await_citizen": ("请群众补充", "Ask the citizen"),
    "action.resume": ("继续办理", "Resume"),
    # citizen
    "citizen.title": ("查询办理进度", "Track your case"),
    "citizen.intro": (
        "请输入登记时拿到的受理编号和查询码。",
        "Enter the receipt number and the code you were given when the case was registered.",
    ),
    "citizen.receipt_number": ("受理编号", "Receipt number"),
    "citizen.verification_code": ("查询码", "Verification code"),
    "citizen.lookup": ("查询", "Look up"),
    "citizen.not_found": (
        "没有找到与该受理编号和查询码对应的事项，请核对后重试。",
        "No case has this receipt number and code; please check them and try again.",
    ),
    "citizen.too_many": (
        "查询次数过多，请 {seconds} 秒后再试。",
        "Too many tries; please try again in {seconds} seconds.",
    ),
    "citizen.your_case": ("您的事项", "Your case"),
    "citizen.now": ("目前状态", "Where it stands"),
    "citizen.held_by": ("承办单位", "Handled by"),
    "citizen.department": ("主办部门", "Lead department"),
    "citizen.received_at": ("登记时间", "Registered"),
    "citizen.updated_at": ("最近更新", "Last change"),
    "citizen.feedback_title": ("对办理结果满意吗？", "Are you satisfied with the outcome?"),
    "citizen.satisfied": ("满意", "Satisfied"),
    "citizen.not_satisfied": (
        "不满意（将由上级复查）",
        "Not satisfied (the level above reviews it)",
    ),
    "citizen.comment": ("意见（选填）", "Comment (optional)"),
    "citizen.send_feedback": ("提交评价", "Send"),
    "citizen.thanks": ("感谢您的评价。", "Thank you for your answer."),
    "citizen.review_opened": (
        "已为您申请复查，上级单位将重新审查。",
        "A review has been opened; the level above will look at your case again.",
    ),
    "citizen.feedback_given": ("您已评价过此事项。", "You have already rated this case."),
    # reception
    "reception.title": ("登记受理", "Register a matter"),
    "reception.kind": ("事项类型", "Kind"),
    "reception.channel": ("来源方式", "How it came"),
    "reception.category": ("类别", "Category"),
    "reception.area": ("发生地", "Where"),
    "reception.address": ("详细地点（选填）", "Place (optional)"),
    "reception.description": ("事项描述", "What it is about"),
    "reception.severity": ("紧急程度", "Severity"),
    "reception.parties": ("当事人", "Parties"),
    "reception.party_name": ("姓名", "Name"),
    "reception.party_phone": ("手机或座机", "Phone"),
    "reception.party_id": ("身份证号（选填）", "Identity number (optional)"),
    "reception.party_role": ("身份", "Role"),
    "reception.add_party": ("添加当事人", "Add a party"),
    "reception.respondent_optional": (
        "被申请人（选填，纠纷类事项填写）",
        "Respondent (optional, for disputes)",
    ),
    "reception.hints": ("提示", "Hints"),
    "reception.check": ("检查重复与群体性", "Check for repeats"),
    "reception.no_hint": ("未发现重复或群体性事项。", "No repeat or collective matter found."),
    "reception.repeat_hint": (
        "该当事人曾反映过同类事项：{receipt}（{received}，{status}）。",
        "This party brought a matter of this kind before: {receipt} ({received}, {status}).",
    ),
    "reception.collective_hint": (
        "同一地点同类事项近期已有 {count} 件，可能属于群体性事项。",
        "{count} matters of this kind came from the same place lately: "
        "possibly a collective matter.",
    ),
    "reception.save": ("登记", "Register"),
    "reception.receipt_title": ("受理回执", "Receipt"),
    "reception.receipt_intro": (
        "请将受理编号和查询码交给群众，凭此查询办理进度。",
        "Give the citizen the receipt number and the code: with them they can track the case.",
    ),
    "reception.print": ("打印回执", "Print the receipt"),
    "reception.another": ("继续登记", "Register another"),
    "reception.repeat_saved": ("已标记为重复事项：{receipt}", "Marked as a repeat of {receipt}"),
    "reception.collective_saved": ("已标记为群体性事项", "Marked as a collective matter"),
    "reception.valid": ("格式正确", "Looks right"),
}


class Texts:
    """The words of one language, and the names of the registry's codes in it."""

    def __init__(self, language: Language, registry: Registry) -> None:
        self.language = language
        self._registry = registry

    def __call__(self, key: str, **values: object) -> str:
        pair = MESSAGES.get(key)
        if pair is None:
            return f"[{key}]"
        text = pair[1] if self.language == "en" and pair[1] else pair[0]
        return text.format(**values) if values else text

    def _named(self, found: object | None, code: str | None) -> str:
        if found is None:
            return code or "—"
        return str(getattr(found, "name_en" if self.language == "en" else "name_zh"))

    def platform(self, code: str | None) -> str:
        return self._named(self._registry.platforms_by_code.get(code or ""), code)

    def category(self, code: str | None) -> str:
        return self._named(self._registry.categories_by_code.get(code or ""), code)

    def department(self, code: str | None) -> str:
        return self._named(self._registry.departments_by_code.get(code or ""), code)

    def status(self, code: str | None) -> str:
        return self(f"status.{code}") if code else "—"

    def when(self, value: datetime | date | str | None, with_time: bool = True) -> str:
        """A date (and time) in the platforms' local time, written as people write it."""
        if value is None or value == "":
            return self("due.none")
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if isinstance(value, datetime):
            local = value.astimezone(LOCAL_TIME) if value.tzinfo else value
            if self.language == "en":
                return local.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
            pattern = "%Y年%m月%d日 %H:%M" if with_time else "%Y年%m月%d日"
            return local.strftime(pattern)
        return value.strftime("%Y年%m月%d日" if self.language == "zh" else "%Y-%m-%d")


def choose_language(asked: str | None, accept_language: str | None) -> Language:
    """`?lang=` or the cookie first, then the browser's Accept-Language, then Chinese."""
    if asked in LANGUAGES:
        return asked
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "zh"
