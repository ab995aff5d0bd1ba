"""The clause that answers a why, how or describe question: "猎骄靡为什么…" -> "因为…".

Asked for a reason or a description, the answer is a clause of the sentence, not a name
in it: from the first clause that says something new (past what restates the question and
the words that lead into an answer, 因为/主要/包括), to the end of the sentence -- or to a
conclusion (因此…) or a clause that is the question again. Used by short.py.
"""
from __future__ import annotations

import re

from . import restated as rs
from .zh import CJK_CHAR

CLAUSE_LEAD = re.compile(r"(?:因为|由于|是因为|原因是|主要是)")
_INTO = re.compile(r"(?:主要|包括|包含|就是|即为|即是)")  # words that lead into a description
# (Nor into what came after it: 事后/随后/此后… tell a later event, not the reason or the effect.)
_CONCLUSION = re.compile(r"[，,；;]\s*(?:因此|所以|从而|于是|故而|故(?![事乡宫障意居都土])|事后|随后|此后|之后|其后)")
# "以X为由": X is the reason given, to a question that asks for one.
_GROUNDS = re.compile(r"以([^，,；;。]{2,40}?)为(?:由|理由)")


def answering_clause(sentence: str, folded: str, covered: list[bool], why: bool = False, named: str = "") -> str | None:
    """For why/how/describe questions: from the first clause that says something new,
    without a restated lead ("猎骄靡是…" -> "…"), or from the clause that gives a reason
    (因为/由于…) when there is one, to the end of the sentence or the clause that restates
    the question ("…，改名镜宇" after 为什么改名). A later clause that opens with ``named``,
    what the question asks for, gives it ("甲是一种制剂，其作用机制是…" for 作用机制)."""
    if why and (grounds := _GROUNDS.search(folded)):  # asked why: the grounds given
        return sentence[grounds.start(1):grounds.end(1)]
    clauses = [m.span() for m in re.finditer(r"[^，,；;。]+", sentence)]
    reason = next((i for i, (a, b) in enumerate(clauses) if CLAUSE_LEAD.match(folded, _skip(folded, covered, a, b), b)),
                  None)
    if reason is None and len(named) >= 2:
        reason = next((i for i, (a, b) in enumerate(clauses) if i and named in folded[a:_skip(folded, covered, a, b)]), None)
    for i, (a, b) in enumerate(clauses):
        if reason is not None and i < reason:
            continue
        start = a = _skip(folded, covered, a, b)
        # Past a lead, and past what it restates only when another lead follows (主要|用途|
        # 包括|制造甘油…; but 因为|米泽市是… keeps its restated subject).
        while lead := CLAUSE_LEAD.match(folded, start, b) or _INTO.match(folded, start, b):
            start = lead.end()
            after = _skip(folded, covered, start, b)
            if not (CLAUSE_LEAD.match(folded, after, b) or _INTO.match(folded, after, b)):
                break
            start = after
        if b - start < 2:
            continue
        # The answer runs to the end of the sentence (a reason or a description is often
        # several clauses), but not into a conclusion that restates the question (因此…).
        conclusion = _CONCLUSION.search(folded, b)
        end = conclusion.start() if conclusion else len(sentence)
        for c, d in clauses[i + 1:]:
            if c < end and _restates(folded, covered, c, d):
                end = c
                break
        clause = sentence[start:end].strip().rstrip("，,；;。.！!")
        # Quoted whole, the quote is the answer: 「呼、呼、悠悠阿」.
        quoted = re.fullmatch(r"[「『“\"](.+)[」』”\"]", clause)
        return quoted.group(1) if quoted else clause
    return None


def _skip(folded: str, covered: list[bool], a: int, b: int) -> int:
    """Past what a clause restates and the function characters that lead it."""
    while a < b and (covered[a] or folded[a] in rs.EDGE or folded[a].isspace()):
        a += 1
    return a


def _restates(folded: str, covered: list[bool], a: int, b: int) -> bool:
    """The clause is mostly the question again (花瓶会变成红橙色 for 为什么会变成红橙色)."""
    chars = [i for i in range(a, b) if CJK_CHAR.match(folded[i])]
    return len(chars) >= 2 and sum(covered[i] for i in chars) >= 0.6 * len(chars)
