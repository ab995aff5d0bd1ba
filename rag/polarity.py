"""A claim that drops its passage's negation is not supported by it.

Word overlap counts "you do have to bring your own gloves" as well supported by "…so you
do not need to bring your own": every content word is there. Only the negation differs, and
it is the whole answer. Here: a negated phrase of the passage (不需要自带, "not need to
bring your own") that the claim states without any negation, while the passage never
states it positively, makes the claim unsupported by that passage.

Used by support.py (support_score).
"""

from __future__ import annotations

import re

from .zh import EN_STOP, fold

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
    """Does ``claim`` state, without negation, a phrase ``passage`` states only negated?"""
    c, p = fold(claim), fold(passage)
    return _zh_dropped(c, p) or _en_dropped(c, p)


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


def _en_dropped(claim: str, passage: str) -> bool:
    if _EN_ANY_NEG.search(claim):
        return False  # it negates something: which, overlap cannot tell; leave it
    claimed = set(_EN_WORD.findall(claim))
    for m in _EN_NEG.finditer(passage):
        clause = re.split(r"[,.;:!?\n]", passage[m.end():], maxsplit=1)[0]
        words = [w for w in _EN_WORD.findall(clause)[:_EN_SPAN] if w not in _EN_FRAME]
        if len(words) >= 2 and sum(w in claimed for w in words) >= 2:
            return True
    return False


def _finds(text: str, part: str) -> list[int]:
    return [m.start() for m in re.finditer(re.escape(part), text)]
