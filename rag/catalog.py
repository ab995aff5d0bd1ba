"""Questions about the folder itself: which documents it holds, which of them mention a
thing, what one of them is about, what a numbered part of one says.

A chat over one's own documents gets these as often as questions of fact, and the data path
cannot answer them: it reads five passages, and none of them says which files there are.
Asked of a six-file folder (evals/sets/trial-documents), "文件夹里有哪些文件？" and "哪些文件
提到了预算？" were refused, "第三季營運會議紀錄主要討論了什麼？" got one of its six agenda items
and "总结一下物业服务合同的主要内容" five clauses that happened to score high, with the short
answer 乙方按照本合同 (evals/RESULTS.md, forty-second session). The index knows the answers:
its document list, every document's text, each document's headings. They are given from it,
exactly, before retrieval and without the model; every line that quotes a document cites it.

Only a message that asks *that* is taken here: the documents' kind of word (文件, 文档, 资料,
file, document) where the question word asks which (哪些文件提到…, "which documents mention
…"), a document's name before 主要讲了什么 / 的主要内容 / 总结一下 ("summarize …"), or a
part it numbers (第三章讲了什么, "what does chapter 2 of … cover").
"哪些国家参加了…" and "报告里提到的增长率是多少？" ask the documents something, and go on
down the data path.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Mapping

from .folder import FolderReply, Voice, about_reply, list_reply, mentions_reply, overview_reply, section_reply, which_reply
from .numerals import cn_number
from .outline import section
from .records import Answer, Chunk, Citation, Document, Timings
from .zh import CJK_CHAR, fold, fold_each, question_language, script_of, written_chinese

if TYPE_CHECKING:
    from .store import Store

FolderAsk = Literal["list", "mentions", "about", "section"]

_DOC = r"(?:文件|文档|资料|文章|材料|档案)"
_WHICH = r"(?:哪些|哪个|哪份|哪几份|哪篇|哪几篇|哪一份|哪一篇|什么)"
_IN = r"(?:里|中|里面|当中)?"
_MENTION = r"(?:有)?(?:提到|提及|讲到|说到|写到|谈到|涉及|包含|出现|记载|关于|讲|写)(?:了|过)?|有"
_END = r"[\s?？!！。.…~～]*$"
_ASK = r"^(?:请问|请|麻烦|帮我|你好)?[，,\s]*"
_ZH: list[tuple[FolderAsk, re.Pattern]] = [(kind, re.compile(_ASK + p + _END)) for kind, p in (
    ("list", rf"(?:你|您|这里|这儿|知识库|资料库|文件夹|库)?{_IN}(?:都|一共|总共|目前|现在)?"
             rf"(?:有|收录了?|存了?|包含了?|包括|能看到|读过|看过|索引了)(?:哪些|什么|几份|多少份?|几个|几篇){_DOC}(?:呢|吗|啊)?"),
    ("list", rf"(?:列出|列一下|列举|显示|给我看看?|看看)(?:一下)?(?:所有|全部|现有|已有|收录)?的?{_DOC}(?:列表|清单|名单|目录)?"),
    ("list", rf"{_DOC}(?:列表|清单|目录)"),
    ("mentions", rf"(?:有)?{_WHICH}{_DOC}{_IN}(?:{_MENTION})(?P<t>.+?)(?:的(?:内容|信息|事情?))?(?:呢|吗|啊)?"),
    ("mentions", rf"(?P<t>.+?)(?:在|出现在|是在|写在){_WHICH}{_DOC}{_IN}(?:提到|提及|出现|写到|讲到)?(?:过|了)?(?:呢|啊)?"),
    # (A text's verbs: 讲, 说, 写; "简述黄埔港的重要性" and "X的内容是什么" ask about a thing.)
    ("about", rf"(?:总结|概括|归纳|概述)(?:一下)?(?P<d>.+?)(?:的)?(?:主要)?(?:内容|要点|重点|大意)?"),
    ("about", rf"(?P<d>.+?)(?:主要|大概|大致)?(?:讲了|讲的是|说了|说的是|写了|写的是|讲|说|讨论了|是关于|关于)(?:些)?"
              rf"(?:什么|啥|哪些(?:内容|事情?|方面)?)(?:内容|东西|事情?)?(?:的)?(?:呢|啊)?"),
    ("about", rf"(?P<d>.+?)的(?:主要内容|要点|大意|概要|摘要|主旨|大纲|目录)(?:是什么|有哪些|是啥)?(?:呢|啊)?"),
    ("about", rf"(?P<d>.+?)(?:有|分为|分成|包括|包含)(?:哪些|哪几个|几个)(?:章节|章)"),
)]
# A numbered part of a document: 第三章讲了什么, 物业服务合同第八条规定了什么, 第二部分的内容是什么.
_SECTION_ZH = re.compile(
    _ASK + r"(?:那)?(?P<d>.*?)的?第(?P<n>[0-9一二三四五六七八九十百两]{1,4})"
    r"(?P<u>章|节|条|部分|篇|页|张(?:幻灯片|ppt|投影片)?|(?:页|张)?(?:幻灯片|投影片))(?:上|里|中)?(?:主要|都|大概)?"
    r"(?:(?:讲了|讲的是|说了|说的是|写了|写的是|讲|说|规定了|介绍了|是关于|关于|的主要内容是?|的内容是?|包括|包含|有|写着)"
    r"(?:些)?(?:什么|啥|哪些(?:内容|事情?)?)?(?:内容)?的?(?:呢|啊)?|呢)" + _END)  # (那第二章呢: a follow-up)
_SECTION_EN = re.compile(
    r"^(?:please\s+)?(?:what does (?P<u>section|chapter|part|page|slide) (?P<n>\d{1,3})(?: of (?P<d>.+?))?"
    r" (?:say|cover|contain|describe|talk about|show)"
    r"|(?:summari[sz]e|what is in|what(?:'s| is) on) (?P<u2>section|chapter|part|page|slide) (?P<n2>\d{1,3})"
    r"(?: of (?P<d2>.+?))?)[\s?.!]*$", re.I)
# Shapes that ask about a thing as often as about a text ("这座车站分为几个部分？", "X的重点是什么？"):
# about a document only when the words call it one (新品发布会的PPT, 这份文件, 这个表格, a file name).
_ZH_OF_A_DOCUMENT: list[tuple[FolderAsk, re.Pattern]] = [(kind, re.compile(_ASK + p + _END)) for kind, p in (
    ("about", r"(?P<d>.+?)(?:有|分为|分成|包括|包含)(?:哪些|哪几个|几个)部分"),
    ("about", r"(?P<d>.+?)的(?:重点|内容|主要信息)(?:是什么|有哪些|是啥)?(?:呢|啊)?"),
    ("about", r"(?P<d>.+?)(?:主要)?(?:记录|记载|列出|统计)了?(?:些)?(?:什么|哪些)(?:内容|信息|东西)?(?:呢|啊)?"),
)]
_DOC_EN = r"(?:documents?|files?|docs?)"
_EN: list[tuple[FolderAsk, re.Pattern]] = [(kind, re.compile(r"^(?:please\s+)?" + p + r"[\s?.!]*$", re.I)) for kind, p in (
    ("list", rf"(?:what|which) {_DOC_EN} (?:do you have|are (?:there|indexed|available|loaded|in (?:the|this) folder)"
             rf"|have you (?:got|read|indexed)|can you (?:see|read|search))"),
    ("list", rf"(?:list|show)(?: me)? (?:all )?(?:the |your )?{_DOC_EN}"),
    ("list", rf"how many {_DOC_EN} (?:are there|do you have|are indexed|have you (?:got|read|indexed))"),
    ("mentions", rf"(?:which|what) {_DOC_EN} (?:mentions?|talks? about|contains?|refers? to|discuss(?:es)?|says? anything about)"
                 r" (?P<t>.+?)"),
    ("mentions", rf"(?:where|in which {_DOC_EN}) (?:is|are) (?P<t>.+?) (?:mentioned|discussed|referred to)"),
    ("mentions", rf"(?:do|does) any (?:of (?:the|my|these) )?{_DOC_EN} (?:mention|talk about|refer to|say anything about)"
                 r" (?P<t>.+?)"),
    ("mentions", rf"(?:is|are) (?P<t>.+?) (?:mentioned|discussed) (?:in|by) any (?:of (?:the|my|these) )?{_DOC_EN}"),
    ("about", r"(?:summari[sz]e|give (?:me )?(?:a )?summary of|outline|what are the main points of"
              r"|what are the (?:sections|chapters|parts) of) (?P<d>.+?)"),
    ("about", r"what (?:is|does|are|do) (?P<d>.+?) (?:about|cover)"),
)]


@dataclass(frozen=True)
class Asked:
    kind: FolderAsk
    words: str = ""  # the thing asked about (mentions) or the document's name (about), as written
    unit: str = ""  # a section's: 章, 条, 部分, "chapter", …
    number: int = 0


def folder_question(question: str) -> Asked | None:
    """What ``question`` asks of the folder itself (see above); None when it asks the
    documents something."""
    question = question.strip()
    text = fold_each(question)  # (offsets kept: the words are shown as the question writes them)
    for pattern in (_SECTION_ZH, _SECTION_EN):
        if m := pattern.match(text):
            g = {k: v for k, v in m.groupdict().items() if v}
            n = g.get("n") or g["n2"]
            number = int(n) if n.isdigit() else cn_number(n)
            d = "d" if "d" in g else "d2" if "d2" in g else None
            words = _bare(question[m.start(d):m.end(d)]) if d else ""
            unit = (g.get("u") or g["u2"]).lower()
            unit = "page" if unit.endswith("页") else "slide" if unit[0] == "张" or "片" in unit else unit
            if number and len(words) <= 40:
                return Asked("section", words, unit, number)
    for kind, pattern in _ZH + _EN + _ZH_OF_A_DOCUMENT:
        if m := pattern.match(text):
            group = "t" if "t" in m.groupdict() else "d" if "d" in m.groupdict() else None
            words = _bare(question[m.start(group):m.end(group)]) if group else ""
            if kind != "list" and not 1 <= len(words) <= 40:
                continue
            if pattern in _OF_A_DOCUMENT and not (_KIND_OF_DOCUMENT.search(fold(words)) or _FILE_NAME.search(words)):
                continue
            return Asked(kind, words)
    return None


def _bare(words: str) -> str:
    words = words.strip(" ：:，,“”\"'「」『』《》〈〉")
    return re.sub(r"^(?:关于|有关|(?:the|a|an)\b)\s*|(?:这个词|这件事|一词)$", "", words, flags=re.I).strip(" “”\"'「」《》")


# ---------------------------------------------------------------------------- the named document

# The words a request names a document with that say nothing of which one: 这份文件,
# "this document", 的主要内容 of a name that ends with 文件.
_GENERIC = re.compile(r"[这那](?:份|个|篇|一|张|本)|此|该|本|它|其|文件|文档|资料|文章|材料|\bthe\b|\bthis\b|\bthat\b"
                      r"|\bits?\b|\bdocument\b|\bfile\b|[\s_\-.·:：，,《》“”\"'「」]", re.I)
# The kinds of document a request calls one by ("年度审计报告", "新品发布会的PPT", "the safety
# manual"): a name that ends with one is a document's, found or not; the words it is asked
# by with such shapes as "X的重点是什么" must hold one to ask about a document.
_KINDS = (r"报告|报表|合同|协议|手册|说明书|指南|须知|纪要|纪录|记录|通知|公告|通告|章程|办法|规定|制度|方案|简介|新闻|论文"
          r"|表格|清单|名册|讲义|课件|幻灯片|演示文稿|ppt|邮件|文件|文档|资料|文章|材料"
          r"|\b(?:report|manual|guide|handbook|contract|agreement|minutes|notice|policy|faq|article|paper"
          r"|spreadsheet|sheet|slides|deck|presentation|e-?mail|letter|document|file)s?\b")
_KIND_OF_DOCUMENT = re.compile(_KINDS)
_ENDS_WITH_KIND = re.compile(f"(?:{_KINDS})$")
_FILE_NAME = re.compile(r"\.[A-Za-z]{2,5}\b")  # library_loans.csv
_OF_A_DOCUMENT = {p for _, p in _ZH_OF_A_DOCUMENT}
# A request names a document when its name holds this share of the request's words at least
# ("物业服务合同" of 榆荫里花园物业服务合同: all of them; "城市更新的情况" of a news page's title
# 江屿市启动东湖片区城市更新…: 4 of 6) -- invented cases; a topic's words in no title
# ("公司的销售额变化") name none, and the question goes down the data path.
NAMED_SHARE = 0.6


def named_document(words: str, docs: Mapping[str, Document]) -> Document | None:
    """The document ``words`` name by its title or file name: the one whose name covers most
    of them (``_covered``, NAMED_SHARE at least); the only document when they name none in
    particular ("这份文件") and the folder holds one; None when none or several fit alike."""
    wanted = _GENERIC.sub(" ", fold(words)).strip()
    if not wanted:
        return next(iter(docs.values())) if len(docs) == 1 else None
    # (What kind of document it is says little beside its name: "library_loans.csv这个表格" is
    # the loans file, though its name has no 表格; "这份报告" alone still looks for a 报告.)
    kindless = _KIND_OF_DOCUMENT.sub(" ", wanted).strip()
    wanted, drop = (kindless, _KIND_OF_DOCUMENT) if kindless else (wanted, None)
    scored: list[tuple[float, str]] = []
    for doc_id, doc in docs.items():
        names = [fold(doc.title), fold(re.sub(r"[_\-.]+", " ", doc_id.rsplit("/", 1)[-1]))]
        names = [_GENERIC.sub(" ", drop.sub(" ", n) if drop else n) for n in names]
        share = max(_covered(wanted, n) for n in names)
        scored.append((share, doc_id))
    scored.sort(reverse=True)
    best = scored[0] if scored else (0.0, "")
    if best[0] < NAMED_SHARE or (len(scored) > 1 and scored[1][0] == best[0]):
        return None
    return docs[best[1]]


def _covered(wanted: str, name: str) -> float:
    """The share of ``wanted`` that runs of two characters or more found in ``name`` cover,
    longest first from the left ("2025年度报告" in 年度报告（2025）: all of it; in 年度报告
    （2024）: 年度报告 and 20), none when two characters in a row are not in it; a Latin word
    counts whole or not at all (kettle is no part of kettlebell)."""
    if not name:
        return 0.0
    if not CJK_CHAR.search(wanted):
        words = re.findall(r"[a-z0-9]+", wanted)
        have = set(re.findall(r"[a-z0-9]+", name))
        return sum(len(w) for w in words if w in have) / max(1, sum(map(len, words)))
    wanted, name = wanted.replace(" ", ""), name.replace(" ", "")
    covered = i = stray = 0
    while i < len(wanted):
        n = 0
        while i + n < len(wanted) and wanted[i:i + n + 1] in name:
            n += 1
        if n >= 2:
            covered, stray = covered + n, 0
        elif (stray := stray + 1) >= 2:
            return 0.0  # (a word the name lacks: 年度审计报告 is not 年度报告2025, its 审计 is missing)
        i += max(n, 1)
    return covered / len(wanted)


# Characters of text read whole for a mentions question: folding runs at ~110 ns a character
# here (0.1 s for 0.9 M), so a folder of this much answers in about half a second. A bigger
# one reads the documents of the passages BM25 ranks highest for the words.
SCAN_CHARS = 5_000_000
_CANDIDATES = 2000  # passages whose documents a big folder reads for a mentions question


def _may_mention(words: str, index: Store) -> Mapping[str, Document]:
    docs = index.docs
    if sum(len(d.text) for d in docs.values()) <= SCAN_CHARS:
        return docs
    ids, _ = index.lexical(words, _CANDIDATES)
    return {d: docs[d] for d in dict.fromkeys(index.chunk(int(i)).doc_id for i in ids) if d in docs}


def folder_answer(question: str, index: Store, t0: float, history: list[dict] | None = None) -> Answer | None:
    """The answer to a question about the folder itself (see above), made from the index;
    None for any other question, and for a request about a document no name in it picks
    out, or one with neither prose nor headings (the data path answers those)."""
    asked = folder_question(written_chinese(question))  # (員工手冊第五章講咗乜嘢: 講了什麼)
    if asked is None:
        return None
    docs = index.docs
    say = Voice(question_language(question), script_of(question))
    if asked.kind == "section":
        # (A section of the document named, or of the one the question before named:
        # "第三章讲了什么？" after "总结一下物业服务合同".)
        doc = named_document(asked.words, docs) if _names_something(asked.words) else (
            _named_before(history or [], docs) or _only_numbering(asked, docs))
        if doc is None:
            return None  # (named by none, or numbered so by several or none: the data path reads it)
        reply = section_reply(doc, section(doc, asked.unit, asked.number), asked.unit, asked.number, say)
    elif asked.kind == "list":
        reply = list_reply(docs, say)
    elif asked.kind == "mentions":
        reply = mentions_reply(asked.words, _may_mention(asked.words, index), say)
    elif _WHOLE_FOLDER.match(fold(asked.words)):
        reply = overview_reply(docs, say)  # ("这些文件主要讲了什么？": each one's opening)
    elif not _names_something(asked.words) and len(docs) > 1:
        reply = which_reply(docs, say)  # ("这份文件讲了什么？" of a folder of several)
    elif (doc := named_document(asked.words, docs)) is not None:
        if not (reply := about_reply(doc, say)).quotes:
            return None
    elif _ENDS_WITH_KIND.search(fold(asked.words)):
        reply = which_reply(docs, say, asked.words)  # ("总结一下年度审计报告" and no such report)
    else:
        return None  # ("总结一下城市更新的情况": a topic, for the data path)
    return _answer(question, reply, docs, t0)


# Words that ask about every document at once: 这些文件, 所有文档, 知识库里的资料, "these documents".
_WHOLE_FOLDER = re.compile(r"(?:(?:知识库|资料库|文件夹|库)(?:里|中|里面)?的?)?(?:这些|那些|所有|全部|所有的|全部的)?"
                           r"(?:文件|文档|资料|材料)$|(?:知识库|资料库|文件夹)$"
                           r"|(?:these|those|all(?: of)?(?: the)?|my|the) (?:documents|files|docs)$|(?:the|this) folder$")


_FEW_DOCUMENTS = 200  # a folder this small is looked through for the one document with the section asked


def _only_numbering(asked: Asked, docs: Mapping[str, Document]) -> Document | None:
    """The one document of a small folder that has the section asked ("第八条规定了什么？"
    of a folder with one contract among notices), None when none or several have it."""
    if len(docs) > _FEW_DOCUMENTS:
        return None
    having = [d for d in docs.values() if section(d, asked.unit, asked.number) is not None]
    return having[0] if len(having) == 1 else None


def _named_before(history: list[dict], docs: Mapping[str, Document]) -> Document | None:
    """The document the last question before named, asking what it or a part of it says."""
    before = next((t.get("content", "") for t in reversed(history) if t.get("role") == "user"), "")
    asked = folder_question(str(before)) if before else None
    return named_document(asked.words, docs) if asked and asked.kind in ("about", "section") and asked.words else None


def _names_something(words: str) -> bool:
    """Whether ``words`` say which document, beyond 这份文件 or "this document"."""
    return bool(_GENERIC.sub(" ", fold(words)).strip())


def _answer(question: str, reply: FolderReply, docs: Mapping[str, Document], t0: float) -> Answer:
    citations = []
    for n, q in enumerate(reply.quotes, 1):
        doc = docs[q.doc_id]
        # (A span of the document, not one of its indexed chunks: chunk_id -1.)
        span = Chunk(q.doc_id, -1, doc.text[q.start:q.end], q.start, q.end, title=doc.title,
                     page=doc.page_at(q.start), location=doc.location_of(q.start, q.end))
        citations.append(Citation(n, span, span.text, q.start, q.end, verified=True, support=1.0))
    return Answer(question=question, answer=reply.text,
                  refused=not reply.found, citations=citations, retrieved=[],
                  timings=Timings(total_ms=(time.perf_counter() - t0) * 1000),
                  refusal_reason=None if reply.found else reply.reason)
