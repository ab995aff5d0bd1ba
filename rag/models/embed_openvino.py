"""Passages of the torch backend on OpenVINO: the verified float32 export (models/query_fp32.py)
compiled for this CPU, with bfloat16 matrix products where the CPU has bfloat16 units.

Why: indexing time is the transformer's matrix products. torch.autocast runs them on the
bfloat16 units but keeps PyTorch's per-operator overhead; OpenVINO compiles the whole graph
(fused attention, layer norms and GELU, weights repacked for AMX once) and measured, on 256
CMRC2018 chunks embedded as passages (``python -m evals.bench.bf16_probe``): torch float32
21.3 chunks/s, torch bf16 autocast 54.2 (2.54x), OpenVINO bf16 78.9 (3.70x), all three at
cosine >= 0.99999 to float32. On a CPU without bfloat16 units OpenVINO runs float32 (1.1-1.4x
torch's float32 here). The vectors are the torch model's up to rounding, so an index keeps
the torch embedder's name and checksum and can be updated by either runtime.

Each (export, OpenVINO version, precision, CPU) is checked once against ONNX Runtime's float32 run
of the same export on query_fp32's ``PROBES`` (Chinese, English, empty, truncated, padded in
batches); the verdict is cached in ``cache_dir()/openvino/``. A runtime that fails the check,
or is not installed, leaves passages to torch, as before this existed.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import sys
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from .. import offline
from ..config import cache_dir
from ..errors import ModelError
from .embed_onnx import OnnxEmbedder, load_tokenizer
from .query_fp32 import MODEL, PROBES

MIN_COSINE = 0.9999  # to the float32 export, per probe; bf16 measured 0.99999 on real chunks
RECIPE = "openvino-passages/1"  # bump when the compile settings or the check change
HINTS = {"bf16": "bf16", "fp32": "f32"}


class _Request:
    """ONNX Runtime's ``session.run`` over an OpenVINO compiled model, so OnnxEmbedder's
    batching, padding and pooling are reused unchanged. An infer request is not thread-safe
    (ONNX Runtime's session is), and the web app may index two uploads at once: one batch
    at a time, each on all the threads anyway."""

    def __init__(self, compiled):
        self.compiled, self.request = compiled, compiled.create_infer_request()
        self.output = compiled.output(0)
        self.lock = threading.Lock()

    def run(self, _names, feeds: dict) -> list[np.ndarray]:
        with self.lock:
            return [self.request.infer(feeds)[self.output].copy()]  # the request reuses its buffer


class OpenVinoPassages(OnnxEmbedder):
    """Implements rag.embed.Embedder's passages on OpenVINO; queries stay on the export's ONNX
    Runtime session (``export``), which is what the index is searched with anyway."""

    def __init__(self, export: OnnxEmbedder, precision: str, threads: int):
        offline.enable()  # before the import: it switches OpenVINO's telemetry off
        import openvino as ov  # imported only when chosen: ~0.2 s and 180 MB of libraries

        self.folder, self.meta, self.export = export.folder, export.meta, export
        self.name, self.checksum, self.dim = export.name, export.checksum, export.dim
        self.query_prefix, self.passage_prefix = export.query_prefix, export.passage_prefix
        self.batch_size, self.max_len = export.batch_size, export.max_len
        self.precision = precision
        core = ov.Core()
        try:
            model = core.read_model(str(self.folder / MODEL))
            compiled = core.compile_model(model, "CPU", {
                "INFERENCE_PRECISION_HINT": HINTS[precision],
                "PERFORMANCE_HINT": "LATENCY",  # one request at a time, all threads on it
                "INFERENCE_NUM_THREADS": threads,
            })
        except Exception as e:  # noqa: BLE001 - an OpenVINO too old for the file, an odd CPU
            raise ModelError(f"OpenVINO cannot compile {self.folder}: {e}".splitlines()[0],
                             "set RAG_EMBED_RUNTIME=torch") from e
        self.session = _Request(compiled)
        self.tokenizer = self.configure(load_tokenizer(self.folder))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.export.embed_queries(texts)


def installed_version() -> str | None:
    """OpenVINO's version from its package metadata: known without importing it."""
    try:
        return importlib.metadata.version("openvino")
    except importlib.metadata.PackageNotFoundError:
        return None


def cpu() -> str:
    """The CPU a verdict was reached on: its model and whether it has bfloat16 units (a
    cache copied to another machine must not carry a verdict over; OpenVINO computes bf16
    in float32 where there are none)."""
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.machine() + "|" + platform.processor()
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "")
    units = sorted({f for f in ("amx_bf16", "avx512_bf16") if f in info})
    return f"{platform.machine()}|{model}|{','.join(units)}"


def verdict_path(export: OnnxEmbedder, version: str, precision: str) -> Path:
    tag = f"{RECIPE}|{version}|{precision}|{export.folder.name}|{export.meta.get('recipe', '')}|{cpu()}"
    return cache_dir() / "openvino" / (hashlib.sha256(tag.encode()).hexdigest()[:16] + ".json")


def cached_verdict(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def check(ov_emb: OpenVinoPassages, export: OnnxEmbedder, path: Path) -> dict:
    """OpenVINO's vectors of the probes against ONNX Runtime's float32 ones; the verdict is
    saved at ``path`` for the next process (openvino_passages reads it first)."""
    theirs = export._encode(list(PROBES), False)  # the verified float32 export on ONNX Runtime
    ours = ov_emb._encode(list(PROBES), False)
    cos = float((ours * theirs).sum(axis=1).min())
    verdict = {"probes": len(PROBES), "min_cosine": cos, "required": MIN_COSINE, "ok": cos >= MIN_COSINE}
    try:  # a verdict not saved is only checked again next time
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(verdict), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass
    return verdict


def openvino_passages(export: OnnxEmbedder, precision: str, threads: int, required: bool) -> OpenVinoPassages | None:
    """Passages on OpenVINO for ``export`` (a verified float32 export), or None when OpenVINO
    is not installed, cannot compile it or fails the check (then torch embeds them, and
    stderr says why). ``required`` (RAG_EMBED_RUNTIME=openvino): raise instead."""
    # Looked up, not imported: the one import is OpenVinoPassages', after offline.enable().
    if importlib.util.find_spec("openvino") is None:
        if required:
            raise ModelError("RAG_EMBED_RUNTIME=openvino, but OpenVINO is not installed",
                             "pip install openvino, or set RAG_EMBED_RUNTIME=auto")
        return None
    path = verdict_path(export, installed_version() or "", precision)
    verdict = cached_verdict(path)
    emb = None
    if verdict is None or verdict.get("ok"):  # a failed check is not compiled for again (~1 s)
        try:
            emb = OpenVinoPassages(export, precision, threads)
        except ModelError as e:
            if required:
                raise
            print(f"rag: passages are embedded by torch: {e}", file=sys.stderr, flush=True)
            return None
        verdict = verdict or check(emb, export, path)
    if verdict["ok"]:
        return emb
    problem = (f"OpenVINO {precision} differs from the float32 export (cosine {verdict['min_cosine']:.5f} "
               f"< {MIN_COSINE})")
    if required:
        raise ModelError(problem, "set RAG_EMBED_RUNTIME=torch")
    print(f"rag: passages are embedded by torch: {problem}", file=sys.stderr, flush=True)
    return None
