"""Retrieval section: rag's whole query path at 10k chunks, and FAISS / BM25 from 10k to 1M.

The whole path is rag's own ``Retriever.search`` (real e5 query embedding, FAISS, BM25,
weighted fusion) over an in-memory index: 10k real chunks (CMRC2018 dev paragraphs and
seeds/, repeated with rotated sentences) for BM25, synthetic vectors for FAISS (embedding
10k chunks would take ~20 min on 2 cores; the query is embedded for real). The scale
figures use synthetic vectors and documents (evals/bench/synth.py); ANN recall@10 is
measured against exact search on the same vectors.

``RAG_BENCH_SIZES=10000,100000`` replaces the corpus sizes (the first is the whole-path size,
the last the top size; BM25 at sizes above the first) for development runs.
"""
from __future__ import annotations

import gc
import math
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
import numpy as np

from . import ann, synth
from .corpus import Placeholders, corpus_chunks, questions, retriever
from .common import Say, Section, section_main



@dataclass(frozen=True)
class Plan:
    path_queries: int  # real questions through the whole path
    ann_queries: int  # synthetic queries per index setting
    flat_queries_1m: int  # exact search at 1M costs ~100 ms a query
    ivf_train_per_list: int | None  # quick: k-means on this many vectors per list; None: as build_faiss
    hnsw_max: int  # largest size HNSW is built at unconditionally
    hnsw_top_budget_s: float  # build HNSW at the top size only if its estimated build time fits
    sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000)
    bm25_sizes: tuple[int, ...] = (100_000, 1_000_000)
    nprobes: tuple[int, ...] = (1, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048)
    efsearch: tuple[int, ...] = (16, 32, 64, 128, 256)


QUICK = Plan(path_queries=40, ann_queries=100, flat_queries_1m=20, ivf_train_per_list=20,
             hnsw_max=100_000, hnsw_top_budget_s=0)
FULL = Plan(path_queries=200, ann_queries=300, flat_queries_1m=100, ivf_train_per_list=None,
            hnsw_max=100_000, hnsw_top_budget_s=20 * 60)


def _plan(quick: bool) -> Plan:
    plan = QUICK if quick else FULL
    sizes = os.environ.get("RAG_BENCH_SIZES")
    if sizes:
        ns = tuple(int(x) for x in sizes.split(","))
        plan = replace(plan, sizes=ns, bm25_sizes=tuple(n for n in ns[1:]) or ns)
    return plan


# ---------------------------------------------------------------------------- whole path

@dataclass
class PathTimes:
    corpus: str
    index: str
    total: list[float] = field(default_factory=list)
    embed: list[float] = field(default_factory=list)
    dense: list[float] = field(default_factory=list)
    bm25: list[float] = field(default_factory=list)
    fusion: list[float] = field(default_factory=list)
    embed_1t: list[float] = field(default_factory=list)  # query embedding with one torch thread


def embed_one_thread(embedder, qs: list[str]) -> list[float]:
    """Query embedding with torch limited to one thread: a single short query gives threads
    little to share, and on a busy machine a second thread is mostly waited for. Since
    embed_queries runs on one thread itself (rag/embed.py), this column now repeats the
    query-embedding one; it is kept so older BENCH.md tables compare."""
    from rag.models.hardware import torch_threads

    with torch_threads(1):
        embedder.embed_queries(qs[:1])
        out = []
        for q in qs:
            t0 = time.perf_counter()
            embedder.embed_queries([q])
            out.append(_ms(t0))
        return out


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000


def time_path(r, qs: list[str], corpus: str, index: str) -> PathTimes:
    """Retriever.search per question (the figure), then each stage alone (the breakdown)."""
    from rag.retrieve import _weighted

    cfg = r.config
    n = max(cfg.candidates, cfg.top_k)
    for q in qs[:3]:  # warm: first calls pay lazy initialisation (jieba, torch kernels)
        r.search(q)
    out = PathTimes(corpus, index)
    for q in qs:
        t0 = time.perf_counter()
        r.search(q)
        out.total.append(_ms(t0))
        t0 = time.perf_counter()
        qv = r.embedder.embed_queries([q])
        out.embed.append(_ms(t0))
        t0 = time.perf_counter()
        scores, ids = r.index.faiss_index.search(qv, n)
        out.dense.append(_ms(t0))
        t0 = time.perf_counter()
        b_ids, b_scores = r.index.bm25.search(q, n)
        out.bm25.append(_ms(t0))
        dense, bm25 = dict(zip(ids[0].tolist(), scores[0].tolist())), dict(zip(b_ids.tolist(), b_scores.tolist()))
        t0 = time.perf_counter()
        fused = _weighted(dense, bm25, cfg.dense_weight)
        sorted(fused, key=lambda i: (-fused[i], i))[:cfg.top_k]
        out.fusion.append(_ms(t0))
    return out


def path_10k(plan: Plan, embedder, config, qs: list[str], say: Say) -> tuple[PathTimes, float]:
    from rag.chunk import lexical_text
    from rag.lexical import BM25Index
    from rag.store import build_faiss

    n = plan.sizes[0]
    say(f"retrieval: building a {n:,}-chunk corpus (CMRC2018 dev + seeds/) and its BM25 index")
    chunks = corpus_chunks(n, config)
    t0 = time.perf_counter()
    bm25 = BM25Index.build([lexical_text(c) for c in chunks])
    bm25_build_s = time.perf_counter() - t0
    vectors = synth.mixture_vectors(len(chunks), synth.MixtureSpec(embedder.dim))
    r = retriever(chunks, vectors, build_faiss(vectors, config.index_type), bm25, embedder, config)
    say(f"retrieval: {len(qs)} questions through Retriever.search at {n:,} chunks")
    times = time_path(r, qs, f"{n:,} real chunks", f"{config.index_type} ({ann.current_setting(r.index.faiss_index)})")
    times.embed_1t = embed_one_thread(embedder, qs)
    return times, bm25_build_s


# ---------------------------------------------------------------------------- FAISS at scale

@dataclass
class Scale:
    measured: list[ann.Measured] = field(default_factory=list)
    built: dict[tuple[str, int], ann.Built] = field(default_factory=dict)  # index objects dropped
    notes: list[str] = field(default_factory=list)
    keep: dict[str, object] = field(default_factory=dict)  # indexes at the top size, for the 1M path


def _build(kind: str, X: np.ndarray, plan: Plan, say: Say) -> ann.Built:
    say(f"retrieval: building {kind} over {len(X):,} vectors")
    return ann.build(kind, X, plan.ivf_train_per_list)


def _record(scale: Scale, n: int, b: ann.Built) -> None:
    scale.built[(b.kind, n)] = ann.Built(b.kind, None, b.build_s, b.size_mb, b.rss_delta_mb, b.how)


def _hnsw_allowed(plan: Plan, scale: Scale, n: int) -> bool:
    if n <= plan.hnsw_max:
        return True
    prev = [(m, b) for (k, m), b in scale.built.items() if k == "hnsw"]
    if not prev or plan.hnsw_top_budget_s <= 0:
        scale.notes.append(f"HNSW at {n:,} not built (quick mode: its build alone would take minutes on 2 cores).")
        return False
    m, b = max(prev, key=lambda x: x[0])
    estimate = b.build_s * (n / m) * math.log(n) / math.log(m)  # HNSW builds in ~n log n
    if estimate > plan.hnsw_top_budget_s:
        scale.notes.append(f"HNSW at {n:,} not built: estimated {estimate / 60:.0f} min from {b.build_s:.0f} s at "
                           f"{m:,} (budget {plan.hnsw_top_budget_s / 60:.0f} min).")
        return False
    scale.notes.append(f"HNSW at {n:,} built: estimated {estimate / 60:.1f} min from {m:,}, measured below.")
    return True


def faiss_at(n: int, X: np.ndarray, plan: Plan, scale: Scale, top: bool, say: Say) -> None:
    from rag.config import Config

    k = Config().candidates
    Q = synth.near_queries(X, plan.ann_queries, seed=n)
    flat = _build("flat", X, plan, say)
    _, truth = flat.index.search(Q, ann.K)  # exact top-10: the ground truth
    nq = plan.flat_queries_1m if n >= 1_000_000 else plan.ann_queries
    scale.measured.append(ann.measure("flat", flat.index, Q[:nq], truth, k, "exact"))
    # One query gives OpenMP little to share and, on a busy machine, threads to wait for.
    scale.measured.append(ann.measure("flat", flat.index, Q[:nq], truth, k, "exact", threads=1))
    _record(scale, n, flat)
    del flat
    gc.collect()
    kinds = ["ivf"] + (["hnsw"] if _hnsw_allowed(plan, scale, n) else [])
    for kind in kinds:
        b = _build(kind, X, plan, say)
        values = plan.nprobes if kind == "ivf" else plan.efsearch
        scale.measured += ann.sweep(kind, b.index, list(values), Q, truth, k)
        _record(scale, n, b)
        if top:
            scale.keep[kind] = b.index
        del b
        gc.collect()


def faiss_scale(plan: Plan, dim: int, say: Say) -> Scale:
    top = max(plan.sizes)
    say(f"retrieval: generating {top:,} synthetic {dim}-d vectors")
    X = synth.mixture_vectors(top, synth.MixtureSpec(dim))
    scale = Scale()
    for n in plan.sizes:
        faiss_at(n, X[:n], plan, scale, n == top, say)
    return scale


# ---------------------------------------------------------------------------- BM25 at scale and the 1M path

def bm25_scale(plan: Plan, qs: list[str], say: Say) -> tuple[dict[int, tuple[float, list[float]]], object]:
    """{docs: (build s, per-query ms)} for synthetic corpora; returns the largest index too."""
    out, index = {}, None
    n_results = 50
    for n in plan.bm25_sizes:
        index = None
        gc.collect()
        say(f"retrieval: building BM25 over {n:,} synthetic documents")
        t0 = time.perf_counter()
        index = synth.synthetic_bm25(n)
        build_s = time.perf_counter() - t0
        index.search(qs[0], n_results)
        times = []
        for q in qs:
            t0 = time.perf_counter()
            index.search(q, n_results)
            times.append(_ms(t0))
        out[n] = (build_s, times)
    return out, index


def path_top(scale: Scale, bm25, embedder, config, qs: list[str], n: int, say: Say) -> PathTimes | None:
    best = ann.best_at(scale.measured, n)
    if best is None or best.kind not in scale.keep:
        return None
    index = scale.keep[best.kind]
    for other in [k for k in scale.keep if k != best.kind]:
        del scale.keep[other]
    gc.collect()
    r = retriever(Placeholders(n), np.zeros((0, embedder.dim), np.float32), index, bm25, embedder, config)
    ann.set_param(index, int(best.setting.split("=")[1]))  # after Retriever applied rag's default
    say(f"retrieval: {len(qs)} questions through Retriever.search at {n:,} ({best.kind} {best.setting})")
    return time_path(r, qs, f"{n:,} synthetic", f"{best.kind} ({best.setting})")


# ---------------------------------------------------------------------------- the section

def run(quick: bool, out: Path, say: Say) -> Section:
    from rag.config import Config
    from rag.embed import load_embedder

    plan = _plan(quick)
    t_start, load_start = time.perf_counter(), os.getloadavg()[0]
    say = _stamped(say, t_start)
    config = Config()
    embedder = load_embedder(config)
    qs = questions(plan.path_queries)
    p10k, bm25_build_10k = path_10k(plan, embedder, config, qs, say)
    scale = faiss_scale(plan, embedder.dim, say)
    bm25s, bm25_top = bm25_scale(plan, qs, say)
    top = max(plan.sizes)
    ptop = path_top(scale, bm25_top, embedder, config, qs, top, say)
    del bm25_top
    scale.keep.clear()
    gc.collect()
    facts = {"wall_s": time.perf_counter() - t_start, "load": (load_start, os.getloadavg()[0]),
             "bm25_build_10k": bm25_build_10k, "embedder": embedder.name, "backend": config.embed_backend}
    return report(plan, p10k, ptop, scale, bm25s, facts, out)


def _stamped(say: Say, t0: float) -> Say:
    """Progress lines with the seconds since the section started (where the time goes)."""
    return lambda msg: say(f"[{time.perf_counter() - t0:5.0f} s] {msg}")


def report(plan: Plan, p10k: PathTimes, ptop: PathTimes | None, scale: Scale,
           bm25s: dict[int, tuple[float, list[float]]], facts: dict, out: Path) -> Section:
    from . import retrieval_report

    return retrieval_report.build(plan, p10k, ptop, scale, bm25s, facts, out)


def main() -> None:
    section_main(run)


if __name__ == "__main__":
    main()
