"""The top passage read first, on the real bundled models: when the top passage stands out
the model is shown it alone, answers from it, and is not asked again. Invented documents;
slower, part of CI."""
import re

import pytest

from conftest import real_pipeline

pytestmark = pytest.mark.integration

DOCS = {
    "lighthouse.txt": "北礁灯塔\n北礁灯塔位于北礁岛的最北端，于1893年建成，塔高36米，是这一带海岸最高的灯塔。"
                      "灯塔的光源每15秒闪烁一次，晴天时20海里外可见。灯塔由海事局派驻的两名守塔人看管。",
    "harbour.txt": "北礁港\n北礁港是北礁岛南岸的渔港，于1958年扩建，港内可停泊渔船约200艘。"
                   "每年夏季举办海产节，吸引大量游客。港口由岛上的渔业合作社经营。",
    "ferry.txt": "北礁渡轮\n北礁渡轮连接北礁岛与大陆的青石码头，单程航行约50分钟，每日往返六个班次。"
                 "渡轮公司成立于1972年，现有三艘客轮。",
}


class Shown:
    """The real generator, noting how many passages each prompt shows."""

    def __init__(self, inner):
        self.inner = inner
        self.passages: list[int] = []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def stream(self, messages, **kw):
        self.passages.append(len(re.findall(r"^\[\d+\]", messages[-1]["content"], re.M)))
        return self.inner.stream(messages, **kw)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    return real_pipeline(tmp_path_factory.mktemp("top"), DOCS, Shown)


def test_a_question_its_top_passage_answers_is_read_from_that_passage_alone(pipeline):
    pipeline.generator.passages.clear()
    a = pipeline.ask("北礁灯塔的塔高是多少米？")
    assert not a.refused, a.answer
    assert "36米" in a.answer and a.short_answer == "36米", a.answer
    assert pipeline.generator.passages == [1] and a.attempts == []  # one reading, one passage
    assert len(a.retrieved) == 3  # the sources panel still lists what was found
    c = next(c for c in a.citations if c.verified)
    assert c.chunk.doc_id == "lighthouse.txt" and "塔高36米" in c.quote


def test_a_question_the_documents_do_not_answer_is_refused_after_every_passage_is_read(pipeline):
    pipeline.generator.passages.clear()
    a = pipeline.ask("北礁灯塔的建造费用是多少？")
    assert a.refused, a.answer
    # Read from the top passage alone first; when that gives no accepted answer, from all.
    assert pipeline.generator.passages in ([1, 3], [3])
