"""Calibrate the weak-evidence refusal threshold on questions with known answerability.

Score thresholds nobody can set are a known complaint about other tools. Here the
threshold is measured: for each question we record the retrieval evidence (best dense
cosine, best BM25 score); the threshold is set so that at most ``max_false_refusal`` of
the *answerable* questions would fall below it, and the refusal rate this buys on the
unanswerable questions is reported and stored beside it in the index manifest.
Pre-generation refusal is meant for off-topic questions; on-topic questions the documents
do not answer are caught later, by the model's refusal and the citation verifier.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .errors import UsageError
from .manifest import Calibration, now
from .retrieve import Retriever
from .zh import Lang, question_language

# Thresholds transferred to every index that has no calibration of its own, by embedder
# checksum and language: the 1% quantile of the best dense score of the answerable
# questions of the general development sets' dev splits (160 questions over CMRC2018
# simplified and DRCD traditional Wikipedia articles, evals/devsets.py). Printed by
# `python -m evals.transfer /tmp/devset-zh-hans /tmp/devset-zh-hant`; end to end on the dev
# splits it refuses 0.925 / 0.900 of the unanswerable questions (0.775 / 0.775 without),
# on the held-out test splits see evals/RESULTS.md. Measured for the bundled e5-small on
# the torch backend (8520…) and on the onnx-int8 backend (452f…, `RAG_EMBED_BACKEND=onnx-int8
# python -m evals.transfer …`, 2026-12-03); other embedders get none.
# The sentence threshold (torch backend only; refused when the passages *and* the closest
# sentence score under theirs): questions the dense threshold refused on the four dev
# splits (both samples, both scripts) were answered for real with it lowered; the highest
# unanswerable one answered end to end sat at 0.8804, the lowest right one above it at
# 0.8973 (evals/RESULTS.md, twenty-fourth session); 0.889 is between. `rag calibrate`
# takes the sentence score's quantile like the others.
TRANSFERRED: dict[tuple[str, Lang], Calibration] = {
    ("8520eedb7ea5147f", "zh"): Calibration(
        min_top_dense=0.8654, min_top_bm25=None, min_top_sentence=0.889, max_false_refusal=0.01, n_answerable=160,
        n_unanswerable=80, false_refusal_rate=0.0063, refusal_rate_unanswerable=0.5375, calibrated_at="2026-12-06",
        questions="general dev sets (CMRC2018 + DRCD dev splits)", scope="transferred"),
    ("452fbaecf730fbc2", "zh"): Calibration(
        min_top_dense=0.8637, min_top_bm25=None, max_false_refusal=0.01, n_answerable=160, n_unanswerable=80,
        false_refusal_rate=0.0125, refusal_rate_unanswerable=0.5125, calibrated_at="2026-12-03",
        questions="general dev sets (CMRC2018 + DRCD dev splits)", scope="transferred"),
}


def transferred(embedder_checksum: str, lang: Lang) -> Calibration | None:
    return TRANSFERRED.get((embedder_checksum, lang))


def read_questions(path: Path, split: str | None = None) -> list[dict]:
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except json.JSONDecodeError:
            raise UsageError(f"{path}:{n}: not valid JSON") from None
        if split in (None, "all") or q.get("split") == split:
            out.append(q)
    return out


def calibrate(retriever: Retriever, questions: list[dict], max_false_refusal: float = 0.02,
              source: str = "") -> Calibration:
    ans, unans = [], []
    for q in questions:
        if q.get("history"):
            continue  # follow-ups are retrieved with rewritten questions; keep it simple
        if question_language(q["question"]) != retriever.language:
            # Answered through a translation (answer.py): its own scores never meet the threshold.
            continue
        r = retriever.search(q["question"], retriever.config.top_k, "hybrid")
        (ans if q.get("answerable", True) else unans).append(
            (r.top_dense, r.top_bm25, retriever.best_sentence(q["question"], r.hits)))
    if len(ans) < 5:
        raise UsageError("calibration needs at least 5 answerable questions")
    a = np.array(ans)
    t_dense, t_bm25, t_sentence = (float(np.quantile(a[:, i], max_false_refusal)) for i in range(3))

    def refused(scores):
        return [d < t_dense and b < t_bm25 and s < t_sentence for d, b, s in scores]

    return Calibration(
        min_top_dense=round(t_dense, 4),
        min_top_bm25=round(t_bm25, 4),
        min_top_sentence=round(t_sentence, 4),
        max_false_refusal=max_false_refusal,
        n_answerable=len(ans),
        n_unanswerable=len(unans),
        false_refusal_rate=round(float(np.mean(refused(ans))), 4),
        refusal_rate_unanswerable=round(float(np.mean(refused(unans))), 4) if unans else None,
        calibrated_at=now(),
        questions=source,
    )
