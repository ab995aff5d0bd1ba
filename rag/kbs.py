"""Named knowledge bases: one index folder each, with its own manifest and calibration.

The default knowledge base is the index folder of ``Config.index`` (``./index``, built from
``seeds/`` on first use). Every other one lives in ``home(config)/NAME`` (``./data/kbs/NAME``)
and is made from the user's documents with ``rag kb create NAME PATH...``. A name is also
what the HTTP API calls a model (``"model": "reports"``), so it is checked as strictly as
a file name an attacker chose: no path parts, no dots at the start, a bounded length.
"""
from __future__ import annotations

import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .config import Config
from .errors import IndexMissingError, RagError, UsageError

DEFAULT = "default"
# Letters (CJK included), digits, '-' and '_'; starts with a letter or digit. 64 characters
# is long enough for "2026-财务-季度报告" and short of any file-system limit.
_NAME = re.compile(r"^[^\W_][\w-]{0,63}$")


@dataclass(frozen=True)
class KBInfo:
    name: str
    path: Path
    exists: bool  # an index has been built there
    documents: int = 0
    chunks: int = 0

    def to_json(self) -> dict:
        return {"name": self.name, "path": str(self.path), "exists": self.exists,
                "documents": self.documents, "chunks": self.chunks}


class UnknownKBError(IndexMissingError):
    """No knowledge base of that name (HTTP 404)."""


def home(config: Config) -> Path:
    """The folder holding the named knowledge bases."""
    return Path(config.data) / "kbs"


def check_name(name: str) -> str:
    """``name`` if it can name a knowledge base, else ``UsageError``."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or name.isdigit() and len(name) > 20:
        raise UsageError(f"invalid knowledge base name {str(name)[:80]!r}",
                         "use up to 64 letters, digits, '-' or '_', starting with a letter or digit")
    return name


def path_of(name: str, config: Config) -> Path:
    """The index folder of knowledge base ``name`` (it may not exist yet)."""
    if name == DEFAULT:
        return Path(config.index)
    return home(config) / check_name(name)


def selected(config: Config) -> str:
    """The knowledge base commands use: ``--kb`` / ``RAG_KB``, else the default."""
    return check_name(config.kb) if config.kb else DEFAULT


def exists(name: str, config: Config) -> bool:
    return _built(path_of(name, config), config)


def _built(root: Path, config: Config) -> bool:
    from . import store

    return root.is_dir() and store.exists(root, config)


def require(name: str, config: Config) -> Path:
    """The folder of an existing named knowledge base, or ``UnknownKBError``. The default
    one may be missing: it is built from ``seeds/`` on first use (rag.session)."""
    root = path_of(name, config)
    if name != DEFAULT and not _built(root, config):
        raise UnknownKBError(f"no knowledge base named {name!r}",
                             f"create it with `rag kb create {name} PATH...`, or see `rag kb list`")
    return root


def info(name: str, config: Config) -> KBInfo:
    from . import store

    root = path_of(name, config)
    if not _built(root, config):
        return KBInfo(name, root, False)
    try:
        manifest = store.built_manifest(root, config)
    except RagError:  # damaged: listed, so the user can see it and delete it
        return KBInfo(name, root, True)
    docs = manifest.documents
    return KBInfo(name, root, True, len(docs), sum(d.n_chunks for d in docs.values()))


def names(config: Config) -> list[str]:
    """The default knowledge base, then every built one under the home folder, by name."""
    folder = home(config)
    found = sorted(p.name for p in folder.iterdir()
                   if p.is_dir() and _NAME.fullmatch(p.name) and p.name != DEFAULT
                   and _built(p, config)) if folder.is_dir() else []
    return [DEFAULT] + found


def listing(config: Config) -> list[KBInfo]:
    return [info(n, config) for n in names(config)]


def claim(name: str, config: Config) -> Path:
    """The folder for a new knowledge base ``name``; ``UsageError`` if the name is taken."""
    if name == DEFAULT:
        raise UsageError(f"{DEFAULT!r} is the built-in knowledge base", "choose another name")
    root = path_of(name, config)
    if _built(root, config):
        raise UsageError(f"knowledge base {name!r} already exists",
                         f"add documents with `rag index PATH... --kb {name}`, or delete it first")
    return root


@contextmanager
def creating(name: str, config: Config) -> Iterator[Path]:
    """The folder for the new knowledge base ``name`` (``claim``), removed again if the
    block fails before an index is written there: nothing half-made stays under the name."""
    root = claim(check_name(name), config)
    fresh = not root.exists()
    try:
        yield root
    except BaseException:
        if fresh and not _built(root, config):
            shutil.rmtree(root, ignore_errors=True)
        raise


def delete(name: str, config: Config) -> Path:
    """Remove a named knowledge base's folder (its index and uploaded files; the documents
    it was built from elsewhere are not touched) and its saved conversations. The default
    one cannot be deleted."""
    from . import store

    if name == DEFAULT:
        raise UsageError("the default knowledge base cannot be deleted",
                         "to start it over, run `rag index --rebuild PATH...`")
    root = require(name, config)
    folder = home(config).resolve()
    if root.is_symlink() or root.resolve().parent != folder:  # only ever a direct child of the home folder
        raise UsageError(f"{root} is not a knowledge-base folder of {folder}", "remove it by hand")
    with store.WriteLock(root):  # not while another process writes it
        store.drop(root, config)  # a Milvus store's collections (the folder store is the folder)
        trash = root.with_name(f".deleting-{name}")
        shutil.rmtree(trash, ignore_errors=True)
        root.rename(trash)  # atomic: a crash leaves the name free, not half an index
    shutil.rmtree(trash, ignore_errors=True)
    if (Path(config.data) / "conversations.db").exists():
        from .conversations import Store

        Store.for_config(config).delete_kb(name)  # its saved conversations go with it
    return root
