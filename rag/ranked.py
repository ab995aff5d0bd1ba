"""Superlative questions over a sheet: the row that ranks first in the column asked about.

"月费最便宜的是哪个套餐？" over a 12-row plan sheet is answered by one row, but retrieval
finds rows that *say* 月费 and 便宜-like words, and the model, shown five passages of
rows, names whichever it reads first. Which row holds the least 月费(元) is arithmetic, not
reading: this module does it over every row of the sheet, so the retriever can put that
row first and tell the model what it is.

Likewise the rows a which-question picks (哪个不支持5G, 哪些…技术部, 月租50块以下的). Used by
retrieve.py; the sheet (or a document's table) comes from the store's document (its rows
regions), not from the chunks retrieval happened to find; its rows are read by rows.py.
Comparisons of two rows are compared.py's; how many rows a how-many question counts,
counted.py's; which of a workbook's sheets a question names, sheets.py's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from .records import LABEL_UNIT, Document, Region
from .rows import SheetRow, cell_measure, cell_number, figure_columns, row_name, sheet_rows
from .filled import WHICH_WORD, put_in
from .sheets import named_sheets, sheet_names, sheet_words
from .zh import CJK, CJK_CHAR, WHICH_CLASSIFIERS, Lang, fold

Direction = Literal["min", "max"]

# Superlatives and which end of a column they ask for (最便宜, cheapest: the least price).
ZH_LOW, ZH_HIGH = "便宜|少|低|小|短|早|慢|轻|近", "贵|多|高|大|长|晚|快|重|远"
_EN_LOW = "cheapest|least|lowest|smallest|shortest|earliest|slowest|lightest|fewest|nearest"
_EN_HIGH = "most expensive|most|highest|largest|biggest|longest|latest|fastest|heaviest|farthest"
# How old a thing is: 最新 / newest is the latest of its date column (最旧, oldest the earliest).
_ZH_OLD, _ZH_NEW, _EN_OLD, _EN_NEW = "旧|老", "新", "oldest", "newest|most recent"
_SUPERLATIVE = re.compile(rf"(?:最|第(?P<zn>[二三2-3]))(?:(?P<zl>{ZH_LOW}|{_ZH_OLD})|(?P<zh>{ZH_HIGH}|{_ZH_NEW}))"
                          rf"|\b(?:(?P<en>second|third)\s+)?(?:(?P<el>{_EN_OLD}|{_EN_LOW})|(?P<eh>{_EN_NEW}|{_EN_HIGH}))\b"
                          r"|排(?:名|在)?第(?P<zr>[二三2-3])", re.I)  # 藏书量排第二: second by most
# Asked what is earliest, latest, newest or oldest and naming no column, the date column is meant.
_TIME_Q = re.compile(rf"早|晚|{_ZH_OLD}|{_ZH_NEW}|earliest|latest|{_EN_OLD}|{_EN_NEW}", re.I)
_TIME_LABEL = re.compile(r"年|日期|时间|時間|date|year|opened|founded|since", re.I)
_NTH = {"二": 2, "三": 3, "2": 2, "3": 3, "second": 2, "third": 3}
# Price words: a question about what is cheapest names no column, the price column is meant.
_PRICE_Q = re.compile(r"便宜|贵|cheap|expensive", re.I)
PRICE_LABEL = re.compile(r"元|价|费|钱|price|cost|fee|\$|¥|€|£", re.I)
_MIN_ROWS = 3  # fewer rows are read at a glance; nothing to rank
# A bound the question sets on a column: "预算50块以内", "不超过100GB", "under $50", "床位超过500个".
# Inclusive (≤ ≥) or strict (< >) as the words say: 以下 and at most hold the bound, 低于 and
# under do not.
_UNDER = r"以内|之内|以下|内"
_BOUND = re.compile(r"(?:(?P<pre_le>不超过|at most|up to)\s*|(?P<pre_lt>不到|低于|少于|不用|用不了|唔使|under|below|less than|fewer than)\s*)?"
                    r"(?P<cur>[$¥€£￥])?(?P<n>\d+(?:\.\d+)?)\s*"
                    r"(?P<unit>块钱|块|元|gb|g|mb|分钟|个月|月|yuan|minutes?|[a-z]{1,5}\b|[\u4e00-\u9fff](?=[的以之内]))?"
                    rf"\s*(?:(?P<post_le>{_UNDER})|(?P<post_ge>以上|之上)|(?P<post>))", re.I)
_PRE_GE = re.compile(r"(?:(?P<ge>不少于|不低于|at least)|(?P<gt>超过|高于|多于|大于|over|above|more than))\s*$", re.I)
_MONEY_UNITS = ("块钱", "块", "元", "yuan")
# A unit as a question writes it and as a column may (公里 of a "Length (km)" column).
_SAME_UNIT = {"公里": "km", "千米": "km", "米": "m", "公斤": "kg", "千克": "kg", "小时": "h", "分钟": "min",
              "minute": "min", "minutes": "min", "gb": "g"}


@dataclass(frozen=True)
class Superlative:
    word: str  # as the question writes it: 最便宜, cheapest, 第二多
    direction: Direction
    nth: int = 1  # 第二多, second most: the second


@dataclass(frozen=True)
class RankedRow:
    """The first row of a sheet by one column: ``doc.text[start:end]`` is the row's line."""

    start: int
    end: int
    row: int  # as the spreadsheet numbers it
    label: str  # the column, as the sheet writes it
    word: str  # the superlative, as the question writes it (最便宜)
    direction: Direction
    rows: int  # how many rows were ranked
    answer: str = ""  # the question with the row's name in its question word's place


def superlative(question: str) -> Superlative | None:
    m = folded_search(_SUPERLATIVE, question)
    if not m:
        return None
    nth = _NTH.get((m.group("zn") or m.group("zr") or m.group("en") or "").lower(), 1)
    return Superlative(question[m.start():m.end()], "min" if m.group("zl") or m.group("el") else "max", nth)


def folded_search(pattern: re.Pattern, question: str) -> re.Match | None:
    """``pattern`` searched in the folded question (最貴 of a traditional question is 最贵)
    when folding keeps its length, so the match's places are the question's (its words
    are sliced from the question as written); else in the question as written."""
    folded = fold(question)
    return pattern.search(folded if len(folded) == len(question) else question)


# What a superlative ranks by, as a question writes it just before it: 医生人数 of
# 哪家医院的医生人数最多, 床位数 of 床位数第二多的 (after 的, 是, a which-word or a comma);
# not 它的 of 它的最高峰 (a pronoun, 的: no measure).
_RANKED_BY = re.compile(rf"(?:^|[的是里中，,、]|{WHICH_WORD}|哪一?(?![{WHICH_CLASSIFIERS}款台辆]))"
                        rf"((?:(?![的它他她其哪])[{CJK}]){{2,6}})$")  # (not 门课 of 哪门课最贵: 门 is 哪's)


def ranked_measure(question: str) -> str | None:
    """What a Chinese superlative question ranks by, as it writes it (医生人数), or None."""
    asked = superlative(question)
    at = question.find(asked.word) if asked else -1
    m = _RANKED_BY.search(question[:at]) if at > 0 else None
    return m.group(1) if m else None


def _measured_elsewhere(question: str, label: str, doc: Document) -> bool:
    """Does the column ``label`` hold some but less than half of what the question ranks by,
    the rest written nowhere in the document? 国际漫游流量 is not 国内通用流量 though both say 流量: a
    price list that never says 漫游 gives no roaming data."""
    measure = ranked_measure(question)
    pairs = {fold(measure[i:i + 2]) for i in range(len(measure) - 1)} if measure else set()
    held = {p for p in pairs if p in fold(label)}
    return bool(held) and len(held) * 2 < len(pairs) and not any(p in fold(doc.title + doc.text) for p in pairs - held)


def question_bound(question: str, labels: list[str], rows: list[SheetRow] = ()) -> tuple[str, str, float] | None | Literal[False]:
    """(column, op, number) of the bound the question sets, op one of "le" "lt" "ge" "gt"
    ("预算50块以内": the price column at most 50; "超过50GB": the column whose label, or else
    every cell of ``rows``, gives GB; "床位超过500个": the column named just before the
    number); None when it sets none; False when it sets one on a column this sheet does not
    tell (then nothing is ranked: the first row overall would be wrong)."""
    q = fold(question)
    for m in _BOUND.finditer(q):
        before = _PRE_GE.search(q[:m.start()])
        op = "le" if m.group("pre_le") or m.group("post_le") else "lt" if m.group("pre_lt") else \
             "ge" if m.group("post_ge") or before and before.group("ge") else "gt" if before else None
        if op is None:
            continue
        unit = (m.group("unit") or "").lower()
        money = bool(m.group("cur") or unit in _MONEY_UNITS or not unit and re.search(r"预算|budget|花|spend", q))
        if money:
            fits = [label for label in labels if PRICE_LABEL.search(label)]
        else:
            key = _SAME_UNIT.get(unit, "月" if unit in ("个月", "月") else unit)
            # (the column whose unit it is: 30GB of 通用流量(GB), or of a column of "30GB" cells)
            fits = []
            if key:
                fits = [label for label in labels if any(key in fold(u) for u in LABEL_UNIT.findall(label))] \
                    or [label for label in labels if rows and all(key in fold(r.cells.get(label, "")) for r in rows)]
        if len(fits) != 1 and (fits or not money):
            # (or the one the words before the number name: 床位 of 床位數; of two prices,
            # 平日 of 平日租一小时不用500块)
            named = q[max(0, (before.start() if before else m.start()) - 8):before.start() if before else m.start()]
            scored = sorted(((_shared(named, label), label) for label in (fits if money else labels)), reverse=True)
            fits = [scored[0][1]] if scored and scored[0][0] >= _WELL_NAMED and (
                len(scored) == 1 or scored[1][0] < scored[0][0]) else fits
        return (fits[0], op, float(m.group("n"))) if len(fits) == 1 else False
    # Any other number is a condition this does not read (合约期24个月的套餐中): rank nothing;
    # but not one a column's label holds (2025 of 2025预算（万元）).
    said = "".join(fold(label) for label in labels)
    return False if any(n not in said for n in re.findall(r"\d+", q)) else None


def within(value: float, op: str, limit: float) -> bool:
    return {"le": value <= limit, "lt": value < limit, "ge": value >= limit, "gt": value > limit}[op]


_OP_SIGN = {"le": "≤", "lt": "<", "ge": "≥", "gt": ">"}


def named_rows(question: str, rows: list[SheetRow], labels: list[str], title: str = "") -> list[SheetRow] | None:
    """The rows a question narrows to by naming part of their first text cell ("家庭套餐里"
    of 家庭融合A, 家庭融合B); all rows when it names none; None when it names a word that
    only other cells of some rows hold (a condition this does not read). A word of the
    document's ``title`` names the document, not rows (栖川 of 栖川地铁线路基本情况表, though
    a station is called 栖川火车站)."""
    from .lexical import STOPWORDS, segment

    named_in_labels = "".join(fold(label) for label in labels) + fold(title)
    kind = _kind(rows)  # (医院 of 哪家医院 is what the rows are, not which)
    words = [w for w in segment(fold(question)) if len(w) >= 2 and w not in named_in_labels and not re.search(r"\d", w)
             and not set(w) <= kind and w.strip() not in STOPWORDS]

    def holds(w: str, value: str) -> bool:  # (an English word whole: "in" is not in "Printed")
        return bool(re.search(rf"\b{re.escape(w)}\b", fold(value))) if w.isascii() else w in fold(value)

    for w in words:
        first = [r for r in rows if holds(w, next(iter(r.cells.values())))]
        if first and len(first) < len(rows):
            return first
        if any(holds(w, v) for r in rows for v in list(r.cells.values())[1:]) and not all(
                any(holds(w, v) for v in r.cells.values()) for r in rows):
            return None
    return rows


# How much of a column's label a question must write for a note to answer it in the
# question's words: two Chinese characters (月费, 开通 of 首段开通年份), or an English word.
_WELL_NAMED = 2


def _shared(question: str, label: str) -> int:
    """How much of the column ``label`` (its unit left out) the question writes: Chinese
    characters; the letters of an English label's words of three letters or more, each
    found by its first four ("goals" of "Goals for")."""
    q, name = fold(question), fold(LABEL_UNIT.sub("", label))
    if re.search(r"[a-z]", name):
        return sum(len(w) for w in re.findall(r"[a-z]{3,}", name) if w[:4] in q)
    return sum(1 for ch in set(name) if ch in q)


def asked_column(question: str, labels: list[str], asked: Superlative) -> str | None:
    """The column the question ranks by: the numeric column whose label shares the most
    characters (letters: words) with the question (通用流量(GB) for 通用流量最多, not
    定向流量(GB)); asked what is cheapest and naming none, the price column; what is
    newest, earliest and the like, the date column."""
    if not labels:
        return None
    if _PRICE_Q.search(fold(asked.word)):
        # (A price word names the price column, whatever a character shared with another
        # says: 课 of 哪门课最贵 is the rows' kind, not 课时; among prices, the one named.)
        prices = [label for label in labels if PRICE_LABEL.search(label)]
        if len(prices) == 1:
            return prices[0]
        labels = prices or labels
    scored = [(_shared(question, label), -i, label) for i, label in enumerate(labels)]
    best = max(scored)
    tied = sum(1 for s in scored if s[0] == best[0]) > 1
    # (English labels tied by the word they share name different measures: "the most goals"
    # is not Goals for rather than Goals against.)
    if best[0] > 0 and not tied or best[0] >= 2 and not (tied and re.search(r"[a-z]", fold(best[2]))):
        return best[2]
    for words, kind in ((_PRICE_Q, PRICE_LABEL), (_TIME_Q, _TIME_LABEL)):
        if words.search(fold(asked.word)):
            fits = [label for label in labels if kind.search(label)]
            return fits[0] if len(fits) == 1 else None
    return None


def _without_kind(question: str, rows: list[SheetRow]) -> str:
    """``question`` without the characters that most rows' names share (医院 of 泠川县人民医院,
    中医医院…): they name the kind of thing the rows are, not a column -- 哪家医院的医生人数最多
    ranked 建院年份 by its 院 where the table has no 医生人数."""
    kind = _kind(rows)
    return "".join(ch for ch in question if fold(ch) not in kind)


def _kind(rows: list[SheetRow]) -> set[str]:
    """The Chinese characters that more than half the rows' names hold (folded)."""
    names = [fold(row_name(r)) for r in rows]
    return {ch for ch in set("".join(names)) if CJK_CHAR.match(ch) and sum(ch in n for n in names) * 2 > len(names)}


def ranked_row(question: str, doc: Document, region: Region) -> RankedRow | None:
    """The row of ``region`` (a sheet's or table's rows) that ranks first by the column a
    superlative question asks about, or None: no superlative, no column it names, fewer
    than three rows, or a tie for first."""
    asked = superlative(question)
    if asked is None or not region.location.holds_rows:
        return None
    rows = sheet_rows(doc, region)
    if len(rows) < _MIN_ROWS:
        return None
    labels = list(rows[0].cells)
    numeric = figure_columns(rows)
    bound = question_bound(question, numeric, rows)
    if bound is False:
        return None
    if bound:  # (the bound's column is not the one ranked: 50块以内 names 月费, 流量最多 ranks 流量)
        bounded, op, limit = bound
        rows = [r for r in rows if (v := cell_number(r.cells.get(bounded, ""))) is not None and within(v, op, limit)]
        numeric = [label for label in numeric if label != bounded]
    rows = named_rows(question.replace(asked.word, " "), rows, labels, doc.title)  # (第二 of 第二多 names no row)
    if not rows:
        return None
    label = asked_column(_without_kind(question, rows), numeric, asked)
    if label is None or _measured_elsewhere(question, label, doc):
        return None
    valued = [(v, r) for r in rows if (v := cell_measure(r.cells.get(label, ""), asked.word)) is not None]
    if not valued:
        return None
    # (The n-th value in that order, when no row ties with it or with one before it.)
    values = sorted({v for v, _ in valued}, reverse=asked.direction == "max")
    if len(values) < asked.nth or any(sum(v == w for v, _ in valued) > 1 for w in values[:asked.nth]):
        return None
    first = next(r for v, r in valued if v == values[asked.nth - 1])
    # The question answered in its own words, only when it names the column well: by one
    # shared character (度 of 上传速度 and 线路长度) a column was ranked that the question
    # does not ask about, and the statement would vouch for a wrong answer.
    name = row_name(first)
    said = put_in(question, name) if name and _shared(question, label) >= _WELL_NAMED else ""
    return RankedRow(first.start, first.end, first.number, label, asked.word, asked.direction, len(valued), said)


# Asked which rows have or lack a yes/no column's mark ("哪个套餐不支持5G？" of 是否5G: 否):
# the rows that do, when they are few -- the model, shown rows of 是, named one of them.
_YES = frozenset({"是", "有", "支持", "yes", "y", "√", "✓", "true"})
_NO = frozenset({"否", "无", "不支持", "no", "n", "×", "✗", "false"})
_FLAG_LEAD = re.compile(r"^(?:是否|有无|能否|可否|是不是|支持|has|is|supports?)\s*", re.I)
_NEGATED = re.compile(r"[不没无非]|\bnot\b|n't\b|\bwithout\b|\bno\b", re.I)
_WHICH = re.compile(r"哪|\bwhich\b|\bwhat\b", re.I)
_CODE = re.compile(r"[A-Za-z]{0,4}[-_]?\d+(?:[-_]\d+)*")  # an id (T003, CG-2025-001), not what a row is
_FEW = 5  # more rows than this are a list to read, not an answer to point at


def asks_which(question: str) -> bool:
    return bool(_WHICH.search(question))


_ASKED_KIND = re.compile(rf"{WHICH_WORD}([{CJK}]{{2,8}})")


def asked_kind(question: str) -> str:
    """The kind of thing a Chinese question asks which of, folded (地铁线 of 哪条地铁线每天…,
    one word as segmented); "" when it names none."""
    from .lexical import segment

    m = _ASKED_KIND.search(fold(question))
    word = next(iter(segment(m.group(1))), "") if m else ""
    return word if len(word) >= 2 else ""


@dataclass(frozen=True)
class FlaggedRows:
    """The rows of a sheet whose cell of ``label`` reads ``value`` (a yes/no mark, or a value
    several rows share)."""

    rows: list[tuple[int, int, int]]  # (start, end, row number) of each
    label: str
    value: str
    total: int
    names: list[str] = field(default_factory=list)  # what the rows are, when the note lists them


def marked_rows(q: str, rows: list[SheetRow]) -> tuple[str, list[SheetRow]] | None:
    """The first yes/no column the folded question names (5G of 是否5G; "dogs allowed" by
    "allow dogs") and the rows with the mark it asks for (否 when it negates: 不支持5G);
    None when it names none."""
    for label in rows[0].cells:
        values = [fold(r.cells.get(label, "")).strip() for r in rows]
        key = fold(_FLAG_LEAD.sub("", LABEL_UNIT.sub("", label))).strip()
        if not key or not all(v in _YES | _NO for v in values):
            continue
        at = q.find(key)
        if at < 0 and (words := re.findall(r"[a-z]{3,}", key)):  # (an English label by its words, each by its first four letters)
            found = [m.start() for w in words if (m := re.search(rf"\b{w[:4]}", q))]
            at = min(found) if len(found) == len(words) else -1
        if at < 0:
            continue
        # (the negation just before it: 不支持5G; "does not support 5G", three words back)
        window = q[max(0, at - 4):at] if CJK_CHAR.search(q) else " ".join(q[:at].split()[-3:])
        wanted = _NO if _NEGATED.search(window) else _YES
        return label, [r for r, v in zip(rows, values) if v in wanted]
    return None


def flagged_rows(question: str, doc: Document, region: Region) -> FlaggedRows | None:
    """The few rows a which-question picks by a yes/no column it names (5G of 是否5G), with
    the mark it asks for (否 when it negates: 不支持5G), or by a value it names that several
    rows share (技术部); None when it picks none, all, or more than a few."""
    if not asks_which(question) or not region.location.holds_rows:
        return None
    rows = sheet_rows(doc, region)
    if len(rows) < _MIN_ROWS:
        return None
    q = fold(question)
    if flagged := marked_rows(q, rows):
        label, picked = flagged
        if 1 <= len(picked) <= _FEW and len(picked) < len(rows):
            return FlaggedRows([(r.start, r.end, r.number) for r in picked], label, picked[0].cells[label].strip(),
                               len(rows), [row_name(r) for r in picked])
    # ...or by a bound it sets on a column of figures ("月租50块以下的有哪些？", "which
    # trails are under 10 km?"): the rows within it.
    numeric = figure_columns(rows)
    if not superlative(question) and (bound := question_bound(question, numeric, rows)):
        label, op, limit = bound
        picked = [r for r in rows if (v := cell_number(r.cells.get(label, ""))) is not None and within(v, op, limit)]
        if 1 <= len(picked) <= _FEW and len(picked) < len(rows):
            return FlaggedRows([(r.start, r.end, r.number) for r in picked], label, f"{_OP_SIGN[op]}{limit:g}",
                               len(rows), [row_name(r) for r in picked])
    # ...or by a value it names of a column whose values repeat ("技术部申请了哪些东西？" of
    # 申请部门), each such value a condition the rows meet.
    columns = {label: [fold(r.cells.get(label, "")).strip() for r in rows] for label in list(rows[0].cells)[1:]}
    named = [(label, v) for label, values in columns.items() if len(set(values)) < len(values)
             for v in set(values) if len(v) >= 2 and not re.fullmatch(r"[\d.,:]+", v) and v in q]
    picked = [r for i, r in enumerate(rows) if named and all(columns[label][i] == v for label, v in named)]
    if 1 <= len(picked) <= _FEW and len(picked) < len(rows):
        label = named[0][0]
        # (Listed in the note: shown four rows of Shed B, the model named the first.)
        name = next((c for c in rows[0].cells if all(re.search(r"[^\W\d_]", r.cells.get(c, "")) and not
                                                     _CODE.fullmatch(r.cells.get(c, "").strip()) for r in picked)), None)
        return FlaggedRows([(r.start, r.end, r.number) for r in picked], label, picked[0].cells[label].strip(),
                           len(rows), [r.cells[name].strip() for r in picked] if name else [])
    return None


# What the model is told about a row (it reads the row; the note says why it is there).
_RANKED = {"zh": "（{label}{word}的一行，共{n}行）", "en": "(the row with the {word} {label} of {n} rows)"}
_RANKED_SAID = {"zh": "（{answer}。{label}{word}的一行，共{n}行）", "en": "({answer}: the row with the {word} {label} of {n} rows)"}
_FLAGGED = {"zh": "（{label}为“{value}”的{k}行之一，共{n}行）", "en": "(one of the {k} rows of {n} whose {label} is \"{value}\")"}
_LISTED = {"zh": "（{label}为“{value}”的{k}行之一，共{n}行：{names}）",
           "en": "(one of the {k} rows of {n} whose {label} is \"{value}\": {names})"}
_FLAGGED_ONE = {"zh": "（{label}为“{value}”的唯一一行，共{n}行）", "en": "(the only row of {n} whose {label} is \"{value}\")"}


def ranked_note(ranked: RankedRow, lang: Lang) -> str:
    """Why the row is the passage, led by the question answered in its own words when it can
    be ("栖川地铁最早开通的是1号线"): the model's answer restates the question, and a row
    line does not say what the question says of it (最早开通)."""
    notes = _RANKED_SAID if ranked.answer else _RANKED
    return notes["en" if lang == "en" else "zh"].format(answer=ranked.answer, label=ranked.label, word=ranked.word,
                                                        n=ranked.rows)


def flagged_note(flagged: FlaggedRows, lang: Lang) -> str:
    notes = _FLAGGED_ONE if len(flagged.rows) == 1 else _LISTED if flagged.names else _FLAGGED
    lang = "en" if lang == "en" else "zh"
    return notes[lang].format(label=flagged.label, value=flagged.value, k=len(flagged.rows), n=flagged.total,
                              names=("、" if lang == "zh" else ", ").join(flagged.names))


# (A row's name may hold brackets: 羽球場（單面）, its note's list ends at the last one.)
_LISTED_NAMES = re.compile(r"行之一，共\d+行：(?P<zh>.+)）$|^\(one of the \d+ rows of \d+ whose .*?\": (?P<en>.+)\)$")


def listed_names(note: str) -> list[str]:
    """The rows' names a flagged_note lists (what the rows a which-question picked are), in
    the rows' order; [] for any other note."""
    m = _LISTED_NAMES.search(note.strip())
    return (m.group("zh").split("、") if m.group("zh") else m.group("en").split(", ")) if m else []


def ranked_in_workbook(question: str, doc: Document, region: Region) -> tuple[RankedRow, Region] | None:
    """ranked_row in ``region`` (the retrieved passage's), or, in a workbook of several
    sheets where others rank a row too, in the sheet whose name shares the most characters
    with the question: "最早开通的是哪条线？" ranks 首段开通年份 of 已开通线路, not 计划开通年份
    of 在建及规划线路, whose row was retrieved first. (Of sheets alike, the retrieved one.)"""
    found = [(ranked, region)] if (ranked := ranked_row(question, doc, region)) else []
    if len(sheet_names(doc)) > 1:
        q = fold(question)
        found += [(ranked, r) for r in doc.regions
                  if r.location.kind == "sheet" and r.location.name != region.location.name
                  and (ranked := ranked_row(question, doc, r))]
        found.sort(key=lambda f: -sum(ch in q for ch in set(fold(f[1].location.name))))  # (stable: ties keep order)
    return found[0] if found else None
