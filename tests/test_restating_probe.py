"""The restating probe (evals/restating_probe.py): which answers it measures, and their class."""
from evals.metrics import Question
from evals.restating_probe import closeness

from conftest import FakeEmbedder

_PASSAGE = "青石岛位于南海。与白沙岛不同，青石岛的游客主要来自南洲本土和西洲。"


def _row(qid: str, question: str, answer: str) -> dict:
    return {"id": qid, "question": question, "answer": "根据现有资料无法回答该问题。", "refused": True,
            "model_answer": answer, "attempts": [],
            "retrieved": [{"source": "d.txt", "text": _PASSAGE, "start": 0, "end": len(_PASSAGE), "score": 1.0}]}


def test_restating_answers_no_passage_supports_are_measured_by_class():
    question = "青石岛的游客绝大多数都来自于南洲本土以及哪一个国家？"
    questions = {"a": Question("a", question, ["西洲"]), "b": Question("b", question, ["北洲"]),
                 "c": Question("c", question, [], answerable=False), "d": Question("d", "青石岛位于哪里？", ["南海"])}
    rows = [_row("a", question, "青石岛的游客绝大多数都来自于南洲本土以及西洲[1]。"),
            _row("b", question, "青石岛的游客绝大多数都来自于南洲本土以及西洲[1]。"),
            _row("c", question, "青石岛的游客绝大多数都来自于南洲本土以及西洲[1]。"),
            _row("d", "青石岛位于哪里？", "青石岛位于南海[1]。")]  # supported as it stands: not measured
    found = closeness(questions, rows, FakeEmbedder())
    assert [len(found[c]) for c in ("right", "wrong", "unanswerable")] == [1, 1, 1]
    assert found["right"][0][1].startswith("a: ") and 0 < found["right"][0][0] <= 1
