"""How many of a table's things there are: "假日總共有幾條公車路線有開？", "How many of the trails
allow dogs?" over a sheet or a document's table; and how much a column of them comes to, asked
for a total the table does not print: "How many pallets are coming in week 47 altogether?"
over a delivery sheet's Pallets column.

Counting rows is arithmetic; the model, shown some of them, said 3. The rows a how-many
question counts -- those its first column names the kind of, narrowed as a superlative's are
(ranked.named_rows) and by a yes/no mark it names (ranked.marked_rows) -- are handed to the model as
one passage by retrieve.py, with a note in the question's words with the count in its place.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .ranked import marked_rows, named_rows, question_bound, within
from .records import LABEL_UNIT, Document, Region
from .numerals import TOTAL_SAID
from .rows import cell_named, cell_number, sheet_rows
from .sheets import named_sheets, sheet_names, sheet_words
from .zh import Lang, fold


# Asked how many of the sheet's things there are ("假日總共有幾條公車路線有開？", "How many
# plans are there?"): counting rows is arithmetic; the model, shown some of them, said 3.
_COUNT_Q = re.compile(r"(?:一共|总共|总计|共计|合计|共)(?:有|开|开设|提供|列出|[^\s，,。？?！!的]{1,3}了)?(?:多少|几)\s*"
                      r"(?P<m>[个条家款种项座辆趟班位名所只张台场])?"
                      r"(?P<noun>[^\s，,。？?！!的有是在]{1,8})"
                      # (or its noun before "有几门" at the end: 课时超过40的课有几门？)
                      r"|(?<=的)(?P<before>[^\s，,。？?！!的有是在]{1,6})有(?:多少|几)\s*[个条家款种项座辆趟班位名所只张台门间]\s*(?=[？?]?$)"
                      r"|\bhow many (?P<en>[a-z][a-z ]{1,48}?)(?= (?:are|were|does|do|did|is|in|on|at)\b|\?|$)", re.I)
# ...or how many times a thing the sheet's cells name comes up, its verb between 一共 and 几
# ("骆振华国庆期间一共要值几天班？" of a duty roster): the rows naming it are counted.
_HOLDER_COUNT_Q = re.compile(r"(?:一共|总共|总计|共计|合计)[^\s，,。？?！!的]{1,4}?(?:多少|几)\s*"
                             r"(?P<m>[个条家款种项座辆趟班位名所只张台天次回节门间])(?P<noun>[^\s，,。？?！!的有是在]{0,6})")
_MAX_COUNTED = 60  # rows: more is a table to summarise, not a list to count out in the note


@dataclass(frozen=True)
class CountedRows:
    """The rows a how-many question counts: the span of the sheet's rows, how many, and
    the words of the note."""

    start: int
    end: int
    rows: tuple[int, int]
    n: int
    phrase: str  # the question's counting words, the count in their place (總共有8條公車路線)
    names: list[str]  # the rows' first cells
    column: str = ""  # asked what a column comes to: its label, and the rows' values added
    values: tuple[str, ...] = ()


def counted_rows(question: str, doc: Document, region: Region) -> CountedRows | None:
    """The rows of ``region`` that a how-many question counts, when what it counts is what
    the sheet's first column names (路線 of 公車路線, Plan of plans) and it sets no condition
    this does not read; a name narrows them as for a superlative (家庭套餐 of 家庭融合A/B).
    Or the rows in which it names a cell of one column (骆振华's days on a duty roster); or,
    asked a total of what a column of figures holds (pallets altogether), those rows with
    the column added (``column``, ``values``)."""
    q = fold(question)
    m = _COUNT_Q.search(q) or _HOLDER_COUNT_Q.search(q)
    if m is None or not region.location.holds_rows:
        return None
    rows = sheet_rows(doc, region)
    if not 2 <= len(rows) <= _MAX_COUNTED:
        return None
    labels = list(rows[0].cells)
    key = fold(LABEL_UNIT.sub("", labels[0]))
    found = m.groupdict()
    group = "noun" if found.get("noun") else "before" if found.get("before") else "en"
    noun = found.get(group) or ""
    as_written = len(q) == len(question)  # (folding kept the offsets: 公車路線, not 公车路线)
    if as_written and noun:
        noun = question[m.start(group):m.end(group)]
    folded = fold(noun)
    english = bool(found.get("en"))
    if english:
        named = any(w.rstrip("s")[:4] in key for w in folded.split() if len(w) >= 3)
    else:
        named = sum(ch in key for ch in set(folded)) >= 2 or len(key) == 1 and key in folded \
            or len(folded) == 1 and key.startswith(folded)  # (课 of 课程)
    if m.re is _HOLDER_COUNT_Q:
        named = False  # (its words between 一共 and 几 are no count of the sheet's things)
    column = "" if named else _summed_column(q, folded, labels, rows, english)
    holder = "" if named or column else _holder_column(q, rows, labels)
    if not (named or column or holder):
        return None
    # (The sheet the question names, among several or the one there is -- "in week 47" of the
    # sheet Week 47 --, is no condition on the rows, nor a bound.)
    unsheeted = q
    for name in named_sheets(question, doc) or sheet_names(doc):
        for word in sheet_words(name) if len(fold(name)) >= 2 else ():
            unsheeted = unsheeted.replace(word, " ")
    # A bound on a column picks the rows counted (课时超过40的); any other condition, or a
    # bound on a column the table does not tell, counts nothing.
    bound = question_bound(unsheeted, labels, rows)
    if bound is False or group == "before" and not bound:
        return None  # (…的校区有几个 without a bound: what comes before 的 is a condition not read)
    if bound:
        bounded, op, limit = bound
        rows = [r for r in rows if (v := cell_number(r.cells.get(bounded, ""))) is not None and within(v, op, limit)]
    # (What the question counts, and the sheet it names, are no condition on the rows.)
    rest = unsheeted.replace(fold(noun), " ") if noun else unsheeted
    if holder:  # the rows whose cell the question names (the days 骆振华 is on duty): those counted
        rows = [r for r in rows if cell_named(q, r.cells.get(holder, ""))]
        for value in {fold(cell_named(q, r.cells[holder])) for r in rows}:
            rest = rest.replace(value, " ")
    rows = named_rows(rest, rows, labels, doc.title)
    if rows and (flagged := marked_rows(q, rows)):  # (those with a mark it names: "allow dogs")
        rows = flagged[1]
    if not rows:
        return None
    # The question's own words with the count in place of 几 / how many ("假日總共有8條公車路線有開",
    # its whole clause): the model's answer restates them, and the note vouches for it.
    said = m.group(0)
    if as_written and not english:
        ends = [i for i, ch in enumerate(question) if ch in "，,；;。？?！!"]
        start = max((i + 1 for i in ends if i < m.start()), default=0)
        said = question[start:min((i for i in ends if i >= m.end()), default=len(question))].strip()
    if column and len(rows) < 2:
        return None  # (one row's figure is no sum: the row looked up answers it, lookup.py)
    values = tuple(r.cells[column].strip() for r in rows) if column else ()
    total = _sum(values) if column else str(len(rows))
    if total is None:
        return None
    phrase = re.sub(r"多少|几|幾|how many", total, said, count=1, flags=re.I)
    return CountedRows(rows[0].start, rows[-1].end, (rows[0].number, rows[-1].number), len(rows),
                       phrase, [next(iter(r.cells.values())) for r in rows], column, values)


def _holder_column(q: str, rows: list, labels: list[str]) -> str:
    """The one column (not the first) in which the question names the cell of some rows but
    not all ("骆振华…一共要值几天班" of a duty roster's 值班人): its label, else ""."""
    holders = [label for label in labels[1:]
               if 0 < sum(1 for r in rows if cell_named(q, r.cells.get(label, ""))) < len(rows)]
    return holders[0] if len(holders) == 1 else ""


def _summed_column(q: str, noun: str, labels: list[str], rows: list, english: bool) -> str:
    """Asked for a total (altogether, 一共) of what a column of figures holds (pallets of
    Pallets, 托盘 of 托盘数), that column's label; "" when none or several are named, or the
    question asks no total."""
    if not TOTAL_SAID.search(q) or not noun:
        return ""
    named = []
    for label in labels[1:]:
        name = fold(LABEL_UNIT.sub("", label)).strip()
        if english:
            said = any(w.rstrip("s")[:5] == x.rstrip("s")[:5] for w in noun.split() for x in re.findall(r"[a-z]{3,}", name))
        else:
            said = len(name) >= 2 and (name in noun or name.rstrip("数量") in noun and len(name.rstrip("数量")) >= 2)
        if said and all(cell_number(r.cells.get(label, "")) is not None for r in rows):
            named.append(label)
    return named[0] if len(named) == 1 else ""


def _sum(values: tuple[str, ...]) -> str | None:
    """The values added, written as they are (whole numbers whole); None if one is no plain figure."""
    if not values or not all(_FIGURE.fullmatch(v) for v in values):
        return None
    total = sum(float(v.replace(",", "")) for v in values)
    decimals = max((len(v.split(".")[1]) for v in values if "." in v), default=0)
    return f"{total:,.{decimals}f}" if any("," in v for v in values) else f"{total:.{decimals}f}"


_FIGURE = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?")


_COUNTED = {"zh": "（{sheet}{phrase}，共{n}行：{names}）", "en": "({sheet}{phrase}, {n} rows: {names})"}
_SUMMED = {"zh": "（{sheet}{phrase}：{n}行的{column}相加，{values}）", "en": "({sheet}{phrase}: {column} of {n} rows added, {values})"}
_SHEET = {"zh": "工作表「{}」：", "en": "sheet {}: "}


def counted_note(counted: CountedRows, sheet: str, lang: Lang) -> str:
    lang = "en" if lang == "en" else "zh"
    sheet = _SHEET[lang].format(sheet) if sheet else ""
    if counted.column:
        added = "+".join(counted.values) + " = " + _sum(counted.values)
        return _SUMMED[lang].format(sheet=sheet, phrase=counted.phrase, n=counted.n, column=counted.column, values=added)
    return _COUNTED[lang].format(sheet=sheet, phrase=counted.phrase,
                                 n=counted.n, names=("、" if lang == "zh" else ", ").join(counted.names))
