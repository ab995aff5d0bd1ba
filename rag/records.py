"""Typed records that flow between the stages of the pipeline.

load -> Document -> clean -> Document (cleaned) -> chunk -> Chunk -> embed/index
retrieve -> Hit -> prompt -> generate -> cite -> Citation -> Answer

Offsets are always character offsets into ``Document.text`` (the cleaned text that is
indexed and stored in the index's document store), so ``chunk.text ==
doc.text[chunk.start:chunk.end]`` holds for every chunk.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

# Why an answer was refused:
# weak_evidence - retrieval scores under the index's calibrated threshold (nothing generated)
# model         - the model said the passages do not answer
# unsupported   - nothing the model wrote is backed by a passage
# off_question  - backed by a passage, but about something other than the question
RefusalReason = Literal["weak_evidence", "model", "unsupported", "off_question"]
REFUSAL_REASONS: tuple[str, ...] = get_args(RefusalReason)
# What a streamed answer emits: progress, a piece of the answer, the finished Answer.
EventKind = Literal["status", "token", "done"]


@dataclass
class Dropped:
    """A piece of text the cleaner removed, kept so nothing disappears silently."""

    rule: str  # name of the cleaning rule that fired
    text: str  # the removed text


@dataclass
class Document:
    doc_id: str  # stable id: the path relative to the ingested root (or a given id)
    path: str  # where it was read from
    text: str  # cleaned text; all chunk offsets point into this
    title: str = ""
    meta: dict[str, Any] = field(default_factory=dict)  # date, tags, encoding, ...
    # For PDFs: (page_number, start_offset) for each page, in order.
    pages: list[tuple[int, int]] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    content_hash: str = ""  # sha256 of the raw bytes, for incremental indexing

    def page_at(self, offset: int) -> int | None:
        page = None
        for number, start in self.pages:
            if start <= offset:
                page = number
            else:
                break
        return page


@dataclass
class Chunk:
    doc_id: str
    chunk_id: int  # position of the chunk inside its document (0, 1, ...)
    text: str
    start: int
    end: int
    title: str = ""
    headings: list[str] = field(default_factory=list)  # markdown heading path
    page: int | None = None

    @property
    def key(self) -> str:
        return f"{self.doc_id}#{self.chunk_id}"

    @property
    def context_title(self) -> str:
        """The title when it says something: not a bare file name like 000_6d9cd55ab9d6cbba."""
        stem = self.doc_id.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        return "" if self.title in (stem, self.doc_id) else self.title

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Chunk":
        return cls(**d)


@dataclass
class Hit:
    """A retrieved chunk with its rank and fused score."""

    chunk: Chunk
    score: float
    rank: int  # 1-based
    dense_score: float | None = None
    bm25_score: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "score": round(float(self.score), 6),
            "source": self.chunk.doc_id,
            "title": self.chunk.title,
            "start": self.chunk.start,
            "end": self.chunk.end,
            "page": self.chunk.page,
            "text": self.chunk.text,
        }


@dataclass
class Citation:
    n: int  # the number shown to the user, [n]
    chunk: Chunk
    quote: str  # the verified supporting span
    start: int  # offsets of ``quote`` in the document text
    end: int
    verified: bool = True
    support: float = 0.0  # overlap score of the best supporting span

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "source": self.chunk.doc_id,
            "title": self.chunk.title,
            "start": self.start,
            "end": self.end,
            "page": self.chunk.page,
            "quote": self.quote,
            "text": self.chunk.text,
            "verified": self.verified,
        }


@dataclass
class Timings:
    retrieve_ms: float = 0.0
    first_token_ms: float | None = None
    total_ms: float = 0.0
    tokens_per_s: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: (round(v, 1) if isinstance(v, float) else v) for k, v in asdict(self).items()}


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool
    citations: list[Citation]
    retrieved: list[Hit]
    timings: Timings
    standalone_question: str | None = None  # the rewritten follow-up, when rewritten
    unsupported: list[str] = field(default_factory=list)  # answer sentences with no support
    auto_cited: bool = False  # citations attached by verification, not by the model
    refusal_reason: RefusalReason | None = None
    model_answer: str | None = None  # what the model wrote, when it differs from ``answer``

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "refusal_reason": self.refusal_reason,
            "model_answer": self.model_answer,
            "standalone_question": self.standalone_question,
            "citations": [c.to_json() for c in self.citations],
            "unsupported": self.unsupported,
            "auto_cited": self.auto_cited,
            "retrieved": [h.to_json() for h in self.retrieved],
            "timings": self.timings.to_json(),
        }
