"""The row a stated value falls in: "孩子5岁，体重18公斤，一次喝多少？" over a dosage table.

A table that gives its rows by ranges -- a dosage table (1-3岁 10-15公斤 4毫升 / 4-6岁
16-21公斤 6毫升 …), tax brackets, tariff tiers, size charts -- answers a question that
states a value by the one row whose ranges hold it. Which row that is, is arithmetic, not
reading: shown the whole table, the 1.5B model read its first row (4毫升 for a child of 5
and 18 kg). This module finds the row among a passage's lines, so the retriever can hand
it over alone, with a note saying why (retrieve.py, as for ranked.py's superlatives).

Lines of any kind: a sheet's rows, a table's, an OCR'd scan's ("4-6岁 16-21公斤 6毫升").
Only units of measure (age, weight, height, money, temperature…), never years or dates:
"2019-2021年" is a period, not a bracket a year falls in.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from .zh import Lang, fold

# The unit a range or a value is in, and the one it is compared as (公斤 and kg are one).
_UNITS = {"周岁": "岁", "岁": "岁", "个月": "月龄", "月龄": "月龄", "公斤": "kg", "千克": "kg", "kg": "kg",
          "斤": "斤", "厘米": "cm", "cm": "cm", "毫米": "mm", "mm": "mm", "公里": "km", "千米": "km", "km": "km",
          "元": "元", "块": "元", "万元": "万元", "℃": "℃", "度": "度", "小时": "小时", "分钟": "分钟",
          "平方米": "㎡", "㎡": "㎡", "gb": "gb", "人": "人", "kwh": "kwh", "千瓦时": "kwh",
          "years": "岁", "year-olds": "岁", "kg.": "kg", "lb": "lb", "lbs": "lb", "pounds": "lb"}
_UNIT = "|".join(sorted(map(re.escape, _UNITS), key=len, reverse=True))
_TO = r"\s*(?:-|~|～|–|—|至|到|to)\s*"
_NUM = r"(\d+(?:\.\d+)?)"
_RANGE = re.compile(rf"(?<![\d.]){_NUM}\s*(?:{_UNIT})?{_TO}{_NUM}\s*({_UNIT})(?![a-z])")
_OPEN = re.compile(rf"(?<![\d.]){_NUM}\s*({_UNIT})\s*(及以上|以上|or more|and over|及以下|以下|以内)")
# A value the question states: a number and its unit, not one end of a range it gives.
_VALUE = re.compile(rf"(?<![\d.\-~～–—至到]){_NUM}\s*({_UNIT})(?![a-z])(?!{_TO}\d)")
_MAX_LINE = 80  # characters: a table's row, not a paragraph that happens to give ranges


class Bracketed(NamedTuple):
    start: int  # offsets of the row's line in the text searched
    end: int
    values: list[str]  # the question's values, as it states them (5岁, 18公斤)
    header: str  # the line above the rows, when it names their columns ("年龄 体重 一次用量")


def _span(m: re.Match) -> tuple[float, float, str]:
    """(low, high, unit) of a _RANGE match, whichever end it names first."""
    lo, hi = sorted((float(m.group(1)), float(m.group(2))))
    return lo, hi, _UNITS[m.group(3)]


def _ranges(line: str) -> dict[str, list[tuple[float, float]]]:
    out: dict[str, list[tuple[float, float]]] = {}
    for m in _RANGE.finditer(line):
        lo, hi, unit = _span(m)
        out.setdefault(unit, []).append((lo, hi))
    for m in _OPEN.finditer(line):
        n = float(m.group(1))
        bound = (n, float("inf")) if m.group(3) in ("及以上", "以上", "or more", "and over") else (float("-inf"), n)
        out.setdefault(_UNITS[m.group(2)], []).append(bound)
    return out


def _asked(q: str) -> list[tuple[float, float, str, str]]:
    """(low, high, unit, as said) of each value the folded question ``q`` states, and of each
    range it gives itself ("那7到9岁的呢？"): a row's range holds it when it spans it."""
    values = [(float(m.group(1)), float(m.group(1)), _UNITS[m.group(2)], m.group(0).strip())
              for m in _VALUE.finditer(q)]
    return values + [(*_span(m), m.group(0).strip()) for m in _RANGE.finditer(q)]


def bracketed_row(question: str, text: str) -> Bracketed | None:
    """The one line of ``text`` whose ranges hold every value (or range) the question states
    in a unit the lines give ranges in; None when no line or several do, or the text has
    fewer than two such lines (no table of brackets)."""
    values = _asked(fold(question))
    if not values:
        return None
    lines, at = [], 0
    for line in text.split("\n"):
        lines.append((at, line, _ranges(fold(line)) if len(line) <= _MAX_LINE else {}))
        at += len(line) + 1
    # The units a table gives ranges in: on two lines at least.
    units = {u for _, _, u, _ in values if sum(u in r for _, _, r in lines) >= 2}
    asked = [v for v in values if v[2] in units]
    if not asked:
        return None
    found = [(i, a, line) for i, (a, line, r) in enumerate(lines)
             if all(any(lo <= low and high <= hi for lo, hi in r.get(u, [])) for low, high, u, _ in asked)]
    if len(found) != 1:
        return None
    i, a, line = found[0]
    # The header: the nearest line above the rows that gives no range (年龄 体重 一次用量).
    above = i
    while above > 0 and lines[above - 1][2]:
        above -= 1
    header = lines[above - 1][1].strip() if above > 0 and len(lines[above - 1][1]) <= _MAX_LINE else ""
    return Bracketed(a, a + len(line), [said for *_, said in asked], header)


_NOTES = {"zh": "（{values}所在的一行{header}）", "en": "(the row that {values} falls in{header})"}
_HEADERS = {"zh": "；表头：{}", "en": "; columns: {}"}


def bracketed_note(found: Bracketed, lang: Lang) -> str:
    lang = "en" if lang == "en" else "zh"
    header = _HEADERS[lang].format(found.header) if found.header else ""
    return _NOTES[lang].format(values=("、" if lang == "zh" else ", ").join(found.values), header=header)


_AMOUNT = re.compile(r"(?<![\d.])\d+(?:\.\d+)?\s*[^\d\s|,，。；;：:、（）()\[\]]{1,3}")


def beyond_brackets(question: str, sentence: str) -> str | None:
    """What a copied bracket row gives beside its ranges, one of which the question's values
    fall in: "6毫升" of "4-6岁 16-21公斤 6毫升" asked for a child of 5 and 18 kg. None unless
    exactly one amount is left."""
    # Matched in the folded sentence (歲 read as 岁), cut from the original: the same offsets
    # while it is as long.
    q, folded = fold(question), fold(sentence)
    if len(folded) != len(sentence):
        sentence = folded
    values = _asked(q)
    ranges = [(m, _span(m)) for m in _RANGE.finditer(folded)]
    if not any(u == unit and lo <= low and high <= hi for _, (lo, hi, u) in ranges for low, high, unit, _ in values):
        return None
    # (Every range out: the row's other brackets, 22-27公斤 asked by age, are no amount.)
    rest = sentence
    for m, _ in reversed(ranges):
        rest = rest[:m.start()] + " " + rest[m.end():]
    left = _AMOUNT.findall(rest)
    return left[0].strip() if len(left) == 1 else None
