"""An OpenDocument text (.odt, .fodt), written as docx.py writes a Word file: headings ``#``
by outline level (a paragraph styled Title ``#``, Heading n ``#`` n + 1), paragraphs, tables as
``| a | b |`` rows with "table n" regions, footnotes and endnotes a line after their
paragraph, the first page style's header and footer once, without page numbers. Numbered
list items start with the number LibreOffice shows ("3. 关闭电源"): it comes from the list's
style, not the text, and a how-to question asks what step 3 is. The package, the text of an
element (deletions, comments and notes skipped) and tables are odfxml.py's.
"""
from __future__ import annotations

from ..load import tidy
from ..records import Location
from . import Extracted, TextBuilder, chinese, numbered, one_line, roman, table_row
from .docx import heading_level, note_line, without_page_numbers
from .odfxml import PARAGRAPHS, SKIPPED, Package, q, table_rows, text_of


class _Lists:
    """The numbers LibreOffice shows before numbered list items: the list style's format
    (1, a, A, i, I, 一) with its prefix and suffix, counted per list and level."""

    def __init__(self, package: Package):
        self.levels: dict[tuple[str, int], tuple[str, str, str, int]] = {}
        for root in (package.styles, package.content):
            if root is None:
                continue
            for style in root.iter(q("text:list-style")):
                name = style.get(q("style:name"), "")
                for level in style:
                    if level.tag == q("text:list-level-style-number"):
                        self.levels[(name, int(level.get(q("text:level"), "1")))] = (
                            level.get(q("style:num-format"), "1"), level.get(q("style:num-prefix"), ""),
                            level.get(q("style:num-suffix"), ""), int(level.get(q("text:start-value"), "1") or 1))
        self.counts: dict[tuple[str, int], int] = {}

    def number(self, style: str, level: int, item, restart: bool) -> str:
        fmt = self.levels.get((style, level))
        if fmt is None or not fmt[0]:
            return ""
        key = (style, level)
        start = item.get(q("text:start-value"))
        n = int(start) if start else (fmt[3] if restart or key not in self.counts else self.counts[key] + 1)
        self.counts[key] = n
        for deeper in [k for k in self.counts if k[0] == style and k[1] > level]:
            del self.counts[deeper]
        return f"{fmt[1]}{self._format(fmt[0], n)}{fmt[2]}"

    def _format(self, fmt: str, n: int) -> str:
        if fmt in ("a", "A"):
            out = ""
            while n:
                n, r = divmod(n - 1, 26)
                out = chr(ord(fmt) + r) + out
            return out
        if fmt in ("i", "I"):
            return roman(n) if fmt == "I" else roman(n).lower()
        if fmt.startswith("一") and n < 100:
            return chinese(n) if n else ""
        return str(n)


class _Writer:
    def __init__(self, package: Package):
        self.out = TextBuilder()
        self.styles = package.styles_named()
        self.lists = _Lists(package)
        self.tables = 0
        self.notes = {"footnote": 0, "endnote": 0}
        self.last_was_text = False
        self.first_title = ""

    def block(self, el, list_style: str = "", level: int = 0) -> None:
        tag = el.tag
        if tag in SKIPPED or not isinstance(tag, str):
            return
        if tag in PARAGRAPHS:
            self.paragraph(el)
        elif tag == q("table:table"):
            self.table(el)
        elif tag == q("text:list"):
            style = el.get(q("text:style-name"), "") or list_style
            restart = el.get(q("text:continue-numbering")) != "true" and level == 0 and \
                el.get(q("text:continue-list")) is None
            for i, item in enumerate(child for child in el if child.tag in (q("text:list-item"), q("text:list-header"))):
                number = self.lists.number(style, level + 1, item, restart and i == 0) \
                    if item.tag == q("text:list-item") else ""
                self.list_item(item, style, level + 1, number)
        else:  # sections, frames' text boxes, anything else that holds blocks
            for child in el:
                self.block(child, list_style, level)

    def list_item(self, item, style: str, level: int, number: str) -> None:
        for child in item:
            if child.tag in PARAGRAPHS and number and child.find(q("text:number")) is None:
                self.paragraph(child, prefix=numbered(number))
                number = ""
            else:
                self.block(child, style, level)

    def paragraph(self, p, prefix: str = "") -> None:
        text = tidy(text_of(p))
        level = int(p.get(q("text:outline-level"), "1") or 1) + 1 if p.tag == q("text:h") else \
            heading_level(self.styles.get(p.get(q("text:style-name"), ""), ""))
        if text and level:
            self.out.heading(level, text)
            self.first_title = self.first_title or one_line(text)
            self.last_was_text = False
        elif text:
            self.out.add(prefix + text, sep="\n" if self.last_was_text else "\n\n")
            self.last_was_text = True
        for box in p.iter(q("draw:text-box"), q("draw:custom-shape")):  # a text box anchored in it
            for inner in box:
                self.block(inner)
        self.note_lines(p)

    def note_lines(self, el) -> None:
        lines = []
        for note in el.iter(q("text:note")):
            kind = note.get(q("text:note-class"), "footnote")
            body = note.find(q("text:note-body"))
            text = tidy("\n".join(text_of(p) for p in body.iter(*PARAGRAPHS))) if body is not None else ""
            if text:
                self.notes[kind] = self.notes.get(kind, 0) + 1
                lines.append(note_line(kind == "footnote", self.notes[kind], text))
        if lines:
            self.out.add("\n".join(lines), sep="\n")
            self.last_was_text = True

    def table(self, table) -> None:
        rows = table_rows(table)
        if not any(any(c.strip() for c in r) for r in rows):
            return
        self.tables += 1
        self.out.add("\n".join(table_row(r) for r in rows), location=Location("table", self.tables, rows=(1, len(rows))))
        self.last_was_text = False
        self.note_lines(table)


def _margins(package: Package) -> tuple[str, str]:
    """The first page style's header and footer, their page numbers left out."""
    if package.styles is None:
        return "", ""
    pages = list(package.styles.iter(q("style:master-page")))
    page = next((p for p in pages if p.get(q("style:name")) == "Standard"), pages[0] if pages else None)
    if page is None:
        return "", ""

    def margin(tag: str) -> str:
        el = page.find(q(tag))
        if el is None or el.get(q("style:display")) == "false":
            return ""
        return without_page_numbers("\n".join(text_of(p) for p in el.iter(*PARAGRAPHS)))

    return margin("style:header"), margin("style:footer")


def text_document(package: Package, body) -> Extracted:
    writer = _Writer(package)
    header, footer = _margins(package)
    writer.out.add(header)
    for child in body:
        writer.block(child)
    writer.out.add(footer)
    return Extracted(writer.out.text(), writer.out.regions, title=package.title() or writer.first_title,
                     meta={"encoding": "odt"})
