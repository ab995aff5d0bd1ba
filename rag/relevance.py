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
- the question's subject (subject.py: the words before its first "的/是/有", a leading
  organisation name, 星图AI in "星图AI是谁创立的？"), must occur there too, and its name
  also near the supporting quote (evidence_windows).
Whether the answer is of the kind asked for -- a date of the event a "when" question names,
a number, money -- is kind.py's.
English questions over Chinese documents are not checked (their words cannot match).
"""
from __future__ import annotations

import re

from .markers import strip_markers
from .records import Citation, Document, row_values
from .lexical import STOPWORDS, dictionary_count, segment, tokenize
from .rewrite import without_note
from .compared import comparative
from .ranked import ZH_HIGH, ZH_LOW
from .restated import covered
from .subject import COMMON_WORD, name_head, question_terms, whole_words
from .zh import (CJK, EN_STOP, WHICH_CLASSIFIERS, Lang, EN_YES_NO_Q, NAME_DOTS, QUESTION_CUE, YES_NO_Q, claim_sentences, fold, fold_each,
                 sentence_end, stem_en, to_simplified)


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
        # (A passage's context is read with it: the header row of the table it continues, or
        # the note on the row retrieval picked -- "Quillmere Rovers has scored the second most
        # goals…", what the question asks of the row.)
        if c.chunk.context:
            text = f"{c.chunk.context}\n{text}"
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
    if subject and (head := name_head(to_simplified(without_note(question)), subject[0])) and head not in text:
        missing.append(head)
    # A transliterated name (韦斯·昂塞尔德) is said by its last part at least, whose first two
    # characters (where it ends, the question's words go on) must be there: jieba cuts such
    # a name into pieces (韦斯|塞尔德), and one piece turns up anywhere (韦斯 of 韦斯咸).
    missing += [m.group(1) for m in _DOTTED.finditer(fold(without_note(question))) if m.group(1) not in text]
    if not missing and evidence is not None and subject and (name := _name(subject)) not in fold(" ".join(evidence)):
        return [name]
    return missing




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
# Yes or no alone, in either language and in Cantonese (不可以, 唔得, 係, No).
_VERDICT_ONLY = re.compile(r"(?:不|没|唔)?(?:可以|能|行|会|是|对|得|要|需要|用|有|系)|否|yes|no", re.I)


def verdict_unasked(question: str, answer: str) -> bool:
    """Is ``answer`` a bare yes or no ("不可以[3]") though ``question`` asks for none ("我昨天忘了
    去复诊，怎么办？")? A verdict answers nothing else: the model took a rule of another passage
    ("…可以帮同学预约吗？答：不可以") for the answer."""
    said = to_simplified(strip_markers(answer).strip().rstrip("。！!.，, "))
    asked = to_simplified(without_note(question))
    return bool(_VERDICT_ONLY.fullmatch(said)) and not (YES_NO_Q.search(asked) or EN_YES_NO_Q.match(asked)
                                                       or _CHOICE.search(asked))


_CHOICE = re.compile(r"还是|或|[和与跟及].*(?:哪一?[个位]|谁)|\b(?:or|whether)\b", re.I)
_NOT_WORD = re.compile(r"[\W_]+")


# The words of the notes the retriever sets above rows it picked by arithmetic (ranked.py,
# counted.py: "（总投资排第二的一行，共11行）", "(the row with the most X of 9 rows)").
_NOTE_WORDS = re.compile(r"的一行|行之一|唯一一行|共\d+行|\bof \d+ rows\b|\bthe row with\b|\bone of the \d+ rows\b|\bthe only row of\b", re.I)


_FIGURE = re.compile(r"[\d\s.,%:/-]+")  # a row numbered or named by a figure names nothing


def reads_note_back(answer: str, passages: list[str]) -> bool:
    """The answer is the retriever's note about the rows it picked, not what the rows say
    ("总投资（亿元）排第二的一行，共11行[1]" for 那排第二的呢): its note's words, where no
    passage's own text (``passages``: the cited chunks' text, notes left out) writes them,
    and no row's name (its first cell) -- "Range cookers comes with the longest warranty of
    6 rows" names its row: the note's words beside it are true of it."""
    said = fold(strip_markers(answer))
    m = _NOTE_WORDS.search(said)
    if not m or any(m.group() in fold(p) for p in passages):
        return False
    names = {fold(cells[0]) for p in passages for line in p.splitlines() if (cells := row_values(line))}
    return not any(len(name) >= 2 and not _FIGURE.fullmatch(name) and name in said for name in names)


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
    return (_read_back(question, text, 2) or _adds_nothing(question, answer)) \
        and not YES_NO_Q.search(to_simplified(question))


# Characters an answer may add to the question's words and still say nothing: the 的 of
# "…都為市民的評選" (asked "…都為市民以及誰的評選"), a linking 是 or 会.
_GLUE = frozenset("的是为了在于会就都也和与及并其之而")


def _adds_nothing(question: str, answer: str) -> bool:
    """Is every word of ``answer`` one of ``question``'s, its question word left out and the
    rest kept in another order ("曼尼托巴省…會暴露於來自西北的北極高壓空氣團" for "…為什麼會暴露
    於…"; "翠亨快線、廣珠中線二期" for "廣珠中線二期和翠亨快線都是哪邊…")? Both word by word
    (jieba) and character by character (runs of two the question has, restated.covered): a
    word made of two of the question's is the answer's own (量子光學 of 量子力學 and 光學 is
    one word; 雀鯛科 of 雀鯛 and 科目 is no run). Not when the question offers the choice
    (甲和乙哪个更早: "甲更早" is the answer)."""
    q = fold(without_note(question))
    text = fold(strip_markers(answer))
    words = [w for w in segment(text) if any(ch.isalnum() for ch in w)]
    asked = to_simplified(without_note(question))
    if sum(map(len, words)) < 4 or _OFFERS_CHOICE.search(asked) or comparative(asked):
        return False
    if any(w not in q and not all(ch in _GLUE for ch in w) for w in words):
        return False
    marks = covered(text, q)
    return not any(ch.isalnum() and ch not in _GLUE and not m for ch, m in zip(text, marks))


# A question that names the alternatives it asks to choose between: 还是, 或, 相比, or a
# comparison right after its question word (哪条更早, 谁大, 哪个先). Not "…以及谁的评选" (which
# one besides), nor "哪种" alone.
_OFFERS_CHOICE = re.compile(rf"还是|或|相比|比较|(?:哪一?[{WHICH_CLASSIFIERS}]?|谁)(?:更|较|比|先|后|好|{ZH_LOW}|{ZH_HIGH})")


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
