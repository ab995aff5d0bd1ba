""".doc (Word 97-2003), read with olefile.

A .doc is a compound file whose WordDocument stream holds the characters and whose table
stream (0Table or 1Table) holds the piece table: which runs of character positions (CPs)
stand where in the WordDocument stream, each as 8-bit text or UTF-16 (a Chinese document's
pieces are UTF-16). The main text is CPs [0, ccpText); the footnotes, headers and footers,
comments, endnotes and text boxes follow it in that order ([MS-DOC] 2.3). We read:

- the body, paragraph by paragraph (``\\r``); a field is its result, not its code
  (``\\x13 code \\x14 result \\x15``: a hyperlink's text, a date, never "PAGE");
- tables as ``| a | b |`` rows, a region "table n" each, as docx.py writes them: a cell ends
  with ``\\x07``, and so does a row, told apart by the row-end paragraph property (sprmPFTtp)
  in the paragraph formatting (PAPX) pages -- an empty cell and a row end read alike in the
  characters alone;
- footnotes and endnotes as a line after the paragraph that refers to them ("注1：…"), as
  docx.py does;
- the first section's page header and footer once, at the top and the end, page numbers left
  out; text boxes at the end.

Heading styles become ``#`` lines as in docx.py (Title, Heading n, 标题 n by their names in
the style sheet). An encrypted .doc is refused with a reason, and so is Word 6/95's format.
(A workbook or a deck named .doc never gets here: container.real_suffix sends a file by the
streams it holds.)
"""
from __future__ import annotations

import struct
from bisect import bisect_left, bisect_right
from pathlib import Path

from ..errors import DocumentError
from ..load import tidy
from ..records import Location
from . import Extracted, Limits, container, TextBuilder, numbered, one_line, table_row
from .doclists import DocNumbering
from .docx import heading_level, note_line, without_page_numbers

_WORD_IDENT = 0xA5EC
# Indexes into FibRgFcLcb97 (pairs of fc, lcb) and FibRgLw97 ([MS-DOC] 2.5.6, 2.5.5)
_STSH, _FNDREF, _FNDTXT, _HDD, _BTEPAPX, _CLX, _ENDREF, _ENDTXT, _PLF_LST, _PLF_LFO = 1, 2, 3, 11, 13, 33, 46, 47, 73, 74
_CCP_TEXT, _CCP_FTN, _CCP_HDD, _CCP_ATN, _CCP_EDN, _CCP_TXBX, _CCP_HDRTXBX = 3, 4, 5, 7, 8, 9, 10
_SPRM_IN_TABLE, _SPRM_TTP = 0x2416, 0x2417
_SPRM_ILVL, _SPRM_ILFO = 0x260A, 0x460B  # a numbered paragraph's list level and list (doclists.py)
_CP1252 = "cp1252"  # the 8-bit ("compressed") pieces' code page ([MS-DOC] 2.4.1, FcCompressed)


def _u16(b: bytes, at: int) -> int:
    return struct.unpack_from("<H", b, at)[0]


def _u32(b: bytes, at: int) -> int:
    return struct.unpack_from("<I", b, at)[0]


def _plc(raw: bytes, data_size: int) -> tuple[list[int], list[bytes]]:
    """A PLC ([MS-DOC] 2.2.2): its n + 1 CPs, then n data items of ``data_size`` bytes."""
    n = (len(raw) - 4) // (4 + data_size)
    cps = [_u32(raw, 4 * k) for k in range(n + 1)]
    base = 4 * (n + 1)
    return cps, [raw[base + data_size * k:base + data_size * (k + 1)] for k in range(n)]


class _Doc:
    def __init__(self, data: bytes):
        ole = container.open_compound(data, ".doc", "WordDocument")
        self.word = ole.openstream("WordDocument").read()
        w = self.word
        if len(w) < 0x200 or _u16(w, 0) != _WORD_IDENT:
            raise DocumentError("not a Word 97-2003 document (Word 6/95 and older are not read)")
        flags = _u16(w, 0x0A)
        if flags & 0x0100:
            raise DocumentError("password-protected (encrypted); save a copy without a password to index it")
        table = "1Table" if flags & 0x0200 else "0Table"
        if not ole.exists(table):
            raise DocumentError(f"damaged .doc file (its {table} stream is missing)")
        self.table = ole.openstream(table).read()
        self.title = container.ole_title(ole)
        ole.close()
        csw = _u16(w, 32)
        lw = 32 + 2 + csw * 2 + 2  # FibRgLw97
        cslw = _u16(w, lw - 2)
        self.lw = [_u32(w, lw + 4 * i) for i in range(min(cslw, 22))]
        fc = lw + cslw * 4 + 2
        count = _u16(w, fc - 2)
        self.fclcb = [(_u32(w, fc + 8 * i), _u32(w, fc + 8 * i + 4)) for i in range(count)]
        self.pieces = self._pieces()
        self.text = "".join(self._piece_text(p) for p in self.pieces)
        self.cp_starts = [p[0] for p in self.pieces]

    def pair(self, i: int) -> tuple[int, int]:
        return self.fclcb[i] if i < len(self.fclcb) else (0, 0)

    def _ccp(self, i: int) -> int:
        return self.lw[i] if i < len(self.lw) else 0

    def _pieces(self) -> list[tuple[int, int, int, bool]]:
        """(cp start, cp end, byte offset in WordDocument, 8-bit) of each piece."""
        fc, lcb = self.pair(_CLX)
        clx = self.table[fc:fc + lcb]
        i = 0
        while i < len(clx) and clx[i] == 0x01:  # Prc: property modifiers, skipped
            i += 3 + _u16(clx, i + 1)
        if i >= len(clx) or clx[i] != 0x02:
            raise DocumentError("damaged .doc file (no piece table)")
        cps, pcds = _plc(clx[i + 5:i + 5 + _u32(clx, i + 1)], 8)  # (a Pcd: flags, fc, prm)
        out = []
        for k, pcd in enumerate(pcds):
            fc_c = _u32(pcd, 2)
            compressed = bool(fc_c & 0x40000000)
            offset = (fc_c & 0x3FFFFFFF) // 2 if compressed else fc_c & 0x3FFFFFFF
            out.append((cps[k], cps[k + 1], offset, compressed))
        return out

    def _piece_text(self, piece: tuple[int, int, int, bool]) -> str:
        start, end, offset, compressed = piece
        n = end - start
        if compressed:
            return self.word[offset:offset + n].decode(_CP1252, errors="replace")
        return self.word[offset:offset + 2 * n].decode("utf-16-le", errors="replace")

    def fc_of(self, cp: int) -> int:
        """The byte offset in WordDocument of the character at ``cp``."""
        k = bisect_right(self.cp_starts, cp) - 1
        start, _, offset, compressed = self.pieces[k]
        return offset + (cp - start) * (1 if compressed else 2)

    def stories(self) -> dict[str, tuple[int, int]]:
        """CP ranges of the main text and the parts that follow it."""
        out, at = {}, 0
        for name, i in (("main", _CCP_TEXT), ("ftn", _CCP_FTN), ("hdd", _CCP_HDD), ("atn", _CCP_ATN),
                        ("edn", _CCP_EDN), ("txbx", _CCP_TXBX), ("hdrtxbx", _CCP_HDRTXBX)):
            out[name] = (at, at + self._ccp(i))
            at += self._ccp(i)
        return out

    def plc(self, index: int, data_size: int) -> tuple[list[int], list[bytes]]:
        """A PLC of the table stream: its CPs (n + 1) and data items (n)."""
        fc, lcb = self.pair(index)
        return _plc(self.table[fc:fc + lcb], data_size) if lcb else ([], [])

    def style_names(self) -> dict[int, str]:
        """Style index -> name, from the style sheet (STSH, [MS-DOC] 2.9.271): after its
        header, one length-prefixed STD per style, whose base (of a size the header gives) is
        followed by the name as a length-prefixed UTF-16 string."""
        fc, lcb = self.pair(_STSH)
        raw = self.table[fc:fc + lcb]
        if len(raw) < 6:
            return {}
        head = _u16(raw, 0)
        count, base = _u16(raw, 2), _u16(raw, 4)
        out, at = {}, 2 + head
        for istd in range(count):
            if at + 2 > len(raw):
                break
            size = _u16(raw, at)
            std = raw[at + 2:at + 2 + size]
            at += 2 + size
            if size >= base + 2:
                n = _u16(std, base)
                out[istd] = std[base + 2:base + 2 + 2 * n].decode("utf-16-le", errors="replace")
        return out

    def paragraphs(self) -> "_Paragraphs":
        return _Paragraphs(self)


class _Paragraphs:
    """Whether the paragraph ending at a byte offset is in a table, or ends a table row: from
    the paragraph formatting pages (PlcBtePapx -> PapxFkp, [MS-DOC] 2.9.175), which map runs
    of bytes of the WordDocument stream to their paragraph properties."""

    def __init__(self, doc: _Doc):
        runs: list[tuple] = []  # (start, end, in table, row end, style, list, list level)
        _, items = doc.plc(_BTEPAPX, 4)
        for item in items:
            page = _u32(item, 0) * 512
            fkp = doc.word[page:page + 512]
            if len(fkp) < 512:
                continue
            crun = fkp[511]
            fcs = [_u32(fkp, 4 * k) for k in range(crun + 1)]
            for k in range(crun):
                at = fkp[4 * (crun + 1) + 13 * k] * 2
                flags, istd = {}, 0
                if at:
                    cb = fkp[at]
                    grp = fkp[at + 1:at + 2 * cb] if cb else fkp[at + 2:at + 2 + 2 * fkp[at + 1]]
                    flags, istd = _flags(grp[2:]), _u16(grp, 0) if len(grp) >= 2 else 0
                runs.append((fcs[k], fcs[k + 1], bool(flags.get(_SPRM_IN_TABLE)), bool(flags.get(_SPRM_TTP)), istd,
                             flags.get(_SPRM_ILFO, 0), flags.get(_SPRM_ILVL, 0)))
        runs.sort(key=lambda run: run[0])
        self.starts = [run[0] for run in runs]
        self.runs = [run[1:] for run in runs]  # (end, in table, row end, style, list, level)

    def at(self, fc: int) -> tuple[bool, bool, int, int, int]:
        """(in a table, ends a row, style index, list (ilfo), list level) of the paragraph
        whose mark is at byte ``fc``."""
        k = bisect_right(self.starts, fc) - 1
        if k < 0 or fc >= self.runs[k][0]:
            return False, False, 0, 0, 0
        return self.runs[k][1:]


def _flags(grpprl: bytes) -> dict[int, int]:
    """The table flags (in a table, row end) and the list and level (ilfo, ilvl) set in a
    list of paragraph properties."""
    out: dict[int, int] = {}
    i = 0
    while i + 2 <= len(grpprl):
        sprm = _u16(grpprl, i)
        i += 2
        if sprm in (_SPRM_IN_TABLE, _SPRM_TTP, _SPRM_ILVL) and i < len(grpprl):
            out[sprm] = grpprl[i]
        elif sprm == _SPRM_ILFO and i + 2 <= len(grpprl):
            out[sprm] = struct.unpack_from("<h", grpprl, i)[0]
        spra = sprm >> 13  # the operand's size ([MS-DOC] 2.2.5.1)
        if spra in (0, 1):
            i += 1
        elif spra in (2, 4, 5):
            i += 2
        elif spra == 3:
            i += 4
        elif spra == 7:
            i += 3
        elif sprm == 0xD608 and i + 2 <= len(grpprl):  # sprmTDefTable: a two-byte size
            i += _u16(grpprl, i) + 1
        elif i < len(grpprl):  # variable: a size byte
            i += grpprl[i] + 1
        else:
            break
    return out


_SPECIAL = str.maketrans({"\x0b": "\n", "\x0c": "\n", "\x0e": "\n", "\x1e": "-", "\x1f": None, "\xa0": " ",
                          "\x01": None, "\x08": None, "\x02": None, "\x05": None, "\x03": None, "\x04": None})


def _fields_out(text: str) -> str:
    """``\\x13 code \\x14 result \\x15`` -> result; a field without a result -> nothing."""
    out, depth_code = [], []
    for ch in text:
        if ch == "\x13":
            depth_code.append(True)
        elif ch == "\x14":
            if depth_code:
                depth_code[-1] = False
        elif ch == "\x15":
            if depth_code:
                depth_code.pop()
        elif not any(depth_code):
            out.append(ch)
    return "".join(out)


def _clean(text: str) -> str:
    return _fields_out(text).translate(_SPECIAL)


def _story(text: str) -> str:
    """A note's, a header's or a text box's characters as lines (cells read as words)."""
    return _clean(text).replace("\r", "\n").replace("\x07", " ")


class _Notes:
    """Footnotes or endnotes: their text by the CP of their reference in the main text."""

    def __init__(self, doc: _Doc, ref: int, txt: int, story: tuple[int, int]):
        self.by_ref: dict[int, str] = {}
        self.refs: list[int] = []  # by_ref's CPs in order
        refs, _ = doc.plc(ref, 2)
        bounds, _ = doc.plc(txt, 0)
        for k, cp in enumerate(refs[:-1]):
            if k + 1 < len(bounds):
                a, b = story[0] + bounds[k], story[0] + bounds[k + 1]
                note = tidy(_story(doc.text[a:b]))
                if note:
                    self.by_ref[cp] = note
        self.refs = sorted(self.by_ref)

    def within(self, start: int, end: int) -> list[int]:
        """The CPs of the references in [start, end), in order."""
        return self.refs[bisect_left(self.refs, start):bisect_left(self.refs, end)]


def _margins(doc: _Doc, story: tuple[int, int]) -> tuple[str, str]:
    """The first section's page header and footer ([MS-DOC] 2.9.105: after six separator
    stories, each section has even/odd header, even/odd footer, first-page header/footer)."""
    cps, _ = doc.plc(_HDD, 0)
    if len(cps) < 13 or story[1] <= story[0]:
        return "", ""

    def text(*which: int) -> str:
        for i in which:
            a, b = story[0] + cps[i], story[0] + cps[i + 1]
            got = without_page_numbers(_story(doc.text[a:b]))
            if got:
                return got
        return ""

    return text(7, 10, 6), text(9, 11, 8)


def parse(data: bytes, path: Path, limits: Limits) -> Extracted:
    doc = _Doc(data)
    stories = doc.stories()
    paragraphs = doc.paragraphs()
    styles = {istd: heading_level(name) for istd, name in doc.style_names().items()}
    lists = DocNumbering(doc.table, doc.pair(_PLF_LST), doc.pair(_PLF_LFO))
    notes = {True: _Notes(doc, _FNDREF, _FNDTXT, stories["ftn"]), False: _Notes(doc, _ENDREF, _ENDTXT, stories["edn"])}
    numbers: dict[tuple[bool, int], int] = {}
    out = TextBuilder()
    header, footer = _margins(doc, stories["hdd"])
    if header:
        out.add(header)
    n_tables = 0
    rows: list[list[str]] = []  # the table being read
    cells: list[str] = []  # the row being read
    para: list[str] = []  # the paragraph (or the cell) being read
    para_start = 0
    last_was_text = False

    def noted(start: int, end: int) -> str:
        """The lines of the notes referred to within CPs [start, end)."""
        lines = []
        for footnote, found in notes.items():
            for cp in found.within(start, end):
                n = numbers.setdefault((footnote, cp), sum(k == footnote for k, _ in numbers) + 1)
                lines.append(note_line(footnote, n, found.by_ref[cp]))
        return "\n".join(lines)

    def end_table() -> None:
        nonlocal rows, n_tables, last_was_text
        rows = [r for r in rows if any(c.strip() for c in r)]
        if rows:
            n_tables += 1
            out.add("\n".join(table_row(r) for r in rows), location=Location("table", n_tables, rows=(1, len(rows))))
            last_was_text = False
        rows = []

    a, b = stories["main"]
    table_start = a
    for cp in range(a, b):
        ch = doc.text[cp]
        if ch not in "\r\x07":
            para.append(ch)
            continue
        in_table, row_end, istd, ilfo, ilvl = paragraphs.at(doc.fc_of(cp))
        if ch == "\x07" and row_end:  # (a row's end mark holds no text)
            rows.append(cells)
            cells, para = [], []
        elif ch == "\x07":  # a cell's end
            cells.append(one_line(_clean("".join(para))))
            para = []
        elif in_table:  # a paragraph inside a cell: the cell goes on
            para.append("\n")
        else:
            if rows or cells:  # the paragraph after a table: the table ends
                if cells:
                    rows.append(cells)
                    cells = []
                end_table()
                if note := noted(table_start, para_start):
                    out.add(note)
                    last_was_text = True
            text = tidy(_clean("".join(para)))
            label = numbered(lists.label(ilfo, ilvl))  # (counted when empty too, as Word numbers it)
            if text and styles.get(istd):
                out.heading(styles[istd], label + text)
                last_was_text = False
            elif text:
                out.add(label + text, sep="\n" if last_was_text else "\n\n")
                last_was_text = True
            if note := noted(para_start, cp + 1):
                out.add(note, sep="\n")
                last_was_text = True
            para = []
        if ch == "\r" and not in_table or ch == "\x07" and row_end:
            para_start = cp + 1
            if not rows:
                table_start = cp + 1
    if cells:
        rows.append(cells)
    if rows:
        end_table()
    if rest := tidy(_clean("".join(para))):
        out.add(rest)
    x, y = stories["txbx"]
    if boxes := tidy(_story(doc.text[x:y])):
        out.add(boxes)
    if footer:
        out.add(footer)
    if not out.pos:
        raise DocumentError("empty (no text)")
    return Extracted(out.text(), out.regions, title=doc.title, meta={"encoding": "doc"})
