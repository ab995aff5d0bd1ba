"""What an Office or e-book file really is, and the checks made on a zip-based one (.docx
.xlsx .pptx .epub) before any parser opens it.

People rename files: an old Word file saved as "报告.docx", a new one as ".doc". The file's
first bytes say which it is -- a zip (Office 2007 and later) or a compound file (97-2003,
whose streams name the program: WordDocument, Workbook, PowerPoint Document) -- and it is
read by the parser of what it is (``real_suffix``).

The parsers would fail on these too, but late and with messages a user cannot act on, and
a zip bomb would first be unpacked: the central directory says how much every entry
unpacks to, so the total is checked before anything is decompressed (Python's zipfile
never returns more than an entry's declared size).
"""
from __future__ import annotations

import io
import re
import zipfile

from ..errors import DocumentError

ZIP_SUFFIXES = (".docx", ".xlsx", ".xlsm", ".pptx", ".epub", ".odt", ".ods", ".odp", ".ofd")
MAX_ENTRIES = 10_000  # a long book or a big workbook has a few hundred
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # compound file: .doc/.xls/.ppt, or encrypted OOXML
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")  # the stream an encrypted OOXML file keeps
# EPUB DRM encrypts the content documents; font obfuscation (also in encryption.xml) is harmless.
_ENCRYPTED_CONTENT = re.compile(rb"""URI\s*=\s*["'][^"']+\.(?:x?html?|xml)["']""", re.I)


_ZIP_MAGIC = b"PK\x03\x04"
_HTML_EXPORT = re.compile(rb"(?:\xef\xbb\xbf)?\s*<(?:!doctype\s+html|html|table|meta|head)\b", re.I)
_OFFICE = {".doc": ".docx", ".xls": ".xlsx", ".ppt": ".pptx"}  # 97-2003 -> 2007 of one program
# WPS Office's own names (文字, 表格, 演示): since WPS 2005 they hold the 97-2003 formats' bytes
# (or, saved by a newer WPS, the 2007 ones). Earlier WPS and Microsoft Works files do not.
_WPS = {".wps": ".doc", ".et": ".xls", ".dps": ".ppt"}
_STREAMS = ((".doc", "WordDocument"), (".xls", "Workbook"), (".xls", "Book"), (".ppt", "PowerPoint Document"),
            (".msg", "__properties_version1.0"))  # (an Outlook message's top-level properties)
_ODF_MIME = {b"application/vnd.oasis.opendocument.text": ".odt",
             b"application/vnd.oasis.opendocument.spreadsheet": ".ods",
             b"application/vnd.oasis.opendocument.presentation": ".odp"}
_RTF = re.compile(rb"\s*\{\\rtf")  # (matched at the start: no copy of a whole file to strip it)
_WORD = (".doc", ".docx", ".wps", ".rtf")


def real_suffix(data: bytes, suffix: str) -> str:
    """The suffix whose parser reads ``data``, given the file's own ``suffix``: the 97-2003
    one for a compound file named .docx/.xlsx/.pptx or .doc/.xls/.ppt (the streams decide the
    program), the 2007 one for a zip named .doc/.xls/.ppt, .html for a web page named .xls or
    .doc, .csv for text named .xls, .rtf for RTF named .doc (a system's "export to Word");
    WPS Office's .wps/.et/.dps as the Word/Excel/PowerPoint file they hold, an Outlook .msg
    named .doc (or a .doc named .msg) as what it is, an OpenDocument file under an Office name
    (or another OpenDocument one) as what its media type says and an Office 2007 file under an
    OpenDocument name as the Office file it is; else the file's own."""
    office = (suffix in _OFFICE or suffix in _OFFICE.values() and suffix != ".xlsm" or suffix in _WPS
              or suffix in (".rtf", ".msg"))
    if (office or suffix in _ODF_MIME.values()) and (odf := _odf_kind(data)):
        return odf
    if suffix in _ODF_MIME.values() and data.startswith(_ZIP_MAGIC):
        return _ooxml_kind(data) or suffix
    if not office:
        return suffix
    if suffix in _WORD and _RTF.match(data):
        return ".rtf"
    if data.startswith(OLE_MAGIC) and _ENCRYPTED_PACKAGE not in data:
        import olefile

        try:
            with olefile.OleFileIO(io.BytesIO(data)) as ole:
                found = next((s for s, stream in _STREAMS if ole.exists(stream)), None)
        except Exception:  # noqa: BLE001 -- olefile on a damaged file raises anything; the parser says what
            found = None
        return found or suffix
    if data.startswith(_ZIP_MAGIC) and suffix in (*_OFFICE, *_WPS, ".rtf"):
        return _OFFICE[_WPS.get(suffix, ".doc" if suffix == ".rtf" else suffix)]
    if suffix in (".xls", ".doc", ".et", ".wps") and _HTML_EXPORT.match(data[:4096]):
        return ".html"  # a web system's "export to Excel/Word": an HTML table or page
    if suffix in (".xls", ".et") and b"\x00" not in data[:4096] and (b"\t" in data[:4096] or b"," in data[:4096]):
        return ".csv"  # an export that is tab- or comma-separated text
    return suffix


def _odf_kind(data: bytes) -> str | None:
    """.odt/.ods/.odp when ``data`` is an OpenDocument zip: its first entry is "mimetype",
    stored uncompressed, holding the document's media type (the ODF rule that lets a reader
    tell one from the first bytes) -- an .odt saved under a .docx name is read as an .odt."""
    if not data.startswith(_ZIP_MAGIC) or data[30:38] != b"mimetype":
        return None
    size = int.from_bytes(data[18:22], "little")
    start = 30 + int.from_bytes(data[26:28], "little") + int.from_bytes(data[28:30], "little")
    return _ODF_MIME.get(data[start:start + size])


def _ooxml_kind(data: bytes) -> str | None:
    """.docx/.xlsx/.pptx when the zip ``data`` is an Office 2007 file: its main part's folder
    names the program."""
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    folders = {n.split("/", 1)[0] for n in names}
    return next((s for folder, s in (("word", ".docx"), ("xl", ".xlsx"), ("ppt", ".pptx")) if folder in folders), None)


def open_compound(data: bytes, suffix: str, stream: str | None):
    """``data`` as an olefile.OleFileIO holding ``stream`` (any, for None); DocumentError when
    it is damaged or holds no such stream (real_suffix sends a file by the streams it holds,
    so this is a damaged file or one no program of ours writes)."""
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception as e:  # noqa: BLE001 -- olefile on a damaged file raises anything
        raise DocumentError(f"damaged {suffix} file (not a compound document: {e})") from None
    if stream is not None and not ole.exists(stream):
        ole.close()
        raise DocumentError(f"not a {suffix} file (it has no {stream} stream)")
    return ole


def ole_title_of(data: bytes) -> str:
    """The title in the summary information of the compound file ``data``, or ""."""
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            return ole_title(ole)
    except Exception:  # noqa: BLE001 -- a damaged file costs the title only
        return ""


def ole_title(ole) -> str:
    """The title in a compound file's summary information (File > Properties), or ""."""
    try:
        meta = ole.get_metadata()
    except Exception:  # noqa: BLE001 -- a damaged property set costs the title only
        return ""
    title = meta.title
    if isinstance(title, bytes):
        codepage = meta.codepage if meta.codepage and meta.codepage != 1200 else None
        try:
            title = title.decode(f"cp{codepage}" if codepage else "utf-16-le")
        except (LookupError, UnicodeDecodeError):
            title = title.decode("utf-8", errors="replace")
    return " ".join((title or "").strip("\x00").split())


def _mb(n: int) -> str:
    return f"{n / 2**20:.0f} MB"


def check_container(data: bytes, suffix: str, limits) -> None:
    """Raise DocumentError when ``data`` is not a zip that is safe to hand to a parser, or is
    a WPS file real_suffix found no Office format in."""
    if suffix in _WPS:
        if data.startswith(OLE_MAGIC):
            open_compound(data, suffix, None).close()  # (a damaged one says so; a sound one is Works')
        raise DocumentError(f"a {suffix} file of an early WPS or of Microsoft Works, whose format is not read; "
                            f"save it as {_OFFICE[_WPS[suffix]]} to index it")
    if suffix not in ZIP_SUFFIXES:
        return
    if data.startswith(OLE_MAGIC):
        if _ENCRYPTED_PACKAGE in data:
            raise DocumentError("password-protected (encrypted); save a copy without a password to index it")
        raise DocumentError(f"a damaged or unknown old binary Office file, not {suffix}")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as e:
        raise DocumentError(f"damaged {suffix} file (not a complete zip archive: {e})") from None
    if len(infos) > MAX_ENTRIES:
        raise DocumentError(f"refused: {len(infos)} entries in the {suffix} archive (> {MAX_ENTRIES}; a zip bomb?)")
    total = sum(i.file_size for i in infos)
    if total > limits.max_unpacked:
        raise DocumentError(f"refused: the {suffix} file unpacks to {_mb(total)} (> {_mb(limits.max_unpacked)}; "
                            "a zip bomb?)")
    if any(i.flag_bits & 0x1 for i in infos):
        raise DocumentError("password-protected (encrypted zip entries)")
    if suffix == ".epub" and "META-INF/encryption.xml" in archive.namelist():
        if _ENCRYPTED_CONTENT.search(archive.read("META-INF/encryption.xml")):
            raise DocumentError("DRM-protected EPUB (its chapters are encrypted)")
