"""The numbers Word 97-2003 shows before a numbered paragraph, as docxlists.py reads them from a
.docx: a .doc keeps them out of its text too, in the table stream's list tables ([MS-DOC]
2.9.150 PlfLst with the LVLs after it, 2.9.131 PlfLfo), and a paragraph names its list by the
sprmPIlfo and sprmPIlvl of its properties (doc.py reads them with the table flags).

A level's number text (the LVL's xst) holds the level's own characters and, where a level's
number goes, that level's index (\\x00..\\x08); each is filled in by its level's number format
(nfc). Lists count as docxlists.Numbering's do, per list override (LFO), an item starting
the deeper levels again. A list table this cannot read gives no numbers, never an error: the
text is still read.
"""
from __future__ import annotations

import struct

from .docxlists import FORMATS, count_item

# nfc -> the .docx name of the same format ([MS-DOC] 2.9.155 / ST_NumberFormat); bullets (23)
# and the formats not listed give no number.
_NFC = {0: "decimal", 1: "upperRoman", 2: "lowerRoman", 3: "upperLetter", 4: "lowerLetter", 10: "ideographDigital",
        14: "decimalFullWidth", 18: "decimalEnclosedCircle", 22: "decimalZero", 28: "decimalEnclosedCircleChinese",
        30: "ideographTraditional", 33: "taiwaneseCounting", 35: "taiwaneseCountingThousand", 37: "chineseCounting",
        38: "chineseLegalSimplified", 39: "chineseCountingThousand"}
_LSTF, _LVLF, _LFO = 28, 28, 16


class DocNumbering:
    def __init__(self, table: bytes, plf_lst: tuple[int, int], plf_lfo: tuple[int, int]):
        self.lists: dict[int, list[tuple[int, int, str]]] = {}  # lsid -> levels (start, nfc, xst)
        self.lfos: list[tuple[int, dict[int, int]]] = []  # (lsid, level -> start override), ilfo 1 first
        self.counts: dict[int, dict[int, int]] = {}
        try:
            self._read(table, plf_lst, plf_lfo)
        except (struct.error, IndexError, ValueError, UnicodeDecodeError):
            self.lists, self.lfos = {}, []

    def _read(self, t: bytes, plf_lst: tuple[int, int], plf_lfo: tuple[int, int]) -> None:
        fc, lcb = plf_lst
        if not lcb:
            return
        (count,) = struct.unpack_from("<h", t, fc)
        at = fc + 2 + count * _LSTF  # (the LVLs follow the PlfLst)
        for k in range(count):
            lstf = fc + 2 + k * _LSTF
            lsid, simple = struct.unpack_from("<I", t, lstf)[0], t[lstf + 26] & 1
            levels = []
            for _ in range(1 if simple else 9):
                level, at = _lvl(t, at)
                levels.append(level)
            self.lists[lsid] = levels
        fc, lcb = plf_lfo
        if not lcb:
            return
        (n,) = struct.unpack_from("<I", t, fc)
        heads = [(struct.unpack_from("<I", t, fc + 4 + i * _LFO)[0], t[fc + 4 + i * _LFO + 12]) for i in range(n)]
        at = fc + 4 + n * _LFO
        for lsid, clfolvl in heads:
            at += 4  # (LFOData's cp)
            overrides = {}
            for _ in range(clfolvl):
                start, bits = struct.unpack_from("<iI", t, at)
                at += 8
                if bits & 0x10:  # fStartAt
                    overrides[bits & 0x0F] = start
                if bits & 0x20:  # fFormatting: a whole LVL follows
                    _, at = _lvl(t, at)
            self.lfos.append((lsid, overrides))

    def label(self, ilfo: int, ilvl: int) -> str:
        """The number the paragraph of list ``ilfo`` (1-based; 0: none), level ``ilvl`` shows;
        counts it."""
        if not 0 < ilfo <= len(self.lfos):
            return ""
        lsid, overrides = self.lfos[ilfo - 1]
        levels = self.lists.get(lsid, [])
        if ilvl >= len(levels):
            return ""
        counts = self.counts.setdefault(ilfo, {})
        count_item(counts, ilvl, overrides.get(ilvl, levels[ilvl][0]))
        _, nfc, xst = levels[ilvl]
        if nfc not in _NFC:
            return ""
        out = []
        for ch in xst:
            k = ord(ch)
            if k < len(levels) and k <= ilvl:
                n = counts.get(k, overrides.get(k, levels[k][0]))
                out.append(FORMATS[_NFC.get(levels[k][1], "decimal")](n))
            elif k >= 9:
                out.append(ch)
        return "".join(out).strip()


def _lvl(t: bytes, at: int) -> tuple[tuple[int, int, str], int]:
    """One LVL at ``at``: ((start, nfc, number text), the offset after it)."""
    start, nfc = struct.unpack_from("<iB", t, at)
    chpx, papx = t[at + 24], t[at + 25]
    at += _LVLF + papx + chpx
    (cch,) = struct.unpack_from("<H", t, at)
    xst = t[at + 2:at + 2 + 2 * cch].decode("utf-16-le")
    return (start, nfc, xst), at + 2 + 2 * cch
