""".eml (an e-mail as a mail client saves it; the standard library's email package): its
header lines, its text, the earlier message it quotes, and its attachments read as files.

- The header: subject as the ``#`` title, then from, to, cc and the date, with labels in the
  mail's language (发件人 / 寄件者 / From), the date as "2025-03-03 14:20" (the sender's
  clock: a question asks the day written, not UTC).
- The text: the plain-text part, else the HTML part's text. A charset a mail names but
  does not keep to is read as what it is (GB2312 mail holds GBK characters: read as
  GB18030; Big5 as Big5-HKSCS); a part with no charset is decoded as a text file is.
- A quoted earlier message ("-----原始邮件-----", "-----Original Message-----", "On … wrote:",
  "> " lines) goes under a heading of its own and is a region "quoted" (a passage of its own,
  cited as the earlier message, read after the reply's: retrieve.py): a reply that moves a
  date quotes the old one below it.
- Attachments of a type ``rag index`` reads are read as that file would be (a workbook's rows,
  a PDF's pages, a .doc's tables), each under a heading with its name, its regions kept and the
  rest of it a region "attachment <name>" (a citation names the attachment); a forwarded
  message attached is read as a mail. Other attachments are named in a note.
"""
from __future__ import annotations

import re
import tempfile
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

from ..errors import DocumentError
from ..records import Location, Region
from ..zh import CJK_CHAR, script_of
from . import Extracted, Limits, TextBuilder, one_line

_HEADINGS_ONLY = re.compile(r"(?:\s*#{1,6} [^\n]*)*\s*")
_MAX_DEPTH = 3  # a forwarded mail inside a forwarded mail inside a mail
_CHARSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "big5": "big5hkscs"}
_LABELS = {  # subject, from, to, cc, date, earlier message, attachment
    "en": ("Subject", "From", "To", "Cc", "Date", "Earlier message", "Attachment"),
    "hans": ("主题", "发件人", "收件人", "抄送", "日期", "原始邮件", "附件"),
    "hant": ("主旨", "寄件者", "收件者", "副本", "日期", "原始郵件", "附件"),
}
# Where a quoted earlier message starts: the separator lines Outlook, Foxmail, QQ Mail,
# NetEase and Gmail write, and a run of "> " lines; newer Outlook writes a rule of underscores,
# or nothing, above the earlier message's From and Sent lines.
_QUOTED = re.compile(r"^[ \t]*(?:-{3,}\s*(?:原始邮件|原始郵件|Original Message|Forwarded message|转发的邮件|轉寄的郵件)"
                     r"\s*-{3,}|在\s*.{4,80}(?:写道|寫道)\s*[:：]|On .{4,120} wrote:|>[^\n]*(?:\n>[^\n]*)+"
                     r"|_{10,}[ \t]*\n\s*(?:From|发件人|寄件者|發件人)[ \t]*[:：]"
                     r"|(?:From|发件人|寄件者|發件人)[ \t]*[:：][^\n]*\n[ \t]*(?:Sent|发送时间|寄件日期|發送時間)[ \t]*[:：])",
                     re.M | re.I)


def _lang(text: str) -> str:
    """"en", or the script of a Chinese mail ("hans" when it could be either)."""
    return (script_of(text) or "hans") if CJK_CHAR.search(text) else "en"


def _labelled(lang: str, label: str, value: str) -> str:
    return f"{label}: {value}" if lang == "en" else f"{label}：{value}"


def decoded(data: bytes, codecs: tuple[str, ...], last: str) -> str:
    """``data`` in the first of ``codecs`` that reads it; else read as a text file is (its
    encoding detected); else in ``last``, what cannot be read replaced."""
    from ..load import decode

    for codec in codecs:
        try:
            return data.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
    try:
        return decode(data)[0]
    except DocumentError:
        return data.decode(last, errors="replace")


def part_text(part: EmailMessage) -> str:
    """A text part's characters: its declared charset, or what that charset stands for."""
    charset = (part.get_content_charset() or "").lower()
    return decoded(part.get_payload(decode=True) or b"", (_CHARSETS.get(charset, charset),) if charset else (), "utf-8")


def _body(msg: EmailMessage) -> str:
    from ..load import tidy
    from .webpage import html_to_text

    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = part_text(part)
    if part.get_content_subtype() == "html":
        text = html_to_text(text)[1]
    return tidy(text)


def _people(value: str) -> str:
    """"张三 <zhang@example.com>, li@example.com" as written, one line."""
    pairs = getaddresses([value])
    return "; ".join(f"{name} <{addr}>" if name and addr else name or addr for name, addr in pairs if name or addr)


def _date(value: str) -> str:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return one_line(value)
    return when.strftime("%Y-%m-%d %H:%M") if isinstance(when, datetime) else one_line(value)


class _Mail:
    def __init__(self, limits: Limits):
        self.out = TextBuilder()
        self.limits = limits
        self.notes: list[str] = []
        self.title = ""

    def message(self, msg: EmailMessage, depth: int) -> None:
        body = _body(msg)
        subject = one_line(msg.get("subject", ""))
        lang = _lang(subject + body)
        labels = _LABELS[lang]
        self.title = self.title or subject
        if subject:
            self.out.heading(1, subject)
        header = [_labelled(lang, label, value)
                  for label, value in ((labels[1], _people(msg.get("from", ""))), (labels[2], _people(msg.get("to", ""))),
                                       (labels[3], _people(msg.get("cc", ""))), (labels[4], _date(msg.get("date", ""))))
                  if value]
        if header:
            self.out.add("\n".join(header))
        quoted = _QUOTED.search(body)
        if quoted and body[:quoted.start()].strip():
            self.out.add(body[:quoted.start()].strip())
            start = self.out.pos + 2
            self.out.heading(2, labels[5])
            self.out.add(body[quoted.start():].strip())
            self.out.regions.append(Region(start, self.out.pos, Location("quoted")))
        elif body:
            self.out.add(body)
        for part in msg.iter_attachments():
            self.attachment(part, lang, depth)

    def attachment(self, part: EmailMessage, lang: str, depth: int) -> None:
        name = one_line(part.get_filename() or "")
        if part.get_content_type() == "message/rfc822" and depth < _MAX_DEPTH:
            inner = part.get_content()
            if isinstance(inner, EmailMessage):
                self.message(inner, depth + 1)
                return
        if not name:
            return
        data = part.get_payload(decode=True) or b""
        try:
            doc = _read(data, name, self.limits)
        except DocumentError as e:
            self.notes.append(f"attachment {name!r} not read: {e}")
            return
        place(self.out, _labelled(lang, _LABELS[lang][6], name), doc.text, doc.all_regions(),
              Location("attachment", name=name))


def place(out: TextBuilder, heading: str, text: str, regions: list[Region], location: Location) -> None:
    """``text`` (a file or a mail read on its own, with its ``regions``) appended to ``out``
    under ``heading`` (none when ""; its own headings follow): its regions (rows, pages)
    shifted, the rest of it a region at ``location`` ("attachment 报价单.xlsx", "message 3")
    -- but not headings alone (its name, a sheet's), which go with the rows after them."""
    head = out.pos + (2 if out.pos else 0)
    if heading:
        out.heading(1, heading)
    start = out.pos + (2 if out.pos else 0)
    out.add(text)
    whole, at = out.text(), head
    for r in [*regions, Region(len(text), len(text), location)]:
        if _HEADINGS_ONLY.fullmatch(whole[at:start + r.start]) is None:
            out.regions.append(Region(at, start + r.start, location))
        if r.end > r.start:
            out.regions.append(Region(start + r.start, start + r.end, r.location))
        at = start + r.end


def _read(data: bytes, name: str, limits: Limits):
    """An attachment read as ``rag index`` reads a file of its name (through a temporary
    file: the PDF and OCR readers read from a path)."""
    from ..load import SUFFIXES, load_document

    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES or suffix in (".eml", ".mbox"):
        raise DocumentError(f"unsupported type {suffix or '(none)'}")
    with tempfile.TemporaryDirectory(prefix="rag-mail-") as tmp:
        path = Path(tmp) / f"attachment{suffix}"
        path.write_bytes(data)
        return load_document(path, name, limits.max_bytes)


def read(msg: EmailMessage, limits: Limits, encoding: str = "eml") -> Extracted:
    """A mail as text, its header, quote and attachments: an .eml's, or one built from an
    Outlook message's properties (msg.py)."""
    mail = _Mail(limits)
    mail.message(msg, 0)
    if not mail.out.pos:
        raise DocumentError("empty (no text)")
    return Extracted(mail.out.text(), mail.out.regions, title=mail.title, meta={"encoding": encoding}, notes=mail.notes)


def parse(data: bytes, path: Path, limits: Limits) -> Extracted:
    msg = BytesParser(policy=policy.default).parsebytes(data)
    if not any(msg.get(h) for h in ("from", "to", "subject", "date", "message-id")):
        raise DocumentError("not an e-mail (no From, To, Subject or Date header)")
    return read(msg, limits)
