"""Prepare stage of indexing, the same for every store: a new or changed document is cleaned
and chunked, what happened is counted in an ``IndexReport``, and the manifest's entry for it
is made. index.py (the folder store) and index_milvus.py both build on it, so neither
imports the other back.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .chunk import chunk_document
from .clean import clean
from .config import Config
from .lexical import RECIPE
from .load import Skipped
from .manifest import DocEntry
from .records import Chunk, Document

# How the BM25 text of a chunk is made (chunk.lexical_text) and tokenised (lexical.RECIPE).
LEXICAL = RECIPE

# How a file's text is read and cleaned. Raised when a change to loading or cleaning changes
# what an unchanged file reads as (2: a PDF's radicals read as the ideographs they stand for,
# 扫码 no promotion; 3: OCR keeps a space between pieces of a line set apart (table cells),
# a sheet's times without zero seconds, a note row under a table not its first column's
# value, a web page's cookie notice and breadcrumb out; 4: Big5 text read as Big5, not as
# GB18030 nonsense, a Word file's footnotes and page header read, a PDF's running header and
# page numbers out, its Chinese lines wrapped at the margin joined; 5: a saved wiki page's
# edit links, reference backlinks and category list out, a sheet's title and unit rows above
# its header not taken for the header; 6: a text's, Markdown file's or web page's pipe tables
# are table regions read by their header row, a Markdown table's |---| line out, a slide's
# table a region of rows of its own; 7: a PDF's ruled tables are rows of their page, read by
# their header row): a document indexed by an older reader is read again by
# `rag index`, though its bytes are the same. (Indexes from before it say nothing: reader 1.)
READER = 7


def current(entry: DocEntry | None, doc: Document) -> bool:
    """Is ``entry`` (the manifest's) this file, read as this version reads it?"""
    return entry is not None and entry.hash == doc.content_hash and entry.reader == READER


@dataclass
class IndexReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # Indexed, but not whole (rows over the limit, empty sheets left out): (path, note).
    notes: list[Skipped] = field(default_factory=list)
    dropped: dict[str, list] = field(default_factory=dict)  # doc_id -> [(rule, text)]
    n_chunks: int = 0
    n_embedded: int = 0
    seconds: float = 0.0
    folder: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        return (f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
                f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped; "
                f"{self.n_chunks} chunks ({self.n_embedded} embedded) in {self.seconds:.1f}s")


def prepare(doc: Document, config: Config, report: IndexReport, known: bool) -> list[Chunk]:
    """A new or changed document cleaned (in place) and chunked, and counted in the report."""
    cleaned = clean(doc)
    doc.text, doc.dropped = cleaned.text, cleaned.dropped
    doc.pages, doc.regions = cleaned.pages, cleaned.regions
    (report.updated if known else report.added).append(doc.doc_id)
    if doc.dropped:
        report.dropped[doc.doc_id] = [(x.rule, x.text) for x in doc.dropped]
    return chunk_document(doc, config.chunk_size, config.chunk_overlap)


def doc_entry(doc: Document, n_chunks: int) -> DocEntry:
    return DocEntry(hash=doc.content_hash, path=doc.path, title=doc.title, n_chunks=n_chunks,
                    dropped=len(doc.dropped), meta=doc.meta, reader=READER)
