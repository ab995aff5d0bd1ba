"""Where a short answer stands in the document: the candidate as the cited text writes it.

short.py picks what answers; this module finds it in a verified quote or its passage, runs
it on to the document's own words where the model shortened them, and keeps brackets whole.
"""

from __future__ import annotations

import re

from . import restated as rs
from .numerals import CN_NUMBER, EN_NUMBER, cn_number, dates, en_number
from .zh import CJK_CHAR, NAME_DOTS, fold_each, without_full_stop


def locate(candidate: str, sources: list[tuple[str, str]]) -> str | None:
    """``candidate`` as the first of ``sources`` (text, folded text) that has it writes it:
    the longest part of it found there, if that is most of it."""
    wanted = fold_each(candidate)
    if not wanted:
        return None
    for source, folded in sources:
        target = _spelled(wanted, folded)
        a, b = _longest_common(target, folded)
        if b - a and (b - a) >= max(1, 0.6 * len(target)):
            a, b = _bridge(target, folded, a, b)
            a, b = _whole_words(folded, a, b)
            return quoted(without_full_stop(source[a:b].strip().lstrip("，,、；;：:"))) or None
    return _same_date(candidate, sources)


def _same_date(candidate: str, sources: list[tuple[str, str]]) -> str | None:
    """A date the model wrote out (2021年9月6日) as the source writes it (2021-09-06, a
    sheet's cell): the first date there with the same year, month and day."""
    found = dates(candidate.strip())
    if len(found) != 1 or found[0].day is None or found[0].end - found[0].start != len(candidate.strip()):
        return None
    d = found[0]
    for source, _ in sources:
        for s in dates(source):
            if (s.month, s.day) == (d.month, d.day) and (d.year is None or s.year == d.year):
                return source[s.start:s.end]
    return None


# A number on its own: not part of 5,000 or 3.5 (a comma or point *between* digits). The
# comma after "1:5," ends the number.
_NOT_IN_NUMBER_BEFORE, _NOT_IN_NUMBER_AFTER = r"(?<!\d)(?<!\d[.,])", r"(?!\d|[.,]\d)"


def _spelled(target: str, folded: str) -> str:
    """``target`` with each number the source spells out ("four", "thirty-seven", 一个)
    written as the source does: the model writes digits for them ("4", "37", 1个)."""
    if not any(c.isdigit() for c in target):
        return target
    # A percentage as English writes it: 62% of the answer, "62 percent" in the text.
    target = re.sub(r"(\d)\s*%", lambda m: m.group(1) + " percent" if f"{m.group(1)} percent" in folded else m.group(0),
                    target)
    words: dict[int, str] = {}
    for m in EN_NUMBER.finditer(folded):
        words.setdefault(en_number(m), m.group(0))
    for m in CN_NUMBER.finditer(folded):
        if (n := cn_number(m.group(0))) is not None:
            words.setdefault(n, m.group(0))

    def word(m: re.Match) -> str:  # (a number the source also has in digits stays digits)
        digits = re.search(rf"{_NOT_IN_NUMBER_BEFORE}{m.group(0)}{_NOT_IN_NUMBER_AFTER}", folded)
        return m.group(0) if digits else words.get(int(m.group(0)), m.group(0))
    return re.sub(rf"{_NOT_IN_NUMBER_BEFORE}\d{{1,2}}{_NOT_IN_NUMBER_AFTER}", word, target)



_OPENS, _CLOSES = "「『《“（(", "」』》”）)"


def quoted(span: str) -> str:
    """A span never holds half of a bracket pair. One that starts inside quotes and runs
    out of them ("雙汗制」傳統影響下": the model left the 「」 out) keeps the quoted words,
    the name; one that runs into quotes it does not close keeps what stands before them."""
    depth = 0
    for i, ch in enumerate(span):
        if ch in _OPENS:
            depth += 1
        elif ch in _CLOSES:
            if depth == 0:
                return span[:i] if i >= 2 else span
            depth -= 1
    if depth:
        opened = max(span.rfind(c) for c in _OPENS)
        return span[:opened].rstrip() if opened >= 2 else span
    return span


# Where the model left words out of a name or a place ("浙江省嘉兴市|许村镇…" for the
# document's "浙江省嘉兴市海宁市许村镇…"), the part it copied is only the longest common
# stretch. The span runs on to where the candidate's own first and last two characters
# stand in the document, when they stand close by in the same sentence.
_BRIDGE_SLACK = 4
_SENTENCE_END = re.compile(r"[。！？!?；;\n]")


def _bridge(target: str, folded: str, a: int, b: int) -> tuple[int, int]:
    """``folded[a:b]`` (the longest part of ``target`` found) widened to the document's
    words for what ``target`` says before and after it."""
    t0 = target.find(folded[a:b])
    before, after = target[:t0], target[t0 + b - a:]
    if len(before) >= 2:
        lo = max(0, a - len(before) - _BRIDGE_SLACK)
        at = folded.rfind(before[:2], lo, a)
        if at >= 0 and not _SENTENCE_END.search(folded, at, a):
            a = at
    if len(after) >= 2:
        hi = min(len(folded), b + len(after) + _BRIDGE_SLACK)
        at = folded.find(after[-2:], b, hi)
        if at >= 0 and not _SENTENCE_END.search(folded, b, at):
            b = at + 2
    # A transliterated name the model spelled differently on one side of its dot (傑里·威斯特
    # for 傑瑞·威斯特): the document's whole name, not half of it after the dot.
    if before and folded[a:a + 1] in NAME_DOTS:
        while a > 0 and t0 > 0 and CJK_CHAR.match(folded[a - 1]):
            a, t0 = a - 1, t0 - 1
    if after and folded[b - 1:b] in NAME_DOTS:
        n = len(after)
        while b < len(folded) and n > 0 and CJK_CHAR.match(folded[b]):
            b, n = b + 1, n - 1
    return a, b


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _whole_words(folded: str, a: int, b: int) -> tuple[int, int]:
    """A span that ends or starts inside a Latin word is widened to the whole word: the
    model's "38 km" is the document's "38 kilometres", not "38 k"."""
    while 0 < a < len(folded) and _latin(folded[a - 1]) and _latin(folded[a]):
        a -= 1
    while 0 < b < len(folded) and _latin(folded[b - 1]) and _latin(folded[b]):
        b += 1
    return a, b


def locate_head(candidate: str, sources: list[tuple[str, str]], apart: bool = False) -> str | None:
    """The start of ``candidate`` as a source writes it: half of it at least (the model ran
    the answer into words the document keeps apart: "北宋初置" for "北宋，初置"), or its
    first clauses (a description the model joined from two places). ``apart``: only where
    the source does set the head apart, by punctuation after it."""
    target = fold_each(candidate)
    for source, folded in sources:
        a, b = _longest_common(target, folded)
        n = b - a
        if folded[a:b] != target[:n] or n < 2 or apart and not re.match(r"[^\w\s]", folded[b:b + 1]):
            continue
        if n >= 0.5 * len(target) or n >= 4 and target[n:n + 1] in ("，", ",", "；", ";"):
            return without_full_stop(source[a:b].strip().rstrip(rs.EDGE + "，,；;、")) or None
    return None


def _longest_common(target: str, source: str) -> tuple[int, int]:
    """(start, end) in ``source`` of the longest substring of ``target`` it contains."""
    best = (0, 0)
    for a in range(len(target)):
        for b in range(len(target), a + (best[1] - best[0]), -1):
            at = source.find(target[a:b])
            if at >= 0:
                best = (at, at + b - a)
                break
    return best


# A list the model wrote its own way (甲和乙 for the document's 「甲」&「乙」; 甲、乙 for its
# "甲(A)、乙(B)"): its items in order in one stretch of a source, with nothing between them
# but separators, brackets and glosses in parentheses.
_LIST_GAP = 24
_GLOSS = re.compile(r"[（(][^（）()]{0,20}[）)]")
_SEPARATORS = re.compile(r"[\s、，,&/「」『』《》“”\"'和及与或以]*")


def locate_list(items: list[str], sources: list[tuple[str, str]], leading: bool = False) -> str | None:
    """The stretch of the first source that lists ``items`` (two or more, of two characters
    or more) in that order, brackets kept whole; None when none lists them so. ``leading``:
    else the most of the first items that one source lists together, two at least -- the
    model joined into one list what the document says in two places ("宝石山、老虎岭，
    最高峰X" answered "宝石山、老虎岭、X"). (One item alone is no list: the model's list
    of three modifiers, "自私的、出於無限制的、野蠻的", is not a list of answers.)"""
    wanted = [fold_each(i.strip()) for i in items]
    if len(wanted) < 2 or any(len(w) < 2 for w in wanted):
        return None
    best: tuple[int, str, str, int, int] | None = None  # (items listed, source, folded, a, b)
    for source, folded in sources:
        a = folded.find(wanted[0])
        while a >= 0:
            b, listed = a + len(wanted[0]), 1
            for w in wanted[1:]:
                at = folded.find(w, b, b + _LIST_GAP + len(w))
                if at < 0 or not _SEPARATORS.fullmatch(_GLOSS.sub("", folded[b:at])):
                    break
                b, listed = at + len(w), listed + 1
            if listed == len(wanted):
                return _listed(source, folded, a, b)
            if best is None or listed > best[0]:
                best = (listed, source, folded, a, b)
            a = folded.find(wanted[0], a + 1)
    return _listed(*best[1:]) if leading and best and best[0] >= 2 else None


def _listed(source: str, folded: str, a: int, b: int) -> str:
    """source[a:b], the list found there, with the gloss of its last item and the brackets
    around its first and last."""
    if m := _GLOSS.match(folded, b):  # ...as the other items are, with its gloss
        b = m.end()
    # (The brackets around the first and last item belong to the list, when they are not
    # around the whole list: 「甲」&「乙」, not （甲、乙）.)
    if quoted(folded[a:b]) != folded[a:b] and a > 0 and folded[a - 1] in _OPENS \
            and b < len(folded) and folded[b] in _CLOSES:
        a, b = a - 1, b + 1
    return quoted(source[a:b])
