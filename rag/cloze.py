"""The words that fill a question's slot, when the answer sentence restates the question
around them: "广茂铁路由|哪家公司|管理运营？" -> "广茂铁路由|三茂铁路股份有限公司|管理运营。"

short.py tries this first: where the model echoed the question (it usually does), the
slot's two anchors bound the answer more exactly than picking among the leftover stretches
does (a name that repeats the question's words, 五羊邨、五羊新村 for 五羊新城又称什么, is
one span here and three fragments there). No anchor found, no slot: short.py goes on.
"""
from __future__ import annotations

import re

from . import restated as rs
from .numerals import CN_NUMBER, DATE_RUN, NUMERAL, TIME
from .zh import ASKS_YEAR, CJK, QUANTITY_Q, QUESTION_WORD, WHEN_Q, WHICH_CLASSIFIERS, fold_each

# Where a clause ends (not at 、: it joins the items of a list answer; nor at a bracket,
# which may stand inside a name: 日本四国（地区）联赛球队).
_CLAUSE_END = re.compile(r"[，,。；;：:！!？?]")
# A classifier after 哪 is part of the question word: 哪支|球队, 哪种|窗口.
_CLASSIFIER = re.compile(rf"^[{WHICH_CLASSIFIERS}]")
# Nouns (jieba's tags): of things, places (窗口/s), times (年代/t); not verbal nouns (管理/vn).
_NOUN_TAGS = ("n", "s", "t")
_ORDINAL_ONLY = re.compile(r"第?[0-9一二三四五六七八九十百]+[^\W\d]?")
_LONGEST_ANCHOR = 8
_KIND_OF = re.compile(r"(?:类型|性质|种类|类别|形式|风格|样式)的(?=[^\W\d])")
_CLOSING = "》」』）)”’〉】"
_DEPARTMENT = re.compile(r"[^\W\d、和及与]{0,3}(?:[系部院所科处室]|分校|校区|分部|分会)")
# A count, where what follows it only says what was counted: 1500万|的游客, 20%|不到的比例.
_COUNT = re.compile(r"(?:约|大约)?(?:[0-9０-９][0-9０-９,.．]*|[一二三四五六七八九十百千两]+)(?:多|余)?[万亿]?[%％‰]?(?=的|不到|以上|左右)")


def _counted(span: str) -> int:
    """The end of the count that opens ``span`` with what it counts, when the way it is
    done follows (3个工作日|通过考勤系统提交 for 提前几天申请): a number, its measure and
    one noun, then a verb or a preposition. All of it otherwise."""
    from .lexical import tagged

    words = tagged(span)
    if not words or not NUMERAL.search(words[0][0]):
        return len(span)
    at, nouns = 0, 0
    for i, (word, tag) in enumerate(words):
        if i and tag[:1] in ("p", "v") and tag != "vn":
            return at if nouns or words[i - 1][1] == "q" else len(span)
        if i and tag[:1] == "n":
            nouns += 1
        if i and (nouns > 1 or tag[:1] not in ("m", "q", "n", "x")):
            break
        at += len(word)
    return len(span)


def cloze(question: str, sentence: str) -> str | None:
    """The span of ``sentence`` standing where the question word stands in ``question``."""
    from .lexical import tagged

    q, folded = fold_each(question), fold_each(sentence)
    m = QUESTION_WORD.search(q)
    if not m:
        return None
    begin = m.start()
    while more := QUESTION_WORD.match(q, m.end()):  # 哪|几个
        m = more
    # 什么|类型的|企业: asked what kind of 企业, the answer is one, named by its kind
    # (多元化金融企业), so the thing asked for is what follows the 的.
    if kind_of := _KIND_OF.match(q, m.end()):
        m = kind_of
    left = re.sub(r"[^\w]", "", q[:begin]).rstrip(rs.EDGE)
    right = re.sub(r"[^\w]", "", q[m.end():])
    classified = q[m.end() - 1] in "哪一" and bool(_CLASSIFIER.match(right))
    if classified:
        right = _CLASSIFIER.sub("", right)
    start = _after(folded, left)
    if start is None:
        return None
    # The thing asked for opens what follows (哪家|公司, 哪种|窗口, 什么|年代): the answer
    # names it itself (三茂铁路股份有限公司), so the anchor is what comes after it. So is
    # the measure of a count (多少|趟 -> 18趟, 几|号 -> 10号).
    words = tagged(right) if right else []
    counts = bool(QUANTITY_Q.search(q, begin, m.end()))
    n_head = 0
    for i, (word, tag) in enumerate(words):
        # (After a classifier the first word names the thing whatever jieba tags it:
        # 哪场|选举/v.)
        # (时 closes the thing asked for, whatever jieba tags it: 哪张地图|时绘制.)
        if not (tag.startswith(_NOUN_TAGS) and tag != "vn" or i == 0 and classified and len(word) >= 2) \
                or word in ("时", "时候"):
            break
        n_head += 1
        # A count's measure word is all of the thing asked for that the answer says: what
        # was counted follows it there too (多少项|奥斯卡金像奖 -> 6项; jieba tags 项 a noun).
        if counts and len(word) == 1 and word in rs.COUNTING:
            break
    if not n_head and words and counts and (words[0][1] == "q" or len(words[0][0]) <= 2
                                                                          and (len(words[0][0]) == 1 or words[0][1] == "m")):
        n_head = 1  # (a measure word of any length: 多少|平方米 -> 5.6万平方米)
    head = "".join(w for w, _ in words[:n_head])
    rest = right[len(head):]
    end = _clause_end(folded, start)
    if rest:
        at = _find_anchor(folded, rest, start, end)
        if at is None and not _kind_ends_clause(words[n_head:], head, folded[start:end]):
            return None
        end = end if at is None else at
    if left and q[begin - 1:begin] == "第" and folded[start - 1:start] == "第":
        start -= 1  # 第几届: the ordinal answers, 第 and all
    # (The question's words may end inside a bracket the sentence closes after them:
    # "《…批复》是由|哪一个单位" -- the slot opens after the 》, not on it.)
    while start < end and (folded[start] in rs.EDGE or folded[start].isspace() or folded[start] in _CLOSING):
        start += 1
    if lead := rs.LEAD.match(folded, start, end):
        start = lead.end()
    start, end = _trim(q, folded, start, end, head, words[0][0] if n_head else "")
    # The thing asked for closes the name; a department of it named after it is not what was
    # asked: 哪个大学 -> 德国柏林大学|数学系 (but 哪支球队 -> 中超球队|天津泰达, the name).
    if len(head) >= 2 and (i := folded.find(head, start + 2, end)) > 0 \
            and _DEPARTMENT.fullmatch(folded, i + len(head), end):
        end = i + len(head)
    # The question word's own noun ends the answer, not the thing after it: 哪国|国王 ->
    # 扶余国(国王).
    if head and folded.endswith(head, start, end) and end - len(head) > start + 1 \
            and folded[end - len(head) - 1] == q[m.end() - 1] and re.match(rf"[{CJK}]", q[m.end() - 1]) \
            and q[m.end() - 1] not in "哪几么少谁" and not kind_of:
        end -= len(head)
    # A kind of one character closes the name it ends: 什么教(的) -> 天主教|底特律总教区 (but
    # 英语和法语 stay a list). (jieba may read the character as a verb: 教.)
    kind = head if len(head) == 1 else q[m.end()] if q[m.end() + 1:m.end() + 2] == "的" else ""
    if kind and re.match(rf"[{CJK}]", kind) and (i := folded.find(kind, start + 1, end - 1)) > 0 \
            and folded[i + 1] not in "、和及与，," and folded[start:i + 1].count(kind) == 1:
        end = i + 1
    span = sentence[start:end].strip().rstrip(rs.EDGE + "、—…-·而")  # (龙兴之地|而禁止…)
    if not span or len(span) > 30 or not re.search(rf"[{CJK}A-Za-z0-9]", span) or not counts_or_names(span):
        return None
    if span.count("《") != span.count("》"):
        return None  # half a title: an anchor fell inside it
    if _ORDINAL_ONLY.fullmatch(span) and not QUANTITY_Q.search(q) and not TIME.search(span):
        return None  # 第一个(完整的化石): a count is not what 哪个 asks
    return span


def counts_or_names(span: str) -> bool:
    """Not a lone character that neither counts nor names: one character answers when it is
    三 or X, not 中 of 从[1]中得证 or 多 of 多表现为…."""
    span = span.strip()
    return len(span) != 1 or bool(NUMERAL.match(span)) or span.isascii()


def _after(folded: str, left: str) -> int | None:
    """Just after the longest end (2+ characters) of ``left`` that the sentence contains.
    ``left`` has no punctuation, so neither has the text searched: "《某书》以" restates
    "某书以"."""
    kept = [i for i, c in enumerate(folded) if re.match(r"\w", c)]
    plain = "".join(folded[i] for i in kept)
    for n in range(min(len(left), _LONGEST_ANCHOR), 1, -1):
        if (at := plain.find(left[-n:])) >= 0:
            return kept[at + n - 1] + 1
    return None


def _clause_end(folded: str, start: int) -> int:
    for m in _CLAUSE_END.finditer(folded, start):
        if not rs.in_number(folded, m.start()):  # 46,600m²
            return m.start()
    return len(folded)


def _find_anchor(folded: str, rest: str, start: int, end: int) -> int | None:
    """Where what follows the question word resumes: its first three characters (two, if
    that is all there is), within the clause."""
    # (来)庆祝该节日: a linking character the sentence leaves out; not 的 (哪国|的人 is
    # 波兰人, and "的个人专辑" is not "第二张个人专辑").
    for skip in (0, 1) if rest[0] not in "的之" else (0,):
        key = rest[skip:skip + 3] if len(rest) >= skip + 3 else rest[skip:]
        at = folded.find(key, start, end) if len(key) >= 2 else -1
        if at >= 0:
            return at
    return None


def _kind_ends_clause(words: list[tuple[str, str]], head: str, clause: str) -> bool:
    """Does the slot run to the clause's end? When what follows the thing asked for
    (``head``) is only "的" and nouns (什么科|的鱼类), it names the kind of thing the subject
    is, and the sentence may say so without repeating it ("…属于银汉鱼目银汉鱼科"): then
    the clause answers, if it ends in the thing asked for (科)."""
    names_kind = len(words) >= 2 and words[0][0] == "的" \
        and all(t.startswith(_NOUN_TAGS) and t != "vn" for _, t in words[1:])
    return bool(head) and names_kind and clause.rstrip(rs.EDGE).endswith(head[-1])


def _trim(q: str, folded: str, start: int, end: int, head: str, noun: str) -> tuple[int, int]:
    """The slot's words (``folded[start:end]``) without what only surrounds the answer;
    ``q`` is the question, folded."""
    span = folded[start:end]
    if WHEN_Q.search(q):
        # A date, not the phrase it opens (2003年|方案中) or what leads to it
        # (英国科学家…分别在|1753年和1762年).
        if (m := DATE_RUN.search(span)) and TIME.search(m.group(0)):
            # (民国|18年, 公元前|200年: an era is part of the date.)
            a = m.start() if m.start() == 0 or span[m.start() - 1] in "在于自从到至" else 0
            date = m.group(0).rstrip("至到和、-")
            if ASKS_YEAR.search(q) and (y := re.match(r"[0-9０-９]{1,4}年(?!代)", date)):
                date = y.group(0)  # 哪一年: 2010年, not 2010年10月26日
            return start + a, start + m.start() + len(date)
    covered = rs.covered(span, q)
    # The question's words again close the slot: 白垩纪中期|冈底斯山脉(开始隆起); but an
    # answer may end in them (莫斯科|中山大学 for 哪一个大学), and words after a 的 are the
    # noun its modifier leads to (1953年成立的|河北省文物管理委员会 for 河北省文物研究所的前身).
    if not (head and span.endswith(head)):
        for i in range(2, len(span) - 2):
            if covered[i] and not covered[i - 1] and all(covered[i:i + 3]) and span[i - 1] not in "、和及与的":
                end, span = start + i, span[:i]
                break
    if QUANTITY_Q.search(q) and "第" not in q:
        # The count, not what leads to it: (满分)1600分, (只拿到了)一分.
        if (n := re.search(r"[0-9０-９]", span) or CN_NUMBER.search(span)) and n.start() > 0:
            start, span = start + n.start(), span[n.start():]
        if m := _COUNT.match(span):
            return start, start + m.end()  # 1500万(的游客): the count and its measure
        # 200万名(游客), but 33|话 and 364.6|公里 keep their measure.
        if head and span.endswith(head) and len(span) > len(head) and not NUMERAL.match(span[-len(head) - 1]):
            return start, start + len(span[:-len(head)].rstrip("的"))
        return start, start + _counted(span)
    # 《中华人民共和国宪法》(规定): a title is given whole.
    if (m := re.match(r"《[^》]+》", span)) and m.end() < len(span):
        return start, start + m.end()
    # "拟人化的手法", "1500万的游客": the 的 and the noun after it restate what was asked.
    if head and span.endswith("的" + head) and len(span) > len(head) + 2:
        return start, end - len(head) - 1
    if head and (i := span.rfind(head)) > 0 and i + len(head) == len(span) and (de := span.rfind("的", 0, i)) > 0:
        return start + de + 1, end  # 由孙中山创立的|国立广东大学: what it is called
    # 哪种字体 -> 既有的|汉字: the kind is named by the noun, not by a word that qualifies it.
    if head and (n := unqualified(span)):
        return start + n, end
    if noun and (i := span.find(noun)) > 0 and _verb_follows(span[i + len(noun):]):
        return start, start + i + len(noun)  # 阿拉贡王国|达成(协议)
    # What the question restates closes the slot: (争取在对方的龙门入球)为目标.
    j = len(span)
    while j > 0 and covered[j - 1]:
        j -= 1
    if j < len(span) - 1 and j > 1 and span[j - 1] in rs.EDGE and span[j - 1] not in "和与及" and span[j:] != head:
        return start, start + j - 1
    return start, end


def unqualified(span: str) -> int:
    """Where the noun starts after one word that qualifies it and names nothing itself
    (既有的|汉字, 现有的|设备, 著名的|歌手); 0 when ``span`` does not open so."""
    from .lexical import tagged

    if not (m := re.match(r"([^的]{1,2})的(?=[^的]{2,})", span)):
        return 0
    words = tagged(m.group(1))
    # (Not a superlative: 最大的体育场 names which one.)
    return m.end() if len(words) == 1 and words[0][1][:1] in "abcvd" and words[0][1] != "vn" \
        and not span.startswith("最") else 0


def _verb_follows(text: str) -> bool:
    """Does ``text`` open with a verb (达成, also where jieba reads 达成协议 as one name)?"""
    from .lexical import is_verb, tagged

    return any(words and is_verb(words[0][1])
               for words in (tagged(text), tagged(text[:2])))
