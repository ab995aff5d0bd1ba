"""OCR of scanned PDF pages and images (rag/formats/ocr.py, the PDF and image branch of
rag/load.py). Unit tests stub the engine; the ones marked integration run the real
PP-OCRv4 models (a few seconds a page). Every test points the OCR cache at tmp_path."""
from __future__ import annotations

import hashlib
import io
import struct
import zlib

import pytest

from rag.config import Config
from rag.errors import DocumentError
from rag.formats import ocr
from rag.load import load_document
from test_ingest import _pdf  # a PDF with text-layer pages and picture-only (None) pages

# Invented text (a town's tea market, a bridge), nothing from the seed documents.
TEA = "青石镇每年三月在老码头举办春茶集市，去年成交三十八吨。"
BRIDGE = "望江大桥全长一千六百米，主跨四百二十米，预计明年五月通车。"


def box(x0, y0, x1, y1, text, score=0.98):
    return (float(x0), float(y0), float(x1), float(y1), text, score)


@pytest.fixture(autouse=True)
def ocr_cache(tmp_path, monkeypatch):
    """The OCR cache in tmp_path; the cache folder is returned."""
    monkeypatch.setenv("RAG_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "ocr"


@pytest.fixture
def engine(monkeypatch):
    """A stub engine: returns ``engine.boxes`` and counts its calls."""

    class Stub:
        def __init__(self):
            self.boxes = [box(10, 10, 400, 40, TEA)]
            self.calls = 0

        def __call__(self, image):
            self.calls += 1
            return list(self.boxes)

    stub = Stub()
    monkeypatch.setattr(ocr, "run_engine", stub)
    return stub


def png(size=(60, 40), color="white", mode="RGB") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, size, color).save(out, "PNG")
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` and that holds no pixels: what a
    decompression bomb looks like before decoding (the real ones are a few kilobytes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


# ---------------------------------------------------------------- reading order and joining

def test_reading_order_top_to_bottom_then_left_to_right():
    boxes = [box(220, 62, 400, 90, "第二行右"), box(10, 10, 200, 40, "第一行左"),
             box(10, 60, 200, 92, "第二行左"), box(210, 12, 400, 38, "第一行右")]
    lines = ocr.reading_order(boxes)
    assert [[b[4] for b in line] for line in lines] == [["第一行左", "第一行右"], ["第二行左", "第二行右"]]


def test_reading_order_keeps_separate_lines_apart():
    # stacked boxes that only touch (overlap under half a line height) are two lines,
    # even when the lower one starts further left
    boxes = [box(100, 10, 300, 40, "上"), box(10, 35, 90, 65, "下")]
    assert [[b[4] for b in line] for line in ocr.reading_order(boxes)] == [["上"], ["下"]]


def test_join_puts_no_space_between_chinese_pieces():
    assert ocr.join_pieces(["青石镇", "春茶集市"]) == "青石镇春茶集市"
    assert ocr.join_pieces(["成交", "38", "吨"]) == "成交38吨"
    assert ocr.join_pieces(["型号", "X200"]) == "型号X200"


def test_pieces_of_a_line_set_apart_keep_a_space_between_them():
    # a table's cells: set apart by more than a character's width (the line is 30 high)
    row = [box(10, 10, 70, 40, "4-6岁"), box(160, 10, 260, 40, "16-21公斤"), box(350, 10, 420, 40, "6毫升")]
    assert ocr.line_text(row, 30) == "4-6岁 16-21公斤 6毫升"
    assert ocr.layout_text([row]) == "4-6岁 16-21公斤 6毫升"
    # pieces of one phrase the detector split, close together: joined as before
    near = [box(10, 10, 100, 40, "青石镇"), box(104, 10, 220, 40, "春茶集市")]
    assert ocr.line_text(near, 30) == "青石镇春茶集市"


def test_join_puts_a_space_between_latin_words():
    assert ocr.join_pieces(["Green Tea", "Market"]) == "Green Tea Market"
    assert ocr.join_pieces(["rose 12%,", "then fell"]) == "rose 12%, then fell"


def test_wrapped_lines_of_a_paragraph_are_joined_and_paragraphs_kept():
    lines = [[box(60, 10, 500, 40, "青石镇每年三月在老码头举办春")],  # indented, full width
             [box(10, 50, 500, 80, "茶集市，去年成交三十八吨。")],  # runs on
             [box(10, 90, 200, 120, "集市持续九天。")],  # ends short: paragraph ends
             [box(60, 130, 500, 160, "望江大桥全长一千六百米。")]]  # indented: a new paragraph
    assert ocr.layout_text(lines) == ("青石镇每年三月在老码头举办春茶集市，去年成交三十八吨。集市持续九天。\n"
                                      "望江大桥全长一千六百米。")


def test_low_confidence_pieces_are_left_out_and_reported():
    page = ocr.page_text([box(10, 10, 400, 40, TEA, 0.97), box(10, 60, 200, 90, "嵊鬻", 0.41)])
    assert page.text == TEA
    assert page.low == ["嵊鬻"]


def test_confident_pieces_are_all_kept():
    page = ocr.page_text([box(10, 10, 400, 40, TEA, 0.97), box(10, 60, 400, 90, BRIDGE, 0.9)])
    assert page.text == TEA + BRIDGE  # two full-width lines of one paragraph
    assert page.low == []


def test_low_confidence_text_is_recorded_as_dropped_not_indexed(tmp_path, engine):
    engine.boxes = [box(10, 10, 400, 40, TEA), box(10, 60, 200, 90, "嵊鬻", 0.3)]
    p = tmp_path / "notice.png"
    p.write_bytes(png())
    doc = load_document(p)
    assert doc.text == TEA and "嵊鬻" not in doc.text
    assert [(d.rule, d.text) for d in doc.dropped] == [("ocr_low_confidence", "嵊鬻")]
    assert doc.meta["ocr_low_confidence"] == 1 and doc.meta["encoding"] == "ocr"


# ---------------------------------------------------------------- cache

def test_second_ocr_of_the_same_bytes_comes_from_the_cache(engine, ocr_cache):
    data = png()
    digest = hashlib.sha256(data).hexdigest()
    first = ocr.read_image(data, digest, "a.png")
    second = ocr.read_image(data, digest, "copy-of-a.png")
    assert engine.calls == 1
    assert first == second and first.pages == [(1, TEA)]
    assert len(list(ocr_cache.glob("*.json"))) == 1
    assert not list(ocr_cache.glob(".*"))  # no temporary left behind


def test_other_bytes_are_read_again(engine):
    for color in ("white", "ivory"):
        data = png(color=color)
        ocr.read_image(data, hashlib.sha256(data).hexdigest(), "a.png")
    assert engine.calls == 2


def test_a_damaged_cache_entry_is_read_again(engine, ocr_cache):
    data = png()
    digest = hashlib.sha256(data).hexdigest()
    ocr.read_image(data, digest, "a.png")
    (entry,) = ocr_cache.glob("*.json")
    entry.write_text('{"boxes": [[1, 2', encoding="utf-8")  # a torn write from an old crash
    assert ocr.read_image(data, digest, "a.png").pages == [(1, TEA)]
    assert engine.calls == 2


# ---------------------------------------------------------------- bad images

def test_decompression_bomb_refused_before_decoding(tmp_path, engine):
    p = tmp_path / "huge.png"
    p.write_bytes(png_header_only(20_000, 20_000))
    assert p.stat().st_size < 100
    with pytest.raises(DocumentError, match="image too large"):
        load_document(p)
    assert engine.calls == 0


def test_size_guard_lets_ordinary_pages_through():
    ocr.check_pixels(2480, 3508)  # A4 at 300 dpi
    assert ocr.open_image(png((300, 200))).size == (300, 200)
    with pytest.raises(DocumentError, match="too large"):
        ocr.check_pixels(8000, 8000)


def test_corrupt_image_skipped_with_a_reason(tmp_path, engine):
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not an image at all" * 20)
    with pytest.raises(DocumentError, match="not a readable image"):
        load_document(junk)
    cut = tmp_path / "cut.png"
    cut.write_bytes(png((400, 300), "gray")[:60])  # header fine, pixels cut off
    with pytest.raises(DocumentError, match="damaged image"):
        load_document(cut)
    assert engine.calls == 0


def test_sound_image_is_read(tmp_path, engine):
    p = tmp_path / "notice.jpg"
    from PIL import Image

    Image.new("RGB", (80, 60), "white").save(p, "JPEG")
    doc = load_document(p)
    assert doc.text == TEA and doc.pages == [] and doc.title == "notice"


def test_image_without_text_says_so(tmp_path, engine):
    engine.boxes = []
    p = tmp_path / "blank.png"
    p.write_bytes(png())
    with pytest.raises(DocumentError, match="no text found by OCR"):
        load_document(p)


def test_transparent_background_is_read_as_white():
    from PIL import Image

    clear = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    assert ocr._rgb(clear).getpixel((5, 5)) == (255, 255, 255)
    assert ocr._rgb(Image.new("RGB", (10, 10), "black")).getpixel((5, 5)) == (0, 0, 0)


# ---------------------------------------------------------------- PDFs

def test_mixed_pdf_keeps_the_text_layer_and_reads_the_scanned_page(tmp_path, engine):
    p = tmp_path / "mixed.pdf"
    _pdf(p, ["The tea market opened on the old pier in March.", None])
    doc = load_document(p)
    assert engine.calls == 1  # only the page without a text layer
    assert doc.meta["ocr_pages"] == [2]
    page2 = dict(doc.pages)[2]
    assert doc.text[page2:] == TEA
    assert "tea market opened" in doc.text[:page2]


def test_scanned_pdf_with_nothing_readable_is_skipped(tmp_path, engine):
    engine.boxes = []
    p = tmp_path / "scan.pdf"
    _pdf(p, [None])
    with pytest.raises(DocumentError, match="no text layer and OCR found no text"):
        load_document(p)


def _encrypted_pdf(path, user_password: str):
    from pypdf import PdfReader, PdfWriter

    plain = path.with_suffix(".plain.pdf")
    _pdf(plain, ["The bridge opens to traffic next May."])
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-256")
    writer.write(path)
    plain.unlink()


def test_password_protected_pdf_skipped_with_a_reason(tmp_path):
    p = tmp_path / "locked.pdf"
    _encrypted_pdf(p, "user-secret")
    with pytest.raises(DocumentError, match="encrypted PDF"):
        load_document(p)


def test_pdf_with_only_an_owner_password_is_read(tmp_path):
    p = tmp_path / "restricted.pdf"
    _encrypted_pdf(p, "")
    assert "bridge opens to traffic" in load_document(p).text


def test_bad_files_are_skipped_and_the_rest_indexed(tmp_path, monkeypatch, fake_embedder):
    from rag.index import update_index

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "tea.txt").write_text(TEA, encoding="utf-8")
    (folder / "bridge.png").write_bytes(png((90, 60)))
    (folder / "blank.bmp").write_bytes(png((70, 50)))  # PIL reads by content, not by name
    (folder / "junk.png").write_bytes(b"\x00garbage" * 50)
    (folder / "bomb.png").write_bytes(png_header_only(20_000, 20_000))
    _encrypted_pdf(folder / "locked.pdf", "user-secret")
    # the stub engine reads the bridge notice on the 90x60 image and nothing on the blank one
    monkeypatch.setattr(ocr, "run_engine", lambda im: [box(10, 10, 80, 40, BRIDGE)] if im.size == (90, 60) else [])
    report = update_index(tmp_path / "idx", [folder], Config(), fake_embedder)
    assert sorted(report.added) == ["bridge.png", "tea.txt"]
    reasons = {s.path.rsplit("/", 1)[-1]: s.reason for s in report.skipped}
    assert set(reasons) == {"blank.bmp", "junk.png", "bomb.png", "locked.pdf"}
    assert reasons["blank.bmp"] == "no text found by OCR"
    assert "not a readable image" in reasons["junk.png"]
    assert "too large" in reasons["bomb.png"]
    assert "encrypted" in reasons["locked.pdf"]
    assert all("\n" not in r for r in reasons.values())


# ---------------------------------------------------------------- the real engine

PAGE_ONE = ["青石镇位于两条河流的交汇处，镇上共有居民四千二百人。每年三月，镇政府都会在老码头举办春茶集市。"]
PAGE_TWO = ["据县交通局介绍，新建的望江大桥全长一千六百米，主跨四百二十米，预计明年五月通车。",
            "通车后，两岸之间的车程将由原来的五十分钟缩短到十分钟左右。"]
SMALL_PAGE = {"size": (900, 500), "font_size": 26, "margin": 40}
SMALL_CHUNKS = Config(chunk_size=60, chunk_overlap=0)  # a chunk a sentence: pages apart


@pytest.mark.integration
def test_real_ocr_of_a_rendered_page_image_and_a_scanned_pdf(tmp_path, fake_embedder, ocr_cache, monkeypatch):
    from evals.ocr_accuracy import char_accuracy, render_page, save_pdf
    from rag import store
    from rag.retrieve import Retriever

    folder = tmp_path / "scans"
    folder.mkdir()
    image, notice_ref = render_page(PAGE_ONE, **SMALL_PAGE)
    image.save(folder / "notice.png")
    pages = [render_page(PAGE_ONE, **SMALL_PAGE), render_page(PAGE_TWO, **SMALL_PAGE)]
    save_pdf([im for im, _ in pages], folder / "report.pdf")

    root = tmp_path / "idx"
    report = update_index_quietly(root, folder, fake_embedder)
    assert sorted(report.added) == ["notice.png", "report.pdf"] and not report.skipped

    index = store.open_index(root)
    pdf = index.docs["report.pdf"]
    assert index.manifest.documents["report.pdf"].meta["ocr_pages"] == [1, 2]
    bounds = [start for _, start in pdf.pages[1:]] + [len(pdf.text) + 2]
    texts = [pdf.text[a:b - 2] for (_, a), b in zip(pdf.pages, bounds)]
    for text, (_, ref) in zip(texts, pages):
        assert char_accuracy(text, ref) >= 0.95, (text, ref)
    assert char_accuracy(index.docs["notice.png"].text, notice_ref) >= 0.95

    hits = Retriever.open(root, fake_embedder, SMALL_CHUNKS).search("望江大桥的主跨有多长？", k=3).hits
    top = hits[0].chunk
    assert top.doc_id == "report.pdf" and top.page == 2 and "四百二十米" in top.text

    # indexing again reads nothing again: the pages come from the cache
    entries = sorted(ocr_cache.glob("*.json"))
    assert len(entries) == 3
    calls = []
    monkeypatch.setattr(ocr, "run_engine", lambda image: calls.append(1) or [])
    again = update_index_quietly(root, folder, fake_embedder, rebuild=True)
    assert not calls and sorted(again.added) == ["notice.png", "report.pdf"]


@pytest.mark.integration
def test_real_ocr_finds_no_text_on_a_blank_page(tmp_path):
    p = tmp_path / "blank.png"
    p.write_bytes(png((600, 400)))
    with pytest.raises(DocumentError, match="no text found by OCR"):
        load_document(p)


def update_index_quietly(root, folder, embedder, rebuild=False):
    from rag.index import update_index

    return update_index(root, [folder], SMALL_CHUNKS, embedder, rebuild=rebuild)


def test_ocr_says_which_page_it_is_on_to_whoever_listens(tmp_path, monkeypatch):
    """The web app's upload bar shows "OCR scan.pdf: page 2 of 3" (app/kb.py sets the sink);
    pages read from the cache are not announced, and with no listener nothing is said."""
    from rag import progress
    from rag.formats import ocr

    monkeypatch.setenv("RAG_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(ocr, "run_engine", lambda image: [(0.0, 0.0, 1.0, 1.0, "字", 0.99)])
    jobs = [(f"page-key-{i}", lambda: object()) for i in range(3)]
    heard: list[str] = []
    with progress.reporting(heard.append):
        boxes = ocr.ocr_pages(jobs, "scan.pdf")
    assert heard == ["OCR scan.pdf: page 1 of 3", "OCR scan.pdf: page 2 of 3", "OCR scan.pdf: page 3 of 3"]
    assert [b[0][4] for b in boxes] == ["字"] * 3
    heard.clear()
    with progress.reporting(heard.append):
        ocr.ocr_pages(jobs + [("page-key-new", lambda: object())], "scan.pdf")
    assert heard == ["OCR scan.pdf: page 1 of 1"]  # only the page not in the cache
    ocr.ocr_pages([("page-key-other", lambda: object())], "x.png")  # no listener: silent
