"""Word, Excel/CSV, PowerPoint and EPUB (rag/formats/): text in order, headings, tables kept
whole, locations a citation can name, and bad files skipped with a one-line reason.

Every fixture is generated here with the library that reads it (python-docx, openpyxl,
python-pptx, ebooklib); the content is invented (a ferry company, a tea shop)."""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from evals.mixed_folder import add_table
from rag import store
from rag.chunk import chunk_document
from rag.clean import clean
from rag.config import Config
from rag.errors import DocumentError
from rag.formats import MAX_ROWS
from rag.chunk import embed_text, lexical_text
from rag.index import update_index
from rag.load import load_document
from rag.records import LOCATION_LABELS, Chunk, Citation, Document, Hit, Location, Region
from rag.retrieve import Retriever

PIERS = [("东港", "3120", "林晓"), ("西港", "2750", "周岚"), ("南湾", "1980", "陈默"),
         ("北岬", "1430", "Ann Lee"), ("青石滩", "1210", "何川"), ("白沙口", "960", "宋雨"),
         ("Harbor Nine", "870", "Omar Reyes"), ("渔人码头", "640", "梁舟"), ("灯塔湾", "515", "许明"),
         ("红树港", "402", "Kim Park")]
HEADER = "| 码头 | 年吞吐量（万吨） | 负责人 |"


# ------------------------------------------------------------------ fixtures

def make_docx(path: Path) -> Path:
    import docx

    d = docx.Document()
    d.core_properties.title = "海鸥航运年报"
    d.add_heading("海鸥航运年报", 0)
    d.add_heading("码头运营", 1)
    d.add_paragraph("本年度共有十个码头投入运营。下表列出各码头的年吞吐量与负责人。")
    add_table(d, ["码头", "年吞吐量（万吨）", "负责人"], PIERS)
    d.add_heading("Fleet", 1)
    d.add_paragraph("Bluegull Ferries runs twelve vessels. The newest one, Sea Lark, entered service in May.")
    d.save(path)
    return path


def _cache_formula_values(path: Path, values: dict[str, str]) -> None:
    """openpyxl writes formulas without a cached value; Excel saves one. Put it in, as Excel would."""
    src = zipfile.ZipFile(path)
    parts = {n: src.read(n) for n in src.namelist()}
    src.close()
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    for ref, value in values.items():
        sheet = re.sub(rf'(<c r="{ref}"[^>]*><f>[^<]*</f>)<v\s*/>|(<c r="{ref}"[^>]*><f>[^<]*</f>)<v></v>',
                       lambda m: (m.group(1) or m.group(2)) + f"<v>{value}</v>", sheet)
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for n, data in parts.items():
            out.writestr(n, data)


def make_xlsx(path: Path, n_rows: int = 40) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "销售"
    ws.append(["茶品", "产地", "季度", "销售额（元）"])
    for i in range(n_rows):
        ws.append([f"茶品{i:02d}", "云南" if i % 2 else "福建", f"Q{i % 4 + 1}", 1000 + 37 * i])
    ws.append([])  # a blank row: the next rows are a new run
    ws.append(["碧潭飘雪", "四川", "Q3", "=D2*3"])  # formula with a cached value (below)
    ws.append(["雪芽合计"])
    ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=4)
    wb.create_sheet("备用")  # empty
    inv = wb.create_sheet("Inventory")
    inv.append(["Item", "Warehouse", "Boxes"])
    inv.append(["Jasmine pearls", "Dock B", 48])
    wb.save(path)
    _cache_formula_values(path, {f"D{n_rows + 3}": "3000"})
    return path


def make_pptx(path: Path) -> Path:
    import pptx

    deck = pptx.Presentation()
    s = deck.slides.add_slide(deck.slide_layouts[0])
    s.shapes.title.text = "新航线发布会"
    s = deck.slides.add_slide(deck.slide_layouts[1])
    s.shapes.title.text = "夏季时刻表"
    s.placeholders[1].text = "每天早上七点从东港出发\n晚上九点返回"
    s.notes_slide.notes_text_frame.text = "提醒听众：周末加开一班夜航。"
    s = deck.slides.add_slide(deck.slide_layouts[1])
    s.shapes.title.text = "Ticket prices"
    s.placeholders[1].text = "Adults pay 85 yuan. Children under twelve travel free."
    deck.save(path)
    return path


def make_epub(path: Path, encrypt_chapter: bool = False, fonts_only: bool = False) -> Path:
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("tea-book-1")
    book.set_title("茶山札记")
    book.set_language("zh")
    ch1 = epub.EpubHtml(title="第一章 采茶", file_name="c1.xhtml", lang="zh")
    ch1.content = "<h1>第一章 采茶</h1><p>清明前采摘的嫩芽最为珍贵。</p><p>采茶人凌晨四点上山。</p>"
    ch2 = epub.EpubHtml(title="第二章 炒青", file_name="c2.xhtml", lang="zh")
    ch2.content = "<h1>第二章 炒青</h1><p>锅温保持在两百度左右，手不停地翻动。</p>"
    ch3 = epub.EpubHtml(title="Chapter Three: Storage", file_name="c3.xhtml")
    ch3.content = "<h1>Chapter Three: Storage</h1><p>Keep the leaves in a cool, dark tin.</p>"
    for c in (ch1, ch2, ch3):
        book.add_item(c)
    book.toc = (ch1, ch2, ch3)
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    # spine order is not file order: reading order wins
    book.spine = ["nav", ch2, ch1, ch3]
    epub.write_epub(str(path), book)
    if encrypt_chapter or fonts_only:
        target = "fonts/a.otf" if fonts_only else "EPUB/c1.xhtml"
        enc = (f'<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><EncryptedData>'
               f'<CipherData><CipherReference URI="{target}"/></CipherData></EncryptedData></encryption>')
        with zipfile.ZipFile(path, "a") as z:
            z.writestr("META-INF/encryption.xml", enc)
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "docs"
    d.mkdir()
    make_docx(d / "年报.docx")
    make_xlsx(d / "sales.xlsx")
    make_pptx(d / "launch.pptx")
    make_epub(d / "tea.epub")
    (d / "ports.csv").write_text("港口,泊位数,水深（米）\n东港,12,15.5\n西港,8,11\n", encoding="gbk")
    return d


def _chunks(path: Path, size: int = 300, overlap: int = 60) -> tuple[Document, list[Chunk]]:
    doc = clean(load_document(path))
    chunks = chunk_document(doc, size, overlap)
    for c in chunks:
        assert c.text == doc.text[c.start:c.end]
    return doc, chunks


# ------------------------------------------------------------------ Word

def test_docx_text_in_order_with_headings_and_table_rows(tmp_path):
    doc = load_document(make_docx(tmp_path / "r.docx"))
    t = doc.text
    assert doc.title == "海鸥航运年报"
    order = ["# 海鸥航运年报", "## 码头运营", "本年度共有十个码头", HEADER, "| 东港 | 3120 | 林晓 |",
             "| 红树港 | 402 | Kim Park |", "## Fleet", "Sea Lark"]
    assert [t.index(s) for s in order] == sorted(t.index(s) for s in order)
    [table] = doc.regions
    assert table.location == Location("table", 1, rows=(1, 11))
    assert t[table.start:table.end].splitlines()[0] == HEADER


def _footnoted_docx(path: Path) -> Path:
    """An invented tenancy notice with a page header and footer and two real footnotes
    (python-docx writes none: the footnotes part is added as Word saves it)."""
    import docx
    from docx.opc.constants import CONTENT_TYPE as CT, RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    notes = {"1": "押金於退租點交後7日內無息返還。", "2": "Late fees are waived for the first 3 days."}
    xml = (f'<w:footnotes {w}><w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p>'
           '</w:footnote><w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/>'
           '</w:r></w:p></w:footnote>' + "".join(
               f'<w:footnote w:id="{i}"><w:p><w:r><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> {t}</w:t>'
               '</w:r></w:p></w:footnote>' for i, t in notes.items()) + "</w:footnotes>")
    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "租約編號：RT-88-0412"
    d.sections[0].footer.paragraphs[0].text = "第 1 頁，共 3 頁"
    d.part.relate_to(Part(PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, xml.encode(), d.part.package),
                     RT.FOOTNOTES)
    for text, ref in (("承租人應於簽約時支付押金兩個月租金。", "1"), ("Rent is due on the 5th of each month.", "2"),
                      ("租期為一年。", None)):
        p = d.add_paragraph(text)
        if ref:
            r = OxmlElement("w:footnoteReference")
            r.set(qn("w:id"), ref)
            p.add_run()._r.append(r)
    d.save(path)
    return path


def test_docx_footnotes_follow_their_paragraph_and_the_page_header_is_read_once(tmp_path):
    t = load_document(_footnoted_docx(tmp_path / "lease.docx")).text
    order = ["租約編號：RT-88-0412", "承租人應於簽約時支付押金", "註1：押金於退租點交後7日內無息返還。",
             "Rent is due on the 5th", "Note 2: Late fees are waived for the first 3 days.", "租期為一年。"]
    assert [t.index(s) for s in order] == sorted(t.index(s) for s in order)
    assert "頁" not in t  # the footer's page number is no text of the document
    # a document without notes or margins reads as before
    plain = load_document(make_docx(tmp_path / "r.docx")).text
    assert plain.startswith("# 海鸥航运年报") and "註" not in plain and "Note 1" not in plain


def test_docx_table_rows_never_split_and_header_repeated(tmp_path):
    doc, chunks = _chunks(make_docx(tmp_path / "r.docx"), size=60, overlap=20)
    table_chunks = [c for c in chunks if "|" in c.text]
    assert len(table_chunks) >= 3  # the table spans several chunks
    for c in table_chunks:
        for line in c.text.splitlines():
            if line.startswith("|"):
                assert line.endswith("|") and line.count("|") == 4, line  # whole rows only
        assert c.headings == ["海鸥航运年报", "码头运营"]
        if HEADER in c.text:
            assert c.context == ""
        else:  # continues the table: the header row rides along, outside the text
            assert c.context == HEADER
            assert HEADER in lexical_text(c) and HEADER in embed_text(c)
    row = next(c for c in chunks if "| 渔人码头 | 640 | 梁舟 |" in c.text)
    assert row.location.kind == "table" and row.location.rows[0] <= 9 <= row.location.rows[1]
    assert all(c.headings[-1:] == ["Fleet"] for c in chunks if "Sea Lark" in c.text)


def test_cleaning_keeps_region_offsets(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("扫码关注公众号")  # scraper-style promotion: the cleaner drops it
    d.add_paragraph("船队今年新增两艘渡轮。")
    t = d.add_table(rows=2, cols=2)
    for (i, j), v in zip([(0, 0), (0, 1), (1, 0), (1, 1)], ["活动", "说明", "春季航展", "扫码领取船票"]):
        t.cell(i, j).text = v
    d.save(tmp_path / "c.docx")
    doc = clean(load_document(tmp_path / "c.docx"))
    assert [x.text for x in doc.dropped] == ["扫码关注公众号"]
    [table] = doc.regions
    assert doc.text[table.start:table.end] == "| 活动 | 说明 |\n| 春季航展 | 扫码领取船票 |"  # rows are data


def test_markdown_table_in_text_gets_the_same_treatment(tmp_path):
    rows = "\n".join(f"| 货船{i} | {100 + i}吨。注意：满载 |" for i in range(12))
    p = tmp_path / "ships.md"
    p.write_text(f"# 船队\n\n| 船名 | 载重 |\n|---|---|\n{rows}\n", encoding="utf-8")
    doc, chunks = _chunks(p, size=80, overlap=0)
    for c in chunks:
        assert all(line.endswith("|") for line in c.text.splitlines() if line.startswith("|"))
    assert all(c.context == "| 船名 | 载重 |" for c in chunks[1:])


# ------------------------------------------------------------------ Excel / CSV

def test_xlsx_rows_formulas_merged_cells_and_empty_sheets(tmp_path):
    doc = load_document(make_xlsx(tmp_path / "s.xlsx"))
    lines = doc.text.splitlines()
    assert lines[0] == "# 销售"
    assert lines[1] == "茶品: 茶品00 | 产地: 福建 | 季度: Q1 | 销售额（元）: 1000"
    assert "茶品: 碧潭飘雪 | 产地: 四川 | 季度: Q3 | 销售额（元）: 3000" in lines  # the cached formula value
    assert "茶品: 雪芽合计" in lines  # merged cell: its value once, in the first cell
    assert "# Inventory" in lines and "Item: Jasmine pearls | Warehouse: Dock B | Boxes: 48" in lines
    assert "备用" not in doc.text and doc.meta["notes"] == ["sheet '备用' is empty (left out)"]
    assert doc.title == "s"
    # rows as the spreadsheet numbers them: header row 1, data from row 2, a blank row 42
    runs = [(r.location.name, r.location.rows) for r in doc.regions]
    assert runs == [("销售", (2, 41)), ("销售", (43, 44)), ("Inventory", (2, 2))]
    at = doc.text.index("碧潭飘雪")
    assert doc.location_of(at, at + 4) == Location("sheet", name="销售", rows=(43, 43))


def test_sheet_chunks_name_sheet_and_rows(tmp_path):
    doc, chunks = _chunks(make_xlsx(tmp_path / "s.xlsx"), size=200, overlap=0)
    for c in chunks:
        loc = c.location
        assert loc.kind == "sheet" and c.headings == [loc.name] and loc.rows[0] >= 2
    c = next(c for c in chunks if "茶品17" in c.text)
    assert c.location.rows[0] <= 19 <= c.location.rows[1]  # 茶品17 is on row 19
    assert c.location.label() == f"sheet 销售, rows {c.location.rows[0]}–{c.location.rows[1]}"
    assert c.location.label(LOCATION_LABELS["zh"]).startswith("工作表「销售」第")
    # a new sheet starts a new chunk
    inv = next(c for c in chunks if "Jasmine" in c.text)
    assert "茶品" not in inv.text and inv.location == Location("sheet", name="Inventory", rows=(2, 2))


def test_sheet_rows_are_data_not_boilerplate(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["活动", "说明"])
    ws.append(["春茶节", "扫码领取试饮券"])  # the cleaner drops such lines from scraped prose
    ws.append(["秋茶节", "到店品鉴"])
    wb.save(tmp_path / "a.xlsx")
    doc, chunks = _chunks(tmp_path / "a.xlsx")
    assert "扫码领取试饮券" in doc.text and not doc.dropped
    assert chunks[0].location.rows == (2, 3)


def test_title_row_year_columns_and_one_column_sheets(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "营收"
    ws.append(["2024年各地区营收"])  # a title merged across the top, then the header
    ws.merge_cells("A1:C1")
    ws.append(["地区", 2023, 2024])  # years as column names
    ws.append(["华东", 310, 355])
    names = wb.create_sheet("名单")
    for v in ("姓名", "林晓", "周岚"):
        names.append([v])
    # a title and a unit row over the header: both lines, the quarters the columns (the title
    # was taken for the header, the quarters read as columns B and C)
    sales = wb.create_sheet("销售")
    for row in (["青石水务2024年分地区销售额"], ["单位：万元"], ["地区", "第一季度", "第二季度"], ["华南", 8044, 9933]):
        sales.append(row)
    longer = wb.create_sheet("城市")  # a one-column table longer than a title's rows
    for v in ("城市", "杭州", "宁波", "温州", "绍兴"):
        longer.append([v])
    wb.save(tmp_path / "t.xlsx")
    lines = load_document(tmp_path / "t.xlsx").text.splitlines()
    assert lines[:3] == ["# 营收", "2024年各地区营收", "地区: 华东 | 2023: 310 | 2024: 355"]
    assert lines[3:7] == ["", "# 名单", "姓名: 林晓", "姓名: 周岚"]
    assert lines[7:12] == ["", "# 销售", "青石水务2024年分地区销售额", "单位：万元", "地区: 华南 | 第一季度: 8044 | 第二季度: 9933"]
    assert lines[12:] == ["", "# 城市", "城市: 杭州", "城市: 宁波", "城市: 温州", "城市: 绍兴"]


def test_times_without_zero_seconds_and_a_note_row_under_the_table(tmp_path):
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Ferries"
    ws.append(["Pier", "First sailing", "Last sailing", "Fare"])
    ws.append(["North Pier", dt.time(6, 15), dt.time(22, 0, 30), 12])
    ws.append(["South Pier", dt.datetime(2026, 3, 1, 7, 5), None, 9])
    ws.append(["Harbour", None, None, None])  # a row with only its first cell: still a value
    ws.append(["※ Seniors over 65 ride at half fare. Times may change without notice."])
    ws.append(["Note: fares in dollars"])
    ws.append(["制表：码头办 韦文静 2026年2月10日"])  # a foot signed across the row: no pier's name
    ws.append(["Summer timetable"])  # (a label without one: a first column's value)
    wb.save(tmp_path / "f.xlsx")
    lines = load_document(tmp_path / "f.xlsx").text.splitlines()
    assert lines[1:] == [
        "Pier: North Pier | First sailing: 06:15 | Last sailing: 22:00:30 | Fare: 12",
        "Pier: South Pier | First sailing: 2026-03-01 07:05 | Fare: 9",
        "Pier: Harbour",
        "※ Seniors over 65 ride at half fare. Times may change without notice.",
        "Note: fares in dollars",
        "制表：码头办 韦文静 2026年2月10日",
        "Pier: Summer timetable",
    ]


def test_csv_encodings_blank_rows_and_dialects(tmp_path):
    p = tmp_path / "ports.csv"
    p.write_text("港口,泊位数\n东港,12\n\n西港,8\n", encoding="gbk")
    doc = load_document(p)
    assert doc.text == "# ports\n港口: 东港 | 泊位数: 12\n港口: 西港 | 泊位数: 8"
    assert [r.location.rows for r in doc.regions] == [(2, 2), (4, 4)]
    t = tmp_path / "t.csv"
    t.write_text('name\tnote\nAnn\t"says ""hi""; then, leaves"\n', encoding="utf-8")
    assert 'note: says "hi"; then, leaves' in load_document(t).text
    one = tmp_path / "one.csv"
    one.write_text("1,2,3\n4,5,6\n", encoding="utf-8")  # no header row: values only
    assert load_document(one).text == "# one\n1 | 2 | 3\n4 | 5 | 6"


def test_row_limit_is_a_note_not_a_failure(tmp_path, monkeypatch):
    import rag.formats

    monkeypatch.setattr(rag.formats, "MAX_ROWS", 25)
    doc = load_document(make_xlsx(tmp_path / "s.xlsx"))
    assert doc.text.count("\n茶品: ") == 25
    assert doc.meta["notes"][0].startswith("partly indexed: only the first 25 rows")
    assert "sheet 'Inventory' left out (row limit reached)" in doc.meta["notes"]
    p = tmp_path / "big.csv"
    p.write_text("a,b\n" + "".join(f"{i},x\n" for i in range(100)), encoding="utf-8")
    note = load_document(p).meta["notes"][0]
    assert note == "partly indexed: only the first 25 rows; 75 more rows from sheet 'big' row 27 on left out"
    small = tmp_path / "small.csv"
    small.write_text("a,b\n" + "".join(f"{i},x\n" for i in range(25)), encoding="utf-8")
    assert "notes" not in load_document(small).meta  # exactly at the limit: nothing left out


_BIG_CSV = """
import sys, time

def peak_mb():
    # VmHWM is this address space's own peak; ru_maxrss would also count the process that
    # forked this one (Linux keeps it across exec), i.e. pytest with the models loaded.
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            return int(line.split()[1]) / 1024
from pathlib import Path
from rag.chunk import chunk_document
from rag.load import load_document
t0 = time.perf_counter()
doc = load_document(Path(sys.argv[1]))
t1 = time.perf_counter()
chunks = chunk_document(doc, 300, 60)
t2 = time.perf_counter()
print({"load_s": t1 - t0, "chunk_s": t2 - t1, "rows": doc.text.count("\\n"), "chunks": len(chunks),
       "last": chunks[-1].location.rows[1], "notes": doc.meta.get("notes"),
       "peak_mb": peak_mb()})
"""


def test_million_row_csv_is_bounded(tmp_path):
    """1,000,000 rows (~30 MB): streamed, the first MAX_ROWS rows indexed, the rest counted
    and named in the note; time and memory bounded. Runs in its own process to measure
    its peak memory."""
    p = tmp_path / "ledger.csv"
    with open(p, "w", encoding="utf-8") as f:
        f.write("编号,仓库,数量\n")
        f.writelines(f"{i},仓{i % 7},{i % 1000}\n" for i in range(1_000_000))
    r = subprocess.run([sys.executable, "-c", _BIG_CSV, str(p)], capture_output=True, text=True, timeout=120,
                       cwd=Path(__file__).resolve().parent.parent)
    assert r.returncode == 0, r.stderr[-2000:]
    got = eval(r.stdout.strip().splitlines()[-1])  # noqa: S307 - our own dict literal
    print(got)
    assert got["rows"] == MAX_ROWS  # the heading line + MAX_ROWS row lines
    assert got["last"] == MAX_ROWS + 1  # row numbers as a spreadsheet shows them (header = row 1)
    assert got["notes"] == [f"partly indexed: only the first {MAX_ROWS:,} rows; {1_000_000 - MAX_ROWS:,} more rows "
                            f"from sheet 'ledger' row {MAX_ROWS + 2:,} on left out"]
    assert got["load_s"] + got["chunk_s"] < 20
    assert got["peak_mb"] < 800


# ------------------------------------------------------------------ PowerPoint, EPUB

def test_pptx_slides_titles_body_and_notes(tmp_path):
    doc, chunks = _chunks(make_pptx(tmp_path / "d.pptx"))
    t = doc.text
    assert t.index("# 新航线发布会") < t.index("# 夏季时刻表") < t.index("每天早上七点") < t.index("周末加开一班夜航")
    assert t.count("夏季时刻表") == 1  # the title is the heading, not repeated as body
    by_slide = {c.location.number: c for c in chunks}
    assert set(by_slide) == {1, 2, 3}  # one slide, one chunk: slides are never mixed
    assert by_slide[2].headings == ["夏季时刻表"] and "夜航" in by_slide[2].text
    assert by_slide[3].location.label() == "slide 3 “Ticket prices”"
    assert by_slide[3].location.label(LOCATION_LABELS["zh"]) == "第3张幻灯片「Ticket prices」"


def test_epub_chapters_in_spine_order(tmp_path):
    doc, chunks = _chunks(make_epub(tmp_path / "b.epub"))
    t = doc.text
    assert doc.title == "茶山札记"
    assert t.index("# 第二章 炒青") < t.index("# 第一章 采茶") < t.index("# Chapter Three: Storage")
    assert t.count("第一章 采茶") == 1  # the chapter's <h1> is its heading, not repeated
    c = next(c for c in chunks if "凌晨四点" in c.text)
    assert c.headings == ["第一章 采茶"]
    assert c.location == Location("chapter", 2, name="第一章 采茶")  # second in reading order
    assert c.location.to_json() == {"kind": "chapter", "chapter": 2, "title": "第一章 采茶",
                                    "label": "chapter 2 “第一章 采茶”"}


# ------------------------------------------------------------------ index, retrieval, JSON

@pytest.mark.parametrize("question,needle,where,row", [
    ("渔人码头的年吞吐量是多少万吨？", "| 渔人码头 | 640 | 梁舟 |", "table 1", 9),
    ("碧潭飘雪的销售额是多少？", "碧潭飘雪", "sheet 销售", 43),
    ("周末加开几班夜航？", "周末加开一班夜航", "slide 2 “夏季时刻表”", None),
    ("采茶人几点上山？", "凌晨四点", "chapter 2 “第一章 采茶”", None),
    ("东港有多少个泊位？", "港口: 东港 | 泊位数: 12", "sheet ports", 2),
])
def test_answers_found_with_their_location(tmp_path, folder, fake_embedder, question, needle, where, row):
    config = Config(chunk_size=120, chunk_overlap=0)
    report = update_index(tmp_path / "idx", [folder], config, fake_embedder)
    assert len(report.added) == 5
    assert report.skipped == []  # the workbook is indexed: its empty sheet is a note, not a skip
    assert [s.reason for s in report.notes] == ["sheet '备用' is empty (left out)"]
    hits = Retriever.open(tmp_path / "idx", fake_embedder, config).search(question, 3).hits
    hit = next((h for h in hits if needle in h.chunk.text), None)
    assert hit is not None, [h.chunk.text[:30] for h in hits]
    loc = hit.chunk.location
    assert loc.label().startswith(where)
    if row is not None:  # the answer's row is inside the rows the citation names
        assert loc.rows[0] <= row <= loc.rows[1], loc
        assert loc.label() in (f"{where}, row {row}", f"{where}, rows {loc.rows[0]}–{loc.rows[1]}")
    j = hit.to_json()
    assert j["location"]["label"] == loc.label() and j["location"]["kind"] == loc.kind


def test_header_row_backs_a_claim_about_a_continued_table():
    """The column name sits in the header row, outside a continuing chunk's text: the
    checker reads it there (``Chunk.with_context``), the quote stays inside the text."""
    from rag.cite import cite

    rows = "| 渔人码头 | 640 | 梁舟 |\n| 灯塔湾 | 515 | 许明 |"
    for context, verified in ((HEADER, True), ("", False)):
        chunk = Chunk("r.docx", 3, rows, 100, 100 + len(rows), context=context)
        [c] = cite("渔人码头的负责人是梁舟[1]。", [Hit(chunk, 1.0, 1)]).citations
        assert c.verified is verified and c.quote == "| 渔人码头 | 640 | 梁舟 |"


def test_index_round_trip_keeps_locations(tmp_path, folder, fake_embedder):
    update_index(tmp_path / "idx", [folder], Config(), fake_embedder)
    idx = store.open_index(tmp_path / "idx")
    doc = idx.docs["sales.xlsx"]
    assert doc.regions and doc.regions[0].location == Location("sheet", name="销售", rows=(2, 41))
    assert all(c.location is not None for c in idx.chunks if c.doc_id != "年报.docx")
    # unchanged documents keep their stored text, regions and chunks on the next run
    r = update_index(tmp_path / "idx", [folder], Config(), fake_embedder)
    assert r.n_embedded == 0 and len(r.unchanged) == 5


def test_indexes_written_before_locations_still_open():
    old_chunk = {"doc_id": "a.pdf", "chunk_id": 0, "text": "x", "start": 0, "end": 1, "title": "A",
                 "headings": [], "page": 2}
    c = Chunk.from_dict(old_chunk)
    assert c.location is None and c.context == "" and c.page == 2
    d = Document.from_json({"doc_id": "a.pdf", "path": "a.pdf", "text": "x\n\ny", "pages": [[1, 0], [2, 3]]})
    assert d.regions == [] and d.location_of(3, 4) == Location("page", 2)
    cite = Citation(1, c, "x", 0, 1).to_json()
    assert cite["page"] == 2 and cite["location"] is None


def test_citation_json_names_sheet_and_rows():
    loc = Location("sheet", name="销售", rows=(12, 40))
    chunk = Chunk("s.xlsx", 0, "茶品: 白毫", 5, 11, location=loc)
    j = Citation(1, chunk, "白毫", 9, 11).to_json()
    assert j["location"] == {"kind": "sheet", "sheet": "销售", "rows": [12, 40], "label": "sheet 销售, rows 12–40"}
    assert Hit(chunk, 0.5, 1).to_json()["location"] == j["location"]
    assert json.loads(json.dumps(Chunk.from_dict(chunk.to_dict()).to_dict())) == json.loads(json.dumps(chunk.to_dict()))
    assert Region.from_dict(Region(0, 5, loc).to_dict()) == Region(0, 5, loc)


def test_cli_and_web_show_the_label(capsys):
    from app import render
    from app.strings import strings
    from rag.cli import _print_sources
    from rag.records import Answer, Timings

    chunk = Chunk("s.xlsx", 0, "茶品: 白毫 | 销售额: 5", 0, 13, title="销售表",
                  location=Location("sheet", name="销售", rows=(12, 40)))
    answer = Answer("q", "白毫的销售额是5[1]", False, [Citation(1, chunk, "销售额: 5", 7, 13)], [], Timings())
    _print_sources(answer)
    assert "sheet 销售, rows 12–40" in capsys.readouterr().out
    zh = render.citation_entry(answer.citations[0], {}, strings("zh"), 1)
    en = render.citation_entry(answer.citations[0], {}, strings("en"), 1)
    assert "工作表「销售」第12–40行" in zh and "sheet 销售, rows 12–40" in en
    assert "工作表「销售」第12–40行" in render.final_markdown(answer, {}, strings("zh"), 1)
    old = Chunk("a.pdf", 0, "x", 0, 1, page=3)  # an index written before locations
    assert render.place(old, strings("zh")) == "第3页" and render.place(old, strings("en")) == "p. 3"


def test_uploads_accept_the_new_types():
    from app.kb import ALLOWED, Rejected, safe_name
    from app.strings import strings

    for name in ("年报.docx", "sales.xlsx", "ports.csv", "launch.pptx", "茶山札记.epub"):
        assert safe_name(name) == name
    with pytest.raises(Rejected) as e:
        safe_name("notes.pages")
    for lang in ("zh", "en"):
        message = strings(lang)["bad_type"].format(**e.value.fields)
        assert ".doc" in message and ".docx" in message and ".epub" in message and ".eml" in message
    assert {".docx", ".xlsx", ".csv", ".pptx", ".epub", ".pdf", ".txt", ".doc", ".xls", ".ppt", ".eml"} <= set(ALLOWED)


# ------------------------------------------------------------------ bad input

def _zip_bytes(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_encrypted_office_file_refused(tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = make_docx(tmp_path / "plain.docx")
    out = io.BytesIO()
    with open(plain, "rb") as f:
        OOXMLFile(f).encrypt("s3cret", out)
    locked = tmp_path / "locked.docx"
    locked.write_bytes(out.getvalue())
    with pytest.raises(DocumentError, match="password-protected"):
        load_document(locked)
    assert "东港" in load_document(plain).text  # the same file without a password


def test_a_damaged_old_binary_office_file_named_like_a_new_one(tmp_path):
    p = tmp_path / "old.xlsx"
    p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000)
    with pytest.raises(DocumentError, match=r"^a damaged or unknown old binary Office file, not \.xlsx$"):
        load_document(p)


@pytest.mark.parametrize("suffix", [".docx", ".xlsx", ".pptx", ".epub"])
def test_corrupt_and_truncated_files(tmp_path, suffix):
    make = {".docx": make_docx, ".xlsx": make_xlsx, ".pptx": make_pptx, ".epub": make_epub}[suffix]
    good = make(tmp_path / f"good{suffix}")
    assert load_document(good).text
    junk = tmp_path / f"junk{suffix}"
    junk.write_bytes(b"this is not a zip archive at all" * 10)
    with pytest.raises(DocumentError, match=rf"damaged \{suffix} file"):
        load_document(junk)
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(DocumentError, match=rf"damaged \{suffix} file"):
        load_document(cut)
    wrong = tmp_path / f"wrong{suffix}"  # a sound zip, but not this format inside
    wrong.write_bytes(_zip_bytes({"hello.txt": b"hi"}))
    with pytest.raises(DocumentError, match=rf"unreadable \{suffix} file|empty"):
        load_document(wrong)


def test_zip_bomb_refused_before_parsing(tmp_path, monkeypatch):
    import rag.formats.docx

    limit = 1 << 20  # RAG_MAX_FILE_MB=1: at most 20 MB unpacked
    bomb = tmp_path / "bomb.docx"
    bomb.write_bytes(_zip_bytes({"word/document.xml": b"\0" * (25 << 20)}))
    assert bomb.stat().st_size < limit
    monkeypatch.setattr(rag.formats.docx, "parse", lambda *a: pytest.fail("a zip bomb reached the parser"))
    with pytest.raises(DocumentError, match=r"unpacks to 25 MB \(> 20 MB; a zip bomb\?\)"):
        load_document(bomb, max_bytes=limit)
    monkeypatch.undo()
    near = tmp_path / "near.docx"  # 15 MB unpacked: under the cap, goes on to the parser
    near.write_bytes(_zip_bytes({"filler.bin": b"\0" * (15 << 20), **_docx_parts(tmp_path)}))
    assert "东港" in load_document(near, max_bytes=limit).text


def _docx_parts(tmp_path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(make_docx(tmp_path / "parts.docx")) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_too_many_zip_entries_refused(tmp_path):
    many = tmp_path / "many.xlsx"
    many.write_bytes(_zip_bytes({f"x/{i}.xml": b"" for i in range(10_001)}))
    with pytest.raises(DocumentError, match="10001 entries"):
        load_document(many)
    few = tmp_path / "few.xlsx"
    with zipfile.ZipFile(make_xlsx(tmp_path / "s.xlsx")) as z:
        few.write_bytes(_zip_bytes({**{n: z.read(n) for n in z.namelist()}, **{f"x/{i}.xml": b"" for i in range(500)}}))
    assert "碧潭飘雪" in load_document(few).text


def test_drm_epub_refused_font_obfuscation_is_not(tmp_path):
    with pytest.raises(DocumentError, match="DRM-protected EPUB"):
        load_document(make_epub(tmp_path / "drm.epub", encrypt_chapter=True))
    assert "凌晨四点" in load_document(make_epub(tmp_path / "fonts.epub", fonts_only=True)).text


def test_empty_documents(tmp_path):
    import docx
    import openpyxl
    import pptx

    docx.Document().save(tmp_path / "empty.docx")
    openpyxl.Workbook().save(tmp_path / "empty.xlsx")
    pptx.Presentation().save(tmp_path / "empty.pptx")
    (tmp_path / "empty.csv").write_text("\n\n", encoding="utf-8")
    (tmp_path / "header_only.csv").write_text("a,b\n", encoding="utf-8")
    for name in ("empty.docx", "empty.xlsx", "empty.pptx", "empty.csv", "header_only.csv"):
        with pytest.raises(DocumentError, match="empty"):
            load_document(tmp_path / name)


def test_bad_files_skipped_rest_indexed(tmp_path, folder, fake_embedder):
    (folder / "junk.docx").write_bytes(b"not a zip")
    (folder / "bomb.xlsx").write_bytes(_zip_bytes({"xl/a.xml": b"\0" * (25 << 20)}))
    (folder / "empty.pptx").write_bytes(_zip_bytes({"ppt/x.xml": b""}))
    (folder / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    report = update_index(tmp_path / "idx", [folder], Config(max_file_mb=1), fake_embedder)
    assert len(report.added) == 5
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert reasons["junk.docx"].startswith("damaged .docx file")
    assert "zip bomb" in reasons["bomb.xlsx"]
    assert reasons["empty.pptx"].startswith(("unreadable .pptx file", "empty"))
    assert reasons["old.doc"].startswith("damaged .doc file")
    assert all("\n" not in r for r in reasons.values())


# ------------------------------------------------------------------ real models

@pytest.mark.integration
def test_real_models_answer_from_a_table_cell_and_a_sheet_row(tmp_path):
    from rag.answer import Pipeline
    from rag.embed import load_embedder
    from rag.generate import load_generator

    docs = tmp_path / "docs"
    docs.mkdir()
    make_docx(docs / "年报.docx")
    make_xlsx(docs / "sales.xlsx")
    config = Config()
    embedder = load_embedder(config)
    update_index(tmp_path / "idx", [docs], config, embedder)
    pipeline = Pipeline(Retriever.open(tmp_path / "idx", embedder, config), load_generator(config), config)

    for question, value, kind, name, row in [
        ("渔人码头的负责人是谁？", "梁舟", "table", "", 9),  # a cell of the Word table (row 9)
        ("碧潭飘雪的销售额是多少元？", "3000", "sheet", "销售", 43),  # a sheet row (a cached formula value)
    ]:
        a = pipeline.ask(question)
        assert not a.refused and value in a.answer, (question, a.answer, a.refusal_reason)
        c = next(c for c in a.citations if c.verified and value in c.chunk.text)
        loc = c.chunk.location
        assert (loc.kind, loc.name) == (kind, name) and loc.rows[0] <= row <= loc.rows[1], loc
        j = c.to_json()["location"]
        assert j["rows"] == list(loc.rows) and (j.get("sheet") == name if kind == "sheet" else j["table"] == 1)


def test_word_shows_numbers_before_numbered_paragraphs(tmp_path):
    """Word keeps list numbers out of the text (word/numbering.xml); they are read as Word and
    LibreOffice show them (checked against LibreOffice's text export of this same file)."""
    import importlib.util

    script = Path(__file__).parent / "fixtures" / "office97" / "make_fixtures.py"
    spec = importlib.util.spec_from_file_location("office97_fixtures", script)
    fixtures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fixtures)  # (the .doc fixture's document, with an empty item and a bullet)
    fixtures.steps(tmp_path / "steps.docx", empty_item=True, bullet=True)
    assert load_document(tmp_path / "steps.docx").text == (
        "准备工作：\n1. 关闭总阀门。\n2. 排空余水。\n4. 更换阀芯。\n（此行不编号）\n注意佩戴手套\n"
        "第一步 断电\n一.1 拔下插头\n一.2 等待五分钟\n第二步 开盖\n二.1 取出滤网")  # a deeper level starts again
