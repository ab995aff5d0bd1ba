""".msg (an e-mail saved by Outlook: [MS-OXMSG], a compound file read with olefile), read as
the same mail saved as .eml is: its properties are made into an e-mail message that mail.py
reads, so the header lines with labels in the mail's language, the quoted earlier message
and the attachments come out as an .eml's do.

- The header: subject (0x0037); the sender's name (0x0C1A) and address (0x5D01 SMTP, else
  0x0C1F when it is no Exchange X.500 name); to and cc from the recipients (0x3001 name,
  0x39FE or 0x3003 address, 0x0C15 type), else the display lists (0x0E04, 0x0E03); the date
  of the transport headers (0x007D: the sender's clock, as an .eml has it), else the submit
  or delivery time (0x0039, 0x0E06, UTC) on this computer's clock, as Outlook shows it.
- The text: plain (0x1000), else HTML (0x1013, in the code page 0x3FDE), else the compressed
  RTF (0x1009, LZFu [MS-OXRTFCP]) read to its text, whether it holds RTF, text or HTML.
- Strings: UTF-16 (0x001F), or 8-bit (0x001E) in the message's code page (0x3FFD, else
  0x3FDE: an ANSI Outlook store's); 936 read as GB18030 and 950 as Big5-HKSCS, as mail.py reads
  GB2312 and Big5.
- Attachments by value (0x3701, named by 0x3707, else 0x3704) are read as files are; an
  attached message (method 5: the storage __substg1.0_3701000D) as a forwarded mail; the
  HTML body's inline pictures are left out, as an .eml's are.

A Word, Excel or PowerPoint file named .msg is read as what it is; a compound file holding no
message, and an S/MIME-encrypted (or opaque-signed) one, are refused with the reason.
"""
from __future__ import annotations

import struct
from datetime import datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser, HeaderParser
from email.utils import format_datetime, formataddr, parsedate_to_datetime
from pathlib import Path

from ..errors import DocumentError
from . import Extracted, Limits, container, mail, one_line

_PROPS = "__properties_version1.0"
_TOP, _EMBEDDED, _CHILD = 32, 24, 8  # property stream header bytes: message, attached message, other
_LONG, _BOOL, _TIME, _STRING8, _UNICODE, _BINARY = 0x0003, 0x000B, 0x0040, 0x001E, 0x001F, 0x0102
# Code page -> codecs, tried in turn: GB2312/GBK text holds GB18030 characters and Big5 text
# HKSCS ones (mail.py), but the euro sign and Windows' other additions are cp936's and cp950's.
_CODECS = {936: ("gb18030", "cp936"), 950: ("big5hkscs", "cp950"), 20936: ("gb18030",), 54936: ("gb18030",),
           52936: ("hz",), 65001: ("utf-8",), 1200: ("utf-16-le",), 20127: ("ascii",), 50220: ("iso2022_jp",)}
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=timezone.utc)  # PtypTime counts 100 ns from here
# The dictionary a compressed RTF body starts with ([MS-OXRTFCP] 2.1.2.1).
_RTF_PREBUF = (b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript "
               b"\\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par "
               b"\\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx")


def _decode8(data: bytes, codepage: int | None) -> str:
    """8-bit text in ``codepage``; without one, or not in it, read as a text file is."""
    return mail.decoded(data, _CODECS.get(codepage, (f"cp{codepage}",) if codepage else ()), "cp1252")


class _Object:
    """The properties of a message, a recipient or an attachment: fixed-size values in its
    property stream (16-byte entries after a header), the others in a stream each, named
    __substg1.0_ + id + type in hexadecimal."""

    def __init__(self, ole, path: list[str], header: int, codepage: int | None = None):
        self.ole, self.path = ole, path
        raw = ole.openstream("/".join([*path, _PROPS])).read()
        self.fixed = {struct.unpack_from("<I", raw, at)[0]: raw[at + 8:at + 16]  # tag -> value
                      for at in range(header, len(raw) - 15, 16)}
        self.codepage = self.int(0x3FFD) or self.int(0x3FDE) or codepage  # (recipients have none)

    def int(self, pid: int, kind: int = _LONG) -> int:
        raw = self.fixed.get(pid << 16 | kind)
        return struct.unpack_from("<i", raw)[0] if raw else 0

    def time(self, pid: int) -> datetime | None:
        """A PtypTime (UTC) on this computer's clock."""
        raw = self.fixed.get(pid << 16 | _TIME)
        ticks = struct.unpack("<Q", raw)[0] if raw else 0
        try:
            return (_FILETIME_EPOCH + timedelta(microseconds=ticks // 10)).astimezone() if ticks else None
        except (OverflowError, OSError, ValueError):  # a damaged value costs the date only
            return None

    def bytes(self, pid: int, kind: int = _BINARY) -> bytes | None:
        name = "/".join([*self.path, f"__substg1.0_{pid:04X}{kind:04X}"])
        return self.ole.openstream(name).read() if self.ole.exists(name) else None

    def str(self, pid: int) -> str:
        if (raw := self.bytes(pid, _UNICODE)) is not None:
            return raw.decode("utf-16-le", errors="replace").rstrip("\x00")
        if (raw := self.bytes(pid, _STRING8)) is not None:
            return _decode8(raw.rstrip(b"\x00"), self.codepage)
        return ""

    def children(self, prefix: str) -> list[_Object]:
        """Its recipients' or attachments' objects, in order."""
        n = len(self.path)
        paths = sorted(p for p in self.ole.listdir(streams=False, storages=True)
                       if len(p) == n + 1 and p[:n] == self.path and p[n].lower().startswith(prefix))
        return [_Object(self.ole, p, _CHILD, self.codepage) for p in paths]


def _person(name: str, address: str) -> str:
    """A header's "name <address>"; a name alone (an address book entry) quoted, so a comma or
    a bracket in it stays part of the name."""
    name, address = one_line(name), one_line(address)
    if address:
        return formataddr((name if name != address else "", address))
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"' if name else ""


def _smtp(obj: _Object, *pids: int) -> str:
    """The first of these properties that is an Internet address (an Exchange sender's 0x0C1F
    is an X.500 name, "/O=.../CN=...")."""
    return next((a for a in map(obj.str, pids) if "@" in a), "")


def _date(m: _Object) -> str:
    """The Date line the sender's program wrote (in the transport headers of a mail received),
    else the time it was sent or delivered."""
    headers = m.str(0x007D)
    written = HeaderParser().parsestr(headers).get("Date", "") if headers else ""
    try:
        parsedate_to_datetime(written)
        return written
    except (TypeError, ValueError, IndexError):
        when = m.time(0x0039) or m.time(0x0E06)
        return format_datetime(when) if when else ""


def _message(ole, path: list[str], header: int, codepage: int | None, depth: int) -> EmailMessage:
    """The message stored at ``path`` as an e-mail message for mail.py."""
    m = _Object(ole, path, header, codepage)
    cls = m.str(0x001A).upper()  # the message class: IPM.Note, IPM.Note.SMIME...
    if depth == 0 and cls.startswith("IPM.NOTE.SMIME") and "MULTIPARTSIGNED" not in cls:
        raise DocumentError("an S/MIME encrypted or signed message: its text is sealed inside it "
                            "(save a copy that is not encrypted to index it)")
    recipients = {1: [], 2: []}  # to, cc (a sent mail's bcc is not shown, as in an .eml)
    for r in m.children("__recip_version1.0_#"):
        recipients.get(r.int(0x0C15) & 0xF or 1, []).append(_person(r.str(0x3001), _smtp(r, 0x39FE, 0x3003)))
    for kind, pid in ((1, 0x0E04), (2, 0x0E03)):  # no recipient objects: the display lists
        recipients[kind] = recipients[kind] or [_person(n, "") for n in m.str(pid).split(";")]
    out = EmailMessage()
    for name, value in (("Subject", m.str(0x0037)), ("Date", _date(m)),
                        ("From", _person(m.str(0x0C1A) or m.str(0x0042), _smtp(m, 0x5D01, 0x0C1F, 0x5D02, 0x0065))),
                        ("To", ", ".join(filter(None, recipients[1]))), ("Cc", ", ".join(filter(None, recipients[2])))):
        if one_line(value):
            out[name] = one_line(value)
    attachments = m.children("__attach_version1.0_#")
    if "MULTIPARTSIGNED" in cls:  # clear-signed S/MIME: the mail is an attachment, as MIME
        signed = next((a.bytes(0x3701) for a in attachments if a.str(0x370E).lower() == "multipart/signed"), None)
        if signed:
            inner = BytesParser(policy=policy.default).parsebytes(signed)
            for name in ("Subject", "Date", "From", "To", "Cc"):
                if out[name] and not inner[name]:
                    inner[name] = str(out[name])
            return inner
    html = _html(m)
    if (body := m.str(0x1000)).strip():
        out.set_content(body)
    elif html.strip():
        out.set_content(html, subtype="html")
    elif rtf := m.bytes(0x1009):
        out.set_content(_rtf_text(_lzfu(rtf)))
    for a in attachments:
        inner_path = [*a.path, "__substg1.0_3701000D"]
        if a.int(0x3705) == 5 and ole.exists("/".join([*inner_path, _PROPS])):
            if depth < mail._MAX_DEPTH:  # (mail.py reads no deeper)
                out.add_attachment(_message(ole, inner_path, _EMBEDDED, m.codepage, depth + 1))
        elif (data := a.bytes(0x3701)) is not None and not _inline(a, html):
            name = one_line(a.str(0x3707) or a.str(0x3704) or a.str(0x3001))
            out.add_attachment(data, maintype="application", subtype="octet-stream", filename=name or None)
    return out


def _html(m: _Object) -> str:
    raw = m.bytes(0x1013)
    return m.str(0x1013) if raw is None else _decode8(raw, m.int(0x3FDE) or m.codepage)


def _inline(a: _Object, html: str) -> bool:
    """A picture shown in the HTML body (hidden, or named by its content id), not attached."""
    cid = a.str(0x3712)
    return bool(a.int(0x7FFE, _BOOL)) or bool(cid) and f"cid:{cid}" in html


def _lzfu(data: bytes) -> bytes:
    """A compressed RTF body decompressed ([MS-OXRTFCP]): after a 16-byte header, 'MELA' holds
    the RTF as it is; 'LZFu' holds runs of a control byte whose bits (lowest first) say whether
    a literal byte or a big-endian reference (12-bit offset, 4-bit length - 2) into a 4096-byte
    ring follows, the ring starting with _RTF_PREBUF; a reference to the write position ends it."""
    if len(data) < 16:
        raise DocumentError("damaged .msg file (its RTF body is cut short)")
    raw_size, kind = struct.unpack_from("<II", data, 4)
    if kind == 0x414C454D:  # 'MELA'
        return data[16:16 + raw_size]
    if kind != 0x75465A4C:  # 'LZFu'
        raise DocumentError(f"damaged .msg file (its RTF body's compression is 0x{kind:08X})")
    ring, w = bytearray(_RTF_PREBUF.ljust(4096, b"\0")), len(_RTF_PREBUF)
    out, i = bytearray(), 16
    while i < len(data):
        control, i = data[i], i + 1
        for bit in range(8):
            if i >= len(data):
                break
            if control >> bit & 1:
                ref, i = int.from_bytes(data[i:i + 2], "big"), i + 2
                offset = ref >> 4
                if offset == w:
                    return bytes(out)
                for k in range((ref & 0xF) + 2):  # byte by byte: a reference may cross the write position
                    ring[w] = ring[(offset + k) % 4096]
                    out.append(ring[w])
                    w = (w + 1) % 4096
            else:
                ring[w], i = data[i], i + 1
                out.append(ring[w])
                w = (w + 1) % 4096
    return bytes(out)


def _rtf_text(data: bytes) -> str:
    """An RTF body's text, read by rtf.py as an .rtf file is: each font's code page (a
    Chinese mail's \\'hh byte pairs), tables as rows; an encapsulated HTML's tags (in
    ``{\\*\\htmltag}`` groups) left out."""
    from . import rtf

    try:
        return rtf.parse(data, Path("body.rtf"), Limits(len(data) + 1)).text
    except DocumentError:
        return ""


def parse(data: bytes, path: Path, limits: Limits) -> Extracted:
    if not data.startswith(container.OLE_MAGIC):  # some mail programs save a MIME mail (an .eml) as .msg
        try:
            return mail.parse(data, path, limits)
        except DocumentError:
            raise DocumentError("not an Outlook message (neither a compound file nor an e-mail)") from None
    with container.open_compound(data, ".msg", None) as ole:
        if not ole.exists(_PROPS):  # (container.real_suffix sends an Office file named .msg to its reader)
            raise DocumentError(f"not an Outlook message (no {_PROPS} stream)")
        return mail.read(_message(ole, [], _TOP, None, 0), limits, "msg")
