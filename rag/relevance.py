"""Does a verified answer address the question that was asked?

The citation verifier (cite.py) checks that each answer sentence is backed by its passage,
word for word. A small model asked about something the documents never state often
answers with a true sentence about something else: "右脑科技的CEO是谁？" -> "史杰[1]" (a
co-founder; the passage says nothing of a CEO), "海螺AI有多少月活跃用户？" -> the day it
listed. Every word of such an answer is in the passage, so the verifier passes it.

Two checks catch that without a second model call. They look at the whole text of the
passages the answer cites, and are kept narrow on purpose (measured on
evals/questions.jsonl: they fire on none of the correct answers there):
- a Latin-script name or acronym in a Chinese question (CEO, IPO, Sunrise) must occur in
  the cited passages: such terms are not paraphrased in Chinese text;
- the question's subject, the words before its first "的/是/有" (e.g. 智谱AI in
  "智谱AI是谁创立的？"), must occur there too.
A third check looks at the answer itself: a Chinese question that asks for a quantity
(多少, 几) is not answered by a reply without any numeral ("商汤S2芯片采用几纳米制程？" ->
"GPGPU架构").
English questions over Chinese documents are not checked (their words cannot match).
"""
from __future__ import annotations

import re

from .cite import strip_markers
from .lexical import normalize, tokenize
from .rewrite import CONTEXT_NOTE

_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9.\-]*[A-Za-z0-9]|[A-Za-z]{2,}")
# A subject ends where the predicate starts; it must not run into the question word.
_SUBJECT = re.compile(r"^([^的是有在和与，,、？?]{2,12}?)(?=的|是|有)")
_QUESTION_WORD = re.compile(r"什么|多少|哪|谁|几|怎么|如何|为什么|是否|何")
# Questions that open with a pronoun or a preposition have no subject at the front.
_NO_SUBJECT = re.compile(r"^(?:它|他|她|这|那|其|该|根据|按照|据|在|对于|关于|从|自|与|和|请|如果)")
_QUANTITY = re.compile(r"(?<!哪)(?:多少|几(?!乎))")
_NUMERAL = re.compile(r"[0-9０-９一二三四五六七八九十百千万亿两半零〇]")
_GENERIC = frozenset("现在 目前 这次 当时 以前 最近 今年 去年".split())


def question_terms(question: str) -> tuple[list[str], list[str]]:
    """(Latin-script terms, subject words) that the cited passages must contain."""
    question = CONTEXT_NOTE.sub("", question).strip()
    latin = sorted({m.group(0) for m in _LATIN.finditer(question)})
    subject: list[str] = []
    m = None if _NO_SUBJECT.match(question) else _SUBJECT.match(question)
    if m:
        span = _QUESTION_WORD.split(m.group(1))[0]
        subject = [t for t in dict.fromkeys(tokenize(span))
                   if len(t) >= 2 and not t.isdigit() and t not in _GENERIC and not t.isascii()]
        if len(subject) > 3:  # a clause ("商汤这次降低裁员补偿的事"), not a name: paraphrased freely
            subject = []
    return latin, subject


def missing_terms(question: str, cited_texts: list[str], lang: str) -> list[str]:
    """Terms of the question that none of the cited passages contains (empty = fine)."""
    if lang != "zh" or not cited_texts:
        return []
    text = normalize(" ".join(cited_texts))
    latin, subject = question_terms(question)
    missing = [t for t in latin if normalize(t) not in text]
    return missing + [t for t in subject if t not in text]


def lacks_quantity(question: str, answer: str, lang: str) -> bool:
    """True when the question asks how many / how much and the answer states no numeral."""
    if lang != "zh":
        return False
    question = CONTEXT_NOTE.sub("", question)
    return bool(_QUANTITY.search(question)) and not _NUMERAL.search(strip_markers(answer))
