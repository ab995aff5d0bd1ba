"""The `rag` command as a user meets it (CliRunner, fake models)."""
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from rag.cli import cli

from conftest import FakeEmbedder, FakeGenerator


@pytest.fixture
def fakes(monkeypatch):
    monkeypatch.setattr("rag.embed.load_embedder", lambda config: FakeEmbedder())
    gen = FakeGenerator(lambda m: "截至目前，VAST工具已经服务了全球近500万专业建模师[1]。")
    monkeypatch.setattr("rag.generate.load_generator", lambda config: gen)
    return gen


def run(*args, **kw):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, **kw)


def test_help_is_instant_and_imports_nothing_heavy():
    code = "import sys, rag.cli; print(any(m in sys.modules for m in ('torch','faiss','gradio','sentence_transformers','llama_cpp')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False"
    assert "index" in run("--help").output


def test_index_search_ask(tmp_path, seeds_dir, fakes):
    idx = str(tmp_path / "idx")
    r = run("index", str(seeds_dir), "--index", idx, "--verbose")
    assert r.exit_code == 0 and "2 added" in r.output
    assert "[disclaimer]" in r.output  # what the cleaner removed is listed
    r = run("index", "--index", idx)
    assert "2 unchanged" in r.output
    r = run("search", "VAST服务了多少专业建模师？", "--index", idx, "--json", "-k", "3")
    data = json.loads(r.output)
    assert data["question"] and len(data["retrieved"]) == 3 and "retrieve_ms" in data["timings"]
    r = run("search", "VAST服务了多少专业建模师？", "--index", idx, "--mode", "bm25")
    assert "500万专业建模师" in r.output
    r = run("ask", "VAST服务了多少专业建模师？", "--index", idx, "--json")
    a = json.loads(r.output)
    assert a["refused"] is False and a["citations"][0]["n"] == 1 and "500万" in a["answer"]
    r = run("ask", "VAST服务了多少专业建模师？", "--index", idx)
    assert "500万" in r.output and "[1]" in r.output
    assert r.output.count("截至目前，VAST工具已经服务了全球近500万专业建模师[1]。") == 1  # not echoed twice


def test_ask_builds_missing_index_from_seeds(tmp_path, seeds_dir, fakes, monkeypatch):
    monkeypatch.chdir(tmp_path)  # ./seeds exists here, ./index does not
    r = run("ask", "VAST服务了多少专业建模师？", "--json")
    assert r.exit_code == 0 and (tmp_path / "index" / "CURRENT").exists()


def test_errors_are_one_line_with_exit_codes(tmp_path, fakes, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no seeds, no index
    r = CliRunner().invoke(cli, ["search", "澄川", "--index", str(tmp_path / "none")])
    assert r.exit_code == 1 and "rag index" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(cli, ["search", "   "])
    assert r.exit_code == 2 and "empty" in r.output
    r = CliRunner().invoke(cli, ["index", str(tmp_path / "missing-folder"), "--index", str(tmp_path / "i")])
    assert r.exit_code == 1 and "no readable documents" in r.output


def test_corrupt_index_says_how_to_fix(tmp_path, seeds_dir, fakes):
    idx = tmp_path / "idx"
    run("index", str(seeds_dir), "--index", str(idx))
    gen = idx / (idx / "CURRENT").read_text().strip()
    (gen / "manifest.json").write_text("{")
    r = CliRunner().invoke(cli, ["search", "商汤", "--index", str(idx)])
    assert r.exit_code == 1 and "rag index --rebuild" in r.output
    r = run("index", str(seeds_dir), "--index", str(idx), "--rebuild")
    assert r.exit_code == 0 and "2 added" in r.output


def test_chat_session(tmp_path, seeds_dir, fakes):
    idx = str(tmp_path / "idx")
    run("index", str(seeds_dir), "--index", idx)
    r = run("chat", "--index", idx, input="VAST服务了多少专业建模师？\n/sources\n/new\n   \n")
    assert r.exit_code == 0
    assert r.output.count("500万") >= 2  # the answer and the /sources listing
    assert "new conversation" in r.output


def test_calibrate_records_threshold(tmp_path, seeds_dir, fakes, any_store):
    from rag import store
    from rag.config import Config
    from rag.session import SEED_QUESTIONS

    idx = str(tmp_path / "idx")
    run("index", str(seeds_dir), "--index", idx)
    r = run("calibrate", str(SEED_QUESTIONS), "--index", idx)
    result = json.loads(r.output.strip().splitlines()[-1])
    assert result["false_refusal_rate"] <= 0.05 and result["n_unanswerable"] >= 10
    kept = store.open_store(tmp_path / "idx", Config(store=any_store)).calibration
    assert kept.min_top_dense == result["min_top_dense"] and not kept.stale
    (seeds_dir / "extra.txt").write_text("另一份与问题无关的说明文字。", encoding="utf-8")
    run("index", "--index", idx)  # the documents changed since: kept, and said to be stale
    assert store.open_store(tmp_path / "idx", Config(store=any_store)).calibration.stale


def test_ask_says_when_the_streamed_answer_was_replaced_by_a_reading_of_every_passage(tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "bridge.md").write_text("# 江桥\n\n江桥于2001年竣工，全长3.2公里。\n", encoding="utf-8")
    (docs / "lake.md").write_text("# 湖区\n\n湖区盛产银鱼，每年秋季开捕。\n", encoding="utf-8")
    monkeypatch.setattr("rag.embed.load_embedder", lambda config: FakeEmbedder())
    # Misreads the top passage alone (rejected: 1958 is in no passage); right with both.
    gen = FakeGenerator(lambda m: "江桥于1958年竣工[1]。" if m[-1]["content"].count("标题：") == 1 else "江桥于2001年竣工[1]。")
    monkeypatch.setattr("rag.generate.load_generator", lambda config: gen)
    idx = str(tmp_path / "idx")
    assert run("index", str(docs), "--index", idx).exit_code == 0
    r = run("ask", "江桥是哪一年竣工的？", "--index", idx, "-k", "2")
    assert "江桥于1958年竣工[1]。" in r.output  # streamed as it came
    assert "asked again with all 2" in r.output and "checked: 江桥于2001年竣工[1]。" in r.output
    a = json.loads(run("ask", "江桥是哪一年竣工的？", "--index", idx, "-k", "2", "--json").output)
    assert a["attempts"] == ["江桥于1958年竣工[1]。", "江桥于2001年竣工[1]。"] and not a["refused"]
