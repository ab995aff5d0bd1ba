"""What an answer sentence restates of its question, and the stretches left over.

short.py reads a short answer off the model's sentence: the characters that restate the
question are struck out (``covered``), and the uncovered stretches between punctuation and
standalone prepositions (``runs``), trimmed of function characters and widened to whole
words, are the candidates it picks from. Everything here is judged on text folded
character by character (``zh.fold_each``), so offsets stay offsets in the original.
"""
from __future__ import annotations

import bisect
import re
from typing import Callable

from .markers import strip_markers
from .support import says_otherwise
from .zh import CJK, CJK_CHAR, EN_STOP, claim_sentences, fold_each, sentence_spans, stem_en

_WORD = re.compile(r"[a-z0-9]+")
_WORDISH = re.compile(rf"[{CJK}A-Za-z0-9]")  # a candidate says something: not a lone "·"
# Where a candidate ends: punctuation (not 、, which joins the items of a list answer), and
# 在/于/由/是 when they stand as words of their own (jieba), starting a new phrase
# ("2010年4月2日在北京逝世": the date, then the place; 位于 is one word).
BREAK = re.compile(r"[，,。；;：:（）()「」『』《》【】“”\"!！?？—…\s]+")
_PREPOSITIONS = frozenset("在于由是")
# Function characters trimmed from the ends of a candidate: "于1962年" -> "1962年".
EDGE = "的是在于为了由被其与和及并也都就已将把从即乃则他她它"
# Linking verbs that lead into the answer rather than being part of it: 位于|澳洲墨尔本;
# and the words that give another name (又名|泽鹿 for 又叫什么: the question may use another).
LEAD = re.compile(r"(?:位于|属于|来自|处于|成为|担任|司职|包括|称为|叫做|叫作|名为|[又也亦](?:名|称|叫)|[别简俗旧原全古]称|别名|原名|被视为|视为|视作|当作|约为|大约|达到|达|一[位个种名座家部项本颗枚只条艘辆台匹张]|[带具拥]有|[自从至到](?=\d))(?=..)")
LEAD_WORD = re.compile(LEAD.pattern.removesuffix("(?=..)"))
_UNIT = "年月日号岁"
_NUMBER_UNIT = re.compile(r"\d+[^\d\s，,。；;：:、.]?")  # a number and the character after it
COUNTING = "个名人位家种项条座所件次届艘辆台只头匹本部张"  # counting words: 4个, 3项
_TAIL = "上才"  # "Dreamcast上(推出)", "1880年代才(走向)": left over from the restated verb phrase


def covered(sentence: str, question: str) -> list[bool]:
    """Which characters of ``sentence`` (folded) restate ``question`` (folded): Chinese in
    runs of 2+ characters the question also contains, Latin words whose stem it contains
    (not function words: "and" of "Odile and Tobias Brannock" is part of the answer; at
    its ends, "in" of "in 1937", they are trimmed)."""
    marks = [False] * len(sentence)
    asked = {stem_en(w) for w in _WORD.findall(question)} - EN_STOP
    # A number is restated with its unit: the 4 of 2009年4月 does not restate 4个 (a count),
    # while 2014年 is restated by "2014下半赛季".
    numbers = {m.group(0) for m in _NUMBER_UNIT.finditer(question)}
    bare = set(re.findall(r"\d+", question))
    for m in _WORD.finditer(sentence):
        if m.group(0).isdigit():
            unit = _NUMBER_UNIT.match(sentence, m.start()).group(0)
            if unit not in numbers and (m.group(0) not in bare or unit[-1:] in COUNTING):
                continue
        elif stem_en(m.group(0)) not in asked:
            continue
        # With its unit: the 年 of a restated 1682年 is not the start of an answer.
        end = m.end() + (m.end() < len(sentence) and m.group(0).isdigit() and sentence[m.end()] in _UNIT)
        # ...and the characters a letter runs on into as the question writes them (the 座 of
        # C座: one character is no run of its own below).
        while not m.group(0).isdigit() and end < len(sentence) and CJK_CHAR.match(sentence[end]) \
                and sentence[m.start():end + 1] in question:
            end += 1
        marks[m.start():end] = [True] * (end - m.start())
    for run in re.finditer(rf"[{CJK}]+", sentence):
        for a in range(run.start(), run.end()):
            b = a + 2
            while b <= run.end() and sentence[a:b] in question:
                b += 1
            if b - 1 - a >= 2:
                marks[a:b - 1] = [True] * (b - 1 - a)
    return marks


def runs(original: str, sentence: str, covered: list[bool], stops: set[int],
          bounds: list[int]) -> list[tuple[int, int]]:
    """Uncovered stretches of ``original``, split at punctuation and at ``stops``, ends
    trimmed, widened to the whole words of ``bounds``; judged on ``sentence``, its folded
    form (``fold_each``)."""
    runs: list[tuple[int, int]] = []
    start = None
    for i, ch in enumerate(sentence + "\n"):
        gap = i == len(sentence) or covered[i] or i in stops \
            or (BREAK.fullmatch(ch) and not in_number(sentence, i) and not _in_phrase(sentence, i))
        if gap and start is not None:
            runs.append(_trim(sentence, start, i))
            start = None
        elif not gap and start is None:
            start = i
    runs = [_trim_function_words(sentence, a, b) for a, b in runs]
    # (Not inside a title: 《一种美味》 keeps its 一种.)
    runs = [(m.end() if (m := LEAD.match(sentence, a, b)) and original[a - 1:a] != "《" else a, b)
            for a, b in runs]
    runs = [_whole_words(a, b, bounds, covered) for a, b in runs]
    # A lead word taken back whole (沼鹿又|名泽鹿 -> 又名泽鹿): it still only leads in.
    runs = [(w, b) if (w := word_end(bounds, a + 1)) < b and LEAD_WORD.fullmatch(sentence, a, w)
            and original[a - 1:a] != "《" else (a, b) for a, b in runs]
    return [(a, b) for a, b in runs if b > a and _WORDISH.search(original[a:b])]


# A name this short may go on in words the question also says (日产|汽车是…, 商品|期货).
_SHORT_NAME = 2


def named_on(sentence: str, covered: list[bool], bounds: list[int], a: int, b: int, question: str) -> tuple[int, int]:
    """``(a, b)``, or a short run widened over the restated nouns that complete its name up
    to the sentence's predicate (日产|汽车|是日本第二大汽车制造商 -> 日产汽车): the question
    says 汽车 of something else, so striking it out cut the name. Not over a noun the
    question gives as the possessed thing (哪个国家的|首都: 法国|首都是巴黎 answers 法国)."""
    from .lexical import is_verb, tagged

    # A count (三|个, 两|项) is no name; the small numerals only, not all of numerals.NUMERAL: 万,
    # 千, 半 open names as often as counts (万科, 千岛湖, 半岛).
    if not 0 < b - a <= _SHORT_NAME or not re.fullmatch(rf"[{CJK}A-Za-z0-9]+", sentence[a:b]) \
            or sentence[a].isdigit() or sentence[a] in "一二两三四五六七八九十几" + COUNTING:
        return a, b
    # The restated nouns after it, word by word (jieba's reading of the rest of the clause).
    end = b
    clause = BREAK.search(sentence, b)
    for word, tag in tagged(sentence[b:clause.start() if clause else len(sentence)]):
        if not (all(covered[end:end + len(word)]) and tag.startswith(("n", "s"))):  # (not vn)
            break
        end += len(word)
    # ...up to the predicate: punctuation, the end, 是/为 or a verb (国税|系统|征收).
    rest = tagged(sentence[end:end + 2]) if end < len(sentence) else []
    if end == b or rest and not (BREAK.match(sentence, end) or sentence[end] in "是为" or is_verb(rest[0][1])):
        return a, b
    if "的" + tagged(sentence[b:end])[0][0] in question \
            or any(is_verb(t) for _, t in tagged(sentence[a:b])):  # 担任|研究员: a verb, not a name
        return a, b
    return a, end


def whole_titles(sentence: str, runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A run that opens a title in 《》 runs to its end, over words the question also says
    (《划一现行各道地方|行政|官厅组织令》): a title is one name. The runs inside it go."""
    out: list[tuple[int, int]] = []
    for a, b in runs:
        if out and a < out[-1][1]:
            continue  # inside the title just taken whole
        if a > 0 and sentence[a - 1] == "《" and (close := sentence.find("》", b)) > b \
                and "《" not in sentence[b:close] and close - a <= 30:
            b = close
        out.append((a, b))
    return out


def words(sentence: str) -> tuple[set[int], list[int]]:
    """jieba's reading of ``sentence``: the offsets of 在/于 that stand as words of their
    own, and every word boundary (sorted)."""
    from .lexical import is_verb, segment, tagged

    stops, pos, bounds = set(), 0, [0]
    for word in segment(sentence):
        if word in _PREPOSITIONS:
            stops.add(pos)
        pos += len(word)
        bounds.append(pos)
    if stops:  # after a verb, 在 belongs to its phrase: 争取在对方的龙门入球 is one answer
        pos = 0
        for word, tag in tagged(sentence):
            if is_verb(tag) and word != "是":
                stops.discard(pos + len(word))
            pos += len(word)
    return stops, bounds


def _whole_words(a: int, b: int, bounds: list[int], covered: list[bool]) -> tuple[int, int]:
    """``(a, b)`` widened to whole words over what the question restates. The answer often
    shares its last word with the question (哪一个大学 -> 莫斯科中山大学; 哪种细胞分裂 ->
    有丝分裂), and striking out what the question says would leave half a word. Only
    restated characters are taken back, never a trimmed 的 or a 在 that starts a phrase."""
    if a >= b:
        return a, b
    start, end = bounds[bisect.bisect_right(bounds, a) - 1], word_end(bounds, b)
    if all(covered[start:a]):
        a = start
    if all(covered[b:end]):
        b = end
    return a, b


def word_end(bounds: list[int], i: int) -> int:
    """The end of the word holding offset ``i`` (``i`` itself when a word ends there)."""
    return bounds[min(bisect.bisect_left(bounds, i), len(bounds) - 1)]


def _in_phrase(text: str, i: int) -> bool:
    """A space between two English words ("Odile and Tobias", "30 dollars", "17 August
    2027") joins them; between Chinese characters a space separates. So does the point of an
    abbreviation before a name ("Dr. Amara Whitcombe")."""
    if not 0 < i < len(text) - 1:
        return False
    left, right = text[i - 1], text[i + 1]
    if text[i] == " ":
        return (left.isascii() and (left.isalnum() or left in ".%")) and right.isascii() and right.isalnum()
    return text[i] == "." and left.isascii() and left.isalpha() and right == " "


def _trim_function_words(text: str, a: int, b: int) -> tuple[int, int]:
    """English function words off both ends of a run: "on 9 November" -> "9 November"."""
    while (m := _EDGE_WORD.match(text, a, b)) and m.group(1) in EN_STOP:
        a = m.end()
    while (m := _LAST_WORD.search(text, a, b)) and m.group(1) in EN_STOP:
        b = m.start()
    return a, b


_EDGE_WORD = re.compile(r"([a-z]+)(?:\s+|$)")
_LAST_WORD = re.compile(r"(?:^|\s+)([a-z]+)$")


def in_number(text: str, i: int) -> bool:
    """A separator inside a number: the comma of 1,500, the point of 3.5, the colon of 1:5."""
    return text[i] in ",.:：" and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and (text[a] in EDGE or text[a].isspace()):
        a += 1
    # (but 以上 is the bound of a count: 三分之二以上(同意), not 三分之二以)
    while b > a and (text[b - 1] in EDGE + _TAIL or text[b - 1].isspace()) and text[b - 2:b] != "以上":
        b -= 1
    # The 至 of a range whose other end the question named: "1682年至" -> 1682年.
    if b - a > 2 and text[b - 1] in "至到" and (text[b - 2].isdigit() or text[b - 2] in _UNIT):
        b -= 1
    return a, b


def sentences_adding(question: str, claim: str, passages: list[str]) -> list[tuple[int, str]]:
    """For a claim that mostly restates ``question`` ("至某岛游玩的游客大多来自于美国本土以及
    加拿大"): the passage sentences (with their passage's index) that hold every stretch the
    claim adds to the question, one a number or of two characters at least (3, 加拿大).
    Such a claim fails the lexical support check because the passage words its restated
    part otherwise ("某岛的游客主要来自美国本土和加拿大"). None found when it restates little
    or adds nothing."""
    text = fold_each(strip_markers(claim)).strip("。. ")
    marks = covered(text, fold_each(question))
    if not text or sum(marks) * 2 < len(text):
        return []
    added = re.findall(r"[^\W_]+", "".join(" " if m else ch for ch, m in zip(text, marks)))
    if not any(len(a) >= 2 or a.isdigit() for a in added):  # (3 of "分为3个产程" is an answer)
        return []
    found = []
    for i, passage in enumerate(passages):
        folded = fold_each(passage)
        found += [(i, passage[a:b]) for a, b in sentence_spans(passage) if all(x in folded[a:b] for x in added)]
    return found


# How close (e5 cosine) a question and the passage sentence stating what a restating
# answer adds must be for that sentence to back it. Fitted on the development recordings:
# right answers refused as unsupported 0.907-0.939, unanswerable questions 0.902 at most,
# right answers the checks accept p10 0.878 (evals/RESULTS.md, twenty-third session).
RESTATED_SIMILARITY = 0.905
_MOST_SENTENCES = 8  # embedded at most, in passage order (a claim adding a common word is in many)


def restating_sentence(closest: Callable[[str, list[str]], tuple[float, int]], question: str, claim: str,
                       passages: list[str]) -> tuple[float, int] | None:
    """For a one-sentence ``claim`` (markers stripped): the e5 cosine of ``question`` and the
    closest passage sentence that states what the claim adds to it (sentences_adding)
    and says nothing otherwise (support.says_otherwise: "平均海拔是142米" from the lowest
    point's), by ``closest`` (Retriever.closest: the question's forms against the sentences),
    with that passage's index; None when the claim is longer or no sentence states it."""
    found = sentences_adding(question, claim, passages)[:_MOST_SENTENCES] if len(claim_sentences(claim)) == 1 else []
    found = [(i, s) for i, s in found if not says_otherwise(claim, s)]
    if not found:
        return None
    score, best = closest(question, [s for _, s in found])
    return score, found[best][0]
