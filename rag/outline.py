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
from .zh import CJK_CHAR, fold, sentence_spans

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
    "md2", None for ## …), None for none."""
    stripped = line.strip()
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
    kinds = {r.location.kind for r in doc.regions}
    if "sheet" in kinds:
        return Outline(sheets=_sheets(doc))
    text, pos = doc.text, 0
    title = fold(doc.title).strip()
    headings: list[tuple[int, int, str, int | None]] = []  # (start, end, kind, number)
    lead: tuple[int, int] | None = None
    for line in text.split("\n"):
        kind, number = heading_kind(line) or ("", None)
        span = _heading_span(line, kind) if kind else None
        if span and not (kind == "md1" and not headings and _is_title(fold(line.lstrip("# ").strip()), title)):
            headings.append((pos + span[0], pos + span[1], kind, number))
        elif lead is None and not kind and "slide" not in kinds:  # (a slide's lines and notes open nothing)
            lead = _lead(text, pos, pos + len(line))
        pos += len(line) + 1
    return Outline(lead, _shown(_nested(headings)))


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
        first = doc.text[region.start:region.end].lstrip("\n")
        a = region.start + doc.text[region.start:region.end].index(first[:1]) if first else region.start
        line = doc.text[a:doc.text.find("\n", a) if "\n" in doc.text[a:region.end] else region.end]
        if line.startswith("#"):  # (the sheet's name above its rows)
            a += len(line) + 1
            line = doc.text[a:doc.text.find("\n", a) if "\n" in doc.text[a:region.end] else region.end]
        cells = row_cells(line) or []
        out[loc.name] = Sheet(a, a + len(line), loc.name, rows, tuple(label for label, _ in cells))
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
        items.append(Item(start, end, len(open_kinds) - 1))
    return items


def _shown(items: list[Item]) -> list[Item]:
    if not items:
        return []
    top = min(i.depth for i in items)
    two = [Item(i.start, i.end, i.depth - top) for i in items if i.depth <= top + 1]
    return two if len(two) <= MAX_SHOWN else [i for i in two if i.depth == 0][:MAX_SHOWN]


def _lead(text: str, a: int, b: int) -> tuple[int, int] | None:
    """The opening sentences of the paragraph ``text[a:b]`` when it is prose: long enough,
    ending with a sentence's end, not a table row nor a "label：value" line (合同编号：…, a
    quoted "> 出发地：…")."""
    line = re.sub(r"^[>*\-\s]+", "", text[a:b]).rstrip()  # (a quote's or a list's marks open no prose)
    size = len(line) if CJK_CHAR.search(line) else len(line) // 2
    if (size < 15 or "|" in line or not line.rstrip("”’」』）)\"'").endswith(_TERMINAL)
            or re.match(r"^[^，,。\s]{1,20}[：:]", line)):
        return None
    spans = sentence_spans(text, a, b)
    start, end = spans[0]
    for s, e in spans[1:]:
        if e - start > _LEAD_MAX:
            break
        end = e
    return start, end
