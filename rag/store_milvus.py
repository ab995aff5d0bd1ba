"""The Milvus store: a knowledge base kept in Milvus instead of an index folder.

``RAG_STORE=milvus`` keeps it in an embedded Milvus Lite file beside the index folder
(``<index>/milvus.db``, one process at a time: Milvus Lite locks the file);
``RAG_STORE=milvus:///path/kb.db`` names the file; ``RAG_STORE=http://host:19530`` (with
``RAG_STORE_TOKEN``) uses a Milvus server or cluster, which any number of ``rag serve``
replicas can share: chunks, vectors, document text and the manifest all live in Milvus.

Three collections per knowledge base, named after its folder (``rag_<name>_*``):

    chunks  id, doc_key, chunk (the Chunk as JSON), vec (dense), lex -> sparse (BM25 function)
    docs    the cleaned document text and metadata as JSON, in pieces (VARCHAR holds 64 KB)
    meta    the manifest without its documents (id 0), one entry per document (id doc_key)

Keys are 63-bit hashes of the document id (and chunk number / piece), so writing a
document twice overwrites it instead of adding a copy, and no filter ever quotes a string.

Lexical search runs in Milvus (its BM25 function and sparse index), on *our* tokens
(lexical.tokenize: NFKC, 繁→简 folding, jieba search mode, stop words): each token is
written as a fixed hex word, which Milvus's standard analyzer keeps whole. Milvus's own
jieba analyzer would segment differently and does not fold scripts, so a traditional-script
question would stop finding simplified passages, and the two stores would rank apart.

Dense and BM25 candidates come back in two searches and are fused by retrieve.py exactly
as for the folder store: Milvus's rankers return only fused scores, and the weak-evidence
refusal needs the raw best cosine and BM25 score (manifest.Calibration).

Crash safety: a document's entry is marked ``pending`` before its chunks are replaced and
``done`` after its text is written; a run killed in between leaves it pending, and the next
run deletes its chunks and writes it again (no duplicates, the count checked by tests).
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from .errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from .chunk import lexical_text
from .lexical import tokenize
# re-exported: the store is what the rest of rag/ and the tests name
from .milvus_conn import (LOADED, Target, call, client, close_all, exists, forget, header, ready,  # noqa: F401
                          is_milvus, key, scan, target)
from .manifest import FORMAT_VERSION, REBUILD, DocEntry, Manifest, now
from .records import Chunk, Document

SCHEMA = 1  # the collections' layout; another one is refused with the rebuild hint
PIECE = 16_000  # characters per VARCHAR piece: 4 bytes a character at most, under 65,535 bytes
CONTEXT_CAP = 4_000  # a chunk's table-header context is cut to this so its JSON fits one VARCHAR
BATCH = 512  # rows per insert request
DONE, PENDING = "done", "pending"
# How stale a replica's document list may be on a shared server (searches are always live).
REFRESH_S = 10.0
# bm25s's defaults (lexical.BM25Index), so both stores score alike
BM25 = {"bm25_k1": 1.5, "bm25_b": 0.75}


def lex_words(text: str, fold_script: bool = True) -> str:
    """Our tokens as hex words (see the module docstring)."""
    return " ".join("t" + hashlib.blake2b(t.encode("utf-8"), digest_size=8).hexdigest()
                    for t in tokenize(text, fold_script))


# ---------------------------------------------------------------- reading
def _entries(where: Target, c) -> dict[str, dict]:
    """doc_id -> entry JSON (DocEntry fields + state), every document of the knowledge base."""
    out: dict[str, dict] = {}
    for row in scan(where, c, where.meta, "kind == 'doc'", ["body"]):
        e = json.loads(row["body"])
        out[e["doc_id"]] = e
    return out


def read_manifest(where: Target) -> tuple[Manifest, set[str]]:
    """The manifest (documents included) and the ids of documents left pending by a crash."""
    c = client(where)
    head = header(where, c) if ready(where, c) else None
    if head is None:
        raise IndexMissingError(f"no index in Milvus at {where.uri} ({where.prefix}*)",
                                "build one with `rag index [PATH ...]`")
    if head.get("schema") != SCHEMA:
        raise IndexMismatchError(f"Milvus collections {where.prefix}* have layout {head.get('schema')}, "
                                 f"this version reads {SCHEMA}", REBUILD)
    entries = _entries(where, c)
    docs = {d: DocEntry.from_json(e) for d, e in entries.items() if e.get("state") == DONE}
    pending = {d for d, e in entries.items() if e.get("state") != DONE}
    manifest = Manifest.from_json({**head["manifest"], "documents": {}, "files": {},
                                   "n_chunks": sum(e.n_chunks for e in docs.values())}, where.uri)
    return manifest.with_(documents=docs), pending


class Documents(Mapping):
    """doc_id -> Document, read from Milvus when first asked for (citations need the
    text of a few documents per answer, not all of them in memory)."""

    def __init__(self, where: Target, c, ids: Sequence[str]):
        self.where, self.c, self.ids = where, c, set(ids)
        self.cache: dict[str, Document] = {}

    def __getitem__(self, doc_id: str) -> Document:

        cached = self.cache.get(doc_id)
        if cached is not None and self.where.lite:
            return cached  # one process writes a Lite file, and it reopens its store after writing
        # A server may have been written by another replica since: its entry says which version is live.
        entry = call(self.where, self.c.get, self.where.meta, ids=[key(doc_id)], output_fields=["body"])
        head = json.loads(entry[0]["body"]) if entry else {}
        if head.get("state") != DONE:
            raise KeyError(doc_id)
        if cached is not None and cached.content_hash == head.get("hash"):
            return cached
        n = head.get("pieces", 0)
        rows = call(self.where, self.c.get, self.where.docs, ids=[key(doc_id, str(i)) for i in range(n)],
                    output_fields=["part", "body"])
        if len(rows) != n or n == 0:
            raise IndexCorruptError(f"document {doc_id} is incomplete in Milvus at {self.where.uri}", REBUILD)
        body = "".join(r["body"] for r in sorted(rows, key=lambda r: r["part"]))
        if len(self.cache) > 256:
            self.cache.clear()
        self.cache[doc_id] = doc = Document.from_json(json.loads(body))
        self.ids.add(doc_id)
        return doc

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.ids))

    def __len__(self) -> int:
        return len(self.ids)


class MilvusIndex:
    """The read side (store.Store) over one knowledge base's collections."""

    def __init__(self, where: Target, manifest: Manifest, pending: set[str] | None = None):
        self.where = where
        self.pending = pending or set()  # documents a killed run left half written
        self.folder = Path(where.uri)
        self._manifest = manifest
        self._read_at = time.monotonic()
        self.c = client(where)
        self.docs = Documents(where, self.c, list(manifest.documents))
        self.fold_script = True
        self._chunks: dict[int, Chunk] = {}
        self._params: dict[str, Any] = {}

    @property
    def manifest(self) -> Manifest:
        """On a server, re-read every REFRESH_S: other replicas add and remove documents."""
        if not self.where.lite and time.monotonic() - self._read_at > REFRESH_S:
            self._manifest, self.pending = read_manifest(self.where)
            self._read_at = time.monotonic()
            self.docs.ids = set(self._manifest.documents)
        return self._manifest

    @property
    def size(self) -> int:
        return self.manifest.n_chunks

    @property
    def calibration(self):
        return self.manifest.calibration

    def tune(self, candidates: int) -> None:
        index_type = self.manifest.config.get("index_type", "flat")
        # the same settings retrieve.py gives FAISS (measured there)
        self._params = {"ef": max(256, candidates)} if index_type == "hnsw" else \
            {"nprobe": 64} if index_type == "ivf" else {}

    def _search(self, field: str, data: list, metric: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        res = call(self.where, self.c.search, self.where.chunks, data=data, anns_field=field, limit=n,
                    output_fields=["chunk"], search_params={"metric_type": metric, "params": self._params})
        ids, scores = [], []
        for hit in res[0]:
            i = int(hit["id"])
            if i not in self._chunks:
                if len(self._chunks) > 100_000:
                    self._chunks.clear()
                self._chunks[i] = Chunk.from_dict(json.loads(hit["entity"]["chunk"]))
            ids.append(i)
            # BM25 scores are >= 0 (Milvus Lite reports them negated: its distances sort up).
            # Milvus multiplies each term by (k1 + 1), bm25s does not: divided out, the two
            # stores give the same scores (seeds: 15.874 / 2.5 = 6.350), so a calibrated
            # BM25 threshold means the same on both.
            scores.append(abs(hit["distance"]) / (BM25["bm25_k1"] + 1) if metric == "BM25" else hit["distance"])
        return np.asarray(ids, np.int64), np.asarray(scores, np.float32)

    def dense(self, q: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        # no limit from self.size: on a shared server other replicas may have added rows since
        return self._search("vec", [np.asarray(q, np.float32).ravel().tolist()], "IP", n)

    def lexical(self, query: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        words = lex_words(query, self.fold_script)
        if not words:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        ids, scores = self._search("sparse", [words], "BM25", n)
        keep = scores > 0
        return ids[keep], scores[keep]

    def chunk(self, i: int) -> Chunk:
        if i not in self._chunks:
            rows = call(self.where, self.c.get, self.where.chunks, ids=[i], output_fields=["chunk"])
            if not rows:
                raise IndexCorruptError(f"chunk {i} is missing in Milvus at {self.where.uri}", REBUILD)
            self._chunks[i] = Chunk.from_dict(json.loads(rows[0]["chunk"]))
        return self._chunks[i]

    def has_terms(self, text: str) -> bool:
        words = lex_words(text, self.fold_script).split()
        return bool(words) and all(
            call(self.where, self.c.query, self.where.chunks, filter=f"TEXT_MATCH(lex, '{w}')", limit=1,
                  output_fields=["id"]) for w in words)

    def sample_texts(self, n: int = 500) -> list[str]:
        rows = call(self.where, self.c.query, self.where.chunks, filter="", limit=n, output_fields=["chunk"])
        return [json.loads(r["chunk"])["text"] for r in rows]


def open_index(where: Target) -> MilvusIndex:
    manifest, pending = read_manifest(where)
    return MilvusIndex(where, manifest, pending)


# ---------------------------------------------------------------- writing

def _schema(c, dim: int, kind: str):
    from pymilvus import DataType, Function, FunctionType

    s = c.create_schema(auto_id=False)
    s.add_field("id", DataType.INT64, is_primary=True)
    if kind == "chunks":
        s.add_field("doc_key", DataType.INT64)
        s.add_field("chunk", DataType.VARCHAR, max_length=65_535)
        s.add_field("lex", DataType.VARCHAR, max_length=65_535, enable_analyzer=True,
                    analyzer_params={"tokenizer": "standard"}, enable_match=True)
        s.add_field("vec", DataType.FLOAT_VECTOR, dim=dim)
        s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        s.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["lex"],
                                output_field_names=["sparse"]))
    else:
        if kind == "docs":
            s.add_field("doc_key", DataType.INT64)
            s.add_field("part", DataType.INT64)
        else:
            s.add_field("kind", DataType.VARCHAR, max_length=16)
        s.add_field("body", DataType.VARCHAR, max_length=65_535)
        s.add_field("v", DataType.FLOAT_VECTOR, dim=2)  # Milvus needs a vector field in every collection
    return s


_INDEX = {"flat": ("FLAT", {}), "hnsw": ("HNSW", {"M": 32, "efConstruction": 80}),
          "ivf": ("IVF_FLAT", {"nlist": 1024})}


class MilvusWriter:
    """Writes one knowledge base's collections, a document at a time (see crash safety above)."""

    def __init__(self, where: Target):
        self.where = where
        self.c = client(where)

    def _do(self, fn, *args, **kwargs):
        return call(self.where, fn, *args, **kwargs)

    def drop(self) -> None:
        for name in (self.where.chunks, self.where.docs, self.where.meta):
            if self._do(self.c.has_collection, name):
                self._do(self.c.drop_collection, name)
            LOADED.discard((self.where.uri, name))

    def create(self, dim: int, index_type: str) -> None:
        """The three collections, unless they exist."""
        for kind, name in (("chunks", self.where.chunks), ("docs", self.where.docs), ("meta", self.where.meta)):
            if self._do(self.c.has_collection, name):
                continue
            params = self.c.prepare_index_params()
            if kind == "chunks":
                it, p = _INDEX[index_type]
                params.add_index("vec", index_type=it, metric_type="IP", params=p)
                params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=BM25)
            else:
                params.add_index("v", index_type="FLAT", metric_type="L2")
            self._do(self.c.create_collection, name, schema=_schema(self.c, dim, kind), index_params=params)

    def write_header(self, manifest: Manifest) -> None:
        head = manifest.with_(documents={}, files={}, written_at=now(), format_version=FORMAT_VERSION).to_json()
        body = json.dumps({"schema": SCHEMA, "manifest": head}, ensure_ascii=False)
        if len(body) > PIECE:
            raise IndexCorruptError("the manifest is too large for the Milvus store", "index fewer source folders")
        self._do(self.c.upsert, self.where.meta, [{"id": 0, "kind": "manifest", "body": body, "v": [0.0, 0.0]}])

    def _entries(self, items: list[tuple[str, DocEntry, str, int]]) -> None:
        rows = [{"id": key(doc_id), "kind": "doc", "v": [0.0, 0.0],
                 "body": json.dumps({**asdict(e), "doc_id": doc_id, "state": state, "pieces": pieces},
                                    ensure_ascii=False)} for doc_id, e, state, pieces in items]
        for i in range(0, len(rows), BATCH):
            self._do(self.c.upsert, self.where.meta, rows[i:i + BATCH])

    def remove(self, doc_id: str) -> None:
        k = key(doc_id)
        self._do(self.c.delete, self.where.chunks, filter=f"doc_key == {k}")
        self._do(self.c.delete, self.where.docs, filter=f"doc_key == {k}")
        self._do(self.c.delete, self.where.meta, ids=[k])

    def put(self, items: list[tuple[Document, DocEntry, list[Chunk], np.ndarray]], known: set[str]) -> None:
        """Replace documents: their chunks, their text, then their entries (the commit point).
        Old rows are deleted only for documents in ``known`` (stored before, or pending):
        a delete by filter scans the collection, which for a bulk load of new documents is
        quadratic work for nothing."""

        self._entries([(d.doc_id, e, PENDING, 0) for d, e, _, _ in items])
        rows, parts, pieces_of = [], [], {}
        for doc, _, chunks, vectors in items:
            k = key(doc.doc_id)
            if doc.doc_id in known:
                self._do(self.c.delete, self.where.chunks, filter=f"doc_key == {k}")
                self._do(self.c.delete, self.where.docs, filter=f"doc_key == {k}")
            for c, v in zip(chunks, vectors):
                if len(c.context) > CONTEXT_CAP:
                    c = replace(c, context=c.context[:CONTEXT_CAP])
                rows.append({"id": key(doc.doc_id, str(c.chunk_id)), "doc_key": k, "vec": v.tolist(),
                             "chunk": json.dumps(c.to_dict(), ensure_ascii=False),
                             "lex": lex_words(lexical_text(c))})
            body = json.dumps(doc.to_json(), ensure_ascii=False)
            pieces = [body[i:i + PIECE] for i in range(0, len(body), PIECE)]
            pieces_of[doc.doc_id] = len(pieces)
            parts += [{"id": key(doc.doc_id, str(i)), "doc_key": k, "part": i, "body": p, "v": [0.0, 0.0]}
                      for i, p in enumerate(pieces)]
        for i in range(0, len(rows), BATCH):
            self._do(self.c.insert, self.where.chunks, rows[i:i + BATCH])
        for i in range(0, len(parts), 64):
            self._do(self.c.insert, self.where.docs, parts[i:i + 64])
        self._entries([(d.doc_id, e, DONE, pieces_of[d.doc_id]) for d, e, _, _ in items])

    def flush(self) -> None:
        """Seal what was written: until then Milvus Lite keeps rows in its memtable and
        builds a BM25 index over them for every query (CMRC2018 dev, 2,065 chunks: BM25
        250 ms a query before, 7.8 ms after; dense 59 -> 7 ms)."""
        for name in (self.where.chunks, self.where.docs, self.where.meta):
            self._do(self.c.flush, name)

    def count(self) -> int:
        rows = self._do(self.c.query, self.where.chunks, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])
