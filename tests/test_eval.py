"""Batch evaluation (evals/): metrics on hand-made cases, the SQuAD loader and its cached
index, resumable runs, malformed input, and the `eval` command -- all on the fakes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from evals import metrics as M
from evals.report import format_tables
from evals.run import RESULTS, eval_cmd, load_dataset, read_results, run_eval
from evals.squad import ensure_squad_index, load_squad
from rag.answer import Pipeline
from rag.config import Config
from rag.errors import UsageError
from rag.index import update_index
from rag.retrieve import Retriever
from rag.store import open_index

from conftest import FakeGenerator

DOCS = {
    "corvin.txt": "Corvin是一家AI 3D设计公司。Corvin平台已经服务了全球近300万注册设计师和超过6万家企业。",
    "terrapix.txt": "TerraPix由林嘉禾在2019年创立。TerraPix于3月12日登陆纽交所。",
    "chengchuan.txt": "澄川数据的累计亏损高达370亿元。澄川数据在国内工业AI质检市场的份额为6.4%。",
}
QUESTIONS = [
    {"id": "a1", "question": "Corvin服务了多少注册设计师？", "answers": ["300万"], "evidence": ["服务了全球近300万注册设计师"],
     "type": "number", "split": "dev"},
    {"id": "a2", "question": "TerraPix是谁创立的？", "answers": ["林嘉禾"], "evidence": ["TerraPix由林嘉禾在2019年创立"],
     "type": "person", "split": "test"},
    {"id": "a3", "question": "澄川数据累计亏损多少？", "answers": ["370亿"], "evidence": ["累计亏损高达370亿元"],
     "type": "number", "split": "dev"},
    {"id": "a4", "question": "Corvin服务了多少注册设计师和多少家企业？", "answers": ["300万", "6万"],
     "evidence": ["服务了全球近300万注册设计师和超过6万家企业"], "answer_parts": [["300万"], ["6万家", "6万"]],
     "type": "multi_part", "split": "dev"},
    {"id": "u1", "question": "<b>澄川数据</b>2030年的营收是多少？", "answers": [], "evidence": [], "answerable": False,
     "type": "unanswerable", "split": "test"},
]


# ---------------------------------------------------------------------------- fixtures

@pytest.fixture
def corpus(tmp_path) -> Path:
    d = tmp_path / "docs"
    d.mkdir()
    for name, text in DOCS.items():
        (d / name).write_text(text, encoding="utf-8")
    return d


@pytest.fixture
def index_dir(tmp_path, corpus, fake_embedder) -> Path:
    root = tmp_path / "idx"
    update_index(root, [corpus], Config(), fake_embedder)
    return root


@pytest.fixture
def qfile(tmp_path) -> Path:
    p = tmp_path / "q.jsonl"
    p.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in QUESTIONS), encoding="utf-8")
    return p


class Factories:
    """Pipeline/retriever factories on the fakes, counting the questions they answer."""

    def __init__(self, embedder, generator):
        self.embedder, self.generator = embedder, generator

    def retriever(self, index_dir, config):
        return Retriever.open(Path(index_dir), self.embedder, config)

    def pipeline(self, index_dir, config):
        return Pipeline(self.retriever(index_dir, config), self.generator, config)

    def kw(self) -> dict:
        return {"pipeline_factory": self.pipeline, "retriever_factory": self.retriever, "progress": False}


@pytest.fixture
def fakes(fake_embedder, fake_generator) -> Factories:
    return Factories(fake_embedder, fake_generator)


def _asked(calls: list[list[dict]]) -> list[str]:
    """The ids of the questions a generator was asked, in order, each once (a question is
    asked twice when the top passage alone gives no accepted answer)."""
    ids = {q["question"]: q["id"] for q in QUESTIONS}
    asked = [next(i for text, i in ids.items() if f"问题：{text}" in c[-1]["content"]) for c in calls]
    return list(dict.fromkeys(asked))


def _rows(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / RESULTS).read_text(encoding="utf-8").splitlines()]


# ---------------------------------------------------------------------------- metrics

def _q(**kw) -> M.Question:
    base = {"id": "x", "question": "?", "answers": ["300万"], "evidence": ["服务了全球近300万注册设计师"]}
    return M.Question(**{**base, **kw})


def _hit(text: str, source: str = "d.txt") -> dict:
    return {"source": source, "text": text}


def test_normalize_folds_width_case_and_space():
    assert M.normalize("ＴｅｒｒａＰｉｘ 27.38 万") == "terrapix27.38万"
    assert M.contains_any("共计27.38 万辆", ["27.38万"])


def test_answer_correct_any_answer_and_all_parts():
    assert M.answer_correct("服务了近300万[1]名设计师", ["300万"])
    assert not M.answer_correct("服务了很多设计师", ["300万"])
    parts = [["300万", "三百万"], ["6万家", "6万"]]
    assert M.answer_correct("近三百万设计师和6万家企业。", [], parts)
    assert not M.answer_correct("近三百万设计师。", ["300万", "6万"], parts)  # one part missing
    # citation markers never split an answer
    assert M.answer_correct("搭载量27.38万[2]辆", ["27.38万辆"])


def test_retrieval_hit_miss_rank_and_mrr():
    q = _q()
    ranking = [_hit("无关"), _hit("Corvin平台已经服务了全球近300万注册设计师"), _hit("其他")]
    assert M.first_relevant_rank(ranking, q) == 2
    assert M.first_relevant_rank([_hit("无关")], q) is None
    assert not M.hit_at(2, 1) and M.hit_at(2, 5)
    assert M.reciprocal_rank(2) == 0.5 and M.reciprocal_rank(None) == 0.0 and M.reciprocal_rank(11) == 0.0
    gold = _q(evidence=[], gold_sources=["DEV_1"])
    assert M.relevant(_hit("anything", "DEV_1"), gold) and not M.relevant(_hit("anything", "DEV_2"), gold)


def test_cmrc_f1_em_on_known_strings():
    assert M.cmrc_f1("北京市", ["北京"]) == pytest.approx(0.8)  # P 2/3, R 1
    assert M.cmrc_em("北京市", ["北京"]) == 0.0
    assert M.cmrc_em("《北京》。", ["北京"]) == 1.0  # punctuation stripped
    assert M.cmrc_f1("北京", ["上海", "北京"]) == 1.0  # best over answers
    assert M.cmrc_f1("天津", ["北京"]) == 0.0
    # Chinese by character, English by word; LCS is a contiguous run: 北京 + hello
    assert M.cmrc_segments("北京Hello World。", rm_punc=True) == ["北", "京", "hello", "world"]
    assert M.cmrc_f1("在北京hello吗", ["北京hello"]) == pytest.approx(2 * (3 / 5) * 1 / (3 / 5 + 1))
    assert M.longest_common_substring(list("abcxbcd"), list("bcd")) == 3


def test_answers_are_compared_in_either_chinese_script():
    # asked in traditional over simplified documents, the answer is written in traditional
    assert M.answer_correct("中國的自殺人數成長為29萬人[1]。", ["29万人"])
    assert not M.answer_correct("中國的自殺人數成長為25萬人[1]。", ["29万人"])
    assert M.cmrc_f1("29萬人", ["29万人"]) == 1.0 and M.cmrc_em("29萬人", ["29万人"]) == 1.0
    assert M.cmrc_f1("25萬人", ["29万人"]) == pytest.approx(2 / 3)


def test_percentile_matches_linear_interpolation():
    assert M.percentile([1, 2, 3, 4], 50) == 2.5
    assert M.percentile([10.0], 95) == 10.0
    assert M.percentile([], 50) is None


def _answer_row(answer: str | None, refused: bool = False, cites: list[dict] | None = None,
                retrieved: list[dict] | None = None) -> dict:
    return {"answer": answer, "refused": refused, "citations": cites or [], "retrieved": retrieved or [],
            "timings": {"retrieve_ms": 5.0, "first_token_ms": 40.0, "total_ms": 100.0, "tokens_per_s": 20.0}}


def test_score_hit_refusal_and_wrong_citation():
    good = {"source": "d.txt", "text": "Corvin平台已经服务了全球近300万注册设计师", "verified": True}
    wrong = {"source": "e.txt", "text": "澄川数据的累计亏损高达370亿元", "verified": False}
    q = _q()
    hit = M.score(q, _answer_row("近300万[1]", cites=[good, wrong], retrieved=[good]))
    assert hit.rank == 1 and hit.correct and hit.passed
    assert (hit.n_citations, hit.n_relevant_citations, hit.n_verified) == (2, 1, 1)
    miss = M.score(q, _answer_row("不知道", retrieved=[wrong]))
    assert miss.rank is None and miss.correct is False and miss.passed is False
    false_refusal = M.score(q, _answer_row("根据现有资料无法回答该问题。", refused=True))
    assert false_refusal.refused and false_refusal.correct is False
    unans = M.Question(id="u", question="?", answerable=False)
    refusal = M.score(unans, _answer_row("根据现有资料无法回答该问题。", refused=True))
    assert refusal.passed is True

    m = M.aggregate([hit, miss, false_refusal, refusal])
    assert (m.n, m.n_answerable, m.n_unanswerable) == (4, 3, 1)
    assert m.hit(1) == pytest.approx(1 / 3) and m.mrr10 == pytest.approx(1 / 3)
    assert m.accuracy == pytest.approx(1 / 3)
    assert m.refusal_rate == 1.0 and m.false_refusal_rate == pytest.approx(1 / 3)
    assert m.citation_precision == 0.5  # the wrong citation
    assert m.cited_share == 0.5  # of the two non-refused answers, one cites
    assert m.verified_share == 0.5
    assert m.latency_ms["total_ms"] == {"p50": 100.0, "p95": 100.0} and m.tokens_per_s == 20.0


def test_retrieval_only_rows_have_no_answer_metrics():
    o = M.score(_q(), {"answer": None, "retrieved": [_hit("近300万注册设计师"), _hit("Corvin平台已经服务了全球近300万注册设计师")],
                       "timings": {"retrieve_ms": 3.0}})
    assert o.rank == 2 and not o.generated and o.passed is True
    m = M.aggregate([o])
    assert m.hit(1) == 0.0 and m.hit(2) == 1.0 and m.accuracy is None and m.refusal_rate is None


def test_squad_outcome_scores_f1_and_em_without_markers():
    q = _q(answers=["北京"], evidence=[], gold_sources=["P1"])
    o = M.score(q, _answer_row("北京[1]", retrieved=[_hit("...", "P1")]), squad=True)
    assert o.f1 == 1.0 and o.em == 1.0 and o.rank == 1


def test_answer_outcomes_say_where_answers_failed():
    q = _q(answers=["北京"], evidence=[], gold_sources=["P1"])
    gold, other = _hit("...", "P1"), _hit("...", "P9")
    rows = {
        "correct": _answer_row("北京[1]", retrieved=[gold]),
        "verbose": _answer_row("该公司的总部位于中国的首都北京市海淀区[1]", retrieved=[gold]),
        "wrong answer": _answer_row("上海[1]", retrieved=[other, gold]),
        "retrieval miss": _answer_row("上海[1]", retrieved=[other]),
        "refused": _answer_row("根据现有资料无法回答该问题。", refused=True, retrieved=[gold]),
    }
    got = {name: M.score(q, row, squad=True).failure for name, row in rows.items()}
    assert got == {name: name for name in rows}
    assert M.score(M.Question(id="u", question="?", answerable=False), rows["refused"]).failure is None
    m = M.aggregate([M.score(q, row, squad=True) for row in rows.values()])
    assert m.outcomes == {name: 1 for name in M.FAILURES}
    from evals.report import format_tables

    summary = {"file": "x.json", "kind": "squad", "n_done": 5, "mode": "hybrid", "k": 5,
               "retrieval_only": False, "overall": m.to_json()}
    assert "| verbose | 1 (0.20) |" in format_tables(summary)


# ---------------------------------------------------------------------------- SQuAD loader + index

def _squad_file(tmp_path: Path) -> Path:
    data = {"version": "v1", "data": [
        {"id": "A", "title": "长城", "paragraphs": [
            {"id": "P1", "context": "长城是中国古代的军事防御工程，修筑历史可上溯到西周时期。",
             "qas": [{"id": "Q1", "question": "长城的修筑历史可以上溯到什么时期？",
                      "answers": [{"text": "西周时期", "answer_start": 20}, {"text": "西周时期", "answer_start": 20},
                                  {"text": "西周", "answer_start": 20}]},
                     {"id": "Q2", "question": "没有答案的问题", "answers": []},
                     {"question": "no id"}]}]},
        {"id": "B", "title": "黄河", "paragraphs": [
            {"id": "P2", "context": "黄河是中国第二长河，全长约5464公里。",
             "qas": [{"id": "Q3", "question": "黄河全长约多少公里？", "answers": [{"text": "5464公里"}]}]},
            {"id": "P3", "context": "", "qas": []}]},
    ]}
    p = tmp_path / "tiny_squad.json"
    p.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return p


def test_squad_loader(tmp_path):
    s = load_squad(_squad_file(tmp_path))
    assert [p.id for p in s.paragraphs] == ["P1", "P2"]
    assert [p.title for p in s.paragraphs] == ["长城", "黄河"]
    assert [q.id for q in s.questions] == ["Q1", "Q3"]
    assert s.questions[0].answers == ["西周时期", "西周"]  # de-duplicated, in order
    assert s.questions[0].gold_sources == ["P1"] and s.questions[1].gold_sources == ["P2"]
    assert len(s.problems) == 3  # Q2 without answers, a qa without id, P3 without context
    assert any("qas[2]" in p for p in s.problems)
    assert load_dataset(_squad_file(tmp_path)).kind == "squad"


def test_squad_index_keeps_paragraph_ids_and_is_cached(tmp_path, monkeypatch, fake_embedder):
    monkeypatch.setenv("RAG_CACHE", str(tmp_path / "cache"))
    path = _squad_file(tmp_path)
    s = load_squad(path)
    first = ensure_squad_index(path, s.paragraphs, Config(), fake_embedder)
    assert first.built and first.stats.n_docs == 2 and first.stats.n_chunks >= 2
    assert first.root.parent == tmp_path / "cache" / "eval-indexes"
    assert first.root.name.endswith("-" + fake_embedder.checksum)
    idx = open_index(first.root)
    assert {c.doc_id for c in idx.chunks} == {"P1", "P2"}
    assert idx.docs["P1"].title == "长城"
    again = ensure_squad_index(path, s.paragraphs, Config(), fake_embedder)
    assert not again.built and again.root == first.root and again.stats.n_chunks == first.stats.n_chunks


def test_squad_run_end_to_end(tmp_path, monkeypatch, fakes, fake_embedder):
    monkeypatch.setenv("RAG_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr("rag.embed.load_embedder", lambda config: fake_embedder)
    path = _squad_file(tmp_path)
    out = tmp_path / "out"
    summary = run_eval(path, None, out, config=Config(), **fakes.kw())
    rows = _rows(out)
    assert [r["id"] for r in rows] == ["Q1", "Q3"]
    assert rows[0]["gold_sources"] == ["P1"]
    assert summary["kind"] == "squad" and summary["overall"]["hit@1"] == 1.0
    assert summary["overall"]["f1"] is not None and summary["overall"]["em"] is not None
    assert "by_split" not in summary and summary["indexing"]["n_docs"] == 2
    with pytest.raises(UsageError, match="split"):
        run_eval(path, None, tmp_path / "out2", split="dev", config=Config(), **fakes.kw())


# ---------------------------------------------------------------------------- runs

def test_full_run_writes_results_summary_and_report(tmp_path, qfile, index_dir, fakes):
    out = tmp_path / "out"
    summary = run_eval(qfile, index_dir, out, config=Config(), **fakes.kw())
    rows = _rows(out)
    assert [r["id"] for r in rows] == [q["id"] for q in QUESTIONS]
    assert {"question", "answer", "refused", "citations", "retrieved", "timings"} <= set(rows[0])
    assert len(rows[0]["ranking"]) >= len(rows[0]["retrieved"])  # scored to depth 10
    assert summary["overall"]["n"] == 5 and summary["overall"]["hit@1"] is not None
    assert set(summary["by_split"]) == {"dev", "test"}
    assert set(summary["by_type"]) == {"number", "person", "multi_part", "unanswerable"}
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["n_done"] == 5
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in page
    assert "&lt;b&gt;澄川数据&lt;/b&gt;" in page and "<b>澄川数据</b>" not in page  # escaped
    assert "| hit@1 |" in format_tables(summary)


def test_second_readings_are_counted_and_replayed_in_order(tmp_path, qfile, index_dir, fakes):
    import re

    def script(messages):  # finds no answer in the top passage alone, answers from all
        user = messages[-1]["content"]
        if "问题：TerraPix是谁创立的" not in user:
            return FakeGenerator._default(messages)
        alone = len(re.findall(r"^\[\d+\]", user, re.M)) == 1
        return "根据现有资料无法回答该问题。" if alone else "TerraPix由林嘉禾创立[1]。"

    fakes.generator = FakeGenerator(script)
    first = run_eval(qfile, index_dir, tmp_path / "a", config=Config(), **fakes.kw())
    row = next(r for r in _rows(tmp_path / "a") if r["id"] == "a2")
    assert row["attempts"] == ["根据现有资料无法回答该问题。", "TerraPix由林嘉禾创立[1]。"] and not row["refused"]
    looked = [r for r in _rows(tmp_path / "a") if r["attempts"]]
    counted = {"asked": len(looked), "kept": sum(not r["refused"] for r in looked)}
    assert first["second_looks"] == counted and counted["kept"] >= 1

    def no_model(messages):
        raise AssertionError("a replay must not generate")

    fakes.generator = FakeGenerator(no_model)
    again = run_eval(qfile, index_dir, tmp_path / "b", config=Config(), replay=tmp_path / "a" / RESULTS, **fakes.kw())
    assert [(r["id"], r["answer"]) for r in _rows(tmp_path / "b")] == [(r["id"], r["answer"]) for r in _rows(tmp_path / "a")]
    assert again["second_looks"] == counted


def test_replay_rechecks_saved_answers_without_the_model(tmp_path, qfile, index_dir, fakes):
    first = run_eval(qfile, index_dir, tmp_path / "a", config=Config(), **fakes.kw())

    def no_model(messages):
        raise AssertionError("a replay must not generate")

    fakes.generator = FakeGenerator(no_model)
    again = run_eval(qfile, index_dir, tmp_path / "b", config=Config(), replay=tmp_path / "a" / RESULTS, **fakes.kw())
    old, new = _rows(tmp_path / "a"), _rows(tmp_path / "b")
    assert [(r["id"], r["answer"], r["refused"]) for r in new] == [(r["id"], r["answer"], r["refused"]) for r in old]
    assert again["overall"]["accuracy"] == first["overall"]["accuracy"]
    assert again["replay"]["copied_unchanged"] == 0
    with pytest.raises(UsageError, match="retrieval-only"):
        run_eval(qfile, index_dir, tmp_path / "c", config=Config(), replay=tmp_path / "a" / RESULTS,
                 retrieval_only=True, **fakes.kw())


def test_span_scores_read_the_short_answer_and_long_gold_spans_count_by_f1():
    q = _q(answers=["因为该市是著名的肉牛产地"], evidence=[], gold_sources=["P1"])
    row = _answer_row("便当以牛肉为主，因该市是著名肉牛产地[1]。", retrieved=[_hit("...", "P1")])
    plain = M.score(q, row, squad=True)
    assert not plain.correct
    row["short_answer"] = "该市是著名的肉牛产地"
    short = M.score(q, row, squad=True)
    assert short.f1 > plain.f1 and short.f1 >= M.LONG_SPAN_F1 and short.correct
    # a short gold span is held or not: F1 0.6 from the right unit is no answer
    q = _q(answers=["4998平方米"], evidence=[], gold_sources=["P1"])
    row = _answer_row("站房面积为12000平方米[1]。", retrieved=[_hit("...", "P1")])
    row["short_answer"] = "12000平方米"
    wrong = M.score(q, row, squad=True)
    assert wrong.f1 >= M.LONG_SPAN_F1 and not wrong.correct
    # a short answer equal to the gold span but for its brackets is right (exact match)...
    q = _q(answers=["「北地人」"], evidence=[], gold_sources=["P1"])
    row = _answer_row("北地人[1]", retrieved=[_hit("...", "P1")])
    row["short_answer"] = "北地人"
    assert M.score(q, row, squad=True).correct
    # ...one that is not, is not
    row = _answer_row("南地人[1]", retrieved=[_hit("...", "P1")])
    row["short_answer"] = "南地人"
    assert not M.score(q, row, squad=True).correct


def test_retrieval_only_skips_generation(tmp_path, qfile, index_dir, fakes):
    out = tmp_path / "out"
    summary = run_eval(qfile, index_dir, out, retrieval_only=True, config=Config(), **fakes.kw())
    assert fakes.generator.calls == []
    rows = _rows(out)
    assert all(r["answer"] is None and r["retrieved"] and "retrieve_ms" in r["timings"] for r in rows)
    assert summary["overall"]["accuracy"] is None and summary["overall"]["hit@10"] is not None


def test_resume_after_interruption(tmp_path, qfile, index_dir, fakes):
    out = tmp_path / "out"
    run_eval(qfile, index_dir, out, limit=2, config=Config(), **fakes.kw())
    assert _asked(fakes.generator.calls) == ["a1", "a2"] and len(_rows(out)) == 2
    # a run killed mid-write leaves half a line behind
    with open(out / RESULTS, "a", encoding="utf-8") as f:
        f.write('{"id": "a3", "question": "澄川')
    summary = run_eval(qfile, index_dir, out, config=Config(), **fakes.kw())
    assert _asked(fakes.generator.calls) == [q["id"] for q in QUESTIONS]  # only the other three ran
    assert [r["id"] for r in _rows(out)] == [q["id"] for q in QUESTIONS]
    assert summary["n_done"] == len(QUESTIONS)


def test_other_settings_in_the_same_out_are_refused(tmp_path, qfile, index_dir, fakes):
    out = tmp_path / "out"
    run_eval(qfile, index_dir, out, limit=1, config=Config(), **fakes.kw())
    with pytest.raises(UsageError, match="another run"):
        run_eval(qfile, index_dir, out, mode="bm25", config=Config(), **fakes.kw())


def test_read_results_cuts_a_partial_last_line(tmp_path):
    p = tmp_path / RESULTS
    p.write_text('{"id": "a"}\n{"id": "b", "ans', encoding="utf-8")
    assert list(read_results(p, lambda m: None)) == ["a"]
    assert p.read_text(encoding="utf-8") == '{"id": "a"}\n'


def test_malformed_lines_are_reported_with_line_numbers_and_skipped(tmp_path, index_dir, fakes):
    lines = [json.dumps(QUESTIONS[0], ensure_ascii=False), "{not json", json.dumps({"id": "x"}),
             "", json.dumps(QUESTIONS[0], ensure_ascii=False), json.dumps(QUESTIONS[1], ensure_ascii=False)]
    p = tmp_path / "bad.jsonl"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    said: list[str] = []
    summary = run_eval(p, index_dir, tmp_path / "out", config=Config(), say=said.append, **fakes.kw())
    assert summary["n_done"] == 2
    assert len(said) == 3 and all("\n" not in s for s in said)
    assert "line 2: not valid JSON" in said[0]
    assert "line 3: needs a non-empty string 'question'" in said[1]
    assert "line 5: duplicate id 'a1' (first on line 1)" in said[2]


def test_split_and_limit_select_questions(tmp_path, qfile, index_dir, fakes):
    summary = run_eval(qfile, index_dir, tmp_path / "out", split="test", retrieval_only=True,
                       config=Config(), **fakes.kw())
    assert summary["n_done"] == 2 and set(summary["by_split"]) == {"test"}


# ---------------------------------------------------------------------------- the command

def test_eval_command(tmp_path, qfile, index_dir, monkeypatch, fake_embedder, fake_generator):
    monkeypatch.setattr("rag.embed.load_embedder", lambda config: fake_embedder)
    monkeypatch.setattr("rag.generate.load_generator", lambda config: fake_generator)
    bad = tmp_path / "q2.jsonl"
    bad.write_text(qfile.read_text(encoding="utf-8") + "oops\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(eval_cmd, [str(bad), "--index", str(index_dir), "--out", str(out), "-k", "3"])
    assert result.exit_code == 0, result.output
    assert "| hit@1 |" in result.stdout and "| answer accuracy |" in result.stdout
    assert "q2.jsonl line 6: not valid JSON" in result.stderr
    assert _asked(fake_generator.calls) == [q["id"] for q in QUESTIONS]
    assert all(len(r["retrieved"]) <= 3 for r in _rows(out))
    assert (out / "report.html").exists() and (out / "summary.json").exists()
    again = CliRunner().invoke(eval_cmd, [str(bad), "--index", str(index_dir), "--out", str(out), "-k", "3",
                                          "--retrieval-only"])
    assert again.exit_code != 0 and "another run" in str(again.exception)


def test_replay_copies_answers_made_through_a_translation(tmp_path):
    from evals.replay import recorded

    rows = [
        # Asked in Chinese over English documents: answered under an English translation.
        {"id": "x1", "question": "这家诊所周六几点关门？", "standalone_question": "When does the clinic close on Saturdays?",
         "answer": "12点30分关门[1]。", "model_answer": "It closes at 12:30 [1].", "refusal_reason": None},
        {"id": "x2", "question": "Who founded the company?", "standalone_question": "谁创立了这家公司？",
         "answer": "Ann Lee [1].", "model_answer": "李安[1]。", "refusal_reason": None},
        # Follow-ups rewritten in their own language replay like any answer.
        {"id": "f1", "question": "它在哪一年成立？", "standalone_question": "它在哪一年成立？（接上文：这家公司是谁创立的？）",
         "answer": "2009年[1]。", "model_answer": None, "refusal_reason": None},
        {"id": "f2", "question": "When was it founded?",
         "standalone_question": "When was it founded? (following up on: Who founded the company?)",
         "answer": "In 2009 [1].", "model_answer": None, "refusal_reason": None},
    ]
    path = tmp_path / "results.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    rec = recorded(path)
    assert set(rec.copied) == {"x1", "x2"}
    assert rec.answers == {"f1": ["2009年[1]。"], "f2": ["In 2009 [1]."]}


# ---------------------------------------------------------------------------- gold passage

def _chunk(doc: str, n: int, text: str):
    from rag.records import Chunk

    return Chunk(doc, n, text, 100 * n, 100 * n + len(text))


def test_gold_chunk_is_the_one_holding_the_evidence_in_the_gold_source():
    from evals.gold_passage import gold_chunk

    chunks = [_chunk("lake.txt", 0, "The lake is 12 km long."),
              _chunk("lake.txt", 1, "Ferries cross it in 40 minutes. The lake is 12 km long and 3 km wide."),
              _chunk("river.txt", 0, "The river is 12 km long and 3 km wide.")]
    q = M.Question("x", "How wide is the lake?", ["3 km"], evidence=["The lake is 12 km long and 3 km wide."])
    assert gold_chunk(q, chunks) is chunks[1]  # not the first chunk holding only the answer
    by_answer = M.Question("y", "How wide is it?", ["3 km"], gold_sources=["river.txt"])
    assert gold_chunk(by_answer, chunks) is chunks[2]  # SQuAD: the own paragraph's chunk with a gold answer
    elsewhere = M.Question("z", "How deep is the lake?", ["90 m"], evidence=["The lake is 90 m deep."])
    assert gold_chunk(elsewhere, chunks) is None
    wrong_source = M.Question("w", "How wide is it?", ["3 km"], gold_sources=["sea.txt"])
    assert gold_chunk(wrong_source, chunks) is None


def test_gold_passage_run_answers_from_the_evidence_passage_alone(tmp_path, qfile, index_dir, monkeypatch,
                                                                    fake_embedder, fake_generator):
    monkeypatch.setattr("rag.embed.load_embedder", lambda config: fake_embedder)
    monkeypatch.setattr("rag.generate.load_generator", lambda config: fake_generator)
    out = tmp_path / "out"
    result = CliRunner().invoke(eval_cmd, [str(qfile), "--index", str(index_dir), "--out", str(out), "--gold-passage"])
    assert result.exit_code == 0, result.output
    rows = _rows(out)
    assert [r["id"] for r in rows] == ["a1", "a2", "a3", "a4"]  # the unanswerable question has no gold passage
    evidence = {q["id"]: q["evidence"][0] for q in QUESTIONS if q["evidence"]}
    for row, messages in zip(rows, fake_generator.calls):
        assert len(row["retrieved"]) == 1 and evidence[row["id"]] in row["retrieved"][0]["text"]
        assert "[2]" not in messages[-1]["content"]  # one passage shown
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["gold_passage"] is True and summary["overall"]["n_unanswerable"] == 0
    both = CliRunner().invoke(eval_cmd, [str(qfile), "--index", str(index_dir), "--out", str(tmp_path / "o2"),
                                         "--gold-passage", "--retrieval-only"])
    assert both.exit_code != 0 and "does not combine" in str(both.exception)
