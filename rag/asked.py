"""Spans a question's shape asks for: a clause (asked why, how, for a description), the
place asked where (and an address the question's name runs through), the item a list
leaves open, the person asked who.

Used by short.py, after the sentence that answers has been chosen.
"""

from __future__ import annotations

import re

from . import restated as rs
from .locate import locate
from .numerals import EN_FULL_DATE, EN_WHEN_Q, TIME
from .records import LABEL_UNIT
from .brackets import beyond_brackets
from .zh import (EN_STOP, EN_YES_NO_Q, PROCEDURE_Q, QUANTITY_Q, QUESTION_WORD, WHICH_CLASSIFIERS, WHY, YES_NO_Q,
                 claim_sentences, fold_each, to_simplified)


# Asked why or how: a clause answers, whatever the sentence's words around it.
WHY_ONLY = rf"{WHY}|\bwhy\b"
WHY_HOW = re.compile(rf"{WHY_ONLY}|怎么|怎样|如何|\bhow\b(?! many| much)", re.I)
# Asked for a reason, a manner or a description: a clause answers it. (目的 as a purpose is
# followed by its predicate or ends the question: not 食肉目|的亲属, 目的地.)
# "X是谁" asks who X is (乌孙的首领); "X的导演是谁" asks for a name, which a word answers.
CLAUSAL = re.compile(rf"{WHY_HOW.pattern}|特点|特征|作用|意义|原因|成因|影响|过程|方式|定义|(?<![项题科节条书栏曲剧数名账])目的(?=[是为在何有而和与及？?，,。；;\s]|$)"
                    r"|职责|用途|功能|不同|区别|宗旨|含义|反应|态度|由来|来历|(?:什么|哪些|哪一?个?)方面|^[^的]*是谁[？?]?$|^什么是", re.I)
# Which thing, asked before the clause's word, is what the question asks for: "在哪一本书中有
# 明确的定义" asks for the book, "受到哪一个法律的影响" for the law (but 哪种方式 asks a manner).
_WHICH = re.compile(rf"哪一?[{WHICH_CLASSIFIERS}]")


def clausal(question: str) -> bool:
    """Does a clause answer ``question`` (a reason, a manner, a description), not a word?"""
    if PROCEDURE_Q.search(question):  # what to do, which step: the step, a clause
        return True
    m = CLAUSAL.search(question)
    if not m:
        return False
    which = _WHICH.search(question, 0, m.start())
    return not (which and which.end() < m.start() and not WHY_HOW.match(m.group()) and "方面" not in m.group())


def framed_kind(question: str) -> str:
    """A description asked for by a kind the question's own words close (导入什么方式|发电,
    以什么作用|著称): the sentence fills the slot between them, as for any other kind. Not a
    reason (什么原因才被解职 asks why) and not a definition (什么是…: no kind follows).
    Returns the kind (方式), or "" when the question is not so framed."""
    m = QUESTION_WORD.search(question)
    if not m or WHY_HOW.search(question):
        return ""
    after = re.sub(r"^样?的", "", re.sub(r"\W", "", question[m.end():]))  # 什么样的|方式
    kind = CLAUSAL.match(after)
    framed = kind and kind.group() not in ("原因", "成因", "目的") and len(after) - kind.end() >= 2
    return kind.group() if framed else ""


def _unnamed(text: str, named: str) -> int:
    """How many characters of ``text`` (folded) the question's words (``named``) do not cover."""
    return len(text) - sum(rs.covered(text, named))


# Asked where: the place a preposition leads to answers (可以在|外汇商店|购买…).
WHERE = re.compile(r"哪里|哪儿|哪边|何处|何地|什么地方|哪个地方|哪一个地方")
# ...or asked for the place by name (它的地理位置是什么, 总部地址).
PLACE_ASKED = re.compile(rf"{WHERE.pattern}|位置|地址|地点|所在地")
_TO_PLACE = frozenset({"在", "到", "去", "往", "于", "至"})
_LIES_IN = frozenset({"位于", "地处", "坐落于", "处于", "设于"})  # verbs that place their subject


def not_a_place(candidate: str) -> bool:
    """A clause (a verb after its first word: 商店|购买…; 位于眉毛中间末端 is a place) or
    words that name nothing (很广)."""
    from .lexical import is_verb, tagged

    words = tagged(fold_each(candidate))
    return any(is_verb(t) and not _in_name(words, i) for i, (_, t) in enumerate(words) if i) \
        or not any(t.startswith(("n", "s", "f")) for _, t in words)


_NAME_TAGS = ("nr", "ns", "nt", "nz")


def _in_name(words: list[tuple[str, str]], i: int) -> bool:
    """A one-character "verb" between a name and a name or the end is part of the name:
    jieba reads the 落 of 六户町犬落濑 as one (…町犬|落|濑)."""
    after = words[i + 1][1] if i + 1 < len(words) else "ns"
    return len(words[i][0]) == 1 and words[i - 1][1].startswith(_NAME_TAGS) and after.startswith(_NAME_TAGS)


_EN_YES_NO_A = re.compile(r"\s*(yes|no)\b(?!-)", re.I)
# A Chinese verdict: yes or no itself, or a verb of one or two characters maybe denied.
_ZH_VERDICT = re.compile(r"(是的|是|对|否|不是|不对)|(?:不|没|没有)?([^\W\d]{1,2})")


def bare_verdict(question: str, text: str) -> bool:
    """Is ``text`` a Chinese yes/no ``question``'s verdict alone: yes or no itself, or the
    question's own verb said or denied (不可以 of 可以…吗, 没有 of 有没有)? (Its short answer
    is the quote's word when the quote says it, else none: not the 不 that striking out the
    question's words leaves.)"""
    said = _ZH_VERDICT.fullmatch(to_simplified(text.rstrip("。！!.，, ")))
    return bool(YES_NO_Q.search(question) and said and (not said.group(2) or said.group(2) in question))


def answered_whole(question: str, text: str, sentence: str, sources: list[tuple[str, str]],
                   asked: str | None = None) -> str | None:
    """What the quote says, whole, where the question's shape asks for all of it: asked yes
    or no and answered in a word the quote says (同意 of "同意增聘…"), that word (in English,
    the answer's yes or no, which no quote says); asked when in
    English and answered with one date with its year, that date (not "March 18" of "March
    18, 2025": the comma ends a run)."""
    if YES_NO_Q.search(question) and len(text) <= 6 and not rs.BREAK.search(text) \
            and (found := locate(text, sources)) and len(found) == len(text):
        return found
    # ...or with a sentence of the quote whole (the rule that decides it, "租客须由业主签署授权书，
    # …方可使用会所"): that sentence, not a phrase of it.
    whole = text.rstrip("。.！!；;")
    if YES_NO_Q.search(question) and len(claim_sentences(whole)) == 1 \
            and (found := locate(whole, sources)) and len(found) == len(whole):
        return found
    # Asked yes or no in English and answered so, the yes or the no ("No, you do not need
    # to bring your own gloves": not "Gloves", a word of the clause): no quote's words.
    if EN_YES_NO_Q.match(question) and (said := _EN_YES_NO_A.match(text)):
        return said.group(1).capitalize()
    if EN_WHEN_Q.search(question) and len(dated := EN_FULL_DATE.findall(sentence)) == 1 \
            and (found := locate(dated[0], sources)) and len(found) == len(dated[0]):
        return found
    # A row the model copied ("月费(元): 238，合约期(月): 24"), asked how much: the value of the
    # column the question names (月费 of 家庭乐A的月费是多少元; not of 月费最便宜的是哪个).
    if QUANTITY_Q.search(question) and (value := row_value(question, sentence)) and (found := locate(value, sources)) and len(found) == len(value):
        return found
    # ...or a row of ranges copied, asked with values they hold: the amount beside them
    # (6毫升 of "4-6岁 16-21公斤 6毫升" for a child of 5 and 18 kg; the values as ``asked``,
    # the user's own words: 7到9岁 of a follow-up "那7到9岁的呢？" shaped as the question before).
    if QUANTITY_Q.search(question) and (value := beyond_brackets(asked or question, sentence)) \
            and (found := locate(value, sources)) and len(found) == len(value):
        return found
    # Asked for several in English: the list, or the one range of numbers (settings 32 to 40).
    several = EN_PLURAL_Q.search(question) and (english_list(sentence) or _one(_EN_RANGE.findall(sentence)))
    if several and (found := locate(several, sources)) and len(found) == len(several):
        return found
    # ...a list no one passage holds (four tools from four sheet rows): as the answer lists
    # them, when each item is a passage's words whole.
    items = [i for i in _EN_ITEM_SPLIT.split(several) if i] if several else []
    if len(items) >= 2 and all((f := locate(i, sources)) and len(f) == len(i) for i in items):
        return several
    return None


_EN_ITEM_SPLIT = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+)(?:the\s+|a\s+|an\s+)?", re.I)


# "label: value" in a copied row; a value runs to a comma, but not one between digits (1,000).
_ROW_PAIR = re.compile(r"([^，,、|:：。]{1,16}?)\s*[:：]\s*((?:[^，,|。；;]|(?<=\d),(?=\d{3}))+)")


def row_value(question: str, sentence: str) -> str | None:
    """The value of the one "label: value" pair of ``sentence`` whose label (its unit aside:
    月费 of 月费(元)) the question names, or None."""
    asked = fold_each(question)
    values = [value.strip() for label, value in _ROW_PAIR.findall(sentence)
              if len(name := fold_each(LABEL_UNIT.sub("", label).strip())) >= 2 and name in asked]
    return values[0] if len(values) == 1 else None


def _one(found: list[str]) -> str | None:
    return found[0] if len(found) == 1 else None


# Asked in English for several things: a plural noun after which/what, before the question's
# verb or a preposition ("Which trails in…", "What tools are…"; not "What happens if",
# "What does"), or "What are…".
EN_PLURAL_Q = re.compile(r"\b(?:which|what)\s+(?:[a-z-]+\s+)?[a-z]+[^s\W]s\s+(?:are|were|do|does|did|can|could|should"
                         r"|will|would|have|has|is|was|in|of|on|at|for|from|to|with)\b|\b(?:which|what)\s+are\b", re.I)
_EN_WORD = re.compile(r"\(?[A-Za-z0-9][\w'’/-]*\)?")
_EN_JOIN = re.compile(r"\s*[,;]\s*|\s+")  # what may stand between two words of a list
_EN_ITEM_WORDS = 6  # an item longer than this is a clause, not a list's noun phrase
_EN_RANGE = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*\s*(?:to|–|-)\s*\d+(?:[.,]\d+)*(?![\w])")


def english_list(sentence: str) -> str | None:
    """The longest list of two or more short noun phrases in an English ``sentence``, joined
    by commas and a final "and"/"or" (or by commas alone, three at least): "Ember Falls Trail,
    the Glasswater Lake Loop and the Aldercreek Meadows Trail" of "They are allowed on the
    Ember Falls Trail, the Glasswater Lake Loop and the Aldercreek Meadows Trail, in the
    campground". A phrase ends at a function word (on, in, from); the first holds no more
    words than the longest of the others ("Tuesdays", not "Lindqvist works Tuesdays")."""
    words = list(_EN_WORD.finditer(sentence))
    chains: list[list[list[re.Match]]] = []  # chains of phrases, each phrase its words
    chain: list[list[re.Match]] = []
    joined = False  # the next word starts a new phrase
    for prev, word in zip([None] + words, words):
        gap = sentence[prev.end():word.start()] if prev else ""
        low = word.group().lower()
        if prev is None or not _EN_JOIN.fullmatch(gap):
            chains.append(chain)
            chain, joined = [], False
        if "," in gap or ";" in gap:
            joined = True
        if low in ("and", "or"):
            joined = True
            continue
        if low in ("the", "a", "an") and joined:
            continue
        if low in EN_STOP:
            chains.append(chain)
            chain, joined = [], False
            continue
        if joined or not chain:
            chain.append([word])
        else:
            chain[-1].append(word)
        joined = False
    chains.append(chain)
    best = None
    for chain in chains:
        if len(chain) < 2 or any(len(p) > _EN_ITEM_WORDS for p in chain[1:]):
            continue
        first = chain[0][-max(len(p) for p in chain[1:]):]
        span = sentence[first[0].start():chain[-1][-1].end()]
        # The items of a list look alike: capitalised or not, all of them; a lone participle
        # is no item ("on weekdays and closed on Mondays").
        heads = [p[0].group() for p in [first] + chain[1:]]
        alike = len({h[0].isupper() for h in heads}) == 1 \
            and not any(len(p) == 1 and p[0].group().endswith(("ed", "ing")) for p in chain[1:])
        if alike and (len(chain) >= 3 or re.search(r"\b(?:and|or)\b", span)) and (best is None or len(span) > len(best)):
            best = span
    return best


# A place named by pointing back (此地, 该地, 当地): the sentence names it elsewhere, and
# the name is the answer ("…在此地建立定居点，即旧莫比尔" answers 哪里 with 旧莫比尔).
REFERS_BACK = re.compile(r"[此该本当这那][地处里儿]|这里|那里|这儿|那儿|其地")


_LIST_WORDS = frozenset({"和", "及", "与", "、"})


def place(question: str, sentence: str) -> str | None:
    """The place after 在/到/于… in ``sentence``, up to the verb or locative after it
    ("外汇商店" of 可以在外汇商店购买…), or the range after 从 (印度…到…印度尼西亚), when
    the question does not name it itself."""
    from .lexical import tagged

    named, folded = fold_each(question), fold_each(sentence)  # (one character for one)
    words, at = tagged(folded), 0
    for i, (word, tag) in enumerate(words):
        at += len(word)
        ranged = word in ("从", "自")
        # (A verb ending in 于/在 places its object as they do: 置于|口中, 放在|桌上.)
        puts = len(word) == 2 and word[1] in "于在" and tag.startswith("v")
        # (去/到/往 go to a place as verbs too: 可以去|外汇商店.)
        goes = tag.startswith("v") and word in ("去", "到", "往")
        if not (tag == "p" and (word in _TO_PLACE or ranged) or word in _LIES_IN or puts or goes):
            continue
        place: list[tuple[str, str]] = []
        for j, (w, t) in enumerate(words[i + 1:], i + 1):
            nxt = words[j + 1][1] if j + 1 < len(words) else ""
            if place and (w in _LIST_WORDS and nxt.startswith(("n", "s")) or ranged and w in ("到", "至")):
                place.append((w, t))  # 印度|和|斯里兰卡, 从…|到|…
                continue
            if t == "x" or t.startswith(("v", "p", "c", "u")) and w != "的" and not _in_name(words, j) or not w.strip():
                break
            place.append((w, t))
        # A one-character locative closes the place (工厂|里, 雨林|中); 附近, 末端 are part of it.
        while place and (place[-1][0] in ("的", *_LIST_WORDS) or place[-1][1] == "f" and len(place[-1][0]) == 1):
            place.pop()
        n = len("".join(w for w, _ in place))
        if n >= 2 and _unnamed(folded[at:at + n], named) >= 2 and not TIME.search(folded, at, at + n):
            return sentence[at:at + n]
    return None


# The question lists items and asks for one more: 分为甲和乙以及哪一个, 除了甲、乙，还有哪一个.
# 和/与/跟 alone also join a partner (该县与哪一个区相邻): a list only after another join.
ASKS_ONE_MORE = re.compile(r"(?:、|及|以及|还有|(?:[、和与跟及].*)[和与跟])(?:其他|另外|另一)?$")
_JOINS = frozenset({"、", "和", "及", "与", "以及", "跟", "或"})


def open_item(question: str, text: str) -> str | None:
    """The one item of a list in ``text`` that ``question`` does not name, when it names
    the others ("鸡蛋、番茄和紫菜" for 鸡蛋和番茄以及哪一种 -> 紫菜), without the restated
    words after it (怀柔区|相邻 for 和哪一个区相邻). None when there is no such list."""
    from .lexical import tagged

    named = fold_each(question)

    def is_named(item: str) -> bool:  # the question's words, but for a linking character (特点是|生产成本低)
        return _unnamed(fold_each(item), named) <= 1

    for clause in re.split(r"[，,。；;：:]", text):
        # Items split at the joining words jieba finds (参与 holds no 与), on the folded
        # clause: jieba's dictionary is simplified (還|有 but 还有), the words are as written.
        items: list[list[tuple[str, str]]] = [[]]
        at = 0
        for word, tag in tagged(fold_each(clause)):
            word, at = clause[at:at + len(word)], at + len(word)
            if fold_each(word).strip() in _JOINS:
                items.append([])
            elif word.strip():
                items[-1].append((word, tag))
        items = [i for i in items if i]
        left = [i for i in items if not is_named("".join(w for w, _ in i))]
        if len(items) < 2 or len(left) != 1:
            continue
        words = left[0]
        # Whole words only (怀柔区 keeps the 区 that 哪一个区 restates); a count or 等 that
        # closes the list is no part of its last item (特瓦族|三个族群); what a 的 leads to
        # is what the question asked about it (莫斯科中山大学|的校友). A place or organisation
        # word the question also says ends a name there (甲|瑶族自治县 asked beside 乙瑶族自治县).
        while len(words) > 1:
            word, tag = words[-1]
            restated = fold_each(word) in named and (len(word) >= 2 and tag[:2] not in ("ns", "nt", "nz")
                                                     or tag[:1] in "cpud")
            if not (restated or tag in ("m", "q", "mq") or word == "等"):
                break
            words = words[:-1]
            if word == "的":
                break
        # ...nor the question's words the answer opens with (还有|人文关怀 for …，还有什么).
        while len(words) > 1 and len(words[0][0]) >= 2 and fold_each(words[0][0]) in named:
            words = words[1:]
        item = "".join(w for w, _ in words)
        if len(item) >= 2:
            return item
    return None


def one_address(sentence: str, covered: list[bool], runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Asked where: two runs that a name the question also says joins, nothing else between
    them, are one address (日本岩手县|花卷|市矢泽…, 花卷 being the station's own name)."""
    out: list[tuple[int, int]] = []
    for a, b in runs:
        gap = a - out[-1][1] if out else -1
        # (The name between them, or taken back into the second as a whole word: 松原|市.)
        by_name = 0 < gap <= 4 and all(covered[a - gap:a]) or gap == 0 and covered[a]
        if by_name and not rs.BREAK.search(sentence, a - gap, a) \
                and re.match(r"[^\W\d]{0,3}?[省市县区镇乡村州郡]", sentence[a:]):
            out[-1] = (out[-1][0], b)
            continue
        out.append((a, b))
    return out


def an_act(piece: str) -> bool:
    """Only verbs or verbal nouns (研究, 管理): what someone does, not who."""
    from .lexical import tagged

    words = tagged(fold_each(piece))
    return bool(words) and all(t.startswith("v") for _, t in words)


def person_acting(piece: str) -> str | None:
    """The person's name that opens ``piece`` when a verb follows later in it (jieba's nr),
    else None: a name with a title alone (赵某牧师) stays whole."""
    from .lexical import is_verb, tagged

    words = tagged(fold_each(piece))  # (offsets kept: one character for one)
    if len(words) > 2 and words[0][1] == "nr" and len(words[0][0]) >= 2 and any(is_verb(t) for _, t in words[1:]):
        return piece[:len(words[0][0])]
    return None


def titled_person(piece: str) -> bool:
    """Does ``piece`` end in a person's name (jieba's nr, two characters or more), after
    nothing but nouns (a title: 人资经理|陈怡蓁)?"""
    from .lexical import tagged

    words = tagged(fold_each(piece))
    return bool(words) and words[-1][1] == "nr" and len(words[-1][0]) >= 2 \
        and all(t.startswith("n") for _, t in words[:-1])


def verb_lead(piece: str) -> int:
    """1 when ``piece`` opens with a one-character verb before a noun (jieba's tags): the
    sentence's verb, not the answer's (呈|深橙色, 受|某某重用); else 0."""
    from .lexical import tagged

    words = tagged(fold_each(piece)) if len(piece) >= 3 else []
    return 1 if len(words) >= 2 and len(words[0][0]) == 1 and words[0][1] == "v" and words[1][1].startswith("n") else 0


def past_verb(piece: str) -> str:
    """What follows a verb and its 在/于 at the start of ``piece`` (发生在|13世纪, 成立于|1998年):
    the answer a candidate ran on into from the sentence's verb. "" when it opens otherwise."""
    from .lexical import is_verb, tagged

    words = tagged(fold_each(piece))
    if len(words) < 3 or not is_verb(words[0][1]) or words[1][0] not in ("在", "于"):
        return ""
    return piece[len(words[0][0]) + len(words[1][0]):]


# Asked for several (哪些, 哪几个部分, 哪两部): the items, not their count. 有几个 asks a count.
_FEW = "两二三四五六七八九十"
PLURAL = re.compile(rf"哪(?:些|几|[{_FEW}][^年月日天岁号])")
LIST_JOIN = re.compile(r"\s*(?:》\s*(?:[，,、]|和|及|与|以及|、以及)\s*《|[，,、]|和|及|与|以及|、以及)\s*")


def restates_count(question: str, piece: str) -> bool:
    """``piece`` is only the number of items the question names (两大 of "主打两大模式：甲和乙"
    for 哪两个模式): it restates the question, the items answer it."""
    m = re.search(rf"哪([{_FEW}])", question)
    return bool(m) and bool(re.fullmatch(rf"{m.group(1)}[大{rs.COUNTING}]?", piece))


def listed(sentence: str, runs: list[tuple[int, int]]) -> str | None:
    """The longest chain of runs joined only by list separators (自我，本我，超我), or None."""
    best, chain = None, [runs[0]]
    for run in runs[1:] + [None]:
        if run is not None and LIST_JOIN.fullmatch(sentence[chain[-1][1]:run[0]]):
            chain.append(run)
            continue
        if len(chain) >= 2 and (best is None or chain[-1][1] - chain[0][0] > len(best)):
            a, b = chain[0][0], chain[-1][1]
            if sentence[a - 1:a] == "《" and sentence[b:b + 1] == "》":
                a, b = a - 1, b + 1
            best = sentence[a:b]
        chain = [run] if run else []
    return best


def measure_word(question: str) -> str:
    """The measure word after "how many", folded (多少|平方米, 几|座; 几|张 though jieba reads
    张副卡 as a name), or ""."""
    from .lexical import tagged

    m = QUANTITY_Q.search(question)
    words = tagged(question[m.end():m.end() + 6]) if m else []
    if m and question[m.end():m.end() + 1] in WHICH_CLASSIFIERS and words and words[0][1] != "q":
        return fold_each(question[m.end()])
    return fold_each(words[0][0]) if words and words[0][1] == "q" else ""
