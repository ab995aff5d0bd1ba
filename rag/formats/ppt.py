""".ppt (PowerPoint 97-2003), read with olefile: one region per slide, as slides.py writes a
.pptx -- its title as a ``#`` heading, then its other text, then its speaker notes.

The "PowerPoint Document" stream is a tree of records (a type, a length; containers hold
records). Where each slide is comes from the persist directory, found through the current
user's last edit ([MS-PPT] 2.3): an incremental save appends an edit whose directory entries
override the older ones, so the chain is read oldest first. The slides, in show order, are
the slide list's persist references; a slide's text is the text its list entry carries
(placeholders: the title, the body) and the text of the shapes in its own drawing (text
boxes, table cells); a slide's notes are the notes page its slide atom names. Master slides
and layouts ("Click to edit Master title style") are never read.
"""
from __future__ import annotations

import struct
from pathlib import Path
from typing import Iterator

from ..errors import DocumentError
from ..load import tidy
from . import Extracted, Limits, TextBuilder, container, one_line, table_row
from .slides import SlideTable, add_slide

_DOCUMENT, _SLIDE, _SLIDE_ATOM, _NOTES, _SLIDE_LIST, _PERSIST_ATOM = 0x03E8, 0x03EE, 0x03EF, 0x03F0, 0x0FF0, 0x03F3
_TEXT_HEADER, _TEXT_CHARS, _TEXT_BYTES, _USER_EDIT = 0x0F9F, 0x0FA0, 0x0FA8, 0x0FF5
_GROUP, _SHAPE, _CHILD_ANCHOR = 0xF003, 0xF004, 0xF00F  # OfficeArt drawing records
_TABLE = -1  # (our own text type for a table's rows)
_TITLE_TYPES = {0, 6}  # TextHeaderAtom.textType: title, centred title
_NOTES_TYPE = 2  # the text type of a notes page's body; 5/6 centred body/title


def _header(data: bytes, at: int) -> tuple[int, int, int, int]:
    """(version, instance, type, length) of the record at ``at``."""
    ver_inst, rtype, length = struct.unpack_from("<HHI", data, at)
    return ver_inst & 0xF, ver_inst >> 4, rtype, length


def _children(data: bytes, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """(type, instance, body start, body end) of the records in ``data[start:end]``."""
    at = start
    while at + 8 <= end:
        _, instance, rtype, length = _header(data, at)
        body = at + 8
        if body + length > end:
            return
        yield rtype, instance, body, body + length
        at = body + length


def _texts(data: bytes, start: int, end: int) -> Iterator[tuple[int, str]]:
    """(text type, text) of every text atom under a record, depth first; each text atom
    after the text header that says what it is (title, body, notes...). A group of shapes
    that is a table's grid is one (_TABLE, SlideTable) item."""
    kind = 4  # "other"
    for rtype, _, a, b in _children(data, start, end):
        ver = data[a - 8] & 0xF
        if rtype == _TEXT_HEADER and b - a >= 4:
            kind = struct.unpack_from("<I", data, a)[0]
        elif rtype == _TEXT_CHARS:
            yield kind, data[a:b].decode("utf-16-le", errors="replace")
        elif rtype == _TEXT_BYTES:
            yield kind, data[a:b].decode("latin-1")
        elif rtype == _GROUP and (table := _grid(data, a, b)) is not None:
            yield _TABLE, table
        elif ver == 0xF:
            yield from _texts(data, a, b)


def _grid(data: bytes, start: int, end: int) -> SlideTable | None:
    """A group of shapes read as a table when its boxes tile a grid of two rows and two
    columns or more, one box a cell, as PowerPoint 97-2003 saves a table (its rules are
    shapes of no height or width, left out); else None (the group's text read shape by shape)."""
    cells = []
    for rtype, _, a, b in _children(data, start, end):
        if rtype != _SHAPE:
            continue
        box = next((struct.unpack_from("<iiii", data, x) for t, _, x, y in _children(data, a, b)
                    if t == _CHILD_ANCHOR and y - x >= 16), None)
        if box is None:  # the group's own shape
            continue
        left, top, right, bottom = box
        if right > left and bottom > top:
            cells.append((top, left, _clean("\n".join(t for _, t in _texts(data, a, b)))))
    tops, lefts = sorted({c[0] for c in cells}), sorted({c[1] for c in cells})
    if len(tops) < 2 or len(lefts) < 2 or len(cells) != len(tops) * len(lefts) \
            or len({(c[0], c[1]) for c in cells}) != len(cells):
        return None
    at = {(c[0], c[1]): c[2] for c in cells}
    rows = [[at[(t, x)] for x in lefts] for t in tops]
    rows = [r for r in rows if any(r)]
    return SlideTable("\n".join(table_row(r) for r in rows), len(rows))


def _clean(text: str) -> str:
    return tidy(text.replace("\x0b", "\n").replace("\r", "\n"))


class _Deck:
    def __init__(self, data: bytes):
        ole = container.open_compound(data, ".ppt", "PowerPoint Document")
        if ole.exists("EncryptedSummary"):
            raise DocumentError("password-protected (encrypted); save a copy without a password to index it")
        self.stream = ole.openstream("PowerPoint Document").read()
        user = ole.openstream("Current User").read() if ole.exists("Current User") else b""
        self.title = container.ole_title(ole)
        ole.close()
        if len(user) < 20:
            raise DocumentError("damaged .ppt file (no current user record)")
        self.persist, self.document = self._directory(struct.unpack_from("<I", user, 16)[0])

    def _directory(self, edit: int) -> tuple[dict[int, int], int]:
        """The persist directory (persist id -> stream offset) and the document's offset."""
        s = self.stream
        edits, seen = [], set()
        while 0 < edit + 32 <= len(s) and edit not in seen:
            seen.add(edit)
            _, _, rtype, _ = _header(s, edit)
            if rtype != _USER_EDIT:
                break
            last, directory, doc_ref = struct.unpack_from("<III", s, edit + 16)
            edits.append((directory, doc_ref))
            edit = last
        if not edits:
            raise DocumentError("damaged .ppt file (no edit record)")
        persist: dict[int, int] = {}
        for directory, _ in reversed(edits):  # the oldest edit first: newer entries override
            if directory + 8 > len(s):
                continue
            *_, length = _header(s, directory)
            at, end = directory + 8, min(directory + 8 + length, len(s))
            while at + 4 <= end:
                word = struct.unpack_from("<I", s, at)[0]
                first, count = word & 0xFFFFF, word >> 20
                for k in range(count):
                    if at + 8 + 4 * k <= end:
                        persist[first + k] = struct.unpack_from("<I", s, at + 4 + 4 * k)[0]
                at += 4 + 4 * count
        document = persist.get(edits[0][1])
        if document is None:
            raise DocumentError("damaged .ppt file (no document record)")
        return persist, document

    def _record(self, persist_id: int, rtype: int) -> tuple[int, int] | None:
        at = self.persist.get(persist_id)
        if at is None or at + 8 > len(self.stream):
            return None
        _, _, found, length = _header(self.stream, at)
        return (at + 8, min(at + 8 + length, len(self.stream))) if found == rtype else None

    def slides(self) -> Iterator[tuple[str, list[str], str]]:
        """(title, texts, notes) of each slide in show order."""
        s = self.stream
        _, _, rtype, length = _header(s, self.document)
        if rtype != _DOCUMENT:
            raise DocumentError("damaged .ppt file (its document record is missing)")
        lists: dict[int, list[tuple[int, int, list[tuple[int, str]]]]] = {}
        for rt, instance, a, b in _children(s, self.document + 8, self.document + 8 + length):
            if rt != _SLIDE_LIST:
                continue
            entries = lists.setdefault(instance, [])
            for kind, _, x, y in _children(s, a, b):
                if kind == _PERSIST_ATOM and y - x >= 16:
                    ref, _, _, ident = struct.unpack_from("<IIiI", s, x)
                    entries.append((ref, ident, []))
                elif entries and kind in (_TEXT_HEADER, _TEXT_CHARS, _TEXT_BYTES):
                    entries[-1][2].extend(_texts(s, x - 8, y))
        notes = {ident: ref for ref, ident, _ in lists.get(2, [])}
        for ref, _, listed in lists.get(0, []):
            texts = list(listed)
            notes_ref = None
            if (slide := self._record(ref, _SLIDE)) is not None:
                texts += _texts(s, *slide)
                for kind, _, x, y in _children(s, *slide):
                    if kind == _SLIDE_ATOM and y - x >= 20:
                        notes_ref = notes.get(struct.unpack_from("<I", s, x + 16)[0])
            title = next((one_line(t) for k, t in texts if k in _TITLE_TYPES and t.strip()), "")
            body, seen = [], {title}
            for k, t in texts:
                t = t if k == _TABLE else _clean(t)
                if t and t not in seen and not (k in _TITLE_TYPES and one_line(t) == title):
                    seen.add(t)
                    body.append(t)
            note = ""
            if notes_ref is not None and (page := self._record(notes_ref, _NOTES)) is not None:
                note = "\n".join(t for k, raw in _texts(s, *page) if k == _NOTES_TYPE and (t := _clean(raw)))
            yield title, body, note


def parse(data: bytes, path: Path, limits: Limits) -> Extracted:
    deck = _Deck(data)
    out = TextBuilder()
    first_title = ""
    for number, (title, body, notes) in enumerate(deck.slides(), 1):
        if title or body or notes:
            add_slide(out, number, title, body + ([notes] if notes else []))
            first_title = first_title or title
    if not out.pos:
        raise DocumentError("empty (no text on any slide)")
    return Extracted(out.text(), out.regions, title=deck.title or first_title, meta={"encoding": "ppt"})
