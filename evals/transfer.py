"""Fit the transferred weak-evidence threshold (rag/calibrate.py TRANSFERRED) on the general
development sets, and report how it does on their held-out test splits.

    python -m evals.transfer DEVSET [DEVSET ...] [--max-false-refusal 0.01] [--held-out SET ...]

Each DEVSET is a folder built by ``python -m evals.devsets build`` (its docs/ are indexed
into the eval cache, as `rag eval` does). The threshold is the ``max_false_refusal``
quantile of the best dense score of the *dev* answerable questions, pooled over the sets of
one language; likewise the threshold on the best *sentence* (Retriever.best_sentence), which a
question must also miss to be refused. The test split is only scored. Retrieval only: a few
minutes on 2 cores.
"""
from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import click
import numpy as np


def _scores(folder: Path, config) -> tuple[str, str, list[tuple[str, bool, float]]]:
    """(embedder checksum, corpus language, [(split, answerable, top dense)]) for one set."""
    from rag.session import open_retriever
    from rag.zh import question_language

    from .run import _open_squad_index, load_dataset

    dataset = load_dataset(folder)
    index_dir, _ = _open_squad_index(dataset, config, False, lambda m: print(m, file=sys.stderr))
    retriever = open_retriever(index_dir, config)
    rows = []
    for q in dataset.questions:
        if q.history or question_language(q.question) != retriever.language:
            continue
        r = retriever.search(q.question, config.top_k, "hybrid")
        rows.append((q.split, q.answerable, float(r.top_dense), retriever.best_sentence(q.question, r.hits)))
    return retriever.embedder.checksum, retriever.language, rows


def _rates(rows, dense: float, sentence: float | None, split: str) -> tuple[float, float, int, int]:
    """(false refusal, refusal of unanswerable, answerable, unanswerable) on ``split``:
    refused when the passage score is under ``dense`` and (when given) the best sentence's
    under ``sentence``."""
    def refused(d, s):
        return d < dense and (sentence is None or s < sentence)
    ans = [refused(d, s) for sp, ok, d, s in rows if sp == split and ok]
    unans = [refused(d, s) for sp, ok, d, s in rows if sp == split and not ok]
    return (float(np.mean(ans)) if ans else float("nan"), float(np.mean(unans)) if unans else float("nan"),
            len(ans), len(unans))


@click.command()
@click.argument("devsets", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--max-false-refusal", default=0.01, show_default=True, type=float)
@click.option("--held-out", "held_out", multiple=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A set only scored with the thresholds (both splits), never fitted on; repeatable.")
def main(devsets, max_false_refusal, held_out):
    from rag.session import load_config

    config = load_config()
    pooled: dict[tuple[str, str], list] = defaultdict(list)
    per_set = []
    for folder in devsets + held_out:
        checksum, lang, rows = _scores(folder, config)
        if folder in devsets:
            pooled[(checksum, lang)].extend(rows)
        per_set.append((folder, checksum, lang, rows))
    for (checksum, lang), rows in pooled.items():
        dev = np.array([(d, sn) for sp, ok, d, sn in rows if sp == "dev" and ok])
        dense, sentence = (round(float(np.quantile(dev[:, i], max_false_refusal)), 4) for i in (0, 1))
        click.echo(f"embedder {checksum}, {lang}: dense < {dense}, sentence < {sentence} "
                   f"(the {max_false_refusal:.0%} quantiles of {len(dev)} dev answerable questions)")
        for folder, c, l, set_rows in per_set:
            if (c, l) != (checksum, lang):
                continue
            for split in ("dev", "test"):
                for name, s in (("dense alone", None), ("and sentence", sentence)):
                    fr, rr, na, nu = _rates(set_rows, dense, s, split)
                    click.echo(f"  {folder.name} {split} ({name}): false refusal {fr:.3f} ({na} answerable), "
                               f"refusal {rr:.3f} ({nu} unanswerable)")


if __name__ == "__main__":
    main()
