"""The Milvus store (embedded Milvus Lite) against the folder store: the same hits, the same
incremental updates, and the faults a team meets (a killed bulk insert, another embedder,
an unreachable server, a database file another process holds)."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from rag import store
from rag.cli import cli
from rag.config import Config
from rag.errors import IndexMismatchError, StoreUnavailableError
from rag.index import update_index
from rag.retrieve import Retriever
from rag.store_milvus import MilvusWriter, close_all, target

from conftest import FakeEmbedder

TESTS = Path(__file__).resolve().parent

DOCS = {
    "lake.txt": "青海湖是中国最大的内陆咸水湖，面积约4400平方公里。湖中的鸟岛每年春天吸引大批候鸟。",
    "bridge.txt": "The old stone bridge was finished in 1887. It has seven arches and carries a single lane.",
    "tea.txt": "凍頂烏龍茶產於台灣南投鹿谷鄉，以中度發酵與焙火聞名。",
}


@pytest.fixture(autouse=True)
def _close():
    yield
    close_all()


def _docs(folder: Path, docs: dict[str, str] = DOCS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _count_per_doc(root: Path) -> dict[int, int]:
    """Chunk rows per document key, read straight from Milvus (duplicates would show)."""
    w = MilvusWriter(target("milvus", root))
    rows = w.c.query(w.where.chunks, filter="", output_fields=["doc_key"], limit=10_000)
    out: dict[int, int] = {}
    for r in rows:
        out[r["doc_key"]] = out.get(r["doc_key"], 0) + 1
    return out


def test_both_stores_give_the_same_hits_and_scores(tmp_path, seeds_dir, fake_embedder):
    questions = ["VAST服务了多少专业建模师？", "青海湖面积多大？", "When was the bridge finished?", "凍頂烏龍茶產地"]
    _docs(seeds_dir)
    found = {}
    for value in ("folder", "milvus"):
        config = Config(store=value)
        update_index(tmp_path / value, [seeds_dir], config, fake_embedder)
        r = Retriever.open(tmp_path / value, fake_embedder, config)
        found[value] = [[(h.chunk.key, round(h.score, 4), round(h.dense_score or 0, 4), round(h.bm25_score or 0, 3))
                         for h in r.search(q, 5).hits] for q in questions]
    assert (tmp_path / "milvus" / "milvus.db").exists() and not (tmp_path / "milvus" / "CURRENT").exists()
    for a, b in zip(found["folder"], found["milvus"]):
        assert a[0] == b[0]  # same best passage, same fused, cosine and BM25 scores
        assert sorted(x[1:] for x in a) == sorted(x[1:] for x in b)  # ties may swap rows


def test_incremental_add_update_remove(tmp_path, fake_embedder):
    src = _docs(tmp_path / "docs")
    config = Config(store="milvus")
    root = tmp_path / "idx"
    first = update_index(root, [src], config, fake_embedder)
    assert sorted(first.added) == sorted(DOCS) and first.n_chunks == 3
    (src / "lake.txt").unlink()
    (src / "bridge.txt").write_text("The old stone bridge was rebuilt in 1923 after a flood.", encoding="utf-8")
    (src / "mill.txt").write_text("水车磨坊建于清代，至今仍能磨面。", encoding="utf-8")
    second = update_index(root, None, config, fake_embedder)  # the sources recorded last time
    assert (second.added, second.updated, second.removed, second.unchanged) == \
        (["mill.txt"], ["bridge.txt"], ["lake.txt"], ["tea.txt"])
    assert second.n_embedded == 2 and second.n_chunks == 3
    r = Retriever.open(root, fake_embedder, config)
    assert set(r.index.manifest.documents) == {"bridge.txt", "tea.txt", "mill.txt"}
    assert "1923" in r.search("When was the bridge rebuilt?", 1).hits[0].chunk.text
    assert all("青海湖" not in h.chunk.text for h in r.search("青海湖", 5).hits)
    assert r.index.docs["mill.txt"].text.startswith("水车磨坊")
    assert "lake.txt" not in r.index.docs
    assert sorted(_count_per_doc(root).values()) == [1, 1, 1]
    assert update_index(root, None, config, fake_embedder).changed is False


def test_a_bulk_insert_killed_with_sigkill_is_completed_by_the_next_run(tmp_path):
    """kill -9 in the middle of writing: the next run writes what is missing, once."""
    src = tmp_path / "docs"
    _docs(src, {f"doc{i:02d}.txt": f"第{i}份报告。" + "内容段落，记录了当年的产量与价格。" * 40 for i in range(30)})
    root = tmp_path / "idx"
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(TESTS)!r})
        from pathlib import Path
        from conftest import FakeEmbedder
        import rag.index_milvus as im
        from rag.config import Config
        from rag.index import update_index
        im.ROUND = 4  # small rounds: many commit points to be killed between

        class Slow(FakeEmbedder):
            calls = 0

            def embed_passages(self, texts, progress=False):
                # A round is embedded, then written: at the start of call n, n - 1 are in.
                Slow.calls += 1
                Path({str(tmp_path / "calls")!r}).write_text(str(Slow.calls))
                time.sleep(0.3)
                return super().embed_passages(texts, progress)

        update_index(Path({str(root)!r}), [Path({str(src)!r})], Config(store="milvus"), Slow())
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=TESTS.parent, stderr=subprocess.PIPE)
    calls = tmp_path / "calls"
    deadline = time.time() + 120
    # Until two rounds are written. The count of the database's files used before is only a
    # proxy for that, and the test failed once on a loaded machine.
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
        if calls.exists() and calls.read_text() not in ("", "1", "2"):
            break
    assert proc.poll() is None, proc.stderr.read().decode()[-1500:]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    config = Config(store="milvus")
    again = update_index(root, None, config, FakeEmbedder())
    assert again.unchanged and again.added  # some were written before the kill, the rest now
    manifest = store.built_manifest(root, config)
    assert len(manifest.documents) == 30
    per_doc = _count_per_doc(root)
    assert len(per_doc) == 30 and sum(per_doc.values()) == sum(d.n_chunks for d in manifest.documents.values())
    assert again.n_chunks == sum(per_doc.values())


def test_an_index_built_with_another_embedder_is_refused(tmp_path, fake_embedder):
    config = Config(store="milvus")
    update_index(tmp_path / "idx", [_docs(tmp_path / "docs")], config, fake_embedder)
    other = FakeEmbedder()
    other.checksum = "another-model"
    with pytest.raises(IndexMismatchError, match="embedder"):
        Retriever.open(tmp_path / "idx", other, config)
    with pytest.raises(IndexMismatchError, match="embedder"):
        update_index(tmp_path / "idx", None, config, other)


def test_an_unreachable_server_is_one_line_naming_it(tmp_path, monkeypatch):
    monkeypatch.setattr("rag.embed.load_embedder", lambda config: FakeEmbedder())
    monkeypatch.setenv("RAG_STORE", "http://127.0.0.1:9")
    t0 = time.perf_counter()
    r = CliRunner().invoke(cli, ["search", "问题", "--index", str(tmp_path / "idx")])
    assert r.exit_code == 1 and time.perf_counter() - t0 < 30
    assert r.output.strip().count("\n") == 0 and "cannot reach Milvus at http://127.0.0.1:9" in r.output
    assert "Traceback" not in r.output


def test_a_lite_file_held_by_another_process_is_said_so(tmp_path, fake_embedder):
    update_index(tmp_path / "idx", [_docs(tmp_path / "docs")], Config(store="milvus"), fake_embedder)
    close_all()
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from pymilvus import MilvusClient
        MilvusClient({str(tmp_path / "idx" / "milvus.db")!r})
        print("open", flush=True)
        time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(StoreUnavailableError, match="open in another process"):
            Retriever.open(tmp_path / "idx", fake_embedder, Config(store="milvus"))
    finally:
        holder.kill()
        holder.wait()


def test_switching_stores_keeps_everything_and_is_remembered(tmp_path, monkeypatch):
    monkeypatch.setattr("rag.embed.load_embedder", lambda config: FakeEmbedder())
    monkeypatch.delenv("RAG_STORE", raising=False)
    idx = str(tmp_path / "idx")
    run = lambda *a: CliRunner().invoke(cli, list(a), catch_exceptions=False)  # noqa: E731
    assert run("index", str(_docs(tmp_path / "docs")), "--index", idx).exit_code == 0
    before = json.loads(run("search", "青海湖面积", "--index", idx, "--json").output)
    r = run("index", "--index", idx, "--store", "milvus", "--json")  # no paths: the documents indexed last time
    switched = json.loads(r.output)
    assert len(switched["added"]) == 3 and switched["n_embedded"] == 0  # vectors copied, not embedded again
    assert (tmp_path / "idx" / "STORE").read_text().strip() == "milvus"
    after = json.loads(run("search", "青海湖面积", "--index", idx, "--json").output)  # no --store: remembered
    assert [h["source"] for h in after["retrieved"]] == [h["source"] for h in before["retrieved"]]
    assert after["retrieved"][0]["text"] == before["retrieved"][0]["text"]
    assert "3 unchanged" in run("index", "--index", idx).output  # an update stays in Milvus
    assert store.chosen(Path(idx), Config()) == "milvus"
    r = run("index", "--index", idx, "--store", "folder", "--rebuild")  # and back
    assert r.exit_code == 0 and "3 added" in r.output and not (tmp_path / "idx" / "STORE").exists()


def test_deleting_a_knowledge_base_drops_its_collections(tmp_path, monkeypatch):
    monkeypatch.setattr("rag.embed.load_embedder", lambda config: FakeEmbedder())
    monkeypatch.setenv("RAG_STORE", "milvus")
    monkeypatch.setenv("RAG_DATA", str(tmp_path / "data"))
    run = lambda *a: CliRunner().invoke(cli, list(a), catch_exceptions=False)  # noqa: E731
    assert run("kb", "create", "notes", str(_docs(tmp_path / "docs"))).exit_code == 0
    listing = run("kb", "list").output
    assert "notes" in listing and "3" in listing
    assert run("kb", "delete", "notes", "--yes").exit_code == 0
    assert "notes" not in run("kb", "list").output
    assert not (tmp_path / "data" / "kbs" / "notes").exists()
