"""A paged document's lines as the page set them: running headers and footers, wrapped lines.

A PDF's text layer (and an OCR'd scan) holds a page's lines as printed. Two things the
printing added are not the document's text: the running header and footer read again on
every page, and the line breaks where a paragraph reached the right margin -- a sentence
cut in two ("…损坏不在保" / "修范围内"), which every stage after this reads as two sentences
(claim_sentences splits at a line break) and BM25 as two words (保 | 修).
"""
from __future__ import annotations

import re
import unicodedata

from ..records import TABLE_ROW
from ..zh import CJK

# A page's margins: the lines a running header or footer may be (the first and last two).
_MARGIN = 2
_PAGE_WORDS = re.compile(r"(?:page|of|[#\s/\-–—|·.,，:：()（）第页頁共])+", re.I)


def page_lines(pages: list[tuple[int, str]], scanned: set[int]) -> list[str]:
    """The text of each (number, text) page without its running lines, and, on pages with a
    text layer (not in ``scanned``: OCR's lines are a table's rows as often as prose), with
    its wrapped lines joined."""
    texts = without_running_lines([text for _, text in pages])
    full = _full_width([t for (n, _), t in zip(pages, texts) if n not in scanned])
    return [t if n in scanned or not full else unwrapped(t, full) for (n, _), t in zip(pages, texts)]


def without_running_lines(pages: list[str]) -> list[str]:
    """The pages without their running header and footer: a line in a page's margins that
    the margins of half the pages or more (three at least) repeat, numbers aside ("第 3 页",
    a manual's name). Each was read once per page, in the middle of the text (a page's
    last sentence ran into the next page's first through them), and outranked the body in
    retrieval for the product's name. A header that says more than a page number is kept
    where it first stands."""
    def key(line: str) -> str:
        # (A page number's line whatever its number; any other line as written: a totals
        # row at each page's foot says other numbers, and is the document's.)
        line = " ".join(line.split())
        numbered = re.sub(r"\d+", "#", line)
        return numbered if not _PAGE_WORDS.sub("", numbered) else line

    def margins(text: str) -> set[str]:
        # (A table's row is no running line: a header row the printer repeated atop each
        # page the table runs over is the header of that page's rows.)
        lines = [line for line in text.split("\n") if line.strip()]
        return {key(line) for line in lines[:_MARGIN] + lines[-_MARGIN:] if not TABLE_ROW.match(line)}

    counts: dict[str, int] = {}
    for text in pages:
        for k in margins(text):
            counts[k] = counts.get(k, 0) + 1
    running = {k for k, n in counts.items() if n >= max(3, (len(pages) + 1) // 2)}
    if not running:
        return pages
    out, seen = [], set()
    for text in pages:
        edge, kept = margins(text), []
        for line in text.split("\n"):
            k = key(line)
            if k in running and k in edge:
                if k in seen or not _PAGE_WORDS.sub("", k):  # (a page number: never kept)
                    continue
                seen.add(k)
            kept.append(line)
        out.append(re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip())
    return out


def _width(line: str) -> int:
    """A line's printed width in half-width units (an ideograph is two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


# A line reaching this share of the text block's width ran into the margin (measured on the
# trial PDFs: wrapped lines 84-90 of 90, 70-74 of 74; a paragraph's last line, a heading, a
# table of contents' line fall short).
_FULL = 0.85
_MIN_LINES = 8  # fewer lines say nothing of the page's width


def _full_width(pages: list[str]) -> float:
    """The width from which a line is full (ran into the right margin): a share of the
    90th percentile of the document's line widths; 0 when it has too few lines to tell."""
    widths = sorted(_width(line) for text in pages for line in text.split("\n") if line.strip())
    return _FULL * widths[int(len(widths) * 0.9)] if len(widths) >= _MIN_LINES else 0.0


_ENDS = "。！？!?：:；;…」』”\"）)"  # a line ending in these ended its sentence or its lead-in
# What opens a line of its own: a list item, a numbered heading, an article, a bracketed label.
_OPENS = re.compile(r"\s*(?:[-•·*●○■□◆▪►✓√※]|\d+(?:\.\d+)*[.、)）]?\s|\d+[.、)）](?!\d)|[一二三四五六七八九十百]+[、.．]"
                    r"|第[一二三四五六七八九十百零〇\d]+[章节節条條款篇部项項]|[（(][一二三四五六七八九十\d]+[)）]|【|#)")
_CJK_END = re.compile(rf"[{CJK}，、（“「《]$|(?<=[{CJK}])\d+$")
_CJK_START = re.compile(rf"^[{CJK}\d（“「《]")


def unwrapped(text: str, full: float) -> str:
    """``text`` with each Chinese line that ran into the margin joined to the next (no space:
    Chinese has none between words); lines of English, short lines, lines that end a
    sentence and lines that open an item or a heading are kept as they are."""
    lines = text.split("\n")
    out = [lines[0]] if lines else []
    for prev, line in zip(lines, lines[1:]):
        if (_width(prev) >= full and prev.rstrip()[-1:] not in _ENDS and _CJK_END.search(prev.rstrip())
                and _CJK_START.search(line.lstrip()) and not _OPENS.match(line)):
            out[-1] = out[-1].rstrip() + line.lstrip()
        else:
            out.append(line)
    return "\n".join(out)
