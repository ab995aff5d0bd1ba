"""Support score: how much of a claim a passage vouches for, by plain lexical overlap (no
model, fast), used by the cite stage to verify every claim of an answer:

* overlap: share of the claim's content units (CJK character bigrams, Latin word
  unigrams, after dropping function words) that occur in the passage;
* numbers are strict: every number in the claim must occur in the passage, or the pair
  scores 0 whatever the overlap ("650亿" against a passage saying "560亿").

Known limits: overlap cannot see a reversed relation built from the passage's own words,
and Chinese numerals (两倍, 五百) are not checked as numbers.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Iterable

from .lexical import segment
from .markers import strip_markers
from .records import LABEL_UNIT, Chunk, Citation, header_labels, labelled_cells, row_cells
from .rows import row_headers
from .polarity import dropped_negation
from .numerals import (CN_NUMBER, CURRENCY_SIGNS, CURRENCY_WORD, HH_MM, PART_NUMBER, TOTAL_LABEL, TOTAL_SAID, DateParts,
                       EN_NUMBER, cn_number, dates, en_number)
from .zh import CJK, CJK_CHAR, EN_STOP, claim_sentences, fold, stem_en

_TOKEN = re.compile(rf"[{CJK}]+|[a-z0-9]+")
_ZH_STOP = set("的了是在和与及也都而就被把对为其这那有等中")


def _normalise(text: str) -> str:
    """NFKC (full-width digits and punctuation), lower case, simplified characters (an
    answer in one script is checked against a passage in the other), no thousands
    separators."""
    text = fold(strip_markers(text))
    return re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)


def _units(norm: str) -> list[str]:
    """Distinct content units: CJK bigrams (function characters removed) and Latin words.
    Pure digits are left to the number rule; a lone letter (the s of "Farsail's") or a
    lone CJK character is too common to count."""
    units: list[str] = []
    for token in _TOKEN.findall(norm):
        if token[0].isascii():
            if len(token) > 1 and not token.isdigit() and token not in EN_STOP:
                units.append(stem_en(token))
        else:
            # A function character is dropped where it stands alone (的 of 东周的首都), not
            # inside a word (都 of 首都, 中 of 中山): deleting it there made "东周首洛邑", whose
            # bigrams no passage has. Replays: +1 right answer on three held-out splits, none lost.
            run = token
            if any(c in _ZH_STOP for c in token):
                run = "".join(w for w in segment(token) if not (len(w) == 1 and w in _ZH_STOP))
            units.extend(run[i : i + 2] for i in range(len(run) - 1))
    return list(dict.fromkeys(units))


# 千克, 千米, 千瓦, 百分 are units, not thousands or hundreds: "83千克" is 83, not 83,000.
_MAGNITUDE = r"万亿|千亿|百亿|亿|千万|百万|万|千(?![克米瓦卡焦帕赫])|百(?!分)|%|‰"
_NUMBER = re.compile(
    rf"(?<![\d.])(\d+(?:\.\d+)?)"
    rf"(?:\s*({_MAGNITUDE})|\s+(million|billion|trillion|thousand|percent)\b)?"
)


def _canon(number: str) -> str:
    """3.70 -> 3.7, 09 -> 9, so equal values compare equal."""
    whole, _, frac = number.partition(".")
    whole, frac = whole.lstrip("0") or "0", frac.rstrip("0")
    return f"{whole}.{frac}" if frac else whole


def _date_parts(d: DateParts) -> list[str]:
    return [_canon(str(v)) + unit for v, unit in zip((d.year, d.month, d.day), "年月日") if v]


def _number(m: re.Match) -> tuple[str, str]:
    unit = m.group(2) or m.group(3) or ""
    return _canon(m.group(1)), "%" if unit == "percent" else unit


# Counting words after a number say what is counted: "10名员工" is not vouched for by
# "10月" (a model answered "裁掉了10名员工" from a passage about October). 名/人/位 count
# people alike. Dates, money and percentages are judged by the rules above.
_COUNTED = {**dict.fromkeys("名人位", "人"), **{c: c for c in "家个款颗轮次辆台件项倍岁篇条座所艘架"}}


# A spreadsheet row or form field: "件数: 23", "职工人数：140". The label says what the
# number counts, as a counting word after it would ("23件", "140人").
_LABEL = re.compile(r"([^\s|:：,，;；。]{1,8})\s*[:：]\s*$")


def _counted(norm: str, m: re.Match) -> tuple[str, str] | None:
    """(value, unit×counted) when a counting word follows the number, else None."""
    follow = norm[m.end():m.end() + 2].lstrip()
    kind = _COUNTED.get(follow[:1])
    if kind is None:
        return None
    value, unit = _number(m)
    return value, f"{unit}×{kind}"


# An amount of money: a currency sign before the number, or (in a passage) a currency word
# after it. The model's "$10.00" is not vouched for by the "10:00" of an opening time.
_CURRENCY_WORD = re.compile(rf"\s*(?:{CURRENCY_WORD})")


def _money(norm: str, m: re.Match, signed_only: bool = False) -> tuple[str, str] | None:
    """(value, unit¤) when the number is an amount of money, else None. A claim's amount
    is money only by its sign ("10 dollars" stays a plain 10, as the passage may give the
    currency elsewhere)."""
    signed = norm[max(0, m.start() - 1):m.start()] in tuple(CURRENCY_SIGNS)
    if not signed and (signed_only or not _CURRENCY_WORD.match(norm, m.end())):
        return None
    value, unit = _number(m)
    return value, unit + "¤"


def _labelled(norm: str, m: re.Match) -> set[tuple[str, str]]:
    """What a labelled value counts: "件数: 23" vouches for "23件"."""
    label = _LABEL.search(norm, max(0, m.start() - 12), m.start())
    if label is None:
        return set()
    value, unit = _number(m)
    return {(value, f"{unit}×{_COUNTED[c]}") for c in label.group(1) if c in _COUNTED}


# A clock time is one fact, as a date is: the model's "0:00" is not vouched for by the 0 and
# 00 of "09:00". A passage vouches for it by its own times, or by an hour in words ("9点",
# "下午5时30分", "9 am"), in both clocks where the afternoon is said (下午5时 for 17:00).
_HOUR = re.compile(r"(?<![\d.])(?<!\d:)(\d{1,2})\s*(?:[点时](?:\s*(\d{1,2})\s*分|(半))?|(?=\s*[ap]\.?m\b))")
_LATE = re.compile(r"(?:下午|晚上|傍晚|晚间|夜间)\s*$")
_PM = re.compile(r"\s*p\.?m\b")


def _times(norm: str) -> tuple[list[str], set[str]]:
    """The clock times ``norm`` states (HH:MM, as "9:05") and those it vouches for."""
    stated = [f"{int(h)}:{m}" for h, m in HH_MM.findall(norm)]
    offered = set(stated)
    for m in [*HH_MM.finditer(norm), *_HOUR.finditer(norm)]:
        hour = int(m.group(1))
        minute = m.group(2) or ("30" if m.lastindex and m.lastindex >= 3 and m.group(3) else "00")
        late = _LATE.search(norm, max(0, m.start() - 4), m.start()) or _PM.match(norm, m.end())
        hours = {hour, hour + 12} if late and hour < 12 else {hour, hour - 12} if hour > 12 else {hour}
        offered |= {f"{h}:{int(minute):02d}" for h in hours}
    return stated, offered


def _numbers(norm: str) -> tuple[list[tuple[str, str]], set[tuple[str, str]]]:
    """What a text states -- (value, unit), whole dates as ("date", "1月9日") -- and what it
    can vouch for: those, every part of its dates, and every value without its unit (a
    claim's bare "560" is vouched for by "560亿", but its "560万" is not)."""
    stated: list[tuple[str, str]] = []
    offered: set[tuple[str, str]] = set()
    # 2023年4月, 2023年4月10日, 1月9日: one fact, so one token ("1月19日" must not pass
    # because the passage has "1月" and "19" somewhere).
    undated = norm
    for d in reversed(dates(norm)):
        parts = _date_parts(d)
        if len(parts) > 1:
            stated.append(("date", "".join(parts)))
            offered.update(("date", "".join(parts[i:j]))
                           for i in range(len(parts)) for j in range(i + 2, len(parts) + 1))
            undated = undated[:d.start] + " " + undated[d.end:]
    stated.reverse()
    times, clocks = _times(norm)
    stated += [("time", t) for t in times]
    offered |= {("time", t) for t in clocks}
    undated = HH_MM.sub(" ", undated)
    stated += [_counted(undated, m) or _money(undated, m, signed_only=True) or _number(m)
               for m in _NUMBER.finditer(undated)]
    for m in _NUMBER.finditer(norm):
        value, unit = _number(m)
        offered.update({(value, unit), (value, "")})
        if money := _money(norm, m):
            offered.add(money)
        counted = _counted(norm, m)
        if counted:
            offered.add(counted)
        offered |= _labelled(norm, m)
    # A count in Chinese characters vouches for the same count in digits: "五名队员" for
    # "5名队员" (the model often writes digits). Only before a counting word or 年, maybe
    # after 多/余 ("一百多年" for "100多年", "一九四五年" for "1945年"): 一些, 十分 are not numbers.
    # Or after 第, an ordinal: "第五大城市" for "第5大城市".
    for m in CN_NUMBER.finditer(norm):
        after = norm[m.end():m.end() + 2]
        after = after[1:] if after[:1] in "多余" else after[:1]
        kind = _COUNTED.get(after) or ("年" if after == "年" else None)
        value = cn_number(m.group(0)) if kind or norm[m.start() - 1:m.start()] == "第" else None
        if value is not None:
            offered.add((str(value), ""))
            if kind:
                offered.add((str(value), f"×{kind}"))
    # Likewise in English: "seven days" vouches for the model's "7 days", "four" for "4".
    for m in EN_NUMBER.finditer(norm):
        offered.add((str(en_number(m)), ""))
    return stated, offered


@dataclass(frozen=True)
class Profile:
    units: tuple[str, ...]
    numbers: tuple[tuple[str, str], ...]  # stated by the text
    offers: frozenset[tuple[str, str]]  # vouched for by the text
    content_chars: int


# A number with the unit characters that cling to it ("1月9日", "2014年", "560亿"): cut out
# before bigrams are taken, as the number rule judges it, and "日登" (from "1月9日登陆")
# is not a word.
_NUMERIC = re.compile(r"\d+(?:\.\d+)?\s*(?:[年月日号万亿%‰]|千(?![克米瓦卡焦帕赫])|百(?!分))*")


@lru_cache(maxsize=4096)  # passages are profiled once per claim otherwise
def profile(text: str) -> Profile:
    """What ``text`` says, as the support score compares it: content units and numbers."""
    norm = _normalise(text)
    stated, offered = _numbers(norm)
    units = _units(_NUMERIC.sub(" ", norm))
    chars = sum(len(u) for u in units if u.isascii())
    chars += sum(c not in _ZH_STOP for c in CJK_CHAR.findall(norm))
    return Profile(tuple(units), tuple(stated), frozenset(offered), chars)


def _overlap(claim: Profile, passage: Profile) -> float:
    vocab = set(passage.units)
    if not claim.units:
        return 1.0 if claim.numbers else 0.0  # a bare number is judged by the number rule
    return sum(u in vocab for u in claim.units) / len(claim.units)


_AVERAGE = re.compile(r"平均|人均|[年月日]均|均值|中位数|\b(?:average|mean|median)\b", re.I)


def _averaged(claim: str, passage: str) -> bool:
    """Does a sentence of ``passage`` give one of the claim's numbers and an average? (A
    sentence, not a clause: "人平均GDP是1306…，到1945年…只剩453" gives both.)"""
    digits = set(re.findall(r"\d+(?:\.\d+)?", _normalise(claim)))
    return any(_AVERAGE.search(sentence) and digits & set(re.findall(r"\d+(?:\.\d+)?", sentence))
               for sentence in re.split(r"[。！!？?\n]", _normalise(passage)))


def says_otherwise(sentence: str, passage: str) -> bool:
    """Does ``sentence`` say otherwise than ``passage``, whose words it may well use? A
    phrase the passage negates stated without its negation (需要自带 of 不需要自带); an average
    the passage does not give ("平均海拔是1286米" from "最高峰…海拔1286米", in a paragraph whose
    年平均气温 is another sentence's)."""
    return dropped_negation(sentence, passage) \
        or bool(_AVERAGE.search(sentence) and re.search(r"\d", sentence) and not _averaged(sentence, passage))


def support_score(sentence: str, passage: str) -> float:
    """0..1: how much of ``sentence`` ``passage`` vouches for; 0 if a number is missing.
    A claim stating a number is judged against the spreadsheet rows of a passage (a sheet's
    chunk: one row a line) by row_supports, when it names one of them."""
    claim, source = profile(sentence), profile(passage)
    if any(number not in source.offers for number in claim.numbers):
        return 0.0
    if says_otherwise(sentence, passage):
        return 0.0
    # A spreadsheet row vouches for a number only through its cell: any of its numbers
    # would pass the number rule, and its few words the overlap (5路的全长是10公里, 10
    # being the fare). A document table's row read under its header may vouch so too; one
    # that does not is judged as before, by the overlap.
    if claim.numbers and any(row_supports(sentence, line) for line in _labelled_lines(passage)):
        return 1.0
    if claim.numbers and (reads := [read for line in passage.splitlines()
                                     if (read := row_supports(sentence, line)) is not None]):
        if any(reads):
            return 1.0
        # ...or the note of a passage of rows picked by arithmetic, which states what no row
        # does: "（骆振华…一共要值2天班，共2行：…）" for the rows of the two days it counted.
        notes = [profile(line) for line in passage.splitlines() if _NOTE_LINE.fullmatch(line.strip())]
        return max((_overlap(claim, note) for note in notes if all(n in note.offers for n in claim.numbers)),
                   default=0.0)
    return _overlap(claim, source)


_NOTE_LINE = re.compile(r"（[^（）\n]+）|\([^()\n]+\)")


def _labelled_lines(passage: str) -> list[str]:
    """A document table's rows in the passage ("| B座 | 96 | 約78,500 |") labelled by their
    header row ("座數: B座 | …"), for row_supports to read as a sheet's: a claim restating the
    question ("B座每戶大概要夾78,500港幣") shares too few words with bare values."""
    headers, out, pos = (row_headers(passage) if "|" in passage else {}), [], 0  # (most passages have no row)
    for line in passage.split("\n"):
        labels = header_labels(headers[pos]) if pos in headers else None
        if labels and (cells := labelled_cells(labels, line)):
            out.append(" | ".join(f"{label}: {value}" for label, value in cells if label and value))
        pos += len(line) + 1
    return out


def invented_numbers(claims: Iterable[str], passages: Iterable[str]) -> list[tuple[str, str]]:
    """The numbers ``claims`` state that none of ``passages`` vouches for: figures of the
    model's own making ("星期六0:00到12:00" read from "週六 09:00-12:00"). The number rule
    leaves such a claim unsupported, but an answer with one verified clause was shown with
    the invented figure in it; here it is found for answer.py to refuse."""
    offers: set[tuple[str, str]] = set()
    for passage in passages:
        offers |= profile(passage).offers
    return [number for claim in claims for number in profile(claim).numbers if number not in offers]


def _cells(row: str) -> list[tuple[str, str]] | None:
    """(label, value) of every cell of a labelled row ("路线: 5路 | 起点: 市政府 | 全程票价（元）:
    10"), folded; None when ``row`` is none."""
    cells = row_cells(row)
    return [(fold(label), fold(value)) for label, value in cells] if cells else None


_TWO_LETTERS = re.compile(r"[^\W\d_]{2}")  # (two characters of words: 张副, not 4张)


def _worded(value: str, cell: str, claim: str) -> bool:
    """Does ``claim`` repeat the words ``cell`` states ``value`` in: the number with the two
    characters after it (4张副 of 含4张副卡) or before it (最多4), as the cell writes them."""
    for m in re.finditer(rf"(?<![\d.]){re.escape(value)}(?![\d.])", cell):
        after, before = cell[m.end():m.end() + 2], cell[max(0, m.start() - 2):m.start()]
        if _TWO_LETTERS.fullmatch(after) and value + after in claim \
                or _TWO_LETTERS.fullmatch(before) and before + value in claim:
            return True
    return False


def row_supports(sentence: str, row: str) -> bool | None:
    """A claim that reads one spreadsheet row: it names the row by a cell's text (5路), and
    each other number it states is the value of a cell whose label it echoes (票价 of
    全程票价（元）: 10): "5路公交车的票价是10元". Word overlap cannot judge it -- the claim
    restates the question's words (公交车), the row has only labels and values -- and a
    value of another row, or of another column (5路的全长是10公里), does not pass. None when
    ``row`` is no labelled row, or the claim names no cell of it or states no number but the
    row's name (5路的终点是机场): the overlap judges that, as for any passage."""
    cells = _cells(row)
    if cells is None:
        return None
    claim = _normalise(sentence)
    # The row's name: a cell's text value (letters or characters, not a bare number) the
    # claim holds whole, not inside a longer number (5路 is not in 15路).
    named = [v for _, v in cells if re.search(r"[^\d\s.:,-]", v)
             and re.search(rf"(?<![\d.]){re.escape(v)}", claim)]
    if not named:
        return None  # (这批货重量为83千克: which row is meant, the overlap judges as before)
    rest = claim
    for v in sorted(named, key=len, reverse=True):
        rest = rest.replace(v, " ")
    numbers = profile(rest).numbers
    if not numbers:
        return None
    def echoed(label: str) -> bool:  # a word of the label (票价 of 全程票价（元）) is in the claim
        # (or a total, 一共, of the column that totals: 金额(元) beside 单价(元))
        return any(len(w) >= 2 and w in claim for w in segment(LABEL_UNIT.sub("", label))) \
            or bool(TOTAL_SAID.search(claim) and TOTAL_LABEL.search(label))

    for value, unit in numbers:
        if value in ("date", "time"):
            # A date or a time is its cell's (入职日期: 2021-09-06 for 2021年9月6日), named by
            # its label when the row holds more than one (末班车 of 首班车: 5:30 | 末班车: 23:00).
            holding = [label for label, v in cells if any(n[0] == value for n in profile(v).numbers)]
            if not any((value, unit) in profile(v).offers and (len(holding) == 1 or echoed(label))
                       for label, v in cells):
                return False
            continue
        # The cell that holds the number, named by a word of its label (票价 of 全程票价;
        # not 首班车 for 末班车), by the label's first character just before the number
        # (重83千克 for 重量), by the counting word after it (23件 for 件数: 23), or -- a
        # cell of words (备注: 含4张副卡，…) -- by its own words around the number, which
        # the claim repeats (家庭融合B含4张副卡).
        kind, at = unit.partition("×")[2], rest.find(value)
        if not any((value, "") in profile(v).offers
                   and (echoed(label) or label[:1] in rest[max(0, at - 2):at] or kind and kind in label
                        or _worded(value, v, claim))
                   for label, v in cells):
            return False
    return True


def best_span(sentence: str, chunk: Chunk) -> tuple[int, int, float]:
    """Document offsets and score of the chunk sentence, or pair of adjacent sentences,
    that best supports ``sentence``. Ties go to the shorter, earlier span; when nothing
    supports it (a changed number) the span with the most overlap is still the one the
    user should compare against."""
    claim = profile(sentence)
    spans = claim_sentences(chunk.text)
    headers = row_headers(chunk.text, chunk.context)  # (a table's row is judged under its header)
    best, best_key = (0, 0, 0.0), (-1.0, -1.0)
    for width in (1, 2):
        for (start, _), (_, end) in zip(spans, spans[width - 1 :]):
            text = chunk.text[start:end]
            score = support_score(sentence, text)
            if width == 1 and start in headers:  # (a row, under its header, may vouch for more)
                score = max(score, support_score(sentence, f"{headers[start]}\n{text}"))
            key = (score, _overlap(claim, profile(text)))
            if key > best_key:
                best, best_key = (start, end, key[0]), key
    start, end, score = best
    return chunk.start + start, chunk.start + end, score


# A line that asks (a FAQ's "问1：边个可以使用会所？") or only heads what follows ("### 6.1 Who
# can work remotely", "第六条 私人教练"): it shares the question's words but states nothing.
_ASKING = re.compile(r"[？?]\s*$")
_HEADING = re.compile(rf"^\s*(?:#+|{PART_NUMBER}|[0-9.]+\s)")
# Half the claim's words: a question read back shares its subject and verb with the clause
# that states the rule (租客|会所 of 租客可以用会所 in "租客须…方可使用会所"), not its 可以.
_STATES = 0.5


def stating_sentence(claim: str, citations: list[Citation]) -> Citation | None:
    """The citation narrowed to the sentence of its passage that best supports ``claim``
    (then the most overlap, then the shortest), among sentences that state something: not a
    question line, not a heading of under ten content characters; None when none supports
    it. Its quote, offsets and score are that sentence's: what the user is sent to."""
    scored = []
    for c in citations:
        for a, b in claim_sentences(c.chunk.text):
            text = c.chunk.text[a:b]
            if _ASKING.search(text) or (_HEADING.match(text) and profile(text).content_chars < 10):
                continue
            score = support_score(claim, text)
            if score >= _STATES:
                scored.append((score, _overlap(profile(claim), profile(text)), -len(text), -c.n, c, a, b))
    if not scored:
        return None
    score, *_, c, a, b = max(scored, key=lambda t: t[:4])
    return replace(c, quote=c.chunk.text[a:b], start=c.chunk.start + a, end=c.chunk.start + b, support=score)


def rows_off_filter(question: str, rows: dict[int, str], others: Iterable[str] = ()) -> list[int]:
    """Of the spreadsheet rows an answer cites ({n: the row, as quoted}), those the question's
    filter leaves out: it names a cell value of some column ("Which tools are stored in
    Shed B?" -- Shed B, the location of some cited rows), and the row holds another value
    in that column (Shelf A1). A list answer's extra item (a drill kept elsewhere) is
    verified by its own row all the same; only the column the question filters on tells.
    ``others``: more rows of the sheets (the retrieved passages' lines), whose values the
    question may name too -- asked about 澜畅99, a cited 澜畅39 row is off though no cited
    row is 澜畅99's."""
    q = _normalise(question)
    parsed = {n: cells for n, row in rows.items() if (cells := _cells(row.strip())) is not None}
    named: dict[str, set[str]] = {}
    for cells in [*parsed.values(), *(c for row in others if (c := _cells(row.strip())) is not None)]:
        for label, value in cells:
            # (A text value, of letters or characters: a bare number filters nothing here.)
            if len(value) >= 2 and re.search(r"[^\d\s.:,-]", value) \
                    and re.search(rf"(?<![a-z0-9]){re.escape(value)}(?![a-z0-9])", q):
                named.setdefault(label, set()).add(value)
    return [n for n, cells in parsed.items() if any(label in named and value not in named[label] for label, value in cells)]
