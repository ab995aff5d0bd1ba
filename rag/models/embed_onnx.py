"""The ``onnx-int8`` embedding backend: the same sentence-transformers model, exported once to
ONNX with int8 weights and run by ONNX Runtime.

Why: indexing time is the transformer's matrix products. Dynamic quantisation (int8
weights, per output channel; activations quantised per batch at run time) runs them on the
CPU's int8 instructions, and ONNX Runtime skips PyTorch's per-operator overhead; together
several times faster than ``SentenceTransformer.encode`` on a 2-core CPU, with vectors that
agree with float32 to a mean cosine of ~0.997 (measured by ``evals/bench/ingest.py``;
retrieval quality in evals/RESULTS.md). Loading needs no torch, so it also starts faster
and uses less memory.

The export runs once per source model into ``cache_dir()/onnx/<source checksum>/``::

    model.int8.onnx   (input_ids, attention_mask) -> token embeddings
    tokenizer.json    the model's fast tokenizer, as sentence-transformers loads it
    meta.json         pooling, lower-casing, max length, recipe, sha256 of both files

It is built in a temporary sibling and renamed into place; a folder whose files no longer
match their sha256 is rebuilt from the source model, never used.
"""
from __future__ import annotations

import json
import logging
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..config import cache_dir
from .cachefs import build_folder, folder_checksum
from .cachefs import sha256_file as _sha256_file
from ..errors import ModelError

# Bump when the export or quantisation changes: cached folders of another recipe are rebuilt.
RECIPE = "st-onnx17-int8-perchannel/1"
MODEL, TOKENIZER, META = "model.int8.onnx", "tokenizer.json", "meta.json"
USE_TORCH = "set RAG_EMBED_BACKEND=torch to use the PyTorch backend"
POOLINGS = ("mean", "cls")

exports = 0  # how many exports this process ran (tests check that the cache is reused)


@dataclass(frozen=True)
class Kind:
    """One kind of export: where it is cached, how it is made, what the messages call it.
    This module's int8 export is ``INT8``; models/query_fp32.py adds a float32 one."""
    subdir: str  # under cache_dir()
    recipe: str  # recorded in meta.json: a folder of another recipe is rebuilt
    label: str  # "ONNX int8"
    export: Callable[[Path, Path], dict]  # (source folder, output folder) -> meta of the files written
    # Record each file's size and mtime too, and hash only files whose stamp changed: for
    # exports too large to hash on every load. Writing into a file changes its mtime.
    stamps: bool = False


# ---------------------------------------------------------------------------- cache


def ensure_onnx(folder: Path, source_checksum: str, cache: Path | None = None,
                kind: Kind | None = None) -> tuple[Path, dict]:
    """(cache folder, meta) of the ``kind`` (default int8) export of the sentence-transformers
    ``folder``, exporting it first when missing, of another recipe, or damaged."""
    kind = kind or INT8
    target = (cache or cache_dir()) / kind.subdir / source_checksum
    problem = _cache_problem(target, kind.recipe)
    if problem:
        _build(folder, target, source_checksum, problem, kind)
        problem = _cache_problem(target, kind.recipe)
        if problem:  # e.g. a disk that corrupts what we just wrote
            raise ModelError(f"the ONNX export in {target} is unusable right after building it ({problem})",
                             USE_TORCH)
    return target, json.loads((target / META).read_text(encoding="utf-8"))


def _cache_problem(target: Path, recipe: str = RECIPE) -> str | None:
    """Why ``target`` can't be used (None: it can). Hashing the ~120 MB model costs ~0.2 s
    per load, cheap next to loading it, and catches a damaged file before it runs. A file
    whose size and mtime are still those recorded in ``stamps`` (if any) is not hashed."""
    if not target.is_dir():
        return "not exported yet"
    try:
        meta = json.loads((target / META).read_text(encoding="utf-8"))
        if meta.get("recipe") != recipe:
            return "made by another version"
        stamps = meta.get("stamps", {})
        bad = [n for n, sha in meta["files"].items()
               if stamps.get(n) != _stamp(target / n) and _sha256_file(target / n) != sha]
        return f"checksum mismatch in {', '.join(sorted(bad))}" if bad else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        return f"unreadable ({e.__class__.__name__})"


def _build(folder: Path, target: Path, source_checksum: str, reason: str, kind: Kind) -> None:
    def fill(tmp: Path) -> None:
        global exports
        meta = kind.export(folder, tmp)
        written = sorted(tmp.iterdir())
        meta.update(recipe=kind.recipe, source={"folder": str(folder), "checksum": source_checksum},
                    files={p.name: _sha256_file(p) for p in written})
        if kind.stamps:  # the folder is renamed into place: its files keep these
            meta["stamps"] = {p.name: _stamp(p) for p in written}
        (tmp / META).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        exports += 1

    build_folder(target, lambda rebuild: f"exporting the embedding model to {kind.label} "
                 f"({f'rebuilding ({reason})' if rebuild else 'one time'})", fill)


def _stamp(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


# ---------------------------------------------------------------------------- export


def _export(folder: Path, out: Path) -> dict:
    """Write MODEL and TOKENIZER into ``out``; return what the runtime needs to know."""
    try:
        import onnx  # noqa: F401 - the quantiser needs it; fail early with a clear message
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as e:
        raise ModelError(f"the onnx-int8 backend needs {e.name}, which is not installed",
                         f"pip install onnxruntime onnx, or {USE_TORCH}") from None
    st, meta = load_for_export(folder)
    fp32 = out / "model.fp32.onnx"
    try:
        trace(st, meta["pad_id"], fp32)
        quiet = logging.getLogger().level
        logging.getLogger().setLevel(logging.ERROR)  # "consider pre-processing" advice
        try:
            # Per-channel scales keep the vectors within ~0.003 cosine of float32 (per-tensor:
            # ~0.013) at the same speed.
            quantize_dynamic(str(fp32), str(out / MODEL), weight_type=QuantType.QInt8, per_channel=True)
        finally:
            logging.getLogger().setLevel(quiet)
    except Exception as e:  # noqa: BLE001 - an architecture the exporter can't handle
        raise ModelError(f"cannot export {folder} to ONNX: {e}".splitlines()[0], USE_TORCH) from e
    finally:
        fp32.unlink(missing_ok=True)
    st.tokenizer.backend_tokenizer.save(str(out / TOKENIZER))
    return meta


def load_for_export(folder: Path):
    """(the sentence-transformers model of ``folder`` on torch, its ``_describe`` meta)."""
    try:
        import torch  # noqa: F401 - imported here so a missing torch gets the message below
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging
    except ImportError as e:
        raise ModelError(f"exporting to ONNX needs {e.name}, which is not installed",
                         f"pip install onnxruntime onnx, or {USE_TORCH}") from None
    hf_logging.disable_progress_bar()  # as in embed.py: load bars are noise
    hf_logging.set_verbosity_error()
    try:
        # Eager attention traces to plain MatMul/Softmax operators, which the quantiser handles.
        st = SentenceTransformer(str(folder), device="cpu", local_files_only=True,
                                 model_kwargs={"attn_implementation": "eager"})
    except Exception as e:  # noqa: BLE001 - any load failure is a model problem for the user
        raise ModelError(f"cannot load embedding model from {folder}: {e}".splitlines()[0], USE_TORCH) from e
    return st, _describe(st, folder)


def trace(st, pad_id: int, path: Path) -> None:
    """Export the transformer of ``st`` (no pooling) to the float32 ONNX file ``path``:
    (input_ids, attention_mask) -> token embeddings."""
    import torch

    class Encoder(torch.nn.Module):  # the transformer alone; pooling is done in numpy
        def __init__(self, model: torch.nn.Module):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    # The example batch has padding: tracing must not see an all-ones mask, which lets
    # transformers drop the mask as a constant.
    mask = torch.ones(2, 16, dtype=torch.long)
    mask[1, 9:] = 0
    ids = torch.where(mask.bool(), pad_id + 1, pad_id)
    axes = {0: "batch", 1: "sequence"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer and deprecation warnings: noise for users
        torch.onnx.export(Encoder(st[0].auto_model.eval()), (ids, mask), str(path),
                          input_names=["input_ids", "attention_mask"], output_names=["token_embeddings"],
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_embeddings": axes},
                          opset_version=17, dynamo=False)


INT8 = Kind("onnx", RECIPE, "ONNX int8", _export)


def _describe(st, folder: Path) -> dict:
    """The model's pipeline in the terms the runtime reproduces; anything else is refused
    (the torch backend runs it)."""
    kinds = [type(m).__name__ for m in st]
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise ModelError(f"the onnx-int8 backend supports Transformer + Pooling (+ Normalize) models, "
                         f"{folder} has {' + '.join(kinds)}", USE_TORCH)
    pooling = st[1].pooling_mode
    if pooling not in POOLINGS:
        raise ModelError(f"the onnx-int8 backend supports {'/'.join(POOLINGS)} pooling, {folder} uses {pooling}",
                         USE_TORCH)
    tok = st.tokenizer
    if getattr(tok, "backend_tokenizer", None) is None or tok.pad_token_id is None:
        raise ModelError(f"the model in {folder} has no fast tokenizer with a padding token", USE_TORCH)
    dim_of = getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension
    return {"pooling": pooling, "do_lower_case": bool(getattr(st[0], "do_lower_case", False)),
            "max_seq_length": int(st.max_seq_length or 512), "dim": int(dim_of()),
            "pad_id": int(tok.pad_token_id)}


# ---------------------------------------------------------------------------- runtime


def runtime_modules():
    """(onnxruntime, tokenizers.Tokenizer), imported lazily (heavy)."""
    try:
        import onnxruntime as ort
        from tokenizers import Tokenizer
    except ImportError as e:
        raise ModelError(f"the ONNX backends need {e.name}, which is not installed",
                         f"pip install onnxruntime onnx, or {USE_TORCH}") from None
    return ort, Tokenizer


def load_tokenizer(folder: Path):
    """The export's tokenizer (e5's 250k pieces: ~0.6-1.3 s here, holding the GIL)."""
    _, Tokenizer = runtime_modules()
    return Tokenizer.from_file(str(folder / TOKENIZER))


class OnnxEmbedder:
    """Implements rag.embed.Embedder on the int8 export of a sentence-transformers folder."""

    def __init__(self, folder: Path, name: str, query_prefix: str, passage_prefix: str,
                 max_seq_length: int = 512, batch_size: int = 16, source_checksum: str | None = None,
                 threads: int = 0, cache: Path | None = None):
        from .hardware import default_threads

        runtime_modules()  # a missing onnxruntime is reported before exporting
        self.folder, self.meta = ensure_onnx(folder, source_checksum or folder_checksum(folder), cache)
        self.name = name
        # From the int8 weights: vectors of another backend (or export) never mix with these.
        self.checksum = self.meta["files"][MODEL][:16]
        self.open(MODEL, query_prefix, passage_prefix, max_seq_length, batch_size, threads or default_threads())
        self.tokenizer = self.configure(load_tokenizer(self.folder))

    def open(self, model: str, query_prefix: str, passage_prefix: str, max_seq_length: int, batch_size: int,
             threads: int) -> None:
        """The settings and an ONNX Runtime session of ``self.folder / model`` (``self.folder``
        and ``self.meta`` set by the caller, the tokenizer too: see ``configure``)."""
        ort, _ = runtime_modules()
        self.dim = int(self.meta["dim"])
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix
        self.batch_size = batch_size
        self.max_len = min(max_seq_length, int(self.meta["max_seq_length"]))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3  # errors only
        try:
            self.session = ort.InferenceSession(str(self.folder / model), opts, providers=["CPUExecutionProvider"])
        except Exception as e:  # noqa: BLE001 - e.g. an onnxruntime too old for the file
            raise ModelError(f"ONNX Runtime cannot load {self.folder / model}: {e}".splitlines()[0],
                             f"delete {self.folder} to export it again, or {USE_TORCH}") from e

    def configure(self, tokenizer):
        """``tokenizer`` (from ``load_tokenizer``) set up as ``_encode`` needs it."""
        tokenizer.no_padding()  # batches are padded here, after sorting by length
        tokenizer.enable_truncation(self.max_len)  # counts <s> </s>, like transformers
        return tokenizer

    def embed_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self._encode([self.passage_prefix + t for t in texts], progress)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self.query_prefix + t for t in texts], False)

    def _encode(self, texts: list[str], progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        unique = list(dict.fromkeys(texts))  # repeated boilerplate chunks are embedded once
        encs = self.tokenizer.encode_batch(
            [t.lower() for t in unique] if self.meta["do_lower_case"] else unique)
        # Sorted by length, each batch pads only to its own longest text: little wasted work.
        order = sorted(range(len(unique)), key=lambda i: len(encs[i].ids))
        out = np.empty((len(unique), self.dim), dtype=np.float32)
        from tqdm import tqdm

        with tqdm(total=len(unique), desc="embedding", unit="text", file=sys.stderr,
                  disable=not progress) as bar:
            for start in range(0, len(order), self.batch_size):
                rows = order[start:start + self.batch_size]
                out[rows] = self._batch([encs[i].ids for i in rows])
                bar.update(len(rows))
        where = {t: i for i, t in enumerate(unique)}
        return out[[where[t] for t in texts]]

    def _batch(self, ids: list[list[int]]) -> np.ndarray:
        width = max(len(x) for x in ids)
        input_ids = np.full((len(ids), width), self.meta["pad_id"], dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for r, x in enumerate(ids):
            input_ids[r, :len(x)] = x
            mask[r, :len(x)] = 1
        tokens = self.session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]
        if self.meta["pooling"] == "cls":
            vecs = tokens[:, 0]
        else:  # mean over real tokens, as sentence-transformers' Pooling(mean)
            m = mask[:, :, None].astype(np.float32)
            vecs = (tokens * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return (vecs / np.maximum(norms, 1e-12)).astype(np.float32)  # as torch's F.normalize
