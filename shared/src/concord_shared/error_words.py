"""What an API refusal says in Chinese, beside the English the API gives.

Every service answers errors as FastAPI does (`detail`: a message, or for a 422 one entry per
wrong field) and puts the Chinese beside it: `message_zh` on the answer, `msg_zh` on each
field's entry. A message known here gets its own words; any other gets the words of its
status, the English detail staying beside it for the particulars.
"""

from collections.abc import Mapping
from typing import Any

# A status's words, for a message without words of its own.
BY_STATUS: Mapping[int, str] = {
    400: "请求有误",
    401: "缺少或无效的 API 密钥（X-API-Key）",
    403: "无权执行此操作",
    404: "未找到所要的内容",
    405: "不支持此请求方法",
    409: "与案件当前状态不符，未执行",
    413: "请求内容过大",
    422: "提交的内容有误，请按各项提示修改",
    429: "请求过于频繁，请稍后再试",
    500: "服务内部错误，请稍后再试",
    503: "服务暂不可用，请稍后再试",
}

# Messages by how they start (the services' own, and the commonest of pydantic's).
BY_START: Mapping[str, str] = {
    "not a mainland mobile": "不是有效的手机号（11位，1开头）或座机号（0开头）",
    "not an e-mail address": "不是有效的电子邮箱地址",
    "a resident identity number has 17 digits": "身份证号应为17位数字加1位数字或X",
    "the check digit of the identity number": "身份证号校验位不正确",
    "contains control characters": "含有不可见的控制字符",
    "must not be empty": "不能为空",
    "Field required": "必填",
    "String should have at least": "内容太短",
    "String should have at most": "内容太长",
    "List should have at least 1 item": "至少需要一项",
    "give an area_code": "请选择发生地",
    "a decline needs a reason": "退回须写明理由（reason）",
    "an answer needs its text": "答复须写明意见（answer）",
    "unknown category": "没有这个事项类别",
    "no platform with code": "没有这个平台",
    "no platform covers area": "没有平台负责这个地区",
    "coordinates alone cannot be placed yet": "仅凭坐标暂无法确定地区，请填写地区代码",
    "only a petition has one": "只有信访事项才有“非接待场所”之分",
    "cannot ": "案件当前状态不允许此操作",
    "no case with this receipt number and verification code": "回执号或验证码不正确",
    "missing or unknown API key": "缺少或无效的 API 密钥（X-API-Key）",
    "the case has no probable repeat": "此案件没有待确认的疑似重复件",
    "feedback is taken once": "评价只能在结案后提交一次",
    "the review window closed": "复查申请期限已过",
    "the case is at the top level": "案件已在最高层级，无法再上交",
    "request body larger than": "请求内容过大",
    "Extra inputs are not permitted": "不允许的字段",
    "Input should be a valid integer": "应为整数",
    "Input should be a valid boolean": "应为 true 或 false",
    "Input should be a valid datetime": "时间格式不正确",
    "Input should be a valid date": "日期格式不正确",
    "Input should be": "不是允许的取值",
    "String should match pattern": "格式不正确",
    "JSON decode error": "不是有效的 JSON",
}

# Pydantic's error types, for a field's message not matched above.
BY_TYPE: Mapping[str, str] = {
    "missing": "必填",
    "extra_forbidden": "不允许的字段",
    "string_too_short": "内容太短",
    "string_too_long": "内容太长",
    "too_short": "项目太少",
    "too_long": "项目太多",
    "string_pattern_mismatch": "格式不正确",
    "enum": "不是允许的取值",
    "literal_error": "不是允许的取值",
    "int_parsing": "应为整数",
    "bool_parsing": "应为 true 或 false",
    "json_invalid": "不是有效的 JSON",
    "value_error": "取值不正确",
}


def in_chinese(message: str, status: int) -> str:
    """The Chinese of an error message: its own words where known, else its status's."""
    for start, words in BY_START.items():
        if message.startswith(start):
            return words
    return BY_STATUS.get(status, "请求未能完成")


def field_in_chinese(error: Mapping[str, Any]) -> str:
    """The Chinese of one field's validation error."""
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    for start, words in BY_START.items():
        if message.startswith(start) and start != "cannot ":
            return words
    return BY_TYPE.get(str(error.get("type", "")), "取值不正确")


def with_chinese(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**e, "msg_zh": field_in_chinese(e)} for e in errors]
