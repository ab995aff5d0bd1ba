"""A claim that drops its passage's negation is not supported by it.

Word overlap counts "you do have to bring your own gloves" as well supported by "…so you
do not need to bring your own": every content word is there. Only the negation differs, and
it is the whole answer. Here: a negated phrase of the passage (不需要自带, "not need to
bring your own") that the claim states without any negation, while the passage never
states it positively, makes the claim unsupported by that passage.

Likewise an answer that gives a thing the superlative the question asks (最高) where its
passage gives that thing the opposite (第一季度…为全年最低): flipped_superlative, used by
answer.py's checks.

Used by support.py (support_score). And an answer that opens with yes but goes on to
negate what was asked ("Yes, you do not need to bring your own gloves") opens with no
(agreeing_answer; used by answer.py).
"""

from __future__ import annotations

import re

from .zh import EN_STOP, EN_YES_NO_Q, YES_NO_Q, fold, sentence_spans, stem_en, to_simplified

# Chinese negations before a verb or adjective; the word after them (需要 of 不需要) is part
# of the negated phrase. (Not words that merely start with 不/未/无: 不仅, 不断, 不同, 未来…)
_ZH_NEG = re.compile(r"(?:没有|禁止|严禁|无法|[不没未无])"
                     r"(?!仅|但|断|同|久|少|过|论|管|止|禁|亚|如|外|然|足|良|利|幸|错|妨|光|只|免|满|再|知不觉|来|必|几|限|数|疑|比|穷|关|法)")
_ZH_CLAUSE_END = re.compile(r"[，,。；;：:！!？?、\n]")
_ZH_ANY_NEG = re.compile(r"[不没无未非别莫勿禁]")
# English: the negation and the words it governs, up to a clause's end.
_EN_NEG = re.compile(r"\b(?:not|never|cannot|no need to|no longer)\b|n't\b", re.I)
_EN_ANY_NEG = re.compile(r"\b(?:not|no|never|cannot|none|nor|neither|without)\b|n't\b", re.I)
_EN_WORD = re.compile(r"[a-z][a-z'-]*")
# Words of the negated clause that say nothing of its content (need to, have to, be).
_EN_FRAME = EN_STOP | {"need", "needs", "needed", "have", "has", "had", "must", "required", "be", "been"}
_ZH_SPAN = 6  # characters after a Chinese negation that make its phrase
_ZH_MIN = 4  # ...of which the claim must say this many
_EN_SPAN = 6  # words after an English one


def dropped_negation(claim: str, passage: str) -> bool:
    """Does ``claim`` state, without negation, a phrase ``passage`` states only negated? Or
    put a prohibition on what the passage excepts from it?"""
    c, p = fold(claim), fold(passage)
    return _zh_dropped(c, p) or _en_dropped(c, p) or _zh_excepted(c, p)


# What a rule excepts: "寝室内禁止使用电锅、电暖器等高功率电器，吹风机除外", "除导盲犬外，宠物不得入内".
_ZH_EXCEPTED = re.compile(r"([^，,。；;：:、（）()\s]{2,12}?)除外|除(?:了)?([^，,。；;、\s]{2,12}?)(?:以)?外")
# A claim that says the thing is excepted, or allowed, is not the rule put on it.
_ZH_ALLOWED = re.compile(r"除|例外|不在此限|可以|允许|准许|[可能]用")


def _zh_excepted(claim: str, passage: str) -> bool:
    """Does ``claim`` put the passage's prohibition (禁止, 不得) on the thing that passage's
    rule excepts ("吹风机在宿舍内禁止使用" where "…禁止使用…电器，吹风机除外")?"""
    if _ZH_ALLOWED.search(claim):
        return False
    for sentence in (passage[a:b] for a, b in sentence_spans(passage)):
        for m in _ZH_EXCEPTED.finditer(sentence):
            item, rule = (m.group(1) or m.group(2)).split("等")[0], sentence[:m.start()] + sentence[m.end():]
            if item in claim and any(n.group(0) in claim for n in _ZH_NEG.finditer(rule)):
                return True
    return False


def _zh_dropped(claim: str, passage: str) -> bool:
    for m in _ZH_NEG.finditer(passage):
        phrase = _ZH_CLAUSE_END.split(passage[m.end():m.end() + _ZH_SPAN], 1)[0]
        # The longest start of the negated phrase the claim says: four characters at least
        # (需要自带 of 不需要自带; not 形成的 of "尚未形成的印度洋", which any sentence may say).
        said = next((phrase[:n] for n in range(len(phrase), _ZH_MIN - 1, -1) if phrase[:n] in claim), "")
        if not said:
            continue
        at = claim.find(said)
        if _ZH_ANY_NEG.search(_ZH_CLAUSE_END.split(claim[:at])[-1]):
            continue  # the claim's clause negates it too (无需自带, 没有通过任何示威申请)
        # ...and the passage never says it positively (A不提供退款，B提供退款).
        if any(not _ZH_NEG.search(passage[max(0, k - 3):k]) for k in _finds(passage, said) if k != m.end()):
            continue
        return True
    return False


# Words that say "not <word>": "Closed on Mondays" is "not open on Mondays", and "Yes, we are
# open on Mondays" drops its negation like any other.
_EN_NOT = {"closed": "open", "shut": "open", "excluded": "included", "prohibited": "allowed",
           "forbidden": "allowed", "unavailable": "available"}
_EN_OPPOSITE = re.compile(rf"\b(?:{'|'.join(_EN_NOT)})\b")
_EN_PUNCT = re.compile(r"[,.;:!?\n]")  # (where a negated clause ends)


def _en_dropped(claim: str, passage: str) -> bool:
    if _EN_ANY_NEG.search(claim):
        return False  # it negates something: which, overlap cannot tell; leave it
    claimed = set(_EN_WORD.findall(claim))
    negated = [(passage[m.end():], False) for m in _EN_NEG.finditer(passage)]
    negated += [(f"{_EN_NOT[m.group(0)]} {passage[m.end():]}", True) for m in _EN_OPPOSITE.finditer(passage)]
    for after, opposite in negated:
        clause = _EN_PUNCT.split(after, maxsplit=1)[0]
        words = [w for w in _EN_WORD.findall(clause)[:_EN_SPAN] if w not in _EN_FRAME]
        if len(words) >= 2 and sum(w in claimed for w in words) >= 2 and not (opposite and _stated(words, passage)):
            return True
    return False


def _stated(words: list[str], passage: str) -> bool:
    """Whether ``passage`` also states the first two words of a clause it says the opposite
    of, in a clause of its own ("The café is closed on Mondays; the galleries are open on
    Mondays")."""
    for clause in _EN_PUNCT.split(passage):
        found = _EN_WORD.findall(clause)
        if not _EN_ANY_NEG.search(clause) and not _EN_OPPOSITE.search(clause) and all(w in found for w in words[:2]):
            return True
    return False


# Superlatives and their opposites: 最高 / 最低, 最多 / 最少 …
_OPPOSITE = {a: b for x, y in (("高", "低"), ("多", "少"), ("大", "小"), ("早", "晚"), ("长", "短"), ("快", "慢"),
                               ("贵", "便宜"), ("强", "弱"), ("远", "近")) for a, b in ((x, y), (y, x))}
_SUPERLATIVE = re.compile(rf"最({'|'.join(sorted(_OPPOSITE, key=len, reverse=True))})")


def flipped_superlative(question: str, answer: str, passages: list[str]) -> bool:
    """Asked which is 最高 (in Chinese), does the answer name a thing (a word it adds to the
    question's: 第一季度) that a passage sentence gives the opposite (最低) and no sentence
    giving 最高 names? ("2025年哪个季度的净利润最高？" -> "第一季度", from "第三季度…均为全年
    最高；第一季度…为全年最低".) Sentences by 。 and ；: their clauses share a subject."""
    from .lexical import segment

    question, answer = fold(question), fold(answer)
    m = _SUPERLATIVE.search(question)
    if not m:
        return False
    said, opposite = m.group(0), "最" + _OPPOSITE[m.group(1)]
    named = [w for w in segment(answer) if len(w) >= 2 and re.search(r"[^\W\d_]", w) and w not in question]
    parts = [p for text in passages for p in re.split(r"[。；;!！?？\n]", fold(text)) if p]
    against = [p for p in parts if opposite in p and said not in p]
    return any(w in p and not any(w in q for q in parts if said in q) for w in named for p in against)


def _finds(text: str, part: str) -> list[int]:
    return [m.start() for m in re.finditer(re.escape(part), text)]


# The word that opens an answer to a yes/no question, and what it turns into when the
# answer's own clause says no.
_EN_YES = re.compile(r"(\s*)(yes)\b(\s*[,.;:!]?)", re.I)
_ZH_YES = re.compile(r"(\s*)(是的|对的|是|对)(\s*[，,。！!])")
_EN_CLAUSE_END = re.compile(r"[,.;:!?\n]|\b(?:but|although|though|except|unless)\b", re.I)
_NEGATED_WITHIN = 5  # words from the clause's start to its negation
_ZH_NEGATED_WITHIN = 4  # ...characters, in Chinese


# A bare no opening an answer (不可以。) and the words of a condition that allows it (须…方可,
# 才能): the answer states when it may be done, the no only contradicts it.
_ZH_BARE_NO = re.compile(r"\s*(?:不可以|不能|不行|不可|不得|唔得|唔可以)\s*[，,。！!；;]\s*")
_ZH_ONLY_IF = re.compile(r"方可|方能|才可以|才可|才能|才得以")


def agreeing_answer(question: str, answer: str) -> str:
    """``answer`` to a yes/no ``question``, opening with no where it opens with yes and its
    first clause negates what the question asks ("Yes, you do not need to bring your own
    gloves" to "Do I have to bring my own gloves?"; "是的，志愿者不需要自带手套"). The negation must
    come early in the clause and govern the question's own word: "Yes, you do not need cash"
    to "Can I pay by card?" and "Yes, it does not close on Mondays" (no to closing, yes to
    opening) are left as they are. A question that itself negates is left. A bare no before
    the condition that allows what was asked ("不可以。…须提供证明…方可报销") is dropped."""
    if EN_YES_NO_Q.match(question) and (m := _EN_YES.match(answer)) and not _EN_ANY_NEG.search(question):
        clause = _EN_CLAUSE_END.split(answer[m.end():], 1)[0]
        words = _EN_WORD.findall(clause.lower())
        asked = {stem_en(w) for w in _EN_WORD.findall(question.lower()) if w not in _EN_FRAME}
        at = next((i for i, w in enumerate(words) if _EN_ANY_NEG.fullmatch(w) or w.endswith("n't")), None)
        governed = next((w for w in words[at + 1:] if w not in _EN_FRAME and w != "to"), "") if at is not None else ""
        if at is not None and at < _NEGATED_WITHIN and stem_en(governed) in asked:
            no = "No" if m.group(2)[0] == "Y" else "no"
            return answer[:m.start(2)] + no + answer[m.end(2):]
        return answer
    if (m := _ZH_BARE_NO.match(answer)) and _ZH_ONLY_IF.search(fold(answer[m.end():])):
        # ("不可以。发票遗失的，须提供…证明…后方可报销[2]": the condition, not the no.)
        return answer[m.end():]
    simplified = to_simplified(question)
    if YES_NO_Q.search(simplified) and (m := _ZH_YES.match(answer)) and not _ZH_ANY_NEG.search(simplified):
        clause = _ZH_CLAUSE_END.split(fold(answer[m.end():]), 1)[0]
        neg = _ZH_NEG.search(clause)
        folded = fold(question)
        if neg and neg.start() <= _ZH_NEGATED_WITHIN and len(governed := clause[neg.end():neg.end() + 2]) == 2 and governed in folded:
            return answer[:m.start(2)] + "不" + answer[m.end(2):]
    return answer
