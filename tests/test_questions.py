"""Sanity checks for the seed evaluation set ``evals/questions.jsonl`` (fast, no models).

Every evidence string must occur verbatim in the raw seed text, answerable questions must
carry an answer that is actually in the text (modulo NFKC / whitespace / case), and the set
must keep enough unanswerable, follow-up and held-out questions to be useful.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
QUESTIONS = REPO / "evals" / "questions.jsonl"

TYPES = {"fact", "number", "date", "person", "multi_part", "multi_passage", "english",
         "followup", "unanswerable"}
SPLITS = {"dev", "test"}
REQUIRED = {"id": str, "question": str, "answers": list, "evidence": list, "answerable": bool,
            "type": str, "split": str, "source": str}
BANNED_IN_EVIDENCE = ("优配网", "佰朔资本")


def norm(s: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s)).casefold()


def _load() -> list[dict]:
    rows = []
    with QUESTIONS.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:  # pragma: no cover - reported by the assert
                    raise AssertionError(f"line {n} is not valid JSON: {e}") from e
    return rows


ROWS = _load()
SEED_TEXT = {p.name: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}
ALL_TEXT = "\n".join(SEED_TEXT.values())
ALL_NORM = norm(ALL_TEXT)


def _ids(rows):
    return [r.get("id", "?") for r in rows]


def test_file_parses_and_is_big_enough():
    assert SEED_TEXT, "no seed files found"
    assert len(ROWS) >= 60
    assert sum(1 for r in ROWS if r["answerable"] is False) >= 15


def test_ids_unique():
    ids = [r["id"] for r in ROWS]
    dup = [i for i, c in Counter(ids).items() if c > 1]
    assert not dup, f"duplicate ids: {dup}"


@pytest.mark.parametrize("row", ROWS, ids=_ids(ROWS))
def test_fields_and_types(row):
    for key, typ in REQUIRED.items():
        assert key in row, f"missing {key}"
        assert isinstance(row[key], typ), f"{key} should be {typ.__name__}"
    assert row["id"].strip() and row["question"].strip()
    assert row["type"] in TYPES
    assert row["split"] in SPLITS
    assert all(isinstance(a, str) and a.strip() for a in row["answers"])
    assert all(isinstance(e, str) and e for e in row["evidence"])
    assert (row["type"] == "unanswerable") == (not row["answerable"])


def test_both_splits_present():
    splits = Counter(r["split"] for r in ROWS)
    assert splits["dev"] > 0 and splits["test"] > 0
    assert splits["dev"] > splits["test"]


def test_type_coverage():
    c = Counter(r["type"] for r in ROWS)
    minimum = {"number": 10, "date": 6, "person": 8, "multi_part": 4, "multi_passage": 4,
               "english": 6, "followup": 5, "unanswerable": 16}
    for t, n in minimum.items():
        assert c[t] >= n, f"only {c[t]} questions of type {t}"


@pytest.mark.parametrize("row", ROWS, ids=_ids(ROWS))
def test_evidence_verbatim_in_seeds(row):
    for e in row["evidence"]:
        assert e in ALL_TEXT, f"evidence not found verbatim: {e!r}"
        assert 8 <= len(e) <= 40, f"evidence length {len(e)}: {e!r}"
        for banned in BANNED_IN_EVIDENCE:
            assert banned not in e, f"evidence contains injected ad name {banned!r}"


@pytest.mark.parametrize("row", ROWS, ids=_ids(ROWS))
def test_source_holds_first_evidence(row):
    if row["evidence"]:
        assert row["source"] in SEED_TEXT, f"unknown source {row['source']!r}"
        assert row["evidence"][0] in SEED_TEXT[row["source"]]


@pytest.mark.parametrize("row", ROWS, ids=_ids(ROWS))
def test_answerable_consistency(row):
    if row["answerable"]:
        assert row["answers"], "answerable question without answers"
        assert row["evidence"], "answerable question without evidence"
        if row["type"] != "english":
            assert any(norm(a) in ALL_NORM for a in row["answers"]), \
                f"no answer occurs in the seed text: {row['answers']}"
    else:
        assert row["answers"] == [] and row["evidence"] == []


@pytest.mark.parametrize("row", [r for r in ROWS if "answer_parts" in r],
                         ids=_ids([r for r in ROWS if "answer_parts" in r]))
def test_answer_parts(row):
    parts = row["answer_parts"]
    assert isinstance(parts, list) and len(parts) >= 2
    for part in parts:
        assert isinstance(part, list) and part
        assert all(isinstance(a, str) and a in row["answers"] for a in part)
        assert any(norm(a) in ALL_NORM for a in part), f"part not in seed text: {part}"


@pytest.mark.parametrize("row", ROWS, ids=_ids(ROWS))
def test_history_well_formed(row):
    if row["type"] == "followup":
        assert row.get("history"), "follow-up question without history"
    if "history" not in row:
        return
    hist = row["history"]
    assert isinstance(hist, list) and hist
    for i, turn in enumerate(hist):
        assert isinstance(turn, dict) and set(turn) == {"role", "content"}
        assert turn["role"] == ("user" if i % 2 == 0 else "assistant")
        assert isinstance(turn["content"], str) and turn["content"].strip()
    assert hist[-1]["role"] == "assistant", "history should end with the assistant's reply"


def test_enough_followups_with_history():
    assert sum(1 for r in ROWS if r.get("history")) >= 5
