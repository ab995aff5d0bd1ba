"""The embedding backend choice (torch | onnx-int8): config, manifest, and the int8 embedder
itself (fake parts here; the real bundled model in the integration tests below)."""
import json
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from rag import store
from rag.config import Config
from rag.errors import IndexMismatchError, UsageError
from rag.index import update_index
from rag.retrieve import Retriever

from conftest import FakeEmbedder

INT8 = Config(embed_backend="onnx-int8")
TORCH = Config(embed_backend="torch", embed_precision="fp32")  # float32 whatever the CPU has


# ---------------------------------------------------------------- config and manifest

def test_config_accepts_known_backends_only():
    assert Config().embed_backend == "auto" and Config().index_settings()["embed_backend"] == "torch"
    assert Config.from_env({"RAG_EMBED_BACKEND": "onnx-int8"}).embed_backend == "onnx-int8"
    with pytest.raises(UsageError, match="unknown embedding backend 'gpu'") as e:
        Config.from_env({"RAG_EMBED_BACKEND": "gpu"})
    assert "onnx-int8" in str(e.value)  # the hint lists the choices
    assert INT8.index_settings()["embed_backend"] == "onnx-int8"


@pytest.fixture
def torch_index(tmp_path, seeds_dir, fake_embedder):
    root = tmp_path / "idx"
    update_index(root, [seeds_dir], TORCH, fake_embedder)
    return root


def test_index_of_another_backend_is_refused_with_what_to_do(torch_index, seeds_dir, fake_embedder):
    assert store.open_index(torch_index).manifest.config["embed_backend"] == "torch"
    for attempt in (lambda: Retriever.open(torch_index, fake_embedder, INT8),
                    lambda: update_index(torch_index, [seeds_dir], INT8, fake_embedder)):
        with pytest.raises(IndexMismatchError) as e:
            attempt()
        msg = str(e.value)
        assert "built with the torch embedding backend, not onnx-int8" in msg
        assert "RAG_EMBED_BACKEND=torch" in msg and "rag index --rebuild" in msg
    # --rebuild replaces it; then the torch config is the one refused
    update_index(torch_index, [seeds_dir], INT8, fake_embedder, rebuild=True)
    Retriever.open(torch_index, fake_embedder, INT8)
    with pytest.raises(IndexMismatchError, match="RAG_EMBED_BACKEND=onnx-int8"):
        Retriever.open(torch_index, fake_embedder, TORCH)


def test_auto_backend_follows_the_index_and_the_default_for_a_new_one(torch_index, tmp_path, seeds_dir,
                                                                      fake_embedder, monkeypatch):
    from rag import session
    from rag.config import DEFAULT_EMBED_BACKEND

    loaded = []
    monkeypatch.setattr("rag.embed.load_embedder", lambda config: loaded.append(config.backend) or fake_embedder)
    update_index(tmp_path / "int8", [seeds_dir], INT8, fake_embedder)  # an index built with int8
    r = session.open_retriever(tmp_path / "int8", Config(), build=False)
    assert loaded == ["onnx-int8"] and r.config.embed_backend == "onnx-int8"
    session.open_retriever(torch_index, Config(), build=False)  # one built with torch
    assert loaded == ["onnx-int8", "torch"]
    update_index(tmp_path / "new", [seeds_dir], Config(), fake_embedder)  # a new index
    assert store.open_index(tmp_path / "new").manifest.config["embed_backend"] == DEFAULT_EMBED_BACKEND
    # An explicit choice is not overridden: the mismatch is reported instead.
    with pytest.raises(IndexMismatchError, match="RAG_EMBED_BACKEND=torch"):
        session.open_retriever(torch_index, INT8, build=False)


def test_index_from_before_backends_counts_as_torch(torch_index, fake_embedder):
    manifest_path = store.current_generation(torch_index) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    del manifest["config"]["embed_backend"]
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    Retriever.open(torch_index, fake_embedder, TORCH)  # still usable without a rebuild
    with pytest.raises(IndexMismatchError, match="torch embedding backend"):
        Retriever.open(torch_index, fake_embedder, INT8)


def test_cli_reports_the_mismatch_in_one_line(torch_index, monkeypatch):
    from rag.cli import cli

    monkeypatch.setattr("rag.embed.load_embedder", lambda config: FakeEmbedder())
    monkeypatch.setenv("RAG_EMBED_BACKEND", "onnx-int8")
    r = CliRunner().invoke(cli, ["search", "VAST", "--index", str(torch_index)])
    assert r.exit_code == 1
    assert "RAG_EMBED_BACKEND=torch" in r.output and "Traceback" not in r.output


def test_onnxruntime_is_imported_only_when_chosen():
    code = "import sys, rag.cli, rag.embed; print('onnxruntime' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------- int8 embedder, fake parts

class _Encoding:
    def __init__(self, ids):
        self.ids = ids


class _Tokenizer:
    def encode_batch(self, texts):
        return [_Encoding([1 + ord(c) % 7 for c in t]) for t in texts]  # 0 is the pad id


class _Session:
    """Token embeddings = one-hot of the token id, so mean pooling is a histogram."""

    def __init__(self):
        self.rows, self.widths = 0, []

    def run(self, _outputs, feeds):
        ids = feeds["input_ids"]
        self.rows += len(ids)
        self.widths.append(ids.shape[1])
        return [np.eye(8, dtype=np.float32)[ids]]


def _fake_onnx_embedder(batch_size=2):
    from rag.models.embed_onnx import OnnxEmbedder

    emb = OnnxEmbedder.__new__(OnnxEmbedder)  # the runtime part only: no export, no model
    emb.meta = {"pad_id": 0, "pooling": "mean", "do_lower_case": False}
    emb.dim, emb.batch_size = 8, batch_size
    emb.query_prefix, emb.passage_prefix = "q", "p"
    emb.tokenizer, emb.session = _Tokenizer(), _Session()
    return emb


def _expected(text):
    v = np.bincount([1 + ord(c) % 7 for c in text], minlength=8).astype(np.float32)
    return v / np.linalg.norm(v)


def test_int8_embedder_dedupes_sorts_and_pools_like_sentence_transformers():
    emb = _fake_onnx_embedder()
    texts = ["efghijk", "b", "aaaa", "b", "ccdd", "xy", "aaaa"]
    vecs = emb.embed_passages(texts)
    assert vecs.shape == (7, 8) and vecs.dtype == np.float32
    for t, v in zip(texts, vecs):  # input order kept; padding never counted in the mean
        assert np.allclose(v, _expected("p" + t), atol=1e-6)
    assert emb.session.rows == 5  # each distinct text embedded once
    assert emb.session.widths == [3, 5, 8]  # by length: [p+b, p+xy], [p+aaaa, p+ccdd], [p+efghijk]
    assert np.allclose(emb.embed_queries(["b"])[0], _expected("qb"))
    assert emb.embed_passages([]).shape == (0, 8)


def test_ingest_bench_section_from_measured_variants(tmp_path, monkeypatch):
    """The section's arithmetic and contract (figures keys, plot) on canned measurements."""
    from evals.bench import ingest

    monkeypatch.setattr(ingest, "chunk_texts", lambda n: (["文本"] * 4, "test"))
    rng = np.random.default_rng(0)
    ref = rng.normal(size=(4, 8)).astype(np.float32)
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    measured = {"raw": (2.0, ref), "torch": (6.0, ref), "torch-runtime": (4.0, ref),
                "onnx-int8": (8.0, ref * 0.995)}  # cosine 0.995

    def fake_run(variant, texts_file, vectors):
        rate, vecs = measured[variant]
        np.save(vectors, vecs)
        return {"variant": variant, "n": 4, "seconds": 4 / rate, "chunks_per_s": rate, "load_s": 1.0,
                "export_s": 0.0, "peak_rss_mb": 500.0 if variant == "onnx-int8" else 1400.0}

    monkeypatch.setattr(ingest, "_run_variant", fake_run)
    section = ingest.run(True, tmp_path, lambda m: None)
    assert section.name == "ingestion" and section.plot == "ingest.png" and (tmp_path / "ingest.png").is_file()
    assert section.figures == {"ingest_speedup_vs_raw": 4.0, "ingest_chunks_per_s": 8.0,
                               "ingest_raw_chunks_per_s": 2.0, "ingest_default_speedup_vs_raw": 3.0,
                               "ingest_peak_rss_mb": 500}
    assert [r[0] for r in section.rows] == [ingest.LABELS[v] for v in ("raw", "torch", "torch-runtime", "onnx-int8")]
    assert "By default (no setting) indexing embeds at 3.00x raw" in section.note
    assert all(len(r) == len(section.headers) for r in section.rows)


# ---------------------------------------------------------------- the real bundled model

SENTENCES = [
    "澄川数据2019年至2024年上半年累计亏损约370亿元。",
    "TerraPix于3月12日在纽约证券交易所挂牌上市。",
    "Corvin的平台已经服务了全球近300万注册设计师。",
    "Lumora was founded by Mara Lindqvist in 2017.",
    "The quick brown fox jumps over the lazy dog.",
    "短句",
    "很长的文档：" + "澄川数据2019年至2024年上半年累计亏损约370亿元。" * 60,  # cut at 512 tokens, as torch does
]


@pytest.fixture(scope="module")
def bundled():
    from rag.models.e5convert import ensure_bundled_model

    return ensure_bundled_model()


@pytest.fixture(scope="module")
def onnx_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx-cache")


def _load_int8(bundled, cache):
    from rag.models.embed_onnx import OnnxEmbedder

    folder, checksum = bundled
    return OnnxEmbedder(folder, "bundled:multilingual-e5-small", "query: ", "passage: ",
                        source_checksum=checksum, cache=cache)


@pytest.fixture(scope="module")
def int8(bundled, onnx_cache):
    return _load_int8(bundled, onnx_cache)


@pytest.fixture(scope="module")
def fp32():
    from rag.embed import load_embedder

    return load_embedder(TORCH)


@pytest.mark.integration
def test_int8_is_exported_once_and_reused(bundled, onnx_cache, int8):
    from rag.models import embed_onnx

    model = int8.folder / embed_onnx.MODEL
    assert int8.folder.parent == onnx_cache / "onnx" and int8.folder.name == bundled[1]
    before, mtime = embed_onnx.exports, model.stat().st_mtime_ns
    again = _load_int8(bundled, onnx_cache)
    assert embed_onnx.exports == before and model.stat().st_mtime_ns == mtime
    assert again.checksum == int8.checksum
    assert not [p for p in int8.folder.parent.iterdir() if p.name.startswith(".")]  # no temporaries left


@pytest.mark.integration
def test_int8_vectors_agree_with_torch(int8, fp32):
    assert int8.dim == fp32.dim == 384 and int8.name == fp32.name
    assert int8.checksum != fp32.checksum  # vectors of the two backends never share an index
    for a, b in ((int8.embed_passages(SENTENCES), fp32.embed_passages(SENTENCES)),
                 (int8.embed_queries(SENTENCES), fp32.embed_queries(SENTENCES))):
        assert np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
        cos = (a * b).sum(axis=1)
        assert cos.min() > 0.98, cos


@pytest.mark.integration
def test_int8_query_finds_its_passage(int8):
    passages = SENTENCES[:4]  # the four facts; the questions below ask for them in this order
    for i, q in enumerate(["澄川数据累计亏损了多少钱？", "TerraPix是哪天上市的？", "Corvin服务了多少设计师？",
                           "Who founded Lumora?"]):
        scores = int8.embed_passages(passages) @ int8.embed_queries([q])[0]
        assert int(np.argmax(scores)) == i, (q, scores)


@pytest.mark.integration
def test_damaged_int8_file_is_detected_and_rebuilt(bundled, onnx_cache, int8, capfd):
    from rag.models import embed_onnx

    model = int8.folder / embed_onnx.MODEL
    size = model.stat().st_size
    with open(model, "r+b") as f:  # same size, different bytes: only the sha256 notices
        f.seek(size // 2)
        f.write(b"\0" * 4096)
    before = embed_onnx.exports
    rebuilt = _load_int8(bundled, onnx_cache)
    assert embed_onnx.exports == before + 1
    assert "rebuilding (checksum mismatch in model.int8.onnx)" in capfd.readouterr().err
    assert rebuilt.checksum == int8.checksum  # the export is deterministic
    assert np.allclose(rebuilt.embed_passages(SENTENCES), int8.embed_passages(SENTENCES), atol=1e-6)


@pytest.mark.integration
def test_config_selects_int8_and_index_search_works(tmp_path, seeds_dir, int8, onnx_cache, monkeypatch):
    import rag.embed
    import rag.models.embed_onnx
    from rag.embed import load_embedder

    monkeypatch.setattr(rag.models.embed_onnx, "cache_dir", lambda: onnx_cache)  # reuse the test's export
    monkeypatch.setattr(rag.embed, "_CACHE", {})
    emb = load_embedder(INT8)
    assert isinstance(emb, rag.models.embed_onnx.OnnxEmbedder) and emb.checksum == int8.checksum
    update_index(tmp_path / "idx", [seeds_dir], INT8, emb)
    hits = Retriever.open(tmp_path / "idx", emb, INT8).search("VAST服务了多少专业建模师？", 3).hits
    assert any("500万专业建模师" in h.chunk.text for h in hits)


def test_precision_is_part_of_the_index_and_checked(tmp_path, fake_embedder):
    """RAG_EMBED_PRECISION=bf16 (passages under bfloat16 autocast) is recorded like the
    backend: an index built in float32 is refused with it, an unknown value is a usage error."""
    from rag.errors import IndexMismatchError, UsageError
    from rag.index import update_index
    from rag.retrieve import Retriever

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("钟楼建于1907年，高三十米。", encoding="utf-8")
    update_index(tmp_path / "idx", [docs], Config(), fake_embedder)
    assert store.open_index(tmp_path / "idx").manifest.config["embed_precision"] == "fp32"
    Retriever.open(tmp_path / "idx", fake_embedder, Config(embed_precision="fp32"))
    with pytest.raises(IndexMismatchError, match="embed_precision"):
        Retriever.open(tmp_path / "idx", fake_embedder, Config(embed_precision="bf16"))
    with pytest.raises(UsageError, match="precision"):
        Config(embed_precision="fp16")
    assert Config.from_env({"RAG_EMBED_PRECISION": "bf16"}).embed_precision == "bf16"


def test_auto_precision_is_bf16_only_where_the_cpu_has_bfloat16_units(tmp_path, fake_embedder, monkeypatch):
    """A new index embeds passages in bf16 on the torch backend when the CPU multiplies
    bfloat16 in hardware; an existing index keeps the precision it was built with."""
    from rag import session
    from rag.index import update_index
    from rag.retrieve import Retriever

    assert Config().precision == "fp32"  # no bfloat16 units (conftest)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("钟楼建于1907年，高三十米。", encoding="utf-8")
    update_index(tmp_path / "old", [docs], Config(), fake_embedder)

    monkeypatch.setattr("rag.config.bf16_units", lambda: True)
    assert Config().precision == "bf16"
    assert Config(embed_backend="onnx-int8").precision == "fp32"  # int8 has no bf16 path
    assert Config(embedder="http://127.0.0.1:9/v1").precision == "fp32"  # the server decides
    assert Config(embed_precision="fp32").precision == "fp32"  # an explicit choice stands
    # The float32 index is still opened and added to in float32 on this CPU.
    config = session.resolve_backend(tmp_path / "old", Config())
    assert config.precision == "fp32"
    (docs / "b.txt").write_text("图书馆藏书十万册。", encoding="utf-8")
    update_index(tmp_path / "old", [docs], config, fake_embedder)
    Retriever.open(tmp_path / "old", fake_embedder, config)
    assert store.open_index(tmp_path / "old").manifest.config["embed_precision"] == "fp32"
    # A new index is built in bf16, and says so.
    assert session.resolve_backend(tmp_path / "new", Config()).precision == "bf16"
    update_index(tmp_path / "new", [docs], Config(), fake_embedder)
    assert store.open_index(tmp_path / "new").manifest.config["embed_precision"] == "bf16"


@pytest.mark.integration
def test_bf16_passages_agree_with_float32():
    """RAG_EMBED_PRECISION=bf16 runs the same model's passages under bfloat16 autocast: the
    vectors stay at cosine >= 0.9995 to float32 (0.99999 measured on CMRC2018 chunks), where
    int8's stay above 0.98 only; queries are unchanged."""
    from rag.embed import load_embedder

    fp32 = load_embedder(TORCH.with_(embed_runtime="torch"))  # autocast is torch's: its own path
    bf16 = load_embedder(TORCH.with_(embed_precision="bf16", embed_runtime="torch"))
    assert bf16 is not fp32 and bf16.checksum == fp32.checksum  # the same model, recorded apart by the setting
    a, b = bf16.embed_passages(SENTENCES), fp32.embed_passages(SENTENCES)
    assert np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-3)
    assert (a * b).sum(axis=1).min() > 0.9995
    assert not np.array_equal(a, b)  # bfloat16 really ran (its rounding shows)
    assert np.array_equal(bf16.embed_queries(SENTENCES), fp32.embed_queries(SENTENCES))


# ---------------------------------------------------------------- passages on OpenVINO

def test_embed_runtime_is_a_checked_setting_and_not_part_of_the_index(tmp_path):
    """RAG_EMBED_RUNTIME picks what runs the torch backend's passages; the vectors agree to
    rounding, so an index does not record it and either runtime may update it."""
    from rag.embed import _make

    assert Config().embed_runtime == "auto"
    assert Config.from_env({"RAG_EMBED_RUNTIME": "torch"}).embed_runtime == "torch"
    with pytest.raises(UsageError, match="unknown embedding runtime 'tpu'") as e:
        Config.from_env({"RAG_EMBED_RUNTIME": "tpu"})
    assert "openvino" in str(e.value)
    assert "embed_runtime" not in Config().index_settings()
    assert Config(embed_runtime="torch").index_settings() == Config(embed_runtime="openvino").index_settings()
    with pytest.raises(UsageError, match="torch backend only"):  # int8 runs on ONNX Runtime
        _make(INT8.with_(embed_runtime="openvino"), tmp_path, "x", "", "", "c")


class _Export:
    """Stands for the verified float32 export: unit vectors per text, counting its calls."""

    def __init__(self, folder):
        self.folder, self.meta, self.calls = folder, {"recipe": "test"}, 0

    def _encode(self, texts, progress):
        self.calls += 1
        rng = np.random.default_rng(7)
        v = rng.normal(size=(len(texts), 16)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def _fake_openvino(monkeypatch, noise: float):
    from rag.models import embed_openvino

    class Compiled:
        built = 0  # compiles, counted

        def __init__(self, export, precision, threads):
            self.export = export
            Compiled.built += 1

        def _encode(self, texts, progress):
            v = self.export._encode(texts, progress)
            v = v + noise * np.random.default_rng(1).normal(size=v.shape).astype(np.float32)
            return v / np.linalg.norm(v, axis=1, keepdims=True)

    import importlib.machinery
    import types

    installed = types.ModuleType("openvino")
    installed.__spec__ = importlib.machinery.ModuleSpec("openvino", None)
    monkeypatch.setitem(sys.modules, "openvino", installed)  # "installed"
    monkeypatch.setattr(embed_openvino, "OpenVinoPassages", Compiled)
    return embed_openvino


def test_openvino_passages_are_used_once_checked_against_the_float32_export(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RAG_CACHE", str(tmp_path / "cache"))
    ov = _fake_openvino(monkeypatch, noise=1e-4)  # bfloat16-sized rounding
    export = _Export(tmp_path / "export-a")
    assert ov.openvino_passages(export, "bf16", 2, required=False) is not None
    assert export.calls == 2  # the probes, once for the reference and once through the fake
    verdicts = list((tmp_path / "cache" / "openvino").iterdir())
    assert len(verdicts) == 1 and json.loads(verdicts[0].read_text())["ok"] is True
    # The verdict is kept: the next process does not run the probes again.
    assert ov.openvino_passages(export, "bf16", 2, required=False) is not None
    assert export.calls == 2 and capsys.readouterr().err == ""


def test_openvino_that_disagrees_with_float32_leaves_passages_to_torch(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RAG_CACHE", str(tmp_path / "cache"))
    ov = _fake_openvino(monkeypatch, noise=0.5)  # not rounding: something is wrong
    export = _Export(tmp_path / "export-b")
    assert ov.openvino_passages(export, "bf16", 2, required=False) is None
    err = capsys.readouterr().err
    assert err.startswith("rag: passages are embedded by torch: OpenVINO bf16 differs") and err.count("\n") == 1
    from rag.errors import ModelError

    with pytest.raises(ModelError, match="RAG_EMBED_RUNTIME=torch"):  # asked for by name: an error
        ov.openvino_passages(export, "bf16", 2, required=True)
    # The failed verdict is kept: later processes go to torch without compiling again.
    assert ov.OpenVinoPassages.built == 1
    assert ov.openvino_passages(export, "bf16", 2, required=False) is None
    assert ov.OpenVinoPassages.built == 1 and "differs" in capsys.readouterr().err
    # A verdict belongs to the CPU it was reached on: another CPU checks again.
    monkeypatch.setattr(ov, "cpu", lambda: "x86_64|another CPU|")
    assert ov.openvino_passages(export, "bf16", 2, required=False) is None
    assert ov.OpenVinoPassages.built == 2


def test_without_openvino_passages_stay_on_torch_unless_it_was_asked_for(monkeypatch, tmp_path):
    from rag.errors import ModelError
    from rag.models.embed_openvino import openvino_passages

    monkeypatch.setitem(sys.modules, "openvino", None)  # not installed: the lookup finds no openvino
    assert openvino_passages(_Export(tmp_path), "bf16", 2, required=False) is None
    with pytest.raises(ModelError, match="OpenVINO is not installed") as e:
        openvino_passages(_Export(tmp_path), "bf16", 2, required=True)
    assert "RAG_EMBED_RUNTIME=auto" in str(e.value)


@pytest.mark.integration
def test_default_passages_run_on_openvino_and_agree_with_torch(fp32):
    """The default passage path is the verified float32 export on OpenVINO (bf16 where the
    CPU has bfloat16 units): vectors at cosine >= 0.9999 to torch's float32, the same
    model name and checksum (so an index built either way is updated either way), and the
    queries of the export unchanged. RAG_EMBED_RUNTIME=torch keeps sentence-transformers."""
    from rag.embed import SentenceTransformerEmbedder, load_embedder
    from rag.models.embed_openvino import OpenVinoPassages

    torch32 = load_embedder(TORCH.with_(embed_runtime="torch"))
    assert isinstance(torch32.passage_embedder, SentenceTransformerEmbedder)
    for precision in ("fp32", "bf16"):
        ov = load_embedder(TORCH.with_(embed_precision=precision, embed_runtime="openvino"))
        assert isinstance(ov.passage_embedder, OpenVinoPassages)
        assert (ov.name, ov.checksum, ov.dim) == (torch32.name, torch32.checksum, torch32.dim)
        a, b = ov.embed_passages(SENTENCES), torch32.embed_passages(SENTENCES)
        assert np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-3)
        assert (a * b).sum(axis=1).min() > 0.9999
        if precision == "bf16" and "amx_bf16" in open("/proc/cpuinfo").read():  # conftest hides the units
            assert not np.allclose(a, b, atol=1e-6)  # bfloat16 really ran (its rounding shows)
        assert np.array_equal(ov.embed_queries(SENTENCES), torch32.embed_queries(SENTENCES))
