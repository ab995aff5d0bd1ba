"""Which of a workbook's sheets a question speaks of: the sheets' names, the ones a question
names (平日 / 假日, or 工作日 / weekend for them), and whether a passage or citation is rows of
another sheet. Read by retrieval (a named sheet's rows first), ranked.py (which sheet ranks)
and the answer's checks (a row of another sheet than the one named is off the question)."""
from __future__ import annotations

from .records import Citation, Document, Hit
from .zh import fold


def named_sheets(question: str, doc: Document | None) -> set[str]:
    """The names of ``doc``'s sheets that ``question`` names, when the workbook has more than
    one ("假日搭105路…末班車" of a timetable with sheets 平日 and 假日; "2024年…" of sheets 2023
    and 2024): their rows answer it, the other sheets' rows -- the same columns, other
    values -- do not. Names of two characters or more, as the question writes them (folded)."""
    names = sheet_names(doc)
    if len(names) < 2:
        return set()
    q = fold(question)
    return {n for n in names if len(fold(n)) >= 2 and any(w in q for w in sheet_words(n))}


def sheet_names(doc: Document | None) -> set[str]:
    """The names of ``doc``'s sheets (a CSV has one, its file's)."""
    return {r.location.name for r in doc.regions if r.location.kind == "sheet" and r.location.name} if doc else set()


def sheet_words(name: str) -> tuple[str, ...]:
    """What a question names a sheet by: its name, folded, and the day words that mean it."""
    return (fold(name), *_SAME_DAYS.get(fold(name), ()))


# Sheets of a timetable or a price list split by the kind of day, and the other words a
# question says them by: 工作日 names the 平日 sheet, "weekend" the 假日 one.
_DAY_WORDS = (("平日", "工作日", "周一至周五", "weekday", "weekdays", "workday", "workdays"),
              ("假日", "节假日", "周末", "双休日", "休息日", "weekend", "weekends", "holiday", "holidays"))
_SAME_DAYS = {w: [v for v in group if v != w] for group in _DAY_WORDS for w in group}


def on_other_sheet(question: str, found: Hit | Citation, docs: dict[str, Document]) -> bool:
    """Is ``found`` (a passage, a citation) rows of a sheet other than the ones ``question``
    names?"""
    loc = found.chunk.location
    if loc is None or loc.kind != "sheet":
        return False
    named = named_sheets(question, docs.get(found.chunk.doc_id))
    return bool(named) and loc.name not in named
