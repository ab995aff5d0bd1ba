"""Retrieve stage: dense + lexical (BM25 over jieba tokens) from the store, fused.

Fusion (hybrid mode) is a weighted sum of min-max normalised scores over the union of both
candidate lists (``dense_weight`` for dense, the rest for BM25). Reciprocal-rank fusion is
available as ``fusion="rrf"`` for comparison; on CMRC2018 dev the weighted score fusion
ranks better because it keeps *how much* better the top candidate is (see evals/RESULTS.md).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Callable, Iterator, Literal
from pathlib import Path

import numpy as np

from .brackets import bracketed_note, bracketed_row
from .config import Config
from .embed import Embedder
from .lookalike import Lookalikes
from .lexical import tokenize
from .lookup import looked_up_note, looked_up_row
from .compared import comparative, compared_note, compared_rows
from .counted import counted_note, counted_rows
from .ranked import asked_kind, asks_which, flagged_note, flagged_rows, ranked_in_workbook, ranked_note, superlative
from .rows import row_chunk, with_header
from .sheets import named_sheets, on_other_sheet, sheet_names
from .steps import step_first
from .records import Document, Hit, Region
from .rewrite import without_note
from .store import Store, check_embedder, open_store
from .zh import Lang, Script, claim_sentences, corpus_language, fold, in_script, question_language, script_of


def closest(embedder: Embedder, queries: list[str], sentences: list[str]) -> tuple[float, int]:
    """The best e5 cosine between any of ``queries`` (one question's forms) and any of
    ``sentences`` (not empty), with that sentence's index."""
    sims = (embedder.embed_passages(sentences) @ embedder.embed_queries(queries).T).max(axis=1)
    best = int(sims.argmax())
    return float(sims[best]), best


Picked = Literal["ranked", "compared", "counted", "bracketed", "looked_up", "flagged", "step"]


def _reply_before_quote(hits: list[Hit]) -> list[Hit]:
    """A mail's passages before the earlier message it quotes (formats/mail.py), when both
    are found: the quote is older than the reply around it, and a reply that moves a delivery
    date quotes the old date ("纸箱现在定在哪天交货？" read the quote first, it matching the
    subject, and answered 3月10日 for 3月17日). Other passages keep their places."""
    def quoted(h: Hit) -> bool:
        return h.chunk.location is not None and h.chunk.location.kind == "quoted"

    replied = {h.chunk.doc_id for h in hits if not quoted(h)}
    return _moved_last(hits, [quoted(h) and h.chunk.doc_id in replied for h in hits])


def _moved_last(hits: list[Hit], later: list[bool]) -> list[Hit]:
    """``hits`` with those ``later`` marks after the others, each part in its order, ranked anew."""
    if not any(later):
        return hits
    ordered = [h for h, x in zip(hits, later) if not x] + [h for h, x in zip(hits, later) if x]
    return [replace(h, rank=r) for r, h in enumerate(ordered, 1)]


@dataclass
class Retrieval:
    hits: list[Hit]
    retrieve_ms: float
    # Evidence strength for calibrated refusal: the best raw dense cosine among the
    # candidates, and the best raw BM25 score.
    top_dense: float
    top_bm25: float
    # Why the hits are rows picked by arithmetic over a table (the first by a column, the row
    # the question names by its cells...), if they are: the question matched the table's
    # columns and cells, so its evidence is not weak whatever the scores (a Cantonese
    # question's 18X全程車費幾多錢 scores low against "| 18X | … | $12.6 |").
    picked: Picked | None = None


# The passages whose documents the lookalike rule reads and reorders: four times those given
# to the model (the named document's passages among the first 20 of 5), not every candidate
# (a Milvus store fetches each passage it is asked for).
LOOKALIKE_WINDOW = 4
# A language is held by an index when this share of its chunks is in it. The general
# development sets' Wikipedia indexes hold one English chunk (a table) in 480-2,065: far
# under it, so they stay one-language; two English manuals beside a Chinese guide (a
# quarter of an 8-chunk index) are far over it.
MIXED_SHARE = 0.02


class Retriever:
    def __init__(self, index: Store, embedder: Embedder, config: Config):
        self.index = index
        self.embedder = embedder
        self.config = config
        index.tune(config.candidates)

    @classmethod
    def open(cls, root: Path, embedder: Embedder, config: Config) -> "Retriever":
        index = open_store(root, config)
        check_embedder(index.manifest, embedder.name, embedder.checksum, config.index_settings())
        return cls(index, embedder, config)

    @cached_property
    def _sample(self) -> list[str]:
        """Up to 500 chunk texts spread over the index, read once (from a Milvus server, a
        query): what the language and script properties below are judged on."""
        return self.index.sample_texts(500)

    @cached_property
    def language(self) -> Lang:
        """'zh' or 'en': the main language of the indexed text, from up to 500 chunks spread
        over the index (answer.py translates English questions for a Chinese index)."""
        return corpus_language(self._sample)

    @cached_property
    def languages(self) -> frozenset[Lang]:
        """The languages a share of the indexed text is written in (MIXED_SHARE of the
        sampled chunks at least): a folder of Chinese reports with a few English manuals
        holds both, and a question in either is first answered as asked (answer.py)."""
        counts = {lang: sum(corpus_language([t]) == lang for t in self._sample) for lang in ("zh", "en")}
        held = frozenset(lang for lang, n in counts.items() if n and n >= MIXED_SHARE * len(self._sample))
        return held or frozenset({self.language})

    @cached_property
    def scripts(self) -> frozenset[Script]:
        """The Chinese scripts a share of the indexed Chinese text is written in (MIXED_SHARE
        of the sampled chunks that show one at least)."""
        found = [s for t in self._sample if (s := script_of(t))]
        return frozenset(s for s in ("hans", "hant") if found and found.count(s) >= MIXED_SHARE * len(found))

    def query_forms(self, query: str) -> list[str]:
        """``query`` as asked, and in the other Chinese script too when documents are written
        in it. The embedder matches a question best in its passages' own script: 這台電動
        自行車什麼時候正式開賣 against a simplified slide scores 0.827, its simplified form
        0.872, and the closest sentence 0.844 against 0.888 -- enough for the weak-evidence
        check to refuse the one and read the other (BM25 folds the scripts already)."""
        script = script_of(query)
        other = "hant" if script == "hans" else "hans" if script == "hant" else None
        if other is None or other not in self.scripts:
            return [query]
        return [query, in_script(query, other)]

    def in_documents_script(self, text: str) -> str:
        """``text`` in the documents' script when every Chinese document is written in the
        other one (a traditional question over simplified reports), else as it stands. The
        model reads a question best in its passages' script: of 80 traditional questions
        over simplified articles, 68 answered right or rightly refused against 66 read as
        written, and 67 against 60 the other way round -- the answers it gives questions
        asked in the documents' own script (evals/RESULTS.md, twenty-fifth session)."""
        script = script_of(text)
        if script is None or len(self.scripts) != 1 or script in self.scripts:
            return text
        return in_script(text, next(iter(self.scripts)))

    def best_sentence(self, query: str, hits: list[Hit]) -> float:
        """The e5 cosine of ``query`` and the closest sentence of ``hits`` (the weak-evidence
        check's second look, manifest.Calibration.min_top_sentence). Sentences of four
        characters or more: a heading alone ("## Warranty") says too little to match."""
        sentences = [h.chunk.text[a:b] for h in hits for a, b in claim_sentences(h.chunk.text) if b - a >= 4]
        return self.closest(query, sentences)[0] if sentences else 0.0

    def closest(self, query: str, sentences: list[str]) -> tuple[float, int]:
        """The e5 cosine of the one of ``sentences`` closest to ``query`` (the better of its
        forms, query_forms), and that sentence's index."""
        return closest(self.embedder, self.query_forms(query), sentences)

    def uses_term(self, term: str) -> bool:
        """Does the indexed text use ``term`` (a name such as "Farsail AI") as written?"""
        return self.index.has_terms(term)

    def dense(self, query: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        if self.index.size == 0:  # nothing to embed the question for
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        vectors = self.embedder.embed_queries(self.query_forms(query))
        if len(vectors) == 1:
            return self.index.dense(vectors, n)
        best: dict[int, float] = {}  # each chunk at the better of its scores
        for v in vectors:
            ids, scores = self.index.dense(v[None, :], n)
            for i, sc in zip(ids.tolist(), scores.tolist()):
                best[i] = max(best.get(i, -1.0), sc)
        order = sorted(best, key=lambda i: -best[i])[:n]
        return np.array(order, np.int64), np.array([best[i] for i in order], np.float32)

    def search(self, query: str, k: int | None = None, mode: str | None = None,
               fusion: str | None = None, language: Lang | None = None) -> Retrieval:
        """The ``k`` best chunks for ``query``; with ``language``, of the chunks written in it
        only (a translated question in a folder of both languages reads the documents of the
        language it was translated into)."""
        t0 = time.perf_counter()
        k = k or self.config.top_k
        mode = mode or self.config.mode
        fusion = fusion or self.config.fusion
        n = max(self.config.candidates, k)
        d_ids, d_scores = self.dense(query, n) if mode in ("dense", "hybrid") else (np.zeros(0, np.int64),) * 2
        b_ids, b_scores = self.index.lexical(query, n) if mode in ("bm25", "hybrid") else (np.zeros(0, np.int64),) * 2
        if language is not None:
            d_ids, d_scores = self._in_language(d_ids, d_scores, language)
            b_ids, b_scores = self._in_language(b_ids, b_scores, language)
        dense = dict(zip(d_ids.tolist(), d_scores.tolist()))
        bm25 = dict(zip(b_ids.tolist(), b_scores.tolist()))
        if mode == "dense":
            fused = dense
        elif mode == "bm25":
            fused = bm25
        elif fusion == "rrf":
            fused = _rrf([d_ids.tolist(), b_ids.tolist()])
        else:
            fused = _weighted(dense, bm25, self.config.dense_weight)
        order = self._named_documents_first(query, sorted(fused, key=lambda i: (-fused[i], i)), k)[:k]
        hits = [Hit(self.index.chunk(i), float(fused[i]), r + 1, dense.get(i), bm25.get(i))
                for r, i in enumerate(order)]
        hits = _reply_before_quote(self._named_sheet_first(query, hits))
        # Rows picked by arithmetic over a sheet or a table, when the question asks for it: the
        # first by a column (最便宜), a count, the row a value falls in, the row the question
        # names, a list's step by its number, the few rows it picks by a value (哪个不支持5G).
        ranks = bool(hits) and superlative(query) is not None
        compares = bool(hits) and not ranks and comparative(without_note(query)) is not None
        picks: list[tuple[bool, Picked, Callable[[], list[Hit] | None]]] = [
            (ranks, "ranked", lambda: self._ranked_first(query, hits, k)),
            (compares, "compared", lambda: self._compared_first(query, hits)),
            (True, "counted", lambda: self._counted_first(query, hits)),
            (True, "bracketed", lambda: self._bracketed_first(query, hits)),
            (True, "looked_up", lambda: self._looked_up_first(query, hits)),
            (True, "step", lambda: step_first(query, hits, self.index.docs, question_language(query))),
            (bool(hits) and asks_which(query), "flagged", lambda: self._ranked_first(query, hits, k))]
        picked = next(((why, rows) for asked, why, pick in picks if asked and (rows := pick())), None)
        return Retrieval(picked[1] if picked else hits, (time.perf_counter() - t0) * 1000,
                         float(d_scores.max()) if len(d_scores) else 0.0,
                         float(b_scores.max()) if len(b_scores) else 0.0, picked[0] if picked else None)

    @cached_property
    def lookalikes(self) -> Lookalikes:
        return Lookalikes({d: entry.title for d, entry in self.index.manifest.documents.items()})

    def _named_documents_first(self, query: str, order: list[int], k: int) -> list[int]:
        """Candidate chunk ids with the passages of the lookalikes of the document the
        question names (2023's report, not 2022's or 2024's; asked what holds now, the
        newest) after the others (lookalike.py); as they stand when it names none."""
        window = order[:LOOKALIKE_WINDOW * k]
        docs: list[str] = []

        def retrieved() -> list[str]:  # (looked up once, and only when a question needs them)
            if not docs:
                docs.extend(self.index.chunk(i).doc_id for i in window)
            return docs

        later = self.lookalikes.passed_over(query, retrieved, k)
        if not later:
            return order
        moved = [d in later for d in retrieved()]
        return [i for i, x in zip(window, moved) if not x] + [i for i, x in zip(window, moved) if x] + order[len(window):]

    def _named_sheet_first(self, query: str, hits: list[Hit]) -> list[Hit]:
        """Rows of a sheet the question names before the rows of the workbook's other sheets
        (asked about 假日, the 平日 sheet's row of the same route scored as high and was
        read first); other passages keep their places."""
        return _moved_last(hits, [on_other_sheet(query, h, self.index.docs) for h in hits])

    def _counted_first(self, query: str, hits: list[Hit]) -> list[Hit] | None:
        """Asked how many of a sheet's things there are (假日總共有幾條公車路線), the rows counted
        (counted.py) as the one passage, with a note giving the count and their
        first cells; None when the question counts no sheet's rows."""
        asked = without_note(query)
        for hit in self._in_first_table_document(asked, hits):
            doc, regions = self._row_regions(hit)
            if on_other_sheet(asked, hit, self.index.docs):
                continue
            # (a chunk may open with a sheet's title line, a region of its own)
            counted = next((c for r in regions if (c := counted_rows(asked, doc, r)) is not None), None)
            if counted is None:
                continue
            # (The sheet named when the workbook has several: a CSV's one sheet is its file.)
            loc = hit.chunk.location
            note = counted_note(counted, loc.name if len(sheet_names(doc)) > 1 else "", question_language(query))
            chunk = replace(hit.chunk, text=doc.text[counted.start:counted.end], start=counted.start, end=counted.end,
                            location=replace(loc, rows=counted.rows), context=with_header(doc, counted.start, note))
            return [replace(hit, chunk=chunk, rank=1)]
        return None

    def _bracketed_first(self, query: str, hits: list[Hit]) -> list[Hit] | None:
        """Asked with a value a table gives by ranges (5岁, 18公斤 over a dosage table by age
        and weight), the one row whose ranges hold it (brackets.py), as the one passage,
        with a note naming the values and the table's columns: shown the table, the model
        read its first row."""
        asked = without_note(query)  # (a follow-up's values, not the previous question's)
        for hit in hits:
            found = bracketed_row(asked, hit.chunk.text)
            if found is None:
                continue
            a, b = hit.chunk.start + found.start, hit.chunk.start + found.end
            doc = self.index.docs.get(hit.chunk.doc_id)
            if doc is None or doc.text[a:b] != hit.chunk.text[found.start:found.end]:
                continue  # (a chunk whose text is not its document's span: no citation to make)
            chunk = replace(hit.chunk, text=hit.chunk.text[found.start:found.end], start=a, end=b,
                            context=bracketed_note(found, question_language(query)))
            return [replace(hit, chunk=chunk, rank=1)]
        return None

    def _looked_up_first(self, query: str, hits: list[Hit]) -> list[Hit] | None:
        """Asked for a column of a row the question names by its cells (工作日103路末班车),
        that row (lookup.py), found among every row of the sheets it names, as the one
        passage: shown five rows that all say 末班車, the model read another route's."""
        tried: set[str] = set()
        for hit in hits:
            doc, regions = self._row_regions(hit)
            if not regions or doc.doc_id in tried or on_other_sheet(query, hit, self.index.docs):
                continue
            tried.add(doc.doc_id)
            named = named_sheets(query, doc)
            rows = [r for r in doc.regions if r.location.holds_rows
                    and (not named or r.location.kind != "sheet" or r.location.name in named)]
            found = looked_up_row(query, doc, rows)
            if found is None:
                continue
            note = looked_up_note(found, question_language(query), len(sheet_names(doc)) > 1)
            return [replace(hit, chunk=row_chunk(hit.chunk, doc, found.start, found.end, found.row, note), rank=1)]
        return None

    def _in_first_table_document(self, query: str, hits: list[Hit]) -> Iterator[Hit]:
        """The hits of rows (_row_regions) of the first document such a hit is of: the table a
        question is about is the best retrieved one's document's. (Where its table has no
        column the question ranks by -- a metro's ridership -- another document's is not
        ranked instead: a phone plan's 流量 answered "哪条地铁线每天的客流量最大？".)"""
        first, kind = None, asked_kind(query)
        folded: dict[str, str] = {}  # doc_id -> its title and text folded (each document once, when asked)

        def text_of(d: Document) -> str:
            if d.doc_id not in folded:
                folded[d.doc_id] = fold(d.title + d.text)
            return folded[d.doc_id]

        def names_kind(d: Document) -> bool:
            return kind in text_of(d)

        # (Nor a table whose document writes fewer of the question's words than the best
        # passage's, when that is another document's prose: "屋頂防水那三家報價，哪一家最貴？" is
        # about three quotes a meeting's minutes list, not a purchase request's price column,
        # though the request names a 报价单. Read only when such a table comes up: most
        # questions never fold the best passage's document.)
        words = {w for w in tokenize(without_note(query)) if len(w) >= 2}
        prose = self.index.docs.get(hits[0].chunk.doc_id) if hits and not self._row_regions(hits[0])[1] else None

        def fewer_words(d: Document) -> bool:
            if prose is None or d.doc_id == prose.doc_id:
                return False
            return sum(w in text_of(d) for w in words) < sum(w in text_of(prose) for w in words)

        for hit in hits:
            doc, regions = self._row_regions(hit)
            if not regions:
                continue
            if first is not None and doc.doc_id != first:
                return
            if fewer_words(doc):
                continue
            # (Nor a document that never names the kind of thing asked which of, where another
            # retrieved one does: 哪条地铁线 is not one of a price list's phone plans.)
            if kind and not names_kind(doc) and any(
                    names_kind(d) for h in hits if (d := self.index.docs.get(h.chunk.doc_id))):
                continue
            first = doc.doc_id
            yield hit

    def _row_regions(self, hit: Hit) -> tuple[Document | None, list[Region]]:
        """The document of a passage of sheet or table rows, and its regions the passage
        overlaps, in order; (None, []) for any other passage."""
        loc = hit.chunk.location
        doc = self.index.docs.get(hit.chunk.doc_id) if loc and (loc.holds_rows or loc.kind == "slide") else None
        # (A slide's passage may open with its title and text before its table's rows.)
        regions = [r for r in doc.regions if r.start < hit.chunk.end and hit.chunk.start < r.end] if doc else []
        return (doc, regions) if any(r.location.holds_rows for r in regions) else (None, [])

    def _ranked_first(self, query: str, hits: list[Hit], k: int) -> list[Hit] | None:
        """Asked for the most or least of something (月费最便宜), and a sheet's rows among the
        hits: the sheet's row that ranks first by that column, counted over all its rows
        (ranked.py), as the one passage. (Beside the other rows the model named one of
        those -- 家庭融合A for the most data, read in the third passage -- note or not.)
        Asked which rows have or lack a yes/no mark (哪个不支持5G), those rows, when few."""
        lang = question_language(query)
        for hit in self._in_first_table_document(query, hits):
            doc, regions = self._row_regions(hit)
            region = regions[0]  # (the first only: a chunk opening with a sheet's title line is not ranked)
            at = hit.chunk
            if superlative(query) and (found := ranked_in_workbook(query, doc, region)):
                ranked, ranked_in = found
                picked = [(ranked.start, ranked.end, ranked.row, ranked_note(ranked, lang))]
                at = replace(at, location=ranked_in.location)  # (its sheet may be another)
            elif flagged := flagged_rows(query, doc, region):
                picked = [(a, b, row, flagged_note(flagged, lang)) for a, b, row in flagged.rows]
            else:
                continue
            return [Hit(row_chunk(at, doc, a, b, row, note), hits[0].score, r, hit.dense_score, hit.bm25_score)
                    for r, (a, b, row, note) in enumerate(picked[:k], 1)]
        return None

    def _compared_first(self, query: str, hits: list[Hit]) -> list[Hit] | None:
        """Asked which of two rows a sheet or table holds has more or less of something (3号线
        和5号线哪条线的站更多), the row asked for (ranked.compared_rows) as the one passage, with
        a note giving the answer in the question's words and both rows' figures: the retrieved
        rows were any of the sheet's, which of two figures is the greater is arithmetic, not
        reading, and shown both rows with notes the model named the other."""
        lang = question_language(query)
        tried: set[str] = set()
        for hit in hits:
            doc, regions = self._row_regions(hit)
            if not regions or doc.doc_id in tried:
                continue
            tried.add(doc.doc_id)
            for region in (r for r in doc.regions if r.location.holds_rows):
                if (compared := compared_rows(query, doc, region)) is None:
                    continue
                row = compared.rows[0]
                at = replace(hit.chunk, location=region.location)  # (the rows may be on another sheet)
                return [Hit(row_chunk(at, doc, row.start, row.end, row.number, compared_note(compared, lang)),
                            hits[0].score, 1, hit.dense_score, hit.bm25_score)]
        return None

    def _in_language(self, ids: np.ndarray, scores: np.ndarray, language: Lang) -> tuple[np.ndarray, np.ndarray]:
        keep = np.array([corpus_language([self.index.chunk(i).text]) == language for i in ids.tolist()], bool)
        return (ids[keep], scores[keep]) if len(ids) else (ids, scores)


def _minmax(scores: dict[int, float]) -> dict[int, float]:
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    if hi - lo < 1e-9:
        return {i: 1.0 for i in scores}
    return {i: (s - lo) / (hi - lo) for i, s in scores.items()}


def _weighted(dense: dict[int, float], bm25: dict[int, float], w: float) -> dict[int, float]:
    # A candidate missing from one list scores 0 there: it ranked below that list's cut-off.
    d, b = _minmax(dense), _minmax(bm25)
    if not b or not d:
        return d or b
    return {i: w * d.get(i, 0.0) + (1 - w) * b.get(i, 0.0) for i in set(d) | set(b)}


def _rrf(rankings: list[list[int]], k: int = 60) -> dict[int, float]:
    out: dict[int, float] = {}
    for ranking in rankings:
        for r, i in enumerate(ranking):
            out[i] = out.get(i, 0.0) + 1.0 / (k + r + 1)
    return out
