"""FAISS measurements: build time, memory, single-query latency and recall@10 against exact.

Indexes are built by ``rag.store.build_faiss`` and tuned by ``rag.retrieve.Retriever``, so the
figures follow rag's defaults when they change. Queries are searched one at a time for
``Config().candidates`` results, as the app does; recall@10 is read from the first ten.
"""
from __future__ import annotations

import contextlib
import gc
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .common import pct

K = 10  # recall@K
GOAL_RECALL = 0.95  # the bar for an ANN index


@dataclass
class Built:
    kind: str  # "flat" | "ivf" | "hnsw"
    index: Any
    build_s: float
    size_mb: float  # serialised size: what the index file takes, and roughly its RAM
    rss_delta_mb: float  # resident memory the process gained while building it
    how: str  # how it was built when that differs from build_faiss


@dataclass
class Measured:
    kind: str
    n: int
    setting: str  # "nprobe=16", "efSearch=64", "exact"
    is_default: bool  # the setting rag.retrieve uses
    p50_ms: float
    p95_ms: float
    recall10: float


def _trim_heap() -> None:
    """Give freed heap memory back to the OS, so the next RSS delta counts new pages
    (otherwise glibc reuses what an earlier, freed index left behind and the delta reads 0)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: deltas may under-count small indexes
        pass


def rss_mb() -> float:
    """Current resident memory of this process (not the peak)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def serialized_mb(index) -> float:
    """Size of the index as rag writes it, counted while streaming (no second copy in RAM)."""
    import faiss

    total = 0

    def count(chunk: bytes) -> None:
        nonlocal total
        total += len(chunk)

    faiss.write_index(index, faiss.PyCallbackIOWriter(count))
    return total / 2**20


def build(kind: str, vectors: np.ndarray, train_per_list: int | None = None) -> Built:
    """``rag.store.build_faiss``; with ``train_per_list``, an IVF quantiser is trained on that
    many vectors per list instead of on all of them (same nlist and layout: only k-means sees
    fewer points, which is what makes a 1M IVF buildable inside the quick budget)."""
    from rag.store import build_faiss

    gc.collect()
    _trim_heap()
    before = rss_mb()
    t0 = time.perf_counter()
    how = ""
    if kind == "ivf" and train_per_list:
        index, how = _ivf_sampled(vectors, train_per_list)
    else:
        index = build_faiss(vectors, kind)
    seconds = time.perf_counter() - t0
    gc.collect()
    return Built(kind, index, seconds, serialized_mb(index), rss_mb() - before, how)


def _ivf_sampled(vectors: np.ndarray, per_list: int):
    """build_faiss's IVF (its nlist rule, quantiser and metric), k-means on a random sample."""
    import faiss

    n, dim = vectors.shape
    nlist = int(min(4 * np.sqrt(n), n // 39))  # the rule of rag.store.build_faiss (tested equal)
    sample = min(n, per_list * nlist)
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.min_points_per_centroid = min(index.cp.min_points_per_centroid, per_list)  # no warning
    rows = np.sort(np.random.default_rng(0).choice(n, sample, replace=False))
    index.train(vectors[rows])
    index.add(vectors)
    return index, f"k-means on {sample:,} of {n:,}"


def ivf_nlist(index) -> int | None:
    return int(index.nlist) if hasattr(index, "nlist") else None


def rag_setting(index) -> str:
    """Apply the search-time settings rag.retrieve.Retriever applies, and name them."""
    from rag.config import Config
    from rag.retrieve import Retriever
    from rag.manifest import Manifest
    from rag.store import StoredIndex

    Retriever(StoredIndex(Path("."), Manifest.blank(), [], np.zeros((0, 0), np.float32), index, None), None, Config())
    return current_setting(index)


def current_setting(index) -> str:
    if hasattr(index, "hnsw"):
        return f"efSearch={index.hnsw.efSearch}"
    if hasattr(index, "nprobe"):
        return f"nprobe={index.nprobe}"
    return "exact"


def set_param(index, value: int) -> str:
    if hasattr(index, "hnsw"):
        index.hnsw.efSearch = value
    elif hasattr(index, "nprobe"):
        index.nprobe = value
    return current_setting(index)


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int = K) -> np.ndarray:
    """Ground truth: exact inner-product top-k (batched; only the ids)."""
    import faiss

    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    _, ids = flat.search(queries, k)
    return ids


@contextlib.contextmanager
def omp_threads(n: int | None):
    """FAISS's OpenMP thread count for a block (None: leave it as it is)."""
    import faiss

    before = faiss.omp_get_max_threads()
    if n:
        faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def search_each(index, queries: np.ndarray, n_results: int) -> tuple[list[float], np.ndarray]:
    """One query at a time, as the app searches: per-query milliseconds and result ids."""
    times: list[float] = []
    ids = np.empty((len(queries), n_results), dtype=np.int64)
    index.search(queries[:1], n_results)  # warm: first-touch page faults are not query cost
    for i in range(len(queries)):
        t0 = time.perf_counter()
        _, found = index.search(queries[i:i + 1], n_results)
        times.append((time.perf_counter() - t0) * 1000)
        ids[i] = found[0]
    return times, ids


def recall_at(found: np.ndarray, truth: np.ndarray, k: int = K) -> float:
    hits = [len(set(f[:k].tolist()) & set(t[:k].tolist())) for f, t in zip(found, truth)]
    return float(np.mean(hits)) / k


def measure(kind: str, index, queries: np.ndarray, truth: np.ndarray, n_results: int,
            default: str, threads: int | None = None) -> Measured:
    n_results = min(n_results, index.ntotal)
    with omp_threads(threads):
        times, found = search_each(index, queries, n_results)
    setting = current_setting(index) + (f", {threads} OpenMP thread" if threads else "")
    return Measured(kind, int(index.ntotal), setting, setting == default, pct(times, 50), pct(times, 95),
                    recall_at(found, truth[:len(queries)]))


def sweep(kind: str, index, values: list[int], queries: np.ndarray, truth: np.ndarray,
          n_results: int) -> list[Measured]:
    """The default setting plus ``values`` (the recall/latency trade-off); leaves the index
    at rag's default."""
    default = rag_setting(index)
    out = [measure(kind, index, queries, truth, n_results, default)]
    for v in values:
        if v > (ivf_nlist(index) or v):
            continue  # probing more lists than exist is exact search again
        if set_param(index, v) != default:
            out.append(measure(kind, index, queries, truth, n_results, default))
    rag_setting(index)
    return sorted(out, key=lambda m: int(m.setting.split("=")[1]) if "=" in m.setting else 0)


def cheapest_reaching(results: list[Measured], recall: float) -> Measured | None:
    """The lowest-latency setting whose recall@10 reaches ``recall``."""
    ok = [m for m in results if m.recall10 >= recall]
    return min(ok, key=lambda m: m.p50_ms) if ok else None


def best_at(results: list[Measured], n: int, recall: float = GOAL_RECALL) -> Measured | None:
    """The fastest ANN setting at size n reaching ``recall``, else the most accurate one."""
    cands = [m for m in results if m.n == n and m.kind != "flat"]
    return cheapest_reaching(cands, recall) or max(cands, key=lambda m: m.recall10, default=None)
