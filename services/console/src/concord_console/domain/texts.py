"""What the console says, in Chinese (the default) and English, and the names behind codes.

People read names, not codes: a platform, a category, a department, a status and a workflow
action each have their words here or in the registry. A message missing in English falls back
to Chinese; a missing key shows itself (`[key]`) so a test or a reader notices it.
"""

from collections.abc import Mapping
from datetime import date, datetime

from concord_shared.error_words import BY_START
from concord_shared.registry import Registry
from concord_shared.wording import LANGUAGES, LOCAL_TIME, STATUS, Names, choose_language, local_time
from concord_shared.wording import Lang as Language

from concord_console.domain.deadlines import parsed

__all__ = ["LANGUAGES", "LOCAL_TIME", "MESSAGES", "Language", "Texts", "choose_language"]

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
    "error.fields": ("请检查下面标出的栏目。", "Please check the fields marked below."),
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
    # statuses, as a citizen reads them: the same words as the status API's
    **{f"status.{code.value}": pair for code, pair in STATUS.items()},
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
    # mediator
    "mediator.queue_title": ("我的案件", "My cases"),
    "mediator.filter": ("筛选", "Show"),
    "mediator.show.all": ("全部", "All"),
    "mediator.show.open": ("办理中", "Open"),
    "mediator.show.closed": ("已结束", "Closed"),
    "mediator.count": ("共 {count} 件", "{count} cases"),
    "mediator.count_first": ("前 {count} 件，还有更多", "the first {count} cases; there are more"),
    "mediator.more": ("显示更多案件", "Show more cases"),
    "mediator.empty": ("暂无案件。", "No cases here."),
    "mediator.empty_open": ("暂无办理中的案件。", "No open cases."),
    "mediator.empty_closed": ("暂无已结束的案件。", "No closed cases."),
    "mediator.reference": ("案件编号", "Case"),
    "mediator.category": ("类别", "Category"),
    "mediator.kind": ("类型", "Kind"),
    "mediator.status": ("状态", "Status"),
    "mediator.nearest_due": ("最近期限", "Next deadline"),
    "mediator.severity": ("紧急程度", "Severity"),
    "mediator.case_title": ("案件 {reference}", "Case {reference}"),
    "mediator.back": ("返回我的案件", "Back to my cases"),
    "mediator.summary": ("事项摘要", "Summary"),
    "mediator.platform": ("承办单位", "Handled at"),
    "mediator.level": ("层级", "Level"),
    "mediator.assigned": ("调解员", "Mediator"),
    "mediator.none": ("未指派", "not assigned"),
    "mediator.collective": ("群体性事项", "Collective matter"),
    "mediator.repeat": ("重复事项", "Repeat matter"),
    "mediator.deadlines": ("期限", "Deadlines"),
    "mediator.due_stopped": ("已停止计时", "stopped"),
    "mediator.due_paused": ("暂停计时", "paused"),
    "mediator.due_extended": ("已延期", "extended"),
    "mediator.history": ("办理经过", "History"),
    "mediator.history_by": ("经办：{by}", "by {by}"),
    "mediator.history.open": ("收到案件", "Case received"),
    "mediator.history.reopen": ("上级重新受理", "Taken up again after escalation"),
    "mediator.history.extend": ("延长办理期限", "Handling deadline extended"),
    "mediator.history.reassign": ("更换调解员", "Mediator reassigned"),
    "mediator.sessions": ("调解会", "Sessions"),
    "mediator.no_sessions": ("尚未安排调解会。", "No session scheduled yet."),
    "mediator.session_at": ("时间", "When"),
    "mediator.session_location": ("地点", "Where"),
    "mediator.session_minutes": ("调解记录", "Minutes"),
    "mediator.session_attended": ("到场当事人", "Parties present"),
    "mediator.session_not_recorded": ("尚未记录", "not recorded yet"),
    "mediator.session_recorded_at": ("记录于 {when}", "recorded {when}"),
    "mediator.session_nobody": ("无人到场", "nobody"),
    "mediator.agreement": ("调解协议", "Agreement"),
    "mediator.follow_up_on": ("回访日期：{date}", "Follow-up on {date}"),
    "mediator.outcome": ("办理结果", "Outcome"),
    "mediator.actions": ("可办理的操作", "What you can do now"),
    "mediator.no_actions": ("当前状态下没有可办理的操作。", "Nothing can be done in this status."),
    "mediator.read_only": (
        "此案件由{platform}承办，您可以查看，但不能办理。",
        "{platform} handles this case: you may read it, not act on it.",
    ),
    "mediator.done": ("已完成：{what}", "Done: {what}"),
    "mediator.done.extension": ("延长办理期限", "deadline extended"),
    "mediator.done.record": ("记录调解会", "session recorded"),
    "mediator.required": ("此项不能为空", "this cannot be empty"),
    "mediator.field_error": ("请检查“{field}”：{message}", "Please check “{field}”: {message}"),
    "mediator.bad_time": (
        "请按“年-月-日 时:分”填写时间",
        "enter the time as year-month-day hour:minute",
    ),
    "mediator.extension": ("延长办理期限", "Extend the handling deadline"),
    "mediator.extension_submit": ("申请延期", "Extend"),
    "mediator.extension_used": (
        "办理期限已延长过一次，不能再延期。",
        "The handling deadline was extended once already.",
    ),
    "mediator.record": ("记录调解会", "Record the session"),
    "mediator.record_submit": ("保存记录", "Save the record"),
    "mediator.party": ("{role}（{ref}）", "{role} ({ref})"),
    "mediator.auto_assign": (
        "自动指派（专长匹配、负荷最轻）",
        "Automatic (matching skills, least loaded)",
    ),
    "mediator.mediator_option": ("{ref}（在办 {load} 件）", "{ref} ({load} open)"),
    "mediator.unavailable": ("暂不可用", "unavailable"),
    "mediator.local_time": ("北京时间", "Beijing time"),
    "mediator.one_per_line": ("每行一条", "one per line"),
    "mediator.optional": ("（选填）", " (optional)"),
    "mediator.field.note": ("备注", "Note"),
    "mediator.field.reason": ("理由", "Reason"),
    "mediator.field.mediator_ref": ("调解员", "Mediator"),
    "mediator.field.starts_at": ("调解时间", "Starts at"),
    "mediator.field.location": ("调解地点", "Place"),
    "mediator.field.terms": ("协议条款", "Terms"),
    "mediator.field.follow_up_on": ("回访日期", "Follow up on"),
    "mediator.field.outcome": ("办理结果", "Outcome"),
    "mediator.field.referred_to": ("引导至", "Refer to"),
    "mediator.field.days": ("延长天数（工作日）", "Days (working days)"),
    "mediator.field.minutes": ("调解记录", "Minutes"),
    "mediator.field.attended": ("到场当事人", "Parties present"),
    "mediator.field.form": ("表单", "Form"),
    "mediator.referred_to.court": ("人民法院", "Court"),
    "mediator.referred_to.arbitration": ("仲裁机构", "Arbitration"),
    "mediator.referred_to.legal_aid": ("法律援助机构", "Legal aid"),
    "mediator.status.received": ("待受理", "Waiting to be accepted"),
    "mediator.status.awaiting_citizen": ("等待群众补充材料", "Waiting for the citizen"),
    # department
    "department.title": ("协办事项", "Coordination requests"),
    "department.filter": ("筛选", "Filter"),
    "department.open": ("待办", "Open"),
    "department.all": ("全部", "All"),
    "department.empty": ("目前没有待办的协办事项。", "No open coordination request."),
    "department.case": ("案件", "Case"),
    "department.state": ("状态", "State"),
    "department.requested_at": ("发起时间", "Asked"),
    "department.summary": ("事项摘要", "Summary"),
    "department.reason": ("退回理由", "Why declined"),
    "department.answer": ("答复意见", "Answer"),
    "department.accept": ("接收", "Accept"),
    "department.do_decline": ("退回", "Decline"),
    "department.do_answer": ("答复", "Answer"),
    "department.decline_text": ("退回理由（必填）", "Why it is not ours (required)"),
    "department.answer_text": ("答复意见（必填）", "The answer (required)"),
    "department.state.requested": ("待接收", "Waiting for us"),
    "department.state.accepted": ("已接收，待答复", "Accepted, answer due"),
    "department.state.declined": ("已退回", "Declined"),
    "department.state.answered": ("已答复", "Answered"),
    "department.state.withdrawn": ("已撤回", "Withdrawn"),
    "department.done.accept": ("已接收。承办单位会收到通知。", "Accepted; the platform is told."),
    "department.done.decline": ("已退回，案件将重新分派。", "Declined; the case is routed again."),
    "department.done.answer": ("已答复。", "Answered."),
    # leader
    "leader.title": ("评价与指标", "Ratings and indicators"),
    "leader.month": ("{year}年{month}月", "{year}-{month:02d}"),
    "leader.periods": ("选择月份", "Choose the month"),
    "leader.previous": ("上月（{month}）", "Previous month ({month})"),
    "leader.next": ("下月（{month}）", "Next month ({month})"),
    "leader.bad_period": (
        "请检查“月份”（period）：应写作 2026-11 这样的年-月。",
        "Please check “month” (period): it is written year-month, like 2026-11.",
    ),
    "leader.ratings": ("星级评价", "Star ratings"),
    "leader.ratings_caption": (
        "{month}本平台及下辖平台的星级评价，以及得出评价的各项数据（按首次受理平台统计）",
        "Star ratings for {month} of this platform and those below it, with the figures "
        "they come from (each case counts for the platform that first received it)",
    ),
    "leader.platform": ("平台", "Platform"),
    "leader.level": ("层级", "Level"),
    "leader.stars": ("星级", "Stars"),
    "leader.score": ("得分", "Score"),
    "leader.cases": ("受理件数", "Cases"),
    "leader.no_ratings": (
        "{month}本平台及下辖平台都没有首次受理的事项，暂无评价。",
        "No platform here first received a case in {month}: no ratings.",
    ),
    "leader.unrated": (
        "本月没有首次受理事项、暂无评价的平台（{count} 个）",
        "Platforms without a case first received this month, so without a rating ({count})",
    ),
    "leader.stars_words.1": ("一星（满分五星）", "one star out of five"),
    "leader.stars_words.2": ("二星（满分五星）", "two stars out of five"),
    "leader.stars_words.3": ("三星（满分五星）", "three stars out of five"),
    "leader.stars_words.4": ("四星（满分五星）", "four stars out of five"),
    "leader.stars_words.5": ("五星（满分五星）", "five stars out of five"),
    "leader.rate.response_rate": ("响应率", "Response"),
    "leader.rate.on_time_acceptance_rate": ("按时受理率", "On-time acceptance"),
    "leader.rate.resolution_rate": ("化解率", "Resolution"),
    "leader.rate.satisfaction_rate": ("满意率", "Satisfaction"),
    "leader.rate.repeat_rate": ("重复率", "Repeat"),
    "leader.rate.escalation_rate": ("上交率", "Escalation"),
    "leader.rate.local_resolution_rate": ("就地化解率", "Resolved here"),
    "leader.count.cases": ("受理件数", "cases"),
    "leader.count.decision_due": (
        "应作受理决定件数（已决定或已超期）",
        "cases due a decision (decided, or past the deadline)",
    ),
    "leader.count.resolution_due": (
        "应办结件数（已受理且已办结、结案或超期）",
        "accepted cases due an outcome (resolved, closed, or past the deadline)",
    ),
    "leader.count.responded": ("已作受理决定件数", "cases with an acceptance decision"),
    "leader.count.accepted_on_time": (
        "在受理期限内作出决定件数",
        "decisions made by the acceptance deadline",
    ),
    "leader.count.accepted": ("已受理件数", "cases accepted"),
    "leader.count.resolved": ("已化解件数（任一层级）", "cases resolved (at any level)"),
    "leader.count.resolved_here": ("在本平台化解件数", "cases resolved at the platform"),
    "leader.count.feedback": ("评价件数", "feedbacks"),
    "leader.count.satisfied": ("满意件数", "satisfied feedbacks"),
    "leader.count.repeats": ("重复事项件数", "repeat cases"),
    "leader.count.escalated": ("从本平台上交件数", "cases escalated from the platform"),
    "leader.formula_title": ("评价方法", "How the rating is computed"),
    "leader.formula": (
        "得分 = 100 × Σ(权重 × 指标) ÷ Σ权重。重复率和上交率越低越好，按（1 − 比率）计入；"
        "没有数据的比率（例如尚无评价时的满意率）不计入，其权重也不计入。各项比率及权重：",
        "Score = 100 × Σ(weight × measure) ÷ Σ weights. For the repeat and escalation rates "
        "lower is better, so 1 − rate counts; a rate with nothing behind it (say satisfaction "
        "before any feedback) is left out together with its weight. The rates and weights:",
    ),
    "leader.weight": ("权重 {weight}%", "weight {weight}%"),
    "leader.lower_is_better": ("越低越好", "lower is better"),
    "leader.thresholds": (
        "星级：得分 ≥ {five} 为五星，≥ {four} 为四星，≥ {three} 为三星，≥ {two} 为二星，"
        "其余（或无法计算）为一星。",
        "Stars: a score of {five} or more gives five, {four} four, {three} three, {two} two; "
        "below that (or nothing to measure) one.",
    ),
    "leader.policy_source": (
        "以上为调解服务的评价规则（默认权重），本页各平台得分均与之相符。",
        "These are the mediation service's rating rules (its default weights); every score "
        "on this page agrees with them.",
    ),
    "leader.policy_differs": (
        "注意：调解服务当前使用的权重与上述默认权重不同，得分以调解服务给出的为准。",
        "Note: the mediation service is using weights other than the defaults above; the "
        "scores shown are the service's own.",
    ),
    "leader.trend": ("近六个月趋势", "The last six months"),
    "leader.trend_intro": (
        "{platform}及下辖平台合计：每月首次受理件数、按时受理率和满意率。",
        "{platform} and the platforms below it together: cases first received each month, "
        "on-time acceptance and satisfaction.",
    ),
    "leader.trend_caption": ("近六个月合计数据", "Six months, all platforms together"),
    "leader.month_col": ("月份", "Month"),
    "leader.chart_cases": ("每月受理件数", "Cases per month"),
    "leader.chart_cases_desc": ("柱状图：{values}", "Bar chart: {values}"),
    "leader.chart_rates": ("按时受理率与满意率（%）", "On-time acceptance and satisfaction (%)"),
    "leader.chart_rates_desc": ("折线图：{values}", "Line chart: {values}"),
    "leader.desc_cases": ("{month} {count} 件", "{month}: {count} cases"),
    "leader.desc_rates": (
        "{month} 按时受理率 {on_time}、满意率 {satisfaction}",
        "{month}: on-time acceptance {on_time}, satisfaction {satisfaction}",
    ),
    "leader.list_sep": ("；", "; "),
    "leader.decreases": ("“四下降”指标", "The four decreases"),
    "leader.decreases_caption": (
        "{area}辖区 {month} 与 {previous} 相比",
        "The area of {area}: {month} against {previous}",
    ),
    "leader.indicator": ("指标", "Indicator"),
    "leader.this_period": ("本月", "This month"),
    "leader.previous_period": ("上月", "Month before"),
    "leader.change": ("变化", "Change"),
    "leader.decreased": ("是否下降", "Decreased?"),
    "leader.decrease.total": ("矛盾纠纷总量", "All cases"),
    "leader.decrease.collective": ("群体性事件", "Collective cases"),
    "leader.decrease.repeat": ("重复访", "Repeat cases"),
    "leader.decrease.non_reception_place": ("非接待场所上访", "Petitions at non-reception places"),
    "leader.decrease.escalated": ("上交上级（参考）", "Escalated cases (for reference)"),
    "leader.went_down": ("下降", "decreased"),
    "leader.went_up": ("上升，未下降", "rose: not decreased"),
    "leader.stayed": ("持平，未下降", "unchanged: not decreased"),
    "leader.major": ("超期与重大事项", "Overdue and major cases"),
    "leader.major_intro": (
        "本平台及下辖平台尚未结案的事项中，重大事项和已超过期限的事项（超期在前）。",
        "Cases not yet closed at this platform and those below it that are of high severity "
        "or past a deadline (overdue first).",
    ),
    "leader.why": ("列入原因", "Why listed"),
    "leader.status": ("办理状态", "Status"),
    "leader.deadline": ("期限", "Deadline"),
    "leader.urgency": ("紧迫程度", "Urgency"),
    "leader.no_major": ("目前没有超期或重大事项。", "No overdue or major case now."),
    "leader.more_major": ("另有 {count} 件未列出。", "{count} more not listed."),
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


# The services' own messages (English), as a Chinese reader gets them. Matched on how the
# message begins, since many end with the value concerned; one not listed is shown as is.
# A service's message in Chinese: the same words its API gives beside it (`message_zh`).
SERVICE_MESSAGES: Mapping[str, str] = BY_START


class Texts:
    """The words of one language, and the names of the registry's codes in it."""

    def __init__(self, language: Language, registry: Registry) -> None:
        self.language = language
        self._names = Names(registry, language)

    def __call__(self, key: str, **values: object) -> str:
        pair = MESSAGES.get(key)
        if pair is None:
            return f"[{key}]"
        text = pair[1] if self.language == "en" and pair[1] else pair[0]
        return text.format(**values) if values else text

    def platform(self, code: str | None) -> str:
        return self._names.platform(code)

    def category(self, code: str | None) -> str:
        return self._names.category(code)

    def department(self, code: str | None) -> str:
        return self._names.department(code)

    def said(self, message: str) -> str:
        """A service's message in the reader's language, where it is known."""
        if self.language == "zh":
            bare = message.removeprefix("Value error, ")
            for start, chinese in SERVICE_MESSAGES.items():
                if bare.startswith(start):
                    return chinese
        return message

    def status(self, code: str | None) -> str:
        return self(f"status.{code}") if code else "—"

    def when(self, value: datetime | date | str | None, with_time: bool = True) -> str:
        """A date (and time) in the platforms' local time, written as people write it."""
        if value is None or value == "":
            return self("due.none")
        if isinstance(value, str):
            value = parsed(value)  # a day alone is shown as a day, not as its midnight
        return local_time(value, self.language, with_time)
