"""The manifest and calibration records: what an index on disk says about itself."""
from __future__ import annotations

import json

import pytest

from rag import store
from rag.config import Config
from rag.errors import IndexCorruptError
from rag.index import update_index
from rag.manifest import Calibration, Manifest

# A manifest as an index of the previous release wrote it: no embed_backend in its config,
# a calibration without a version or a note of its questions.
OLD = {
    "format_version": 1,
    "config": {"embedder": "bundled", "query_prefix": None, "passage_prefix": None, "max_seq_length": 512,
               "chunk_size": 300, "chunk_overlap": 60, "index_type": "flat"},
    "embedder": {"name": "bundled:multilingual-e5-small", "checksum": "0123456789abcdef", "dim": 384},
    "lexical": "title+headings+text/1",
    "sources": ["/data/wiki"],
    "documents": {"巴黎.txt": {"hash": "a" * 64, "path": "/data/wiki/巴黎.txt", "title": "巴黎", "n_chunks": 3,
                               "dropped": 0, "meta": {"encoding": "utf-8"}}},
    "calibration": {"min_top_dense": 0.81, "min_top_bm25": 4.2, "max_false_refusal": 0.02, "n_answerable": 60,
                    "n_unanswerable": 15, "false_refusal_rate": 0.0167, "refusal_rate_unanswerable": 0.4,
                    "calibrated_at": "2026-11-29T10:00:00+0000", "stale": False},
    "n_chunks": 3, "files": {"chunks.jsonl": 10}, "written_at": "2026-11-29T10:00:00+0000",
}


def test_manifest_of_an_older_index_still_reads():
    m = Manifest.from_json(OLD, "gen-000001")
    assert m.config["embed_backend"] == "torch"  # the backend every older index was built with
    assert m.documents["巴黎.txt"].n_chunks == 3 and m.embedder.dim == 384
    assert m.calibration.min_top_dense == 0.81 and m.calibration.version == 0
    again = Manifest.from_json(json.loads(json.dumps(m.to_json())), "gen-000001")
    assert again == m


def test_index_without_calibration_has_none():
    m = Manifest.from_json(dict(OLD, calibration={}), "gen-000001")
    assert m.calibration is None and m.to_json()["calibration"] == {}


@pytest.mark.parametrize("damage", [
    {"embedder": {"checksum": "x"}},               # no embedder name
    {"documents": {"a.txt": {"path": "a.txt"}}},   # a document without its hash
    {"n_chunks": "three"},
    {"calibration": {"min_top_bm25": 1.0}},        # a threshold missing
])
def test_damaged_manifest_says_how_to_repair(damage):
    with pytest.raises(IndexCorruptError) as e:
        Manifest.from_json(dict(OLD, **damage), "gen-000001")
    assert "rag index --rebuild" in str(e.value) or "rag calibrate" in str(e.value)


def test_calibration_goes_stale_when_documents_change(tmp_path, seeds_dir, fake_embedder):
    root = tmp_path / "idx"
    update_index(root, [seeds_dir], Config(), fake_embedder)
    with store.WriteLock(root):
        store.update_manifest(root, calibration=Calibration(min_top_dense=0.5, min_top_bm25=2.0, questions="mine"))
    assert not store.open_index(root).calibration.stale
    (seeds_dir / "new.txt").write_text("一份新的说明文档。", encoding="utf-8")
    update_index(root, [seeds_dir], Config(), fake_embedder)
    cal = store.open_index(root).calibration
    assert cal.stale and cal.min_top_dense == 0.5 and cal.questions == "mine"
    update_index(root, [seeds_dir], Config(), fake_embedder, rebuild=True)  # same documents, rebuilt
    assert store.open_index(root).calibration is None  # a rebuild starts without one


def test_calibration_describes_itself():
    text = Calibration(min_top_dense=0.8, min_top_bm25=3.0, n_answerable=40, n_unanswerable=10,
                       false_refusal_rate=0.025, refusal_rate_unanswerable=0.3, questions="qs.jsonl").describe()
    assert "dense < 0.8" in text and "40 answerable" in text and "30%" in text and "qs.jsonl" in text
