"""Conversational follow-ups for the general development sets (evals/devsets.py).

    python -m evals.devsets followups DIR [--lang zh-hans|zh-hant] [--source FILE]

The follow-up rewriting (rag/rewrite.py) is otherwise measured on the seed documents only.
A follow-up is made from a question naming its subject: "红钻鱼的明显特征是什么？" becomes
"它的明显特征是什么？" after a first turn about 红钻鱼 (its question and first gold answer):

- ``followup`` (answerable): a knowledge-base article with at least two answerable questions;
  B names the article title (without a qualifier like "(澳门)") once, followed by "的"; A is
  another of its questions, preferably one naming the title, so the conversation names the
  subject (a pronoun after an unnamed subject could not be resolved by a reader either). At
  most one an article; the row keeps B's answers, evidence, source, split and title.
- ``followup_unanswerable``: an unanswerable row of the set (a held-out article, not in the
  knowledge base) rewritten the same way, after an answerable question of another article of
  the same split: the pronoun must not be answered from the previous article's document.

A set samples about one question an article (round robin), too few for a conversation, so
the other questions come from the source (``source_pool``: every answerable question, with
evidence, of the knowledge-base articles the set asks about). Rows are sorted by id, ids are
the original question's id + "_FU", and they follow the other rows of questions.jsonl.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Iterable

from .devsets import (_QUALIFIER, LANGS, QUESTIONS, README, Article, _row, default_source, load_articles,
                      question_evidence)
from .squad import Paragraph

FOLLOWUP, FOLLOWUP_UNANSWERABLE = "followup", "followup_unanswerable"
PRONOUN = "它的"  # the same in simplified and traditional text
SUFFIX = "_FU"
_CLOSING = "？?。，,！!；;：:、"  # after "<title>的": no noun follows


def is_followup(row: dict) -> bool:
    return str(row.get("type") or "").startswith(FOLLOWUP)


def bare_title(title: str) -> str:
    return _QUALIFIER.sub("", title).strip()


def pronoun_question(question: str, title: str) -> str | None:
    """``question`` with "<title>的" replaced by "它的", or None unless the (bare) title occurs
    exactly once there, followed by 的 and a word: a second mention would be left dangling,
    and a closing 的 ("怎么定义圣训学的？") would leave "它的？"."""
    bare = bare_title(title)
    at = question.find(bare + "的") if bare and question.count(bare) == 1 else -1
    after = question[at + len(bare) + 1:][:1] if at >= 0 else ""
    if not after.strip() or after in _CLOSING:
        return None
    return question.replace(bare + "的", PRONOUN)


def names(row: dict) -> bool:
    bare = bare_title(row["title"])
    return bool(bare) and bare in row["question"]


def _turns(a: dict) -> list[dict]:
    return [{"role": "user", "content": a["question"]}, {"role": "assistant", "content": a["answers"][0]}]


def _followup(b: dict, a: dict, question: str, kind: str) -> dict:
    ok = kind == FOLLOWUP
    return {"id": b["id"] + SUFFIX, "question": question, "history": _turns(a),
            "answers": b["answers"] if ok else [], "evidence": b["evidence"] if ok else [],
            "answerable": ok, "type": kind, "split": b["split"], "source": b["source"] if ok else "",
            "subjectless": False,  # the history names the subject
            "title": b["title"], "origin": {**b.get("origin", {}), "question": b["question"], "previous": a["id"]},
            **({} if ok else {"heldout_answers": b.get("heldout_answers", [])})}


def _answerable(rows: Iterable[dict]) -> list[dict]:
    return [r for r in rows if r.get("answerable") and r.get("answers") and r.get("source") and not is_followup(r)]


def followup_rows(rows: list[dict], pool: Iterable[dict] = ()) -> list[dict]:
    """Follow-up rows for the rows of a set's questions.jsonl (existing follow-ups ignored);
    ``pool``: more answerable rows of its knowledge-base articles to draw A and B from."""
    base = [r for r in rows if not is_followup(r)]
    known = {r["id"]: r for r in _answerable(base) + _answerable(pool)}
    articles: dict[tuple[str, str], list[dict]] = {}
    for r in sorted(known.values(), key=lambda r: r["id"]):
        articles.setdefault((r["split"], r["source"]), []).append(r)
    out = []
    for qs in articles.values():  # each by id
        b = next((r for r in qs if pronoun_question(r["question"], r["title"])), None)
        others = [r for r in qs if b and r["question"] != b["question"]]
        if others:
            a = min(others, key=lambda r: (not names(r), r["id"]))
            out.append(_followup(b, a, pronoun_question(b["question"], b["title"]), FOLLOWUP))
    for split in sorted({r["split"] for r in base}):
        # Sorted by id and zipped: the pairing is fixed whatever the file order.
        held = sorted((r for r in base if r["split"] == split and not r.get("answerable", True)
                       and pronoun_question(r["question"], r["title"])), key=lambda r: r["id"])
        # A first turn naming its article: "它" then points there, where the answer is not.
        firsts = sorted((r for r in _answerable(base) if r["split"] == split and names(r)), key=lambda r: r["id"])
        out += [_followup(b, a, pronoun_question(b["question"], b["title"]), FOLLOWUP_UNANSWERABLE)
                for b, a in zip(held, firsts)]
    return sorted(out, key=lambda r: r["id"])


def source_pool(rows: list[dict], articles: list[Article], starts: dict[str, dict[str, int]]) -> list[dict]:
    """Every answerable question with evidence of the knowledge-base articles ``rows`` ask
    about, as rows in the split of those rows (an article's questions share one split)."""
    split_of = {r["source"]: r["split"] for r in _answerable(rows)}
    paragraph: dict[str, Paragraph] = {p.id: p for a in articles for p in a.paragraphs}
    pool = []
    for a in articles:
        if a.doc_name not in split_of:
            continue
        for q in a.questions:
            evidence = question_evidence(q, paragraph, starts) if q.answerable else []
            if evidence:
                pool.append(_row(q, a, split_of[a.doc_name], True, evidence))
    return pool


def counts(rows: Iterable[dict]) -> dict[str, dict[str, int]]:
    """split -> follow-up type -> rows, for every split of ``rows`` (zeros included)."""
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        c = out.setdefault(r["split"], {FOLLOWUP: 0, FOLLOWUP_UNANSWERABLE: 0})
        if is_followup(r):
            c[r["type"]] = c.get(r["type"], 0) + 1
    return dict(sorted(out.items()))


# ---------------------------------------------------------------------------- a set on disk

def built_lang(folder: Path) -> str | None:
    """The --lang the set's README.txt records (written by devsets.build)."""
    readme = Path(folder) / README
    m = re.search(r"--lang (\S+)", readme.read_text(encoding="utf-8")) if readme.is_file() else None
    return m.group(1) if m and m.group(1) in LANGS else None


def write_atomic(path: Path, rows: list[dict]) -> None:
    """A reader (a running ``rag eval``) sees the old file or the new one, never half of it."""
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8"))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def add_followups(folder: Path, lang: str | None = None, source: Path | None = None) -> list[dict]:
    """Replace the follow-up rows of ``folder``/questions.jsonl by fresh ones (from its rows
    and its source); returns all rows as written."""
    from rag.errors import UsageError

    path = Path(folder) / QUESTIONS
    if not path.is_file():
        raise UsageError(f"{folder} is not a development set (no {QUESTIONS})", "build one first")
    rows = [r for r in map(json.loads, path.read_text(encoding="utf-8").splitlines()) if not is_followup(r)]
    lang = lang or built_lang(folder)
    if source is None and lang is None:
        raise UsageError(f"cannot tell which source {folder} was built from", "give --lang or --source")
    source = Path(source) if source else default_source(lang)
    if not source.is_file():
        raise UsageError(f"no source data at {source}", "the shared data lives in ../shared/data")
    articles, starts, _ = load_articles(source)
    pool = source_pool(rows, articles, starts)
    # The pool must hold the set's own questions: else the source is not the one it came from.
    missing = {r["id"] for r in _answerable(rows)} - {r["id"] for r in pool}
    if missing:
        raise UsageError(f"{len(missing)} answerable questions of {path} are not in {source} "
                         f"(e.g. {min(missing)})", "give the source it was built from (--lang / --source)")
    rows += followup_rows(rows, pool)
    write_atomic(path, rows)
    return rows
