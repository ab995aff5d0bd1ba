"""The HTTP API as programs meet it: OpenAI-compatible chat, search, documents, several
knowledge bases, keys, the queue and bad input. In-process (FastAPI's TestClient) on fake
models; the real-model test with the real `openai` client is in test_api_real.py."""
from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from rag import keys, kbs
from rag.answer import Pipeline
from rag.cli import cli
from rag.config import Config
from rag.index import update_index
from rag.retrieve import Retriever

from conftest import FakeEmbedder, FakeGenerator

from app.chat_api import relay  # noqa: E402
from app.pool import Busy, Gate  # noqa: E402
from app.server import create_server  # noqa: E402

DOCS = {
    "lighthouse.txt": "北岬灯塔建于1898年，塔身高三十二米，由港务局管理。\n\n"
                      "灯塔在1952年改用电力照明，射程达到二十海里。\n",
    "orchard.txt": "云岭果园位于山谷东侧，种植苹果和梨。果园每年九月举办采摘节，游客可以自带篮子。\n",
}
OTHER = {"ferry.txt": "Holloway ferry crosses the river every forty minutes. The ferry was first licensed in 1871.\n"}


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def config(tmp_path) -> Config:
    return Config(index=str(tmp_path / "index"), data=str(tmp_path / "data"))


@pytest.fixture
def generator() -> FakeGenerator:
    return FakeGenerator()


@pytest.fixture
def server(tmp_path, config, generator):
    """Returns make(require_keys=False, queue=None) -> (TestClient, app)."""
    emb = FakeEmbedder()
    root = Path(config.index)
    update_index(root, [_write(tmp_path / "docs", DOCS)], config, emb)
    made = []

    def make(require_keys: bool = False, queue: int | None = None):
        cfg = config if queue is None else config.with_(queue=queue)
        pipeline = Pipeline(Retriever.open(root, emb, cfg), generator, cfg)
        app = create_server(pipeline, root, cfg, "zh", None, require_keys)
        client = TestClient(app, raise_server_exceptions=False)
        made.append(client)
        return client, app

    yield make
    for c in made:
        c.close()


def ask(client, question, model="default", **kw):
    return client.post("/v1/chat/completions", json={"model": model, "messages": [{"role": "user", "content": question}], **kw})


def sse(response) -> list:
    out = []
    for line in response.text.splitlines():
        if line.startswith("data: "):
            data = line[6:]
            out.append(data if data == "[DONE]" else json.loads(data))
    return out


# ------------------------------------------------------------ chat

def test_chat_answers_with_verified_citations_and_ignores_unknown_fields(server):
    client, _ = server()
    r = client.post("/v1/chat/completions", json={
        "model": "default", "temperature": 0.3, "top_p": 1, "user": "x", "tools": [], "frobnicate": {"a": 1},
        "messages": [{"role": "system", "content": "be nice"}, {"role": "user", "content": "北岬灯塔建于哪一年？"}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "chat.completion" and body["model"] == "default"
    text = body["choices"][0]["message"]["content"]
    assert "1898" in text and "[1]" in text and body["choices"][0]["finish_reason"] == "stop"
    assert body["refused"] is False and body["short_answer"]
    cite = body["citations"][0]
    assert cite["n"] == 1 and cite["source"] == "lighthouse.txt" and cite["verified"] is True
    assert "1898" in cite["quote"] and cite["start"] < cite["end"]


def test_chat_streams_openai_chunks_and_ends_with_the_sources(server):
    client, _ = server()
    r = ask(client, "北岬灯塔建于哪一年？", stream=True)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    chunks = sse(r)
    assert chunks[-1] == "[DONE]"
    data = chunks[:-1]
    assert all(c["object"] == "chat.completion.chunk" and c["id"] == data[0]["id"] for c in data)
    assert data[0]["choices"][0]["delta"]["role"] == "assistant"
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in data)
    last = data[-1]
    assert last["choices"][0]["finish_reason"] == "stop"
    assert text.strip() == last["answer"].strip() and "1898" in text  # nothing changed by the checks
    assert last["citations"][0]["source"] == "lighthouse.txt" and last["refused"] is False


def test_streamed_answer_that_fails_the_checks_ends_with_the_checked_one(server, generator):
    generator.script = lambda m: "北岬灯塔由一位法国工程师设计，耗资三百万两白银[1]。"  # nothing backs this
    client, _ = server()
    chunks = sse(ask(client, "北岬灯塔是谁设计的？", stream=True))[:-1]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    last = chunks[-1]
    assert last["refused"] is True
    assert text.startswith("北岬灯塔由一位法国工程师设计")  # streamed as written...
    assert "核对后的回答" in text and text.rstrip().endswith(last["answer"].strip())  # ...then corrected


def test_small_talk_gets_its_reply_over_the_api_streamed_or_not(server, generator):
    client, _ = server()
    body = ask(client, "你好！").json()
    assert body["choices"][0]["message"]["content"].startswith("你好！我根据你放入的文档回答问题")
    assert (body["refused"], body["refusal_reason"], body["citations"]) == (True, "small_talk", [])
    chunks = sse(ask(client, "thanks!", stream=True))[:-1]
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks).startswith("You're welcome!")
    assert chunks[-1]["refusal_reason"] == "small_talk"
    assert generator.calls == []  # the model was not asked


def test_a_question_about_the_folder_is_answered_from_the_index_over_the_api(server, generator):
    client, _ = server()
    body = ask(client, "哪些文件提到了灯塔？").json()
    content = body["choices"][0]["message"]["content"]
    assert content.startswith("有1份文档提到“灯塔”：") and "lighthouse.txt" in content
    assert body["refused"] is False and [c["source"] for c in body["citations"]] == ["lighthouse.txt"]
    chunks = sse(ask(client, "What documents do you have?", stream=True))[:-1]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text.startswith("2 documents are indexed:") and "orchard.txt" in text
    assert generator.calls == []  # the model was not asked


def test_follow_up_uses_the_earlier_turns(server, generator):
    client, _ = server()
    r = client.post("/v1/chat/completions", json={"model": "default", "messages": [
        {"role": "user", "content": "北岬灯塔建于哪一年？"},
        {"role": "assistant", "content": "北岬灯塔建于1898年[1]。"},
        {"role": "user", "content": [{"type": "text", "text": "它有多高？"}]}]})
    assert r.status_code == 200, r.text
    assert "北岬灯塔" in r.json()["standalone_question"]  # "它" resolved from the history
    r = ask(client, "它有多高？")  # the same words without the history
    assert "北岬灯塔" not in (r.json()["standalone_question"] or "")


def test_each_knowledge_base_answers_only_from_its_documents(server, tmp_path, config):
    client, _ = server()
    src = _write(tmp_path / "ferry", OTHER) / "ferry.txt"
    r = client.post("/api/kb/ferries/documents?create=true", files=[("files", ("ferry.txt", src.read_bytes()))])
    assert r.status_code == 201, r.text
    assert [m["id"] for m in client.get("/v1/models").json()["data"]] == ["default", "ferries"]
    a = ask(client, "How often does the Holloway ferry cross?", model="ferries").json()
    assert a["citations"] and all(c["source"] == "ferry.txt" for c in a["citations"])
    b = ask(client, "北岬灯塔建于哪一年？").json()
    assert all(c["source"] != "ferry.txt" for c in b["citations"])
    assert {d["id"] for d in client.get("/api/kb/ferries/documents").json()["documents"]} == {"ferry.txt"}
    assert kbs.exists("ferries", config) and (Path(config.data) / "kbs" / "ferries" / "uploads" / "ferry.txt").exists()
    assert ask(client, "How often does the Holloway ferry cross?", model="ferries", conversation_id="new").status_code == 200
    assert client.delete("/api/kb/default").status_code == 400  # the built-in one stays
    assert client.delete("/api/kb/ferries").json() == {"deleted": "ferries"}
    assert not (Path(config.data) / "kbs" / "ferries").exists() and src.exists()
    assert [m["id"] for m in client.get("/v1/models").json()["data"]] == ["default"]
    assert ask(client, "How often?", model="ferries").status_code == 404
    assert client.get("/api/conversations").json()["conversations"] == []  # its conversation went with it
    assert client.delete("/api/kb/ferries").status_code == 404


# ------------------------------------------------------------ search and documents

def test_search_returns_hits_with_offsets(server):
    client, _ = server()
    r = client.post("/api/search", json={"query": "灯塔 电力照明", "k": 2, "mode": "hybrid", "extra": 1})
    assert r.status_code == 200, r.text
    hits = r.json()["hits"]
    assert len(hits) == 2 and hits[0]["source"] == "lighthouse.txt"
    assert "电力" in hits[0]["text"] and hits[0]["end"] - hits[0]["start"] == len(hits[0]["text"])


def test_upload_list_and_remove_documents(server, tmp_path):
    client, _ = server()
    r = client.post("/api/kb/default/documents", files=[
        ("files", ("河道.txt", "青石河道全长四十公里，沿岸有七座古桥。".encode())),
        ("files", ("../../escape.txt", b"x")), ("files", ("tool.exe", b"MZ"))])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["added"] == ["河道.txt"] and len(body["rejected"]) == 2
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path.parent / "escape.txt").exists()
    docs = {d["id"]: d for d in client.get("/api/kb/default/documents").json()["documents"]}
    assert docs["河道.txt"]["uploaded"] is True and docs["lighthouse.txt"]["uploaded"] is False
    assert "古桥" in ask(client, "青石河道沿岸有几座古桥？").json()["choices"][0]["message"]["content"]
    assert client.delete("/api/kb/default/documents/河道.txt").status_code == 200
    r = client.delete("/api/kb/default/documents/河道.txt")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.delete("/api/kb/default/documents/lighthouse.txt")  # indexed from a folder, not uploaded
    assert r.status_code == 409


def test_upload_of_only_bad_files_stores_nothing(server, tmp_path, config):
    client, _ = server()
    r = client.post("/api/kb/newkb/documents?create=true", files=[("files", ("a.exe", b"MZ"))])
    assert r.status_code == 400 and "a.exe" in r.json()["error"]["message"]
    assert not (Path(config.data) / "kbs" / "newkb").exists()
    assert client.post("/api/kb/nokb/documents", files=[("files", ("a.txt", b"hello"))]).status_code == 404


# ------------------------------------------------------------ bad input

@pytest.mark.parametrize("body,status", [
    ('{"model": "default", "messages": [', 400),  # malformed JSON
    ('{"model": "default", "messages": "hi"}', 400),  # wrong type
    ('{"model": "default", "messages": []}', 400),
    ('{"model": "default", "messages": [{"role": "user", "content": 5}]}', 400),
    ('{"model": "default", "messages": [{"role": "assistant", "content": "hi"}]}', 400),  # no question
    ('{"model": "default", "messages": [{"role": "user", "content": "  ？？ "}]}', 400),
    ('{"model": "default", "messages": [{"role": "user", "content": "hi"}], "max_tokens": -1}', 400),
    ('{"model": "nosuchkb", "messages": [{"role": "user", "content": "hi"}]}', 404),
    ('{"model": "../../etc", "messages": [{"role": "user", "content": "hi"}]}', 400),
    ('{"model": "a\'; DROP TABLE x;--", "messages": [{"role": "user", "content": "hi"}]}', 400),
])
def test_bad_chat_requests_get_a_json_error(server, body, status):
    client, _ = server()
    r = client.post("/v1/chat/completions", content=body, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["message"] and "Traceback" not in r.text


def test_huge_bodies_are_refused_before_they_are_read(server):
    client, _ = server()
    big = json.dumps({"model": "default", "messages": [{"role": "user", "content": "问" * (10 << 20)}]})
    r = client.post("/v1/chat/completions", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"


def test_unknown_endpoints_are_json_404_and_the_web_app_still_serves(server):
    client, _ = server()
    r = client.get("/v1/nothing")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert client.get("/api/kb/..%2F..%2Fetc/documents").status_code in (400, 404)
    page = client.get("/")
    assert page.status_code == 200 and "<html" in page.text.lower()
    assert client.get("/api/health").json()["status"] == "ok"


def test_a_full_queue_answers_429_with_retry_after(server):
    client, app = server(queue=0)
    gate = app.state.library.gate
    ticket = gate.enter()  # someone else's answer is running
    assert gate.wait(ticket)
    try:
        r = ask(client, "北岬灯塔建于哪一年？")
        assert r.status_code == 429 and r.headers["retry-after"] == "10"
        assert r.json()["error"]["code"] == "busy"
    finally:
        gate.leave(ticket)
    assert ask(client, "北岬灯塔建于哪一年？").status_code == 200


# ------------------------------------------------------------ keys

def test_keys_guard_the_api_per_knowledge_base_and_right(server, tmp_path, config):
    client, _ = server(require_keys=True)
    _, reader = keys.create(config, "reader", ["default"])
    _, writer = keys.create(config, "writer", ["default"], "write")
    assert ask(client, "北岬灯塔建于哪一年？").status_code == 401
    bad = {"Authorization": "Bearer rag-not-a-key"}
    assert client.post("/v1/chat/completions", headers=bad, json={"messages": [{"role": "user", "content": "hi"}]}).status_code == 401
    ok = client.post("/v1/chat/completions", headers={"Authorization": f"Bearer {reader}"},
                     json={"model": "default", "messages": [{"role": "user", "content": "北岬灯塔建于哪一年？"}]})
    assert ok.status_code == 200
    up = [("files", ("x.txt", "新的文档内容，关于一座桥。".encode()))]
    assert client.post("/api/kb/default/documents", headers={"Authorization": f"Bearer {reader}"}, files=up).status_code == 403
    assert client.post("/api/kb/default/documents", headers={"Authorization": f"Bearer {writer}"}, files=up).status_code == 200
    # a key for one knowledge base does not open another, nor tell whether it exists
    r = client.post("/api/kb/other/documents?create=true", headers={"Authorization": f"Bearer {writer}"}, files=up)
    assert r.status_code == 403
    assert client.get("/api/kb/secret/documents", headers={"Authorization": f"Bearer {reader}"}).status_code == 403
    assert client.delete("/api/kb/default", headers={"Authorization": f"Bearer {reader}"}).status_code == 403
    # a key for another knowledge base only lists what it may read (it used to get 403)
    _, other = keys.create(config, "other", ["ferries"])
    for path in ("/v1/models", "/api/kb"):
        r = client.get(path, headers={"Authorization": f"Bearer {other}"})
        assert r.status_code == 200 and "default" not in r.text
        assert client.get(path, headers={"Authorization": f"Bearer {reader}"}).json() != r.json()
        assert client.get(path).status_code == 401
    keys.revoke(config, "reader")
    assert client.get("/v1/models", headers={"Authorization": f"Bearer {reader}"}).status_code == 401
    stored = (Path(config.data) / "keys.json").read_text()
    assert reader not in stored and writer not in stored  # only hashes
    assert (Path(config.data) / "keys.json").stat().st_mode & 0o077 == 0


def test_keys_cli(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_DATA", str(tmp_path / "data"))
    r = CliRunner().invoke(cli, ["keys", "create", "ci-bot", "--kb", "reports", "--write"])
    assert r.exit_code == 0 and r.stdout.strip().startswith("rag-")
    token = r.stdout.strip()
    listed = CliRunner().invoke(cli, ["keys", "list"]).output
    assert "ci-bot" in listed and "write" in listed and token not in listed
    assert CliRunner().invoke(cli, ["keys", "create", "ci-bot"]).exit_code == 2  # taken
    assert CliRunner().invoke(cli, ["keys", "revoke", "ci-bot"]).exit_code == 0
    r = CliRunner().invoke(cli, ["keys", "revoke", "ci-bot"])
    assert r.exit_code != 0 and "no key named" in r.output


# ------------------------------------------------------------ knowledge bases (CLI)

def test_kb_commands_create_list_use_and_delete(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("rag.embed.load_embedder", lambda config: FakeEmbedder())
    gen = FakeGenerator()
    monkeypatch.setattr("rag.generate.load_generator", lambda config: gen)
    docs = _write(tmp_path / "mydocs", DOCS)
    run = lambda *a: CliRunner().invoke(cli, list(a))  # noqa: E731
    r = run("kb", "create", "灯塔资料", str(docs))
    assert r.exit_code == 0, r.output
    assert (tmp_path / "data" / "kbs" / "灯塔资料" / "CURRENT").exists()
    assert run("kb", "create", "灯塔资料", str(docs)).exit_code == 2  # exists
    listing = json.loads(run("kb", "list", "--json").stdout)["knowledge_bases"]
    assert [k["name"] for k in listing] == ["default", "灯塔资料"] and listing[1]["documents"] == 2
    r = run("ask", "北岬灯塔建于哪一年？", "--kb", "灯塔资料", "--json")
    assert r.exit_code == 0 and "1898" in json.loads(r.stdout)["answer"]
    r = run("search", "灯塔", "--kb", "nope")
    assert r.exit_code != 0 and "no knowledge base named 'nope'" in r.output and "Traceback" not in r.output
    assert run("ask", "x", "--kb", "../etc").exit_code == 2
    assert run("ask", "x", "--kb", "a", "--index", "b").exit_code == 2
    r = run("kb", "create", "empty", str(tmp_path / "nothing-here"))
    assert r.exit_code != 0 and not (tmp_path / "data" / "kbs" / "empty").exists()
    assert run("kb", "delete", "default", "--yes").exit_code == 2
    assert run("kb", "delete", "灯塔资料", "--yes").exit_code == 0
    assert not (tmp_path / "data" / "kbs" / "灯塔资料").exists() and docs.joinpath("orchard.txt").exists()


def test_kb_names_are_checked_like_hostile_file_names():
    for good in ("reports", "2026-财务", "a_b"):
        assert kbs.check_name(good) == good
    for bad in ("", "..", ".hidden", "a/b", "a\\b", "-x", "_x", "x" * 65, "a b", "a\x00"):
        with pytest.raises(Exception):
            kbs.check_name(bad)


# ------------------------------------------------------------ queue and disconnects

def test_gate_is_first_come_first_served_and_bounded():
    gate = Gate(limit=2)
    order, tickets = [], [gate.enter() for _ in range(3)]
    with pytest.raises(Busy):
        gate.enter()  # 1 may run + 2 wait
    assert gate.enter(force=True)  # a browser user is queued by Gradio instead

    def worker(i):
        assert gate.wait(tickets[i])
        order.append(i)
        time.sleep(0.05)
        gate.leave(tickets[i])

    threads = [threading.Thread(target=worker, args=(i,)) for i in (2, 1, 0)]
    for t in threads:
        t.start()
        time.sleep(0.05)
    cancel = threading.Event()
    cancel.set()
    assert gate.wait(gate._queue[-1], cancel) is False  # a cancelled waiter leaves the line
    for t in threads:
        t.join(5)
    assert order == [0, 1, 2]


def test_a_client_that_goes_away_stops_the_answer():
    closed = threading.Event()

    def work(cancel):
        try:
            while True:
                yield "token"
                time.sleep(0.02)
        finally:
            closed.set()

    class Gone:
        async def is_disconnected(self):
            return True

    async def consume():
        got = 0
        async for _ in relay(Gone(), work):
            got += 1
            if got == 3:
                break  # the response stream is closed (client gone)
        return got

    assert asyncio.run(consume()) == 3
    assert closed.wait(5)  # the worker noticed and closed the pipeline's generator


# ------------------------------------------------------------ saved conversations

def test_conversations_are_saved_continued_renamed_and_deleted(server, config):
    client, _ = server()
    first = ask(client, "北岬灯塔建于哪一年？", conversation_id="new").json()
    cid = first["conversation_id"]
    # the follow-up sends only the new question: the stored turns are the history
    second = ask(client, "它有多高？", conversation_id=cid).json()
    assert "北岬灯塔" in second["standalone_question"] and second["conversation_id"] == cid
    conv = client.get(f"/api/conversations/{cid}").json()
    assert conv["kb"] == "default" and conv["title"] == "北岬灯塔建于哪一年？"
    assert [t["question"] for t in conv["turns"]] == ["北岬灯塔建于哪一年？", "它有多高？"]
    assert conv["turns"][0]["citations"][0]["source"] == "lighthouse.txt"
    title = "灯塔'); DROP TABLE conversations;--"
    assert client.patch(f"/api/conversations/{cid}", json={"title": title}).json()["title"] == title
    assert [c["title"] for c in client.get("/api/conversations").json()["conversations"]] == [title]
    assert client.patch(f"/api/conversations/{cid}", json={"title": ""}).status_code == 400
    assert ask(client, "x", conversation_id="no-such-id").status_code == 404
    assert client.delete(f"/api/conversations/{cid}").status_code == 200
    assert client.get(f"/api/conversations/{cid}").status_code == 404
    assert client.get("/api/conversations").json()["conversations"] == []


def test_a_conversation_stays_in_its_knowledge_base_and_with_its_keys(server, tmp_path, config):
    client, _ = server(require_keys=True)
    _, admin = keys.create(config, "admin", None, "write")
    _, only_default = keys.create(config, "reader", ["default"])
    h_admin, h_reader = {"Authorization": f"Bearer {admin}"}, {"Authorization": f"Bearer {only_default}"}
    src = _write(tmp_path / "ferry", OTHER) / "ferry.txt"
    assert client.post("/api/kb/ferries/documents?create=true", headers=h_admin,
                       files=[("files", ("ferry.txt", src.read_bytes()))]).status_code == 201
    made = client.post("/api/conversations", headers=h_admin, json={"kb": "ferries", "title": "ferry times"})
    assert made.status_code == 201
    cid = made.json()["id"]
    # the reader cannot see it, nor learn it exists; nobody can continue it in another knowledge base
    assert client.get(f"/api/conversations/{cid}", headers=h_reader).status_code == 404
    assert client.get("/api/conversations", headers=h_reader).json()["conversations"] == []
    r = client.post("/v1/chat/completions", headers=h_admin, json={
        "model": "default", "conversation_id": cid, "messages": [{"role": "user", "content": "北岬灯塔建于哪一年？"}]})
    assert r.status_code == 404
    assert client.post("/api/conversations", headers=h_reader, json={"kb": "ferries"}).status_code == 403


def test_the_store_keeps_whole_turns_only(tmp_path):
    from rag.conversations import Store

    store = Store(tmp_path / "c.db")
    conv = store.create("default", "  many   spaces  ")
    assert conv.title == "many spaces"
    store.add_turn(conv.id, "q1", {"answer": "a1", "citations": []})
    with pytest.raises(RuntimeError):
        with store._db() as db:  # a failure inside a write leaves nothing behind
            db.execute("INSERT INTO turns VALUES (?, 2, 'q2', 'a2', '{}', '{}', 0)", (conv.id,))
            raise RuntimeError("crash mid-write")
    again = Store(tmp_path / "c.db").get(conv.id)
    assert [t.question for t in again.turns] == ["q1"] and again.history()[1] == {"role": "assistant", "content": "a1"}


def test_a_store_another_process_is_switching_to_wal_opens_after_a_wait():
    """Replicas starting together open one new conversations.db at once; the WAL switch
    meets "database is locked" without SQLite's busy wait. It is retried; other errors are not."""
    import sqlite3

    from rag.conversations import _to_wal

    class Busy:
        def __init__(self, fails: int, message: str = "database is locked"):
            self.fails, self.message, self.calls = fails, message, 0

        def execute(self, sql):
            self.calls += 1
            if self.calls <= self.fails:
                raise sqlite3.OperationalError(self.message)

    db = Busy(3)
    _to_wal(db)
    assert db.calls == 4
    with pytest.raises(sqlite3.OperationalError):
        _to_wal(Busy(1, "disk I/O error"))


def test_the_web_app_switches_knowledge_bases(server, tmp_path):
    from app.ui import create_app

    _, app = server()
    library = app.state.library
    src = _write(tmp_path / "ferry", OTHER) / "ferry.txt"
    library.create("ferries", [(src, "ferry.txt")])
    default = library.get("default")
    demo = create_app(default.pipeline, default.root, "en", kb=default, conversations=library.conversations,
                      library=library)
    h = demo.rag_handlers
    assert "Knowledge base" in {getattr(b, "label", None) for b in demo.blocks.values()}
    box, chat, panel, state, table, remove_pick, convs = h.switch_kb("ferries")
    assert state["kb"] == "ferries" and [row[0] for row in table] == ["ferry.txt"]
    out = list(h.respond("How often does the Holloway ferry cross?", state, 5, "hybrid", 256))[-1]
    assert "forty minutes" in out[1][-1]["content"] and out[3]["kb"] == "ferries"
    assert [c[0] for c in h.conversation_choices("ferries")["choices"]] == ["How often does the Holloway ferry cross?"]
    assert h.conversation_choices("default")["choices"] == []
    assert h.new_chat(out[3])[3]["kb"] == "ferries"  # a new chat stays on the chosen knowledge base
    assert [row[0] for row in h.table()] == ["lighthouse.txt", "orchard.txt"]  # the app's own is untouched
