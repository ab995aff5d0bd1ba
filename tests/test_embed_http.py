"""Embeddings from an OpenAI-compatible server (RAG_EMBEDDER=http://...), against a small
loopback server: batches, prefixes, concurrency, retries, errors, and an index built with it."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from click.testing import CliRunner

from rag.cli import cli
from rag.config import Config
from rag.embed import _CACHE
from rag.errors import ModelError
from rag.models.embed_http import HttpEmbedder, endpoint

from conftest import FakeEmbedder, send_json


class Server:
    """/v1/embeddings answering with FakeEmbedder vectors (scaled: the client must normalise),
    recording every request; ``fail`` answers that many requests with 503 first."""

    def __init__(self, fail: int = 0, key: str = ""):
        self.requests: list[dict] = []
        self.fail, self.key = fail, key
        self.in_flight = self.max_in_flight = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer.lock:
                    outer.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
                    outer.in_flight += 1
                    outer.max_in_flight = max(outer.max_in_flight, outer.in_flight)
                    failing = outer.fail > 0
                    outer.fail -= failing
                try:
                    time.sleep(0.05)
                    if outer.key and self.headers.get("Authorization") != f"Bearer {outer.key}":
                        return self._send(401, {"error": {"message": "bad key"}})
                    if failing:
                        return self._send(503, {"error": {"message": "loading"}})
                    vecs = FakeEmbedder().embed_passages(body["input"]) * 3.0
                    data = [{"object": "embedding", "index": i, "embedding": v.tolist()} for i, v in enumerate(vecs)]
                    self._send(200, {"object": "list", "data": data[::-1], "model": body["model"]})  # any order
                finally:
                    with outer.lock:
                        outer.in_flight -= 1

            def _send(self, status, obj):
                send_json(self, status, obj)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def inputs(self) -> list[str]:
        return [t for r in self.requests[1:] for t in r["input"]]  # after the dimension probe


@pytest.fixture
def server():
    s = Server()
    yield s
    s.httpd.shutdown()


def test_endpoint_forms():
    assert endpoint("http://h:80") == endpoint("http://h:80/v1/") == "http://h:80/v1/embeddings"
    assert endpoint("http://h/v1/embeddings") == "http://h/v1/embeddings"


def test_batches_prefixes_order_and_normalisation(server):
    e = HttpEmbedder(server.url, "intfloat/multilingual-e5-small", "", "query: ", "passage: ", batch_size=4,
                     concurrency=3)
    assert e.dim == 256 and e.name == "http:intfloat/multilingual-e5-small"
    texts = [f"第{i}段文字" for i in range(10)]
    v = e.embed_passages(texts)
    assert v.shape == (10, 256) and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert np.allclose(v, FakeEmbedder().embed_passages(["passage: " + t for t in texts]), atol=1e-5)  # in order
    assert sorted(len(r["input"]) for r in server.requests[1:]) == [2, 4, 4]
    assert server.max_in_flight >= 2  # batches were sent concurrently
    e.embed_queries(["问题"])
    assert server.requests[-1]["input"] == ["query: 问题"]
    assert {r["model"] for r in server.requests} == {"intfloat/multilingual-e5-small"}


def test_retries_a_server_that_is_starting(monkeypatch):
    monkeypatch.setattr("rag.models.embed_http.BACKOFF_S", 0.01)
    s = Server(fail=2)
    try:
        e = HttpEmbedder(s.url, "m")
        assert e.embed_passages(["a"]).shape == (1, 256) and len(s.requests) == 4  # 2 refused, probe, call
    finally:
        s.httpd.shutdown()


def test_errors_are_one_line(monkeypatch):
    monkeypatch.setattr("rag.models.embed_http.BACKOFF_S", 0.01)
    with pytest.raises(ModelError, match=r"embedding server at http://127.0.0.1:9/v1/embeddings failed"):
        HttpEmbedder("http://127.0.0.1:9", "m")
    s = Server(key="right")
    try:
        with pytest.raises(ModelError, match="HTTP 401") as e:
            HttpEmbedder(s.url, "m", api_key="wrong")
        assert len(s.requests) == 1  # a refused key is not retried
        assert "\n" not in str(e.value)
        assert HttpEmbedder(s.url, "m", api_key="right").dim == 256
    finally:
        s.httpd.shutdown()


def test_index_and_search_with_a_server_that_moved(tmp_path, server, seeds_dir, monkeypatch):
    """An index built through one address opens through another: the model is what counts."""
    monkeypatch.setenv("RAG_EMBEDDER", server.url)
    monkeypatch.setenv("RAG_EMBEDDER_MODEL", "e5-small")
    _CACHE.clear()
    run = lambda *a: CliRunner().invoke(cli, list(a), catch_exceptions=False)  # noqa: E731
    idx = str(tmp_path / "idx")
    r = run("index", str(seeds_dir), "--index", idx)
    assert r.exit_code == 0 and "2 added" in r.output
    assert server.inputs() and all(t.startswith("passage: ") for t in server.inputs())  # e5 prefixes by name
    moved = Server()
    try:
        monkeypatch.setenv("RAG_EMBEDDER", moved.url + "/v1")
        _CACHE.clear()
        r = run("search", "VAST服务了多少专业建模师？", "--index", idx, "--json", "-k", "3")
        assert r.exit_code == 0 and any("500万" in h["text"] for h in json.loads(r.output)["retrieved"])
        assert moved.requests[-1]["input"] == ["query: VAST服务了多少专业建模师？"]
        monkeypatch.setenv("RAG_EMBEDDER_MODEL", "another-model")
        _CACHE.clear()
        r = CliRunner().invoke(cli, ["search", "问题", "--index", idx])
        assert r.exit_code != 0 and "rebuild" in r.output and "\n" not in r.output.strip()
    finally:
        moved.httpd.shutdown()
        _CACHE.clear()


def test_config_keeps_the_key_secret():
    c = Config(embedder="http://h", embedder_api_key="s3cret")
    assert "s3cret" not in repr(c) and "embedder_api_key" not in c.to_dict()
    assert c.index_settings()["embedder"] == "http:default"
