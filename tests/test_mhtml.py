"""Web pages saved as one file (.mht / .mhtml): Word's and Excel's "Single File Web Page" and a
browser's "Webpage, Single File", read as the page they hold; bad ones refused with one line.
The fixtures are written by tests/fixtures/mhtml/make_fixtures.py as those programs lay them out."""
from __future__ import annotations

from pathlib import Path

import pytest

from rag.errors import DocumentError
from rag.formats.webpage import html_to_text
from rag.load import SUFFIXES, discover, load_document
from rag.records import Location

DATA = Path(__file__).parent / "fixtures" / "mhtml"


def test_a_word_single_file_web_page_in_gb2312():
    doc = load_document(DATA / "notice.mht")
    assert doc.title == "关于冬季供暖调整的通知" and doc.meta["encoding"] == "mhtml"
    assert doc.text.startswith("# 关于冬季供暖调整的通知\n\n各住户：\n\n今年供暖自11月15日开始，室温不低于18℃。")
    assert "检查暖气阀门" in doc.text and "缴纳采暖费" in doc.text  # Word's list items
    (table,) = doc.regions
    assert doc.text[table.start:table.end] == "| 面积 | 单价 |\n| 每平方米 | 24元 |\n| 车库 | 不收费 |"
    assert table.location == Location("table", 1, rows=(1, 3))
    for absent in ("办公室", "mso-style", "单个文件网页", "PNG"):  # properties, styles, the preamble, a picture
        assert absent not in doc.text


def test_a_browser_saved_page_is_its_start_page_without_frames_or_navigation():
    doc = load_document(DATA / "page.mhtml")
    assert doc.title == "Library opening hours"
    assert doc.text == ("# Opening hours\n\nThe reading room opens at 9 am on weekdays.\n\n"
                        "| Day | Hours |\n| Saturday | 10:00-16:00 |\n| Sunday | Closed |")
    assert "Advertisement" not in doc.text  # an iframe's own HTML part is not the page


def test_an_excel_workbook_page_reads_the_sheets_its_frameset_shows():
    doc = load_document(DATA / "book.mht")
    assert doc.text == "| 品名 | 库存 |\n| 扳手 | 12 |\n| 钳子 | 7 |\n\n| 仓库 | 地址 |\n| 东库 | 滨河路3号 |\n| 西库 | 工业园8号 |"
    assert [r.location.number for r in doc.regions] == [1, 2]
    assert {".mht", ".mhtml"} <= set(SUFFIXES) and len(discover([DATA]).files) == 3


def test_an_inline_tag_in_a_table_cell_is_no_gap():
    assert html_to_text("<table><tr><td><b>24</b>元</td><td>m<sup>3</sup>/s</td></tr></table>")[1] == "| 24元 | m3/s |"
    assert html_to_text("<table><tr><td><p>甲</p><p>乙</p></td></tr></table>")[1] == "| 甲 乙 |"  # paragraphs are


@pytest.mark.parametrize("content, reason", [
    (b"just some words", r"^not a saved web page"),
    (b'MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary="b"\r\n\r\n--b\r\nContent-Type: image/png\r\n\r\n'
     b"xx\r\n--b--\r\n", r"^not a saved web page \(no HTML part"),
])
def test_bad_saved_pages_are_refused_with_one_line(tmp_path, content, reason):
    path = tmp_path / "bad.mht"
    path.write_bytes(content)
    with pytest.raises(DocumentError, match=reason) as e:
        load_document(path)
    assert "\n" not in str(e.value)
