"""The answering pipeline on fakes: citations, refusals, follow-ups, prompt budget."""
import re

import pytest

from rag.answer import Pipeline, is_refusal
from rag.config import Config
from rag.errors import UsageError
from rag.index import update_index
from rag.prompt import REFUSAL, build_messages, sanitize_question
from rag.retrieve import Retriever
from rag.rewrite import is_followup, model_question, rewrite
from rag.manifest import Calibration
from rag.store import record_calibration
from rag.zh import question_language

from conftest import FakeEmbedder, FakeGenerator

# Every answering test runs on both stores (conftest.any_store sets RAG_STORE).
pytestmark = pytest.mark.usefixtures("any_store")


def _pipeline(tmp_path, docs, embedder, generator, config=None):
    config = config or Config.from_env()
    update_index(tmp_path / "idx", [docs], config, embedder)
    return Pipeline(Retriever.open(tmp_path / "idx", embedder, config), generator, config)


def _folder(tmp_path, files: dict[str, str]):
    """A documents folder holding ``files`` (name -> text)."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in files.items():
        (docs / name).write_text(text, encoding="utf-8")
    return docs


def test_answer_cites_and_verifies(tmp_path, seeds_dir, fake_embedder):
    gen = FakeGenerator(lambda m: "截至目前，VAST工具已经服务了全球近500万专业建模师[1]。")
    p = _pipeline(tmp_path, seeds_dir, fake_embedder, gen)
    events = list(p.stream("VAST服务了多少专业建模师？"))
    assert sum(e.kind == "token" for e in events) > 1  # streamed
    a = events[-1].answer
    assert not a.refused and a.citations and a.citations[0].verified
    c = a.citations[0]
    doc = p.retriever.index.docs[c.chunk.doc_id]
    assert doc.text[c.start:c.end] == c.quote and "500万" in c.quote
    j = a.to_json()
    assert set(j) >= {"question", "answer", "refused", "citations", "retrieved", "timings"}
    assert set(j["citations"][0]) >= {"n", "source", "title", "start", "end", "quote", "text"}


def test_fabricated_answer_is_refused(tmp_path, seeds_dir, fake_embedder):
    gen = FakeGenerator(lambda m: "VAST服务了全球近900万专业建模师[1]。")
    a = _pipeline(tmp_path, seeds_dir, fake_embedder, gen).ask("VAST服务了多少专业建模师？")
    assert a.refused and a.refusal_reason == "unsupported" and a.answer == REFUSAL["zh"]
    assert a.retrieved  # closest passages are still shown


def test_model_refusal_passes_through(tmp_path, seeds_dir, fake_embedder):
    gen = FakeGenerator(lambda m: "根据现有资料无法回答该问题。")
    a = _pipeline(tmp_path, seeds_dir, fake_embedder, gen).ask("商汤2026年营收多少？")
    assert a.refused and a.refusal_reason == "model"


def test_english_question_gets_english_prompt_and_refusal(tmp_path, seeds_dir, fake_embedder):
    gen = FakeGenerator(lambda m: "The documents do not contain the answer to this question.")
    p = _pipeline(tmp_path, seeds_dir, fake_embedder, gen)
    a = p.ask("Who is the CTO of MiniMax?")
    assert a.refused and a.answer == REFUSAL["en"]
    assert "[Passages]" in gen.calls[-1][-1]["content"]


def test_empty_index_refuses_without_generating(tmp_path, fake_embedder):
    docs = _folder(tmp_path, {"a.txt": "完全无关的内容。"})
    gen = FakeGenerator()
    p = _pipeline(tmp_path, docs, fake_embedder, gen)
    record_calibration(tmp_path / "idx", Config.from_env(), Calibration(min_top_dense=0.99, min_top_bm25=1e9))
    p.retriever = Retriever.open(tmp_path / "idx", fake_embedder, Config.from_env())
    a = p.ask("法国的首都是哪里？")
    assert a.refused and a.refusal_reason == "weak_evidence" and not gen.calls


def test_followup_is_rewritten_for_retrieval(tmp_path, seeds_dir, fake_embedder):
    gen = FakeGenerator()
    p = _pipeline(tmp_path, seeds_dir, fake_embedder, gen)
    history = [{"role": "user", "content": "MiniMax是哪一天登陆港交所的？"},
               {"role": "assistant", "content": "1月9日[1]。"}]
    a = p.ask("它的创始人是谁？", history)
    assert a.standalone_question and "MiniMax" in a.standalone_question
    assert any("闫俊杰" in h.chunk.text for h in a.retrieved)


def test_a_followup_finds_passages_with_the_previous_question_but_the_model_is_asked_it_alone(tmp_path, fake_embedder):
    docs = _folder(tmp_path, {"lake.txt": "青海湖是中国最大的内陆咸水湖，面积约4400平方公里。湖中有鸟岛和海心山。",
                              "river.txt": "黄河是中国第二长河，全长约5464公里，流经九个省区。"})
    gen = FakeGenerator()
    p = _pipeline(tmp_path, docs, fake_embedder, gen)
    history = [{"role": "user", "content": "青海湖的面积有多大？"},
               {"role": "assistant", "content": "约4400平方公里[1]。"}]
    a = p.ask("它的湖中有什么岛？", history)
    assert "青海湖的面积有多大" in a.standalone_question  # what retrieval searched with
    assert a.retrieved[0].chunk.doc_id == "lake.txt"
    prompt = gen.calls[-1][-1]["content"]
    # Shown the previous question, the model answered it too ("…[4]。如果遊客要登上…").
    assert "问题：它的湖中有什么岛？" in prompt and "青海湖的面积有多大" not in prompt
    assert "青海湖是中国最大的内陆咸水湖" in prompt  # the passage names what 它 stands for


def test_rewrite_rules():
    h = [{"role": "user", "content": "TerraPix是哪一天上市的？"}]
    assert is_followup("它的CTO是谁？") and is_followup("那Lumora呢？") and is_followup("第二个呢")
    assert not is_followup("ORVA服务了多少注册设计师？")
    assert rewrite("ORVA服务了多少注册设计师？", h) == "ORVA服务了多少注册设计师？"
    assert "TerraPix" in rewrite("它的CTO是谁？", h)
    chained = rewrite("那创始人呢？", [{"role": "user", "content": rewrite("它的CTO是谁？", h)}])
    assert chained.count("接上文") == 1
    # "那X呢？" about another company: the previous question, asked of X.
    founder = [{"role": "user", "content": "TerraPix的创始人是谁？"}]
    assert rewrite("那Lumora呢？", founder) == "Lumora的创始人是谁？"
    assert rewrite("蓝岬科技呢", h) == "蓝岬科技是哪一天上市的？"
    assert "接上文" in rewrite("那创始人呢？", founder)  # an attribute, not a new subject
    assert "接上文" in rewrite("那第二个呢？", founder)


def test_what_about_another_variant_of_the_subject_asks_the_same_of_it():
    """"那长续航版呢？" after a question about the standard version: the word with the same
    head (版) in the previous question's subject stands for it; the model is asked the
    whole question, not the bare follow-up (which it answered with the price)."""
    asked = [{"role": "user", "content": "云雀X5标准版的续航是多少公里？"}]
    assert rewrite("那长续航版呢？", asked) == "云雀X5长续航版的续航是多少公里？"
    assert rewrite("那女子组呢？", [{"role": "user", "content": "青石杯男子组的冠军是谁？"}]) == "青石杯女子组的冠军是谁？"
    # a word of another head, or the same word again: the context note as before
    assert "接上文" in rewrite("那价格呢？", asked)
    assert "接上文" in rewrite("那标准版呢？", asked)


def test_what_about_another_word_of_the_same_head_anywhere_in_the_question_asks_the_same_of_it():
    """"那节假日呢？" after "工作日8路末班车几点？": the one word of the previous question with
    the follow-up's head (its last character: 日 of 工作日 and 节假日) stands for it, wherever
    it stands in the question, not only in its subject."""
    def ask(question, previous):
        return rewrite(question, [{"role": "user", "content": previous}])

    assert ask("那节假日呢？", "工作日8路末班车几点？") == "节假日8路末班车几点？"
    assert ask("那董事会开会呢？", "股东大会要多少人出席才有效？") == "董事会开会要多少人出席才有效？"
    # two words of that head, none, or the follow-up's word holding the one there: the note
    assert "接上文" in ask("那冬季呢？", "夏季和春季的票价各是多少？")
    assert "接上文" in ask("那押金呢？", "工作日8路末班车几点？")
    assert "接上文" in ask("那会话超时呢？", "连接的超时时间默认是多少？")


def test_an_english_what_about_another_one_of_a_kind_asks_the_model_the_same_of_it():
    """"And at the Riverside branch?" after a question about the Hilltop branch: the model is
    asked the previous question with the words before the shared head (branch) swapped; a
    code (And B7?) for the previous one of the same letters. Alone, it answered with the
    branch's address. The search and the checks keep the follow-up and its note."""
    def asked(question, previous):
        standalone = rewrite(question, [{"role": "user", "content": previous}], "en")
        assert "following up on" in standalone  # (what is searched and checked, as before)
        return model_question(standalone)

    password = "What's the Wi-Fi password at the Hilltop branch?"
    assert asked("And at the Riverside branch?", password) == "What's the Wi-Fi password at the Riverside branch?"
    assert asked("What about the East Wing library?", "When does the West Wing library open?") \
        == "When does the East Wing library open?"
    assert asked("And B7?", "What does fault code B2 on the boiler mean?") == "What does fault code B7 on the boiler mean?"
    # another head, a bare word, a code of other letters, a head with nothing before it: as asked
    assert asked("And the opening hours?", password) == "And the opening hours?"
    assert asked("And Riverside?", password) == "And Riverside?"
    assert asked("And E7?", "What does fault code B2 mean?") == "And E7?"
    assert asked("And the Riverside branch?", "Where is the branch?") == "And the Riverside branch?"


def test_the_model_is_asked_an_english_follow_up_as_the_previous_question_of_its_subject(tmp_path, fake_embedder):
    """...and the answer is on the question when near the words of either: the follow-up
    names only "branch", which the page does not write beside its password."""
    docs = _folder(tmp_path, {"hilltop.txt": "Hilltop branch. Guest Wi-Fi password: moss-7781.",
                              "riverside.txt": "Riverside. Address: 12 Mill Road.\n\nGuest Wi-Fi password: reed-2290."})
    history = [{"role": "user", "content": "What's the Wi-Fi password at the Hilltop branch?"},
               {"role": "assistant", "content": "moss-7781 [1]"}]

    def script(messages):
        prompt = messages[-1]["content"]
        m = re.search(r"\[(\d)\][^\[]*reed-2290", prompt, re.S)
        return f"reed-2290 [{m.group(1)}]" if "Wi-Fi password at the Riverside branch?" in prompt and m else "No."

    a = _pipeline(tmp_path, docs, fake_embedder, FakeGenerator(script)).ask("And at the Riverside branch?", history)
    assert not a.refused and a.answer.startswith("reed-2290"), a.answer
    # an answer near neither (the address) is refused as before
    def address(messages):
        m = re.search(r"\[(\d)\][^\[]*Mill Road", messages[-1]["content"], re.S)
        return f"12 Mill Road [{m.group(1)}]" if m else "No."

    (tmp_path / "b").mkdir()
    docs_b = _folder(tmp_path / "b", {"riverside.txt": "Riverside. Address: 12 Mill Road.\n\nGuest Wi-Fi password: reed-2290."})
    a = _pipeline(tmp_path / "b", docs_b, fake_embedder, FakeGenerator(address)).ask("And at the Riverside branch?", history)
    assert a.refused, a.answer


def test_he_or_she_after_a_who_question_is_the_person_the_answer_named():
    """"他的工号是多少？" after "销售部的负责人是谁？" is asked about the person the answer
    named, whom the passages found through the previous question list beside others."""
    def turn(q, a):
        return [{"role": "user", "content": q}, {"role": "assistant", "content": a}]

    head = turn("青石物流销售部的负责人是谁？", "青石物流销售部的负责人是白若岚[1]。")
    assert rewrite("她的工号是多少？", head) == "白若岚的工号是多少？"
    assert rewrite("他的电话是多少？", turn("財務部的負責人是誰？", "蔣書寧[1]")) == "蔣書寧的电话是多少？"
    assert rewrite("他是哪所大学毕业的？", turn("这家公司由谁创办？", "这家公司由前副总裁邝俊杰于2019年创办[1]。")) \
        == "邝俊杰是哪所大学毕业的？"
    # not a who-question, two names, a refusal, or 他们: the context note as before
    assert rewrite("他的电话是多少？", turn("財務部在哪里？", "在三楼[1]")) == "他的电话是多少？（接上文：財務部在哪里？）"
    assert rewrite("他的电话是多少？", turn("谁负责这两件事？", "王小明和李大伟分别负责[1]。")).startswith("他的")
    assert rewrite("他的电话是多少？", turn("谁负责？", "根据现有资料无法回答该问题。")).startswith("他的")
    assert rewrite("他们的电话是多少？", turn("谁负责？", "蔣書寧[1]")).startswith("他们的")


@pytest.mark.parametrize("bad", ["", "   ", "\x00\x01", "？？？!!!", "。。。"])
def test_questions_without_content_are_refused_clearly(bad):
    with pytest.raises(UsageError):
        sanitize_question(bad)


def test_question_hygiene():
    notes = []
    q = sanitize_question("澄川\x00是\t什么" + "长" * 20000, warn=notes.append)
    assert "\x00" not in q and len(q) == 1000 and notes
    assert sanitize_question("TerraPix 🚀 上市了吗") == "TerraPix 🚀 上市了吗"


def test_language_detection():
    assert question_language("TerraPix是哪一天登陆纽交所的？") == "zh"
    assert question_language("When did TerraPix list in New York?") == "en"
    assert question_language("Who founded 蓝岬科技?") == "en"


def test_instructions_and_examples_are_written_in_the_script_of_the_question(tmp_path, fake_embedder):
    docs = _folder(tmp_path, {"river.txt": "淡水河是臺灣北部的主要河流，全長約159公里，流經臺北盆地。"})
    gen = FakeGenerator()
    p = _pipeline(tmp_path, docs, fake_embedder, gen)
    hits = p.retriever.search("淡水河", 3).hits
    traditional = build_messages("淡水河全長多少公里？", hits, "zh", gen, 200)[0]
    text = "".join(m["content"] for m in traditional)
    assert "根據現有資料無法回答該問題。" in text and "問題：淡水河全長多少公里？" in text
    assert "根据" not in text and "问题：" not in text
    simplified = "".join(m["content"] for m in build_messages("淡水河全长多少公里？", hits, "zh", gen, 200)[0])
    assert "根据现有资料无法回答该问题。" in simplified and "问题：淡水河全长多少公里？" in simplified


def test_english_passages_get_three_times_the_characters_of_the_chinese_focus_budget(tmp_path, fake_embedder):
    # English takes about a third of the tokens per character: at the Chinese budget the
    # model saw one sentence of the passage.
    english = ("The museum opened in May 1931 in a wool mill. Its east wing holds textile machines. "
               "The café serves lunch. Guided tours start at ten. Tickets are sold at the door.")
    chinese = "博物馆于1931年开放。东翼陈列纺织机械。咖啡馆供应午餐。导览十点开始。门票十二欧元。"
    docs = _folder(tmp_path, {"en.txt": english, "zh.txt": chinese})
    gen = FakeGenerator()
    p = _pipeline(tmp_path, docs, fake_embedder, gen)
    [en_hit] = [h for h in p.retriever.search("museum", 2).hits if h.chunk.doc_id == "en.txt"]
    [zh_hit] = [h for h in p.retriever.search("博物馆", 2).hits if h.chunk.doc_id == "zh.txt"]
    shown = build_messages("When did the museum open?", [en_hit], "en", gen, 200, focus_chars=40)[0][-1]["content"]
    assert "textile machines" in shown and "Tickets are sold" not in shown  # ~120 characters of it
    shown = build_messages("博物馆何时开放？", [zh_hit], "zh", gen, 200, focus_chars=20)[0][-1]["content"]
    assert "博物馆于1931年开放" in shown and "咖啡馆" not in shown  # 20 characters of it


def test_a_cut_passage_is_marked_in_the_script_of_the_question(tmp_path, fake_embedder):
    class Small(FakeGenerator):
        n_ctx = 1100  # room for one passage whole and part of the next

    sentence = "淡水河是臺灣北部的主要河流，流經臺北盆地，注入臺灣海峽。"
    docs = _folder(tmp_path, {f"river{i}.txt": f"第{i}段。" + sentence * 6 for i in range(4)})
    gen = Small()
    p = _pipeline(tmp_path, docs, fake_embedder, gen)
    hits = p.retriever.search("淡水河", 4).hits
    user = build_messages("淡水河流經哪個盆地？", hits, "zh", gen, 200)[0][-1]["content"]
    assert "……（節選）" in user and "节选" not in user
    user = build_messages("淡水河流经哪个盆地？", hits, "zh", gen, 200)[0][-1]["content"]
    assert "……（节选）" in user


def test_prompt_fits_context_and_never_cuts_mid_sentence(tmp_path, seeds_dir, fake_embedder):
    class Small(FakeGenerator):
        n_ctx = 1200

    gen = Small()
    p = _pipeline(tmp_path, seeds_dir, fake_embedder, gen)
    hits = p.retriever.search("商汤", 10).hits
    messages, used = build_messages("商汤亏损多少？", hits, "zh", gen, 200)
    total = sum(gen.count_tokens(m["content"]) for m in messages)
    assert total + 200 <= gen.n_ctx
    assert 0 < len(used) < 10
    user = messages[-1]["content"]
    if "（节选）" in user:
        excerpt = user.split("（节选）")[0]
        assert excerpt.rstrip("…")[-1] in "。！？；\n"


def test_focus_shows_the_line_that_answers_over_a_heading_that_matches_as_well():
    """An invented supplier's reply mail: its subject heading and its delivery line both say
    交货; the heading is the passage's title already, so the line is what the model sees."""
    from rag.prompt import focus

    mail = ("# Re: 报价及交货安排\n\n发件人：邵雨桐\n日期：2025-03-04\n\n您好！感谢贵司的订单确认。"
            "\n\n1. 交货日期：原定的3月10日无法按时交货，现调整为3月17日。")
    shown = focus(mail, "这批货现在定在哪天交货？", 40)
    assert "3月17日" in shown and not shown.startswith("# Re")
    # a heading that matches more than any line is still the one shown
    assert focus("# 交货日期与付款\n\n您好！\n\n感谢确认。\n\n付款按原约定。", "交货日期是哪天？", 12).startswith("# 交货日期")


def test_lower_ranked_passages_are_focused_harder(tmp_path, seeds_dir, fake_embedder):
    gen = FakeGenerator()
    p = _pipeline(tmp_path, seeds_dir, fake_embedder, gen)
    hits = p.retriever.search("商汤的累计亏损有多少？", 4).hits
    import re

    def bodies(messages):  # passage texts, without the "[n] 标题：..." header line
        return [b.split("\n", 1)[1] for b in re.split(r"\n\n(?=\[\d\])", messages[-1]["content"].split("\n\n问题：")[0])[1:]]

    same = bodies(build_messages("商汤的累计亏损有多少？", hits, "zh", gen, 200, 160)[0])
    rest = bodies(build_messages("商汤的累计亏损有多少？", hits, "zh", gen, 200, 160, 60)[0])
    assert rest[0] == same[0]  # the top passage keeps its 160 characters
    assert all(len(b) < len(a) or len(a) <= 62 for a, b in zip(same[1:], rest[1:]))
    assert sum(map(len, rest)) < sum(map(len, same))


def test_fixed_prefix_identical_across_questions(tmp_path, seeds_dir, fake_embedder):
    gen = FakeGenerator()
    p = _pipeline(tmp_path, seeds_dir, fake_embedder, gen)
    p.ask("VAST服务了多少专业建模师？")
    p.ask("MiniMax是哪一天登陆港交所的？")
    assert gen.calls[0][:-1] == gen.calls[1][:-1]  # only the last message differs


def test_is_refusal():
    assert is_refusal("根据现有资料无法回答该问题。")
    assert is_refusal("The documents do not contain the answer to this question.")
    assert not is_refusal("TerraPix于3月12日登陆纽交所[1]。")


def _three_docs(tmp_path, bridge: str = "# 江桥\n\n江桥于2001年竣工，全长3.2公里，是当地最长的桥梁。\n"):
    return _folder(tmp_path, {"bridge.md": bridge,
                              "lake.md": "# 湖区\n\n湖区盛产银鱼，每年秋季开捕。湖区旁的江桥码头建于1958年。\n",
                              "tower.md": "# 古塔\n\n城北古塔建于明代，塔高四十米。\n"})


def _by_passages(many: str, alone: str):
    """A scripted model that answers ``alone`` when shown one passage (the top one, read
    first), ``many`` when shown several."""
    def script(messages):
        return alone if messages[-1]["content"].count("标题：") == 1 else many
    return script


def _shown(call) -> int:
    return call[-1]["content"].count("标题：")


def test_the_top_passage_is_read_alone_first_and_an_accepted_answer_ends_there(tmp_path, fake_embedder):
    # Beside the other passages the model would take a fact from one it should not have;
    # alone with the top passage it reads it right, and nothing more is asked.
    gen = FakeGenerator(_by_passages("江桥于1958年竣工[3]。", "江桥于2001年竣工[1]。"))
    p = _pipeline(tmp_path, _three_docs(tmp_path), fake_embedder, gen)
    events = list(p.stream("江桥是哪一年竣工的？", k=3))
    a = events[-1].answer
    assert not a.refused and "2001年" in a.answer and a.citations[0].chunk.doc_id == "bridge.md"
    assert a.attempts == [] and [_shown(c) for c in gen.calls] == [1]
    assert len(a.retrieved) == 3  # the sources panel still lists every passage found
    assert "".join(e.text for e in events if e.kind == "token") == "江桥于2001年竣工[1]。"


@pytest.mark.parametrize("alone", ["根据现有资料无法回答该问题。", "江桥于1990年竣工[1]。"])
def test_every_passage_is_read_when_the_top_one_alone_gives_no_accepted_answer(tmp_path, fake_embedder, alone):
    # The model declined, or its answer was rejected (1990 is in no passage): all three
    # passages are read, once; only the first reading was streamed.
    gen = FakeGenerator(_by_passages("江桥于2001年竣工[1]，全长3.2公里[1]。", alone))
    p = _pipeline(tmp_path, _three_docs(tmp_path), fake_embedder, gen)
    events = list(p.stream("江桥是哪一年竣工的？", k=3))
    a = events[-1].answer
    assert not a.refused and "2001年" in a.answer and a.citations[0].chunk.doc_id == "bridge.md"
    assert a.attempts == [alone, "江桥于2001年竣工[1]，全长3.2公里[1]。"]
    assert [_shown(c) for c in gen.calls] == [1, 3]
    assert "".join(e.text for e in events if e.kind == "token") == alone
    assert any(e.kind == "status" and "other passages" in e.text for e in events)


def test_a_question_no_reading_answers_is_refused_for_the_last_reading(tmp_path, fake_embedder):
    docs = _three_docs(tmp_path)
    gen = FakeGenerator(_by_passages("江桥于1958年竣工[3]。", "江桥于1990年竣工[1]。"))
    a = _pipeline(tmp_path / "a", docs, fake_embedder, gen).ask("江桥是哪一年竣工的？", k=3)
    assert a.refused and a.refusal_reason == "unsupported"
    assert a.attempts == ["江桥于1990年竣工[1]。", "江桥于1958年竣工[3]。"]
    assert a.to_json()["attempts"] == a.attempts and a.model_answer == "江桥于1958年竣工[3]。"
    gen = FakeGenerator(_by_passages("根据现有资料无法回答该问题。", "江桥于1990年竣工[1]。"))
    a = _pipeline(tmp_path / "b", docs, fake_embedder, gen).ask("江桥是哪一年竣工的？", k=3)
    assert a.refused and a.refusal_reason == "model" and len(gen.calls) == 2


def test_the_top_passage_is_read_alone_first_only_when_it_stands_out():
    from rag.answer import TOP_MARGIN, first_reading
    from rag.records import Chunk, Hit

    def hits(*scores):
        return [Hit(Chunk("d.md", i, f"第{i}段。", 10 * i, 10 * i + 4), s, i + 1) for i, s in enumerate(scores)]

    clear = hits(1.0, 0.6, 0.5)
    assert first_reading(clear) == clear[:1]
    close = hits(1.0, TOP_MARGIN + 0.05, 0.5)  # two passages score alike: both are read at once
    assert first_reading(close) == close
    assert first_reading(clear, top_first=False) == clear
    assert first_reading(clear[:1]) == clear[:1] and first_reading([]) == []


_LONG_BRIDGE = ("# 江桥\n\n江桥于2001年竣工，全长3.2公里，是当地最长的桥梁。桥头立有一块石碑，记载修桥的经过和捐款人的"
                "姓名。桥面设有双向四车道，两侧各有一条人行道，夜间由路灯照明。桥墩采用圆形截面，可以减少水流冲刷。"
                "通车以后，两岸之间的车程由四十分钟缩短到十分钟，沿岸的集市也随之兴旺起来。附近的居民常在傍晚来桥上"
                "散步，远眺江面上往来的货船与渔船。每年秋季，桥下举办龙舟赛。\n")


def test_a_passage_read_alone_is_shown_whole(tmp_path, fake_embedder):
    # Read alone, the top passage is shown whole: the sentence the question's words do not
    # match may hold the answer. Read beside the others, it is focused to its best sentences.
    docs = _three_docs(tmp_path, _LONG_BRIDGE)
    assert Config().focus_chars < len(_LONG_BRIDGE) < Config().chunk_size
    gen = FakeGenerator(_by_passages("江桥于2001年竣工[1]。", "根据现有资料无法回答该问题。"))
    p = _pipeline(tmp_path, docs, fake_embedder, gen)
    p.ask("江桥是哪一年竣工的？", k=3)
    assert [_shown(c) for c in gen.calls] == [1, 3]
    alone, together = (c[-1]["content"] for c in gen.calls)
    assert "龙舟赛" in alone and "江桥于2001年竣工" in alone
    assert "龙舟赛" not in together and "江桥于2001年竣工" in together
    # A focus budget for it, if set, applies as before.
    gen = FakeGenerator(_by_passages("江桥于2001年竣工[1]。", "江桥于2001年竣工[1]。"))
    p.generator, p.config = gen, p.config.with_(focus_alone_chars=60)
    p.ask("江桥是哪一年竣工的？", k=3)
    assert [_shown(c) for c in gen.calls] == [1] and "龙舟赛" not in gen.calls[0][-1]["content"]


def test_one_reading_when_one_passage_is_asked_for_or_top_first_is_off(tmp_path, fake_embedder):
    docs = _three_docs(tmp_path)
    gen = FakeGenerator(_by_passages("江桥于2001年竣工[1]。", "根据现有资料无法回答该问题。"))
    a = _pipeline(tmp_path / "a", docs, fake_embedder, gen).ask("江桥是哪一年竣工的？", k=1)
    assert a.refused and a.refusal_reason == "model" and a.attempts == [] and len(gen.calls) == 1
    gen = FakeGenerator(_by_passages("江桥于2001年竣工[1]。", "根据现有资料无法回答该问题。"))
    p = _pipeline(tmp_path / "b", docs, fake_embedder, gen)
    p.config = p.config.with_(top_first=False)
    a = p.ask("江桥是哪一年竣工的？", k=3)
    assert not a.refused and a.attempts == [] and [_shown(c) for c in gen.calls] == [3]


def test_a_name_copied_from_the_worked_examples_makes_the_answer_unsupported(tmp_path, fake_embedder):
    # The long claim passes the overlap check on its other words; 王强 is the worked
    # example's founder, and this passage names another.
    docs = _folder(tmp_path, {"qinghe.md": "# 青禾机器人\n\n青禾机器人由林晓舟创立，现任董事长兼首席执行官为周远。\n"})
    reply = "青禾机器人的创始人是王强[1]，现任董事长兼首席执行官为周远。"
    a = _pipeline(tmp_path, docs, fake_embedder, FakeGenerator(lambda m: reply)).ask("青禾机器人的创始人和董事长是谁？")
    assert a.refused and a.refusal_reason == "unsupported"


def test_a_worked_example_name_the_passage_itself_gives_is_an_answer(tmp_path, fake_embedder):
    docs = _folder(tmp_path, {"qinghe.md": "# 青禾机器人\n\n青禾机器人由王强创立，总部位于杭州。\n"})
    a = _pipeline(tmp_path, docs, fake_embedder, FakeGenerator(lambda m: "青禾机器人的创始人是王强[1]。")) \
        .ask("青禾机器人的创始人是谁？")
    assert not a.refused and a.short_answer == "王强"


def test_leaked_example_names_only_what_the_sources_do_not_say():
    from rag.prompt import leaked_example

    assert leaked_example("The clinic was founded by Wang Qiang [1].", ["Who founded the clinic?",
                                                                        "The clinic was founded by Mara Lind."]) == "wang qiang"
    assert leaked_example("The office is in Hangzhou [1].", ["Where is the office?", "Our office is in Hangzhou."]) is None


class _Close(FakeEmbedder):
    """The fake embedder, but ``question`` and ``sentence`` share one vector: the embedder
    reads them as saying the same thing, whatever characters they share."""

    def __init__(self, question: str, sentence: str):
        self.same = {question, sentence}

    def _one(self, text):
        return super()._one("同一个意思") if text in self.same else super()._one(text)


def test_an_answer_that_restates_the_question_is_backed_by_the_sentence_that_states_what_it_adds(tmp_path):
    """The model restates the question around its answer; the passage words the restated
    part otherwise, so the claim's lexical support falls under the threshold. The one
    sentence holding what it adds backs it when the embedder finds that sentence close to
    the question -- not otherwise."""
    sentence = "与主要接待北国游客的白沙岛不同，青石岛的游客主要来自南洲本土和西洲。"
    # (another sentence holds 西洲 too, first: the one closest to the question backs the claim)
    docs = _folder(tmp_path, {"青石岛.txt": "青石岛主要的观光地为东岸以及南湾，西洲的渔船常停靠在这里。" + sentence
                              + "2005年共有20万名游客到青石岛观光。"})
    question = "青石岛的游客绝大多数都来自于南洲本土以及哪一个国家？"
    gen = FakeGenerator(lambda m: "青石岛的游客绝大多数都来自于南洲本土以及西洲[1]。")
    answer = _pipeline(tmp_path, docs, _Close(question, sentence), gen).ask(question)
    assert not answer.refused and answer.citations[0].verified and sentence in answer.citations[0].quote
    assert answer.short_answer == "西洲"
    # the same answer, the sentence not close to the question: unsupported, as before
    answer = _pipeline(tmp_path, docs, FakeEmbedder(), gen).ask(question)
    assert answer.refused and answer.refusal_reason == "unsupported"


def test_what_a_restating_answer_adds_must_stand_in_one_passage_sentence():
    from rag.restated import sentences_adding

    question = "到访青石岛的游客大多来自于南洲本土以及哪一个国家？"
    passage = "青石岛位于南海。与白沙岛不同，青石岛的游客主要来自南洲本土和西洲。西洲人常来。"
    assert sentences_adding(question, "到访青石岛的游客大多来自于南洲本土以及西洲[1]。", [passage]) \
        == [(0, "与白沙岛不同，青石岛的游客主要来自南洲本土和西洲。"), (0, "西洲人常来。")]
    # what it adds spread over two sentences backs nothing
    assert sentences_adding(question, "到访青石岛的游客大多来自于南洲本土以及西洲和北洲。",
                            ["西洲人常去青石岛。北洲人也去。"]) == []
    # a number alone is what it adds: the sentences holding it
    assert sentences_adding("它总共分为几个阶段？", "它总共分为3个阶段[1]。", ["全程共分为3期，也称为3个阶段。"]) \
        == [(0, "全程共分为3期，也称为3个阶段。")]
    assert sentences_adding("它总共分为几个阶段？", "它总共分为几个阶段。", ["全程共分为3期。"]) == []
    # an answer that restates little of the question is judged by its own words alone
    assert sentences_adding(question, "西洲和北洲的游客最多。", ["西洲和北洲的游客最多。"]) == []


def test_a_number_a_restating_answer_repeats_from_the_question_is_the_questions(tmp_path):
    """What the claim adds must be in the sentence; a number it restates from the question
    need not be (the question's 53年后, where the passage gives the two years), but a year
    the question names and the passage does not is still refused, as for any answer."""
    sentence = "青石县的户籍人口从1949年的59.9万人增加到2002年的136.03万人，增长迅速。"
    docs = _folder(tmp_path, {"青石县.txt": "青石县位于南海之滨，以渔业著称。" + sentence})
    question = "青石县的户籍人口在59.9万人之后的53年后为多少万人呢？"
    gen = FakeGenerator(lambda m: "青石县的户籍人口在59.9万人之后的53年后为136.03万人[1]。")
    answer = _pipeline(tmp_path, docs, _Close(question, sentence), gen).ask(question)
    assert not answer.refused and answer.short_answer.startswith("136.03")
    question = "2019年青石县的户籍人口在59.9万人之后的53年后为多少万人呢？"
    gen = FakeGenerator(lambda m: "2019年青石县的户籍人口在59.9万人之后的53年后为136.03万人[1]。")
    answer = _pipeline(tmp_path, docs, _Close(question, sentence), gen).ask(question)
    assert answer.refused and answer.refusal_reason == "off_question"  # 2019 is no year of the passage


def test_an_answer_left_with_no_verified_citation_after_off_filter_rows_go_is_refused(tmp_path, fake_embedder):
    """Asked about 畅游99, the model read another plan's row for one claim and cited a row
    that does not say the other: the first goes (off the question's filter), and what is
    left stands on nothing, so the answer is refused, not shown as "一张每月10元[2]"."""
    plans = "套餐,月费(元),备注\n畅游39,39,可加装副卡，每张10元/月\n畅游99,99,超出后0.1元/分钟\n畅游129,129,赠送云存储\n"
    story = "畅游系列套餐由海港通信推出，覆盖全市。"

    def script(messages):
        prompt = messages[-1]["content"]
        sheet = re.search(r"\[(\d)\][^\[]*畅游39", prompt, re.S)
        other = re.search(r"\[(\d)\][^\[]*海港通信", prompt, re.S)
        if sheet and other:
            return f"可以加装副卡[{sheet.group(1)}]，一张每月10元[{other.group(1)}]。"
        return "根据现有资料无法回答该问题。"

    p = _pipeline(tmp_path, _folder(tmp_path, {"plans.csv": plans, "intro.txt": story}), fake_embedder,
                  FakeGenerator(script))
    a = p.ask("畅游99能不能加装副卡？一张每月多少钱？")
    assert a.refused, a.answer


def test_a_cantonese_question_is_searched_and_asked_in_written_chinese(tmp_path, fake_embedder):
    docs = _folder(tmp_path, {"gym.txt": "健身中心位於商場三樓，開放時間為每日上午七時至晚上十一時。學生月費港幣280元。"})
    gen = FakeGenerator(lambda m: "健身中心位於商場三樓[1]。")
    p = _pipeline(tmp_path, docs, fake_embedder, gen)
    a = p.ask("健身中心喺邊度？")
    assert a.standalone_question == "健身中心在哪裡？"  # what was searched, checked and asked
    assert "健身中心在哪裡？" in gen.calls[-1][-1]["content"] and "喺" not in gen.calls[-1][-1]["content"]
    assert p.ask("健身中心在哪裡？").standalone_question is None  # written Chinese: as asked
    # a follow-up in Cantonese, and the previous question its note carries
    history = [{"role": "user", "content": "學生月費要俾幾多錢？"}, {"role": "assistant", "content": "港幣280元[1]。"}]
    assert p.ask("咁開放時間呢？", history).standalone_question == "那開放時間呢？（接上文：學生月費要給多少錢？）"


# An invented bookshop chain's sales sheet: its unit is stated once, in a line above the header.
SALES = "晴川书店2025年各门店销售额\n单位：万元\n门店,一季度,二季度\n东城店,120,135\n西城店,98,101\n"


def test_a_bare_figure_from_a_sheet_whose_unit_line_is_money_is_money_and_gets_that_unit(tmp_path, fake_embedder):
    gen = FakeGenerator(lambda m: "101[1]")
    p = _pipeline(tmp_path, _folder(tmp_path, {"sales.csv": SALES}), fake_embedder, gen)
    a = p.ask("西城店二季度的销售额是多少？")
    assert not a.refused and a.answer == "101万元[1]", a.answer


def test_a_bare_figure_is_no_money_without_a_money_unit_above_its_table(tmp_path, fake_embedder):
    # the unit line in a note under the table, or a unit that is no money: still refused
    for sheet in ("门店,一季度,二季度\n东城店,120,135\n西城店,98,101\n单位：万元\n",
                  SALES.replace("单位：万元", "单位：人次")):
        root = tmp_path / str(len(sheet))
        root.mkdir()
        p = _pipeline(root, _folder(root, {"sales.csv": sheet}), fake_embedder, FakeGenerator(lambda m: "101[1]"))
        a = p.ask("西城店二季度的销售额是多少？")
        assert a.refused, a.answer


def test_a_bare_figure_from_a_row_whose_name_carries_a_money_unit_gets_that_unit(tmp_path, fake_embedder):
    # an invented ferry company's key figures, its rows the things measured, as a report prints them
    report = ("# 澄屿轮渡2025年主要指标\n\n全年运营平稳。\n\n| 指标 | 2025年 | 2024年 |\n| 营业收入（亿元） | 3.42 | 3.17 |\n"
              "| 客运量（万人次） | 512 | 498 |\n| 航线数 | 14 | 12 |\n")
    p = _pipeline(tmp_path, _folder(tmp_path, {"report.md": report}), fake_embedder, FakeGenerator(lambda m: "3.42[1]"))
    a = p.ask("澄屿轮渡2025年的营业收入是多少？")
    assert not a.refused and a.answer == "3.42亿元[1]", a.answer
    # a row whose bracket is no money, or a row without one: a bare figure stays refused
    for said in ("512[1]", "14[1]"):
        root = tmp_path / said[:2]
        root.mkdir()
        p = _pipeline(root, _folder(root, {"report.md": report}), fake_embedder, FakeGenerator(lambda m, s=said: s))
        assert p.ask("澄屿轮渡2025年的营业收入是多少？").refused


def test_a_figure_given_the_unit_its_table_states_above_it_is_vouched_for(tmp_path, fake_embedder):
    """An invented bakery chain's sales sheet states its unit once, in its title row: the model
    writes the unit after the row's figure, and the row (which says 845) vouches for it; a
    unit it does not state, or another figure, is not vouched for."""
    sheet = "2025年上半年各分店营业额（单位：千元）\n分店,1月,2月\n东湖店,845,791\n西岭店,1176,1088\n"
    for said, answer in (("845千元[1]", "845千元[1]"), ("845万元[1]", None), ("846千元[1]", None)):
        root = tmp_path / said[:5]
        root.mkdir()
        p = _pipeline(root, _folder(root, {"sales.csv": sheet}), fake_embedder, FakeGenerator(lambda m, s=said: s))
        a = p.ask("东湖店1月卖了多少？")
        assert (None if a.refused else a.answer) == answer, (a.answer, a.refusal_reason)


def test_a_count_given_its_measure_word_is_vouched_for_by_a_column_that_counts(tmp_path, fake_embedder):
    """An invented inspection report's table counts hazards per workshop in a column "隐患数":
    the model writes the count with a measure word (22项, 22个) and the row vouches for it; a
    figure from a column that counts nothing (整改率), or another figure, is not vouched for."""
    report = ("# 苇岸机械2024年安全检查\n\n| 车间 | 隐患数 | 整改率 |\n|---|---|---|\n| 冲压车间 | 15 | 93 |\n"
              "| 焊装车间 | 22 | 100 |\n| 涂装车间 | 9 | 88 |\n")
    for said, answer in (("焊装车间查出了22项隐患[1]。", "焊装车间查出了22项隐患[1]。"), ("焊装车间有22个隐患[1]。", "焊装车间有22个隐患[1]。"),
                         ("焊装车间整改了100项[1]。", None), ("焊装车间查出了23项隐患[1]。", None)):
        root = tmp_path / str(len(list(tmp_path.iterdir())))
        root.mkdir()
        p = _pipeline(root, _folder(root, {"report.md": report}), fake_embedder, FakeGenerator(lambda m, s=said: s))
        a = p.ask("焊装车间查出了多少项隐患？")
        assert (None if a.refused else a.answer) == answer, (said, a.answer, a.refusal_reason)


def test_an_answer_that_reads_back_the_note_over_picked_rows_is_refused(tmp_path, fake_embedder):
    # an invented logistics firm's depots; the second by area is picked by arithmetic, with a note
    depots = ("# 澄屿物流仓库一览\n\n| 仓库 | 面积（平方米） | 启用年份 |\n|---|---|---|\n| 东仓 | 8000 | 2012年 |\n"
              "| 西仓 | 12500 | 2018年 |\n| 南仓 | 6400 | 2021年 |\n| 北仓 | 9100 | 2015年 |\n")
    # the note's words beside the row's name are true of it: kept ("… of 6 rows" after a row named)
    for said, refused in (("面积（平方米）第二大的一行，共4行[1]。", True), ("北仓[1]", False),
                          ("北仓[1]是面积（平方米）第二大的一行，共4行[1]。", False)):
        root = tmp_path / str(len(said))
        root.mkdir()
        p = _pipeline(root, _folder(root, {"depots.md": depots}), fake_embedder, FakeGenerator(lambda m, s=said: s))
        a = p.ask("哪个仓库面积第二大？")
        assert a.refused is refused, a.answer


def test_an_answer_from_the_lookalikes_of_a_version_the_folder_lacks_is_refused(tmp_path, fake_embedder):
    """Two branches' guest pages of an invented inn chain: asked about a third branch, the
    breakfast hours of one of them are no answer."""
    docs = _folder(tmp_path, {
        "inn_riverside_guest_info.txt": "Harlow Riverside guest information\n\nBreakfast is served 7:00-10:00.",
        "inn_old_town_guest_info.txt": "Harlow Old Town guest information\n\nBreakfast is served 6:30-9:30."})

    def script(messages):
        m = re.search(r"\[(\d)\][^\[]*7:00-10:00", messages[-1]["content"], re.S)
        return f"7:00-10:00 [{m.group(1)}]" if m else "No."

    p = _pipeline(tmp_path, docs, fake_embedder, FakeGenerator(script))
    assert p.ask("What time is breakfast at the Harlow Lakeside branch?").refused
    a = p.ask("What time is breakfast at the Harlow Riverside branch?")
    assert not a.refused and a.answer.startswith("7:00-10:00"), a.answer


def test_an_answer_carrying_a_figure_no_passage_states_is_refused(tmp_path, fake_embedder):
    """An invented repair shop's hotline hours: "0:00" misread from 09:00 sits in a clause
    beside a verified one (the closing time); the answer is refused, not shown with it. The
    same answer with the passage's own figure is an answer."""
    docs = _folder(tmp_path, {"hotline.txt": "# 维修热线\n\n热线服务时间：周一至周五 09:00-18:00，周六 09:00-12:00，周日休息。\n"})
    for said, refused in (("周六0:00[1]到12:00[1]。", True), ("周六9:00[1]到12:00[1]。", False)):
        root = tmp_path / str(refused)
        root.mkdir()
        p = _pipeline(root, docs, fake_embedder, FakeGenerator(lambda m, said=said: said))
        a = p.ask("维修热线周六几点到几点有人接？")
        assert a.refused == refused, a.answer
        assert refused and a.refusal_reason == "unsupported" or "9:00" in a.answer


# An invented estate's clubhouse FAQ: a question line, then the answer with its condition.
FAQ = ("# 会所常见问题\n\n问1：租客可以使用会所吗？\n答：租客须由业主签署授权书，并到管理处申请住客证，方可使用会所。\n\n"
       "问2：会所几点关门？\n答：会所每晚11时关门。\n")


def test_a_yes_no_question_read_back_as_the_answer_gives_way_to_the_passage_sentence_behind_it(tmp_path, fake_embedder):
    p = _pipeline(tmp_path, _folder(tmp_path, {"faq.md": FAQ}), fake_embedder, FakeGenerator(lambda m: "租客可以使用会所[1]。"))
    a = p.ask("租客可以使用会所吗？")
    assert not a.refused and a.answer == "租客须由业主签署授权书，并到管理处申请住客证，方可使用会所[1]。", a.answer
    assert a.short_answer == "租客须由业主签署授权书，并到管理处申请住客证，方可使用会所"  # the rule, whole
    # ...and its citation sends the reader to that sentence, not to the FAQ's question line
    c = a.citations[0]
    assert c.quote.endswith("方可使用会所。") and FAQ[c.start:c.end] == c.quote, c.quote
    # an answer that says more than the question stays as the model wrote it
    root = tmp_path / "more"
    root.mkdir()
    said = "租客须由业主签署授权书，方可使用会所[1]。"
    p = _pipeline(root, _folder(root, {"faq.md": FAQ}), fake_embedder, FakeGenerator(lambda m: said))
    assert p.ask("租客可以使用会所吗？").answer == said


def test_the_sentence_given_for_a_yes_no_question_read_back_leaves_its_section_number(tmp_path, fake_embedder):
    rules = "# 員工手冊\n\n3.1　每週五為便服日，同仁可以穿著運動鞋上班。\n3.2　會議室須提前一日預約。\n"
    p = _pipeline(tmp_path, _folder(tmp_path, {"handbook.md": rules}), fake_embedder, FakeGenerator(lambda m: "可以穿運動鞋[1]。"))
    a = p.ask("星期五上班可以穿運動鞋嗎？")
    assert a.answer == "每週五為便服日，同仁可以穿著運動鞋上班[1]。", a.answer


def test_asked_how_to_do_something_the_model_reads_the_top_passage_whole(tmp_path, fake_embedder):
    manual = ("恢复出厂设置会清除所有设置。1. 保持打印机通电。2. 用回形针按住背面的复位孔约5秒。3. 等指示灯变绿后松开。"
              "4. 重新连接无线网络。保修期为两年。")
    docs = _folder(tmp_path, {"printer.txt": manual})
    gen = FakeGenerator()
    p = _pipeline(tmp_path, docs, fake_embedder, gen)
    hits = p.retriever.search("打印机复位", 2).hits
    steps = build_messages("打印机怎么恢复出厂设置？", hits, "zh", gen, 200, focus_chars=30)[0][-1]["content"]
    assert "2. 用回形针按住背面的复位孔约5秒" in steps and "4. 重新连接无线网络" in steps
    fact = build_messages("打印机保修期多久？", hits, "zh", gen, 200, focus_chars=30)[0][-1]["content"]
    assert "4. 重新连接无线网络" not in fact


_SERVICE = ("# 办理渠道\n\n线下营业厅：东湾路营业厅、北站营业厅、滨江营业厅、新城营业厅，营业时间均为每日9:00—18:00。"
            "网上营业厅全天开放。\n")


@pytest.mark.parametrize("listed, shown", [
    # every item of the one enumeration: counted, and the count leads
    ("东湾路营业厅[1]、北站营业厅[1]、滨江营业厅[1]、新城营业厅[1]", "共4个：东湾路营业厅、北站营业厅、滨江营业厅、新城营业厅[1]。"),
    # some of them: no count can be told from it
    ("东湾路营业厅[1]、北站营业厅[1]、滨江营业厅[1]", None),
])
def test_asked_how_many_a_list_of_all_that_a_passage_enumerates_is_counted(tmp_path, fake_embedder, listed, shown):
    gen = FakeGenerator(lambda m: listed)
    a = _pipeline(tmp_path, _folder(tmp_path, {"渠道.md": _SERVICE}), fake_embedder, gen).ask("线下营业厅有几个？")
    if shown is None:
        assert a.refused and a.refusal_reason == "off_question"
    else:
        assert not a.refused and a.answer == shown
        assert a.citations[0].quote == "东湾路营业厅、北站营业厅、滨江营业厅、新城营业厅"
        assert a.short_answer == "4个"
