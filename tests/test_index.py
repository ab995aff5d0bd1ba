"""The index: incremental, atomic, self-checking."""
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag import store
from rag.config import Config
from rag.errors import IndexCorruptError, IndexLockedError, IndexMismatchError, IndexMissingError
from rag.chunk import embed_text
from rag.index import update_index
from rag.retrieve import Retriever

from conftest import FakeEmbedder


@pytest.fixture
def built(tmp_path, seeds_dir, fake_embedder):
    root = tmp_path / "idx"
    update_index(root, [seeds_dir], Config(), fake_embedder)
    return root


def test_incremental_add_change_remove(tmp_path, seeds_dir, fake_embedder, built):
    r = update_index(built, [seeds_dir], Config(), fake_embedder)
    assert (r.added, r.updated, r.removed, r.n_embedded) == ([], [], [], 0)
    assert len(r.unchanged) == 2

    (seeds_dir / "new.md").write_text("# 新文档\n蓝岬Bluecape是澄川数据分拆的芯片公司。", encoding="utf-8")
    with open(seeds_dir / "002_87ba7b168308daf7.txt", "a", encoding="utf-8") as f:
        f.write("\n补充一句新的内容。\n")
    (seeds_dir / "000_6d9cd55ab9d6cbba.txt").unlink()
    r = update_index(built, None, Config(), fake_embedder)  # sources recorded last time
    assert r.added == ["new.md"]
    assert r.updated == ["002_87ba7b168308daf7.txt"]
    assert r.removed == ["000_6d9cd55ab9d6cbba.txt"]
    idx = store.open_index(built)
    assert set(idx.manifest.documents) == {"new.md", "002_87ba7b168308daf7.txt"}
    assert {c.doc_id for c in idx.chunks} == {"new.md", "002_87ba7b168308daf7.txt"}
    # only the new/changed documents were embedded
    assert r.n_embedded == sum(1 for c in idx.chunks)
    # vectors stay aligned with chunks
    again = fake_embedder.embed_passages([embed_text(c) for c in idx.chunks[:3]])
    assert np.allclose(idx.vectors[:3], again, atol=1e-5)


def test_unchanged_rerun_writes_nothing(built, seeds_dir, fake_embedder):
    before = (built / "CURRENT").read_text()
    update_index(built, [seeds_dir], Config(), fake_embedder)
    assert (built / "CURRENT").read_text() == before


def test_manifest_records_config_and_hashes(built):
    m = store.open_index(built).manifest
    assert m.format_version == store.FORMAT_VERSION
    assert m.config["chunk_size"] == 300 and m.embedder.name == "fake:char-ngrams"
    for d in m.documents.values():
        assert len(d.hash) == 64 and d.n_chunks > 0


def test_interrupted_write_leaves_old_index(built, seeds_dir, fake_embedder, monkeypatch):
    before = store.open_index(built)
    (seeds_dir / "extra.txt").write_text("额外的文档内容。", encoding="utf-8")

    def crash(*a, **k):
        raise KeyboardInterrupt  # as if killed while writing vectors

    monkeypatch.setattr(store.np, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        update_index(built, [seeds_dir], Config(), fake_embedder)
    monkeypatch.undo()
    after = store.open_index(built)
    assert after.manifest.documents.keys() == before.manifest.documents.keys()
    # the next run sweeps the half-written generation and completes
    r = update_index(built, [seeds_dir], Config(), fake_embedder)
    assert r.added == ["extra.txt"]
    assert not list(built.glob("*.tmp"))
    assert len(list(built.glob("gen-*"))) == 1


def test_other_embedder_is_refused(built, fake_embedder):
    class Other(type(fake_embedder)):
        name, checksum = "other-model", "abc"

    with pytest.raises(IndexMismatchError, match="rebuild"):
        Retriever.open(built, Other(), Config())


def test_other_chunking_needs_rebuild(built, seeds_dir, fake_embedder):
    with pytest.raises(IndexMismatchError, match="chunk_size"):
        update_index(built, [seeds_dir], Config(chunk_size=200), fake_embedder)
    r = update_index(built, [seeds_dir], Config(chunk_size=200), fake_embedder, rebuild=True)
    assert len(r.added) == 2


def _gen(root):
    return root / (root / "CURRENT").read_text().strip()


@pytest.mark.parametrize("damage", ["truncate_faiss", "bad_manifest", "old_format", "missing_chunks",
                                    "chunks_out_of_step", "no_current"])
def test_damaged_index_detected(built, damage):
    gen = _gen(built)
    if damage == "truncate_faiss":
        data = (gen / "faiss.index").read_bytes()
        (gen / "faiss.index").write_bytes(data[: len(data) // 2])
    elif damage == "bad_manifest":
        (gen / "manifest.json").write_text("{not json")
    elif damage == "old_format":
        m = json.loads((gen / "manifest.json").read_text())
        m["format_version"] = 0
        (gen / "manifest.json").write_text(json.dumps(m))
    elif damage == "missing_chunks":
        (gen / "chunks.jsonl").unlink()
    elif damage == "chunks_out_of_step":
        lines = (gen / "chunks.jsonl").read_text().splitlines(True)
        m = json.loads((gen / "manifest.json").read_text())
        (gen / "chunks.jsonl").write_text("".join(lines[:-1]))
        m["files"]["chunks.jsonl"] = (gen / "chunks.jsonl").stat().st_size
        (gen / "manifest.json").write_text(json.dumps(m))
    elif damage == "no_current":
        (built / "CURRENT").unlink()
    expected = IndexMissingError if damage == "no_current" else (IndexCorruptError, IndexMismatchError)
    with pytest.raises(expected) as e:
        store.open_index(built)
    assert "rag index" in str(e.value)


def test_one_writer_at_a_time(built, seeds_dir, fake_embedder):
    with store.WriteLock(built):
        with pytest.raises(IndexLockedError, match="another process"):
            update_index(built, [seeds_dir], Config(), fake_embedder)
    update_index(built, [seeds_dir], Config(), fake_embedder)  # free again


def test_duplicates_and_bad_files_skipped(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("澄川数据成立于2016年。", encoding="utf-8")
    shutil.copy(docs / "a.txt", docs / "b.txt")
    (docs / "empty.txt").write_text("")
    (docs / "x.pages").write_text("?")  # Apple Pages: not read
    r = update_index(tmp_path / "idx", [docs], Config(), fake_embedder)
    assert r.added == ["a.txt"]
    reasons = {s.path.split("/")[-1]: s.reason for s in r.skipped}
    assert "duplicate" in reasons["b.txt"] and "empty" in reasons["empty.txt"]
    assert "unsupported" in reasons["x.pages"]


@pytest.mark.parametrize("index_type", ["flat", "hnsw", "ivf"])
def test_index_types_retrieve(tmp_path, seeds_dir, fake_embedder, index_type):
    cfg = Config(index_type=index_type)
    update_index(tmp_path / "i", [seeds_dir], cfg, fake_embedder)
    hits = Retriever.open(tmp_path / "i", fake_embedder, cfg).search("VAST服务了多少专业建模师？", 3).hits
    assert any("建模师" in h.chunk.text for h in hits)


def test_a_run_killed_while_embedding_resumes_without_embedding_again(tmp_path):
    """kill -9 in the middle of embedding: the next run embeds only what was not saved,
    and the index it writes is the one an uninterrupted run writes."""
    import os
    import signal
    import subprocess
    import sys
    import textwrap
    import time

    from rag.journal import FOLDER

    src = tmp_path / "docs"
    src.mkdir()
    for i in range(30):
        (src / f"doc{i:02d}.txt").write_text(f"第{i}份年报。" + "本年度的产量、价格与库存变化如下。" * 30, encoding="utf-8")
    root = tmp_path / "idx"
    tests = Path(__file__).resolve().parent
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(tests)!r})
        from pathlib import Path
        from conftest import FakeEmbedder
        import rag.index
        from rag.config import Config
        rag.index.ROUND = 4

        class Slow(FakeEmbedder):
            def embed_passages(self, texts, progress=False):
                time.sleep(0.3)
                return super().embed_passages(texts, progress)

        rag.index.update_index(Path({str(root)!r}), [Path({str(src)!r})], Config(), Slow())
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=tests.parent, stderr=subprocess.PIPE)
    journal = root / FOLDER
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and len(list(journal.glob("*.keys.npy"))) < 3:
        time.sleep(0.2)
    assert proc.poll() is None, proc.stderr.read().decode()[-1500:]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (root / "CURRENT").exists()  # nothing was written: the kill came first

    class Counting(FakeEmbedder):
        n = 0

        def embed_passages(self, texts, progress=False):
            Counting.n += len(texts)
            return super().embed_passages(texts, progress)

    report = update_index(root, [src], Config(), Counting())
    assert 0 < report.n_embedded == report.n_chunks and Counting.n < report.n_chunks  # resumed
    assert not journal.exists()
    clean = update_index(tmp_path / "clean", [src], Config(), FakeEmbedder())
    a, b = store.open_index(root), store.open_index(tmp_path / "clean")
    assert [c.key for c in a.chunks] == [c.key for c in b.chunks] and clean.n_chunks == report.n_chunks
    assert np.allclose(a.vectors, b.vectors)


def test_a_file_read_by_an_older_reader_is_read_again(tmp_path, fake_embedder, any_store, monkeypatch):
    """After an upgrade that reads files differently (a PDF's radicals as ideographs), an
    unchanged file indexed before is read again, not kept with its old text; a passage that
    reads the same keeps its vector."""
    from rag import load, prepare

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "copied.txt").write_text("⽇⽉潭⻑約2.5公⾥。", encoding="utf-8")
    (docs / "plain.txt").write_text("日月潭是台湾最大的淡水湖。", encoding="utf-8")
    root = tmp_path / "idx"
    # indexed by the reader before: radicals kept as written
    with monkeypatch.context() as old:
        old.setattr(load, "unify_radicals", lambda text: text)
        old.setattr(prepare, "READER", prepare.READER - 1)
        update_index(root, [docs], Config(store=any_store), fake_embedder)
        r = update_index(root, [docs], Config(store=any_store), fake_embedder)
        assert r.unchanged == ["copied.txt", "plain.txt"] and not r.updated  # same reader: kept
    r = update_index(root, [docs], Config(store=any_store), fake_embedder)
    assert sorted(r.updated) == ["copied.txt", "plain.txt"] and not r.unchanged
    retriever = Retriever.open(root, fake_embedder, Config(store=any_store))
    assert "日月潭長約2.5公里" in retriever.index.docs["copied.txt"].text
    if any_store == "folder":  # only the passage that reads differently is embedded again
        assert r.n_embedded == 1
    assert not update_index(root, [docs], Config(store=any_store), fake_embedder).updated  # ...once
