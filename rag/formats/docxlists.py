"""The numbers Word shows before a numbered paragraph ("3.", "第3步", "（二）", "①"): Word keeps
them out of the text, in the list definitions of word/numbering.xml, so python-docx reads "关闭
电源" where the page shows "3. 关闭电源" -- and a how-to question asks what step 3 is.

A paragraph is numbered by its own numPr or its style's (List Number, a heading style tied to
a list), through the style's basedOn chain; numId 0 takes the numbering away. Each list
(numId) counts its levels: an item of a level counts on from the last of that level and
starts the deeper levels again; a list's start (or its override) is where it begins. The
level's lvlText ("%1.", "第%1步", "%1.%2") is filled in by each level's numFmt. Bullets, and
formats this does not write, give no number.
"""
from __future__ import annotations

import re

from . import chinese, roman

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEAVENLY = "甲乙丙丁戊己庚辛壬癸"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def _attr(el, name: str, default: str = "") -> str:
    return el.get(f"{_W}{name}", default) if el is not None else default


def _value(el, path: str, default: str = "") -> str:
    found = el.find(path.replace("w:", _W)) if el is not None else None
    return _attr(found, "val", default)


def _letters(n: int) -> str:
    return chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1)  # (Word: A … Z, AA … ZZ)


FORMATS = {
    "decimal": str, "decimalZero": lambda n: f"{n:02d}", "upperRoman": roman, "lowerRoman": lambda n: roman(n).lower(),
    "upperLetter": _letters, "lowerLetter": lambda n: _letters(n).lower(),
    "chineseCounting": chinese, "chineseCountingThousand": chinese, "chineseLegalSimplified": chinese,
    "taiwaneseCounting": chinese, "taiwaneseCountingThousand": chinese, "ideographDigital": chinese,
    "ideographTraditional": lambda n: _HEAVENLY[n - 1] if n <= 10 else str(n),
    "decimalEnclosedCircle": lambda n: _CIRCLED[n - 1] if n <= 20 else str(n),
    "decimalEnclosedCircleChinese": lambda n: _CIRCLED[n - 1] if n <= 20 else str(n),
    "decimalFullWidth": lambda n: "".join(chr(ord(c) + 0xFEE0) for c in str(n)),
}


def count_item(counts: dict[int, int], level: int, start: int) -> None:
    """Counts an item of ``level`` in a list's ``counts`` (level -> its last number): on from
    the level's last item, else from ``start``; the deeper levels start again after it. (A
    .docx list's and a .doc list's alike: doclists.py.)"""
    counts[level] = counts[level] + 1 if level in counts else start
    for deeper in [k for k in counts if k > level]:
        del counts[deeper]


class Numbering:
    """Which number each paragraph of one document shows, asked in document order."""

    def __init__(self, numbering, styles):
        """``numbering`` and ``styles``: the w:numbering and w:styles elements python-docx
        has parsed (either may be None)."""
        # abstractNum id -> level -> (numFmt, lvlText, start)
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}
        self.lists: dict[str, tuple[str, dict[int, int]]] = {}  # numId -> (abstractNum id, level -> start override)
        for abstract in numbering.iter(f"{_W}abstractNum") if numbering is not None else ():
            self.levels[_attr(abstract, "abstractNumId")] = {
                int(_attr(lvl, "ilvl", "0")): (_value(lvl, "w:numFmt", "decimal"), _value(lvl, "w:lvlText"),
                                               int(_value(lvl, "w:start", "1") or 1))
                for lvl in abstract.iter(f"{_W}lvl")}
        for num in numbering.iter(f"{_W}num") if numbering is not None else ():
            overrides = {int(_attr(o, "ilvl", "0")): int(_value(o, "w:startOverride", "1") or 1)
                         for o in num.iter(f"{_W}lvlOverride") if o.find(f"{_W}startOverride") is not None}
            self.lists[_attr(num, "numId")] = (_value(num, "w:abstractNumId"), overrides)
        self.styles: dict[str, tuple[str | None, str | None, str]] = {}  # styleId -> (numId, ilvl, basedOn)
        for style in styles.iter(f"{_W}style") if styles is not None else ():
            pr = style.find(f"{_W}pPr/{_W}numPr")
            num_id = _value(pr, "w:numId") if pr is not None and pr.find(f"{_W}numId") is not None else None
            ilvl = _value(pr, "w:ilvl") if pr is not None and pr.find(f"{_W}ilvl") is not None else None
            self.styles[_attr(style, "styleId")] = (num_id, ilvl, _value(style, "w:basedOn"))
        self.counts: dict[str, dict[int, int]] = {}

    def _style_numbering(self, style_id: str) -> tuple[str | None, str | None]:
        num_id = ilvl = None
        seen: set[str] = set()
        while style_id and style_id not in seen and (num_id is None or ilvl is None):
            seen.add(style_id)
            own_num, own_lvl, style_id = self.styles.get(style_id, (None, None, ""))
            num_id = num_id if num_id is not None else own_num
            ilvl = ilvl if ilvl is not None else own_lvl
        return num_id, ilvl

    def label(self, p) -> str:
        """The number paragraph ``p`` (a w:p element) shows, "" for none; counts it."""
        pr = p.find(f"{_W}pPr")
        own = pr.find(f"{_W}numPr") if pr is not None else None
        style_num, style_lvl = self._style_numbering(_value(pr, "w:pStyle"))
        num_id = _value(own, "w:numId") if own is not None and own.find(f"{_W}numId") is not None else style_num
        level = _value(own, "w:ilvl") if own is not None and own.find(f"{_W}ilvl") is not None else style_lvl
        if not num_id or num_id == "0" or num_id not in self.lists:
            return ""
        abstract, overrides = self.lists[num_id]
        levels = self.levels.get(abstract, {})
        ilvl = int(level or 0)
        if ilvl not in levels:
            return ""
        counts = self.counts.setdefault(num_id, {})
        count_item(counts, ilvl, overrides.get(ilvl, levels[ilvl][2]))
        fmt, text, _ = levels[ilvl]
        if fmt not in FORMATS or not text:
            return ""  # (a bullet, or a format not written here)

        def filled(m: re.Match) -> str:
            k = int(m.group(1)) - 1
            n = counts.get(k, overrides.get(k, levels.get(k, ("", "", 1))[2]))
            return FORMATS.get(levels.get(k, (fmt,))[0], str)(n)

        return re.sub(r"%(\d)", filled, text).strip()
