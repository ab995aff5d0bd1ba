"""OFD files (GB/T 33190: e-invoices, official documents): each page's lines rebuilt from
where its characters stand, read as a PDF's text layer is, a region "page n" each; bad ones
skipped with one line.

tests/fixtures/ofd/*.ofd are written by make_fixtures.py there (an invoice whose labels are
in a template page, a three-page notice, a traditional-Chinese notice with other prefixes);
the broken files are written here."""
from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from rag.cli import cli
from rag.errors import DocumentError
from rag.formats import Limits, ofd
from rag.load import SUFFIXES, discover, load_document
from rag.records import Location, Region

from conftest import FakeEmbedder

DATA = Path(__file__).parent / "fixtures" / "ofd"
ODF = Path(__file__).parent / "fixtures" / "odf"
NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'
ROOT = (f'<ofd:OFD {NS}><ofd:DocBody><ofd:DocInfo/><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>'
        '</ofd:DocBody></ofd:OFD>')
PAGE = f'<ofd:Page {NS}>{{refs}}<ofd:Content><ofd:Layer ID="1">{{objects}}</ofd:Layer></ofd:Content></ofd:Page>'


def _text(x: float, y: float, text: str, size: float = 4) -> str:
    return (f'<ofd:TextObject ID="9" Boundary="{x} {y - size} 100 {size * 1.5}" Size="{size}">'
            f'<ofd:TextCode X="0" Y="{size}">{text}</ofd:TextCode></ofd:TextObject>')


def _document(pages: int, templates: str = "") -> str:
    listed = "".join(f'<ofd:Page ID="{n}" BaseLoc="Pages/Page_{n}/Content.xml"/>' for n in range(pages))
    return (f'<ofd:Document {NS}><ofd:CommonData><ofd:MaxUnitID>9</ofd:MaxUnitID>{templates}</ofd:CommonData>'
            f'<ofd:Pages>{listed}</ofd:Pages></ofd:Document>')


def _ofd(path: Path, files: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return path


def _one_page(objects: str, **more: str) -> dict[str, str]:
    return {"OFD.xml": ROOT, "Doc_0/Document.xml": _document(1),
            "Doc_0/Pages/Page_0/Content.xml": PAGE.format(refs="", objects=objects), **more}


def test_an_invoice_reads_label_beside_value_in_reading_order():
    doc = load_document(DATA / "invoice.ofd")
    lines = doc.text.split("\n")
    assert lines[:3] == ["发票号码：25327000000123456789", "电子发票（普通发票）", "开票日期：2025年09月12日"]
    assert "购买方信息 名称：青岚云帆软件有限公司  销售方信息 名称：澄江百川数码商贸有限公司" in lines
    assert ("统一社会信用代码/纳税人识别号：91330000MA2B3QH20K  统一社会信用代码/纳税人识别号：91330000MA2C7XK51R"
            in lines)  # (the seller's name written one object a character: read as one name)
    # the item table: written column by column, read a row a line in column order
    rows = lines[lines.index("项目名称  规格型号  单位  数量  单价  金额  税率/征收率  税额") + 1:][:3]
    assert rows == ["*信息技术服务*软件维护服务  V2.0  项  1  2830.19  2830.19  6%  169.81",
                    "*纸制品*打印纸  A4 70g  箱  5  150.00  750.00  13%  97.50",
                    "*计算机配套产品*无线鼠标  M310  个  10  45.00  450.00  13%  58.50"]
    assert "价税合计（大写）  ⊗肆仟叁佰伍拾陆圆整  （小写）¥4356.00" in lines  # one TextCode a character
    assert lines[-1] == "开票人：林晓岚"  # the value through a CTM (a 7 mm font scaled by half)
    assert doc.regions == [Region(0, len(doc.text), Location("page", 1))]
    assert doc.meta["encoding"] == "ofd" and doc.title == "invoice"  # (no DocInfo Title: the file's name)


def test_an_invoice_leaves_out_what_is_not_its_printed_text():
    text = load_document(DATA / "invoice.ofd").text
    for label in ("项目名称", "价税合计", "开票日期", "购买方信息"):
        assert text.count(label) == 1  # the template's labels, once
    for absent in ("已报销", "发票专用章", "原始电子发票数据", "发票号码标签", "EInvoice"):
        assert absent not in text  # an annotation's stamp, the signature, the attached XML, custom tags


def test_a_template_page_is_part_of_every_page_that_uses_it(tmp_path):
    template = PAGE.format(refs="", objects=_text(10, 20, "购买方：") + _text(10, 30, "价税合计："))
    files = {"OFD.xml": ROOT, "Doc_0/Document.xml": _document(2, '<ofd:TemplatePage ID="7" BaseLoc="Tpls/T.xml"/>'),
             "Doc_0/Tpls/T.xml": template}
    for n, (buyer, total) in enumerate((("青岚云帆软件有限公司", "¥12.00"), ("澄湖星野商贸有限公司", "¥34.00"))):
        objects = _text(30, 30, total) + _text(30, 20, buyer)
        files[f"Doc_0/Pages/Page_{n}/Content.xml"] = PAGE.format(refs='<ofd:Template TemplateID="7"/>', objects=objects)
    doc = load_document(_ofd(tmp_path / "两张.ofd", files))
    pages = [doc.text[r.start:r.end] for r in doc.regions]
    assert pages == ["购买方：青岚云帆软件有限公司\n价税合计：¥12.00", "购买方：澄湖星野商贸有限公司\n价税合计：¥34.00"]
    # a template the document does not hold: the page's own text, and a note that says what is missing
    files["Doc_0/Document.xml"] = _document(2)
    got = ofd.parse(_ofd(tmp_path / "x.ofd", files).read_bytes(), tmp_path / "x.ofd", Limits(1 << 26))
    assert got.text.startswith("青岚云帆软件有限公司\n¥12.00") and "page 1: its template page 7 is missing" in got.notes[0]


def test_a_notice_pages_without_running_lines_and_its_paragraphs_joined():
    doc = load_document(DATA / "notice.ofd")
    assert doc.title == "江澄县人民政府办公室关于做好秋冬季森林防火工作的通知"  # DocInfo's Title
    assert [r.location for r in doc.regions] == [Location("page", n) for n in (1, 2, 3)]
    pages = [doc.text[r.start:r.end] for r in doc.regions]
    assert doc.text == "\n\n".join(pages)  # offsets exact: the pages, a blank line apart
    assert pages[0].startswith("江澄县人民政府办公室行政规范性文件\n江澄县人民政府办公室文件\n江澄府办发〔2025〕12号\n")
    assert pages[1].startswith("二、严格野外火源管理\n") and pages[2].startswith("县应急管理局要会同")
    assert doc.text.count("行政规范性文件") == 1  # the running header: where it first stands only
    assert "—" not in doc.text  # the page numbers "— 1 —"
    lines = doc.text.split("\n")
    assert ("入秋以来，我县降水持续偏少，气温总体偏高，林区可燃物载量逐年增加，森林火险等级居高不下，防火形势严峻复杂。"
            "为切实做好今冬明春森林防火工作，有效预防和扑救森林火灾，保障人民群众生命财产安全和生态安全，"
            "经县政府同意，现就有关事项通知如下：") in lines  # wrapped over five lines, read as one
    assert "一、压实防火责任" in lines and "各乡镇人民政府，县政府各部门：" in lines  # a heading, a line of its own
    assert pages[2].endswith("江澄县人民政府办公室\n2025年9月12日\n（此件公开发布）")


def test_traditional_chinese_with_no_prefix_another_prefix_and_another_case():
    doc = load_document(DATA / "notice-zh-hant.ofd")
    assert doc.title == "澄湖市政府公告"
    lines = doc.text.split("\n")
    assert lines[:3] == ["澄湖市政府　公告", "發文日期：中華民國114年9月12日", "發文字號：澄府社字第1140012345號"]
    assert "公告事項：" in lines  # a TextCode pretty-printed over three lines
    assert "二、補助金額：每戶新臺幣5,000元，於114年10月31日前匯入申請人帳戶。" in lines
    assert lines[-1] == "市長　林志遠"


def test_locations_and_prefixes_as_producers_write_them(tmp_path):
    # an absolute page location, a template's location from the package root, a prefix never declared
    files = {"OFD.xml": ROOT.replace("Doc_0/Document.xml", "/Doc_0/Document.xml"),
             "Doc_0/Document.xml": _document(1, '<ofd:TemplatePage ID="1" BaseLoc="Doc_0/Tpl.xml"/>').replace(
                 "Pages/Page_0", "/Doc_0/Pages/Page_0"),
             "Doc_0/Tpl.xml": PAGE.format(refs="", objects=_text(10, 10, "收款人：")).replace(f" {NS}", ""),
             "Doc_0/Pages/Page_0/Content.xml": PAGE.format(refs='<ofd:Template TemplateID="1" ZOrder="Foreground"/>',
                                                           objects=_text(26, 10, "林晓岚"))}
    assert load_document(_ofd(tmp_path / "a.ofd", files)).text == "收款人：林晓岚"


def test_characters_placed_by_deltas_and_gaps_read_as_spaces(tmp_path):
    codes = ('<ofd:TextObject ID="1" Boundary="0 0 210 297" Size="4" CTM="1 0 0 1 10 0">'
             '<ofd:TextCode X="0" Y="10" DeltaX="g 3 4 20 g 2 4">单价数量金额</ofd:TextCode>'  # 20 mm: a column's gap
             '<ofd:TextCode X="0" Y="20">Total</ofd:TextCode><ofd:TextCode X="11.5" Y="20">due</ofd:TextCode>'
             '<ofd:TextCode X="0" Y="30" DeltaX="2.2 2.6 2.4 2.8 1.9">ABCDEF</ofd:TextCode>'  # a proportional font's steps
             '<ofd:TextCode X="0" Y="40" DeltaX="4 9 4">合同编号</ofd:TextCode></ofd:TextObject>')
    text = load_document(_ofd(tmp_path / "d.ofd", _one_page(codes))).text
    assert text == "单价数量  金额\nTotal due\nABCDEF\n合同 编号"


@pytest.mark.parametrize("files, reason", [
    (b"%PDF-1.7 not a zip", r"^damaged \.ofd file \(not a complete zip archive"),
    ({"Doc_0/Document.xml": _document(1)}, r"^damaged \.ofd file \(no OFD\.xml\)$"),
    ({"OFD.xml": f"<ofd:OFD {NS}><ofd:DocBody><ofd:DocInfo/></ofd:DocBody></ofd:OFD>"}, r"no DocBody/DocRoot"),
    ({"OFD.xml": ROOT}, r"^damaged \.ofd file \(Doc_0/Document\.xml is missing\)$"),
    ({"OFD.xml": ROOT, "Doc_0/Document.xml": f"<ofd:Document {NS}><ofd:Pages/></ofd:Document>"}, r"lists no pages"),
    ({"OFD.xml": ROOT, "Doc_0/Document.xml": _document(2),
      "Doc_0/Pages/Page_0/Content.xml": PAGE.format(refs="", objects=_text(10, 10, "第一页"))},
     r"^damaged \.ofd file \(page 2: Pages/Page_1/Content\.xml is missing\)$"),
    (_one_page(_text(10, 10, "密文"), **{"Encryptions.xml": "<Encryptions/>"}), r"^encrypted; save a copy without"),
    ({**_one_page(""), "OFD.xml": ROOT.replace("</ofd:DocBody>", "<ofd:Encryptions>E.xml</ofd:Encryptions></ofd:DocBody>")},
     r"^encrypted"),
    (_one_page('<ofd:ImageObject ID="2" Boundary="0 0 210 297" ResourceID="5"/>'),
     r"^no text layer \(a scanned OFD\): .* not OCR'd"),
])
def test_a_bad_ofd_is_refused_with_one_line(tmp_path, files, reason):
    path = tmp_path / "bad.ofd"
    path.write_bytes(files) if isinstance(files, bytes) else _ofd(path, files)
    with pytest.raises(DocumentError, match=reason) as e:
        load_document(path)
    assert "\n" not in str(e.value)


def test_ofd_files_are_found_in_a_folder_and_read_whatever_the_suffixs_case(tmp_path):
    assert ".ofd" in SUFFIXES
    (tmp_path / "发票").mkdir()
    shutil.copy(DATA / "invoice.ofd", tmp_path / "发票" / "电子发票.OFD")
    shutil.copy(DATA / "notice.ofd", tmp_path / "通知.ofd")
    found = discover([tmp_path])
    assert sorted(doc_id for doc_id, _ in found.files) == ["发票/电子发票.OFD", "通知.ofd"] and not found.skipped
    assert load_document(tmp_path / "发票" / "电子发票.OFD").text == load_document(DATA / "invoice.ofd").text


def test_rag_index_reads_the_ofd_files_skips_a_bad_one_and_finds_the_invoice(tmp_path, monkeypatch):
    monkeypatch.setattr("rag.embed.load_embedder", lambda config: FakeEmbedder())
    folder, idx = tmp_path / "docs", str(tmp_path / "idx")
    shutil.copytree(DATA, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("Doc_0/Document.xml", _document(1))
    (folder / "坏的.ofd").write_bytes(buf.getvalue())
    r = CliRunner().invoke(cli, ["index", str(folder), "--index", idx, "--json"], catch_exceptions=False)
    report = json.loads(r.output)
    assert report["added"] == ["invoice.ofd", "notice-zh-hant.ofd", "notice.ofd"]
    assert [(Path(s["path"]).name, s["reason"]) for s in report["skipped"]] == [
        ("坏的.ofd", "damaged .ofd file (no OFD.xml)")]
    r = CliRunner().invoke(cli, ["search", "发票号码", "--index", idx, "--json", "-k", "1", "--mode", "bm25"],
                           catch_exceptions=False)
    (hit,) = json.loads(r.output)["retrieved"]
    assert hit["source"] == "invoice.ofd" and hit["location"]["label"] == "p. 1"


def test_a_passage_of_an_ofd_names_its_page_as_a_pdfs_does():
    from rag.chunk import chunk_document

    chunks = chunk_document(load_document(DATA / "notice.ofd"), 400, 50)
    assert [c.page for c in chunks] == [1, 2]  # (the --json "page" of a citation)
    assert {c.page for c in chunk_document(load_document(ODF / "minutes.odt"), 400, 50)} == {None}  # no pages


def test_a_label_printed_down_its_box_and_two_cells_side_by_side(tmp_path):
    down = ('<ofd:TextObject ID="3" Boundary="7 20 4 20" Size="3">' + "".join(
        f'<ofd:TextCode X="0" Y="{3 + 3.6 * i}">{c}</ofd:TextCode>' for i, c in enumerate("购买方信息")) + '</ofd:TextObject>')
    rows = (_text(12, 26, "名称：", 3) + _text(22.5, 26, "青岚云帆软件有限公司", 3)  # a label, its value 1.5 mm on
            + _text(12, 40, "500张/包", 3) + _text(25, 40, "包", 3)  # two cells 1 mm apart ("/" half-width)
            + _text(12, 50, "截至", 3) + _text(18, 50, "2025", 3) + _text(24, 50, "年底", 3))  # runs flush: one line of prose
    text = load_document(_ofd(tmp_path / "v.ofd", _one_page(down + rows))).text
    assert text.split("\n") == ["购买方信息", "名称：青岚云帆软件有限公司", "500张/包 包", "截至2025年底"]
