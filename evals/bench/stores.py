"""Stores side by side: the folder store (FAISS + bm25s files) and Milvus (embedded Milvus
Lite), the same chunks written into each and the same questions asked of each, one after
the other in one process.

Chunks are real text (CMRC2018 paragraphs and rotations of them, evals/bench/corpus.py)
with synthetic vectors (evals/bench/synth.py), so no time goes to embedding: insert
throughput is the store's own (tokenising for BM25 included, in both). Query latency is
the store's part of a query: 50 dense and 50 BM25 candidates, as retrieve.py asks for them,
with the question's vector computed beforehand by the bundled embedder.
"""
from __future__ import annotations

import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from .common import Say, Section, pct, peak_rss_mb, section_main

SIZES = {True: (10_000,), False: (10_000, 100_000)}
QUERIES = {True: 100, False: 200}


def _documents(chunks) -> list:
    """One Document per chunk group (the chunks' own doc ids), its text the chunks' text."""
    from rag.records import Document

    by_doc: dict[str, list] = defaultdict(list)
    for c in chunks:
        by_doc[c.doc_id].append(c)
    return [Document(doc_id=d, path=d, text="".join(c.text for c in cs), content_hash=d) for d, cs in by_doc.items()]


def _manifest(embedder_dim: int, config):
    from rag.prepare import LEXICAL
    from rag.manifest import EmbedderInfo, Manifest

    return Manifest(config=config.index_settings(), embedder=EmbedderInfo("bench", "bench", embedder_dim),
                    documents={}, lexical=LEXICAL)


def insert_folder(root: Path, docs, chunks, vectors, config) -> float:
    from rag import store
    from rag.chunk import lexical_text
    from rag.lexical import BM25Index

    t0 = time.perf_counter()
    bm25 = BM25Index.build([lexical_text(c) for c in chunks])
    store.write_generation(root, _manifest(vectors.shape[1], config), docs, chunks, vectors, bm25,
                           store.build_faiss(vectors, config.index_type))
    return time.perf_counter() - t0


def insert_milvus(root: Path, docs, chunks, vectors, config) -> float:
    from rag.prepare import doc_entry
    from rag.store_milvus import MilvusWriter, target

    rows: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(chunks):
        rows[c.doc_id].append(i)
    t0 = time.perf_counter()
    w = MilvusWriter(target("milvus", root))
    w.create(vectors.shape[1], config.index_type)
    w.write_header(_manifest(vectors.shape[1], config))
    items = [(d, doc_entry(d, len(rows[d.doc_id])), [chunks[i] for i in rows[d.doc_id]], vectors[rows[d.doc_id]])
             for d in docs]
    for i in range(0, len(items), 256):  # as rag index writes them: a round of documents at a time
        w.put(items[i:i + 256], set())
    w.flush()
    assert w.count() == len(chunks)
    return time.perf_counter() - t0


def query_times(index, qs: list[str], qv: np.ndarray, n: int = 50) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"dense": [], "bm25": [], "both": []}
    index.tune(n)
    for q, v in zip(qs, qv):
        t0 = time.perf_counter()
        index.dense(v[None, :], n)
        t1 = time.perf_counter()
        index.lexical(q, n)
        t2 = time.perf_counter()
        out["dense"].append((t1 - t0) * 1000)
        out["bm25"].append((t2 - t1) * 1000)
        out["both"].append((t2 - t0) * 1000)
    return out


def run(quick: bool, out: Path, say: Say) -> Section:
    from rag.config import Config
    from rag.embed import load_embedder
    from rag.store import open_index
    from rag.store_milvus import close_all
    from rag.store_milvus import open_index as open_milvus
    from rag.store_milvus import target

    from . import synth
    from .corpus import corpus_chunks, questions

    config = Config()
    embedder = load_embedder(config)
    qs = questions(QUERIES[quick])
    qv = embedder.embed_queries(qs)
    rows, figures = [], {}
    sizes = tuple(int(s) for s in os.environ.get("RAG_BENCH_STORE_SIZES", "").split(",") if s) or SIZES[quick]
    for n in sizes:
        chunks = corpus_chunks(n, config)
        docs = _documents(chunks)
        vectors = synth.mixture_vectors(len(chunks), synth.MixtureSpec(embedder.dim))
        with tempfile.TemporaryDirectory(prefix="rag-bench-stores-") as tmp:
            for name, insert, opener in (("folder (FAISS flat + bm25s)", insert_folder, open_index),
                                         ("Milvus Lite (FLAT + BM25)", insert_milvus,
                                          lambda root: open_milvus(target("milvus", root)))):
                root = Path(tmp) / name.split()[0]
                say(f"{name}: inserting {n:,} chunks")
                secs = insert(root, docs, chunks, vectors, config)
                index = opener(root)
                t = query_times(index, qs, qv)
                rows.append([f"{n:,}", name, round(n / secs), round(secs, 1), round(pct(t["dense"], 50), 1),
                             round(pct(t["bm25"], 50), 1), round(pct(t["both"], 50), 1), round(pct(t["both"], 95), 1)])
                key = "milvus" if name.startswith("Milvus") else "folder"
                figures[f"store_{key}_insert_chunks_per_s_{n // 1000}k"] = round(n / secs, 1)
                figures[f"store_{key}_query_p50_ms_{n // 1000}k"] = round(pct(t["both"], 50), 2)
                say(f"{name}: {n / secs:,.0f} chunks/s, query p50 {pct(t['both'], 50):.1f} ms")
            close_all()
    figures["stores_peak_rss_mb"] = round(peak_rss_mb())
    note = ("Insert: chunks written per second into a new store (BM25 tokenising included; embedding not: the "
            "vectors are synthetic). Query: the store's part of one question, 50 dense + 50 BM25 candidates "
            f"(p50 over {len(qs)} real CMRC2018 questions; their vectors from the bundled embedder, computed "
            "beforehand). Milvus Lite is Milvus's embedded engine (a Python process-local server): a Milvus "
            "server or cluster is what it stands in for, and is not measured here.")
    return Section("stores", "Stores: the folder store and Milvus side by side", note,
                   ["chunks", "store", "insert chunks/s", "insert s", "dense p50 ms", "BM25 p50 ms",
                    "query p50 ms", "query p95 ms"], rows, figures)


def main() -> None:
    section_main(run)


if __name__ == "__main__":
    main()
