"""Office 97-2003 files (.doc, .xls, .ppt) and e-mails (.eml): read as their 2007 formats
are, renamed files read as what they are, bad files skipped with a one-line reason.

The .doc/.xls/.ppt files in tests/fixtures/office97/ were written by LibreOffice from the
.docx/.xlsx/.pptx beside them and from an RTF (tests/fixtures/office97/make_fixtures.py); the
content is invented. E-mails are written here with the standard library, as a mail client
saves them."""
from __future__ import annotations

import io
import shutil
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from rag.chunk import chunk_document
from rag.errors import DocumentError
from rag.load import load_document
from rag.records import LOCATION_LABELS, Location

DATA = Path(__file__).parent / "fixtures" / "office97"


# ------------------------------------------------------------------ .doc

def test_a_doc_reads_as_the_same_docx_does():
    old, new = load_document(DATA / "notice.doc"), load_document(DATA / "notice.docx")
    assert old.text == new.text and old.regions == new.regions
    assert old.title == "年度消防演练通知" and old.meta["encoding"] == "doc"
    assert old.text.startswith("青禾包装有限公司 内部文件\n\n# 年度消防演练通知\n\n## 一、时间地点")  # header, headings
    assert "| 14:30 | 灭火器使用 （室外） |  |" in old.text  # a cell of two paragraphs; an empty cell kept
    assert "第 1 页" not in old.text  # the footer held only the page number


def test_a_doc_footnote_follows_its_paragraph_and_a_field_is_its_result():
    doc = load_document(DATA / "notes.doc")
    assert "The deposit is refunded within 10 days.\nNote 1: Only after the keys are returned." in doc.text
    assert "See the tenant portal for forms." in doc.text and "HYPERLINK" not in doc.text
    assert doc.text.startswith("Lark Valley Lettings")  # the page header; its footer's "Page 1 of 3" left out
    assert "Page" not in doc.text
    (table,) = doc.regions
    assert doc.text[table.start:table.end] == "| Name | Role | Note |\n| Ann Park | Chair Finance |  |"
    assert table.location == Location("table", 1, rows=(1, 2))


def test_a_docs_numbered_paragraphs_show_the_numbers_word_shows(tmp_path):
    """A .doc keeps list numbers in its list tables, as a .docx does in numbering.xml: read as
    LibreOffice's text export of the same file shows them. A damaged list table costs the
    numbers, never the text."""
    doc = load_document(DATA / "steps.doc")
    assert doc.text == ("准备工作：\n1. 关闭总阀门。\n2. 排空余水。\n3. 更换阀芯。\n（此行不编号）\n"
                        "第一步 断电\n一.1 拔下插头\n一.2 等待五分钟\n第二步 开盖\n二.1 取出滤网")
    from rag.formats.doclists import DocNumbering

    broken = DocNumbering(b"\x05\x00" + b"\x00" * 10, (0, 12), (0, 0))  # five lists claimed, none there
    assert broken.lists == {} and broken.label(1, 0) == ""


def test_renamed_office_files_are_read_as_what_they_are(tmp_path):
    shutil.copy(DATA / "notice.doc", tmp_path / "通知.docx")  # an old file given the new name
    shutil.copy(DATA / "notice.docx", tmp_path / "通知2.doc")  # and the other way round
    shutil.copy(DATA / "sales.xls", tmp_path / "sales.doc")  # a workbook named like a Word file
    assert load_document(tmp_path / "通知.docx").meta["encoding"] == "doc"
    assert load_document(tmp_path / "通知2.doc").meta["encoding"] == "docx"
    assert load_document(tmp_path / "sales.doc").meta["encoding"] == "xls"
    assert load_document(tmp_path / "通知.docx").text == load_document(DATA / "notice.docx").text


def test_exports_named_xls_that_are_a_web_page_or_text_are_read_as_such(tmp_path):
    rows = [("姓名", "部门", "工号"), ("王芳", "财务部", "1021"), ("李强", "销售部", "1044")]
    (tmp_path / "名单.xls").write_text("<html><head><meta charset='utf-8'></head><body><table>" + "".join(
        "<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows) + "</table></body></html>", encoding="utf-8")
    (tmp_path / "名单2.xls").write_text("\n".join("\t".join(r) for r in rows) + "\n", encoding="gbk")
    page, text = load_document(tmp_path / "名单.xls"), load_document(tmp_path / "名单2.xls")
    assert page.text == "| 姓名 | 部门 | 工号 |\n| 王芳 | 财务部 | 1021 |\n| 李强 | 销售部 | 1044 |"
    assert page.regions[0].location == Location("table", 1, rows=(1, 3))
    assert text.text == "# 名单2\n姓名: 王芳 | 部门: 财务部 | 工号: 1021\n姓名: 李强 | 部门: 销售部 | 工号: 1044"
    assert text.meta["encoding"] == "gb18030"
    with pytest.raises(DocumentError):  # words with neither: no table to read, and no workbook
        (tmp_path / "x.xls").write_text("nothing to see", encoding="utf-8")
        load_document(tmp_path / "x.xls")


def test_an_encrypted_doc_is_refused_with_a_reason(tmp_path):
    import olefile

    p = tmp_path / "locked.doc"
    shutil.copy(DATA / "notice.doc", p)
    with olefile.OleFileIO(str(p), write_mode=True) as ole:  # fEncrypted, as Word sets it
        word = bytearray(ole.openstream("WordDocument").read())
        word[0x0B] |= 0x01
        ole.write_stream("WordDocument", bytes(word))
    with pytest.raises(DocumentError, match="^password-protected"):
        load_document(p)
    assert "演练" in load_document(DATA / "notice.doc").text


@pytest.mark.parametrize("name", ["broken.doc", "broken.xls", "broken.ppt"])
def test_damaged_old_files_are_skipped_with_one_line(tmp_path, name):
    p = tmp_path / name
    p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x01" * 3000)
    with pytest.raises(DocumentError) as e:
        load_document(p)
    assert "\n" not in str(e.value) and (name[-4:] in str(e.value) or "damaged" in str(e.value))


# ------------------------------------------------------------------ .xls, .ppt

def test_an_xls_reads_as_the_same_xlsx_with_its_computed_totals():
    old, new = load_document(DATA / "sales.xls"), load_document(DATA / "sales.xlsx")
    assert old.meta["encoding"] == "xls" and old.meta["notes"] == new.meta["notes"]
    assert "門市: 信義店 | 1月: 1250.5 | 開幕日期: 2019-03-01" in old.text  # a date cell is a date
    # the formula's value as Excel saved it (openpyxl's own .xlsx has none to give)
    assert old.text.endswith("門市: 合計 | 1月: 2230.5") and new.text.endswith("門市: 合計")
    assert [r.location for r in old.regions] == [r.location for r in new.regions]


def test_a_ppt_reads_as_the_same_pptx_its_table_as_rows_and_its_notes():
    old, new = load_document(DATA / "deck.ppt"), load_document(DATA / "deck.pptx")
    assert old.text == new.text and old.regions == new.regions and old.title == "新员工培训"
    assert "补充：弹性打卡仅限研发部。" in old.text  # speaker notes
    table = old.regions[-1]
    assert old.text[table.start:table.end] == "| 日期 | 内容 |\n| 周一 | 公司介绍 |\n| 周二 | 安全培训 |"
    assert table.location == Location("slide", 3, name="培训日程", rows=(1, 3))
    assert "Click to edit" not in old.text  # the master slides are not read


# ------------------------------------------------------------------ .eml

def _workbook() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "报价"
    for row in (["品名", "单价(元)", "数量"], ["纸箱A", 3.5, 1000], ["纸箱B", 4.2, 500]):
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _reply() -> EmailMessage:
    m = EmailMessage()
    m["Subject"] = "Re: 报价及交货安排"
    m["From"] = "周明远 <zhou@qinghe.example>"
    m["To"] = "采购部 林晓 <lin@lanshan.example>"
    m["Date"] = "Mon, 03 Mar 2025 14:20:00 +0800"
    m.set_content("林经理您好：\n\n交货日期改为3月17日，其余不变。朱镕基路仓库收货。\n\n周明远\n\n"
                  "-----原始邮件-----\n发件人：林晓\n主题：报价及交货安排\n\n请确认3月10日交货。\n")
    m.add_alternative("<p>林经理您好：</p><p>交货日期改为3月17日。</p>", subtype="html")
    m.add_attachment(_workbook(), maintype="application", filename="报价单.xlsx",
                     subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    m.add_attachment("送货时请提前一天电话预约。", subtype="plain", filename="送货须知.txt")
    m.add_attachment(b"PK\x03\x04", maintype="application", subtype="zip", filename="图纸.zip")
    return m


def test_an_email_reads_its_header_reply_quote_and_attachments(tmp_path):
    p = tmp_path / "Re_ 报价及交货安排.eml"
    p.write_bytes(_reply().as_bytes(policy=policy.SMTP))
    doc = load_document(p)
    assert doc.title == "Re: 报价及交货安排"
    assert doc.text.startswith("# Re: 报价及交货安排\n\n发件人：周明远 <zhou@qinghe.example>\n"
                               "收件人：采购部 林晓 <lin@lanshan.example>\n日期：2025-03-03 14:20\n\n林经理您好：")
    reply, quoted = doc.text.split("## 原始邮件")  # the earlier message under a heading of its own
    assert "3月17日" in reply and "3月10日" not in reply and "3月10日" in quoted
    (earlier,) = [r for r in doc.regions if r.location.kind == "quoted"]  # a region: a passage of its own
    assert doc.text[earlier.start:earlier.end].startswith("## 原始邮件\n\n-----原始邮件-----")
    assert earlier.location.label(LOCATION_LABELS["zh"]) == "所引用的原邮件"
    sheet = next(r for r in doc.regions if r.location.kind == "sheet")
    assert doc.text[sheet.start:sheet.end] == "品名: 纸箱A | 单价(元): 3.5 | 数量: 1000\n品名: 纸箱B | 单价(元): 4.2 | 数量: 500"
    assert sheet.location == Location("sheet", name="报价", rows=(2, 3))
    (named,) = [r for r in doc.regions if r.location.kind == "attachment"]  # (headings alone are no region)
    assert doc.text[named.start:named.end] == "# 附件：送货须知.txt\n\n送货时请提前一天电话预约。"
    assert named.location.label() == "attachment 送货须知.txt"
    assert doc.meta["notes"] == ["attachment '图纸.zip' not read: unsupported type .zip"]
    # each attachment starts a passage of its own, its name and a sheet's over its first rows
    chunks = chunk_document(doc, 400, 0)
    assert any(c.text.startswith("# 附件：报价单.xlsx\n\n# 报价\n品名: 纸箱A") for c in chunks)
    assert any(c.text.startswith("# 附件：送货须知.txt") for c in chunks)


def test_a_gb2312_mail_with_gbk_characters_and_a_forwarded_mail(tmp_path):
    inner = EmailMessage()
    inner["Subject"], inner["From"], inner["Date"] = "Shift roster", "Ana <ana@example.org>", "Tue, 01 Jul 2025 09:05:00 +0100"
    inner.set_content("Saturday shifts now start at 8:30.\n\nOn Mon, 30 Jun 2025, Bo wrote:\n> They start at 9.\n")
    outer = EmailMessage()
    outer["Subject"], outer["From"] = "Fwd: Shift roster", "Lee <lee@example.org>"
    outer.set_content("See below.")
    outer.add_attachment(inner)
    raw = outer.as_bytes(policy=policy.SMTP)
    # a body declared GB2312 that holds 镕, which only GBK has
    gbk = EmailMessage()
    gbk["Subject"], gbk["From"] = "通知", "a@example.cn"
    gbk.set_content("朱镕基路口".encode("gbk"), maintype="text", subtype="plain")
    gbk.replace_header("Content-Type", 'text/plain; charset="gb2312"')
    (tmp_path / "fwd.eml").write_bytes(raw)
    (tmp_path / "gbk.eml").write_bytes(gbk.as_bytes(policy=policy.SMTP))
    fwd = load_document(tmp_path / "fwd.eml")
    assert "Subject" not in fwd.text and fwd.text.startswith("# Fwd: Shift roster\n\nFrom: Lee <lee@example.org>")
    assert "# Shift roster\n\nFrom: Ana <ana@example.org>\nDate: 2025-07-01 09:05" in fwd.text
    assert "## Earlier message\n\nOn Mon, 30 Jun 2025, Bo wrote:" in fwd.text
    assert "朱镕基路口" in load_document(tmp_path / "gbk.eml").text


def test_a_file_that_is_no_email_is_refused(tmp_path):
    p = tmp_path / "notes.eml"
    p.write_text("just some words\nno headers here\n", encoding="utf-8")
    with pytest.raises(DocumentError, match="^not an e-mail"):
        load_document(p)


def test_an_attachment_is_named_in_citations():
    loc = Location("attachment", name="报价单.xlsx")
    assert loc.label() == "attachment 报价单.xlsx"
    assert loc.label(LOCATION_LABELS["zh"]) == "附件「报价单.xlsx」"
    assert loc.to_json() == {"kind": "attachment", "attachment": "报价单.xlsx", "label": "attachment 报价单.xlsx"}


def test_a_mails_reply_is_read_before_the_earlier_message_it_quotes():
    from rag.records import Chunk, Hit
    from rag.retrieve import _reply_before_quote

    quote = Chunk("re.eml", 1, "请于3月10日前交货。", 50, 70, location=Location("quoted"))
    reply = Chunk("re.eml", 0, "现调整为3月17日。", 0, 40)
    other = Chunk("notice.doc", 0, "演练在二号厂房举行。", 0, 20)
    hits = [Hit(quote, 0.9, 1), Hit(other, 0.8, 2), Hit(reply, 0.7, 3)]
    assert [h.chunk for h in _reply_before_quote(hits)] == [other, reply, quote]
    assert [h.rank for h in _reply_before_quote(hits)] == [1, 2, 3]
    # a quote found without its mail's reply keeps its place: it is all there is of that mail
    alone = [Hit(quote, 0.9, 1), Hit(other, 0.8, 2)]
    assert _reply_before_quote(alone) == alone


@pytest.mark.parametrize("rule", ["________________________________\n", ""])
def test_newer_outlooks_quote_under_a_rule_or_its_from_and_sent_lines_is_the_earlier_message(tmp_path, rule):
    # an invented hall's reply that moves a booking, over the request it quotes
    m = EmailMessage()
    m["Subject"], m["From"], m["Date"] = "Re: 场地租借", "麦小姐 <booking@hall.example>", "Tue, 21 Oct 2025 15:48:00 +0800"
    m.set_content("陈小姐：\n\n11月8日礼堂维修，现改为11月15日下午2时。\n\n" + rule +
                  "发件人: 陈小姐 <chen@youth.example>\n发送时间: 2025年10月17日 11:05\n主题: 场地租借\n\n拟于11月8日租用礼堂。\n")
    (tmp_path / "re.eml").write_bytes(m.as_bytes(policy=policy.SMTP))
    doc = load_document(tmp_path / "re.eml")
    (quoted,) = [r for r in doc.regions if r.location.kind == "quoted"]
    assert "拟于11月8日租用礼堂" in doc.text[quoted.start:quoted.end]
    assert "现改为11月15日" not in doc.text[quoted.start:quoted.end]
    # a line that only starts with "发件人：" in the text, no sent line after it: no quote
    m.set_content("发件人：办公室\n11月15日照常开放。\n")
    (tmp_path / "plain.eml").write_bytes(m.as_bytes(policy=policy.SMTP))
    assert not load_document(tmp_path / "plain.eml").regions
