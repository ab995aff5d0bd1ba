"""A PDF page's tables as rows.

A PDF's text layer gives a table as the page set it: a header cell broken over two lines
("上市" / "时间"), each row its cells joined by spaces ("LT-560 Pro 2024年4月 2899 …"), nothing
that says where a cell ends. Read that way, a row is a sentence of numbers, and no question
over a column can be answered from the rows. A table is found instead by the lines drawn
between its cells (a Word table or a web page's printed; pdfplumber reads the page's rules
and the characters between them), or, printed without lines (a price list, a budget ruled
only above and below), by its cells standing in the same columns line after line with a
column of figures among them. Either is written as the other formats write tables,
``| a | b |`` rows, header first, and the rest of its page is read around it in reading
order (pdfplumber's lines). Pages without a table keep their text layer as pypdf read it.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from ..records import Location, Region
from ..zh import WIDE_CJK
from . import table_row

# A page drawing fewer paths than this holds no ruled table (a header and a row of two cells
# take more lines): it is not given to pdfplumber, whose parse of a page costs ~0.08 s
# (measured on the trial PDFs) where counting its paths with PDFium costs ~0.003 s.
_MIN_PATHS = 4
# A table is a header and at least one row, of two columns at least; a ruled box of one
# cell or one line is a note or a form field, read as text.
_MIN_ROWS, _MIN_COLUMNS = 2, 2
# A table ending in the page's last quarter and one starting in the next page's first,
# with as many columns, is one table the page break cut (the second part without a header
# unless the printer repeated it).
_EDGE = 0.25

_WIDE = re.compile(f"[{WIDE_CJK}]")
# A table's rows as written (two lines at least, each ``| … |``), at the start of a line.
_RUN = re.compile(r"^\|[^\n]*\|[ \t]*(?:\n\|[^\n]*\|[ \t]*)+$", re.M)
_DIGIT = re.compile(r"\d")
_BARE = re.compile(r"[\d.,]+")
_LEADING_NUMBER = re.compile(r"\s*(?:[A-Za-z]{0,3}[$¥€£￥]\s*)?[-+−]?\d")  # 412.6, £40k, -2% (not H1, Q3)
# A table printed without lines: this many lines at least (a header and two rows), cells of
# at most this many characters (a longer one is prose in a column of a two-column page).
_MIN_ALIGNED, _MAX_CELL = 3, 40
_PROSE = 20  # characters: a piece of a line this long, beside another, is a column of prose
_FIGURE_CELL = 15  # characters: a figure with its unit or note (2025年9月（已完工）is 13)
# A page whose text layer has so many lines holding a figure and a space is read for tables
# printed without lines (pdfplumber's parse is paid only for those, as for ruled pages).
_ALIGNED_HINT = re.compile(r"^(?=[^\n]*\d)[^\n]*\S \S[^\n]*$", re.M)
# pdfminer's name for a glyph the font maps to no character (a symbol such as ⎓ in "12V⎓1.5A")
_UNMAPPED = re.compile(r"\(cid:\d+\)")
# A Chinese full stop or comma sits at the left of its square: the gap after it reads as a
# space between words (pdfplumber's), where the text has none.
_AFTER_STOP = re.compile(f"(?<=[。，、；：！？）」』”》]) (?=[{WIDE_CJK}])")


def _as_written(text: str) -> str:
    return _AFTER_STOP.sub("", _UNMAPPED.sub("", text))


@dataclass
class Table:
    """One table of a page: where it stands and its rows' cells (merged cells filled)."""

    top: float
    bottom: float
    columns: list[float]  # where each column starts (x, in points)
    rows: list[list[str]]


def cell_text(text: str | None) -> str:
    """A cell's printed lines as one: joined without a space where either side is Chinese
    (the cell's width broke the line, not a space) or a word was hyphenated at the edge,
    with a space between English words."""
    lines = [x.strip() for x in _as_written(text or "").split("\n") if x.strip()]
    out = lines[0] if lines else ""
    for line in lines[1:]:
        tight = _WIDE.match(line) or _WIDE.match(out[-1]) or (out.endswith("-") and out[-2:-1].isalpha())
        out += line if tight else " " + line
    return out


def page_tables(path: Path, pages: list[tuple[int, str]]) -> dict[int, str]:
    """The text of each page of ``pages`` (number, its text layer) that holds a table: its
    lines outside the tables, and each table as ``| a | b |`` rows where it stands (its top
    among the lines' tops). Pages without one are not in the result: their text layer stands
    as it was read."""
    import pdfplumber
    import pypdfium2 as pdfium

    # (pdfminer warns of every font without a bounding box, a Chromium-printed PDF's CJK
    # fonts among them: noise on the console of `rag index`, nothing the user can act on.)
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    doc = pdfium.PdfDocument(str(path))
    try:
        ruled = {n for n, text in pages if text.strip() and _paths(doc[n - 1]) >= _MIN_PATHS}
    finally:
        doc.close()
    aligned = {n for n, text in pages if len(_ALIGNED_HINT.findall(text)) >= _MIN_ALIGNED}
    out: dict[int, str] = {}
    if not ruled | aligned:
        return out
    previous: tuple[int, Table, float] | None = None  # the last table read: page, table, page height
    with pdfplumber.open(str(path)) as pdf:
        for n in sorted(ruled | aligned):
            page = pdf.pages[n - 1]
            read = [(f, _read(f)) for f in sorted(page.find_tables(), key=lambda t: t.bbox[1])] if n in ruled else []
            read = [(f, t) for f, t in read if t is not None]
            if read and previous is not None and previous[0] == n - 1:
                _continue(read[0][1], previous[1], previous[2], page.height)
            kept = [(f, t) for f, t in read if len(t.rows) >= _MIN_ROWS]  # (after the header a break left)
            rest = page
            for f, _ in kept:
                rest = rest.outside_bbox(f.bbox)
            lines = rest.extract_text_lines(return_chars=True)
            if _in_columns(lines):
                continue  # (its lines would read across the columns: the text layer's order stands)
            found, used = _aligned(lines) if n in aligned else ([], set())
            tables = sorted([t for _, t in kept] + found, key=lambda t: t.top)
            if not tables:
                continue
            parts = [(line["top"], _as_written(line["text"])) for j, line in enumerate(lines) if j not in used]
            # (A table stands apart from the lines around it, and from a table right below
            # it: a blank line before and after, so each is a run of rows of its own.)
            parts += [(t.top, "\n" + "\n".join(table_row(r) for r in t.rows) + "\n") for t in tables]
            page_text = "\n".join(text for _, text in sorted(parts, key=lambda p: p[0]))
            out[n] = re.sub(r"\n{3,}", "\n\n", page_text).strip("\n")
            previous = (n, tables[-1], page.height)
    return out


def _aligned(lines: list[dict]) -> tuple[list[Table], set[int]]:
    """Tables printed without lines between their cells, found in a page's text lines:
    three lines at least, one after another, each of two pieces or more set apart by a gap
    of a character's width, whose pieces stand in the same columns (no piece of one line
    spans two of another's), cells short, and a column after the first holding a figure in
    most rows (a short cell with a digit). Two columns of prose, a list of names, a contents
    page fail one of these. Returns the tables and the indexes of the lines they took."""
    pieces = [_pieces(line) for line in lines]
    tables, used = [], set()
    j = 0
    while j < len(lines):
        k = j
        while (k < len(lines) and len(pieces[k]) >= 2
               and (k == j or lines[k]["top"] - lines[k - 1]["bottom"] < 2 * _size(lines[k]))):
            k += 1
        table = _columns(pieces[j:k], lines[j]["top"], lines[k - 1]["bottom"]) if k - j >= _MIN_ALIGNED else None
        if table is not None:
            tables.append(table)
            used.update(range(j, k))
        j = max(k, j + 1)
    return tables, used


def _in_columns(lines: list[dict]) -> bool:
    """Is the page set in two columns (a paper, a newsletter)? Its text lines, read across
    the page, hold two pieces of prose side by side: three lines or more with two pieces of
    ``_PROSE`` characters each."""
    return sum(sum(len(t) >= _PROSE for _, _, t in _pieces(line)) >= 2 for line in lines) >= 3


def _pieces(line: dict) -> list[tuple[float, float, str]]:
    """A text line's pieces (x0, x1, text): its characters split where a gap is a character
    wide or more (a space between words is about a third of one)."""
    out: list[tuple[float, float, str]] = []
    chars = [c for c in line.get("chars", []) if c["text"].strip()]
    for c in chars:
        if out and c["x0"] - out[-1][1] < c["size"]:
            x0, x1, text = out[-1]
            gap = " " if c["x0"] - x1 > 0.15 * c["size"] else ""
            out[-1] = (x0, c["x1"], text + gap + c["text"])
        else:
            out.append((c["x0"], c["x1"], c["text"]))
    return [(x0, x1, _as_written(text)) for x0, x1, text in out]


def _columns(block: list[list[tuple[float, float, str]]], top: float, bottom: float) -> Table | None:
    spans: list[list[float]] = []
    for x0, x1, _ in sorted(p for line in block for p in line):
        if spans and x0 <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], x1)
        else:
            spans.append([x0, x1])
    if len(spans) < _MIN_COLUMNS:
        return None
    rows = []
    for line in block:
        row = [""] * len(spans)
        for x0, _, text in line:
            c = next(i for i, (a, b) in enumerate(spans) if a <= x0 <= b)
            if row[c]:
                return None  # two pieces of a line in one column: a piece of another line spans them
            row[c] = text
        rows.append(row)
    rows, columns = _joined(rows, [a for a, _ in spans])
    body = rows[1:]
    if len(columns) < _MIN_COLUMNS or any(len(cell) > _MAX_CELL for row in rows for cell in row):
        return None
    if not any(sum(_figure(r[c]) for r in body) >= 0.8 * len(body) and not _BARE.fullmatch(rows[0][c])
               for c in range(1, len(columns))):
        return None  # (a bare number atop the figures is a row, not a header: a contents page)
    return Table(top, bottom, columns, rows)


def _figure(cell: str) -> bool:
    """A figure's cell (1,280, 32课时, $2,380, +8.6%), not a line of prose that holds a number."""
    return len(cell) <= _FIGURE_CELL and bool(_DIGIT.search(cell))


def _size(line: dict) -> float:
    chars = line.get("chars") or [{"size": 10.0}]
    return max(c["size"] for c in chars)


def _continue(table: Table, last: Table, last_height: float, height: float) -> None:
    """Give ``table`` the header of ``last`` (the previous page's last table) when it is
    that table's rest: ``last`` ends in its page's last quarter, ``table`` starts in this
    page's first, with the same columns where they stood, and its first row is not a
    header of its own (the printer's repeated header is the same row; a new table's header
    names a column where ``last``'s rows hold figures)."""
    if not (last.bottom > (1 - _EDGE) * last_height and table.top < _EDGE * height):
        return
    if len(table.columns) != len(last.columns) or any(abs(a - b) > 3 for a, b in zip(table.columns, last.columns)):
        return
    first, header, body = table.rows[0], last.rows[0], last.rows[1:]
    if first == header:
        return
    digits = [sum(bool(_DIGIT.search(r[c])) for r in body) for c in range(len(header))]
    if any(not _DIGIT.search(cell) and 2 * n >= len(body) > 0 for cell, n in zip(first, digits)):
        return  # a header of its own
    table.rows.insert(0, header)


def _paths(page) -> int:
    import pypdfium2.raw as pdfium_c

    return sum(1 for _ in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=3))


def _read(found) -> Table | None:
    """A pdfplumber table as rows; None for a ruled box of one column. A cell merged
    over the rows below it is read in each of them (a date spanning its outages, a group
    name spanning its items); a cell merged across columns is read once."""
    grid = found.extract()
    boxes = [row.cells for row in found.rows]
    rows: list[list[str]] = []
    for r, cells in enumerate(grid):
        row = []
        for c, cell in enumerate(cells):
            if cell is None and r and boxes[r][c] is None and _spans_down(boxes, r, c):
                row.append(rows[-1][c])
            else:
                row.append(cell_text(cell))
        if any(row):
            rows.append(row)
    if not rows:
        return None
    rows = _one_header(rows)
    rows, columns = _joined(rows, [c.bbox[0] for c in found.columns])
    return Table(found.bbox[1], found.bbox[3], columns, rows) if len(columns) >= _MIN_COLUMNS else None


def _one_header(rows: list[list[str]]) -> list[list[str]]:
    """A header of two rows as one: a cell merged across the columns below it ("2025年" over
    上半年 | 下半年) names each of them with its own ("2025年上半年"), so every column has a
    label of its own. Only when the first row leaves a cell blank (its merged cell's), and
    the second is no row of the table's things: no figure, and no name of its own in the
    first column (blank, or the first row's merged down)."""
    if len(rows) < 3 or all(rows[0][1:]) or any(_LEADING_NUMBER.match(c) for c in rows[1]) \
            or rows[1][0] not in ("", rows[0][0]):
        return rows
    top, above = [], ""
    for cell in rows[0]:
        above = cell or above
        top.append(above)
    header = [a if not b or b == a else cell_text(f"{a}\n{b}") if a else b for a, b in zip(top, rows[1])]
    return [header] + rows[2:]


def _joined(rows: list[list[str]], columns: list[float]) -> tuple[list[list[str]], list[float]]:
    """Two neighbouring columns that no row fills both of, the header row neither, as one:
    a header cell over the left, the figures set to the right (or a stray rule between
    them). A yes/no pair of columns is kept: its header names both."""
    c = 1
    while c < len(columns):
        if all(not (r[c - 1] and r[c]) for r in rows):
            rows = [r[:c - 1] + [r[c - 1] or r[c]] + r[c + 1:] for r in rows]
            columns = columns[:c] + columns[c + 1:]
        else:
            c += 1
    return rows, columns


def _spans_down(boxes: list[list], r: int, c: int) -> bool:
    """Is row ``r``'s column ``c`` covered by a cell that starts in a row above it?"""
    for above in range(r - 1, -1, -1):
        box = boxes[above][c]
        if box is not None:
            row_top = next((b[1] for b in boxes[r] if b is not None), None)
            return row_top is not None and box[3] > row_top + 1
    return False


def page_regions(text: str, pages: list[tuple[int, int]]) -> list[Region]:
    """The regions of a paged text whose pages hold tables: each page's text a page region,
    but each run of its ``| a | b |`` rows a region of rows of that page (numbered from the
    header's), so a citation says "p. 3, row 4" and the rows are read by their header as a
    Word table's are. No regions when no page holds a table (the pages stand as regions)."""
    ends = [start - 2 for _, start in pages[1:]] + [len(text)]
    out: list[Region] = []
    for (number, start), end in zip(pages, ends):
        pos = start
        for m in _RUN.finditer(text, start, max(start, end)):
            a, b = m.start(), m.end()
            if a > pos:
                out.append(Region(pos, a, Location("page", number)))
            out.append(Region(a, b, Location("page", number, rows=(1, m.group().count("\n") + 1))))
            pos = b
        if end > pos:
            out.append(Region(pos, end, Location("page", number)))
    return out if any(r.location.rows for r in out) else []
