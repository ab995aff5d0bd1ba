"""A folder as people keep it: 200 generated documents of every supported kind (Word with
tables, a 5,000-row workbook, slides, e-books, scanned PDFs and page photos read by OCR,
Markdown, HTML, CSV, text) plus broken files, indexed and asked on the real models. Each
answer must cite the right place: the table, the slide, the sheet rows, the page."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.config import Config
from rag.index import update_index
from rag.retrieve import Retriever

from evals.mixed_folder import generate

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from rag.embed import load_embedder

    out = tmp_path_factory.mktemp("mixed")
    questions = generate(out, n_docs=200, rows=5000, scans=3)
    config = Config()
    embedder = load_embedder(config)
    report = update_index(out / "index", [out / "docs"], config, embedder)
    return out, questions, report, Retriever.open(out / "index", embedder, config)


def test_every_file_is_indexed_or_skipped_with_a_one_line_reason(built):
    out, _, report, _ = built
    files = [p for p in (out / "docs").rglob("*") if p.is_file()]
    assert len(files) == 204
    assert len(report.added) == 200
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert set(reasons) == {"损坏的报告.docx", "空白.txt", "旧格式.doc", "截图.png"}
    assert all(r and "\n" not in r for r in reasons.values())


@pytest.mark.parametrize("kind", ["docx", "pptx", "xlsx", "pdf", "png", "epub"])
def test_answers_cite_the_place_the_answer_sits(built, kind):
    from rag.answer import Pipeline
    from rag.generate import load_generator

    out, questions, _, retriever = built
    q = next(q for q in questions if q.source.endswith(kind))
    pipeline = Pipeline(retriever, load_generator(retriever.config), retriever.config)
    a = pipeline.ask(q.question)
    assert not a.refused and q.answers[0] in a.answer, (q.question, a.answer, a.refusal_reason)
    cited = [c for c in a.citations if c.verified and c.chunk.doc_id.endswith(q.source)]
    assert cited, [(c.chunk.doc_id, c.verified) for c in a.citations]
    loc = cited[0].chunk.location
    where = q.where
    if where["kind"] == "image":  # a photo has one page: the file is the place
        assert loc is None
        return
    assert loc is not None and loc.kind == where["kind"], (loc, where)
    if "row" in where:
        assert loc.rows[0] <= where["row"] <= loc.rows[1], (loc, where)
    if kind == "xlsx":
        assert loc.name == where["sheet"]
    for key in ("slide", "page", "chapter", "table"):
        if key in where:
            assert loc.number == where[key], (loc, where)
    assert json.dumps(cited[0].to_json(), ensure_ascii=False)  # what --json and the API print
