"""HTML for the chat messages and the sources panel.

Everything that comes from a document or from the model is escaped here, before it is put
between our own tags: documents are untrusted (the seeds carry a raw ``<iframe>``, an
uploaded file may carry ``<script>`` or ``<img onerror=...>``), and the model can repeat
them. No function here returns document text unescaped.

Chat messages go through Gradio's markdown renderer, so text there is also neutralised
for markdown (a title like ``[x](javascript:...)`` must stay text, not become a link).
"""
from __future__ import annotations

import html
import re
from typing import Any, Mapping, Sequence

from rag.prompt import REJECTED, closest_label
from rag.records import Answer, Chunk, Citation, Hit

MARKER = re.compile(r"\[(\d+)\]")  # the pipeline normalises citation markers to [n]
N_CLOSEST = 3  # closest passages shown with a refusal
# Private-use characters mark unsupported sentences while the text is escaped; they are
# replaced by our own tags afterwards (escaping leaves them alone).
_OPEN, _CLOSE = "\ue000", "\ue001"
_BOLD, _UNBOLD = "\ue002", "\ue003"
# Characters markdown gives meaning to; as numeric entities they display as themselves.
_MD_SPECIAL = {c: f"&#{ord(c)};" for c in "\\`*_[]()#!~|$<>{}"}


def esc(text: Any) -> str:
    """HTML-escape anything for use as text or as a quoted attribute value."""
    return html.escape("" if text is None else str(text), quote=True)


def md_safe(text: Any) -> str:
    """Escaped for HTML and inert for markdown: shows exactly ``text`` in a chat message."""
    # Character by character: replacing after escaping would break the entities' own '#'.
    return "".join(_MD_SPECIAL.get(c) or esc(c) for c in ("" if text is None else str(text)))


def short_date(value: Any) -> str:
    """'2024-11-30T11:32:41.904Z' -> '2024-11-30'; other values as written."""
    s = "" if value is None else str(value).strip()
    m = re.match(r"\d{4}-\d{2}-\d{2}", s)
    return m.group(0) if m else s


# ---------------------------------------------------------------- chat messages

def streaming_markdown(text: str) -> str:
    """The answer while tokens arrive: plain escaped text and a cursor."""
    return md_safe(text) + " ▍"


def anchor(turn: int, n: int) -> str:
    """Element id of source n of answer ``turn``: per turn, so the [n] of an earlier
    answer still finds its own source in the panel's earlier-answers section."""
    return f"src-{turn}-{n}"


def _cite_link(n: int, cited: Mapping[int, Citation], ui: dict, turn: int) -> str:
    c = cited.get(n)
    if c is None:  # a marker the verifier did not keep: show it as plain text
        return md_safe(f"[{n}]")
    if c.verified:
        return f'<a class="cite" href="#{anchor(turn, n)}">&#91;{n}&#93;</a>'
    return (f'<a class="cite unverified" href="#{anchor(turn, n)}" title="{esc(ui["unverified"])}">'
            f'&#91;{n}&#93;⚠</a>')


def _flag_unsupported(text: str, sentences: list[str]) -> str:
    for s in sentences:
        s = s.strip()
        at = text.find(s) if s else -1
        if at >= 0:
            text = text[:at] + _OPEN + s + _CLOSE + text[at + len(s):]
    return text


def _bold_short(text: str, short: str | None) -> str:
    """The short answer in bold where the sentence says it, else in bold before it."""
    if not short:
        return text
    at = text.find(short)
    if at >= 0:
        return text[:at] + _BOLD + short + _UNBOLD + text[at + len(short):]
    return f"{_BOLD}{short}{_UNBOLD} — {text}"


def answer_body(answer: Answer, ui: dict, turn: int) -> str:
    """The final answer text: [n] as links to the sources panel, unsupported sentences
    flagged, the short answer in bold."""
    cited = {c.n: c for c in answer.citations}
    text = _bold_short(_flag_unsupported(answer.answer, answer.unsupported), answer.short_answer)
    pieces = MARKER.split(text)  # text, n, text, n, ...
    out = []
    for i, piece in enumerate(pieces):
        out.append(_cite_link(int(piece), cited, ui, turn) if i % 2 else md_safe(piece))
    body = "".join(out)
    body = body.replace(_OPEN, f'<span class="unsupported" title="{esc(ui["unsupported"])}">⚠ ')
    return body.replace(_CLOSE, "</span>").replace(_BOLD, "<strong>").replace(_UNBOLD, "</strong>")


def place(chunk: Chunk, ui: dict) -> str:
    """Where the passage is in its file, in the interface's language: "第3页",
    "工作表「销售」第12–40行", "slide 3 “Goals”"; "" when the file has no such structure."""
    if chunk.location is not None:
        return chunk.location.label(ui)
    return ui["loc_page"].format(n=chunk.page) if chunk.page else ""  # indexes written before locations


def _source_line(turn: int, n: int | list[int], chunk: Chunk, docs: Mapping[str, Any], extra: str = "",
                 ui: dict | None = None) -> str:
    """A source's line under the answer: its number (or the numbers citing the same place of
    the same document), its title, where it is and its date."""
    date = short_date(_doc_meta(docs, chunk.doc_id).get("date"))
    where = place(chunk, ui) if ui else ""
    tail = "".join(f" · {md_safe(x)}" for x in (where, date) if x)
    numbers = [n] if isinstance(n, int) else n
    links = " ".join(f'<a class="cite" href="#{anchor(turn, i)}">&#91;{i}&#93;</a>' for i in numbers)
    return f"{links} {md_safe(chunk.title or chunk.doc_id)}{tail}{extra}"


def _snippet(text: str, n: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= n else flat[:n] + "…"


def final_markdown(answer: Answer, docs: Mapping[str, Any], ui: dict, turn: int) -> str:
    """The chat message for a finished answer: the answer (or refusal), then the numbered
    sources (or, for a refusal, the closest passages, labelled as not answering)."""
    if answer.refusal_reason in ("small_talk", "unnamed"):
        # (A reply of its own -- to a greeting, or "which document?" with the folder's list --
        # not a refusal to set apart in bold.)
        return md_safe(answer.answer)
    if answer.refused:
        lines = [f"**{md_safe(answer.answer)}**"]
        if answer.retrieved:
            lines.append(f"<br>{md_safe(closest_label(answer))}")
            lines += [_source_line(turn, h.rank, h.chunk, docs, " — " + md_safe(_snippet(h.chunk.text)), ui)
                      for h in answer.retrieved[:N_CLOSEST]]
        return "<br>".join(lines)
    lines = [answer_body(answer, ui, turn)]
    if answer.unsupported:
        lines.append(f'<span class="unsupported">⚠ {md_safe(ui["unsupported"])} '
                     f"{md_safe(' '.join(answer.unsupported))}</span>")
    if answer.citations:
        lines.append(f"<br><b>{md_safe(ui['sources'])}</b>")
        # One line for the numbers that cite the same place of the same document (an outline
        # cites each of a document's sections: twenty lines of one title say nothing).
        same: dict[tuple, list[Citation]] = {}
        for c in answer.citations:
            same.setdefault((c.chunk.doc_id, place(c.chunk, ui), c.verified), []).append(c)
        for group in same.values():
            flag = f" ⚠ {md_safe(ui['unverified'])}" if not group[0].verified else ""
            lines.append(_source_line(turn, [c.n for c in group], group[0].chunk, docs, flag, ui))
    return "<br>".join(lines)


def error_markdown(message: str, ui: dict) -> str:
    return f"**{md_safe(ui['error'])}**{md_safe(message)}"


# ---------------------------------------------------------------- sources panel

def _doc_meta(docs: Mapping[str, Any], doc_id: str) -> dict:
    doc = docs.get(doc_id)
    meta = getattr(doc, "meta", None) if doc is not None else None
    return meta if isinstance(meta, dict) else {}


def _doc_text(docs: Mapping[str, Any], doc_id: str) -> str | None:
    return getattr(docs.get(doc_id), "text", None)


def passage_parts(chunk: Chunk, start: int, end: int, doc_text: str | None = None) -> tuple[str, str, str]:
    """(before, quote, after) of the passage around the quote at document offsets
    [start, end). Shows the chunk; widened from the document when the quote spills over."""
    lo, hi, text = chunk.start, chunk.end, chunk.text
    if doc_text is not None and (start < lo or end > hi):
        lo, hi = min(lo, max(0, start)), max(hi, min(len(doc_text), end))
        text = doc_text[lo:hi]
    a = max(0, min(len(text), start - lo))
    b = max(a, min(len(text), end - lo))
    return text[:a], text[a:b], text[b:]


def _passage_html(before: str, quote: str, after: str) -> str:
    mark = f"<mark>{esc(quote)}</mark>" if quote else ""
    return f'<div class="src-text">{esc(before)}{mark}{esc(after)}</div>'


def _entry(turn: int, n: int, chunk: Chunk, docs: Mapping[str, Any], ui: dict, body: str,
           badge: str = "", closest: bool = False) -> str:
    date = short_date(_doc_meta(docs, chunk.doc_id).get("date"))
    meta = [f"{esc(ui['date'])} {esc(date)}"] if date else []
    meta.append(f'<code>{esc(chunk.doc_id)}</code> {esc(ui["chars"])} {chunk.start}–{chunk.end}')
    where = place(chunk, ui)
    if where:
        meta.append(esc(where))
    cls = "src closest" if closest else "src"
    return (f'<div class="{cls}" id="{anchor(turn, n)}" data-n="{n}">'
            f'<div class="src-head"><span class="src-n">[{n}]</span> '
            f'<span class="src-title">{esc(chunk.title or chunk.doc_id)}</span>{badge}</div>'
            f'<div class="src-meta">{" · ".join(meta)}</div>{body}</div>')


def citation_entry(c: Citation, docs: Mapping[str, Any], ui: dict, turn: int) -> str:
    before, quote, after = passage_parts(c.chunk, c.start, c.end, _doc_text(docs, c.chunk.doc_id))
    badge = "" if c.verified else f'<span class="badge warn">⚠ {esc(ui["unverified"])}</span>'
    body = _passage_html(before, quote, after)
    if not c.verified:
        body += f'<div class="note warn">{esc(ui["unverified_note"])}</div>'
    return _entry(turn, c.n, c.chunk, docs, ui, body, badge)


def closest_entry(h: Hit, docs: Mapping[str, Any], ui: dict, turn: int) -> str:
    return _entry(turn, h.rank, h.chunk, docs, ui, _passage_html(h.chunk.text, "", ""), closest=True)


def _timing(answer: Answer, ui: dict) -> str:
    t = answer.timings
    parts = [f"{ui['t_retrieve']} {t.retrieve_ms:.0f} ms"]
    if t.first_token_ms:
        parts.append(f"{ui['t_first']} {t.first_token_ms / 1000:.1f} s")
    parts.append(f"{ui['t_total']} {t.total_ms / 1000:.1f} s")
    if answer.calibration:  # which weak-evidence threshold decided (calibrate.py)
        parts.append(f"{ui['calibration']}: {answer.calibration}")
    return f'<div class="timing">{" · ".join(esc(p) for p in parts)}</div>'


def sources_section(answer: Answer, docs: Mapping[str, Any], ui: dict, turn: int) -> str:
    """The sources of one answer: cited passages with the quote marked, or for a refusal
    the closest passages, labelled as not containing the answer."""
    parts = []
    if answer.standalone_question:
        parts.append(f'<div class="note">{esc(ui["rewritten"])}{esc(answer.standalone_question)}</div>')
    if answer.refused:
        if answer.retrieved:  # (none for small talk: nothing was looked up)
            key = "withheld" if answer.refusal_reason in REJECTED else "closest"
            parts.append(f'<h3 class="closest-head">{esc(ui[key])}</h3>')
            parts += [closest_entry(h, docs, ui, turn) for h in answer.retrieved[:N_CLOSEST]]
    else:
        parts.append(f'<h3>{esc(ui["sources"])}</h3>')
        if answer.auto_cited:
            parts.append(f'<div class="note">{esc(ui["auto_cited"])}</div>')
        parts += [citation_entry(c, docs, ui, turn) for c in answer.citations]
        if answer.unsupported:
            items = "".join(f"<li>{esc(s)}</li>" for s in answer.unsupported)
            parts.append(f'<div class="note warn">⚠ {esc(ui["unsupported"])}<ul>{items}</ul></div>')
    parts.append(_timing(answer, ui))
    return "".join(parts)


def sources_html(answer: Answer, docs: Mapping[str, Any], ui: dict, turn: int,
                 earlier: Sequence[tuple[int, str, str]] = ()) -> str:
    """The sources panel after an answer: its sources, then the earlier answers' sources
    folded away (``earlier``: (turn, question, sources_section) pairs, newest last).
    ``data-state="done"`` and ``data-turn`` let a test tell when an answer is complete."""
    return panel_html(sources_section(answer, docs, ui, turn), ui, turn, answer.refused, earlier)


def panel_html(section: str, ui: dict, turn: int, refused: bool, earlier: Sequence[tuple[int, str, str]] = ()) -> str:
    """The panel around one answer's ``section`` (also for a reopened conversation, whose
    sections were saved as shown)."""
    parts = [f'<div class="rag-sources" data-state="done" data-turn="{turn}" '
             f'data-refused="{str(bool(refused)).lower()}">', section]
    for t, question, section in reversed(earlier):
        label = esc(ui["earlier"].format(n=t, q=_snippet(question, 30)))
        parts.append(f'<details class="earlier"><summary>{label}</summary>{section}</details>')
    parts.append("</div>")
    return "".join(parts)


def pending_html(message: str, turn: int) -> str:
    return (f'<div class="rag-sources" data-state="pending" data-turn="{turn}">'
            f'<div class="pending">{esc(message)}</div></div>')


def empty_html(ui: dict) -> str:
    return f'<div class="rag-sources" data-state="empty"><div class="hint">{esc(ui["sources_empty"])}</div></div>'


def error_html(message: str, ui: dict, turn: int) -> str:
    return (f'<div class="rag-sources" data-state="error" data-turn="{turn}">'
            f'<div class="note warn">{esc(ui["error"])}{esc(message)}</div></div>')
