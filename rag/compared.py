"""Comparisons of two rows a question names: "3号线和5号线，哪条线的站更多？" over a line table.

Which of two figures is the greater is arithmetic, not reading: the row asked for is found here
among every row of the sheet, for the retriever to hand over alone with a note giving the
answer in the question's words and both figures (as ranked.py does for superlatives); and an
answer naming the other of the two, where a passage gives the one, is off the question.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .filled import put_in
from .rewrite import noted_question, without_note
from .ranked import ZH_HIGH, ZH_LOW, Superlative, asked_column, folded_search
from .rows import SheetRow, cell_measure, cell_named, is_figure, sheet_rows
from .records import Document, Region
from .zh import CJK, Lang, fold


# Asked which of two rows the question names has more or less of something ("3号线和5号线，
# 哪条线的站更多？", "市场部和销售部，谁的差旅费预算高一些？", "Between Team and Business, which
# keeps files longer?"): the comparison ends the question, after its question word.
# (… or what there is more of after a 更多 / 比较多: 哪一门要上比较多周, 哪个可以容纳比较多人)
_ZH_COMPARED = re.compile(rf"(?:哪|谁)[^，,。；;？?]*?(?P<w>(?:更|较|比较)?(?<!最)(?:(?P<zl>{ZH_LOW})|(?P<zh>{ZH_HIGH}))"
                          r"(?:一些|一点|些|点|得多)?)(?:(?<=[更较][多少])[\u4e00-\u9fff]{1,2})?\s*[？?]*\s*$")
_EN_COMPARED = re.compile(r"\bwhich\b.*?\b(?:(?P<el>less|fewer|cheaper|earlier|shorter|smaller|lower|lighter|slower)"
                          r"|(?P<eh>more|longer|larger|bigger|higher|heavier|faster|later|dearer))\b", re.I)


def comparative(question: str) -> Superlative | None:
    """The comparison a question asks between two things it names (更多, 高一些, longer), as a
    Superlative of its direction; None when it asks none."""
    m = _compared(question)
    # (A bare 长 or 大 ends many a word -- 哪个学校的校长 -- : a comparison only after two
    # things the question pairs, 甲和乙/甲跟乙比.)
    if not m or m.groupdict().get("w") and not re.search(r"[更较比得些点]", m.group("w")) \
            and not re.search(r"[和跟与同]|比", m.string[:m.start()]):
        return None
    groups = m.groupdict()
    word = question[m.start("w"):m.end("w")] if groups.get("w") else groups.get("el") or groups.get("eh")
    return Superlative(word, "min" if groups.get("zl") or groups.get("el") else "max")


def _compared(question: str) -> re.Match | None:
    """The comparison's match (更貴 of a traditional question read as 更贵), its places the question's."""
    return folded_search(_ZH_COMPARED, question) or _EN_COMPARED.search(question)


_EN_WORD = re.compile(r"[a-z][a-z'-]{3,}")
_CJK_RUN = re.compile(f"[{CJK}]{{2,}}")


def _partly_named(q: str, rows: list[SheetRow], labels: list[str], shared: set[str],
                  named: list[tuple[SheetRow, str]]) -> list[tuple[SheetRow, str]]:
    """The rows the folded question names by a part of a cell that no other row's cell of
    that column holds: "parks" of "Parks and Open Spaces" (a whole English word), 银杏路 of
    银杏路1号至88号, 日语会话 of 实用日语会话（初级） (three Chinese characters or more)."""
    out = list(named)
    for label in labels:
        if label in shared:
            continue
        cells = {id(r): fold(r.cells.get(label, "")) for r in rows}
        for r in rows:
            if any(r is n for n, _ in out):
                continue
            v, written = cells[id(r)], r.cells.get(label, "")
            parts = [w for w in _EN_WORD.findall(v) if re.search(rf"\b{re.escape(w)}\b", q)]
            parts += [_longest_in(run, q) for run in _CJK_RUN.findall(v)]
            own = [p for p in parts if p and sum(p in c for c in cells.values()) == 1]
            if own:
                part = max(own, key=len)
                at = v.find(part)  # (as the sheet writes it: 日語會話, not 日语会话)
                out.append((r, written[at:at + len(part)] if len(written) == len(v) else part))
    return out if len(out) == 2 else named


def _longest_in(run: str, q: str) -> str:
    """The longest part of ``run``, three characters or more, that ``q`` writes ("" if none)."""
    for k in range(len(run), 2, -1):
        for i in range(len(run) - k + 1):
            if run[i:i + k] in q:
                return run[i:i + k]
    return ""


@dataclass(frozen=True)
class ComparedRows:
    """The two rows a comparison names, the one it asks for first."""

    rows: tuple[SheetRow, SheetRow]
    names: tuple[str, str]  # how the question names them, as the sheet writes them
    label: str  # the column compared, as the sheet writes it
    word: str  # the comparison, as the question writes it (更多)
    answer: str  # the question's comparison with the one asked for in its question word's place


def compared_rows(question: str, doc: Document, region: Region) -> ComparedRows | None:
    """The two rows of ``region`` the question names by a cell of each, ordered by the column
    the comparison asks about (the one asked for first); None when it names not exactly two,
    asks no column of numbers, or they tie."""
    own, previous = without_note(question), noted_question(question)
    asked = comparative(own)
    if asked is None or not region.location.holds_rows:
        return None
    rows = sheet_rows(doc, region)
    if len(rows) < 2:
        return None
    labels = list(rows[0].cells)
    # (A value every row shares -- one 起点 for all lines -- names none of them.)
    shared = {label for label in labels if len({fold(r.cells.get(label, "")).strip() for r in rows}) == 1}

    def named_in(text: str) -> list[tuple[SheetRow, str]]:
        q, out = fold(text), []
        for r in rows:
            said = [v for label, value in r.cells.items() if label not in shared and (v := cell_named(q, value))]
            if said:
                out.append((r, max(said, key=len)))
        return out

    named = named_in(own)
    if len(named) < 2:
        named = _partly_named(fold(own), rows, labels, shared, named)
    # (A follow-up compares what it points at with one it names: "那它跟朔溪分仓比，哪个更大？"
    # after a question about 雁岭分仓 -- the one row its previous question names.)
    if len(named) == 1 and previous and _POINTED.search(own):
        before = [n for n in named_in(previous) if n[0] != named[0][0]]
        named += before if len(before) == 1 else []
    if len(named) != 2:
        return None
    question = own
    # (Columns of figures: 车站数 24, 月费 39, 50GB, 2026年 -- not the key column, 3号线, nor a
    # cell that only holds a number in its text, 文樾路（3号线）.)
    numeric = [label for label in labels[1:] if label not in shared
               and all(is_figure(fold(r.cells.get(label, "")).strip()) for r, _ in named)]
    # (Not by the words that name the rows' kind -- the 线 of 哪条线, the first column's 线路 --
    # but by what is compared: 站 of 车站数.)
    label = asked_column("".join(ch for ch in question if ch not in fold(labels[0])), numeric, asked)
    if label is None:
        return None
    (a, name_a), (b, name_b) = named
    va, vb = cell_measure(a.cells[label], asked.word), cell_measure(b.cells[label], asked.word)
    if va == vb:
        return None
    first = (va > vb) == (asked.direction == "max")
    ordered = ((a, name_a), (b, name_b)) if first else ((b, name_b), (a, name_a))
    return ComparedRows((ordered[0][0], ordered[1][0]), (ordered[0][1], ordered[1][1]), label, asked.word,
                        _answered(question, ordered[0][1]))


_POINTED = re.compile(r"[它他她这那此该][个家条款所间座]?|\b(?:it|this|that|them)\b", re.I)
_ALTERNATIVES = re.compile(r"\s*(?:和|跟|与|同|及|还是|、|，|,|\band\b|\bor\b)\s*", re.I)
_LEAD_IN = re.compile(r"^\s*(?:and\s+)?(?:between\s+)?", re.I)


def flipped_comparison(question: str, answer: str, passages: list[str]) -> bool:
    """Asked which of two things it names is more or less (甲和乙，谁的差旅费预算高一些？), does
    the answer name one of them where a passage gives the other in the question's words
    ("乙的差旅费预算高一些", the note compared_rows' row carries) and none gives the one named?"""
    m = _compared(question)
    if not m:
        return False
    before = _LEAD_IN.sub("", question[:m.start()].rstrip("，,。 比相").removesuffix("相比"))
    alternatives = [a for a in _ALTERNATIVES.split(before) if len(a.strip()) >= 2]
    if len(alternatives) != 2:
        return False
    said, texts = fold(answer), [fold(p) for p in passages]
    named = [a for a in alternatives if fold(a) in said]
    if len(named) != 1:
        return False
    other = next(a for a in alternatives if a != named[0])
    asking = question[m.start():]  # (the comparison, from its question word on: _answered's)
    states = lambda name: any(fold(put_in(asking, name)) in t for t in texts)  # noqa: E731
    return states(other) and not states(named[0])


def _answered(question: str, name: str) -> str:
    """The question's comparison, from its question word on, with ``name`` in that word's
    place: "3号线和5号线，哪条线的站更多？" -> "3号线的站更多" (what the model's answer restates)."""
    m = _compared(question)
    return put_in(question[m.start():] if m else question, name)


_COMPARED = {"zh": "（{answer}。{label}：{a} {va}，{b} {vb}）", "en": "({answer}. {label}: {a} {va}, {b} {vb})"}


def compared_note(compared: ComparedRows, lang: Lang) -> str:
    """What the model is told with the row asked for: the answer in the question's words, and
    both rows' figures."""
    lang = "en" if lang == "en" else "zh"
    (a, b), (ra, rb) = compared.names, compared.rows
    return _COMPARED[lang].format(answer=compared.answer, label=compared.label, a=a, b=b,
                                  va=ra.cells[compared.label], vb=rb.cells[compared.label])
