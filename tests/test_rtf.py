"""RTF files (.rtf, and RTF a system exported under a .doc name) and WPS Office's .wps/.et/.dps
files: read as the Word/Excel/PowerPoint documents they are, bad ones skipped with one line.

tests/fixtures/rtf/notice.rtf is LibreOffice's RTF of tests/fixtures/office97/notice.docx;
the other RTF files are laid out as Word and WordPad write Chinese RTF (GBK and Big5 byte
pairs, fonts' code pages, \\upr pairs, pictures, hidden text): see make_fixtures.py there."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.errors import DocumentError
from rag.formats import rtf
from rag.load import SUFFIXES, discover, load_document
from rag.records import Location

DATA = Path(__file__).parent / "fixtures" / "rtf"
OFFICE97 = Path(__file__).parent / "fixtures" / "office97"


def _text(body: str, head: str = r"{\rtf1\ansi\ansicpg936\deff0{\fonttbl{\f0\fnil\fcharset134 SimSun;}}") -> str:
    path = Path("x.rtf")
    return rtf.parse((head + body + "}").encode("ascii"), path, None).text


def test_an_rtf_reads_as_the_docx_it_was_saved_from():
    old, new = load_document(DATA / "notice.rtf"), load_document(OFFICE97 / "notice.docx")
    assert old.meta["encoding"] == "rtf"
    assert old.text == new.text and old.regions == new.regions and old.title == new.title
    assert "| 14:30 | 灭火器使用 （室外） |  |" in old.text  # a cell's two paragraphs, an empty cell


def test_word_chinese_rtf_byte_pairs_headings_table_footnote_and_header():
    doc = load_document(DATA / "report-gbk.rtf")
    assert doc.title == "二〇二四年度安全检查报告"  # from \info, GBK bytes
    assert doc.text.startswith("安全生产委员会\n\n## 一、检查概况")  # the header, its page number left out
    assert "本次检查于2024年11月5日至8日进行，共抽查车间12个，发现隐患37项。\n注1：其中重大隐患2项" in doc.text
    assert "负责人：鿏钢车间主任 周" in doc.text  # \upr read once; \u for a character GBK lacks, ?? skipped
    assert "### 二、隐患分布" in doc.text  # a style named 标题 2 in GBK bytes
    (table,) = doc.regions
    assert doc.text[table.start:table.end] == ("| 车间 | 隐患数 | 整改率 |\n| 冲压车间 （一号厂房） | 15 | 93% |\n"
                                               "| 焊装车间 | 22 | 100% |")
    assert table.location == Location("table", 1, rows=(1, 3))
    assert "详见 附表一。" in doc.text and "HYPERLINK" not in doc.text and "_Toc1" not in doc.text
    assert doc.text.endswith("内部资料 注意保存")  # the footer, once, at the end
    for absent in ("审阅中", "89504e47", "宋体", "Times New Roman", "质量部", "PAGE", "§"):
        assert absent not in doc.text  # hidden text, a picture, fonts, the author, field codes, a Wingdings bullet


def test_big5_rtf_and_a_traditional_heading_style():
    doc = load_document(DATA / "notice-big5.rtf")
    assert doc.text.startswith("## 停水通知\n\n因配合自來水管線汰換工程，本大樓將於2025年3月12日上午9時至下午5時停止供水。")
    assert "如遇雨延期，另行公告。" in doc.text and doc.title == "停水通知"


def test_wordpad_rtf_a_font_code_page_over_the_documents():
    doc = load_document(DATA / "wordpad.rtf")  # \ansicpg1252, the Chinese in a \fcharset134 font
    assert doc.text == "会议室预订须知\n每次预订不超过2小时。 Café area is open until 6 pm."


def test_unicode_escapes_skip_their_replacement_and_binary_data_is_no_text():
    assert _text(r"\uc1\u20013?\u25991?\par ") == "中文"
    assert _text(r"\uc0\u20013\u25991\par ") == "中文"
    assert _text(r"\uc1\u-10176?\u-9216?\u21517?\par ") == "\U00020000名"  # a surrogate pair: one character
    assert _text(r"\uc2\u20013\'d6\'d0 ok\par ") == "中 ok"  # the two bytes after \u are its 8-bit copy
    assert _text(r"\'d6\'d0{\*\unknowndest \'ce\'c4}\bin3 {}}x\par ") == "中x"  # an unknown \* group; raw bytes
    assert _text(r"a\line b\tab c\emdash d\~e\par ") == "a\nb\tc—d\u00a0e"


def test_an_endnote_is_numbered_as_one():
    text = _text(r"Text{\super\chftn}{\footnote\ftnalt\pard{\super\chftn} The end.}\par Next\par ")
    assert text == "Text\nEndnote 1: The end.\nNext"
    assert _text(r"Text{\super\chftn}{\footnote\pard{\super\chftn} A note.}\par ") == "Text\nNote 1: A note."


def test_renamed_rtf_is_read_as_what_it_is(tmp_path):
    shutil.copy(DATA / "notice.rtf", tmp_path / "导出.doc")  # a system's "export to Word"
    shutil.copy(OFFICE97 / "notice.doc", tmp_path / "旧文件.rtf")  # a Word file given the RTF name
    assert load_document(tmp_path / "导出.doc").meta["encoding"] == "rtf"
    assert load_document(tmp_path / "导出.doc").text == load_document(DATA / "notice.rtf").text
    assert load_document(tmp_path / "旧文件.rtf").meta["encoding"] == "doc"


@pytest.mark.parametrize("content, reason", [(b"just some words", "^not an RTF file"),
                                             (b"{\\rtf1\\ansi{\\fonttbl{\\f0 Arial;}}\\par }", "^empty")])
def test_bad_rtf_is_refused_with_one_line(tmp_path, content, reason):
    p = tmp_path / "bad.rtf"
    p.write_bytes(content)
    with pytest.raises(DocumentError, match=reason) as e:
        load_document(p)
    assert "\n" not in str(e.value)


def test_wps_office_files_are_read_as_the_office_files_they_hold(tmp_path):
    for src, name in (("notice.doc", "通知.wps"), ("sales.xls", "营业额.et"), ("deck.ppt", "培训.dps"),
                      ("notice.docx", "新通知.wps")):
        shutil.copy(OFFICE97 / src, tmp_path / name)
        assert load_document(tmp_path / name).text == load_document(OFFICE97 / src).text
    assert {".rtf", ".wps", ".et", ".dps"} <= set(SUFFIXES)
    assert len(discover([tmp_path]).files) == 4


def test_an_early_wps_file_is_refused_with_what_to_do(tmp_path):
    p = tmp_path / "旧.wps"
    p.write_bytes(b"\x00\x01WPS text of 1998" + b"\x00" * 200)
    with pytest.raises(DocumentError, match=r"early WPS .* save it as \.docx"):
        load_document(p)
    # a damaged compound file says so, not that it is an early WPS one
    p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x01" * 3000)
    with pytest.raises(DocumentError, match=r"^damaged \.wps file"):
        load_document(p)
