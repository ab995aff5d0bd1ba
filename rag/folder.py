"""Replies made from the folder's own contents, for questions about the folder itself
(catalog.py): its documents, which of them mention a word, what one of them is about, one of
its sections. Each is written in the question's language -- Chinese in its script -- and every
line that quotes a document cites the span it quotes; a document's name and its words are
shown as the document writes them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

from .outline import Outline, Section, outline
from .records import Document, RefusalReason, generated_name
from .zh import CJK_CHAR, Lang, Script, fold, fold_each, in_script, sentence_spans


@dataclass(frozen=True)
class Quote:
    doc_id: str
    start: int
    end: int


@dataclass
class FolderReply:
    """A reply made from the index: its text, the spans its [n] markers cite, in order, and
    whether it says the folder has no such thing (and why)."""

    text: str
    quotes: list[Quote] = field(default_factory=list)
    found: bool = True
    reason: RefusalReason | None = None  # why not, when not found


_MAX_LISTED = 50  # documents named in a list reply; the rest counted
_OPENING = 30  # characters of its text that name a document whose file name a program made up
_MAX_MENTIONS = 10  # documents a mentions reply quotes; the rest named


@dataclass(frozen=True)
class Voice:
    """How a reply speaks: English, or Chinese in the question's script. Only its own words
    are converted; a document's name and the words it quotes are shown as the document
    writes them."""

    lang: Lang
    script: Script | None = None

    def __call__(self, zh: str, en: str) -> str:
        return en if self.lang == "en" else in_script(zh, self.script)

    def name(self, doc: Document) -> str:
        """The document by its title and file name; by its file name alone when the title is
        that name, and then with its opening words when a program made the name up
        (000_6d9cd55ab9d6cbba.txt says nothing of what it holds)."""
        stem = doc.doc_id.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if doc.title and doc.title not in (stem, doc.doc_id):
            return f"“{doc.title}” ({doc.doc_id})" if self.lang == "en" else f"《{doc.title}》（{doc.doc_id}）"
        if not generated_name(doc.doc_id):
            return doc.doc_id
        head = " ".join(doc.text[:_OPENING * 4].split())
        opening = head[:_OPENING] + ("…" if len(head) > _OPENING else "")
        return f"{doc.doc_id} (“{opening}”)" if self.lang == "en" else f"{doc.doc_id}（“{opening}”）"

    def cite(self, n: int) -> str:
        return f" [{n}]" if self.lang == "en" else f"[{n}]"


def list_reply(docs: Mapping[str, Document], say: Voice) -> FolderReply:
    names = [say.name(d) for _, d in sorted(docs.items())]
    if not names:
        return FolderReply(say("还没有收录任何文档。", "No documents are indexed."), found=False, reason="unmentioned")
    n, more = len(names), len(names) - _MAX_LISTED
    lines = [say(f"已收录{n}份文档：", f"{n} document{'s are' if n != 1 else ' is'} indexed:")]
    lines += [f"- {name}" for name in names[:_MAX_LISTED]]
    if more > 0:
        lines.append(say(f"……另有{more}份。", f"… and {more} more."))
    return FolderReply("\n".join(lines))


_GIST = 80  # characters of a document's opening an overview of the folder shows


def overview_reply(docs: Mapping[str, Document], say: Voice) -> FolderReply:
    """What every document is about, in a line each: its opening sentence (cut to _GIST
    characters), else its first sections' headings, cited."""
    lines, quotes = [], []
    names = sorted(docs.items())
    for _, doc in names[:_MAX_LISTED]:
        plan = outline(doc)
        line = f"- {say.name(doc)}"
        if plan.lead:
            nl = doc.text.find("\n", plan.lead[0], plan.lead[1])  # (one line each: its first line)
            a, b = _gist(doc.text, plan.lead[0], nl if nl >= 0 else plan.lead[1])
            quotes.append(Quote(doc.doc_id, a, b))
            line += say("：", ": ") + doc.text[a:b] + ("…" if b < plan.lead[1] else "") + say.cite(len(quotes))
        elif heads := [(i.start, i.end, doc.text[i.start:i.end]) for i in plan.items if i.depth == 0][:3] or [
                (sh.start, sh.end, sh.name) for sh in plan.sheets[:3]]:
            quotes.append(Quote(doc.doc_id, heads[0][0], heads[0][1]))  # (the first, where they start)
            line += say("：", ": ") + say("、", ", ").join(h[2] for h in heads) + say("等", " …") + say.cite(len(quotes))
        lines.append(line)
    n = len(names)
    head = say(f"已收录{n}份文档：", f"{n} document{'s are' if n != 1 else ' is'} indexed:") if n else say(
        "还没有收录任何文档。", "No documents are indexed.")
    more = [say(f"……另有{n - _MAX_LISTED}份。", f"… and {n - _MAX_LISTED} more.")] if n > _MAX_LISTED else []
    return FolderReply("\n".join([head] + lines + more), quotes, found=bool(n), reason=None if n else "unmentioned")


def _gist(text: str, a: int, b: int) -> tuple[int, int]:
    """The opening ``text[a:b]`` cut to _GIST characters: at its last sentence's end within
    them, else at a word's end (Latin) or the limit."""
    if b - a <= _GIST:
        return a, b
    ends = [e for _, e in sentence_spans(text, a, a + _GIST) if text[e - 1] in "。！？.!?"]
    if ends and ends[-1] - a >= _GIST // 3:
        return a, ends[-1]
    cut = a + _GIST
    while cut > a + _GIST // 2 and text[cut - 1:cut + 1].isascii() and text[cut - 1:cut + 1].isalnum():
        cut -= 1  # (not inside an English word)
    return a, cut


def which_reply(docs: Mapping[str, Document], say: Voice, words: str = "") -> FolderReply:
    """Asked what "this document" says, with several in the folder, or what a document of a
    name none has or several share says: which one, of these."""
    listed = list_reply(docs, say).text.split("\n", 1)[1]
    head = (say(f"没有找到与“{words}”对应的唯一文档。已收录的文档：", f"No one document matches “{words}”. These are indexed:")
            if words else say("请说明是哪一份文档。已收录的文档：", "Which document do you mean? These are indexed:"))
    return FolderReply(f"{head}\n{listed}", found=False, reason="unnamed")


def mentions_reply(words: str, docs: Mapping[str, Document], say: Voice) -> FolderReply:
    """The documents whose title or text has ``words`` (in either script, any case), those
    with most mentions first, each with the sentence of its first mention cited."""
    needle = fold(words)
    if not CJK_CHAR.search(needle) and re.search(r"[a-z]{3}s$", needle):
        needle = re.sub(r"((?:[sxz]|ch|sh)e)?s$", lambda m: m.group(1)[:-1] if m.group(1) else "", needle)
        # (vaccines, boxes: a vaccine, a box mentioned counts)
    # (Words apart as any whitespace apart: a PDF wraps "Wi-Fi\nnetwork" where it likes.)
    pattern = re.compile(r"\s+".join(map(re.escape, needle.split())))
    found: list[tuple[int, str, tuple[int, int]]] = []  # (mentions, doc_id, first mention's span)
    for doc_id, doc in docs.items():
        text = fold_each(doc.text)  # (offsets kept: the first mention is quoted from doc.text)
        spans = [m.span() for m in pattern.finditer(text)]
        count = len(spans) + len(pattern.findall(fold(doc.title)))
        if count:
            found.append((count, doc_id, _first_in_prose(text, spans)))
    found.sort(key=lambda f: (-f[0], f[1]))
    if not found:
        return FolderReply(say(f"没有文档提到“{words}”。", f"No document mentions “{words}”."), found=False,
                           reason="unmentioned")
    n = len(found)
    lines, quotes = [say(f"有{n}份文档提到“{words}”：", f"{n} document{'s' if n != 1 else ''} mention{'s' if n == 1 else ''}"
                         f" “{words}”:")], []
    for count, doc_id, (at, end) in found[:_MAX_MENTIONS]:
        doc = docs[doc_id]
        if at < 0:  # (in the title only)
            lines.append(f"- {say.name(doc)}")
            continue
        (a, b), (sa, sb) = _sentence_at(doc.text, at, end - at)
        quotes.append(Quote(doc_id, a, b))
        times = say(f"，{count}处", f", {count} times") if count > 1 else ""
        shown = ("…" if a > sa else "") + doc.text[a:b] + ("…" if b < sb else "")  # (cut out of a longer sentence)
        lines.append(f"- {say.name(doc)}{times}{say('：', ': ')}“{shown}”{say.cite(len(quotes))}")
    if rest := [docs[d] for _, d, _ in found[_MAX_MENTIONS:]]:
        lines.append(say("另有：", "Also: ") + say("；", "; ").join(say.name(d) for d in rest))
    return FolderReply("\n".join(lines), quotes)


_QUOTE_MAX = 80  # characters of a mention's sentence shown: enough to see the word in use


def _first_in_prose(text: str, spans: list[tuple[int, int]]) -> tuple[int, int]:
    """Of the mentions at ``spans``, the first outside a heading (a sheet's name "# 部门预算"
    says less than a row or a sentence using the word), else the first; (-1, -1) for none."""
    for a, b in spans:
        if not text.startswith("#", text.rfind("\n", 0, a) + 1):
            return a, b
    return spans[0] if spans else (-1, -1)


def _sentence_of(text: str, at: int, size: int) -> tuple[int, int]:
    """The sentence (or line) of ``text`` around ``text[at:at+size]``."""
    line_start = text.rfind("\n", 0, at) + 1
    line_end = text.find("\n", at)
    line_end = len(text) if line_end < 0 else line_end
    return next(((s, e) for s, e in sentence_spans(text, line_start, line_end) if s <= at < e), (at, at + size))


def _sentence_at(text: str, at: int, size: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """``_sentence_of`` cut to _QUOTE_MAX characters around the mention when longer, and the
    whole sentence."""
    a, b = whole = _sentence_of(text, at, size)
    if b - a > _QUOTE_MAX:
        a = max(a, min(at - _QUOTE_MAX // 2, b - _QUOTE_MAX))
        b = min(b, a + _QUOTE_MAX)
        # (Not inside a word of Latin letters: "…of granite", not "…of gr".)
        while a < at and text[a - 1:a + 1].isascii() and text[a - 1:a + 1].isalnum():
            a += 1
        while b > at + size and text[b - 1:b + 1].isascii() and text[b - 1:b + 1].isalnum():
            b -= 1
    return (a, b), whole


def about_reply(doc: Document, say: Voice) -> FolderReply:
    """What ``doc`` is about: its opening sentences and its sections (outline.py), cited."""
    plan: Outline = outline(doc)
    quotes: list[Quote] = []
    head = say.name(doc)
    if plan.lead:
        quotes.append(Quote(doc.doc_id, *plan.lead))
        head += say("：", ": ") + _one_line(doc.text[plan.lead[0]:plan.lead[1]]) + say.cite(1)
    lines = _item_lines(doc, plan.items, quotes, say)
    if lines:
        top = sum(1 for i in plan.items if i.depth == 0)
        head += "\n" + say(f"共{top}个部分：", f"Its {top} part{'s' if top != 1 else ''}:")
    for sheet in plan.sheets:  # (a workbook: its sheets, each with its rows and columns)
        quotes.append(Quote(doc.doc_id, sheet.start, sheet.end))
        columns = say("、", ", ").join(sheet.columns)
        lines.append(say(f"- {sheet.name}：{sheet.rows}行", f"- {sheet.name}: {sheet.rows} rows")
                     + (say(f"，列为{columns}", f"; columns: {columns}") if columns else "") + say.cite(len(quotes)))
    if plan.sheets:
        n = len(plan.sheets)
        head += "\n" + say(f"共{n}个工作表：", f"Its {n} sheet{'s' if n != 1 else ''}:")
    return FolderReply("\n".join([head] + lines), quotes)


_WHOLE_SECTION = 400  # characters: a section this short is quoted whole (an article of a contract)


def section_reply(doc: Document, sec: Section | None, unit: str, number: int, say: Voice) -> FolderReply:
    """What section ``number`` (by ``unit``: 章, 条, "part", …) says: quoted whole when short,
    else its opening sentences and the headings under it; "no such section" when ``sec`` is
    None (the document numbers none so)."""
    zh_unit = {"page": "页", "slide": "张幻灯片", "chapter": "章", "part": "部分", "section": "部分"}.get(unit, unit)
    where = say(f"第{number}{zh_unit}", f"{unit} {number}")
    if sec is None:
        return FolderReply(say(f"{say.name(doc)}里没有", f"{say.name(doc)} has no ") + where + say("。", "."),
                           found=False, reason="unmentioned")
    quotes, lines = [], [say.name(doc) + say("：", ": ")]
    if sec.heading is not None:
        quotes.append(Quote(doc.doc_id, sec.heading.start, sec.heading.end))
        lines[0] += doc.text[sec.heading.start:sec.heading.end] + say.cite(1)
    else:
        lines[0] += where
    a, b = sec.body
    body = doc.text[a:b].strip()
    if body and len(body) <= _WHOLE_SECTION:
        a += len(doc.text[a:b]) - len(doc.text[a:b].lstrip())
        quotes.append(Quote(doc.doc_id, a, a + len(body)))
        lines.append(body + say.cite(len(quotes)))
        return FolderReply("\n".join(lines), quotes)
    if sec.lead:
        quotes.append(Quote(doc.doc_id, *sec.lead))
        lines.append(_one_line(doc.text[sec.lead[0]:sec.lead[1]]) + say.cite(len(quotes)))
    return FolderReply("\n".join(lines + _item_lines(doc, sec.items, quotes, say)), quotes)


def _one_line(text: str) -> str:
    """Sentences a page wrapped, on one line of the reply (the citation keeps the page's lines)."""
    return re.sub(r"\s*\n\s*", " ", text)


def _item_lines(doc: Document, items: list, quotes: list[Quote], say: Voice) -> list[str]:
    """An outline's lines, indented by depth, each heading cited (its span added to ``quotes``)."""
    lines = []
    for item in items:
        quotes.append(Quote(doc.doc_id, item.start, item.end))
        lines.append(f"{'  ' * item.depth}- {doc.text[item.start:item.end]}{say.cite(len(quotes))}")
    return lines
