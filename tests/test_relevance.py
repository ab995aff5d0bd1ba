"""An answer backed by its passage but about something else than the question is refused."""
import pytest

from rag.answer import Pipeline
from rag.config import Config
from rag.index import update_index
from rag.prompt import REFUSAL, closest_label
from rag.relevance import lacks_quantity, missing_terms, question_terms
from rag.retrieve import Retriever

from conftest import FakeGenerator

PASSAGE = "右脑科技由史杰联合创立，史杰曾在商汤科技担任研究员。公司主营AI视频生成。"


@pytest.mark.parametrize("question, latin, subject", [
    ("右脑科技的CEO是谁？", ["CEO"], ["右脑", "科技"]),
    ("智谱AI是谁创立的？", ["AI"], ["智谱"]),
    ("壁仞科技这次港股IPO一共募资了多少钱？", ["IPO"], []),  # no 的/是/有: no subject taken
    ("根据中汽协的报告，Momenta的搭载量是多少？", ["Momenta"], []),  # opens with a preposition
    ("它计划在哪个交易所上市？（接上文：Momenta现在估值多少？）", [], []),  # pronoun; context ignored
    ("商汤什么时候推出了自研的日日新大模型？", [], ["商汤"]),  # stops at the question word
    ("商汤这次降低裁员补偿的事发生在几月份？", [], []),  # a clause, not a name
])
def test_question_terms(question, latin, subject):
    assert question_terms(question) == (latin, subject)


def test_missing_terms():
    assert missing_terms("右脑科技的CEO是谁？", [PASSAGE], "zh") == ["CEO"]
    assert missing_terms("海螺AI有多少月活跃用户？", ["MiniMax的海外产品Talkie和AI视频。"], "zh") == ["海螺"]
    assert missing_terms("右脑科技的联合创始人是谁？", [PASSAGE], "zh") == []
    assert missing_terms("右脑科技的ceo是谁？", ["右脑科技CEO史杰"], "zh") == []  # case and width folded
    assert missing_terms("Who is the CEO of 右脑科技?", [PASSAGE], "en") == []  # cross-language: not checked


@pytest.mark.parametrize("question, answer, lacks", [
    ("商汤S2芯片采用几纳米制程？", "GPGPU(通用GPU)架构[1]", True),
    ("商汤S2芯片采用几纳米制程？", "7纳米[1]", False),
    ("商汤在SuperCLUE测评中位于第几梯队？", "第三梯队[1]", False),  # Chinese numerals count
    ("壁仞科技的创始人是谁？", "张文[1]", False),  # not a quantity question
    ("哪几家公司上市了？", "MiniMax和壁仞科技[1]", False),  # 哪几 asks which, not how many
    ("How many chips?", "GPGPU[1]", False),  # English: not checked
])
def test_quantity_question_needs_a_numeral(question, answer, lacks):
    from rag.prompt import language

    assert lacks_quantity(question, answer, language(question)) is lacks


def _pipeline(tmp_path, fake_embedder, reply: str) -> Pipeline:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "youbrain.txt").write_text(PASSAGE, encoding="utf-8")
    update_index(tmp_path / "idx", [docs], Config(), fake_embedder)
    return Pipeline(Retriever.open(tmp_path / "idx", fake_embedder, Config()), FakeGenerator(lambda m: reply), Config())


def test_answer_about_another_slot_is_refused(tmp_path, fake_embedder):
    # Every word of "史杰[1]" is in the passage, but the passage says nothing of a CEO.
    a = _pipeline(tmp_path, fake_embedder, "史杰[1]").ask("右脑科技的CEO是谁？")
    assert a.refused and a.refusal_reason == "off_question" and a.answer == REFUSAL["zh"]
    assert a.model_answer == "史杰[1]" and a.retrieved
    assert "找不到依据" in closest_label(a)  # the passages are not claimed to be unrelated


def test_answer_to_the_asked_slot_passes(tmp_path, fake_embedder):
    a = _pipeline(tmp_path, fake_embedder, "右脑科技由史杰联合创立[1]。").ask("右脑科技的联合创始人是谁？")
    assert not a.refused and a.citations[0].verified
