"""The real `rag serve` process (uvicorn, the API and the web app on one port) around fake
models: a saved conversation survives `kill -9` in the middle of an answer, and a client
that hangs up stops its answer. Seconds, not minutes: the generator is a slow fake."""
from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import free_port

from test_browser import REPO, SLOW_SERVER, _stop, _tail, start_script_server

DOC = "北岬灯塔建于1898年，塔身高三十二米，由港务局管理。灯塔在1952年改用电力照明。\n"
ANSWER = "北岬灯塔建于1898年，塔身高三十二米，由港务局管理。[1]"


def _start(base: Path, port: int, delay: float) -> subprocess.Popen:
    return start_script_server(base, SLOW_SERVER.format(tests=str(REPO / "tests"), answer=ANSWER, delay=delay), port)


def _post(url: str, body: dict, timeout: float = 60):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    return urllib.request.urlopen(req, timeout=timeout)


@pytest.fixture
def base(tmp_path):
    from conftest import FakeEmbedder
    from rag.config import Config
    from rag.index import update_index

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "lighthouse.txt").write_text(DOC, encoding="utf-8")
    update_index(tmp_path / "index", [tmp_path / "docs"], Config(), FakeEmbedder())
    return tmp_path


def test_a_conversation_survives_kill_9_mid_answer(base):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _start(base, port, 0.02)
    try:
        with _post(url + "/v1/chat/completions", {"model": "default", "conversation_id": "new",
                                                   "messages": [{"role": "user", "content": "北岬灯塔建于哪一年？"}]}) as r:
            cid = json.load(r)["conversation_id"]
        _stop(proc)
        proc = _start(base, port, 0.5)  # slow now: the kill lands in the middle of the answer
        stream = _post(url + "/v1/chat/completions", {"model": "default", "conversation_id": cid, "stream": True,
                                                       "messages": [{"role": "user", "content": "它有多高？"}]})
        assert stream.readline().startswith(b"data: ")  # the answer has started
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        stream.close()
        proc = _start(base, port, 0.02)
        with urllib.request.urlopen(f"{url}/api/conversations/{cid}", timeout=30) as r:
            conv = json.load(r)
        assert [t["question"] for t in conv["turns"]] == ["北岬灯塔建于哪一年？"], _tail(base / "server.log")
        db = sqlite3.connect(base / "data" / "conversations.db")
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        # and the conversation goes on where it was
        with _post(url + "/v1/chat/completions", {"model": "default", "conversation_id": cid,
                                                   "messages": [{"role": "user", "content": "它有多高？"}]}) as r:
            assert json.load(r)["refused"] is False
        with urllib.request.urlopen(f"{url}/api/conversations/{cid}", timeout=30) as r:
            assert len(json.load(r)["turns"]) == 2
    finally:
        _stop(proc)


def test_a_client_that_hangs_up_stops_its_answer(base):
    port = free_port()
    proc = _start(base, port, 0.3)
    try:
        body = json.dumps({"model": "default", "stream": True,
                           "messages": [{"role": "user", "content": "北岬灯塔建于哪一年？"}]}).encode()
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(body) + body)
            seen = b""
            while seen.count(b"data: ") < 3:  # the answer is streaming
                seen += sock.recv(4096)
        # the client has gone away after the first pieces
        log = base / "server.log"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(f"generation 1: {how}" in _tail(log) for how in ("stopped", "finished")):
            time.sleep(0.2)
        assert "generation 1: stopped" in _tail(log), _tail(log)
    finally:
        _stop(proc)
