"""Cache folders built once and renamed into place (the converted embedder, its ONNX export).

Built in a temporary sibling and renamed: an interrupted build never leaves a half-written
folder under the real name, and a killed build's temporary is swept by the next one.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

STALE_TMP_SECONDS = 3600  # a temporary this old belongs to a build that was killed


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def folder_checksum(folder: Path) -> str:
    """A cheap, stable identity for a model folder: hash of file names, sizes and the
    config. (Hashing gigabytes of weights on every start would cost seconds.)"""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(folder)).encode())
            h.update(str(p.stat().st_size).encode())
            if p.suffix == ".json":
                h.update(p.read_bytes())
    return h.hexdigest()[:16]


def write_file_atomic(path: Path, data: bytes) -> None:
    """Write one cache file through a temporary sibling and a rename: a reader (or a
    concurrent writer of the same content) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def install(tmp: Path, folder: Path, replace: bool) -> None:
    """Rename the finished folder into place. A broken folder being rebuilt (``replace``)
    is moved aside first and deleted after; a folder that appeared meanwhile comes from a
    concurrent build and is kept (it is as good as ours)."""
    old = tmp.with_name(tmp.name.replace(".tmp-", ".old-"))  # unique, like tmp
    if replace and folder.exists():
        os.replace(folder, old)
    try:
        os.replace(tmp, folder)
    except OSError:
        if not folder.is_dir():
            raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


def remove_stale_temporaries(folder: Path) -> None:
    """Delete temporaries (~0.5 GB each) left by builds that were killed midway."""
    cutoff = time.time() - STALE_TMP_SECONDS
    for p in folder.parent.glob(f".{folder.name}.*-*"):
        if p.is_dir() and p.stat().st_mtime < cutoff:
            shutil.rmtree(p, ignore_errors=True)


def build_folder(folder: Path, describe: Callable[[bool], str], fill: Callable[[Path], None]) -> None:
    """Build ``folder`` with ``fill(tmp)``, saying on stderr what happens:
    ``describe(rebuild)`` names the work ("converting (one time)")."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(folder)
    rebuild = folder.exists()
    print(f"rag: {describe(rebuild)} into {folder} ...", end="", file=sys.stderr, flush=True)
    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
    try:
        fill(tmp)
        install(tmp, folder, replace=rebuild)
    except BaseException:
        print(" failed", file=sys.stderr)
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f" done in {time.monotonic() - started:.0f} s", file=sys.stderr)
