""".docx (python-docx): paragraphs and tables in document order.

Heading styles (Title, Heading 1..n, or 标题 n in Chinese templates) become ``#`` lines
(Title ``#``, Heading 1 ``##``, ...), so the chunker's heading path follows the outline. A table becomes markdown-style
rows ``| a | b |``, header row first, one line per table row, and a region "table n" whose
line i is row i+1: the chunker never splits a row and repeats the header row for a chunk
that continues a table. A horizontally merged cell is written once (the columns stay
aligned with the header); a vertically merged one is repeated in each of its rows, so every
row reads on its own. Page headers and footers are left out (they repeat on every page).
"""
from __future__ import annotations

import io
import re
from pathlib import Path

from ..load import tidy
from ..records import Location
from . import Extracted, Limits, TextBuilder, one_line, table_row

_HEADING_STYLE = re.compile(r"(?:heading|标题)\s*(\d)", re.I)


def _heading_level(paragraph) -> int:
    name = (paragraph.style.name if paragraph.style is not None else "") or ""
    if name.lower() == "title":
        return 1
    m = _HEADING_STYLE.fullmatch(name.strip())
    return int(m.group(1)) + 1 if m else 0  # under the Title, when there is one


def _rows(table) -> list[list[str]]:
    out = []
    for row in table.rows:
        cells, values, prev = list(row.cells), [], None
        for cell in cells:
            values.append("" if prev is not None and cell._tc is prev else cell.text)
            prev = cell._tc
        out.append(values)
    return out


def parse(data: bytes, path: Path, limits: Limits) -> Extracted:
    import docx
    from docx.table import Table

    document = docx.Document(io.BytesIO(data))
    out = TextBuilder()
    n_tables = 0
    first_title = ""
    last_was_text = False
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            rows = _rows(block)
            if not any(any(v.strip() for v in r) for r in rows):
                continue
            n_tables += 1
            out.add("\n".join(table_row(r) for r in rows), location=Location("table", n_tables, rows=(1, len(rows))))
            last_was_text = False
            continue
        text = tidy(block.text)
        if not text:
            continue
        level = _heading_level(block)
        if level:
            out.heading(level, text)
            first_title = first_title or one_line(text)
            last_was_text = False
        else:
            out.add(text, sep="\n" if last_was_text else "\n\n")
            last_was_text = True
    title = one_line(document.core_properties.title) or first_title
    return Extracted(out.text(), out.regions, title=title, meta={"encoding": "docx"})
