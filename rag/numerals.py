"""Numerals: numbers, dates and amounts of money as Chinese and English text write them: which
spans are dates (396年五月初九, 1880年代), what a number in Chinese characters is worth
(一百零五), the English words for numbers, and currency.

The one home of these rules for every stage (support, relevance, kind checks, short
answers, translation); character classes, scripts and sentences are in zh.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .zh import fold_each

# A time expression: a date, or an era a reference text dates by (8世纪以后, 北宋初,
# 第三纪中新世, 1880年代, 清朝时期).
TIME = re.compile(r"[0-9０-９]{1,4}\s*[年月日号]|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|[一二三四五六七八九十〇零]+[年月]|[去今明前]年|年[底初中]|[上下]半年"
                   r"|世纪|年代|[朝纪]|时期|时代|年间|[初末]年|[初末]期")
# Dates as Chinese writes them with 年/月/日, built from one set of parts. Each check wants a
# different cut of them, named here so none re-spells them:
_YEAR = r"\d{1,4}年"  # 396年, 1945年
_MONTH_DAY = r"\d{1,2}月(?:\d{1,2}[日号])?"  # 9月, 9月6日
# A date by the calendar, as a short answer is cut to it: not a decade or a part of a year
# (1880年代, 2003年底).
CALENDAR_DATE = re.compile(rf"{_YEAR}(?![代间間底初末中])(?:{_MONTH_DAY})?|{_MONTH_DAY}")
# A year, with its month and day if given, and a 的 after it: what a date is given *to*
# follows ("1929年的第1届颁奖典礼").
DATED = re.compile(rf"{_YEAR}(?:{_MONTH_DAY})?的?")
# A date that answers "when" when a quote is read for one: a 4-digit year (a bare 18年 is a
# duration as often as a date), a day of a month, or a month.
DATE_ANSWER = re.compile(rf"\d{{4}}年(?:{_MONTH_DAY})?|\d{{1,2}}月\d{{1,2}}[日号]|\d{{1,2}}月份?")
# What may follow a date's digits and still be the date: a month and day in Chinese
# numerals (396年|五月初九), the hour (2017年12月19日|18时, 2010年4月2日|早上11时).
DATE_TAIL = re.compile(r"(?:[一二三四五六七八九十正冬腊臘]{1,3}月)?(?:初[一二三四五六七八九十]{1,2}|[一二三四五六七八九十]{1,3}[日号])?"
                       r"(?:(?:[早晚]上|[上下]午|凌晨|中午|傍晚)?\d{1,2}\s*[时時点點](?:\d{1,2}分)?)?")
# A date written out, as far as it runs: 2003年, 396年五月初九, 1969年至1970年间, 19世纪60年代,
# 2010年4月2日早上11时.
DATE_RUN = re.compile(r"(?:[0-9０-９]{1,4}\s*(?:年代|年|月|日|号|世纪|[时時点點])|(?:[早晚]上|[上下]午|凌晨|中午|傍晚)(?=\d)|[一二三四五六七八九十]{1,3}月|初[一二三四五六七八九十]+"
                      r"|[上中下]旬|[初中末]期|年?间|[至到和、-](?=[0-9０-９]))+")


def only_a_date(span: str) -> bool:
    """``span`` is a date and nothing else (1969年至1970年间; not 18世纪的画家)."""
    folded = fold_each(span).strip()
    return bool(folded) and bool(m := DATE_RUN.fullmatch(folded)) and bool(TIME.search(m.group(0)))


@dataclass(frozen=True)
class DateParts:
    """A date with a month, its parts as written ("2021年1月9日", "4月", "1月9号"):
    for the checks that compare dates and the rewrite that writes them in English."""
    start: int
    end: int
    month_start: int  # where the month begins (the year, if any, is text[start:month_start])
    year: str | None  # digits as written: 396, 2021
    month: int
    day: int | None


# Spaces allowed: text taken out of PDFs often reads "2021 年 1 月 9 日".
_DATE_PARTS = re.compile(r"(?<!\d)(?:(\d{1,4})\s*年\s*)?(\d{1,2})\s*月(?:\s*(\d{1,2})\s*[日号])?")


# A date as spreadsheets, forms and logs write it: 2021-09-06, 2025/11/01, 2024.3.5.
_NUMERIC_DATE = re.compile(r"(?<![\d.\-/])(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?![\d\-/]|\.\d)")


def dates(text: str) -> list[DateParts]:
    """Every date of ``text`` that names a month, with its year and day when written next
    to it (2021年9月6日, 9月6日, 2021-09-06: a sheet's cell states what the model writes
    2021年9月6日). A bare year (2014年) is not one: it is a number to the checks."""
    found = [DateParts(m.start(), m.end(), m.start(2), m.group(1), int(m.group(2)),
                       int(m.group(3)) if m.group(3) else None)
             for m in _DATE_PARTS.finditer(text)]
    found += [DateParts(m.start(), m.end(), m.start(3), m.group(1), int(m.group(3)), int(m.group(4)))
              for m in _NUMERIC_DATE.finditer(text) if 1 <= int(m.group(3)) <= 12 and 1 <= int(m.group(4)) <= 31]
    return sorted(found, key=lambda d: d.start)


NUMERAL = re.compile(r"[0-9０-９一二三四五六七八九十百千万亿两半零〇]")
# The number of a part of a text: 第八条, 第3章, 第十一條, 第二款 -- where a rule stands, no count
# (kind.lacks_quantity), no part of an answer (markers.drop_labels) or of the sentence after it.
PART_NUMBER = r"第[0-9０-９零〇一二两三四五六七八九十百]+\s*[条條章节節款项項篇卷编]"
# A number written in Chinese characters (五, 十二, 一百零五, 两千, 一九四五).
CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百千]+")
_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_POWER = {"十": 10, "百": 100, "千": 1000}


def cn_number(text: str) -> int | None:
    """The value of a number in Chinese characters: 五 -> 5, 十二 -> 12, 二十五 -> 25,
    一百零五 -> 105, 两千 -> 2000, and digit by digit as years are written (一九四五 ->
    1945). None when ``text`` is not one (十十, 五五十)."""
    if not text or any(ch not in _CN_DIGIT and ch not in _CN_POWER for ch in text):
        return None
    if len(text) > 1 and all(ch in _CN_DIGIT for ch in text):
        return int("".join(str(_CN_DIGIT[ch]) for ch in text))
    total, digit, last = 0, None, 10_000
    for ch in text:
        if ch in _CN_DIGIT:
            if digit is not None and digit != 0:
                return None
            digit = _CN_DIGIT[ch]
        else:
            power = _CN_POWER[ch]
            if power >= last:
                return None
            total += (1 if digit is None else digit) * power
            digit, last = None, power
    return total + (digit or 0)


# English: asked when (relevance: the answer must hold a time; short answers: the time is the
# span), and what counts as a time in an answer.
EN_WHEN_Q = re.compile(r"^\s*when\b|\b(?:what|which) (?:year|date|day|month|time|century|decade)\b", re.I)
EN_TIME = re.compile(r"\d|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|centur|decade|spring"
                     r"|summer|autumn|fall\b|winter|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
                     r"|today|yesterday|tomorrow|year|week|month", re.I)
# What states a time when an answer is checked for one (EN_TIME is looser, for scoring spans):
# a year, a month, a day, a season, a span of time or a time of day; not any digit (the
# 0.35 euros of "a dividend of 0.35 euros for the 2023 financial year", whose 2023 the
# question said) nor a bare "year".
# An English date with its year: "March 18, 2025", "1 March 2024" (said whole when asked when).
EN_MONTHS = tuple("January February March April May June July August September October November December".split())
_EN_MONTH = rf"(?:{'|'.join(EN_MONTHS)})"
_CN_MONTH_NAME = re.compile(r"(?<![\d零〇一二两三四五六七八九十])([一二三四五六七八九十]{1,3})月")
_EN_MONTH_NUMBER = {m.lower(): n for n, m in enumerate(EN_MONTHS, 1)}
_EN_MONTH_WORD = re.compile(r"\b(?:%s)\b" % "|".join(m for m in _EN_MONTH_NUMBER if m != "may"))


def arabic_months(folded: str) -> str:
    """``folded`` text (lower case) with its months in digits: 四月 and april as 4月 -- not
    may, a verb as often as a month."""
    folded = _CN_MONTH_NAME.sub(lambda m: f"{cn_number(m.group(1)) or m.group(1)}月", folded)
    return _EN_MONTH_WORD.sub(lambda m: f" {_EN_MONTH_NUMBER[m.group(0)]}月 ", folded)
EN_FULL_DATE = re.compile(rf"\b(?:\d{{1,2}} {_EN_MONTH},? \d{{4}}|{_EN_MONTH} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}})\b")
EN_DATE = re.compile(r"(?<![\d.,])(?:1\d{3}|20\d{2})s?(?!\d|[.,]\d)|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"
                     r"|\b(?:spring|summer|autumn|fall|winter|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
                     r"|today|yesterday|tomorrow|tonight|noon|midnight|o'clock|centur(?:y|ies)|decades?)\b"
                     r"|\b(?:next|last|this|each|every|per|a|the following|the previous|the same)\s+(?:year|month|week|day)\b"
                     r"|\d\s*(?:years?|months?|weeks?|days?|hours?|minutes?)\b|\d\s*(?:am|pm|a\.m\.|p\.m\.)|\d:\d\d"
                     r"|\d(?:st|nd|rd|th)\b|\bQ[1-4]\b|\b(?:early|late|mid)[- ]\d", re.I)

# Money: a currency sign before an amount, or a currency word after it (English or
# Chinese). One list for the support check (is this number an amount of money) and the
# relevance check (does an English answer to "what does it cost" name money).
CURRENCY_SIGNS = "$€£¥₹"
CURRENCY_WORD = (r"dollars?|euros?|pounds?|pence|cents?|yen|yuan|rupees?|francs?|usd|eur|gbp|[美欧日港澳台]?元|英镑|日元"
                 r"|港[币幣]|澳[门門]?[币幣]|新?[台臺][币幣]|人民[币幣]|美金")  # (a currency's name after the figure: 78,500港幣)
# A table's unit, stated once in a line above it ("单位：万元（不含税）", "單位：新臺幣元",
# "Unit: USD thousand") rather than beside each figure.
UNIT_LINE = re.compile(r"(?:单位|單位)\s*[:：]\s*(?P<unit>[^\s，,；;。（(）)]{1,8})"
                       r"|\bunits?\s*:\s*(?P<en>[A-Za-z$€£¥ ]{1,24}?)\s*(?=[,;.()]|$)", re.I)


# English words for numbers, as the digits a model writes for them ("seven days" -> 7 days).
EN_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())} | {
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90, "hundred": 100, "thousand": 1000, "dozen": 12}
_EN_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
# A number under 100 written in words (lower case): "four", "thirty-seven", "thirty seven".
# Not hundred/thousand: "two hundred" is not 100.
EN_NUMBER = re.compile(r"\b(?:(%s)[- ](one|two|three|four|five|six|seven|eight|nine)\b|(%s)\b)" % (
    _EN_TENS, "|".join(w for w in EN_NUMBER_WORDS if w not in ("hundred", "thousand"))))


def en_number(m: re.Match) -> int:
    """The value of an ``EN_NUMBER`` match."""
    if m.group(1):
        return EN_NUMBER_WORDS[m.group(1)] + EN_NUMBER_WORDS[m.group(2)]
    return EN_NUMBER_WORDS[m.group(3)]


# Asked at what o'clock (末班车几点; not 几点建议, a few points: 几点 ends the question or comes
# before o'clock's verbs), and a clock time said (21:00, 九点, 中午).
CLOCK_Q = re.compile(r"几点(?=钟|[开关发到出结始营上下起止停收送回去来走前后？?呢啊了，,。\s]|$)")
CLOCK = re.compile(r"\d{1,2}\s*[:：]\s*\d{2}|[\d零〇一二两三四五六七八九十]{1,3}\s*[点时]|[正中]午|午夜|凌晨|全天|24小时")
# A time of day written HH:MM (14:00, 9:05, 23:30:00; not the 3.10 of a version, nor the
# minutes of 1:23:45 read again): hour and minute as groups.
HH_MM = re.compile(r"(?<![\d.])(?<!\d[:：])(\d{1,2})[:：](\d{2})(?:[:：]\d{2})?(?!\d|[:：]\d)")

# Asked what holds now: the newest of several versions (lookalike.py), a sheet's row of the
# latest date (lookup.py).
NOW = re.compile(r"现在|目前|现任|当前|现行|最新|如今|\b(?:now|current(?:ly)?|latest|present)\b", re.I)
# A total said (一共多少钱, in total) and a column that holds one (金额 beside 单价, Amount):
# a question's or a claim's 一共 names that column.
TOTAL_SAID = re.compile(r"一共|总共|合共|合计|总计|共计|\bin total\b|\baltogether\b", re.I)  # (合共: Hong Kong's)
TOTAL_LABEL = re.compile(r"金额|总价|总额|合计|小计|\btotal\b|\bamount\b", re.I)
