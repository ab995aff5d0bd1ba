"""A PDF page's ruled tables as rows.

A PDF's text layer gives a table as the page set it: a header cell broken over two lines
("上市" / "时间"), each row its cells joined by spaces ("LT-560 Pro 2024年4月 2899 …"), nothing
that says where a cell ends. Read that way, a row is a sentence of numbers, and no question
over a column can be answered from the rows. A table printed with lines between its cells
(a Word table or a web page's, a report's figures) is found by those lines instead
(pdfplumber: the page's drawn rules and the characters between them) and written as the
other formats write tables, ``| a | b |`` rows, header first; the page's other text is read
around it in reading order. A table printed without lines stays as the text layer gives it:
aligned columns alone are as often a list or a layout (nothing is guessed).
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
# pdfminer's name for a glyph the font maps to no character (a symbol such as ⎓ in "12V⎓1.5A")
_UNMAPPED = re.compile(r"\(cid:\d+\)")


@dataclass
class Table:
    """One ruled table of a page: where it stands and its rows' cells (merged cells filled)."""

    top: float
    bottom: float
    columns: list[float]  # where each column starts (x, in points)
    rows: list[list[str]]


def cell_text(text: str | None) -> str:
    """A cell's printed lines as one: joined without a space where either side is Chinese
    (the cell's width broke the line, not a space) or a word was hyphenated at the edge,
    with a space between English words."""
    lines = [x.strip() for x in _UNMAPPED.sub("", text or "").split("\n") if x.strip()]
    out = lines[0] if lines else ""
    for line in lines[1:]:
        tight = _WIDE.match(line) or _WIDE.match(out[-1]) or (out.endswith("-") and out[-2:-1].isalpha())
        out += line if tight else " " + line
    return out


def ruled_pages(path: Path, numbers: set[int]) -> dict[int, str]:
    """The text of each page (1-based numbers among ``numbers``) that holds a ruled table:
    its lines outside the tables, and each table as ``| a | b |`` rows where it stands (its
    top among the lines' tops). Pages without one are not in the result: their text layer
    stands as it was read."""
    import pdfplumber
    import pypdfium2 as pdfium

    # (pdfminer warns of every font without a bounding box, a Chromium-printed PDF's CJK
    # fonts among them: noise on the console of `rag index`, nothing the user can act on.)
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    doc = pdfium.PdfDocument(str(path))
    try:
        ruled = [i for i in range(len(doc)) if i + 1 in numbers and _paths(doc[i]) >= _MIN_PATHS]
    finally:
        doc.close()
    out: dict[int, str] = {}
    if not ruled:
        return out
    previous: tuple[int, Table, float] | None = None  # the last table read: page, table, page height
    with pdfplumber.open(str(path)) as pdf:
        for i in ruled:
            page = pdf.pages[i]
            read = [(f, _read(f)) for f in sorted(page.find_tables(), key=lambda t: t.bbox[1])]
            read = [(f, t) for f, t in read if t is not None]
            if read and previous is not None and previous[0] == i:
                _continue(read[0][1], previous[1], previous[2], page.height)
            tables = [t for _, t in read if len(t.rows) >= _MIN_ROWS]
            if not tables:
                continue
            rest = page
            for f, t in read:
                if len(t.rows) >= _MIN_ROWS:
                    rest = rest.outside_bbox(f.bbox)
            parts = [(line["top"], _UNMAPPED.sub("", line["text"])) for line in rest.extract_text_lines()]
            # (A table stands apart from the lines around it, and from a table right below
            # it: a blank line before and after, so each is a run of rows of its own.)
            parts += [(t.top, "\n" + "\n".join(table_row(r) for r in t.rows) + "\n") for t in tables]
            page_text = "\n".join(text for _, text in sorted(parts, key=lambda p: p[0]))
            out[i + 1] = re.sub(r"\n{3,}", "\n\n", page_text).strip("\n")
            previous = (i + 1, tables[-1], page.height)
    return out


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
    if not rows or len(rows[0]) < _MIN_COLUMNS:
        return None
    return Table(found.bbox[1], found.bbox[3], [c.bbox[0] for c in found.columns], rows)


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
