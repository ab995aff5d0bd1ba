"""Replay: re-check saved model answers without running the model.

Everything after generation -- citation verification, the relevance checks, completing an
answer from its quote, short answers, the answer's script -- is deterministic given what
the model wrote. `rag eval FILE --replay OLD/results.jsonl` runs the pipeline with the
real retriever and a generator that returns, for each question, the answer the model gave
in that earlier run (``model_answer``, else ``answer``; both ``attempts`` when it was
asked twice). A rule change is then measured on
a whole development set in seconds instead of an hour, and the figures differ from a real
run only where the rule changed what the model is shown.

Limits, reported in the summary as ``replay``: a question the earlier run refused before
generating (weak evidence) or answered cross-lingually (two model calls) has no single
recorded answer; such rows are copied from the earlier run unchanged. (A translated answer
is known by its standalone question, which is in the other language.)
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from rag.prompt import REFUSAL


class ReplayGenerator:
    """Returns the recorded answer of the current question, in one piece."""

    n_ctx = 1 << 20  # every passage fits: the earlier run's prompt is not rebuilt
    name = "replay"

    def __init__(self, rec: "Recorded"):
        self.rec = rec
        self._question: str | None = None
        self._calls = 0

    def stream(self, messages: list[dict], *, max_new_tokens: int = 256,
               stop: list[str] | None = None) -> Iterator[str]:
        texts = self.rec.answers.get(self.rec.current or "")
        if texts is None:
            raise KeyError(self.rec.current)
        if self._question != self.rec.current:
            self._question, self._calls = self.rec.current, 0
        # The n-th call of a question gets its n-th recorded attempt; an earlier run that
        # asked once is asked the same again (its second reading is not known).
        yield texts[min(self._calls, len(texts) - 1)]
        self._calls += 1

    def count_tokens(self, text: str) -> int:
        return len(text)


@dataclass
class Recorded:
    """What an earlier run's rows offer a replay."""

    answers: dict[str, list[str]] = field(default_factory=dict)  # question id -> what the model wrote, per call
    copied: dict[str, dict] = field(default_factory=dict)  # id -> row to copy unchanged
    # The question being replayed, by id: two follow-ups may ask the same words ("它的首都
    #是哪里？") after different conversations.
    current: str | None = None


def recorded(path: Path) -> Recorded:
    """Read an earlier results.jsonl (see the module docstring for what cannot be replayed)."""
    from rag.zh import question_language

    out = Recorded()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        reason = row.get("refusal_reason")
        # Answered through a translation (either direction): the question it was answered
        # under is in the other language.
        standalone = row.get("standalone_question")
        cross_lingual = bool(standalone) and question_language(standalone) != question_language(row["question"])
        if row.get("answer") is None or reason in ("weak_evidence", "small_talk") or cross_lingual:
            out.copied[row["id"]] = row
            continue
        lang = question_language(row["question"])
        raw = row.get("model_answer") or (REFUSAL[lang] if reason == "model" else row["answer"])
        out.answers[row["id"]] = row.get("attempts") or [raw]
    return out


def replay_factory(rec: Recorded, retriever_factory=None):
    """A pipeline factory for run_eval: the retriever (``rag.session.open_retriever`` unless
    given), the recorded answers."""
    from rag.answer import Pipeline

    if retriever_factory is None:
        from rag.session import open_retriever as retriever_factory

    def factory(index_dir, config):
        return Pipeline(retriever_factory(index_dir, config), ReplayGenerator(rec), config)

    return factory
