"""Index stage for the Milvus store: the same incremental update as index.py, written in place.

The folder store writes a whole new generation and swaps it in; Milvus is updated a
document at a time instead (store_milvus.MilvusWriter.put), so a knowledge base of millions
of chunks is never copied, and a run killed half-way is resumed by the next one: documents
already written are unchanged, the one in flight is pending and written again.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np

from .chunk import embed_text
from .config import Config
from .embed import Embedder
from .errors import IndexMismatchError, RagError
from .manifest import REBUILD, EmbedderInfo, Manifest
from .prepare import LEXICAL, IndexReport, current, doc_entry, prepare
from .records import Chunk, Document
from .store_milvus import MilvusWriter, target

# Chunks embedded per round before they are written: large enough to keep the embedder's
# batches full, small enough that a kill loses little (a round is ~15 s on 2 cores).
ROUND = 256


def update_milvus(root: Path, old, docs: list[Document], sources: list[str], config: Config, embedder: Embedder,
                  report: IndexReport, rebuild: bool, progress: bool, say: Callable[[str], None]) -> None:
    writer = MilvusWriter(target(config.store, root, config.store_token))
    if old is not None and old.manifest.lexical != LEXICAL:
        raise IndexMismatchError(f"the Milvus index was built with BM25 recipe {old.manifest.lexical!r}, "
                                 f"not {LEXICAL!r}", REBUILD)
    old_docs = old.manifest.documents if old else {}
    pending = old.pending if old else set()
    # A first write into Milvus beside a folder index built with the same embedder (`rag
    # index --store milvus`): its chunks and vectors are copied, not embedded again.
    folder = _folder_rows(root, config, embedder) if old is None else {}
    todo: list[tuple[Document, list[Chunk]]] = []
    copied: list[tuple[Document, list[Chunk], np.ndarray]] = []
    for doc in docs:
        prev = old_docs.get(doc.doc_id)
        if current(prev, doc) and doc.doc_id not in pending:
            report.unchanged.append(doc.doc_id)
            continue
        stored = folder.get(doc.doc_id)
        if stored is not None and stored[0].content_hash == doc.content_hash:
            copied.append(stored)
            report.added.append(doc.doc_id)
            continue
        todo.append((doc, prepare(doc, config, report, prev is not None)))
    present = {d.doc_id for d in docs}
    report.removed = sorted(set(old_docs) - present)
    leftovers = sorted(pending - present)  # half-written by a killed run, and gone from the sources since
    if old is not None and not report.changed and not leftovers and not rebuild and old.manifest.sources == sources:
        writer.flush()  # rows a killed run left unsealed are searched slowly until sealed
        report.n_chunks = old.size
        return
    if rebuild:
        say("dropping the old collections")
        writer.drop()
    writer.create(embedder.dim, config.index_type)
    calibration = old.calibration if old else None
    # The header first: it names the embedder and settings every row below is written with.
    writer.write_header(Manifest(
        config=config.index_settings(), embedder=EmbedderInfo(embedder.name, embedder.checksum, embedder.dim),
        lexical=LEXICAL, sources=sources, documents={},
        calibration=replace(calibration, stale=calibration.stale or report.changed) if calibration else None))
    for doc_id in report.removed + leftovers:
        writer.remove(doc_id)
    if copied:
        say(f"copying {len(copied)} documents' chunks and vectors from the folder index")
    known = set(old_docs) | pending  # documents with rows to replace
    for i in range(0, len(copied), ROUND):
        writer.put([(d, doc_entry(d, len(c)), c, v) for d, c, v in copied[i:i + ROUND]], known)
    total = sum(len(chunks) for _, chunks in todo)
    if total:
        say(f"embedding and writing {total} chunks")
    bar = None
    if progress and total:
        from tqdm import tqdm

        bar = tqdm(total=total, desc="embed+write", unit="chunk", leave=False)
    batch: list[tuple[Document, list[Chunk]]] = []
    for i, item in enumerate(todo):
        batch.append(item)
        if sum(len(c) for _, c in batch) >= ROUND or i == len(todo) - 1:
            texts = [embed_text(c) for _, chunks in batch for c in chunks]
            vectors = embedder.embed_passages(texts)
            items, pos = [], 0
            for doc, chunks in batch:
                items.append((doc, doc_entry(doc, len(chunks)), chunks, vectors[pos:pos + len(chunks)]))
                pos += len(chunks)
            writer.put(items, known)
            report.n_embedded += len(texts)
            if bar is not None:
                bar.update(len(texts))
            batch = []
    if bar is not None:
        bar.close()
    writer.flush()
    report.n_chunks = writer.count()


def _folder_rows(root: Path, config: Config, embedder: Embedder) -> dict[str, tuple[Document, list[Chunk], np.ndarray]]:
    """doc_id -> (stored document, chunks, vectors) of a folder index at ``root`` built with
    this embedder and these settings; empty when there is none."""
    from . import store

    try:
        index = store.open_index(root)
        store.check_embedder(index.manifest, embedder.name, embedder.checksum, config.index_settings())
    except RagError:
        return {}
    rows = index.rows_by_doc()
    out = {}
    for doc_id, doc in index.docs.items():
        doc.content_hash = index.manifest.documents[doc_id].hash if doc_id in index.manifest.documents else ""
        take = rows.get(doc_id, [])
        out[doc_id] = (doc, [index.chunks[i] for i in take], index.vectors[take])
    return out
