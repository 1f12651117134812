"""Personal data out of free text: what a description, a summary or a log line may carry
beyond intake.

``redact(text, names=[...], addresses=[...])`` replaces the case's parties' names and
addresses, phone numbers (mobiles and landlines in their common writings), resident identity
numbers (18 and 15 digits) and e-mail addresses with markers: 〔姓名〕〔地址〕〔电话〕
〔身份证号〕〔邮箱〕. It is pure and knows nothing of cases; intake passes the names and
addresses of the case at hand, a log line passes none.

Full-width characters (１３８…, ＠, （ ）) are folded to ASCII for matching only; what is
not redacted keeps its original characters. The number patterns are anchored so that what
merely looks numeric survives: platform and area codes (6 to 12 digits not starting with 0),
receipt numbers (letters, a date and six characters), case ids (UUIDs), dates and sums of
money.
"""

import re
from collections.abc import Callable, Iterable

NAME = "〔姓名〕"
ADDRESS = "〔地址〕"
PHONE = "〔电话〕"
ID_NUMBER = "〔身份证号〕"
EMAIL = "〔邮箱〕"

# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space, one character for one, so
# that a match in the folded text is a match at the same place in the original.
_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# Middle dots in transliterated names (阿依古丽·买买提): every variant matches every other.
_DOTS = "·•・‧･."

# A number is not part of a longer run of letters or digits: that keeps UUIDs, receipt
# numbers and codes whole (a mobile number glued to a Latin word is the price of it).
_START = r"(?<![0-9A-Za-z])"
_END = r"(?![0-9A-Za-z])"
_SEP = r"[ \-.]?"  # 138 1234 5678, 138-1234-5678, 138.1234.5678
_COUNTRY = r"(?:(?:\+|00)?86[ \-]?|\(\+?86\)[ \-]?)"

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_DATE8 = r"(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_DATE6 = r"\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
# An identity number's structure: area (first digit 1-8), birth date, sequence, check. The
# check digit is not verified: a mistyped number is personal data all the same.
_ID_NUMBER = re.compile(
    _START + r"(?:[1-8]\d{5} ?" + _DATE8 + r" ?\d{3}[\dXx]|[1-8]\d{5}" + _DATE6 + r"\d{3})" + _END
)
_MOBILE = re.compile(
    _START + _COUNTRY + r"?1[3-9]\d" + _SEP + r"\d{4}" + _SEP + r"\d{4}" + _END + r"(?![元万亿块])"
)
# Landlines: a trunk 0 and a 2- or 3-digit area code, in brackets or not, then 7 or 8 digits
# (grouped 4-4 or 3-4 at most); or +86 and the area code without its 0.
_LANDLINE = re.compile(
    _START
    + r"(?:\(0[1-9]\d{1,2}\)|0[1-9]\d{1,2}|(?:\+|00)86[ \-]?\(?[1-9]\d{1,2}\)?)"
    + r"[ \-]?\d{3,4}[ \-]?\d{4}"
    + r"(?:[ \-]?(?:转|ext\.?|x)[ \-]?\d{1,5})?"
    + _END
)
# Any other digit string after a word that says "this is a phone number" (电话：8888 6666);
# only the group "value" is replaced.
_CUED_PHONE = re.compile(
    r"(?i)(?:电话|手机|座机|热线|传真|tel|phone|mobile|fax)(?:号码|号)?\s*[:：是为]?\s*"
    r"(?P<value>\+?\d[\d \-()]{5,18}\d)" + _END
)

# Places. A place name is a run of Chinese characters that stops at words that are not part
# of one (在, 住, 的 ...), so "他住在东街村3组12号" loses only "东街村3组12号".
_NOT_A_PLACE = "在住于到从往去是的了和与及向对把被给说称系有要来由我你他她它们"
_PLACE = rf"(?:(?![{_NOT_A_PLACE}])[\u4e00-\u9fff])"
_NUM = r"[0-9一二三四五六七八九十百零〇两]+"
_ADMIN = rf"(?:{_PLACE}{{1,6}}?(?:省|自治区|市|州|县|区|旗|镇|乡|街道))*"
_BUILDING_PARTS = (
    rf"(?:[-—]?{_NUM}(?:号楼|栋|幢|座|单元|楼|层|室|号|户))*"  # 3栋2单元501室, 12号楼-501
)
_ADDRESS_PATTERNS = [
    # 中山路128号, 东风巷5弄12号, 解放大街7号院3单元
    rf"{_ADMIN}{_PLACE}{{1,6}}?(?:路|街|大街|大道|巷|弄|胡同){_NUM}(?:弄|巷|支弄)?"
    rf"(?:{_NUM})?(?:号|号院){_BUILDING_PARTS}",
    # 东街村3组12号, 李家村五组, 王庄村12号
    rf"{_ADMIN}{_PLACE}{{1,6}}?(?:村|屯|庄|寨|社区)(?:{_NUM}(?:组|队|社))?{_NUM}号"
    rf"{_BUILDING_PARTS}",
    rf"{_ADMIN}{_PLACE}{{1,6}}?(?:村|屯|寨|社区){_NUM}(?:组|队|社){_BUILDING_PARTS}",
    # 阳光花园3栋2单元501室, 幸福小区12号楼
    rf"{_ADMIN}{_PLACE}{{1,6}}?(?:小区|花园|公寓|苑|大厦|新村|家园|广场|公馆|府|城)"
    rf"{_NUM}(?:号楼|栋|幢|座|期|区){_BUILDING_PARTS}",
    # without a name: 3栋2单元501室, 5幢301室, 2单元501室, 3组12号
    rf"{_NUM}(?:号楼|栋|幢|座)(?:[-—]?{_NUM}(?:单元|楼|层|室|号))+",
    rf"{_NUM}单元{_NUM}(?:室|号)",
    rf"{_NUM}(?:组|队){_NUM}号",
    r"(?<![0-9])\d{3,4}室",
]
_ADDRESS = re.compile("|".join(f"(?:{p})" for p in _ADDRESS_PATTERNS))
# Compound surnames, so that 欧阳 of 欧阳修 is the surname, not 欧.
_COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 令狐 宇文 司徒 夏侯 轩辕 端木 "
    "独孤 南宫 西门 呼延 申屠 澹台 太史 第五 万俟 钟离 闻人 赫连 "
    "百里 东郭 公冶 濮阳 淳于 单于".split()
)
# How a Chinese party is referred to without the full name: 王女士, 老王, 王某.
_TITLES_AFTER = "女士 先生 小姐 阿姨 大爷 大妈 大姐 大哥 师傅 老师 某某 某 老汉 老太 姓".split()
_TITLES_BEFORE = "老 小 阿".split()


def fold(text: str) -> str:
    """Full-width ASCII to ASCII, one character for one."""
    return text.translate(_FOLD)


def redact(
    text: str, names: Iterable[str | None] = (), addresses: Iterable[str | None] = ()
) -> str:
    """`text` with the given names and addresses, and every phone number, identity number,
    e-mail address and house-level address, replaced by a marker."""
    if not text:
        return text
    text = _replace(text, _given(addresses, _address_variants), ADDRESS)
    text = _replace(text, _EMAIL, EMAIL)
    text = _replace(text, _ID_NUMBER, ID_NUMBER)
    for pattern in (_MOBILE, _LANDLINE, _CUED_PHONE):
        text = _replace(text, pattern, PHONE)
    text = _replace(text, _given(names, _name_variants), NAME)
    return _replace(text, _ADDRESS, ADDRESS)


def _replace(text: str, pattern: re.Pattern[str] | None, marker: str) -> str:
    """Replace the matches of `pattern` in the folded text at the same places in `text`."""
    if pattern is None:
        return text
    group = "value" if "value" in pattern.groupindex else 0
    spans = [m.span(group) for m in pattern.finditer(fold(text)) if m.end() > m.start()]
    for start, end in reversed(spans):
        text = text[:start] + marker + text[end:]
    return text


def _given(
    values: Iterable[str | None], variants: Callable[[str], list[str]]
) -> re.Pattern[str] | None:
    forms = {form for v in values if v and v.strip() for form in variants(fold(v.strip()))}
    if not forms:
        return None
    # Longest first, so that 欧阳测试者 goes before 欧阳某 could match a part of it.
    return re.compile(
        "|".join(_flexible(f) for f in sorted(forms, key=len, reverse=True)), re.IGNORECASE
    )


def _flexible(form: str) -> str:
    """A literal that tolerates spaces between its characters and any middle dot, and for
    Latin words needs word boundaries (Li is a name, not the start of Lisa)."""
    parts = []
    for ch in form:
        if ch.isspace():
            parts.append(r"\s*")
        elif ch in _DOTS:
            parts.append(f"[{re.escape(_DOTS)}\\s]?")
        else:
            parts.append(re.escape(ch) + (r"\s?" if _is_cjk(ch) else ""))
    body = "".join(parts).removesuffix(r"\s?")
    if form[:1].isascii() and form[:1].isalnum():
        body = r"(?<![A-Za-z])" + body
    if form[-1:].isascii() and form[-1:].isalnum():
        body += r"(?![A-Za-z])"
    return body


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _name_variants(name: str) -> list[str]:
    if not any(_is_cjk(c) for c in name):
        # Latin: the whole name in either order, and each word of it (Mr Smith, Wang).
        words = [w for w in re.split(r"[\s" + re.escape(_DOTS) + ",]+", name) if len(w) >= 2]
        return [name, " ".join(reversed(words)), *words]
    forms = [name]
    parts = [p for p in re.split("[" + re.escape(_DOTS) + r"\s]+", name) if p]
    if len(parts) > 1:  # 阿依古丽·买买提: each part names the person too
        forms += [p for p in parts if len(p) >= 2]
    elif 2 <= len(name) <= 5:
        surname = name[:2] if name[:2] in _COMPOUND_SURNAMES else name[:1]
        forms += [surname + t for t in _TITLES_AFTER] + [t + surname for t in _TITLES_BEFORE]
    return forms


def _address_variants(address: str) -> list[str]:
    """The address, and the same without its leading province, city, county or town: a
    description often gives only 东街村3组12号 of 清河县城关镇东街村3组12号."""
    forms = [address]
    for m in re.finditer(r"(?:省|自治区|市|州|县|区|旗|镇|乡|街道)", address):
        rest = address[m.end() :]
        if len(rest) >= 4 and re.search(r"\d|号|室|组", rest):
            forms.append(rest)
    return forms
