"""Load stage: files on disk -> Document records (plain text + metadata).

Format handling lives here (encodings, YAML front matter, PDF pages; a web page's text in
formats/webpage.py; OCR of scanned pages and images in formats/ocr.py; Word, Excel/CSV,
PowerPoint and EPUB in the other modules of formats/); scraper boilerplate removal is the
next stage (clean.py).
"""
from __future__ import annotations

import codecs
import hashlib
import html
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .config import Config
from .errors import DocumentError
from . import formats
from .formats import ocr, pdftables
from .formats.pagelines import page_lines
from .formats.webpage import html_to_text
from .records import Document, Dropped, Region
from .zh import unify_radicals

# Every type `rag index` reads, and so every type the web app accepts for upload (app/kb.py
# ALLOWED is this tuple): text and PDF here, images through OCR, the Office and e-book
# formats of formats.PARSERS (suffix -> parser module). Add a type there, not elsewhere.
SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", *ocr.IMAGE_SUFFIXES, *formats.PARSERS)
# Larger files are refused, not read: a 500 MB "document" is almost always a mistake
# (a log, a dump) and would need gigabytes of memory to embed.
MAX_BYTES = Config.max_file_mb << 20  # the default limit; Config.max_file_mb (RAG_MAX_FILE_MB) sets another


@dataclass
class Skipped:
    path: str
    reason: str


@dataclass
class Discovery:
    files: list[tuple[str, Path]] = field(default_factory=list)  # (doc_id, path)
    skipped: list[Skipped] = field(default_factory=list)


def discover(paths: list[Path]) -> Discovery:
    """Find the supported files under ``paths`` (files or folders, recursing).

    doc ids are paths relative to the folder given (the file name for a file given
    directly), so the same corpus indexed from another working directory keeps its ids.
    Symlink loops are cut by remembering resolved folders; folders that cannot be listed
    (permissions) are reported as skipped, not silently left out.
    """
    out = Discovery()
    seen_files: set[Path] = set()

    def unreadable(e: OSError) -> None:  # a folder os.walk cannot list
        why = "permission denied" if isinstance(e, PermissionError) else (e.strerror or str(e))
        out.skipped.append(Skipped(str(e.filename), f"cannot read folder: {why}"))

    for root in paths:
        root = Path(root)
        if not root.exists():
            out.skipped.append(Skipped(str(root), "does not exist"))
            continue
        if root.is_file():
            _add(out, seen_files, root.name, root)
            continue
        seen_dirs: set[Path] = set()
        for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=unreadable):
            real = Path(dirpath).resolve()
            if real in seen_dirs:
                dirnames[:] = []
                out.skipped.append(Skipped(dirpath, "symlink loop, not followed"))
                continue
            seen_dirs.add(real)
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                p = Path(dirpath) / name
                _add(out, seen_files, p.relative_to(root).as_posix(), p)
    return out


def _add(out: Discovery, seen: set[Path], doc_id: str, p: Path) -> None:
    if p.suffix.lower() not in SUFFIXES:
        out.skipped.append(Skipped(str(p), f"unsupported type {p.suffix or '(none)'}"))
        return
    real = p.resolve()
    if real in seen:
        out.skipped.append(Skipped(str(p), "same file already included"))
        return
    seen.add(real)
    out.files.append((doc_id, p))


# ---------------------------------------------------------------- encodings

def decode(data: bytes) -> tuple[str, str]:
    """Bytes -> (text, encoding). BOMs first, then strict UTF-8, then GB18030 (a superset
    of GBK/GB2312, the usual legacy simplified encodings) or Big5 (HKSCS, traditional),
    whichever reads as Chinese, then charset-normalizer."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(enc), enc
    if b"\x00" in data[:4096]:
        # NULs in a text file without a UTF-16 BOM: UTF-16 without BOM, or binary.
        try:
            text = data.decode("utf-16-le" if data[1:2] == b"\x00" else "utf-16-be")
            if _looks_like_text(text):
                return text, "utf-16"
        except UnicodeDecodeError:
            pass
        raise DocumentError("binary data, not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # The two legacy Chinese encodings: GB18030 (GBK/GB2312, simplified) and Big5 (traditional,
    # Taiwan and Hong Kong). Big5 bytes are valid GB18030 too, read as nonsense full of private-use
    # characters and kana (a Big5 notice read "古↘\ue663杆Τ…" for 嘉沛包裝有限公司); GBK bytes
    # are seldom valid Big5. GB18030 unless its reading is odd and Big5's less so.
    readings = []
    for enc in ("gb18030", "big5hkscs"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            readings.append((_odd(text), enc, text))
            if enc == "gb18030" and readings[0][0] == 0:
                break
    if readings:
        _, enc, text = min(readings, key=lambda r: r[0])  # (a tie keeps GB18030, the first)
        return text, enc
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or not _looks_like_text(str(best)):
        raise DocumentError("not valid text in any known encoding")
    return str(best), best.encoding


# What a legacy encoding read wrong turns Chinese into: private-use characters, kana, hangul,
# box drawing and arrows, Greek and Cyrillic letters (GB2312 has them all), in place of
# ideographs. A few in real text (α, ←) are under the 1% allowed.
_ODD = re.compile(r"[\ue000-\uf8ff\u3040-\u30ff\uac00-\ud7af\u2500-\u257f\u2190-\u21ff\u0370-\u04ff]")


def _odd(text: str) -> float:
    """The share of odd characters among the characters that are not ASCII, when over 1%."""
    sample = text[:20000]
    wide = sum(1 for c in sample if ord(c) > 127)
    share = len(_ODD.findall(sample)) / wide if wide else 0.0
    return share if share > 0.01 else 0.0


def _looks_like_text(text: str) -> bool:
    if not text:
        return True
    bad = sum(1 for c in text[:20000] if (ord(c) < 32 and c not in "\n\r\t\f") or c == "\ufffd")
    return bad / min(len(text), 20000) < 0.01


# ---------------------------------------------------------------- formats

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)


def split_front_matter(text: str) -> tuple[dict, str]:
    """YAML front matter -> (metadata, rest). Unparseable front matter is kept as text."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return {}, text
    import yaml

    try:
        meta = yaml.safe_load(m.group(1))
    except yaml.YAMLError:
        return {}, text
    if not isinstance(meta, dict):
        return {}, text
    meta = {str(k): (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in meta.items()}
    return meta, text[m.end():]


# Inline HTML in markdown (the seeds embed a raw <iframe>): block elements whose content is
# never prose are removed whole, other tags are unwrapped.
_MD_DROP_BLOCKS = re.compile(r"<(script|style|iframe|object|embed|svg|video|audio)\b.*?</\1\s*>", re.S | re.I)
_MD_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>")
_MD_ATTR = re.compile(r"\s*\{[.#][^{}\n]*\}[ \t]*$", re.M)  # wiki.js / pandoc {.tabset}
_HTML_HINT = re.compile(r"<(?:iframe|div|p|br|span|script|style|a|img)\b[^<>]*>", re.I)
_MD_COMMENT = re.compile(r"<!--.*?-->", re.S)


def markdown_to_text(text: str) -> str:
    text = _MD_COMMENT.sub("", text)
    text = _MD_DROP_BLOCKS.sub("", text)
    text = _MD_TAG.sub("", text)
    text = _MD_ATTR.sub("", text)
    text = re.sub(r"^#{1,6}[ \t]*$", "", text, flags=re.M)  # empty headings
    return html.unescape(text)


def pdf_pages(path: Path) -> list[tuple[int, str]]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(str(path))
        # Most encrypted PDFs only restrict printing or editing: they open with the empty
        # password. The others are skipped; we never guess passwords.
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError("encrypted PDF (a password is needed to open it)")
        pages = [(i + 1, page.extract_text() or "") for i, page in enumerate(reader.pages)]
    except (PyPdfError, OSError, ValueError) as e:
        raise DocumentError(f"unreadable PDF: {e}") from None
    try:
        tabled = pdftables.page_tables(path, pages)
    except Exception:  # noqa: BLE001 -- a table reader's failure leaves the text layer as read
        tabled = {}
    return [(n, tabled.get(n, text)) for n, text in pages]


def paged_text(path: Path, data: bytes, digest: str, label: str, meta: dict
               ) -> tuple[str, list[tuple[int, int]], list[Region], list[Dropped]]:
    """(text, pages, regions, dropped) of a PDF (text layer, its tables as rows, OCR
    on pages without one) or an image (OCR; pages only for a multi-page TIFF). Regions only
    where a page holds a table (pdftables.page_regions). Low-confidence OCR text is not in
    the text: it is recorded as dropped, so it is never cited and never lost silently."""
    if path.suffix.lower() == ".pdf":
        read = ocr.fill_pdf_pages(path, digest, pdf_pages(path), label)
        meta["encoding"], empty = "pdf", "PDF has no text layer and OCR found no text"
    else:
        read = ocr.read_image(data, digest, label)
        meta["encoding"], empty = "ocr", "no text found by OCR"
    parts, pages, offset = [], [], 0
    tidied = [(n, tidy(t)) for n, t in read.pages]
    scanned = set(read.ocr_pages) if path.suffix.lower() == ".pdf" else {n for n, _ in tidied}
    for (number, _), page_text in zip(tidied, page_lines(tidied, scanned)):
        pages.append((number, offset))
        parts.append(page_text)
        offset += len(page_text) + 2
    text = "\n\n".join(parts)
    if not text.strip():
        raise DocumentError(empty)
    if read.ocr_pages:
        meta["ocr_pages"] = read.ocr_pages
    if read.low:
        meta["ocr_low_confidence"] = len(read.low)
    keep_pages = meta["encoding"] == "pdf" or len(pages) > 1
    regions = pdftables.page_regions(text, pages) if meta["encoding"] == "pdf" else []
    return text, pages if keep_pages else [], regions, [Dropped("ocr_low_confidence", t) for t in read.low]


# ---------------------------------------------------------------- documents

def tidy(text: str) -> str:
    """Line endings and blank-line runs normalised, radicals that stand for ideographs read
    as those (zh.unify_radicals: a PDF's ⼈ is 人); characters otherwise kept as written
    (full/half-width punctuation is normalised only when comparing, never in stored text)."""
    text = unify_radicals(text).replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def load_document(path: Path, doc_id: str | None = None, max_bytes: int | None = None) -> Document:
    """Read one file. Raises DocumentError with a short reason when it can't."""
    path = Path(path)
    doc_id = doc_id or path.name
    limit = max_bytes or MAX_BYTES
    try:
        size = path.stat().st_size
        if size > limit:
            raise DocumentError(f"too large ({size / 2**20:.0f} MB > {limit // 2**20} MB limit; "
                                "set RAG_MAX_FILE_MB to raise it)")
        data = path.read_bytes()
    except PermissionError:
        raise DocumentError("permission denied") from None
    except OSError as e:
        raise DocumentError(f"cannot read: {e.strerror or e}") from None
    digest = hashlib.sha256(data).hexdigest()
    suffix = formats.real_suffix(data, path.suffix.lower())
    if suffix in formats.PARSERS:
        return _structured(path, suffix, doc_id, data, digest, limit)
    meta: dict = {}
    pages: list[tuple[int, int]] = []
    regions: list[Region] = []  # a text's tables (a PDF's pages are its regions)
    dropped: list[Dropped] = []
    title = ""
    if suffix == ".pdf" or suffix in ocr.IMAGE_SUFFIXES:
        text, pages, regions, dropped = paged_text(path, data, digest, doc_id, meta)
    else:
        text, encoding = decode(data)
        meta["encoding"] = encoding
        if suffix in (".html", ".htm"):
            title, text = html_to_text(text)
        else:
            front, text = split_front_matter(text)
            meta.update(front)
            # Scraped .txt files are often markdown exports (front matter, raw <iframe>).
            if suffix in (".md", ".markdown") or front or _HTML_HINT.search(text):
                text = markdown_to_text(text)
        text, regions = formats.pipe_tables(tidy(text))
    if not text.strip():
        raise DocumentError("empty (no text)")
    title = str(meta.get("title") or title or _first_heading(text) or _title_line(text) or path.stem)
    return Document(doc_id=doc_id, path=str(path), text=text, title=title.strip(), meta=meta,
                    pages=pages, regions=regions, dropped=dropped, content_hash=digest)


def _structured(path: Path, suffix: str, doc_id: str, data: bytes, digest: str, limit: int) -> Document:
    """An Office, e-book or CSV file, read as ``suffix`` by its parser in formats/. What the parser
    left out (rows over the limit, empty sheets) is kept in ``meta["notes"]``; the index
    reports it next to the skipped files."""
    got = formats.parse(data, path, formats.Limits(limit, formats.MAX_ROWS), suffix)
    if not got.text.strip():
        raise DocumentError("empty (no text)")
    meta = dict(got.meta)
    if got.notes:
        meta["notes"] = got.notes
    title = str(got.title or _first_heading(got.text) or path.stem).strip()
    # (A paged format's pages -- an .ofd's, each a region -- are its pages as a PDF's are: a
    # passage names its page, and cleaning moves them with the regions.)
    pages = [(r.location.number, r.start) for r in got.regions if r.location.kind == "page" and not r.location.rows]
    return Document(doc_id=doc_id, path=str(path), text=got.text, title=title, meta=meta,
                    regions=got.regions, pages=pages, content_hash=digest)


def _first_heading(text: str) -> str:
    m = re.search(r"^#{1,3}\s+(.+)$", text, re.M)
    return m.group(1).strip() if m else ""


# A first line this short, not ending a sentence or a clause, is the document's title as a
# reader sees it ("澄江水务集团有限公司" atop a report's PDF): the development sets' articles
# are indexed the same way (their first line is their title, evals/devsets.kb_paragraphs).
# Without it a report's own name is nowhere in a chunk but its first.
_TITLE_LINE = re.compile(r"\s*([^\n]{2,40}?)\s*\n")
_NOT_A_TITLE = re.compile(r"[。．.;；:：,，、]$|。")


def _title_line(text: str) -> str:
    """The document's first line when it reads as a title, else ""."""
    m = _TITLE_LINE.match(text)
    return m.group(1) if m and not _NOT_A_TITLE.search(m.group(1)) else ""


def iter_documents(discovery: Discovery, max_bytes: int | None = None
                   ) -> Iterator[tuple[str, Path, Document | DocumentError]]:
    # One process on purpose: parsing 2,000 Office, e-book and text files took 4.4-4.8 s
    # here against 2.9 s with two worker processes, while embedding their chunks takes
    # minutes; the pool's gain (~3% of a new index) did not pay for workers that re-import
    # the caller's main module.
    for doc_id, path in discovery.files:
        try:
            yield doc_id, path, load_document(path, doc_id, max_bytes)
        except DocumentError as e:
            yield doc_id, path, e
