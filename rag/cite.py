"""Cite stage: turn the model's [n] markers into citations a user can verify.

The generator sees passages numbered [1]..[k] (passage n = ``hits[n-1].chunk``) and is
asked to cite them, but a 1.5B model cites loosely: odd bracket forms, numbers that point
nowhere, the wrong passage, or no markers at all, and it sometimes changes a number. So
every claim is checked against the passages by plain lexical overlap (no model, fast):

* overlap: share of the claim's content units (CJK character bigrams, Latin word
  unigrams, after dropping function words) that occur in the passage;
* numbers are strict: every number in the claim must occur in the passage, or the pair
  scores 0 whatever the overlap ("650亿" against a passage saying "560亿").

Known limits: overlap cannot see a reversed relation built from the passage's own words,
and Chinese numerals (两倍, 五百) are not checked as numbers.
"""
from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

from .records import Chunk, Citation, Hit

# Chosen on the seed articles (and pinned by tests/test_cite.py): a claim copied or lightly
# reworded from its passage scores 0.6-1.0; checked against the best *other* chunk of the
# same articles, 90% of sentences score under 0.45 and the rest cluster at exactly 0.5 --
# short sentences whose only shared content is a name (壁仞科技 alone is three bigrams).
# 0.55 sits in that gap. Fabricated numbers are caught by the number rule, not here.
DEFAULT_THRESHOLD = 0.55


@dataclass
class CitedAnswer:
    text: str  # the answer with markers normalised to [n] and invalid markers removed
    citations: list[Citation]  # one per distinct cited passage, ordered by n
    unsupported: list[str]  # claims no passage supports
    auto_cited: bool  # the model gave no usable markers; we attached them by verification
    repointed: list[tuple[int, int]] = field(default_factory=list)  # (model's n, corrected n)


# ---------------------------------------------------------------------------- markers

# [1] [1,2] [1，2] [1、2] [1-3] 【1】 ［1］, optionally labelled ([资料1], [Source 1]). Not [^1]
# (footnote syntax) and not (1) (enumerations): both are too ambiguous in prose.
_MARKER = re.compile(
    r"[\[【［]\s*(?:(?:资料|段落|来源|文档|参考|passage|source|doc)\s*)?"
    r"(\d+(?:\s*[,，、\-–—~～]\s*\d+)*)\s*[\]】］]",
    re.IGNORECASE,
)
_RANGE = set("-–—~～")
# Passages are few; a bracketed number above this is content ([2023]), not a marker.
_MAX_MARKER = 99


def _marker_numbers(inner: str) -> list[int] | None:
    """Expand "1, 2" / "1-3" into [1, 2] / [1, 2, 3]; None if it is not a marker."""
    parts = re.split(r"\s*([,，、\-–—~～])\s*", inner)
    numbers: list[int] = []
    for i in range(0, len(parts), 2):
        n = int(parts[i])  # int() reads full-width digits too
        if n > _MAX_MARKER:
            return None
        if i and parts[i - 1] in _RANGE and numbers:
            lo, hi = sorted((numbers[-1], n))
            numbers.extend(range(lo, hi + 1))
        else:
            numbers.append(n)
    return list(dict.fromkeys(numbers))


def parse_markers(answer: str) -> list[tuple[int, int, list[int]]]:
    """(start, end, numbers) of every citation marker in ``answer``, in order."""
    found = []
    for m in _MARKER.finditer(answer):
        numbers = _marker_numbers(m.group(1))
        if numbers is not None:
            found.append((m.start(), m.end(), numbers))
    return found


_SPACED_MARKER = re.compile(r"[ \t]*" + _MARKER.pattern, re.IGNORECASE)  # "company [1]."


def strip_markers(text: str) -> str:
    def strip(m: re.Match) -> str:
        return m.group(0) if _marker_numbers(m.group(1)) is None else ""

    return _SPACED_MARKER.sub(strip, text)


# -------------------------------------------------------------------------- sentences

_TERMINAL = set("。！？；…!?;")
_CLOSERS = set("”’」』）)\"'")
_TRAILING = _TERMINAL | _CLOSERS | set(".．")  # what may follow a sentence's last word
_ENUMERATOR = re.compile(r"\s*(?:\d{1,3}|[A-Za-z])")


def _is_full_stop(text: str, start: int, i: int) -> bool:
    """Whether the '.' at ``i`` ends the sentence begun at ``start``: not in 3.74, e.g. or
    example.com, and not the "1." that opens a numbered list item."""
    nxt = text[i + 1] if i + 1 < len(text) else ""
    if nxt and (nxt.isascii() and nxt.isalnum() or nxt in "０１２３４５６７８９"):
        return False
    return not _ENUMERATOR.fullmatch(text, start, i)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of ``text`` (whitespace-trimmed, never empty)."""
    spans: list[tuple[int, int]] = []

    def emit(start: int, end: int) -> None:
        piece = text[start:end]
        lead, trail = len(piece) - len(piece.lstrip()), len(piece) - len(piece.rstrip())
        if piece.strip():
            spans.append((start + lead, end - trail))

    start = i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\n":
            emit(start, i)
            start = i = i + 1
        elif ch in _TERMINAL or ch in ".．" and _is_full_stop(text, start, i):
            j = i + 1  # swallow runs like "？！", "……", "。”"
            while j < len(text) and text[j] in _TRAILING:
                j += 1
            emit(start, j)
            start = i = j
        else:
            i += 1
    emit(start, len(text))
    return spans


# ---------------------------------------------------------------------- support score

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]+|[a-z0-9]+")
_CJK_CHAR = re.compile(f"[{_CJK}]")
_ZH_STOP = set("的了是在和与及也都而就被把对为其这那有等中")
_EN_STOP = frozenset(
    "a an the and or but of to in on at by for with from as is are was were be been being "
    "it its this that these those which who whom what when where how has have had do does "
    "did than then so such there their they them he she his her we our you your i also into "
    "about over after before up out more most very can could will would should may might "
    "all any some per".split()
)


def _stem(word: str) -> str:
    """Crude English suffix stripping, so listed/listing/lists all meet as "list"."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _normalise(text: str) -> str:
    """NFKC (full-width digits and punctuation), lower case, no thousands separators."""
    text = unicodedata.normalize("NFKC", strip_markers(text)).lower()
    return re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)


def _units(norm: str) -> list[str]:
    """Distinct content units: CJK bigrams (function characters removed) and Latin words.
    Pure digits are left to the number rule; a lone letter (the s of "SenseTime's") or a
    lone CJK character is too common to count."""
    units: list[str] = []
    for token in _TOKEN.findall(norm):
        if token[0].isascii():
            if len(token) > 1 and not token.isdigit() and token not in _EN_STOP:
                units.append(_stem(token))
        else:
            run = "".join(c for c in token if c not in _ZH_STOP)
            units.extend(run[i : i + 2] for i in range(len(run) - 1))
    return list(dict.fromkeys(units))


_MAGNITUDE = r"万亿|千亿|百亿|亿|千万|百万|万|千|百|%|‰"
_NUMBER = re.compile(
    rf"(?<![\d.])(\d+(?:\.\d+)?)"
    rf"(?:\s*({_MAGNITUDE})|\s+(million|billion|trillion|thousand|percent)\b)?"
)
# 2023年4月, 2023年4月10日, 1月9日: one fact, so one token ("1月19日" must not pass because
# the passage has "1月" and "19" somewhere).
_DATE = re.compile(r"(?<!\d)(?:(\d{1,4})年)?(\d{1,2})月(?:(\d{1,2})[日号])?")


def _canon(number: str) -> str:
    """3.70 -> 3.7, 09 -> 9, so equal values compare equal."""
    whole, _, frac = number.partition(".")
    whole, frac = whole.lstrip("0") or "0", frac.rstrip("0")
    return f"{whole}.{frac}" if frac else whole


def _date_parts(m: re.Match) -> list[str]:
    return [_canon(v) + unit for v, unit in zip(m.groups(), "年月日") if v]


def _number(m: re.Match) -> tuple[str, str]:
    unit = m.group(2) or m.group(3) or ""
    return _canon(m.group(1)), "%" if unit == "percent" else unit


# Counting words after a number say what is counted: "10名员工" is not vouched for by
# "10月" (a model answered "裁掉了10名员工" from a passage about October). 名/人/位 count
# people alike. Dates, money and percentages are judged by the rules above.
_COUNTED = {**dict.fromkeys("名人位", "人"), **{c: c for c in "家个款颗轮次辆台件项倍岁篇条座所艘架"}}


def _counted(norm: str, m: re.Match) -> tuple[str, str] | None:
    """(value, unit×counted) when a counting word follows the number, else None."""
    follow = norm[m.end():m.end() + 2].lstrip()
    kind = _COUNTED.get(follow[:1])
    if kind is None:
        return None
    value, unit = _number(m)
    return value, f"{unit}×{kind}"


def _numbers(norm: str) -> tuple[list[tuple[str, str]], set[tuple[str, str]]]:
    """What a text states -- (value, unit), whole dates as ("date", "1月9日") -- and what it
    can vouch for: those, every part of its dates, and every value without its unit (a
    claim's bare "560" is vouched for by "560亿", but its "560万" is not)."""
    stated: list[tuple[str, str]] = []
    offered: set[tuple[str, str]] = set()
    for m in _DATE.finditer(norm):
        parts = _date_parts(m)
        if len(parts) > 1:
            stated.append(("date", "".join(parts)))
            offered.update(("date", "".join(parts[i:j]))
                           for i in range(len(parts)) for j in range(i + 2, len(parts) + 1))
    undated = _DATE.sub(lambda m: " " if len(_date_parts(m)) > 1 else m.group(0), norm)
    stated += [_counted(undated, m) or _number(m) for m in _NUMBER.finditer(undated)]
    for m in _NUMBER.finditer(norm):
        value, unit = _number(m)
        offered.update({(value, unit), (value, "")})
        counted = _counted(norm, m)
        if counted:
            offered.add(counted)
    return stated, offered


@dataclass(frozen=True)
class _Profile:
    units: tuple[str, ...]
    numbers: tuple[tuple[str, str], ...]  # stated by the text
    offers: frozenset[tuple[str, str]]  # vouched for by the text
    content_chars: int


# A number with the unit characters that cling to it ("1月9日", "2014年", "560亿"): cut out
# before bigrams are taken, as the number rule judges it, and "日登" (from "1月9日登陆")
# is not a word.
_NUMERIC = re.compile(r"\d+(?:\.\d+)?\s*[年月日号万亿千百%‰]*")


@lru_cache(maxsize=4096)  # passages are profiled once per claim otherwise
def _profile(text: str) -> _Profile:
    norm = _normalise(text)
    stated, offered = _numbers(norm)
    units = _units(_NUMERIC.sub(" ", norm))
    chars = sum(len(u) for u in units if u.isascii())
    chars += sum(c not in _ZH_STOP for c in _CJK_CHAR.findall(norm))
    return _Profile(tuple(units), tuple(stated), frozenset(offered), chars)


def _overlap(claim: _Profile, passage: _Profile) -> float:
    vocab = set(passage.units)
    if not claim.units:
        return 1.0 if claim.numbers else 0.0  # a bare number is judged by the number rule
    return sum(u in vocab for u in claim.units) / len(claim.units)


def support_score(sentence: str, passage: str) -> float:
    """0..1: how much of ``sentence`` ``passage`` vouches for; 0 if a number is missing."""
    claim, source = _profile(sentence), _profile(passage)
    if any(number not in source.offers for number in claim.numbers):
        return 0.0
    return _overlap(claim, source)


def best_span(sentence: str, chunk: Chunk) -> tuple[int, int, float]:
    """Document offsets and score of the chunk sentence, or pair of adjacent sentences,
    that best supports ``sentence``. Ties go to the shorter, earlier span; when nothing
    supports it (a changed number) the span with the most overlap is still the one the
    user should compare against."""
    claim = _profile(sentence)
    spans = split_sentences(chunk.text)
    best, best_key = (0, 0, 0.0), (-1.0, -1.0)
    for width in (1, 2):
        for (start, _), (_, end) in zip(spans, spans[width - 1 :]):
            text = chunk.text[start:end]
            key = (support_score(sentence, text), _overlap(claim, _profile(text)))
            if key > best_key:
                best, best_key = (start, end, key[0]), key
    start, end, score = best
    return chunk.start + start, chunk.start + end, score


# ------------------------------------------------------------------- claim detection

REFUSAL_PATTERN = re.compile(
    r"无法回答|无法确定|无法得知|无从得知|(?:没有|未|并未|不曾)(?:提到|提及|涉及|找到|给出|说明|记载|相关信息)"
    r"|(?:资料|文档|材料|段落|上下文)中?(?:没有|未|并未|不包含)"
    r"|(?:do|does|did)(?: not|n't) (?:contain|mention|provide|include|say|specify|state)"
    r"|not (?:mentioned|provided|specified|stated|included|covered|found)"
    r"|(?:cannot|can't|unable to) (?:answer|determine|find|be answered)"
    r"|no (?:information|mention|relevant)|(?:not enough|insufficient) information",
    re.IGNORECASE,
)
# Framing that carries no claim of its own; removed before a sentence is judged.
_FILLER = re.compile(
    r"根据(?:现有|已有|提供|所给|给定|上述|以上|检索到)?的?(?:参考)?(?:资料|文档|材料|段落|信息|内容|上下文)(?:显示|可知|来看)?"
    r"|(?:资料|文档|材料|段落|上下文)中?(?:显示|提到|指出|表明|称)"
    r"|以下是[^，,。：:]*|综上所述|总之|总结(?:一下|来说)?"
    r"|希望(?:以上|这些)?(?:信息|内容|回答)?(?:对你|对您)有所?帮助|如果?(?:你|您)?还?有(?:其他|任何)(?:问题|疑问)[^。！？]*"
    r"|(?:according to|based on) (?:the )?(?:provided |given )?"
    r"(?:passages?|documents?|sources?|context|information)"
    r"|(?:the )?(?:passages?|documents?|sources?|context)"
    r" (?:says?|states?|shows?|mentions?|notes?)(?: that)?"
    r"|in summary|to summarize|i hope this helps|let me know if[^.!?]*",
    re.IGNORECASE,
)
# "1." is a list bullet, "41.44万辆" is a number: a bullet's dot is not followed by a digit.
_LIST_PREFIX = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)、](?!\d)|[（(]\d{1,2}[)）])\s*")


def _clean(text: str) -> str:
    """The claim as the user reads it: no markers, no list bullet."""
    return _LIST_PREFIX.sub("", strip_markers(text)).strip()


def _kind(clean: str) -> str:
    """'refusal', 'claim' (a number or >= 6 content characters), 'minor' or 'empty'.
    A line ending in a colon introduces what follows ("主要有以下问题：") and claims nothing."""
    if REFUSAL_PATTERN.search(clean):
        return "refusal"
    profile = _profile(_FILLER.sub("", clean))
    if (profile.numbers or profile.content_chars >= 6) and not clean.endswith((":", "：")):
        return "claim"
    return "minor" if profile.units else "empty"


# ----------------------------------------------------------------------------- cite

@dataclass
class _Group:
    """Adjacent markers ("[1][2]", "[1, 2]") cite together."""

    start: int
    end: int
    cited: list[int]  # valid passage numbers, as the model gave them


@dataclass
class _Claim:
    start: int  # span of the claim in the answer, markers included
    end: int
    group: _Group | None


def _groups(answer: str, k: int) -> list[_Group]:
    groups: list[_Group] = []
    for start, end, numbers in parse_markers(answer):
        valid = [n for n in numbers if 1 <= n <= k]
        if groups and not answer[groups[-1].end : start].strip():
            groups[-1].end = end
            groups[-1].cited += [n for n in valid if n not in groups[-1].cited]
        else:
            groups.append(_Group(start, end, valid))
    return groups


def _claims(answer: str, groups: list[_Group]) -> list[_Claim]:
    """One claim per marker group (its sentence, or its clause when a sentence carries
    several groups), plus one per sentence without markers."""
    sentences = split_sentences(answer)
    starts = [s for s, _ in sentences]
    owned: list[list[_Group]] = [[] for _ in sentences]
    for g in groups:
        i = max(bisect_right(starts, g.start) - 1, 0)
        # "…记录。[1]" or a marker opening the next line belongs to the last sentence before
        # it that says something.
        if i and not _clean(answer[sentences[i][0] : g.start]):
            i -= 1
            while i and not _clean(answer[sentences[i][0] : sentences[i][1]]):
                i -= 1
        owned[i].append(g)
    claims: list[_Claim] = []
    for (s, e), gs in zip(sentences, owned):
        if len(gs) <= 1:
            claims.append(_Claim(s, e, gs[0] if gs else None))
            continue
        prev = s
        for j, g in enumerate(gs):
            end = e if j == len(gs) - 1 else min(g.start, e)
            has_content = _clean(answer[prev:end])
            claims.append(_Claim(prev, end, g) if has_content else _Claim(s, e, g))
            prev = min(g.end, e)
    return claims


def _insert_at(answer: str, claim: _Claim) -> int:
    """Where an attached marker goes: before the closing punctuation, as the model would."""
    i = claim.end
    while i > claim.start and (answer[i - 1] in _TRAILING or answer[i - 1].isspace()):
        i -= 1
    return i


@dataclass
class _Ledger:
    """What checking the claims decided, turned into a CitedAnswer at the end."""

    edits: list[tuple[int, int, str]] = field(default_factory=list)
    uses: dict[int, list[tuple[str, bool]]] = field(default_factory=dict)  # n -> (claim, verified)
    unsupported: list[str] = field(default_factory=list)
    repointed: list[tuple[int, int]] = field(default_factory=list)
    attached: bool = False

    def use(self, n: int, claim: str, verified: bool) -> None:
        self.uses.setdefault(n, []).append((claim, verified))

    def flag(self, claim: str) -> None:
        if claim not in self.unsupported:
            self.unsupported.append(claim)


@dataclass
class _Judged:
    """One claim and how every passage scores against it."""

    text: str  # as the user reads it (reported in ``unsupported``)
    scored: str  # without framing like "根据资料，": what a passage should say
    kind: str
    scores: list[float]

    @property
    def best(self) -> int:
        return max(range(len(self.scores)), key=self.scores.__getitem__) + 1


def _verified(claim: _Judged, cited: list[int], hits: list[Hit], threshold: float) -> set[int]:
    """Cited passages that support the claim: alone, or else jointly (a sentence that
    combines two passages' facts), where each passage must add something the others lack."""
    alone = {n for n in cited if claim.scores[n - 1] >= threshold}
    if alone or len(cited) < 2:
        return alone

    def joined(ns: list[int]) -> float:
        return support_score(claim.scored, "\n".join(hits[n - 1].chunk.text for n in ns))

    joint = joined(cited)
    if joint < threshold:
        return set()
    return {n for n in cited if joined([m for m in cited if m != n]) < joint}


def _check_cited(claim: _Judged, cited: list[int], hits: list[Hit], threshold: float,
                 ledger: _Ledger) -> list[int]:
    """Verify a marked claim; returns the passage numbers its marker should show."""
    verified = _verified(claim, cited, hits, threshold)
    # A marked short answer ("王泽楷[2]") is a claim too: the prompt asks for the bare fact.
    if not verified and claim.kind in ("claim", "minor"):
        if claim.scores[claim.best - 1] >= threshold:  # the model cited the wrong passage
            ledger.repointed += [(n, claim.best) for n in cited]
            ledger.use(claim.best, claim.scored, True)
            return [claim.best]
        ledger.flag(claim.text)
    for n in cited:
        ledger.use(n, claim.scored, n in verified)
    return cited


def _check_unmarked(claim: _Judged, auto: bool, threshold: float, ledger: _Ledger) -> int | None:
    """Attach the best supporting passage to a claim the model left unmarked. Without any
    model markers even short sentences get one, so the answer is cited throughout."""
    if not (claim.kind == "claim" or claim.kind == "minor" and auto):
        return None
    if claim.scores and claim.scores[claim.best - 1] >= threshold:
        ledger.use(claim.best, claim.scored, True)
        ledger.attached = True
        return claim.best
    if claim.kind == "claim":
        ledger.flag(claim.text)
    return None


def _citations(ledger: _Ledger, hits: list[Hit]) -> list[Citation]:
    """One citation per passage: the best span over the claims that cite it, preferring
    claims it verifies."""
    citations = []
    for n in sorted(ledger.uses):
        chunk = hits[n - 1].chunk
        spans = [(ok, *best_span(claim, chunk)) for claim, ok in ledger.uses[n]]
        verified, start, end, score = max(spans, key=lambda t: (t[0], t[3]))
        quote = chunk.text[start - chunk.start : end - chunk.start]
        citations.append(Citation(n, chunk, quote, start, end, verified, score))
    return citations


def _apply(answer: str, edits: list[tuple[int, int, str]]) -> str:
    out, pos = [], 0
    for start, end, replacement in sorted(edits):
        out += [answer[pos:start], replacement]
        pos = end
    return "".join(out) + answer[pos:]


def _judge(text: str, hits: list[Hit]) -> _Judged:
    clean = _clean(text)
    scored = _FILLER.sub("", clean)
    return _Judged(clean, scored, _kind(clean), [support_score(scored, h.chunk.text) for h in hits])


def cite(answer: str, hits: list[Hit], *, threshold: float = DEFAULT_THRESHOLD) -> CitedAnswer:
    """Normalise and verify the citations of ``answer``; see the module docstring."""
    groups = _groups(answer, len(hits))
    valid = [g for g in groups if g.cited]
    auto = not valid
    # A marker pointing at no passage is dropped and its sentence treated as unmarked.
    ledger = _Ledger(edits=[(g.start, g.end, "") for g in groups if not g.cited])
    for c in _claims(answer, valid):
        claim = _judge(answer[c.start : c.end], hits)
        if c.group:  # normalised to [n][m], numbers pointing at no passage dropped
            shown = _check_cited(claim, c.group.cited, hits, threshold, ledger)
            ledger.edits.append((c.group.start, c.group.end, "".join(f"[{n}]" for n in shown)))
        elif n := _check_unmarked(claim, auto, threshold, ledger):
            at = _insert_at(answer, c)
            ledger.edits.append((at, at, f"[{n}]"))
    return CitedAnswer(
        text=_apply(answer, ledger.edits),
        citations=_citations(ledger, hits),
        unsupported=ledger.unsupported,
        auto_cited=auto and ledger.attached,
        repointed=ledger.repointed,
    )


_YEAR_ON_DATE = re.compile(r"(\d{4})\s*年\s*(?=(\d{1,2})\s*月)")


def drop_unstated_years(answer: str, passages: list[str]) -> str:
    """Remove a year the passages never attach to that month ("2021年1月9日" when the
    passage says "1月9日"). Small models "complete" dates from their own knowledge; the
    date itself is supported, the year is not, and a wrong year is worse than none."""
    norm = [unicodedata.normalize("NFKC", p).replace(" ", "") for p in passages]

    def fix(m: re.Match) -> str:
        year, month = m.group(1), m.group(2)
        stated = any(f"{year}年{month}月" in p or f"{year}年{int(month):02d}月" in p for p in norm)
        return m.group(0) if stated else ""

    return _YEAR_ON_DATE.sub(fix, answer)
