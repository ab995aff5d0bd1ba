"""Chinese text handling shared by the stages: which characters are Chinese, where
sentences end, which language a text is in, and how text is normalised for matching.

Every stage that needs one of these imports it from here, so a definition cannot drift
between chunking, retrieval, prompting and verification. Numbers, dates and money are
numerals.py's.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Iterable, Literal

Lang = Literal["zh", "en"]
# Simplified (mainland) or traditional (Taiwan, Hong Kong) Chinese characters.
Script = Literal["hans", "hant"]

# ------------------------------------------------------------------- characters

# Chinese characters, for use inside a regex character class: CJK Unified Ideographs
# (U+4E00-9FFF, nearly all of modern Chinese, simplified and traditional), Extension A
# (U+3400-4DBF, rare characters that still turn up in names, e.g. 䶮) and the
# Compatibility Ideographs (U+F900-FAFF, duplicates that some legacy encodings map to).
# Not the Yijing hexagram symbols between Extension A and the Unified block (U+4DC0-4DFF),
# nor the rarer extensions outside the Basic Multilingual Plane.
CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_CHAR = re.compile(f"[{CJK}]")
NAME_DOTS = "·・‧•"  # the dots inside a transliterated name: 韦斯·昂塞尔德, 傑瑞‧威斯特

# Wider than CJK, for estimating the tokens of a text for a model without a local
# tokenizer (about one token a character): also the CJK radicals, punctuation, kana and
# symbols (U+2E80-33FF, 。 and 、 among them), the Yijing symbols, Hangul syllables
# (U+AC00-D7AF) and the fullwidth and halfwidth forms (U+FF00-FFEF, e.g. ， and ：).
# Not a test for "is this Chinese".
WIDE_CJK = r"\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"

_LATIN_LETTER = re.compile(r"[A-Za-z]")


def normalize(text: str) -> str:
    """NFKC (full-width letters, digits and punctuation become ASCII) and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def fold(text: str) -> str:
    """``normalize`` and simplified characters: the form texts are *matched* in (BM25 tokens,
    citation support, relevance checks), so 物理化學 in a document meets 物理化学 in an answer
    and a simplified question finds a traditional passage. Never shown to a user."""
    return to_simplified(normalize(text))


# ---------------------------------------------------------------------- radicals

# PDFs printed with a CJK font whose radicals share their outline with an ideograph (Noto
# CJK, as Chrome prints it) carry the radical's code point in their text layer: ⼈ for 人,
# ⽇ for 日, ⻑ for 長 -- 377 of 3,713 characters of a six-page traditional policy printed
# so. Read as written, they are other characters to the embedder, BM25 and every check.
# The Kangxi radicals (U+2F00-2FD5) are NFKC's; the supplement's (U+2E80-2EF3) are the
# unified ideographs that share their glyph in the Noto CJK fonts (Unicode's
# EquivalentUnifiedIdeograph.txt says the same), pairs of radical and ideograph.
_SUPPLEMENT = ("⺂乛⺃乚⺅亻⺇𠘨⺉刂⺋㔾⺍𭕄⺎兀⺏尣⺐尢⺒巳⺓幺⺔彑⺕彐⺖忄⺘扌⺙攵⺛旡⺞歺⺟母⺠民⺡氵⺣灬⺤爫"
               "⺦丬⺨犭⺩𤣩⺫罒⺭礻⺮𥫗⺯糹⺰纟⺱罓⺲罒⺳㓁⺹耂⺺肀⺽𦥑⺾艹⺿艹⻁虎⻂衤⻃覀⻄西⻅见⻆角⻇𧢲⻈讠"
               "⻉贝⻊𧾷⻋车⻌辶⻍辶⻎辶⻐钅⻑長⻒镸⻓长⻔门⻕𨸏⻖阝⻘青⻙韦⻚页⻛风⻜飞⻝食⻞𩙿⻟飠⻠饣⻡𩠐"
               "⻢马⻣骨⻤鬼⻥鱼⻦鸟⻧卤⻨麦⻩黄⻪黾⻫斉⻬齐⻭歯⻮齿⻯竜⻰龙⻱龜⻲亀⻳龟")
_RADICALS = {**{cp: unicodedata.normalize("NFKC", chr(cp)) for cp in range(0x2F00, 0x2FD6)},
             **{ord(r): i for r, i in zip(_SUPPLEMENT[::2], _SUPPLEMENT[1::2])}}


def unify_radicals(text: str) -> str:
    """``text`` with radicals standing for ideographs as those ideographs, one character for
    one (a passage's offsets stay right)."""
    return text.translate(_RADICALS)


# ---------------------------------------------------------------------- scripts

@lru_cache(maxsize=None)
def _converter(config: str):
    """An OpenCC converter: "t2s", or "s2tw" (traditional in Taiwan's standard forms, 裡
    not 裏). Character and phrase tables, not a model."""
    import opencc

    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    return _converter("t2s").convert(text) if CJK_CHAR.search(text) else text


def to_traditional(text: str) -> str:
    return _converter("s2tw").convert(text) if CJK_CHAR.search(text) else text


def script_of(text: str) -> Script | None:
    """'hant' or 'hans' by the characters that exist in one script only (學 / 学), or None
    when the text has none (李白出生在哪 is written the same in both). Counts characters
    each conversion changes: converting to the script a text is already in changes few
    (variant forms only), converting away from it changes every distinctive one."""
    if not CJK_CHAR.search(text):
        return None
    to_s = sum(a != b for a, b in zip(text, to_simplified(text)))
    to_t = sum(a != b for a, b in zip(text, to_traditional(text)))
    if to_s == to_t:
        return None
    return "hant" if to_s > to_t else "hans"


def in_script(text: str, script: Script | None, sources: Iterable[str] = ()) -> str:
    """``text`` written in ``script`` (None: unchanged). For what the user reads: answers
    and refusals follow the question's script, whatever mix the model produced.

    With ``sources`` (the passages the answer was drawn from), every stretch of 2+
    characters the text copies from one written in ``script`` is taken as that source
    writes it, and only the rest is converted: character conversion cannot tell 咸丰 (a
    reign name, 咸豐) from 咸 (salty, 鹹); the document can."""
    convert = to_traditional if script == "hant" else to_simplified if script == "hans" else None
    # Not "is it mostly in the script": a 1.5B model writes 東德經歷了一段稳定的时期, mostly
    # traditional with a few simplified characters, and those must be converted too.
    if convert is None or convert(text) == text:
        return text  # already written in it: nothing to convert, punctuation and all
    copies = [(fold_each(s), s) for s in sources if s and script_of(s) in (script, None)]
    if not copies:
        return convert(text)
    folded = fold_each(text)
    out, pending, i = [], "", 0
    while i < len(text):
        size, piece = 1, None
        for fs, s in copies:
            n = size + 1
            while i + n <= len(text) and (at := fs.find(folded[i:i + n])) >= 0:
                # The source's characters, the text's own punctuation and spacing.
                size, piece = n, "".join(c if CJK_CHAR.match(c) else t for c, t in zip(s[at:at + n], text[i:i + n]))
                n += 1
        if piece is None:
            pending += text[i]
            i += 1
            continue
        out += [convert(pending), piece]
        pending, i = "", i + size
    out.append(convert(pending))
    return "".join(out)


def fold_each(text: str) -> str:
    """``fold`` character by character, so offsets in the result are offsets in ``text``
    (a character that folds to several, like ㎡, keeps the first); then by phrase where
    that keeps the length: 覆 alone stays 覆, but 批覆 is 批复, as a question converted whole
    (to_simplified) writes it."""
    each = "".join(map(_fold_char, text))
    whole = to_simplified(each)
    return whole if len(whole) == len(each) else each


@lru_cache(maxsize=16384)  # a passage is folded per answer; its characters repeat
def _fold_char(ch: str) -> str:
    return (fold(ch) or " ")[0]


# -------------------------------------------------------------------- sentences


def trim_span(text: str, a: int, b: int) -> tuple[int, int]:
    """``(a, b)`` moved inwards past the whitespace at both ends of ``text[a:b]``."""
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


# A sentence ends after terminal punctuation (plus closing quotes/brackets), or at a line
# break. ASCII '.' ends a sentence only before whitespace, not after a digit (3.74) and
# not after a title or an initial (see ``_abbreviated``).
_SENT_END = re.compile(
    r"(?:[。！？!?；;]|…+|(?<!\d)\.(?=\s|$))[”’」』）)\]\"']*|\n"
)
# "Dr. Amara Whitcombe", "J. K. Rowling", "Acme Inc. reported": the '.' closes a word, not a
# sentence. Splitting there cut a name from its title, so a chunk (and the model) saw
# "…director of operations, Dr." and the name only in the next chunk.
_ABBREVIATION = re.compile(r"(?:(?:^|[^A-Za-z])(?:Dr|Mr|Mrs|Ms|Prof|Sr|Jr|St|Mt|No|Nos|Inc|Ltd|Co|Corp|vs|Fig"
                           r"|Vol|approx|Dept|Gen|Capt|Rev)|(?:^|\s)[A-Z])$")


def _abbreviated(text: str, dot: int) -> bool:
    """Whether the '.' at ``dot`` ends a title, an abbreviation or an initial."""
    return bool(_ABBREVIATION.search(text, max(0, dot - 8), dot))


def without_full_stop(span: str) -> str:
    """``span`` without the full stop that ends it ("14 June 2024." -> "14 June 2024"); the
    dot of "Dr." or "Co." stays."""
    span = span.rstrip()
    return span[:-1].rstrip() if span.endswith(".") and not _abbreviated(span, len(span) - 1) else span


def sentence_end(text: str, at: int, within: int) -> int:
    """Where the sentence holding offset ``at`` ends (after its stop), looked for in the
    next ``within`` characters; ``at`` itself when no stop is that near."""
    for m in _SENT_END.finditer(text, at, min(len(text), at + within)):
        if text[m.start()] == "." and _abbreviated(text, m.start()):
            continue
        return m.end()
    return at


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of the sentences of ``text[start:end]``, whitespace trimmed, none empty.

    For documents: chunking and focusing passages in the prompt. Documents are prose, so
    the rule for '.' is simple (see ``_SENT_END``); every span keeps its exact offsets."""
    end = len(text) if end is None else end
    spans, pos = [], start
    for m in _SENT_END.finditer(text, start, end):
        if text[m.start()] == "." and _abbreviated(text, m.start()):
            continue
        spans.append((pos, m.end()))
        pos = m.end()
    spans.append((pos, end))
    return [s for s in (trim_span(text, a, b) for a, b in spans) if s[1] > s[0]]


def asking_part(question: str) -> str:
    """The sentences of ``question`` that ask, when a user tells their situation first
    ("我住五楼，没有电梯。这几天降温。电池拿进屋能马上充电吗？要等多久？" -> "电池拿进屋能
    马上充电吗？要等多久？"): from the first sentence ending in a question mark on. The
    whole question when that is its first sentence, or no sentence ends so."""
    spans = sentence_spans(question)
    first = next((i for i, (a, b) in enumerate(spans) if question[b - 1] in "？?"), 0)
    told = question[:spans[first][0]].rstrip() if first else ""
    # (Not a quotation: "「子不语：怪、力、乱、神。」的意思是什么？" asks of the quote.)
    if not told or told[-1] in "」』”’）)》" or any(told.count(a) != told.count(b) for a, b in _QUOTES):
        return question
    return question[spans[first][0]:].strip()


_QUOTES = ("「」", "『』", "“”", "《》", "（）", "()")


# A list item's bullet or number ("- ", "2. ", "（3）"): no part of what the item says. ("1." is a
# list bullet, "41.44万辆" is a number: a bullet's dot is not followed by a digit.)
LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)、](?!\d)|[（(]\d{1,2}[)）])\s*")

_TERMINAL = set("。！？；…!?;")
_CLOSERS = set("”’」』）)\"'")
TRAILING = _TERMINAL | _CLOSERS | set(".．")  # what may follow a claim sentence's last word
_ENUMERATOR = re.compile(r"\s*(?:\d{1,3}|[A-Za-z])")


def _is_full_stop(text: str, start: int, i: int) -> bool:
    """Whether the '.' at ``i`` ends the sentence begun at ``start``: not in 3.74, e.g. or
    example.com, and not the "1." that opens a numbered list item."""
    nxt = text[i + 1] if i + 1 < len(text) else ""
    if nxt and (nxt.isascii() and nxt.isalnum() or nxt in "０１２３４５６７８９"):
        return False
    return not _ENUMERATOR.fullmatch(text, start, i) and not (text[i] == "." and _abbreviated(text, i))


def claim_sentences(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of ``text`` (whitespace-trimmed, never empty).

    For verification: the claims of a model's answer, and the sentences of a passage a
    claim is compared with. Unlike ``sentence_spans`` it reads model output, so a
    numbered list item ("1. 青石港……") is not split after its "1.", a '.' directly followed
    by a letter or digit (3.74, example.com, the first of e.g.) never ends a sentence, the full-width
    '．' is a full stop, and runs like "？！" or "。”" stay with their sentence."""
    spans: list[tuple[int, int]] = []

    def emit(start: int, end: int) -> None:
        a, b = trim_span(text, start, end)
        if b > a:
            spans.append((a, b))

    start = i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\n":
            emit(start, i)
            start = i = i + 1
        elif ch in _TERMINAL or ch in ".．" and _is_full_stop(text, start, i):
            j = i + 1  # swallow runs like "？！", "……", "。”"
            while j < len(text) and text[j] in TRAILING:
                j += 1
            emit(start, j)
            start = i = j
        else:
            i += 1
    emit(start, len(text))
    return spans


# ------------------------------------------------------------------ Cantonese

# Hong Kong users write questions in Cantonese (我係主任級，要俾幾多錢？ 喺邊度集合？): the
# words of written Chinese in their place, so a where-question says 哪裡 to every check,
# a yes/no question 是不是, and 咁X呢 is the follow-up 那X呢. Only a question with a word no
# written Chinese uses (喺, 嘅, 咗, 唔, 冇, 嗰, 佢, 邊度, 幾多, 點樣 …) is rewritten; each pair
# is (Cantonese, written), both scripts matched, the written word in simplified (converted
# back for a traditional question).
_CANTONESE_MARK = re.compile(r"係咪|系咪|喺|嘅|咗|唔|冇|嗰|佢|嘢|啲|㗎|攞|搵|揾|[邊边][度個个間间]|幾多|几多|點樣|点样|"
                             r"點解|点解|幾耐|几耐|乜嘢|咩|而家|俾|畀|^咁")
_CANTONESE = [(re.compile(a), b) for a, b in (
    (r"[係系]咪|[係系]唔[係系]", "是不是"), (r"(?<![關关])係(?!數)", "是"), (r"喺[邊边]度", "在哪里"),
    (r"[邊边]度", "哪里"), (r"[邊边][個个]", "谁"), (r"[邊边](?=[間间架條条位張张本件種种隻只])", "哪"),
    (r"[幾几][時时]", "什么时候"), (r"[幾几]耐", "多久"), (r"[幾几]多", "多少"), (r"[點点][樣样]先", "怎样才"),
    (r"[點点][樣样]", "怎样"), (r"[點点]解", "为什么"), (r"乜嘢|咩嘢|咩", "什么"), (r"喺", "在"), (r"嘅", "的"),
    (r"咗", "了"), (r"唔", "不"), (r"冇", "没有"), (r"嗰[日天]", "那天"), (r"嗰", "那"), (r"佢[哋地]", "他们"),
    (r"佢", "他"), (r"[俾畀]", "给"), (r"攞返", "拿回"), (r"攞", "拿"), (r"包埋", "包括"), (r"啲", "些"),
    (r"嘢", "东西"), (r"睇", "看"), (r"[搵揾]", "找"), (r"而家", "现在"), (r"^咁", "那"), (r"[㗎喎囉啩]", ""))]


def written_chinese(question: str) -> str:
    """``question`` with its Cantonese words in written Chinese, in its own script; as it
    stands when it has none."""
    if not _CANTONESE_MARK.search(question):
        return question
    out = question
    for pattern, written in _CANTONESE:
        out = pattern.sub(written, out)
    return to_traditional(out) if script_of(question) == "hant" else to_simplified(out)


# --------------------------------------------------------------------- language

_EN_FUNCTION = frozenset(
    "what who whom whose when where why how which is are was were did does do the of in on for "
    "to and a an many much did has have had by from with its their".split()
)


def question_language(text: str) -> Lang:
    """'zh' when the question is written in Chinese, else 'en'. English questions often
    name Chinese entities ("Who founded 远帆科技?"), so English function words decide."""
    # Whole words only: the A of "A380有几层客舱" or "A股…" is no article.
    words = re.findall(r"(?<![A-Za-z0-9])[A-Za-z]+(?![A-Za-z0-9])", text)
    first = re.match(rf"\s*([A-Za-z]+)(?![A-Za-z0-9{CJK}])", text)
    starts_english = bool(first) and first.group(1).lower() in _EN_FUNCTION
    if starts_english or sum(w.lower() in _EN_FUNCTION for w in words) >= 2:
        return "en"
    cjk = len(CJK_CHAR.findall(text))
    # "JL-300呢？", "iPhone 16吗": a follow-up naming a model by its code is Chinese by its one
    # particle or its full-width question mark, when no Latin word is a lowercase (English)
    # word ("cost 呢" is not) -- one Chinese character alone is not enough ("UNESCO 京").
    chinese_ending = re.search(r"[呢吗嗎]\s*[？?]?\s*$|？\s*$", text)
    return "zh" if cjk >= 2 or (cjk and chinese_ending and not any(w.islower() for w in words)) else "en"


def corpus_language(texts: Iterable[str]) -> Lang:
    """'zh' when Chinese characters outnumber Latin letters in ``texts`` (a sample of the
    corpus), else 'en'. One Chinese character carries about a word, so this is generous
    to English, as it should be: cross-lingual answering is the detour, not the default."""
    cjk = latin = 0
    for t in texts:
        cjk += len(CJK_CHAR.findall(t))
        latin += len(_LATIN_LETTER.findall(t)) / 5  # ~5 letters a word
    return "zh" if cjk > latin else "en"


# ---------------------------------------------------------------- names

# How Chinese names an organisation: a name of 2-6 characters and a word for its kind
# (华为技术有限公司, 招商银行, 复旦大学, 协和医院). The kinds are the common ones of any
# register (companies, banks, schools, hospitals, institutes, public bodies), not the
# words of one set of documents.
ORG_KIND = ("有限公司|股份公司|公司|集团|控股|科技|技术|智能|银行|证券|保险|基金会|基金|资本|投资|汽车|电子|电器"
            "|通信|网络|传媒|航空|能源|制药|药业|医疗|工业|实验室|研究院|研究所|研究中心|大学|学院|医院|协会"
            "|委员会|政府|工作室|事务所")
ORG_NAME = re.compile(rf"[{CJK}]{{2,6}}?(?:{ORG_KIND})")


# ---------------------------------------------------------------------- question words
# What a question asks for and what an answer must then hold (relevance.py checks, short.py
# picks the span). Chinese unless named English.

# 多长/多高/多远/多久…: a measure asked for (穴蝰最长记录是多长 -> 70公分).
_HOW_MEASURE = r"多[长高大远久重深宽厚]"
# Classifiers that follow 哪 and name the kind of thing asked for (哪支|球队, 哪场|选举, 哪块|土地).
WHICH_CLASSIFIERS = "个些种类位家座所条部本支只件项场届块片间首张门段個條間張門隻項場屆塊"  # (and as traditional writes them)
QUANTITY_Q = re.compile(rf"(?<!哪)(?:多少|几(?!乎)|{_HOW_MEASURE})")
# Any question word, by its first characters (哪 of 哪一年, 何 of 何时): where a question's
# own words end and what it asks begins (relevance, kind). QUESTION_WORD below is the whole
# words short answers cut out.
QUESTION_CUE = re.compile(r"什么|多少|哪|谁|几|怎么|如何|为什么|是否|何")
# Asked who (simplified text): a person is the answer.
WHO_Q = re.compile(r"谁|哪一?位")
# A yes/no question (simplified text): 吗 at its end (an emoji after it too: "…吗🙏"), 是否/能否,
# a verb doubled around 不 (可不可以, 能不能, 是不是) or 没 (有没有), or the spoken 不 at the end
# ("停车要钱不呀？", "周末开门不").
YES_NO_Q = re.compile(r"(?:[吗吧]|(?<=[^\W\d_])不[呀啊呢嘛哈]?)[^\w]*$|是否|能否|可否|([可能会是要用该])不\1|有没有")
# An English question answered yes or no: it opens with its auxiliary ("Does the clinic open…").
EN_YES_NO_Q = re.compile(r"\s*(?:is|are|was|were|do|does|did|can|could|will|would|should|has|have|had|may|must)\b", re.I)
# Asked for a procedure: how to do something, what to do when something happens, which step
# comes first or next (a user's manuals, office procedures, FAQs). What answers is the
# document's own steps in its order (prompt.py). Not "叫做什么" (a name) nor "是如何形成的" (an
# account): 怎么/如何 count only before a verb of doing something oneself.
PROCEDURE_Q = re.compile(
    r"怎么办|怎样办|咋办|咋整|咋弄|点算|点做|(?<!是)(?:怎么|如何)(?:做|弄|处理|操作|搞)"
    r"|(?<![叫称])(?:要|该|应该|应当|需要|得|先|再)(?:做|干)(?:什么|啥|嘛)"
    r"|干嘛|步骤|流程|第[一二三四五六七八九十1-9]步|下一步|接下来|然后呢|之后呢|以后呢"
    r"|(?<!是)(?:怎么|怎样|如何|点样)[^，,。？?的]{0,4}?(?:申请|办理|预约|预订|设置|设定|安装|取消|重置|恢复"
    r"|开通|注册|登记|报销|连|更改|修改|升级|退|换|拆|清洗|清洁|除垢|保留|缴|交|付|俾|领|约|逃|用(?![途处])|上网)"
    r"|\bhow (?:do|can|should|would|could) (?:i|we|you)\b|\bhow to\b|\bwhat (?:should|do|must|can|shall) (?:i|we) do\b"
    r"|\b(?:first|next) step\b|\bwhat next\b|\bafter that\b|\bthen what\b|\bwhat now\b", re.I)
WHEN_Q = re.compile(r"什么时候|什么时间|哪天|哪一天|哪年|哪一年|何时|何年|何月|何日|几月|几号|哪个月|哪一月")
ASKS_YEAR = re.compile(r"哪一?年|何年")  # asked for the year, not the whole date
# Why. After a verb that takes 为 (称为, 改为, 列为, 作为…) 为什么 is 为 + 什么: "被称为什么"
# asks what it is called, not why -- unless what follows is how a why-question goes on
# ("电视为什么会流行", "这部分为什么被删除": the verb's character ends a noun there). So
# after 因: "因为什么武器…" asks because of which weapon.
_AS = "称名改作定封列视选译成分叫评誉设转变合升降尊奉立拜任因"
WHY = rf"(?<![{_AS}])(?:为什么|为何)|(?<=[{_AS}])(?:为什么|为何)(?=[会要能可被不没是在还都也就又才让使得总仍却需应该必这那])"
# Question words, whole (short answers: never part of what the answer restates).
# A measure word after it goes too: the 年 of 1962年 answers 哪一年, it does not restate it.
QUESTION_WORD = re.compile(
    rf"什么时候|什么时间|{WHY}|什么|哪些|哪里|哪儿|(?:多少|哪一?|几)(?:公里|[年月日天岁个位名次种座家国米吨人元])?"
    rf"|{_HOW_MEASURE}|谁|何时|何地|何处|怎么|怎样|如何"
    r"|\b(?:what|which|who|whom|whose|when|where|why|how many|how much|how)\b", re.I)
EN_STOP = frozenset(
    "a an the and or but of to in on at by for with from as is are was were be been being "
    "it its this that these those which who whom what when where how has have had do does "
    "did than then so such there their they them he she his her we our you your i also into "
    "about over after before up out more most very can could will would should may might "
    "all any some per".split()
)


def one_slip(a: str, b: str) -> bool:
    """Whether two different words of six letters or more are one typing slip apart -- a
    letter left out or doubled, or two swapped ("subscripton" / "subscription", "adress" /
    "address", "reciept" / "receipt") -- with the same first letter. (Not one letter for
    another: that is as often another word, report / resort.)"""
    if a == b or min(len(a), len(b)) < 6 or abs(len(a) - len(b)) > 1 or a[0] != b[0]:
        return False
    i = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    if len(a) != len(b):
        return (a[i + 1:] == b[i:]) if len(a) > len(b) else (a[i:] == b[i + 1:])
    return a[i:i + 2] == b[i:i + 2][::-1] and a[i + 2:] == b[i + 2:]


def stem_en(word: str) -> str:
    """Crude English suffix stripping, so listed/listing/lists all meet as "list", and
    approve/approved/approving as "approv" (a final e goes too)."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word[:-1] if word.endswith("e") and len(word) > 4 else word
