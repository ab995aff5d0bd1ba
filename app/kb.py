"""The knowledge base behind the web app: uploads, incremental re-indexing, removal.

Uploaded files are copied into ``<index>/uploads/``; that folder is indexed together with
the sources the index recorded when it was built, so an upload never drops the seed
documents and re-indexing embeds only what changed. After each update the pipeline's
retriever is replaced by one over the new index generation.
"""
from __future__ import annotations

import copy
import os
import re
import shutil
import tempfile
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from rag.load import SUFFIXES

if TYPE_CHECKING:
    from rag.manifest import DocEntry

# An upload may be what `rag index` reads, with the same size limit: the one list of types
# is rag/load.py SUFFIXES (text, PDF, images read by OCR, the Office and e-book formats of
# rag/formats PARSERS). Extend it there.
ALLOWED: tuple[str, ...] = SUFFIXES
MAX_NAME = 120  # characters; long enough for real names, short of any file system limit
_UNSAFE = re.compile(r"[^\w.\-()（）]+")  # \w keeps CJK letters: Chinese file names stay readable


class Rejected(ValueError):
    """An upload we will not store; ``key`` names the UI message, ``args`` fill it."""

    def __init__(self, key: str, **fields):
        self.key = key
        self.fields = fields
        super().__init__(key)


def safe_name(name: str) -> str:
    """A file name that is safe to create inside the uploads folder, or ``Rejected``.

    Names with any path part (``../../x.txt``, ``/etc/x.txt``, ``a\\b.txt``) are refused,
    not silently flattened: a browser sends bare names, so anything else is not a normal
    upload. Unusual characters become ``_``.
    """
    name = unicodedata.normalize("NFC", name or "").strip()
    if not name or "/" in name or "\\" in name or "\x00" in name or name.startswith(".") or ".." in name:
        raise Rejected("bad_name")
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED:
        raise Rejected("bad_type", suffix=suffix or "(none)", supported=" ".join(ALLOWED))
    stem = _UNSAFE.sub("_", name[: -len(suffix)]).strip("_.") or "document"
    return stem[: MAX_NAME - len(suffix)] + suffix


def _unused(name: str, taken: set[str]) -> str:
    """``name``, or ``name-2``, ``name-3``... when another folder already has that doc id."""
    stem, suffix = os.path.splitext(name)
    n = 2
    while name in taken:
        name, n = f"{stem}-{n}{suffix}", n + 1
    return name


def store_upload(src: Path, name: str, uploads: Path, taken: set[str] = frozenset()) -> Path:
    """Copy ``src`` into ``uploads`` as the sanitised ``name``; returns the new path.

    Written to a temporary file and renamed, so a reader never sees half a file and a
    symlink planted at the destination is replaced, never written through.
    """
    final = _unused(safe_name(name), set(taken))
    uploads.mkdir(parents=True, exist_ok=True)
    dest = uploads / final
    # Belt and braces after safe_name (not resolve(): a symlink at dest is replaced below).
    if Path(os.path.abspath(dest)).parent != Path(os.path.abspath(uploads)):
        raise Rejected("bad_name")
    fd, tmp = tempfile.mkstemp(dir=uploads, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as f:
            shutil.copyfileobj(f, out)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest


@dataclass
class DocRow:
    doc_id: str
    title: str
    n_chunks: int
    uploaded: bool
    path: str


class KnowledgeBase:
    """Index updates for one running app. One update at a time; chats read ``snapshot()``,
    a pipeline pinned to one retriever, so an update in the middle of an answer cannot mix
    two index generations."""

    def __init__(self, pipeline, root: Path):
        self.pipeline = pipeline
        self.root = Path(root)
        self.uploads = self.root / "uploads"
        self._lock = threading.Lock()  # one index update at a time (held for its whole run)
        self._swap = threading.Lock()  # guards only the retriever swap: chats never wait on an update

    # ------------------------------------------------------------ reading

    def snapshot(self):
        with self._swap:
            pinned = copy.copy(self.pipeline)
            pinned.retriever = self.pipeline.retriever
        return pinned

    @property
    def index(self):
        return self.pipeline.retriever.index

    def is_uploaded(self, info: DocEntry) -> bool:
        try:
            return Path(info.path).resolve().is_relative_to(self.uploads.resolve())
        except (OSError, ValueError):
            return False

    def documents(self) -> list[DocRow]:
        docs = self.index.manifest.documents
        return [DocRow(doc_id, info.title, info.n_chunks, self.is_uploaded(info), info.path)
                for doc_id, info in sorted(docs.items())]

    def sources(self) -> list[Path]:
        """What to index: the sources recorded in the index, plus the uploads folder."""
        recorded = [Path(s) for s in self.index.manifest.sources]
        uploads = self.uploads.resolve()
        return [s for s in recorded if s.resolve() != uploads] + [uploads]

    # ------------------------------------------------------------ writing

    def add(self, files: Iterable[tuple[Path, str]], on_event: Callable[[str], None] | None = None):
        """Store ``(path, original name)`` pairs and re-index.
        Returns (stored paths, [Rejected with .fields['name']], IndexReport | None)."""
        with self._lock:
            taken = {r.doc_id for r in self.documents() if not r.uploaded}
            stored, rejected = [], []
            for src, name in files:
                try:
                    stored.append(store_upload(Path(src), name, self.uploads, taken))
                except Rejected as e:
                    e.fields.setdefault("name", name)
                    rejected.append(e)
            report = self._reindex(on_event) if stored else None
        return stored, rejected, report

    def remove(self, doc_id: str, on_event: Callable[[str], None] | None = None):
        """Delete an uploaded document and re-index. Raises ``Rejected`` ("not_found",
        "not_uploaded" with the folder, or "last_doc")."""
        with self._lock:
            info = self.index.manifest.documents.get(doc_id)
            if info is None:
                raise Rejected("not_found", doc=doc_id)
            if not self.is_uploaded(info):
                raise Rejected("not_uploaded", doc=doc_id, folder=str(Path(info.path).parent))
            if len(self.index.manifest.documents) <= 1:
                raise Rejected("last_doc")
            Path(info.path).unlink(missing_ok=True)
            return self._reindex(on_event)

    def _reindex(self, on_event):
        from rag import progress
        from rag.index import update_index
        from rag.retrieve import Retriever

        retriever = self.pipeline.retriever
        self.uploads.mkdir(parents=True, exist_ok=True)
        with progress.reporting(on_event):  # OCR says which page it is on
            report = update_index(self.root, self.sources(), self.pipeline.config, retriever.embedder,
                                  progress=True, on_event=on_event)
        if report.changed:
            # Opened outside the swap lock (it reads files); answers already running keep
            # their snapshot of the old retriever, whose index is fully loaded in memory.
            fresh = Retriever.open(self.root, retriever.embedder, self.pipeline.config)
            with self._swap:
                self.pipeline.retriever = fresh
        return report
