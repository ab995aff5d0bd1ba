"""The row a question names and the column it asks for: "工作日103路末班车几点？" over a timetable.

A sheet's rows all say 末班車; retrieval ranks the ones that share the question's words, and
the model, shown five such rows, read the wrong one (the 假日 sheet's 103 row, cited third,
for a weekday question; the 平日 row of 105 for a 假日 one). Which row the question names is
string matching on the rows' cells, not reading: this module finds it among every row of the
sheet, so the retriever can hand it over alone with a note (as brackets.py does for ranges
and ranked.py for superlatives).

A row is named by the cells the question writes out (103, 望海漁港) that the sheet's other
rows do not all share; it must be the one row that names the most, and the question must
name a column besides (末班車; asked how much money, the money column, or the total's when it
asks a total: 一共多少钱, 金额 beside 单价): a question that names a row but asks what no column
holds (a ride's duration, where the sheet gives intervals) is left to the model and the checks.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .numerals import NOW, TOTAL_LABEL, TOTAL_SAID, dates
from .ranked import PRICE_LABEL
from .rows import SheetRow, cell_named, is_total, sheet_rows, total_rows, whole_date
from .records import LABEL_UNIT, Document, Region
from .zh import WHEN_Q, WHO_Q, Lang, fold


@dataclass(frozen=True)
class LookedUp:
    """The named row: ``doc.text[start:end]`` is its line."""

    start: int
    end: int
    row: int  # as the spreadsheet numbers it
    sheet: str  # its sheet's name ("" for a document's table)
    named: list[str]  # the cells the question names it by, as the sheet writes them
    asked: list[str]  # the columns the question asks for, as the sheet writes them


# A date column is asked for by what it dates when the question asks when: 下次保养日期 by
# "下一次几时做保养" (下一次 written as the label's 下次).
_DATED = re.compile(r"([上下这本]次)?(.{2,})(?:日期|时间)$")
_ONE_MORE = re.compile(r"([上下这])一([次回])")


def _names_column(q: str, label: str) -> bool:
    """Does the folded question name the column ``label`` (末班車, 票價(元): 票价; 下次保養日期
    when it asks when the next 保養 is)?"""
    name = fold(LABEL_UNIT.sub("", label)).strip()
    if re.search(r"[a-z]", name):  # (English labels by their words: "last bus" of "Last bus")
        words = re.findall(r"[a-z]{3,}", name)
        # (asked what time, a column of times by its word "time": "Time slot")
        return bool(words) and (all(re.search(rf"\b{w}", q) for w in words)
                                or "time" in words and bool(re.search(r"\bwhat time\b", q)))
    if (dated := _DATED.match(name)) and (WHEN_Q.search(q) or "几时" in q):  # (几时: a date or a time of day)
        said = _ONE_MORE.sub(r"\1\2", q)
        return (not dated.group(1) or dated.group(1) in said) and dated.group(2).rstrip("的") in said
    # Asked who does a thing, the column of the person who does it (值班人 by 谁值班, 负责人
    # by 谁负责).
    if WHO_Q.search(q) and len(name) >= 3 and name[-1] in "人者员" and name[:-1] in q:
        return True
    return len(name) >= 2 and name in q


# Asked how much money, the money column is asked though not named: the one there is, or,
# asked for a total (一共多少钱), the one that totals (金额 beside 单价).
_MONEY_Q = re.compile(r"多少钱|几块钱|多少元|\bhow much\b|\bcost\b", re.I)


def _money_column(q: str, labels: list[str]) -> list[str]:
    if not _MONEY_Q.search(q):
        return []
    money = [label for label in labels if PRICE_LABEL.search(fold(label))]
    totals = [label for label in labels if TOTAL_LABEL.search(fold(label))]
    if TOTAL_SAID.search(q) and len(totals) == 1:  # (小计 beside 单价(元), though no price word names it)
        return totals
    return money if len(money) == 1 else []


def looked_up_row(question: str, doc: Document, regions: list[Region]) -> LookedUp | None:
    """The one row of ``regions`` (a document's sheets or tables) that ``question`` names by
    its cells, when it also names a column other than those; None when no row or several
    are named as well, or no column is asked."""
    q, title = fold(question), fold(doc.title)
    best: list[tuple[int, Region, SheetRow, list[str]]] = []
    for region in regions:
        if not region.location.holds_rows:
            continue
        rows = sheet_rows(doc, region)
        if len(rows) < 2:
            continue
        # (A value every row shares -- the one 起點 of all routes -- names none of them.)
        shared = {label for label in rows[0].cells
                  if len({fold(r.cells.get(label, "")).strip() for r in rows}) == 1}
        for r in rows:
            # (Nor does a value the document's title holds: 沛川 of 沛川供应链…简介 names the
            # company the question is about, not the one warehouse in 沛川.)
            named = [label for label, value in r.cells.items() if label not in shared and cell_named(q, value)
                     and fold(value).strip() not in title]
            if named:
                best.append((len(named), region, r, named))
    if not best and TOTAL_SAID.search(q):
        # Asked for a total, naming no row (报价单加起来一共多少钱): the row that totals a table.
        best = [(1, region, r, [next(iter(r.cells))]) for region in regions if region.location.holds_rows
                for r in total_rows(doc, region)]
    if not best:
        return None
    top = max(n for n, *_ in best)
    firsts = [b for b in best if b[0] == top]
    first = firsts[0] if len(firsts) == 1 else _by_date(question, q, firsts)
    if first is None:
        return None
    _, region, row, named = first
    rest = [label for label in row.cells if label not in named]
    asked = [label for label in rest if _names_column(q, label)] or _money_column(q, rest) \
        or (rest if is_total(row) and _MONEY_Q.search(q) else [])  # (a total row's sums, asked what it all costs)
    if not asked:
        return None
    sheet = region.location.name if region.location.kind == "sheet" else ""
    return LookedUp(row.start, row.end, row.number, sheet, [row.cells[label] for label in named], asked)


def _date_of(value: str) -> tuple[int, int, int] | None:
    """The date a cell holds as its whole value (2025-03-01, 2025年3月1日), else None."""
    d = whole_date(value)
    return (int(d.year), d.month, d.day) if d and d.year else None


def _by_date(question: str, q: str, tied: list):
    """Of rows named alike that differ by a date only they have (a price list's 生效日期:
    the same item at its old and its new price), the one whose date the question gives, or,
    asked what holds now (目前的单价), the latest not after today; else None."""
    rows = [r for _, _, r, _ in tied]
    labels = [label for label in rows[0].cells if all(_date_of(r.cells.get(label, "")) for r in rows)]
    if len(labels) != 1:
        return None
    when = [_date_of(r.cells[labels[0]]) for r in rows]
    if len(set(when)) != len(when):
        return None
    given = {(int(d.year), d.month, d.day) for d in dates(question) if d.year and d.day}
    picked = [b for b, w in zip(tied, when) if w in given]
    if not picked and NOW.search(q):
        today = date.today()
        past = [(w, b) for b, w in zip(tied, when) if w <= (today.year, today.month, today.day)]
        picked = [max(past, key=lambda p: p[0])[1]] if past else []
    return picked[0] if len(picked) == 1 else None


_NOTES = {"zh": "（{sheet}{named}的一行；问的是{asked}）", "en": "(the row of {named}{sheet}; asked: {asked})"}
_SHEETS = {"zh": "工作表「{}」中", "en": " in sheet {}"}


def looked_up_note(found: LookedUp, lang: Lang, several_sheets: bool) -> str:
    lang = "en" if lang == "en" else "zh"
    sep = "、" if lang == "zh" else ", "
    sheet = _SHEETS[lang].format(found.sheet) if several_sheets and found.sheet else ""
    return _NOTES[lang].format(sheet=sheet, named=sep.join(found.named), asked=sep.join(found.asked))
