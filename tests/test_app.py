"""The web app without a browser: layout builds, handlers stream, HTML is escaped, uploads
are sanitised and indexed. Fake embedder and generator; everything under tmp_path."""
from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from rag.answer import Pipeline
from rag.config import Config
from rag.errors import UsageError
from rag.index import update_index
from rag.prompt import CLOSEST, REFUSAL
from rag.records import Answer, Chunk, Citation, Document, Hit, Timings
from rag.retrieve import Retriever

from conftest import FakeGenerator

import gradio as gr  # noqa: E402

from app import render  # noqa: E402
from app.kb import Rejected, safe_name, store_upload  # noqa: E402
from app.strings import strings  # noqa: E402
from app.ui import create_app  # noqa: E402

XSS_DOC = """---
title: "<img src=x onerror=alert(1)>吉祥物档案"
date: 2025-01-02
---

星河测试公司的吉祥物是一只猫，名字叫 &lt;script&gt;alert(1)&lt;/script&gt; 和 &lt;img src=x onerror=alert(1)&gt;。
"""
MINIMAX_Q = "MiniMax是哪一天登陆港交所的？"
XSS_Q = "星河测试公司的吉祥物叫什么？"
ZH = strings("zh")


@pytest.fixture(scope="module")
def built_index(tmp_path_factory) -> Path:
    """Seeds + the XSS document indexed once; each test gets its own copy."""
    from conftest import SEEDS, FakeEmbedder

    base = tmp_path_factory.mktemp("app-index")
    seeds = base / "seeds"
    shutil.copytree(SEEDS, seeds)
    # The entities become a raw <script> / <img onerror> in the cleaned text (the loader
    # unescapes markdown), which is exactly what the app must not pass on unescaped.
    (seeds / "xss.md").write_text(XSS_DOC, encoding="utf-8")
    update_index(base / "index", [seeds], Config(), FakeEmbedder())
    return base / "index"


@pytest.fixture
def index_root(tmp_path: Path, built_index: Path) -> Path:
    root = tmp_path / "index"
    shutil.copytree(built_index, root)
    return root


def make_pipeline(root: Path, embedder, generator=None) -> Pipeline:
    config = Config()
    return Pipeline(Retriever.open(root, embedder, config), generator or FakeGenerator(), config)


@pytest.fixture
def pipeline(index_root: Path, fake_embedder) -> Pipeline:
    return make_pipeline(index_root, fake_embedder)


@pytest.fixture
def handlers(pipeline: Pipeline, index_root: Path):
    return create_app(pipeline, index_root).rag_handlers


def ask(handlers, question: str, state=None) -> list[tuple]:
    return list(handlers.respond(question, state, 5, "hybrid", 256))


def last_message(outputs: list[tuple]) -> str:
    return outputs[-1][1][-1]["content"]


# ---------------------------------------------------------------- layout


def test_create_app_builds(pipeline, index_root):
    demo = create_app(pipeline, index_root)
    assert isinstance(demo, gr.Blocks)
    assert demo.analytics_enabled is False
    kinds = {type(b).__name__ for b in demo.blocks.values()}
    assert {"Chatbot", "Textbox", "HTML", "File", "Dataframe", "Accordion", "Slider", "Radio"} <= kinds
    labels = {getattr(b, "value", None) for b in demo.blocks.values() if type(b).__name__ == "Button"}
    assert {"发送", "新对话", "加入知识库", "删除"} <= labels
    assert demo._queue.default_concurrency_limit > 1  # several users answered at once


def test_english_ui(pipeline, index_root):
    demo = create_app(pipeline, index_root, lang="en")
    labels = {getattr(b, "value", None) for b in demo.blocks.values() if type(b).__name__ == "Button"}
    assert {"Send", "New chat", "Add to knowledge base"} <= labels


# ---------------------------------------------------------------- chat


def test_chat_streams_then_shows_final_answer_with_sources(handlers):
    outputs = ask(handlers, MINIMAX_Q)
    assistant = [o[1][-1]["content"] for o in outputs]
    partial = [a for a in assistant[:-1] if a.endswith("▍")]
    assert len(partial) > 1, "tokens should arrive one yield at a time"
    assert len(partial[-1]) > len(partial[0])
    final = assistant[-1]
    assert "1月9日" in final and "▍" not in final
    assert outputs[-1][0] == ""  # the textbox is cleared
    sources = outputs[-1][2]
    assert 'data-state="done"' in sources and 'data-turn="1"' in sources


def test_citations_render_as_links_to_source_entries(handlers):
    outputs = ask(handlers, MINIMAX_Q)
    final, sources = last_message(outputs), outputs[-1][2]
    links = re.findall(r'<a class="cite" href="#(src-1-\d+)">', final)
    assert links, final
    for anchor in set(links):
        assert f'id="{anchor}"' in sources
    entry = sources.split('id="src-1-1"', 1)[1]
    assert "<mark>" in entry and "1月9日" in entry
    assert "000_6d9cd55ab9d6cbba.txt" in entry  # doc id + span shown


def test_citations_of_one_place_of_one_document_share_a_source_line():
    text = "一、开放时间\n二、预约方式\n"
    a_doc = [Chunk("rules.txt", -1, line, text.index(line), text.index(line) + len(line), title="活动中心须知")
             for line in ("一、开放时间", "二、预约方式")]
    other = Chunk("fees.txt", 0, "场地费每小时50元。", 0, 10, title="收费标准")
    cites = [Citation(1, a_doc[0], a_doc[0].text, a_doc[0].start, a_doc[0].end),
             Citation(2, a_doc[1], a_doc[1].text, a_doc[1].start, a_doc[1].end),
             Citation(3, other, other.text, 0, 10)]
    answer = Answer("q", "一、开放时间[1]\n二、预约方式[2]\n场地费每小时50元[3]", False, cites, [], Timings())
    out = render.final_markdown(answer, {}, ZH, 1)
    assert out.count("活动中心须知") == 1 and out.count("收费标准") == 1
    assert re.search(r'href="#src-1-1">&#91;1&#93;</a> <a class="cite" href="#src-1-2">&#91;2&#93;</a> 活动中心须知', out)


def test_document_html_is_escaped_everywhere(handlers):
    outputs = ask(handlers, XSS_Q)
    final, sources = last_message(outputs), outputs[-1][2]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in sources
    assert "&lt;img src=x onerror=alert(1)&gt;" in sources
    assert "2025-01-02" in sources  # the document's date
    for html_out in (final, sources):
        assert "<script" not in html_out.lower()
        assert "<img" not in html_out.lower()
    # the chat message goes through markdown too: text stays text
    assert "&#60;img src=x onerror=alert&#40;1&#41;&#62;" in final


def test_render_escapes_raw_html_from_any_source():
    """Independent of what the loader strips: whatever text a chunk holds is escaped."""
    text = "前文<script>alert(1)</script>中间<img src=x onerror=alert(1)>后文"
    chunk = Chunk("evil.md", 0, text, 10, 10 + len(text), title="<b onmouseover=alert(1)>t</b>")
    start = 10 + text.index("<img")
    cit = Citation(1, chunk, "<img src=x onerror=alert(1)>", start, start + 28, verified=False)
    answer = Answer("q?", "答案<script>x</script>[1]", False, [cit], [], Timings(),
                    unsupported=["答案<script>x</script>"])
    docs = {"evil.md": Document("evil.md", "evil.md", "x" * 10 + text, meta={"date": "<i>2024</i>"})}
    sources = render.sources_html(answer, docs, ZH, 1)
    chat = render.final_markdown(answer, docs, ZH, 1)
    for out in (sources, chat):
        assert not re.search(r"<(script|img|b |i>)", out), out
    assert "<mark>&lt;img src=x onerror=alert(1)&gt;</mark>" in sources
    assert "&lt;i&gt;2024&lt;/i&gt;" in sources


def test_unverified_and_unsupported_are_flagged():
    text = "MiniMax于1月9日登陆港交所。"
    chunk = Chunk("a.txt", 0, text, 0, len(text), title="新闻")
    answer = Answer("q", "MiniMax于1月9日登陆港交所[1]。它市值一万亿[2]。", False,
                    [Citation(1, chunk, text[:14], 0, 14, True),
                     Citation(2, chunk, text[:5], 0, 5, False)], [], Timings(),
                    unsupported=["它市值一万亿"])
    chat = render.final_markdown(answer, {}, ZH, 3)
    assert '<a class="cite" href="#src-3-1">' in chat
    assert 'class="cite unverified" href="#src-3-2"' in chat
    assert '<span class="unsupported"' in chat and "它市值一万亿" in chat
    sources = render.sources_html(answer, {}, ZH, 3)
    assert ZH["unverified"] in sources.split('id="src-3-2"', 1)[1]
    assert ZH["unsupported"] in sources


def test_short_answer_is_bold_where_the_sentence_says_it_else_before_it():
    text = "大桥于1937年通车。"
    chunk = Chunk("a.txt", 0, text, 0, len(text), title="桥")
    cit = [Citation(1, chunk, text, 0, len(text), True)]
    said = Answer("q", "大桥于1937年通车[1]。", False, cit, [], Timings(), short_answer="1937年")
    assert "大桥于<strong>1937年</strong>通车" in render.final_markdown(said, {}, ZH, 1)
    # Written in another script than the sentence: shown ahead of it, still escaped.
    apart = Answer("q", "大橋於1937年通車[1]。", False, cit, [], Timings(), short_answer="1937年<b>")
    chat = render.final_markdown(apart, {}, ZH, 1)
    assert chat.startswith("<strong>1937年&#60;b&#62;</strong> — 大橋於1937年通車")
    plain = Answer("q", "大桥于1937年通车[1]。", False, cit, [], Timings())
    assert "<strong>" not in render.final_markdown(plain, {}, ZH, 1)


def test_sources_say_which_refusal_threshold_is_in_force():
    text = "大桥于1937年通车。"
    chunk = Chunk("a.txt", 0, text, 0, len(text), title="桥")
    a = Answer("q", "根据现有资料无法回答该问题。", True, [], [Hit(chunk, 1.0, 1)], Timings(),
               refusal_reason="weak_evidence", calibration="transferred: dense < 0.866 (…)")
    html_out = render.sources_html(a, {}, ZH, 1)
    assert f"{ZH['calibration']}: transferred: dense &lt; 0.866" in html_out
    assert ZH["calibration"] not in render.sources_html(replace(a, calibration=None), {}, ZH, 1)


def test_a_reply_to_small_talk_is_plain_and_shows_no_closest_passages_heading():
    text = "大桥于1937年通车。"
    chunk = Chunk("a.txt", 0, text, 0, len(text), title="桥")
    refused = Answer("q", "根据现有资料无法回答该问题。", True, [], [Hit(chunk, 1.0, 1)], Timings(),
                     refusal_reason="weak_evidence")
    assert ZH["closest"] in render.sources_html(refused, {}, ZH, 1)
    hello = Answer("你好", "你好！", True, [], [], Timings(), refusal_reason="small_talk")
    assert ZH["closest"] not in render.sources_html(hello, {}, ZH, 1)
    # the reply reads as a reply, not as a refusal in bold
    assert render.final_markdown(refused, {}, ZH, 1).startswith("**")
    assert render.final_markdown(hello, {}, ZH, 1) == "你好！"
    which = Answer("这份文件讲了什么？", "请说明是哪一份文档。已收录的文档：\n- a.txt\n- b.txt", True, [], [], Timings(),
                   refusal_reason="unnamed")  # (a list in bold would not read as one)
    assert render.final_markdown(which, {}, ZH, 1) == "请说明是哪一份文档。已收录的文档：\n- a.txt\n- b.txt"
    assert ZH["closest"] not in render.sources_html(which, {}, ZH, 1)


def test_quote_is_highlighted_by_offsets():
    doc = "甲乙丙丁戊己庚辛壬癸" * 3
    chunk = Chunk("d", 0, doc[5:20], 5, 20)
    assert render.passage_parts(chunk, 8, 12, doc) == (doc[5:8], doc[8:12], doc[12:20])
    # a quote spilling past the chunk widens the window from the document text
    before, quote, after = render.passage_parts(chunk, 18, 24, doc)
    assert quote == doc[18:24] and before == doc[5:18] and after == ""


def test_refusal_shows_closest_passages_labelled(index_root, fake_embedder):
    refuse = FakeGenerator(lambda messages: REFUSAL["zh"])
    h = create_app(make_pipeline(index_root, fake_embedder, refuse), index_root).rag_handlers
    outputs = ask(h, "法国的首都是哪里？")
    final, sources = last_message(outputs), outputs[-1][2]
    assert REFUSAL["zh"] in final
    assert render.md_safe(CLOSEST["zh"]) in final
    assert 'data-refused="true"' in sources and ZH["closest"] in sources
    assert 'class="src closest" id="src-1-1"' in sources


def test_conversation_is_passed_as_history(pipeline, index_root):
    seen = []
    real = pipeline.stream

    def recording(question, history=None, **kw):
        seen.append(history)
        return real(question, history, **kw)

    pipeline.stream = recording
    h = create_app(pipeline, index_root).rag_handlers
    first = ask(h, MINIMAX_Q)
    ask(h, "那壁仞科技呢？", first[-1][3])
    assert seen[0] is None
    assert [m["role"] for m in seen[1]] == ["user", "assistant"]
    assert seen[1][0]["content"] == MINIMAX_Q and "1月9日" in seen[1][1]["content"]
    assert "<a " not in seen[1][1]["content"]  # plain answer text, not our HTML


def test_earlier_answers_keep_their_sources(handlers):
    first = ask(handlers, MINIMAX_Q)
    second = ask(handlers, XSS_Q, first[-1][3])
    chat, panel = second[-1][1], second[-1][2]
    assert 'href="#src-1-1"' in chat[1]["content"] and 'href="#src-2-1"' in chat[3]["content"]
    assert 'id="src-2-1"' in panel  # the latest answer's sources, open
    folded = panel.split('<details class="earlier">', 1)[1]
    assert 'id="src-1-1"' in folded and "第 1 问的来源" in folded  # the first one's, folded away


def test_new_chat_resets(handlers):
    ask(handlers, MINIMAX_Q)
    box, chat, sources, state = handlers.new_chat()
    assert chat == [] and state["convo"] == [] and 'data-state="empty"' in sources


def test_empty_question_does_nothing(handlers, pipeline):
    outputs = ask(handlers, "   ")
    assert len(outputs) == 1 and outputs[0][1] == []


def test_pipeline_error_is_shown_not_raised(handlers):
    outputs = ask(handlers, "？？？")  # no words: the pipeline raises UsageError
    assert ZH["error"] in last_message(outputs)
    assert 'data-state="error"' in outputs[-1][2]


# ---------------------------------------------------------------- uploads


@pytest.mark.parametrize("name", ["../../x.txt", "..\\..\\x.txt", "/etc/x.txt", "a/../x.md", ".hidden.md",
                                  "x..txt", "", "  "])
def test_unsafe_upload_names_are_rejected(name):
    with pytest.raises(Rejected) as e:
        safe_name(name)
    assert e.value.key == "bad_name"


@pytest.mark.parametrize("name", ["x.exe", "x.pages", "noext", "x.txt.sh"])  # .pages: Apple Pages, unread
def test_unsupported_types_are_rejected(name):
    with pytest.raises(Rejected) as e:
        safe_name(name)
    assert e.value.key == "bad_type"


def test_safe_names_keep_chinese_and_drop_odd_characters():
    assert safe_name("年度报告 2024.MD") == "年度报告_2024.md"
    assert safe_name("a<b>|c;.txt") == "a_b_c.txt"
    assert safe_name("报告.pdf") == "报告.pdf"


def test_store_upload_never_writes_outside(tmp_path: Path):
    src = tmp_path / "in.txt"
    src.write_text("hello", encoding="utf-8")
    uploads = tmp_path / "idx" / "uploads"
    with pytest.raises(Rejected):
        store_upload(src, "../../x.txt", uploads)
    assert not (tmp_path / "x.txt").exists() and not (tmp_path / "idx" / "x.txt").exists()
    # a name taken by a document from another folder gets a suffix instead of clashing
    assert store_upload(src, "a.txt", uploads, {"a.txt"}).name == "a-2.txt"
    # a symlink planted in uploads/ is replaced, not written through
    target = tmp_path / "victim.txt"
    target.write_text("keep", encoding="utf-8")
    (uploads / "b.txt").symlink_to(target)
    store_upload(src, "b.txt", uploads)
    assert target.read_text(encoding="utf-8") == "keep"
    assert (uploads / "b.txt").read_text(encoding="utf-8") == "hello"


def test_upload_adds_document_to_index_and_list(handlers, tmp_path: Path):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    doc = incoming / "月球基地.md"
    doc.write_text("# 月球基地\n\n月球基地的代号是广寒宫，建于2030年。", encoding="utf-8")
    bad = incoming / "tool.exe"
    bad.write_bytes(b"MZ")
    status, table, dropdown, cleared = handlers.add_files([str(doc), str(bad)])
    assert "tool.exe" in status and "不支持的文件类型" in status
    assert "新增 1" in status and cleared is None
    row = next(r for r in table if r[0] == "月球基地.md")
    assert row[1] == "月球基地" and row[2] >= 1 and row[3] == ZH["origin_upload"]
    assert (handlers.kb.uploads / "月球基地.md").exists()
    assert "月球基地.md" in [v for _, v in dropdown["choices"]]
    # the reopened retriever serves chats right away
    outputs = ask(handlers, "月球基地的代号是什么？")
    assert "广寒宫" in outputs[-1][2]


def test_remove_uploaded_document_and_refuse_folder_ones(handlers, tmp_path: Path):
    doc = tmp_path / "temp.txt"
    doc.write_text("临时文档：火星基地的代号是祝融站。", encoding="utf-8")
    handlers.add_files([str(doc)])
    status, table, _ = handlers.remove_doc("temp.txt")
    assert "已删除 temp.txt" in status
    assert "temp.txt" not in [r[0] for r in table]
    assert not (handlers.kb.uploads / "temp.txt").exists()
    status, table, _ = handlers.remove_doc("xss.md")
    assert "rag index" in status and "xss.md" in [r[0] for r in table]
    status, *_ = handlers.remove_doc(None)
    assert status == render.md_safe(ZH["pick_doc"])


def test_uploads_keep_recorded_sources(handlers, tmp_path: Path):
    before = {r[0] for r in handlers.table()}
    doc = tmp_path / "extra.txt"
    doc.write_text("补充材料：某项目的负责人是张三。", encoding="utf-8")
    handlers.add_files([str(doc)])
    after = {r[0] for r in handlers.table()}
    assert after == before | {"extra.txt"}


# ---------------------------------------------------------------- server


def test_share_is_refused(tmp_path: Path):
    from app.server import serve

    with pytest.raises(UsageError):
        serve(tmp_path / "index", share=True)


def test_auth_and_host_checks(capsys, monkeypatch):
    from app import server

    assert server.parse_auth("ann:s3:cret") == ("ann", "s3:cret")
    assert server.parse_auth(None) is None
    with pytest.raises(UsageError):
        server.parse_auth("nopassword")
    assert server.is_loopback("127.0.0.1") and server.is_loopback("localhost") and server.is_loopback("::1")
    assert not server.is_loopback("0.0.0.0") and not server.is_loopback("example.org")
    server._check("0.0.0.0", False, None)
    assert "--auth" in capsys.readouterr().err
    server._check("127.0.0.1", False, None)
    assert capsys.readouterr().err == ""


def test_serve_command_help_and_share():
    from click.testing import CliRunner

    from app.cli_serve import serve_cmd

    result = CliRunner().invoke(serve_cmd, ["--help"])
    assert result.exit_code == 0 and "--auth" in result.output and "--port" in result.output
    result = CliRunner().invoke(serve_cmd, ["--share"])
    assert isinstance(result.exception, UsageError)


# ---------------------------------------------------------------- saved conversations


def test_conversations_are_kept_reopened_renamed_and_deleted(pipeline, index_root, tmp_path):
    from rag.conversations import Store

    store = Store(tmp_path / "data" / "conversations.db")
    demo = create_app(pipeline, index_root, conversations=store)
    h = demo.rag_handlers
    labels = {getattr(b, "value", None) for b in demo.blocks.values() if type(b).__name__ == "Button"}
    assert {"打开", "重命名", "删除对话"} <= labels
    first = ask(h, MINIMAX_Q)[-1][3]
    second = ask(h, XSS_Q, first)[-1]
    assert second[3]["cid"] == first["cid"]  # one conversation, two turns
    choices = h.conversation_choices()["choices"]
    assert choices == [(MINIMAX_Q, first["cid"])]
    shown, panel = second[1], second[2]

    h.new_chat()
    _, display, reopened_panel, state = h.open_conversation(first["cid"])
    assert display == shown  # exactly as it was shown, escaped HTML included
    assert 'data-turn="2"' in reopened_panel and "<script>" not in reopened_panel
    assert reopened_panel == panel
    assert state["turn"] == 2 and len(state["convo"]) == 4 and state["cid"] == first["cid"]
    third = ask(h, "那它叫什么？", state)[-1][3]  # continues the reopened conversation
    assert third["turn"] == 3 and len(store.get(first["cid"]).turns) == 3

    h.rename_conversation(first["cid"], "吉祥物 <b>x</b>")
    assert store.get(first["cid"]).title == "吉祥物 <b>x</b>"
    pick, box, chat, panel, state = h.delete_conversation(first["cid"], third)
    assert chat == [] and state["cid"] is None and pick["choices"] == []
    assert store.list() == []


def test_without_a_store_nothing_is_saved(handlers):
    out = ask(handlers, MINIMAX_Q)[-1][3]
    assert out["cid"] is None and handlers.conversation_choices()["choices"] == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_withheld_answer_is_headed_as_withheld_and_a_weak_one_as_closest(lang):
    """Two different refusals, two different headings: the model answered but nothing backs
    it (its answer is withheld), or retrieval found nothing close enough."""
    ui = strings(lang)
    chunk = Chunk(doc_id="a.txt", chunk_id=0, text="湖边有一座灯塔。", start=0, end=8)
    docs = {"a.txt": Document(doc_id="a.txt", path="a.txt", text="湖边有一座灯塔。")}

    def heading(reason):
        a = Answer(question="灯塔多高？", answer=REFUSAL["zh"], refused=True, citations=[],
                   retrieved=[Hit(chunk, 0.5, 1)], timings=Timings(), refusal_reason=reason)
        return re.search(r'<h3 class="closest-head">(.*?)</h3>', render.sources_section(a, docs, ui, 1)).group(1)

    assert heading("unsupported") == render.esc(ui["withheld"]) != heading("weak_evidence")
    assert len(ui["withheld"]) > len(ui["unverified"])  # the sentence, not the badge word
