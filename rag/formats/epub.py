""".epub (ebooklib): the chapters in reading (spine) order, each a ``#`` heading and a
region "chapter n". A chapter's title comes from the table of contents, else from its own
<title>/<h1>; its HTML becomes text through webpage.html_to_text, as a web page does. The
navigation document and empty chapters (covers, images only) are left out.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

from ..load import decode, tidy
from .webpage import html_to_text
from ..records import Location
from . import Extracted, Limits, TextBuilder, one_line


def _toc_titles(toc, out: dict[str, str]) -> dict[str, str]:
    """file name -> title of its first table-of-contents entry."""
    for entry in toc:
        if isinstance(entry, tuple):  # (Section, [children])
            _toc_titles([entry[0]], out)
            _toc_titles(entry[1], out)
            continue
        href = (getattr(entry, "href", None) or getattr(entry, "file_name", None) or "").split("#", 1)[0]
        title = one_line(getattr(entry, "title", ""))
        if href and title:
            out.setdefault(href, title)
    return out


def parse(data: bytes, path: Path, limits: Limits) -> Extracted:
    import ebooklib
    from ebooklib import epub

    book = epub.read_epub(io.BytesIO(data), options={"ignore_ncx": True})
    titles = _toc_titles(book.toc, {})
    out = TextBuilder()
    number = 0
    for idref, _linear in book.spine:
        item = book.get_item_with_id(idref)
        if item is None or isinstance(item, epub.EpubNav) or item.get_type() != ebooklib.ITEM_DOCUMENT:
            continue
        page_title, text = html_to_text(decode(item.get_content())[0])
        text = tidy(text)
        if not text:
            continue
        number += 1
        title = titles.get(item.file_name) or one_line(page_title)
        first, _, rest = text.partition("\n")
        first = re.sub(r"^#+\s*", "", one_line(first))  # (html_to_text writes <h1> as "# …")
        if title and first == title:  # the chapter's own <h1>: already the heading
            text = rest.strip()
        heading = "# " + (title or first[:40] or str(number))
        out.add(heading + ("\n\n" + text if text else ""), location=Location("chapter", number, name=title))
    meta_title = book.get_metadata("DC", "title")
    title = one_line(meta_title[0][0]) if meta_title else ""
    return Extracted(out.text(), out.regions, title=title, meta={"encoding": "epub"})
