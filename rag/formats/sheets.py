""".xlsx (openpyxl), .xls (xlrd) and .csv (the standard library): each sheet a section, each
row a line.

A row is written as ``header: value | header: value``, not as a bare markdown table row.
Each row then reads on its own: BM25 and the embedder see a column's name next to its
value in the same line, the prompt's focusing (which keeps only the lines that match the
question) still tells the model which value is which, and the citation checker finds
"金额" and its number in the quoted row. A markdown row needs its header repeated per
chunk and still loses it once the prompt keeps only the matching line.

A sheet is a ``# name`` heading followed by its rows; blank rows are left out, and each
run of consecutive rows is a region whose line i is row ``first + i``, so a citation names
the sheet and the rows as the spreadsheet numbers them (the header row is row 1 of a CSV).
Rows are streamed (openpyxl read-only mode, ``csv.reader``) and the whole document stops at
``limits.max_rows``; what is left out is said in a note. Formulas give their cached value
(the value Excel last computed and saved; a formula never computed reads as empty). Merged
cells hold their value in the first cell, as openpyxl reports them.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Iterable, Iterator

from ..errors import DocumentError
from ..records import Location
from . import Extracted, Limits, TextBuilder, one_line


def _value(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:.15g}"
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else f"{v.date().isoformat()} {_value(v.time())}"
    if isinstance(v, dt.time):
        # A timetable's 21:00, not 21:00:00: the seconds a time cell always carries are shown
        # only when there are some (Excel stores 9 pm as 0.875 of a day).
        return v.isoformat(timespec="minutes" if not (v.second or v.microsecond) else "auto")
    if isinstance(v, dt.date):
        return v.isoformat()
    return one_line(v)


# A note under a table, written in its first cell and spanning the row ("※ 65歲以上長者…
# 享半價優惠。", "Note: prices include VAT."): a sentence about the table, not the first
# column's value. Known by a note mark or a sentence's punctuation, in a row of one cell
# under a header of three columns or more.
_NOTE_MARK = re.compile(r"^\s*(?:[※*＊†‡#]|注[:：意]|备注|備註|说明|說明|note\b|notes\b|source\b)", re.I)
_SENTENCE = re.compile(r"[。；;！!]|[，,].*[。.]$")
# ... or by a label and its value, as a sheet's foot is signed ("制表：应急办 卓雅",
# "盘点日期：2025年10月20日"), written across the row.
_LABELLED = re.compile(r"^\s*[^\s:：|]{2,8}[：:]\s*\S")


def _is_note(header: list[str], cells: list[str]) -> bool:
    filled = [c for c in cells if c]
    return len(header) >= 3 and len(filled) == 1 and not _is_number(filled[0]) \
        and bool(_NOTE_MARK.match(filled[0]) or _SENTENCE.search(filled[0]) or _LABELLED.match(filled[0]))


def _is_number(cell: str) -> bool:
    try:
        float(cell.replace(",", ""))
        return True
    except ValueError:
        return False


# Rows of one cell above a sheet's header: a title ("2024年销售报表" merged across the top), a
# subtitle, a unit ("单位：万元") -- three at most; a fourth is a one-column table's.
_TITLE_ROWS = 3


def _lines(rows: Iterator[tuple[int, Iterable[object]]], found: list) -> Iterator[tuple[int, str]]:
    """``(row number, line)`` of the non-blank rows under the header. The first row is the
    header unless all its cells are numbers. Rows of a single cell above a wider row are a
    title and its notes (_TITLE_ROWS): kept as lines, and the wider row is the header (a
    title and a unit row over 地区 | 第一季度 | … had the title taken for the header, and the
    quarters read as columns B to E); above a one-column table the first of them is that
    column's header. ``found`` receives the header."""
    header: list[str] | None = None
    held: list[tuple[int, list[str]]] = []
    for number, values in rows:
        cells = [_value(v) for v in values]
        filled = sum(1 for c in cells if c)
        if not filled:
            continue
        if header is None:
            if filled == 1 and len(held) < _TITLE_ROWS:
                held.append((number, cells))
                continue
            if filled == 1:  # one column: its first row names it
                header = held[0][1]
                found.append(header)
                yield from ((n, _record(header, c)) for n, c in held[1:])
            else:
                yield from ((n, _record([], c)) for n, c in held)
                header = cells if not all(_is_number(c) for c in cells if c) else []
                found.append(header)
                if header:
                    continue
        yield number, _record([] if _is_note(header, cells) else header, cells)
    if header is None and len(held) == 1:
        yield held[0][0], _record([], held[0][1])
    elif header is None and held:
        found.append(held[0][1])
        yield from ((n, _record(held[0][1], c)) for n, c in held[1:])


def _record(header: list[str], cells: list[str]) -> str:
    if not header:
        return " | ".join(c for c in cells if c)
    parts = []
    for i, c in enumerate(cells):
        if c:
            name = header[i] if i < len(header) and header[i] else _column(i)
            parts.append(f"{name}: {c}")
    return " | ".join(parts)


def _column(i: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: the spreadsheet's name of a column without a header."""
    name = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(65 + r) + name
    return name


class _Sheets:
    """Writes sheets into one text, counting rows against the document's limit."""

    def __init__(self, limits: Limits):
        self.out = TextBuilder()
        self.limits = limits
        self.rows = 0
        self.notes: list[str] = []
        self.full = False  # the row limit was reached

    def sheet(self, name: str, rows: Iterable[tuple[int, Iterable[object]]]) -> Iterator[int]:
        """Write one sheet from ``(row number, values)``; yields the row numbers left out
        when the limit is reached (the caller counts or drops them)."""
        run: list[str] = []
        first = last = 0
        wrote = False

        def flush() -> None:
            nonlocal run, wrote
            if run:
                if not wrote:
                    self.out.heading(1, name)
                    wrote = True
                self.out.add("\n".join(run), sep="\n", location=Location("sheet", name=name, rows=(first, last)))
                run = []

        raw, header = iter(rows), []
        for number, line in _lines(raw, header):
            if self.rows >= self.limits.max_rows:
                self.full = True
                flush()
                yield number
                yield from (n for n, _ in raw)  # counted from the raw rows: nothing formatted
                return
            if run and number != last + 1:
                flush()
            if not run:
                first = number
            run.append(line)
            last = number
            self.rows += 1
        flush()
        if not wrote:
            self.notes.append(f"sheet {name!r} has only a header row (left out)" if any(header)
                              else f"sheet {name!r} is empty (left out)")

    def done(self, title: str, encoding: str) -> Extracted:
        if not self.out.pos:
            raise DocumentError("empty (no rows in any sheet)")
        return Extracted(self.out.text(), self.out.regions, title=title, meta={"encoding": encoding},
                         notes=self.notes)


def _limit_note(limits: Limits, name: str, first: int, count: int | None = None) -> str:
    rest = f"{count:,} more rows" if count is not None else "the remaining rows"
    return (f"partly indexed: only the first {limits.max_rows:,} rows; {rest} from sheet {name!r} "
            f"row {first:,} on left out")


def parse(data: bytes, path: Path, limits: Limits) -> Extracted:
    if path.suffix.lower() == ".csv":
        return _csv(data, path, limits)
    if path.suffix.lower() == ".xls":
        return _xls(data, path, limits)
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    sheets = _Sheets(limits)
    try:
        for ws in book.worksheets:
            if sheets.full:
                sheets.notes.append(f"sheet {ws.title!r} left out (row limit reached)")
                continue
            ws.reset_dimensions()  # stored dimensions are often wrong; read what is there
            left = sheets.sheet(ws.title, enumerate(ws.iter_rows(values_only=True), 1))
            first = next(left, None)
            if first is not None:  # read-only mode cannot count the rest without parsing it
                sheets.notes.append(_limit_note(limits, ws.title, first))
        title = (one_line(book.properties.title) if book.properties else "") or path.stem
    finally:
        book.close()
    return sheets.done(title, "xlsx")


def _csv(data: bytes, path: Path, limits: Limits) -> Extracted:
    from ..load import decode

    text, encoding = decode(data)
    sample = text[:65536]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel
    sheets = _Sheets(limits)
    left = sheets.sheet(path.stem, enumerate(csv.reader(io.StringIO(text), dialect), 1))
    first = next(left, None)
    if first is not None:  # counted, not kept: bounded memory
        sheets.notes.append(_limit_note(limits, path.stem, first, 1 + sum(1 for _ in left)))
    return sheets.done(path.stem, encoding)


def _xls(data: bytes, path: Path, limits: Limits) -> Extracted:
    """An Excel 97-2003 workbook (BIFF8) by xlrd: each cell's value as openpyxl gives an .xlsx
    one -- a formula's cached value, a date cell as a date (xlrd gives days since the
    workbook's epoch and its number format says it is a date), a merged cell's value in its
    first cell."""
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except xlrd.XLRDError as e:
        if "encrypted" in str(e).lower():
            raise DocumentError("password-protected (encrypted); save a copy without a password to index it") from None
        raise DocumentError(f"unreadable .xls file ({e})") from None

    def value(cell) -> object:
        if cell.ctype == xlrd.XL_CELL_DATE:
            try:
                return xlrd.xldate_as_datetime(cell.value, book.datemode)
            except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                return cell.value
        if cell.ctype == xlrd.XL_CELL_BOOLEAN:
            return bool(cell.value)
        if cell.ctype == xlrd.XL_CELL_ERROR:
            return xlrd.error_text_from_code.get(cell.value, "")
        return cell.value

    sheets = _Sheets(limits)
    try:
        for index in range(book.nsheets):
            ws = book.sheet_by_index(index)
            if sheets.full:
                sheets.notes.append(f"sheet {ws.name!r} left out (row limit reached)")
                continue
            rows = ((r + 1, [value(c) for c in ws.row(r)]) for r in range(ws.nrows))
            left = sheets.sheet(ws.name, rows)
            first = next(left, None)
            if first is not None:
                sheets.notes.append(_limit_note(limits, ws.name, first, 1 + sum(1 for _ in left)))
            book.unload_sheet(index)
    finally:
        book.release_resources()
    from .container import ole_title_of

    return sheets.done(ole_title_of(data) or path.stem, "xls")
