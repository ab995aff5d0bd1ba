"""Queries of torch-built indexes without importing torch: a float32 ONNX export of the same
model, checked against sentence-transformers when it is made.

Why: a new ``rag search`` / ``rag ask`` process spent most of its start-up importing torch and
sentence-transformers and loading the model, to embed one query. ONNX Runtime runs the same
float32 transformer (traced by ``embed_onnx.trace``, pooled and normalised by the int8
backend's numpy code) with no torch import, and its vectors differ from torch's by rounding
only, so an index built by torch is searched with the same vectors. Passages (indexing) still
go through sentence-transformers, loaded at first use.

The export runs once per source model into ``cache_dir()/onnx-fp32/<source checksum>/``:
``model.fp32.onnx`` (the graph) with its weights in ``model.fp32.onnx.data`` (ONNX external
data, which ONNX Runtime maps instead of parsing out of the protobuf: a session in ~0.15 s
instead of ~1.5 s), ``tokenizer.json``, and ``meta.json`` as in embed_onnx, with the sha256
of every file. Hashing the 470 MB of weights would cost ~0.5 s per start, so a load hashes
only files whose size or mtime changed since the export (``Kind.stamps``): a file written
into is rebuilt, as in embed_onnx. The tokenizer is query_tokenizer.py's (the same ids,
loaded in ~0.05 s instead of ~1 s) when it supports the model's.

Right after tracing, ``PROBES`` are embedded by sentence-transformers and by the export as it
will run; ``meta["verified"]`` records the largest absolute difference of the normalised
vectors (bundled e5: 1.4e-7; against the torch embedder on the 114 seed questions: 1.2e-7)
and whether the token ids are tokenizer.json's, and the export is used only when the
difference is within ``TOLERANCE`` and the ids are the same. An export that cannot be made
or fails the check is recorded as such (not retried on every start) and torch embeds the
queries, as before.
"""
from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..errors import ModelError
from . import embed_onnx, query_tokenizer
from .embed_onnx import TOKENIZER, OnnxEmbedder, load_tokenizer

RECIPE = "st-onnx17-fp32-verified/2"  # bump when the export or the check changes
MODEL = "model.fp32.onnx"
TOLERANCE = 1e-4  # max |torch - onnx| over the probes' normalised vectors
# One thread, as torch's query embedding had (rag/embed.py). Measured on the seed questions:
# 2 threads embed a query in ~12 ms instead of ~19; the generator's decode after a query session
# of 1 / 2 threads (3 processes each) was 19.7 20.0 20.0 / 18.8 19.9 19.8 tok/s, no clear cost
# but no reason to keep a second spinning pool beside llama.cpp's for 7 ms either.
THREADS = 1

_LONG_ZH = "青石港2018年至2025年上半年累计吞吐货物约560万吨，泊位数量持续增加。"
_LONG_EN = "Harbor Nine was founded by Ilse Brandt in 2016 and builds software for container cranes. "
# Chinese and English, short and long (past 512 tokens: truncated), with and without the e5
# prefixes, numbers, other scripts, whitespace and the empty text; batched 16 at a time in
# length order as at run time, so padding inside a batch is exercised too.
PROBES = (
    "", "a", "短句", "的的的的", "query: ", "passage: ", "1234567890", "ABC xyz",
    "query: 青石港有多少个泊位？", "梁舟是哪一年担任港务局局长的？",
    "query: When did Harbor Nine open its second terminal?",
    "passage: 青石港2018年至2025年上半年累计吞吐货物约560万吨。",
    "passage: Harbor Nine was founded by Ilse Brandt in 2016.",
    "The quick brown fox jumps over the lazy dog.",
    "2025年1月9日，股价上涨41.44%，市值达到1,234.5亿港元。",
    "臺灣的半導體產業在全球供應鏈中扮演關鍵角色。",
    "用PyTorch和ONNX Runtime部署e5-small模型，再用FAISS检索。",
    "？！……《》【】😀", "東京は日本の首都です。", "서울은 한국의 수도입니다.", "Москва — столица России.",
    "def f(x): return x ** 2  # comment", "https://example.com/path?q=1&lang=zh",
    "  多个   空格\n换行\t制表 ",
    "query: " + _LONG_ZH * 3, "passage: " + _LONG_ZH * 8, _LONG_EN * 6,
    "passage: " + _LONG_ZH * 40, _LONG_ZH * 40, "query: " + _LONG_EN * 40, "passage: " + _LONG_EN * 40,
    "passage: " + (_LONG_ZH + _LONG_EN) * 20,
)


def _export(folder: Path, out: Path) -> dict:
    """embed_onnx's float32 trace, its tokenizer, and the check against torch (in meta).
    A model that cannot be traced or run is recorded as such, with no files: a fact about
    the model, so it is not tried again on every start."""
    st, meta = embed_onnx.load_for_export(folder)  # a model torch can't load: raised, not recorded
    try:
        embed_onnx.trace(st, meta["pad_id"], out / MODEL)
        _weights_apart(out / MODEL)
        st.tokenizer.backend_tokenizer.save(str(out / TOKENIZER))
        query_tokenizer.save(out / TOKENIZER, out)
        runtime = QueryEmbedder(out, meta, "", "", "", "", int(meta["max_seq_length"]), 16, None)
        ours = runtime._encode(list(PROBES), False)
        full = runtime.configure(load_tokenizer(out))
        same_ids = all(a.ids == b.ids for a, b in zip(runtime.tokenizer.encode_batch(list(PROBES)),
                                                      full.encode_batch(list(PROBES))))
    except Exception as e:  # noqa: BLE001 - an architecture the exporter or ONNX Runtime can't handle
        for p in out.iterdir():
            p.unlink()
        return meta | {"verified": {"ok": False, "problem": f"cannot export it to ONNX: {e}".splitlines()[0]}}
    theirs = st.encode(list(PROBES), batch_size=16, normalize_embeddings=True, convert_to_numpy=True)
    diff = float(np.abs(ours - theirs).max())
    meta["verified"] = {"probes": len(PROBES), "max_abs_diff": diff, "tolerance": TOLERANCE, "same_ids": same_ids,
                        "ok": diff <= TOLERANCE and same_ids}
    return meta


def _weights_apart(path: Path) -> None:
    """Rewrite the ONNX file ``path`` with its weights in ``<name>.data`` beside it."""
    import onnx

    onnx.save_model(onnx.load(str(path)), str(path), save_as_external_data=True, location=path.name + ".data",
                    size_threshold=1024)


FP32 = embed_onnx.Kind("onnx-fp32", RECIPE, "ONNX fp32 for fast queries", _export, stamps=True)


class QueryEmbedder(OnnxEmbedder):
    """The torch backend's embedder: ``embed_queries`` on the verified float32 export (no
    torch import), ``embed_passages`` on sentence-transformers, loaded at its first use.
    ``name``, ``checksum`` and ``dim`` are the torch embedder's: the vectors are the same."""

    def __init__(self, folder: Path, meta: dict, name: str, checksum: str, query_prefix: str,
                 passage_prefix: str, max_seq_length: int, batch_size: int,
                 load_passages: Callable[[], object] | None):
        self.folder, self.meta = folder, meta
        self.open(MODEL, query_prefix, passage_prefix, max_seq_length, batch_size, THREADS)
        # The same ids as tokenizer.json's, loaded in ~0.05 s instead of ~1 s (query_tokenizer.py).
        small = (folder / query_tokenizer.VOCAB).is_file()
        self.tokenizer = self.configure(query_tokenizer.SubsetTokenizer(folder) if small else load_tokenizer(folder))
        self.name, self.checksum = name, checksum
        self._load_passages, self._passages, self._lock = load_passages, None, threading.Lock()

    @property
    def passage_embedder(self):
        """The sentence-transformers embedder (torch), loaded once, on first use (the web app
        may index two uploads at once)."""
        with self._lock:
            if self._passages is None:
                self._passages = self._load_passages()
            return self._passages

    def embed_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self.passage_embedder.embed_passages(texts, progress)


def query_embedder(folder: Path, name: str, checksum: str, query_prefix: str, passage_prefix: str,
                   max_seq_length: int, batch_size: int, load_torch: Callable[[], object],
                   cache: Path | None = None) -> QueryEmbedder | None:
    """The torch backend's embedder for the model ``folder`` (``checksum`` as the torch
    embedder computes it) with queries on the verified float32 export, exported first if
    needed; None when there is no verified export (the caller then uses ``load_torch()``
    for everything, as before this existed)."""
    try:
        embed_onnx.runtime_modules()  # no onnxruntime: nothing to export for
        before = embed_onnx.exports
        target, meta = embed_onnx.ensure_onnx(folder, checksum, cache, FP32)
        verified = meta.get("verified") or {}
        if not verified.get("ok"):
            if embed_onnx.exports != before:  # just made: say why once, later starts stay quiet
                print(f"rag: queries are embedded by torch: the ONNX fp32 export {_failure(verified)}",
                      file=sys.stderr, flush=True)
            return None
        return QueryEmbedder(target, meta, name, checksum, query_prefix, passage_prefix, max_seq_length,
                             batch_size, load_torch)
    except ModelError as e:
        print(f"rag: queries are embedded by torch: {e}", file=sys.stderr, flush=True)
        return None


def _failure(verified: dict) -> str:
    if verified.get("problem"):
        return f"failed ({verified['problem']})"
    if not verified.get("same_ids", True):
        return "tokenizes differently from tokenizer.json"
    return (f"differs from torch by {verified.get('max_abs_diff', float('nan')):.1e} "
            f"(more than {verified.get('tolerance', TOLERANCE):.0e})")

