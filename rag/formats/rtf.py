""".rtf (Rich Text Format: what WordPad saves, and what many systems export as "Word"),
read by a tokenizer of our own -- RTF is a stream of control words, groups and text, and
the libraries that strip it to text drop what a question needs (table cells, footnotes,
the code page of each font).

- Characters: ``\\uN`` (then ``\\ucN`` replacement characters skipped), and ``\\'hh`` bytes
  in the code page of their font (``\\fcharset134`` GB2312, ``136`` Big5) or of the
  document (``\\ansicpg936``); a Chinese character is two ``\\'hh`` bytes, decoded together.
- Paragraphs (``\\par``), headings by their style's name (Title, Heading n, 标题 n) or
  outline level, tables as ``| a | b |`` rows and a region "table n" each (``\\cell``,
  ``\\row``; a paragraph inside a cell stays in the cell), as docx.py and doc.py write them.
- Footnotes and endnotes as a line after the paragraph (or table) that refers to them; a
  field as its result, never its code; the first page header and footer once, at the top
  and the end, page numbers left out; the title in the document's properties (``\\info``).
- Left out: fonts, colours, styles, pictures, embedded objects, hidden and deleted text,
  comments, index and contents entries, anything in a ``{\\*\\…}`` group we do not know.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import DocumentError
from ..load import tidy
from ..records import Location
from . import Extracted, Limits, TextBuilder, one_line, table_row
from .docx import heading_level, note_line, without_page_numbers

_TOKEN = re.compile(rb"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\(.)|([{}])|([^\\{}]+)", re.S)
# \fcharset -> code page (RTF spec 1.9.1, \fcharset); 0 (ANSI) is the document's \ansicpg.
_CHARSET_CP = {128: 932, 129: 949, 130: 1361, 134: 936, 136: 950, 161: 1253, 162: 1254, 163: 1258,
               177: 1255, 178: 1256, 186: 1257, 204: 1251, 222: 874, 238: 1250}
_SYMBOL = 2  # \fcharset2: Symbol/Wingdings, bullets and pictograms, not text
_DBCS = (932, 936, 949, 950, 1361)
# GB2312/GBK text holds GB18030 characters as often as not; Big5 text HKSCS ones (mail.py too).
_CODECS = {936: "gb18030", 950: "big5hkscs"}
_SYMBOLS = {"emdash": "—", "endash": "–", "bullet": "•", "lquote": "‘", "rquote": "’", "ldblquote": "“",
            "rdblquote": "”", "emspace": " ", "enspace": " ", "qmspace": " ", "tab": "\t", "line": "\n"}
_CONTROL_SYMBOLS = {b"~": "\u00a0", b"_": "\u2011", b"-": "", b"\\": "\\", b"{": "{", b"}": "}"}
# Destinations whose text is never document text; a {\*\word …} group we do not know is skipped
# too (the spec's rule for readers). \pict and \object hold binary data as hex.
_SKIPPED = {"colortbl", "pict", "object", "fldinst", "datafield", "sp",
            "shprslt", "nonshppict", "annotation", "atnid", "atnauthor", "xe", "tc", "tcn", "template",
            "themedata", "colorschememapping", "latentstyles", "datastore", "listtable", "listoverridetable",
            "rsidtbl", "generator", "revtbl", "filetbl", "ftnsep", "ftnsepc", "aftnsep", "aftnsepc", "userprops",
            "docvar", "falt", "panose", "comment", "author", "operator", "company", "keywords", "subject",
            "doccomm", "xmlnstbl", "mmathPr", "pgdsctbl", "wgrffmtfilter", "bkmkstart", "bkmkend"}
_READ_ANYWAY = {"fldrslt", "result", "shpinst", "shptxt", "ud", "listtext", "pntext", "footnote", "title"}
_MARGINS = {"header", "headerl", "headerr", "headerf", "footer", "footerl", "footerr", "footerf"}


@dataclass(frozen=True)
class _State:
    """What a group sets and its closing brace undoes (RTF scopes every property by group)."""
    dest: str = "body"  # body, note, header, footer, title, fonts, styles, or "" (skipped)
    font: int = -1
    uc: int = 1  # replacement characters after \uN
    intbl: bool = False
    style: int = 0
    outline: int = -1
    hidden: bool = False
    upr: bool = False  # inside \upr: its first group is the 8-bit copy of the \ud group after it
    resume: str = ""  # a group inside \upr: the destination its \ud goes back to


class _Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.ansi_cp = 1252
        self.default_font = -1
        self.fonts: dict[int, int] = {}  # font number -> code page (0: the document's, 2: symbol)
        self.styles: dict[int, str] = {}
        self.title: list[str] = []
        self.margins: dict[str, list[str]] = {}  # the first header and footer
        self.body = _Body()
        self.note: list[str] = []  # the footnote being read
        self.endnote = False  # it is an endnote (\ftnalt)
        self.name: list[str] = []  # a font's or style's name being read
        self.defining = -1  # the font or style number a table entry defines

    def read(self) -> None:
        data, state, stack = self.data, _State(), []
        pending = bytearray()  # \'hh bytes (and 8-bit text) waiting to be decoded together
        skip_after_u = 0
        high = 0  # a \uN that is the first half of a surrogate pair (a character beyond U+FFFF)
        pos, end = 0, len(data)
        star = False  # \* seen: the next control word names an optional destination
        while pos < end:
            m = _TOKEN.match(data, pos)
            if m is None:  # (only a lone trailing backslash)
                break
            pos = m.end()
            word, arg, hexbyte, symbol, brace, text = m.groups()
            if hexbyte is not None:
                if skip_after_u:
                    skip_after_u -= 1
                elif state.dest:
                    pending.append(int(hexbyte, 16))
                continue
            if text is not None:
                text = text.replace(b"\r", b"").replace(b"\n", b"")
                if skip_after_u:
                    text, skip_after_u = text[skip_after_u:], max(0, skip_after_u - len(text))
                if text and state.dest:
                    pending += text
                continue
            if pending:
                self.emit(state, self.decode(bytes(pending), state))
                pending.clear()
            if brace == b"{":
                stack.append(state)
                if state.upr:
                    state = replace(state, dest="", resume=state.dest, upr=False)
                continue
            if brace == b"}":
                skip_after_u = 0
                if not stack:
                    break  # the document's closing brace
                closed, state = state, stack.pop()
                self.closed(closed, state)
                continue
            if symbol is not None:
                skip_after_u = max(0, skip_after_u - 1)
                if symbol == b"*":
                    star = True
                elif symbol in b"\r\n":
                    self.control(state, "par", None)
                elif symbol in _CONTROL_SYMBOLS and state.dest:
                    self.emit(state, _CONTROL_SYMBOLS[symbol])
                continue
            name = word.decode("ascii")
            n = int(arg) if arg is not None else None
            if name == "bin":  # raw binary data follows: its bytes are no tokens
                pos += max(n or 0, 0)
                continue
            if skip_after_u and name != "u":
                skip_after_u -= 1
                continue
            if star and name not in _READ_ANYWAY:
                state = replace(state, dest="")
            star = False
            if name == "u" and n is not None:
                code = n + 65536 if n < 0 else n
                if 0xD800 <= code < 0xDC00:
                    high = code
                elif state.dest:
                    pair = 0xDC00 <= code < 0xE000 and high
                    self.emit(state, chr(0x10000 + (high - 0xD800 << 10) + code - 0xDC00 if pair else code))
                    high = 0
                skip_after_u = state.uc
                continue
            state = self.control(state, name, n)
        if pending:
            self.emit(state, self.decode(bytes(pending), state))
        self.body.finish()

    def control(self, state: _State, name: str, n: int | None) -> _State:
        """Apply a control word; returns the state it leaves."""
        if name == "ud" and state.resume:  # \upr's Unicode copy: read it, not the 8-bit one
            return replace(state, dest=state.resume, resume="")
        if not state.dest:
            return state
        if name in ("fonttbl", "stylesheet"):
            return replace(state, dest="fonts" if name == "fonttbl" else "styles")
        if name in _SKIPPED:
            return replace(state, dest="")
        if name in _MARGINS:  # the first page header and footer only (later ones repeat them)
            which = "header" if name.startswith("header") else "footer"
            return replace(state, dest=which if which not in self.margins and state.dest == "body" else "")
        if name == "footnote":
            self.note, self.endnote = [], False
            return replace(state, dest="note" if state.dest == "body" else "")
        if name == "info":
            return replace(state, dest="info")
        if name == "title" and state.dest == "info":
            return replace(state, dest="title")
        if state.dest in ("fonts", "styles"):
            self.table_entry(state.dest, name, n)
        elif name == "ansicpg" and n:
            self.ansi_cp = n
        elif name == "deff" and n is not None:
            self.default_font = n
        elif name == "f" and n is not None:
            return replace(state, font=n)
        elif name == "plain":
            return replace(state, font=self.default_font, hidden=False)
        elif name == "uc" and n is not None:
            return replace(state, uc=max(n, 0))
        elif name in ("v", "deleted"):
            return replace(state, hidden=n != 0)
        elif name == "upr":
            return replace(state, upr=True)
        elif name == "pard":
            return replace(state, intbl=False, style=0, outline=-1)
        elif name in ("intbl", "itap"):
            return replace(state, intbl=n != 0)
        elif name == "s" and n is not None:
            return replace(state, style=n)
        elif name == "outlinelevel" and n is not None:
            return replace(state, outline=n)
        elif name == "ftnalt":
            self.endnote = True
        elif name in _SYMBOLS:
            self.emit(state, _SYMBOLS[name])
        elif name in ("par", "sect", "page", "cell", "row", "nestcell", "nestrow"):
            self.end_of(state, name)
        return state

    def end_of(self, state: _State, name: str) -> None:
        """A paragraph, cell or row ends: in the body it is written; a note's or a page
        header's text takes a line break."""
        if state.dest == "body":
            if name in ("par", "sect", "page"):
                self.body.paragraph(state.intbl, self.level(state))
            elif name == "cell":
                self.body.cell()
            elif name == "row":
                self.body.row()
            else:  # a nested table's cell or row, inside the outer cell
                self.body.text(" " if name == "nestcell" else "\n")
        elif state.dest in ("note", "header", "footer"):
            self.emit(state, "\n")

    def table_entry(self, table: str, name: str, n: int | None) -> None:
        """A control word of the font table or the style sheet: which entry, its code page
        (a style's own font, \\f inside a style, is not an entry)."""
        if (name, table) in (("f", "fonts"), ("s", "styles")) and n is not None:
            self.defining, self.name = n, []
            if table == "fonts":
                self.fonts.setdefault(n, 0)
        elif name in ("cs", "ds", "ts"):
            self.defining = -1
        elif name == "fcharset" and n is not None and table == "fonts":
            self.fonts[self.defining] = _SYMBOL if n == _SYMBOL else _CHARSET_CP.get(n, 0)
        elif name == "cpg" and n and table == "fonts":
            self.fonts[self.defining] = n

    def level(self, state: _State) -> int:
        """A paragraph's heading level: by its style's name, else by the outline level of a
        styled paragraph (Word repeats a heading style's level in the paragraph; a plain
        paragraph's level is a table of contents' setting, not a heading)."""
        by_style = heading_level(self.styles.get(state.style, ""))
        return by_style or (state.outline + 1 if 0 <= state.outline < 6 and state.style else 0)

    def decode(self, raw: bytes, state: _State) -> str:
        """Bytes in the code page of their font, else the document's; a double-byte code page
        first when either is one (a Latin font's name on GBK bytes is common)."""
        font_cp = self.fonts.get(state.font, 0)
        if font_cp == _SYMBOL:
            return raw.decode("ascii", errors="ignore")
        pages = [cp for cp in (font_cp or self.ansi_cp, self.ansi_cp) if cp]
        for cp in sorted(dict.fromkeys(pages), key=lambda cp: cp not in _DBCS):
            try:
                return raw.decode(_CODECS.get(cp, f"cp{cp}"))
            except (LookupError, UnicodeDecodeError):
                continue
        return raw.decode("cp1252", errors="replace")

    def emit(self, state: _State, text: str) -> None:
        if state.hidden:
            return
        if state.dest == "body":
            self.body.text(text)
        elif state.dest == "note":
            self.note.append(text)
        elif state.dest in ("header", "footer"):
            self.margins.setdefault(state.dest, []).append(text)
        elif state.dest == "title":
            self.title.append(text)
        elif state.dest in ("fonts", "styles"):
            self.name.append(text)
            if ";" in text and state.dest == "styles" and self.defining >= 0:
                self.styles[self.defining] = "".join(self.name).split(";")[0].strip()
                self.defining = -1

    def closed(self, group: _State, outer: _State) -> None:
        """A group ended: a footnote's text goes to the paragraph that refers to it."""
        if group.dest == "note" and outer.dest != "note":
            if text := tidy("".join(self.note)):
                self.body.notes.append((not self.endnote, text))
        elif group.dest in ("header", "footer") and outer.dest != group.dest:
            self.margins.setdefault(group.dest, [])


class _Body:
    """The document's paragraphs and tables, written as doc.py writes a .doc's."""

    def __init__(self) -> None:
        self.out = TextBuilder()
        self.para: list[str] = []
        self.cells: list[str] = []
        self.rows: list[list[str]] = []
        self.notes: list[tuple[bool, str]] = []  # (footnote?, text) referred to since the last line written
        self.numbers = {True: 0, False: 0}
        self.tables = 0
        self.last_was_text = False

    def text(self, s: str) -> None:
        self.para.append(s)

    def noted(self) -> str:
        lines = []
        for footnote, text in self.notes:
            self.numbers[footnote] += 1
            lines.append(note_line(footnote, self.numbers[footnote], text))
        self.notes = []
        return "\n".join(lines)

    def paragraph(self, in_table: bool, level: int) -> None:
        if in_table:  # a paragraph inside a cell: the cell goes on
            self.para.append("\n")
            return
        self.end_table()
        text = tidy("".join(self.para))
        self.para = []
        if text and level:
            self.out.heading(level, text)
            self.last_was_text = False
        elif text:
            self.out.add(text, sep="\n" if self.last_was_text else "\n\n")
            self.last_was_text = True
        if note := self.noted():
            self.out.add(note, sep="\n")
            self.last_was_text = True

    def cell(self) -> None:
        self.cells.append(one_line(tidy("".join(self.para))))
        self.para = []

    def row(self) -> None:
        if self.para and "".join(self.para).strip():  # text after the last \cell
            self.cell()
        self.rows.append(self.cells)
        self.cells, self.para = [], []

    def end_table(self) -> None:
        if self.cells:
            self.row()
        rows = [r for r in self.rows if any(c.strip() for c in r)]
        self.rows = []
        if not rows:
            return
        self.tables += 1
        self.out.add("\n".join(table_row(r) for r in rows), location=Location("table", self.tables, rows=(1, len(rows))))
        self.last_was_text = False
        if note := self.noted():
            self.out.add(note)
            self.last_was_text = True

    def finish(self) -> None:
        self.paragraph(False, 0)


def parse(data: bytes, path: Path, limits: Limits) -> Extracted:
    data = data.lstrip()  # (whitespace before the first brace is no text)
    if not data.startswith(b"{\\rtf"):
        raise DocumentError("not an RTF file (it does not start with {\\rtf)")
    reader = _Reader(data)
    reader.read()
    body = reader.body.out
    header, footer = (without_page_numbers("".join(reader.margins.get(k, []))) for k in ("header", "footer"))
    out = TextBuilder()
    out.add(header)
    shift = out.pos + (2 if out.pos and body.pos else 0)
    out.add(body.text())
    out.regions = [replace(r, start=r.start + shift, end=r.end + shift) for r in body.regions]
    out.add(footer)
    if not out.pos:
        raise DocumentError("empty (no text)")
    return Extracted(out.text(), out.regions, title=one_line("".join(reader.title)), meta={"encoding": "rtf"})
