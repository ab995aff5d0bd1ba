"""English questions over Chinese documents and Chinese questions over English ones
(rag/translate.py), and answers that leave out the date or number the question asks for
(rag/relevance.py)."""
import pytest

from rag.answer import Pipeline
from rag.config import Config
from rag.errors import UsageError
from rag.index import update_index
from rag.cite import CitedAnswer
from rag.prompt import REFUSAL
from rag.records import Chunk, Citation
from rag.kind import complete_from_quote
from rag.retrieve import Retriever
from rag.translate import FALLBACK_LEAD, check_english, latin_names, numbers_to_english
from rag.zh import corpus_language

from conftest import FakeGenerator

ZH_ANSWER = "截至目前，VAST工具已经服务了全球近500万专业建模师[1]。"
EN_QUESTION = "How many professional 3D modelers does VAST serve?"


def _pipeline(tmp_path, docs, embedder, generator, config=Config()):
    update_index(tmp_path / "idx", [docs], config, embedder)
    return Pipeline(Retriever.open(tmp_path / "idx", embedder, config), generator, config)


def _roles(answer: str, **by_prompt: str):
    """A fake model that plays the three roles (translate, answer, rewrite) by the system
    prompt it is given: ``by_prompt`` maps a prompt's opening words to the reply."""
    def reply(messages):
        system = messages[0]["content"]
        return next((r for opening, r in by_prompt.items() if system.startswith(opening)), answer)
    return reply


def _script(translation="VAST服务了多少专业建模师？", answer=ZH_ANSWER,
            english="VAST serves nearly 5 million professional 3D modelers [1]."):
    return _roles(answer, 把用户的英文问题=translation, **{"Rewrite the Chinese answer": english})


@pytest.mark.parametrize("zh, en", [
    ("近300万注册设计师", "nearly 3 million注册设计师"),
    ("累计亏损370亿元", "累计亏损37 billion yuan"),
    ("估值14.6亿美元", "估值1.46 billion US dollars"),
    ("市值超过1200亿港元", "市值超过120 billion HK dollars"),
    ("6300多万", "over 63 million"),
    ("累计销售超3万台", "累计销售超30,000台"),
    ("3月12日上市", "March 12上市"),
    ("2024年12月15日", "December 15, 2024"),
    ("2023年7月立项", "July 2023立项"),
    ("在11月份裁员", "在November裁员"),
    ("2024年1-6月收入", "2024年1-6月收入"),  # a range is left as written
    ("1957年10月份通车", "October 1957通车"),
    ("1957 年 10 月 15 日", "October 15, 1957"),  # spaced, as PDF text often is
    ("民国46年10月", "民国46年10月"),  # a year of another calendar is left as written
    ("10月15开工", "10月15开工"),  # no 日: not sure it is a day
    ("份额为6.4%", "份额为6.4%"),
])
def test_chinese_amounts_and_dates_are_written_the_english_way(zh, en):
    assert numbers_to_english(zh) == en


def test_english_rewrite_is_checked_against_the_chinese_answer():
    q = "What was Clearbrook's cumulative loss from 2019 to the first half of 2024?"
    zh = "澄川数据的累计亏损高达370亿元[1]。"
    good = "Clearbrook's cumulative loss from 2019 to the first half of 2024 was 37 billion yuan [1]."
    assert check_english(good, q, zh) == good  # the question's own years may be repeated
    assert check_english("Clearbrook lost 370 billion yuan [1].", q, zh) is None  # number changed
    assert check_english("Norvale lost 37 billion yuan [1].", q, zh) is None  # a name from nowhere
    assert check_english("Clearbrook lost 37 billion yuan.", q, zh) is None  # citation dropped
    assert check_english("澄川数据的累计亏损高达37 billion yuan[1]。", q, zh) is None  # not translated
    assert check_english("Its chairman is Lin Jiahe [1].", "Who chairs Clearbrook?", "董事长是林嘉禾[1]。") is None
    # the person the answer names kept as written, not dropped (an invented duty roster)
    q = "Who is on duty on 1 October?"
    assert check_english("Duty is on October 1st [1].", q, "沈一禾[1]") is None
    assert check_english("沈一禾 is on duty on 1 October [1].", q, "沈一禾[1]") == "沈一禾 is on duty on 1 October [1]."


def test_names_and_corpus_language():
    assert latin_names("Who founded Corvin AI?") == ["Corvin AI"]
    assert latin_names("When did TerraPix list on the New York Stock Exchange?") == [
        "TerraPix", "New York Stock Exchange"]
    # a sentence's capitalised first word, "I", a day or a month: no names to keep as written
    assert latin_names("Until what date does the Elmwood lease run?") == ["Elmwood"]
    assert latin_names("Can I control the SmartKettle X2 with a voice assistant?") == ["SmartKettle X2"]
    assert latin_names("Does Harbour Lane open on Sundays? Please tell me.") == ["Harbour Lane"]
    assert latin_names("My kettle shows E3. What should I do?") == ["E3"]
    # ...but a name that opens the question is one
    assert latin_names("Qinghe Robotics was founded when?") == ["Qinghe Robotics"]
    assert latin_names("What does St. Brenna Hospital charge?") == ["St. Brenna Hospital"]
    assert corpus_language(["澄川数据成立于2016年。", "TerraPix上市"]) == "zh"
    assert corpus_language(["Clearbrook was founded in 2016 in Singapore."]) == "en"


def test_english_question_over_chinese_documents_is_answered_in_english(tmp_path, seeds_dir, fake_embedder):
    gen = FakeGenerator(_script())
    p = _pipeline(tmp_path, seeds_dir, fake_embedder, gen)
    events = list(p.stream(EN_QUESTION))
    a = events[-1].answer
    assert not a.refused
    assert a.answer == "VAST serves nearly 5 million professional 3D modelers [1]."
    assert a.standalone_question == "VAST服务了多少专业建模师？"  # what was searched, shown to the user
    assert a.model_answer == ZH_ANSWER  # the verified Chinese draft behind it
    assert a.citations and a.citations[0].verified and "500万" in a.citations[0].quote
    streamed = "".join(e.text for e in events if e.kind == "token")
    assert "建模师" not in streamed  # only the English answer is streamed
    translate_prompt = gen.calls[0][-1]["content"]
    assert "保留原文：VAST" in translate_prompt  # the documents use the name VAST as written


def test_a_rewrite_that_changes_a_number_is_replaced_by_the_chinese_answer(tmp_path, seeds_dir, fake_embedder):
    gen = FakeGenerator(_script(english="VAST serves 500,000 professional modelers [1]."))
    a = _pipeline(tmp_path, seeds_dir, fake_embedder, gen).ask(EN_QUESTION)
    assert not a.refused and a.answer == FALLBACK_LEAD + ZH_ANSWER


def test_refusal_of_the_chinese_draft_is_worded_in_english(tmp_path, seeds_dir, fake_embedder):
    gen = FakeGenerator(_script(answer="VAST服务了全球近900万专业建模师[1]。"))  # fabricated figure
    a = _pipeline(tmp_path, seeds_dir, fake_embedder, gen).ask(EN_QUESTION)
    assert a.refused and a.refusal_reason == "unsupported" and a.answer == REFUSAL["en"]


def test_a_translation_that_drops_a_document_name_is_not_used(tmp_path, seeds_dir, fake_embedder):
    gen = FakeGenerator(_script(translation="瓦斯特服务了多少专业建模师？",
                                answer="The documents do not contain the answer to this question."))
    a = _pipeline(tmp_path, seeds_dir, fake_embedder, gen).ask(EN_QUESTION)
    assert a.standalone_question is None  # answered as asked, in English
    assert "[Passages]" in gen.calls[-1][-1]["content"]


def test_cross_lingual_answering_can_be_switched_off(tmp_path, seeds_dir, fake_embedder, monkeypatch):
    monkeypatch.setenv("RAG_CROSS_LINGUAL", "0")
    config = Config.from_env()
    assert config.cross_lingual is False
    gen = FakeGenerator(_script(answer="The documents do not contain the answer to this question."))
    _pipeline(tmp_path, seeds_dir, fake_embedder, gen, config).ask(EN_QUESTION)
    # The top passage, then every passage: both English prompts over the documents, no translation.
    assert len(gen.calls) == 2 and all("[Passages]" in c[-1]["content"] for c in gen.calls)
    monkeypatch.setenv("RAG_CROSS_LINGUAL", "maybe")
    with pytest.raises(UsageError):
        Config.from_env()


def test_an_answer_without_the_asked_date_is_completed_from_its_quote(tmp_path, seeds_dir, fake_embedder):
    gen = FakeGenerator(lambda m: "MiniMax登陆港交所[1]。")
    p = _pipeline(tmp_path, seeds_dir, fake_embedder, gen)
    a = p.ask("MiniMax是什么时候在港交所上市的？")
    assert not a.refused and len(gen.calls) == 1
    assert a.answer == "1月9日,MiniMax(上海稀宇科技)登陆港交所[1]。"  # the clauses of the verified quote
    c = a.citations[0]
    assert "1月9日" in c.quote and p.retriever.index.docs[c.chunk.doc_id].text[c.start:c.end] == c.quote


def _cited(quote: str, answer: str) -> CitedAnswer:
    c = Citation(n=2, chunk=Chunk("d", 0, quote, 0, len(quote)), quote=quote, start=0, end=len(quote))
    return CitedAnswer(text=answer, citations=[c], unsupported=[], auto_cited=False)


def test_completion_needs_exactly_one_date_or_number_in_the_quote():
    one = _cited("第二代K5模组在2023年7月正式立项。", "K5模组正式立项[2]。")
    assert complete_from_quote(one, "time", one.text).text == "第二代K5模组在2023年7月正式立项[2]。"
    two = _cited("2019年创立,2025年3月12日上市。", "TerraPix上市[2]。")
    assert complete_from_quote(two, "time", two.text) is None  # which one? not ours to guess
    none = _cited("TerraPix登陆纽交所,创下纪录。", "TerraPix登陆纽交所[2]。")
    assert complete_from_quote(none, "time", none.text) is None
    amount = _cited("截至目前,Corvin平台已经服务了全球近300万注册设计师。", "Corvin服务了注册设计师[2]。")
    assert complete_from_quote(amount, "quantity", amount.text).text == "Corvin平台已经服务了全球近300万注册设计师[2]。"
    # a date is no count, nor is the digit of a name: the one count of the quote is
    dated = _cited("按1957年的统计，A3号线全长约4.5万米。", "A3号线全长[2]。")
    assert complete_from_quote(dated, "quantity", dated.text).text == "A3号线全长约4.5万米[2]。"
    no_count = _cited("第二代B7机型随后投入使用。", "B7机型投入使用[2]。")
    assert complete_from_quote(no_count, "quantity", no_count.text) is None


def test_an_answer_that_misses_the_asked_date_with_nothing_to_complete_it_is_refused(tmp_path, seeds_dir, fake_embedder):
    gen = FakeGenerator(lambda m: "VAST工具已经服务了全球近500万专业建模师[1]。")
    a = _pipeline(tmp_path, seeds_dir, fake_embedder, gen).ask("VAST是什么时候开始服务专业建模师的？")
    assert a.refused and a.refusal_reason == "off_question"



# ------------------------------------------------- Chinese questions over English documents

EN_DOC = ("Harbour Lane Clinic: patient handbook.\n\nRepeat prescriptions are ready for collection "
          "two working days after the request. Appointments must be cancelled at least 24 hours "
          "in advance, or a fee of 15 dollars applies.\n")
ZH_QUESTION = "在Harbour Lane诊所，取消预约至少需要提前多久？"
EN_ANSWER = "Appointments must be cancelled at least 24 hours in advance [1]."


def _en_docs(tmp_path):
    docs = tmp_path / "en-docs"
    docs.mkdir()
    (docs / "handbook.txt").write_text(EN_DOC, encoding="utf-8")
    return docs


def _en_script(translation="How far in advance must an appointment at Harbour Lane be cancelled?",
               answer=EN_ANSWER, chinese="取消预约至少需要提前24小时[1]。"):
    return _roles(answer, 把英文答案改写成中文=chinese, **{"Translate the user's Chinese question": translation})


def test_chinese_question_over_english_documents_is_answered_in_chinese(tmp_path, fake_embedder):
    gen = FakeGenerator(_en_script())
    p = _pipeline(tmp_path, _en_docs(tmp_path), fake_embedder, gen)
    assert p.retriever.language == "en"
    events = list(p.stream(ZH_QUESTION))
    a = events[-1].answer
    assert not a.refused and a.answer == "取消预约至少需要提前24小时[1]。"
    assert a.standalone_question.startswith("How far in advance")  # what was searched
    assert a.model_answer == EN_ANSWER  # the verified English draft behind it
    assert a.citations[0].verified and "24 hours" in a.citations[0].quote
    assert "Appointments" not in "".join(e.text for e in events if e.kind == "token")  # the draft is not streamed
    # A traditional question is answered in traditional characters.
    (tmp_path / "t").mkdir()
    trad = _pipeline(tmp_path / "t", _en_docs(tmp_path / "t"), fake_embedder, FakeGenerator(_en_script()))
    assert trad.ask("在Harbour Lane診所，取消預約至少需要提前多久？").answer == "取消預約至少需要提前24小時[1]。"


def test_a_chinese_rewrite_that_changes_a_number_or_adds_a_name_is_not_shown(tmp_path, fake_embedder):
    from rag.translate import FALLBACK_LEAD_ZH, check_chinese

    assert check_chinese("取消预约至少需要提前24小时[1]。", ZH_QUESTION, EN_ANSWER) is not None
    assert check_chinese("取消预约至少需要提前12小时[1]。", ZH_QUESTION, EN_ANSWER) is None  # number changed
    assert check_chinese("取消预约至少需要提前24小时。", ZH_QUESTION, EN_ANSWER) is None  # citation dropped
    assert check_chinese("Greenfield诊所要求提前24小时取消[1]。", ZH_QUESTION, EN_ANSWER) is None  # a name from nowhere
    assert check_chinese(EN_ANSWER, ZH_QUESTION, EN_ANSWER) is None  # not rewritten
    # Numbers the English spells out may come back as digits ("two working days" -> 2个工作日).
    assert check_chinese("处方在申请后2个工作日可取[1]。", "重复处方多久可以取？",
                         "Repeat prescriptions are ready two working days after the request [1].") is not None
    gen = FakeGenerator(_en_script(chinese="取消预约至少需要提前12小时[1]。"))
    a = _pipeline(tmp_path, _en_docs(tmp_path), fake_embedder, gen).ask(ZH_QUESTION)
    assert not a.refused and a.answer == FALLBACK_LEAD_ZH + EN_ANSWER


def test_a_chinese_question_whose_english_draft_is_unsupported_is_refused_in_chinese(tmp_path, fake_embedder):
    gen = FakeGenerator(_en_script(answer="Appointments must be cancelled 72 hours in advance [1]."))
    a = _pipeline(tmp_path, _en_docs(tmp_path), fake_embedder, gen).ask(ZH_QUESTION)
    assert a.refused and a.answer == REFUSAL["zh"]


def test_an_english_answer_to_an_untranslated_chinese_question_is_rewritten_in_chinese(tmp_path, fake_embedder):
    # The translation kept a Chinese word, so the question was answered as asked; the model
    # answered in English, and a Chinese reader gets the checked rewrite, not the English.
    half = "How far in advance must an appointment at Harbour Lane be 取消?"
    gen = FakeGenerator(_en_script(translation=half))
    a = _pipeline(tmp_path, _en_docs(tmp_path), fake_embedder, gen).ask(ZH_QUESTION)
    assert a.standalone_question is None  # not translated
    assert not a.refused and a.answer == "取消预约至少需要提前24小时[1]。" and a.model_answer == EN_ANSWER
    # A refusal is not rewritten: it is already worded in Chinese.
    (tmp_path / "r").mkdir()
    gen = FakeGenerator(_en_script(translation=half, answer="Appointments must be cancelled 72 hours in advance [1].",
                                   chinese="不应被使用[1]。"))
    a = _pipeline(tmp_path / "r", _en_docs(tmp_path / "r"), fake_embedder, gen).ask(ZH_QUESTION)
    assert a.refused and a.answer == REFUSAL["zh"]


def test_a_translation_that_drops_a_latin_name_is_not_used(tmp_path, fake_embedder):
    from rag.translate import to_english_question

    assert to_english_question(ZH_QUESTION, FakeGenerator(lambda m: "How early must one cancel at the clinic?")) is None
    assert to_english_question(ZH_QUESTION, FakeGenerator(lambda m: "在诊所要提前多久取消？")) is None
    good = "How far in advance must an appointment at Harbour Lane be cancelled?"
    assert to_english_question(ZH_QUESTION, FakeGenerator(lambda m: good)) == good


def test_latin_names_are_spaced_off_the_chinese_for_translation():
    """"通到Holloway Ferry镇" was translated "reach Holloway Ferry镇": the model sees the
    name apart from the Chinese around it."""
    from rag.translate import to_english_question

    gen = FakeGenerator(lambda m: "When did the railway reach Holloway Ferry?")
    assert to_english_question("铁路是哪一年通到Holloway Ferry镇的？", gen) == "When did the railway reach Holloway Ferry?"
    assert gen.calls[0][-1]["content"] == "铁路是哪一年通到 Holloway Ferry 镇的？"


# ------------------------------------------------- a folder in both languages

ZH_DOC = ("青石镇图书馆读者须知\n\n图书馆每周二至周日开放，上午九点开门，晚上八点闭馆。每位读者最多可借十本书，借期四周。"
          "逾期归还的图书每本每天收取逾期费一元。\n\n图书馆设有儿童阅览室和自修室，自修室共有八十个座位。")


def _mixed_docs(tmp_path):
    docs = _en_docs(tmp_path)
    (docs / "青石镇图书馆.txt").write_text(ZH_DOC, encoding="utf-8")
    return docs


def _statuses(events):
    return [e.text for e in events if e.kind == "status"]


def test_in_a_folder_of_both_languages_a_question_is_answered_as_asked(tmp_path, fake_embedder):
    # An English question whose passage is English is not translated into Chinese, though
    # most of the folder is Chinese...
    gen = FakeGenerator(_en_script())
    p = _pipeline(tmp_path, _mixed_docs(tmp_path), fake_embedder, gen)
    assert p.retriever.language == "zh" and p.retriever.languages == {"zh", "en"}
    events = list(p.stream("How far in advance must an appointment at Harbour Lane be cancelled?"))
    a = events[-1].answer
    assert "translating the question" not in _statuses(events)
    assert not a.refused and a.answer == EN_ANSWER and a.standalone_question is None
    # ...and a Chinese question whose passage is Chinese is answered from it as asked.
    gen = FakeGenerator(lambda m: "自修室共有八十个座位[1]。")
    (tmp_path / "z").mkdir()
    events = list(_pipeline(tmp_path / "z", _mixed_docs(tmp_path / "z"), fake_embedder, gen).stream("自修室有多少个座位？"))
    assert "translating the question" not in _statuses(events)
    assert events[-1].answer.answer == "自修室共有八十个座位[1]。"


def test_in_a_folder_of_both_languages_a_question_whose_best_passage_is_in_the_other_is_translated(tmp_path,
                                                                                                    fake_embedder):
    # The Chinese question names the English handbook's clinic: its best passage is English.
    gen = FakeGenerator(_en_script())
    events = list(_pipeline(tmp_path, _mixed_docs(tmp_path), fake_embedder, gen).stream(ZH_QUESTION))
    a = events[-1].answer
    assert "translating the question" in _statuses(events)
    assert not a.refused and a.answer == "取消预约至少需要提前24小时[1]。"
    assert a.citations[0].chunk.doc_id == "handbook.txt"


def test_in_a_folder_of_both_languages_an_english_question_refused_as_asked_is_tried_in_chinese(tmp_path,
                                                                                                 fake_embedder):
    """Its words match the English handbook best, its answer is in the Chinese guide: the
    English reading declines, the translated question is answered from the guide and the
    answer rewritten in English. A question both readings decline stays refused."""
    question = "How many seats does the study room of the Qingshi library have?"
    gen = FakeGenerator(_roles("The documents do not contain the answer to this question.",
                               把用户的英文问题="青石镇图书馆的自修室有多少个座位？",
                               你是严谨的文档问答助手="自修室共有八十个座位[1]。",
                               **{"Rewrite the Chinese answer": "The study room has eighty seats [1]."}))
    p = _pipeline(tmp_path, _mixed_docs(tmp_path), fake_embedder, gen)
    events = list(p.stream(question))
    a = events[-1].answer
    assert "translating the question" in _statuses(events)
    assert not a.refused and a.answer == "The study room has eighty seats [1]."
    assert a.citations[0].chunk.doc_id == "青石镇图书馆.txt"
    (tmp_path / "r").mkdir()
    gen = FakeGenerator(_roles("The documents do not contain the answer to this question.",
                               把用户的英文问题="青石镇图书馆的自修室有多少个座位？",
                               你是严谨的文档问答助手="根据现有资料无法回答该问题。"))
    a = _pipeline(tmp_path / "r", _mixed_docs(tmp_path / "r"), fake_embedder, gen).ask(question)
    assert a.refused and a.answer == REFUSAL["en"]


def test_in_a_folder_of_both_languages_a_translated_question_reads_the_other_languages_documents_only(
        tmp_path, fake_embedder):
    """The translation keeps a name the English handbook uses (Harbour Lane), which would
    rank the handbook among the passages again: the Chinese reading is shown the Chinese
    documents alone, as a translated question over a Chinese folder is."""
    docs = _en_docs(tmp_path)
    (docs / "社区图书馆.txt").write_text("Harbour Lane社区图书馆须知\n\n自修室共有八十个座位，每天开放十二小时。",
                                      encoding="utf-8")
    (docs / "青石镇图书馆.txt").write_text(ZH_DOC, encoding="utf-8")
    question = "How many seats does the Harbour Lane library's study room have?"
    translated = "Harbour Lane社区图书馆的自修室有多少个座位？"
    gen = FakeGenerator(_roles("The documents do not contain the answer to this question.",
                               把用户的英文问题=translated,
                               你是严谨的文档问答助手="Harbour Lane社区图书馆的自修室共有八十个座位[1]。",
                               **{"Rewrite the Chinese answer": "The study room has eighty seats [1]."}))
    p = _pipeline(tmp_path, docs, fake_embedder, gen)
    assert "handbook.txt" in {h.chunk.doc_id for h in p.retriever.search(translated, 5).hits}
    a = p.ask(question)
    assert not a.refused and a.answer == "The study room has eighty seats [1]."
    assert a.citations[0].chunk.doc_id == "社区图书馆.txt"
    assert {h.chunk.doc_id for h in a.retrieved} == {"社区图书馆.txt", "青石镇图书馆.txt"}
