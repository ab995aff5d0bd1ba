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

from conftest import FakeGenerator

DOCS = {"bridge.txt": "大桥于1937年通车，全长1,500米，由市政府投资兴建。",
        "coffee.txt": "这家咖啡馆以手冲咖啡闻名，每天早上七点开门。"}


def _pipeline(tmp_path, embedder, gen):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    update_index(tmp_path / "idx", [docs], Config(), embedder)
    return Pipeline(Retriever.open(tmp_path / "idx", embedder, Config()), gen, Config())


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


def test_calibrate_skips_questions_answered_through_a_translation(tmp_path, fake_embedder):
    p = _pipeline(tmp_path, fake_embedder, FakeGenerator())
    zh = [{"question": q, "answerable": True} for q in
          ["大桥是哪一年通车的？", "大桥全长多少米？", "大桥由谁投资兴建？", "咖啡馆几点开门？", "咖啡馆以什么闻名？"]]
    en = [{"question": "When did the bridge open?", "answerable": True}]
    result = calibrate(p.retriever, zh + en)
    assert result.n_answerable == 5 and result.scope == "index"
    assert json.loads(json.dumps(result.to_json()))["scope"] == "index"
