"""Index stage: documents -> chunks -> vectors -> a new index generation, incrementally.

Only documents whose content hash changed are chunked and embedded again; unchanged
documents keep their stored chunks and vectors; documents gone from the sources are removed.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np

from . import store
from .chunk import embed_text, lexical_text
from .config import Config
from .embed import Embedder
from .errors import IndexMissingError, RagError
from .journal import Journal, text_key
from .lexical import BM25Index
from .load import SUFFIXES, Skipped, discover, iter_documents
from .manifest import DocEntry, EmbedderInfo, Manifest
from .prepare import LEXICAL, IndexReport, current, doc_entry, prepare
from .records import Chunk, Document


def _previous(root: Path, config: Config, embedder: Embedder, rebuild: bool) -> store.Store | None:
    if rebuild:
        return None
    try:
        old = store.open_store(root, config)
    except IndexMissingError:
        return None
    store.check_embedder(old.manifest, embedder.name, embedder.checksum, config.index_settings())
    return old


def update_index(root: Path, sources: list[Path] | None, config: Config, embedder: Embedder,
                 rebuild: bool = False, progress: bool = False,
                 on_event: Callable[[str], None] | None = None) -> IndexReport:
    """Bring the index at ``root`` in line with ``sources`` (files/folders).

    ``sources=None`` re-indexes the sources recorded by the previous run.
    """
    t0 = time.perf_counter()
    root = Path(root)
    report = IndexReport(folder=str(root))
    config = config.with_(store=store.chosen(root, config))
    with store.WriteLock(root):
        old = _previous(root, config, embedder, rebuild)
        if sources is None:
            recorded = _recorded_sources(root, config, old)
            if not recorded:
                raise RagError("no documents given and none recorded in the index",
                               "run `rag index PATH ...`")
            sources = [Path(s) for s in recorded]
        found = discover([Path(s) for s in sources])
        report.skipped.extend(found.skipped)
        docs: list[Document] = []
        by_hash: dict[str, str] = {}
        loaded = iter_documents(found, config.max_file_mb << 20)
        if progress and len(found.files) >= 50:  # a large folder: say how far reading has got
            from tqdm import tqdm

            loaded = tqdm(loaded, total=len(found.files), desc="read", unit="file", leave=False)
        for doc_id, path, doc in loaded:
            if isinstance(doc, RagError):
                report.skipped.append(Skipped(str(path), str(doc)))
                continue
            if doc.content_hash in by_hash:
                report.skipped.append(Skipped(str(path), f"duplicate of {by_hash[doc.content_hash]}"))
                continue
            by_hash[doc.content_hash] = doc_id
            docs.append(doc)
            # what a parser left out (rows over the limit, empty sheets) is said like a skip
            report.notes.extend(Skipped(str(path), note) for note in doc.meta.get("notes", ()))
        docs.extend(_keep_unreadable(old, report.skipped, {d.doc_id for d in docs}))
        if not docs and not old:
            raise RagError(f"no readable documents in {', '.join(map(str, sources))}",
                           "supported: " + " ".join(SUFFIXES))
        sources_json = [str(Path(s).resolve()) for s in sources]
        _update(root, old, docs, sources_json, config, embedder, report, rebuild, progress, on_event)
        store.remember(root, config.store)
    report.seconds = time.perf_counter() - t0
    return report


def _recorded_sources(root: Path, config: Config, old: store.Store | None) -> list[str]:
    """What the last run indexed: from the index being updated, or (a rebuild, or a first
    write to another store: `rag index --store milvus`) from the store it was in before."""
    if old is not None:
        return old.manifest.sources
    for value in dict.fromkeys((config.store, store.chosen(root, config.with_(store="")), "folder")):
        try:
            return store.built_manifest(root, config.with_(store=value)).sources
        except RagError:
            continue
    return []


_READ_FAILURES = ("permission denied", "cannot read")  # Skipped reasons of files that exist
_KEPT = "; the indexed version is kept"


def _keep_unreadable(old: store.Store | None, skipped: list[Skipped], have: set[str]) -> list[Document]:
    """Indexed documents whose file (or folder) could not be read this time stay as they
    were indexed: a passing permission or I/O problem must not delete what the user had.
    Their skip message says so. (A deleted file is not skipped: it is removed.)"""
    if old is None:
        return []
    failed = [(i, Path(s.path).resolve()) for i, s in enumerate(skipped) if s.reason.startswith(_READ_FAILURES)]
    if not failed:
        return []
    kept: list[Document] = []
    for doc_id, entry in old.manifest.documents.items():
        doc = old.docs.get(doc_id)
        if doc_id in have or doc is None:
            continue
        path = Path(entry.path).resolve()
        for i, where in failed:
            if path == where or where in path.parents:
                doc.content_hash = entry.hash  # unchanged as far as we know: rows reused
                kept.append(doc)
                if not skipped[i].reason.endswith(_KEPT):
                    skipped[i] = Skipped(skipped[i].path, skipped[i].reason + _KEPT)
                break
    return kept


def index_documents(root: Path, docs: list[Document], config: Config, embedder: Embedder,
                    rebuild: bool = False, progress: bool = False,
                    on_event: Callable[[str], None] | None = None) -> IndexReport:
    """Index documents that are already loaded (e.g. the paragraphs of a dataset), through
    the same incremental path as files. Each needs a unique ``doc_id`` and ``content_hash``."""
    t0 = time.perf_counter()
    report = IndexReport(folder=str(root))
    config = config.with_(store=store.chosen(Path(root), config))
    with store.WriteLock(Path(root)):
        old = _previous(Path(root), config, embedder, rebuild)
        _update(Path(root), old, docs, [], config, embedder, report, rebuild, progress, on_event)
        store.remember(Path(root), config.store)
    report.seconds = time.perf_counter() - t0
    return report


def _update(root: Path, old: store.Store | None, docs: list[Document], sources: list[str],
            config: Config, embedder: Embedder, report: IndexReport, rebuild: bool, progress: bool,
            on_event: Callable[[str], None] | None) -> None:
    say = on_event or (lambda msg: None)
    if config.store != "folder":
        from .index_milvus import update_milvus

        return update_milvus(root, old, docs, sources, config, embedder, report, rebuild, progress, say)
    old_docs = old.manifest.documents if old else {}
    journal = Journal(root, config.index_settings(), embedder.checksum)
    chunks, vectors = _assemble(docs, old, old_docs, config, embedder, report, progress, say, journal)
    report.removed = sorted(set(old_docs) - {d.doc_id for d in docs})
    report.n_chunks = len(chunks)
    same_recipe = old is not None and old.manifest.lexical == LEXICAL
    if same_recipe and not report.changed and not rebuild:
        journal.clear()  # a killed run's vectors for documents that are gone again
        return  # nothing to write: keep the live generation as it is
    say(f"writing index ({len(chunks)} chunks)")
    per_doc = Counter(c.doc_id for c in chunks)
    calibration = old.calibration if old else None
    manifest = Manifest(
        config=config.index_settings(),
        embedder=EmbedderInfo(embedder.name, embedder.checksum, embedder.dim),
        lexical=LEXICAL,
        sources=sources,
        documents={d.doc_id: doc_entry(d, per_doc[d.doc_id]) for d in docs},
        # A calibration belongs to an embedder + corpus; keep it across updates of the
        # same index but say it was made on an earlier version of the corpus.
        calibration=replace(calibration, stale=calibration.stale or report.changed) if calibration else None,
    )
    bm25 = BM25Index.build([lexical_text(c) for c in chunks])
    faiss_index = store.build_faiss(vectors, config.index_type)
    store.write_generation(root, manifest, docs, chunks, vectors, bm25, faiss_index)
    journal.clear()  # everything it held is in the generation now


# Chunks embedded per round before the round's vectors are saved to the journal (a kill loses
# at most one round: ~30 s on 2 cores with the bundled embedder).
ROUND = 512


def _embed(chunks: list[Chunk], embedder: Embedder, journal: Journal, progress: bool,
           say: Callable[[str], None]) -> np.ndarray:
    """Vectors for ``chunks``: those a killed run saved, the rest embedded a round at a time."""
    texts = [embed_text(c) for c in chunks]
    keys = [text_key(t) for t in texts]
    saved = journal.load() if chunks else {}
    todo = [i for i, k in enumerate(keys) if k not in saved]
    if chunks:
        resumed = f" ({len(chunks) - len(todo)} saved by an unfinished run)" if len(todo) < len(chunks) else ""
        say(f"embedding {len(todo)} chunks{resumed}")
    bar = None
    if progress and len(todo) > ROUND:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc="embed", unit="chunk", leave=False)
    for a in range(0, len(todo), ROUND):
        part = todo[a:a + ROUND]
        vecs = embedder.embed_passages([texts[i] for i in part], progress=progress and bar is None)
        journal.save([keys[i] for i in part], vecs)
        saved.update(zip((keys[i] for i in part), vecs))
        if bar is not None:
            bar.update(len(part))
    if bar is not None:
        bar.close()
    if not chunks:
        return np.zeros((0, embedder.dim), np.float32)
    return np.ascontiguousarray(np.stack([saved[k] for k in keys]), dtype=np.float32)


def _assemble(docs: list[Document], old: store.StoredIndex | None, old_docs: dict[str, DocEntry], config: Config,
              embedder: Embedder, report: IndexReport, progress: bool,
              say: Callable[[str], None], journal: Journal) -> tuple[list[Chunk], np.ndarray]:
    """Chunks and vectors for the new generation: reused rows for unchanged documents,
    freshly embedded rows for new and changed ones."""
    old_rows = old.rows_by_doc() if old is not None else {}
    parts: list[tuple[list[Chunk], np.ndarray | list[np.ndarray | None]]] = []  # a block of reused rows, or per passage
    to_embed: list[Chunk] = []
    for doc in docs:
        prev = old_docs.get(doc.doc_id)
        if current(prev, doc) and doc.doc_id in old_rows:
            rows = old_rows[doc.doc_id]
            parts.append(([old.chunks[i] for i in rows], old.vectors[rows]))
            report.unchanged.append(doc.doc_id)
            stored = old.docs.get(doc.doc_id)
            if stored is not None:  # keep the cleaned text the stored offsets point into
                doc.text, doc.dropped, doc.pages = stored.text, stored.dropped, stored.pages
                doc.regions = stored.regions
            continue
        new = prepare(doc, config, report, prev is not None)
        # Read again by a newer reader, the same bytes mostly make the same passages: those
        # keep their vectors (an upgrade does not embed a whole corpus again).
        same = {embed_text(old.chunks[i]): old.vectors[i] for i in old_rows.get(doc.doc_id, [])} \
            if prev and prev.hash == doc.content_hash else {}
        kept = [same.get(embed_text(c)) for c in new]
        parts.append((new, kept))
        to_embed.extend(c for c, v in zip(new, kept) if v is None)
    fresh = _embed(to_embed, embedder, journal, progress, say)
    report.n_embedded = len(to_embed)
    chunks: list[Chunk] = []
    blocks: list[np.ndarray] = []
    pos = 0
    for new_chunks, vecs in parts:
        if not isinstance(vecs, np.ndarray):  # per passage: kept, or embedded now
            rows = []
            for v in vecs:
                rows.append(fresh[pos] if v is None else v)
                pos += v is None
            vecs = np.stack(rows) if rows else np.zeros((0, embedder.dim), np.float32)
        chunks.extend(new_chunks)
        blocks.append(vecs)
    vectors = np.concatenate(blocks) if blocks else np.zeros((0, embedder.dim), np.float32)
    return chunks, np.ascontiguousarray(vectors, dtype=np.float32)
