"""A step asked for by its number ("第三步要做什么？", "What is step 2?") is the Nth item of the
numbered list its passage's document holds under the heading the question names."""
from __future__ import annotations

from rag.records import Chunk, Document, Hit
from rag.steps import asked_step, numbered_lists, step_first

# An invented kettle's manual: two procedures, a section numbered in Chinese, an item of two lines
MANUAL = ("# 快煮壶使用说明\n\n一、首次使用前\n1. 撕下壶身的保护膜。\n2. 加水至最高水位线，煮沸后倒掉。\n"
          "3. 重复一次。\n\n二、除垢步骤\n1. 倒入白醋和清水各半。\n2. 煮沸后静置一小时。\n"
          "注意：不要盖上壶盖。\n3. 倒掉并用清水冲洗两遍。\n\n三、保修\n保修期一年。")


def _hits(text: str, start: int, end: int) -> tuple[list[Hit], dict[str, Document]]:
    doc = Document(doc_id="kettle.md", path="kettle.md", text=text, title="快煮壶使用说明")
    return [Hit(Chunk("kettle.md", 0, text[start:end], start, end), 1.0, 1)], {"kettle.md": doc}


def test_the_step_a_question_asks_for():
    assert asked_step("除垢的第三步要做什么？") == 3
    assert asked_step("第一步該做什麼？") == 1 and asked_step("那第十二步呢？") == 12
    assert asked_step("What is step 2 of descaling?") == 2 and asked_step("What's the second step?") == 2
    assert asked_step("Step one?") == 1
    # no step by its number: how many steps, a step's count, a path
    assert asked_step("除垢一共有几步？") is None and asked_step("这三步都要做吗？") is None
    assert asked_step("How do I set up two-step sign-in?") is None


def test_numbered_lists_their_headings_and_items():
    lists = numbered_lists(MANUAL)
    assert [(s.heading, len(s.items)) for s in lists] == [("一、首次使用前", 3), ("二、除垢步骤", 3)]
    a, b = lists[1].items[1]
    assert MANUAL[a:b] == "2. 煮沸后静置一小时。\n注意：不要盖上壶盖。"  # a line that goes on with its item
    # a section numbered in Chinese is no step; an item out of turn ends a list; one item is no list
    assert numbered_lists("一、准备\n二、清洗\n三、晾干") == []
    assert [len(s.items) for s in numbered_lists("1. 甲\n2. 乙\n4. 丁\n5. 戊")] == [2]
    assert numbered_lists("1. 只有一步") == []
    # steps written 步骤一, Step 1 or 第1步; a list right after another has no heading of its own
    text = "如何重置：\n步骤一：长按复位键。\n步骤二：等待闪烁。\n\nReset:\nStep 1: Hold it.\nStep 2: Wait.\n\n第1步 拔电\n第2步 插电"
    assert [(s.heading, [text[a:b] for a, b in s.items]) for s in numbered_lists(text)] == [
        ("如何重置：", ["步骤一：长按复位键。", "步骤二：等待闪烁。"]), ("Reset:", ["Step 1: Hold it.", "Step 2: Wait."]),
        ("", ["第1步 拔电", "第2步 插电"])]


def test_the_step_is_handed_over_from_the_list_the_question_names():
    hits, docs = _hits(MANUAL, 0, len(MANUAL))
    (hit,) = step_first("除垢的第三步要做什么？", hits, docs, "zh")
    assert hit.chunk.text == "3. 倒掉并用清水冲洗两遍。" and hit.chunk.context == "（「二、除垢步骤」共3步，这是第3步）"
    assert hit.chunk.start == MANUAL.index("3. 倒掉")
    (hit,) = step_first("第一次用之前，第二步是什么？", hits, docs, "zh")  # (首次使用前: its heading)
    assert hit.chunk.text == "2. 加水至最高水位线，煮沸后倒掉。"
    (hit,) = step_first("What is step 2 of 除垢?", hits, docs, "en")
    assert hit.chunk.context == "(step 2 of the 3 of “二、除垢步骤”)"
    # a step the list does not have, or no step asked: the passages as retrieved
    assert step_first("除垢的第五步要做什么？", hits, docs, "zh") is None
    assert step_first("除垢要用什么？", hits, docs, "zh") is None
    assert step_first("保修的第一步？", *_hits("保修期一年。", 0, 6), "zh") is None  # no list at all


def test_the_retriever_hands_over_the_step_alone(tmp_path, fake_embedder):
    from rag.config import Config
    from rag.index import update_index
    from rag.retrieve import Retriever

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "kettle.md").write_text(MANUAL, encoding="utf-8")
    update_index(tmp_path / "idx", [tmp_path / "docs"], Config(), fake_embedder)
    r = Retriever.open(tmp_path / "idx", fake_embedder, Config())
    found = r.search("快煮壶除垢的第二步要做什么？", 5)
    assert found.picked == "step" and [h.chunk.text for h in found.hits] == ["2. 煮沸后静置一小时。\n注意：不要盖上壶盖。"]
    assert r.search("快煮壶除垢要用什么？", 5).picked is None
