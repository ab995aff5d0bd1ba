"""Mail archives (.mbox): each message read as an .eml is, one after another, a region
"message n" each, named by its subject. The archives are written here by the standard
library's mailbox module, as a mail client exports one; the content is invented."""
from __future__ import annotations

import io
import mailbox
from email.message import EmailMessage
from pathlib import Path

import pytest

from rag.chunk import chunk_document
from rag.errors import DocumentError
from rag.load import SUFFIXES, load_document
from rag.records import LOCATION_LABELS, Location


def _mail(subject: str, body: str, when: str, attachment: tuple[str, bytes] | None = None) -> EmailMessage:
    m = EmailMessage()
    m["Subject"], m["From"], m["To"], m["Date"] = subject, "林晓 <lin@lanshan.example>", "采购部 <buy@qinghe.example>", when
    m.set_content(body)
    if attachment:
        m.add_attachment(attachment[1], maintype="application", subtype="octet-stream", filename=attachment[0])
    return m


def _workbook() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "报价"
    for row in (["品名", "单价(元)"], ["纸箱A", 3.5], ["纸箱B", 4.2]):
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _archive(tmp_path, messages) -> Path:
    path = tmp_path / "采购往来.mbox"
    box = mailbox.mbox(str(path))
    for m in messages:
        box.add(m)
    box.flush()
    box.close()
    return path


def test_each_message_of_an_archive_is_read_and_named(tmp_path):
    assert ".mbox" in SUFFIXES
    path = _archive(tmp_path, [
        _mail("询价：纸箱", "请报纸箱A、纸箱B的单价。", "Mon, 03 Mar 2025 09:00:00 +0800"),
        _mail("Re: 询价：纸箱", "单价见附件。\nFrom now on 报价含税。", "Tue, 04 Mar 2025 15:36:00 +0800",
              ("报价单.xlsx", _workbook())),
        _mail("到货通知", "纸箱已于3月17日送达仓库。", "Mon, 17 Mar 2025 11:20:00 +0800"),
    ])
    doc = load_document(path)
    assert doc.meta["encoding"] == "mbox" and doc.title == "采购往来"
    assert "From now on 报价含税。" in doc.text and ">From" not in doc.text  # mbox's escaping undone
    messages = [r for r in doc.regions if r.location.kind == "message"]
    assert [(r.location.number, r.location.name) for r in messages] == [(1, "询价：纸箱"), (2, "Re: 询价：纸箱"),
                                                                          (3, "到货通知")]
    third = messages[-1]
    assert doc.text[third.start:third.end].startswith("# 到货通知\n\n发件人：林晓") and "3月17日送达" in doc.text[third.start:third.end]
    rows = [r for r in doc.regions if r.location.kind == "sheet"]
    assert rows and "纸箱A" in doc.text[rows[0].start:rows[0].end]  # the second message's attachment, its rows
    assert messages[-1].location.label() == "message 3 “到货通知”"
    assert messages[-1].location.label(LOCATION_LABELS["zh"]) == "第3封邮件「到货通知」"
    # a passage holds one message, never the end of one and the start of the next
    for chunk in chunk_document(doc):
        assert chunk.text.count("发件人：") <= 1


@pytest.mark.parametrize("content, reason", [(b"just a text file\n", "^not an mbox"),
                                             (b"From MAILER-DAEMON Mon Mar  3 09:00:00 2025\n\nno headers here\n",
                                              "^no e-mail")])
def test_what_is_no_mail_archive_is_refused_with_one_line(tmp_path, content, reason):
    p = tmp_path / "x.mbox"
    p.write_bytes(content)
    with pytest.raises(DocumentError, match=reason) as e:
        load_document(p)
    assert "\n" not in str(e.value)
