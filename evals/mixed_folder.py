"""A generated folder of the documents people actually have, with questions whose answers
sit in a known place: a Word table cell, a slide, a spreadsheet row, a scanned PDF page, a
photographed page (image), an e-book chapter.

    .venv/bin/python -m evals.mixed_folder OUT [--docs 200] [--rows 5000] [--scans 3]
    .venv/bin/rag index OUT/docs --index OUT/index          # every file indexed or skipped with a reason

Every document is invented (depots of an imaginary logistics company), so no answer can
come from a model's memory. OUT/questions.jsonl holds the questions, their answers and the
location a citation must name (``where``: kind, and the page, slide, chapter, sheet and row).
Scans and images are drawn with Noto Sans CJK (Debian fonts-noto-cjk) and OCR'd at indexing.
"""
from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path

import click

# Syllables for invented place and person names: 24 x 24 depots, never a real one.
_A = "青石 白沙 金桥 银湾 松林 竹溪 梅岭 桃源 杏花 柳湾 枫叶 荷塘 兰亭 菊园 云岗 雾峰 霞浦 虹桥 星港 月湖 日升 晨光 暮雪 秋水".split()
_B = "东 西 南 北 上 下 前 后 新 老 大 小 高 低 长 宽 明 清 安 平 康 宁 和 顺".split()
_SURNAMES = "赵 钱 孙 李 周 吴 郑 王 冯 陈 褚 卫 蒋 沈 韩 杨 朱 秦 尤 许 何 吕 施 张".split()
_GIVEN = ("晓岚 子墨 若溪 思远 一帆 雨桐 嘉禾 明哲 书瑶 亦凡 景行 云舒 慕白 知秋 听雨 望舒 "
          "怀瑾 静姝 长风 远山 南乔 北辰 初夏 晚晴").split()
KINDS = ("docx", "pptx", "epub", "md", "html", "csv", "txt")


@dataclass
class Question:
    question: str
    answers: list[str]
    source: str  # file name
    where: dict = field(default_factory=dict)  # {"kind": "slide", "slide": 2} ...
    type: str = "fact"
    answerable: bool = True


def depot(i: int) -> str:
    return f"{_A[i % len(_A)]}{_B[(i // len(_A)) % len(_B)]}仓"


def person(i: int) -> str:
    """576 different names before the first repeats."""
    return _SURNAMES[i % len(_SURNAMES)] + _GIVEN[(i // len(_SURNAMES)) % len(_GIVEN)]


def facts(i: int) -> dict:
    r = random.Random(i)
    return {"depot": depot(i), "manager": person(i), "staff": r.randint(12, 380), "docks": r.randint(2, 40),
            "opened": r.randint(1986, 2024), "area": r.randint(8, 90) * 100, "trucks": r.randint(5, 120)}


def _sentences(f: dict) -> list[str]:
    return [f"{f['depot']}于{f['opened']}年启用，仓库面积{f['area']}平方米。",
            f"{f['depot']}的负责人是{f['manager']}，现有职工{f['staff']}人。",
            f"{f['depot']}共有{f['docks']}个装卸月台，自有货车{f['trucks']}辆。"]


# ---------------------------------------------------------------- one writer per format

def add_table(document, header: list[str], rows: list[tuple[str, ...]]) -> None:
    """A Word table: the header row, then ``rows`` (python-docx ``Document``)."""
    table = document.add_table(rows=1 + len(rows), cols=len(header))
    for r, values in enumerate([header, *rows]):
        for j, v in enumerate(values):
            table.cell(r, j).text = v


def write_docx(path: Path, i: int) -> Question:
    import docx

    f = facts(i)
    d = docx.Document()
    d.core_properties.title = f"{f['depot']}运营报告"
    d.add_heading(f"{f['depot']}运营报告", 0)
    d.add_paragraph(_sentences(f)[0])
    d.add_heading(f"{f['depot']}各班组", 1)
    rows = [(f"{name}班", str(random.Random(i * 31 + k).randint(3, 40)), person(i * 6 + k + 1))
            for k, name in enumerate(["收货", "分拣", "包装", "发运", "退货", "盘点"])]
    add_table(d, ["班组", "人数", "班组长"], rows)
    d.save(path)
    team, n, lead = rows[3]
    return Question(f"{f['depot']}{team}的班组长是谁？", [lead], path.name, {"kind": "table", "table": 1, "row": 5})


def write_pptx(path: Path, i: int) -> Question:
    import pptx

    f = facts(i)
    deck = pptx.Presentation()
    s = deck.slides.add_slide(deck.slide_layouts[0])
    s.shapes.title.text = f"{f['depot']}年度汇报"
    s = deck.slides.add_slide(deck.slide_layouts[1])
    s.shapes.title.text = "设施概况"
    s.placeholders[1].text = "\n".join(_sentences(f)[::2])
    s = deck.slides.add_slide(deck.slide_layouts[1])
    s.shapes.title.text = "人员"
    s.placeholders[1].text = _sentences(f)[1]
    s.notes_slide.notes_text_frame.text = f"{f['depot']}明年计划新增{f['docks'] // 2 + 1}个月台。"
    deck.save(path)
    return Question(f"{f['depot']}共有多少个装卸月台？", [str(f["docks"])], path.name, {"kind": "slide", "slide": 2})


def write_epub(path: Path, i: int) -> Question:
    from ebooklib import epub

    f = facts(i)
    book = epub.EpubBook()
    book.set_identifier(f"depot-{i}")
    book.set_title(f"{f['depot']}志")
    book.set_language("zh")
    chapters = []
    for k, (title, text) in enumerate([("第一章 沿革", _sentences(f)[0]), ("第二章 人员", _sentences(f)[1]),
                                       ("第三章 设施", _sentences(f)[2])], 1):
        ch = epub.EpubHtml(title=title, file_name=f"c{k}.xhtml", lang="zh")
        ch.content = f"<h1>{title}</h1><p>{text}</p>"
        book.add_item(ch)
        chapters.append(ch)
    book.toc = tuple(chapters)
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", *chapters]
    epub.write_epub(str(path), book)
    return Question(f"{f['depot']}现有职工多少人？", [str(f["staff"])], path.name, {"kind": "chapter", "chapter": 2})


def write_text(path: Path, i: int) -> Question:
    f = facts(i)
    body = "\n\n".join(_sentences(f))
    if path.suffix == ".md":
        text = f"# {f['depot']}简介\n\n{body}\n"
    elif path.suffix == ".html":
        text = f"<html><head><title>{f['depot']}简介</title></head><body><h1>{f['depot']}简介</h1>" + \
               "".join(f"<p>{s}</p>" for s in _sentences(f)) + "</body></html>"
    elif path.suffix == ".csv":
        text = "仓库,负责人,职工,月台,启用年份\n" + \
               f"{f['depot']},{f['manager']},{f['staff']},{f['docks']},{f['opened']}\n"
    else:
        text = f"{f['depot']}简介\n\n{body}\n"
    path.write_text(text, encoding="utf-8")
    return Question(f"{f['depot']}的负责人是谁？", [f["manager"]], path.name, {"kind": "text"})


def write_workbook(path: Path, rows: int) -> Question:
    """One big sheet of shipments (``rows`` data rows) and a small one."""
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("发货记录")
    ws.append(["运单号", "始发仓", "目的地", "件数", "重量（千克）"])
    r = random.Random(7)
    target = rows * 3 // 5
    for k in range(rows):
        ws.append([f"YD{100000 + k}", depot(k % 500), depot((k * 7 + 3) % 500), r.randint(1, 60),
                   r.randint(5, 900)])
    ws2 = wb.create_sheet("车队")
    ws2.append(["车牌", "载重（吨）"])
    ws2.append(["沪A·12345", 18])
    wb.save(path)
    r = random.Random(7)
    for k in range(target + 1):  # the same draws again, to know that row's values
        values = (r.randint(1, 60), r.randint(5, 900))
    return Question(f"运单YD{100000 + target}有多少件？", [str(values[0])], path.name,
                    {"kind": "sheet", "sheet": "发货记录", "row": target + 2})


def write_scan(path: Path, i: int) -> Question:
    """A one-page image-only PDF (as a scanner makes it) or a PNG photo of a page."""
    from .ocr_accuracy import render_page, save_pdf

    f = facts(i)
    paras = [f"{f['depot']}安全检查记录"] + _sentences(f) + [f"检查结论：{f['depot']}消防设施齐全，通道畅通。"]
    image, _ = render_page(paras, font_size=30)
    if path.suffix == ".pdf":
        save_pdf([image], path)
        where = {"kind": "page", "page": 1}
    else:
        image.save(path)
        where = {"kind": "image"}
    return Question(f"{f['depot']}是哪一年启用的？", [str(f["opened"])], path.name, where)


def write_bad(folder: Path) -> list[str]:
    """Files a folder really contains that cannot be indexed: each must be skipped with a reason."""
    (folder / "损坏的报告.docx").write_bytes(b"PK\x03\x04 this is not a complete zip")
    (folder / "空白.txt").write_text("", encoding="utf-8")
    (folder / "旧格式.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    (folder / "截图.png").write_bytes(b"\x89PNG\r\n\x1a\n not an image")
    return ["损坏的报告.docx", "空白.txt", "旧格式.doc", "截图.png"]


def generate(out: Path, n_docs: int = 200, rows: int = 5000, scans: int = 3) -> list[Question]:
    """``n_docs`` documents in ``out/docs`` (one big workbook, ``scans`` scanned PDFs and as
    many images among them) plus four bad files; returns one question per format."""
    docs = out / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    writers = {"docx": write_docx, "pptx": write_pptx, "epub": write_epub}
    asked: dict[str, Question] = {}
    n_plain = n_docs - 1 - 2 * scans
    for i in range(n_plain):
        kind = KINDS[i % len(KINDS)]
        sub = docs / ("报告" if kind in ("docx", "pptx") else "资料")  # nested folders, as people keep them
        sub.mkdir(exist_ok=True)
        path = sub / f"{depot(i)}-{i:04d}.{kind}"
        q = writers[kind](path, i) if kind in writers else write_text(path, i)
        asked.setdefault(kind, q)
    asked["xlsx"] = write_workbook(docs / "发货记录.xlsx", rows)
    for k in range(scans):
        i = n_plain + k
        asked.setdefault("pdf", write_scan(docs / f"扫描件-{i:04d}.pdf", i))
        asked.setdefault("png", write_scan(docs / f"照片-{i + scans:04d}.png", i + scans))
    write_bad(docs)
    questions = [asked[k] for k in ("docx", "pptx", "xlsx", "pdf", "png", "epub", "md")]
    with open(out / "questions.jsonl", "w", encoding="utf-8") as fh:
        for n, q in enumerate(questions, 1):
            fh.write(json.dumps({"id": f"mixed-{n}", **asdict(q)}, ensure_ascii=False) + "\n")
    return questions


@click.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--docs", "n_docs", default=200, show_default=True, type=click.IntRange(10, 100_000))
@click.option("--rows", default=5000, show_default=True, type=click.IntRange(10, 1_000_000))
@click.option("--scans", default=3, show_default=True, type=click.IntRange(1, 100),
              help="Scanned PDFs, and as many page photos (each is OCR'd when indexed).")
def main(out: Path, n_docs: int, rows: int, scans: int) -> None:
    questions = generate(out, n_docs, rows, scans)
    n = sum(1 for p in (out / "docs").rglob("*") if p.is_file())
    click.echo(f"{n} files in {out / 'docs'} ({n_docs} documents and 4 broken ones); "
               f"{len(questions)} questions in {out / 'questions.jsonl'}")


if __name__ == "__main__":
    main()
