"""Vectors of an unfinished `rag index` run, saved a round at a time, so a run that is
killed (or runs out of memory, or loses its laptop lid) resumes where it stopped.

Embedding is most of an index build (2,000 documents: about 2 minutes on 2 cores); the
folder store writes its new generation only at the end, so without this a kill at 90%
costs the whole run again. Each round of freshly embedded chunks is appended here as two
files (keys, vectors), written to a temporary name and renamed; the next run takes every
vector whose key (a hash of the text the embedder saw) it needs, and the folder is removed
once a generation is written. A journal made with other settings (embedder, prefixes,
backend, chunking) is ignored and replaced.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Sequence

import numpy as np

FOLDER = "embedding.partial"


def text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class Journal:
    def __init__(self, root: Path, settings: dict, checksum: str):
        self.folder = Path(root) / FOLDER
        self.stamp = json.dumps({"settings": settings, "embedder": checksum}, sort_keys=True)

    def _valid(self) -> bool:
        try:
            return (self.folder / "settings.json").read_text(encoding="utf-8") == self.stamp
        except OSError:
            return False

    def load(self) -> dict[bytes, np.ndarray]:
        """key -> vector for everything saved by earlier runs with these settings."""
        if not self._valid():
            return {}
        out: dict[bytes, np.ndarray] = {}
        for keys_file in sorted(self.folder.glob("*.keys.npy")):
            vec_file = keys_file.with_name(keys_file.name.replace(".keys.npy", ".vecs.npy"))
            try:
                keys = np.load(keys_file, allow_pickle=False)
                vecs = np.load(vec_file, allow_pickle=False)
            except (OSError, ValueError):
                continue  # a round cut off mid-write: embedded again
            if len(keys) == len(vecs):
                out.update(zip((k.tobytes() for k in keys), vecs))
        return out

    def save(self, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        if not self._valid():
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir(parents=True)
            (self.folder / "settings.json").write_text(self.stamp, encoding="utf-8")
        n = len(list(self.folder.glob("*.vecs.npy")))
        arr = np.frombuffer(b"".join(keys), dtype="V16")
        # vectors first, keys last: a round is read only when its keys file exists
        for suffix, data in ((".vecs.npy", np.asarray(vectors, np.float32)), (".keys.npy", arr)):
            tmp = self.folder / f"tmp-{os.getpid()}{suffix}"
            with open(tmp, "wb") as f:
                np.save(f, data, allow_pickle=False)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.folder / f"{n:06d}{suffix}")

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
