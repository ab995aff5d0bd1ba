"""llama.cpp state of a fixed prompt prefix, kept on disk across processes.

Every answer starts with the same system prompt and worked examples (prompt.fixed_prefix,
349 tokens for Chinese with the bundled model). Within one process llama.cpp reuses their
KV cache; a new process (`rag ask` from a shell) evaluated them again, ~7 s on 2 cores,
before reading a single passage. The state after that prefix is ~10 MB and reads back in
milliseconds, so it is saved once per (model file, context size, prefix) and restored
into the in-memory prefix cache (llama.py) when the model loads a prompt with that prefix.

A file is only ever an optimisation: unreadable, from another model or refused by
llama.cpp, it is deleted and the prefix evaluated as before. The format is plain (a
JSON header, the token ids, llama.cpp's own state bytes), not pickle: nothing in a cache
folder gets to run code.
"""
from __future__ import annotations

import hashlib
import json
import os
import struct
from pathlib import Path

MAGIC = b"RAGPFX1\n"


def key(model: Path, n_ctx: int, prefix_text: str) -> str:
    """A file name for this model file (path, size, mtime), context size and prefix."""
    st = model.stat()
    ident = f"{model.resolve()}|{st.st_size}|{st.st_mtime_ns}|{n_ctx}|{prefix_text}"
    return hashlib.sha256(ident.encode("utf-8")).hexdigest()[:32] + ".state"


def write(path: Path, tokens: list[int], n_tokens: int, seed: int, state: bytes) -> None:
    """Atomically: a reader never sees half a file."""
    header = json.dumps({"n_tokens": n_tokens, "seed": seed, "n_ids": len(tokens),
                         "state_bytes": len(state)}).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(MAGIC + struct.pack("<I", len(header)) + header)
        f.write(struct.pack(f"<{len(tokens)}i", *tokens))
        f.write(state)
    os.replace(tmp, path)


def read(path: Path) -> tuple[list[int], int, int, bytes] | None:
    """(token ids, n_tokens, seed, state bytes), or None when the file is not a whole one."""
    try:
        data = path.read_bytes()
        if not data.startswith(MAGIC):
            return None
        at = len(MAGIC)
        (size,) = struct.unpack_from("<I", data, at)
        header = json.loads(data[at + 4: at + 4 + size])
        at += 4 + size
        n_ids, n_state = int(header["n_ids"]), int(header["state_bytes"])
        tokens = list(struct.unpack_from(f"<{n_ids}i", data, at))
        at += 4 * n_ids
        state = data[at:at + n_state]
        if len(state) != n_state or at + n_state != len(data):
            return None
        return tokens, int(header["n_tokens"]), int(header["seed"]), state
    except (OSError, ValueError, KeyError, struct.error):
        return None
