"""Does a verified answer address the question that was asked?

The citation verifier (cite.py) checks that each answer sentence is backed by its passage,
word for word. A small model asked about something the documents never state often
answers with a true sentence about something else: "远帆科技的CEO是谁？" -> "周远[1]" (a
co-founder; the passage says nothing of a CEO), "晴空AI有多少月活跃用户？" -> the day it
listed. Every word of such an answer is in the passage, so the verifier passes it.

These checks catch that without a second model call, and are kept narrow on purpose
(measured on evals/questions.jsonl: on the saved answers before each was added, they
fired on none of the correct ones):
- a Latin-script name or acronym in a Chinese question (CEO, IPO, Farsail) must occur in
  the cited passages: such terms are not paraphrased in Chinese text;
- the question's subject, the words before its first "的/是/有" or a leading organisation
  name (星图AI in "星图AI是谁创立的？"), must occur there too, and its name also near the
  supporting quote (evidence_windows).
Whether the answer is of the kind asked for -- a date of the event a "when" question names,
a number, money -- is kind.py's.
English questions over Chinese documents are not checked (their words cannot match).
"""
from __future__ import annotations

import re

from .markers import strip_markers
from .records import Citation, Document
from .lexical import STOPWORDS, dictionary_count, is_verb, tagged, tokenize
from .rewrite import LEADING_SUBJECT, PRONOUN, WHAT_ABOUT, noted_question, without_note
from .numerals import TIME
from .restated import covered
from .zh import (CJK, CJK_CHAR, EN_STOP, Lang, EN_YES_NO_Q, NAME_DOTS, ORG_NAME, QUESTION_CUE, YES_NO_Q,
                 asking_part, claim_sentences, fold, fold_each, sentence_end, stem_en, to_simplified)

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
# Questions that open with a pronoun or a preposition have no subject at the front.
_NO_SUBJECT = re.compile(r"^(?:它|他|她|这|那|其|该|根据|按照|据|在|对于|关于|从|自|由(?=[^，,？?]{1,12}?所)|与|和|请|如果)")
# Words of time, of how often, of a lifetime, of quantity and of rank (整个美国的经济中心,
# 早期的大环道, 《某剧》每周的播放时间, 某人一生有几位妻子, 世界上最早的古栽培稻; 2022年底
# 一共有多少员工 -- the report says 截至2022年12月31日 --, 现任董事长, 四月份的会议): they
# frame the subject, they never name it. Words of rank open with 最 and stand before a 的.
GENERIC = frozenset("现在 现今 如今 当今 目前 现任 这次 当时 以前 最近 今年 去年 早期 初期 中期 后期 晚期 末期 世界 "
                    "年初 年中 年底 年末 月初 月底 月末 上半年 下半年 月份 一共 总共 共计 "
                    "每周 每天 每日 每月 每年 每星期 每季 每次 每届 一生 终生 终身 生前 平生 毕生 "
                    "整个 所有 全部 各个 每个 一些 许多 大部分".split())
_CN_MONTH = re.compile(r"[一二三四五六七八九十]{1,3}月份")


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
    # ...unless it goes on from them ("…，但却不愿意其拥有哪项权利"): then it has no subject
    # of its own.
    if asking is not clauses[0] and not QUESTION_CUE.search(clauses[0]) \
            and not _CONTINUES.match(to_simplified(asking)):
        # ...but a first clause that only names a topic is the subject ("李白，字号是什么？"
        # asks 李白的字号).
        asking = question[question.index(asking):].strip()
        question = f"{clauses[0].strip()}的{asking}" if _topic(clauses[0]) else asking
    subject: list[str] = []
    m = None if _NO_SUBJECT.match(question) else (LEADING_SUBJECT.match(question) or _NAMED.match(question)
                                                   or _at_name(question) or _yu_name(question) or _WITHIN.match(question))
    if m:
        span = QUESTION_CUE.split(m.group(1))[0]
        ranks = question[m.end(1):m.end(1) + 1] == "的"  # 最早的X: a rank of what follows, not a name
        months = set(_CN_MONTH.findall(span))  # 四月份 (and its 四月), not the 三月 of 三月街
        subject = [_unglued(t) for t in dict.fromkeys(tokenize(span))
                   if len(t) >= 2 and not t.isdigit() and t not in GENERIC and not (t in months or t + "份" in months)
                   and not (ranks and t.startswith("最"))
                   and not t.isascii()]
        # A clause (甲这次降低裁员补偿的事), not a name: paraphrased freely. Counted in whole
        # words: search mode splits one name into overlapping parts (中国|国联|联通|中国联通).
        if len(whole_words(subject)) > 3:
            subject = []
    return latin, subject


# Words that go to a place or a thing (至/到/去/往/向/对/经) and that jieba glues onto a name
# it does not know: 至茂宜岛|游玩 asks about 茂宜岛.
_TOWARDS = "至到去往向对经"


def _unglued(word: str) -> str:
    """``word`` without a leading 至/到/去… that jieba glued onto an unknown name (至茂宜岛 ->
    茂宜岛). Only ever a part of the word: a passage that holds the word holds it too."""
    if len(word) >= 3 and word[0] in _TOWARDS and CJK_CHAR.match(word[1]) and dictionary_count(word) == 0:
        return word[1:]
    return word


def _name_head(question: str, first: str) -> str | None:
    """The subject's first word ``first`` with the one character that opens the question
    before it, when jieba cut a name there (溪|银汉鱼, 西|土城|站) and the character is no
    function word (最, 由, 约, 驻…): 溪银汉 names it, 银汉鱼 is only its kind."""
    at = question.find(first)
    if at != 1 or not CJK_CHAR.match(question[0]):
        return None
    words = tagged(question[:at + len(first)])
    if len(words) < 2 or len(words[0][0]) != 1 or not words[0][1].startswith(_NAME_PART_TAGS):
        return None
    return question[:at + len(first)]


# Tags of a first character that may lead a name: a noun, an adjective or place word
# (红|钻鱼, 西|土城), or a character jieba does not know.
_NAME_PART_TAGS = ("n", "a", "f", "s", "b", "j", "x", "g")


def whole_words(subject: list[str]) -> list[str]:
    """The subject's words that are not part of a longer one: search mode gives a name
    with its parts (中国|国联|联通|中国联通), one word, not four."""
    return [t for t in subject if not any(t != u and t in u for u in subject)]


# Characters of the document read before a supporting quote: Chinese text names its subject
# once and goes on about it ("远帆科技是由…创立。创始人、CEO林晓舟…"), so the subject may sit
# in the sentence before the quote, but not a whole passage away.
CONTEXT_BEFORE = 120
# And after it, to the end of the quote's own sentence (at most this far): a bare answer
# ("1897年[1]") is verified on a quote of a few characters, while the sentence goes on to
# say what happened then ("1897年，早田受其同乡之邀首度来台").
CONTEXT_AFTER = 80


def evidence_windows(citations: list[Citation], docs: dict[str, Document], titles: bool = False) -> list[str]:
    """The text around each verified quote that the question's terms must occur in: the
    quote, the CONTEXT_BEFORE characters before it in its document and the rest of its
    sentence (CONTEXT_AFTER). Checking the whole
    chunk let a quote about 青禾机器人 answer a question about 远帆智能 named elsewhere in it.
    With ``titles``, each window is led by its document's title and section headings:
    what a reference article or a manual section is about is named there, once, and its
    sentences go on without it ("红钻鱼" is the title; "沿著侧线有条黄色纵带" its text)."""
    windows = []
    for c in citations:
        if not c.verified:
            continue
        doc = docs.get(c.chunk.doc_id)
        text = doc.text[max(0, c.start - CONTEXT_BEFORE): sentence_end(doc.text, c.end, CONTEXT_AFTER)] \
            if doc else c.chunk.text
        if titles:
            # A reference article names its subject in its opening words and goes on with
            # 本鱼, 该站 ("疣鹦嘴鱼，又名…。…本鱼分布于…"): a window that refers back so is
            # led by that name too, as by the title, which may give another (疣鹦哥鱼).
            lead = _lead_name(doc.text) if doc else None
            referred = [lead] if lead and re.search(f"[本该該此]{re.escape(lead[-1])}", text) else []
            # (So is what the file is called: "會議" of 第三季營運會議紀錄.txt, whose text
            # opens with the firm's name.)
            text = " ".join([c.chunk.context_title, c.chunk.file_name, *c.chunk.headings, *referred, text])
        windows.append(text)
    return windows


# The name a document opens with, before its gloss, its first comma or its 是/为.
_LEAD_NAME = re.compile(r"《?([^\s，,。；;：:（(《》是为]{2,16})》?(?=[（(，,]|是|为)")


def _lead_name(text: str) -> str | None:
    m = _LEAD_NAME.match(text.lstrip())
    return m.group(1) if m else None


_DOTTED = re.compile(rf"[{CJK}](?:[{NAME_DOTS}][{CJK}]+)*[{NAME_DOTS}]([{CJK}]{{2}})")


def missing_terms(question: str, cited_texts: list[str], lang: Lang,
                  evidence: list[str] | None = None) -> list[str]:
    """Terms of the question that none of the cited passages contains (empty = fine). With
    ``evidence`` (see evidence_windows), the subject's first word -- the name itself (远帆 of
    远帆智能; later words may be modifiers, 远帆自研) -- must also occur near a quote."""
    if lang != "zh" or not cited_texts:
        return []
    text = fold(" ".join(cited_texts))
    latin, subject = question_terms(question)
    absent = [t for t in subject if t not in text]
    # A subject of several words is a phrase (穴蝰最长记录, 建设大沙地站的想法), paraphrased
    # freely (纪录 for 记录): it is missing when most of it is, not when one word is. Counted
    # in whole words: 生命|周期 are parts of 生命周期, one word, not three.
    whole = whole_words(subject)
    if sum(t not in text for t in whole) * 2 <= len(whole) and len(whole) > 1:
        absent = []
    missing = [t for t in latin if fold(t) not in text] + absent
    # The whole name, where jieba cut off its first character: another kind's passage
    # (糙头细银汉鱼) holds the rest of 溪银汉鱼. In the cited passages or their titles (a
    # species' article says 本鱼), not necessarily near the quote.
    if subject and (head := _name_head(to_simplified(without_note(question)), subject[0])) and head not in text:
        missing.append(head)
    # A transliterated name (韦斯·昂塞尔德) is said by its last part at least, whose first two
    # characters (where it ends, the question's words go on) must be there: jieba cuts such
    # a name into pieces (韦斯|塞尔德), and one piece turns up anywhere (韦斯 of 韦斯咸).
    missing += [m.group(1) for m in _DOTTED.finditer(fold(without_note(question))) if m.group(1) not in text]
    if not missing and evidence is not None and subject and (name := _name(subject)) not in fold(" ".join(evidence)):
        return [name]
    return missing


# A word this frequent in jieba's dictionary (counts from a general corpus: 建设 26,381,
# 无法 9,557, 避免 3,827; 发音 327, 沙地 153) is an everyday word, not a name. Fitted on the
# simplified dev split: 建设大沙地站的想法 / 无法将发音… were refused for want of 建设 / 无法.
COMMON_WORD = 2000


def _name(subject: list[str]) -> str:
    """The word of the subject that names it: the first, as names lead (远帆 of 远帆智能, not
    the modifier 自研 of 远帆自研), unless it is an everyday word (建设 of 建设大沙地站的想法)
    and a rarer one follows."""
    if dictionary_count(subject[0]) < COMMON_WORD:
        return subject[0]
    return min(subject, key=dictionary_count)


_YEAR = re.compile(r"(?<!\d)(?<!\d\.)(1[5-9]\d\d|20\d\d)(?!\d|\.\d)")


def missing_years(question: str, cited_texts: list[str]) -> list[str]:
    """Years the question names that no cited passage mentions: "What was the revenue in
    2020?" is not answered by a passage that gives 2023's, however well it supports the
    figure. Any language; empty = fine."""
    asked = dict.fromkeys(_YEAR.findall(fold(without_note(question))))
    if not asked or not cited_texts:
        return []
    stated = set(_YEAR.findall(fold(" ".join(cited_texts))))
    return [y for y in asked if y not in stated]


_ASKS_FIRST = re.compile(r"^(?:哪|什么|何)")


def missing_context(question: str, evidence: list[str], lang: Lang) -> list[str]:
    """For a question that names no subject, only what it says about the thing it asks for
    ("哪一物质虽然没有金属元素但是有金属特性…？"): most of its words must occur near the
    quotes. A bare "生物质[1]" backed by a passage that only names 生物质 does not answer it.
    Returns the words missing when most are; empty = fine."""
    if lang != "zh" or not evidence or question_terms(question)[1]:
        return []
    question = to_simplified(without_note(question))
    if not _ASKS_FIRST.match(question):
        return []  # a question that opens with its subject has it checked (missing_terms)
    words = [t for t in dict.fromkeys(tokenize(question)) if len(t) >= 2 and t not in STOPWORDS
             and not QUESTION_CUE.search(t)]
    text = fold(" ".join(evidence))
    absent = [w for w in words if w not in text]
    return absent if len(words) >= 3 and len(absent) * 2 > len(words) else []


# A question that offers its answers (是甲还是乙, 甲和乙谁更早): one of them, read back, answers it.
_CHOICE = re.compile(r"还是|或|[和与跟及].*(?:哪一?[个位]|谁)|\b(?:or|whether)\b", re.I)
_NOT_WORD = re.compile(r"[\W_]+")


def echoes_question(question: str, answer: str) -> bool:
    """The answer says nothing the question did not: a part of it read back ("城市化" for
    文明含有城市化和什么的含义, "中国博客第一案" for 中国博客第一案指的是哪个案子), or the
    question itself without its question word; or its value is its own subject
    ("甲的原名是甲"); or its markers stand for the answer's words.
    Passed by every passage the question's words are in, it answers nothing."""
    if _MARKERS_AS_WORDS.search(answer):
        return True
    question, text = fold(without_note(question)), fold(strip_markers(answer))
    if _names_the_kind_only(question, text):
        return True
    first = next(iter(claim_sentences(text)), None)
    if first and _NAMES_ITSELF.match(text[first[0]:first[1]].rstrip("。！？!?. ")):
        return True
    said = _NOT_WORD.sub("", text)
    # (An English question answered yes or no restates itself, "Does the clinic open on
    # Saturdays?" -> "The clinic opens on Saturdays [1].": no echo.)
    if said.isascii() and not EN_YES_NO_Q.match(question):
        # English moves the verb ("The current mayor of the town is [1]." for "Who is the
        # current mayor of the town?"): compared word by word.
        words = {stem_en(w) for w in _WORD_EN.findall(text) if w not in EN_STOP}
        return bool(words) and words <= {stem_en(w) for w in _WORD_EN.findall(question)} \
            and not _CHOICE.search(question)
    # (Asked yes or no, the question's own words are the answer yes: "星期五上班可以穿牛仔裤吗？"
    # -> "可以穿牛仔裤[1]"; the verifier has checked the passage says so -- restates_yes_no.)
    return _read_back(question, text, 2) and not YES_NO_Q.search(to_simplified(question))


def _read_back(question: str, text: str, least: int) -> bool:
    """Is ``text`` (folded, as ``question`` is), but for punctuation, a run of the question's
    own words of ``least`` characters at least, the question offering no choice?"""
    said = _NOT_WORD.sub("", text)
    return len(said) >= least and said in _NOT_WORD.sub("", question) and not _CHOICE.search(question)


def restates_yes_no(question: str, answer: str) -> bool:
    """Asked yes or no in Chinese, is ``answer`` the question read back as a statement
    ("租客可以用会所[1]" for 租客可以用会所吗)? Such an answer is passed by whichever clause the
    question's words are in, whatever that clause adds ("…须由业主签署授权书…方可使用会所"),
    so it says yes where the passage says "only if". (A bare verdict, 可以[1], is not one.
    English answers that read a question back, "Yes, you can bring your dog to work", are
    left: the closest clause was as often another document's, a ferry's dogs.)"""
    q = to_simplified(without_note(question))
    text = fold(strip_markers(answer))
    return bool(YES_NO_Q.search(q)) and not _NOT_WORD.sub("", text).isascii() and _read_back(fold(q), text, 4)


# Asked which one of a kind (由哪间承办商负责), an answer that puts the kind itself where the
# one asked for stands (由承办商通知, 是承办商) names none.
_WHICH_KIND = re.compile(r"哪一?[间家个位所座条种支只]")


def _names_the_kind_only(question: str, text: str) -> bool:
    m = _WHICH_KIND.search(to_simplified(question))
    words = [w for w in tokenize(to_simplified(question)[m.end():])] if m else []
    kind = words[0] if words and len(words[0]) >= 2 else ""
    return bool(kind) and bool(re.search(rf"(?:由|是|为){re.escape(kind)}", to_simplified(text)))


# A claim whose value is its own subject ("甲协会的地址是甲协会", asked 它的地址 after a
# question about 甲协会): the model found no value and wrote the name it had. Identity verbs
# only: "某市政府位于某市" places one thing in another. Seen twice in ~3,000 recorded answers
# (simplified dev follow-ups, both unanswerable), never in a right one.
_NAMES_ITSELF = re.compile(r"^([^，,；;。]{2,}?)的[^，,；;。]{1,12}?(?:是|为|叫|叫做|称为)\1$")


_WORD_EN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # a model name whole: the 40 of KG-40 is not a count


# Citation markers joined like nouns and read on into the clause ("依照[1]和[3]兩條法律設置",
# asked which law): the passages are named where their words should be. Markers joined
# after a claim ("……[1]和[2]。") or before a comma ("根据[1]和[2]，…") are citations.
_MARKERS_AS_WORDS = re.compile(r"\[\d+\]\s*(?:和|与|與|及|以及|或|、|and|or)\s*\[\d+\](?=\s*[^\W_])")


def unverified_verdict(question: str, answer: str, unsupported: list[str]) -> str | None:
    """Asked yes or no in Chinese: the unverified clause of ``answer`` that restates the
    question most, when it restates more of it (four characters at least) than any other
    clause -- the verdict, standing on nothing the passages say beside a verified side
    clause ("社区医院可以做胃镜[3]，要提前预约[3]" to "社区医院能不能做胃镜 要提前约吗", where only
    口腔科须提前预约 is in the passages). None otherwise."""
    q = to_simplified(without_note(question))
    if not unsupported or not YES_NO_Q.search(q):
        return None
    asked = fold_each(q)
    text = fold_each(strip_markers(answer))
    restated = {u: sum(covered(fold_each(strip_markers(u)), asked)) for u in unsupported}
    verdict = max(restated, key=restated.get)
    rest = text.replace(fold_each(strip_markers(verdict)), "\n")
    others = [sum(covered(part, asked)) for part in re.split(r"[，,。；;！!？?\s]+", rest) if part]
    return verdict if restated[verdict] >= 4 and restated[verdict] > max(others, default=0) else None
