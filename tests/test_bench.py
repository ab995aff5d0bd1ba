"""`rag bench`: the harness (fake section modules in subprocesses), and the FAISS measurements
on a small synthetic set. No real models; everything written under tmp_path."""
from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from evals.bench import __main__ as bench
from evals.bench import ann, synth
from evals.bench.__main__ import REQUIRED, bench_cmd
from rag.cli import cli

FAKE_OK = """
    from evals.bench.common import Section, section_main

    def run(quick, out, say):
        say("fake: measuring")
        (out / "fake.png").write_bytes(b"png")
        return Section("retrieval", "Fake retrieval", "A note.", ["what", "p50 ms"], [["search", 12.5]],
                       {"retrieval_p50_ms_10k": 12.5, "retrieval_peak_rss_mb": 321.0, "extra_figure": 1.0},
                       "fake.png")

    if __name__ == "__main__":
        section_main(run)
"""
FAKE_FAIL = """
    from evals.bench.common import section_main

    def run(quick, out, say):
        raise RuntimeError("model missing\\nsecond line")

    if __name__ == "__main__":
        section_main(run)
"""
FAKE_CRASH = """
    import os
    os._exit(3)
"""


@pytest.fixture
def fake_sections(tmp_path, monkeypatch):
    """Fake section modules importable by the section subprocesses (via PYTHONPATH)."""
    pkg = tmp_path / "mods"
    pkg.mkdir()
    for name, body in {"fake_ok": FAKE_OK, "fake_fail": FAKE_FAIL, "fake_crash": FAKE_CRASH}.items():
        (pkg / f"{name}.py").write_text(textwrap.dedent(body))
    repo = Path(__file__).resolve().parent.parent
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(pkg), str(repo), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.syspath_prepend(str(pkg))  # the harness checks a module exists before starting it
    return pkg


def invoke(*args):
    return CliRunner().invoke(bench_cmd, list(args), catch_exceptions=False)


def test_harness_writes_report_json_and_figures(tmp_path, fake_sections, monkeypatch):
    monkeypatch.setattr(bench, "SECTIONS", {"retrieval": "fake_ok"})
    out = tmp_path / "out"
    r = invoke("--quick", "--json", "--out", str(out))
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)  # stdout is exactly one JSON object
    for key in REQUIRED:
        assert key in data
    assert data["retrieval_p50_ms_10k"] == 12.5 and data["extra_figure"] == 1.0
    assert data["ingest_speedup_vs_raw"] is None and data["ttft_s"] is None  # sections that did not run
    assert data["peak_rss_mb"] == 321.0  # max of the sections' *_peak_rss_mb
    assert data["failed"] == {}
    md = (out / "BENCH.md").read_text(encoding="utf-8")
    assert "Fake retrieval" in md and "| search | 12.5 |" in md and "A note." in md and "![Fake retrieval](fake.png)" in md
    assert "rag bench --quick --json" in md and "cores" in md and "numpy" in md
    report = json.loads((out / "bench.json").read_text(encoding="utf-8"))
    assert report["figures"]["retrieval_p50_ms_10k"] == 12.5 and report["machine"]["cores"] >= 1
    assert report["sections"][0]["rows"] == [["search", 12.5]]
    assert not list(out.glob(".*.section.json"))  # hand-over files are cleaned up


def test_failing_sections_are_reported_and_the_others_still_run(tmp_path, fake_sections, monkeypatch):
    monkeypatch.setattr(bench, "SECTIONS", {"ingestion": "fake_fail", "retrieval": "fake_ok",
                                            "generation": "evals.bench.no_such_module", "coldstart": "fake_crash"})
    out = tmp_path / "out"
    r = invoke("--json", "--out", str(out))
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert data["retrieval_p50_ms_10k"] == 12.5
    assert data["failed"]["ingestion"].startswith("RuntimeError: model missing")
    assert "\n" not in data["failed"]["ingestion"]
    assert data["failed"]["generation"] == "module evals.bench.no_such_module is missing"
    assert data["failed"]["coldstart"].startswith("exited with code 3")
    md = (out / "BENCH.md").read_text(encoding="utf-8")
    assert "failed: RuntimeError: model missing" in md and "failed: module evals.bench.no_such_module is missing" in md
    assert (out / "fake_fail.error.log").exists()  # the traceback is kept, not printed


def test_only_selects_sections_and_rejects_unknown(tmp_path, fake_sections, monkeypatch):
    monkeypatch.setattr(bench, "SECTIONS", {"ingestion": "fake_fail", "retrieval": "fake_ok"})
    r = invoke("--only", "retrieval", "--out", str(tmp_path / "o"))
    assert r.exit_code == 0 and "Fake retrieval" in r.stdout and "ingestion" not in r.stdout.split("## Summary")[1]
    r = CliRunner().invoke(bench_cmd, ["--only", "nope", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "unknown section nope" in r.output


def test_rag_bench_help():
    r = CliRunner().invoke(cli, ["bench", "--help"])
    assert r.exit_code == 0 and "--quick" in r.output and "--only" in r.output


# ---------------------------------------------------------------------------- FAISS measurements

@pytest.fixture(scope="module")
def small_set():
    X = synth.mixture_vectors(4000, synth.MixtureSpec(dim=32))
    Q = synth.near_queries(X, 40)
    return X, Q, ann.exact_top(X, Q)


def test_vectors_are_normalised_deterministic_and_structured(small_set):
    X, Q, _ = small_set
    assert X.dtype == np.float32 and np.allclose(np.linalg.norm(X, axis=1), 1, atol=1e-5)
    assert np.array_equal(synth.mixture_vectors(4000, synth.MixtureSpec(dim=32)), X)  # deterministic
    stats = synth.structure_stats(X, sample=200)
    assert stats["nn1_cos"] > stats["mean_cos_random"]  # neighbourhoods exist: not uniform noise


def test_exact_recall_is_one_and_ivf_recall_is_a_fraction(small_set):
    X, Q, truth = small_set
    flat = ann.build("flat", X)
    m = ann.measure("flat", flat.index, Q, truth, 50, "exact")
    assert m.recall10 == 1.0 and m.p50_ms > 0 and m.p95_ms >= m.p50_ms and m.setting == "exact"
    assert flat.size_mb == pytest.approx(4000 * 32 * 4 / 2**20, rel=0.05)
    ivf = ann.build("ivf", X)
    results = ann.sweep("ivf", ivf.index, [1, 64], Q, truth, 50)
    assert [r.setting for r in results][0] == "nprobe=1"
    assert all(0.0 <= r.recall10 <= 1.0 for r in results)
    assert sum(r.is_default for r in results) == 1  # rag's own nprobe is among them, flagged
    default = next(r for r in results if r.is_default)
    assert default.setting == f"nprobe={ivf.index.nprobe}"  # the sweep leaves rag's setting in place
    assert results[-1].recall10 >= results[0].recall10  # more probes, no less recall


def test_sampled_ivf_keeps_build_faiss_layout(small_set):
    X, _, _ = small_set
    sampled = ann.build("ivf", X, train_per_list=10)
    assert sampled.index.nlist == ann.build("ivf", X).index.nlist and sampled.how.startswith("k-means on 1,0")


def test_best_at_prefers_fastest_setting_reaching_the_goal():
    ms = [ann.Measured("ivf", 10, "nprobe=4", False, 1.0, 2.0, 0.90),
          ann.Measured("ivf", 10, "nprobe=16", True, 2.0, 3.0, 0.96),
          ann.Measured("hnsw", 10, "efSearch=64", True, 1.5, 2.0, 0.99),
          ann.Measured("flat", 10, "exact", False, 9.0, 9.0, 1.0)]
    assert ann.best_at(ms, 10).setting == "efSearch=64"
    assert ann.best_at(ms[:1], 10).setting == "nprobe=4"  # none reaches it: the most accurate


def test_synthetic_bm25_matches_bm25s_index():
    """The vectorised BM25 matrix scores exactly like bm25s's own index over the same tokens."""
    import bm25s

    words = [f"w{i}" for i in range(60)]
    probs = 1 / np.arange(1, 61)
    table = synth._sampler(probs / probs.sum(), bits=12)
    p = synth._postings(300, table, 20, seed=0, block=64)
    docs = [[] for _ in range(300)]
    for d, t, f in zip(p.docs, p.toks, p.tf):
        docs[d] += [words[t]] * int(f)
    ref = bm25s.BM25()
    ref.index(docs, show_progress=False)
    slots, _ = synth._csc_slots(p, int(table.max()) + 1)
    order = np.empty_like(slots)
    order[slots] = np.arange(len(slots))
    assert np.all(np.diff(p.toks[order]) >= 0)  # column order
    query = [words[int(p.toks[0])], words[int(p.toks[5])]]
    mine = synth.bm25_from_postings(p, words[:int(table.max()) + 1])
    a = ref.retrieve([query], k=5, show_progress=False)
    b = mine.model.retrieve([query], k=5, show_progress=False)
    assert np.allclose(a.scores, b.scores, atol=1e-5)
