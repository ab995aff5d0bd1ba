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
