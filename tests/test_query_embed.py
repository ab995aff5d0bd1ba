"""The torch backend's query path (rag/models/query_fp32.py): queries embedded by the verified
float32 ONNX export without importing torch, passages by sentence-transformers loaded on first
use, the fallback to torch, the cache; and the small-vocabulary tokenizer
(rag/models/query_tokenizer.py). Unit tests on a tiny hand-made ONNX model and tokenizer; the
real bundled model in the integration tests below."""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag import embed
from rag.config import Config
from rag.models import embed_onnx, query_fp32, query_tokenizer
from rag.models.cachefs import folder_checksum

from conftest import REPO, SEEDS

DIM = 8
SPECIALS = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
PIECES = [("▁", -2.0), ("a", -3.0), ("b", -3.5), ("c", -4.0), ("ab", -2.5), ("bc", -3.2), ("abc", -4.5),
          ("▁a", -2.2), ("▁ab", -3.1), ("▁abc", -3.3), ("中", -3.0), ("文", -3.0), ("中文", -2.0), ("▁中文", -2.9),
          ("q", -5.0), ("u", -5.0), ("e", -5.0), ("r", -5.0), ("y", -5.0), (":", -4.0), ("▁query", -1.0),
          ("query", -1.5), ("p", -6.0), ("s", -6.0), ("g", -6.0), ("▁passage", -1.0), ("<mask>", 0.0)]
ALPHABET = list("abcqueryp:中文é ") + ["<s>", "<mask>", "  "]


def _tokenizer_json(path) -> None:
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, processors

    tok = Tokenizer(models.Unigram(SPECIALS + PIECES, unk_id=3, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    tok.add_special_tokens([s for s, _ in SPECIALS] + ["<mask>"])
    tok.save(str(path))


def _table() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(len(SPECIALS) + len(PIECES), DIM)).astype(np.float32)


def _onnx_model(path) -> None:
    """token_embeddings = table[input_ids] * attention_mask: a one-layer 'transformer'."""
    from onnx import TensorProto, helper, numpy_helper, save_model

    nodes = [helper.make_node("Gather", ["table", "input_ids"], ["emb"], axis=0),
             helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
             helper.make_node("Unsqueeze", ["maskf", "axes"], ["mask3"]),
             helper.make_node("Mul", ["emb", "mask3"], ["token_embeddings"])]
    graph = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"]) for n in ("input_ids", "attention_mask")],
        [helper.make_tensor_value_info("token_embeddings", TensorProto.FLOAT, ["batch", "sequence", DIM])],
        initializer=[numpy_helper.from_array(_table(), "table"), numpy_helper.from_array(np.array([-1], np.int64), "axes")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    save_model(model, str(path))


def _reference(texts, folder, noise=0.0) -> np.ndarray:
    """What torch would compute for the tiny model: mean of the table rows, normalised."""
    tok = embed_onnx.load_tokenizer(folder)
    tok.no_padding()
    tok.enable_truncation(16)
    vecs = np.stack([_table()[e.ids].mean(axis=0) for e in tok.encode_batch(list(texts))])
    vecs = vecs / np.linalg.norm(vecs, axis=1, keepdims=True) + noise
    return vecs.astype(np.float32)


class _FakeST:
    """What query_fp32._export uses of a SentenceTransformer."""

    def __init__(self, noise: float):
        self.noise, self.out = noise, None
        self.tokenizer = self
        self.backend_tokenizer = self

    def save(self, path: str) -> None:
        _tokenizer_json(path)

    def encode(self, texts, **_kwargs) -> np.ndarray:
        return _reference(texts, self.out, self.noise)


@pytest.fixture
def model(tmp_path, monkeypatch):
    """A model folder, RAG_CACHE in tmp_path, and the export's torch parts faked
    (``model.noise``: what torch's vectors differ by; ``model.trace_error``: the tracer fails)."""
    folder = tmp_path / "tiny-e5"
    folder.mkdir()
    (folder / "config.json").write_text("{}", encoding="utf-8")
    monkeypatch.setenv("RAG_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(embed, "_CACHE", {})
    st = _FakeST(0.0)

    def load_for_export(_folder):
        return st, {"pooling": "mean", "do_lower_case": False, "max_seq_length": 16, "dim": DIM, "pad_id": 1}

    def trace(_st, _pad_id, path):
        if getattr(st, "trace_error", None):
            raise RuntimeError(st.trace_error)
        st.out = path.parent
        _onnx_model(path)

    monkeypatch.setattr(embed_onnx, "load_for_export", load_for_export)
    monkeypatch.setattr(embed_onnx, "trace", trace)
    st.folder, st.checksum = folder, folder_checksum(folder)
    return st


class _FakeTorch:
    """Stands in for SentenceTransformerEmbedder: counts how often it is loaded."""

    loads = 0

    def __init__(self, folder, name, q, p, max_seq_length, batch_size, checksum, precision="fp32"):
        type(self).loads += 1
        self.name, self.checksum, self.dim = name, checksum, DIM

    def embed_passages(self, texts, progress=False):
        return np.ones((len(texts), DIM), np.float32)

    def embed_queries(self, texts):
        return np.zeros((len(texts), DIM), np.float32)


@pytest.fixture
def fake_torch(monkeypatch):
    monkeypatch.setattr(embed, "SentenceTransformerEmbedder", _FakeTorch)
    _FakeTorch.loads = 0
    return _FakeTorch


def _load(model):  # passages on (fake) torch: OpenVINO has its own tests (test_embed_backend.py)
    return embed.load_embedder(Config(embedder=str(model.folder), embed_backend="torch", embed_runtime="torch"))


def _export_folder(model):
    return Path(os.environ["RAG_CACHE"]) / query_fp32.FP32.subdir / model.checksum


# ---------------------------------------------------------------- the embedder


def test_queries_run_on_the_export_and_passages_load_torch_once_on_first_use(model, fake_torch, capfd):
    emb = _load(model)
    assert "exporting the embedding model to ONNX fp32 for fast queries (one time)" in capfd.readouterr().err
    assert isinstance(emb, query_fp32.QueryEmbedder) and fake_torch.loads == 0
    assert emb.name == str(model.folder.resolve()) and emb.checksum == model.checksum and emb.dim == DIM
    texts = ["abc 中文", "ab", "c中文abc"]
    np.testing.assert_allclose(emb.embed_queries(texts), _reference(["query: " + t for t in texts], emb.folder),
                               atol=1e-6)  # the e5 prefix, pooling and normalisation of embed_onnx
    assert fake_torch.loads == 0
    assert emb.embed_passages(["x", "y"]).tolist() == np.ones((2, DIM)).tolist() and fake_torch.loads == 1
    emb.embed_passages(["z"])
    assert fake_torch.loads == 1
    verified = emb.meta["verified"]
    assert verified["ok"] and verified["same_ids"] and verified["max_abs_diff"] < 1e-6
    assert verified["probes"] == len(query_fp32.PROBES) == 32


def test_passages_of_any_model_run_on_openvino_by_default_and_torch_is_never_loaded(model, fake_torch):
    """A sentence-transformers folder of the user's own: its verified export, compiled by
    OpenVINO (float32 here: conftest hides bfloat16 units), embeds the passages as torch
    would; the check's verdict is cached beside the other exports."""
    from rag.models.embed_openvino import OpenVinoPassages

    emb = embed.load_embedder(Config(embedder=str(model.folder), embed_backend="torch"))
    texts = ["abc 中文", "ab", "c中文abc", ""]
    np.testing.assert_allclose(emb.embed_passages(texts), _reference(["passage: " + t for t in texts], emb.folder),
                               atol=1e-5)
    assert isinstance(emb.passage_embedder, OpenVinoPassages) and fake_torch.loads == 0
    verdicts = list((Path(os.environ["RAG_CACHE"]) / "openvino").glob("*.json"))
    assert len(verdicts) == 1 and '"ok": true' in verdicts[0].read_text()
    # Two uploads indexed at once (the web app) share the compiled model: the same vectors.
    from concurrent.futures import ThreadPoolExecutor

    many = [t * n for t in texts for n in range(1, 9)]
    alone = emb.embed_passages(many)
    with ThreadPoolExecutor(4) as pool:
        for got in pool.map(lambda _: emb.embed_passages(many), range(8)):
            np.testing.assert_array_equal(got, alone)


def test_embedding_queries_imports_no_torch(model):
    embed.load_embedder(Config(embedder=str(model.folder), embed_backend="torch"))  # exports into RAG_CACHE
    code = ("import sys\nfrom rag.config import Config\nfrom rag.embed import load_embedder\n"
            f"e = load_embedder(Config(embedder={str(model.folder)!r}, embed_backend='torch'))\n"
            "v = e.embed_queries(['abc 中文'])\n"
            "print(type(e).__name__, v.shape, [m for m in ('torch', 'sentence_transformers', 'transformers', 'onnx')"
            " if m in sys.modules])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO,
                         env=dict(os.environ))
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split("\n")[0] == f"QueryEmbedder (1, {DIM}) []"
    assert "exporting" not in out.stderr  # the cache made above is used


def test_export_that_differs_from_torch_is_recorded_and_torch_used(model, fake_torch, capfd):
    model.noise = 1e-3
    emb = _load(model)
    assert isinstance(emb, _FakeTorch) and fake_torch.loads == 1
    err = capfd.readouterr().err
    assert "queries are embedded by torch: the ONNX fp32 export differs from torch by 1.0e-03 (more than 1e-04)" in err
    meta = json.loads((_export_folder(model) / "meta.json").read_text(encoding="utf-8"))
    assert meta["verified"]["ok"] is False and meta["verified"]["max_abs_diff"] == pytest.approx(1e-3, rel=1e-3)
    before = embed_onnx.exports
    embed._CACHE.clear()
    assert isinstance(_load(model), _FakeTorch)  # a new process: the recorded verdict, no export, no message
    assert embed_onnx.exports == before and "torch" not in capfd.readouterr().err


def test_export_that_cannot_be_made_falls_back_to_torch(model, fake_torch, capfd):
    model.trace_error = "unsupported operator aten::foo"
    emb = _load(model)
    assert isinstance(emb, _FakeTorch)
    assert ("queries are embedded by torch: the ONNX fp32 export failed (cannot export it to ONNX: "
            "unsupported operator aten::foo)") in capfd.readouterr().err
    assert sorted(p.name for p in _export_folder(model).iterdir()) == ["meta.json"]


def test_damaged_export_is_rebuilt_and_an_untouched_one_not_hashed(model, fake_torch, capfd, monkeypatch):
    first = _load(model)
    data = first.folder / query_fp32.MODEL
    calls = []
    real_sha = embed_onnx._sha256_file
    monkeypatch.setattr(embed_onnx, "_sha256_file", lambda p: calls.append(p.name) or real_sha(p))
    embed._CACHE.clear()
    _load(model)
    assert calls == []  # sizes and mtimes as recorded: nothing hashed
    os.utime(data)  # touched, same bytes: hashed, found intact, kept
    embed._CACHE.clear()
    before = embed_onnx.exports
    _load(model)
    assert calls == [query_fp32.MODEL] and embed_onnx.exports == before
    with open(data, "r+b") as f:  # same size, other bytes
        f.seek(data.stat().st_size // 2)
        f.write(b"\xff" * 8)
    capfd.readouterr()
    embed._CACHE.clear()
    again = _load(model)
    assert embed_onnx.exports == before + 1
    assert f"rebuilding (checksum mismatch in {query_fp32.MODEL})" in capfd.readouterr().err
    assert isinstance(again, query_fp32.QueryEmbedder)
    np.testing.assert_allclose(again.embed_queries(["abc"]), first.embed_queries(["abc"]), atol=1e-7)


def test_query_session_runs_on_one_thread(model, fake_torch):
    emb = _load(model)
    assert query_fp32.THREADS == 1
    assert emb.session.get_session_options().intra_op_num_threads == 1


# ---------------------------------------------------------------- the small-vocabulary tokenizer


def test_subset_tokenizer_gives_the_ids_of_the_whole_tokenizer(tmp_path):
    _tokenizer_json(tmp_path / "tokenizer.json")
    assert query_tokenizer.save(tmp_path / "tokenizer.json", tmp_path)
    small = query_tokenizer.SubsetTokenizer(tmp_path)
    whole = embed_onnx.load_tokenizer(tmp_path)
    for tok in (small, whole):
        tok.no_padding()
        tok.enable_truncation(12)
    rng = random.Random(0)
    texts = ["", " ", "abc", "query: abc 中文", "a<mask>b", "<s>", "ｑｕｅｒｙ"] + [
        "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 20))) for _ in range(500)]
    for start in range(0, len(texts), 16):
        batch = texts[start:start + 16]
        assert [e.ids for e in small.encode_batch(batch)] == [e.ids for e in whole.encode_batch(batch)], batch


def test_subset_tokenizer_refuses_what_it_cannot_reproduce(tmp_path):
    from tokenizers import Tokenizer, models

    Tokenizer(models.WordLevel({"[UNK]": 0, "a": 1}, unk_token="[UNK]")).save(str(tmp_path / "tokenizer.json"))
    assert not query_tokenizer.save(tmp_path / "tokenizer.json", tmp_path)
    assert not (tmp_path / query_tokenizer.VOCAB).exists()


# ---------------------------------------------------------------- the real bundled model

QUESTIONS = [json.loads(line)["question"] for line in (REPO / "evals" / "questions.jsonl").read_text(
    encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def fast():
    """The torch backend's embedder as `rag search` loads it (exports once into the cache)."""
    from rag.embed import load_embedder

    return load_embedder(Config(embed_backend="torch", embed_precision="fp32"))  # float32 whatever the CPU


@pytest.fixture(scope="module")
def reference(fast):
    """sentence-transformers for everything: what load_embedder returned before the fast path."""
    from rag.models.e5convert import ensure_bundled_model

    folder, checksum = ensure_bundled_model()
    return embed.SentenceTransformerEmbedder(folder, fast.name, "query: ", "passage: ", 512, 16, checksum)


@pytest.mark.integration
def test_fast_path_query_vectors_are_torchs(fast, reference):
    assert isinstance(fast, query_fp32.QueryEmbedder)
    assert (fast.name, fast.checksum, fast.dim) == (reference.name, reference.checksum, reference.dim)
    verified = fast.meta["verified"]
    assert verified["ok"] and verified["same_ids"] and verified["max_abs_diff"] <= query_fp32.TOLERANCE
    texts = QUESTIONS + list(query_fp32.PROBES)
    diff = np.abs(fast.embed_queries(texts) - reference.embed_queries(texts)).max()
    assert diff <= 1e-4, diff  # measured 1.2e-7 on the seed questions


@pytest.mark.integration
def test_fast_path_passages_are_torchs(fast, reference):
    """Passages: exactly sentence-transformers' with RAG_EMBED_RUNTIME=torch; by default
    (OpenVINO where installed, float32 here) the same up to rounding."""
    from rag.embed import load_embedder

    chunks = [t[:300] for t in (p.read_text(encoding="utf-8") for p in sorted(SEEDS.iterdir()))]
    theirs = reference.embed_passages(chunks)
    torch_only = load_embedder(Config(embed_backend="torch", embed_precision="fp32", embed_runtime="torch"))
    assert np.array_equal(torch_only.embed_passages(chunks), theirs)
    assert (fast.embed_passages(chunks) * theirs).sum(axis=1).min() > 0.9999


@pytest.mark.integration
def test_torch_built_index_searched_through_the_fast_path_gives_the_same_hits(fast, reference, tmp_path):
    from rag.index import update_index
    from rag.retrieve import Retriever

    config = Config(embed_backend="torch", embed_precision="fp32")
    update_index(tmp_path / "idx", [SEEDS], config, reference)  # built by sentence-transformers alone
    ours, theirs = (Retriever.open(tmp_path / "idx", e, config) for e in (fast, reference))
    for mode in ("dense", "hybrid"):
        for q in QUESTIONS:
            a, b = ours.search(q, 10, mode).hits, theirs.search(q, 10, mode).hits
            assert [(h.chunk.doc_id, h.chunk.chunk_id, h.rank) for h in a] == \
                   [(h.chunk.doc_id, h.chunk.chunk_id, h.rank) for h in b], (mode, q)
            for x, y in zip(a, b):
                assert (x.dense_score is None) == (y.dense_score is None)
                assert x.dense_score is None or abs(x.dense_score - y.dense_score) <= 1e-4


@pytest.mark.integration
def test_subset_tokenizer_matches_tokenizer_json_on_real_text(fast):
    whole = fast.configure(embed_onnx.load_tokenizer(fast.folder))
    assert isinstance(fast.tokenizer, query_tokenizer.SubsetTokenizer)
    texts = QUESTIONS + [p.read_text(encoding="utf-8")[i:i + 300] for p in sorted(SEEDS.iterdir())
                         for i in range(0, 6000, 250)]
    for start in range(0, len(texts), 16):
        batch = texts[start:start + 16]
        assert [e.ids for e in fast.tokenizer.encode_batch(batch)] == [e.ids for e in whole.encode_batch(batch)]
