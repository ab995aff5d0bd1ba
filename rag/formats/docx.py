""".docx (python-docx): paragraphs and tables in document order.

Heading styles (Title, Heading 1..n, or 标题 n in Chinese templates) become ``#`` lines
(Title ``#``, Heading 1 ``##``, ...), so the chunker's heading path follows the outline. A
numbered paragraph starts with the number Word shows ("3. 关闭电源", "第一步", docxlists.py:
Word keeps it out of the text). A table becomes markdown-style
rows ``| a | b |``, header row first, one line per table row, and a region "table n" whose
line i is row i+1: the chunker never splits a row and repeats the header row for a chunk
that continues a table. A horizontally merged cell is written once (the columns stay
aligned with the header); a vertically merged one is repeated in each of its rows, so every
row reads on its own. A footnote or endnote is a line after the paragraph (or table) that
refers to it ("註1：…"): a lease's footnote said what the deposit may be kept for, and nothing
else did. The first section's page header and footer are read once, at the top and the end
(a contract number, a company), their page numbers left out.
"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from ..load import tidy
from ..zh import CJK_CHAR, script_of
from ..records import Location
from . import Extracted, Limits, TextBuilder, numbered, one_line, table_row
from .docxlists import Numbering

_PAGE_NUMBER = re.compile(r"第\s*\d+\s*[页頁](?:\s*[,，、]?\s*共\s*\d+\s*[页頁])?|共\s*\d+\s*[页頁]|"
                          r"\bpage\s+\d+(?:\s+of\s+\d+)?", re.I)
_HEADING_STYLE = re.compile(r"(?:heading|标题|標題)\s*(\d)", re.I)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def heading_level(style: str) -> int:
    """The ``#`` level of a paragraph style's name: Title 1, Heading n (标题 n) n + 1 -- under
    the Title, when there is one; 0 for a style that is no heading."""
    if style.strip().lower() == "title":
        return 1
    m = _HEADING_STYLE.fullmatch(style.strip())
    return int(m.group(1)) + 1 if m else 0


def _rows(table) -> list[list[str]]:
    out = []
    for row in table.rows:
        cells, values, prev = list(row.cells), [], None
        for cell in cells:
            values.append("" if prev is not None and cell._tc is prev else cell.text)
            prev = cell._tc
        out.append(values)
    return out


def _notes(archive, kind: str) -> dict[str, str]:
    """Footnotes or endnotes (``kind``) of the .docx ``archive`` (a ZipFile) by id: their
    text, the separators (ids -1, 0) left out."""
    from lxml import etree

    try:
        xml = archive.read(f"word/{kind}.xml")
    except KeyError:
        return {}
    out = {}
    for note in etree.fromstring(xml).iter(f"{_W}{kind[:-1]}"):
        text = tidy("\n".join("".join(t.text or "" for t in p.iter(f"{_W}t")) for p in note.iter(f"{_W}p")))
        if note.get(f"{_W}type") is None and text:
            out[note.get(f"{_W}id")] = text
    return out


def _note_lines(element, notes: dict[str, dict[str, str]], numbers: dict[tuple[str, str], int]) -> str:
    """The notes ``element`` (a paragraph, a table) refers to, a line each, numbered in the
    order the document refers to them, as Word shows them."""
    lines = []
    for ref in element.iter(f"{_W}footnoteReference", f"{_W}endnoteReference"):
        kind = "footnotes" if ref.tag.endswith("footnoteReference") else "endnotes"
        text = notes[kind].get(ref.get(f"{_W}id"), "")
        if not text:
            continue
        n = numbers.setdefault((kind, ref.get(f"{_W}id")), sum(k == kind for k, _ in numbers) + 1)
        lines.append(note_line(kind == "footnotes", n, text))
    return "\n".join(lines)


def _numbering_element(document):
    """The document's w:numbering element as python-docx parsed it; None when it has none."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    try:
        return document.part.part_related_by(RT.NUMBERING).element
    except KeyError:
        return None


def note_line(footnote: bool, n: int, text: str) -> str:
    """Note ``n`` as the line written after the text that refers to it: "注1：…", "註1：…"
    in traditional text, "Note 1: …" (an endnote: "Endnote 1: …") in English."""
    if not CJK_CHAR.search(text):
        return f"{'Note' if footnote else 'Endnote'} {n}: {text}"
    return f"{'註' if script_of(text) == 'hant' else '注'}{n}：{text}"


def without_page_numbers(margin: str) -> str:
    """A page header's or footer's text, tidied, without its page numbers ("第 2 页",
    "page 2 of 9")."""
    return tidy(_PAGE_NUMBER.sub(" ", margin)).strip(" ，,、")


def _margin(part) -> str:
    """A page header's or footer's text, its page numbers left out."""
    if part is None or part.is_linked_to_previous:  # (the first section's: it has none)
        return ""
    return without_page_numbers("\n".join(p.text for p in part.paragraphs))


def parse(data: bytes, path: Path, limits: Limits) -> Extracted:
    import docx
    from docx.table import Table

    document = docx.Document(io.BytesIO(data))
    out = TextBuilder()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        notes = {kind: _notes(archive, kind) for kind in ("footnotes", "endnotes")}
    numbering = Numbering(_numbering_element(document), document.styles.element)
    numbers: dict[tuple[str, str], int] = {}
    section = document.sections[0] if document.sections else None
    if header := _margin(section.header if section else None):
        out.add(header)
    n_tables = 0
    first_title = ""
    last_was_text = False
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            rows = _rows(block)
            if not any(any(v.strip() for v in r) for r in rows):
                continue
            n_tables += 1
            out.add("\n".join(table_row(r) for r in rows), location=Location("table", n_tables, rows=(1, len(rows))))
            last_was_text = False
            if noted := _note_lines(block._tbl, notes, numbers):
                out.add(noted)
                last_was_text = True
            continue
        # (counted even when empty, as Word numbers an empty item; a heading may be numbered: 第一章)
        label = numbering.label(block._p)
        text = tidy(block.text)
        if not text:
            continue
        level = heading_level((block.style.name if block.style is not None else "") or "")
        if level:
            out.heading(level, numbered(label) + text)
            first_title = first_title or one_line(text)
            last_was_text = False
        else:
            out.add(numbered(label) + text, sep="\n" if last_was_text else "\n\n")
            last_was_text = True
        if noted := _note_lines(block._p, notes, numbers):
            out.add(noted, sep="\n")
            last_was_text = True
    if footer := _margin(section.footer if section else None):
        out.add(footer)
    title = one_line(document.core_properties.title) or first_title
    return Extracted(out.text(), out.regions, title=title, meta={"encoding": "docx"})
