"""Reaching Milvus: where a knowledge base's collections are (``RAG_STORE`` -> ``Target``),
one client per database per process, and every failure as one line naming the URI.
The store itself (what is kept and how) is store_milvus.py."""
from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from .errors import StoreUnavailableError, UsageError


def key(*parts: str) -> int:
    """A stable 63-bit id (Milvus INT64 keys are signed)."""
    digest = hashlib.blake2b("\x00".join(parts).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") & (2**63 - 1)


@dataclass(frozen=True)
class Target:
    uri: str  # a .db path (Milvus Lite) or http(s)://host:port
    token: str
    prefix: str  # collection names: prefix + "chunks" / "docs" / "meta"

    @property
    def lite(self) -> bool:
        return not self.uri.startswith(("http://", "https://"))

    @property
    def chunks(self) -> str:
        return self.prefix + "chunks"

    @property
    def docs(self) -> str:
        return self.prefix + "docs"

    @property
    def meta(self) -> str:
        return self.prefix + "meta"


def is_milvus(value: str) -> bool:
    return value == "milvus" or value.startswith(("milvus:", "http://", "https://"))


def target(value: str, root: Path, token: str = "") -> Target:
    """``RAG_STORE`` + the knowledge base's folder -> where its collections are."""
    if value == "milvus":
        uri = str(Path(root) / "milvus.db")
    elif value.startswith("milvus://"):
        uri = value[len("milvus://"):]
    elif value.startswith("milvus:"):
        uri = value[len("milvus:"):]
    else:
        uri = value
    if not uri.startswith(("http://", "https://")) and not uri.endswith(".db"):
        raise UsageError(f"RAG_STORE={value!r}: a Milvus Lite database is a file ending in .db",
                         "use milvus:///PATH/NAME.db")
    if value == "milvus":
        return Target(uri, token, "rag_")  # the file is the knowledge base's own: it may move with its folder
    # A database several knowledge bases share: each by its folder's name.
    name = Path(root).resolve().name or "index"
    safe = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if safe != name:  # keep two folder names that differ only in such characters apart
        safe += f"_{key(name) % 16**8:08x}"
    return Target(uri, token, f"rag_{safe}_")


_CLIENTS: dict[tuple[str, str], Any] = {}
_CLIENTS_LOCK = threading.Lock()


def client(where: Target):
    """One client per database per process: Milvus Lite holds its file for the process that
    opened it, so the web app's reader and its upload writer must share one."""
    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise StoreUnavailableError("the Milvus store needs pymilvus",
                                    "install it with `pip install 'rag-chat[milvus]'`") from None
    import logging

    # pymilvus and the embedded server log every failed request with a traceback; the
    # failure reaches the user once, as one line naming the URI (unavailable below)
    for name in ("pymilvus", "milvus_lite", "grpc._server"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    with _CLIENTS_LOCK:
        k = (where.uri, where.token)
        if k not in _CLIENTS:
            if where.lite:
                Path(where.uri).parent.mkdir(parents=True, exist_ok=True)
            try:
                _CLIENTS[k] = MilvusClient(uri=where.uri, token=where.token, timeout=10)
            except Exception as e:  # noqa: BLE001 - connection and lock failures say the URI
                raise unavailable(where, e) from None
        return _CLIENTS[k]


def _close(uri: str, c) -> None:
    try:
        c.close()
    except Exception:  # noqa: BLE001 - closing a client that is already gone
        pass
    if not uri.startswith(("http://", "https://")):
        # Milvus Lite serves the file from a thread of this process; stopping it frees the file
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(uri)


def forget(where: Target) -> None:
    """Close this process's client of ``where`` (before its Milvus Lite file is deleted)."""
    with _CLIENTS_LOCK:
        c = _CLIENTS.pop((where.uri, where.token), None)
        LOADED.difference_update({k for k in LOADED if k[0] == where.uri})
    if c is not None:
        _close(where.uri, c)


def close_all() -> None:
    """Close every client this process opened."""
    with _CLIENTS_LOCK:
        clients = list(_CLIENTS.items())
        _CLIENTS.clear()
        LOADED.clear()
    for (uri, _), c in clients:
        _close(uri, c)


def unavailable(where: Target, e: BaseException) -> StoreUnavailableError:
    text = str(e)
    if "lock" in text.lower() or "lock" in type(e).__name__.lower() or "Open local milvus failed" in text:
        return StoreUnavailableError(f"the Milvus Lite database {where.uri} is open in another process",
                                     "stop that process, or use a Milvus server for several processes")
    first = (text.splitlines() or [type(e).__name__])[0][:160]
    kind = type(e).__name__ + " " + text[:300]
    if any(w in kind for w in ("Unavailable", "UNAVAILABLE", "Connect", "connect", "Timeout", "DEADLINE", "timed out")):
        return StoreUnavailableError(f"cannot reach Milvus at {where.uri} ({first})",
                                     "start Milvus or correct RAG_STORE")
    return StoreUnavailableError(f"Milvus at {where.uri} refused a request ({first})",
                                 "check the server's log; `rag index --rebuild` writes the collections again")


def call(where: Target, fn, *args, **kwargs):
    """A Milvus request; a failure becomes one line naming the URI."""
    try:
        return fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001
        raise unavailable(where, e) from None


LOADED: set[tuple[str, str]] = set()


def ready(where: Target, c) -> bool:
    """Do the collections exist, loaded for searching? Milvus (and Milvus Lite) opens a
    collection released after a restart: load it once per process."""
    if not call(where, c.has_collection, where.meta):
        return False
    for name in (where.chunks, where.docs, where.meta):
        if (where.uri, name) not in LOADED:
            if call(where, c.has_collection, name):
                call(where, c.load_collection, name)
            LOADED.add((where.uri, name))
    return True


def header(where: Target, c) -> dict | None:
    """The manifest row (id 0) of the meta collection: its layout version and the manifest."""
    rows = call(where, c.get, where.meta, ids=[0], output_fields=["body"])
    return json.loads(rows[0]["body"]) if rows else None


def exists(where: Target) -> bool:
    if where.lite and not Path(where.uri).exists():
        return False  # asking must not create the file
    c = client(where)
    return ready(where, c) and header(where, c) is not None


QUERY_CAP = 16_384  # Milvus returns at most this many rows per query (offset + limit)


def scan(where: Target, c, collection: str, cond: str, fields: list[str],
         lo: int = 0, hi: int = 2**63 - 1) -> Iterator[dict]:
    """Every row matching ``cond``: keys are uniform hashes, so a key range holding more
    than one query's worth is split in two until each part fits. (pymilvus's query
    iterator needs a timestamp service Milvus Lite does not offer.)"""
    rows = call(where, c.query, collection, filter=f"{cond} and id >= {lo} and id <= {hi}",
                 output_fields=fields, limit=QUERY_CAP)
    if len(rows) < QUERY_CAP or hi == lo:
        yield from rows
        return
    mid = (lo + hi) // 2
    yield from scan(where, c, collection, cond, fields, lo, mid)
    yield from scan(where, c, collection, cond, fields, mid + 1, hi)
