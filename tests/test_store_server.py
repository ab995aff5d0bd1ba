"""Several `rag` processes sharing one knowledge base through a Milvus server.

The server here is Milvus Lite's own gRPC server (`milvus-lite server`, from the
milvus-lite package), reached over the network protocol exactly as a Milvus standalone or
cluster would be (RAG_STORE=http://127.0.0.1:PORT). Two API replicas are two processes
with nothing but the server in common; a third writes documents. Killing the server
mid-service must give a JSON error naming it, not a crash."""
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import free_port

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


def _wait_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace")[-3000:] if proc.stderr else ""
            raise RuntimeError(f"process exited with {proc.returncode}: {err}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on {port}")


@pytest.fixture
def milvus(tmp_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(tmp_path / "milvus-data"),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_port(port, proc)
    yield f"http://127.0.0.1:{port}", proc
    proc.kill()
    proc.wait()


# A replica: the HTTP API over fakes (conftest), in its own process, on the shared store.
REPLICA = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    import uvicorn
    from conftest import FakeEmbedder, FakeGenerator
    import rag.embed, rag.generate
    rag.embed.load_embedder = lambda config: FakeEmbedder()
    rag.generate.load_generator = lambda config: FakeGenerator()
    from rag.session import load_config, open_pipeline
    from app.kb import KnowledgeBase
    from app.pool import Library
    from app.api import create_api
    from pathlib import Path
    config = load_config()
    pipeline = open_pipeline({index!r}, config)
    api = create_api(Library(KnowledgeBase(pipeline, Path({index!r})), config.with_(index={index!r}, kb="")))
    uvicorn.run(api, host="127.0.0.1", port={port}, log_level="warning")
""")


def _env(uri: str, tmp_path: Path) -> dict:
    return {**os.environ, "RAG_STORE": uri, "RAG_DATA": str(tmp_path / "data"), "PYTHONPATH": str(REPO)}


def _index(paths: list[Path], index: Path, env: dict) -> dict:
    code = textwrap.dedent(f"""
        import sys, json
        sys.path.insert(0, {str(TESTS)!r})
        from conftest import FakeEmbedder
        import rag.embed
        rag.embed.load_embedder = lambda config: FakeEmbedder()
        from rag.cli import main
        sys.argv = ["rag", "index", *{[str(p) for p in paths]!r}, "--index", {str(index)!r}, "--json"]
        main()
    """)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300, cwd=REPO)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _post(port: int, path: str, body: dict) -> tuple[int, dict]:
    import urllib.error
    import urllib.request

    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_replicas_share_one_knowledge_base_through_a_milvus_server(tmp_path, milvus):
    uri, server = milvus
    env = _env(uri, tmp_path)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "lake.txt").write_text("青海湖是中国最大的内陆咸水湖，面积约4400平方公里。", encoding="utf-8")
    index = tmp_path / "kb"  # only its name (the collections' prefix) and a lock file live here
    assert _index([docs], index, env)["added"] == ["lake.txt"]
    assert not (index / "CURRENT").exists() and not list(index.glob("*.db"))

    ports, replicas = [free_port(), free_port()], []
    try:
        for port in ports:
            script = REPLICA.format(tests=str(TESTS), index=str(index), port=port)
            replicas.append(subprocess.Popen([sys.executable, "-c", script], env=env, cwd=REPO,
                                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        for port, proc in zip(ports, replicas):
            _wait_port(port, proc, 120)
        answers = [_post(p, "/api/search", {"query": "青海湖面积多大？", "k": 3}) for p in ports]
        assert [s for s, _ in answers] == [200, 200]
        assert answers[0][1]["hits"] == answers[1][1]["hits"] and "4400" in answers[0][1]["hits"][0]["text"]

        # A third process adds a document: both replicas find it without restarting.
        (docs / "bridge.txt").write_text("The old stone bridge was finished in 1887 and has seven arches.",
                                         encoding="utf-8")
        assert _index([docs], index, env)["added"] == ["bridge.txt"]
        for p in ports:
            status, body = _post(p, "/api/search", {"query": "When was the stone bridge finished?", "k": 5})
            assert status == 200 and "1887" in body["hits"][0]["text"] and len(body["hits"]) == 2

        # The server goes away: a JSON error naming it, and the replica keeps serving.
        server.send_signal(signal.SIGKILL)
        server.wait()
        status, body = _post(ports[0], "/api/search", {"query": "青海湖", "k": 1})
        assert status == 503 and body["error"]["code"] == "store_unavailable"
        assert uri in body["error"]["message"]
        assert replicas[0].poll() is None
    finally:
        for proc in replicas:
            proc.kill()
            proc.wait()


def test_the_deployment_file_configures_settings_that_exist():
    """app/deploy/compose.yaml is not run here (no container runtime): at least every RAG_*
    it sets must be a setting, the replicas must reach Milvus and the LLM by service name,
    and nginx must point at the replicas' port."""
    import dataclasses

    import yaml

    from rag.config import Config

    deploy = REPO / "app" / "deploy"
    compose = yaml.safe_load((deploy / "compose.yaml").read_text(encoding="utf-8"))
    rag = compose["services"]["rag"]
    fields = {f"RAG_{f.name.upper()}" for f in dataclasses.fields(Config)}
    assert set(rag["environment"]) <= fields
    assert rag["environment"]["RAG_STORE"] == "http://milvus:19530" and "milvus" in compose["services"]
    assert rag["environment"]["RAG_GENERATOR"].startswith("http://llm:")
    Config.from_env({k: str(v) for k, v in rag["environment"].items()})  # valid values
    port = rag["command"][rag["command"].index("--port") + 1]
    assert f"server rag:{port}" in (deploy / "nginx.conf").read_text(encoding="utf-8")
    assert (deploy / "Dockerfile").read_text(encoding="utf-8").count("[milvus]") == 1
