"""A document's outline: its opening sentences and its headings, nested as their numbering
nests them -- what "这份合同主要讲了什么？" is answered with (catalog.py).

Headings are the readers' Markdown ones (# Word's, a web page's, an e-book's, a sheet's name)
and lines that open with a section number: 第一章, 第三节, 第五条, 一、, （二）, 3. -- the
same numbering steps.py reads a list's items by. A numbered line is a heading when it is
short and no sentence ("1. Important safety instructions", "（三）雙11及年底旺季備戰"), or
when a title stands between its number and a wide gap ("第一条　物业基本情况　物业名称：…");
"1. 同意更换分拣机主控板，预算142万元。" is an item of a list, not a section.

Numbering nests as a reader sees it: a kind of number not yet open starts a level under the
current heading, one already open closes the levels under it (一、 … （一） … 1. … （二）: the
（二） is the （一）'s sibling). Shown: the top level, and the next one under it when both fit
in MAX_SHOWN lines (a contract's seven chapters, not their eighteen articles as well).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from .numerals import cn_number
from .records import Document, row_cells
from .zh import CJK_CHAR, fold, fold_each, sentence_spans

_CN = "一二三四五六七八九十百零〇两"
_KINDS: list[tuple[str, re.Pattern]] = [(k, re.compile(p)) for k, p in (
    ("md", r"^(#{1,6})\s+\S"),
    ("chapter", rf"^第[{_CN}\d]+[章篇编部](?:分)?"),
    ("section", rf"^第[{_CN}\d]+节"),
    ("article", rf"^第[{_CN}\d]+条"),
    ("cn", rf"^[{_CN}]+[、．.](?!\d)"),
    ("cn_paren", rf"^[（(][{_CN}]+[)）]"),
    ("arabic", r"^\d{1,2}[.．、](?!\d)\s*(?=\S)"),
    ("arabic_paren", r"^[（(]\d{1,2}[)）]"),
)]
_TERMINAL = tuple("。！？；.!?;")
# A gap that ends a heading's title inside a longer line: a full-width space, or two spaces.
_GAP = re.compile(r"\u3000+|\s{2,}")
# The most characters of a heading (Chinese; English text has twice as many): longer is a
# sentence that happens to be numbered.
_HEADING_MAX = 40
MAX_SHOWN = 20  # outline lines: more is a table of contents, not an answer
_LEAD_MAX = 160  # characters of opening sentences shown


@dataclass(frozen=True)
class Item:
    start: int  # the heading's span in the document's text
    end: int
    depth: int  # 0 for the top level shown
    kind: str = ""  # its number's kind ("chapter", "cn", "md2", …)
    number: int | None = None  # its number (三 of 三、), None for a Markdown heading


@dataclass(frozen=True)
class Sheet:
    """A sheet (or a CSV file's table): its name, its rows and its columns' labels, cited by
    its first row."""
    start: int
    end: int
    name: str
    rows: int
    columns: tuple[str, ...]


@dataclass
class Outline:
    lead: tuple[int, int] | None = None  # the opening sentences' span, when it has prose
    items: list[Item] = field(default_factory=list)
    sheets: list[Sheet] = field(default_factory=list)  # a workbook's: in place of headings and lead


def heading_kind(line: str) -> tuple[str, int | None] | None:
    """The kind of section number ``line`` opens with and the number ("cn", 3 for 三、;
    "md2", None for ## …), None for none. Read in simplified characters: a traditional
    document's 第八條 and 第三節 are an article and a section as 第八条 and 第三节 are."""
    stripped = fold_each(line.strip())
    for kind, pattern in _KINDS:
        if m := pattern.match(stripped):
            if kind == "md":
                return f"md{len(m.group(1))}", None
            digits = re.search(rf"[{_CN}]+|\d+", m.group())
            return kind, int(digits.group()) if digits.group().isdigit() else cn_number(digits.group())
    return None


def _heading_span(line: str, kind: str) -> tuple[int, int] | None:
    """The heading's span within ``line`` (see above), None for a numbered sentence."""
    a = len(line) - len(line.lstrip())
    b = len(line.rstrip())
    text = line[a:b]
    limit = _HEADING_MAX * (1 if CJK_CHAR.search(text) else 2)
    if kind.startswith("md"):  # (the heading's words, not its marks: "第一章 总则" of "## 第一章 总则")
        return (a + len(text) - len(text.lstrip("# ")), b) if len(text) <= 2 * limit else None
    if len(text) <= limit and not text.endswith(_TERMINAL):
        return a, b
    number = re.match(r"\S+?[、．.)）条章节]|\S+", text).end()
    for gap in _GAP.finditer(text, number):
        if len(text[number:gap.start()].strip()) >= 2:
            return (a, a + gap.start()) if gap.start() <= limit else None
    return None


def outline(doc: Document) -> Outline:
    if any(r.location.kind == "sheet" for r in doc.regions):
        return Outline(sheets=_sheets(doc))
    lead, headings = _read(doc)
    return Outline(lead, _shown(headings))


def _read(doc: Document) -> tuple[tuple[int, int] | None, list[Item]]:
    """The document's opening and all its headings, nested."""
    text, pos = doc.text, 0
    title = fold(doc.title).strip()
    slides = any(r.location.kind == "slide" for r in doc.regions)
    headings: list[tuple[int, int, str, int | None]] = []  # (start, end, kind, number)
    for line in text.split("\n"):
        kind, number = heading_kind(line) or ("", None)
        span = _heading_span(line, kind) if kind else None
        if span and not (kind == "md1" and not headings and _is_title(fold(line.lstrip("# ").strip()), title)):
            headings.append((pos + span[0], pos + span[1], kind, number))
        pos += len(line) + 1
    # (A slide's lines and notes open nothing.)
    return (None if slides else _first_lead(text, 0, len(text))), _nested(headings)


def _first_lead(text: str, a: int, b: int) -> tuple[int, int] | None:
    """The opening sentences of the first paragraph of prose in ``text[a:b]``: a paragraph
    starts after a blank line, a heading or a line that ends a sentence (a PDF's line that
    goes on with the one above starts none)."""
    starts = True
    for la, lb in _lines(text, a, b):
        line = text[la:lb].strip()
        if not line or _is_heading(line):
            starts = True
            continue
        if starts and (span := _lead(text, la, b)):
            return span
        # (A short line -- a title block's "User Manual — English" -- ends one too.)
        starts = _ends(line) or _short(line)
    return None


def _is_heading(line: str) -> bool:
    kind, _ = heading_kind(line) or ("", None)
    return bool(kind) and _heading_span(line, kind) is not None


@dataclass
class Section:
    heading: Item | None  # None for a page, which has no heading of its own
    body: tuple[int, int]  # from the heading's end to the next heading not under it
    items: list[Item]  # the headings under it, shown as an outline's
    lead: tuple[int, int] | None  # its opening sentences


_EN_NUMBERED = re.compile(r"^(?:chapter|part|section)\s+(\d+)\b", re.I)
# What a unit asked for is numbered by: 第三章 by a chapter's number, 第八条 by an article's;
# 第二部分, "part 2" or "section 2" by the top level's own number, else its place.
_UNIT_KIND = {"章": "chapter", "chapter": "chapter", "节": "section", "条": "article"}


def section(doc: Document, unit: str, n: int) -> Section | None:
    """Section ``n`` of ``doc`` by ``unit`` (章, 节, 条, 部分, "chapter", "part", …; a page
    or a slide by its number), None when it has none so numbered."""
    if unit in ("page", "slide"):
        return _place(doc, unit, n)
    _, headings = _read(doc)
    kind = _UNIT_KIND.get(unit.lower())
    numbered = [(i, _number_of(doc.text[i.start:i.end], i)) for i in headings]
    if kind:
        found = next((i for i, (k, num) in numbered if k == kind and num == n), None)
    else:
        depth = min((h.depth for h in headings), default=0)
        top = [(i, num) for i, (_, num) in numbered if i.depth == depth]
        found = next((i for i, num in top if num == n), top[n - 1][0] if 0 < n <= len(top) else None)
    if found is None:
        return None
    after = headings[headings.index(found) + 1:]
    end = next((doc.text.rfind("\n", 0, i.start) + 1 for i in after if i.depth <= found.depth), len(doc.text))
    under = [i for i in after if i.start < end]
    # (Its own opening: the text before the first heading under it -- a chapter of articles
    # has none; a sentence under its third article is no opening of the chapter.)
    opening_end = doc.text.rfind("\n", 0, under[0].start) + 1 if under else end
    return Section(found, (found.end, end), _shown(under), _first_lead(doc.text, found.end, opening_end))


def _place(doc: Document, unit: str, n: int) -> Section | None:
    """Slide ``n`` of a deck (its regions; its title line the heading), or page ``n`` of a
    paged document (a deck's page is its slide; a PDF's slide its page)."""
    deck = any(r.location.kind == "slide" for r in doc.regions)  # (a deck's page is its slide)
    slides = [r for r in doc.regions if r.location.kind == "slide" and r.location.number == n]
    if slides:
        a, b = min(r.start for r in slides), max(r.end for r in slides)
        first = doc.text[a:b].split("\n", 1)[0]
        heading = None
        if (numbered := heading_kind(first)) and (span := _heading_span(first, numbered[0])):
            heading, a = Item(a + span[0], a + span[1], 0), a + len(first)
        return Section(heading, (a, b), [], None)
    starts = dict(doc.pages)
    if n not in starts or deck:
        return None
    later = [start for number, start in doc.pages if number > n]
    end = min(later) if later else len(doc.text)
    _, headings = _read(doc)
    under = [i for i in headings if starts[n] <= i.start < end]
    return Section(None, (starts[n], end), _shown(under), _first_lead(doc.text, starts[n], end))


def _number_of(text: str, item: Item) -> tuple[str, int | None]:
    """A heading's kind and number, a Markdown one's read off its words (## 第三章 …, # Chapter 2)."""
    if not item.kind.startswith("md"):
        return item.kind, item.number
    if m := _EN_NUMBERED.match(text):
        return "chapter", int(m.group(1))
    return heading_kind(text) or ("", None)


def _lines(text: str, a: int, b: int):
    pos = a
    for line in text[a:b].split("\n"):
        yield pos, pos + len(line)
        pos += len(line) + 1


def _sheets(doc: Document) -> list[Sheet]:
    """Each sheet's rows and its columns' labels (the loaders write a row "label: value | …"),
    the sheets in the order the workbook has them."""
    out: dict[str, Sheet] = {}
    for region in doc.regions:
        loc = region.location
        if loc.kind != "sheet" or not loc.rows:
            continue
        rows = loc.rows[1] - loc.rows[0] + 1
        if (had := out.get(loc.name)) is not None:
            out[loc.name] = replace(had, rows=had.rows + rows)
            continue
        lines = [(la, lb) for la, lb in _lines(doc.text, region.start, region.end) if lb > la]
        if lines and doc.text.startswith("#", lines[0][0]):  # (the sheet's name above its rows)
            lines = lines[1:]
        a, b = lines[0] if lines else (region.start, region.start)
        line = doc.text[a:b]
        cells = row_cells(line) or []
        out[loc.name] = Sheet(a, b, loc.name, rows, tuple(label for label, _ in cells))
    return list(out.values())


def _is_title(heading: str, title: str) -> bool:
    """A first heading that is the document's title (a web page's title adds its site's
    name: "…惠及3.8万户居民_城建_江屿新闻网"), not a first section's ("部门预算" of a workbook
    titled 2025年部门预算与人员名册)."""
    return heading == title or (heading in title or title in heading) and min(len(heading), len(title)) >= 0.6 * max(
        len(heading), len(title))


def _nested(headings: list[tuple[int, int, str, int | None]]) -> list[Item]:
    items, open_kinds = [], []
    last: dict[str, int] = {}  # the number each kind of heading reached
    for start, end, kind, number in headings:
        if number is not None and number not in (1, last.get(kind, 0) + 1):
            # Out of turn: an item of a list under a heading numbered alike (a manual's
            # "1. Download the app" under "7. Connecting to the app"), not a section.
            continue
        if number is not None and kind in open_kinds and number != last.get(kind, 0) + 1:
            continue  # (a 1. restarting a kind already open is a list's, not a section's)
        if number is not None:
            last[kind] = number
        if kind in open_kinds:
            del open_kinds[open_kinds.index(kind) + 1:]
        elif kind.startswith("md") and any(k.startswith("md") for k in open_kinds):
            # (Markdown levels nest by their number: ### under ##, a ## closes a ###.)
            level = int(kind[2:])
            while open_kinds and open_kinds[-1].startswith("md") and int(open_kinds[-1][2:]) >= level:
                open_kinds.pop()
            open_kinds.append(kind)
        else:
            open_kinds.append(kind)
        items.append(Item(start, end, len(open_kinds) - 1, kind, number))
    return items


def _shown(items: list[Item]) -> list[Item]:
    if not items:
        return []
    top = min(i.depth for i in items)
    two = [replace(i, depth=i.depth - top) for i in items if i.depth <= top + 1]
    return two if len(two) <= MAX_SHOWN else [i for i in two if i.depth == 0][:MAX_SHOWN]


def _lead(text: str, a: int, b: int) -> tuple[int, int] | None:
    """The opening sentences of the paragraph from ``a`` (to a blank line, a heading or ``b``)
    when it is prose: its first sentence long enough and ended, not a table row nor a
    "label：value" line (合同编号：…, a quoted "> 出发地：…")."""
    end = a
    for la, lb in _lines(text, a, b):
        if not text[la:lb].strip() or (la > a and _is_heading(text[la:lb])):
            break
        end = lb
    spans = sentence_spans(text, a, end)  # (a line's end ends a span: a wrapped sentence is several)
    first = text[a:end].split("\n", 1)[0]
    line = re.sub(r"^[>*\-\s]+", "", first).rstrip()  # (a quote's or a list's marks open no prose)
    size = len(line) if CJK_CHAR.search(line) else len(line) // 2
    if size < 15 or "|" in line or re.match(r"^[^，,。\s]{1,20}[：:]", line):
        return None
    start, ended = spans[0][0] if spans else a, []
    for i, (s, e) in enumerate(spans):
        if _ends(text[s:e]):
            ended.append(e)
        elif not ended and i + 1 < len(spans) and _short(text[s:e]):
            start = spans[i + 1][0]  # (a title block's short line before the first sentence opens nothing)
    if not ended:
        return None
    stop = ended[0]
    for e in ended[1:]:  # (whole sentences, as many as fit)
        if e - start > _LEAD_MAX:
            break
        stop = e
    return start, stop


def _short(line: str) -> bool:
    return len(line.strip()) < (20 if CJK_CHAR.search(line) else 40)


def _ends(sentence: str) -> bool:
    return sentence.rstrip().rstrip("”’」』）)\"'").endswith(_TERMINAL)
