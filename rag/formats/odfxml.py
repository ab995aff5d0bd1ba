"""The XML of an OpenDocument package, shared by the readers of its kinds (odf.py, odt.py):
the package (a zip's content, styles and meta, or a flat file's one document), the text of an
element as LibreOffice shows it, and tables as rows of cell texts.
"""
from __future__ import annotations

import io
import re
import zipfile
from typing import Iterator

from ..errors import DocumentError
from . import numbered, one_line
from .docx import heading_level

_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "presentation": "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def q(name: str) -> str:
    """"text:p" -> "{urn:…:text:1.0}p", the tag lxml reports."""
    prefix, local = name.split(":")
    return f"{{{_NS[prefix]}}}{local}"


SKIPPED = {q(n) for n in (
    "text:tracked-changes",  # deleted text kept for undo: not the document's
    "office:annotation", "office:annotation-end",  # comments
    "text:note",  # read apart, as a line after its paragraph
    "text:table-of-content", "text:illustration-index", "text:table-index", "text:object-index",
    "text:user-index", "text:alphabetical-index", "text:bibliography",  # generated: headings again
    "text:hidden-text", "text:hidden-paragraph",  # fields shown only when a condition holds
    "draw:image", "text:sequence-decls", "text:variable-decls", "text:user-field-decls", "office:forms",
)} | {"{urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0}title",  # a shape's alt text
      "{urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0}desc"}
PARAGRAPHS = {q("text:p"), q("text:h")}
_DRAW = f"{{{_NS['draw']}}}"
_XML = None  # the lxml parser, made once: no entities resolved, no network (files are untrusted)
# (libxml2's limits on depth and text size stay on: lxml's huge_tree is not asked for.)


def parse_xml(data: bytes):
    global _XML
    from lxml import etree

    if _XML is None:
        _XML = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    try:
        return etree.fromstring(data, _XML)
    except etree.XMLSyntaxError as e:
        raise _damaged(e) from None


def _damaged(e: Exception) -> DocumentError:
    return DocumentError(f"damaged OpenDocument file (bad XML: {str(e)[:80]})")


# ---------------------------------------------------------------- the package

class Package:
    """The parts of an ODF file: content, styles and meta of a zip, or the one XML of a flat
    file (.fodt), which holds all three. The content is parsed whole only when asked for (a
    spreadsheet's is streamed instead: ``source``)."""

    def __init__(self, data: bytes):
        if data.startswith(b"PK\x03\x04"):
            archive = zipfile.ZipFile(io.BytesIO(data))
            names = set(archive.namelist())
            if "content.xml" not in names:
                raise DocumentError("not an OpenDocument file (no content.xml in the archive)")
            manifest = archive.read("META-INF/manifest.xml") if "META-INF/manifest.xml" in names else b""
            if b"encryption-data" in manifest:
                raise DocumentError("password-protected (encrypted); save a copy without a password to index it")
            self.styles = parse_xml(archive.read("styles.xml")) if "styles.xml" in names else None
            self.meta = parse_xml(archive.read("meta.xml")) if "meta.xml" in names else None
            self.source = lambda: archive.open("content.xml")
            self._content = None
        else:
            self.styles = self.meta = self._content = parse_xml(data)
            self.source = lambda: io.BytesIO(data)
        self.kind = self._kind()
        self._tidied = False

    @property
    def content(self):
        if self._content is None:
            with self.source() as f:
                self._content = parse_xml(f.read())
        if not self._tidied:
            self._drop_hidden()
            self._tidied = True
        return self._content

    def _drop_hidden(self) -> None:
        """Remove the spans and paragraphs whose style hides them (text:display="none"): text
        a writer hid ("审阅中，勿外传") is not shown, so it is not read."""
        hidden = set()
        for root in (self.styles, self._content):
            for props in (root.iter(q("style:text-properties")) if root is not None else ()):
                if props.get(q("text:display")) == "none" and props.getparent().tag == q("style:style"):
                    hidden.add(props.getparent().get(q("style:name")))
        if not hidden:
            return
        doomed = [el for el in self._content.iter(q("text:span"), *PARAGRAPHS)
                  if el.get(q("text:style-name")) in hidden]
        for el in doomed:
            parent = el.getparent()
            if parent is None:
                continue
            if el.tail:  # (the text after it stays: on the previous sibling's tail or the parent's text)
                before = el.getprevious()
                if before is not None:
                    before.tail = (before.tail or "") + el.tail
                else:
                    parent.text = (parent.text or "") + el.tail
            parent.remove(el)

    def _kind(self) -> str:
        """"text", "spreadsheet", "presentation" (or another kind): the first element in the
        body, read without parsing the rest."""
        from lxml import etree

        body = q("office:body")
        try:
            with self.source() as f:
                inside = False
                for _, el in etree.iterparse(f, events=("start",), resolve_entities=False, no_network=True):
                    if inside:
                        return etree.QName(el).localname
                    inside = el.tag == body
        except etree.XMLSyntaxError as e:
            raise _damaged(e) from None
        raise DocumentError("not an OpenDocument file (no office:body)")

    def title(self) -> str:
        found = self.meta.find(f".//{q('dc:title')}") if self.meta is not None else None
        return one_line(found.text) if found is not None and found.text else ""

    def styles_named(self) -> dict[str, str]:
        """Style name -> the name of the style it is built on, down to a named (common) style,
        with LibreOffice's escapes undone ("Heading_20_1" -> "Heading 1"); automatic styles
        (P1, P2: a paragraph given a font) lead to their parent."""
        parents: dict[str, str] = {}
        shown: dict[str, str] = {}
        for root in (self.styles, self.content):
            if root is None:
                continue
            for s in root.iter(q("style:style")):
                name = s.get(q("style:name"), "")
                parents[name] = s.get(q("style:parent-style-name"), "")
                shown[name] = s.get(q("style:display-name"), "") or _unescape(name)
        out = {}
        for name in parents:
            seen, n = set(), name
            while parents.get(n) and n not in seen and heading_level(shown.get(n, "")) == 0 and n.lower() != "title":
                seen.add(n)
                n = parents[n]
            out[name] = shown.get(n, _unescape(n))
        return out


def _unescape(name: str) -> str:
    return re.sub(r"_([0-9a-fA-F]{2})_", lambda m: chr(int(m.group(1), 16)), name)


# ---------------------------------------------------------------- text of an element

def _text(el, out: list[str]) -> None:
    """The visible text of ``el``: spans and fields as their shown value, ``<text:s c=3>`` as
    three spaces, tabs and line breaks as such; notes, comments and deletions skipped."""
    if el.text:
        out.append(el.text)
    for child in el:
        tag = child.tag
        if tag == q("text:s"):
            out.append(" " * int(child.get(q("text:c"), "1") or 1))
        elif tag == q("text:tab"):
            out.append("\t")
        elif tag == q("text:line-break"):
            out.append("\n")
        elif tag == q("text:number"):  # a numbered heading's number as last shown ("1.", "第一章")
            out.append(numbered("".join(child.itertext()).strip()))
        elif tag not in SKIPPED and isinstance(tag, str) and not tag.startswith(_DRAW):
            _text(child, out)  # (a text box or shape in a paragraph: read as blocks after it)
        if child.tail:
            out.append(child.tail)


def text_of(el) -> str:
    parts: list[str] = []
    _text(el, parts)
    return "".join(parts)


def cell_text(cell) -> str:
    return "\n".join(text_of(p) for p in cell.iter(*PARAGRAPHS) if not inside_skipped(p, cell))


def inside_skipped(el, top) -> bool:
    node = el.getparent()
    while node is not None and node is not top:
        if node.tag in SKIPPED:
            return True
        node = node.getparent()
    return False


# ---------------------------------------------------------------- tables

def table_rows(table) -> list[list[str]]:
    """A table's rows as cell texts. A cell spanning columns is written once and the columns
    it covers are empty (the columns stay aligned with the header); a cell spanning rows is
    repeated in each row it covers, so every row reads on its own -- as docx.py writes Word's
    merged cells."""
    rows: list[list[str]] = []
    down: dict[int, tuple[str, int]] = {}  # column -> (text, rows still covered)
    for row in rows_of(table):
        cells: list[str] = []
        for cell in row:
            if not isinstance(cell.tag, str):
                continue
            repeat = min(int(cell.get(q("table:number-columns-repeated"), "1") or 1), 1000)
            covered = cell.tag == q("table:covered-table-cell")
            own = "" if covered else cell_text(cell)  # (read once, however many columns it repeats over)
            for _ in range(repeat):
                col = len(cells)
                if covered:
                    text, left = down.get(col, ("", 0))
                    cells.append(text if left else "")
                    if left:
                        down[col] = (text, left - 1)
                    continue
                text = own
                cells.append(text)
                span = int(cell.get(q("table:number-rows-spanned"), "1") or 1)
                if span > 1:
                    down[col] = (text, span - 1)
        while cells and not cells[-1].strip():
            cells.pop()
        repeat = min(int(row.get(q("table:number-rows-repeated"), "1") or 1), 1000)
        rows.extend([cells] * repeat)
    width = max((len(r) for r in rows), default=0)
    return [r + [""] * (width - len(r)) for r in rows]


def rows_of(table) -> Iterator:
    """A table's rows, header rows and row groups opened."""
    for child in table:
        if child.tag == q("table:table-row"):
            yield child
        elif child.tag in (q("table:table-header-rows"), q("table:table-rows"), q("table:table-row-group")):
            yield from rows_of(child)


def text_of_all(el) -> str:
    return "\n".join(text_of(p) for p in el.iter(q("text:p")))
