"""Checks made on a zip-based document (.docx .xlsx .pptx .epub) before any parser opens it.

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

ZIP_SUFFIXES = (".docx", ".xlsx", ".xlsm", ".pptx", ".epub")
MAX_ENTRIES = 10_000  # a long book or a big workbook has a few hundred
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # compound file: .doc/.xls/.ppt, or encrypted OOXML
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")  # the stream an encrypted OOXML file keeps
# EPUB DRM encrypts the content documents; font obfuscation (also in encryption.xml) is harmless.
_ENCRYPTED_CONTENT = re.compile(rb"""URI\s*=\s*["'][^"']+\.(?:x?html?|xml)["']""", re.I)


def _mb(n: int) -> str:
    return f"{n / 2**20:.0f} MB"


def check_container(data: bytes, suffix: str, limits) -> None:
    """Raise DocumentError when ``data`` is not a zip that is safe to hand to a parser."""
    if suffix not in ZIP_SUFFIXES:
        return
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_PACKAGE in data:
            raise DocumentError("password-protected (encrypted); save a copy without a password to index it")
        raise DocumentError(f"an old binary Office file (.doc/.xls/.ppt), not {suffix}; "
                            f"save it as {suffix} to index it")
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
