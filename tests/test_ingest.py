"""Load, clean and chunk: what users rely on when they drop messy files in a folder."""
import codecs
import re

import pytest

from rag.chunk import chunk_document
from rag.clean import clean
from rag.errors import DocumentError
from rag.load import decode, discover, load_document
from rag.zh import sentence_spans


def _doc(path):
    return clean(load_document(path))


def test_chunk_offsets_round_trip_on_seeds(seeds_dir):
    for path in sorted(seeds_dir.iterdir()):
        doc = _doc(path)
        chunks = chunk_document(doc, 300, 60)
        assert chunks
        for c in chunks:
            assert c.text == doc.text[c.start:c.end]
            assert len(c.text) <= 320  # size plus at most a heading line


@pytest.mark.parametrize("size", [60, 120, 300])
def test_numbers_are_never_split(seeds_dir, size):
    numbers = ["560亿", "41.44万", "61.06%", "3.74", "1200万", "13.2亿", "35.55%", "2.56亿"]
    doc = _doc(seeds_dir / "000_6d9cd55ab9d6cbba.txt")
    chunks = chunk_document(doc, size, 0)
    for n in numbers:
        assert n in doc.text
        for m in re.finditer(re.escape(n), doc.text):
            # the number lies wholly inside at least one chunk
            assert any(c.start <= m.start() and m.end() <= c.end for c in chunks), (n, size)


def test_sentences_not_cut_when_they_fit(seeds_dir):
    doc = _doc(seeds_dir / "000_6d9cd55ab9d6cbba.txt")
    for c in chunk_document(doc, 300, 60):
        assert c.text[-1] in "。！？；;:：\n" or c.end == len(doc.text) or len(c.text) > 200


def test_sentence_spans_keep_decimals():
    text = "澄川的份额为6.4%。预计算力2.85百亿亿次! Next one. Done"
    spans = [text[a:b] for a, b in sentence_spans(text)]
    assert spans == ["澄川的份额为6.4%。", "预计算力2.85百亿亿次!", "Next one.", "Done"]


def test_long_sentence_cut_at_clauses_not_inside_numbers():
    text = "，".join(["营收为27.38万辆"] * 40) + "。"
    from rag.records import Document

    chunks = chunk_document(Document("d", "d", text), 100, 0)
    assert len(chunks) > 1
    for c in chunks:
        assert len(c.text) <= 100
        assert not c.text.startswith((".", "38", "8万")), c.text[:10]


def test_front_matter_and_iframe(seeds_dir):
    doc = _doc(seeds_dir / "002_87ba7b168308daf7.txt")
    assert doc.title.startswith("【产经破壁机051】")
    assert doc.meta["date"].startswith("2024-11-30")
    assert "<iframe" not in doc.text and "bilibili" not in doc.text and "{.tabset}" not in doc.text
    assert "公司裁员不可怕" in doc.text


def test_markdown_headings_become_heading_path(tmp_path):
    p = tmp_path / "a.md"
    p.write_text("---\ntitle: 测试\n---\n# 公司\n## 产品\n第一句。第二句。\n", encoding="utf-8")
    doc = _doc(p)
    chunks = chunk_document(doc)
    assert doc.title == "测试"
    assert chunks[0].headings == ["公司", "产品"]


def test_scraper_spam_removed_and_recorded(seeds_dir):
    doc = _doc(seeds_dir / "000_6d9cd55ab9d6cbba.txt")
    rules = {d.rule for d in doc.dropped}
    assert {"disclaimer", "ad_link_run", "app_promo", "glued_ad_name"} <= rules
    for spam in ("文章来自网络", "长宏网配资", "佰朔资本", "优配网", "尽在新浪财经APP"):
        assert spam not in doc.text
    # the real sentences the spam was glued into survive
    assert "言图智能的定位是基于语言大模型技术" in doc.text
    assert "是这一领域收入最高的公司之一" in doc.text


def test_cleaner_keeps_real_finance_content(tmp_path):
    p = tmp_path / "news.txt"
    body = "证监会近日通报多起场外配资案件，涉案资本规模超过10亿元。\n国际资本持续流入A股市场。\n"
    p.write_text(body, encoding="utf-8")
    doc = _doc(p)
    assert doc.text == body.strip() and not doc.dropped


def test_a_pdf_with_tables_keeps_its_page_numbers_when_a_line_is_cleaned_away():
    from rag.clean import clean
    from rag.formats.pdftables import page_regions
    from rag.records import Document

    # an invented tea house's price list: a table on page 1, a promotion line under it, page 2 prose
    page1 = "价目表\n| 茶品 | 价格 |\n| 龙井 | 38元 |\n| 普洱 | 42元 |\n扫码关注我们领取优惠券"
    page2 = "营业时间为每日10时至22时。"
    text = page1 + "\n\n" + page2
    pages = [(1, 0), (2, len(page1) + 2)]
    doc = Document(doc_id="p.pdf", path="p.pdf", text=text, title="价目表", pages=pages,
                   regions=page_regions(text, pages))
    cleaned = clean(doc)
    assert "扫码关注" not in cleaned.text and [d.rule for d in cleaned.dropped] == ["app_promo"]
    second = cleaned.text.index("营业时间")
    assert cleaned.page_at(second) == 2 and cleaned.page_at(second - 3) == 1
    assert cleaned.pages == [(1, 0), (2, second)]
    # nothing cleaned away: the pages as they were
    kept = text.replace("扫码关注我们领取优惠券", "谢谢惠顾")
    kept_pages = [(1, 0), (2, kept.index("营业时间"))]
    assert clean(Document(doc_id="q.pdf", path="q.pdf", text=kept, title="", pages=kept_pages,
                          regions=page_regions(kept, kept_pages))).pages == kept_pages


def test_encodings(tmp_path):
    text = "澄川数据成立于2016年。"
    cases = {"gbk.txt": text.encode("gbk"), "gb18030.txt": text.encode("gb18030"),
             "bom.txt": codecs.BOM_UTF8 + text.encode(), "u16.txt": text.encode("utf-16"),
             "plain.txt": text.encode()}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        assert load_document(tmp_path / name).text == text, name


def test_bad_files_give_reasons(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "bin.txt").write_bytes(bytes(range(256)) * 20)
    for name, reason in (("empty.txt", "empty"), ("bin.txt", "binary")):
        with pytest.raises(DocumentError, match=reason):
            load_document(tmp_path / name)


def test_discover_recurses_skips_unsupported_and_loops(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.md").write_text("x")
    (tmp_path / "b.pages").write_text("x")  # Apple Pages: not read
    (tmp_path / "sub" / "loop").symlink_to(tmp_path)
    found = discover([tmp_path])
    assert [d for d, _ in found.files] == ["sub/a.md"]
    reasons = " ".join(s.reason for s in found.skipped)
    assert "unsupported" in reasons


def test_html_main_text(tmp_path):
    p = tmp_path / "p.html"
    p.write_text("<html><head><title>标题</title><script>var x=1;</script></head><body><nav>菜单</nav>"
                 "<p>正文第一段。</p><p>第二段&amp;结束。</p><footer>版权</footer></body></html>", encoding="utf-8")
    doc = _doc(p)
    assert doc.title == "标题"
    assert doc.text == "正文第一段。\n\n第二段&结束。"


def test_html_chrome_built_of_divs_is_left_out(tmp_path):
    """A cookie notice, a breadcrumb trail, a top bar and ad slots made of plain <div>s (known
    by a class word or an ARIA role) are no part of the page's text; nested divs inside
    them are skipped with them, and the text after them is kept. A class that only
    contains such letters (share-price, download) is no chrome."""
    p = tmp_path / "w.html"
    p.write_text('<body><div class="top-bar">Log in | Cart (0)</div>'
                 '<div class="breadcrumb">Home &gt; Support</div>'
                 '<div role="navigation"><a href="/">Home</a></div>'
                 '<div id="main"><p>Warranty lasts two years.</p>'
                 '<div class="ad-slot"><div>Half price today</div><div>Subscribe</div></div>'
                 '<div class="share-price download">Shares rose 3%.</div></div>'
                 '<div class="cookie-banner"><p>This site uses cookies.</p><div><span>Accept</span></div></div>'
                 '<p>Call us on weekdays.</p></body>', encoding="utf-8")
    assert _doc(p).text == "Warranty lasts two years.\n\nShares rose 3%.\n\nCall us on weekdays."


def test_a_saved_wiki_page_reads_without_its_edit_links_and_category_list(tmp_path):
    """A wiki article saved from the browser (MediaWiki's markup, which other wikis reuse)
    read "Jump to content" atop the text, "[edit]" under every heading, "^ a b" before
    every reference and its categories at the foot; the article, its headings and its
    references are kept. Classes that only contain such words are no chrome (an editor's
    note, a printable form, a link list)."""
    p = tmp_path / "river.html"
    p.write_text('<body><a class="mw-jump-link" href="#content">Jump to content</a>'
                 '<div id="siteSub" class="noprint">From Examplepedia, the free encyclopedia</div>'
                 '<div class="mw-heading mw-heading2"><h2 id="Course">Course</h2>'
                 '<span class="mw-editsection"><span class="mw-editsection-bracket">[</span>'
                 '<a href="?action=edit">edit</a><span class="mw-editsection-bracket">]</span></span></div>'
                 '<p>The river rises at 612 metres.</p>'
                 '<ol class="references"><li><span class="mw-cite-backlink">^ <a>a</a> <a>b</a></span> '
                 '<span class="reference-text">Harrow (2004). Rivers.</span></li></ol>'
                 '<div id="catlinks" class="catlinks"><a>Categories</a>: <ul><li>Rivers</li></ul></div>'
                 '<div class="editor-note">Reviewed by the editors in 2024.</div>'
                 '<div class="printable-form">Form B</div><a class="link-list" href="/a">Related rivers</a>'
                 '</body>', encoding="utf-8")
    assert _doc(p).text == ("## Course\n\nThe river rises at 612 metres.\n\n1. Harrow (2004). Rivers.\n\n"
                            "Reviewed by the editors in 2024.\n\nForm B\nRelated rivers")


def test_html_table_rows_keep_their_cells_apart(tmp_path):
    """A table's cells joined as they stand ran together ("Thursday10:00 am"): each row is a
    markdown-style row, one a line; a heading is a markdown heading (the chunker's heading
    path), as the .docx parser writes them; the text around the table and a table inside a
    cell read as before."""
    p = tmp_path / "hours.html"
    p.write_text("<h2>Opening hours</h2><table>\n  <tr><th>Day</th><th>Hours</th></tr>\n"
                 "  <tr><td>Thursday</td><td>10:00 am – 7:00 pm</td></tr>\n"
                 "  <tr><td>Friday<td>8:00 am<br>– 3:00 pm</tr>\n</table><p>Closed on holidays.</p>"
                 "<table><tr><td>outer<table><tr><td>in</td><td>side</td></tr></table></td><td>x</td></tr></table>",
                 encoding="utf-8")
    assert _doc(p).text == ("## Opening hours\n\n| Day | Hours |\n| Thursday | 10:00 am – 7:00 pm |\n"
                            "| Friday | 8:00 am – 3:00 pm |\n\nClosed on holidays.\n\n| outer in side | x |")

def test_an_html_ordered_list_shows_its_numbers_as_a_browser_does(tmp_path):
    """A browser numbers an <ol>'s items, which the HTML leaves out; a how-to question asks
    for step 3. Bulleted items get no number; start, type and value are honoured."""
    p = tmp_path / "steps.html"
    p.write_text("<p>除垢步骤：</p><ol><li>倒入白醋</li><li>煮沸<ul><li>不要盖盖</li></ul></li><li>冲洗</li></ol>"
                 "<ol start='4'><li>晾干</li></ol><ol type='a'><li>甲</li><li value='5'>戊</li></ol>", encoding="utf-8")
    assert _doc(p).text == "除垢步骤：\n\n1. 倒入白醋\n\n2. 煮沸\n\n不要盖盖\n\n3. 冲洗\n\n4. 晾干\n\na. 甲\n\ne. 戊"


def test_a_short_first_line_is_the_title_of_a_document_without_one(tmp_path):
    """A report's name atop its text is its title (as the development sets' articles are
    indexed); a first line that is a sentence, or a title the file states, is not taken."""
    (tmp_path / "report.txt").write_text("青石水务集团有限公司\n\n2025年实现营业收入48.62亿元。\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("2025年实现营业收入48.62亿元，同比增长6.8%。\n第二行。\n", encoding="utf-8")
    (tmp_path / "titled.md").write_text("---\ntitle: 年度报告\n---\n青石水务集团\n\n正文。\n", encoding="utf-8")
    report = _doc(tmp_path / "report.txt")
    assert report.title == "青石水务集团有限公司" and report.text.startswith("青石水务集团有限公司")
    assert _doc(tmp_path / "notes.txt").title == "notes"
    assert _doc(tmp_path / "titled.md").title == "年度报告"

def test_decode_rejects_nonsense():
    with pytest.raises(DocumentError):
        decode(b"\x00\x01\x02\x03" * 100)


def _pdf(path, pages):
    """A real PDF written by matplotlib: text pages (with a text layer) or image-only pages."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.backends.backend_pdf import PdfPages

    with PdfPages(path) as pdf:
        for content in pages:
            fig = plt.figure(figsize=(4, 3))
            if content is None:
                fig.figimage(np.random.default_rng(0).random((50, 50)))
            else:
                fig.text(0.05, 0.5, content)
            pdf.savefig(fig)
            plt.close(fig)


def test_pdf_pages_are_kept(tmp_path):
    from rag.chunk import chunk_document

    p = tmp_path / "report.pdf"
    _pdf(p, ["Revenue rose 12 percent in 2024.", "The chip business was spun off."])
    doc = _doc(p)
    assert "Revenue rose 12 percent" in doc.text and "spun off" in doc.text
    assert [n for n, _ in doc.pages] == [1, 2]
    chunks = chunk_document(doc, 50, 0)
    page_of = {c.text: c.page for c in chunks}
    assert page_of[next(t for t in page_of if "spun off" in t)] == 2
    assert page_of[next(t for t in page_of if "Revenue" in t)] == 1


def test_pdf_without_text_layer_says_ocr(tmp_path, monkeypatch):
    # The page is OCR'd (tests/test_ocr.py); here the engine (stubbed) finds nothing.
    import rag.formats.ocr

    monkeypatch.setenv("RAG_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(rag.formats.ocr, "run_engine", lambda image: [])
    p = tmp_path / "scan.pdf"
    _pdf(p, [None])
    with pytest.raises(DocumentError, match="no text layer and OCR found no text"):
        load_document(p)


def test_oversize_file_refused_without_reading(tmp_path, monkeypatch):
    import rag.load

    monkeypatch.setattr(rag.load, "MAX_BYTES", 1024)
    p = tmp_path / "huge.txt"
    with open(p, "wb") as f:
        f.truncate(5 * 1024 * 1024)  # sparse: no memory or disk used
    monkeypatch.setattr(type(p), "read_bytes", lambda self: pytest.fail("read an oversize file"))
    with pytest.raises(DocumentError, match="too large.*RAG_MAX_FILE_MB"):
        load_document(p)



def test_radicals_a_pdf_text_layer_holds_for_ideographs_are_read_as_those(tmp_path):
    # Chrome prints Chinese in Noto CJK with radicals' code points for shared glyphs: the
    # text as copied from such a PDF says ⽇⽉潭⻑約 for 日月潭長約.
    p = tmp_path / "copied.txt"
    p.write_text("⽇⽉潭⻑約2.5公⾥，⽔深27公尺。", encoding="utf-8")
    text = _doc(p).text
    assert text == "日月潭長約2.5公里，水深27公尺。"
    # one character for one: offsets into the file's text stay right
    assert len(text) == len("⽇⽉潭⻑約2.5公⾥，⽔深27公尺。")


def test_ideographs_and_other_symbols_are_kept_as_written(tmp_path):
    p = tmp_path / "plain.txt"
    written = "日月潭長約2.5公里（约8.2英里）→ 水深27 m²，①②。"
    p.write_text(written, encoding="utf-8")
    assert _doc(p).text == written


def test_a_manuals_barcode_scanning_is_no_app_promotion(tmp_path):
    p = tmp_path / "仓库手册.md"
    p.write_text("# 入库\n\n- 手持终端固件须为 2.1 及以上，否则扫码入库会失败。\n\n"
                 "| scanner_port | 9100 | 扫码枪连接端口 |\n\n扫码关注公众号\n\n长按识别二维码领取资料\n", encoding="utf-8")
    doc = _doc(p)
    assert "扫码入库会失败" in doc.text and "扫码枪连接端口" in doc.text
    # a promotion line is still dropped, and recorded
    assert [d.text for d in doc.dropped] == ["扫码关注公众号", "长按识别二维码领取资料"]
    assert {d.rule for d in doc.dropped} == {"app_promo"}


def test_big5_is_read_as_big5_and_gbk_stays_gbk(tmp_path):
    # an invented Hong Kong notice, as a legacy editor saves it
    notice = "各位同事：\r\n公司將於11月15日（星期六）舉辦秋季旅遊，費用每位港幣250元，請於10月24日前向人力資源部報名。\r\n"
    (tmp_path / "notice.txt").write_bytes(notice.encode("big5"))
    doc = load_document(tmp_path / "notice.txt")
    assert doc.meta["encoding"] == "big5hkscs" and "舉辦秋季旅遊" in doc.text and "港幣250元" in doc.text
    # simplified text in GBK, which Big5 cannot read or reads as nonsense: GB18030 as before
    memo = "各位同事：公司将于11月15日举办秋季旅游，请于10月24日前向人力资源部报名。\r\n"
    (tmp_path / "memo.txt").write_bytes(memo.encode("gbk"))
    assert load_document(tmp_path / "memo.txt").meta["encoding"] == "gb18030"
    assert decode("澄川数据成立于2016年。".encode("gbk")) == ("澄川数据成立于2016年。", "gb18030")


def test_a_pdfs_running_header_and_page_numbers_are_read_once_or_not_at_all(tmp_path):
    from rag.formats.pagelines import without_running_lines

    # an invented pump manual: its name atop each page, "Page n of 3" at the foot, and a
    # totals line at each page's foot that is the document's own (other numbers each time)
    pages = [f"Kestrel Pump Manual\n{body}\nSubtotal {n * 7} litres\nPage {n} of 3"
             for n, body in enumerate(("Prime the pump first.", "Check the seal.", "Drain before winter."), 1)]
    assert without_running_lines(pages) == [
        "Kestrel Pump Manual\nPrime the pump first.\nSubtotal 7 litres",
        "Check the seal.\nSubtotal 14 litres", "Drain before winter.\nSubtotal 21 litres"]
    # two pages, or a line repeated outside the margins, are no running header
    assert without_running_lines(["正文一\n第 1 页", "正文二\n第 2 页"]) == ["正文一\n第 1 页", "正文二\n第 2 页"]
    body = [f"第{n}节\n引言{n}\n注意安全\n小结{n}\n完{n}" for n in "一二三"]
    assert without_running_lines(body) == body
    p = tmp_path / "manual.pdf"
    _pdf(p, pages)
    doc = _doc(p)
    assert doc.text.count("Kestrel Pump Manual") == 1 and "Page 2" not in doc.text and "Subtotal 21" in doc.text
    assert [n for n, _ in doc.pages] == [1, 2, 3] and doc.text[doc.pages[1][1]:].startswith("Check the seal.")


def test_a_pdfs_chinese_lines_wrapped_at_the_margin_are_joined(tmp_path):
    from rag.formats.pagelines import unwrapped

    # an invented water utility's report as a PDF's text layer gives it: lines of 40
    # ideographs, a paragraph's last line short, a list, an English line
    full = 2 * 40 * 0.85
    text = ("本公司全年供水总量为三亿二千万立方米，比上年增加百分之四点二，其中居民生活用水占百分之五十八，工业用\n"
            "水占百分之二十七，其余为公共服务用水。\n"
            "主要工作如下：\n"
            "一、完成城东水厂扩建工程，日供水能力提高到每日四十万立方米，满足新区发展的用水需要，全年无停水\n"
            "二、更换老旧管网一百二十公里。\n"
            "The plant's capacity rose to 400,000 cubic metres a day after the eastern works were finish\n"
            "ed in May.")
    lines = unwrapped(text, full).split("\n")
    assert lines[0].endswith("其中居民生活用水占百分之五十八，工业用水占百分之二十七，其余为公共服务用水。")
    assert lines[1:4] == ["主要工作如下：", "一、完成城东水厂扩建工程，日供水能力提高到每日四十万立方米，满足新区发展的用水需要，全年无停水",
                          "二、更换老旧管网一百二十公里。"]  # an item opens a line of its own
    assert lines[4].endswith("finish") and lines[5] == "ed in May."  # English lines as they are
    assert unwrapped("短行\n另一行", full) == "短行\n另一行"  # short lines never ran into the margin
    # a line that ran into the margin in the middle of a figure and its measure word
    cut = "本年度共更换老旧管网一百二十公里，新建加压泵站三座，城区各级抢修队伍人数合计不少于30\n人，全年抢修及时率达到百分之百。"
    assert unwrapped(cut, full) == cut.replace("\n", "")
    listed = "本年度共更换老旧管网一百二十公里，新建加压泵站三座，城区各级抢修队伍人数合计不少于30\n1. 城东抢修队"
    assert unwrapped(listed, full) == listed  # (the next line opens an item)
    phone = "本年度共更换老旧管网一百二十公里，新建加压泵站三座，如遇停水请拨打抢修热线0000-0000\n转人工服务。"
    assert unwrapped(phone, full) == phone  # (a number not run on from Chinese: a telephone's, a code's)
