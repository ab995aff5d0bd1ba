"""A PDF's ruled tables read as rows: the header row labels each row's cells as in a Word or
Markdown table, so the arithmetic over rows works on a printed report's tables too; a table
printed without lines, a ruled box of one cell, and the pages without tables read as their
text layer gives them. Invented documents, drawn into real PDFs by matplotlib."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from rag.formats import pdftables  # noqa: E402
from rag.formats.pagelines import without_running_lines  # noqa: E402
from rag.formats.pdftables import cell_text  # noqa: E402
from rag.load import load_document  # noqa: E402
from rag.ranked import ranked_row  # noqa: E402
from rag.rows import sheet_rows  # noqa: E402

FARES = [["Ticket", "Fare (EUR)", "Sailings"],
         ["Adult", "12.50", "Daily"],
         ["Child", "6.00", "Daily"],
         ["Bicycle", "3.00", "Weekends\nonly"]]


def _ruled_pdf(path, pages):
    """A real PDF, one A4 page per list of items: (y, "text") a line at figure height y
    (0 bottom, 1 top), or (y, rows) a table ruled cell by cell whose top is at y; a None
    cell is covered by the cell above it (merged down), a "<" by the cell on its left."""
    with PdfPages(path) as pdf:
        for items in pages:
            fig = plt.figure(figsize=(8.27, 11.69))
            for y, what in items:
                if isinstance(what, str):
                    fig.text(0.08, y, what, fontsize=10)
                else:
                    _grid(fig, y, what)
            pdf.savefig(fig)
            plt.close(fig)


def _grid(fig, top, rows, width=0.84, row_h=0.03):
    w = width / len(rows[0])
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if cell is None:
                continue
            if cell == "<":  # (covered by the cell on its left: merged across)
                continue
            span, wide = 1, 1
            while r + span < len(rows) and rows[r + span][c] is None:
                span += 1
            while c + wide < len(row) and row[c + wide] == "<":
                wide += 1
            x, y = 0.08 + c * w, top - (r + span) * row_h
            fig.add_artist(Rectangle((x, y), w * wide, span * row_h, fill=False, lw=0.8, transform=fig.transFigure))
            fig.text(x + 0.01, y + span * row_h / 2, cell, va="center", fontsize=8)


def _rows(doc):
    return [r for r in doc.regions if r.location.rows]


def test_a_ruled_table_is_rows_of_its_page_read_by_its_header(tmp_path):
    p = tmp_path / "ferry.pdf"
    _ruled_pdf(p, [[(0.92, "Ferry fares, summer 2025"), (0.85, FARES), (0.6, "Children under five travel free.")]])
    doc = load_document(p)
    assert doc.text.split("\n") == ["Ferry fares, summer 2025", "", "| Ticket | Fare (EUR) | Sailings |",
                                    "| Adult | 12.50 | Daily |", "| Child | 6.00 | Daily |",
                                    "| Bicycle | 3.00 | Weekends only |", "", "Children under five travel free."]
    (table,) = _rows(doc)
    assert table.location.label() == "p. 1, rows 1–4"
    assert [r.location.label() for r in doc.regions] == ["p. 1", "p. 1, rows 1–4", "p. 1"]
    assert sheet_rows(doc, table)[2].cells == {"Ticket": "Bicycle", "Fare (EUR)": "3.00", "Sailings": "Weekends only"}
    found = ranked_row("Which ticket has the lowest fare?", doc, table)
    assert doc.text[found.start:found.end].startswith("| Bicycle")
    assert doc.locator()(found.start, found.end).label() == "p. 1, row 4"  # a citation names its row


def test_text_without_rules_and_a_one_cell_box_stay_text(tmp_path):
    p = tmp_path / "notice.pdf"
    _ruled_pdf(p, [[(0.92, "Ticket    Fare    Sailings"), (0.9, "Adult    12.50    Daily"),
                    (0.88, "Child    6.00    Daily"), (0.8, [["Keep your ticket until you land."]])]])
    doc = load_document(p)
    assert doc.regions == [] and "|" not in doc.text
    assert "Adult 12.50 Daily" in " ".join(doc.text.split()) and "Keep your ticket until you land." in doc.text


def test_a_cell_merged_down_is_read_in_each_row_it_spans(tmp_path):
    p = tmp_path / "outages.pdf"
    _ruled_pdf(p, [[(0.9, [["Date", "Hours", "Streets"], ["3 May", "08:00-12:00", "Mill Lane"],
                           [None, "13:00-17:00", "Quay Road"], ["4 May", "09:00-11:00", "Elm Row"]])]])
    doc = load_document(p)
    cells = [r.cells for r in sheet_rows(doc, _rows(doc)[0])]
    assert [c["Date"] for c in cells] == ["3 May", "3 May", "4 May"]
    assert [c["Streets"] for c in cells] == ["Mill Lane", "Quay Road", "Elm Row"]


def test_a_table_the_page_break_cut_gets_its_header_on_the_next_page(tmp_path):
    head = [["Ticket", "Fare (EUR)", "Sailings"]]
    first = head + [[f"Zone {n}", f"{n}.00", "Daily"] for n in range(1, 25)]
    p = tmp_path / "zones.pdf"
    _ruled_pdf(p, [[(0.95, "Zone fares"), (0.9, first)],
                   [(0.95, [["Zone 25", "25.00", "Daily"], ["Zone 26", "26.00", "Weekends"]]), (0.8, "End of list.")]])
    doc = load_document(p)
    second = _rows(doc)[1]
    assert second.location.label() == "p. 2, rows 1–3"
    assert doc.text[second.start:second.end].split("\n")[0] == "| Ticket | Fare (EUR) | Sailings |"
    # either part reads the whole table: the first by a column is found over both pages
    first_part = _rows(doc)[0]
    assert [len(sheet_rows(doc, r)) for r in (first_part, second)] == [26, 26]
    assert sheet_rows(doc, first_part)[-1].cells == {"Ticket": "Zone 26", "Fare (EUR)": "26.00", "Sailings": "Weekends"}
    found = ranked_row("Which ticket has the highest fare?", doc, first_part)
    assert doc.text[found.start:found.end].startswith("| Zone 26")
    assert doc.location_of(found.start, found.end).label() == "p. 2, row 3"
    # a table of its own at the next page's top keeps its own header
    own = [["Route", "Minutes", "Stops"], ["North", "40", "6"], ["South", "55", "9"]]
    p2 = tmp_path / "routes.pdf"
    _ruled_pdf(p2, [[(0.95, "Zone fares"), (0.9, first)], [(0.95, own)]])
    doc2 = load_document(p2)
    second = _rows(doc2)[1]
    assert doc2.text[second.start:second.end].split("\n")[0] == "| Route | Minutes | Stops |"
    assert [len(sheet_rows(doc2, r)) for r in _rows(doc2)] == [24, 2]  # two tables, read apart


def test_a_header_row_repeated_atop_each_page_is_no_running_header():
    pages = [f"| Ticket | Fare |\n| Zone {n} | {n}.00 |\n| Zone {n}b | {n}.50 |\n第 {n} 页" for n in range(1, 5)]
    assert [p.split("\n")[0] for p in without_running_lines(pages)] == ["| Ticket | Fare |"] * 4
    # the page number below them is still out
    assert not any("页" in p for p in without_running_lines(pages))


def test_a_passage_over_two_tables_of_one_page_names_the_page_only(tmp_path):
    p = tmp_path / "two.pdf"
    routes = [["Route", "Minutes"], ["North", "40"], ["South", "55"]]
    _ruled_pdf(p, [[(0.9, FARES), (0.7, routes)]])
    doc = load_document(p)
    first, second = _rows(doc)
    assert doc.locator()(first.start, second.end).label() == "p. 1"
    assert doc.locator()(second.start, second.end).label() == "p. 1, rows 1–3"


def test_a_cells_printed_lines_join_as_its_words_do():
    assert cell_text("西岭水厂三期\n扩建工程") == "西岭水厂三期扩建工程"
    assert cell_text("累计接入智能水表38.7\n万只") == "累计接入智能水表38.7万只"
    assert cell_text("Baby formula, warming milk (in a\nseparate container)") == "Baby formula, warming milk (in a separate container)"
    assert cell_text("dry-\nboil protection") == "dry-boil protection"
    assert cell_text("12V(cid:0)1.5A") == "12V1.5A" and cell_text(None) == ""


def test_a_table_readers_failure_leaves_the_text_layer(tmp_path, monkeypatch):
    p = tmp_path / "ferry.pdf"
    _ruled_pdf(p, [[(0.92, "Ferry fares, summer 2025"), (0.85, FARES)]])

    def broken(*_):
        raise ValueError("bad content stream")

    monkeypatch.setattr(pdftables, "page_tables", broken)
    doc = load_document(p)
    assert doc.regions == [] and "Ferry fares" in doc.text and "12.50" in doc.text


@pytest.mark.parametrize("name", ["notice.pdf"])
def test_a_page_without_drawn_lines_is_not_parsed_for_tables(tmp_path, monkeypatch, name):
    p = tmp_path / name
    _ruled_pdf(p, [[(0.9, "Only prose on this page.")]])
    import pdfplumber

    def never(*_a, **_k):
        raise AssertionError("pdfplumber opened a page without lines")

    monkeypatch.setattr(pdfplumber, "open", never)
    assert pdftables.page_tables(p, [(1, "Only prose on this page.")]) == {}


def _lines(fig_items, xs=(0.08, 0.4, 0.6, 0.8)):
    """Lines of cells set at the same x positions (a table printed without lines)."""
    return [(y, cell, x) for y, cells in fig_items for cell, x in zip(cells, xs)]


def _set_pdf(path, placed):
    with PdfPages(path) as pdf:
        fig = plt.figure(figsize=(8.27, 11.69))
        for y, text, x in placed:
            fig.text(x, y, text, fontsize=10)
        pdf.savefig(fig)
        plt.close(fig)


def test_a_table_printed_without_lines_is_read_by_its_columns(tmp_path):
    p = tmp_path / "courses.pdf"
    rows = [["Course", "Hours", "Fee (EUR)", "Level"], ["Pottery", "24", "310", "Beginner"],
            ["Welding", "40", "95", "All levels"], ["Bookbinding", "16", "220", "Beginner"]]
    _set_pdf(p, [(0.92, "Evening courses, spring term", 0.08)] + _lines([(0.88 - 0.02 * i, r) for i, r in enumerate(rows)])
             + [(0.7, "Fees include materials.", 0.08)])
    doc = load_document(p)
    (table,) = _rows(doc)
    assert doc.text[table.start:table.end].split("\n") == ["| Course | Hours | Fee (EUR) | Level |", "| Pottery | 24 | 310 | Beginner |",
                                                          "| Welding | 40 | 95 | All levels |", "| Bookbinding | 16 | 220 | Beginner |"]
    found = ranked_row("Which course has the highest fee?", doc, table)
    assert doc.text[found.start:found.end].startswith("| Pottery")
    assert "Fees include materials." in doc.text and "Evening courses" in doc.text


def test_two_columns_of_prose_or_a_list_without_figures_are_no_table(tmp_path):
    p = tmp_path / "newsletter.pdf"
    left = ["The ferry runs daily", "from the north quay", "in all weathers but", "storms of force nine."]
    right = ["Tickets at 4 euros are sold", "on board, or for 3 euros", "at the harbour office, 9 to", "5 on weekdays, 10 to 2 on"]
    _set_pdf(p, [(0.9 - 0.02 * i, text, x) for i, pair in enumerate(zip(left, right)) for text, x in zip(pair, (0.08, 0.55))])
    assert _rows(load_document(p)) == []
    p2 = tmp_path / "contacts.pdf"
    _set_pdf(p2, _lines([(0.9 - 0.02 * i, r) for i, r in enumerate(
        [["Name", "Role", "Office"], ["Ada Reyes", "Chair", "North wing"], ["Tom Hale", "Clerk", "Ground floor"],
         ["Ines Moor", "Treasurer", "Annex"]])]))
    assert _rows(load_document(p2)) == []  # no column of figures: a list of names, kept as lines


def test_a_contents_page_is_no_table(tmp_path):
    p = tmp_path / "manual.pdf"
    toc = [["1 Unpacking", "3"], ["2 Mounting the pump", "5"], ["3 First start", "8"], ["4 Servicing", "11"]]
    _set_pdf(p, [(0.95, "Contents", 0.08)] + _lines([(0.9 - 0.02 * i, r) for i, r in enumerate(toc)], xs=(0.08, 0.85)))
    assert _rows(load_document(p)) == []
    # a price list whose header names its figures is one
    p2 = tmp_path / "prices.pdf"
    _set_pdf(p2, _lines([(0.9 - 0.02 * i, r) for i, r in enumerate([["Item", "Price"]] + toc)], xs=(0.08, 0.85)))
    assert len(_rows(load_document(p2))) == 1


def test_a_header_of_two_rows_labels_each_column_by_both(tmp_path):
    p = tmp_path / "takings.pdf"
    _ruled_pdf(p, [[(0.9, [["Shop", "2025", "<", "2024", "<"], [None, "H1", "H2", "H1", "H2"],
                           ["Quay", "41", "52", "38", "47"], ["Mill", "29", "33", "30", "31"]])]])
    doc = load_document(p)
    (table,) = _rows(doc)
    assert doc.text[table.start:table.end].split("\n")[0] == "| Shop | 2025 H1 | 2025 H2 | 2024 H1 | 2024 H2 |"
    assert sheet_rows(doc, table)[1].cells == {"Shop": "Mill", "2025 H1": "29", "2025 H2": "33", "2024 H1": "30", "2024 H2": "31"}
    # a first data row under a header with a blank cell is no second header row: it names its row
    p2 = tmp_path / "notes.pdf"
    _ruled_pdf(p2, [[(0.9, [["Room", "Use", ""], ["Loft", "Storage", "Dry"], ["Cellar", "Wine", "Cool"]])]])
    doc2 = load_document(p2)
    assert [r.cells["Room"] for r in sheet_rows(doc2, _rows(doc2)[0])] == ["Loft", "Cellar"]


def test_a_page_set_in_two_columns_keeps_its_text_layers_order(tmp_path):
    left = ["The trial compared four ways of watering", "tomatoes over one season on sandy loam,",
            "with six plots for each treatment and a", "common start in the first week of May."]
    right = ["Drip at full rate gave the highest yield", "of the season while using less water than",
             "the furrows, and the deficit treatments", "raised the sugar content of the fruit."]
    table = [["Treatment", "Yield (t/ha)"], ["Furrow", "52.3"], ["Drip", "63.4"]]
    p = tmp_path / "paper.pdf"
    with PdfPages(p) as pdf:
        fig = plt.figure(figsize=(8.27, 11.69))
        for x, column in ((0.06, left), (0.52, right)):  # (written column by column, as a paper is)
            for i, line in enumerate(column):
                fig.text(x, 0.9 - 0.02 * i, line, fontsize=9)
        _grid(fig, 0.7, table, width=0.4)
        pdf.savefig(fig)
        plt.close(fig)
    doc = load_document(p)
    # each column's sentences read in one piece, as the text layer gives them; its table as lines
    assert "watering tomatoes over one season" in " ".join(doc.text.split()) and _rows(doc) == []
    # set in one column, the same page's table is rows
    p2 = tmp_path / "note.pdf"
    _ruled_pdf(p2, [[(0.9 - 0.02 * i, a) for i, a in enumerate(left)] + [(0.7, table)]])
    assert len(_rows(load_document(p2))) == 1
