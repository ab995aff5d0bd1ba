"""Structured document formats: one module per format, each parsed by the library made for it.

``PARSERS`` maps a file suffix to the module that reads it; every module has
``parse(data, path, limits) -> Extracted`` (``data``: the file's bytes, already read and
hashed by load.py; ``path`` for its name). Modules are imported only when a file of their kind
is read, so ``import rag`` stays light. rag/load.py dispatches here by suffix; plain text,
markdown and PDF stay in load.py, which reads HTML through webpage.py (as epub.py does its
chapters) and a PDF's or a scan's page lines through pagelines.py.

Each parser returns the text to index plus ``Region``s (records.py): where in the text a
page, sheet rows, a slide, a chapter or a table sits, so a citation can say "sheet 销售,
rows 12–40". Parsers build their text with ``TextBuilder`` so region offsets are exact.
"""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DocumentError
from ..records import TABLE_ROW, Location, Region

# suffix -> module in this package. Add a format here: what `rag index` reads (rag/load.py
# SUFFIXES) and what the web app accepts for upload (app/kb.py ALLOWED) follow.
PARSERS: dict[str, str] = {
    ".docx": "docx",
    ".doc": "doc",  # Word 97-2003
    ".rtf": "rtf",  # Rich Text Format (WordPad, and many systems' "export to Word")
    ".xlsx": "sheets",
    ".xlsm": "sheets",  # a macro-enabled workbook: its values are read, its macros never run
    ".xls": "sheets",  # Excel 97-2003
    ".csv": "sheets",
    ".pptx": "slides",
    ".ppt": "ppt",  # PowerPoint 97-2003
    ".wps": "doc",  # WPS Office's 文字, 表格 and 演示 files: read as the Office files they hold
    ".et": "sheets",  # (container.real_suffix; a file of an early WPS is refused with a reason)
    ".dps": "ppt",
    ".epub": "epub",
    ".eml": "mail",  # an e-mail saved by a mail client, its attachments read too
    ".mbox": "mbox",  # a mail archive (a client's folder exported, a Takeout): each message as an .eml
    ".msg": "msg",  # an e-mail saved by Outlook (a compound file), read as its .eml would be
    ".mht": "mhtml",  # a web page saved as one file (a browser's, or Word's "Single File Web Page")
    ".mhtml": "mhtml",
    ".odt": "odf",  # OpenDocument (LibreOffice; Taiwan's government files are ODF by rule)
    ".ods": "odf",
    ".odp": "odf",
    ".fodt": "odf",  # (the flat, one-file XML forms)
    ".fods": "odf",
    ".fodp": "odf",
    ".ofd": "ofd",  # China's fixed-layout format (GB/T 33190): e-invoices, official documents
}

# A spreadsheet is indexed up to this many rows (all sheets together); the rest is named in
# a note. 100,000 rows of ~60 characters are ~20,000 chunks: minutes of embedding on a
# laptop, and more rows than a question-answering index serves well (a 1,000,000-row CSV
# is a database, not a document).
MAX_ROWS = 100_000


@dataclass(frozen=True)
class Limits:
    """What a parser may read: ``max_bytes`` is the configured file size limit (RAG_MAX_FILE_MB)."""

    max_bytes: int
    max_rows: int = MAX_ROWS

    @property
    def max_unpacked(self) -> int:
        """Total uncompressed size allowed inside a zip container (.docx .xlsx .pptx
        .epub): 20x the file size limit, at most 500 MB. Real documents compress 3-10x;
        a zip bomb compresses 1000x and more."""
        return min(20 * self.max_bytes, 500 << 20)


@dataclass
class Extracted:
    text: str
    regions: list[Region] = field(default_factory=list)
    title: str = ""
    meta: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what was left out, said to the user


class TextBuilder:
    """Appends pieces of text and records the regions they form, with exact offsets."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.regions: list[Region] = []

    def add(self, text: str, sep: str = "\n\n", location: Location | None = None) -> None:
        """Append ``text`` (after ``sep`` unless it is the first piece); with a location,
        the text becomes a region. Empty text adds nothing."""
        if not text:
            return
        if self.pos:
            self.parts.append(sep)
            self.pos += len(sep)
        if location is not None:
            self.regions.append(Region(self.pos, self.pos + len(text), location))
        self.parts.append(text)
        self.pos += len(text)

    def heading(self, level: int, title: str) -> None:
        title = " ".join(title.split())
        if title:
            self.add("#" * max(1, min(level, 6)) + " " + title)

    def text(self) -> str:
        return "".join(self.parts)


def one_line(value: object) -> str:
    """A cell or title as one line: whitespace runs (line breaks too) become one space."""
    return " ".join(str(value).split()) if value is not None else ""


def numbered(number: str) -> str:
    """A list item's or heading's number as put before its text: "3. ", "第二章 ", but "三、"
    (no space after a Chinese mark); "" for none."""
    if not number:
        return ""
    return number if number[-1] in "、．）)：" and not number.isascii() else number + " "


def roman(n: int) -> str:
    """``n`` in Roman numerals (upper case), as a list numbers its items: 4 -> IV, 9 -> IX."""
    out = ""
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                           (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        count, n = divmod(n, value)
        out += letters * count
    return out


def chinese(n: int) -> str:
    """``n`` (under 100) in Chinese numerals, as a list numbers its items: 3 -> 三, 12 -> 十二,
    25 -> 二十五; larger numbers in digits."""
    digits = "〇一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else digits[tens % 10]) + "十" + (digits[ones] if ones else "") if n < 100 else str(n)


def table_row(cells: list[str]) -> str:
    """A markdown-style table row ``| a | b |``; a ``|`` inside a cell is escaped."""
    return "| " + " | ".join(one_line(c).replace("|", "\\|") for c in cells) + " |"


# A Markdown table's line under its header row (|---|:---:|): no row of the table.
_RULE_ROW = re.compile(r"^[ \t]*\|(?:[ \t]*:?-{3,}:?[ \t]*\|)+[ \t]*$")
_MIN_TABLE_ROWS = 3  # a header and two rows: fewer is a line that happens to hold pipes


def pipe_tables(text: str) -> tuple[str, list[Region]]:
    """The tables of a plain text, a Markdown file or a web page (runs of ``| a | b |``
    lines) as table regions, numbered in order, so their rows are read by their header row
    as a Word table's are; a Markdown table's |---| line is left out of the text (it is no
    row: kept, it would be numbered as one)."""
    out: list[str] = []
    regions: list[Region] = []
    run: list[str] = []
    pos = 0

    def flush() -> None:
        nonlocal pos
        if len(run) >= _MIN_TABLE_ROWS:
            body = "\n".join(run)
            regions.append(Region(pos, pos + len(body), Location("table", len(regions) + 1, rows=(1, len(run)))))
        for line in run:
            out.append(line)
            pos += len(line) + 1
        run.clear()

    for line in text.split("\n"):
        if TABLE_ROW.match(line):
            if not (_RULE_ROW.match(line) and len(run) == 1):
                run.append(line)
            continue
        flush()
        out.append(line)
        pos += len(line) + 1
    flush()
    return "\n".join(out), regions


def real_suffix(data: bytes, suffix: str) -> str:
    """The type a file is read as: its suffix, unless its first bytes say it is another
    Office type (container.real_suffix: a .doc renamed .docx)."""
    from .container import real_suffix

    return real_suffix(data, suffix)


def parse(data: bytes, path: Path, limits: Limits, suffix: str | None = None) -> Extracted:
    """Read a structured document (as ``suffix`` when given: what the file really is).
    Raises DocumentError with a one-line reason."""
    from .container import check_container

    suffix = suffix or real_suffix(data, path.suffix.lower())
    module = importlib.import_module(f"{__name__}.{PARSERS[suffix]}")
    check_container(data, suffix, limits)
    try:
        return module.parse(data, path.with_suffix(suffix), limits)
    except (DocumentError, MemoryError, KeyboardInterrupt):
        raise
    except Exception as e:  # noqa: BLE001 - third-party parsers on untrusted files raise anything
        first = str(e).splitlines()[0][:120] if str(e) else type(e).__name__
        raise DocumentError(f"unreadable {suffix} file ({first})") from None
