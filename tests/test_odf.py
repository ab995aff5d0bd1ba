"""OpenDocument files (.odt .ods .odp and the flat .fodt .fods .fodp), as LibreOffice and WPS
write them and as Taiwan's government keeps its files: read as their Office counterparts are,
what is not the document's text left out, bad ones refused with one line.

notice.odt, sales.ods and deck.odp are LibreOffice's saves of tests/fixtures/office97's
.docx/.xlsx/.pptx; minutes.odt/.fodt and budget.ods are written by make_fixtures.py there."""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from rag.errors import DocumentError
from rag.formats import Limits, odf
from rag.load import SUFFIXES, discover, load_document
from rag.records import Location

DATA = Path(__file__).parent / "fixtures" / "odf"
OFFICE97 = Path(__file__).parent / "fixtures" / "office97"
_TEXT = "application/vnd.oasis.opendocument.text"
_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
       'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
       'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
       'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"')


def _odf(path: Path, body: str, mime: str = _TEXT, extra: dict[str, bytes] | None = None, styles: str = "") -> Path:
    """An OpenDocument zip whose content.xml holds ``body`` (the inside of office:body) after
    the automatic ``styles``."""
    content = (f'<?xml version="1.0"?><office:document-content {_NS}>{styles}<office:body>{body}</office:body>'
               '</office:document-content>')
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", mime, compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", content)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return path


def test_odf_files_read_as_the_office_files_they_were_saved_from():
    for ours, theirs in (("notice.odt", "notice.docx"), ("deck.odp", "deck.pptx")):
        new, old = load_document(DATA / ours), load_document(OFFICE97 / theirs)
        assert (new.text, new.regions, new.title) == (old.text, old.regions, old.title)
    sheet, book = load_document(DATA / "sales.ods"), load_document(OFFICE97 / "sales.xlsx")
    # the same rows, and the total LibreOffice computed (openpyxl saved the formula uncomputed)
    assert sheet.text == book.text + " | 1月: 2230.5"
    assert [r.location for r in sheet.regions] == [r.location for r in book.regions]
    assert sheet.meta["encoding"] == "ods"


def test_a_text_document_numbered_lists_notes_header_and_merged_cells():
    doc = load_document(DATA / "minutes.odt")
    assert doc.title == "业主委员会会议纪要"
    assert doc.text.startswith("绿荫物业服务中心\n\n# 业主委员会会议纪要\n\n## 一、会议事项")  # header once, no page number
    assert "应到委员7人，实到6人。\n注1：缺席委员已书面请假。" in doc.text  # the footnote after its paragraph
    # the numbers the list style shows, nested ones by their own level; a bullet gets none
    assert "检修步骤如下：\n1. 关闭总阀门。\n2. 排空管道余水。\n(a) 打开最低处的泄水阀；\n(b) 等待十分钟。\n" \
           "3. 更换老化的阀芯。\n注意佩戴手套" in doc.text
    assert "一、秩序维护：张海明\n二、绿化养护：李春燕" in doc.text
    (table,) = doc.regions
    assert doc.text[table.start:table.end] == ("| 楼栋 | 负责人及电话 |  |\n| 1号楼 | 张海明 | 分机 8801 |\n"
                                               "| 1号楼 | 王丽 | 分机 8802 |\n| 待定 | — | — |\n| 待定 | — | — |")
    assert table.location == Location("table", 1, rows=(1, 5))
    assert "散会。\n下次会议：6月3日" in doc.text and doc.text.count("下次会议") == 1  # a text box, once
    assert doc.text.endswith("内部资料 注意保存")  # the footer, once, at the end


def test_what_is_not_the_documents_text_is_left_out():
    doc = load_document(DATA / "minutes.odt")
    assert "停车费调整为每户每月150元。" in doc.text
    for absent in ("120元",  # a tracked deletion
                   "日期待核对", "秘书",  # a comment and its author
                   "草稿，勿外传",  # hidden text
                   "目录", "会议事项 1",  # the table of contents
                   "第 1 页"):  # the header's page number
        assert absent not in doc.text


def test_the_flat_one_file_form_reads_as_the_zipped_one():
    flat, zipped = load_document(DATA / "minutes.fodt"), load_document(DATA / "minutes.odt")
    assert (flat.text, flat.regions, flat.title) == (zipped.text, zipped.regions, zipped.title)
    assert {".odt", ".ods", ".odp", ".fodt", ".fods", ".fodp"} <= set(SUFFIXES)


def test_a_spreadsheet_repeated_cells_typed_values_and_empty_sheets():
    doc = load_document(DATA / "budget.ods")
    assert doc.title == "budget"  # no title in its properties: the file's name
    assert doc.text == (
        "# 经费\n2025年度社区活动经费\n"  # a title merged over the columns, above the header
        "项目: 重阳敬老 | 日期: 2025-10-29 | 金额: NT$12,000 | 占比: 40%\n"  # money and a share as shown
        "项目: 读书会 | 日期: 2025-11-08 14:30 | 金额: 4500 | 占比: 15%\n"  # a row written once, repeated
        "项目: 读书会 | 日期: 2025-11-08 14:30 | 金额: 4500 | 占比: 15%\n"
        "金额: 21000 | 占比: TRUE\n\n"  # a formula's value
        "# 值班\n时间: 08:30 | 值班人: 周敏")  # a cell's comment (可调班) left out
    assert doc.regions[1].location == Location("sheet", name="经费", rows=(3, 6))
    assert doc.meta["notes"] == ["sheet '空表' is empty (left out)"]  # a million empty rows, not expanded


def test_a_long_sheet_stops_at_the_row_limit_and_says_so(tmp_path):
    rows = "".join(f'<table:table-row><table:table-cell office:value-type="float" office:value="{i}"/></table:table-row>'
                   for i in range(50))
    path = _odf(tmp_path / "long.ods", f'<office:spreadsheet><table:table table:name="数据">{rows}</table:table>'
                f'<table:table table:name="后面"><table:table-row><table:table-cell office:value-type="string">'
                f'<text:p>x</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>',
                "application/vnd.oasis.opendocument.spreadsheet")
    got = odf.parse(path.read_bytes(), path, Limits(10 << 20, max_rows=20))
    assert got.text.count("\n") == 20  # the heading and 20 rows
    assert got.notes == ["partly indexed: only the first 20 rows; 29 more rows from sheet '数据' row 22 on left out",
                         "sheet '后面' left out (row limit reached)"]
    whole = odf.parse(path.read_bytes(), path, Limits(10 << 20))  # under the limit: all of both sheets
    assert whole.text.endswith("0: 49\n\n# 后面\nx") and whole.notes == []


def test_a_cell_whose_value_its_type_does_not_read_is_the_text_it_shows(tmp_path):
    cells = ('<table:table-row><table:table-cell office:value-type="string"><text:p>日期</text:p></table:table-cell>'
             '<table:table-cell office:value-type="string"><text:p>数量</text:p></table:table-cell></table:table-row>'
             '<table:table-row><table:table-cell office:value-type="date" office:date-value="2025-13-45">'
             '<text:p>2025年13月</text:p></table:table-cell><table:table-cell office:value-type="float">'
             '<text:p>无</text:p></table:table-cell></table:table-row>'
             '<table:table-row><table:table-cell office:value-type="date" office:date-value="2025-03-01">'
             '<text:p>3月1日</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="7">'
             '<text:p>7</text:p></table:table-cell></table:table-row>')
    path = _odf(tmp_path / "odd.ods", f'<office:spreadsheet><table:table table:name="S">{cells}</table:table>'
                '</office:spreadsheet>', "application/vnd.oasis.opendocument.spreadsheet")
    assert load_document(path).text == "# S\n日期: 2025年13月 | 数量: 无\n日期: 2025-03-01 | 数量: 7"


def test_lists_restart_unless_they_continue(tmp_path):
    style = ('<office:automatic-styles><text:list-style style:name="L1"><text:list-level-style-number text:level="1" '
             'style:num-suffix="." style:num-format="1"/></text:list-style></office:automatic-styles>')
    item = '<text:list-item><text:p>{}</text:p></text:list-item>'
    body = ('<office:text><text:list text:style-name="L1">' + item.format("甲") + item.format("乙") + '</text:list>'
            '<text:p>说明</text:p><text:list text:style-name="L1" text:continue-numbering="true">' + item.format("丙")
            + '</text:list><text:list text:style-name="L1">' + item.format("丁") + '</text:list></office:text>')
    path = _odf(tmp_path / "list.odt", body, styles=style)
    assert load_document(path).text == "1. 甲\n2. 乙\n说明\n3. 丙\n1. 丁"


def test_a_numbered_heading_keeps_the_number_it_shows(tmp_path):
    body = ('<office:text><text:h text:outline-level="1"><text:number>1.</text:number>Scope</text:h>'
            '<text:h text:outline-level="2"><text:number>第二章</text:number>范围</text:h>'
            '<text:h text:outline-level="2"><text:number>三、</text:number>附则</text:h>'
            '<text:h text:outline-level="2">附录</text:h></office:text>')
    assert load_document(_odf(tmp_path / "h.odt", body)).text == "## 1. Scope\n\n### 第二章 范围\n\n### 三、附则\n\n### 附录"


def test_renamed_files_are_read_as_what_they_are(tmp_path):
    shutil.copy(DATA / "notice.odt", tmp_path / "通知.docx")  # an .odt given a Word name
    shutil.copy(OFFICE97 / "sales.xlsx", tmp_path / "营业额.ods")  # an Excel file given an ODF name
    shutil.copy(DATA / "budget.ods", tmp_path / "经费.odt")  # a spreadsheet given the text name
    assert load_document(tmp_path / "通知.docx").meta["encoding"] == "odt"
    assert load_document(tmp_path / "营业额.ods").text == load_document(OFFICE97 / "sales.xlsx").text
    assert load_document(tmp_path / "经费.odt").text == load_document(DATA / "budget.ods").text
    assert len(discover([tmp_path]).files) == 3


@pytest.mark.parametrize("make, reason", [
    (lambda p: p.write_bytes(b"PK\x03\x04 cut short"), r"^damaged \.odt file"),
    (lambda p: _odf(p, "<office:text><text:p>x</text:p></office:text>",
                    extra={"META-INF/manifest.xml": b'<manifest:encryption-data manifest:checksum="x"/>'}),
     r"^password-protected"),
    (lambda p: _odf(p, "<office:drawing><text:p>x</text:p></office:drawing>"), r"OpenDocument drawing is not read"),
    (lambda p: _odf(p, "<office:text><text:p>x</office:text>"), r"^damaged OpenDocument file \(bad XML"),
    (lambda p: _odf(p, "<office:text><text:p> </text:p></office:text>"), r"^empty"),
])
def test_bad_odf_files_are_refused_with_one_line(tmp_path, make, reason):
    path = tmp_path / "bad.odt"
    make(path)
    with pytest.raises(DocumentError, match=reason) as e:
        load_document(path)
    assert "\n" not in str(e.value)


def test_a_zip_without_content_is_no_opendocument(tmp_path):
    path = tmp_path / "空.odt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(DocumentError, match=r"^not an OpenDocument file \(no content\.xml"):
        load_document(path)
