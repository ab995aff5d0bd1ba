"""HTML -> text: a web page's main text, its headings and tables kept as the other formats write
them; used for .html files (load.py) and an e-book's chapters (epub.py).

Navigation, scripts and other chrome are left out -- as tags (<nav>, <aside>, <footer>…) or as
plain <div>s known by their ARIA role or a class word (a cookie notice, a breadcrumb).
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

from . import roman, table_row

_BLOCK_TAGS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section",
               "article", "table", "ul", "ol", "blockquote", "pre", "hr", "dd", "dt"}
_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_SKIP_TAGS = {"script", "style", "noscript", "iframe", "nav", "footer", "header", "aside",
              "form", "button", "svg", "template", "object", "embed", "select"}
# The same chrome built of plain <div>s, known by its ARIA role or a class/id word: a
# cookie notice ("本網站使用 Cookie…，繼續瀏覽即表示您同意…" was a warranty page's last
# passage), a breadcrumb trail, a top bar of log-in and cart links, a sidebar, ad slots.
# A wiki page saved from the browser adds its own (MediaWiki's class names, which other wikis
# reuse): "Jump to content" atop the page, "[edit]" under every heading, "^ a b" before
# every reference, the category list at the foot, and what the wiki marks not for print.
# Whole words of the class only: "share-price", "content" or "editor" is no chrome.
_CHROME_ROLE = {"navigation", "banner", "contentinfo", "complementary", "search"}
_CHROME_CLASS = re.compile(r"(?:^|[\s_-])(?:cookies?|consent|gdpr|breadcrumbs?|topbar|top-bar|sidebar|side-bar"
                           r"|newsletter|adverts?|advertisement|ads?"
                           r"|jump-link|skip-link|editsection|backlink|catlinks|noprint)(?=$|[\s_-])", re.I)
# (Containers that are always closed: a <p class="ad"> left open would skip the page; a link
# is closed too, and a skip link is one.)
_CHROME_TAGS = {"div", "section", "span", "ul", "ol", "a"}


class _TextExtractor(HTMLParser):
    """Main text of an HTML page: drops scripts, iframes, navigation and other chrome. A
    table's rows become markdown-style rows ``| a | b |``, as the .docx parser writes them:
    joined as they stand, "Thursday" and "10:00 am – 7:00 pm" would read "Thursday10:00 am"
    (the chunker knows such rows and repeats a table's header row in every chunk)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.title = ""
        self._in_title = False
        self.h1 = ""
        self._in_h1 = False
        self._tables = 0  # depth: a table inside a cell is read as that cell's text
        self._row: list[str] | None = None  # the cells of the open row
        self._cell: list[str] | None = None  # the text of the open cell
        self._heading = False  # inside h1-h6: its text stays on the heading's line
        self._chrome: list[list] = []  # [tag, depth] of each open chrome element skipped by class or role
        # Each open list: [its kind (1 a A i I), or "" for a bulleted one, its last number]. A
        # browser shows an ordered list's numbers, which the HTML leaves out; a how-to
        # question asks for step 3.
        self._lists: list[list] = []

    def _end_cell(self) -> None:
        if self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell))
        self._cell = None

    def _end_row(self) -> None:
        self._end_cell()
        if self._row is not None and any(c.strip() for c in self._row):
            # One row a line, with no blank line between rows: the chunker's table.
            lead = "" if "".join(self.parts[-1:]).endswith("\n") else "\n"
            self.parts.append(lead + table_row(self._row) + "\n")
        self._row = None

    def _is_chrome(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        if tag not in _CHROME_TAGS:
            return False
        a = {k: v or "" for k, v in attrs}
        return a.get("role", "").lower() in _CHROME_ROLE \
            or bool(_CHROME_CLASS.search(a.get("class", "")) or _CHROME_CLASS.search(a.get("id", "")))

    def handle_starttag(self, tag, attrs):
        if self._chrome and tag == self._chrome[-1][0]:
            self._chrome[-1][1] += 1  # the same tag nested inside: its end is not the chrome's
        elif self._is_chrome(tag, attrs):
            self._chrome.append([tag, 1])
            self.skip += 1
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "h1":
            self._in_h1 = True
        if tag == "table":
            self._tables += 1
        if self._tables == 1 and tag == "tr":
            self._end_row()  # (</tr> and </td> may be left out)
            self._row = []
        elif self._tables == 1 and tag in ("td", "th") and self._row is not None:
            self._end_cell()
            self._cell = []
        elif self._cell is not None:
            if tag in _BLOCK_TAGS or tag in ("td", "th"):
                self._cell.append(" ")
        elif tag in _HEADINGS and not self.skip:
            # A markdown heading, as the .docx parser writes one: the chunker's heading path
            # (an FAQ's "What is your cancellation policy?" over its answer's chunk).
            self.parts.append("\n" + "#" * _HEADINGS[tag] + " ")
            self._heading = True
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        if tag in ("ol", "ul"):
            a = dict(attrs)
            start = a.get("start") or "1"
            self._lists.append([(a.get("type") or "1") if tag == "ol" else "", int(start) - 1 if start.isdigit() else 0])
        elif tag == "li" and self._lists and self._lists[-1][0] and self._cell is None and not self.skip:
            value = dict(attrs).get("value") or ""
            self._lists[-1][1] = int(value) if value.isdigit() else self._lists[-1][1] + 1
            self.parts.append(_list_number(*self._lists[-1]) + " ")

    def handle_startendtag(self, tag, attrs):
        if self._cell is not None:
            self._cell.append(" ")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if self._chrome and tag == self._chrome[-1][0]:
            self._chrome[-1][1] -= 1
            if not self._chrome[-1][1]:
                self._chrome.pop()
                self.skip -= 1
        if tag in ("ol", "ul") and self._lists:
            self._lists.pop()
        if tag in _SKIP_TAGS and self.skip:
            self.skip -= 1
        elif tag == "title":
            self._in_title = False
        elif tag == "h1":
            self._in_h1 = False
        if tag == "table" and self._tables:
            if self._tables == 1:
                self._end_row()
            self._tables -= 1
        elif self._tables == 1 and tag in ("td", "th"):
            self._end_cell()
        elif self._tables == 1 and tag == "tr":
            self._end_row()
        elif self._cell is not None:
            if tag in _BLOCK_TAGS or tag in ("td", "th"):  # (an inline tag's end is no gap: <b>24</b>元)
                self._cell.append(" ")
        elif tag in _BLOCK_TAGS:
            self._heading = self._heading and tag not in _HEADINGS
            self.parts.append("\n")

    def handle_data(self, data):
        if self._in_title:
            self.title += data
            return
        if self.skip:
            return
        if self._in_h1:
            self.h1 += data
        if self._heading:
            data = re.sub(r"\s+", " ", data)
        if self._cell is not None:
            self._cell.append(data)
        elif self._row is None and not (self._tables and not data.strip()):
            self.parts.append(data)  # (but not the layout between a table's rows and cells)


def _list_number(kind: str, n: int) -> str:
    """An ordered list item's number as a browser shows it: 3., c., C., iii., III."""
    if kind in ("a", "A"):
        return chr(ord(kind) + (n - 1) % 26) + "."
    if kind in ("i", "I"):
        return (roman(n) if kind == "I" else roman(n).lower()) + "."
    return f"{n}."


def html_to_text(markup: str) -> tuple[str, str]:
    """(title, text) of an HTML page."""
    p = _TextExtractor()
    p.feed(markup)
    p.close()
    text = "".join(p.parts)
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    return (p.title or p.h1).strip(), re.sub(r"\n{3,}", "\n\n", text).strip()
