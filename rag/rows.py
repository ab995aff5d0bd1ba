"""A sheet's or a document table's rows, each a dict of its cells by column label.

A sheet row labels its cells as the loaders write it ("线路: 3号线 | 车站数: 25"); a Word,
Markdown or web page table's row ("| 3号线 | 25 |") is labelled by its table's header row,
the first line of its region. The modules that do arithmetic over rows -- ranked.py (the
first by a column, the rows a condition picks), counted.py (how many), compared.py (two
rows), lookup.py (the row a question names) -- read them here, and hand a row to the model
with row_chunk.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import NamedTuple

from .lexical import STOPWORDS
from .numerals import UNIT_LINE, DateParts, dates
from .records import (LABEL_UNIT, Chunk, Citation, Document, Region, header_labels, labelled_cells, pipe_cells,
                      row_cells, row_values)
from .zh import WHICH_CLASSIFIERS, fold

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
_CLOCK = re.compile(r"\s*([01]?\d|2[0-4])[:：]([0-5]\d)(?!\d)")
# A cell that is a figure: a number first, after a currency sign at most (49, 12个月, HK$12.5,
# 2014年) -- not a name that holds one (轻享19, 3号线 is the key column's own).
_FIGURE_CELL = re.compile(r"\s*(?:[a-z]{0,3}[$¥€£￥]\s*)?[-+]?\d", re.I)


# A totals row ranks first in every column it sums: it is no row of the table's things.
_TOTAL = re.compile(r"(?:合计|总计|小计|共计|总和|全部|total|grand total|subtotal|sum|all)", re.I)


class SheetRow(NamedTuple):
    start: int  # doc.text[start:end] is the row's line
    end: int
    number: int  # as the spreadsheet numbers it
    cells: dict[str, str]  # label -> value, in the row's order


def sheet_rows(doc: Document, region: Region) -> list[SheetRow]:
    """Each labelled row of a sheet or table region, totals rows left out: a sheet's rows
    label their cells; a document's table's, its header row (its first line) does. A PDF's
    table that runs over several pages is read whole, whichever page's part ``region`` is."""
    return [r for r in _labelled_rows(doc, region) if not is_total(r)]


def total_rows(doc: Document, region: Region) -> list[SheetRow]:
    """The rows of a sheet or table region that total it ("品名: 合计 | 小计: 105950")."""
    return [r for r in _labelled_rows(doc, region) if is_total(r)]


def is_total(row: SheetRow) -> bool:
    return any(_TOTAL.fullmatch(fold(v).strip()) for v in row.cells.values())


def _labelled_rows(doc: Document, region: Region) -> list[SheetRow]:
    out = []
    for part in table_parts(doc, region):
        at = part.start
        lines = doc.text[part.start:part.end].split("\n")
        labels = header_labels(lines[0]) if part.location.kind != "sheet" else None
        for i, line in enumerate(lines):
            if part.location.kind == "sheet":
                cells = row_cells(line)
            else:
                cells = labelled_cells(labels, line) if i and labels else None
            if cells:
                out.append(SheetRow(at, at + len(line), part.location.rows[0] + i, dict(cells)))
            at += len(line) + 1
    return out


def table_parts(doc: Document, region: Region) -> list[Region]:
    """The regions of the table ``region`` is part of: itself, and for a PDF's table the
    page break cut, its parts on the pages before and after -- a page's last table and the
    next page's first, under the same header row (the printer's repeated, or the loader's,
    formats/pdftables.py)."""
    if region.location.kind != "page" or not region.location.holds_rows:
        return [region]
    tables = [r for r in doc.regions if r.location.kind == "page" and r.location.holds_rows]
    at = tables.index(region) if region in tables else -1
    if at < 0:
        return [region]

    def joined(a: Region, b: Region) -> bool:
        return (b.location.number == a.location.number + 1
                and doc.text[a.start:a.end].split("\n", 1)[0] == doc.text[b.start:b.end].split("\n", 1)[0])

    first, last = at, at
    while first > 0 and joined(tables[first - 1], tables[first]):
        first -= 1
    while last + 1 < len(tables) and joined(tables[last], tables[last + 1]):
        last += 1
    return tables[first:last + 1]


# A cell that names several things ("食水泵及鹹水泵", "升降机（一号及二号）"): each names its row.
_JOINED = re.compile(r"及|与|與|和|、|&")


def cell_named(q: str, value: str) -> str | None:
    """The cell ``value`` as the folded question ``q`` writes it out -- whole, or without a
    bracketed note (望湖校区 of 望湖校区（本部）), or one of the things it joins (食水泵 of
    食水泵及鹹水泵: each part two characters at least) -- else None. Two characters at
    least; a number only whole (103 is not in 2103 or 1030, 3号线 not in 13号线, $5 not in $50)."""
    bare = LABEL_UNIT.sub("", value).strip()
    parts = [p.strip() for p in _JOINED.split(bare)]
    joined = parts if len(parts) > 1 and all(len(p) >= 2 and not p.isdigit() for p in parts) else []
    for said in (value.strip(), bare, *joined):
        v = fold(said)
        if len(v) < 2:
            continue
        pattern = (r"(?<![\d.:])" if v[:1].isdigit() else "") + re.escape(v) + (r"(?![\d.:])" if v[-1:].isdigit() else "")
        if re.search(pattern, q):
            return said
    # An English name of three to five words by its first two, whole ("shrink film" of
    # "Shrink film rolls"): people shorten a product's name. (Not a sentence's cell: "The
    # display stays dark…" is not named by "on the display".)
    words = fold(bare).split()
    if 3 <= len(words) <= 5 and all(re.fullmatch(r"[a-z][a-z-]+", w) and w not in STOPWORDS for w in words[:2]) \
            and re.search(rf"\b{re.escape(words[0])}\s+{re.escape(words[1])}\b", q):
        return value.strip()
    # A date cell, by the date the question gives however it writes it (2025-10-03 of
    # 10月3号): its month and day, and its year when the question gives one.
    if (d := whole_date(value)) and any(p.month == d.month and p.day == d.day and (not p.year or p.year == d.year)
                                        for p in dates(q) if p.day):
        return value.strip()
    return None


def whole_date(value: str) -> DateParts | None:
    """The date (numerals.DateParts, with its month and day) a cell holds as its whole value
    (2025-10-03, 2025年3月1日, 10月5日), else None."""
    found = dates(value.strip())
    if len(found) != 1 or not found[0].day or found[0].end - found[0].start < len(value.strip()):
        return None
    return found[0]


def stated_unit(doc: Document, region: Region) -> str:
    """The unit a table's title lines state for its figures ("单位：万元" above the header:
    "万元"), "" when none does: for a sheet, its lines above its first row; for a
    document's table, also the two lines before it (a report's "单位：元" paragraph). Not a
    note under the table: that speaks of something else."""
    loc = region.location
    if loc.kind == "sheet":
        start = min(r.start for r in doc.regions if r.location.kind == "sheet" and r.location.name == loc.name)
        lines = doc.text[start:region.end].split("\n")
    else:
        lines = doc.text[max(0, region.start - 200):region.start].rstrip("\n").split("\n")[-2:] \
            + doc.text[region.start:region.end].split("\n")
    for line in lines:
        if row_cells(line):
            break
        if m := UNIT_LINE.search(line):
            return (m.group("unit") or m.group("en")).strip()
    return ""


def _region_at(doc: Document, offset: int) -> Region | None:
    """The region of ``doc`` that holds ``offset`` (regions do not overlap), or None."""
    return next((r for r in doc.regions if r.start <= offset < r.end), None)


_CURRENCY_NAME = re.compile(r"^(?:新臺幣|新台币|人民币|人民幣|港币|港幣|澳门币|澳門幣|美元|RMB|NT\$|HK\$|US\$)")


def units_said(answer: str, hits: list, docs: dict[str, Document]) -> tuple[str, dict[str, str]]:
    """The answer without the units it writes after figures that rows of the passages
    ``hits`` hold under a unit their table states once above them ("866千元" where the
    sheet says "單位：新臺幣千元" and its row "3月: 866"), or in a column that counts things
    (the measure word of "22项" where the column "隐患数" says 22), and those figures' units:
    the model reads the unit line, or counts in its own words; the row it cites, which says
    only the figure, cannot vouch for it with the unit, though the answer is the row's. The
    caller checks the bare figures and writes the units back (with_units)."""
    found: dict[str, str] = {}
    for h in hits:
        doc = docs.get(h.chunk.doc_id)
        tables = [r for r in doc.regions if r.start < h.chunk.end and r.end > h.chunk.start
                  and r.location.holds_rows] if doc else []
        for region in tables:  # (a passage may open with the heading above its table)
            found.update(_units_in(answer, doc, region, h.chunk))
    for figure, unit in found.items():
        answer = re.sub(rf"(?<![\d.,]){re.escape(figure)}\s*{re.escape(unit)}", figure, answer)
    return answer, found


def _units_in(answer: str, doc: Document, region: Region, chunk: Chunk) -> dict[str, str]:
    """units_said of the rows of ``region`` that the passage ``chunk`` shows."""
    said, found = [], {}
    if unit := stated_unit(doc, region):
        cells = {v.strip() for line in chunk.text.splitlines() for v in row_values(line)}
        said.append((cells, "|".join(re.escape(u) for u in {unit, _CURRENCY_NAME.sub("", unit)} if u)))  # (千元 of 新臺幣千元)
    if counts := _counts(doc, region, chunk):
        said.append((counts, _COUNT_WORD))
    for cells, words in said:
        for m in re.finditer(rf"(?<![\d.,])(\d[\d,]*(?:\.\d+)?)\s*({words})", answer):
            if m.group(1) in cells:
                found[m.group(1)] = m.group(2)
    return found


# A column that counts things ("隐患数", "人數", "數量") and the measure words a count takes.
_COUNT_COLUMN = re.compile(r".*[数數]|[数數]量")
_COUNT_WORD = rf"[{WHICH_CLASSIFIERS}名人次台辆輛户戶起例宗]"


def _counts(doc: Document, region: Region, chunk: Chunk) -> set[str]:
    """The whole numbers the rows of ``region`` within ``chunk`` hold in columns that count."""
    return {v.strip() for r in _labelled_rows(doc, region) if chunk.start <= r.start < chunk.end
            for label, v in r.cells.items() if _COUNT_COLUMN.fullmatch(fold(label).strip()) and v.strip().isdigit()}


def with_units(text: str, units: dict[str, str]) -> str:
    """``text`` with ``units`` (figure -> unit, from units_said) written after its figures again."""
    for figure, unit in units.items():
        text = re.sub(rf"(?<![\d.,]){re.escape(figure)}(?![\d.,]|\s*{re.escape(unit)})", figure + unit, text)
    return text


def cited_unit(cited: Citation, docs: dict[str, Document]) -> str:
    """The unit stated above the table rows ``cited`` quotes (stated_unit), else the one the
    quoted row's name carries in brackets (a report's figures table, its rows the things
    measured: "| 营业收入（亿元） | 48.62 | 44.15 |"); "" for any other citation."""
    # (The quote's own region: a passage may open with the page's prose before the rows.)
    doc = docs.get(cited.chunk.doc_id)
    region = _region_at(doc, cited.start) if doc else None
    if not (region and region.location.holds_rows):
        return ""
    if stated := stated_unit(doc, region):
        return stated
    line_start, line_end = doc.text.rfind("\n", 0, cited.start) + 1, doc.text.find("\n", cited.start)
    cells = row_values(doc.text[line_start:line_end if line_end >= 0 else len(doc.text)])
    named = LABEL_UNIT.search(cells[0]) if cells and line_start > region.start else None  # (not the header's)
    return named.group()[1:-1].strip() if named else ""


def cell_number(value: str) -> float | None:
    """The value's number; a whole date as yyyymmdd, so dates rank in time (2014-04-01); a
    time of day in minutes (06:20)."""
    if (d := next(iter(dates(value)), None)) and d.year and d.day:
        return float(f"{d.year}{d.month:02d}{d.day:02d}")
    if t := _CLOCK.match(value):  # (a time of day in minutes: 06:20 is after 06:00)
        return int(t.group(1)) * 60 + int(t.group(2)) + 0.0
    m = _NUMBER.search(value)
    return float(m.group().replace(",", "")) if m else None


# A time of day's range ("08:00—12:00", "22:00—次日03:00") and the words asking how long.
_CLOCK_RANGE = re.compile(r"([01]?\d|2[0-4])[:：]([0-5]\d)\s*[-–—‒―~～至到]+\s*(次日|翌日)?\s*([01]?\d|2[0-4])[:：]([0-5]\d)")
_HOW_LONG = re.compile(r"长|短|久|\blong|\bshort", re.I)


def cell_measure(value: str, word: str) -> float | None:
    """The figure a comparison or superlative (``word``: 更长, 最短, longest) reads in a cell:
    asked how long, a time range's length in minutes (08:00—12:00 is 240; past midnight,
    22:00—次日03:00 is 300); else the cell's number (cell_number)."""
    if _HOW_LONG.search(fold(word)) and (m := _CLOCK_RANGE.search(value)):
        start, end = int(m[1]) * 60 + int(m[2]), int(m[4]) * 60 + int(m[5])
        return float(end - start + (24 * 60 if m[3] or end <= start else 0))
    return cell_number(value)


def row_name(row: SheetRow) -> str:
    """What a row is: its first cell that is not a bare number (a league table's Pos is not)."""
    return next((v.strip() for v in row.cells.values() if v.strip() and not re.fullmatch(r"[\d.,]+", v.strip())), "")


def figure_columns(rows: list[SheetRow], labels: list[str] | None = None) -> list[str]:
    """The columns of ``labels`` that hold a figure in at least 80% of ``rows``: what can be
    ranked, compared or bounded. By default every column but the first, which names the rows
    (3号线 is no figure)."""
    labels = list(rows[0].cells)[1:] if labels is None and rows else labels or []
    return [label for label in labels if sum(is_figure(r.cells.get(label, "")) for r in rows) >= 0.8 * len(rows)]


def is_figure(value: str) -> bool:
    """Is the cell a figure (49, 12个月, HK$12.5, 2014年, 06:20), not a name that holds a
    number (轻享19)?"""
    return bool(_FIGURE_CELL.match(value)) and cell_number(value) is not None


def row_chunk(chunk: Chunk, doc: Document, start: int, end: int, row: int, note: str) -> Chunk:
    """A passage of one row (``doc.text[start:end]``, sheet row ``row``), in the place of
    ``chunk`` (the sheet's passage that was retrieved), with ``note`` saying why it is there."""
    # (Its own page's: a PDF table's row may stand on the page after the passage's.)
    location = doc.location_of(start, end) or (replace(chunk.location, rows=(row, row)) if chunk.location else None)
    return replace(chunk, text=doc.text[start:end], start=start, end=end, location=location,
                   context=with_header(doc, start, note))


def with_header(doc: Document, start: int, note: str) -> str:
    """``note``, led by the header row of the document table whose rows start at ``start``
    (a sheet's rows label their cells; a table's row read alone says nothing of its columns)."""
    region = _region_at(doc, start)
    if region is None or not region.location.holds_rows or region.location.kind == "sheet" or start == region.start:
        return note
    header = doc.text[region.start:region.end].split("\n", 1)[0]
    return f"{header}\n{note}" if note else header


def row_headers(text: str, context: str = "") -> dict[int, str]:
    """The offset in ``text`` of each of its document-table rows -> the header row of its
    table: the first line of the run of rows it is in, or ``context`` (the header of the
    table a chunk goes on with) for the run that opens the text when that is a row."""
    out: dict[int, str] = {}
    header: str | None = None
    pos, previous_is_row = 0, False
    for line in text.split("\n"):
        is_row = pipe_cells(line) is not None
        if is_row and not previous_is_row:
            if pos == 0 and context and pipe_cells(context) is not None:
                header, out[pos] = context, context
            else:
                header = line
        elif is_row and header is not None:
            out[pos] = header
        previous_is_row = is_row
        pos += len(line) + 1
    return out
