"""The knowledge bases one server answers from, opened on first use, and the queue in
front of the model.

Every knowledge base shares the process's embedder and generator (one copy of each model
in memory); each has its own index, uploads and update lock (app/kb.py ``KnowledgeBase``).
"""
from __future__ import annotations

import contextlib
import threading
from collections import deque
from pathlib import Path
from typing import Callable, Iterable

from rag import kbs
from rag.config import Config

from .kb import KnowledgeBase, store_upload


class Busy(Exception):
    """The queue in front of the model is full (HTTP 429)."""

    def __init__(self, waiting: int):
        self.waiting = waiting
        super().__init__(f"{waiting} answers are already waiting for the model")


class Gate:
    """First come, first served: one answer runs, up to ``limit`` wait in arrival order, and
    anyone beyond that is told at once (``Busy``) rather than left hanging. The web app's
    browser users queue here too (``enter(force=True)``: Gradio already bounds them)."""

    def __init__(self, limit: int):
        self.limit = limit
        self._cond = threading.Condition()
        self._queue: deque[object] = deque()
        self._running: object | None = None

    def enter(self, force: bool = False) -> object:
        with self._cond:
            if not force and len(self._queue) >= self.limit + (self._running is None):
                raise Busy(len(self._queue))
            ticket = object()
            self._queue.append(ticket)
            return ticket

    def wait(self, ticket: object, cancel: threading.Event | None = None) -> bool:
        """Block until it is ``ticket``'s turn (True), or ``cancel`` is set (False, and the
        ticket leaves the queue)."""
        with self._cond:
            while self._running is not None or self._queue[0] is not ticket:
                if cancel is not None and cancel.is_set():
                    self._queue.remove(ticket)
                    self._cond.notify_all()
                    return False
                self._cond.wait(0.2)
            self._queue.popleft()
            self._running = ticket
            return True

    def leave(self, ticket: object) -> None:
        with self._cond:
            if self._running is ticket:
                self._running = None
            elif ticket in self._queue:
                self._queue.remove(ticket)
            self._cond.notify_all()

    def state(self) -> dict:
        with self._cond:
            return {"running": int(self._running is not None), "waiting": len(self._queue), "limit": self.limit}


class Library:
    """Named knowledge bases for one server, the default one already open."""

    def __init__(self, default: KnowledgeBase, config: Config):
        self.config = config
        self.default = default
        self.gate = Gate(config.queue)
        self._open: dict[str, KnowledgeBase] = {kbs.DEFAULT: default}
        from rag.conversations import Store

        self.conversations = Store.for_config(config)
        self._lock = threading.Lock()  # opening, creating and deleting; answers never wait on it

    @property
    def embedder(self):
        return self.default.pipeline.retriever.embedder

    def names(self) -> list[str]:
        return kbs.names(self.config)

    def get(self, name: str) -> KnowledgeBase:
        """The open knowledge base ``name``; ``UnknownKBError`` (404) or ``UsageError`` (bad name)."""
        kbs.check_name(name)
        with self._lock:
            if name in self._open and (name == kbs.DEFAULT or kbs.exists(name, self.config)):
                return self._open[name]
            root = kbs.require(name, self.config)
            kb = KnowledgeBase(self._pipeline(root), root)
            self._open[name] = kb
            return kb

    def _pipeline(self, root: Path):
        """A pipeline over ``root`` sharing the default one's models; an index built with
        another embedding backend gets that backend's embedder (vectors must match)."""
        from rag import embed, session
        from rag.answer import Pipeline
        from rag.retrieve import Retriever

        base = self.default.pipeline
        config = session.resolve_backend(root, self.config.with_(kb=""))
        same = (config.backend, config.precision) == (base.config.backend, base.config.precision)
        embedder = self.embedder if same else embed.load_embedder(config)
        return Pipeline(Retriever.open(root, embedder, config), base.generator, config)

    def create(self, name: str, files: Iterable[tuple[Path, str]], on_event: Callable[[str], None] | None = None):
        """A new knowledge base from uploaded ``(path, name)`` files. Returns (KnowledgeBase,
        rejected uploads, IndexReport). Nothing is left under the name if it fails."""
        from rag.index import update_index

        from .kb import Rejected

        with self._lock:
            with kbs.creating(name, self.config) as root:
                uploads = root / "uploads"
                stored, rejected = [], []
                for src, fname in files:
                    try:
                        stored.append(store_upload(Path(src), fname, uploads))
                    except Rejected as e:
                        e.fields.setdefault("name", fname)
                        rejected.append(e)
                if not stored:
                    raise Rejected("no_files", rejected=rejected)
                # embedded by the shared embedder, so recorded as its backend
                base = self.default.pipeline.config
                config = self.config.with_(kb="", embed_backend=base.backend, embed_precision=base.precision)
                report = update_index(root, [uploads], config, self.embedder, progress=False, on_event=on_event)
            kb = KnowledgeBase(self._pipeline(root), root)
            self._open[name] = kb
            return kb, rejected, report

    def delete(self, name: str) -> None:
        """The knowledge base, its uploads and its conversations (rag/kbs.py ``delete``)."""
        with self._lock:
            kb = self._open.get(name)
            with kb._lock if kb is not None else contextlib.nullcontext():  # not in the middle of an upload
                kbs.delete(name, self.config)
            self._open.pop(name, None)
