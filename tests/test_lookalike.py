"""Lookalike documents: the one a question names is read before its lookalikes."""
from rag.config import Config
from rag.index import update_index
from rag.lookalike import Lookalikes
from rag.retrieve import Retriever


def over(found: Lookalikes, question: str, retrieved: list[str]) -> set[str]:
    """What ``found`` passes over for ``question`` when retrieval read ``retrieved`` (every
    document when empty)."""
    return found.passed_over(question, lambda: retrieved or list(found.titles), 5)


def _docs(**named: str) -> dict[str, str]:
    """Documents: file name -> title."""
    return dict(named)


REPORTS = _docs(**{"青石水务2021年度报告.txt": "青石水务集团有限公司", "青石水务2022年度报告.docx": "青石水务集团有限公司",
                   "青石水务2023年度报告.pdf": "青石水务集团有限公司", "青石水务产品价目表.csv": "青石水务产品价目表",
                   "北京大学.txt": "北京大学", "清华大学.txt": "清华大学",
                   "凡尔赛宫.txt": "凡尔赛宫", "凡尔赛条约.txt": "凡尔赛条约"})


def test_a_year_names_its_report_and_passes_over_the_other_years():
    """Three years of one report, whose titles are the same: the year in the file name tells
    them apart. The price list and two universities look like none of them."""
    found = Lookalikes(REPORTS)
    assert found.family("青石水务2022年度报告.docx") == {"青石水务2021年度报告.txt", "青石水务2023年度报告.pdf"}
    assert not found.family("青石水务产品价目表.csv") and not found.family("北京大学.txt")
    assert not found.family("凡尔赛宫.txt")  # names that only open alike
    # named, but none of its passages retrieved: it is no document the question is about
    assert over(found, "2022年的净利润是多少？", ["青石水务产品价目表.csv", "青石水务2021年度报告.txt"]) == set()
    assert over(found, "凡尔赛宫是哪一年建成的？", []) == set()
    assert over(found, "2022年的净利润是多少？", []) == {"青石水务2021年度报告.txt", "青石水务2023年度报告.pdf"}
    # A follow-up that names the year alone, and one that names none but carries the question before.
    assert over(found, "那2021年呢？", []) == {"青石水务2022年度报告.docx", "青石水务2023年度报告.pdf"}
    assert over(found, "员工有多少人？（接上文：2023年的净利润是多少？）", []) == {
        "青石水务2021年度报告.txt", "青石水务2022年度报告.docx"}


def test_paragraphs_filed_alike_are_not_told_apart_by_their_articles_titles():
    """Paragraphs filed by id (DEV_54, DEV_55 …) look alike by their file names alone: a
    question naming one's article (its title) names no lookalike, nor does a number that is
    one's id (the 54 of 54路), as a year or a code would."""
    found = Lookalikes({"DEV_54": "余杭站", "DEV_55": "北京大学", "DEV_56": "长江"})
    assert found.family("DEV_54") == {"DEV_55", "DEV_56"}
    assert over(found, "余杭站南侧广场包括哪几个部分？", []) == set()
    assert over(found, "余杭站有哪几路公交车，54路在哪里始发？", []) == set()


def test_a_question_over_all_the_years_or_none_passes_none_over():
    found = Lookalikes(REPORTS)
    assert over(found, "2021到2023这三年里，哪一年的净利润最高？", []) == set()
    assert over(found, "2021年和2023年相比，营收增长了多少？", []) == {"青石水务2022年度报告.docx"}
    assert over(found, "净利润是多少？", ["青石水务2022年度报告.docx"]) == set()
    assert over(found, "北京大学在哪里？", []) == set()


def test_asked_what_holds_now_the_newest_version_is_read_first():
    """A rule book and its revision: asked 现在 (目前, current), the old one is passed over
    when retrieval read it first; asked without it, or over documents without years, not."""
    found = Lookalikes(_docs(**{"员工考勤与休假管理办法_旧版2019.txt": "考勤与休假管理办法（2019年版）",
                                "员工考勤与休假管理办法_修订版2023.md": "考勤与休假管理办法（2023年修订版）",
                                "AX-10规格表.md": "AX-10 空气净化器规格表", "AX-20规格表.md": "AX-20 空气净化器规格表"}))
    assert over(found, "现在迟到一次扣多少钱？", ["员工考勤与休假管理办法_旧版2019.txt"]) == {"员工考勤与休假管理办法_旧版2019.txt"}
    assert over(found, "What is the current fine for being late?", ["员工考勤与休假管理办法_修订版2023.md"]) \
        == {"员工考勤与休假管理办法_旧版2019.txt"}
    assert over(found, "迟到一次扣多少钱？", ["员工考勤与休假管理办法_旧版2019.txt"]) == set()
    assert over(found, "目前的售价是多少？", ["AX-10规格表.md", "AX-20规格表.md"]) == set()
    # The version named in words: 修订 of 修订版, 旧版.
    assert over(found, "修订后请假要提前几天？", []) == {"员工考勤与休假管理办法_旧版2019.txt"}
    assert over(found, "旧版的加班餐补是多少？", []) == {"员工考勤与休假管理办法_修订版2023.md"}


def test_a_model_a_month_or_a_branch_names_its_document():
    found = Lookalikes(_docs(**{
        "AX-10规格表.md": "AX-10 空气净化器（轻巧型）规格表", "AX-20规格表.md": "AX-20 空气净化器（家庭型）规格表",
        "管委會會議記錄_2025年4月.txt": "業主立案法團", "管委會會議記錄_2025年5月.txt": "業主立案法團",
        "hotel_riverside_guest_info.html": "Guest information | Riverside | Example Hotels",
        "hotel_old_town_guest_info.html": "Guest information | Old Town | Example Hotels"}))
    assert over(found, "AX-20 的滤网多久换一次？", []) == {"AX-10规格表.md"}
    assert over(found, "轻巧型的噪音是多少？", []) == {"AX-20规格表.md"}
    assert over(found, "四月份會議報告嘅結餘係幾多？", []) == {"管委會會議記錄_2025年5月.txt"}
    assert over(found, "At the May meeting, how much was the quote?", []) == set()  # (May: a verb too)
    assert over(found, "At the April meeting, how much was the quote?", []) == {"管委會會議記錄_2025年5月.txt"}
    assert over(found, "And at the Old Town branch?", []) == {"hotel_riverside_guest_info.html"}
    assert over(found, "How old is the hotel?", []) == set()  # half the branch's own words at least


def test_a_version_the_folder_lacks_is_named_where_the_lookalikes_names_differ():
    """Asked about a branch or a model no document is for, answered from its lookalikes: the
    word after the one that leads their own parts (Lakeside, BX-30), shaped like those parts
    and said nowhere in the evidence, is the version the folder lacks."""
    found = Lookalikes(_docs(**{
        "BX-10规格表.md": "晴岚 BX-10 空气净化器（轻巧型）规格表", "BX-20规格表.md": "晴岚 BX-20 空气净化器（家庭型）规格表",
        "inn_riverside_guest_info.html": "Guest information | Harlow Riverside | Harlow Inns",
        "inn_old_town_guest_info.html": "Guest information | Harlow Old Town | Harlow Inns"}))
    river = ["inn_riverside_guest_info.html"]
    assert found.unlisted("What time is breakfast at the Harlow Lakeside branch?", river, "Breakfast 7:00-10:00") == "lakeside"
    assert found.unlisted("晴岚 BX-30 的噪音是多少？", ["BX-20规格表.md"], "噪音 32 dB") == "bx-30"
    # a version it holds, the chain itself, a word that is no name or no code, one the evidence says: none
    assert found.unlisted("What time is breakfast at the Harlow Old Town branch?", river, "") is None
    assert found.unlisted("Do Harlow Inns have parking?", river, "") is None
    assert found.unlisted("Does Harlow breakfast cost extra?", river, "") is None
    assert found.unlisted("Is the Harlow WiFi free?", river, "Guest WiFi is free") is None
    assert found.unlisted("晴岚 BX-20 的噪音是多少？", ["BX-20规格表.md"], "") is None
    assert found.unlisted("晴岚 CADR 是多少？", ["BX-20规格表.md"], "") is None
    assert found.unlisted("What time is breakfast at the Harlow Lakeside branch?", [], "") is None  # (nothing cited)


def test_search_reads_the_named_report_before_its_lookalikes(tmp_path, fake_embedder):
    """Each year's report says the same things with other figures: asked about one year,
    its passages come first, the other years' after the passages of other documents."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for year, profit in (("2021", "1.8"), ("2022", "2.1"), ("2023", "2.6")):
        (folder / f"青石水务{year}年度报告.txt").write_text(
            f"青石水务集团有限公司\n\n公司全年实现净利润{profit}亿元，董事会建议派发现金红利。\n", encoding="utf-8")
    (folder / "行业综述.txt").write_text("水务行业的净利润普遍增长，派发现金红利的公司增多。\n", encoding="utf-8")
    update_index(tmp_path / "idx", [folder], Config(), fake_embedder)
    r = Retriever.open(tmp_path / "idx", fake_embedder, Config())
    hits = [h.chunk.doc_id for h in r.search("2022年全年实现净利润多少亿元？", 4, "hybrid").hits]
    assert hits[0] == "青石水务2022年度报告.txt" and hits[1] == "行业综述.txt"
    plain = [h.chunk.doc_id for h in r.search("全年实现净利润多少亿元？", 4, "hybrid").hits]
    assert plain[-1] == "行业综述.txt"  # named none: ranked as scored


def test_an_answer_from_other_documents_than_the_one_the_question_names_is_found():
    """An invented firm's handbook and a co-working space's house rules in one folder: asked
    about the firm's office, the house rules' dogs are no answer."""
    from rag.translate import latin_names
    found = Lookalikes({"brackwell_staff_handbook.md": "Brackwell Staff Handbook",
                        "ferngate_house_rules.txt": "Ferngate Yard house rules",
                        "bus_notice.txt": "Timetable changes from 1 May",
                        "渡口图书馆借阅规则.html": "渡口图书馆借阅规则"})
    rules = ["ferngate_house_rules.txt"]
    dogs = "Well-behaved dogs are welcome on Fridays only."

    def named(question, cited, evidence):
        return found.named_elsewhere(latin_names(question), cited, evidence)

    assert named("Can I bring my dog into the Brackwell office?", rules, dogs) == "brackwell"
    # the named document cited, the name in the evidence, a word that is no name, no name asked: none
    assert named("Can I bring my dog into the Brackwell office?", ["brackwell_staff_handbook.md"], "") is None
    assert named("Can I bring my dog into the Brackwell office?", rules, "Brackwell staff " + dogs) is None
    assert named("Are there house rules about dogs at the handbook's office?", ["x.txt"], dogs) is None
    assert named("Can I bring my dog?", rules, dogs) is None
    # (the opening word is capitalised by its place: "From" of one title names nothing)
    assert named("From what time may dogs come in?", rules, dogs) is None
    assert named("图书馆可以带狗进去吗？", rules, dogs) is None  # (a Chinese word: not taken for a name)
