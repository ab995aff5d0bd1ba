"""Ingestion benchmark: how fast chunks are embedded, per embedding backend.

    .venv/bin/python -m evals.bench.ingest [--quick] [--out DIR] [--variants raw,torch,torch-runtime,onnx-int8,torch-qint8]

(prints the Section as JSON; ``rag bench`` runs it as its ingestion section.) Quick: 160
chunks, full: 2,000.

Variants, all on the same real chunk texts (the seeds/ documents and CMRC2018 dev paragraphs,
cleaned and chunked by rag's own pipeline, each led by ``passage: ``):

* ``raw``        ``SentenceTransformer(folder).encode(batch_size=16, normalize_embeddings=True)``
* ``torch``      rag's embedder, torch backend with the default settings (what indexing runs
                 by default: passages on OpenVINO, bf16 where the CPU has bfloat16 units)
* ``torch-runtime`` the same with ``RAG_EMBED_RUNTIME=torch``: passages on sentence-transformers
                 (bf16 autocast where the CPU has bfloat16 units; the default before OpenVINO)
* ``onnx-int8``  rag's embedder, int8 ONNX backend (rag/models/embed_onnx.py)
* ``torch-qint8`` (only on request) PyTorch dynamic int8 quantisation of nn.Linear, the
  cheaper alternative that was measured and not chosen

Each variant runs in a fresh subprocess (``--variant X``, internal), so peak RSS is its own,
twice, interleaved with the others; model loading and one warm-up batch are timed apart
from the embedding.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import Say, Section, peak_rss_mb, section_main

VARIANTS = ("raw", "torch", "torch-runtime", "onnx-int8")
OPTIONAL = ("torch-qint8",)
LABELS = {"raw": "raw SentenceTransformer.encode", "torch": "rag, default (torch backend)",
          "torch-runtime": "rag, RAG_EMBED_RUNTIME=torch", "onnx-int8": "rag, onnx-int8 backend",
          "torch-qint8": "torch dynamic int8 (not used)"}
BACKENDS = ("torch", "torch-runtime", "onnx-int8")  # the variants a user can select
# A backend's vectors must agree with float32 this well to count (retrieval quality itself is
# measured by evals.cmrc_retrieval --embed-backend ...).
MIN_MEAN_COSINE = 0.99
REPO = Path(__file__).resolve().parents[2]
CMRC = REPO.parent / "shared/data/cmrc2018/cmrc2018_dev.json"
WARMUP = 16


def chunk_texts(n: int) -> tuple[list[str], str]:
    """The first ``n`` chunk texts, as the indexer embeds them, and where they came from."""
    from rag.chunk import chunk_document
    from rag.clean import clean
    from rag.config import Config
    from rag.chunk import embed_text
    from rag.load import discover, iter_documents

    config = Config()
    docs = [doc for _, _, doc in iter_documents(discover([REPO / "seeds"])) if not isinstance(doc, Exception)]
    source = "seeds/"
    if CMRC.is_file():
        from evals.squad import documents, load_squad

        docs += documents(load_squad(CMRC).paragraphs, CMRC)
        source += " + CMRC2018 dev paragraphs"
    texts: list[str] = []
    for doc in docs:
        doc.text = clean(doc).text
        texts += [embed_text(c) for c in chunk_document(doc, config.chunk_size, config.chunk_overlap)]
        if len(texts) >= n:
            break
    return texts[:n], source


# ---------------------------------------------------------------------------- one variant


def _load(variant: str):
    """(embed function, seconds spent exporting first) for a variant, in this process."""
    from rag import offline

    offline.enable()
    from rag.config import Config
    from rag.models.e5convert import ensure_bundled_model

    folder, checksum = ensure_bundled_model()
    if variant in ("raw", "torch-qint8"):
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        if variant == "torch-qint8":
            import torch

            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        return (lambda texts: model.encode(["passage: " + t for t in texts], batch_size=16,
                                           normalize_embeddings=True)), 0.0
    export_s = 0.0
    if variant == "onnx-int8":  # the one-time export is not part of loading
        from rag.models.embed_onnx import ensure_onnx

        t0 = time.perf_counter()
        ensure_onnx(folder, checksum)
        export_s = time.perf_counter() - t0
    from rag.embed import load_embedder

    if variant == "torch-runtime":
        embedder = load_embedder(Config(embed_backend="torch", embed_runtime="torch"))
    else:
        embedder = load_embedder(Config(embed_backend=variant))
    getattr(embedder, "passage_embedder", None)  # loaded at first use: counted as loading here
    return embedder.embed_passages, export_s


def measure(variant: str, texts: list[str], vectors_out: Path) -> dict:
    import numpy as np

    t0 = time.perf_counter()
    embed, export_s = _load(variant)
    load_s = time.perf_counter() - t0 - export_s
    embed(texts[:WARMUP])
    t0 = time.perf_counter()
    vecs = np.asarray(embed(texts), dtype=np.float32)
    seconds = time.perf_counter() - t0
    np.save(vectors_out, vecs, allow_pickle=False)
    return {"variant": variant, "n": len(texts), "seconds": seconds, "chunks_per_s": len(texts) / seconds,
            "load_s": load_s, "export_s": export_s, "peak_rss_mb": peak_rss_mb()}


# ---------------------------------------------------------------------------- section


def _run_variant(variant: str, texts_file: Path, vectors: Path) -> dict:
    cmd = [sys.executable, "-m", "evals.bench.ingest", "--variant", variant, "--texts", str(texts_file),
           "--vectors", str(vectors)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"ingest variant {variant} failed: {tail}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _measure_all(texts: list[str], variants: tuple[str, ...], rounds: int, say: Say) -> dict[str, dict]:
    """Each variant ``rounds`` times, interleaved (raw, torch, int8, then reversed, ...), in
    fresh processes. Other jobs sharing the CPU slow PyTorch's threads far more than ONNX
    Runtime's, in bursts; interleaving and keeping each variant's fastest round compares the
    variants under like conditions."""
    import numpy as np

    order = ["raw"] + [v for v in variants if v != "raw"]  # raw is the reference
    runs: dict[str, list[dict]] = {v: [] for v in order}
    with tempfile.TemporaryDirectory(prefix="rag-bench-ingest-") as tmp:
        texts_file = Path(tmp) / "texts.json"
        texts_file.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        for i in range(rounds):
            for v in order if i % 2 == 0 else order[::-1]:
                say(f"ingest: round {i + 1}/{rounds}: {LABELS[v]} on {len(texts)} chunks ...")
                vectors = Path(tmp) / f"{v}-{i}.npy"
                r = _run_variant(v, texts_file, vectors)
                r["vectors"], r["load_avg"] = np.load(vectors), os.getloadavg()[0]
                say(f"ingest: {v}: {r['chunks_per_s']:.1f} chunks/s (load average {r['load_avg']:.1f})")
                runs[v].append(r)
    results = {}
    for v, rs in runs.items():
        best = dict(max(rs, key=lambda r: r["chunks_per_s"]))
        best.update(load_s=min(r["load_s"] for r in rs), peak_rss_mb=max(r["peak_rss_mb"] for r in rs),
                    export_s=max(r["export_s"] for r in rs), all_chunks_per_s=[r["chunks_per_s"] for r in rs],
                    load_avgs=[r["load_avg"] for r in rs])
        results[v] = best
    return results


def run(quick: bool, out: Path, say: Say, variants: tuple[str, ...] = VARIANTS) -> Section:
    n, rounds = (160, 2) if quick else (2000, 2)
    texts, source = chunk_texts(n)
    avg_chars = sum(map(len, texts)) / max(1, len(texts))
    results = _measure_all(texts, variants, rounds, say)
    ref = results["raw"]["vectors"]
    for r in results.values():
        cos = (r.pop("vectors") * ref).sum(axis=1)
        r["mean_cos"], r["min_cos"] = float(cos.mean()), float(cos.min())
        r["speedup"] = r["chunks_per_s"] / results["raw"]["chunks_per_s"]
    ok = [v for v in BACKENDS if v in results and results[v]["mean_cos"] >= MIN_MEAN_COSINE]
    best = max(ok, key=lambda v: results[v]["chunks_per_s"]) if ok else None
    rows = [[LABELS[v], round(r["chunks_per_s"], 1), " / ".join(f"{x:.1f}" for x in r["all_chunks_per_s"]),
             round(r["speedup"], 2), round(r["mean_cos"], 4), round(r["min_cos"], 4), round(r["load_s"], 1),
             round(r["peak_rss_mb"])] for v, r in results.items()]
    _plot(results, out / "ingest.png")
    loads = [x for r in results.values() for x in r["load_avgs"]]
    note = (f"{len(texts)} chunks ({source}; rag's cleaner and chunker, {avg_chars:.0f} characters on "
            f"average), embedded as passages by multilingual-e5-small (bundled) on this machine's CPU. "
            f"Each variant ran {rounds} times, interleaved, each time in a fresh process (so peak RSS is "
            f"its own); chunks/s is its fastest run (all runs in the next column) and excludes model "
            f"loading (its own column) and one warm-up batch. 1-minute load average after the runs: "
            f"{min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} cores (above the core count, other "
            f"jobs shared the CPU and slowed PyTorch most). Cosines compare each vector with the float32 "
            f"`raw` vector of the same chunk. The headline speedup is the fastest selectable backend "
            f"(`RAG_EMBED_BACKEND`) whose mean cosine is at least {MIN_MEAN_COSINE}: "
            f"**{best or 'none'}**. Retrieval quality per backend: `python -m evals.cmrc_retrieval "
            f"--embed-backend onnx-int8` (CMRC2018 dev hit@5).")
    if "torch" in results:
        note += (f" By default (no setting) indexing embeds at {results['torch']['speedup']:.2f}x raw "
                 f"float32 sentence-transformers.")
    if results.get("onnx-int8", {}).get("export_s", 0) > 1:
        note += f" The one-time ONNX export took {results['onnx-int8']['export_s']:.0f} s (not counted)."
    figures = {
        "ingest_speedup_vs_raw": round(results[best]["speedup"], 2) if best else None,
        "ingest_chunks_per_s": round(results[best]["chunks_per_s"], 1) if best else None,
        "ingest_raw_chunks_per_s": round(results["raw"]["chunks_per_s"], 1),
        # What a user gets without setting anything, against raw float32 sentence-transformers
        "ingest_default_speedup_vs_raw": round(results["torch"]["speedup"], 2) if "torch" in results else None,
        "ingest_peak_rss_mb": round(results[best]["peak_rss_mb"]) if best else None,
    }
    headers = ["variant", "chunks/s", "chunks/s, each run", "speedup vs raw", "mean cosine vs fp32", "min cosine",
               "model load s", "peak RSS MB"]
    return Section("ingestion", "Ingestion: embedding throughput", note, headers, rows, figures, "ingest.png")


def _plot(results: dict[str, dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display; writes the PNG only
    import matplotlib.pyplot as plt

    names = list(results)
    values = [results[v]["chunks_per_s"] for v in names]
    fig, ax = plt.subplots(figsize=(6.4, 3.2), dpi=120)
    bars = ax.barh([LABELS[v] for v in names], values, color=["#999999" if v == "raw" else "#3a7bd5" for v in names])
    for bar, v in zip(bars, names):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2,
                f" {results[v]['chunks_per_s']:.1f} ({results[v]['speedup']:.1f}x)", va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_title(f"Embedding {results['raw']['n']} chunks, multilingual-e5-small on CPU", fontsize=9)
    ax.set_xlabel("chunks embedded per second (higher is better)")
    ax.set_xlim(0, max(values) * 1.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


# ---------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> None:
    """``--quick --out DIR --section-json FILE`` as every section (common.section_main), plus
    ``--variants`` to add torch-qint8, and the internal one-variant mode of the subprocesses."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument("--variant", choices=VARIANTS + OPTIONAL)
    p.add_argument("--texts", type=Path)
    p.add_argument("--vectors", type=Path)
    args, rest = p.parse_known_args(argv)
    if args.variant:  # internal: one variant in this fresh process, one JSON line on stdout
        texts = json.loads(args.texts.read_text(encoding="utf-8"))
        print(json.dumps(measure(args.variant, texts, args.vectors)))
        return
    wanted = tuple(v.strip() for v in args.variants.split(",") if v.strip())
    bad = [v for v in wanted if v not in VARIANTS + OPTIONAL]
    if bad:
        p.error(f"unknown variant(s) {', '.join(bad)}; choose from {', '.join(VARIANTS + OPTIONAL)}")
    section_main(lambda quick, out, say: run(quick, out, say, wanted), rest)


if __name__ == "__main__":
    main()
