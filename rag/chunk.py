"""Chunk stage: sentence-aware packing with exact offsets.

Sentences (``zh.sentence_spans``: Chinese 。！？；… and ASCII .!?; plus line breaks) are
packed into chunks of at most ``size`` characters, with up to ``overlap`` characters of
whole trailing sentences repeated at the start of the next chunk. A sentence is cut only
when it alone is longer than ``size``, first at clause marks (，、：), and never inside a
number such as 41.44万.

Table rows (markdown ``| a | b |`` lines, the rows of a Word table) and sheet rows are
records: one unit each, never split, even when longer than ``size``. A chunk that continues
a markdown table carries the table's header row in ``chunk.context`` (not in its text).
A new slide, chapter or sheet starts a new chunk, and every chunk gets the location of the
span it covers (``Document.locator``: page, sheet rows, slide, chapter, table rows).
Every chunk satisfies ``chunk.text == doc.text[chunk.start:chunk.end]``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .records import TABLE_ROW, Chunk, Document
from .zh import sentence_spans, trim_span

_CLAUSE_END = re.compile(r"[，,、：:]")
_HEADING = re.compile(r"#{1,6}\s+(.*)")
# Characters that belong to a number token: cutting between two of them splits the number.
_NUMERIC = re.compile(r"[\d.,%％万亿千百十]")
UNIT_KINDS = ("slide", "chapter", "sheet", "attachment", "quoted", "message")  # each one starts a new chunk


@dataclass
class _Unit:
    start: int
    end: int
    heading: int = 0  # markdown heading level, 0 for ordinary text
    header: int = -1  # for a markdown table row: where its table's header row starts

    @property
    def size(self) -> int:
        return self.end - self.start


def _safe_cut(text: str, cut: int, lo: int) -> int:
    """Move a hard cut left until it does not fall inside a number."""
    c = cut
    while c > lo + 1 and _NUMERIC.match(text[c - 1]) and _NUMERIC.match(text[c]):
        c -= 1
    return c if c > lo + 1 else cut


def _split_long(text: str, a: int, b: int, size: int) -> list[_Unit]:
    """A sentence longer than ``size``: pack its clauses; hard-cut only oversize clauses."""
    pieces, pos = [], a
    for m in _CLAUSE_END.finditer(text, a, b):
        pieces.append((pos, m.end()))
        pos = m.end()
    pieces.append((pos, b))
    out: list[_Unit] = []
    cur_a = cur_b = None
    for pa, pb in pieces:
        while pb - pa > size:  # one clause alone is too long
            if cur_a is not None:
                out.append(_Unit(cur_a, cur_b))
                cur_a = None
            cut = _safe_cut(text, pa + size, pa)
            out.append(_Unit(pa, cut))
            pa = cut
        if cur_a is None:
            cur_a, cur_b = pa, pb
        elif pb - cur_a <= size:
            cur_b = pb
        else:
            out.append(_Unit(cur_a, cur_b))
            cur_a, cur_b = pa, pb
    if cur_a is not None and cur_b > cur_a:
        out.append(_Unit(cur_a, cur_b))
    trimmed = (trim_span(text, u.start, u.end) for u in out)
    return [_Unit(x, y) for x, y in trimmed if y > x]


def _records(doc: Document) -> list[_Unit]:
    """The lines that are never split: markdown table rows (with their table's header
    offset) and the lines of sheet and table regions."""
    text = doc.text
    found: dict[int, _Unit] = {}
    prev_end, header = -2, -1
    for m in TABLE_ROW.finditer(text):
        a, b = trim_span(text, m.start(), m.end())
        if m.start() != prev_end + 1:  # not on the line after the previous row: a new table
            header = a
        found[a] = _Unit(a, b, header=header)
        prev_end = m.end()
    for r in doc.all_regions():
        if r.location.holds_rows:
            pos = r.start
            while pos < r.end:
                nl = text.find("\n", pos, r.end)
                a, b = trim_span(text, pos, r.end if nl < 0 else nl)
                if b > a and a not in found:
                    found[a] = _Unit(a, b)
                pos = r.end if nl < 0 else nl + 1
    return sorted(found.values(), key=lambda u: u.start)


def _units(text: str, size: int, records: list[_Unit]) -> list[_Unit]:
    units: list[_Unit] = []
    pos = 0
    for rec in records + [_Unit(len(text), len(text))]:
        units.extend(_prose(text, pos, rec.start, size))
        if rec.size:
            units.append(rec)
        pos = rec.end
    return units


def _prose(text: str, start: int, end: int, size: int) -> list[_Unit]:
    units: list[_Unit] = []
    for a, b in sentence_spans(text, start, end):
        m = _HEADING.fullmatch(text[a:b])
        if m and "\n" not in text[a:b]:
            units.append(_Unit(a, b, heading=len(text[a:b]) - len(text[a:b].lstrip("#"))))
        elif b - a > size:
            units.extend(_split_long(text, a, b, size))
        else:
            units.append(_Unit(a, b))
    return units


def chunk_document(doc: Document, size: int = 300, overlap: int = 60) -> list[Chunk]:
    text = doc.text
    chunks: list[Chunk] = []
    headings: list[tuple[int, str, int]] = []  # (level, title, offset) path at the current position
    cur: list[_Unit] = []
    cur_headings: list[str] = []
    locate = doc.locator()
    starts = _unit_starts(doc)

    def flush(keep_overlap: bool) -> None:
        nonlocal cur, cur_headings
        if not cur:
            return
        a, b = cur[0].start, cur[-1].end
        chunks.append(Chunk(doc_id=doc.doc_id, chunk_id=len(chunks), text=text[a:b], start=a,
                            end=b, title=doc.title, headings=list(cur_headings),
                            page=doc.page_at(a), location=locate(a, b), context=_context(text, cur)))
        carry: list[_Unit] = []
        if keep_overlap and overlap > 0:
            total = 0
            for u in reversed(cur[1:]):  # never carry the whole chunk over
                if u.heading or total + u.size > overlap:
                    break
                carry.insert(0, u)
                total += u.size
        cur = carry
        cur_headings = [t for _, t, _ in headings]

    for u in _units(text, size, _records(doc)):
        if starts and u.start >= starts[0][0]:
            # A new slide, chapter or sheet: headings met since the previous one ended
            # (a sheet's name) belong to the new one; anything else is flushed, and the
            # previous one's headings leave the path (a slide without a title has none).
            prev_end = starts.pop(0)[1]
            while starts and u.start >= starts[0][0]:
                prev_end = starts.pop(0)[1]
            if cur and not (all(x.heading for x in cur) and cur[0].start >= prev_end):
                flush(keep_overlap=False)
                cur = []
            headings = [h for h in headings if h[2] >= prev_end]
            cur_headings = [t for _, t, _ in headings]
        if u.heading:
            # A heading starts a new chunk; consecutive headings stay together with the
            # text that follows them instead of becoming a chunk of their own.
            if not all(x.heading for x in cur):
                flush(keep_overlap=False)
                cur = []
            title = _HEADING.fullmatch(text[u.start:u.end]).group(1).strip()
            headings = [h for h in headings if h[0] < u.heading] + [(u.heading, title, u.start)]
            cur_headings = [t for _, t, _ in headings]
            cur.append(u)
            continue
        if cur and u.end - cur[0].start > size:
            only_headings = all(x.heading for x in cur)
            if not only_headings:
                flush(keep_overlap=True)
                # the carried overlap must still leave room for this unit
                while cur and u.end - cur[0].start > size:
                    cur.pop(0)
        if not cur:
            cur_headings = [t for _, t, _ in headings]
        cur.append(u)
    flush(keep_overlap=False)
    return chunks


def _unit_starts(doc: Document) -> list[tuple[int, int]]:
    """(start, end of the region before it) of every slide, chapter and sheet: where a
    new chunk must begin."""
    out, prev, prev_end = [], None, 0
    for r in doc.all_regions():
        key = (r.location.kind, r.location.number, r.location.name)
        if r.location.kind in UNIT_KINDS and key != prev:
            out.append((r.start, prev_end))
        prev, prev_end = key, r.end
    return out


def _context(text: str, cur: list[_Unit]) -> str:
    """The header row of the table the chunk continues, when the chunk does not hold it."""
    row = next((u for u in cur if u.header >= 0), None)
    if row is None or row.header >= cur[0].start:
        return ""
    end = text.find("\n", row.header)
    return text[row.header:end if end >= 0 else len(text)].strip()


# What each index is given for a chunk (its lexical and embedding text; a change here
# changes what an index holds: prepare.LEXICAL / the embedder recipe say so).

def lexical_text(chunk: Chunk) -> str:
    """What BM25 sees: the document title (when it is more than a file name) and the
    heading path count as words of every chunk; titles are strong topic words. So does the
    header row of a table the chunk continues (``chunk.context``)."""
    parts = (chunk.context_title, " ".join(chunk.headings), chunk.context, chunk.text)
    return "\n".join(x for x in parts if x)


def embed_text(chunk: Chunk) -> str:
    """What the embedder sees for a chunk: its text, led by the section heading path when
    there is one, so a passage under '## Qinghe' is found for questions about Qinghe, and
    by the header row of a table it continues."""
    if chunk.headings:
        return " / ".join(chunk.headings) + "\n" + chunk.with_context
    return chunk.with_context
