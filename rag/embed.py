"""Embed stage: text -> normalised vectors.

Callers never add model-specific prefixes: the embedder knows whether it needs e5's
``query: `` / ``passage: `` and applies them itself. Two backends run the same model folder:
PyTorch (sentence-transformers, float32) and ONNX Runtime with int8 weights (models/embed_onnx.py,
faster indexing); ``Config.embed_backend`` chooses. On the torch backend, queries run on a float32
ONNX export checked against torch when it is made (models/query_fp32.py): the same vectors
without importing torch, which a new ``rag search`` process would otherwise spend seconds on,
and passages (indexing) run that same export on OpenVINO where it is installed
(models/embed_openvino.py, ``Config.embed_runtime``): bf16 matrix products, 1.5x torch's own.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from . import offline
from .config import BUNDLED, Config
from .errors import ModelError, UsageError
from .models.cachefs import folder_checksum
from .models.hardware import torch_threads


class Embedder(Protocol):
    name: str  # what the manifest records ("bundled:multilingual-e5-small" or a path)
    dim: int
    checksum: str  # identifies the exact weights; an index built with other weights is refused

    def embed_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """Any sentence-transformers model folder; the bundled e5 is one of them."""

    def __init__(self, folder: Path, name: str, query_prefix: str, passage_prefix: str,
                 max_seq_length: int = 512, batch_size: int = 16, checksum: str | None = None,
                 precision: str = "fp32"):
        from sentence_transformers import SentenceTransformer  # heavy: imported lazily
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # "Loading weights" bars on every start are noise
        hf_logging.set_verbosity_error()
        try:
            self.model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        except Exception as e:  # noqa: BLE001 - any load failure is a model problem for the user
            raise ModelError(f"cannot load embedding model from {folder}: {e}".splitlines()[0],
                             "check RAG_EMBEDDER points at a sentence-transformers model folder") from e
        self.model.max_seq_length = min(max_seq_length, self.model.max_seq_length or max_seq_length)
        self.name = name
        dim_of = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(dim_of())
        self.checksum = checksum or folder_checksum(folder)
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = batch_size
        self.precision = precision

    def _encode(self, texts: Sequence[str], progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def embed_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if self.precision == "bf16":  # Config.embed_precision: the matrix products on bfloat16 units
            import torch

            with torch.autocast("cpu", dtype=torch.bfloat16):
                return self._encode([self.passage_prefix + t for t in texts], progress)
        return self._encode([self.passage_prefix + t for t in texts], progress)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        # One thread: a query is a few dozen tokens, and after a 2-thread encode torch's idle
        # worker keeps competing for the cores the generator decodes on right after
        # retrieval. Measured on 10 seed questions (llama.cpp's own counters): decode 25.2
        # tok/s after 2-thread query embedding, 35.5 after 1-thread, the same as a raw
        # llama_cpp.Llama with nothing else in the process (34.1).
        with torch_threads(1):
            return self._encode([self.query_prefix + t for t in texts], False)


def _auto_prefixes(config: Config, is_e5: bool) -> tuple[str, str]:
    q = config.query_prefix if config.query_prefix is not None else ("query: " if is_e5 else "")
    p = config.passage_prefix if config.passage_prefix is not None else ("passage: " if is_e5 else "")
    return q, p


_CACHE: dict[tuple, Embedder] = {}


def _make(config: Config, folder: Path, name: str, q: str, p: str, checksum: str | None) -> Embedder:
    if config.precision != "fp32" and config.backend != "torch":
        raise UsageError(f"embedding precision {config.precision} applies to the torch backend only",
                         "unset RAG_EMBED_PRECISION, or set RAG_EMBED_BACKEND=torch")
    if config.embed_runtime == "openvino" and config.backend != "torch":
        raise UsageError("RAG_EMBED_RUNTIME=openvino applies to the torch backend only",
                         "unset RAG_EMBED_RUNTIME, or set RAG_EMBED_BACKEND=torch")
    if config.backend == "onnx-int8":
        from .models.embed_onnx import OnnxEmbedder  # imports onnxruntime only when chosen

        return OnnxEmbedder(folder, name, q, p, config.max_seq_length, config.embed_batch_size,
                            source_checksum=checksum)
    from .models.query_fp32 import query_embedder

    checksum = checksum or folder_checksum(folder)

    def torch() -> Embedder:
        return SentenceTransformerEmbedder(folder, name, q, p, config.max_seq_length, config.embed_batch_size,
                                           checksum, config.precision)

    def passages() -> Embedder:  # called at the first passage, when ``export`` is bound
        if config.embed_runtime != "torch":
            from .models.embed_openvino import openvino_passages
            from .models.hardware import default_threads

            ov = openvino_passages(export, config.precision, default_threads(),
                                   required=config.embed_runtime == "openvino")
            if ov is not None:
                return ov
        return torch()

    # Passages (indexing) loaded when first needed, on OpenVINO or torch (passages());
    # torch for everything when the float32 export can't be made or doesn't match torch.
    export = query_embedder(folder, name, checksum, q, p, config.max_seq_length, config.embed_batch_size,
                            passages)
    if export is None and config.embed_runtime == "openvino":
        raise ModelError("RAG_EMBED_RUNTIME=openvino needs the verified float32 ONNX export, which this "
                         "model does not have", "set RAG_EMBED_RUNTIME=auto")
    return export or torch()


def load_embedder(config: Config) -> Embedder:
    """The embedder the config names, on the configured backend, loaded once per process."""
    key = (config.embedder, config.embedder_model, config.query_prefix, config.passage_prefix,
           config.max_seq_length, config.backend, config.precision, config.embed_runtime)
    if key in _CACHE:
        return _CACHE[key]
    offline.enable()  # before sentence-transformers / transformers are first imported
    if config.remote_embedder:
        from .models.embed_http import HttpEmbedder

        q, p = _auto_prefixes(config, "e5" in config.embedder_model.lower())
        emb = HttpEmbedder(config.embedder, config.embedder_model, config.embedder_api_key, q, p,
                           config.embed_batch_size, config.embed_concurrency)
    elif config.embedder == BUNDLED:
        from .models.e5convert import ensure_bundled_model

        folder, checksum = ensure_bundled_model()
        q, p = _auto_prefixes(config, True)
        emb = _make(config, folder, "bundled:multilingual-e5-small", q, p, checksum)
    else:
        folder = Path(config.embedder).expanduser()
        if not folder.is_dir():
            raise ModelError(f"embedding model folder not found: {folder}",
                             "set RAG_EMBEDDER to a sentence-transformers model folder, or 'bundled'")
        cfg = folder / "config.json"
        model_type = json.loads(cfg.read_text()).get("_name_or_path", "") if cfg.exists() else ""
        is_e5 = "e5" in folder.name.lower() or "e5" in str(model_type).lower()
        q, p = _auto_prefixes(config, is_e5)
        emb = _make(config, folder, str(folder.resolve()), q, p, None)
    _CACHE[key] = emb
    return emb
