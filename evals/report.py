"""Presenting an evaluation: the text tables printed by `rag eval` and OUT/report.html
(a single self-contained file: plots embedded as base64 PNGs, every text HTML-escaped)."""
from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any, Callable, Sequence

from .metrics import FAILURES, VERBOSE_F1, HIT_KS, Outcome, Question, ranking_of, relevant

Getter = Callable[[dict], Any]


def _ms(stage: str) -> Getter:
    def get(m: dict) -> str | None:
        lat = m["latency_ms"][stage]
        if lat["p50"] is None:
            return None
        return f"{lat['p50']:.0f} / {lat['p95']:.0f}"
    return get


# (label, getter, kind): kind "rate" prints 0.000, "num" prints as is.
ROWS: list[tuple[str, Getter, str]] = [
    ("questions", lambda m: m["n"], "num"),
    ("answerable / unanswerable", lambda m: f"{m['n_answerable']} / {m['n_unanswerable']}", "num"),
    ("hit@1", lambda m: m["hit@1"], "rate"),
    ("hit@5", lambda m: m["hit@5"], "rate"),
    ("hit@10", lambda m: m["hit@10"], "rate"),
    ("MRR@10", lambda m: m["mrr@10"], "rate"),
    ("answer accuracy", lambda m: m["accuracy"], "rate"),
    ("F1 (CMRC2018)", lambda m: m["f1"], "rate"),
    ("EM (CMRC2018)", lambda m: m["em"], "rate"),
    ("refusal rate (unanswerable)", lambda m: m["refusal_rate"], "rate"),
    ("false refusals (answerable)", lambda m: m["false_refusal_rate"], "rate"),
    ("citation precision", lambda m: m["citation_precision"], "rate"),
    ("answers with a citation", lambda m: m["cited_share"], "rate"),
    ("citations verified", lambda m: m["verified_share"], "rate"),
    ("retrieval ms p50 / p95", _ms("retrieve_ms"), "num"),
    ("first token ms p50 / p95", _ms("first_token_ms"), "num"),
    ("total ms p50 / p95", _ms("total_ms"), "num"),
    ("generation tokens/s", lambda m: None if m["tokens_per_s"] is None else f"{m['tokens_per_s']:.1f}", "num"),
]


def _share(name: str) -> Getter:
    def get(m: dict) -> str | None:
        counts = m.get("outcomes") or {}
        total = sum(counts.values())
        return f"{counts[name]} ({counts[name] / total:.2f})" if total else None
    return get


# Where answers to answerable questions went: count (share of generated answers).
OUTCOME_ROWS: list[tuple[str, Getter, str]] = [(name, _share(name), "num") for name in FAILURES]


def _fmt(value: Any, kind: str) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if kind == "rate" else str(value)


def _columns(summary: dict) -> list[tuple[str, dict]]:
    cols = [("overall", summary["overall"])]
    cols += [(name, m) for name, m in (summary.get("by_split") or {}).items()]
    return cols


def metric_table(columns: Sequence[tuple[str, dict]], rows: Sequence[tuple[str, Getter, str]]) -> list[list[str]]:
    """[[header...], [label, value per column]...]; rows empty in every column are left out."""
    table = [["metric"] + [name for name, _ in columns]]
    for label, get, kind in rows:
        values = [get(m) for _, m in columns]
        if any(v is not None for v in values):
            table.append([label] + [_fmt(v, kind) for v in values])
    return table


def _markdown(table: list[list[str]]) -> str:
    head, *body = table
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in body])


def _tables(summary: dict) -> list[tuple[str, list[list[str]]]]:
    out = [("Results", metric_table(_columns(summary), ROWS))]
    by_type = summary.get("by_type") or {}
    if by_type:
        out.append(("By question type", metric_table(list(by_type.items()), ROWS)))
    outcomes = metric_table(_columns(summary), OUTCOME_ROWS)
    if len(outcomes) > 1:
        out.append((f"Answers to answerable questions (verbose: contains an answer, F1 < {VERBOSE_F1})"
                    if summary.get("kind") == "squad" else "Answers to answerable questions", outcomes))
    return out


def _header(summary: dict) -> str:
    what = "retrieval only" if summary["retrieval_only"] else f"k={summary['k']}"
    text = f"{Path(summary['file']).name}: {summary['n_done']} questions, mode {summary['mode']}, {what}"
    ix = summary.get("indexing")
    if ix:
        text += (f"; index {ix['n_docs']} paragraphs -> {ix['n_chunks']} chunks in {ix['seconds']:.1f}s "
                 f"({ix['chunks_per_s']:.1f} chunks/s{', cached' if ix['cached'] else ''})")
    return text


def format_tables(summary: dict) -> str:
    """The markdown tables `rag eval` prints (paste-able into evals/RESULTS.md)."""
    parts = [_header(summary)]
    for title, table in _tables(summary):
        parts.append(f"\n{title}\n\n{_markdown(table)}")
    return "\n".join(parts)


# ---------------------------------------------------------------------------- plots

def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def hit_curve_png(summary: dict) -> str:
    import matplotlib

    matplotlib.use("Agg")  # no display: render to memory
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6))
    for name, m in _columns(summary):
        ys = [m["hit_curve"].get(str(k)) for k in HIT_KS]
        if any(y is not None for y in ys):
            ax.plot(HIT_KS, [y if y is not None else float("nan") for y in ys], marker="o", label=name)
    ax.set(xlabel="k", ylabel="hit@k", title="hit@k (answerable questions)", xticks=list(HIT_KS))
    ax.set_ylim(top=1.005)
    ax.grid(alpha=0.3)
    ax.legend()
    return _png(fig)


def latency_png(outcomes: Sequence[Outcome]) -> str | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stages = [(label, [getattr(o, attr) for o in outcomes if getattr(o, attr) is not None])
              for label, attr in (("retrieval", "retrieve_ms"), ("first token", "first_token_ms"),
                                  ("total", "total_ms"))]
    stages = [(label, xs) for label, xs in stages if xs]
    if not stages:
        return None
    fig, axes = plt.subplots(1, len(stages), figsize=(4 * len(stages), 3.2), squeeze=False)
    for ax, (label, xs) in zip(axes[0], stages):
        ax.hist(xs, bins=min(30, max(5, len(xs) // 3)), color="#4c72b0")
        ax.set(title=f"{label} latency", xlabel="ms", ylabel="questions")
    fig.tight_layout()
    return _png(fig)


# ---------------------------------------------------------------------------- HTML

_CSS = """
body{font-family:system-ui,"Noto Sans CJK SC","PingFang SC",sans-serif;margin:2em;max-width:1400px}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.pass td.v{background:#dff0d8}tr.fail td.v{background:#f2dede}.hit{background:#fff6cc}
.q td{font-size:14px}.src{color:#666;font-size:12px}details{margin:2px 0}pre{white-space:pre-wrap;margin:0}
"""


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def _html_table(table: list[list[str]]) -> str:
    head, *body = table
    rows = ["<tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>"]
    rows += ["<tr><td>" + _e(r[0]) + "</td>" + "".join(f'<td class="num">{_e(v)}</td>' for v in r[1:]) + "</tr>"
             for r in body]
    return "<table>" + "".join(rows) + "</table>"


def _hits_html(q: Question, row: dict, shown: int = 3) -> str:
    parts = []
    for h in ranking_of(row)[:shown]:
        cls = ' class="hit"' if relevant(h, q) else ""
        parts.append(f"<details{cls}><summary>{_e(h.get('rank'))}. {_e(h.get('title'))} "
                     f"<span class=src>{_e(h.get('source'))} [{_e(h.get('start'))}:{_e(h.get('end'))}]</span>"
                     f"</summary><pre>{_e(h.get('text'))}</pre></details>")
    return "".join(parts)


def _verdict(o: Outcome) -> tuple[str, str]:
    p = o.passed
    return ("", "–") if p is None else (("pass", "pass") if p else ("fail", "FAIL"))


def _question_row(i: int, q: Question, row: dict, o: Outcome) -> str:
    cls, verdict = _verdict(o)
    answer = row.get("answer")
    cites = row.get("citations") or []
    cite_txt = "".join(f"<div>[{_e(c.get('n'))}] {_e(c.get('source'))}{'' if c.get('verified') else ' (unverified)'}: "
                       f"{_e(c.get('quote'))}</div>" for c in cites)
    gold = q.answers if not q.answer_parts else [" + ".join("/".join(p) for p in q.answer_parts)]
    cells = [
        f'<td class="num">{i}</td>',
        f"<td>{_e(q.id)}<div class=src>{_e(q.split)} {_e(q.type)}</div></td>",
        f'<td class="v">{verdict}' + (f"<div class=src>{_e(o.failure)}</div>" if o.failure not in (None, "correct") else "")
        + "</td>",
        f"<td>{_e(q.question)}<div class=src>gold: {_e(' | '.join(gold) or 'unanswerable')}</div></td>",
        f'<td class="num">{_e(o.rank or "–")}</td>',
        f"<td>{'–' if answer is None else _e(answer)}{' <b>(refused)</b>' if o.refused else ''}{cite_txt}</td>",
        f"<td>{_hits_html(q, row)}</td>",
    ]
    return f'<tr class="{cls}">' + "".join(cells) + "</tr>"


def render_html(summary: dict, questions: Sequence[Question], rows: dict[str, dict],
                outcomes: Sequence[Outcome]) -> str:
    by_id = {o.id: o for o in outcomes}
    parts = [f"<!doctype html><html lang=zh><meta charset=utf-8><title>rag eval: {_e(Path(summary['file']).name)}</title>",
             f"<style>{_CSS}</style><h1>Evaluation report</h1><p>{_e(_header(summary))}</p>"]
    for title, table in _tables(summary):
        parts.append(f"<h2>{_e(title)}</h2>{_html_table(table)}")
    parts.append(f'<h2>Plots</h2><img alt="hit@k curve" src="data:image/png;base64,{hit_curve_png(summary)}">')
    lat = latency_png(outcomes)
    if lat:
        parts.append(f'<img alt="latency histogram" src="data:image/png;base64,{lat}">')
    parts.append("<h2>Questions</h2><p>pass = correct answer (retrieval only: relevant passage in the "
                 "top 5); unanswerable: refused. Highlighted passages hold the evidence / gold source.</p>"
                 "<table class=q><tr><th>#</th><th>id</th><th>verdict</th><th>question</th><th>rank</th>"
                 "<th>answer / citations</th><th>retrieved (top 3)</th></tr>")
    parts += [_question_row(i, q, rows[q.id], by_id[q.id]) for i, q in enumerate(questions, 1)]
    parts.append("</table><details><summary>summary.json</summary><pre>"
                 f"{_e(json.dumps(summary, ensure_ascii=False, indent=1))}</pre></details></html>")
    return "\n".join(parts)


def write_report(path: Path, summary: dict, questions: Sequence[Question], rows: dict[str, dict],
                 outcomes: Sequence[Outcome]) -> None:
    Path(path).write_text(render_html(summary, questions, rows, outcomes), encoding="utf-8")
