"""Inputs of the retrieval section: a real 10k-chunk corpus, real questions, and rag's
Retriever over an index held in memory."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

REPO = Path(__file__).resolve().parents[2]
CMRC = REPO.parent / "shared" / "data" / "cmrc2018" / "cmrc2018_dev.json"
SEEDS = REPO / "seeds"


def base_documents() -> list:
    """CMRC2018 dev paragraphs (one document each, as `rag eval` indexes them) + seeds/."""
    from evals.squad import documents, load_squad
    from rag.clean import clean
    from rag.errors import RagError
    from rag.load import load_document

    if not CMRC.exists():
        raise RagError(f"CMRC2018 dev set not found at {CMRC}", "the retrieval section builds its corpus from it")
    docs = documents(load_squad(CMRC).paragraphs, CMRC)
    return docs + [clean(load_document(p, p.name)) for p in sorted(SEEDS.glob("*.txt"))]


def _rotated(doc, r: int):
    """The document with its sentences rotated by r: new chunk boundaries and neighbours,
    same vocabulary -- a plausible "another document on the same topic" for BM25."""
    from rag.records import Document
    from rag.zh import sentence_spans

    spans = sentence_spans(doc.text)
    k = r % max(len(spans), 1)
    text = "".join(doc.text[a:b] for a, b in spans[k:] + spans[:k])
    return Document(doc_id=f"{doc.doc_id}~{r}", path=doc.path, text=text, title=doc.title)


def corpus_chunks(n: int, config) -> list:
    from rag.chunk import chunk_document

    docs, out, r = base_documents(), [], 0
    while len(out) < n:
        for d in docs:
            out.extend(chunk_document(d if r == 0 else _rotated(d, r), config.chunk_size, config.chunk_overlap))
            if len(out) >= n:
                break
        r += 1
    return out[:n]


def questions(n: int) -> list[str]:
    """Real questions, spread over the CMRC2018 dev set."""
    from evals.squad import load_squad

    qs = [q.question for q in load_squad(CMRC).questions]
    return [qs[i] for i in np.linspace(0, len(qs) - 1, n).astype(int)]


class Placeholders(Sequence):
    """Chunk records for synthetic rows: only the top-k hits are ever looked up."""

    def __init__(self, n: int):
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        from rag.records import Chunk

        return Chunk(doc_id=f"synthetic/{i}", chunk_id=0, text="", start=0, end=0)


def retriever(chunks, vectors: np.ndarray, faiss_index, bm25, embedder, config):
    """rag's Retriever over an index held in memory (no files)."""
    from rag.retrieve import Retriever
    from rag.manifest import Manifest
    from rag.store import StoredIndex

    return Retriever(StoredIndex(Path("(memory)"), Manifest.blank(), chunks, vectors, faiss_index, bm25), embedder, config)
