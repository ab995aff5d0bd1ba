"""Tables inside documents (Markdown, a web page, plain text, Word): their rows are read by
the header row, so the arithmetic over a sheet's rows (the first by a column, two rows
compared, the rows a bound picks, how many) works on them too. Invented documents."""
import docx

from rag.compared import comparative, compared_note, compared_rows
from rag.filled import put_in
from rag.formats import pipe_tables
from rag.load import load_document
from rag.counted import counted_rows
from rag.ranked import flagged_rows, ranked_row, superlative
from rag.records import header_cells
from rag.rows import cell_named, cell_number, figure_columns, sheet_rows

# An invented county's clinics, as a user's Markdown note keeps them.
CLINICS = """# 枫桥县卫生机构一览

县内主要卫生机构如下。

| 机构 | 建成年份 | 床位 | 医生人数 | 是否有急诊 |
|---|:---:|---|---|---|
| 枫桥县人民医院（总院） | 1958年 | 520张 | 210 | 是 |
| 枫桥县中医院 | 1981年 | 300张 | 96 | 是 |
| 溪口镇卫生院 | 1966年 | 60张 | 18 | 否 |
| 枫桥县康复中心 | 2019年 | 150张 | 40 | 否 |

以上床位为2024年核定数。
"""

TRAILS = """# Mossbank trails

| Trail | Length | Climb | Dogs allowed |
|---|---|---|---|
| Reed Loop | 3.5 km | 40 m | Yes |
| Crag Path | 9.0 km | 610 m | No |
| Beech Walk | 5.2 km | 120 m | Yes |
| Tor Circuit | 12.4 km | 480 m | Yes |
"""


def _table(tmp_path, text=CLINICS, name="clinics.md"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    doc = load_document(p)
    return doc, [r for r in doc.regions if r.location.kind == "table"]


def _first(doc, found):
    return doc.text[found.start:found.end].split("|")[1].strip() if found else None


def test_a_markdown_table_is_a_table_region_without_its_rule_line(tmp_path):
    doc, tables = _table(tmp_path)
    assert len(tables) == 1 and tables[0].location.rows == (1, 5)
    assert "|---|" not in doc.text and "|:---:|" not in doc.text
    assert doc.text[tables[0].start:tables[0].end].splitlines()[1].startswith("| 枫桥县人民医院")
    assert doc.locator()(tables[0].start + 60, tables[0].start + 70).rows == (2, 2)  # a citation names its row


def test_pipes_in_prose_are_no_table():
    text, regions = pipe_tables("用法：a | b 均可。\n| 仅此一行 |\n正文。")
    assert regions == [] and text == "用法：a | b 均可。\n| 仅此一行 |\n正文。"
    text, regions = pipe_tables("| 型号 | 价格 |\n| A1 | 9 |\n| A2 | 12 |")
    assert [r.location.rows for r in regions] == [(1, 3)]


def test_rows_are_labelled_by_the_header_row(tmp_path):
    doc, tables = _table(tmp_path)
    rows = sheet_rows(doc, tables[0])
    assert [r.number for r in rows] == [2, 3, 4, 5]
    assert rows[1].cells == {"机构": "枫桥县中医院", "建成年份": "1981年", "床位": "300张", "医生人数": "96", "是否有急诊": "是"}
    assert header_cells("| 2023 | 2024 |", "| 5 | 6 |") is None  # a row of figures is no header
    assert header_cells("| 机构 | 床位 |", "| 中医院 | 300张 | 多余 |") is None  # cells and labels differ


def test_a_word_table_reads_the_same(tmp_path):
    d = docx.Document()
    d.add_paragraph("各仓库情况如下。")
    t = d.add_table(rows=4, cols=3)
    for i, row in enumerate([("仓库", "面积（平方米）", "启用年份"), ("东仓", "8000", "2012年"),
                             ("西仓", "12500", "2018年"), ("南仓", "6400", "2021年")]):
        for j, v in enumerate(row):
            t.cell(i, j).text = v
    d.save(tmp_path / "warehouses.docx")
    doc = load_document(tmp_path / "warehouses.docx")
    region = next(r for r in doc.regions if r.location.kind == "table")
    assert _first(doc, ranked_row("哪个仓库面积最大？", doc, region)) == "西仓"
    assert _first(doc, ranked_row("哪个仓库最新？", doc, region)) == "南仓"  # newest: the date column


def test_the_first_second_and_newest_by_a_column(tmp_path):
    doc, (table,) = _table(tmp_path)
    assert _first(doc, ranked_row("哪家机构床位最多？", doc, table)) == "枫桥县人民医院（总院）"
    # 第二 of 第二多 names no row (枫桥县第二… would have narrowed to it)
    assert _first(doc, ranked_row("床位数第二多的是哪家？", doc, table)) == "枫桥县中医院"
    assert _first(doc, ranked_row("医生人数排第二的是哪家？", doc, table)) == "枫桥县中医院"
    assert _first(doc, ranked_row("哪家机构最新？", doc, table)) == "枫桥县康复中心"
    assert _first(doc, ranked_row("哪家机构最老？", doc, table)) == "枫桥县人民医院（总院）"
    assert superlative("最新的通知说了什么？").direction == "max"
    # two date columns: newest names neither
    doc2, (t2,) = _table(tmp_path, "| 版本 | 发布日期 | 停止支持日期 |\n| v1 | 2020-01-05 | 2022-01-05 |\n"
                         "| v2 | 2021-03-01 | 2023-03-01 |\n| v3 | 2022-06-01 | 2024-06-01 |\n", "versions.md")
    assert ranked_row("最新的是哪个？", doc2, t2) is None


def test_a_name_with_a_number_is_no_figure(tmp_path):
    doc, (table,) = _table(tmp_path, "| 套餐 | 月费（元） |\n| 轻享19 | 19 |\n| 畅玩59 | 59 |\n| 尊享159 | 159 |\n", "plans.md")
    assert figure_columns(sheet_rows(doc, table)) == ["月费（元）"]
    assert cell_number("06:20") > cell_number("06:10")  # a time of day ranks in minutes


def test_two_rows_compared_by_a_name_without_its_bracket(tmp_path):
    doc, (table,) = _table(tmp_path)
    compared = compared_rows("枫桥县人民医院跟枫桥县中医院，哪个床位更多？", doc, table)
    assert compared.names == ("枫桥县人民医院", "枫桥县中医院")
    assert compared_note(compared, "zh") == "（枫桥县人民医院床位更多。床位：枫桥县人民医院 520张，枫桥县中医院 300张）"
    assert cell_named("3号线和5号线", "13号线") is None and cell_named("望湖校区有多大", "望湖校区（本部）") == "望湖校区"
    assert cell_named("which cost less than $50?", "$5") is None and cell_named("what does the $5 plan give?", "$5") == "$5"


def test_the_rows_a_bound_picks(tmp_path):
    doc, (table,) = _table(tmp_path)
    picked = flagged_rows("床位超过200张的机构有哪些？", doc, table)
    assert (picked.label, picked.value, picked.names) == ("床位", ">200", ["枫桥县人民医院（总院）", "枫桥县中医院"])
    strict = flagged_rows("床位少于150张的有哪些？", doc, table)
    assert strict.names == ["溪口镇卫生院"]  # 150 itself is not fewer than 150
    assert flagged_rows("床位最多的是哪家？", doc, table) is None  # a superlative picks no list
    doc2, (t2,) = _table(tmp_path, TRAILS, "trails.md")
    assert flagged_rows("Which trails are under 6 km?", doc2, t2).names == ["Reed Loop", "Beech Walk"]
    assert flagged_rows("Which trails are under 6 miles?", doc2, t2) is None  # no column in miles


def test_rows_counted_with_the_mark_the_question_names(tmp_path):
    doc, (table,) = _table(tmp_path, TRAILS, "trails.md")
    assert counted_rows("How many of the Mossbank trails allow dogs?", doc, table).n == 3
    assert counted_rows("How many trails are there?", doc, table).n == 4
    doc2, (t2,) = _table(tmp_path)
    assert counted_rows("一共有几个机构有急诊？", doc2, t2).n == 2
    assert counted_rows("一共有几个机构？", doc2, t2).n == 4
    # a bound picks the rows counted; a bound on what the table does not give counts nothing
    counted = counted_rows("床位超过200张的机构有几个？", doc2, t2)
    assert (counted.n, counted.phrase) == (2, "床位超过200张的机构有2个")
    assert counted_rows("面积超过200平方米的机构有几个？", doc2, t2) is None
    assert counted_rows("床位超过200张的机构有哪些？", doc2, t2) is None  # a list, not a count
    assert counted_rows("有康复科的机构有几个？", doc2, t2) is None  # a condition it does not read
    # a verb between 一共 and 几 (一共规划了几场), the total row not counted
    doc3, (t3,) = _table(tmp_path, "| 活动 | 日期 | 经费 |\n| 读书会 | 3月2日 | 800 |\n| 义诊 | 4月6日 | 1200 |\n"
                         "| 合计 |  | 2000 |\n", "events.md")
    assert counted_rows("社区今年一共规划了几场活动？", doc3, t3).n == 2
    assert counted_rows("社区今年一共去了几次医院？", doc3, t3) is None  # (医院: no kind of its rows)


def test_the_question_filled_with_a_name_that_ends_in_its_noun():
    assert put_in("哪个校区启用最晚？", "海棠校区") == "海棠校区启用最晚"
    assert put_in("哪條線頭班車早些？", "27") == "27線頭班車早些"  # a traditional classifier
    assert put_in("哪个城市人口最多？", "北京") == "北京城市人口最多"  # 北京 does not end in 城市
    assert put_in("哪个仓库面积更大？", "雁岭分仓") == "雁岭分仓仓库面积更大"  # 仓库 is a word: no 仓 of 分仓
    assert put_in("翠嶼市哪個區面積最大？", "雲峰區") == "翠嶼市雲峰區面積最大"


def test_a_followup_compares_what_it_points_at_with_what_it_names(tmp_path):
    text = "| 仓库 | 面积 | 员工 |\n| 雁岭分仓 | 31200平方米 | 128人 |\n| 朔溪分仓 | 22600平方米 | 105人 |\n| 苇塘分仓 | 12400平方米 | 41人 |\n"
    doc, (table,) = _table(tmp_path, text, "warehouses.md")
    asked = "那它跟朔溪分仓比，哪个面积更大？（接上文：雁岭分仓有多少员工？）"
    compared = compared_rows(asked, doc, table)
    assert compared.names == ("雁岭分仓", "朔溪分仓") and compared.answer == "雁岭分仓面积更大"
    # no pronoun: the previous question's row is not the other one compared
    assert compared_rows("朔溪分仓跟苇塘分仓比，哪个面积更大？（接上文：雁岭分仓有多少员工？）", doc, table).names == ("朔溪分仓", "苇塘分仓")
    assert compared_rows("朔溪分仓跟苇塘分仓以外的比，哪个面积更大？（接上文：雁岭分仓有多少员工？）", doc, table).names \
        == ("朔溪分仓", "苇塘分仓")
    assert compared_rows("朔溪分仓，哪个面积更大？（接上文：雁岭分仓有多少员工？）", doc, table) is None  # points at nothing


def test_a_value_the_title_holds_names_no_row(tmp_path):
    from rag.lookup import looked_up_row

    text = ("# 岚桥物流仓库一览\n\n| 仓库 | 所在城市 | 面积 |\n| 岚桥总仓 | 岚桥 | 48000平方米 |\n"
            "| 东湾分仓 | 东湾 | 21000平方米 |\n| 北屿分仓 | 北屿 | 9600平方米 |\n")
    doc, tables = _table(tmp_path, text, "warehouses.md")
    # 岚桥 is the company of the title: 西坪分仓, which the table lacks, is not the 岚桥 row
    assert looked_up_row("岚桥物流的西坪分仓面积有多大？", doc, tables) is None
    found = looked_up_row("东湾分仓的面积有多大？", doc, tables)
    assert doc.text[found.start:found.end].startswith("| 东湾分仓")


def test_the_rows_kind_names_no_column(tmp_path):
    doc, (table,) = _table(tmp_path, "| 机构 | 建院年份 | 床位 |\n| 松川人民医院 | 1952年 | 680张 |\n"
                           "| 松川中医医院 | 1978年 | 420张 |\n| 松川康复医院 | 2016年 | 150张 |\n", "hospitals.md")
    # 院 of 医院 is what every row is: not the 院 of 建院年份 (the table has no 医生人数)
    assert ranked_row("松川哪家医院的医生人数最多？", doc, table) is None
    assert _first(doc, ranked_row("松川哪家医院建院最早？", doc, table)) == "松川人民医院"
    ranked = ranked_row("松川哪家医院床位最多？", doc, table)
    assert ranked.rows == 3 and ranked.answer == "松川人民医院床位最多"  # (医院 narrows no rows)


def test_a_price_bound_asks_for_the_things_within_it():
    from rag.kind import missing_kind

    assert missing_kind("Which sizes cost less than $50 a month?", "tw-nano [1], tw-micro [2]", "en") is None
    assert missing_kind("What does the tw-nano size cost?", "tw-nano [1]", "en") == "money"


def test_rows_picked_by_arithmetic_are_no_weak_evidence(tmp_path, fake_embedder):
    from conftest import FakeGenerator, fake_pipeline
    from rag.store import record_calibration
    from rag.config import Config
    from rag.manifest import Calibration
    from rag.retrieve import Retriever

    gen = FakeGenerator(lambda m: "| 61 | 1 |[1]")
    p = fake_pipeline(tmp_path, {"routes.md": "| 路線 | 車費 |\n| 18X | $12.6 |\n| 27 | $8.2 |\n| 61 | $9.9 |\n",
                                 "other.txt": "完全无关的内容。"}, fake_embedder, gen)
    record_calibration(tmp_path / "idx", Config.from_env(), Calibration(min_top_dense=0.99, min_top_bm25=1e9))
    p.retriever = Retriever.open(tmp_path / "idx", fake_embedder, Config.from_env())
    assert p.retriever.search("27号车费几多钱？", 5).picked == "looked_up"
    assert p.ask("27号车费几多钱？").refusal_reason != "weak_evidence"  # the row the question names
    assert p.ask("法国的首都是哪里？").refusal_reason == "weak_evidence" and len(gen.calls) == 1


def test_a_slides_table_is_a_region_of_rows_of_that_slide(tmp_path):
    import pptx
    from pptx.util import Inches

    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "各区面积"
    data = [("区", "面积（平方公里）"), ("东湖区", "38.5"), ("西岭区", "126.0"), ("南渡区", "64.2")]
    table = slide.shapes.add_table(len(data), 2, Inches(1), Inches(2), Inches(6), Inches(2)).table
    for i, row in enumerate(data):
        for j, v in enumerate(row):
            table.cell(i, j).text = v
    deck.save(tmp_path / "districts.pptx")
    doc = load_document(tmp_path / "districts.pptx")
    rows, text = [r for r in doc.regions if r.location.holds_rows], [r for r in doc.regions if not r.location.holds_rows]
    assert [(r.location.kind, r.location.number, r.location.rows) for r in rows] == [("slide", 1, (1, 4))]
    assert [doc.text[r.start:r.end] for r in text] == ["# 各区面积"]  # the title is no row
    found = ranked_row("哪个区面积最大？", doc, rows[0])
    assert _first(doc, found) == "西岭区" and found.row == 3
    assert doc.locator()(found.start, found.end).label() == "slide 1 “各区面积”, row 3"


def test_an_answer_naming_some_of_the_rows_a_condition_picked_lists_them_all(tmp_path, fake_embedder):
    from conftest import FakeGenerator, fake_pipeline

    sizes = ("| Size | vCPUs | Price / month |\n| nano | 1 | $5 |\n| micro | 2 | $11 |\n| std-4 | 4 | $38 |\n"
             "| std-8 | 8 | $74 |\n| mem-8 | 8 | $96 |\n")
    gen = FakeGenerator(lambda m: "nano [1][2][3]")
    a = fake_pipeline(tmp_path, {"sizes.md": sizes}, fake_embedder, gen).ask("Which sizes cost less than $50 a month?")
    assert a.answer == "nano [1], micro [2], std-4 [3]." and [c.quote for c in a.citations] == ["nano", "micro", "std-4"]
    # not shown rows a condition picked (a superlative's one row): the answer as the model gave it
    gen.script = lambda m: "std-8 [1]"
    (tmp_path / "again").mkdir()
    b = fake_pipeline(tmp_path / "again", {"sizes.md": sizes}, fake_embedder, gen).ask("Which size has the most vCPUs?")
    assert b.answer != "std-8 [1], mem-8 [2]." and "mem-8" not in b.answer


def test_a_superlative_over_what_no_passage_gives_is_off_the_question():
    from rag.aspect import missing_aspect

    prose = ["本页汇总县内主要公立医疗机构的基本情况和县人民医院的专家门诊安排"]
    assert missing_aspect("松川县哪家医院的医生人数最多？", prose, "zh") == ["医生人数"]
    assert missing_aspect("床位数第二多的是哪家医院？", ["| 医疗机构 | 核定床位 |", "| 第二医院 | 460张 |"], "zh") == []


def test_an_item_the_table_lacks_though_the_segmenter_cut_its_kind_off():
    from rag.aspect import unlisted_item

    table = ["| 仓库 | 所在城市 |\n| 苇塘分仓 | 苇塘 |\n| 朔溪分仓 | 朔溪 |"]
    assert unlisted_item("沛川供应链的汀州分仓仓储面积有多大？", table, []) == ["汀州分仓"]
    assert unlisted_item("朔溪分仓仓储面积有多大？", table, []) == []


def test_a_short_answer_is_the_whole_cell_the_answer_names(tmp_path):
    from rag.records import Chunk, Citation
    from rag.short import short_answer

    doc, (table,) = _table(tmp_path)
    row = sheet_rows(doc, table)[0]  # (a passage of one row, as the retriever hands it over)
    c = Chunk(chunk_id=0, doc_id=doc.doc_id, text=doc.text[row.start:row.end], start=row.start, end=row.end)
    cited = [Citation(1, c, c.text, c.start, c.end)]
    # 枫桥县 is the question's, yet the row's name is the cell 枫桥县人民医院（总院）
    assert short_answer("枫桥县哪家机构床位最多？", "枫桥县人民医院（总院）[1]", cited) == "枫桥县人民医院（总院）"
    # the answer does not hold the whole cell: as found
    assert short_answer("枫桥县哪家机构床位最多？", "人民医院[1]", cited) == "人民医院"


def test_a_pronoun_is_no_measure_a_superlative_ranks_by():
    from rag.aspect import missing_aspect

    assert missing_aspect("它的最高峰也是哪一州的最高峰？", ["乞力马扎罗山是该国境内的最高峰"], "zh") == []


METRO = "# 岚城地铁线路表\n\n| 线路 | 开通年份 | 车站数 |\n| 1号线 | 2010年 | 24 |\n| 2号线 | 2013年 | 19 |\n| 3号线 | 2018年 | 27 |\n"
PLANS = ("# 手机套餐\n\n| 套餐 | 月费（元） | 国内通用流量 |\n| 轻享19 | 19 | 10GB |\n| 随心39 | 39 | 30GB |\n"
         "| 尊享159 | 159 | 200GB |\n")


def _retriever(tmp_path, docs: dict[str, str], embedder):
    """A retriever over ``docs`` (file name -> text), indexed under ``tmp_path``."""
    from rag.config import Config
    from rag.index import update_index
    from rag.retrieve import Retriever

    (tmp_path / "docs").mkdir()
    for name, text in docs.items():
        (tmp_path / "docs" / name).write_text(text, encoding="utf-8")
    update_index(tmp_path / "idx", [tmp_path / "docs"], Config(), embedder)
    return Retriever.open(tmp_path / "idx", embedder, Config())


def test_only_the_best_retrieved_tables_document_is_ranked(tmp_path, fake_embedder):
    r = _retriever(tmp_path, {"metro.md": METRO, "plans.md": PLANS}, fake_embedder)
    asked = "岚城地铁哪条线路每天的客流量最大？"
    assert r.search(asked, 5).hits[0].chunk.doc_id == "metro.md"
    # the metro table has no ridership: the plans' 流量 is not ranked instead
    assert r.search(asked, 5).picked is None
    assert r.search("岚城地铁哪条线路车站数最多？", 5).picked == "ranked"


def test_a_column_that_holds_little_of_the_measure_the_document_never_names_is_not_ranked(tmp_path):
    doc, (table,) = _table(tmp_path, PLANS, "plans.md")
    # 国际漫游流量: only 流量 is the column's, and the document never says 漫游
    assert ranked_row("哪个套餐送的国际漫游流量最多？", doc, table) is None
    assert _first(doc, ranked_row("哪个套餐的流量最多？", doc, table)) == "尊享159"


def test_a_superlative_that_picks_nothing_has_no_measure_to_check():
    from rag.aspect import missing_aspect

    # how early something goes back is no pick among things: its 出现 is not a column
    assert missing_aspect("鸟类的出现最早可以追溯至何时？", ["溯源于中生代侏罗纪"], "zh") == []
    assert missing_aspect("联盟成员国中人口数最多的国家为何？", ["经济发展程度悬殊"], "zh") == ["人口数"]


def test_a_table_of_other_things_than_the_question_asks_which_of_is_not_ranked(tmp_path, fake_embedder):
    from rag.ranked import asked_kind

    assert asked_kind("哪条地铁线每天的客流量最大？") == "地铁线" and asked_kind("流量最多的是什么？") == ""
    r = _retriever(tmp_path, {"plans.md": PLANS, "metro.txt": "岚城地铁共有3条地铁线，日均客运量约80万人次。"}, fake_embedder)
    # the plans' 流量 is no metro line's: another retrieved document names 地铁线
    assert r.search("哪条地铁线每天的客流量最多？", 5).picked is None
    assert r.search("哪个套餐的流量最多？", 5).picked == "ranked"


def test_a_traditional_superlative_or_comparison_reads_as_the_simplified_one(tmp_path):
    doc, (table,) = _table(tmp_path, "| 課程 | 週數 | 學費（新臺幣） |\n| 陶藝入門 | 8 | 6,400 |\n"
                           "| 木工基礎 | 12 | 9,800 |\n| 書法 | 10 | 5,200 |\n", "courses.md")
    assert _first(doc, ranked_row("學費最貴的是哪門課？", doc, table)) == "木工基礎"
    assert _first(doc, ranked_row("學費第二貴的是哪門課？", doc, table)) == "陶藝入門"
    assert superlative("學費最貴的是哪門課？").word == "最貴"  # as the question writes it
    compared = compared_rows("陶藝入門跟書法，哪門課學費比較貴？", doc, table)
    assert compared.names == ("陶藝入門", "書法") and compared.rows[0].cells["課程"] == "陶藝入門"
    assert ranked_row("哪門課最受歡迎？", doc, table) is None  # no superlative of a column


def test_a_price_word_ranks_the_price_column_not_one_sharing_a_character(tmp_path):
    doc, (table,) = _table(tmp_path, "| 课程 | 课时 | 价格（元） |\n| 插花 | 64课时 | 980 |\n"
                           "| 茶艺 | 32课时 | 2,360 |\n| 摄影 | 48课时 | 1,650 |\n", "prices.md")
    assert _first(doc, ranked_row("哪门课最贵？", doc, table)) == "茶艺"  # 课 names the rows, not 课时
    assert _first(doc, ranked_row("哪门课课时最多？", doc, table)) == "插花"
    # two price columns: the one the question names
    doc2, (t2,) = _table(tmp_path, "| 套餐 | 月费（元） | 安装费（元） |\n| 甲 | 99 | 200 |\n| 乙 | 129 | 100 |\n"
                         "| 丙 | 79 | 300 |\n", "plans.md")
    assert _first(doc2, ranked_row("哪个套餐安装费最贵？", doc2, t2)) == "丙"
    assert _first(doc2, ranked_row("哪个套餐月费最便宜？", doc2, t2)) == "丙"
    assert ranked_row("哪个套餐最贵？", doc2, t2) is None  # two prices, neither named


def test_a_price_bound_said_colloquially_on_one_of_two_prices(tmp_path):
    doc, (table,) = _table(tmp_path, "| 场地 | 平日每小时（元） | 周末每小时（元） |\n| 羽毛球场 | 60 | 90 |\n"
                           "| 篮球场 | 150 | 200 |\n| 乒乓球室 | 40 | 80 |\n", "venues.md")
    picked = flagged_rows("平日租一小时不用100块的场地有哪些？", doc, table)
    assert (picked.label, picked.value, picked.names) == ("平日每小时（元）", "<100", ["羽毛球场", "乒乓球室"])
    assert flagged_rows("周末租一小时不用100块的有哪些？", doc, table).names == ["羽毛球场", "乒乓球室"]
    assert flagged_rows("周末租一小时不用85块的有哪些？", doc, table).names == ["乒乓球室"]
    assert flagged_rows("租一小时不用100块的场地有哪些？", doc, table) is None  # which of the two prices: not said


OUTAGES = """# 溪桥镇12月计划停电

| 日期 | 时间段 | 停电范围 |
|---|---|---|
| 12月3日 | 08:00—12:00 | 枫林路1号至60号 |
| 12月3日 | 13:30—15:00 | 后塘村全村 |
| 12月5日 | 22:00—次日03:00 | 溪桥工业园北区 |
"""


def test_how_long_a_time_range_lasts_is_its_figure_when_asked_how_long(tmp_path):
    from rag.rows import cell_measure

    assert cell_measure("08:00—12:00", "更长") == 240 and cell_measure("22:00—次日03:00", "最长") == 300
    assert cell_measure("08:00—12:00", "最早") == cell_number("08:00")  # asked how early: when it starts
    assert cell_measure("16.4公里", "最长") == 16.4  # a length is its number
    doc, (table,) = _table(tmp_path, OUTAGES, "outages.md")
    found = ranked_row("哪一次停电时间最长？", doc, table)
    assert "溪桥工业园北区" in doc.text[found.start:found.end]
    compared = compared_rows("枫林路和后塘村那两次，哪个停电时间更长？", doc, table)
    assert compared.names == ("枫林路", "后塘村")  # named by a part of their cell no other row's holds


def test_a_row_named_by_a_part_only_when_no_other_row_holds_it(tmp_path):
    doc, (table,) = _table(tmp_path, "| 课程 | 周数 | 学费 |\n| 实用日语会话（初级） | 12 | 6800 |\n"
                           "| 商务日语会话 | 10 | 7200 |\n| 英文简报技巧 | 9 | 8200 |\n", "courses.md")
    compared = compared_rows("英文简报跟实用日语会话，哪一门要上比较多周？", doc, table)
    assert compared.names == ("实用日语会话", "英文简报") and compared.label == "周数"
    # 日语会话 is in two rows: it names neither; two characters name nothing
    assert compared_rows("英文简报跟日语会话，哪一门要上比较多周？", doc, table) is None
    assert compared_rows("英文跟实用日语会话，哪一门要上比较多周？", doc, table) is None
    assert comparative("哪一门要上比较多周？").direction == "max" and comparative("哪一门要上多周？") is None


def test_the_classifier_after_which_is_no_measure_a_superlative_ranks_by():
    from rag.ranked import ranked_measure

    assert ranked_measure("哪门课最贵？") is None  # 门 belongs to 哪: no 门课 to look for near the quote
    assert ranked_measure("哪家医院的医生人数最多？") == "医生人数" and ranked_measure("哪门课程学费最贵？") == "课程学费"


def test_the_names_a_note_lists_may_hold_brackets():
    from rag.ranked import listed_names

    note = "（平日每小时（元）为“<100”的2行之一，共3行：羽毛球场（单面）、乒乓球室）"
    assert listed_names(note) == ["羽毛球场（单面）", "乒乓球室"]
    assert listed_names("（床位最多的一行，共4行）") == []


def test_a_table_of_a_document_writing_fewer_of_the_questions_words_than_the_best_passage_is_not_ranked(
        tmp_path, fake_embedder):
    """Invented minutes list three roofing quotes in a sentence; an invented purchase request's
    table has a price column and names a 报价单 once: asked which quote is the dearest, the
    request's table is not ranked; asked its own items' dearest, it is."""
    minutes = ("# 业委会会议纪要\n\n案由三：屋顶防水层重新施作案。共取得三家报价：甲防水工程行428,000元、乙防水企业社"
               "465,000元、丙防水工程行398,000元。决议：委请丙防水工程行承作。\n")
    request = ("# 采购申请单\n\n附件：供应商报价单2份。\n\n| 品名 | 数量 | 单价（元） |\n|---|---|---|\n| 笔记本电脑 | 3 | 5480 |\n"
               "| 显示器 | 4 | 1260 |\n| 打印机 | 1 | 2350 |\n")
    r = _retriever(tmp_path, {"minutes.md": minutes, "request.md": request}, fake_embedder)
    asked = "屋顶防水那三家报价，哪一家最贵？"
    assert r.search(asked, 5).hits[0].chunk.doc_id == "minutes.md"
    assert r.search(asked, 5).picked is None
    assert r.search("采购申请单里哪个品名单价最贵？", 5).picked == "ranked"
