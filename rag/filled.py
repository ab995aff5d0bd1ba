"""A question with a name in its question word's place: the statement a note on a row gives
("栖川地铁最早开通的是哪条线？" -> "栖川地铁最早开通的是1号线"), which the model's answer, restating the
question, is then vouched for by. Used by ranked.py and compared.py."""
from __future__ import annotations

import re

from .rewrite import without_note
from .zh import CJK_CHAR, WHICH_CLASSIFIERS, to_simplified


# 哪 and the classifier after it (哪条, 哪一个, 哪款): what asks which of several things.
WHICH_WORD = rf"哪一?[{WHICH_CLASSIFIERS}款台辆]"
# The question word and the noun it asks for (哪条线 of 哪条线的站更多 and of 最早开通的是哪条线,
# 谁, 哪个; who's, which team): the row found takes its place in the note.
_ZH_ASKER = re.compile(rf"谁|(?:{WHICH_WORD}|哪一?)(?:[\u4e00-\u9fff]{{1,3}}?(?=的|是|[，,。？?]|$))?")
_EN_ASKER = re.compile(r"\bwho(?:'s|\s+has|\s+is)?\b|\bwhich\b(?:\s+[\w-]+){0,3}?(?=\s+(?:is|are|was|were|has|have|had|does|"
                       r"did|comes?|offers?|gives?|costs?|keeps?|scored|let)\b)|\bwhich(?:\s+(?:one|of them|of the two))?\b",
                       re.I)


def put_in(question: str, name: str) -> str:
    """``question`` (its asking clause) with ``name`` in its question word's place, as a
    statement the model's answer restates and the note vouches for: "栖川地铁最早开通的是哪条线？"
    -> "栖川地铁最早开通的是1号线"; "Who's scored the second most goals…?" -> "Quillmere Rovers
    has scored…". "" when it has no question word to fill."""
    clause = re.split(r"[，,；;]", without_note(question).strip())[-1].rstrip("？?。. ")
    if re.search(r"[A-Za-z]", clause) and not CJK_CHAR.search(clause):
        m = _EN_ASKER.search(clause)
        said = f"{name} has" if m and re.fullmatch(r"who(?:'s|\s+has)", m.group(0), re.I) else name
        return clause[:m.start()] + said + clause[m.end():] if m else ""
    m = _ZH_ASKER.search(clause)
    if not m:
        return ""
    # (The noun after the question word, where the name ends with it, is the name's:
    # 哪个校区启用最晚 -> 海棠校区启用最晚, not 海棠校区校区….)
    # Likewise the words before it that the name starts with: 泠川县哪家医院 -> 泠川县人民医院.
    from .lexical import segment

    rest, lead = clause[m.end():], clause[:m.start()]
    # (as a word, segmented in simplified -- 區面積 is one word to the segmenter, 区|面积 two --:
    # 仓库 is no 仓 of 雁岭分仓)
    noun = next(iter(segment(to_simplified(rest))), "") if CJK_CHAR.match(rest) else ""
    k = len(noun) if noun and to_simplified(name).endswith(noun) else 0
    j = next((j for j in range(min(len(lead), len(name)), 1, -1) if lead.endswith(name[:j])), 0)
    return lead[:len(lead) - j] + name + rest[k:]
