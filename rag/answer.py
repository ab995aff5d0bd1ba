"""The answering pipeline: retrieve -> prompt -> generate (streamed) -> cite -> refuse.

``Pipeline.stream`` yields events so the CLI and the web app show tokens as they arrive;
the last event carries the finished ``Answer`` (whose text may differ from the streamed
one: markers normalised, or replaced by a refusal when nothing in it is supported).
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Iterator

from .cite import REFUSAL_PATTERN, cite, drop_unstated_years
from .config import Config
from .generate import Generator
from .prompt import REFUSAL, build_messages, language, sanitize_question
from .records import Answer, Hit, Timings
from .relevance import lacks_quantity, missing_terms
from .retrieve import Retriever
from .rewrite import rewrite

@dataclass
class StreamEvent:
    kind: str  # "status" | "token" | "done"
    text: str = ""
    answer: Answer | None = None


def is_refusal(text: str) -> bool:
    """The model declined: the verifier's refusal wording, in its first sentence."""
    first = re.split(r"(?<=[。！？.!?])", text.strip(), maxsplit=1)[0]
    return bool(REFUSAL_PATTERN.search(first))


class Pipeline:
    def __init__(self, retriever: Retriever, generator: Generator, config: Config):
        self.retriever = retriever
        self.generator = generator
        self.config = config

    def ask(self, question: str, history: list[dict] | None = None, **kw) -> Answer:
        for event in self.stream(question, history, **kw):
            if event.kind == "done":
                return event.answer
        raise RuntimeError("pipeline ended without an answer")  # pragma: no cover

    def stream(self, question: str, history: list[dict] | None = None, k: int | None = None,
               mode: str | None = None, max_new_tokens: int | None = None) -> Iterator[StreamEvent]:
        t0 = time.perf_counter()
        question = sanitize_question(question)
        lang = language(question)
        standalone = rewrite(question, history, lang)
        retrieval = self.retriever.search(standalone, k or self.config.top_k, mode or self.config.mode)
        timings = Timings(retrieve_ms=retrieval.retrieve_ms)
        rewritten = standalone if standalone != question else None
        if self._weak(retrieval):
            yield from self._refuse(question, retrieval.hits, timings, t0, "weak_evidence", rewritten, lang)
            return
        budget = max_new_tokens or self.config.max_new_tokens
        messages, used = build_messages(standalone, retrieval.hits, lang, self.generator, budget,
                                        self.config.focus_chars, self.config.focus_rest_chars)
        yield StreamEvent("status", f"{len(used)} passages, generating")
        parts: list[str] = []
        first = None
        for piece in self.generator.stream(messages, max_new_tokens=budget):
            if first is None:
                first = time.perf_counter()
            parts.append(piece)
            yield StreamEvent("token", piece)
        raw = "".join(parts).strip()
        end = time.perf_counter()
        timings.first_token_ms = (first - t0) * 1000 if first else None
        n_tokens = self.generator.count_tokens(raw) if raw else 0
        if first and n_tokens > 1 and end > first:
            timings.tokens_per_s = (n_tokens - 1) / (end - first)
        if not raw or is_refusal(raw):
            yield from self._refuse(question, retrieval.hits, timings, t0, "model", rewritten, lang, raw)
            return
        cited = cite(drop_unstated_years(raw, [h.chunk.text for h in used]), used)
        if not any(c.verified for c in cited.citations):
            # Nothing the model said is backed by a passage: do not pass it on as an answer.
            yield from self._refuse(question, retrieval.hits, timings, t0, "unsupported", rewritten, lang, raw)
            return
        cited_texts = [c.chunk.text for c in cited.citations if c.verified]
        if missing_terms(standalone, cited_texts, lang) or lacks_quantity(standalone, cited.text, lang):
            # Backed by its passage, but about something else than the question asks.
            yield from self._refuse(question, retrieval.hits, timings, t0, "off_question", rewritten, lang, raw)
            return
        timings.total_ms = (time.perf_counter() - t0) * 1000
        yield StreamEvent("done", answer=Answer(
            question=question, answer=cited.text, refused=False, citations=cited.citations,
            retrieved=retrieval.hits, timings=timings, standalone_question=rewritten,
            unsupported=cited.unsupported, auto_cited=cited.auto_cited,
            model_answer=raw if raw != cited.text else None))

    def _weak(self, retrieval) -> bool:
        """Refuse before generating when retrieval evidence is below the threshold that
        was calibrated for this index (none recorded: let the model and the verifier judge)."""
        cal = self.retriever.index.calibration
        t = cal.get("min_top_dense")
        if t is None or not retrieval.hits:
            return not retrieval.hits
        return retrieval.top_dense < t and retrieval.top_bm25 < cal.get("min_top_bm25", float("inf"))

    def _refuse(self, question: str, hits: list[Hit], timings: Timings, t0: float, reason: str,
                rewritten: str | None, lang: str, raw: str | None = None) -> Iterator[StreamEvent]:
        timings.total_ms = (time.perf_counter() - t0) * 1000
        yield StreamEvent("done", answer=Answer(
            question=question, answer=REFUSAL[lang], refused=True, citations=[], retrieved=hits,
            timings=timings, standalone_question=rewritten, refusal_reason=reason,
            model_answer=raw if raw and raw != REFUSAL[lang] else None))
