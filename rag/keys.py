"""API keys for the HTTP API (``rag keys create/list/revoke``).

A key is shown once, when it is made; only its SHA-256 is stored (``data/keys.json``,
mode 0600, written atomically). Keys are 256 random bits, so a fast hash is enough: there is
nothing to brute-force that a slow hash would protect. A key may be limited to some
knowledge bases and to reading (asking, searching, listing) or also writing (uploading and
removing documents).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from .config import Config
from .errors import RagError, UsageError

Access = Literal["read", "write"]
FORMAT = 1
PREFIX = "rag-"
_NAME = re.compile(r"^[^\W_][\w.-]{0,63}$")


class KeyDenied(RagError):
    """A request's key is missing, unknown or not allowed; ``status`` is 401 or 403."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ApiKey:
    name: str
    sha256: str
    shown: str  # the first characters, so a user can tell keys apart in `rag keys list`
    kbs: tuple[str, ...] = ("*",)  # knowledge bases it opens; "*" = all
    access: Access = "read"
    created: float = 0.0

    def allows(self, kb: str, need: Access) -> bool:
        return ("*" in self.kbs or kb in self.kbs) and (need == "read" or self.access == "write")

    def to_json(self) -> dict:
        return asdict(self) | {"kbs": list(self.kbs)}


def path(config: Config) -> Path:
    return Path(config.data) / "keys.json"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def load(config: Config) -> list[ApiKey]:
    p = path(config)
    if not p.exists():
        return []
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
        if raw.get("format") != FORMAT:
            raise ValueError(f"format {raw.get('format')!r}")
        return [ApiKey(k["name"], k["sha256"], k["shown"], tuple(k["kbs"]), k["access"], k["created"])
                for k in raw["keys"]]
    except (ValueError, KeyError, TypeError) as e:
        raise RagError(f"the key file {p} is damaged ({e})", "restore it, or delete it and create keys again") from None


def _save(config: Config, keys: list[ApiKey]) -> None:
    p = path(config)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".keys-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:  # mkstemp makes it 0600
            json.dump({"format": FORMAT, "keys": [k.to_json() for k in keys]}, f, ensure_ascii=False, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def create(config: Config, name: str, kbs: list[str] | None = None, access: Access = "read") -> tuple[ApiKey, str]:
    """A new key; returns it and the secret, which is not stored anywhere."""
    from . import kbs as kbmod

    if not _NAME.fullmatch(name or ""):
        raise UsageError(f"invalid key name {name[:80]!r}", "use up to 64 letters, digits, '.', '-' or '_'")
    if access not in ("read", "write"):
        raise UsageError(f"access must be read or write, not {access!r}")
    for kb in kbs or []:
        kbmod.check_name(kb)
    keys = load(config)
    if any(k.name == name for k in keys):
        raise UsageError(f"a key named {name!r} exists", f"revoke it first: `rag keys revoke {name}`")
    token = PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name, _digest(token), token[:10], tuple(kbs or ["*"]), access, round(time.time(), 3))
    _save(config, keys + [key])
    return key, token


def revoke(config: Config, name: str) -> None:
    keys = load(config)
    if not any(k.name == name for k in keys):
        raise UsageError(f"no key named {name!r}", "see `rag keys list`")
    _save(config, [k for k in keys if k.name != name])


def identify(keys: list[ApiKey], token: str | None) -> ApiKey:
    """The key ``token`` belongs to, whatever it may open; else ``KeyDenied`` (401)."""
    if not token:
        raise KeyDenied("an API key is required: send 'Authorization: Bearer KEY'", 401)
    digest = _digest(token)
    for key in keys:
        if hmac.compare_digest(key.sha256, digest):
            return key
    raise KeyDenied("unknown API key", 401)


def check(keys: list[ApiKey], token: str | None, kb: str, need: Access) -> ApiKey:
    """The key ``token`` belongs to, if it opens ``kb`` for ``need``; else ``KeyDenied``
    (401: no or unknown key; 403: a real key without that right)."""
    key = identify(keys, token)
    if not key.allows(kb, need):
        raise KeyDenied(f"key {key.name!r} may not {'change' if need == 'write' else 'read'} "
                        f"knowledge base {kb!r}", 403)
    return key
