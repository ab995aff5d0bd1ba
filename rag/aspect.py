"""Does the answer's evidence name what the question asks about, beside its subject?

relevance.py checks the subject (the name a question is about); these check the rest: an
English question's own words ("head nurse" in "Who is the head nurse at the clinic?"), a role
named whole, and the thing a price is asked for, in either language. Evidence: the quote,
the text before it, the title and the heading path (relevance.evidence_windows).
"""
from __future__ import annotations

import re

from .kind import EN_WHO_Q, ZH_MONEY_Q, asks_price
from .lexical import tagged
from .subject import GENERIC
from .rewrite import without_note
from .ranked import ranked_measure
from .records import row_keys
from .zh import CJK, EN_STOP, QUESTION_CUE, Lang, fold, one_slip, stem_en, to_simplified

# Words of an English question that frame it rather than name what it asks about.
_EN_FRAME = frozenset(
    "who whom whose what when where which why how many much long far old does did do is are was were "
    "the a an of in on at to for by with from and or its their his her it they this that these those "
    "there has have had be been being can could will would should may might name named called "
    "current currently according give tell please also time about take takes".split())  # (what about…, how long does it take)
_EN_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*")


# The tags of the words that name a thing priced: nouns, and verbs used as nouns (潜水体验).
_ITEM_TAGS = ("n", "nz", "nt", "nr", "ns", "vn", "an")


def _priced_item(question: str, evidence: list[str]) -> list[str]:
    """For a Chinese question asking what something costs: the nouns naming what is priced
    (潜水, 体验 in "鸥鸣岛上潜水体验一次多少钱？") when none of them occurs near the quotes. The
    price of the lighthouse ticket beside it does not answer it, nor the deposit on a
    rented e-bike what a drill's deposit is; one of them suffices (成人 of 成人单程船票 in a
    fare table headed 票价)."""
    question = to_simplified(without_note(question))
    if not asks_price(question):
        return []
    # (A thing pointed at, 这个房子, is what the documents are about, in their words or not
    # -- a lease says 房屋 --, not the item priced: 押金 is.)
    words = [w for w, tag in tagged(question) if len(w) >= 2 and tag in _ITEM_TAGS and w not in GENERIC
             and not ZH_MONEY_Q.search(w) and not QUESTION_CUE.search(w) and w not in ("多少钱", "价钱")
             and not re.search(rf"[这那该本此][个家间座台款份套部只条辆件]?{re.escape(w)}", question)]
    text = fold(" ".join(evidence))
    return [] if not words or any(fold(w) in text for w in words) else words


# A superlative that picks one of several (哪家…最多, 人口数最多的国家为何), not one that says how
# early or far something goes (鸟类的出现最早可以追溯至何时).
_PICKS_ONE = re.compile(rf"哪|谁|的[{CJK}]{{1,4}}(?:为何|是什么)")


def _ranked_measure(question: str, evidence: list[str]) -> list[str]:
    """For a Chinese superlative question, what it ranks by (医生人数 of 哪家医院的医生人数最多)
    when no two characters of it in a row occur near the quotes: a sentence naming a
    hospital, where no passage gives its doctors, does not say it has the most of them."""
    question = to_simplified(without_note(question))
    said = ranked_measure(question) if _PICKS_ONE.search(question) else None
    if said is None:
        return []
    measure, text = fold(said), fold(" ".join(evidence))
    return [] if any(measure[i:i + 2] in text for i in range(len(measure) - 1)) else [said]


def missing_aspect(question: str, evidence: list[str], lang: Lang) -> list[str]:
    """For an English question: the words naming what it asks about ("head nurse" in "Who is
    the head nurse at the clinic?"), when none of them occurs near the quotes (evidence:
    quote, the text before it, title and headings). A true sentence about the clinic's
    medical director does not answer it. Names (capitalised words) are left to the
    retrieval and the verifier: they are what the passages were found by. For a Chinese
    question, what a price is asked for (_priced_item) or what a superlative ranks by
    (_ranked_measure). Empty = fine."""
    if lang == "zh" and evidence:
        return _priced_item(question, evidence) or _ranked_measure(question, evidence)
    if lang != "en" or not evidence or _chinese(" ".join(evidence)):
        # (An English question's words are nowhere in Chinese evidence, whatever it says:
        # "What's the office Wi-Fi called?" over "办公Wi-Fi：YX-Office". Left to the verifier.)
        return []
    question = without_note(question)
    words = [w for w in _EN_WORD.findall(question) if not w[0].isupper() and w.lower() not in _EN_FRAME]
    aspect = list(dict.fromkeys(w.lower().strip("'-") for w in words if len(w) > 2))  # as asked, for the log
    if not aspect:
        return []
    words = [w.lower() for w in _EN_WORD.findall(" ".join(evidence))]
    # What a price is asked for is named whole too: an adult day ticket's price does not
    # answer what an adult monthly ticket costs, nor a three-user licence's a five-user one.
    if priced := _EN_PRICED.search(question):
        seen = {stem_en(w) for w in words}
        item = [w.lower() for w in _EN_WORD.findall(next(g for g in priced.groups() if g))
                if not w[0].isupper() and w.lower() not in _EN_FRAME and len(w) > 2]
        return [w for w in item if stem_en(w) not in seen]
    if EN_WHO_Q.search(question):
        # A role is named whole: the chief executive officer beside the quote does not
        # answer who the chief financial officer is, nor the deputy director who the
        # director is (a rank the question does not name is another role).
        asked = {w.lower() for w in _EN_WORD.findall(question)}
        seen = {stem_en(w) for i, w in enumerate(words)
                if not (i and words[i - 1] in _EN_RANK and words[i - 1] not in asked)}
        return [a for a in aspect if stem_en(a) not in seen]
    seen = {stem_en(w) for w in words}
    return [] if any(stem_en(a) in seen or _misspelt(a, words) for a in aspect) else aspect


def _chinese(text: str) -> bool:
    """Is ``text`` written in Chinese: more Chinese characters than English words?"""
    return len(re.findall(rf"[{CJK}]", text)) > 2 * len(_EN_WORD.findall(text))


def _misspelt(asked: str, words: list[str]) -> bool:
    """A question's word misspells one of the evidence's ("Where can I get the reciept?"
    beside "Receipts are e-mailed…")."""
    return any(one_slip(asked, w) or one_slip(stem_en(asked), stem_en(w)) for w in set(words))


# The thing a price is asked for: how much does X cost, what does X cost, how much X do I
# pay, the fee for X.
_EN_PRICED = re.compile(r"^\s*how much (?:does|do|did|will|would)\s+(.+?)\s+cost\b"
                        r"|^\s*what (?:does|do|did|will|would)\s+(.+?)\s+cost\b"
                        r"|^\s*how much (?!(?:does|do|did|will|would|is|are)\b)(.+?)"
                        r"\s+(?:do|does|did|will|would|should|must)\s+(?:i|we|you|they)\s+(?:have to\s+|need to\s+)?pay\b"
                        r"|\b(?:charge|fee|price|fare)s?\s+(?:of|for)\s+(.+?)(?:\s+(?:at|in|on|from|after|before)\b|[?.]|$)",
                        re.I)
_EN_RANK = frozenset("deputy assistant vice associate acting interim former co".split())


_CJK_WORD = re.compile(f"[{CJK}]{{2,8}}")



def _kind_char(key: str) -> str:
    """The last Chinese character of a row's key (锅 of 电压力锅B2: a model code after it)."""
    chars = re.findall(f"[{CJK}]", key)
    return chars[-1] if len(chars) >= 2 else ""


def unlisted_item(question: str, passages: list[str], evidence: list[str]) -> list[str]:
    """A thing the question names that the cited table does not list, though it lists its
    kind: "晴栩的洗碗機保固幾年？" answered from a warranty table of 冷氣機, 洗衣機, 乾衣機,
    除濕機 … (the 冷氣機 row's 3年). Its kind is its last character, as Chinese compounds
    name it (…機, …车, …卡; a model code after it aside); two rows of that kind at least, and
    the word nowhere near the quotes. Empty = fine."""
    q = fold(to_simplified(without_note(question)))
    keys = [fold(k) for p in passages for k in row_keys(p)]
    if len(keys) < 2:
        return []
    text = fold(" ".join(evidence + passages))
    unlisted = []
    words = [w for w, _ in tagged(q)]
    for i, word in enumerate(words):
        if len(word) < 2 or not _CJK_WORD.fullmatch(word) or word in text or QUESTION_CUE.search(word):
            continue
        # (with the word after it, when the segmenter cut off the kind: 汀州|分仓 of 汀州分仓)
        for named in (word, word + words[i + 1] if i + 1 < len(words) else ""):
            if _CJK_WORD.fullmatch(named) and named not in text \
                    and sum(k != named and _kind_char(k) == named[-1] for k in keys) >= 2:
                unlisted.append(named)
                break
    return unlisted


# A number and what it is for, after it: "30 days on Free", "£12 for children under 16".
_EN_VALUE = re.compile(r"(?<![\w.,:])\d+(?:[.,:]\d+)*(?![\w]*\d)")
_EN_FOR = re.compile(r"\s*(?:[a-z%£$€]+\s+){0,2}?(?:on|for|in|with|under)\s+((?:the\s+)?[a-z][^,;.()\d]*)", re.I)


def _bound_to(text: str) -> dict[str, list[set[str]]]:
    """Each number of ``text`` and, for each time it occurs, the words of the phrase after
    it that says what it is for ("on Free and" -> {free}); an empty set where none does."""
    out: dict[str, list[set[str]]] = {}
    for m in _EN_VALUE.finditer(text):
        what = _EN_FOR.match(text, m.end())
        words = {w.lower() for w in _EN_WORD.findall(what.group(1))} - EN_STOP - _EN_FRAME if what else set()
        out.setdefault(m.group(0), []).append({stem_en(w) for w in words})
    return out


def bound_elsewhere(question: str, answer: str, quotes: list[str]) -> list[str]:
    """For an English question naming what a value is for ("…in trash on pro"): the answer's
    number that its quote gives for something else, where the quote gives another number
    for what the question names ("Deleted notes stay in Trash for 30 days on Free and 90
    days on Pro": 30 answers for Free). Empty = fine; a number the quote does not tie to
    anything (the 10:00 of "10:00 to 17:00 on weekdays") is never off."""
    asked = {stem_en(w.lower()) for w in _EN_WORD.findall(without_note(question))} - {stem_en(w) for w in EN_STOP}
    stated = set(_EN_VALUE.findall(answer))
    for quote in quotes:
        bound = _bound_to(quote)
        named = {n for n, uses in bound.items() if any(words & asked for words in uses)}
        for n in stated & set(bound):
            if named - {n} and all(words and not words & asked for words in bound[n]):
                return [n]
    return []
