"""The reader's ceiling: every answerable question answered from its gold passage alone.

    rag eval SET --gold-passage [--split S] [--out DIR]

Retrieval is taken out: the model is shown one passage, the chunk of the knowledge base
that holds the question's evidence sentence (JSONL sets and development sets) or, for a
SQuAD-format file, the chunk of its own paragraph that holds a gold answer. Everything after
retrieval -- prompt, generator, citation and relevance checks, short answer -- is the
pipeline's own. Beside a normal run of the same set, the figures split what is lost between
retrieval with its distractor passages and the reader (the 1.5B model and the checks); the
CMRC2018 paper's readers are likewise *given* the gold paragraph.

Unanswerable questions have no gold passage and are left out of such a run.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .metrics import Question, contains_any

if TYPE_CHECKING:
    from rag.records import Chunk
    from rag.retrieve import Retrieval, Retriever


def gold_chunk(q: Question, chunks: list["Chunk"]) -> "Chunk | None":
    """The chunk to answer ``q`` from: of its gold sources' chunks (all chunks when it names
    none) the first holding an evidence sentence, else the first holding a gold answer.
    Chunks overlap, so the first one holding the evidence holds it whole."""
    own = [c for c in chunks if c.doc_id in q.gold_sources] if q.gold_sources else chunks
    for needles in (q.evidence, q.answers):
        if needles:
            found = next((c for c in own if contains_any(c.text, needles)), None)
            if found is not None:
                return found
    return None


class GoldPassages:
    """A retriever whose search returns the current question's gold chunk alone (rank 1);
    everything else -- the index, its language, the calibration scores of the real search --
    is the wrapped retriever's."""

    def __init__(self, inner: "Retriever", questions: list[Question]):
        self.inner = inner
        chunks = [inner.index.chunk(i) for i in range(inner.index.size)]
        self.gold = {q.id: gold_chunk(q, chunks) for q in questions}
        self.current: str | None = None

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def search(self, query: str, k: int | None = None, mode: str | None = None,
               fusion: str | None = None) -> "Retrieval":
        from rag.records import Hit
        from rag.retrieve import Retrieval

        found = self.inner.search(query, k, mode, fusion)
        chunk = self.gold.get(self.current or "")
        if chunk is None:
            return found
        return Retrieval([Hit(chunk, 1.0, 1)], found.retrieve_ms, found.top_dense, found.top_bm25)
