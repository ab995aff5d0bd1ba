"""OCR character accuracy on pages rendered from known Chinese text.

    .venv/bin/python -m evals.ocr_accuracy [--pages 6] [--builtin] [--data PATH]

Paragraphs of CMRC2018 dev (``../shared/data/cmrc2018/`` beside the repository, when
present; otherwise a few invented paragraphs built in) are drawn with PIL and Noto Sans CJK
onto A4 pages at 150 dpi (12.5 pt text), saved as PNG images and as one image-only
("scanned") PDF, and read back through the product's own path (``rag.load.load_document``:
pypdf finds no text layer, PDFium renders the pages, RapidOCR reads them). Printed:
character accuracy = 1 - edit distance / reference length, whitespace ignored, strict and
after NFKC (full-width and half-width punctuation counted equal, as retrieval and citation
checking compare them), and seconds per page. The OCR cache is a fresh temporary folder,
so every page is really read.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import unicodedata
from pathlib import Path

import click

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared/data/cmrc2018/cmrc2018_dev.json"
A4_150DPI = (1240, 1754)

# Invented paragraphs (no real events), used when CMRC2018 is not beside the repository.
BUILTIN = [
    "青石镇位于两条河流的交汇处，镇上共有居民四千二百人。每年三月，镇政府都会在老码头举办"
    "春茶集市，来自周边十一个村庄的茶农带着新采的绿茶前来交易。去年集市持续了九天，成交量"
    "达到三十八吨，比前年增加了百分之十二。",
    "据县交通局介绍，新建的望江大桥全长一千六百米，主跨四百二十米，设计时速八十公里。大桥"
    "于二〇二一年十月动工，预计明年五月通车。通车后，两岸之间的车程将由原来的五十分钟缩短"
    "到十分钟左右。",
    "市图书馆今年新增了一个古籍修复室，由三名修复师和两名学徒组成。他们目前正在修复一套清代"
    "刻本地方志，共四十六册。修复师说，一册书平均需要两周时间，最难的是处理被虫蛀过的书页。",
    "星河乐团成立于二〇〇九年，最初只有五名成员，都是同一所中学的音乐老师。乐团每周六晚上在"
    "文化宫排练，至今已经演出了二百多场，其中有三十场是在乡村学校免费演出的。",
    "今年夏天，北湖湿地公园记录到一百二十七种鸟类，其中有九种是首次在本地发现。公园管理处"
    "在湖边设置了六个观鸟点，并在周末提供免费讲解，讲解员大多是附近大学的志愿者。",
    "一家位于南城区的面包店推出了用本地小麦制作的全麦面包，每天只烤一百个，通常上午十点前就"
    "会卖完。店主表示，使用本地小麦不仅减少了运输成本，也让面包的味道更加新鲜。",
]


# ---------------------------------------------------------------- text and scoring

def paragraphs(data: Path | None, n: int) -> list[str]:
    """``n`` distinct CMRC2018 contexts (the first ones, in file order), or the built-in ones."""
    if data is None or not data.exists():
        return (BUILTIN * (n // len(BUILTIN) + 1))[:n]
    seen: list[str] = []
    for article in json.loads(data.read_text(encoding="utf-8"))["data"]:
        for p in article["paragraphs"]:
            text = " ".join(p["context"].split())
            if text not in seen:
                seen.append(text)
            if len(seen) == n:
                return seen
    return seen


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions all cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def char_accuracy(hypothesis: str, reference: str, nfkc: bool = False) -> float:
    """1 - edit distance / reference length, whitespace ignored (can go below 0)."""
    if nfkc:
        hypothesis, reference = unicodedata.normalize("NFKC", hypothesis), unicodedata.normalize("NFKC", reference)
    hyp, ref = "".join(hypothesis.split()), "".join(reference.split())
    return 1.0 - edit_distance(hyp, ref) / max(len(ref), 1)


# ---------------------------------------------------------------- rendering

def _wrap(draw, text: str, font, width: int, indent: str = "") -> list[str]:
    """Lines of ``text`` no wider than ``width`` pixels; Chinese wraps between any two
    characters, a Latin word is not broken unless it is longer than a line."""
    import re

    lines, line = [], indent
    for token in re.findall(r"[A-Za-z0-9.,:;%'\-]+ ?|.", text):
        if draw.textlength(line + token.rstrip(), font=font) <= width or not line.strip():
            line += token
        else:
            lines.append(line.rstrip())
            line = token.lstrip()
    if line.strip():
        lines.append(line.rstrip())
    return lines


def render_page(paras: list[str], size: tuple[int, int] = A4_150DPI, font_size: int = 26,
                margin: int = 100, indent: bool = True):
    """A white page with ``paras`` in black, first lines indented by two characters.
    Returns (image, the text that fitted on the page, one paragraph a line)."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, font_size)
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    y, step, drawn = margin, int(font_size * 1.6), []
    for para in paras:
        lines = _wrap(draw, para, font, size[0] - 2 * margin, "\u3000\u3000" if indent else "")
        if y + step > size[1] - margin:
            break
        fitted = []
        for line in lines:
            if y + step > size[1] - margin:
                break
            draw.text((margin, y), line, font=font, fill="black")
            fitted.append(line)
            y += step
        drawn.append("".join(fitted).replace("\u3000", ""))
        y += step // 2
    return image, "\n".join(drawn)


def paginate(paras: list[str], pages: int, **kw) -> list[tuple[object, str]]:
    """Spread ``paras`` over ``pages`` pages (about the same number each)."""
    per = max(1, len(paras) // pages)
    return [render_page(paras[i * per:(i + 1) * per] or paras[-1:], **kw) for i in range(pages)]


def save_pdf(images: list, path: Path, dpi: int = 150) -> None:
    """An image-only PDF, as a scanner writes it: no text layer."""
    images[0].save(path, "PDF", resolution=float(dpi), save_all=True, append_images=images[1:])


# ---------------------------------------------------------------- the run

def run(paras: list[str], n_pages: int, work: Path) -> dict:
    from rag.formats import ocr
    from rag.load import load_document

    rendered = paginate(paras, n_pages)
    refs = [text for _, text in rendered]
    pngs, png_texts, started = [], [], time.perf_counter()
    for i, (image, _) in enumerate(rendered, 1):
        path = work / f"page{i}.png"
        image.save(path)
        pngs.append(path)
    for path in pngs:
        data = path.read_bytes()
        png_texts.append(ocr.read_image(data, hashlib.sha256(data).hexdigest(), path.name).pages[0][1])
    png_seconds = (time.perf_counter() - started) / n_pages

    pdf = work / "scan.pdf"
    save_pdf([image for image, _ in rendered], pdf)
    started = time.perf_counter()
    doc = load_document(pdf)
    pdf_seconds = (time.perf_counter() - started) / n_pages
    bounds = [start for _, start in doc.pages[1:]] + [len(doc.text) + 2]
    pdf_texts = [doc.text[start:end - 2] for (_, start), end in zip(doc.pages, bounds)]

    def score(texts: list[str], nfkc: bool) -> float:  # over all characters, not a mean of pages
        ref_chars = sum(len("".join(r.split())) for r in refs)
        errors = sum((1 - char_accuracy(t, r, nfkc)) * len("".join(r.split())) for t, r in zip(texts, refs))
        return 1 - errors / ref_chars

    return {
        "pages": n_pages, "characters": sum(len("".join(r.split())) for r in refs),
        "png_accuracy": score(png_texts, False), "png_accuracy_nfkc": score(png_texts, True),
        "pdf_accuracy": score(pdf_texts, False), "pdf_accuracy_nfkc": score(pdf_texts, True),
        "png_seconds_per_page": png_seconds, "pdf_seconds_per_page": pdf_seconds,
        "pdf_page_accuracy": [round(char_accuracy(t, r), 4) for t, r in zip(pdf_texts, refs)],
        "low_confidence_pieces": doc.meta.get("ocr_low_confidence", 0),
        "ocr_pages": doc.meta.get("ocr_pages", []),
    }


@click.command()
@click.option("--pages", default=6, show_default=True, help="Pages to render and read.")
@click.option("--builtin", is_flag=True, help="Use the built-in invented paragraphs, not CMRC2018.")
@click.option("--data", type=click.Path(path_type=Path), default=DEFAULT_DATA, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def main(pages: int, builtin: bool, data: Path, as_json: bool) -> None:
    source = None if builtin else data
    paras = paragraphs(source, pages * 2)
    with tempfile.TemporaryDirectory(prefix="ocr-eval-") as tmp:
        os.environ["RAG_CACHE"] = str(Path(tmp) / "cache")  # a fresh OCR cache: every page read
        result = run(paras, pages, Path(tmp))
    result["source"] = "cmrc2018 dev" if source is not None and source.exists() else "built-in"
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    click.echo(f"OCR on {result['pages']} A4 pages at 150 dpi ({result['characters']} characters, "
               f"{result['source']}; Noto Sans CJK 12.5 pt)")
    click.echo("| input | char accuracy | after NFKC | s/page |\n|---|---|---|---|")
    for kind in ("png", "pdf"):
        click.echo(f"| {kind} | {result[kind + '_accuracy']:.4f} | {result[kind + '_accuracy_nfkc']:.4f} "
                   f"| {result[kind + '_seconds_per_page']:.2f} |")
    click.echo(f"PDF pages: worst {min(result['pdf_page_accuracy']):.4f}; "
               f"low-confidence pieces left out: {result['low_confidence_pieces']}")


if __name__ == "__main__":
    main()
