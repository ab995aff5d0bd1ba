"""Probe: does the generator's own confidence tell a right answer from a wrong one?

    python -m evals.confidence_probe DATASET --split dev [--limit N] [--index DIR] [--out DIR]

Answers the questions with the real pipeline (the bundled GGUF model, greedy), recording
the log-probability of every token the model chose, then asks of the answers the checks
accepted: how well does each confidence figure of the first answer (mean, minimum, sum of
the token log-probabilities, citation markers left out) rank the right ones above the
wrong ones and the answers to unanswerable questions? Prints the area under that ranking
curve (0.5 = no signal, 1.0 = a threshold separates them) and each class's median.

Not used by the pipeline: measured in evals/RESULTS.md ("fourteenth session") the
figures rank right over wrong little better than chance; the 1.5B model is confidently
wrong as often as it is confidently right.
"""
from __future__ import annotations

import json
import re
import statistics
from pathlib import Path

import click

from .metrics import Outcome

# Tokens that carry no answer: citation markers, punctuation, the end-of-turn token.
_MARKUP = re.compile(r"^[\[\]\d\s，。、,.；;]*$")
FIGURES = ("mean", "min", "sum")


def confidence(tokens: list[tuple[str, float]]) -> dict[str, float] | None:
    """Confidence figures of one answer from its (token text, log-probability) pairs."""
    lps = [lp for text, lp in tokens if text and not _MARKUP.match(text) and "<|" not in text]
    if not lps:
        return None
    return {"mean": sum(lps) / len(lps), "min": min(lps), "sum": sum(lps)}


def auc(right: list[float], wrong: list[float]) -> float | None:
    """The chance that a right answer's figure is above a wrong one's (ties count half)."""
    if not right or not wrong:
        return None
    return sum((a > b) + 0.5 * (a == b) for a in right for b in wrong) / (len(right) * len(wrong))


def classify(outcome: Outcome) -> str | None:
    """right / wrong / unanswerable for an accepted answer; None for a refusal."""
    if outcome.refused or not outcome.generated:
        return None
    if not outcome.answerable:
        return "unanswerable"
    return "right" if outcome.correct else "wrong"


def report(points: list[tuple[str, dict[str, float]]]) -> list[str]:
    """Lines to print: AUC of each figure (right vs the rest), medians per class."""
    lines = []
    by = {c: [f for cls, f in points if cls == c] for c in ("right", "wrong", "unanswerable")}
    rest = by["wrong"] + by["unanswerable"]
    lines.append("accepted answers: " + ", ".join(f"{c} {len(v)}" for c, v in by.items()))
    for name in FIGURES:
        a = auc([f[name] for f in by["right"]], [f[name] for f in rest])
        medians = ", ".join(f"{c} {statistics.median(f[name] for f in v):.2f}" for c, v in by.items() if v)
        lines.append(f"{name:5s} AUC right vs the rest {'-' if a is None else f'{a:.3f}'}   medians: {medians}")
    return lines


class Recording:
    """The pipeline's llama.cpp generator, decoding exactly as it does (greedy), with the
    log-probability of each token it chose kept per call."""

    def __init__(self, generator):
        import numpy as np

        self.inner = generator
        self.name, self.n_ctx = generator.name, generator.n_ctx
        self.calls: list[list[tuple[str, float]]] = []
        llm = generator.llm

        def record(input_ids, scores):
            best = int(np.argmax(scores))  # greedy: the token chosen
            # its log-softmax: -log(sum(exp(scores - best score)))
            logprob = -float(np.log(np.exp(scores - scores[best]).sum()))
            self.calls[-1].append((llm.detokenize([best]).decode("utf-8", "replace"), logprob))
            return scores

        generator.logits_processors = [record]

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def prepare(self, messages: list[dict]) -> None:
        self.inner.prepare(messages)

    def stream(self, messages: list[dict], *, max_new_tokens: int = 256, stop: list[str] | None = None):
        self.calls.append([])
        return self.inner.stream(messages, max_new_tokens=max_new_tokens, stop=stop)


@click.command()
@click.argument("dataset", type=click.Path(exists=True, path_type=Path))
@click.option("--split", default="all", show_default=True)
@click.option("--limit", type=int, default=None, help="Only the first N questions of the split.")
@click.option("--index", "index_dir", default=None, help="Index of a JSONL set (a development set brings its own).")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Write each row with its token log-probabilities here.")
def main(dataset: Path, split: str, limit: int | None, index_dir: str | None, out: Path | None) -> None:
    from rag.config import Config
    from rag.session import open_pipeline
    from rag.zh import question_language

    from .run import _open_squad_index, load_dataset, score_all, select

    config = Config.from_env()
    data = load_dataset(dataset)
    if data.kind in ("squad", "devset"):
        index_dir, _ = _open_squad_index(data, config, progress=True, say=click.echo)
    pipeline = open_pipeline(index_dir, config)
    if not type(pipeline.generator).__name__.startswith("LlamaCpp"):
        raise click.ClickException("the probe reads token probabilities from a llama.cpp (GGUF) generator")
    if pipeline.generator.temperature > 0:
        raise click.ClickException("the probe reads the greedy path: unset RAG_TEMPERATURE")
    recording = pipeline.generator = Recording(pipeline.generator)
    points, rows = [], []
    for q in select(data.questions, split, limit):
        recording.calls.clear()
        row = {"id": q.id, **pipeline.ask(q.question, q.history or None).to_json(), "logprobs": list(recording.calls)}
        rows.append(row)
        cls = classify(score_all(data, [q], {q.id: row})[0])
        asked = row.get("standalone_question") or q.question
        if question_language(asked) != question_language(q.question):
            continue  # answered through a translation: the first call translated the question
        figures = confidence(recording.calls[0]) if cls and recording.calls else None
        if figures:
            points.append((cls, figures))
    if out:
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    for line in report(points):
        click.echo(line)


if __name__ == "__main__":
    main()
