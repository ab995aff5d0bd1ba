"""Probe: would the model pick short answers better than short.py's rules?

    python -m evals.span_probe DATASET --split test --results RUN/results.jsonl

For every answered, answerable question of an earlier run, the generator is asked once
more, with a short prompt of its own (the question and the answer sentence, no passages),
for the span of that sentence that answers the question. The span counts only when it
stands in the answer (the short answer must be a copy of the evidence); otherwise the
rule's short answer stands. Prints short-answer F1 and accuracy of both, scored as
``rag eval`` scores them (evals/metrics.py). Not used by the pipeline: measured in
evals/RESULTS.md ("twelfth session"), the rules did better, so a second model pass for
the span was not added.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import click

from .metrics import Question, score

SYSTEM = ("你从给定的回答里摘出直接回答问题的最短原文片段（名称、数字、日期或短语），"
          "一字不改地照抄回答里的文字，不加解释，不加标点。")
# Invented examples, none from any evaluation set.
EXAMPLES = [("青石镇的老桥建于哪一年？", "青石镇的老桥建于1873年，由当地商人集资修建。", "1873年"),
            ("红叶湖位于哪个省？", "红叶湖位于云南省西北部的高原上。", "云南省"),
            ("李明的职业是什么？", "李明是一名小说家，也为电视剧写剧本。", "小说家"),
            ("灰雁为什么每年秋天飞往南方？", "因为北方冬季食物匮乏，灰雁每年秋天飞往南方越冬。", "北方冬季食物匮乏")]
_STRIP = "。，,.;；：:\"“”「」 "


def messages(question: str, answer: str) -> list[dict]:
    msgs = [{"role": "system", "content": SYSTEM}]
    for q, a, span in EXAMPLES:
        msgs += [{"role": "user", "content": f"问题：{q}\n回答：{a}"}, {"role": "assistant", "content": span}]
    return msgs + [{"role": "user", "content": f"问题：{question}\n回答：{answer}"}]


def model_span(row: dict, span: str) -> str | None:
    """The model's span when it stands in the row's answer (folded), else the rule's."""
    from rag.zh import fold_each

    span = span.strip().strip(_STRIP)
    return span if span and fold_each(span) in fold_each(row["answer"]) else row.get("short_answer")


def compare(questions: dict[str, Question], rows: list[dict], ask: Callable[[str, str], str]) -> dict[str, tuple]:
    """{"rules"|"model": (n, accuracy, F1 in %)} over the answerable questions ``rows``
    answered; ``ask(question, answer sentence) -> span``."""
    from rag.markers import strip_markers

    totals = {"rules": [0, 0.0], "model": [0, 0.0]}
    n = 0
    for row in rows:
        q = questions.get(row["id"])
        if q is None or not q.answerable or row.get("answer") is None:
            continue
        n += 1
        spans = {"rules": row.get("short_answer")}
        if not row.get("refused"):
            asked = row.get("standalone_question") or row["question"]
            spans["model"] = model_span(row, ask(asked, strip_markers(row["answer"]).strip()))
        for name in totals:
            outcome = score(q, dict(row, short_answer=spans.get(name, spans["rules"])), squad=True)
            totals[name][0] += bool(outcome.correct)
            totals[name][1] += outcome.f1 or 0.0
    return {name: (n, c / n if n else 0.0, 100 * f / n if n else 0.0) for name, (c, f) in totals.items()}


@click.command()
@click.argument("dataset", type=click.Path(exists=True, path_type=Path))
@click.option("--results", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="results.jsonl of an earlier `rag eval` of DATASET")
@click.option("--split", default="all", show_default=True, help="The split that run used.")
def main(dataset: Path, results: Path, split: str) -> None:
    from rag.config import Config
    from rag.generate.registry import load_generator

    from .run import load_dataset, select

    questions = {q.id: q for q in select(load_dataset(dataset).questions, split, None)}
    rows = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines() if line.strip()]
    generator = load_generator(Config.from_env())

    def ask(question: str, answer: str) -> str:
        return "".join(generator.stream(messages(question, answer), max_new_tokens=40))

    for name, (n, accuracy, f1) in compare(questions, rows, ask).items():
        click.echo(f"{name:6s} answered {n}  accuracy {accuracy:.3f}  short-answer F1 {f1:.1f}")


if __name__ == "__main__":
    main()
