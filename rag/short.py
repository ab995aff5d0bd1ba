"""Short answer: the exact words of a verified quote that answer the question.

The chat answer is a sentence with citations ("哥连臣角火葬场于1962年启用[1]。"); a reader
scoring answers, or a user skimming, wants the span itself ("1962年"). The model is not
asked twice: the span is read off the sentence of its answer that restates the question
(usually the first), which adds the answer to it. What the question already says is
struck out; what remains, split at punctuation, are the candidates; the one that fits the question's type
(a date for "when", a number for "how many", the words next to the thing asked for in
"哪个家用主机") wins. It is then looked up in the verified quotes and returned as the
document writes it, so a short answer is always a copy of the evidence, never the model's
paraphrase: no span found, no short answer. Everything is matched folded character by
character (``fold_each``) on both sides: a phrase table would fold 乾隆 in a question
and 乾 in a passage differently.

Questions that ask why or how, or for a description, are answered by a clause, not a word:
their short answer runs from the first clause that says something new to the end of the
sentence (stopping before a 因此/所以 conclusion).
"""
from __future__ import annotations

import re

from . import restated as rs
from .asked import (ASKS_ONE_MORE, LIST_JOIN, PLACE_ASKED, PLURAL, REFERS_BACK, WHERE, WHY_ONLY, an_act, answered_whole, bare_verdict, clausal,
                    framed_kind, listed, not_a_place, one_address, open_item, past_verb, person_acting, place, titled_person,
                    measure_word, restates_count, verb_lead)
from .clause import CLAUSE_LEAD, answering_clause
from .cloze import cloze, counts_or_names, unqualified
from .locate import locate, locate_head, locate_list
from .markers import strip_markers
from .records import Citation, row_values
from .rewrite import shaped_as, without_note
from .numerals import (CALENDAR_DATE, CLOCK, CLOCK_Q, CN_NUMBER, DATE_TAIL, EN_TIME, EN_WHEN_Q, NUMERAL, TIME, TOTAL_SAID,
                       only_a_date)
from .zh import (ASKS_YEAR, CJK, LIST_ITEM, ORG_KIND, QUANTITY_Q, QUESTION_WORD, WHEN_Q, WHICH_CLASSIFIERS, WHO_Q,
                 claim_sentences, fold_each, to_simplified)

# What the question asks for, named after its question word: 哪个家用主机 -> 家用主机.
# Only after a word that takes a noun: after 哪一年 comes the predicate (启用), not a noun.
_CATEGORY = re.compile(rf"(?:什么|哪一?[{WHICH_CLASSIFIERS}]|何种)([{CJK}]{{2,6}})")
_ORDINAL = re.compile(r"的?第[0-9一二三四五六七八九十百]+[张部个次届位本首座家条项名任]?$")
_MORE_DATE = re.compile(r"(?:和|及|与|、|至|到|-|以及)(?=\d)")
_ORDINAL_HEAD = re.compile(r"第[0-9一二三四五六七八九十百]+[张部个次届位本首座家条项名任期代]?")
# (Titles listed keep their brackets: 《甲》、《乙》.)
_YEAR = re.compile(r"\d{1,4}年(?=\d{1,2}月)")
_LAST_DATE = re.compile(rf"(?:{CALENDAR_DATE.pattern})$")  # a date that ends a phrase
# A count and its measure word, where words follow: 22|个|非协商国.
_COUNTED = re.compile(r"(?:约|大约|近|超过)?[0-9０-９][0-9０-９,.．]*(?:多|余)?[万亿]?([^\W\d]{1,3}?)(?=[^\W\d])")
# Characters that start a verb phrase or a clause, not the noun a category names.
_NOT_A_NOUN = "来去在于的是了和与对把被给让使将从向到为就都也"
_REASON_Q = re.compile(rf"{WHY_ONLY}|原因", re.I)
_DAYPART = re.compile(r"(?:凌晨|早上|上午|中午|下午|傍晚|晚上|夜间)?$")
_PAST_HOUR = re.compile(r"(?:半|整|[0-9一二三四五]?[0-9十]分)?")
_COUNTED_LIST = re.compile(r"共(\d+[^\d\W]?)[：:]")
_DATE_UNIT = re.compile(r"年代|世纪|年|月|日|号")
_MODALS = frozenset({"需要", "必须", "应该", "应当", "可以", "能够"})


def short_answer(question: str, answer: str, citations: list[Citation]) -> str | None:
    """The span of a verified quote that answers ``question``, or None; part of the name of
    a cited table row (its first cell) widened to the name, when the answer holds it whole
    (人民医院 of 泠川县第二人民医院: the words the question shares, 第二 of 第二多, are the
    row's name)."""
    # (A picked passage's note -- the count its rows do not say, "一共有7个仓库" -- is read only
    # when the passages' own words give no span: a comparison's note restates the question.)
    found = _short_answer(question, answer, citations)
    if not found and any(c.verified and c.chunk.context for c in citations):
        found = _short_answer(question, answer, citations, notes=True)
    if not found:
        return found
    said = fold_each(strip_markers(answer))
    names = {v for c in citations if c.verified for line in c.chunk.text.splitlines()
             for v in row_values(line)[:1]
             if found in v and len(v) > len(found) and fold_each(v) in said}
    return names.pop() if len(names) == 1 else found


def _short_answer(question: str, answer: str, citations: list[Citation], notes: bool = False) -> str | None:
    asked, question = to_simplified(without_note(question)), to_simplified(shaped_as(question))  # (simplified patterns)
    evidence = [c for c in citations if c.verified]
    text = strip_markers(answer).strip()
    if not evidence or not text:
        return None
    # Asked how many and answered with the count of the list a passage enumerates ("共4个：
    # 甲、乙、丙、丁", kind.counted_from_list): the count, told from the quote by counting it.
    if QUANTITY_Q.search(question) and (m := _COUNTED_LIST.match(text)):
        return m.group(1)
    sentence = _answering_sentence(question, text)
    # Where a candidate is looked up, in order: each verified quote, then its passage.
    # (A line break is a space there: a PDF breaks a sentence across lines, "…or pairing\ntimed out".)
    sources = [(one, fold_each(one)) for c in evidence
               for one in (c.quote.replace("\n", " "), c.chunk.text.replace("\n", " "))]
    if notes:  # ...and last, a picked passage's note (short_answer), not the table's header row before it
        sources += [(line, fold_each(line)) for c in evidence for line in c.chunk.context.splitlines()
                    if line.startswith(("（", "("))]
    # The subject of a document (its title) is what a question without one (它的原名是什么)
    # is about, not its answer: "苏镜宇原名苏博" answers with 苏博.
    titles = {fold_each(c.chunk.context_title) for c in evidence if c.chunk.context_title}
    # Asked yes or no (同意), or when in English (March 18, 2025): what the quote says, whole.
    if found := answered_whole(question, text, sentence, sources, asked):
        return found
    if bare_verdict(question, text):
        return None
    # Asked for the one item a list leaves open, that item, wherever the sentence lists them.
    m = QUESTION_WORD.search(question)
    if m and ASKS_ONE_MORE.search(question[:m.start()].rstrip("，, ")) and (item := open_item(question, sentence)) \
            and (found := locate(item, sources)) and len(found) == len(item):
        return found
    # (A date is cut to what was asked, a count to its measure: not taken whole.)
    bare = None if WHEN_Q.search(question) or QUANTITY_Q.search(question) else _bare(question, sentence)
    if bare and (found := locate(bare, sources)) and len(found) == len(bare):
        return found
    # (A place pointed back to, 此地, is named elsewhere in the sentence: not the answer.)
    candidates = [c for c in _candidates(question, sentence, titles) if not REFERS_BACK.fullmatch(fold_each(c))]
    # Asked for no time, a date alone is what frames the answer (5月，…暂停节目), not it,
    # when the sentence says something else.
    undated = [c for c in candidates if not only_a_date(c)]
    skip_dates = bool(undated) and not (WHEN_Q.search(question) or TIME.search(question) or QUANTITY_Q.search(question))
    if skip_dates:
        candidates = undated
    kind = framed_kind(question)
    filled = cloze(question, sentence)
    filled = filled and filled[verb_lead(filled):]
    if filled and (not clausal(question) or kind or _slotted(question, sentence, filled)) \
            and not (skip_dates and only_a_date(filled)):
        # The kind the question names ends the description (自由转会|方式加盟…: jieba may read
        # the words after it as nouns too, 加盟 as a place).
        if kind and (i := fold_each(filled).find(kind)) > 0:
            filled = filled[:i]
        # Asked for several, the slot holds the first of a list (《边城》|和《长河》): the list.
        items = LIST_JOIN.split(candidates[0]) if PLURAL.search(question) and candidates else []
        if len(items) >= 2 and filled in candidates[0] and all(len(i.strip("《》")) >= 2 for i in items):
            filled = candidates[0]
        if (found := locate(filled, sources)) and len(found) == len(filled):
            return found
    # Asked where, and the best candidate runs on from a place into what was done there
    # (商店购买西方及出口级别) or names no place (分布|很广): the place.
    if WHERE.search(question) and candidates and not_a_place(candidates[0]) \
            and (spot := place(question, sentence)) and (found := locate(spot, sources)) and len(found) == len(spot):
        return found
    # (A lone character that neither counts nor names is the answer only when nothing
    # longer is: 分 for 辅币单位是什么; not 多 of "多表现为对大自然的崇拜".)
    candidates = [c for c in candidates if counts_or_names(c)] or candidates
    for i, candidate in enumerate(candidates):
        # Not found whole, the best one's head, where the document sets it apart, before any
        # worse candidate: a name the model ran into other words ("北宋初置" for "北宋，初置"
        # is 北宋, not the clause after it; but not 根据 of "根据资料"). Or what follows the
        # sentence's verb in it (发生在|13世纪 against the quote's "13世纪…的入侵"). A list is
        # looked up item by item (甲和乙 against the document's 「甲」&「乙」).
        found = locate_list(LIST_JOIN.split(candidate), sources) or locate(candidate, sources) \
            or (i == 0 and (locate_head(candidate, sources, apart=True) or locate(past_verb(candidate), sources)
                            or locate_list(LIST_JOIN.split(candidate), sources, leading=True)))
        if found:
            return found
    # The answer's head, as the document writes it: the part of a long clause that one
    # quote holds.
    return locate_head(candidates[0], sources) if candidates else None


def _slotted(question: str, sentence: str, filled: str) -> bool:
    """The question word stands between words of the question (采取|什么|方式, 因|为什么|
    而倍受瞩目) and the sentence restates both around ``filled``, cloze's answer (采取|人工计算|
    的方式): a clause asked for that way is still the slot between them."""
    m = QUESTION_WORD.search(question)
    if not m:
        return False
    left, right = (fold_each(re.sub(r"\W", "", part)) for part in (question[:m.start()], question[m.end():]))
    if len(left) < 2 or len(right) < 2:
        return False
    folded = fold_each(sentence)
    after = folded[folded.find(fold_each(filled)) + len(filled):].lstrip(rs.EDGE)
    return after.startswith(right[:2])


def _bare(question: str, sentence: str) -> str | None:
    """The answer when the model gave nothing but it: a short noun phrase, no verb
    ("河北省文物管理委员会", not "1962年启用"), and not the question's predicate either
    ("青石镇旧称白水驿" restates 旧称 of 它的旧称叫什么). Striking out what the question
    restates would cut a name that repeats its words (河北省文物|管理委员会)."""
    text = sentence.strip().rstrip("。.！!")
    org = bool(_ORG_NAME.fullmatch(text))
    if not text or len(text) > (20 if org else 12) or rs.BREAK.search(text) or CLAUSE_LEAD.search(text):
        return None
    from .lexical import segment, tagged

    m = QUESTION_WORD.search(question)
    before = question[:m.start()] if m else question
    asked = [w for w in segment(before) if len(w) >= 2]
    # (Also the noun between 的 and the copula, which jieba may split: 它的神号是 -> 神|号.)
    kind = re.search(r"的([^的，,、]{2,6}?)(?:是|为|叫做?|称为)?$", before)
    if asked and fold_each(asked[-1]) in fold_each(text) or kind and fold_each(kind.group(1)) in fold_each(text):
        return None
    # ...nor what the question word's 的 leads to (哪一国的|人类学家 -> 英国人类学家: 英国).
    owned = [w for w in segment(question[m.end():]) if len(w) >= 2][:1] if m and question[m.end():].startswith("的") else []
    if owned and fold_each(text).endswith(fold_each(owned[0])) and len(text) > len(owned[0]):
        return None
    # (An organisation's name may hold a verb: 浙江省一建建设集团有限公司.)
    if not org and any(tag.startswith(("v", "p", "c", "u", "r", "d")) and tag != "vn" for _, tag in tagged(fold_each(text))):
        return None
    # A list that repeats what the question names (分为甲和乙以及哪一个 -> 甲、乙、丙): the one
    # item the question leaves open.
    return open_item(question, text) or text


_CODE_HEAD = re.compile(r"(?:[A-Za-z]+[-_]?)*$")  # the letters a code's digits follow (BT-)
_ORG_NAME = re.compile(rf"[^了的是在和与把被将，,。]{{2,10}}?(?:{ORG_KIND})")


def _answering_sentence(question: str, text: str) -> str:
    """The sentence of the answer that restates the question most (the first on a tie).
    The model usually answers first, but not always: after a follow-up it may open with
    what it said before ("铁锈的主要成因是……。铁锈的化学式是FeO。" for 它的化学式是什么)."""
    # (Without a list item's number: "2. 无法于入住日报到者…" does not answer 多久 with 2.)
    sentences = [LIST_ITEM.sub("", text[a:b]) for a, b in claim_sentences(text)] or [text]
    # Asked how many or when, a sentence without a numeral answers nothing ("…给付保险金。住院
    # 治疗最高以300,000元为限。" asked 最多赔多少: the second, though the first restates more).
    if QUANTITY_Q.search(question) or WHEN_Q.search(question):
        sentences = [s for s in sentences if NUMERAL.search(s)] or sentences
    if len(sentences) == 1:
        return sentences[0]
    asked = _asked(question)
    restated = [sum(rs.covered(fold_each(s), asked)) for s in sentences]
    return sentences[restated.index(max(restated))]


def _asked(question: str) -> str:
    """The question as an answer sentence is compared with: folded, its question word
    blanked (it is never part of what the answer restates)."""
    return fold_each(QUESTION_WORD.sub("□", question))


def _candidates(question: str, sentence: str, titles: set[str] = frozenset()) -> list[str]:
    """Spans of ``sentence`` that may answer ``question``, best first."""
    from .lexical import tagged

    folded = fold_each(sentence)  # judged on, offset for offset: 於 is trimmed like 于
    covered = rs.covered(folded, _asked(question))
    if clausal(question):
        # A clause may open with the document's subject, which a follow-up's 它 stood for
        # ("大冠鹫鸣叫声是…" for 它的鸣叫声是怎样的): restated too.
        for title in titles:
            for m in re.finditer(re.escape(title), folded) if len(title) >= 2 else ():
                covered[m.start():m.end()] = [True] * (m.end() - m.start())
        named = re.search(r"的([^的，,、]{2,6}?)(?:是|为)(?:什么|怎样|如何|何)", question)
        named = fold_each(named.group(1)) if named else ""
        return [c for c in (answering_clause(sentence, folded, covered, bool(_REASON_Q.search(question)), named),) if c]
    stops, bounds = rs.words(folded)
    runs = rs.runs(sentence, folded, covered, stops, bounds)
    if not (QUANTITY_Q.search(question) or PLURAL.search(question)):  # a count, a list: not a name
        named = fold_each(question)
        runs = [rs.named_on(folded, covered, bounds, a, b, named) for a, b in runs]
    runs = rs.whole_titles(sentence, runs)
    # A row's label ("套餐名称: 澜畅199", as the model copies a row) names a column, not the answer.
    runs = [r for r in runs if not (r[1] - r[0] <= 8 and re.match(r"\s*[:：]\s*\S", sentence[r[1]:]))] or runs
    if PLACE_ASKED.search(question):
        runs = one_address(sentence, covered, runs)
    if WHEN_Q.search(question):
        # Asked when, the unit after a number is the date's even where the question restates
        # it: 1990|年代 for 何年代 (the run stops where the restated 年代 begins), 19|世纪.
        runs = [(a, b + len(u.group(0))) if folded[b - 1].isdigit() and (u := _DATE_UNIT.match(folded, b)) else (a, b)
                for a, b in runs]
    if not runs:
        return []
    # Asked for several (哪些, 哪几个部分): the items the answer lists, together.
    items = listed(sentence, runs) if PLURAL.search(question) else None
    category = _category(question, sentence, folded)
    ats = [m.start() for m in re.finditer(re.escape(category), sentence)] if category else []
    # 哪个家用主机: the answer sits next to the thing named, not in the question word's slot.
    before, after = _slot(question) if category is None else ("", "")
    en_when = bool(EN_WHEN_Q.search(question))
    wants_time = en_when or bool(WHEN_Q.search(question))
    asks_year = bool(ASKS_YEAR.search(question))
    asks_which = "第几" in question  # which one of a series: the ordinal is the answer
    asks_who = bool(WHO_Q.search(question))  # a person, not a work
    de_after_slot = bool(re.search(r"(?:什么|谁)的", question))
    wants_number = bool(QUANTITY_Q.search(question))
    asks_clock = bool(CLOCK_Q.search(question))
    measure = measure_word(question) if wants_number else ""
    asks_total = wants_number and bool(TOTAL_SAID.search(question))
    scored, alone = [], []
    for i, (a, b) in enumerate(runs):
        piece = sentence[a:b]
        score = 0.0
        if asks_who and an_act(piece):  # 谁的报告: 某某的|研究|报告 -- a person, not the act
            score -= 2
        if wants_time and (TIME.search(piece) or en_when and EN_TIME.search(piece)):
            score += 3
            # A preposition before the date is not part of it: 始于|1910年, 在|1929年 (but
            # 民国|18年, 公元|前…: an era is).
            # (Wherever it stands: 林书恒于|2019年3月|起任董事长, when the question says 他.)
            if (m := CALENDAR_DATE.search(piece)) and m.start() > 0 and fold_each(piece[m.start() - 1]) in "于在自从到至":
                piece = piece[m.start():]
            # ...nor is a verb or adverb before the date that ends the phrase: 预计|2026年,
            # 始于|1910年 (but 民国|18年, 光绪|3年: an era is a noun).
            elif (m := _LAST_DATE.search(piece)) and m.start() > 0 \
                    and all(t.startswith(("v", "d", "p")) for _, t in tagged(fold_each(piece[:m.start()]))):
                piece = piece[m.start():]
            # A date that opens a phrase is the answer, not the phrase ("2003年方案中").
            if (m := CALENDAR_DATE.match(piece)) and m.end() < len(piece):
                # ...and a second date joined to it: 分别在1753年和1762年(发现).
                if (more := _MORE_DATE.match(piece, m.end())) and (m2 := CALENDAR_DATE.match(piece, more.end())):
                    m = m2
                piece = piece[:m.end() + len(DATE_TAIL.match(piece, m.end()).group(0))]
            # Asked for the year: the year answers it, not the full date (1945年1月17日).
            if asks_year and (m := _YEAR.match(piece)):
                piece = m.group(0)
        elif wants_number and NUMERAL.search(piece):
            score += 3
            # The count, not what leads to it: 时只拿到了|一分, 满分|1600分.
            m = re.search(r"\d", piece) or CN_NUMBER.search(piece)
            # Asked what it all comes to, the figure the sentence says is the total (合共|港幣
            # 1,520元 after 每小時港幣380元): not the first figure.
            if asks_total and m and _TOTAL_BEFORE.search(folded[max(0, a + m.start() - 10):a + m.start()]):
                score += 1.5
            if m and m.start() > 0 and not asks_which:
                # (...but a code's letters are the code's: 工号|BT-1032, not 1032.)
                piece = piece[_CODE_HEAD.search(piece[:m.start()]).start():]
            # ...with the measure the question names, which it restates: 12000|平方米.
            if measure and folded.startswith(measure, b) and NUMERAL.search(piece[-1:]):
                piece += sentence[b:b + len(measure)]
            # ...and no more: what follows the measure says what was counted (22个|非协商国).
            elif measure and (m := _COUNTED.match(fold_each(piece))) and m.group(1) == measure and m.end() < len(piece):
                piece = piece[:m.end()]
            # (The amount of 以…为限, not the limit word: 最高以300,000元|为限.)
            piece = piece[:-2] if fold_each(piece).endswith("为限") and NUMERAL.search(piece[:-2]) else piece
        # Asked at what o'clock (几点到几点), a clock time (13:00至18:00), not the weekday's
        # numeral of （周三） beside it: both count.
        if asks_clock and (times := list(CLOCK.finditer(piece))):
            score += 1.5
            # ...and no more than the times (14:00至16:00|进行), with their half hours and the
            # part of the day before them (下午|5点|半).
            a0 = _DAYPART.search(piece[:times[0].start()]).start()
            piece = piece[a0:times[-1].end() + len(_PAST_HOUR.match(piece, times[-1].end()).group(0))]
        if category:
            # Next to the thing named, or ending in it (华北平原 for 哪个平原, once widened
            # to the whole word).
            # Or with only restated words between: 琉球国 + 舜天 + 王朝 for 舜天是哪个王朝的.
            # The mention of it next to the run, when it is named twice (…上的化石…鱼龙目化石).
            # The one after it first: it heads the phrase (黄河流域和海河|流域).
            at = next((i for i in ats if 0 <= i - b <= 4), None) if ats else -1
            if at is None:
                at = next((i for i in ats if 0 <= a - (i + len(category)) <= 1
                           or a <= i and i + len(category) == b), ats[0])
            named = 0 < at - b <= 4 and all(covered[b:at]) and not re.search(r"[的之]", folded[b:at]) \
                and not rs.BREAK.search(sentence[b:at])
            if at >= 0 and (0 <= at - b <= 1 or 0 <= a - (at + len(category)) <= 1
                            or a <= at and at + len(category) == b or named):
                score += 2
                if at == b or named:  # 热带性 + 气候: the thing asked for heads the phrase
                    # (the run alone last, when the document names it apart: 天主教|的主教座堂)
                    alone.append(piece)
                    piece = sentence[a:rs.word_end(bounds, at + len(category))]
                # What the thing is called, not what is said of it: 1924年由某人创立的|广东大学.
                head = piece.rfind("的", 0, len(piece) - len(category))
                if head > 0 and piece.endswith(category) and len(piece) - head - 1 > len(category):
                    piece = piece[head + 1:]
        # "是研究什么的", "是制造什么的原料": what comes before the 的 answers (干扰素与感染免疫|的知名学者).
        if de_after_slot and "的" in piece[1:]:
            piece = piece[:piece.index("的", 1)]
        # Asked who, a person's name that runs on into what they did is the name (某某|议员热心帮助).
        if asks_who and (person := person_acting(piece)):
            piece = person
        # ...and a run that ends in a person's name beats one that names none (人资经理陈怡蓁,
        # not 人事、 of "人事、请假及保险相关问题，请洽人资经理陈怡蓁"). (Kept whole: jieba may
        # tag a surname a noun, 邝|俊杰.)
        if asks_who and titled_person(piece):
            score += 1.5
        # A one-character verb that leads a name is the sentence's, not the answer's:
        # 呈|深橙色, 受|某某(重用).
        piece = piece[verb_lead(piece):]
        # Asked which one, the ordinal answers: 第八届(全国政协常委).
        if asks_which and (m := _ORDINAL_HEAD.match(piece)):
            piece = m.group(0)
        # An ordinal left over from the restated phrase is not who or what: 玛丽莲·曼森|第二张
        # (个人专辑), unless the question asks which one (第几).
        if (m := _ORDINAL.search(piece)) and m.start() > 0 and not asks_which:
            piece = piece[:m.start()]
        # The answer stands where the question word stood: after what preceded it, before
        # what followed it ("虹膜是什么颜色" -> "…虹膜黄绿色": 黄绿色, not the 眼之 before it).
        # (A modal before it, 需要|多少人|同意, leads any clause: what follows it is the anchor.)
        if before and folded[:a].rstrip(rs.EDGE).endswith(before):
            score += 0.5 if before in _MODALS else 1.5
        if after and folded[b:].lstrip(rs.EDGE).startswith(after):
            # Asked when something happened, the date right before the event, in a clause of
            # its own, is its date more than one in an earlier clause right after the subject
            # (某馆于2021年暂停开放，预计2026年|重新开放; but in one clause the date runs on:
            # 在元和四年（809年）秋十一月|病逝).
            score += 2 if wants_time and re.search(r"[，,；;]", sentence[:a]) else 1.5
        if fold_each(piece) in titles:
            score -= 2
        # A title in 《》 is a name the text gives whole (《超级科学故事》杂志, 电影《武松》);
        # not the work a sentence opens with (its subject), nor the answer to "who".
        elif a > 1 and sentence[a - 1] == "《" and sentence[b:b + 1] == "》" and not asks_who:
            score += 1.5
        score -= 0.1 * i  # the model states the answer early
        scored.append((score, piece))
    ranked = [p for _, p in sorted(scored, key=lambda t: -t[0]) if not restates_count(question, p)] + alone
    if _CATEGORY.search(question):  # 哪种字体: 汉字, not 既有的汉字 (see cloze.unqualified)
        ranked = [p[unqualified(p):] for p in ranked]
    return [items, *ranked] if items else ranked


# A total word, and a currency at most, right before a figure (合共港币1,520元, 合计：29,790).
_TOTAL_BEFORE = re.compile(rf"(?:{TOTAL_SAID.pattern}|总额|总价)\s*[:：]?\s*(?:港币|人民币|新台币|澳门币|RMB|HK\$|NT\$|US\$|\$|¥|￥)?\s*$", re.I)


def _slot(question: str) -> tuple[str, str]:
    """The two characters just before and just after the question word (function characters
    skipped): what the answer sentence should have on either side of the answer."""
    folded = fold_each(question)
    m = QUESTION_WORD.search(folded)
    if not m:
        return "", ""
    left = re.sub(r"[^\w]", "", folded[:m.start()]).rstrip(rs.EDGE)
    right = re.sub(r"[^\w]", "", folded[m.end():]).lstrip(rs.EDGE)
    return left[-2:] if len(left) >= 2 else "", right[:2] if len(right) >= 2 else ""


def _category(question: str, sentence: str, folded: str) -> str | None:
    """The thing the question asks for, as the answer names it: the longest start (2+
    characters) of the words after 什么/哪个 that the sentence contains (哪个家用主机上被推出
    -> 家用主机)."""
    m = _CATEGORY.search(question)
    if not m or m.group(1)[0] in _NOT_A_NOUN:  # 使用什么来帮助: a verb phrase follows, not a noun
        return None
    words = _nouns(fold_each(m.group(1)))
    for end in range(len(words), 1, -1):
        if words[:end] in folded:
            return sentence[folded.find(words[:end]):][:end]
    return None


def _nouns(words: str) -> str:
    """The nouns that open ``words`` (jieba's tags): 讯号 of 讯号可以取得, where the
    sentence restates the whole phrase and the thing asked for would swallow its verb."""
    from .lexical import tagged

    out = ""
    for word, tag in tagged(words):
        if not tag.startswith(("n", "b")) and tag != "vn":  # 研究/vn 机构/n is a noun phrase
            break
        out += word
    if not out and "的" in words[:-1]:  # 完整的化石: the noun the description leads to
        return _nouns(words[words.index("的") + 1:])
    return out or words
