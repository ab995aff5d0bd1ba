"""Typed records that flow between the stages of the pipeline.

load -> Document -> clean -> Document (cleaned) -> chunk -> Chunk -> embed/index
retrieve -> Hit -> prompt -> generate -> cite -> Citation -> Answer

Offsets are always character offsets into ``Document.text`` (the cleaned text that is
indexed and stored in the index's document store), so ``chunk.text ==
doc.text[chunk.start:chunk.end]`` holds for every chunk.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Callable, Literal, Mapping, get_args

# Why an answer was refused:
# weak_evidence - retrieval scores under the index's calibrated threshold (nothing generated)
# model         - the model said the passages do not answer
# unsupported   - nothing the model wrote is backed by a passage
# off_question  - backed by a passage, but about something other than the question
# small_talk    - a greeting, thanks or the like, asking the documents nothing (smalltalk.py;
#                 the answer is a reply of its own, nothing retrieved)
# unmentioned   - asked which documents mention a thing, none does (catalog.py)
# unnamed       - asked what "this document" says, with several in the folder (catalog.py)
RefusalReason = Literal["weak_evidence", "model", "unsupported", "off_question", "small_talk", "unmentioned",
                        "unnamed"]
REFUSAL_REASONS: tuple[str, ...] = get_args(RefusalReason)
# What a streamed answer emits: progress, a piece of the answer, the finished Answer.
EventKind = Literal["status", "token", "done"]


# Where a passage sits in its source file. Sheet and table locations carry rows: one line
# of text per row (blank rows are left out, so a region is a run of consecutive rows); so
# does a table on a slide (a slide's region of its table's rows).
LocationKind = Literal["page", "sheet", "slide", "chapter", "table", "attachment", "quoted", "message"]

# A document's table row as the parsers write one (formats.table_row: "| a | b |"), one a line.
TABLE_ROW = re.compile(r"^[ \t]*\|.*\|[ \t]*$", re.M)
# A row as the loaders write one (formats/sheets.py): "label: value | label: value".
_CELL = re.compile(r"\s*([^|:：]{1,40}?)\s*[:：]\s*([^|]+?)\s*(?:\||$)")
LABEL_UNIT = re.compile(r"[（(][^）)]*[）)]")  # 全程票价（元）: the unit is not the label's word


def row_cells(line: str) -> list[tuple[str, str]] | None:
    """(label, value) of every cell of a labelled row (one line), as written; None when
    ``line`` is none."""
    if "|" not in line:
        return None
    cells = [(m.group(1), m.group(2)) for m in _CELL.finditer(line)]
    return cells if len(cells) >= 2 and len(cells) == line.count("|") + 1 else None


# A document's table is read by its header row: its first line (a Word table's first row, a
# Markdown table's header) names each column, as a sheet row's labels do.
_PIPE_SPLIT = re.compile(r"(?<!\\)\|")


def pipe_cells(line: str) -> list[str] | None:
    """The cells of a table row as formats.table_row writes one ("| a | b |"), stripped and
    unescaped; None when ``line`` is no such row."""
    if not TABLE_ROW.fullmatch(line):
        return None
    return [c.strip().replace("\\|", "|") for c in _PIPE_SPLIT.split(line.strip())[1:-1]]


def row_values(line: str) -> list[str]:
    """The cells of a table row as written, a document table's ("| 冰箱 | 2年 |") or a sheet's
    labelled row's values ("产品: 冰箱 | 保修: 2年"); [] for any other line."""
    return pipe_cells(line) or [v for _, v in row_cells(line) or []]


def header_cells(header: str, line: str) -> list[tuple[str, str]] | None:
    """(label, value) of every cell of a document table's row ``line``, labelled by the
    table's ``header`` row; None when either is no row, or they differ in their number of
    cells, or the header does not read as one (a bare number, or a label twice: a table of
    figures has no header row)."""
    labels = header_labels(header)
    return labelled_cells(labels, line) if labels else None


def header_labels(header: str) -> list[str] | None:
    """A table's column labels, its ``header`` row's cells; None when it does not read as a
    header (header_cells)."""
    labels = pipe_cells(header)
    if not labels or len(labels) < 2:
        return None
    named = [label for label in labels if label]
    if len(set(named)) < len(named) or any(re.fullmatch(r"[\d.,%-]+", label) for label in named):
        return None
    return labels


def labelled_cells(labels: list[str], line: str) -> list[tuple[str, str]] | None:
    """(label, value) of every cell of the table row ``line`` under ``labels``; None when it
    is no row or has another number of cells."""
    cells = pipe_cells(line)
    return list(zip(labels, cells)) if cells and len(cells) == len(labels) else None


def row_keys(passage: str) -> list[str]:
    """The first cell of each table row of ``passage`` -- what the rows are: a sheet's
    labelled rows ("产品: 冰箱 | …") or a document's table rows ("| 冰箱 | 2年 |"), the
    header row left out."""
    keys, header = [], True  # (a document's table opens with its header row)
    for line in passage.splitlines():
        if cells := row_cells(line):
            keys.append(cells[0][1])
        elif line.startswith("|") and line.rstrip().endswith("|"):
            if not header:
                keys.append(next(iter(pipe_cells(line) or []), ""))
            header = False
            continue
        header = True
    return keys


# Label templates: ``Location.label`` for the command line and JSON (English), the web
# app passes its language's (app/strings.py takes them from here).
LOCATION_LABELS: dict[str, dict[str, str]] = {
    "en": {"loc_page": "p. {n}", "loc_sheet": "sheet {name}", "loc_slide": "slide {n}",
           "loc_chapter": "chapter {n}", "loc_table": "table {n}", "loc_titled": " “{name}”",
           "loc_attachment": "attachment {name}", "loc_quoted": "the earlier message it quotes",
           "loc_message": "message {n}", "loc_rows": ", rows {a}–{b}", "loc_row": ", row {a}"},
    "zh": {"loc_page": "第{n}页", "loc_sheet": "工作表「{name}」", "loc_slide": "第{n}张幻灯片",
           "loc_chapter": "第{n}章", "loc_table": "表{n}", "loc_titled": "「{name}」",
           "loc_attachment": "附件「{name}」", "loc_quoted": "所引用的原邮件",
           "loc_message": "第{n}封邮件", "loc_rows": "第{a}–{b}行", "loc_row": "第{a}行"},
}


@dataclass(frozen=True)
class Location:
    """A page, sheet rows, a slide, a chapter or a table rows range: what a citation names."""

    kind: LocationKind
    number: int | None = None  # page, slide, chapter or table number (1-based)
    name: str = ""  # sheet name; slide or chapter title
    rows: tuple[int, int] | None = None  # first and last row (sheet rows as the spreadsheet numbers them)

    @property
    def holds_rows(self) -> bool:
        """Is this a region of rows, one line each: a sheet's, a document table's (a slide's too)?"""
        return self.rows is not None

    def label(self, templates: Mapping[str, str] | None = None) -> str:
        """"sheet 销售, rows 12–40", "slide 3 “目标”"; ``templates`` from LOCATION_LABELS."""
        t = templates or LOCATION_LABELS["en"]
        out = t[f"loc_{self.kind}"].format(n=self.number, name=self.name)
        if self.name and self.kind in ("slide", "chapter", "message"):
            out += t["loc_titled"].format(name=self.name)
        if self.rows:
            a, b = self.rows
            out += (t["loc_row"] if a == b else t["loc_rows"]).format(a=a, b=b)
        return out

    def to_json(self) -> dict[str, Any]:
        """For ``--json`` output: ``{"kind": "sheet", "sheet": "销售", "rows": [12, 40], "label": ...}``."""
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind in ("sheet", "attachment"):
            out[self.kind] = self.name
        elif self.kind != "quoted":  # (the earlier message a mail quotes: no number, no name)
            out[self.kind] = self.number
            if self.name:
                out["title"] = self.name
        if self.rows:
            out["rows"] = list(self.rows)
        out["label"] = self.label()
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Location":
        rows = d.get("rows")
        return cls(kind=d["kind"], number=d.get("number"), name=d.get("name", ""),
                   rows=(int(rows[0]), int(rows[1])) if rows else None)


@dataclass(frozen=True)
class Region:
    """``Document.text[start:end]`` is the page, sheet rows, slide, chapter or table of
    ``location``. For row kinds, line i of the region is row ``location.rows[0] + i``."""

    start: int
    end: int
    location: Location

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "location": asdict(self.location)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Region":
        return cls(d["start"], d["end"], Location.from_dict(d["location"]))


@dataclass
class Dropped:
    """A piece of text the cleaner removed, kept so nothing disappears silently."""

    rule: str  # name of the cleaning rule that fired
    text: str  # the removed text


@dataclass
class Document:
    doc_id: str  # stable id: the path relative to the ingested root (or a given id)
    path: str  # where it was read from
    text: str  # cleaned text; all chunk offsets point into this
    title: str = ""
    meta: dict[str, Any] = field(default_factory=dict)  # date, tags, encoding, ...
    # For PDFs: (page_number, start_offset) for each page, in order (as indexes before
    # ``regions`` stored them). Other structured formats fill ``regions``.
    pages: list[tuple[int, int]] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    content_hash: str = ""  # sha256 of the raw bytes, for incremental indexing
    regions: list[Region] = field(default_factory=list)  # in text order, not overlapping

    def to_json(self) -> dict:
        """The document as the stores write it (one JSON object per document)."""
        return {"doc_id": self.doc_id, "path": self.path, "title": self.title, "meta": self.meta, "text": self.text,
                "pages": self.pages, "dropped": [{"rule": x.rule, "text": x.text} for x in self.dropped],
                "content_hash": self.content_hash, "regions": [r.to_dict() for r in self.regions]}

    @classmethod
    def from_json(cls, d: dict) -> "Document":
        """A document as ``to_json`` wrote it (indexes from before ``regions`` have none)."""
        return cls(doc_id=d["doc_id"], path=d["path"], text=d["text"], title=d.get("title", ""),
                   meta=d.get("meta", {}), pages=[tuple(p) for p in d.get("pages", [])],
                   dropped=[Dropped(**x) for x in d.get("dropped", [])],
                   content_hash=d.get("content_hash", ""),
                   regions=[Region.from_dict(r) for r in d.get("regions", [])])

    def all_regions(self) -> list[Region]:
        """``regions``, or the PDF pages as page regions (pages are joined by a blank line)."""
        if self.regions or not self.pages:
            return self.regions
        ends = [start - 2 for _, start in self.pages[1:]] + [len(self.text)]
        return [Region(start, max(start, end), Location("page", number))
                for (number, start), end in zip(self.pages, ends)]

    def page_at(self, offset: int) -> int | None:
        page = None
        for number, start in self.pages:
            if start <= offset:
                page = number
            else:
                break
        return page

    def location_of(self, start: int, end: int) -> Location | None:
        return self.locator()(start, end)

    def locator(self) -> Callable[[int, int], Location | None]:
        """``(start, end) -> Location | None`` for spans of this text: the first region the
        span overlaps; for sheet and table rows, the rows it covers (across the runs of the
        same sheet or table). Built once per document: chunking asks for every chunk."""
        regions = self.all_regions()
        ends = [r.end for r in regions]
        newlines: list[int] = []
        if any(r.location.rows for r in regions):
            newlines = [m.start() for m in re.finditer("\n", self.text)]

        def row(region: Region, offset: int) -> int:
            return region.location.rows[0] + bisect_left(newlines, offset) - bisect_left(newlines, region.start)

        def locate(start: int, end: int) -> Location | None:
            i = bisect_right(ends, start)
            hits = []
            while i < len(regions) and regions[i].start < end:
                hits.append(regions[i])
                i += 1
            if not hits:
                return None
            loc = hits[0].location
            if loc.rows is None:
                return loc
            same = [r for r in hits if r.location.rows and r.location.kind == loc.kind
                    and (r.location.number, r.location.name) == (loc.number, loc.name)]
            if any(b.location.rows[0] <= a.location.rows[1] for a, b in zip(same, same[1:])):
                return replace(loc, rows=None)  # two tables of one page or slide: no row names both
            first, last = same[0], same[-1]
            return replace(loc, rows=(row(first, max(start, first.start)), row(last, min(end, last.end) - 1)))

        return locate


# A file name a program generated (a hash, a number), which names nothing.
_GENERATED_NAME = re.compile(r"[\d_\-.]*(?:[0-9a-f]{8,}|\d+)[\d_\-.]*", re.I)


def generated_name(doc_id: str) -> bool:
    """Whether the file's name (without folder and suffix) is a program's: 000_6d9cd55ab9d6cbba."""
    return bool(_GENERATED_NAME.fullmatch(doc_id.rsplit("/", 1)[-1].rsplit(".", 1)[0]))


@dataclass
class Chunk:
    doc_id: str
    chunk_id: int  # position of the chunk inside its document (0, 1, ...)
    text: str
    start: int
    end: int
    title: str = ""
    headings: list[str] = field(default_factory=list)  # markdown heading path
    page: int | None = None
    location: Location | None = None  # page, sheet rows, slide, chapter or table rows
    # Text the chunk needs to be understood but that sits before it in the document: the
    # header row of a table the chunk continues. Shown to the model and to BM25 and the
    # embedder with the chunk; not part of ``text`` (offsets stay exact).
    context: str = ""

    @property
    def key(self) -> str:
        return f"{self.doc_id}#{self.chunk_id}"

    @property
    def context_title(self) -> str:
        """The title when it says something: not a bare file name like 000_6d9cd55ab9d6cbba."""
        return "" if self.title in (self._stem, self.doc_id) else self.title

    @property
    def file_name(self) -> str:
        """The file's name when it says something ("第三季營運會議紀錄" of its .txt; words of
        "SmartKettle_X2_Manual"), "" for a generated one like 000_6d9cd55ab9d6cbba."""
        return "" if generated_name(self.doc_id) else re.sub(r"[_\-.]+", " ", self._stem).strip()

    @property
    def _stem(self) -> str:
        return self.doc_id.rsplit("/", 1)[-1].rsplit(".", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Chunk":
        d = dict(d)  # chunks.jsonl written before locations has no "location"
        loc = d.pop("location", None)
        return cls(**d, location=Location.from_dict(loc) if loc else None)

    @property
    def with_context(self) -> str:
        """The text as a reader needs it: led by ``context`` (a continued table's header row)."""
        return f"{self.context}\n{self.text}" if self.context else self.text

    def location_json(self) -> dict[str, Any] | None:
        return self.location.to_json() if self.location else None


@dataclass
class Hit:
    """A retrieved chunk with its rank and fused score."""

    chunk: Chunk
    score: float
    rank: int  # 1-based
    dense_score: float | None = None
    bm25_score: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "score": round(float(self.score), 6),
            "source": self.chunk.doc_id,
            "title": self.chunk.title,
            "start": self.chunk.start,
            "end": self.chunk.end,
            "page": self.chunk.page,
            "location": self.chunk.location_json(),
            "text": self.chunk.text,
        }


@dataclass
class Citation:
    n: int  # the number shown to the user, [n]
    chunk: Chunk
    quote: str  # the verified supporting span
    start: int  # offsets of ``quote`` in the document text
    end: int
    verified: bool = True
    support: float = 0.0  # overlap score of the best supporting span

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "source": self.chunk.doc_id,
            "title": self.chunk.title,
            "start": self.start,
            "end": self.end,
            "page": self.chunk.page,
            "location": self.chunk.location_json(),
            "quote": self.quote,
            "text": self.chunk.text,
            "verified": self.verified,
        }


@dataclass
class Timings:
    retrieve_ms: float = 0.0
    first_token_ms: float | None = None
    total_ms: float = 0.0
    tokens_per_s: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: (round(v, 1) if isinstance(v, float) else v) for k, v in asdict(self).items()}


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool
    citations: list[Citation]
    retrieved: list[Hit]
    timings: Timings
    standalone_question: str | None = None  # the rewritten follow-up, when rewritten
    unsupported: list[str] = field(default_factory=list)  # answer sentences with no support
    auto_cited: bool = False  # citations attached by verification, not by the model
    refusal_reason: RefusalReason | None = None
    model_answer: str | None = None  # what the model wrote, when it differs from ``answer``
    short_answer: str | None = None  # the exact words of a verified quote that answer it (short.py)
    calibration: str | None = None  # the weak-evidence threshold in force (Calibration.describe)
    # What the model wrote, in order, when it was asked twice: from the top passage alone it
    # gave no answer the checks accept, and it read every passage (answer.py).
    attempts: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "short_answer": self.short_answer,
            "refused": self.refused,
            "refusal_reason": self.refusal_reason,
            "model_answer": self.model_answer,
            "standalone_question": self.standalone_question,
            "citations": [c.to_json() for c in self.citations],
            "unsupported": self.unsupported,
            "auto_cited": self.auto_cited,
            "retrieved": [h.to_json() for h in self.retrieved],
            "timings": self.timings.to_json(),
            "calibration": self.calibration,
            "attempts": self.attempts,
        }
