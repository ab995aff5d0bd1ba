"""The span probe (evals/span_probe.py): the model's span counts only when the answer holds it."""
from evals.metrics import Question
from evals.span_probe import compare, messages


def _row(qid: str, answer: str, short: str | None) -> dict:
    return {"id": qid, "question": "问", "answer": answer, "short_answer": short, "refused": False,
            "citations": [], "retrieved": []}


def test_the_models_span_is_scored_only_when_the_answer_holds_it():
    questions = {"a": Question("a", "这座桥建于哪一年？", ["1873年"]),
                 "b": Question("b", "这座湖位于哪个省？", ["云南省"])}
    rows = [_row("a", "这座桥建于1873年，由商人集资修建[1]。", "1873年，由商人集资修建"),
            _row("b", "这座湖位于云南省[1]。", "云南省")]
    spans = {"这座桥建于哪一年？": "1873年", "这座湖位于哪个省？": "四川省"}  # b: not in the answer
    asked = []

    def ask(question: str, answer: str) -> str:
        asked.append(answer)
        return spans[question]

    rows[0]["question"], rows[1]["question"] = "这座桥建于哪一年？", "这座湖位于哪个省？"
    result = compare(questions, rows, ask)
    assert result["model"] == (2, 1.0, 100.0)  # 1873年 exact; b keeps the rule's 云南省
    assert result["rules"][0] == 2 and result["rules"][2] < 100.0
    assert asked == ["这座桥建于1873年，由商人集资修建。", "这座湖位于云南省。"]  # markers stripped


def test_the_prompt_ends_with_the_question_and_the_answer():
    msgs = messages("这座湖位于哪个省？", "这座湖位于云南省。")
    assert msgs[0]["role"] == "system" and msgs[-1] == {"role": "user", "content": "问题：这座湖位于哪个省？\n回答：这座湖位于云南省。"}
