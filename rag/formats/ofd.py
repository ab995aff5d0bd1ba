""".ofd (GB/T 33190-2016, China's fixed-layout format: e-invoices 数电票, official documents
公文), read with zipfile and lxml. An OFD is a zip of XML files; its text is glyphs placed on
pages, as a PDF's is, so each page's lines are rebuilt from where its characters stand and
then treated as a PDF's text layer (pagelines.page_lines: running headers and page numbers
dropped, wrapped lines joined -- on prose pages: a page in columns, an invoice, keeps its
lines as rows). Each page is a region "page n".

- OFD.xml -> the first DocBody (its DocInfo/Title is the title) -> DocRoot (Document.xml) ->
  Pages/Page BaseLoc (each page's Content.xml) and CommonData/TemplatePage (a template page's
  text is part of every page that uses it: an invoice's printed labels 购买方, 价税合计 sit
  there, the values in the page).
- A TextObject's TextCodes: X, Y from the Boundary's origin (through the object's CTM),
  DeltaX/DeltaY the steps to each next character (``g n v``: n steps of v).
- Elements are matched by local name: producers use the namespace under any prefix, or none.
  Locations are read leniently (a leading slash, another case) as viewers read them.
- Left out: annotations, signatures and seals, attachments (an e-invoice's XML), custom tags
  -- none is the page's printed text -- and pictures (a scanned OFD is refused: no OCR here).
"""
from __future__ import annotations

import io
import itertools
import math
import posixpath
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import DocumentError
from ..load import tidy
from ..records import Location
from . import Extracted, Limits, TextBuilder, one_line
from .pagelines import page_lines

# Gaps between two characters, in font sizes (em): wider than _COLUMN is another column (an
# invoice's label and value columns, table cells); wider than _SPACE a visible space. Between
# two Latin pieces a word space (~0.3 em) is one: Latin words are placed apart, not spaced.
_COLUMN, _SPACE, _WORD_SPACE = 2.0, 1.0, 0.3
# Chinese characters of two runs a quarter of a character apart are two cells' (规格 "…/包"
# beside 单位 "包"): a Chinese font leaves no gap between its characters, and a line of prose
# split into runs (a font change) stands flush.
_CELL_GAP = 0.25
_SAME_LINE = 0.5  # baselines closer than this share of the font size are one line
_ENCRYPTED = "encrypted; save a copy without encryption to index it"


@dataclass(frozen=True)
class _Glyph:
    x: float  # pen position of the character on the page (mm), baseline
    y: float
    size: float  # font size on the page (mm), the object's CTM applied
    char: str  # (or a vertical run's characters, top to bottom: one column wide)
    code: int  # which TextCode it came from: its characters' steps are the producer's own

    @property
    def advance(self) -> float:
        # (Chinese fonts set Latin letters and digits half-width; a glyph's real width is in
        # the font file, which we do not read.)
        return self.size * (1.0 if _wide(self.char[-1]) or len(self.char) > 1 else 0.5)


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def _local(el) -> str:
    """An element's name without its namespace or prefix ('' for a comment)."""
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _children(el, name: str) -> list:
    return [c for c in el if _local(c) == name]


def _first(el, name: str):
    return next((c for c in el.iter() if _local(c) == name), None)


def _numbers(value: str | None) -> list[float]:
    try:
        return [float(v) for v in (value or "").replace(",", " ").split()]
    except ValueError:
        return []


class _Package:
    """The zip's files, found by the locations the XML gives."""

    def __init__(self, data: bytes):
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError, EOFError):
            raise DocumentError("damaged .ofd file (not a zip archive)") from None
        self.names = {n for n in self.zip.namelist() if not n.endswith("/")}
        self.folded = {n.lower(): n for n in self.names}

    def find(self, loc: str, folder: str) -> str | None:
        """The file ``loc`` names, relative to ``folder`` (the referring file's) or, absolute,
        to the package's root; then as a path from the root and in any case -- producers
        write all three, and viewers open them."""
        loc = (loc or "").strip().replace("\\", "/")
        if not loc:
            return None
        tries = [loc.lstrip("/")] if loc.startswith("/") else [posixpath.join(folder, loc), loc]
        for name in (posixpath.normpath(t).lstrip("/") for t in tries):
            found = name if name in self.names else self.folded.get(name.lower())
            if found:
                return found
        return None

    def xml(self, name: str):
        from lxml import etree

        data = self.zip.read(name)
        try:
            return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            # (A prefix never declared -- "ofd:Page" without xmlns:ofd -- is an error to
            # libxml2; the recovering parser keeps the elements, named "ofd:Page".)
            root = etree.fromstring(data, etree.XMLParser(recover=True, resolve_entities=False, no_network=True))
            if root is None:
                raise DocumentError(f"damaged .ofd file ({name} is not XML)") from None
            return root


def _document(pkg: _Package, notes: list[str]) -> tuple[str, str]:
    """(Document.xml's name in the zip, the title) from OFD.xml; refuses an encrypted file."""
    entry = pkg.find("OFD.xml", "")
    if entry is None:
        raise DocumentError("damaged .ofd file (no OFD.xml)")
    ofd = pkg.xml(entry)
    # (GM/T 0099 encryption lists the encrypted files in Encryptions.xml beside OFD.xml; the
    # files it replaced hold placeholders, whose "text" would be indexed as the document's.)
    if _first(ofd, "Encryptions") is not None or pkg.find("Encryptions.xml", "") is not None:
        raise DocumentError(_ENCRYPTED)
    bodies = _children(ofd, "DocBody") or [b for b in ofd.iter() if _local(b) == "DocBody"]
    root = next((c for c in bodies[0] if _local(c) == "DocRoot"), None) if bodies else None
    if root is None or not (root.text or "").strip():
        raise DocumentError("damaged .ofd file (OFD.xml names no DocBody/DocRoot)")
    if len(bodies) > 1:
        notes.append(f"the file holds {len(bodies)} documents; the first is read")
    name = pkg.find(root.text, posixpath.dirname(entry))
    if name is None:
        raise DocumentError(f"damaged .ofd file ({root.text.strip()} is missing)")
    info = next((c for c in bodies[0] if _local(c) == "DocInfo"), None)
    title = _first(info, "Title") if info is not None else None
    return name, one_line(title.text if title is not None else "")


def _deltas(value: str | None, count: int) -> list[float]:
    """``count`` steps from a DeltaX/DeltaY: numbers, or ``g n v`` for n steps of v; a list
    that runs short repeats its last step (as viewers draw it), an empty one gives []."""
    tokens, steps = iter((value or "").split()), []
    try:
        for token in tokens:
            n = int(next(tokens)) if token == "g" else 1
            steps += [float(next(tokens) if token == "g" else token)] * n
    except (ValueError, StopIteration):
        pass  # (a malformed list: the steps read so far)
    return (steps + steps[-1:] * count)[:count] if steps else []


def _object_glyphs(obj, codes: itertools.count) -> list[_Glyph]:
    """The characters of a TextObject where they stand on the page."""
    box = _numbers(obj.get("Boundary")) + [0.0, 0.0]
    ctm = _numbers(obj.get("CTM"))
    a, b, c, d, e, f = ctm if len(ctm) == 6 else (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)  # x' = a x + c y + e, y' = b x + d y + f
    scale = math.sqrt(abs(a * d - b * c)) or 1.0
    size = (_numbers(obj.get("Size")) or [3.5])[0] * scale
    out: list[_Glyph] = []
    x = y = 0.0
    for code, n in zip(_children(obj, "TextCode"), codes):
        # (A TextCode pretty-printed over lines holds the line break and the indent: not text.)
        text = code.text or ""
        text = " ".join(text.split()) if re.search(r"[\n\r\t]", text) else text
        # (X or Y left out: the last TextCode's pen position goes on.)
        x = (_numbers(code.get("X")) or [x])[0]
        y = (_numbers(code.get("Y")) or [y])[0]
        dx, dy = _deltas(code.get("DeltaX"), len(text) - 1), _deltas(code.get("DeltaY"), len(text) - 1)
        for i, ch in enumerate(text):
            if i:
                x += dx[i - 1] if dx else (size if _wide(text[i - 1]) else size / 2) / scale
                y += dy[i - 1] if dy else 0.0
            out.append(_Glyph(box[0] + a * x + c * y + e, box[1] + b * x + d * y + f, size, ch, n))
        if text:
            x += (1.0 if _wide(text[-1]) else 0.5) * size / scale
    return _vertical(out)


def _vertical(glyphs: list[_Glyph]) -> list[_Glyph]:
    """An object's characters stacked in one column, each a line below the last (an invoice's
    购买方信息 printed down its box): one run, read top to bottom where it starts. Read as
    characters, each joined the row beside it ("买 名称：…", "方 …")."""
    if len(glyphs) < 2 or any(_wide(g.char) is False for g in glyphs):
        return glyphs
    size = glyphs[0].size
    steps = [b.y - a.y for a, b in zip(glyphs, glyphs[1:])]
    # (one character to a line, or spread to fill a tall box: 备 and 注 two lines apart)
    if all(abs(g.x - glyphs[0].x) < 0.2 * size for g in glyphs) and all(0.5 * size < d <= 3 * size for d in steps):
        return [_Glyph(glyphs[0].x, glyphs[0].y, size, "".join(g.char for g in glyphs), glyphs[0].code)]
    return glyphs


def _glyphs(page, codes: itertools.count) -> list[_Glyph]:
    """The characters of a page's (or a template page's) Content, layers and page blocks
    alike; ``codes`` numbers their TextCodes, all of a file's apart."""
    content = next((c for c in page if _local(c) == "Content"), None)
    out: list[_Glyph] = []
    for obj in content.iter() if content is not None else ():
        if _local(obj) == "TextObject":
            out += _object_glyphs(obj, codes)
    return out


def _lines(glyphs: list[_Glyph]) -> list[str]:
    """The page's lines, top to bottom: characters whose baselines are within half a font
    size, read left to right. (Producers write objects in any order: a template's labels
    first, a table by columns; only the positions give the reading order.)"""
    rows: list[list[_Glyph]] = []
    for g in sorted(glyphs, key=lambda g: (g.y, g.x)):
        if rows and g.y - rows[-1][0].y <= _SAME_LINE * min(g.size, rows[-1][0].size):
            rows[-1].append(g)
        else:
            rows.append([g])
    return [line for line in (_joined(sorted(row, key=lambda g: g.x)) for row in rows) if line]


def _joined(row: list[_Glyph]) -> str:
    parts, prev = [], None
    for g in row:
        if prev is not None:
            if g.char == prev.char and abs(g.x - prev.x) < 0.3 * g.size:
                continue  # (a character drawn twice, a bold imitated: read once)
            parts.append(_separator(prev, g))
        parts.append(g.char)
        prev = g
    return re.sub(" {3,}", "  ", "".join(parts)).strip()


def _separator(prev: _Glyph, g: _Glyph) -> str:
    """What stands between two characters of a line: nothing where they touch, a space at a
    visible gap, two at a column's, so a row's cells stay apart ("名称：X  销售方信息 名称：Y")."""
    gap = (g.x - prev.x - prev.advance) / max(prev.size, g.size)
    if gap > _COLUMN:
        return "  "
    apart = prev.code != g.code  # (placed apart, not spaced within one run)
    wide = _wide(prev.char[-1]), _wide(g.char[0])
    if apart and not any(wide):
        threshold = _WORD_SPACE
    elif apart and all(wide) and not unicodedata.category(prev.char[-1]).startswith("P"):
        threshold = _CELL_GAP  # (a label's colon before its value is no gap between cells: "名称：X")
    else:
        threshold = _SPACE
    return " " if gap > threshold else ""


class _Pages:
    """A document's pages, read one by one; a template page is read once, for all its pages."""

    def __init__(self, pkg: _Package, doc, folder: str, notes: list[str]):
        self.pkg, self.notes, self.codes = pkg, notes, itertools.count()
        common = next((c for c in doc if _local(c) == "CommonData"), None)
        self.templates = {t.get("ID", ""): pkg.find(t.get("BaseLoc", ""), folder)  # None: missing
                          for t in (common.iter() if common is not None else ()) if _local(t) == "TemplatePage"}
        self.cache: dict[str, list[_Glyph]] = {}

    def text(self, name: str, number: int) -> str:
        page = self.pkg.xml(name)
        glyphs = _glyphs(page, self.codes)
        for ref in _children(page, "Template"):
            tid = ref.get("TemplateID", "")
            if self.templates.get(tid) is None:
                self.notes.append(f"page {number}: its template page {tid} is missing (its text left out)")
                continue
            if tid not in self.cache:
                self.cache[tid] = _glyphs(self.pkg.xml(self.templates[tid]), self.codes)
            # (Background or Foreground says only what is drawn over what; the reading order
            # is the positions', so a template's characters simply join the page's.)
            glyphs += self.cache[tid]
        return "\n".join(_lines(glyphs))


def _forms(pages: list[tuple[int, str]]) -> set[int]:
    """The pages laid out in columns (a quarter of their lines or more hold a column's gap):
    their lines are rows, not a paragraph wrapped at the margin, and page_lines is told so.
    (It joins a Chinese line among the page's widest to the next: on an invoice the buyer and
    seller line, which ran into the next row's label, "…有限公司统一社会信用代码".)"""
    out = set()
    for number, text in pages:
        lines = [line for line in text.split("\n") if line.strip()]
        if lines and 4 * sum("  " in line for line in lines) >= len(lines):
            out.add(number)
    return out


def parse(data: bytes, path: Path, limits: Limits) -> Extracted:
    pkg, notes = _Package(data), []
    doc_name, title = _document(pkg, notes)
    doc, folder = pkg.xml(doc_name), posixpath.dirname(doc_name)
    reader = _Pages(pkg, doc, folder, notes)
    pages = [p for ps in _children(doc, "Pages") for p in _children(ps, "Page")]
    if not pages:
        raise DocumentError("damaged .ofd file (Document.xml lists no pages)")
    read = []
    for number, page in enumerate(pages, 1):
        name = pkg.find(page.get("BaseLoc", ""), folder)
        if name is None:
            raise DocumentError(f"damaged .ofd file (page {number}: {page.get('BaseLoc') or 'no content'} is missing)")
        read.append((number, tidy(reader.text(name, number))))
    blank = [str(n) for n, text in read if not text]
    if len(blank) == len(read):
        raise DocumentError(f"no text layer (a scanned OFD): its {len(read)} page(s) are images, and OFD pages "
                            "are not OCR'd; export it to PDF to index it")
    if blank:
        notes.append(f"page(s) {', '.join(blank)} hold no text (pictures only; OFD pages are not OCR'd)")
    out = TextBuilder()
    for (number, _), text in zip(read, page_lines(read, scanned=_forms(read))):
        out.add(text, location=Location("page", number))
    return Extracted(out.text(), out.regions, title=title, meta={"encoding": "ofd"}, notes=notes)
