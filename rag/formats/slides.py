""".pptx (python-pptx): one region per slide, its title as a ``#`` heading, then the text of
its shapes (in the slide's shape order, groups opened, tables as ``| a | b |`` rows) and
its speaker notes. The chunker starts a new chunk at every slide, so a citation names one
slide, and a slide without a title has no heading (not the previous slide's). A slide
without text is left out.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Iterator

from ..load import tidy
from ..records import Location
from . import Extracted, Limits, TextBuilder, one_line, table_row


class SlideTable(str):
    """A slide's table as its rows' lines, which become a region of rows of their own."""

    def __new__(cls, text: str, rows: int):
        out = super().__new__(cls, text)
        out.rows = rows
        return out


def _texts(shapes, skip: int | None) -> Iterator[str]:
    for shape in shapes:
        if shape.shape_id == skip:
            continue
        if getattr(shape, "shape_type", None) == 6:  # MSO_SHAPE_TYPE.GROUP
            yield from _texts(shape.shapes, skip)
        elif getattr(shape, "has_table", False) and shape.has_table:
            rows = [[cell.text for cell in row.cells] for row in shape.table.rows]
            rows = [r for r in rows if any(c.strip() for c in r)]
            if rows:
                yield SlideTable("\n".join(table_row(r) for r in rows), len(rows))
        elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            text = tidy(shape.text_frame.text)
            if text:
                yield text


def parse(data: bytes, path: Path, limits: Limits) -> Extracted:
    import pptx

    deck = pptx.Presentation(io.BytesIO(data))
    out = TextBuilder()
    first_title = ""
    for number, slide in enumerate(deck.slides, 1):
        title_shape = slide.shapes.title
        title = one_line(title_shape.text_frame.text) if title_shape is not None and title_shape.has_text_frame else ""
        parts = list(_texts(slide.shapes, title_shape.shape_id if title_shape is not None else None))
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            notes = tidy(slide.notes_slide.notes_text_frame.text)
            if notes:
                parts.append(notes)
        if not title and not parts:
            continue
        add_slide(out, number, title, parts)
        first_title = first_title or title
    title = one_line(deck.core_properties.title) or first_title
    return Extracted(out.text(), out.regions, title=title, meta={"encoding": "pptx"})


def add_slide(out: TextBuilder, number: int, title: str, parts: list[str]) -> None:
    """Write slide ``number``: its text as one region, but each of its tables (SlideTable) a
    region of rows (the same slide, its rows numbered from the header's), read as a document
    table's are."""
    pieces: list[str] = [f"# {title}"] if title else []
    for part in parts:
        if isinstance(part, SlideTable):
            if pieces:
                out.add("\n\n".join(pieces), location=Location("slide", number, name=title))
                pieces = []
            out.add(part, location=Location("slide", number, name=title, rows=(1, part.rows)))
        else:
            pieces.append(part)
    if pieces:
        out.add("\n\n".join(pieces), location=Location("slide", number, name=title))
