"""Faults a laptop user meets: killed mid-index, a lock left by a dead process, no network."""
import os
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
        (folder / f"d{i:03d}.txt").write_text(f"第{i}篇{tag}文档。商汤科技的第{i}条新闻，内容编号{i}。" * 5,
                                              encoding="utf-8")


def _run(script, idx, docs, timeout=120):
    return subprocess.run([sys.executable, str(script), str(idx), str(docs)], capture_output=True,
                          text=True, timeout=timeout, cwd=REPO)


@pytest.mark.parametrize("delay", [0.3, 1.0, 2.0, 3.0])
def test_kill_9_during_index_keeps_previous_index(tmp_path, delay):
    script, idx, docs = _writer(tmp_path), tmp_path / "idx", tmp_path / "docs"
    _docs(docs, 20, "旧")
    assert _run(script, idx, docs).returncode == 0
    before = store.open_index(idx).manifest["documents"]
    _docs(docs, 120, "新")  # changes every document and adds 100
    proc = subprocess.Popen([sys.executable, str(script), str(idx), str(docs)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, cwd=REPO)
    assert proc.stdout.readline().strip() == "start"
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    # The index opens and is either the old one or the complete new one, never a mix.
    after = store.open_index(idx)
    assert len(after.manifest["documents"]) in (20, 120)
    if len(after.manifest["documents"]) == 20:
        assert after.manifest["documents"] == before
    # Re-running completes the update (the dead writer's lock and partial files are gone).
    assert _run(script, idx, docs).returncode == 0
    final = store.open_index(idx)
    assert len(final.manifest["documents"]) == 120
    assert not list(idx.glob("*.tmp")) and len(list(idx.glob("gen-*"))) == 1


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
