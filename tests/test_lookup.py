"""The row a question names by its cells, and the column it asks for."""
from rag.config import Config
from rag.index import update_index
from rag.load import load_document
from rag.lookup import looked_up_note, looked_up_row
from rag.retrieve import Retriever

# An invented gym's class list: a class's room, time and coach, one row each.
CLASSES = "课程,教室,上课时间,教练,场馆\n瑜伽,A101,09:00,林沐,东馆\n普拉提,A102,10:30,程远,东馆\n搏击操,B201,19:00,林沐,东馆\n"


def _found(tmp_path, question, text=CLASSES, name="classes.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    doc = load_document(p)
    found = looked_up_row(question, doc, doc.regions)
    return (doc.text[found.start:found.end].split(" | ")[0], found.asked) if found else None


def test_the_row_a_question_names_and_the_column_it_asks(tmp_path):
    assert _found(tmp_path, "普拉提在哪个教室上？") == ("课程: 普拉提", ["教室"])
    assert _found(tmp_path, "19:00那节课的教练是谁？") == ("课程: 搏击操", ["教练"])  # by a time cell
    assert _found(tmp_path, "普拉提的上課時間和教練？") == ("课程: 普拉提", ["上课时间", "教练"])  # the other script
    # the row naming the most cells, when two name one each (林沐 coaches two classes)
    assert _found(tmp_path, "林沐的搏击操在哪个教室？") == ("课程: 搏击操", ["教室"])
    doc = load_document(tmp_path / "classes.csv")
    found = looked_up_row("普拉提在哪个教室上？", doc, doc.regions)
    assert looked_up_note(found, "zh", False) == "（普拉提的一行；问的是教室）"


def test_no_row_when_several_or_none_are_named_or_no_column_is_asked(tmp_path):
    assert _found(tmp_path, "林沐在哪个教室上课？") is None  # two rows of 林沐
    assert _found(tmp_path, "普拉提一节课多长时间？") is None  # no column holds it
    assert _found(tmp_path, "东馆的教练是谁？") is None  # every row's 场馆: it names none
    assert _found(tmp_path, "2019:00的教练是谁？") is None  # a number inside another is not the cell
    assert _found(tmp_path, "瑜伽和普拉提的教室？") is None  # two rows named as much


# An invented price list: each item at its old price and its new one, by effective date.
PRICES = ("编号,品名,单价(元),生效日期\nQY-01,电热水壶,129.00,2023-01-01\nQY-02,电饭煲,399.00,2023-01-01\n"
          "QY-01,电热水壶,119.00,2024-07-01\nQY-02,电饭煲,399.00,2024-07-01\n")


def test_of_an_item_at_two_dates_the_row_of_the_date_asked_or_the_latest_asked_now(tmp_path):
    """A price list gives the same item twice, at its old and its new price: the row named by
    the date the question gives, or asked what holds now, the latest; asked neither, no row."""
    p = tmp_path / "prices.csv"
    p.write_text(PRICES, encoding="utf-8")
    doc = load_document(p)

    def line(question):
        found = looked_up_row(question, doc, doc.regions)
        return doc.text[found.start:found.end] if found else None

    assert "119.00" in line("电热水壶目前的单价是多少？")
    assert "129.00" in line("按2023年1月1日的价格，电热水壶的单价是多少？")
    assert "119.00" in line("What is the current 单价 of QY-01?")
    assert line("电热水壶的单价是多少？") is None  # which date: the model and the checks decide
    assert line("电热水壶2022年1月1日的单价是多少？") is None  # a date no row has


def _ferries(path):
    """An invented ferry timetable: the same piers on two sheets, other times."""
    import openpyxl

    wb = openpyxl.Workbook()
    for name, last in (("Weekdays", ["21:30", "20:10", "19:00"]), ("Weekends", ["22:45", "18:20", "17:05"])):
        ws = wb.create_sheet(name)
        ws.append(["Pier", "First sailing", "Last sailing"])
        for pier, t in zip(("North Pier", "Mill Quay", "Reed Island"), last):
            ws.append([pier, "06:00", t])
    del wb["Sheet"]
    wb.save(path)
    return path


def test_the_named_row_of_the_named_sheet_is_the_one_passage_retrieved(tmp_path, fake_embedder):
    _ferries(tmp_path / "ferries.xlsx")
    update_index(tmp_path / "idx", [tmp_path / "ferries.xlsx"], Config(), fake_embedder)
    retriever = Retriever.open(tmp_path / "idx", fake_embedder, Config())
    hits = retriever.search("When is the last sailing from Mill Quay at weekends?", 5).hits
    assert len(hits) == 1 and hits[0].chunk.text.startswith("Pier: Mill Quay") and "18:20" in hits[0].chunk.text
    assert hits[0].chunk.location.name == "Weekends" and hits[0].chunk.location.rows == (3, 3)
    assert hits[0].chunk.context == "(the row of Mill Quay in sheet Weekends; asked: Last sailing)"
    doc = retriever.index.docs[hits[0].chunk.doc_id]
    assert doc.text[hits[0].chunk.start:hits[0].chunk.end] == hits[0].chunk.text  # the citation's span
    # no sheet named: Mill Quay is a row of both, none is looked up
    assert len(retriever.search("When is the last sailing from Mill Quay?", 5).hits) > 1


# An invented school's supply order: an item ordered by two offices, each office's rows.
ORDER = ("编号,品名,数量,单价(元),金额(元),申请部门\n1,白板笔,20,3.50,70.00,教务处\n2,白板笔,10,3.50,35.00,总务处\n"
         "3,订书机,2,28.00,56.00,教务处\n4,档案盒,30,6.00,180.00,总务处\n5,胶带,12,2.50,30.00,图书馆\n")


def test_asked_how_much_a_named_row_costs_the_money_column_is_asked(tmp_path):
    # named by two cells (the item and the office), asked a total: 金额, not 单价
    assert _found(tmp_path, "教务处申请的白板笔一共多少钱？", ORDER, "order.csv") == ("编号: 1", ["金额(元)"])
    assert _found(tmp_path, "总务处的档案盒总共花了多少钱？", ORDER, "order.csv") == ("编号: 4", ["金额(元)"])
    # two money columns and no total asked: which one is meant is not known
    assert _found(tmp_path, "胶带多少钱？", ORDER, "order.csv") is None
    assert _found(tmp_path, "胶带的单价是多少？", ORDER, "order.csv") == ("编号: 5", ["单价(元)"])  # named


def test_asked_which_rows_a_value_picks_those_rows(tmp_path):
    from rag.ranked import flagged_rows

    p = tmp_path / "order.csv"
    p.write_text(ORDER, encoding="utf-8")
    doc = load_document(p)

    def picked(question):
        found = flagged_rows(question, doc, doc.regions[0])
        return [doc.text[a:b].split(" | ")[1] for a, b, _ in found.rows] if found else None

    assert picked("总务处申请了哪些东西？") == ["品名: 白板笔", "品名: 档案盒"]
    assert picked("图书馆申请了哪些东西？") == ["品名: 胶带"]
    assert picked("哪些东西最便宜？") is None  # no value named
    assert picked("总务处和教务处申请了哪些东西？") is None  # no row is both's


def test_a_which_question_naming_a_row_gets_that_row_and_one_picking_rows_those_rows(tmp_path, fake_embedder):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "classes.csv").write_text(CLASSES, encoding="utf-8")
    (tmp_path / "docs" / "order.csv").write_text(ORDER, encoding="utf-8")
    update_index(tmp_path / "idx", [tmp_path / "docs"], Config(), fake_embedder)
    retriever = Retriever.open(tmp_path / "idx", fake_embedder, Config())
    hits = retriever.search("普拉提在哪个教室上？", 5).hits  # (哪个: a which-question)
    assert len(hits) == 1 and hits[0].chunk.text.startswith("课程: 普拉提")
    hits = retriever.search("总务处申请了哪些东西？", 5).hits
    assert [h.chunk.text.split(" | ")[1] for h in hits] == ["品名: 白板笔", "品名: 档案盒"]
    assert hits[0].chunk.context == "（申请部门为“总务处”的2行之一，共5行：白板笔、档案盒）"  # (what they are, listed)


# An invented housing estate's maintenance log: a cell naming two things, two date columns.
UPKEEP = ("设备,上次保养日期,下次保养日期,承办商\n食水泵及咸水泵,2025-07-28,2025-10-28,澄溢水务\n"
          "后备发电机,2025-05-15,2025-11-15,骏能机电\n和平路闸口,2025-08-30,2026-02-28,晋安保安\n")


def test_a_cell_joining_two_things_is_named_by_either_and_a_date_column_by_what_it_dates(tmp_path):
    assert _found(tmp_path, "食水泵下一次几时做保养？", UPKEEP, "upkeep.csv") == ("设备: 食水泵及咸水泵", ["下次保养日期"])
    assert _found(tmp_path, "咸水泵上次保養係幾時？", UPKEEP, "upkeep.csv") == ("设备: 食水泵及咸水泵", ["上次保养日期"])
    # not asked when, the date column is not asked by what it dates; a name with 和 in it is one thing
    assert _found(tmp_path, "食水泵下次保养找哪家？", UPKEEP, "upkeep.csv") is None
    assert _found(tmp_path, "平路闸口的承办商是哪家？", UPKEEP, "upkeep.csv") is None
    assert _found(tmp_path, "和平路闸口的承办商是哪家？", UPKEEP, "upkeep.csv") == ("设备: 和平路闸口", ["承办商"])


# An invented supplier's quotation, its last row the total.
QUOTE = "品名,单价(元),数量,小计\n合页,4.8,5000,24000\n滑轨,18.5,2000,37000\n合计,,,61000\n"


def test_asked_what_it_all_comes_to_the_total_row_is_looked_up(tmp_path):
    assert _found(tmp_path, "报价单加起来一共多少钱？", QUOTE, "quote.csv") == ("品名: 合计", ["小计"])
    assert _found(tmp_path, "How much does it come to in total?", QUOTE, "quote.csv") == ("品名: 合计", ["小计"])
    assert _found(tmp_path, "报价单一共有几项？", QUOTE, "quote.csv") is None  # a count: no total row
    assert _found(tmp_path, "滑轨一共多少钱？", QUOTE, "quote.csv") == ("品名: 滑轨", ["小计"])  # a row named


# An invented water company's holiday duty roster: one row a day, its date as a date cell.
ROSTER = ("日期,星期,值班人,电话分机\n2025-10-01,星期三,沈一禾,8315\n2025-10-02,星期四,葛柏舟,8322\n"
          "2025-10-03,星期五,沈一禾,8308\n2025-10-13,星期一,葛柏舟,8330\n")


def test_a_date_cell_names_its_row_however_the_question_writes_the_date(tmp_path):
    # asked who does what the column's person does (谁值班: 值班人)
    assert _found(tmp_path, "10月3号谁值班？", ROSTER, "roster.csv") == ("日期: 2025-10-03", ["值班人"])
    assert _found(tmp_path, "2025年10月2日谁值班？", ROSTER, "roster.csv") == ("日期: 2025-10-02", ["值班人"])
    # a day no row has, another year, or a day inside another (13 of 10月13日 is not 3): none
    assert _found(tmp_path, "10月5号谁值班？", ROSTER, "roster.csv") is None
    assert _found(tmp_path, "2024年10月3日谁值班？", ROSTER, "roster.csv") is None
    assert _found(tmp_path, "10月13号谁值班？", ROSTER, "roster.csv") == ("日期: 2025-10-13", ["值班人"])
    # asked who, but no column is the person of what the question says (谁负责)
    assert _found(tmp_path, "10月3号谁负责？", ROSTER, "roster.csv") is None


# An invented packaging firm's delivery slots, products named at length.
SLOTS = ("Ref,Date,Time slot,Products,Pallets\nT-01,Mon 17 Nov,07:00-08:00,Corrugated cases 400x300,12\n"
         "T-02,Wed 19 Nov,09:30-10:30,Shrink film rolls,6\nT-03,Thu 20 Nov,07:00-08:00,Corrugated cases 600x400,10\n")


def test_an_english_cell_by_its_first_two_words_and_a_time_column_asked_what_time(tmp_path):
    assert _found(tmp_path, "What time is the shrink film delivery?", SLOTS, "slots.csv") == ("Ref: T-02", ["Time slot"])
    # two rows start with the words said, one word is not enough, or no column is asked
    assert _found(tmp_path, "What time do the corrugated cases arrive?", SLOTS, "slots.csv") is None
    assert _found(tmp_path, "What time is the shrink delivery?", SLOTS, "slots.csv") is None
    assert _found(tmp_path, "Who drives the shrink film lorry?", SLOTS, "slots.csv") is None
