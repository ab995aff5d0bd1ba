"""The row a stated value falls in, over a table that gives its rows by ranges."""
from rag.brackets import bracketed_note, bracketed_row
from rag.config import Config
from rag.index import update_index
from rag.retrieve import Retriever

# An invented feeding guide, as a scan's OCR reads it: cells apart, one row a line.
GUIDE = ("喂食量参考\n体重 年龄 每日喂食量\n2-5公斤 1-2岁 60克\n6-10公斤 3-5岁 110克\n11-20公斤 6-8岁 180克\n"
         "20公斤以上 9岁以上 250克\n幼犬请咨询兽医，每日分两次喂食，间隔8-10小时。")


def _row(question, text=GUIDE):
    found = bracketed_row(question, text)
    return text[found.start:found.end] if found else None


def test_the_row_whose_ranges_hold_the_stated_values():
    assert _row("我家狗4岁，体重8公斤，每天喂多少？") == "6-10公斤 3-5岁 110克"
    assert _row("7岁的狗一天喂多少克？") == "11-20公斤 6-8岁 180克"
    assert _row("狗有25公斤重，喂多少？") == "20公斤以上 9岁以上 250克"  # an open range
    found = bracketed_row("我家狗4岁，体重8公斤，每天喂多少？", GUIDE)
    assert found.values == ["4岁", "8公斤"] and found.header == "体重 年龄 每日喂食量"
    assert bracketed_note(found, "zh") == "（4岁、8公斤所在的一行；表头：体重 年龄 每日喂食量）"
    sizes = "Size guide\nSize | Chest\nS | 86-91 cm\nM | 96-101 cm\nL | 106-111 cm\n"
    assert _row("My chest is 98 cm, which size?", sizes) == "M | 96-101 cm"


def test_no_row_when_the_values_disagree_or_nothing_is_bracketed():
    assert _row("狗4岁，但只有3公斤，喂多少？") is None  # age says one row, weight another
    assert _row("我家狗4岁") is not None and _row("喂食间隔9小时可以吗？") is None  # one line of hours: no table
    assert _row("那6到8岁的呢？") == "11-20公斤 6-8岁 180克"  # a range asked: the row spanning it
    assert _row("那5到7岁的呢？") is None  # ...across two rows: none
    assert _row("狗粮多少钱一袋？") is None  # no value at all
    # years are periods, not brackets
    assert bracketed_row("2020年的营收是多少？", "2019-2021年 营收增长\n2022-2024年 营收下降") is None


def test_the_bracketed_row_is_the_one_passage_retrieved(tmp_path, fake_embedder):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "喂食指南.txt").write_text(GUIDE + "\n", encoding="utf-8")
    (folder / "疫苗.txt").write_text("幼犬在8周龄接种第一针疫苗，之后每3-4周加强一次。", encoding="utf-8")
    update_index(tmp_path / "idx", [folder], Config(), fake_embedder)
    retriever = Retriever.open(tmp_path / "idx", fake_embedder, Config())
    hits = retriever.search("我家狗4岁，体重8公斤，每天喂多少？", 5).hits
    assert len(hits) == 1 and hits[0].chunk.text == "6-10公斤 3-5岁 110克"
    assert hits[0].chunk.context.startswith("（4岁、8公斤所在的一行")
    doc = retriever.index.docs[hits[0].chunk.doc_id]
    assert doc.text[hits[0].chunk.start:hits[0].chunk.end] == hits[0].chunk.text  # the citation's span
    assert len(retriever.search("狗4岁，但只有3公斤，喂多少？", 5).hits) > 1  # no one row: as ever


def test_the_short_answer_of_a_copied_bracket_row_is_the_amount_beside_the_ranges():
    from rag.brackets import beyond_brackets
    from rag.short import short_answer
    from rag.records import Chunk, Citation

    row = "6-10公斤 3-5岁 110克"
    chunk = Chunk(doc_id="喂食指南.txt", chunk_id=0, text=row, start=0, end=len(row))
    cite = Citation(1, chunk, row, 0, len(row))
    assert short_answer("我家狗4岁，体重8公斤，每天喂多少？", row + "[1]", [cite]) == "110克"
    assert beyond_brackets("我家狗4歲，體重8公斤，每天餵多少？", "6-10公斤 3-5歲 110克") == "110克"
    # a range the question gives (a follow-up's), the row's other ranges no amount
    assert beyond_brackets("那3到5岁的呢？", "3-5岁的狗体重是6-10公斤，每天喂110克。") == "110克"
    said = "3-5岁的体重是6-10公斤，一次用量是110克。"
    said_cite = Citation(1, Chunk(doc_id="喂食指南.txt", chunk_id=0, text=said, start=0, end=len(said)), said, 0, len(said))
    assert short_answer("那3到5岁的呢？（接上文：1到2岁的狗一次喂多少？）", said[:-1] + "[1]。", [said_cite]) == "110克"
    # no value of the question in a range, or more than one amount left: nothing
    assert beyond_brackets("每天喂多少？", row) is None
    assert beyond_brackets("我家狗4岁，每天喂多少？", "3-5岁 每天110克，分2次") is None
