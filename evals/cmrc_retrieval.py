"""Retrieval benchmark on CMRC2018 dev: every question, each retrieval mode, one markdown table.

    .venv/bin/python -m evals.cmrc_retrieval [--data PATH] [--modes dense,bm25,hybrid] [--json OUT]
                                             [--embed-backend torch|onnx-int8] [--store folder|milvus|URL]

The 848 paragraphs are indexed once per embedder and backend (cached under
``cache_dir()/eval-indexes/``, named by the embedder checksum, which differs per backend; see
evals/squad.py); a hit is a retrieved chunk of the question's own paragraph. The data is read
from ``../shared/data/cmrc2018/`` beside the repository and never copied into it.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from rag.config import EMBED_BACKENDS

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared/data/cmrc2018/cmrc2018_dev.json"
MODES = ("dense", "bm25", "hybrid")


@dataclass
class ModeResult:
    mode: str
    n: int
    hit1: float
    hit5: float
    hit10: float
    mrr10: float
    p50_ms: float
    p95_ms: float


def evaluate_mode(retriever, questions: list, mode: str, progress: bool = True) -> ModeResult:
    from tqdm import tqdm

    from .metrics import aggregate, score
    from .run import DEPTH, retrieval_row

    outcomes = [score(q, retrieval_row(retriever, q, DEPTH, mode), squad=True)
                for q in tqdm(questions, desc=mode, unit="q", file=sys.stderr, disable=not progress)]
    m = aggregate(outcomes)
    lat = m.latency_ms["retrieve_ms"]
    return ModeResult(mode, m.n, m.hit(1), m.hit(5), m.hit(10), m.mrr10, lat["p50"], lat["p95"])


def markdown(results: list[ModeResult], chunks_per_s: float, cached: bool) -> str:
    note = " (cached build)" if cached else ""
    lines = [f"| mode | hit@1 | hit@5 | hit@10 | MRR@10 | indexing chunks/s{note} | query p50 ms | query p95 ms |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r.mode} | {r.hit1:.3f} | {r.hit5:.3f} | {r.hit10:.3f} | {r.mrr10:.3f} | {chunks_per_s:.1f} "
              f"| {r.p50_ms:.1f} | {r.p95_ms:.1f} |" for r in results]
    return "\n".join(lines)


@click.command()
@click.option("--data", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=DEFAULT_DATA,
              show_default=True, help="A SQuAD-format file (CMRC2018 dev by default).")
@click.option("--modes", default=",".join(MODES), show_default=True, help="Comma-separated retrieval modes.")
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N questions (a quick check).")
@click.option("--rebuild", is_flag=True, help="Rebuild the cached index (to measure indexing throughput again).")
@click.option("--chunk-size", type=int, help="Chunk size for this benchmark's index (default: the app's).")
@click.option("--chunk-overlap", type=int, help="Chunk overlap for this benchmark's index.")
@click.option("--dense-weight", type=float, help="Dense weight of hybrid fusion (default: the app's).")
@click.option("--embed-backend", type=click.Choice(EMBED_BACKENDS),
              help="Embedding backend (default: the app's, RAG_EMBED_BACKEND).")
@click.option("--store", "store_value", default="folder", show_default=True,
              help="Where the index is kept: folder, milvus (Milvus Lite in the cached index folder, "
                   "its vectors copied from the folder index), milvus:///FILE.db or http://HOST:19530.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the figures as JSON.")
def main(data, modes, limit, rebuild, chunk_size, chunk_overlap, dense_weight, embed_backend, store_value, json_out):
    """Hit@1/5/10, MRR@10, indexing throughput and query latency per retrieval mode."""
    from rag import offline

    offline.enable()
    from rag.config import Config
    from rag.embed import load_embedder
    from rag.retrieve import Retriever

    from .squad import ensure_squad_index, load_squad

    wanted = [m.strip() for m in modes.split(",") if m.strip()]
    bad = [m for m in wanted if m not in MODES]
    if bad:
        raise click.BadParameter(f"unknown mode(s) {', '.join(bad)}", param_hint="--modes")
    config = Config.from_env().with_(chunk_size=chunk_size, chunk_overlap=chunk_overlap, dense_weight=dense_weight,
                                     embed_backend=embed_backend, store=store_value)
    squad = load_squad(data)
    for p in squad.problems:
        click.echo(f"warning: {p}, skipped", err=True)
    questions = squad.questions[:limit] if limit else squad.questions
    embedder = load_embedder(config)
    index = ensure_squad_index(data, squad.paragraphs, config, embedder, progress=True, rebuild=rebuild,
                               say=lambda m: click.echo(m, err=True))
    click.echo(f"{len(questions)} questions, {index.stats.n_docs} paragraphs -> {index.stats.n_chunks} chunks "
               f"(chunk size {config.chunk_size}, {config.embed_backend} embeddings); index {index.root}, "
               f"store {config.store}", err=True)
    retriever = Retriever.open(index.root, embedder, config)
    results = [evaluate_mode(retriever, questions, mode) for mode in wanted]
    click.echo(markdown(results, index.stats.chunks_per_s, not index.built))
    if json_out:
        json_out.write_text(json.dumps({
            "data": str(data), "n_questions": len(questions), "config": config.to_dict(),
            "index": {"n_docs": index.stats.n_docs, "n_chunks": index.stats.n_chunks,
                      "seconds": index.stats.seconds, "chunks_per_s": index.stats.chunks_per_s,
                      "cached": not index.built},
            "modes": [r.__dict__ for r in results]}, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
