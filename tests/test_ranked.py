"""Superlative questions over a sheet: the row that ranks first, counted over every row."""
from rag.config import Config
from rag.index import update_index
from rag.load import load_document
from rag.compared import comparative, compared_rows, flipped_comparison
from rag.ranked import flagged_rows, ranked_in_workbook, ranked_row, superlative
from rag.rows import stated_unit
from rag.retrieve import Retriever

# An invented price list: what a user's spreadsheet of products looks like as a CSV.
KETTLES = """型号,售价(元),容量(L),功率(W),保修(年),颜色
晨露K1,159,1.5,1800,1,白色
晨露K2,219,1.7,2200,2,白色
晨露K3,349,1.7,2200,3,银色
山泉S1,129,1.0,1500,1,绿色
山泉S2,269,1.8,2400,2,黑色
山泉S5,499,2.0,2400,5,黑色
"""


def _sheet(tmp_path, text=KETTLES, name="kettles.csv"):
    """The document of a CSV written with ``text``, and its rows region."""
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    doc = load_document(p)
    return doc, doc.regions[0]


def _row(doc, ranked):
    return doc.text[ranked.start:ranked.end].split(" | ")[0] if ranked else None


def test_the_row_first_by_the_column_the_question_names(tmp_path):
    doc, region = _sheet(tmp_path)
    assert _row(doc, ranked_row("哪款水壶最便宜？", doc, region)) == "型号: 山泉S1"  # the price column, unnamed
    assert _row(doc, ranked_row("哪款水壶的容量最大？", doc, region)) == "型号: 山泉S5"
    assert _row(doc, ranked_row("保修期最长的是哪一款？", doc, region)) == "型号: 山泉S5"
    ranked = ranked_row("哪款水壶的功率最小？", doc, region)
    assert (ranked.label, ranked.direction, ranked.rows, ranked.row) == ("功率(W)", "min", 6, 5)


def test_the_second_or_third_by_the_column(tmp_path):
    doc, region = _sheet(tmp_path)
    assert _row(doc, ranked_row("哪款水壶第二便宜？", doc, region)) == "型号: 晨露K1"
    ranked = ranked_row("容量第二大的是哪款？", doc, region)
    assert _row(doc, ranked) == "型号: 山泉S2" and ranked.word == "第二大"
    assert _row(doc, ranked_row("Which kettle has the second highest 功率(W)?", doc, region)) is None  # 2400 twice
    assert ranked_row("容量第三大的是哪款？", doc, region) is None  # 1.7 twice: no one third


def test_a_bound_or_a_name_narrows_the_rows_first(tmp_path):
    doc, region = _sheet(tmp_path)
    # 300元以内 bounds the price column; the most capacity among those rows
    assert _row(doc, ranked_row("预算300元以内，哪款容量最大？", doc, region)) == "型号: 山泉S2"
    # 晨露 names part of some rows' model: the cheapest of those
    assert _row(doc, ranked_row("晨露系列里哪款最便宜？", doc, region)) == "型号: 晨露K1"


def test_nothing_is_ranked_when_the_answer_is_not_arithmetic(tmp_path):
    doc, region = _sheet(tmp_path)
    assert superlative("晨露K2的售价是多少？") is None
    assert ranked_row("晨露K2的售价是多少？", doc, region) is None  # no superlative
    assert ranked_row("哪款最好看？", doc, region) is None  # no column it names
    assert ranked_row("哪款功率最大？", doc, region) is None  # a tie for first: 2400 twice
    assert ranked_row("保修2年的水壶里哪款最便宜？", doc, region) is None  # a condition it does not read
    assert ranked_row("黑色的里面哪款最便宜？", doc, region) is None  # 黑色: another column's cell


def _kettle_shop(tmp_path, fake_embedder):
    """A retriever over the price list and a note about the kettles."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "kettles.csv").write_text(KETTLES, encoding="utf-8")
    (folder / "说明.txt").write_text("晨露K3采用不锈钢内胆，适合泡茶。山泉系列主打便携。", encoding="utf-8")
    update_index(tmp_path / "idx", [folder], Config(), fake_embedder)
    return Retriever.open(tmp_path / "idx", fake_embedder, Config())


def test_the_ranked_row_is_the_one_passage_retrieved(tmp_path, fake_embedder):
    retriever = _kettle_shop(tmp_path, fake_embedder)
    hits = retriever.search("售价最便宜的水壶是哪款？", 5).hits
    assert len(hits) == 1 and hits[0].chunk.text.startswith("型号: 山泉S1 | 售价(元): 129")
    # the note answers the question in its own words, which the model's answer restates
    assert hits[0].chunk.context == "（售价最便宜的水壶是山泉S1。售价(元)最便宜的一行，共6行）"
    assert hits[0].chunk.location.rows == (5, 5)
    # the citation's span is the row itself
    assert hits[0].chunk.text == retriever.index.docs["kettles.csv"].text[hits[0].chunk.start:hits[0].chunk.end]
    # no superlative: retrieval as ever
    assert len(retriever.search("晨露K3适合做什么？", 5).hits) > 1


def test_two_rows_the_question_names_ordered_by_the_column_it_compares(tmp_path):
    doc, region = _sheet(tmp_path)
    compared = compared_rows("晨露K2和山泉S2，哪个容量更大？", doc, region)
    assert [r.cells["型号"] for r in compared.rows] == ["山泉S2", "晨露K2"]
    assert (compared.label, compared.word, compared.names) == ("容量(L)", "更大", ("山泉S2", "晨露K2"))
    # the lesser asked for: the cheaper of the two, by the price column the question names
    assert compared_rows("山泉S5跟晨露K3比，谁的售价便宜一些？", doc, region).names == ("晨露K3", "山泉S5")


def test_no_rows_are_compared_when_the_question_does_not_ask_it(tmp_path):
    doc, region = _sheet(tmp_path)
    assert comparative("哪款水壶最便宜？") is None and comparative("晨露K2的售价是多少？") is None
    # a word that ends in 长 or 多 is no comparison, unless two things are paired before it
    assert comparative("这所中学是哪一位校长创办的学校的校长？") is None
    assert comparative("晨露K1和晨露K2，哪个功率大？") is not None
    assert compared_rows("晨露K2的容量更大吗？", doc, region) is None  # no question word: yes or no
    assert compared_rows("晨露K2和晨露K3，哪个功率更大？", doc, region) is None  # a tie: 2200 both
    assert compared_rows("晨露K1、晨露K2和晨露K3，哪个容量更大？", doc, region) is None  # three named
    assert compared_rows("晨露K1和山泉S1，哪个颜色更好看？", doc, region) is None  # no column of figures


def test_the_row_asked_for_is_the_passage_with_the_answer_in_the_questions_words(tmp_path, fake_embedder):
    retriever = _kettle_shop(tmp_path, fake_embedder)
    hits = retriever.search("晨露K2和山泉S2，哪个容量更大？", 5).hits
    assert len(hits) == 1 and hits[0].chunk.text.startswith("型号: 山泉S2 |")
    assert hits[0].chunk.context == "（山泉S2容量更大。容量(L)：山泉S2 1.8，晨露K2 1.7）"
    assert hits[0].chunk.text == retriever.index.docs["kettles.csv"].text[hits[0].chunk.start:hits[0].chunk.end]
    hits = retriever.search("山泉S5跟晨露K3比，谁的售价便宜一些？", 5).hits
    assert hits[0].chunk.context.startswith("（晨露K3的售价便宜一些。")


def test_an_answer_that_names_the_other_of_the_two_is_flipped():
    note = "（山泉S2容量更大。容量(L)：山泉S2 1.8，晨露K2 1.7）\n型号: 山泉S2 | 容量(L): 1.8"
    assert flipped_comparison("晨露K2和山泉S2，哪个容量更大？", "晨露K2容量更大[1]。", [note])
    assert not flipped_comparison("晨露K2和山泉S2，哪个容量更大？", "山泉S2容量更大[1]。", [note])
    assert not flipped_comparison("晨露K2和山泉S2，哪个容量更大？", "山泉S2[1]", [note])
    # no passage says which in the question's words: nothing to flip
    assert not flipped_comparison("晨露K2和山泉S2，哪个容量更大？", "晨露K2容量更大[1]。", ["型号: 晨露K2 | 容量(L): 1.7"])


def test_the_question_answered_in_its_own_words_by_the_row_found():
    from rag.filled import put_in

    assert put_in("苓湾有轨电车最早开通的是哪条线？", "T2线") == "苓湾有轨电车最早开通的是T2线"
    assert put_in("今年哪个部门的预算最多？", "设计部") == "今年设计部的预算最多"
    assert put_in("哪款水壶最便宜？", "山泉S1") == "山泉S1水壶最便宜"
    assert put_in("Who's scored the second most goals in the league?", "Mill Quay FC") \
        == "Mill Quay FC has scored the second most goals in the league"
    assert put_in("Which team has let in the most goals?", "Reed Island") == "Reed Island has let in the most goals"
    # no question word to fill: no statement (the note says what it said before)
    assert put_in("列出售价最便宜的水壶", "山泉S1") == ""


def test_a_ranked_row_states_the_answer_only_for_a_column_the_question_names_well(tmp_path):
    doc, region = _sheet(tmp_path)
    assert ranked_row("哪款水壶的功率最小？", doc, region).answer == "山泉S1的功率最小"
    # 容积 shares one character with 容量(L): ranked as before, but no statement vouches for it
    ranked = ranked_row("哪款水壶的容积最大？", doc, region)
    assert _row(doc, ranked) == "型号: 山泉S5" and ranked.answer == ""


def test_a_totals_row_is_no_thing_and_dates_rank_in_time(tmp_path):
    doc, region = _sheet(tmp_path, "部门,人数,成立日期\n设计部,12,2019-03-15\n测试部,8,2019-11-02\n运维部,15,2018-07-30\n合计,35,\n",
                         "staff.csv")
    assert _row(doc, ranked_row("哪个部门人数最多？", doc, region)) == "部门: 运维部"  # not 合计's 35
    assert _row(doc, ranked_row("哪个部门成立得最晚？", doc, region)) == "部门: 测试部"  # November, not March
    assert _row(doc, ranked_row("哪个部门人数最少？", doc, region)) == "部门: 测试部"


def test_asked_which_rows_lack_a_yes_no_mark_those_rows_are_the_passages(tmp_path, fake_embedder):
    doc, region = _sheet(tmp_path, "型号,售价(元),是否防干烧\n炉灵A,199,是\n炉灵B,259,是\n炉灵C,129,否\n炉灵D,329,是\n", "stoves.csv")
    flagged = flagged_rows("哪款电炉不防干烧？", doc, region)
    assert [doc.text[a:b].split(" | ")[0] for a, b, _ in flagged.rows] == ["型号: 炉灵C"]
    assert (flagged.label, flagged.value, flagged.total) == ("是否防干烧", "否", 4)
    # asked which have it: three of four is a list to read, still few enough
    assert len(flagged_rows("哪几款防干烧？", doc, region).rows) == 3
    # no yes/no column named, or not asked which: nothing picked
    assert flagged_rows("哪款最好看？", doc, region) is None
    assert flagged_rows("炉灵C防干烧吗？", doc, region) is None
    update_index(tmp_path / "idx", [tmp_path / "stoves.csv"], Config(), fake_embedder)
    hits = Retriever.open(tmp_path / "idx", fake_embedder, Config()).search("哪款电炉不防干烧？", 5).hits
    assert [h.chunk.text.split(" | ")[0] for h in hits] == ["型号: 炉灵C"]
    assert hits[0].chunk.context == "（是否防干烧为“否”的唯一一行，共4行）"


def test_an_english_sheet_is_ranked_and_filtered_too(tmp_path):
    doc, region = _sheet(tmp_path, "Plan,Monthly fee ($),Data (GB),5G\nBasic,9,5,No\nPlus,29,20,Yes\nMax,59,100,Yes\nFamily,79,80,Yes\n",
                         "plans.csv")
    assert _row(doc, ranked_row("Which plan is the cheapest?", doc, region)) == "Plan: Basic"
    assert _row(doc, ranked_row("Which plan has the most data?", doc, region)) == "Plan: Max"
    # the negation three words before the column's name
    assert [doc.text[a:b].split(" | ")[0] for a, b, _ in flagged_rows("Which plan does not support 5G?", doc, region).rows] \
        == ["Plan: Basic"]
    assert len(flagged_rows("Which plans support 5G?", doc, region).rows) == 3


def _ferries(path):
    """An invented ferry timetable: the same piers on two sheets, other times."""
    import openpyxl

    wb = openpyxl.Workbook()
    for name, last in (("Weekdays", ["21:30", "20:10", "19:00"]), ("Weekends", ["22:45", "18:20", "17:05"])):
        ws = wb.create_sheet(name)
        ws.append(["Pier", "First sailing", "Last sailing", "Note"])
        for pier, t in zip(("North Pier", "Mill Quay", "Reed Island"), last):
            # (the weekday sheet says more of what is asked: retrieval ranks it first)
            ws.append([pier, "06:00", t, "last sailing waits for the Mill Quay train" if name == "Weekdays" else ""])
    del wb["Sheet"]
    wb.save(path)
    return path


def _tramways(path):
    """An invented tram network: the open lines and the planned ones, on two sheets whose
    year columns say the same words (开通年份); a stop of one line bears the city's name."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.create_sheet("已开通线路")
    ws.append(["线路", "首段开通年份", "车站数", "起点站"])
    for row in (["T1线", 2011, 18, "苓湾码头"], ["T2线", 2008, 22, "苓湾火车站"], ["T3线", 2016, 15, "北坡"]):
        ws.append(row)
    ws = wb.create_sheet("规划线路")
    ws.append(["线路", "计划开通年份", "规划长度"])
    for row in (["T4线", 2027, 9.5], ["T5线", 2026, 7.1], ["T6线", 2029, 12.0]):
        ws.append(row)
    del wb["Sheet"]
    wb.save(path)
    return path


def test_a_workbook_ranks_in_the_sheet_whose_name_the_question_speaks_of(tmp_path):
    doc = load_document(_tramways(tmp_path / "苓湾有轨电车线路表.xlsx"))
    planned = next(r for r in doc.regions if r.location.name == "规划线路" and r.location.rows)
    # retrieved from the planned lines' sheet, the open lines' sheet is the one "开通的" speaks of
    ranked, region = ranked_in_workbook("苓湾有轨电车最早开通的是哪条线？", doc, planned)
    assert region.location.name == "已开通线路" and doc.text[ranked.start:ranked.end].startswith("线路: T2线")
    # asked of the plans, the planned lines' sheet (计划 names it no more, 规划 does)
    ranked, region = ranked_in_workbook("规划线路里哪条最早开通？", doc, planned)
    assert region.location.name == "规划线路" and doc.text[ranked.start:ranked.end].startswith("线路: T5线")


def test_rows_of_the_sheet_the_question_names_come_first(tmp_path, fake_embedder):
    from rag.sheets import named_sheets

    doc = load_document(_ferries(tmp_path / "ferries.xlsx"))
    assert named_sheets("When is the last sailing from Mill Quay at weekends?", doc) == {"Weekends"}
    assert named_sheets("When is the last sailing from Mill Quay?", doc) == set()  # no sheet named
    # a kind of day said in other words names its sheet (weekend, 周末, on Saturday: not)
    assert named_sheets("What's the weekend timetable?", doc) == {"Weekends"}
    assert named_sheets("周末几点开船？", doc) == {"Weekends"}
    assert named_sheets("工作日几点开船？", doc) == {"Weekdays"}
    assert named_sheets("What's the timetable on Saturday?", doc) == set()
    update_index(tmp_path / "idx", [tmp_path / "ferries.xlsx"], Config(), fake_embedder)
    retriever = Retriever.open(tmp_path / "idx", fake_embedder, Config())
    hits = retriever.search("When is the last sailing from Mill Quay at weekends?", 5).hits
    sheets = [h.chunk.location.name for h in hits]
    assert sheets[0] == "Weekends" and sheets == sorted(sheets, key=lambda n: n != "Weekends")
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    # no sheet named: the retriever's order as it was
    plain = retriever.search("When is the last sailing from Mill Quay?", 5).hits
    assert [h.rank for h in plain] == list(range(1, len(plain) + 1))


def test_an_answer_read_from_another_sheet_than_the_one_named_is_refused(tmp_path, fake_embedder):
    from rag.answer import Pipeline
    from conftest import FakeGenerator

    folder = tmp_path / "docs"
    folder.mkdir()
    _ferries(folder / "ferries.xlsx")
    config = Config()
    update_index(tmp_path / "idx", [folder], config, fake_embedder)
    retriever = Retriever.open(tmp_path / "idx", fake_embedder, config)

    def weekday_time(messages):  # the model reads the Weekdays row, whatever it is shown
        return "The last sailing from Mill Quay is at 20:10 [1]."

    p = Pipeline(retriever, FakeGenerator(weekday_time), config)
    assert p.ask("When is the last sailing from Mill Quay at weekends?").refused
    assert not p.ask("When is the last sailing from Mill Quay on Weekdays?").refused
    assert not p.ask("When is the last sailing from Mill Quay?").refused  # no sheet named


def test_asked_how_many_of_a_sheets_things_the_rows_are_counted(tmp_path, fake_embedder):
    from rag.counted import counted_note, counted_rows

    doc, region = _sheet(tmp_path)
    counted = counted_rows("这份清单里一共有几款型号？", doc, region)
    assert counted.n == 6 and counted.phrase == "这份清单里一共有6款型号"  # (the question's clause)
    assert counted_note(counted, "", "zh") == "（这份清单里一共有6款型号，共6行：晨露K1、晨露K2、晨露K3、山泉S1、山泉S2、山泉S5）"
    assert counted_rows("晨露系列一共有几款型号？", doc, region).n == 3  # a name narrows them
    plans, plan_region = _sheet(tmp_path, "Plan,Monthly fee ($)\nBasic,9\nPlus,29\nMax,59\n", "plans.csv")
    assert counted_rows("How many plans are there?", plans, plan_region).phrase == "3 plans"
    # not what the first column names, a condition it does not read, or no count asked
    assert counted_rows("一共有几种颜色？", doc, region) is None
    assert counted_rows("保修2年的一共有几款型号？", doc, region) is None
    assert counted_rows("晨露K1一共多少钱？", doc, region) is None
    # the one passage retrieved, the note vouching for the count
    update_index(tmp_path / "idx", [tmp_path / "kettles.csv"], Config(), fake_embedder)
    hits = Retriever.open(tmp_path / "idx", fake_embedder, Config()).search("这份清单里一共有几款型号？", 5).hits
    assert len(hits) == 1 and hits[0].chunk.context.startswith("（这份清单里一共有6款型号") and hits[0].chunk.location.rows == (2, 7)


def test_asked_what_a_column_comes_to_altogether_its_figures_are_added(tmp_path):
    """An invented warehouse's week of deliveries prints no total: asked how many pallets come
    altogether, the Pallets column is added; not when the question sets a condition on another
    column (Wednesday), which this does not read."""
    from rag.counted import counted_note, counted_rows

    sheet = "Delivery ref,Day,Products,Pallets\nD-01,Monday,Cartons,12\nD-02,Wednesday,Shrink film,6\nD-03,Wednesday,Labels,4\n"
    doc, region = _sheet(tmp_path, sheet, "deliveries.csv")
    summed = counted_rows("How many pallets are coming altogether?", doc, region)
    assert (summed.phrase, summed.column, summed.values) == ("22 pallets", "Pallets", ("12", "6", "4"))
    assert counted_note(summed, "", "en") == "(22 pallets: Pallets of 3 rows added, 12+6+4 = 22)"
    assert counted_rows("How many pallets come on Wednesday altogether?", doc, region) is None
    zh, zh_region = _sheet(tmp_path, "单号,星期,托盘数\nD-01,周一,12\nD-02,周三,6\nD-03,周三,4.5\n", "托盘.csv")
    assert counted_rows("这批货一共多少托盘？", zh, zh_region).phrase == "这批货一共22.5托盘"
    # no total asked (a row's own figure), a column of text, or rows counted as before
    assert counted_rows("How many pallets does D-02 bring?", doc, region) is None
    assert counted_rows("How many products altogether?", doc, region) is None
    assert counted_rows("How many deliveries are there altogether?", doc, region).phrase == "3 deliveries"


def test_the_unit_a_table_states_above_it(tmp_path):
    # a sheet's title lines (an invented bakery's takings), and a report table's lead line
    doc, _ = _sheet(tmp_path, "麦田烘焙各店营业额\n单位：万元（含税）\n门店,上半年,下半年\n北店,35,41\n南店,28,30\n", "takings.csv")
    assert {stated_unit(doc, r) for r in doc.regions} == {"万元"}
    doc, _ = _sheet(tmp_path, "Harbour Ferries fares\nUnit: HKD\nRoute,Adult,Child\nA,12,6\nB,15,8\n", "fares.csv")
    assert {stated_unit(doc, r) for r in doc.regions} == {"HKD"}
    # none stated, or stated only in a note under the table: no unit
    doc, _ = _sheet(tmp_path, "门店,上半年,下半年\n北店,35,41\n南店,28,30\n单位：万元\n", "takings2.csv")
    assert {stated_unit(doc, r) for r in doc.regions} == {""}
    doc, region = _sheet(tmp_path)
    assert stated_unit(doc, region) == ""


def test_english_columns_tied_by_the_word_they_share_are_not_ranked(tmp_path):
    # an invented Sunday league: "the most goals" says neither Goals for nor Goals against
    league = ("Team,Played,Goals for,Goals against\nMillbrook,18,41,15\nOakfield,18,22,38\nAshby,18,30,21\n"
              "Corrin,18,18,30\n")
    doc, region = _sheet(tmp_path, league, "league.csv")
    assert ranked_row("Which team has let in the most goals?", doc, region) is None
    found = ranked_row("Which team has the most goals against?", doc, region)
    assert found is not None and doc.text[found.start:found.end].startswith("Team: Oakfield")


def test_asked_how_many_times_a_name_comes_up_the_rows_naming_it_are_counted(tmp_path):
    # an invented holiday duty roster: who is on duty which day
    from rag.counted import counted_note, counted_rows

    roster = ("日期,星期,值班人,电话分机\n2025-10-01,星期三,沈一禾,8315\n2025-10-02,星期四,葛柏舟,8322\n"
              "2025-10-03,星期五,沈一禾,8308\n2025-10-04,星期六,葛柏舟,8330\n2025-10-05,星期日,沈一禾,8315\n")
    doc, region = _sheet(tmp_path, roster, "roster.csv")
    counted = counted_rows("沈一禾国庆一共要值几天班？", doc, region)
    assert counted.n == 3 and counted.phrase == "沈一禾国庆一共要值3天班"
    assert counted_note(counted, "", "zh") == "（沈一禾国庆一共要值3天班，共3行：2025-10-01、2025-10-03、2025-10-05）"
    # a name no row holds, or no count asked: nothing counted
    assert counted_rows("林可一共要值几天班？", doc, region) is None
    assert counted_rows("沈一禾要值哪几天班？", doc, region) is None
