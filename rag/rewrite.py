"""Follow-up questions -> standalone questions, by rules (instant, no model call).

"它的CTO是谁？" after a question about 远帆科技 retrieves nothing on its own. A follow-up
(pronoun, "那…呢", very short question, or no named subject) is rewritten to carry the
subject of the previous question: the previous user question is prepended for retrieval
and shown to the model as context. A 他/她 after a who-question is the person the answer
named, put in its place.
"""
from __future__ import annotations

import re

from .zh import CJK_CHAR, ORG_NAME, Lang, asking_part, to_simplified

_ANAPHORA = re.compile(
    r"它|他|她|其|该公司|该|这家|那家|这个|那个|这位|那位|这些|那些|上述|前者|后者|第[一二三四五六七八九十\d]+个|"
    r"呢[？?]?$|^那|^还有|^再|^and\b|\bits?\b|\bthey\b|\btheir\b|\bthem\b|\bhe\b|\bshe\b|\bhis\b|\bher\b|"
    r"\bthat (?:company|one)\b|\bthe (?:company|founder|second|first)\b|^what about\b|^how about\b",
    re.I,
)
# A name a question can stand on: a Latin-script one, or an organisation's (zh.ORG_NAME).
_SUBJECT = re.compile(rf"[A-Za-z][A-Za-z0-9.\-]+|{ORG_NAME.pattern}")


def is_followup(question: str) -> bool:
    q = to_simplified(question.strip())  # 這家公司 like 这家公司
    if _ANAPHORA.search(q):
        return True
    core = re.sub(r"[？?！!。.\s]", "", q)
    return len(core) <= 6 and not _SUBJECT.search(q)


# The context note a rewrite appends (and later stages strip to see the question itself).
CONTEXT_NOTE = re.compile(r"(?:（接上文| \(following up on).*$", re.S)


def without_note(question: str) -> str:
    """The question a user asked, without the context note a rewrite appended. Strip it
    before folding: fold turns （ into ( and the note would no longer be found."""
    return CONTEXT_NOTE.sub("", question).strip()


def noted_question(question: str) -> str | None:
    """The previous question the context note of a rewritten follow-up carries, if any."""
    note = CONTEXT_NOTE.search(question)
    return _NOTE_LEAD.sub("", note.group(0)).rstrip("）) ") if note else None


_NOTE_LEAD = re.compile(r"^(?:（接上文：| \(following up on: )")


def shaped_as(question: str) -> str:
    """The question whose shape an answer takes: the user's, without the note and without a
    situation told first (zh.asking_part); for "那X呢" with a note, the previous question in
    the note ("意外受伤的医疗费最多赔多少？" for "那在国外突然生病住院呢？": a sum is asked,
    as before)."""
    asked = without_note(question)
    if WHAT_ABOUT.match(asked) and (previous := noted_question(question)):
        return previous
    return asking_part(asked)


# "那青禾机器人呢？" after "远帆科技的创始人是谁？": the same question about another subject.
WHAT_ABOUT = re.compile(r"^(?:那么?|还有)?\s*(?P<x>[^，,。？?！!\s]{2,20}?)\s*呢\s*[？?]?$")
# The subject of a question: what comes before its first 的/是/有 (relevance.py uses it too).
LEADING_SUBJECT = re.compile(r"^([^的是有在和与，,、？?]{2,12}?)(?=的|是|有)")
PRONOUN = re.compile(r"^(?:它|他|她|其|这|那|该)")  # (a question opening so points back)


def _swap_subject(question: str, previous: str) -> str | None:
    """"青禾机器人的创始人是谁？" for "那青禾机器人呢？" after "远帆科技的创始人是谁？"; None when the
    follow-up is not of that form or the previous question has no subject to swap."""
    m = WHAT_ABOUT.match(question.strip())
    subject = LEADING_SUBJECT.match(previous)
    if not m or not subject or PRONOUN.match(subject.group(1)):
        return None
    if not _SUBJECT.fullmatch(m.group("x")):  # "那创始人呢？" asks about an attribute, not a new subject
        return None
    return m.group("x") + previous[subject.end(1):]


def _swap_variant(question: str, previous: str) -> str | None:
    """"驰岚S7长续航版的续航是多少公里？" for "那长续航版呢？" after "驰岚S7标准版的续航是多少公里？":
    the last word of the previous question's subject and the follow-up's word share their
    head (版 of 标准版 and 长续航版, 组 of 男子组 and 女子组), so one stands for the other. None
    when the follow-up is not of that form or no word of the subject has that head."""
    from .lexical import tagged  # (jieba, loaded only when a follow-up needs it)

    m = WHAT_ABOUT.match(question.strip())
    subject = LEADING_SUBJECT.match(previous)
    if not m or not subject:
        return None
    x = m.group("x")
    words = tagged(subject.group(1))
    last = words[-1][0] if words else ""
    if len(last) < 2 or last == x or last[-1] != x[-1] or not subject.group(1).endswith(last):
        return None
    at = subject.end(1) - len(last)
    return previous[:at] + x + previous[subject.end(1):]


def _swap_word(question: str, previous: str) -> str | None:
    """The previous question about the follow-up's X where one word of it anywhere has X's
    head (its last character): "假日108路首班車幾點？" for "那假日呢？" after "平日108路首班車幾點？",
    as _swap_variant does for the subject's last word (asked "那假日呢？" with the note, the
    model answered "假日：週六、週日及國定假日"). None when no word, or more than one, has
    that head (夏季和春季: 季 twice), or X holds the word (会话超时 over 超时)."""
    from .lexical import tagged  # (jieba, loaded only when a follow-up needs it)

    m = WHAT_ABOUT.match(question.strip())
    if not m or not CJK_CHAR.fullmatch((x := m.group("x").removesuffix("的"))[-1:]):
        return None
    found = [w for w, _ in tagged(previous) if len(w) >= 2 and w[-1] == x[-1] and w != x]
    if len(found) != 1 or found[0] in x:
        return None
    return previous.replace(found[0], x, 1)


# "And at the Old Town branch?", "What about the Hilltop library?", "And E4?": the same
# question about another one of a kind (English).
_EN_WHAT_ABOUT = re.compile(r"^(?:and|what about|how about)\s+(?:(?:at|in|on|for|of|from|to|with)\s+)?"
                            r"(?:the\s+|an?\s+)?(?P<x>[\w'&.-]+(?:\s+[\w'&.-]+){0,4}?)\s*\??$", re.I)
# Words that end a noun phrase on its left: it is the words between one of these and its head.
_EN_PHRASE_EDGE = frozenset(
    "the a an at in on of for to from with by about is are was were be what what's whats how which who where when "
    "does do did and or my your our their its this that these those it".split())
_CODE = re.compile(r"^(?=.*\d)[A-Za-z]+-?\d+[A-Za-z]?$")  # E4, JL-300, A380


def _swap_variant_en(question: str, previous: str) -> str | None:
    """"What's the Wi-Fi password at the Old Town branch?" for "And at the Old Town branch?"
    after "What's the Wi-Fi password at the Harbour branch?": the follow-up's phrase ends in
    the head word (branch) of a phrase of the previous question, whose words before it
    (Harbour) it replaces; a code (And E4?) replaces the previous question's one code of the
    same letters (E1). None when the follow-up is not of that form or nothing matches."""
    m = _EN_WHAT_ABOUT.match(question.strip())
    if not m:
        return None
    x = m.group("x").split()
    if len(x) == 1:
        if not _CODE.match(x[0]):
            return None
        letters = re.match(r"[A-Za-z]+", x[0]).group(0)
        codes = [c for c in re.finditer(r"\b[A-Za-z]+-?\d+[A-Za-z]?\b", previous)
                 if _CODE.match(c.group(0)) and re.match(r"[A-Za-z]+", c.group(0)).group(0).lower() == letters.lower()]
        if len(codes) != 1 or codes[0].group(0) == x[0]:
            return None
        return previous[:codes[0].start()] + x[0] + previous[codes[0].end():]
    head = x[-1].lower()
    words = list(re.finditer(r"[\w'&.-]+", previous))
    at = [i for i, w in enumerate(words) if w.group(0).lower() == head]
    if len(at) != 1:
        return None
    first = at[0]
    while first > 0 and words[first - 1].group(0).lower() not in _EN_PHRASE_EDGE:
        first -= 1
    if first == at[0]:
        return None  # (the previous question's head has no words before it to swap)
    return previous[:words[first].start()] + " ".join(x) + previous[words[at[0]].end():]


def model_question(standalone: str) -> str:
    """The question the model is asked for a (rewritten) question: the user's, without the
    context note (else it answers the previous question too); an English "And at the Old
    Town branch?" as the previous question, which the note carries, asked of that branch
    (_swap_variant_en) -- alone, the model answered with the branch's address. The checks
    still judge the answer by the follow-up as asked: the previous question's own words
    (hike, mean) stood nowhere near right answers."""
    asked = without_note(standalone) or standalone
    previous = noted_question(standalone)
    return (previous and _swap_variant_en(asked, previous)) or asked


# A follow-up about a person: 他/她 opening it (他的工号是多少？, 她在哪里毕业？).
_PERSON = re.compile(r"^(?:他|她)(?![们們])")
_NAMED = re.compile(r"(?:是|为|為)([^\s，,。；;、！!？?是为為的]{2,8})(?:[，,。；;！!]|$)")  # …的负责人是孟庆阳。


def _person_answered(previous: str, answer: str) -> str | None:
    """The one person the previous answer named, when the previous question asked who: what
    a 他/她 after it stands for. The whole answer when it is a bare name (蒋书宁[1]), the
    name after its 是 (…的负责人是孟庆阳), else the one name jieba finds that the question
    did not give (前副总裁邝|俊杰); None when it names none or several, or declined."""
    from .cite import is_refusal_text
    from .lexical import tagged  # (jieba, loaded only when a follow-up needs it)
    from .markers import strip_markers
    from .zh import WHO_Q, fold_each

    text = strip_markers(answer).strip().rstrip("。.！!")
    if not WHO_Q.search(to_simplified(previous)) or not text or is_refusal_text(text):
        return None
    if len(text) <= 8 and not re.search(r"[\s，,、；;：:]", text):
        return text
    if m := _NAMED.search(text):
        return m.group(1)
    names, run, at = [], "", 0
    for word, tag in tagged(fold_each(text)) + [("", "x")]:  # (one character for one: offsets hold)
        if tag.startswith("nr"):
            run += text[at:at + len(word)]
        else:
            if len(run) >= 2 and fold_each(run) not in fold_each(previous):
                names.append(run)
            run = ""
        at += len(word)
    return names[0] if len(set(names)) == 1 else None


def rewrite(question: str, history: list[dict] | None, lang: Lang = "zh") -> str:
    """The question to retrieve and answer with: unchanged unless it is a follow-up."""
    if not history or not is_followup(question):
        return question
    last_user = next((t["content"] for t in reversed(history) if t.get("role") == "user"), "")
    if not last_user:
        return question
    # Strip a previous rewrite's own context so chains of follow-ups do not snowball.
    last_user = without_note(last_user)
    if lang == "zh" and (swapped := _swap_subject(question, last_user) or _swap_variant(question, last_user)
                         or _swap_word(question, last_user)):
        return swapped
    # 他/她 after "who?" is the person the answer named: the question is asked about them
    # ("孟庆阳的工号是多少？"), and stands alone.
    last_answer = next((t["content"] for t in reversed(history) if t.get("role") == "assistant"), "")
    if lang == "zh" and _PERSON.match(question.strip()) and (person := _person_answered(last_user, last_answer)):
        return _PERSON.sub(person, question.strip(), count=1)
    if lang == "en":
        return f"{question} (following up on: {last_user})"
    return f"{question}（接上文：{last_user}）"
