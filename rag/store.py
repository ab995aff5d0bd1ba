"""The knowledge base's store: the interface every backend offers, and the default one,
an index folder of plain files with a format version, written atomically.

``Config.store`` chooses: "" keeps the folder below (FAISS + bm25s); a Milvus value
(``milvus``, ``milvus:///path.db``, ``http://host:19530``) keeps it in Milvus
(store_milvus.py). Both answer the ``Store`` protocol, which is all retrieve.py and the
answer checks use.

Layout of an index folder::

    CURRENT             name of the live generation ("gen-000003"), replaced atomically
    LOCK                advisory lock held by the one writer (flock: freed if it dies)
    gen-000003/
        manifest.json   format version, build config, embedder, per-document hashes
        docs.jsonl      cleaned document text + metadata (citations quote spans of it)
        chunks.jsonl    one chunk per line, row i <-> vector i
        vectors.npy     float32 [n, dim], normalised
        faiss.index     FAISS index over vectors.npy
        bm25/           bm25s index (numpy + JSON, no pickle)

A writer builds a complete new generation in ``gen-N.tmp``, renames it, then swaps
CURRENT. A reader follows CURRENT, so a crash at any moment leaves the previous index
intact, and leftovers are swept by the next writer.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Protocol

import numpy as np

from .errors import IndexCorruptError, IndexLockedError, IndexMismatchError, IndexMissingError
from .lexical import BM25Index
from .manifest import FORMAT_VERSION, REBUILD, Calibration, Manifest, now
from .records import Chunk, Document

if TYPE_CHECKING:
    from .config import Config


class Store(Protocol):
    """What reading a knowledge base needs, whatever keeps it. Row ids are ints the store
    gives out: positions in the folder store, 63-bit keys in Milvus."""

    manifest: Manifest
    docs: Mapping[str, Document]  # doc_id -> cleaned text and regions (citations quote it)
    size: int  # chunks

    @property
    def calibration(self) -> Calibration | None: ...

    def tune(self, candidates: int) -> None: ...  # search settings for this many candidates

    def dense(self, q: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]: ...  # ids, cosines

    def lexical(self, query: str, n: int) -> tuple[np.ndarray, np.ndarray]: ...  # ids, BM25 > 0

    def chunk(self, i: int) -> Chunk: ...

    def has_terms(self, text: str) -> bool: ...  # does the indexed text use every word of it

    def sample_texts(self, n: int = 500) -> list[str]: ...  # chunk texts spread over the store


@dataclass
class StoredIndex:
    """Everything a reader needs, loaded from one generation."""

    folder: Path
    manifest: Manifest
    chunks: list[Chunk]
    vectors: np.ndarray
    faiss_index: Any
    bm25: BM25Index
    docs: dict[str, Document] = field(default_factory=dict)

    @property
    def calibration(self) -> Calibration | None:
        return self.manifest.calibration

    @property
    def size(self) -> int:
        return self.faiss_index.ntotal if self.faiss_index is not None else len(self.chunks)

    def tune(self, candidates: int) -> None:
        if self.faiss_index is not None and hasattr(self.faiss_index, "hnsw"):
            # `rag bench` (full): recall@10 0.986 / 0.998 / 0.748 at 10k / 100k / 1M chunks with
            # efSearch 64; 256 reached 0.960 at 1M for 1.0 ms a query.
            self.faiss_index.hnsw.efSearch = max(256, candidates)
        if hasattr(self.faiss_index, "nprobe"):
            # A quarter of the lists: `rag bench` measured recall@10 0.63-0.70 at nprobe 16
            # and >= 0.95 only from about nlist/4 (10k, 100k and 1M chunks).
            self.faiss_index.nprobe = max(16, self.faiss_index.nlist // 4)

    def dense(self, q: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        if self.faiss_index.ntotal == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        scores, ids = self.faiss_index.search(q, min(n, self.faiss_index.ntotal))
        keep = ids[0] >= 0
        return ids[0][keep].astype(np.int64), scores[0][keep]

    def lexical(self, query: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        return self.bm25.search(query, n)

    def chunk(self, i: int) -> Chunk:
        return self.chunks[i]

    def has_terms(self, text: str) -> bool:
        return self.bm25.has_terms(text)

    def sample_texts(self, n: int = 500) -> list[str]:
        return [c.text for c in self.chunks[:: max(1, len(self.chunks) // n)]]

    def rows_by_doc(self) -> dict[str, list[int]]:
        """doc_id -> its chunks' row numbers (into ``chunks`` and ``vectors``), in order."""
        rows: dict[str, list[int]] = {}
        for i, c in enumerate(self.chunks):
            rows.setdefault(c.doc_id, []).append(i)
        return rows


# ---------------------------------------------------------------- reading

def current_generation(root: Path) -> Path:
    pointer = root / "CURRENT"
    if not pointer.exists():
        raise IndexMissingError(f"no index at {root}", "build one with `rag index [PATH ...]`")
    name = pointer.read_text().strip()
    gen = root / name
    if not name.startswith("gen-") or not gen.is_dir():
        raise IndexCorruptError(f"index at {root} points at a missing generation {name!r}", REBUILD)
    return gen


def read_manifest(gen: Path) -> Manifest:
    try:
        raw = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexCorruptError(f"manifest.json missing in {gen}", REBUILD) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise IndexCorruptError(f"manifest.json in {gen} is not valid JSON ({e.msg if hasattr(e, 'msg') else e})",
                                REBUILD) from None
    return Manifest.from_json(raw, str(gen))


def check_embedder(manifest: Manifest, name: str, checksum: str, settings: dict) -> None:
    built_config = manifest.config
    # Checked first: the embedder checksum differs too, but this says what to change.
    backend = built_config.get("embed_backend")
    wanted = settings.get("embed_backend", backend)
    if backend != wanted:
        raise IndexMismatchError(f"index was built with the {backend} embedding backend, not {wanted}",
                                 f"set RAG_EMBED_BACKEND={backend} to use it, or {REBUILD}")
    built = manifest.embedder
    if built.name != name or built.checksum != checksum:
        raise IndexMismatchError(
            f"index was built with embedder {built.name} ({built.checksum}), "
            f"not {name} ({checksum})", REBUILD)
    diff = {k: v for k, v in settings.items() if built_config.get(k) != v and k != "index_type"}
    if diff:
        raise IndexMismatchError(f"index was built with other settings ({', '.join(sorted(diff))})", REBUILD)


def _check_files(gen: Path, manifest: Manifest) -> None:
    """Sizes recorded at write time catch truncated or replaced files cheaply."""
    for rel, size in manifest.files.items():
        p = gen / rel
        if not p.exists():
            raise IndexCorruptError(f"index file {rel} is missing", REBUILD)
        if p.stat().st_size != size:
            raise IndexCorruptError(f"index file {rel} is damaged (size {p.stat().st_size}, expected {size})",
                                    REBUILD)


def read_jsonl(path: Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def open_index(root: Path) -> StoredIndex:
    import faiss

    root = Path(root)
    gen = current_generation(root)
    manifest = read_manifest(gen)
    _check_files(gen, manifest)
    try:
        chunks = [Chunk.from_dict(d) for d in read_jsonl(gen / "chunks.jsonl")]
        docs = {d["doc_id"]: Document.from_json(d) for d in read_jsonl(gen / "docs.jsonl")}
        vectors = np.load(gen / "vectors.npy", allow_pickle=False)
        index = faiss.read_index(str(gen / "faiss.index"))
        bm25 = BM25Index.load(gen / "bm25", manifest.lexical)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as e:
        raise IndexCorruptError(f"index at {root} cannot be read ({str(e).splitlines()[0][:120]})",
                                REBUILD) from None
    n = manifest.n_chunks
    if not (len(chunks) == vectors.shape[0] == index.ntotal == n):
        raise IndexCorruptError(
            f"index at {root} is out of step: {len(chunks)} chunks, {vectors.shape[0]} vectors, "
            f"{index.ntotal} in FAISS, manifest says {n}", REBUILD)
    return StoredIndex(gen, manifest, chunks, vectors, index, bm25, docs)


# ---------------------------------------------------------------- writing

class WriteLock:
    """One writer at a time. flock is released by the kernel when the holder dies, so a
    lock left by a killed process never blocks the next run."""

    def __init__(self, root: Path):
        self.path = Path(root) / "LOCK"
        self.fd: int | None = None

    def __enter__(self) -> "WriteLock":
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise IndexLockedError(f"another process (pid {holder}) is writing the index at {self.path.parent}",
                                   "wait for it to finish") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        import fcntl

        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_json(path: Path, obj: Any) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


def sweep(root: Path) -> None:
    """Remove generations that are not live: unfinished ``.tmp`` ones from crashed writers
    and old ones a finished writer did not get to delete."""
    try:
        live = (root / "CURRENT").read_text().strip()
    except FileNotFoundError:
        live = None
    for p in root.glob("gen-*"):
        if p.name != live:
            shutil.rmtree(p, ignore_errors=True)
    for p in root.glob("CURRENT.tmp*"):
        p.unlink(missing_ok=True)


def build_faiss(vectors: np.ndarray, index_type: str):
    import faiss

    dim = vectors.shape[1]
    n = vectors.shape[0]
    if index_type == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
    elif index_type == "ivf" and n >= 1000:
        nlist = int(min(4 * np.sqrt(n), n // 39))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)
    else:  # exact; also IVF on corpora too small to train a quantiser on
        index = faiss.IndexFlatIP(dim)
    if n:
        index.add(vectors)
    return index


def write_generation(root: Path, manifest: Manifest, docs: list[Document], chunks: list[Chunk],
                     vectors: np.ndarray, bm25: BM25Index, faiss_index) -> Path:
    import faiss

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    sweep(root)
    n = 1 + max((int(p.name[4:]) for p in root.glob("gen-*") if p.name[4:].isdigit()), default=0)
    final = root / f"gen-{n:06d}"
    tmp = root / f"gen-{n:06d}.tmp"
    tmp.mkdir()
    _write_jsonl(tmp / "docs.jsonl", [d.to_json() for d in docs])
    _write_jsonl(tmp / "chunks.jsonl", [c.to_dict() for c in chunks])
    np.save(tmp / "vectors.npy", np.ascontiguousarray(vectors, dtype=np.float32), allow_pickle=False)
    faiss.write_index(faiss_index, str(tmp / "faiss.index"))
    bm25.save(tmp / "bm25")
    files = {p.relative_to(tmp).as_posix(): p.stat().st_size for p in sorted(tmp.rglob("*")) if p.is_file()}
    manifest = manifest.with_(format_version=FORMAT_VERSION, n_chunks=len(chunks), written_at=now(), files=files)
    _write_json(tmp / "manifest.json", manifest.to_json())
    _fsync_dir(tmp)
    os.rename(tmp, final)
    pointer_tmp = root / f"CURRENT.tmp{os.getpid()}"
    pointer_tmp.write_text(final.name + "\n")
    with open(pointer_tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(pointer_tmp, root / "CURRENT")  # the commit point
    _fsync_dir(root)
    sweep(root)
    return final


def update_manifest(root: Path, **changes: Any) -> None:
    """Change manifest fields of the live generation in place, atomically (used to record
    a calibration); the file-size table is not affected since manifest.json is not in it."""
    gen = current_generation(Path(root))
    manifest = read_manifest(gen).with_(**changes)
    tmp = gen / "manifest.json.tmp"
    _write_json(tmp, manifest.to_json())
    os.replace(tmp, gen / "manifest.json")


# ---------------------------------------------------------------- choosing the store

MARKER = "STORE"  # in the index folder: the store the knowledge base was last written to


def chosen(root: Path, config: "Config") -> str:
    """The store of the knowledge base at ``root``: ``RAG_STORE`` / ``--store`` if set, else
    the one it was last written to (so `rag serve` finds a knowledge base indexed into
    Milvus without being told again), else the folder."""
    if config.store:
        return config.store
    try:
        return (Path(root) / MARKER).read_text(encoding="utf-8").strip() or "folder"
    except (FileNotFoundError, NotADirectoryError):
        return "folder"


def remember(root: Path, value: str) -> None:
    """Record where the knowledge base at ``root`` was written (no token: that stays in the environment)."""
    marker = Path(root) / MARKER
    if value == "folder":
        marker.unlink(missing_ok=True)
        return
    tmp = marker.with_suffix(".tmp")
    tmp.write_text(value + "\n", encoding="utf-8")
    os.replace(tmp, marker)


def _milvus(root: Path, config: "Config"):
    from . import store_milvus

    value = chosen(root, config)
    if not store_milvus.is_milvus(value):
        return None
    return store_milvus.target(value, root, config.store_token)


def exists(root: Path, config: "Config") -> bool:
    """Is there a knowledge base at ``root`` (in the store the config chooses)?"""
    where = _milvus(Path(root), config)
    if where is None:
        return (Path(root) / "CURRENT").exists()
    from .store_milvus import exists as milvus_exists

    return milvus_exists(where)


def open_store(root: Path, config: "Config") -> Store:
    where = _milvus(Path(root), config)
    if where is None:
        return open_index(root)
    from .store_milvus import open_index as open_milvus

    return open_milvus(where)


def built_manifest(root: Path, config: "Config") -> Manifest:
    """The manifest of the knowledge base at ``root`` without opening its data."""
    where = _milvus(Path(root), config)
    if where is None:
        return read_manifest(current_generation(Path(root)))
    from .store_milvus import read_manifest as milvus_manifest

    return milvus_manifest(where)[0]


def record_calibration(root: Path, config: "Config", calibration: Calibration) -> None:
    where = _milvus(Path(root), config)
    if where is None:
        return update_manifest(root, calibration=calibration)
    from .store_milvus import MilvusWriter

    MilvusWriter(where).write_header(built_manifest(root, config).with_(calibration=calibration))


def drop(root: Path, config: "Config") -> None:
    """Delete a Milvus store's collections (a folder store is deleted with its folder)."""
    where = _milvus(Path(root), config)
    if where is not None and exists(root, config):
        from .store_milvus import MilvusWriter, forget

        MilvusWriter(where).drop()
        forget(where)
