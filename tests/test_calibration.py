"""Which weak-evidence threshold is in force: the index's own, else the one transferred
from the general development sets for the same embedder and language, else none."""
import json


from rag import calibrate as cal_mod
from rag.answer import Pipeline
from rag.calibrate import calibrate
from rag.config import Config
from rag.index import update_index
from rag.manifest import Calibration
from rag.retrieve import Retriever
from rag.store import update_manifest

from conftest import FakeGenerator, fake_pipeline

DOCS = {"bridge.txt": "大桥于1937年通车，全长1,500米，由市政府投资兴建。",
        "coffee.txt": "这家咖啡馆以手冲咖啡闻名，每天早上七点开门。"}


def _pipeline(tmp_path, embedder, gen):
    return fake_pipeline(tmp_path, DOCS, embedder, gen)


def test_transferred_threshold_applies_only_without_an_own_calibration(tmp_path, fake_embedder, monkeypatch):
    gen = FakeGenerator(lambda m: "大桥于1937年通车[1]。")
    p = _pipeline(tmp_path, fake_embedder, gen)
    assert p.calibration("zh") is None  # nothing transferred for this embedder
    a = p.ask("大桥是哪一年通车的？")
    assert not a.refused and a.calibration is None and a.to_json()["calibration"] is None

    strict = Calibration(min_top_dense=1.01, min_top_bm25=None, scope="transferred")
    monkeypatch.setitem(cal_mod.TRANSFERRED, (fake_embedder.checksum, "zh"), strict)
    a = p.ask("大桥是哪一年通车的？")
    assert a.refused and a.refusal_reason == "weak_evidence"
    assert a.calibration.startswith("transferred: dense < 1.01 ") and "bm25" not in a.calibration
    # Not for a question in another language than the documents (its scores are lower).
    assert p.calibration("en") is None

    own = Calibration(min_top_dense=0.0, min_top_bm25=0.0)
    update_manifest(tmp_path / "idx", calibration=own)
    p.retriever = Retriever.open(tmp_path / "idx", fake_embedder, Config())
    a = p.ask("大桥是哪一年通车的？")
    assert not a.refused and a.calibration.startswith("index: dense < 0.0 and bm25 < 0.0")


def test_calibration_refuses_only_below_both_thresholds_or_dense_alone():
    both = Calibration(min_top_dense=0.8, min_top_bm25=2.0)
    assert both.refuses(0.7, 1.0) and not both.refuses(0.7, 3.0) and not both.refuses(0.9, 1.0)
    dense = Calibration(min_top_dense=0.8, min_top_bm25=None, scope="transferred")
    assert dense.refuses(0.7, 99.0) and not dense.refuses(0.85, 0.0)


def test_weak_passages_are_refused_only_when_no_sentence_is_close_either():
    asked = []

    def sentence(score):
        return lambda: asked.append(score) or score

    cal = Calibration(min_top_dense=0.8, min_top_bm25=None, min_top_sentence=0.9, scope="transferred")
    assert not cal.refuses(0.7, 0.0, sentence(0.93))  # the answering sentence is close
    assert cal.refuses(0.7, 0.0, sentence(0.85))
    assert not cal.refuses(0.85, 0.0, sentence(0.5)) and asked == [0.93, 0.85]  # not asked: passages strong
    assert cal.refuses(0.7, 0.0)  # no sentence to look at: the passages decide
    assert "dense < 0.8 and sentence < 0.9" in cal.describe()


def test_a_short_question_close_to_one_sentence_of_a_long_passage_is_not_refused(tmp_path, fake_embedder,
                                                                                  monkeypatch):
    # A passage about many things scores low for a short question; its one sentence does not.
    gen = FakeGenerator(lambda m: "现任馆长为林秀英[1]。")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "guide.txt").write_text("图书馆总馆位于中正路，于1987年开馆，楼高七层，藏书六十五万册，另有期刊八百种。"
                                    "开放时间为周二至周日上午九时至晚上九时。现任馆长为林秀英。", encoding="utf-8")
    update_index(tmp_path / "idx", [docs], Config(), fake_embedder)
    p = Pipeline(Retriever.open(tmp_path / "idx", fake_embedder, Config()), gen, Config())
    hits = p.retriever.search("现任馆长是谁？", 5, "hybrid")
    close = p.retriever.best_sentence("现任馆长是谁？", hits.hits)
    assert close > hits.top_dense + 0.1
    cal = Calibration(min_top_dense=hits.top_dense + 0.01, min_top_bm25=None, min_top_sentence=close - 0.01,
                      scope="transferred")
    monkeypatch.setitem(cal_mod.TRANSFERRED, (fake_embedder.checksum, "zh"), cal)
    a = p.ask("现任馆长是谁？")
    assert not a.refused and a.answer == "现任馆长为林秀英[1]。"
    # A question no sentence is close to is refused as before.
    assert p.ask("公交公司的总经理是谁？").refusal_reason == "weak_evidence"


def test_calibrate_skips_questions_answered_through_a_translation(tmp_path, fake_embedder):
    p = _pipeline(tmp_path, fake_embedder, FakeGenerator())
    zh = [{"question": q, "answerable": True} for q in
          ["大桥是哪一年通车的？", "大桥全长多少米？", "大桥由谁投资兴建？", "咖啡馆几点开门？", "咖啡馆以什么闻名？"]]
    en = [{"question": "When did the bridge open?", "answerable": True}]
    result = calibrate(p.retriever, zh + en)
    assert result.n_answerable == 5 and result.scope == "index"
    assert result.min_top_sentence is not None  # the sentence threshold is measured alongside
    assert json.loads(json.dumps(result.to_json()))["scope"] == "index"
