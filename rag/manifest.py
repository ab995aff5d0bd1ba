"""The index manifest and the refusal calibration, as typed records.

``manifest.json`` is plain JSON on disk (one per index generation, see store.py); in the
program it is a ``Manifest``, so a missing or misspelt key fails once, here, with the
`rag index --rebuild` hint, instead of as a ``KeyError`` in whichever module reads it.

Versions: ``FORMAT_VERSION`` is the on-disk index layout (manifest + data files). A
calibration carries its own ``version``: one recorded before calibrations had a version
(version 0) holds the same fields and is read as is.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Callable, Literal

from .errors import IndexCorruptError, IndexMismatchError

# "index": measured on this knowledge base's own questions (`rag calibrate`); "transferred":
# measured on the general development sets for the same embedder (calibrate.TRANSFERRED).
CalibrationScope = Literal["index", "transferred"]

FORMAT_VERSION = 1
CALIBRATION_VERSION = 1
REBUILD = "run `rag index --rebuild` to build it again"

# Settings added to the manifest later, with the value older indexes were built with (so
# they stay usable without a rebuild).
LEGACY_SETTINGS = {"embed_backend": "torch", "embed_precision": "fp32"}


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


@dataclass(frozen=True)
class Calibration:
    """The weak-evidence refusal threshold measured for one index (calibrate.py): refuse
    before generating when the best dense *and* the best BM25 score are both below it.
    A transferred calibration (calibrate.TRANSFERRED: measured on the general development
    sets, used for an index without its own) has no BM25 threshold: BM25 scores grow with
    the corpus, cosines do not."""

    min_top_dense: float
    min_top_bm25: float | None  # None: the dense score alone decides
    # ...and, when set, the question's closest passage *sentence* (Retriever.best_sentence)
    # must score under this too: a short question ("現任館長是誰？") scores low against a
    # whole passage about many things, not against the sentence that answers it.
    min_top_sentence: float | None = None
    max_false_refusal: float = 0.02
    n_answerable: int = 0
    n_unanswerable: int = 0
    false_refusal_rate: float = 0.0
    refusal_rate_unanswerable: float | None = None
    calibrated_at: str = ""
    questions: str = ""  # which questions it was measured on
    # The documents changed after it was measured: still applied (a threshold on score
    # scales moves little when a few documents change), but reported as such.
    stale: bool = False
    scope: CalibrationScope = "index"
    version: int = CALIBRATION_VERSION

    @classmethod
    def from_json(cls, d: dict[str, Any] | None) -> "Calibration | None":
        if not d:
            return None
        known = {f.name for f in fields(cls)}
        try:
            return cls(**{k: v for k, v in d.items() if k in known and k != "version"},
                       version=int(d.get("version", 0)))
        except TypeError as e:  # a required threshold is missing
            raise IndexCorruptError(f"the calibration in manifest.json is incomplete ({e})",
                                    "run `rag calibrate` to measure it again") from None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def refuses(self, top_dense: float, top_bm25: float, top_sentence: Callable[[], float] | None = None) -> bool:
        """Whether retrieval evidence this weak is refused before generating.
        ``top_sentence`` is asked only when the passage scores are weak (it embeds
        sentences); without it the passage scores decide."""
        weak = top_dense < self.min_top_dense and (self.min_top_bm25 is None or top_bm25 < self.min_top_bm25)
        if not weak or self.min_top_sentence is None or top_sentence is None:
            return weak
        return top_sentence() < self.min_top_sentence

    def describe(self) -> str:
        """One line a user can read: what is in force and how good it was measured to be."""
        refused = f"{self.refusal_rate_unanswerable:.0%}" if self.refusal_rate_unanswerable is not None else "n/a"
        bm25 = f" and bm25 < {self.min_top_bm25}" if self.min_top_bm25 is not None else ""
        bm25 += f" and sentence < {self.min_top_sentence}" if self.min_top_sentence is not None else ""
        return (f"{self.scope}: dense < {self.min_top_dense}{bm25} "
                f"(false refusal {self.false_refusal_rate:.0%} on {self.n_answerable} answerable, "
                f"refusal {refused} on {self.n_unanswerable} unanswerable"
                f"{', ' + self.questions if self.questions else ''}{'; documents changed since' if self.stale else ''})")


@dataclass(frozen=True)
class DocEntry:
    """One indexed document as the manifest records it."""

    hash: str
    path: str
    title: str = ""
    n_chunks: int = 0
    dropped: int = 0  # boilerplate pieces the cleaner removed
    meta: dict[str, Any] = field(default_factory=dict)
    reader: int = 1  # prepare.READER it was read with

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "DocEntry":
        return cls(hash=d["hash"], path=d["path"], title=d.get("title", ""), n_chunks=int(d.get("n_chunks", 0)),
                   dropped=int(d.get("dropped", 0)), meta=d.get("meta") or {}, reader=int(d.get("reader", 1)))


@dataclass(frozen=True)
class EmbedderInfo:
    name: str
    checksum: str
    dim: int = 0


@dataclass(frozen=True)
class Manifest:
    config: dict[str, Any]  # Config.index_settings() the index was built with
    embedder: EmbedderInfo
    documents: dict[str, DocEntry]
    lexical: str = ""  # the recipe of the BM25 text (prepare.LEXICAL)
    sources: list[str] = field(default_factory=list)  # what `rag index` was pointed at
    calibration: Calibration | None = None
    # Written by store.write_generation:
    n_chunks: int = 0
    files: dict[str, int] = field(default_factory=dict)  # data file -> size, catches damage
    written_at: str = ""
    format_version: int = FORMAT_VERSION

    @classmethod
    def from_json(cls, d: Any, where: str) -> "Manifest":
        if not isinstance(d, dict) or "format_version" not in d:
            raise IndexCorruptError(f"manifest.json in {where} is not an index manifest", REBUILD)
        if d["format_version"] != FORMAT_VERSION:
            raise IndexMismatchError(f"index format version {d['format_version']} is not supported "
                                     f"(this version reads {FORMAT_VERSION})", REBUILD)
        for key in ("config", "embedder", "documents", "files", "n_chunks"):
            if key not in d:
                raise IndexCorruptError(f"manifest.json in {where} lacks {key!r}", REBUILD)
        try:
            emb = d["embedder"]
            return cls(config={**LEGACY_SETTINGS, **d["config"]},
                       embedder=EmbedderInfo(emb["name"], emb["checksum"], int(emb.get("dim", 0))),
                       documents={k: DocEntry.from_json(v) for k, v in d["documents"].items()},
                       lexical=d.get("lexical", ""), sources=list(d.get("sources") or []),
                       calibration=Calibration.from_json(d.get("calibration")),
                       n_chunks=int(d["n_chunks"]), files=dict(d["files"]), written_at=d.get("written_at", ""),
                       format_version=d["format_version"])
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise IndexCorruptError(f"manifest.json in {where} is damaged ({type(e).__name__}: {e})",
                                    REBUILD) from None

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["calibration"] = self.calibration.to_json() if self.calibration else {}
        return d

    @classmethod
    def blank(cls) -> "Manifest":
        """For an index assembled in memory (benchmarks, tests), never written."""
        return cls(config={}, embedder=EmbedderInfo("", ""), documents={})

    def with_(self, **changes: Any) -> "Manifest":
        return replace(self, **changes)
