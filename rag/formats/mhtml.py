""".mht / .mhtml: a web page saved as one file -- a browser's "Webpage, Single File", or Word's
and Excel's "Single File Web Page" (many offices publish notices so). It is a MIME message
(multipart/related) whose first HTML part is the page, the others its pictures, styles and
frames; the standard library's email package reads it, and the page's HTML becomes text as
a saved web page's does (webpage.html_to_text: headings, tables as ``| a | b |`` rows with
table regions, navigation left out), in the charset its part declares (GB2312 in Word's).

The page is the part the message names as its start (Content-Location of the snapshot, or
the ``start`` parameter), else the first HTML part. A page that is only a frameset (Excel's
workbook: one HTML part per sheet, behind tabs) is read as the HTML parts it frames, in
order.
"""
from __future__ import annotations

import email
import email.policy
from pathlib import Path

from ..errors import DocumentError
from ..load import tidy
from . import Extracted, Limits, one_line, pipe_tables
from .mail import part_text
from .webpage import html_to_text


def _pages(msg) -> list[tuple[str, str]]:
    """(title, text) of the HTML parts to read: the start page, or the frames of a start page
    that has no text."""
    html = [p for p in msg.walk() if p.get_content_type() == "text/html"]
    if not html:
        raise DocumentError("not a saved web page (no HTML part in the .mht file)")
    start = msg.get_param("start") or msg.get("Snapshot-Content-Location") or ""
    start = start.strip("<>")
    first = next((p for p in html if start and start in ((p.get("Content-Location") or "").strip(),
                                                         (p.get("Content-ID") or "").strip("<> "))), html[0])
    page = html_to_text(part_text(first))
    if page[1].strip() or len(html) == 1:
        return [page]
    return [html_to_text(part_text(p)) for p in html if p is not first]


def parse(data: bytes, path: Path, limits: Limits) -> Extracted:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    if not msg.is_multipart() and msg.get_content_type() != "text/html":
        raise DocumentError("not a saved web page (a .mht file is a MIME message with the page's HTML)")
    parts, title = [], ""
    for page_title, text in _pages(msg):
        title = title or one_line(page_title)
        if text.strip():
            parts.append(tidy(text))
    text, regions = pipe_tables("\n\n".join(parts))
    title = title or one_line(str(msg.get("Subject") or ""))
    return Extracted(text, regions, title=title, meta={"encoding": "mhtml"})
