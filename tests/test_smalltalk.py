"""A message that asks the documents nothing (a greeting, thanks, the time now) gets a reply
of its own, without retrieval or the model; a question wrapped in a greeting, or about a
time the documents state, is answered from them as any other."""
from rag.smalltalk import REPLY, small_talk, without_small_talk

from conftest import REPO, FakeGenerator, fake_pipeline, repository_questions

DOCS = {"timetable.txt": "社区图书馆每周六上午十点举办亲子讲座，讲座时长一小时。周一闭馆。",
        "refunds.txt": "会员卡退款须在办卡后30天内申请，审核需要5个工作日。"}


def _pipeline(tmp_path, embedder, gen):
    return fake_pipeline(tmp_path, DOCS, embedder, gen)


def test_small_talk_is_replied_to_without_the_documents(tmp_path, fake_embedder):
    # The passage the day would be taken from is there ("每周六…"): "星期六[1]" was the answer.
    gen = FakeGenerator(lambda m: "星期六[1]")
    p = _pipeline(tmp_path, fake_embedder, gen)
    for message, kind, reply in [("你好！", "greeting", REPLY["greeting"]["zh"]),
                                 ("今天星期幾？", "now", "我無法得知現在的時間、日期或天氣，只能根據已收錄的文檔回答問題。"),
                                 ("thanks a lot!", "thanks", REPLY["thanks"]["en"]),
                                 ("好的，明白了", "ok", REPLY["ok"]["zh"]), ("OK", "ok", REPLY["ok"]["en"]),
                                 ("你好，你是谁？", "identity", REPLY["identity"]["zh"])]:
        a = p.ask(message)
        assert small_talk(message) == kind
        assert (a.refused, a.refusal_reason, a.answer, a.retrieved, a.citations) == \
            (True, "small_talk", reply, [], []), message
    assert gen.calls == []  # the model was never asked


def test_a_question_wrapped_in_small_talk_is_answered_from_the_documents(tmp_path, fake_embedder):
    gen = FakeGenerator(lambda m: "审核需要5个工作日[1]。")
    p = _pipeline(tmp_path, fake_embedder, gen)
    for question in ["你好，请问审核需要几个工作日？", "今天的讲座几点开始？", "What time does the talk start?",
                     # (each may follow up on a date, a place or a product asked about before)
                     "几号？", "天气怎么样？", "怎么使用？", "What's the weather like?", "What's the date?"]:
        assert small_talk(question) is None, question
    a = p.ask("你好，请问审核需要几个工作日？")
    assert not a.refused and a.answer.startswith("审核需要5个工作日") and len(gen.calls) == 1


def test_a_follow_up_after_small_talk_reads_the_question_before_it(tmp_path, fake_embedder):
    history = [{"role": "user", "content": "会员卡退款审核要多久？"},
               {"role": "assistant", "content": "审核需要5个工作日[1]。"},
               {"role": "user", "content": "谢谢！"},
               {"role": "assistant", "content": REPLY["thanks"]["zh"]}]
    assert without_small_talk(history) == history[:2]
    assert without_small_talk(history[:2]) == history[:2]  # nothing to drop
    gen = FakeGenerator(lambda m: "须在办卡后30天内申请[1]。")
    p = _pipeline(tmp_path, fake_embedder, gen)
    a = p.ask("那要在多少天内申请？", history)
    assert "会员卡退款审核要多久" in a.standalone_question and "谢谢" not in a.standalone_question


def test_no_question_of_the_repositorys_sets_is_taken_for_small_talk():
    # 600-odd questions typed as users type them (typos, filler, emoji, follow-ups): none is
    # small talk whole, so none is kept from the documents.
    import json

    asked = repository_questions(without=("offtopic",))
    assert len(asked) > 500
    assert [q for q in asked if small_talk(q)] == []
    # ...while 13 of the 33 off-topic messages are (the rest go on down the path and are refused there).
    off = [json.loads(line)["question"] for line in
           (REPO / "evals" / "sets" / "offtopic" / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sum(small_talk(q) is not None for q in off) == 13
