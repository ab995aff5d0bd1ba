"""Questions about the folder itself -- which documents it holds, which mention a thing, what
one is about -- are answered from the index, exactly, without the model; every other question
goes on down the data path. Invented documents and questions."""
import pytest

from rag.catalog import Asked, folder_question, named_document
from rag.outline import MAX_SHOWN, outline
from rag.records import Document

from conftest import FakeGenerator, fake_pipeline, repository_questions

DOCS = {
    "社区活动中心使用须知.md": "# 社区活动中心使用须知\n\n活动中心向本社区居民免费开放，使用前须提前预约。\n\n"
                          "## 一、开放时间\n每日9:00至21:00。\n\n## 二、预约方式\n通过社区公众号预约，最多提前7天。\n\n"
                          "## 三、注意事项\n室内禁止吸烟。损坏设施须照价赔偿。\n",
    "qingshan_library_rules.txt": "Qingshan Library Borrowing Rules\n\nThese rules explain how residents borrow books and what\n"
                                  "happens when a book is returned late.\n\n1. Membership\nAny resident may join for free.\n"
                                  "2. Loans\nUp to eight books for 21 days. A late book costs 0.5 yuan a day.\n"
                                  "3. Lost books\nA lost book is paid for at its list price.\n",
    "年度預算說明.txt": "澄安里民宅管理委員會一一四年度預算說明\n\n本年度預算總額新臺幣86萬元，較上年度增加4%。\n"
                   "電梯保養費編列12萬元，公共水電費編列18萬元。\n",
}


def _pipeline(tmp_path, embedder, gen):
    return fake_pipeline(tmp_path, DOCS, embedder, gen)


@pytest.mark.parametrize("question, kind, words", [
    ("文件夹里有哪些文件？", "list", ""), ("目前收錄了哪些文件？", "list", ""), ("What documents do you have?", "list", ""),
    ("一共有多少份文档？", "list", ""), ("列出所有文档", "list", ""),
    ("哪些文件提到了预算？", "mentions", "预算"), ("哪些文件有提到颱風？", "mentions", "颱風"),
    ("Which documents mention Wi-Fi?", "mentions", "Wi-Fi"), ("电梯在哪份文件里提到过？", "mentions", "电梯"),
    ("总结一下物业服务合同", "about", "物业服务合同"), ("会议纪要主要讲了什么？", "about", "会议纪要"),
    ("員工手冊的主要內容是什麼？", "about", "員工手冊"), ("What is the kettle manual about?", "about", "kettle manual"),
    ("Summarize the hiking guide.", "about", "hiking guide"), ("使用须知有哪些章节？", "about", "使用须知"),
    # (shapes that ask about a text only when the words call it one)
    ("新品发布会的PPT有哪些部分？", "about", "新品发布会的PPT"), ("旅行須知這份文件的重點是什麼？", "about", "旅行須知這份文件"),
    ("loans.csv这个表格记录了什么？", "about", "loans.csv这个表格"),
    ("Do any of the documents mention vaccines?", "mentions", "vaccines"),
    ("这些文件主要讲了什么？", "about", "这些文件"), ("What are these documents about?", "about", "these documents"),
    ("知识库里的资料主要是关于什么的？", "about", "知识库里的资料"),
])
def test_a_question_about_the_folder_is_told_by_its_shape(question, kind, words):
    assert folder_question(question) == Asked(kind, words)


@pytest.mark.parametrize("question, asked", [
    ("物业服务合同第三章讲了什么？", Asked("section", "物业服务合同", "章", 3)),
    ("第八条规定了什么？", Asked("section", "", "条", 8)),
    ("員工手冊第二章的主要內容是什麼？", Asked("section", "員工手冊", "章", 2)),
    ("What does chapter 2 of the hiking guide cover?", Asked("section", "hiking guide", "chapter", 2)),
    ("Summarize part 3", Asked("section", "", "part", 3)),
    ("发布会那个PPT第6页讲的是啥", Asked("section", "发布会那个PPT", "page", 6)),
    ("年度報告的第五部分是關於什麼的？", Asked("section", "年度報告", "部分", 5)),
    ("第3张幻灯片讲了什么？", Asked("section", "", "slide", 3)), ("What's on slide 4 of the deck?", Asked("section", "deck", "slide", 4)),
])
def test_a_numbered_part_of_a_document_is_asked_for_by_its_number(question, asked):
    assert folder_question(question) == asked


@pytest.mark.parametrize("question", [
    "哪些国家参加了这届比赛？", "报告里提到的增长率是多少？", "简述黄埔港的重要性", "《某部电影》的内容是什么？",
    "哪些员工提到了加班？", "介绍一下这种鸟的生活习性", "Which team won the cup?", "What is the late fee?",
    "这座车站分为几个部分？", "这次比赛的重点是什么？", "这本日记记录了什么？", "第三季度营收是多少？",
    "第二节课几点开始？", "第三条线路经过哪些站？",
])
def test_a_question_about_the_documents_contents_is_not_one_about_the_folder(question):
    assert folder_question(question) is None


def test_no_question_of_the_repositorys_other_sets_is_taken_for_one_about_the_folder():
    asked = repository_questions(without=("trial-catalog",))
    assert len(asked) > 500
    assert [q for q in asked if folder_question(q)] == []


def _docs(**texts) -> dict[str, Document]:
    return {name: Document(name, name, text, title=text.split("\n", 1)[0].lstrip("# ")) for name, text in texts.items()}


def test_a_document_a_program_named_is_listed_with_its_opening_words():
    from rag.folder import Voice, list_reply
    docs = {"000_6d9cd55ab9d6cbba.txt": Document("000_6d9cd55ab9d6cbba.txt", "x", "星河公司今日发布了\n第三季度财报，营收同比增长12%，净利润……",
                                                 title="000_6d9cd55ab9d6cbba"),
            "notes.txt": Document("notes.txt", "x", "会议记录", title="notes")}
    assert list_reply(docs, Voice("zh")).text.splitlines() == [
        "已收录2份文档：", "- 000_6d9cd55ab9d6cbba.txt（“星河公司今日发布了 第三季度财报，营收同比增长12%，净利润…”）",
        "- notes.txt"]  # (a name of its own says enough)


def test_a_document_is_named_by_its_title_or_file_name_and_only_alone():
    docs = _docs(**{"a.txt": "榆林花园物业服务合同\n…", "minutes_q3.txt": "第三季度会议纪要\n…",
                    "kettle_manual.pdf": "Quenby Kettle K2\n…", "report_2024.txt": "年度报告（2024）\n…",
                    "report_2025.txt": "年度报告（2025）\n…"})
    assert named_document("物业服务合同", docs).doc_id == "a.txt"
    assert named_document("第三季度会议纪要", docs).doc_id == "minutes_q3.txt"
    assert named_document("the kettle manual", docs).doc_id == "kettle_manual.pdf"
    assert named_document("2025年度报告", docs).doc_id == "report_2025.txt"
    assert named_document("年度报告", docs) is None  # two fit alike
    assert named_document("2025年度审计报告", docs) is None  # a word no name has
    assert named_document("公司的销售额变化", docs) is None  # a topic, no name
    assert named_document("kettlebell guide", docs) is None  # a word is whole or nothing
    assert named_document("这份文件", docs) is None  # several: which one?
    assert named_document("这份文件", {"a.txt": docs["a.txt"]}).doc_id == "a.txt"


def _shown(doc: Document) -> list[tuple[int, str]]:
    return [(i.depth, doc.text[i.start:i.end]) for i in outline(doc).items]


def test_an_outline_nests_headings_as_their_numbering_does_and_leaves_numbered_sentences_out():
    text = ("Brenford Heater H3 User Manual\nRead this manual before first use and keep it for reference.\n"
            "1. Safety\nKeep the heater away from curtains.\n2. Using the heater\n"
            "1. Plug the heater into a wall socket and switch it on.\n2. Turn the dial to the heat you want.\n"
            "3. Care and cleaning\n1. Unplug the heater before cleaning it.\n4. Warranty\n")
    doc = Document("h3.pdf", "h3.pdf", text, title="Brenford Heater H3")
    assert _shown(doc) == [(0, "1. Safety"), (0, "2. Using the heater"), (0, "3. Care and cleaning"), (0, "4. Warranty")]
    lead = outline(doc).lead
    assert text[lead[0]:lead[1]] == "Read this manual before first use and keep it for reference."
    minutes = ("第二次业主大会会议纪要\n一、会议时间：2025年3月8日\n二、出席人员：业委会委员五人\n三、讨论事项\n"
               "（一）电梯更换方案\n1. 同意更换三号楼电梯，费用由维修基金支出。\n（二）停车费调整\n四、散会\n")
    doc = Document("m.txt", "m.txt", minutes, title="第二次业主大会会议纪要")
    assert _shown(doc) == [(0, "一、会议时间：2025年3月8日"), (0, "二、出席人员：业委会委员五人"), (0, "三、讨论事项"),
                           (1, "（一）电梯更换方案"), (1, "（二）停车费调整"), (0, "四、散会")]


def test_an_outline_too_long_to_read_shows_its_top_level_and_a_headings_title_is_not_a_section():
    articles = "".join(f"## 第{c}章 章名{c}\n" + "".join(f"第{n}条　条目{n}　本条正文，共若干字。\n" for n in range(3 * c - 2, 3 * c + 1))
                       for c in range(1, 8))
    text = "# 青禾小区物业服务合同\n\n根据有关法规，甲乙双方经协商一致，就物业服务事宜订立本合同，共同遵守。\n\n" + articles
    doc = Document("c.docx", "c.docx", text, title="青禾小区物业服务合同")
    shown = _shown(doc)
    assert 7 + 21 > MAX_SHOWN and [d for d, _ in shown] == [0] * 7
    assert shown[0] == (0, "第1章 章名1")
    fewer = "# 青禾小区物业服务合同\n\n" + "".join(f"## 第{c}章 章名{c}\n第{c}条　条目{c}　正文。\n" for c in range(1, 4))
    shown = _shown(Document("c.docx", "c.docx", fewer, title="青禾小区物业服务合同"))
    assert shown == [(0, "第1章 章名1"), (1, "第1条　条目1"), (0, "第2章 章名2"), (1, "第2条　条目2"),
                     (0, "第3章 章名3"), (1, "第3条　条目3")]


def test_a_workbook_is_told_by_its_sheets_rows_and_columns_and_a_deck_has_no_opening_of_notes():
    from rag.records import Location, Region
    text = "# 借用记录\n物品: 电钻 | 押金: 50 | 借期: 7\n物品: 梯子 | 押金: 30 | 借期: 3\n\n# 库存\n物品: 电钻 | 数量: 4\n"
    regions = [Region(0, 54, Location("sheet", name="借用记录", rows=(2, 3))),
               Region(56, 75, Location("sheet", name="库存", rows=(2, 2)))]
    doc = Document("tools.xlsx", "tools.xlsx", text, title="工具借用", regions=regions)
    sheets = outline(doc).sheets
    assert [(s.name, s.rows, s.columns) for s in sheets] == [("借用记录", 2, ("物品", "押金", "借期")), ("库存", 1, ("物品", "数量"))]
    assert text[sheets[0].start:sheets[0].end] == "物品: 电钻 | 押金: 50 | 借期: 7" and outline(doc).items == []
    deck = "# 新款电动车发布\n\n介绍公司背景时控制在两分钟以内，重点强调门店数量。\n\n# 核心参数\n续航110公里\n"
    slides = [Region(0, 36, Location("slide", number=1)), Region(38, 52, Location("slide", number=2))]
    plan = outline(Document("launch.pptx", "launch.pptx", deck, title="发布会", regions=slides))
    assert plan.lead is None and [deck[i.start:i.end] for i in plan.items] == ["新款电动车发布", "核心参数"]
    prose = outline(Document("a.txt", "a.txt", deck, title="发布会"))  # (the same lines as prose: an opening)
    assert deck[prose.lead[0]:prose.lead[1]] == "介绍公司背景时控制在两分钟以内，重点强调门店数量。"


def test_which_documents_and_which_mention_a_word_are_answered_from_the_index(tmp_path, fake_embedder):
    gen = FakeGenerator(lambda m: "本年度預算總額新臺幣86萬元[1]。")
    p = _pipeline(tmp_path, fake_embedder, gen)
    a = p.ask("有哪些文件？")
    assert not a.refused and a.answer.startswith("已收录3份文档：")
    assert all(name in a.answer for name in DOCS) and a.citations == []
    a = p.ask("哪些文件提到了电梯？")  # written 電梯 in the document
    assert not a.refused and a.answer.startswith("有1份文档提到“电梯”：") and "年度預算說明.txt" in a.answer
    assert [(c.chunk.doc_id, c.quote) for c in a.citations] == [("年度預算說明.txt", "電梯保養費編列12萬元，公共水電費編列18萬元。")]
    text = (tmp_path / "docs" / "年度預算說明.txt").read_text(encoding="utf-8")
    assert text[a.citations[0].start:a.citations[0].end] == a.citations[0].quote
    a = p.ask("Which documents mention books?")  # (a book mentioned counts)
    assert not a.refused and "qingshan_library_rules.txt" in a.answer
    a = p.ask("Which documents mention what happens?")  # (written "what happens" across a line's end)
    assert not a.refused and "qingshan_library_rules.txt" in a.answer
    a = p.ask("Which documents mention late?")
    assert not a.refused and "qingshan_library_rules.txt" in a.answer and "2 times" in a.answer
    a = p.ask("哪些文件提到了年终奖？")
    assert (a.refused, a.refusal_reason, a.answer) == (True, "unmentioned", "没有文档提到“年终奖”。")
    assert gen.calls == []  # the model was never asked


def test_a_big_folder_reads_for_a_mentions_question_the_documents_of_the_passages_bm25_ranks_first(
        tmp_path, fake_embedder, monkeypatch):
    import rag.catalog
    import rag.folder
    p = _pipeline(tmp_path, fake_embedder, FakeGenerator())
    monkeypatch.setattr(rag.catalog, "SCAN_CHARS", 10)  # (three short files: "big")
    read = []
    monkeypatch.setattr(rag.catalog, "mentions_reply", lambda words, docs, say: read.append(sorted(docs)) or
                        rag.folder.FolderReply("x"))
    p.ask("哪些文件提到了电梯？")
    assert read == [["年度預算說明.txt"]]


def test_what_a_named_document_is_about_is_its_opening_and_its_sections_cited(tmp_path, fake_embedder):
    gen = FakeGenerator(lambda m: "電梯保養費編列12萬元[1]。")
    p = _pipeline(tmp_path, fake_embedder, gen)
    a = p.ask("社區活動中心使用須知主要講了什麼？")  # asked in traditional: the reply's own words follow
    assert not a.refused
    assert a.answer.splitlines() == [
        "社区活动中心使用须知.md：活动中心向本社区居民免费开放，使用前须提前预约。[1]",  # (its title is its name)
        "共3個部分：", "- 一、开放时间[2]", "- 二、预约方式[3]", "- 三、注意事项[4]"]
    assert [c.quote for c in a.citations] == ["活动中心向本社区居民免费开放，使用前须提前预约。", "一、开放时间",
                                             "二、预约方式", "三、注意事项"]
    a = p.ask("Summarize the library rules")
    assert a.answer.splitlines()[0].endswith("borrow books and what happens when a book is returned late. [1]")
    assert a.citations[0].quote.endswith("and what\nhappens when a book is returned late.")  # (as the file has it)
    assert a.answer.splitlines()[1:] == ["Its 3 parts:", "- 1. Membership [2]", "- 2. Loans [3]", "- 3. Lost books [4]"]
    a = p.ask("这份文件讲了什么？")  # three documents: which one?
    assert (a.refused, a.refusal_reason) == (True, "unnamed") and a.answer.startswith("请说明是哪一份文档。")
    a = p.ask("总结一下年度审计报告")  # a report by a name none has
    assert (a.refused, a.refusal_reason) == (True, "unnamed") and "年度审计报告" in a.answer
    assert gen.calls == []
    a = p.ask("总结一下电梯保养费的情况")  # a topic, no document's name: the data path answers
    assert len(gen.calls) == 1 and not a.refused and "12" in a.answer


def test_a_section_is_quoted_whole_when_short_else_its_opening_and_headings_and_a_follow_up_reads_the_one_named(
        tmp_path, fake_embedder):
    gen = FakeGenerator(lambda m: "最多提前7天[1]。")
    p = _pipeline(tmp_path, fake_embedder, gen)
    a = p.ask("社区活动中心使用须知的第二部分讲了什么？")
    assert a.answer.splitlines() == ["社区活动中心使用须知.md：二、预约方式[1]", "通过社区公众号预约，最多提前7天。[2]"]
    assert [c.quote for c in a.citations] == ["二、预约方式", "通过社区公众号预约，最多提前7天。"]
    history = [{"role": "user", "content": "总结一下社区活动中心使用须知"}, {"role": "assistant", "content": "…"}]
    a = p.ask("第三部分讲了什么？", history)  # (three documents, two with a part 3: the one asked about before)
    assert a.answer.splitlines()[0] == "社区活动中心使用须知.md：三、注意事项[1]"
    history = [{"role": "user", "content": "社区活动中心使用须知第一部分讲了什么？"}, {"role": "assistant", "content": "…"}]
    assert p.ask("那第二部分呢？", history).answer.splitlines()[0] == "社区活动中心使用须知.md：二、预约方式[1]"
    assert p.ask("它的第二部分讲了什么？", history).answer.splitlines()[0] == "社区活动中心使用须知.md：二、预约方式[1]"
    a = p.ask("What does part 2 of the library rules say?")
    assert a.answer.splitlines() == ["“Qingshan Library Borrowing Rules” (qingshan_library_rules.txt): 2. Loans [1]",
                                     "Up to eight books for 21 days. A late book costs 0.5 yuan a day. [2]"]
    a = p.ask("社區活動中心使用須知第二部分講咗乜嘢？")  # (asked in Cantonese)
    assert a.answer.splitlines()[0] == "社区活动中心使用须知.md：二、预约方式[1]"
    a = p.ask("社区活动中心使用须知第五部分讲了什么？")
    assert (a.refused, a.refusal_reason, a.answer) == (True, "unmentioned", "社区活动中心使用须知.md里没有第5部分。")
    assert gen.calls == []
    p.ask("第三部分讲了什么？")  # two documents have a part 3: the data path reads the passages
    assert len(gen.calls) >= 1


def test_a_page_or_a_slide_is_asked_for_by_its_number():
    from rag.outline import section
    from rag.records import Location, Region
    deck = "# 新款电动车发布\n发布会日期：9月18日\n\n# 核心参数\n续航110公里\n整车重量23.8公斤\n"
    two = deck.index("# 核心参数")
    slides = [Region(0, two - 2, Location("slide", number=1, name="新款电动车发布")),
              Region(two, len(deck) - 1, Location("slide", number=2, name="核心参数"))]
    doc = Document("launch.pptx", "launch.pptx", deck, title="发布会", regions=slides)
    for unit in ("slide", "page"):  # (a deck's page is its slide)
        sec = section(doc, unit, 2)
        assert deck[sec.heading.start:sec.heading.end] == "核心参数"
        assert deck[sec.body[0]:sec.body[1]].strip() == "续航110公里\n整车重量23.8公斤"
    assert section(doc, "slide", 3) is None
    text = "第一页的文字，讲开头的事情，一共有二十多个字。\n第二页：价格表与保修说明，详细条款见后。\n"
    pdf = Document("r.pdf", "r.pdf", text, title="说明", pages=[(1, 0), (2, 24)])
    sec = section(pdf, "page", 2)
    assert sec.heading is None and text[sec.body[0]:sec.body[1]].strip() == "第二页：价格表与保修说明，详细条款见后。"
    assert section(pdf, "page", 3) is None and section(Document("a.txt", "a.txt", text), "page", 1) is None


def test_what_the_documents_are_about_is_each_ones_opening(tmp_path, fake_embedder):
    gen = FakeGenerator()
    p = _pipeline(tmp_path, fake_embedder, gen)
    for question in ("这些文件主要讲了什么？", "What are these documents about?"):
        a = p.ask(question)
        assert not a.refused and len(a.answer.splitlines()) == 4, a.answer
    assert [c.chunk.doc_id for c in a.citations] == sorted(DOCS)  # (each one's opening, cited)
    assert "These rules explain how residents borrow books" in a.answer
    assert gen.calls == []


def test_a_traditional_documents_articles_and_sections_are_numbered_parts():
    from rag.outline import section
    text = ("第一節 總則\n第一條　租期　租期一年。\n第二條　租金　每月新臺幣一萬二千元，於每月五日前支付。\n"
            "第二節 附則\n第三條　其他　未盡事宜，雙方另議。\n")
    doc = Document("lease.txt", "lease.txt", text, title="房屋租賃契約")
    sec = section(doc, "条", 2)  # (asked 第二條, read as 第二条)
    assert text[sec.heading.start:sec.heading.end] == "第二條　租金"
    assert text[sec.body[0]:sec.body[1]].strip() == "每月新臺幣一萬二千元，於每月五日前支付。"
    assert text[section(doc, "节", 1).heading.start:section(doc, "节", 1).heading.end] == "第一節 總則"
    assert section(doc, "条", 4) is None
