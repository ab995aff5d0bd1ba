"""OpenDocument files (.odt .ods .odp, and their flat one-file XML .fodt .fods .fodp): what
LibreOffice and WPS write, and what Taiwan's government keeps its files in (ODF by rule since
2016). lxml reads the XML; no other library.

The document's body says what it is -- text, spreadsheet or presentation -- whatever its
suffix, and each is written as its Office counterpart is (docx.py, sheets.py, slides.py), so
a file saved as .odt and as .docx reads the same (tests/test_odf.py compares them):
- text (odt.py): headings, paragraphs, numbered list items with their shown numbers, tables
  as rows, notes after their paragraph, the header and footer once. Tracked deletions,
  comments and tables of contents are not the document's text and are left out.
- spreadsheet: each sheet's rows through sheets.py (header row, rows of a title above it,
  notes), read as the XML streams in (a sheet of 100,000 rows is never held whole), cells
  repeated by LibreOffice's run-length counts expanded, a sheet's trailing empty million rows
  skipped without expanding them.
- presentation: each slide's title, its frames' text, tables as rows and speaker notes.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from ..errors import DocumentError
from ..load import tidy
from . import Extracted, Limits, TextBuilder, one_line, table_row
from .odfxml import PARAGRAPHS, SKIPPED, Package, cell_text, inside_skipped, q, table_rows, text_of, text_of_all

# ---------------------------------------------------------------- spreadsheets

def _value(cell) -> object:
    """A cell's value as sheets.py writes an .xlsx one: a number as its value, a date as a
    date; a percentage or an amount of money as LibreOffice shows it ("12.5%", "NT$1,200"):
    the sign and the currency are what a question about it asks for. A value its type does
    not read (a date another program wrote oddly) is the text the cell shows."""
    try:
        return _typed(cell)
    except (ValueError, TypeError, OverflowError):
        return cell_text(cell)


def _typed(cell) -> object:
    import datetime as dt

    kind = cell.get(q("office:value-type"))
    if kind == "float":
        return float(cell.get(q("office:value")))
    if kind == "date":
        value = cell.get(q("office:date-value"), "")
        return dt.datetime.fromisoformat(value[:19]) if "T" in value else dt.date.fromisoformat(value[:10])
    if kind == "time":
        m = re.fullmatch(r"-?PT(\d+)H(\d+)M([\d.]+)S", cell.get(q("office:time-value"), ""))
        if m:
            return dt.time(int(m.group(1)) % 24, int(m.group(2)), int(float(m.group(3))))
    if kind == "boolean":
        return cell.get(q("office:boolean-value")) == "true"
    if kind in ("percentage", "currency"):
        shown = cell_text(cell)
        return shown or float(cell.get(q("office:value")))
    return cell_text(cell)


def _sheet_rows(events) -> Iterator[tuple[int, list[object]]]:
    """(row number, values) of the sheet whose start ``events`` (lxml's iterparse, at a
    table's start) has just given, up to its end: repeats expanded; empty rows are counted,
    not expanded (LibreOffice ends a sheet with a row repeated a million times). Each row is
    dropped once read, so a long sheet is never held whole."""
    number, depth = 0, 1
    for event, el in events:
        if el.tag == q("table:table"):
            depth += 1 if event == "start" else -1
            if depth == 0:
                return
            continue
        if event != "end" or depth != 1:
            continue  # (a table inside a cell's text box: its rows are no rows of the sheet)
        repeat = int(el.get(q("table:number-rows-repeated"), "1") or 1)
        values: list[object] = []
        empty_run = 0
        for cell in el:
            if cell.tag not in (q("table:table-cell"), q("table:covered-table-cell")):
                continue
            count = int(cell.get(q("table:number-columns-repeated"), "1") or 1)
            value = _value(cell) if cell.tag == q("table:table-cell") else ""
            if value in ("", None):
                empty_run += count  # trailing empties (a thousand of them) are never written out
                continue
            values.extend([""] * empty_run + [value] * min(count, 1000))
            empty_run = 0
        if values:
            for i in range(repeat):
                yield number + i + 1, values
        number += repeat
        el.clear()
        while el.getprevious() is not None:
            del el.getparent()[0]


def _spreadsheet(package: Package, path: Path, limits: Limits) -> Extracted:
    from lxml import etree

    from .sheets import _limit_note, _Sheets

    sheets = _Sheets(limits)
    with package.source() as f:
        events = etree.iterparse(f, events=("start", "end"), tag=(q("table:table"), q("table:table-row")),
                                 resolve_entities=False, no_network=True, remove_comments=True)
        for event, el in events:
            if event != "start" or el.tag != q("table:table"):
                continue
            name = el.get(q("table:name"), "") or f"Sheet{len(sheets.out.regions) + 1}"
            rows = _sheet_rows(events)
            if sheets.full:
                sheets.notes.append(f"sheet {name!r} left out (row limit reached)")
                for _ in rows:
                    pass
                continue
            left = sheets.sheet(name, rows)
            first = next(left, None)
            if first is not None:
                sheets.notes.append(_limit_note(limits, name, first, 1 + sum(1 for _ in left)))
            for _ in rows:  # (whatever sheet() did not read of this sheet)
                pass
    return sheets.done(package.title() or path.stem, "ods")


# ---------------------------------------------------------------- presentations

_NOT_CONTENT = {"page-number", "footer", "header", "date-time"}


def _frames(el) -> Iterator[str]:
    from .slides import SlideTable

    for child in el:
        tag = child.tag
        if not isinstance(tag, str) or tag in SKIPPED:
            continue
        kind = child.get(q("presentation:class"), "")
        if kind in _NOT_CONTENT or tag == q("presentation:notes"):
            continue
        if tag == q("table:table"):
            rows = [r for r in table_rows(child) if any(c.strip() for c in r)]
            if rows:
                yield SlideTable("\n".join(table_row(r) for r in rows), len(rows))
        elif tag in PARAGRAPHS or tag == q("text:list"):
            continue  # (read whole by the frame or shape that holds them, below)
        elif child.find(q("text:p")) is not None or child.find(q("text:list")) is not None:
            text = tidy("\n".join(text_of(p) for p in child.iter(q("text:p")) if not inside_skipped(p, child)))
            if text:
                yield text
        else:
            yield from _frames(child)


def _presentation(package: Package, body) -> Extracted:
    from .slides import add_slide

    out = TextBuilder()
    first_title = ""
    for number, page in enumerate(body.iter(q("draw:page")), 1):
        title_frame = next((f for f in page.iter(q("draw:frame"), q("draw:custom-shape"))
                            if f.get(q("presentation:class")) == "title"), None)
        shown = text_of_all(title_frame) if title_frame is not None else None
        title = one_line(shown) if shown is not None else ""
        parts = [t for t in _frames(page) if shown is None or t != tidy(shown)]  # (the title frame's own text)
        notes = page.find(q("presentation:notes"))
        if notes is not None:
            text = tidy("\n".join(text_of_all(f) for f in notes.iter(q("draw:frame"))
                                  if f.get(q("presentation:class")) == "notes"))
            if text:
                parts.append(text)
        if not title and not parts:
            continue
        add_slide(out, number, title, parts)
        first_title = first_title or title
    return Extracted(out.text(), out.regions, title=package.title() or first_title, meta={"encoding": "odp"})


# ----------------------------------------------------------------

def parse(data: bytes, path: Path, limits: Limits) -> Extracted:
    package = Package(data)
    if package.kind == "spreadsheet":
        return _spreadsheet(package, path, limits)
    if package.kind in ("text", "presentation"):
        body = package.content.find(f"{q('office:body')}/{q('office:' + package.kind)}")
        if package.kind == "text":
            from .odt import text_document

            return text_document(package, body)
        return _presentation(package, body)
    raise DocumentError(f"an OpenDocument {package.kind or 'file'} is not read (a drawing, a chart or a formula); "
                        "only text documents, spreadsheets and presentations are")
