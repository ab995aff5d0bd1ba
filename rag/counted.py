"""How many of a table's things there are: "假日總共有幾條公車路線有開？", "How many of the trails
allow dogs?" over a sheet or a document's table.

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
from .rows import cell_number, sheet_rows
from .sheets import named_sheets, sheet_words
from .zh import Lang, fold


# Asked how many of the sheet's things there are ("假日總共有幾條公車路線有開？", "How many
# plans are there?"): counting rows is arithmetic; the model, shown some of them, said 3.
_COUNT_Q = re.compile(r"(?:一共|总共|总计|共计|合计|共)(?:有|开|开设|提供|列出)?(?:多少|几)\s*(?P<m>[个条家款种项座辆趟班位名所只张台])?"
                      r"(?P<noun>[^\s，,。？?！!的有是在]{1,8})"
                      # (or its noun before "有几门" at the end: 课时超过40的课有几门？)
                      r"|(?<=的)(?P<before>[^\s，,。？?！!的有是在]{1,6})有(?:多少|几)\s*[个条家款种项座辆趟班位名所只张台门间]\s*(?=[？?]?$)"
                      r"|\bhow many (?P<en>[a-z][a-z ]{1,48}?)(?= (?:are|were|does|do|did|is|in|on|at)\b|\?|$)", re.I)
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


def counted_rows(question: str, doc: Document, region: Region) -> CountedRows | None:
    """The rows of ``region`` that a how-many question counts, when what it counts is what
    the sheet's first column names (路線 of 公車路線, Plan of plans) and it sets no condition
    this does not read; a name narrows them as for a superlative (家庭套餐 of 家庭融合A/B)."""
    q = fold(question)
    m = _COUNT_Q.search(q)
    if m is None or not region.location.holds_rows:
        return None
    rows = sheet_rows(doc, region)
    if not 2 <= len(rows) <= _MAX_COUNTED:
        return None
    labels = list(rows[0].cells)
    key = fold(LABEL_UNIT.sub("", labels[0]))
    group = "noun" if m.group("noun") else "before" if m.group("before") else "en"
    noun = m.group(group) or ""
    as_written = len(q) == len(question)  # (folding kept the offsets: 公車路線, not 公车路线)
    if as_written and noun:
        noun = question[m.start(group):m.end(group)]
    folded = fold(noun)
    if m.group("en"):
        named = any(w.rstrip("s")[:4] in key for w in folded.split() if len(w) >= 3)
    else:
        named = sum(ch in key for ch in set(folded)) >= 2 or len(key) == 1 and key in folded \
            or len(folded) == 1 and key.startswith(folded)  # (课 of 课程)
    if not named:
        return None
    # A bound on a column picks the rows counted (课时超过40的); any other condition, or a
    # bound on a column the table does not tell, counts nothing.
    bound = question_bound(question, labels, rows)
    if bound is False or group == "before" and not bound:
        return None  # (…的校区有几个 without a bound: what comes before 的 is a condition not read)
    if bound:
        bounded, op, limit = bound
        rows = [r for r in rows if (v := cell_number(r.cells.get(bounded, ""))) is not None and within(v, op, limit)]
    # (What the question counts, and the sheet it names, are no condition on the rows.)
    rest = q.replace(fold(noun), " ") if noun else q
    for name in named_sheets(question, doc):
        for word in sheet_words(name):
            rest = rest.replace(word, " ")
    rows = named_rows(rest, rows, labels, doc.title)
    if rows and (flagged := marked_rows(q, rows)):  # (those with a mark it names: "allow dogs")
        rows = flagged[1]
    if not rows:
        return None
    # The question's own words with the count in place of 几 / how many ("假日總共有8條公車路線有開",
    # its whole clause): the model's answer restates them, and the note vouches for it.
    said = m.group(0)
    if as_written and not m.group("en"):
        ends = [i for i, ch in enumerate(question) if ch in "，,；;。？?！!"]
        start = max((i + 1 for i in ends if i < m.start()), default=0)
        said = question[start:min((i for i in ends if i >= m.end()), default=len(question))].strip()
    phrase = re.sub(r"多少|几|幾|how many", str(len(rows)), said, count=1, flags=re.I)
    return CountedRows(rows[0].start, rows[-1].end, (rows[0].number, rows[-1].number), len(rows),
                       phrase, [next(iter(r.cells.values())) for r in rows])


_COUNTED = {"zh": "（{sheet}{phrase}，共{n}行：{names}）", "en": "({sheet}{phrase}, {n} rows: {names})"}
_SHEET = {"zh": "工作表「{}」：", "en": "sheet {}: "}


def counted_note(counted: CountedRows, sheet: str, lang: Lang) -> str:
    lang = "en" if lang == "en" else "zh"
    return _COUNTED[lang].format(sheet=_SHEET[lang].format(sheet) if sheet else "", phrase=counted.phrase,
                                 n=counted.n, names=("、" if lang == "zh" else ", ").join(counted.names))
