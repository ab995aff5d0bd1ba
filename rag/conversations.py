"""Saved conversations: SQLite (standard library) in the data folder, WAL mode.

A turn is written in one transaction once its answer is complete, so a server killed in
the middle of an answer leaves the conversation as it was before the question, never half
a turn. Every value goes in through parameters, never into the SQL text.

Each turn keeps the answer's JSON (``Answer.to_json``: citations, verdict, timings) and,
for the front end that wrote it, what it showed (``view``: the web app's rendered answer and
sources), so a reopened conversation looks as it did, even after the documents changed.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Config
from .errors import RagError, UsageError

FORMAT = 1
MAX_TITLE = 200

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, kb TEXT NOT NULL, title TEXT NOT NULL,
    created REAL NOT NULL, updated REAL NOT NULL);
CREATE INDEX IF NOT EXISTS conversations_by_kb ON conversations (kb, updated);
CREATE TABLE IF NOT EXISTS turns (
    conversation TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    n INTEGER NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, record TEXT NOT NULL,
    view TEXT NOT NULL DEFAULT '{}', created REAL NOT NULL, PRIMARY KEY (conversation, n));
"""


class UnknownConversationError(RagError):
    """No conversation with that id (HTTP 404)."""


@dataclass
class Turn:
    n: int
    question: str
    answer: str
    record: dict[str, Any]  # Answer.to_json()
    view: dict[str, Any] = field(default_factory=dict)
    created: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "question": self.question, "answer": self.answer, "created": self.created,
                **{k: self.record.get(k) for k in ("refused", "refusal_reason", "short_answer", "citations")}}


@dataclass
class Conversation:
    id: str
    kb: str
    title: str
    created: float
    updated: float
    turns: list[Turn] = field(default_factory=list)

    def history(self) -> list[dict]:
        """The turns as chat messages, for the follow-up rewrite."""
        out: list[dict] = []
        for t in self.turns:
            out += [{"role": "user", "content": t.question}, {"role": "assistant", "content": t.answer}]
        return out

    def to_json(self, turns: bool = True) -> dict[str, Any]:
        out = {"id": self.id, "kb": self.kb, "title": self.title, "created": self.created, "updated": self.updated}
        if turns:
            out["turns"] = [t.to_json() for t in self.turns]
        return out


def _title(text: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise UsageError("a conversation title cannot be empty")
    return text[:MAX_TITLE]


_TIMEOUT = 10  # seconds a connection waits for another's lock


def _to_wal(db: sqlite3.Connection) -> None:
    """Put the file in WAL mode. The switch takes a lock SQLite does not wait for (the busy
    timeout does not apply), so processes opening a new file at once -- replicas of `rag
    serve` starting together -- meet "database is locked" here: retried, not fatal.
    (Measured: three processes opening one new file at once failed in 24 of 30 trials.)"""
    deadline = time.monotonic() + _TIMEOUT
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Store:
    """One SQLite file; safe to share between threads (one connection per thread)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._db().executescript(_SCHEMA)  # IF NOT EXISTS throughout: safe to repeat
        with self._db() as db:
            found = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
            if found is None:
                db.execute("INSERT INTO meta VALUES ('format', ?)", (str(FORMAT),))
            elif int(found[0]) != FORMAT:
                raise RagError(f"{self.path} holds conversations in format {found[0]}, this version reads {FORMAT}",
                               "upgrade rag-chat, or move the file away")

    @classmethod
    def for_config(cls, config: Config) -> "Store":
        return cls(Path(config.data) / "conversations.db")

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            try:
                db = sqlite3.connect(self.path, timeout=_TIMEOUT, isolation_level=None)
                _to_wal(db)  # readers never wait for the writer
                db.execute("PRAGMA synchronous=FULL")  # a committed turn survives a crash
                db.execute("PRAGMA foreign_keys=ON")
            except sqlite3.DatabaseError as e:
                raise RagError(f"cannot open the conversation store {self.path}: {e}",
                               "move the file away to start a new one") from None
            self._local.db = _Tx(db)
            db = self._local.db
        return db

    # ------------------------------------------------------------ reading

    def list(self, kb: str | None = None, limit: int = 100) -> list[Conversation]:
        sql = "SELECT id, kb, title, created, updated FROM conversations"
        args: tuple = ()
        if kb is not None:
            sql, args = sql + " WHERE kb = ?", (kb,)
        rows = self._db().execute(sql + " ORDER BY updated DESC LIMIT ?", (*args, int(limit))).fetchall()
        return [Conversation(*r) for r in rows]

    def get(self, cid: str) -> Conversation:
        db = self._db()
        row = db.execute("SELECT id, kb, title, created, updated FROM conversations WHERE id = ?", (cid,)).fetchone()
        if row is None:
            raise UnknownConversationError(f"no conversation {str(cid)[:80]!r}", "list them with GET /api/conversations")
        conv = Conversation(*row)
        for n, q, a, record, view, created in db.execute(
                "SELECT n, question, answer, record, view, created FROM turns WHERE conversation = ? ORDER BY n",
                (cid,)):
            conv.turns.append(Turn(n, q, a, json.loads(record), json.loads(view), created))
        return conv

    # ------------------------------------------------------------ writing

    def create(self, kb: str, title: str) -> Conversation:
        now = time.time()
        conv = Conversation(uuid.uuid4().hex, kb, _title(title), now, now)
        with self._db() as db:
            db.execute("INSERT INTO conversations VALUES (?, ?, ?, ?, ?)",
                       (conv.id, conv.kb, conv.title, conv.created, conv.updated))
        return conv

    def add_turn(self, cid: str, question: str, record: dict[str, Any], view: dict[str, Any] | None = None) -> Turn:
        """Append one answered question (one transaction)."""
        now = time.time()
        with self._db() as db:
            if db.execute("SELECT 1 FROM conversations WHERE id = ?", (cid,)).fetchone() is None:
                raise UnknownConversationError(f"no conversation {cid!r}")
            n = db.execute("SELECT COALESCE(MAX(n), 0) + 1 FROM turns WHERE conversation = ?", (cid,)).fetchone()[0]
            turn = Turn(n, question, record.get("answer", ""), record, view or {}, now)
            db.execute("INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (cid, n, question, turn.answer, json.dumps(record, ensure_ascii=False),
                        json.dumps(turn.view, ensure_ascii=False), now))
            db.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, cid))
        return turn

    def rename(self, cid: str, title: str) -> None:
        with self._db() as db:
            if db.execute("UPDATE conversations SET title = ? WHERE id = ?", (_title(title), cid)).rowcount == 0:
                raise UnknownConversationError(f"no conversation {str(cid)[:80]!r}")

    def delete(self, cid: str) -> None:
        with self._db() as db:
            if db.execute("DELETE FROM conversations WHERE id = ?", (cid,)).rowcount == 0:
                raise UnknownConversationError(f"no conversation {str(cid)[:80]!r}")

    def delete_kb(self, kb: str) -> None:
        """Forget a deleted knowledge base's conversations."""
        with self._db() as db:
            db.execute("DELETE FROM conversations WHERE kb = ?", (kb,))


class _Tx:
    """A connection whose ``with`` block is one IMMEDIATE transaction (autocommit outside)."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def execute(self, *args):
        return self.db.execute(*args)

    def executescript(self, script: str):
        return self.db.executescript(script)

    def __enter__(self) -> "_Tx":
        self.db.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, exc_type, *rest) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
