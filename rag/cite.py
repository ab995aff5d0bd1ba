"""Cite stage: turn the model's [n] markers into citations a user can verify.

The generator sees passages numbered [1]..[k] (passage n = ``hits[n-1].chunk``) and is
asked to cite them, but a 1.5B model cites loosely: odd bracket forms, numbers that point
nowhere, the wrong passage, or no markers at all, and it sometimes changes a number. So
every claim is checked against the passages by plain lexical overlap and strict numbers
(``support.support_score``). Markers are parsed in ``markers``, sentences split by
``zh.claim_sentences``.
"""
from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field

from .markers import drop_labels, parse_markers, strip_markers
from .records import Citation, Hit
from .support import best_span, profile, support_score
from .numerals import dates
from .zh import LIST_ITEM, TRAILING, claim_sentences, to_simplified

# Chosen on the seed articles (pinned by tests/test_cite.py on an invented article of the same shape): a claim copied or lightly
# reworded from its passage scores 0.6-1.0; checked against the best *other* chunk of the
# same articles, 90% of sentences score under 0.45 and the rest cluster at exactly 0.5 --
# short sentences whose only shared content is a name (远帆科技 alone is three bigrams).
# 0.55 sits in that gap. Fabricated numbers are caught by the number rule, not here.
DEFAULT_THRESHOLD = 0.55


@dataclass
class CitedAnswer:
    text: str  # the answer with markers normalised to [n] and invalid markers removed
    citations: list[Citation]  # one per distinct cited passage, ordered by n
    unsupported: list[str]  # claims no passage supports
    auto_cited: bool  # the model gave no usable markers; we attached them by verification
    repointed: list[tuple[int, int]] = field(default_factory=list)  # (model's n, corrected n)


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


def _clean(text: str) -> str:
    """The claim as the user reads it: no markers, no list bullet."""
    return LIST_ITEM.sub("", strip_markers(text)).strip()


def is_refusal_text(text: str) -> bool:
    """Whether ``text`` declines to answer, in either script (無法回答 like 无法回答)."""
    return bool(REFUSAL_PATTERN.search(to_simplified(text)))


# A line ending in a colon, and the bare number or bullet of the list it opens when the model
# stopped there ("To descale it, follow these steps:\n1. [1]": its numeral is no figure).
_LEAD_IN = re.compile(r"[:：](?:[ \t]*\n\s*(?:\d{1,2}[.)、．]|[-*•]))?$")


def _kind(clean: str) -> str:
    """'refusal', 'claim' (a number or >= 6 content characters), 'minor' or 'empty'.
    A line ending in a colon introduces what follows ("主要有以下问题：") and claims nothing.
    ``clean`` is in simplified characters (the patterns are written in them)."""
    if REFUSAL_PATTERN.search(clean):
        return "refusal"
    if _LEAD_IN.search(clean):
        return "empty"
    prof = profile(_FILLER.sub("", clean))
    if prof.numbers or prof.content_chars >= 6:
        return "claim"
    return "minor" if prof.units else "empty"


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
    sentences = claim_sentences(answer)
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
    while i > claim.start and (answer[i - 1] in TRAILING or answer[i - 1].isspace()):
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
        return support_score(claim.scored, "\n".join(hits[n - 1].chunk.with_context for n in ns))

    joint = joined(cited)
    if joint < threshold:
        return set()
    return {n for n in cited if joined([m for m in cited if m != n]) < joint}


def _check_cited(claim: _Judged, cited: list[int], hits: list[Hit], threshold: float,
                 ledger: _Ledger) -> list[int]:
    """Verify a marked claim; returns the passage numbers its marker should show."""
    if claim.kind == "empty":  # (a lead-in "follow these steps:" vouches for nothing, whatever words it shares)
        return []
    verified = _verified(claim, cited, hits, threshold)
    # A marked short answer ("王泽楷[2]") is a claim too: the prompt asks for the bare fact.
    if not verified and claim.kind in ("claim", "minor"):
        if claim.scores[claim.best - 1] >= threshold:  # the model cited the wrong passage
            ledger.repointed += [(n, claim.best) for n in cited]
            ledger.use(claim.best, claim.scored, True)
            return [claim.best]
        ledger.flag(claim.text)
    if verified:
        # The model may cite every passage it was shown ("38 km [1][2][3][4][5]", mostly
        # after English short answers): a marker beside ones that verify the claim, on a
        # passage that does not vouch for it, only sends the reader to the wrong place.
        cited = [n for n in cited if n in verified]
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
    simple = to_simplified(clean)  # the framing and refusal patterns are simplified
    scored = _FILLER.sub("", simple)
    return _Judged(clean, scored, _kind(simple), [support_score(scored, h.chunk.with_context) for h in hits])


def cite(answer: str, hits: list[Hit], *, threshold: float = DEFAULT_THRESHOLD) -> CitedAnswer:
    """Normalise and verify the citations of ``answer``; see the module docstring."""
    answer = drop_labels(answer)
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


_DIGITS_APART = re.compile(r"(?<=\d) +(?=\d)")


def drop_unstated_years(answer: str, passages: list[str]) -> str:
    """Remove a year the passages never attach to that month ("2021年1月9日" when the
    passage says "1月9日"). Small models "complete" dates from their own knowledge; the
    date itself is supported, the year is not, and a wrong year is worse than none."""
    # (Spaces out -- "2021 年 1 月" -- but one between digits kept: "2025-03-19 10:31" is a date
    # and a time, and 2025-03-1910:31 no date.)
    norm = [_DIGITS_APART.sub("\x00", unicodedata.normalize("NFKC", p)).replace(" ", "").replace("\x00", " ")
            for p in passages]

    # The passages' dates as numerals.dates reads them: one home for what a date is.
    stated = {(p.year, p.month) for text in norm for p in dates(text)}
    for d in reversed(dates(answer)):
        if d.year is None or len(d.year) != 4:
            continue
        if (d.year, d.month) not in stated:
            answer = answer[:d.start] + answer[d.month_start:]
    return answer


# Where one item of a list answer ends: after its marker, a comma, 、, ; or "and"/和/及.
_ITEM_END = re.compile(r"(?<=\])\s*(?:[,，、;；]\s*(?:and\s+|以及|和|及)?|\s+and\s+|和|及|以及)\s*")


def without_items(cited: CitedAnswer, numbers: list[int]) -> CitedAnswer | None:
    """``cited`` without the list items whose markers all point at ``numbers``, and without
    those citations; None when that leaves nothing, or the answer is no list."""
    ends = [m for m in _ITEM_END.finditer(cited.text)]
    if not ends:
        return None
    bounds = [0] + [m.end() for m in ends] + [len(cited.text)]
    items = [cited.text[a:b] for a, b in zip(bounds, bounds[1:])]
    drop = set(numbers)

    def dropped(item: str) -> bool:
        marked = [n for _, _, ns in parse_markers(item) for n in ns]
        return bool(marked) and set(marked) <= drop

    kept = [i for i in items if not dropped(i)]
    if not kept or len(kept) == len(items):
        return None if not kept else cited
    if kept[-1] is not items[-1]:
        # The new last item loses its separator and takes the old last one's full stop.
        end = re.search(r"[。.！!]\s*$", items[-1])
        kept[-1] = re.sub(_ITEM_END.pattern + "$", "", kept[-1]) + (end.group(0) if end else "")
    text = "".join(kept)
    used = {n for _, _, ns in parse_markers(text) for n in ns}
    return CitedAnswer(text=text, citations=[c for c in cited.citations if c.n in used],
                       unsupported=cited.unsupported, auto_cited=cited.auto_cited, repointed=cited.repointed)
