"""Personal data masked for the wall: visitors see the screen, so names and numbers never show in full.

Pure functions (no Qt), idempotent (masking a masked value changes nothing):

* :func:`mask_name` — ``王建国`` → ``王**``, ``欧阳娜娜`` → ``欧阳**`` (compound surnames kept),
  always two stars so the length of the given name does not show;
* :func:`mask_phone` — ``13812341234`` → ``138****1234``; other numbers keep their first 3 and
  last 4 digits at most;
* :func:`mask_person_label` — a reporter or lead label as the data stores it:
  ``村情通·钱佳怡`` → ``村情通·钱**``, ``杨建华(党委副书记)`` → ``杨**(党委副书记)``,
  ``网格员 徐建华`` → ``网格员 徐**``; labels of
  organisations and devices (``综合执法局推送``, ``河道视频监控 QC-012``) stay as they are;
* :func:`mask_text` — free text (report descriptions): mobile and landline numbers, ID-card
  numbers, licence plates and a name after 联系人/举报人/当事人… are masked.

Names elsewhere in free text cannot be found reliably; the wall therefore shows descriptions
shortened, after :func:`mask_text`.
"""

from __future__ import annotations

import re

COMPOUND_SURNAMES = frozenset((
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "司徒", "夏侯", "宇文",
    "长孙", "轩辕", "端木", "独孤", "南宫", "西门", "百里", "呼延", "澹台", "濮阳", "申屠", "钟离",
))
STARS = "**"

_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
# words that end the name of an organisation, a place or a device rather than a person
_ORG_SUFFIXES = ("中心", "热线", "交办", "推送", "部门", "监控", "监测", "视频", "局", "组", "站", "办", "所",
                 "队", "村", "社区", "镇", "乡", "街道", "委", "会", "院", "厅", "处", "科", "点", "工程", "平台",
                 "网格员", "系统", "模块")
_PERSON = re.compile(rf"^[{_CJK}·]{{2,5}}$")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[-\s]?)?(1[3-9]\d)[-\s]?(\d{4}|\*{4})[-\s]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})-(\d{7,8})(?!\d)")
_ID_CARD = re.compile(r"(?<![\dA-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![\dA-Za-z])")
_PLATE = re.compile(r"([京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼])([A-Z])([·.\s-]?)([A-Z0-9]{5,6})")
# "联系人：张三" — a name right after a word that introduces a person and a colon ("村民来电" is no name)
_NAMED = re.compile(rf"(联系人|举报人|反映人|当事人|投诉人|来电人|户主|车主|店主|业主|租户|房东|村民|居民)([:：]\s*)([{_CJK}]{{2,4}})")


def mask_name(name: str | None) -> str:
    """A person's name → surname plus ``**`` (``王建国`` → ``王**``; ``John Smith`` → ``J**``)."""
    text = (name or "").strip()
    if not text:
        return ""
    if text.endswith(STARS):
        return text
    if len(text) >= 3 and text[:2] in COMPOUND_SURNAMES:
        return text[:2] + STARS
    return text[0] + STARS


def mask_phone(phone: str | None) -> str:
    """A phone number with its middle digits starred (``13812341234`` → ``138****1234``)."""
    text = (phone or "").strip()
    if not text:
        return ""
    digits = re.sub(r"\D", "", text)
    if text.startswith("+86") or (len(digits) == 13 and digits.startswith("86")):
        digits = digits[2:]
    if "*" in text and len(re.sub(r"[^\d*]", "", text)) >= 7:
        return text  # already masked at the source (村情通 and 12345 numbers arrive that way)
    if len(digits) < 7:
        return "*" * len(digits)
    keep_head = 3 if len(digits) >= 11 else min(3, len(digits) - 4)
    return digits[:keep_head] + "*" * (len(digits) - keep_head - 4) + digits[-4:]


def _looks_like_person(text: str) -> bool:
    if not _PERSON.match(text):
        return False
    return not any(text.endswith(s) for s in _ORG_SUFFIXES)


def mask_person_label(label: str | None) -> str:
    """A stored reporter/lead label with the person's name masked (organisations and devices untouched)."""
    text = (label or "").strip()
    if not text:
        return ""
    # "杨建华(党委副书记)" / "杨建华（党委副书记）": the name before a bracketed title
    m = re.match(rf"^([{_CJK}]{{2,4}})([(（].*[)）])$", text)
    if m:
        return mask_name(m.group(1)) + m.group(2)
    # "村情通·钱佳怡", "县督查组·王明": a channel, then a person
    if "·" in text:
        head, _, tail = text.rpartition("·")
        if _looks_like_person(tail):
            return f"{head}·{mask_name(tail)}"
        return mask_text(text)
    if _looks_like_person(text):
        return mask_name(text)
    # "网格员 徐建华", "12345 市民 张三": a role or a channel, a space, then a person
    head, sep, tail = text.rpartition(" ")
    if sep and head.strip() and _looks_like_person(tail):
        return f"{head} {mask_name(tail)}"
    return mask_text(text)


def mask_text(text: str | None) -> str:
    """Free text with phone numbers, ID-card numbers, plates and introduced names masked."""
    out = text or ""
    if not out:
        return ""
    out = _ID_CARD.sub(lambda m: m.group(1)[:3] + "*" * 11 + m.group(3)[-4:], out)
    out = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", out)
    out = _LANDLINE.sub(lambda m: f"{m.group(1)}-{'*' * (len(m.group(2)) - 4)}{m.group(2)[-4:]}", out)
    out = _PLATE.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}{'*' * len(m.group(4))}", out)
    out = _NAMED.sub(lambda m: f"{m.group(1)}{m.group(2)}{mask_name(m.group(3))}", out)
    return out
