""".mbox (a mail archive: a mail client's folder exported, a Google Takeout of a mailbox): each
message read as mail.py reads an .eml -- its header lines, text, quoted earlier message and
attachments --, one after another, the rest of each a region "message n" named by its
subject, so a citation says which mail of the archive it is.

The archive is messages each after a "From " line (mbox's separator; a line of a message that
starts with "From " is written ">From ", and such a line gets its ">" back, as mboxrd readers
do). Lines that are no message (a header-less part) are skipped.
"""
from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

from ..errors import DocumentError
from ..records import Location
from . import Extracted, Limits, TextBuilder, mail

_SEPARATOR = re.compile(rb"(?:\A|\r?\n)From [^\r\n]*\r?\n")
_ESCAPED_FROM = re.compile(rb"^>(>*From )", re.M)


def parse(data: bytes, path: Path, limits: Limits) -> Extracted:
    if not data.startswith(b"From "):
        raise DocumentError("not an mbox mail archive (it does not start with a \"From \" line)")
    out, notes, n = TextBuilder(), [], 0
    for raw in _SEPARATOR.split(data):
        msg = BytesParser(policy=policy.default).parsebytes(_ESCAPED_FROM.sub(rb"\1", raw))
        if not any(msg.get(h) for h in ("from", "to", "subject", "date")):
            continue
        try:
            one = mail.read(msg, limits, "mbox")
        except DocumentError:
            continue  # (an empty message)
        n += 1
        mail.place(out, "", one.text, one.regions, Location("message", n, name=one.title))
        notes += [f"message {n}: {note}" for note in one.notes]
    if not n:
        raise DocumentError("no e-mail in the mbox archive")
    return Extracted(out.text(), out.regions, title=path.stem, meta={"encoding": "mbox", "messages": n}, notes=notes)
