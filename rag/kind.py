"""Is the answer of the kind the question asks for?

A "when" question is answered by a date of the event it names, a "how many" by a number,
an English "what does it cost" by money. The citation verifier only checks that what the
answer says stands in its passage; a small model often answers such a question with a true
sentence that lacks the kind asked for ("远帆X2芯片采用几纳米制程？" -> "GPGPU架构"), or with
a date the passage gives to something else ("X3芯片在2025年5月正式立项" for when it is mass
produced). An answer without the date or number is completed from its own quote when that
states exactly one (complete_from_quote), else refused; the other checks of what the answer
is about live in relevance.py.
"""
from __future__ import annotations

import re
from dataclasses import replace

from .asked import measure_word
from .cite import CitedAnswer
from .cloze import cloze
from .lexical import STOPWORDS, tagged, tokenize
from .markers import strip_markers
from .ranked import listed_names
from .records import Citation, Hit
from .support import stating_sentence
from .rewrite import shaped_as, without_note
from .numerals import (CALENDAR_DATE, CLOCK, CLOCK_Q, CURRENCY_SIGNS, CURRENCY_WORD, DATED, DATE_ANSWER, EN_DATE,
                       EN_NUMBER_WORDS, EN_WHEN_Q, HH_MM, NUMERAL, PART_NUMBER, TIME)
from .zh import CJK_CHAR, Lang, QUANTITY_Q, QUESTION_CUE, WHEN_Q, WHO_Q, fold, to_simplified


def missing_event(question: str, evidence: list[str], lang: Lang) -> list[str]:
    """For a "when" question, the words after the question word name the event asked about
    (林晓舟是哪一年去世的 -> 去世; X3芯片预计什么时候量产 -> 量产). When none of them occurs
    near the quotes, the date found there belongs to another event ("2024年的观众…",
    "X3芯片在2025年5月正式立项"): returns those words; empty = fine. (Not required: the
    event in the clause that states the date. Chinese text dates a whole sentence at its
    head -- "1897年，早田23岁，……" -- and the event named after a comma or two, or in the
    next sentence with 同年; measured in evals/RESULTS.md, eighteenth session.)"""
    question = to_simplified(without_note(question))
    m = WHEN_Q.search(question) if lang == "zh" else None
    if not m or not evidence:
        return []
    # Not another question word: "几月几日" asks for one date, its 几日 is no event.
    # Nor a word that bounds the time asked: "到哪天为止" asks where the span before it ends.
    words = [t for t in dict.fromkeys(tokenize(question[m.end():]))
             if len(t) >= 2 and t not in STOPWORDS and not QUESTION_CUE.search(t) and t not in _BOUNDS]
    # Nothing after it, the event may stand before it: 它的揭幕时间是什么时候 -> 揭幕.
    if not words and (before := _EVENT_TIME.search(question[:m.start()])):
        words = [before.group(1)]
    text = fold(" ".join(evidence))
    if any(w in text for w in words):
        return []
    # The same event in another verb: 举办 / 举行, 去世 / 逝世, 成立 / 建立 (two-character
    # verbs sharing a character in the same place; jieba tags the evidence's words).
    verbs = {word for word, tag in tagged(text) if len(word) == 2 and tag.startswith("v")}
    if any(len(w) == 2 and set(v) & set(w) for w in words for v in verbs):
        return []
    # The same event in a word of its family (_SAME_EVENT).
    if any(any(asked.search(w) for w in words) and said.search(text) for asked, said in _SAME_EVENT):
        return []
    # 举办 / 举行 / 召开 only say that the event named before them took place: a date given
    # to that event itself ("1929年的第1届颁奖典礼上…") is its date.
    subject = question[:m.start()]
    if all(w in _HELD for w in words) and len(subject) >= 4 \
            and any(text[d.end():d.end() + 4] in subject for d in DATED.finditer(text)):
        return []
    return words


_BOUNDS = frozenset({"为止", "以前", "之前", "以后", "之后", "以来"})
_EVENT_TIME = re.compile(r"([^\W\d的是之]{2})(?:的)?(?:时间|日期|年份|时期|年代)(?:是|为)?$")
_HELD = frozenset({"举办", "举行", "召开"})
_DIED = re.compile(r"[死卒逝薨殁殂]|去世|过世|身亡")
# (a word of the question, what the passage may say instead): the same event in another word.
_SAME_EVENT = (
    # A beginning: "始于1910年" (jieba tags it an adverb) dates what 开始 / 起始 ask about.
    (re.compile("始"), re.compile(r"[始起][于自]|始建")),
    # A death, in any of its words: "忧病致死", "卒", "薨" date what 病逝 / 去世 ask about.
    (_DIED, _DIED),
    # 诞生 asks when anything came to be: a founding, a birth or a naming dates it (a
    # school's name 诞生 the year the school 成立).
    (re.compile("^诞生$"), re.compile(r"诞生|出生|生于|成立|创立|创建|建立|设立|创办|开办|命名|定名|得名")),
)


# English: asked when / how many, answered without a time / a number ("How much does the
# utility charge per cubic metre?" -> "The utility charges per cubic metre of water [1].").
_EN_QUANTITY = re.compile(r"\bhow (?:many|much|long|far|old|big|large|tall|high|heavy|often|fast)\b"
                          r"|\bwhat (?:percentage|share|proportion|number|amount|fraction)\b", re.I)
_EN_NUMBER = re.compile(r"\d|\b(?:%s|million|billion|half|twice|once|single|double)\b" % "|".join(EN_NUMBER_WORDS), re.I)


_EN_YEAR = re.compile(r"(?<![\d.,])(?:1\d{3}|20\d{2})(?!\d|[.,]\d)")
_EN_MONEY_Q = re.compile(r"^\s*(?:how much\b.*\b(?:cost|pay|charge|spend)|(?:what|which)\b.*\b(?:cost|price|fee|fare|rent"
                         r"|salary|budget))", re.I)
_EN_MONEY_BOUND = re.compile(rf"\b(?:less|more|cheaper|dearer|under|over|below|above|within|up to|at most|at least)\s+"
                             rf"(?:than\s+)?[{re.escape(CURRENCY_SIGNS)}]?\s*\d", re.I)
_EN_MONEY = re.compile(rf"[{re.escape(CURRENCY_SIGNS)}]|\b(?:{CURRENCY_WORD}|free|no charge)\b", re.I)


# (What a firm earns or is worth is money too: 营收 answered with a count of parcels,
# "1,284萬件", is no answer. Not 收入 alone -- 收入 also means "included", 收入了几首歌 --
# nor 融资, counted in rounds.)
ZH_MONEY_Q = re.compile(r"费用|价格|价钱|造价|成本|售价|票价|花费|耗资|收费|租金|押金|保证金|定金|薪水|工资|预算|多少钱"
                        r"|营收|营业额|营业收入|利润|净利|亏损|市值|估值|销售额")
_ZH_HOW_MUCH = re.compile(r"多少|几")
# ...unless it asks how much that changed or what share it is: a percentage answers
# ("收入同比增长多少？" -> 35.55%).
_ZH_RATE_Q = re.compile(r"增长|增加|增幅|上涨|上升|下降|下跌|减少|降幅|同比|环比|比例|占比|比重|百分")


def asks_price(question: str) -> bool:
    """Does a Chinese question (simplified) ask what something costs or earns: a money
    word and how much (多少, 几), not by how much it changed?"""
    return bool(ZH_MONEY_Q.search(question) and _ZH_HOW_MUCH.search(question) and not _ZH_RATE_Q.search(question))

_ZH_MONEY = re.compile(rf"[{re.escape(CURRENCY_SIGNS)}]|{CURRENCY_WORD}|块|免费", re.I)  # (元: CURRENCY_WORD)


# Measures: what a question asks to be measured, and the units each is measured in, so an
# answer whose only figures are in another measure is known to answer nothing ("这座塔有多高？"
# -> "塔高36吨"). 多长 asks a length or a span of time, 多远 a distance or the time it takes
# (约30分钟车程), a speed may be written as a length (时速300公里): either answers. Units
# follow a number; those of Chinese are matched on simplified text.
_SPAN_Q = re.compile(r"多久|多长(?:的)?时间|多少时间")  # ...or asks it outright: 修了多久 -> 3年
_NUM = r"[0-9０-９一二三四五六七八九十百千万亿两半]"
_EN_SPAN = re.compile(r"\d\s*(?:hours?|hrs?|minutes?|mins?|seconds?|days?|weeks?|months?|years?)\b", re.I)  # (an English answer)
_ZH_UNITS = {
    "length": r"(?:千|公|厘|毫|纳|微|分)?米|公尺|公分|公里|英[尺寸里]|海里|光年|[尺寸丈]|码|(?:[kKcm]?m|KM)(?![A-Za-z])",
    "area": r"平方|公顷|[英市]?亩|km2|km²|m²",
    "weight": r"(?:千|毫)?克|公斤|[吨斤磅]|盎司|kg(?![A-Za-z])",
    "temperature": r"摄氏|华氏|℃|°",
    "speed": r"(?:公里|千米|米|英里)(?:/|每)(?:小?时|秒)|节|马赫|km/h",
    "duration": r"年|个月|周|个?(?:星期|礼拜)|天|[小个]?时|个?钟头|分钟|秒",  # (十个星期, 两个礼拜)
    "money": rf"{CURRENCY_WORD}|块钱",  # never asked here (the money check is above), only given
}
_ZH_UNIT = {k: re.compile(rf"{_NUM}\s*(?:多|余|来)?\s*(?:{u})") for k, u in _ZH_UNITS.items()}
_ZH_ASKED = [
    # (历时/耗时/工期 name a span without asking it: enough to weigh a measure, not to let a
    # date count as one in lacks_quantity -- "工期多少？" -> "2019年开工" states none.)
    (re.compile(rf"{_SPAN_Q.pattern}|历时|耗时|工期"), ("duration",)),
    (re.compile(r"多[长远]|距离"), ("length", "duration")),
    (re.compile(r"多[高深宽厚]|长度|全长|总长|高度|深度|宽度|厚度|海拔|身高|周长|直径|半径|口径|射程|航程|里程"), ("length",)),
    (re.compile(r"面积|占地"), ("area",)),
    (re.compile(r"多重|重量|体重"), ("weight",)),
    (re.compile(r"温度|气温|水温|体温|熔点|沸点"), ("temperature",)),
    (re.compile(r"速度|时速|航速|多快"), ("speed", "length")),  # 时速300公里
]


def wrong_measure(question: str, answer: str) -> bool:
    """A Chinese question asks how long / high / far / heavy / large, how hot or how fast
    (with 多少, 几 or 多X), and the answer gives a figure in some other measure and none in
    the one asked ("这座塔有多高？" -> "塔高36吨"; "面积有多大？" -> "面积为12公里"; but
    "离市区多远？" -> "约30分钟车程" answers). Question and answer simplified, markers off."""
    if not QUANTITY_Q.search(question):
        return False
    asked = {m for cue, measures in _ZH_ASKED if cue.search(question) for m in measures}
    if not asked:
        return False
    # Areas are in square lengths: 平方公里 is no length.
    text = re.sub(r"平方(?:千米|公里|米|公尺|英里|英尺)", "平方", answer)
    if any(_ZH_UNIT[m].search(text) for m in asked):
        return False
    # A year is a date, not a span of time: 建于1998年 gives no measure to weigh.
    undated = CALENDAR_DATE.sub(" ", text)
    # Nor is a time of day ("升级要多久？" -> "凌晨3:00〜5:00", when it runs): asked how
    # long outright, clock times alone are another measure -- and an answer with no span at
    # all ("過多久就不能再請領？" -> "…僅就其中一份契約給付") gives none.
    if _SPAN_Q.search(question) and (HH_MM.search(undated) or not _ZH_UNIT["duration"].search(text)
                                     and not re.search(rf"{_NUM}\s*日", text) and not _EN_SPAN.search(text)):
        return True
    return any(_ZH_UNIT[m].search(undated) for m in _ZH_UNITS if m not in asked)


# Asked who: a person, whom no bare number names ("要找人资部的哪一位？" -> "8.1[1]", the
# number of the handbook's clause that names her).
_ZH_WHO_Q = re.compile(rf"{WHO_Q.pattern}|什么人|何人")
EN_WHO_Q = re.compile(r"^\s*(?:who|whom|whose)\b", re.I)  # (aspect.py's role check reads it too)
_WORDLESS = re.compile(r"[\W\d_]*")


def missing_kind(question: str, answer: str, lang: Lang) -> str | None:
    """'time' or 'quantity' when a question asks when / how many and the answer names no
    date / numeral ("远帆科技是什么时候在港交所上市的？" -> "远帆科技在港交所上市[1]。");
    'money' when a question asks what something costs (how much, in Chinese) and the
    answer names no amount of money; 'name' when it asks who and the answer is a bare
    number; 'phone' when it asks what number to call and the answer holds none. A
    follow-up "那X呢" asks what its previous question asked ("那假日呢？" after "平日108路首班車
    幾點？": a time, not "假日：週六、週日及國定假日")."""
    question = shaped_as(question)
    who = EN_WHO_Q if lang == "en" else _ZH_WHO_Q
    simple = to_simplified(without_note(question))
    if who.search(simple) and _WORDLESS.fullmatch(strip_markers(answer)):
        return "name"
    # Asked what number to call, an answer without one ("1 [1]", a footnote's digit of
    # another document) answers nothing.
    if _PHONE_Q.search(simple) \
            and not any(len(re.sub(r"\D", "", m)) >= 6 for m in _PHONE.findall(strip_markers(answer))):
        return "phone"
    if lang == "en":
        question, answer = without_note(question), strip_markers(answer)
        # (A year the question states is not the time it asks: "…for the 2023 financial year".)
        said = re.sub(r"|".join(re.escape(y) for y in _EN_YEAR.findall(question)) or r"(?!)", " ", answer)
        if EN_WHEN_Q.search(question) and not EN_DATE.search(said):
            return "time"
        money, priced = _EN_MONEY_Q.search(question), _EN_MONEY.search(answer)
        if _EN_QUANTITY.search(question) and not _EN_NUMBER.search(answer) and not (money and priced):
            return "quantity"  # ("free" is a price)
        # Asked what something costs, a figure that is no money ("The total cost of the
        # mission is 2,340 kilograms [1]", the launch mass) answers nothing.
        # (A price the question sets as a bound asks for what is within it: "Which sizes cost
        # less than $50 a month?" asks for sizes.)
        return "money" if money and not priced and not _EN_MONEY_BOUND.search(question) else None
    if lang != "zh":
        return None
    question, answer = to_simplified(question), to_simplified(answer)
    if WHEN_Q.search(without_note(question)) and not TIME.search(strip_markers(answer)):
        return "time"
    # Asked at what o'clock (末班车几点), an answer with no clock time ("假日：週六、週日及
    # 國定假日": its 六 is a day's) says no time.
    if CLOCK_Q.search(question) and not CLOCK.search(strip_markers(answer)):
        return "time"
    if lacks_quantity(question, answer, lang):
        return "quantity"
    # Asked who holds a person's post, an organisation where the name should stand
    # ("…主任叫什么名字？" -> "…主任叫桂澜物业服务中心") names nobody; asked which firm
    # (哪家供应商), a street address ("…是从岚湾街道桂澜路126号采购的") names none.
    if (post := _POST_Q.search(question)) or _WHICH_FIRM_Q.search(question):
        slot = (cloze(question, strip_markers(answer)) or "").rstrip("。.，, ")
        if slot and (_ORG_END.search(slot) if post else _ADDRESS.search(slot)):
            return "name"
    # Asked how much something costs, a figure that is no money ("某灯塔的建造费用是36米",
    # its height) answers nothing.
    asked, said = without_note(question), strip_markers(answer)
    if asks_price(asked) and not _ZH_MONEY.search(said):
        return "money"
    return "measure" if wrong_measure(asked, said) else None



_CELL_NUMBER = re.compile(r"(?<![\d.,])\d[\d,]*(?:\.\d+)?(?![\d.,]*\d)")


def with_stated_unit(cited: CitedAnswer, units: dict[int, str]) -> CitedAnswer | None:
    """Asked what something costs or earns and answered with a bare figure ("9828[1]")
    that a table row holds whose table states its unit once above it, in money ("单位：
    万元": ``units`` maps a citation's n to it): the figure with its unit ("9828万元[1]").
    None when a figure of the answer is no whole cell of a verified quote under such a unit
    (the figure is then of another kind, as missing_kind says)."""
    money = {n: u for n, u in units.items() if _ZH_MONEY.search(u) or _EN_MONEY.search(u)}
    said = strip_markers(cited.text)
    figures = set(_CELL_NUMBER.findall(said))
    if not money or not figures or _ZH_MONEY.search(said) or _EN_MONEY.search(said):
        return None
    unit_of: dict[str, str] = {}
    for figure in figures:
        cell = re.compile(rf"[:|]\s*{re.escape(figure)}\s*(?:\||$)")  # (a sheet's "季度: 9828", a table's "| 300 |")
        found = [money[c.n] for c in cited.citations if c.verified and c.n in money and cell.search(c.quote)]
        if not found:
            return None
        unit_of[figure] = found[0]
    def with_unit(m: re.Match) -> str:
        unit = unit_of.get(m.group(0), "")
        return m.group(0) + (" " if re.match(r"[A-Za-z]", unit) else "") + unit  # (9828万元; 120 USD thousand)

    return replace(cited, text=_CELL_NUMBER.sub(with_unit, cited.text))


# A person's post asked for by who holds it (主任叫什么名字, 指导老师是谁; simplified), and
# the endings of an organisation's name (服务中心, 联合会, 团委, 街道办事处).
_POST_Q = re.compile(r"(?:老师|教师|导师|主任|经理|校长|院长|董事长|总裁|主席|书记|[局市县镇村部处科社会队组]长|教练|医生|律师)"
                     r"(?:是谁|叫什么|的名字|姓什么|是哪一?位)")
_WHICH_FIRM_Q = re.compile(r"哪一?家|哪一?个(?:公司|供应商|厂商|商家|机构|单位)|什么(?:公司|供应商|厂商|机构|单位)")
_ADDRESS = re.compile(r"[路街巷弄道]\d+号")  # (…桂澜路126号: a street and its number)
_ORG_END = re.compile(r"(?:中心|委员会|联合会|团委|公司|集团|局|协会|学会|学校|大学|学院|医院|街道|办事处|事务所|部门|管理处)$")


# Asked for a telephone number (客服电话是多少, 拨打什么号码, "What number should I call"; not
# how many called a hotline).
_PHONE_Q = re.compile(r"(?:电话|热线|专线)(?:号码)?(?:是|为)?(?:多少|什么|几号)|(?:拨打|致电|打)(?:什么|哪个)(?:号码|电话)"
                      r"|\b(?:phone|telephone|hotline|contact) number\b|\b(?:what|which) number\b", re.I)
_PHONE = re.compile(r"\+?\d[\d\s()\-]{3,}\d")  # six digits at least, however grouped (2745 3816, 0800-216-577)
# Not the digit of a name (S2, A100): a number glued after Latin letters counts nothing.
_AMOUNT_EXPR = re.compile(r"(?<![A-Za-z\d.])\d+(?:\.\d+)?(?:万亿|亿|万|千|百)?")
_CLAUSE = re.compile(r"[^，,；;。！？!?]+")


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


def complete_from_quote(cited: CitedAnswer, kind: str, answer: str) -> CitedAnswer | None:
    """The answer rebuilt from its own verified evidence when it left out the date or number
    asked for: the clauses of the supporting quote from the one stating the (single) date or
    number to the one the model's answer paraphrased, cited as before. None when no quote
    states exactly one: then nothing grounded can fill the gap."""
    if kind in ("money", "measure", "name", "phone"):
        return None  # what it gave is of another kind: no clause of its quote makes it right
    expr = DATE_ANSWER if kind == "time" else _AMOUNT_EXPR
    said = _bigrams(strip_markers(answer))
    for c in cited.citations:
        # A date is not the number asked for (按2020年的收入计算 states no count).
        quote = c.quote if kind == "time" else CALENDAR_DATE.sub(lambda m: " " * len(m.group(0)), c.quote)
        if not c.verified or len(set(expr.findall(quote))) != 1:
            continue
        clauses = list(_CLAUSE.finditer(c.quote))
        stating = next(i for i, m in enumerate(clauses) if expr.search(quote, m.start(), m.end()))
        echoed = max(range(len(clauses)), key=lambda i: (len(_bigrams(clauses[i].group(0)) & said), -abs(i - stating)))
        a, b = sorted((stating, echoed))
        text = c.quote[clauses[a].start():clauses[b].end()].strip()
        end = f"[{c.n}]。" if CJK_CHAR.search(text) else f" [{c.n}]."
        return replace(cited, text=text + end, citations=[c], unsupported=[], auto_cited=False)
    return None


# One enumeration of a passage: items joined by 、, within a clause ("线下营业厅：东樾路营业厅、
# 栖川站营业厅、滨汀营业厅、新城营业厅，营业时间…").
_ENUMERATION = re.compile(r"[^、，,。；;：:！!？?\s（）()]+(?:、[^、，,。；;：:！!？?\s（）()]+)+")
_ITEM_SEP = re.compile(r"\s*[、，,；;]\s*")


def counted_from_list(cited: CitedAnswer, question: str) -> CitedAnswer | None:
    """Asked how many, an answer that lists the things instead ("东樾路营业厅[1]、栖川站营业厅[1]、
    滨汀营业厅[1]、新城营业厅[1]" for 营业厅有几个), when its items are all the items of one
    enumeration of a verified passage, and no more: the count, then the list ("共4个：…").
    Counting what one sentence enumerates is arithmetic on the passage; a list gathered from
    several sentences may have left some out. None otherwise (the answer is refused as ever)."""
    items = [i for i in _ITEM_SEP.split(strip_markers(cited.text).strip().rstrip("。.")) if i]
    if len(items) < 2:
        return None
    wanted = {fold(i) for i in items}
    for c in cited.citations:
        if not c.verified:
            continue
        for m in _ENUMERATION.finditer(c.chunk.text):
            listed = [fold(i) for i in m.group(0).split("、")]
            if len(listed) == len(items) and set(listed) == wanted:
                measure = measure_word(to_simplified(without_note(question))) or "个"
                text = f"共{len(items)}{measure}：{'、'.join(items)}[{c.n}]。"
                at = c.chunk.start + m.start()
                quoted = replace(c, quote=m.group(0), start=at, end=at + len(m.group(0)))
                return replace(cited, text=text, citations=[quoted], unsupported=[], auto_cited=False)
    return None


def listed_in_full(cited: CitedAnswer, used: list[Hit]) -> CitedAnswer | None:
    """Asked which rows a condition picks, and shown those rows (ranked.flagged_rows: one a
    passage, each with a note listing them all), an answer naming some of them but not all
    ("tw-nano [1][2][3]" for three sizes under $50) as the list of all, each cited by its
    row's passage. Which rows meet the condition is arithmetic, done over every row; the
    model's naming one of them says it read them as the answer. None when the passages are
    no such rows, or the answer names none of them or all."""
    listed = [listed_names(h.chunk.context.split("\n")[-1]) for h in used]  # (the note follows a table's header)
    names = listed[0] if listed else []
    if len(names) < 2 or len(used) < len(names) or any(
            shown != names or name not in h.chunk.text for h, shown, name in zip(used, listed, names)):
        return None
    said = fold(strip_markers(cited.text))
    if not any(fold(n) in said for n in names) or all(fold(n) in said for n in names):
        return None
    at = [h.chunk.start + h.chunk.text.find(name) for h, name in zip(used, names)]
    citations = [Citation(i, h.chunk, name, a, a + len(name)) for i, (h, name, a) in enumerate(zip(used, names, at), 1)]
    zh = CJK_CHAR.search(cited.text)
    text = ("、" if zh else ", ").join(f"{c.quote}[{c.n}]" if zh else f"{c.quote} [{c.n}]" for c in citations)
    return replace(cited, text=text + ("。" if zh else "."), citations=citations, unsupported=[], auto_cited=False)


def quoted_instead(cited: CitedAnswer, claim: str) -> CitedAnswer:
    """The answer replaced by the sentence of its verified passages that best supports
    ``claim`` (support.stating_sentence: no question or heading line of a FAQ or a rule book),
    cited: what the passage says, conditions and all, where the model only read the question
    back (relevance.restates_yes_no). As it was when no such sentence supports it."""
    c = stating_sentence(claim, [c for c in cited.citations if c.verified])
    if c is None:
        return cited
    text = _LEAD_LABEL.sub("", c.quote.strip()).rstrip("。.；;，,")
    end = f"[{c.n}]。" if CJK_CHAR.search(text) else f" [{c.n}]."
    return replace(cited, text=text + end, citations=[c], unsupported=[], auto_cited=False)


# What leads a rule's sentence and is no part of it: a FAQ's "答：", a section number
# ("6.2　每週五為便服日…", 1、, （三）), a clause number (第五條).
_LEAD_LABEL = re.compile(r"^(?:(?:答|A|Answer)\s*[:：]|\d+(?:\.\d+)+\s|\d+[.、．](?!\d)|[（(][一二三四五六七八九十\d]+[)）]"
                         rf"|[一二三四五六七八九十]+、|{PART_NUMBER})\s*", re.I)


def lacks_quantity(question: str, answer: str, lang: Lang) -> bool:
    """True when the question asks how many / how much and the answer states no numeral.
    A date is no count: "有多少家客户" answered "按2020年的收入计算…" states none, unless a
    span of time is what is asked (多少年, 几个月, 几天, 多久)."""
    if lang != "zh":
        return False
    question, answer = to_simplified(without_note(question)), strip_markers(to_simplified(answer))
    m = QUANTITY_Q.search(question)
    if not m:
        return False
    if not _TIME_UNIT.match(question, m.end()) and not _SPAN_Q.search(question):
        answer = CALENDAR_DATE.sub(" ", answer)
    # Nor is the number of a clause or chapter: "提前几天申请？" -> "第八条[1]" names where
    # the rule stands, not the days -- unless the question asks which one (第几条).
    if "第几" not in question:
        answer = _PART_LABEL.sub(" ", answer)
    # Nor is the number in a name the answer restates: the 747 of "波音747是宽体客机"
    # does not say how many passengers it seats. A number the question measures (8岁) is
    # a value, not a name: it is taken out only with its unit (not the 8 of "8毫升", the
    # dose asked for a child of 8).
    for m in _NUMBERED.finditer(question):
        name, unit = m.group(0), question[m.end():m.end() + 1]
        then = re.escape(unit) if name.isdigit() and unit and unit in _MEASURE else ""
        answer = re.sub(rf"(?<![A-Za-z0-9.]){re.escape(name)}(?![A-Za-z0-9])(?={then})", " ", answer)
    return not NUMERAL.search(answer)


_PART_LABEL = re.compile(PART_NUMBER)
_NUMBERED = re.compile(r"[A-Za-z0-9]*[0-9][A-Za-z0-9]*")  # 747, A380, G20, 7(号线)
_MEASURE = set("岁年月天元块斤克米次人度%公")  # (units a question states a value in: 8岁, 18公斤)


# What a quantity word counts when it asks for a span of time: 多少年, 几个月, 几天, 几周.
_TIME_UNIT = re.compile(r"个?[年月日天号周世]")
