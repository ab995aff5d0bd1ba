""".msg files (e-mails saved by Outlook) read as the same mails saved as .eml are: the header
with labels in the mail's language, the date, the body (plain, else HTML, else compressed
RTF), the quoted earlier message, the attachments, an attached message; refused files with
a one-line reason.

The .msg files in tests/fixtures/msg/ are written by make_fixtures.py there (a compound-file
writer laying them out as Outlook does; checked against extract-msg when they were made);
the refused files are built here with the same writer. The content is invented."""
from __future__ import annotations

import importlib.util
import shutil
import time
from email import policy
from email.message import EmailMessage
from pathlib import Path

import olefile
import pytest

from rag.errors import DocumentError
from rag.formats import msg
from rag.load import SUFFIXES, load_document
from rag.records import LOCATION_LABELS, Location

DATA = Path(__file__).parent / "fixtures" / "msg"
_spec = importlib.util.spec_from_file_location("msg_fixtures", DATA / "make_fixtures.py")
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)


@pytest.fixture
def clock(monkeypatch):
    """Set this computer's time zone (a POSIX rule: no zone database needed)."""
    def set_zone(zone: str) -> None:
        monkeypatch.setenv("TZ", zone)
        time.tzset()

    yield set_zone
    monkeypatch.undo()
    time.tzset()


def _write(tmp_path: Path, name: str, tree: dict) -> Path:
    p = tmp_path / name
    p.write_bytes(fixtures.compound(tree, fixtures.MSG_CLSID))
    return p


def test_msg_is_a_suffix_rag_index_reads_and_is_no_word_file():
    from app.kb import ALLOWED
    from rag.formats import real_suffix

    assert ".msg" in SUFFIXES and ".msg" in ALLOWED  # rag index reads it; the web app takes it
    assert real_suffix((DATA / "reply_zh.msg").read_bytes(), ".msg") == ".msg"  # a compound file, no .doc
    assert real_suffix((DATA / "reply_zh.msg").read_bytes(), ".txt") == ".txt"


# ------------------------------------------------------------------ the fixtures

def test_a_chinese_reply_reads_its_header_quote_and_attachments(clock):
    clock("EST5")  # the date is the one the sender wrote (transport headers), not this computer's
    doc = load_document(DATA / "reply_zh.msg")
    assert doc.title == "Re: 报价及交货安排" and doc.meta["encoding"] == "msg"
    assert doc.text.startswith("# Re: 报价及交货安排\n\n发件人：周明远 <zhou@qinghe.example>\n"
                               "收件人：采购部 林晓 <lin@lanshan.example>\n抄送：王芳 <wang@qinghe.example>\n"
                               "日期：2025-03-03 14:20\n\n林经理您好：")
    assert "/O=QINGHE" not in doc.text  # the Exchange name of the sender: its SMTP address instead
    assert "梧桐路仓库收货" in doc.text  # the plain body, not the HTML one (which lacks it)
    reply, quoted = doc.text.split("## 原始邮件")
    assert "3月17日" in reply and "3月10日" not in reply and "3月10日" in quoted
    (earlier,) = [r for r in doc.regions if r.location.kind == "quoted"]
    assert doc.text[earlier.start:earlier.end].startswith("## 原始邮件\n\n-----原始邮件-----")
    assert doc.text[earlier.start:earlier.end].endswith("请确认3月10日交货。")  # the attachments are not in it
    sheet = next(r for r in doc.regions if r.location.kind == "sheet")
    assert doc.text[sheet.start:sheet.end] == "品名: 纸箱A | 单价(元): 3.5 | 数量: 1000\n品名: 纸箱B | 单价(元): 4.2 | 数量: 500"
    assert sheet.location == Location("sheet", name="报价", rows=(2, 3))
    (named,) = [r for r in doc.regions if r.location.kind == "attachment"]
    assert doc.text[named.start:named.end] == "# 附件：送货须知.txt\n\n送货时请提前一天电话预约。"
    assert named.location.label(LOCATION_LABELS["zh"]) == "附件「送货须知.txt」"
    # the logo shown in the HTML body is no attachment to read (nor to OCR)
    assert "image001" not in doc.text and "notes" not in doc.meta


def test_a_msg_reads_as_the_same_mail_saved_as_eml(tmp_path):
    with olefile.OleFileIO(str(DATA / "reply_zh.msg")) as ole:
        body = ole.openstream("__substg1.0_1000001F").read().decode("utf-16-le")
        xlsx = ole.openstream("__attach_version1.0_#00000000/__substg1.0_37010102").read()
        note = ole.openstream("__attach_version1.0_#00000001/__substg1.0_37010102").read()
    m = EmailMessage()
    m["Subject"], m["Date"] = "Re: 报价及交货安排", "Mon, 3 Mar 2025 14:20:00 +0800"
    m["From"], m["To"], m["Cc"] = ("周明远 <zhou@qinghe.example>", "采购部 林晓 <lin@lanshan.example>",
                                   "王芳 <wang@qinghe.example>")
    m.set_content(body)
    m.add_attachment(xlsx, maintype="application", subtype="octet-stream", filename="报价单.xlsx")
    m.add_attachment(note, maintype="text", subtype="plain", filename="送货须知.txt")
    (tmp_path / "reply.eml").write_bytes(m.as_bytes(policy=policy.SMTP))
    eml, outlook = load_document(tmp_path / "reply.eml"), load_document(DATA / "reply_zh.msg")
    assert outlook.text == eml.text and outlook.regions == eml.regions and outlook.title == eml.title


def test_a_big5_mail_of_8_bit_strings_and_the_time_it_was_sent(clock):
    clock("CST-8")  # Taipei: the submit time (UTC) is shown on this computer's clock, as Outlook does
    doc = load_document(DATA / "notice_big5.msg")
    assert doc.text.startswith("# 颱風停班通知\n\n寄件者：陳怡君 <chen@hengyu.example.tw>\n"
                               "收件者：全體同仁 <all@hengyu.example.tw>\n日期：2025-09-01 16:30\n\n各位同仁：")
    assert "倉庫裏的貨物" in doc.text  # 裏 is one of the characters Big5 lacks and cp950 has
    assert "发件人" not in doc.text and "\ufffd" not in doc.text
    clock("UTC0")
    assert "日期：2025-09-01 08:30" in load_document(DATA / "notice_big5.msg").text


def test_8_bit_strings_in_their_code_page():
    assert msg._decode8("單價€12".encode("cp950"), 950) == "單價€12"  # Windows' own addition to Big5
    assert msg._decode8("佢哋嘅".encode("big5hkscs"), 950) == "佢哋嘅"  # Hong Kong's
    assert msg._decode8("喆园路".encode("gbk"), 936) == "喆园路"  # (喆: GBK, not GB2312)
    assert msg._decode8("喆园路".encode("gbk"), None) == "喆园路"  # no code page: read as a text file is
    assert msg._decode8("喆园路".encode("gbk"), 1252) != "喆园路"  # (a wrong one is obeyed)


def test_an_html_only_mail_and_the_message_it_forwards(clock):
    clock("UTC0")
    doc = load_document(DATA / "roster_en.msg")
    assert doc.text.startswith("# Fwd: Saturday shifts\n\nFrom: Ana Lopez <ana@example.org>\n"
                               "To: Bo Chen <bo@example.org>; Leo Park <leo@example.org>\nDate: 2025-07-01 08:05\n\n"
                               "Hi all,\n\nFrom next week the Saturday shift starts at 8:30, not 9:00.")
    assert "<p>" not in doc.text and "<b>" not in doc.text and "Subject" not in doc.text
    assert doc.text.endswith("# Original roster\n\nFrom: Bo Chen <bo@example.org>\nTo: Ana Lopez <ana@example.org>\n"
                             "Date: 2025-06-30 16:00\n\nSaturday shifts start at 9:00 and end at 15:00.")


def test_a_compressed_rtf_body_holding_html_is_read_as_text(clock):
    clock("CST-8")
    doc = load_document(DATA / "power_rtf.msg")
    assert doc.text == ("# 停电通知\n\n发件人：行政部 <admin@qinghe.example>\n收件人：全体员工 <all@qinghe.example>\n"
                        "日期：2025-04-10 09:00\n\n各部门：\n本周六停电，请提前保存文件。")
    for code in ("htmltag", "<p>", "rtf1", "SimSun", "\\"):
        assert code not in doc.text


# ------------------------------------------------------------------ compressed RTF

SPEC_SIMPLE = bytes.fromhex("2d0000002b0000004c5a4675f1c5c7a703000a0072637067313235423"
                            "20af32068656c0900206277 05b06c647d0a800fa0".replace(" ", ""))
SPEC_CROSSING = bytes.fromhex("1a0000001c0000004c5a4675e2d44b5141000420 5758595a0d6e7d010eb0".replace(" ", ""))


def test_lzfu_reads_the_specifications_examples():
    # [MS-OXRTFCP] section 3.1, its two examples (the second's reference crosses the write position)
    assert msg._lzfu(SPEC_SIMPLE) == b"{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n"
    assert msg._lzfu(SPEC_CROSSING) == b"{\\rtf1 WXYZWXYZWXYZWXYZWXYZ}"
    # the fixtures' compressor writes them byte for byte, its CRC too
    assert fixtures.lzfu(b"{\\rtf1 WXYZWXYZWXYZWXYZWXYZ}") == SPEC_CROSSING
    assert fixtures.lzfu(b"{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n") == SPEC_SIMPLE


def test_lzfu_uncompressed_form_and_a_body_longer_than_its_dictionary():
    rtf = b"{\\rtf1\\ansi " + b"".join(b"line %d \\'c4\\'e3\\par " % i for i in range(600)) + b"}"
    assert len(rtf) > 3 * 4096  # the 4096-byte dictionary wraps round
    assert msg._lzfu(fixtures.lzfu(rtf)) == rtf
    assert msg._lzfu(fixtures.mela(rtf)) == rtf
    with pytest.raises(DocumentError, match="compression"):
        msg._lzfu(SPEC_SIMPLE[:8] + b"ABCD" + SPEC_SIMPLE[12:])
    with pytest.raises(DocumentError, match="cut short"):
        msg._lzfu(SPEC_SIMPLE[:10])


def _escaped(text: str) -> bytes:
    return b"".join(b"\\'%02x" % b for b in text.encode("gbk"))


def test_an_uncompressed_rtf_body_of_plain_text(tmp_path):
    rtf = (rb"{\rtf1\ansi\ansicpg936\fromtext \deff0{\fonttbl{\f0\fmodern\fcharset134 SimSun;}}\pard\plain\f0 "
           + _escaped("周六休息") + rb"\par \u%d?" % ord("咨") + _escaped("询后答复") + rb"\par}")
    p = _write(tmp_path, "rtf.msg", fixtures.message({0x0037001F: "休息", 0x10090102: fixtures.mela(rtf)}))
    assert load_document(p).text == "# 休息\n\n周六休息\n咨询后答复"  # (\uN's stand-in "?" skipped)


# ------------------------------------------------------------------ refused and renamed files

def _one_line_error(path: Path) -> str:
    with pytest.raises(DocumentError) as e:
        load_document(path)
    assert "\n" not in str(e.value)
    return str(e.value)


def test_a_compound_file_holding_no_message_is_refused(tmp_path):
    p = tmp_path / "x.msg"
    p.write_bytes(fixtures.compound({"Contents": b"some other program's data" * 10}))
    assert _one_line_error(p) == "not an Outlook message (no __properties_version1.0 stream)"


def test_garbage_and_a_damaged_compound_file_are_refused(tmp_path):
    junk = tmp_path / "junk.msg"
    junk.write_bytes(bytes(range(256)) * 20)
    assert _one_line_error(junk) == "not an Outlook message (neither a compound file nor an e-mail)"
    broken = tmp_path / "broken.msg"
    broken.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x01" * 3000)
    assert _one_line_error(broken).startswith("damaged .msg file (not a compound document")
    cut = tmp_path / "cut.msg"
    cut.write_bytes((DATA / "reply_zh.msg").read_bytes()[:6000])
    assert _one_line_error(cut).startswith("damaged .msg file")


def test_renamed_files_are_read_as_what_they_are(tmp_path):
    shutil.copy(DATA.parent / "office97" / "notice.doc", tmp_path / "notice.msg")  # a Word file named .msg
    doc = load_document(tmp_path / "notice.msg")
    assert doc.meta["encoding"] == "doc" and doc.text == load_document(DATA.parent / "office97" / "notice.doc").text
    shutil.copy(DATA / "reply_zh.msg", tmp_path / "reply.doc")  # and a message named like a Word file
    assert load_document(tmp_path / "reply.doc").meta["encoding"] == "msg"
    m = EmailMessage()  # a MIME mail some programs save as .msg
    m["Subject"], m["From"] = "通知", "a@example.cn"
    m.set_content("周五下午开会。")
    (tmp_path / "mime.msg").write_bytes(m.as_bytes(policy=policy.SMTP))
    mime = load_document(tmp_path / "mime.msg")
    assert mime.meta["encoding"] == "eml" and "周五下午开会。" in mime.text


def test_an_encrypted_message_is_refused_a_clear_signed_one_read(tmp_path):
    p7m = fixtures.attachment("smime.p7m", b"0\x82\x01\x00" + bytes(256), "application/pkcs7-mime")
    sealed = _write(tmp_path, "sealed.msg", fixtures.message(
        {0x001A001F: "IPM.Note.SMIME", 0x0037001F: "工资单", 0x0C1A001F: "财务部"}, attachments=[p7m]))
    assert "S/MIME" in _one_line_error(sealed)
    mime = (b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; '
            b'boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain; charset="utf-8"\r\n'
            b'Content-Transfer-Encoding: 8bit\r\n\r\n' + "三月工资已发放。\r\n".encode() +
            b'--b1\r\nContent-Type: application/pkcs7-signature; name="smime.p7s"\r\n'
            b'Content-Transfer-Encoding: base64\r\n\r\nMIIB\r\n--b1--\r\n')
    signed = _write(tmp_path, "signed.msg", fixtures.message(
        {0x001A001F: "IPM.Note.SMIME.MultipartSigned", 0x0037001F: "工资发放", 0x0C1A001F: "财务部",
         0x0C1F001F: "finance@qinghe.example"},
        attachments=[fixtures.attachment("smime.p7m", mime, "multipart/signed")]))
    doc = load_document(signed)
    assert doc.text == "# 工资发放\n\n发件人：财务部 <finance@qinghe.example>\n\n三月工资已发放。"
    assert doc.meta["notes"] == ["attachment 'smime.p7s' not read: unsupported type .p7s"]  # as an .eml's


def test_an_outlook_message_attached_to_an_eml_is_read(tmp_path, clock):
    clock("UTC0")
    m = EmailMessage()
    m["Subject"], m["From"] = "FW: shifts", "Leo Park <leo@example.org>"
    m.set_content("Forwarding Ana's mail.")
    m.add_attachment((DATA / "roster_en.msg").read_bytes(), maintype="application", subtype="vnd.ms-outlook",
                     filename="Fwd Saturday shifts.msg")
    (tmp_path / "fw.eml").write_bytes(m.as_bytes(policy=policy.SMTP))
    doc = load_document(tmp_path / "fw.eml")
    assert "# Attachment: Fwd Saturday shifts.msg\n\n# Fwd: Saturday shifts\n\nFrom: Ana Lopez" in doc.text
    assert doc.text.endswith("Saturday shifts start at 9:00 and end at 15:00.") and "notes" not in doc.meta


def test_an_empty_message_is_refused_a_subject_alone_is_not(tmp_path):
    empty = _write(tmp_path, "empty.msg", fixtures.message({0x001A001F: "IPM.Note"}))
    assert _one_line_error(empty) == "empty (no text)"
    subject = _write(tmp_path, "subject.msg", fixtures.message({0x001A001F: "IPM.Note", 0x0037001F: "明天放假"}))
    assert load_document(subject).text == "# 明天放假"


def test_recipients_by_display_list_when_there_are_no_recipient_objects(tmp_path):
    p = _write(tmp_path, "list.msg", fixtures.message({
        0x0037001F: "Hello", 0x0E04001F: "Lin, Xiao; Wang Fang", 0x0E03001F: "", 0x1000001F: "Hi."}))
    # (a name that holds a comma is split at the semicolons only)
    assert load_document(p).text == "# Hello\n\nTo: Lin, Xiao; Wang Fang\n\nHi."
