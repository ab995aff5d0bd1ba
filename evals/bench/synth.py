"""Synthetic corpora for scale figures: vectors for FAISS, documents for BM25.

Embedding a million real chunks would take days on 2 cores, so the 100k/1M figures run on
synthetic data built to behave like real embeddings and real Chinese text, not on uniform
noise (on uniform random vectors every point is about equally far from every other, so an
ANN "recall" says nothing about real data).

Vectors: a hierarchical Gaussian mixture -- a few thousand topic centres spread over many
dimensions, documents around their topic and chunks around their document inside a low-
dimensional local subspace (real embeddings have a low *local* intrinsic dimension), all
pushed towards one shared direction (e5 is anisotropic: unrelated passages still have cosine
~0.8), plus a little full-dimensional noise. Queries are chunks moved by noise, so each has a
true neighbourhood, as a question has its passages. The constants were fitted so that the
statistics of ``structure_stats``/``query_stats`` match real e5 vectors (REAL_E5).

Documents: token ids drawn from jieba's own dictionary with its corpus frequencies (a real
Zipfian vocabulary of the tokens rag's BM25 uses), packed by rag's bm25s scoring into the
same matrix `bm25s.BM25.index` builds, without the Python loop over a million token lists.
"""
from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Calibrated once against the bundled e5-small on the 2,065 chunks of CMRC2018 dev (300/60
# chunking) and 300 of its questions, comparing both at n=2,065 (see REAL_E5 below).
TOPICS = 4096  # a few thousand topic centres, as in a large mixed collection
SPECTRUM = 1.0  # topic centres' variance decays as 1/rank**SPECTRUM (embeddings use many dims)
LOCAL = 24  # dimension of a topic's local subspace: sets the local intrinsic dimension
BASES = 64  # local subspaces shared round-robin by the topics (memory stays small)
DOC_SPREAD = 1.0  # documents around their topic, along the local subspace
CHUNK_SPREAD = 1.3  # chunks around their document
PER_DOC = 4  # chunks per document (neighbouring chunks of one text are alike)
SHARED = 2.3  # weight of the direction shared by all vectors: e5's anisotropy
ISO_NOISE = 0.2  # full-dimensional noise (norm), so nothing lies exactly in a subspace
QUERY_NOISE = 0.4  # query = a chunk moved by noise of this norm
BLOCK = 100_000  # generation block; a multiple of PER_DOC

# What structure_stats / query_stats gave for real e5 vectors (CMRC2018 dev chunks, n=2,065),
# printed beside the synthetic ones in the note.
REAL_E5 = {"mean_cos_random": 0.836, "nn1_cos": 0.936, "nn10_cos": 0.887, "lid": 14.6,
           "query_top1_cos": 0.914, "query_top10_cos": 0.859, "query_mean_cos": 0.814}


@dataclass
class MixtureSpec:
    dim: int
    seed: int = 0


@dataclass
class _Model:
    topics: np.ndarray  # [TOPICS, dim], unit
    bases: np.ndarray  # [BASES, LOCAL, dim]
    shared: np.ndarray  # [dim], unit


def _model(spec: MixtureSpec) -> _Model:
    rng = np.random.default_rng(spec.seed)
    rotation, _ = np.linalg.qr(rng.standard_normal((spec.dim, spec.dim)))
    scale = np.arange(1, spec.dim + 1) ** -SPECTRUM
    topics = _normalise(((rng.standard_normal((TOPICS, spec.dim)) * scale) @ rotation.T).astype(np.float32))
    bases = (rng.standard_normal((BASES, LOCAL, spec.dim)) / math.sqrt(spec.dim * LOCAL)).astype(np.float32)
    shared = rng.standard_normal(spec.dim).astype(np.float32)
    return _Model(topics, bases, shared / np.linalg.norm(shared))


def _normalise(x: np.ndarray) -> np.ndarray:
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def _local(model: _Model, topic: np.ndarray, spread: float, rng: np.random.Generator) -> np.ndarray:
    """Offsets of norm ~``spread`` inside each row's topic subspace."""
    out = np.empty((len(topic), model.bases.shape[2]), dtype=np.float32)
    z = rng.standard_normal((len(topic), LOCAL), dtype=np.float32) * np.float32(spread)
    basis = topic % BASES
    for b in range(BASES):  # grouped by basis: one small matmul each, no [n, LOCAL, dim] gather
        rows = np.flatnonzero(basis == b)
        out[rows] = z[rows] @ model.bases[b]
    return out


def _one_blas_thread():
    """Many small matmuls: BLAS threads only add hand-over cost (10x slower on a busy machine)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - comes with sentence-transformers (scikit-learn)
        return contextlib.nullcontext()
    return threadpool_limits(1, "blas")


def mixture_vectors(n: int, spec: MixtureSpec) -> np.ndarray:
    """``n`` normalised float32 vectors: topics -> documents -> chunks, generated in blocks
    (bounded temporary memory); a prefix of the result is a smaller corpus of the same kind."""
    with _one_blas_thread():
        return _mixture(n, spec)


def _mixture(n: int, spec: MixtureSpec) -> np.ndarray:
    model = _model(spec)
    out = np.empty((n, spec.dim), dtype=np.float32)
    for start in range(0, n, BLOCK):
        m = min(BLOCK, n - start)
        rng = np.random.default_rng([spec.seed, start])
        topic = rng.integers(0, TOPICS, -(-m // PER_DOC))
        docs = _normalise(model.topics[topic] + _local(model, topic, DOC_SPREAD, rng))
        of = np.arange(m) // PER_DOC
        x = _normalise(docs[of] + _local(model, topic[of], CHUNK_SPREAD, rng))
        x += model.shared * np.float32(SHARED)
        x += rng.standard_normal((m, spec.dim), dtype=np.float32) * np.float32(ISO_NOISE / math.sqrt(spec.dim))
        out[start:start + m] = _normalise(x)
    return out


def near_queries(vectors: np.ndarray, nq: int, seed: int = 1) -> np.ndarray:
    """Queries near random database points (a question near its passage)."""
    rng = np.random.default_rng(seed)
    base = vectors[rng.integers(0, len(vectors), nq)]
    noise = rng.standard_normal(base.shape, dtype=np.float32) * np.float32(QUERY_NOISE / math.sqrt(base.shape[1]))
    return _normalise(base + noise)


def structure_stats(vectors: np.ndarray, sample: int = 2000, k: int = 10, seed: int = 2) -> dict[str, float]:
    """Numbers that say how "real" a set of embeddings looks, comparable across corpora:
    mean cosine of random pairs, mean cosine to the 1st and k-th nearest neighbour, and the
    local intrinsic dimension (maximum-likelihood estimate from the k nearest distances)."""
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(vectors), min(sample, len(vectors)), replace=False)
    probe = vectors[idx]
    sims = probe @ vectors.T
    sims[np.arange(len(idx)), idx] = -np.inf  # not its own neighbour
    top = -np.sort(-np.partition(sims, -k, axis=1)[:, -k:], axis=1)
    dist = np.sqrt(np.maximum(2 - 2 * top, 1e-12))
    lid = -1.0 / np.mean(np.log(dist[:, :-1] / dist[:, -1:]), axis=1)
    finite = np.where(np.isfinite(sims), sims, np.nan)
    return {"mean_cos_random": float(np.nanmean(finite)), "nn1_cos": float(top[:, 0].mean()),
            f"nn{k}_cos": float(top[:, -1].mean()), "lid": float(np.median(lid))}


def query_stats(queries: np.ndarray, vectors: np.ndarray, k: int = 10) -> dict[str, float]:
    sims = queries @ vectors.T
    top = -np.sort(-np.partition(sims, -k, axis=1)[:, -k:], axis=1)
    return {"query_top1_cos": float(top[:, 0].mean()), f"query_top{k}_cos": float(top[:, -1].mean()),
            "query_mean_cos": float(sims.mean())}


# ---------------------------------------------------------------------------- BM25

def jieba_vocabulary() -> tuple[list[str], np.ndarray]:
    """jieba's dictionary words that rag's tokenizer can emit (normalised, no stopwords),
    with their dictionary frequencies as probabilities."""
    import jieba

    from rag.lexical import STOPWORDS, TOKEN
    from rag.zh import normalize

    freq: dict[str, int] = {}
    path = Path(jieba.__file__).parent / "dict.txt"
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2:
                continue
            word = normalize(parts[0])
            if word not in STOPWORDS and TOKEN.fullmatch(word):
                freq[word] = freq.get(word, 0) + int(parts[1])
    words = sorted(freq, key=lambda w: -freq[w])
    counts = np.array([freq[w] for w in words], dtype=np.float64)
    return words, counts / counts.sum()


def _sampler(probs: np.ndarray, bits: int = 22) -> np.ndarray:
    """Inverse-CDF lookup table: table[uniform int] is a token id drawn with ``probs``
    (words rarer than 2**-bits are never drawn, as most rare words never occur)."""
    edges = np.searchsorted(np.cumsum(probs), (np.arange(2 ** bits) + 0.5) / 2 ** bits)
    return np.minimum(edges, len(probs) - 1).astype(np.int32)


@dataclass
class Postings:
    docs: np.ndarray  # int32 doc id of each (doc, token) pair
    toks: np.ndarray  # int32 token id
    tf: np.ndarray  # uint16 term frequency
    lengths: np.ndarray  # tokens per document
    blocks: np.ndarray  # offsets where each block of documents starts in the triples


def _postings(n_docs: int, table: np.ndarray, mean_len: float, seed: int, block: int = 4096) -> Postings:
    """(doc, token, tf) triples, sorted by token inside each block of documents. Blocks of
    4096 documents keep the sort keys (token * block + doc) in int32, which sorts fastest."""
    assert (int(table.max()) + 1) * block < 2**31
    rng = np.random.default_rng(seed)
    lengths = np.maximum(rng.poisson(mean_len, n_docs), 8).astype(np.int32)
    cap = int(lengths.sum())  # a document adds at most one triple per token
    docs, toks, tfs = np.empty(cap, np.int32), np.empty(cap, np.int32), np.empty(cap, np.uint16)
    bounds, pos = [0], 0
    for start in range(0, n_docs, block):
        lens = lengths[start:start + block]
        keys = table[rng.integers(0, len(table), int(lens.sum()))] * np.int32(block)
        keys += np.repeat(np.arange(len(lens), dtype=np.int32), lens)
        keys, tf = np.unique(keys, return_counts=True)
        end = pos + len(keys)
        docs[pos:end], toks[pos:end], tfs[pos:end] = keys % block + start, keys // block, tf
        bounds.append(pos := end)
    # Slices of the preallocated arrays: the unused tail was never touched, so it costs no RAM.
    return Postings(docs[:pos], toks[:pos], tfs[:pos], lengths, np.array(bounds))


def _csc_slots(p: Postings, n_vocab: int) -> tuple[np.ndarray, np.ndarray]:
    """Where each triple goes in column (token) order, without a global sort: blocks are
    already token-sorted, so a triple's slot is its token's start + the count of that token
    in earlier blocks + its rank inside its block. Returns (slots, indptr)."""
    df = np.bincount(p.toks, minlength=n_vocab)
    indptr = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
    slots = np.empty(len(p.toks), dtype=np.int32 if len(p.toks) < 2**31 else np.int64)
    seen = np.zeros(n_vocab, dtype=np.int64)
    for lo, hi in zip(p.blocks[:-1], p.blocks[1:]):
        t = p.toks[lo:hi]
        counts = np.bincount(t, minlength=n_vocab)
        first = np.cumsum(counts) - counts
        slots[lo:hi] = indptr[t] + (seen - first)[t] + np.arange(hi - lo)
        seen += counts
    return slots, indptr


def synthetic_bm25(n_docs: int, mean_len: float = 104.0, seed: int = 0):
    """A ``rag.lexical.BM25Index`` over ``n_docs`` synthetic documents of jieba words."""
    words, probs = jieba_vocabulary()
    table = _sampler(probs)
    words = words[:int(table.max()) + 1]  # by frequency: the words that can be drawn are a prefix
    p = _postings(n_docs, table, mean_len, seed)
    return bm25_from_postings(p, words)


def bm25_from_postings(p: Postings, words: list[str]):
    """The matrix `bm25s.BM25.index` would build from these documents, scored as bm25s
    scores (Lucene idf and tf, its default k1=1.5, b=0.75, as rag builds it)."""
    import bm25s
    from bm25s.scoring import _score_tfc_lucene

    from rag.lexical import BM25Index

    n_docs = len(p.lengths)
    model = bm25s.BM25()
    slots, indptr = _csc_slots(p, len(words))
    df = np.diff(indptr).astype(np.float64)
    idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)  # bm25s _score_idf_lucene
    avg_len = np.float32(p.lengths.mean())
    data = np.empty(len(slots), dtype=np.float32)
    indices = np.empty(len(slots), dtype=np.int32)
    step = 1 << 23  # in slices: the temporaries of 100M triples would double the peak memory
    for lo in range(0, len(slots), step):
        sl = slice(lo, lo + step)
        tfc = _score_tfc_lucene(p.tf[sl].astype(np.float32), p.lengths[p.docs[sl]].astype(np.float32),
                                avg_len, model.k1, model.b)
        data[slots[sl]] = idf[p.toks[sl]] * tfc
        indices[slots[sl]] = p.docs[sl]
    model.scores = {"data": data, "indices": indices, "indptr": indptr, "num_docs": n_docs}
    model.vocab_dict = {w: i for i, w in enumerate(words)}
    model.unique_token_ids_set = set(model.vocab_dict.values())
    model.nonoccurrence_array = None
    return BM25Index(model)
