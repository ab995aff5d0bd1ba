"""Passage embedding in bfloat16 (torch autocast) against float32, on real chunks.

    python -m evals.bench.bf16_probe [N_CHUNKS]     # default 256 CMRC2018 chunks

Prints chunks/s of the bundled embedder's passage path (sentence-transformers, batches of
16) in float32 and under ``torch.autocast("cpu", dtype=torch.bfloat16)``, and of the default
path (the float32 ONNX export on OpenVINO, rag/models/embed_openvino.py) in bf16, with the
cosine of each chunk's vector to float32. On CPUs with bfloat16 units (AMX, AVX512-BF16) the
matrix products run there; elsewhere autocast may be slower. The measurement behind
``RAG_EMBED_PRECISION=auto`` and ``RAG_EMBED_RUNTIME=auto`` (rag/config.py).
"""
from __future__ import annotations

import sys
import time


def main() -> None:
    import torch

    from rag import offline

    offline.enable()
    from rag.config import Config
    from rag.embed import load_embedder
    from rag.chunk import embed_text

    from .corpus import corpus_chunks

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 256
    config = Config(embed_backend="torch", embed_precision="fp32", embed_runtime="torch")  # autocast is applied here
    embedder = load_embedder(config)
    passages = getattr(embedder, "passage_embedder", embedder)  # the torch model behind the query export
    texts = [embed_text(c) for c in corpus_chunks(n, config)]
    passages.embed_passages(texts[:16])  # warm-up
    t0 = time.perf_counter()
    fp32 = passages.embed_passages(texts)
    t_fp32 = time.perf_counter() - t0
    with torch.autocast("cpu", dtype=torch.bfloat16):
        passages.embed_passages(texts[:16])
        t0 = time.perf_counter()
        bf16 = passages.embed_passages(texts)
        t_bf16 = time.perf_counter() - t0
    ov = load_embedder(config.with_(embed_precision="bf16", embed_runtime="openvino")).passage_embedder
    ov.embed_passages(texts[:16])
    t0 = time.perf_counter()
    ov16 = ov.embed_passages(texts)
    t_ov = time.perf_counter() - t0
    cos, cos_ov = (fp32 * bf16).sum(axis=1), (fp32 * ov16).sum(axis=1)
    flags = open("/proc/cpuinfo").read() if sys.platform.startswith("linux") else ""
    units = [f for f in ("amx_bf16", "avx512_bf16") if f in flags]
    print(f"{len(texts)} chunks; bf16 units: {', '.join(units) or 'none'}")
    print(f"float32 {len(texts) / t_fp32:.1f} chunks/s, bfloat16 {len(texts) / t_bf16:.1f} chunks/s "
          f"({t_fp32 / t_bf16:.2f}x); cosine to float32: min {cos.min():.5f}, mean {cos.mean():.5f}")
    print(f"OpenVINO bfloat16 {len(texts) / t_ov:.1f} chunks/s ({t_fp32 / t_ov:.2f}x); cosine to float32: "
          f"min {cos_ov.min():.5f}, mean {cos_ov.mean():.5f}")


if __name__ == "__main__":
    main()
