"""OCR for scanned PDF pages and images: pictures of text -> text lines in reading order.

The engine is RapidOCR (``rapidocr-onnxruntime``): PP-OCRv4 Chinese/English detection and
recognition as ONNX models shipped inside the wheel, run by ONNX Runtime. Nothing is
downloaded. What this module adds around it:

- Reading order: detected boxes are grouped into visual lines (vertical overlap), lines go
  top to bottom, boxes left to right; pieces on one line are joined with a space only
  between Latin words, never next to Chinese, unless a character's width or more apart
  (a table's cells). Wrapped lines of one paragraph (a line that
  reaches the right margin, followed by one that is not indented) are joined again, so a
  sentence is not cut at every line end. One column only: a two-column scan is read
  across both columns, line by line.
- Low confidence: a piece the recogniser scored under ``MIN_CONFIDENCE`` is left out of the
  text, so it can never be retrieved or cited, and handed back (``PageText.low``) for the
  loader to record as dropped text (``rag index -v`` lists it) and count in the metadata.
  A mark inside the text would be embedded, quoted and highlighted like real words.
- Cache: the engine's raw output (boxes, text, score) for each page is kept in
  ``cache_dir()/ocr/<sha256>.json``, keyed by the content hash (of the image bytes, or of
  the PDF file + page number + resolution) and the engine settings, written atomically.
  A re-index never OCRs the same page twice; the layout rules above run on every load.
- Guards: an image's pixel count is checked from its header before anything is decoded
  (``MAX_PIXELS``); PDF pages are rendered at a resolution capped the same way.
"""
from __future__ import annotations

import functools
import hashlib
import io
import json
import math
import re
import statistics
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

from .. import progress
from ..config import cache_dir
from ..errors import DocumentError
from ..models.cachefs import write_file_atomic

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
# Larger pictures are refused before decoding (a 20,000 x 20,000 PNG of a few kilobytes
# would need 1.2 GB as RGB). 50 MP is an A3 page at 600 dpi; the engine reads at most
# MAX_SIDE pixels on the long side anyway.
MAX_PIXELS = 50_000_000
MAX_SIDE = 2000  # the engine scales pages down to this (its default): ~170 dpi for A4
PDF_DPI = 200  # PDF pages are rendered at this resolution (capped by MAX_PIXELS)
# Recogniser scores (mean character probability) of real printed text are ~0.9-1.0;
# pieces under this are mostly noise, stamps, or text too blurred to trust.
MIN_CONFIDENCE = 0.65
_FLOOR = 0.3  # under this a detection is not worth recording at all
# A PDF page with fewer characters than this in its text layer is OCR'd (a scan often
# carries a page number or a scanner's stamp as text).
MIN_TEXT_CHARS = 20

# x0, y0, x1, y1 (pixels, y down), text, score
Box = tuple[float, float, float, float, str, float]


@dataclass
class PageText:
    text: str  # reading-order text of the confident pieces
    low: list[str] = field(default_factory=list)  # low-confidence pieces, left out of ``text``


@dataclass
class Read:
    """A paged document after OCR: what the loader turns into text and page offsets."""

    pages: list[tuple[int, str]]  # (page number, text)
    ocr_pages: list[int] = field(default_factory=list)  # the pages whose text came from OCR
    low: list[str] = field(default_factory=list)  # low-confidence pieces left out


def _engine_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("rapidocr-onnxruntime")
    except PackageNotFoundError:
        return "missing"


# Part of every cache key: another engine or other engine settings read again.
ENGINE = f"rapidocr-onnxruntime {_engine_version()}; PP-OCRv4, no cls; score>={_FLOOR}; side<={MAX_SIDE}"


# ---------------------------------------------------------------- layout (pure)

def reading_order(boxes: Iterable[Box]) -> list[list[Box]]:
    """Boxes grouped into visual lines, top to bottom; each line left to right. A box joins
    the line above it when their vertical spans overlap by half the smaller height."""
    lines: list[list[Box]] = []
    for b in sorted(boxes, key=lambda b: ((b[1] + b[3]) / 2, b[0])):
        if lines and _same_line(lines[-1], b):
            lines[-1].append(b)
        else:
            lines.append([b])
    return [sorted(line, key=lambda b: b[0]) for line in lines]


def _same_line(line: list[Box], b: Box) -> bool:
    top, bottom = min(x[1] for x in line), max(x[3] for x in line)
    height = min(b[3] - b[1], statistics.median(x[3] - x[1] for x in line))
    return min(bottom, b[3]) - max(top, b[1]) >= 0.5 * max(height, 1.0)


_LATIN = r"A-Za-z0-9\u00c0-\u024f"
_WORD_END = re.compile(rf"[{_LATIN},.;:!?%)\]'\"]$")
_WORD_START = re.compile(rf"^[{_LATIN}(\[$'\"]")


def join_pieces(pieces: Iterable[str]) -> str:
    """Join text pieces read left to right (or wrapped lines of one paragraph): a space
    between two Latin words ('AI' + 'start-up'), none next to Chinese ('青石' + '港务')."""
    out = ""
    for piece in pieces:
        piece = piece.strip()
        if not piece:
            continue
        if out and _WORD_END.search(out) and _WORD_START.match(piece):
            out += " "
        out += piece
    return out


def line_text(line: list[Box], height: float) -> str:
    """One visual line's pieces, left to right. Pieces set a character's width apart or
    more are separate things on the line -- a table's cells (1-3岁 | 10-15公斤 | 4毫升), a
    header's two dates -- and keep a space between them, Chinese or not: joined, a
    dosage table read "1-3岁10-15公斤4毫升"."""
    out = ""
    for i, b in enumerate(line):
        piece = join_pieces([b[4]])
        if out and piece and b[0] - line[i - 1][2] >= height and not out.endswith(" "):
            out += " " + piece
        else:
            out = join_pieces([out, piece])
    return out


def layout_text(lines: list[list[Box]]) -> str:
    """Visual lines -> paragraphs, one a line: a line that reaches the right margin runs on
    into the next unless that one is indented or set apart by a wider gap."""
    if not lines:
        return ""
    spans = [(min(b[0] for b in ln), min(b[1] for b in ln), max(b[2] for b in ln), max(b[3] for b in ln))
             for ln in lines]
    height = statistics.median(y1 - y0 for _, y0, _, y1 in spans)
    left, right = min(s[0] for s in spans), max(s[2] for s in spans)
    gaps = [spans[i + 1][1] - spans[i][3] for i in range(len(spans) - 1)]
    usual_gap = statistics.median(gaps) if gaps else 0.0
    paragraphs: list[list[str]] = [[line_text(lines[0], height)]]
    for i in range(1, len(lines)):
        prev, cur = spans[i - 1], spans[i]
        runs_on = (prev[2] >= right - 1.5 * height            # previous line is full width
                   and cur[0] <= left + 1.0 * height           # this one is not indented
                   and gaps[i - 1] <= usual_gap + 0.5 * height)  # and not set apart
        text = line_text(lines[i], height)
        if runs_on:
            paragraphs[-1].append(text)
        else:
            paragraphs.append([text])
    return "\n".join(p for p in (join_pieces(par) for par in paragraphs) if p)


def page_text(boxes: Sequence[Box]) -> PageText:
    """The text of one page: confident pieces in reading order; the others apart."""
    keep = [b for b in boxes if b[5] >= MIN_CONFIDENCE and b[4].strip()]
    low = [b[4].strip() for line in reading_order(b for b in boxes if b[5] < MIN_CONFIDENCE)
           for b in line if b[4].strip()]
    return PageText(layout_text(reading_order(keep)), low)


# ---------------------------------------------------------------- engine and cache

@functools.lru_cache(maxsize=1)
def _engine():
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError as e:  # pragma: no cover - a dependency of the project
        raise DocumentError(f"OCR engine missing ({e}); reinstall with scripts/install") from None
    # The 180-degree line classifier is off: in its batches it flips upright lines (2 of
    # 22 lines of a clean CMRC2018 page came back empty), and upside-down scans are rare.
    return RapidOCR(text_score=_FLOOR, max_side_len=MAX_SIDE, use_cls=False, print_verbose=False)


def run_engine(image) -> list[Box]:
    """The engine on one page (a PIL image). Monkeypatched in the unit tests."""
    result, _ = _engine()(image)
    boxes: list[Box] = []
    for points, text, score in result or []:
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        boxes.append((float(min(xs)), float(min(ys)), float(max(xs)), float(max(ys)), str(text), float(score)))
    return boxes


def cache_key(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, (ENGINE, *parts))).encode()).hexdigest()


def _cache_path(key: str) -> Path:
    return cache_dir() / "ocr" / f"{key}.json"


def _cached(key: str) -> list[Box] | None:
    try:
        data = json.loads(_cache_path(key).read_text(encoding="utf-8"))
        return [(float(a), float(b), float(c), float(d), str(t), float(s)) for a, b, c, d, t, s in data["boxes"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing or damaged: read the page again


def _store(key: str, boxes: list[Box]) -> None:
    data = json.dumps({"engine": ENGINE, "boxes": boxes}, ensure_ascii=False).encode()
    try:
        write_file_atomic(_cache_path(key), data)
    except OSError as e:  # a read-only cache costs time on the next run, not this result
        print(f"rag: OCR cache not written ({e.strerror or e})", file=sys.stderr)


def ocr_pages(jobs: Sequence[tuple[str, Callable[[], object]]], label: str) -> list[list[Box]]:
    """Raw boxes for each ``(cache_key, render)`` job; ``render()`` makes the page image
    and is called only for pages not in the cache. Progress and ETA on stderr."""
    from tqdm import tqdm

    found = [_cached(key) for key, _ in jobs]
    todo = sum(b is None for b in found)
    done = 0
    with tqdm(total=todo, desc=f"OCR {label}", unit="page", file=sys.stderr, leave=False,
              disable=todo == 0) as bar:
        for i, (key, render) in enumerate(jobs):
            if found[i] is None:
                progress.say(f"OCR {label}: page {done + 1} of {todo}")  # a page takes seconds on 2 cores
                found[i] = run_engine(render())
                _store(key, found[i])
                done += 1
                bar.update()
    return found  # type: ignore[return-value]


# ---------------------------------------------------------------- images

def check_pixels(width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise DocumentError(f"image too large ({width}x{height} = {width * height / 1e6:.0f} MP "
                            f"> {MAX_PIXELS / 1e6:.0f} MP limit)")


def open_image(data: bytes):
    """A PIL image with only its header read; its size checked before any decoding."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise DocumentError(f"image too large (> {MAX_PIXELS / 1e6:.0f} MP limit)") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:
        raise DocumentError(f"not a readable image ({type(e).__name__})") from None
    check_pixels(*image.size)
    return image


def _rgb(image):
    """The frame decoded as RGB; transparency over white (a screenshot's clear background
    must not turn black under black text)."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("RGB")
    return image.convert("RGB")


def image_pages(data: bytes, digest: str, label: str) -> list[PageText]:
    """OCR an image file: one PageText per frame (a multi-page TIFF has several)."""
    image = open_image(data)
    frames = getattr(image, "n_frames", 1)

    def render(i: int) -> Callable[[], object]:
        def go():
            try:
                image.seek(i)
                check_pixels(*image.size)
                return _rgb(image)
            except (OSError, ValueError, SyntaxError, EOFError) as e:
                raise DocumentError(f"damaged image ({e})") from None
        return go

    if frames > 1:  # every frame's header is checked before any OCR runs
        for i in range(frames):
            try:
                image.seek(i)
            except (OSError, EOFError, ValueError) as e:
                raise DocumentError(f"damaged image ({e})") from None
            check_pixels(*image.size)
    jobs = [(cache_key("image", digest, i), render(i)) for i in range(frames)]
    return [page_text(boxes) for boxes in ocr_pages(jobs, label)]


# ---------------------------------------------------------------- PDF pages

def pdf_page_texts(path: Path, digest: str, numbers: list[int], label: str) -> dict[int, PageText]:
    """OCR the given 1-based pages of a PDF, rendered with PDFium (which opens a PDF
    encrypted with the empty password by itself, as pypdf did for its text layer)."""
    if not numbers:
        return {}
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as e:
        raise DocumentError(f"unreadable PDF for OCR: {e}") from None

    def render(number: int) -> Callable[[], object]:
        def go():
            page = pdf[number - 1]
            try:
                width, height = page.get_size()  # points, 1/72 inch
                scale = min(PDF_DPI / 72, math.sqrt(MAX_PIXELS / max(width * height, 1.0)))
                return page.render(scale=scale).to_pil().convert("RGB")
            finally:
                page.close()
        return go

    try:
        jobs = [(cache_key("pdf", digest, number, PDF_DPI), render(number)) for number in numbers]
        return dict(zip(numbers, map(page_text, ocr_pages(jobs, label))))
    except pdfium.PdfiumError as e:
        raise DocumentError(f"PDF page could not be rendered for OCR: {e}") from None
    finally:
        pdf.close()


def _chars(text: str) -> int:
    return len("".join(text.split()))


def fill_pdf_pages(path: Path, digest: str, layer: list[tuple[int, str]], label: str) -> Read:
    """A PDF's text-layer pages, with the pages that have (nearly) no text layer OCR'd. A
    page keeps its text layer unless OCR reads clearly more (not on a blank page, a title
    page, a figure)."""
    scans = pdf_page_texts(path, digest, [n for n, t in layer if _chars(t) < MIN_TEXT_CHARS], label)
    read = Read([])
    for number, text in layer:
        scan = scans.get(number)
        if scan is not None and _chars(scan.text) > 1.5 * _chars(text) + 5:
            text = scan.text
            read.ocr_pages.append(number)
            read.low.extend(scan.low)
        read.pages.append((number, text))
    return read


def read_image(data: bytes, digest: str, label: str) -> Read:
    frames = image_pages(data, digest, label)
    return Read([(i, f.text) for i, f in enumerate(frames, 1)],
                [i for i, f in enumerate(frames, 1) if f.text], [x for f in frames for x in f.low])
