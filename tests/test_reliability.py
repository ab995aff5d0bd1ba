"""Faults a laptop user meets: killed mid-index, a lock left by a dead process, no network,
Ctrl-C in the middle of an answer, files and folders they may not read."""
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from rag import store

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

# A writer that embeds slowly, so a kill lands in the middle of its work.
WRITER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {tests!r})
    from conftest import FakeEmbedder
    from rag.config import Config
    from rag.index import update_index

    class Slow(FakeEmbedder):
        def embed_passages(self, texts, progress=False):
            out = []
            for t in texts:
                time.sleep(0.01)
                out.append(super().embed_passages([t])[0])
            import numpy as np
            return np.stack(out) if out else np.zeros((0, self.dim), np.float32)

    print("start", flush=True)
    update_index(sys.argv[1], [sys.argv[2]], Config(), Slow())
    print("done", flush=True)
""")


def _writer(tmp_path: Path) -> Path:
    p = tmp_path / "writer.py"
    p.write_text(WRITER.format(tests=str(HERE)))
    return p


def _docs(folder: Path, n: int, tag: str) -> None:
    folder.mkdir(exist_ok=True)
    for i in range(n):
        (folder / f"d{i:03d}.txt").write_text(f"第{i}篇{tag}文档。澄川数据的第{i}条新闻，内容编号{i}。" * 5,
                                              encoding="utf-8")


def _run(script, idx, docs, timeout=120):
    return subprocess.run([sys.executable, str(script), str(idx), str(docs)], capture_output=True,
                          text=True, timeout=timeout, cwd=REPO)


@pytest.mark.parametrize("delay", [0.3, 1.0, 2.0, 3.0])
def test_kill_9_during_index_keeps_previous_index(tmp_path, delay):
    script, idx, docs = _writer(tmp_path), tmp_path / "idx", tmp_path / "docs"
    _docs(docs, 20, "旧")
    assert _run(script, idx, docs).returncode == 0
    before = store.open_index(idx).manifest.documents
    _docs(docs, 120, "新")  # changes every document and adds 100
    proc = subprocess.Popen([sys.executable, str(script), str(idx), str(docs)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, cwd=REPO)
    assert proc.stdout.readline().strip() == "start"
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    # The index opens and is either the old one or the complete new one, never a mix.
    after = store.open_index(idx)
    assert len(after.manifest.documents) in (20, 120)
    if len(after.manifest.documents) == 20:
        assert after.manifest.documents == before
    # Re-running completes the update (the dead writer's lock and partial files are gone).
    assert _run(script, idx, docs).returncode == 0
    final = store.open_index(idx)
    assert len(final.manifest.documents) == 120
    assert not list(idx.glob("*.tmp")) and len(list(idx.glob("gen-*"))) == 1


def test_openvino_is_imported_with_its_telemetry_stub():
    """`import openvino` starts Google Analytics telemetry through its converter unless the
    openvino_telemetry package cannot be imported; rag's offline switch makes it so."""
    code = ("from rag import offline; offline.enable()\n"
            "import openvino.tools.ovc.telemetry_utils as t; print(t.tm.__name__)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "openvino.tools.ovc.telemetry_stub"
    plain = subprocess.run([sys.executable, "-c", code.split("\n")[1]], capture_output=True, text=True, timeout=120)
    assert plain.stdout.strip() != "openvino.tools.ovc.telemetry_stub"  # without it, the real one


@pytest.mark.integration
def test_no_connection_attempts_outside_loopback(tmp_path):
    """index, ask and serve with every non-loopback connection refused and recorded."""
    import shutil

    shutil.copytree(REPO / "seeds", tmp_path / "seeds")
    guard = tmp_path / "sitecustomize.py"
    log = tmp_path / "attempts.log"
    guard.write_text(textwrap.dedent(f"""
        import socket
        _orig = socket.socket.connect
        def _guard(self, address):
            host = address[0] if isinstance(address, tuple) else str(address)
            if isinstance(address, tuple) and host not in ("127.0.0.1", "::1", "localhost"):
                with open({str(log)!r}, "a") as f:
                    f.write(f"{{host}}\\n")
                raise OSError("network blocked by test")
            return _orig(self, address)
        socket.socket.connect = _guard
        _orig_cx = socket.create_connection
        def _cx(address, *a, **k):
            if address[0] not in ("127.0.0.1", "::1", "localhost"):
                with open({str(log)!r}, "a") as f:
                    f.write(f"{{address[0]}}\\n")
                raise OSError("network blocked by test")
            return _orig_cx(address, *a, **k)
        socket.create_connection = _cx
    """))
    env = dict(os.environ, PYTHONPATH=str(tmp_path), RAG_INDEX=str(tmp_path / "idx"))
    rag = [sys.executable, "-m", "rag.cli"]
    r = subprocess.run(rag + ["index", str(tmp_path / "seeds")], env=env, capture_output=True, text=True,
                       timeout=900, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    r = subprocess.run(rag + ["ask", "VAST服务了多少专业建模师？", "--json"], env=env, capture_output=True,
                       text=True, timeout=900, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    # serve: start, wait until it answers on loopback, stop
    import socket as s

    with s.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(rag + ["serve", "--port", str(port)], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        import urllib.request

        deadline = time.time() + 300
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"server exited: {proc.stderr.read()[-2000:]}")
                time.sleep(2)
        else:
            pytest.fail("server did not start")
        time.sleep(3)  # give background threads (analytics, version checks) time to try
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    attempts = log.read_text().split() if log.exists() else []
    assert attempts == [], f"tried to reach: {sorted(set(attempts))}"


# --- Ctrl-C in `rag chat` ---------------------------------------------------------------

# The child `rag chat` uses the fake embedder: this sitecustomize (first on PYTHONPATH)
# replaces rag.embed.load_embedder before the CLI runs, as the product code looks it up at
# call time. The generator is real product code: OpenAIGenerator against SLOW_ANSWER below.
FAKE_EMBEDDER_SITE = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from conftest import FakeEmbedder
    import rag.embed
    rag.embed.load_embedder = lambda config: FakeEmbedder()
""")
CHAT_QUESTION = "VAST服务了多少专业建模师？"
# One piece every PIECE_DELAY seconds; with [1] it passes verification against the seed.
SLOW_ANSWER = ["截至目前", "，", "VAST", "工具", "已经", "服务了", "全球近", "500万", "专业", "建模师", "[1]", "。"]
PIECE_DELAY = 0.3


class _SlowSSE:
    """A loopback OpenAI-compatible server streaming SLOW_ANSWER, one piece per PIECE_DELAY."""

    def __init__(self):
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        owner = self
        self.requests = 0
        self.hung_up = threading.Event()  # a client closed the connection mid-answer

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server naming
                self.rfile.read(int(self.headers["Content-Length"]))
                owner.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                try:
                    for piece in SLOW_ANSWER:
                        event = json.dumps({"choices": [{"delta": {"content": piece}}]}, ensure_ascii=False)
                        self.wfile.write(f"data: {event}\n\n".encode())
                        self.wfile.flush()
                        time.sleep(PIECE_DELAY)
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    owner.hung_up.set()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class _Pipe:
    """Everything a child wrote to one pipe so far, read by a thread (bytes; decoded on demand)."""

    def __init__(self, stream):
        import threading

        self.data = b""
        self.stream = stream
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while chunk := os.read(self.stream.fileno(), 4096):
            self.data += chunk

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")

    def wait_for(self, predicate, proc, what: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self.text):
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}")
            if proc.poll() is not None and not self.thread.is_alive() and not predicate(self.text):
                pytest.fail(f"rag chat exited ({proc.returncode}) before {what}")
            time.sleep(0.05)


@pytest.mark.parametrize("parent", ["default", "ignores Ctrl-C"])
def test_ctrl_c_in_chat_cancels_the_answer_and_the_session_goes_on(tmp_path, seeds_dir, parent):
    from conftest import FakeEmbedder
    from rag.config import Config
    from rag.index import update_index

    update_index(tmp_path / "idx", [seeds_dir], Config(), FakeEmbedder())
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(FAKE_EMBEDDER_SITE.format(tests=str(HERE)))
    llm = _SlowSSE()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(PYTHONPATH=os.pathsep.join([str(site), str(REPO)]), RAG_GENERATOR=llm.url)
    # Started with SIGINT ignored (a launcher, nohup): Python would keep ignoring it.
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if parent != "default" else None
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "chat", "--index", str(tmp_path / "idx")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=tmp_path, env=env, preexec_fn=ignore)
    out, err = _Pipe(proc.stdout), _Pipe(proc.stderr)
    try:
        err.wait_for(lambda t: "ask a question" in t, proc, "the chat prompt", timeout=40)

        # 1. Ctrl-C while the answer streams: cancelled, the session stays.
        proc.stdin.write(f"{CHAT_QUESTION}\n".encode())
        proc.stdin.flush()
        out.wait_for(lambda t: "VAST" in t, proc, "the first streamed tokens")
        os.kill(proc.pid, signal.SIGINT)
        err.wait_for(lambda t: "(answer cancelled)" in t, proc, "'(answer cancelled)'")
        assert proc.poll() is None, f"rag chat exited on Ctrl-C:\n{err.text}"
        assert "建模师" not in out.text, "the answer was not cut short"
        assert llm.hung_up.wait(5), "the generator server kept streaming after Ctrl-C"
        cut = len(out.data)

        # 2. The next question gets a complete, cited answer.
        proc.stdin.write(f"{CHAT_QUESTION}\n".encode())
        proc.stdin.flush()
        err.wait_for(lambda t: "(retrieval" in t, proc, "the second answer")  # timings end an answer
        # The sources are printed to stdout before the timings to stderr, but each pipe has
        # its own reader thread: wait for stdout's copy too, not only for stderr's.
        out.wait_for(lambda _: b"\n[1] " in out.data[cut:], proc, "the second answer's sources")
        second = out.data[cut:].decode("utf-8", "replace")
        assert "".join(SLOW_ANSWER) in second, second
        assert "\n[1] " in second and "500万专业建模师" in second.split("\n[1] ", 1)[1], second  # its source
        assert llm.requests == 2

        # 3. Ctrl-D ends the session cleanly.
        proc.stdin.close()
        assert proc.wait(timeout=15) == 0, err.text
        out.thread.join(5)
        err.thread.join(5)
        assert "Traceback" not in err.text and "Error in sitecustomize" not in err.text, err.text
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        llm.close()


# --- files the user may not read ----------------------------------------------------------

# Tests usually run as root, for whom chmod 000 blocks nothing: root reads through
# CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH. The child `rag index` then runs as root without
# those two capabilities (setpriv, util-linux), so the kernel's permission checks apply as to
# any user. (Switching to `nobody` does not work here: the interpreter lives under /root,
# mode 0700.) Not root: the child runs as the current user, for whom chmod 000 works as is.
_NO_DAC = ("--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search")


def _unprivileged_prefix(probe: Path) -> list[str]:
    """The command prefix that runs a child for which ``probe`` (chmod 000) is unreadable;
    skips the test, saying why, when there is none."""
    if os.geteuid() != 0:
        prefix = []
    elif setpriv := shutil.which("setpriv"):
        prefix = [setpriv, *_NO_DAC]
    else:
        pytest.skip("running as root and setpriv (util-linux) is missing: cannot drop CAP_DAC_OVERRIDE, "
                    "so chmod 000 would not block reading")
    r = subprocess.run(prefix + [sys.executable, "-c", "import sys; open(sys.argv[1]).read()", str(probe)],
                       capture_output=True, text=True, timeout=60)
    if "PermissionError" not in r.stderr:
        pytest.skip(f"cannot start a child that chmod 000 stops (uid {os.geteuid()}, prefix {prefix}): "
                    f"exit {r.returncode}, {r.stderr.strip()[-300:] or 'the file was readable'}")
    return prefix


def test_unreadable_file_and_folder_are_reported_and_the_rest_is_indexed(tmp_path):
    from conftest import FakeEmbedder
    from rag.config import Config
    from rag.index import update_index
    from rag.retrieve import Retriever

    docs = tmp_path / "docs"
    (docs / "locked").mkdir(parents=True)
    (docs / "readable.txt").write_text("蓝岬Bluecape是澄川数据分拆出来的芯片公司，专注推理芯片。", encoding="utf-8")
    (docs / "secret.txt").write_text("这份文件的内容是机密的薪酬数据。", encoding="utf-8")
    (docs / "locked" / "inner.txt").write_text("锁住的目录里有一篇关于大模型的文档。", encoding="utf-8")
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(FAKE_EMBEDDER_SITE.format(tests=str(HERE)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(PYTHONPATH=os.pathsep.join([str(site), str(REPO)]), HOME=str(tmp_path / "home"),
               RAG_CACHE=str(tmp_path / "cache"), XDG_CACHE_HOME=str(tmp_path / "xdg"))
    idx = tmp_path / "idx"
    (docs / "secret.txt").chmod(0)
    (docs / "locked").chmod(0)
    try:
        prefix = _unprivileged_prefix(docs / "secret.txt")
        r = subprocess.run(prefix + [sys.executable, "-m", "rag.cli", "index", str(docs), "--index", str(idx)],
                           capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    finally:
        (docs / "secret.txt").chmod(0o644)
        (docs / "locked").chmod(0o755)
    output = r.stdout + r.stderr
    # Skipped files do not fail the run (exit 0, as for empty or unsupported files).
    assert r.returncode == 0, output
    assert "Traceback" not in output and "Error in sitecustomize" not in output, output
    # One line per unreadable thing, naming it and saying why.
    secret = [line for line in r.stderr.splitlines() if "secret.txt" in line]
    assert secret == [f"warning: skipped {docs / 'secret.txt'}: permission denied"], r.stderr
    locked = [line for line in r.stderr.splitlines() if "locked" in line]
    assert locked == [f"warning: skipped {docs / 'locked'}: cannot read folder: permission denied"], r.stderr
    assert "1 added, 0 updated, 0 removed, 0 unchanged, 2 skipped" in r.stdout, r.stdout
    # The readable document is indexed and found; nothing of the unreadable ones leaked in.
    index = store.open_index(idx)
    assert set(index.manifest.documents) == {"readable.txt"}
    assert {c.doc_id for c in index.chunks} == {"readable.txt"}
    hits = Retriever.open(idx, FakeEmbedder(), Config()).search("蓝岬是哪家公司分拆的？", 3).hits
    assert hits and hits[0].chunk.doc_id == "readable.txt"
    # Once readable, the next run (sources recorded by the first) picks them up; the readable
    # document is not embedded again.
    again = update_index(idx, None, Config(), FakeEmbedder())
    assert sorted(again.added) == ["locked/inner.txt", "secret.txt"]
    assert again.unchanged == ["readable.txt"] and not again.skipped and not again.removed
    # An indexed document that becomes unreadable is not deleted from the index: it is
    # reported and its indexed version kept, until it can be read again.
    (docs / "secret.txt").chmod(0)
    (docs / "locked").chmod(0)
    try:
        r = subprocess.run(prefix + [sys.executable, "-m", "rag.cli", "index", "--index", str(idx)],
                           capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    finally:
        (docs / "secret.txt").chmod(0o644)
        (docs / "locked").chmod(0o755)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stdout + r.stderr
    assert f"warning: skipped {docs / 'secret.txt'}: permission denied; the indexed version is kept" in r.stderr
    assert "0 added, 0 updated, 0 removed, 3 unchanged, 2 skipped" in r.stdout, r.stdout
    assert set(store.open_index(idx).manifest.documents) == {"readable.txt", "secret.txt", "locked/inner.txt"}
