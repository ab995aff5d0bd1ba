"""The subject a question names: the words the passages that answer it must hold.

What a question is about comes before its first 的/是/有 (rewrite.LEADING_SUBJECT), or is
the organisation it opens with, the name before the 在 or 于 that places what it did, the
place it opens within, or -- asked what to do -- the thing the situation told before it is
about; a phrase it quotes and a Latin-script term are named as written. relevance.py checks
the cited passages for them (missing_terms); aspect.py reads GENERIC.
"""
from __future__ import annotations

import re

from .lexical import dictionary_count, is_verb, tagged, tokenize
from .numerals import TIME
from .rewrite import LEADING_SUBJECT, PRONOUN, WHAT_ABOUT, noted_question, without_note
from .zh import CJK_CHAR, ORG_NAME, PROCEDURE_Q, QUESTION_CUE, asking_part, to_simplified

# A word this frequent in jieba's dictionary (counts from a general corpus: 建设 26,381,
# 无法 9,557, 避免 3,827; 发音 327, 沙地 153) is an everyday word, not a name. Fitted on the
# simplified dev split: 建设大沙地站的想法 / 无法将发音… were refused for want of 建设 / 无法.
COMMON_WORD = 2000

# A phrase the question quotes (「北国江南」, “一国两制”) is named as written: the passage
# that answers about it says it.
_QUOTED = re.compile(r"[「『“]([^」』”]{2,12})[」』”]")
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9.\-]*[A-Za-z0-9]|[A-Za-z]{2,}")
# A subject ends where the predicate starts (rewrite.LEADING_SUBJECT); it must not run into
# the question word.
# A question that opens with an organisation's name and no 的/是/有 ("远帆智能累计拿到了
# 多少融资？"): the name is the subject.
_NAMED = re.compile(rf"^({ORG_NAME.pattern})")
# Or a name before the 在 that places what it did ("甲在中国境内几个省设有分支机构？"); not
# the 在 of a word (现在, 正在, 存在, 在于).
_ACTS_AT = re.compile(r"^([^的是有在和与，,、？?]{2,12}?)(?<![现正存所实自好内外潜旨])(?=在(?!于))")
# Or the place a question opens within ("某国境内哪一个国家公园…"): what it asks about lies there.
_WITHIN = re.compile(r"^([^的是有在和与，,、？?]{2,10}?)境内")
# Questions that open with a pronoun or a preposition have no subject at the front; nor
# those that open with what they leave out (除了已经开通的，还有哪些线路…: not the open lines).
_NO_SUBJECT = re.compile(r"^(?:它|他|她|这|那|其|该|根据|按照|据|在|对于|关于|从|自|由(?=[^，,？?]{1,12}?所)|与|和|请|如果"
                         r"|除了|除去|除开)")
# Words of time, of how often, of a lifetime, of quantity and of rank (整个美国的经济中心,
# 早期的大环道, 《某剧》每周的播放时间, 某人一生有几位妻子, 世界上最早的古栽培稻; 2022年底
# 一共有多少员工 -- the report says 截至2022年12月31日 --, 现任董事长, 四月份的会议): they
# frame the subject, they never name it. Words of rank open with 最 and stand before a 的.
GENERIC = frozenset("现在 现今 如今 当今 目前 现任 这次 当时 以前 最近 今年 去年 早期 初期 中期 后期 晚期 末期 世界 "
                    "年初 年中 年底 年末 月初 月底 月末 上半年 下半年 月份 一共 总共 共计 "
                    "每周 每天 每日 每月 每年 每星期 每季 每次 每届 一生 终生 终身 生前 平生 毕生 "
                    "整个 所有 全部 各个 每个 一些 许多 大部分".split())
_CN_MONTH = re.compile(r"[一二三四五六七八九十]{1,3}月份")
# A demonstrative and its measure word (这张发票, 该份合同, 那几个人) point at the thing, they
# do not name it: jieba keeps 这张 as one word, which no passage holds.
_POINTER = re.compile(r"[这那此该本每][张份个台家项次篇条件位名只套部辆间座所批些几种类]")


def question_terms(question: str) -> tuple[list[str], list[str]]:
    """(Latin-script terms, subject words) that the cited passages must contain. A follow-up
    that names no subject ("这家公司是什么时候成立的？（接上文：…）", rewrite.py) takes the
    previous question's: the answer must be about the company asked about before."""
    question = to_simplified(question)  # the patterns here are written in simplified characters
    previous = noted_question(question)
    question = without_note(question)
    # A situation told before the question ("我住老小区，…晚上都是把电池拎回家充电。…电池…能马上
    # 充电吗？") holds no subject the answer must name (晚上); the asking sentence does, unless
    # it points back to what the story named (…买了一台X。它的保修期是多久？) or goes on from
    # it ("JavaScript是一种…语言。是由哪家公司提交给…的?").
    if not (PRONOUN.match(asked := asking_part(question)) or _GOES_ON.match(asked)):
        question = asked
    latin, subject = _own_terms(question)
    # (那X呢 asks the previous question of X: X stands in for what it asked about -- 突然生病住院
    # for 意外受伤 -- so the previous question's subject is not this one's.)
    if previous is not None and not subject and _NO_SUBJECT.match(question) and not WHAT_ABOUT.match(question):
        prev_latin, subject = _own_terms(previous)
        latin = sorted(set(latin) | set(prev_latin))
    return latin, subject


def _at_name(question: str) -> re.Match | None:
    """The name before 在 (see _ACTS_AT), if it is one: no verb, no time (1937年时发生|在… is
    what happened, not who did it). Or the name before the one verb that 在 places
    ("某某鱼分布|在什么地区", "某某出生|在哪里"): the name is what is asked about."""
    m = _ACTS_AT.match(question)
    if not m or TIME.search(m.group(1)):
        return None
    words = tagged(m.group(1))
    if not any(is_verb(t) for _, t in words):
        return m
    # (jieba cuts an unknown name into characters, some tagged verbs: 长|齿|锯|犁|鳗.)
    if any(len(w) > 1 and is_verb(t) for w, t in words[:-1]):
        return None
    return _found(question, _before_verb(words, is_verb))


def _before_verb(words: list[tuple[str, str]], verb_like) -> list[tuple[str, str]]:
    """The tagged words before the verb that closes `words` -- a word of two characters or
    more that `verb_like` takes by its tag -- or none."""
    if len(words) < 2 or len(words[-1][0]) < 2 or not verb_like(words[-1][1]):
        return []
    return words[:-1]


def _found(question: str, words: list[tuple[str, str]]) -> re.Match | None:
    """Where the words, joined, stand in the question (group 1), as the other subject patterns
    give it."""
    text = "".join(w for w, _ in words)
    return re.search(f"({re.escape(text)})", question) if text else None


# A verb with 于 before the question word ("某水库位于哪里", "某鱼分布于什么地区", "某馆建于
# 哪一年"): what comes before the verb is what is asked about, as before 在.
_ACTS_YU = re.compile(r"^([^的是有和与，,、？?]{2,14}?于)(?=什么|哪|何|多少|几)")


def _yu_name(question: str) -> re.Match | None:
    """The words before the verb that 于 follows (see _ACTS_YU), past a leading time word
    and the adverbs before the verb (现今|露天操场|普遍存在|于, 某鱼|主要|生活|于)."""
    m = _ACTS_YU.match(question)
    if not m or TIME.search(m.group(1)):
        return None
    words = tagged(m.group(1))
    # 分布|于 (位于 is one word); a word that 于 follows acts as a verb whatever jieba tags it
    # (创刊|于: a noun).
    acts = words[-1][0] == "于"
    if acts:
        words = words[:-1]
    name = _before_verb(words, lambda tag: acts or is_verb(tag) or tag in ("vn", "i"))
    while name and name[-1][1] in ("d", "b", "ad", "a", "t", "tg"):  # 主要, 普遍, 现
        name = name[:-1]
    while name and name[0][1] == "t":  # 现今
        name = name[1:]
    return _found(question, name)


# (同时 goes on too; a clause that opens with the reason or the definition of something asks
# about what the clause before it named: "X，定义上指的是哪里", "X逐渐式微，主因是…".)
_GOES_ON = re.compile(r"(?:是|由|为|被|在|有|于)")  # (a sentence that opens so has its subject before it)
_CONTINUES = re.compile(r"(?:但|而|却|并|且|其中|则|也|还|又|因此|所以|于是|同时|主因|原因|定义上)")


def _topic(clause: str) -> bool:
    """A short clause of nouns alone (李白, 北京大学): it names what the next clause asks about."""
    words = tagged(clause.strip())
    return 0 < len(clause.strip()) <= 8 and all(t.startswith(("n", "j")) for _, t in words)


def _own_terms(question: str) -> tuple[list[str], list[str]]:
    latin = sorted({m.group(0) for m in _LATIN.finditer(question)} | {m.group(1) for m in _QUOTED.finditer(question)})
    # "以人口计算，X的第一大城市是什么？": a leading clause sets the frame; the subject opens
    # the clause that asks.
    clauses = re.split(r"[，,]", question)
    asking = next((c for c in clauses if QUESTION_CUE.search(c)), question)
    told = ""
    # ...unless it goes on from them ("…，但却不愿意其拥有哪项权利"): then it has no subject
    # of its own.
    if asking is not clauses[0] and not QUESTION_CUE.search(clauses[0]) \
            and not _CONTINUES.match(to_simplified(asking)):
        # ...but a first clause that only names a topic is the subject ("李白，字号是什么？"
        # asks 李白的字号).
        asking = question[question.index(asking):].strip()
        if _topic(clauses[0]):
            question = f"{clauses[0].strip()}的{asking}"
        else:
            question = asking
            # (Asked what to do, the situation told before it names what the steps are for.)
            told = clauses[0] if PROCEDURE_Q.search(asking) else ""
    subject: list[str] = []
    m = None if _NO_SUBJECT.match(question) else (LEADING_SUBJECT.match(question) or _NAMED.match(question)
                                                   or _at_name(question) or _yu_name(question) or _WITHIN.match(question))
    if m:
        span = QUESTION_CUE.split(m.group(1))[0]
        ranks = question[m.end(1):m.end(1) + 1] == "的"  # 最早的X: a rank of what follows, not a name
        months = set(_CN_MONTH.findall(span))  # 四月份 (and its 四月), not the 三月 of 三月街
        subject = [_unglued(t) for t in dict.fromkeys(tokenize(span))
                   if len(t) >= 2 and not t.isdigit() and t not in GENERIC and not (t in months or t + "份" in months)
                   and not _POINTER.fullmatch(t)
                   and not (ranks and t.startswith("最"))
                   and not t.isascii()]
        # A clause (甲这次降低裁员补偿的事), not a name: paraphrased freely. Counted in whole
        # words: search mode splits one name into overlapping parts (中国|国联|联通|中国联通).
        if len(whole_words(subject)) > 3:
            subject = []
    if not subject and told:
        subject = _situation_thing(told)
    return latin, subject


def _situation_thing(clause: str) -> list[str]:
    """The thing a situation told before a question of what to do is about ("发票不小心弄丢了，
    这笔钱还能报吗？要怎么办？", "新洗衣机买回来，第一步要做什么？"): its first noun, unless an
    everyday word (小时 of 今天迟到了快一个小时, 手机): the answer's passage must name it, as a
    subject."""
    for word, tag in tagged(clause):
        if tag in ("n", "nz", "vn") and len(word) >= 2 and CJK_CHAR.match(word) and word not in GENERIC:
            return [word] if dictionary_count(word) < COMMON_WORD else []
    return []


# Words that go to a place or a thing (至/到/去/往/向/对/经) and that jieba glues onto a name
# it does not know: 至茂宜岛|游玩 asks about 茂宜岛.
_TOWARDS = "至到去往向对经"


def _unglued(word: str) -> str:
    """``word`` without a leading 至/到/去… that jieba glued onto an unknown name (至茂宜岛 ->
    茂宜岛). Only ever a part of the word: a passage that holds the word holds it too."""
    if len(word) >= 3 and word[0] in _TOWARDS and CJK_CHAR.match(word[1]) and dictionary_count(word) == 0:
        return word[1:]
    return word


def name_head(question: str, first: str) -> str | None:
    """The subject's first word ``first`` with the one character that opens the question
    before it, when jieba cut a name there (溪|银汉鱼, 西|土城|站) and the character is no
    function word (最, 由, 约, 驻…): 溪银汉 names it, 银汉鱼 is only its kind."""
    at = question.find(first)
    if at != 1 or not CJK_CHAR.match(question[0]) or question[0] in _NEW_OR_OLD:
        return None
    words = tagged(question[:at + len(first)])
    if len(words) < 2 or len(words[0][0]) != 1 or not words[0][1].startswith(_NAME_PART_TAGS):
        return None
    return question[:at + len(first)]


# A thing bought new or kept old is that thing (新|洗衣机 is a 洗衣机, 旧|冰箱 a 冰箱), not a name.
_NEW_OR_OLD = frozenset("新旧舊")
# Tags of a first character that may lead a name: a noun, an adjective or place word
# (红|钻鱼, 西|土城), or a character jieba does not know.
_NAME_PART_TAGS = ("n", "a", "f", "s", "b", "j", "x", "g")


def whole_words(subject: list[str]) -> list[str]:
    """The subject's words that are not part of a longer one: search mode gives a name
    with its parts (中国|国联|联通|中国联通), one word, not four."""
    return [t for t in subject if not any(t != u and t in u for u in subject)]
