"""Probe: how close to the question is the sentence a restating answer adds to?

    python -m evals.restating_probe DATASET RUN/results.jsonl [--split dev]

For each Chinese answer of a recorded run (``rag eval … --out RUN``) that no retrieved
passage supports lexically (``cite.cite`` verifies none of it) and that mostly restates
its question: the e5 cosine of the question and the closest retrieved sentence that holds
every stretch the answer adds (``restated.restating_sentence``, as the pipeline judges it),
by class -- right (the model's answer holds a gold answer), wrong, unanswerable. Where
right answers part from unanswerable questions is where ``restated.RESTATED_SIMILARITY``
was put (evals/RESULTS.md, twenty-third session). The model's own answer is judged,
whatever verdict the run gave it, so a recording made before or after that check serves
alike.
"""
from __future__ import annotations

import json
from pathlib import Path

import click


def rows_of(run: Path) -> list[dict]:
    return [json.loads(line) for line in run.read_text(encoding="utf-8").splitlines() if line.strip()]


def closeness(questions: dict, rows: list[dict], embedder) -> dict[str, list[tuple[float, str]]]:
    """(cosine, "id: answer") of each restating answer no passage supports, by class."""
    from rag.restated import restating_sentence
    from rag.cite import cite
    from rag.retrieve import closest
    from rag.markers import strip_markers
    from rag.records import Chunk, Hit
    from rag.zh import fold, question_language

    by_class: dict[str, list[tuple[float, str]]] = {"right": [], "wrong": [], "unanswerable": []}
    for row in rows:
        q = questions.get(row["id"])
        asked = row.get("standalone_question") or row["question"]
        raw = (row.get("attempts") or [row.get("model_answer") or row["answer"]])[-1]
        if q is None or question_language(asked) != "zh" or not raw:
            continue
        hits = [Hit(Chunk(h["source"], 0, h["text"], h["start"], h["end"], title=h.get("title") or ""), h["score"], i + 1)
                for i, h in enumerate(row.get("retrieved") or [])]
        if not hits or any(c.verified for c in cite(raw, hits).citations):
            continue
        claim = strip_markers(raw).strip()
        found = restating_sentence(lambda q, sentences: closest(embedder, [q], sentences), asked, claim,
                                   [h.chunk.text for h in hits])
        if found is None:
            continue
        cls = "unanswerable" if not q.answerable else \
            "right" if any(fold(a) in fold(raw) for a in q.answers) else "wrong"
        by_class[cls].append((found[0], f"{row['id']}: {claim[:40]}"))
    return by_class


@click.command()
@click.argument("dataset", type=click.Path(exists=True, path_type=Path))
@click.argument("run", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--split", default="all", show_default=True)
def main(dataset: Path, run: Path, split: str) -> None:
    from rag.config import Config
    from rag.embed import load_embedder

    from .run import load_dataset, select

    data = load_dataset(dataset)
    questions = {q.id: q for q in select(data.questions, split, None)}
    for cls, points in closeness(questions, rows_of(run), load_embedder(Config.from_env())).items():
        click.echo(f"{cls}: {len(points)}")
        for sim, what in sorted(points, reverse=True):
            click.echo(f"  {sim:.3f}  {what}")


if __name__ == "__main__":
    main()
