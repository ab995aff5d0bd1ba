"""Evaluation metrics: pure functions over gold questions and result rows (no I/O, no models).

A result row is the JSON the runner writes per question (``Answer.to_json()`` plus ``id``;
retrieval-only rows have ``answer`` None). Each row is scored into an ``Outcome`` against its
``Question``; ``aggregate`` turns outcomes into a ``Metrics`` record.

Text comparisons (answers, evidence) use ``normalize``: NFKC, whitespace removed, case folded,
so "41.44 万" matches "41.44万" and full-width digits match ASCII ones, and in simplified
characters, so an answer written in the question's script ("29萬人", asked in traditional
over simplified documents) matches its gold span as the document writes it ("29万人"). The
CMRC2018 F1/EM follow the official cmrc2018_evaluate.py instead (see ``cmrc_f1``), on text
folded to simplified characters likewise (CMRC2018 itself is simplified: the same figures).
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Sequence

from rag.zh import to_simplified

HIT_KS = tuple(range(1, 11))  # the hit@k curve; hit@1/5/10 and MRR@10 are read off it
MRR_K = 10


@dataclass
class Question:
    """One gold question, from our JSONL set or converted from a SQuAD-format file."""

    id: str
    question: str
    answers: list[str] = field(default_factory=list)  # acceptable answers, any one counts
    evidence: list[str] = field(default_factory=list)  # a chunk containing one is relevant
    answerable: bool = True
    history: list[dict] = field(default_factory=list)
    type: str = ""
    split: str = ""
    answer_parts: list[list[str]] | None = None  # multi-part: every part needs one alternative
    gold_sources: list[str] = field(default_factory=list)  # SQuAD: the paragraph id


# ---------------------------------------------------------------------------- text

_WS = re.compile(r"\s+")
# The answer text carries normalised citation markers "[1]"; they are presentation, not
# content, and would otherwise split a number from its unit ("41.44万[1]辆").
_MARKER = re.compile(r"\[\d+\]")


def normalize(text: str) -> str:
    return to_simplified(_WS.sub("", unicodedata.normalize("NFKC", text or "")).casefold())


def strip_markers(text: str) -> str:
    return _MARKER.sub("", text or "")


def contains_any(text: str, needles: Iterable[str]) -> bool:
    hay = normalize(text)
    return any(n and n in hay for n in map(normalize, needles))


def answer_correct(answer: str, answers: Sequence[str], parts: Sequence[Sequence[str]] | None = None) -> bool:
    """An acceptable answer occurs in the answer text; with ``parts`` (multi-part questions)
    every part must have one of its alternatives present."""
    text = strip_markers(answer)
    if parts:
        return all(contains_any(text, alts) for alts in parts)
    return contains_any(text, answers)


# ---------------------------------------------------------------------------- relevance

def relevant(item: dict, q: Question) -> bool:
    """A retrieved hit / citation (their JSON: ``source``, ``text``) supports ``q``: it comes
    from a gold source, or its chunk text contains an evidence string."""
    if q.gold_sources and item.get("source") in q.gold_sources:
        return True
    return bool(q.evidence) and contains_any(item.get("text", ""), q.evidence)


def first_relevant_rank(ranking: Sequence[dict], q: Question) -> int | None:
    """1-based rank of the first relevant hit, None when none is relevant."""
    for i, item in enumerate(ranking, 1):
        if relevant(item, q):
            return i
    return None


def hit_at(rank: int | None, k: int) -> bool:
    return rank is not None and rank <= k


def reciprocal_rank(rank: int | None, k: int = MRR_K) -> float:
    return 1.0 / rank if hit_at(rank, k) else 0.0


# ---------------------------------------------------------------------------- CMRC2018 F1 / EM
# The official cmrc2018_evaluate.py: lower-case and strip, split into Chinese characters and
# English words (nltk.word_tokenize there; a word/punctuation regex here, the same on the
# words and numbers that occur in answers), drop its punctuation list, then F1 from the
# longest common *substring* of the two segment lists, EM on the punctuation-free strings;
# the best over the acceptable answers. Note '……' in the official list is two characters
# and so never matches one character: kept as is, to reproduce the official figures.

_CMRC_PUNCT = frozenset(
    ["-", ":", "_", "*", "^", "/", "\\", "~", "`", "+", "=", "，", "。", "：", "？", "！", "“", "”",
     "；", "’", "《", "》", "……", "·", "、", "「", "」", "（", "）", "－", "～", "『", "』"]
)
# The official CMRC 2018 scoring script's definition of a Chinese character, narrower than
# rag.zh.CJK on purpose: kept here so our scores reproduce the official figures.
_CMRC_CJK = re.compile(r"[\u4e00-\u9fa5]")
_WORD = re.compile(r"\w+|[^\w\s]")


def cmrc_segments(text: str, rm_punc: bool = False) -> list[str]:
    segs: list[str] = []
    pending = ""
    for ch in to_simplified(str(text).lower().strip()):
        if rm_punc and ch in _CMRC_PUNCT:
            continue
        if _CMRC_CJK.match(ch) or ch in _CMRC_PUNCT:
            segs.extend(_WORD.findall(pending))
            pending = ""
            segs.append(ch)
        else:
            pending += ch
    segs.extend(_WORD.findall(pending))
    return segs


def cmrc_remove_punctuation(text: str) -> str:
    return "".join(ch for ch in to_simplified(str(text).lower().strip()) if ch not in _CMRC_PUNCT)


def longest_common_substring(a: Sequence[str], b: Sequence[str]) -> int:
    best = 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b):
            if x == y:
                cur[j + 1] = prev[j] + 1
                best = max(best, cur[j + 1])
        prev = cur
    return best


def cmrc_f1(prediction: str, answers: Sequence[str]) -> float:
    """Best F1 (0..1) of ``prediction`` against ``answers``, as in cmrc2018_evaluate.py."""
    pred = cmrc_segments(prediction, rm_punc=True)
    scores = [0.0]
    for ans in answers:
        gold = cmrc_segments(ans, rm_punc=True)
        lcs = longest_common_substring(gold, pred)
        if lcs:
            p, r = lcs / len(pred), lcs / len(gold)
            scores.append(2 * p * r / (p + r))
    return max(scores)


def cmrc_em(prediction: str, answers: Sequence[str]) -> float:
    pred = cmrc_remove_punctuation(prediction)
    return float(any(cmrc_remove_punctuation(a) == pred for a in answers))


# ---------------------------------------------------------------------------- per question

@dataclass
class Outcome:
    """What one result row scored; the unit every aggregate is computed from."""

    id: str
    split: str
    type: str
    answerable: bool
    rank: int | None  # first relevant rank among the retrieved (to depth 10)
    generated: bool  # False for retrieval-only rows
    refused: bool = False
    correct: bool | None = None  # answerable + generated only
    f1: float | None = None  # SQuAD input only
    em: float | None = None
    n_citations: int = 0
    n_relevant_citations: int = 0  # answerable questions only (unanswerable have no gold)
    n_verified: int = 0
    in_context: bool | None = None  # a passage given to the model holds the evidence / gold source
    retrieve_ms: float | None = None
    first_token_ms: float | None = None
    total_ms: float | None = None
    tokens_per_s: float | None = None

    @property
    def passed(self) -> bool | None:
        """The per-question verdict of the report: a correct answer (or a hit in the
        top 5 for retrieval-only rows); for unanswerable questions, a refusal."""
        if not self.answerable:
            return self.refused if self.generated else None
        return bool(self.correct) if self.generated else hit_at(self.rank, 5)

    @property
    def failure(self) -> str | None:
        """Where a generated answer to an answerable question went (one of FAILURES)."""
        if not (self.answerable and self.generated):
            return None
        if self.refused:
            return "refused"
        if self.correct:
            # SQuAD answers are short spans: an answer holding the span among many other
            # words is right for a reader but scores a low F1.
            return "verbose" if self.f1 is not None and self.f1 < VERBOSE_F1 else "correct"
        return "wrong answer" if self.in_context else "retrieval miss"


# Answer outcomes, reported as counts: a verbose answer contains an acceptable answer but
# scores F1 below VERBOSE_F1; a retrieval miss had no relevant passage among those given.
FAILURES = ("correct", "verbose", "wrong answer", "retrieval miss", "refused")
VERBOSE_F1 = 0.8
# The answering issue's bar for "holds the answer" against a long gold span.
LONG_SPAN_F1 = 0.6
# ...and what is long: 8 characters or more without punctuation (a clause, a full place
# name). Below that, F1 0.6 is reached by a wrong number with the right unit ("12000平方米"
# for 4998平方米) or a measure word alone ("条线" for 8线): 2 of the CMRC2018 first 200.
LONG_SPAN_CHARS = 8


def ranking_of(row: dict) -> list[dict]:
    """The ranked hits retrieval metrics are read from: ``ranking`` (top 10, written when the
    pipeline was given fewer passages) or else ``retrieved``."""
    return row.get("ranking") or row.get("retrieved") or []


def score(q: Question, row: dict, squad: bool = False) -> Outcome:
    t = row.get("timings") or {}
    generated = row.get("answer") is not None
    out = Outcome(id=q.id, split=q.split, type=q.type, answerable=q.answerable,
                  rank=first_relevant_rank(ranking_of(row), q), generated=generated,
                  retrieve_ms=t.get("retrieve_ms"), first_token_ms=t.get("first_token_ms"),
                  total_ms=t.get("total_ms"), tokens_per_s=t.get("tokens_per_s"))
    if not generated:
        return out
    out.refused = bool(row.get("refused"))
    out.in_context = any(relevant(h, q) for h in row.get("retrieved") or [])
    cites = row.get("citations") or []
    out.n_citations = len(cites)
    out.n_verified = sum(1 for c in cites if c.get("verified"))
    if q.answerable:
        out.n_relevant_citations = sum(1 for c in cites if relevant(c, q))
        sentence = "" if out.refused else strip_markers(row["answer"])
        # Span scores read the short answer when there is one (the sentence otherwise):
        # gold answers are spans.
        short = "" if out.refused else (row.get("short_answer") or sentence)
        out.correct = not out.refused and answer_correct(sentence, q.answers, q.answer_parts)
        if squad:
            out.f1, out.em = cmrc_f1(short, q.answers), cmrc_em(short, q.answers)
            # A long gold span (a clause) is rarely contained word for word: a short answer
            # that overlaps it well is right too.
            long_gold = [a for a in q.answers if len(cmrc_remove_punctuation(a)) >= LONG_SPAN_CHARS]
            out.correct = out.correct or (not out.refused and bool(long_gold)
                                          and cmrc_f1(short, long_gold) >= LONG_SPAN_F1)
            # A short answer equal to a gold span but for punctuation is right, though the
            # gold's brackets keep it from occurring in the answer (「斯韦阿人」 for 斯韦阿人).
            out.correct = out.correct or (not out.refused and out.em == 1.0)
    return out


# ---------------------------------------------------------------------------- aggregates

def percentile(values: Sequence[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None when empty."""
    xs = sorted(v for v in values if v is not None)
    if not xs:
        return None
    pos = (len(xs) - 1) * p / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def mean(values: Iterable[float | None]) -> float | None:
    xs = [v for v in values if v is not None]
    return sum(xs) / len(xs) if xs else None


def ratio(num: int, den: int) -> float | None:
    return num / den if den else None


@dataclass
class Metrics:
    n: int
    n_answerable: int
    n_unanswerable: int
    n_generated: int
    hit_curve: dict[int, float | None]  # k -> hit@k over answerable questions
    mrr10: float | None
    accuracy: float | None
    f1: float | None
    em: float | None
    refusal_rate: float | None  # on unanswerable questions
    false_refusal_rate: float | None  # on answerable questions
    citation_precision: float | None
    cited_share: float | None  # non-refused answers with >= 1 citation
    verified_share: float | None  # citations marked verified
    latency_ms: dict[str, dict[str, float | None]]  # stage -> {p50, p95}
    tokens_per_s: float | None
    outcomes: dict[str, int]  # FAILURES -> count, over generated answerable questions

    def hit(self, k: int) -> float | None:
        return self.hit_curve.get(k)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["hit_curve"] = {str(k): v for k, v in self.hit_curve.items()}
        for k in (1, 5, 10):
            d[f"hit@{k}"] = self.hit(k)
        d["mrr@10"] = d.pop("mrr10")
        return d


def aggregate(outcomes: Sequence[Outcome]) -> Metrics:
    ans = [o for o in outcomes if o.answerable]
    unans = [o for o in outcomes if not o.answerable]
    gen = [o for o in outcomes if o.generated]
    gen_ans = [o for o in ans if o.generated]
    gen_unans = [o for o in unans if o.generated]
    answered = [o for o in gen if not o.refused]
    cited_ans = [o for o in gen_ans if not o.refused]
    latency = {stage: {"p50": percentile([getattr(o, stage) for o in outcomes], 50),
                       "p95": percentile([getattr(o, stage) for o in outcomes], 95)}
               for stage in ("retrieve_ms", "first_token_ms", "total_ms")}
    return Metrics(
        n=len(outcomes), n_answerable=len(ans), n_unanswerable=len(unans), n_generated=len(gen),
        hit_curve={k: ratio(sum(hit_at(o.rank, k) for o in ans), len(ans)) for k in HIT_KS},
        mrr10=mean([reciprocal_rank(o.rank) for o in ans]),
        accuracy=ratio(sum(bool(o.correct) for o in gen_ans), len(gen_ans)),
        f1=mean([o.f1 for o in gen_ans]), em=mean([o.em for o in gen_ans]),
        refusal_rate=ratio(sum(o.refused for o in gen_unans), len(gen_unans)),
        false_refusal_rate=ratio(sum(o.refused for o in gen_ans), len(gen_ans)),
        citation_precision=ratio(sum(o.n_relevant_citations for o in cited_ans),
                                 sum(o.n_citations for o in cited_ans)),
        cited_share=ratio(sum(o.n_citations > 0 for o in answered), len(answered)),
        verified_share=ratio(sum(o.n_verified for o in answered), sum(o.n_citations for o in answered)),
        latency_ms=latency,
        tokens_per_s=mean([o.tokens_per_s for o in gen]),
        outcomes={f: sum(o.failure == f for o in gen_ans) for f in FAILURES} if gen_ans else {},
    )


def group_by(outcomes: Sequence[Outcome], key: str) -> dict[str, Metrics]:
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        groups.setdefault(getattr(o, key) or "-", []).append(o)
    return {name: aggregate(groups[name]) for name in sorted(groups)}
