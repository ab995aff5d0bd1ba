"""The web app: chat with streamed, cited answers beside a sources panel, and a
knowledge-base tab to add and remove documents.

``create_app`` only builds the Blocks; launching is ``app.server``'s job, so tests build the
app around a pipeline with a fake embedder and generator. Handlers live on ``Handlers``
(also reachable as ``demo.rag_handlers``) so they can be called without a browser.
"""
from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import rag.offline

rag.offline.enable()  # before gradio is imported: no analytics, no telemetry

import gradio as gr  # noqa: E402

from rag.config import MODES  # noqa: E402
from rag.errors import RagError  # noqa: E402

from . import render  # noqa: E402
from .kb import ALLOWED, KnowledgeBase, Rejected  # noqa: E402
from .strings import strings  # noqa: E402

log = logging.getLogger("rag.app")

CONCURRENCY = 4  # chats at once; the generator serialises model calls itself, retrieval runs in parallel


EARLIER_KEPT = 10  # earlier answers whose sources stay in the panel


def _new_state(kb: str | None = None) -> dict:
    # display: chat messages as shown (HTML); convo: plain text turns for the pipeline;
    # sources: (turn, question, sources HTML) of earlier answers, so their [n] still work;
    # cid: the saved conversation these turns go to (created with the first answer);
    # kb: the knowledge base this chat asks (None: the app's)
    return {"display": [], "convo": [], "turn": 0, "sources": [], "cid": None, "kb": kb}


class Handlers:
    """Event handlers, independent of the layout."""

    def __init__(self, pipeline, index_root: Path, lang: str = "zh", kb: KnowledgeBase | None = None, gate=None,
                 conversations=None, kb_name: str = "default", library=None):
        self.kb = kb or KnowledgeBase(pipeline, Path(index_root))
        # the server's knowledge bases (app/pool.py Library): a selector switches between them
        self.library = library
        self.ui = strings(lang)
        # saved conversations (rag/conversations.py Store), None: chats are not kept
        self.conversations, self.kb_name = conversations, kb_name
        # the server's queue in front of the model (app/pool.py), shared with the API
        self.gate = gate

    # ------------------------------------------------------------ chat

    def respond(self, question: str, state: dict | None, k=None, mode=None, max_new_tokens=None):
        """Generator: yields (textbox, chat messages, sources HTML, state) as the answer
        streams; the last yield carries the final answer with its sources."""
        state = state or _new_state()
        question = (question or "").strip()
        if not question:
            yield "", state["display"], gr.skip(), state
            return
        ui, turn = self.ui, state["turn"] + 1
        display = state["display"] + [{"role": "user", "content": render.md_safe(question)},
                                      {"role": "assistant", "content": render.md_safe(ui["searching"])}]
        yield "", list(display), render.pending_html(ui["searching"], turn), state
        kb_name = state.get("kb") or self.kb_name
        try:
            pipeline = self._kb(kb_name).snapshot()  # one index generation for the whole answer
        except RagError as e:  # deleted since the page loaded
            yield from self._failed(str(e), display, state, turn)
            return
        answer, parts = None, []
        try:
            kwargs = {"k": int(k) if k else None, "mode": mode or None,
                      "max_new_tokens": int(max_new_tokens) if max_new_tokens else None}
            # closing(): when the browser goes away Gradio closes this generator, and the
            # model stops generating instead of finishing an answer nobody reads.
            with self._turn(), contextlib.closing(pipeline.stream(question, state["convo"] or None, **kwargs)) as events:
                for event in events:
                    if event.kind == "token":
                        parts.append(event.text)
                        display[-1] = {"role": "assistant", "content": render.streaming_markdown("".join(parts))}
                        yield "", list(display), gr.skip(), state  # a copy per yield: each is a snapshot
                    elif event.kind == "status":
                        display[-1] = {"role": "assistant", "content": render.md_safe(ui["generating"])}
                        yield "", list(display), render.pending_html(ui["generating"], turn), state
                    elif event.kind == "done":
                        answer = event.answer
        except Exception as e:  # noqa: BLE001 -- shown in the chat; the app keeps running
            if not isinstance(e, RagError):
                log.exception("answering failed")
            yield from self._failed(str(e), display, state, turn)
            return
        if answer is None:
            yield from self._failed("no answer", display, state, turn)
            return
        docs = pipeline.retriever.index.docs
        display[-1] = {"role": "assistant", "content": render.final_markdown(answer, docs, ui, turn)}
        convo = state["convo"] + [{"role": "user", "content": answer.question},
                                  {"role": "assistant", "content": answer.answer}]
        earlier = state.get("sources", [])
        section = render.sources_section(answer, docs, ui, turn)
        panel = render.panel_html(section, ui, turn, answer.refused, earlier)
        kept = (earlier + [(turn, answer.question, section)])[-EARLIER_KEPT:]
        cid = self._save(state.get("cid"), answer, display[-1]["content"], section, kb_name)
        new_state = {"display": display, "convo": convo, "turn": turn, "sources": kept, "cid": cid, "kb": kb_name}
        yield "", display, panel, new_state

    def _kb(self, name: str | None = None) -> KnowledgeBase:
        name = name or self.kb_name
        return self.library.get(name) if self.library is not None and name != self.kb_name else self.kb

    def kb_choices(self):
        return gr.update(choices=self.library.names()) if self.library is not None else gr.skip()

    def switch_kb(self, name: str | None):
        """Selector handler: a new chat on ``name``; outputs (textbox, chat, sources panel,
        state, documents table, remove-dropdown, conversations)."""
        name = name or self.kb_name
        box, chat, panel, state = self.new_chat()
        return box, chat, panel, dict(state, kb=name), *self.refresh(name), self.conversation_choices(name)

    def _save(self, cid: str | None, answer, shown: str, section: str, kb_name: str | None = None) -> str | None:
        """Keep the turn as shown; a store that fails costs the history, never the answer."""
        if self.conversations is None:
            return cid
        try:
            if cid is None:
                cid = self.conversations.create(kb_name or self.kb_name, answer.question).id
            self.conversations.add_turn(cid, answer.question, answer.to_json(),
                                        {"display": shown, "sources": section})
        except Exception:  # noqa: BLE001 -- logged; the chat goes on
            log.exception("saving the conversation failed")
        return cid

    # ------------------------------------------------------------ saved conversations

    def conversation_choices(self, kb_name: str | None = None):
        rows = self.conversations.list(kb_name or self.kb_name) if self.conversations else []
        return gr.update(choices=[(c.title, c.id) for c in rows], value=None)

    def open_conversation(self, cid: str | None):
        """Outputs (textbox, chat, sources panel, state): the conversation as it was shown."""
        if not cid or self.conversations is None:
            return "", gr.skip(), gr.skip(), gr.skip()
        try:
            conv = self.conversations.get(cid)
        except RagError:
            return "", gr.skip(), render.error_html(self.ui["conv_none"], self.ui, 0), gr.skip()
        display, sections = [], []
        for t in conv.turns:
            display += [{"role": "user", "content": render.md_safe(t.question)},
                        {"role": "assistant", "content": t.view.get("display") or render.md_safe(t.answer)}]
            sections.append((t.n, t.question, t.view.get("sources", "")))
        if not conv.turns:
            panel = render.empty_html(self.ui)
        else:
            panel = render.panel_html(sections[-1][2], self.ui, conv.turns[-1].n, conv.turns[-1].record.get("refused"),
                                      sections[:-1][-EARLIER_KEPT:])
        state = {"display": display, "convo": conv.history(), "turn": len(conv.turns),
                 "sources": sections[-EARLIER_KEPT:], "cid": conv.id, "kb": conv.kb}
        return "", display, panel, state

    def rename_conversation(self, cid: str | None, title: str, kb_name: str | None = None):
        if cid and self.conversations is not None and (title or "").strip():
            with contextlib.suppress(RagError):
                self.conversations.rename(cid, title)
        return self.conversation_choices(kb_name), ""

    def delete_conversation(self, cid: str | None, state: dict | None):
        """Outputs (picker, textbox, chat, sources panel, state); the open chat is cleared
        when it is the one deleted."""
        if cid and self.conversations is not None:
            with contextlib.suppress(RagError):
                self.conversations.delete(cid)
        kb_name = (state or {}).get("kb")
        if state and state.get("cid") == cid:
            return self.conversation_choices(kb_name), *self.new_chat(state)
        return self.conversation_choices(kb_name), gr.skip(), gr.skip(), gr.skip(), gr.skip()

    @contextlib.contextmanager
    def _turn(self):
        """Wait for the model in line with the API's requests (Gradio's own queue already
        bounds the browsers, so they are never turned away)."""
        if self.gate is None:
            yield
            return
        ticket = self.gate.enter(force=True)
        try:
            self.gate.wait(ticket)
            yield
        finally:
            self.gate.leave(ticket)

    def _failed(self, message: str, display: list, state: dict, turn: int):
        display[-1] = {"role": "assistant", "content": render.error_markdown(message, self.ui)}
        yield "", display, render.error_html(message, self.ui, turn), dict(state, display=display, turn=turn)

    def new_chat(self, state: dict | None = None):
        """A fresh chat on the same knowledge base."""
        return "", [], render.empty_html(self.ui), _new_state((state or {}).get("kb"))

    # ------------------------------------------------------------ knowledge base

    def table(self, kb_name: str | None = None) -> list[list]:
        ui = self.ui
        return [[r.doc_id, r.title, r.n_chunks, ui["origin_upload"] if r.uploaded else ui["origin_folder"]]
                for r in self._kb(kb_name).documents()]

    def choices(self, kb_name: str | None = None) -> list[tuple[str, str]]:
        return [(f"{r.title} ({r.doc_id})" if r.title else r.doc_id, r.doc_id) for r in self._kb(kb_name).documents()]

    def refresh(self, kb_name: str | None = None):
        try:
            return self.table(kb_name), gr.update(choices=self.choices(kb_name), value=None)
        except RagError:  # that knowledge base is gone: show the app's own
            return self.table(), gr.update(choices=self.choices(), value=None)

    def add_files(self, files, kb_name: str | None = None, progress=gr.Progress(track_tqdm=True)):
        """Upload handler: returns (status markdown, table, remove-dropdown, file input)."""
        ui = self.ui
        paths = [Path(getattr(f, "name", f)) for f in (files or [])]
        if not paths:
            return render.md_safe(ui["no_files"]), *self.refresh(kb_name), None
        progress(0.05, desc=ui["progress_save"])
        try:
            stored, rejected, report = self._kb(kb_name).add(
                [(p, p.name) for p in paths],
                on_event=lambda msg: progress(0.5, desc=f"{ui['progress_index']}: {msg}"))
        except RagError as e:
            return render.md_safe(ui["index_failed"].format(error=e)), *self.refresh(kb_name), None
        lines = [self._rejected(e) for e in rejected]
        if report is not None:
            lines.append(self._report(report))
        return "\n\n".join(lines), *self.refresh(kb_name), None

    def remove_doc(self, doc_id: str | None, kb_name: str | None = None, progress=gr.Progress()):
        """Remove handler: returns (status markdown, table, remove-dropdown)."""
        ui = self.ui
        if not doc_id:
            return render.md_safe(ui["pick_doc"]), *self.refresh(kb_name)
        progress(0.1, desc=ui["progress_index"])
        try:
            report = self._kb(kb_name).remove(doc_id, on_event=lambda msg: progress(0.5, desc=msg))
        except Rejected as e:
            return render.md_safe(ui[e.key].format(**e.fields)), *self.refresh(kb_name)
        except RagError as e:
            return render.md_safe(ui["index_failed"].format(error=e)), *self.refresh(kb_name)
        message = ui["removed"].format(doc=doc_id) + " " + ui["indexed"].format(**self._counts(report))
        return render.md_safe(message), *self.refresh(kb_name)

    def _rejected(self, e: Rejected) -> str:
        fields = dict(e.fields)
        reason = self.ui[e.key].format(**fields)
        return "⚠ " + render.md_safe(self.ui["rejected"].format(name=fields.get("name", "?"), reason=reason))

    @staticmethod
    def _counts(report) -> dict:
        return {"added": len(report.added), "updated": len(report.updated), "removed": len(report.removed),
                "unchanged": len(report.unchanged), "chunks": report.n_chunks, "seconds": report.seconds}

    def _report(self, report) -> str:
        lines = ["✓ " + render.md_safe(self.ui["indexed"].format(**self._counts(report)))]
        lines += ["⚠ " + render.md_safe(self.ui["skipped"].format(path=Path(s.path).name, reason=s.reason))
                  for s in report.skipped]
        lines += ["ℹ " + render.md_safe(self.ui["note"].format(path=Path(s.path).name, note=s.reason))
                  for s in report.notes]
        return "\n\n".join(lines)


# ---------------------------------------------------------------- layout

# Gradio rewrites this CSS and drops var() inside shorthands (border, background), so
# those are spelled out as longhands or with fixed colours.
CSS = """
.gradio-container { width: 100%; max-width: 1400px !important; margin: 0 auto; }
#app-title h1 { margin-bottom: 0; }
#app-title p { margin-top: 4px; color: var(--body-text-color-subdued); }
#sources-panel { max-height: 660px; overflow-y: auto !important; padding-right: 4px; }  /* Gradio sets overflow inline */
.rag-sources h3 { margin: 4px 0 10px; font-size: 1.05em; }
.rag-sources .hint, .rag-sources .pending { color: var(--body-text-color-subdued); padding: 12px 4px; }
.rag-sources .pending::before { content: ""; display: inline-block; width: .8em; height: .8em; margin-right: 8px;
  border-width: 2px; border-style: solid; border-color: #6366f1 transparent #6366f1 #6366f1; border-radius: 50%;
  animation: rag-spin .8s linear infinite; vertical-align: -1px; }
@keyframes rag-spin { to { transform: rotate(360deg); } }
.rag-sources .src { border-style: solid; border-width: 1px 1px 1px 4px; border-radius: 8px;
  border-top-color: #e5e7eb; border-right-color: #e5e7eb; border-bottom-color: #e5e7eb; border-left-color: #6366f1;
  padding: 10px 12px; margin-bottom: 12px; background-color: var(--background-fill-secondary);
  scroll-margin-top: 12px; transition: box-shadow .3s; }
.rag-sources .src.closest { border-left-color: #9ca3af; }
.rag-sources .src.flash { box-shadow: 0 0 0 3px var(--color-accent-soft), 0 0 0 5px var(--color-accent); }
.rag-sources .src-head { font-weight: 600; margin-bottom: 2px; }
.rag-sources .src-n { color: var(--color-accent); margin-right: 2px; }
.rag-sources .src-meta { font-size: .85em; color: var(--body-text-color-subdued); margin-bottom: 6px; }
.rag-sources .src-meta code { font-size: .95em; }
.rag-sources .src-text { white-space: pre-wrap; line-height: 1.65; font-size: .92em; max-height: 260px; overflow-y: auto; }
.rag-sources mark { background-color: #fde68a; color: #111827; padding: 1px 2px; border-radius: 3px; }
.rag-sources .badge.warn, .rag-sources .note.warn { color: #b45309; }
.rag-sources .badge { margin-left: 8px; font-size: .85em; font-weight: 500; }
.rag-sources .note { font-size: .9em; margin: 6px 0 10px; }
.rag-sources .note.warn { background-color: #fffbeb; border-style: solid; border-width: 1px; border-top-color: #fcd34d;
  border-right-color: #fcd34d; border-bottom-color: #fcd34d; border-left-color: #fcd34d;
  border-radius: 6px; padding: 6px 10px; }
.rag-sources details.earlier { margin-top: 10px; border-top-style: dashed; border-top-width: 1px;
  border-top-color: #d1d5db; padding-top: 8px; }
.rag-sources details.earlier summary { cursor: pointer; color: var(--body-text-color-subdued); font-size: .9em; }
.rag-sources .timing { font-size: .8em; color: var(--body-text-color-subdued); text-align: right; }
#chat a.cite { text-decoration: none; font-weight: 600; color: var(--color-accent); }
#chat a.cite.unverified { color: #b45309; }
#chat .unsupported { background-color: #fef3c7; color: #92400e; border-radius: 3px; }
"""

# A [n] in an answer scrolls the matching source into view and flashes it. Handled here
# (capture phase) rather than left to the browser, so a markdown renderer that gives
# links target="_blank" cannot turn it into a new tab.
HEAD = """
<script>
document.addEventListener("click", function (e) {
  var a = e.target && e.target.closest ? e.target.closest('a[href^="#src-"]') : null;
  if (!a) return;
  var el = document.getElementById(a.getAttribute("href").slice(1));
  e.preventDefault();
  e.stopPropagation();
  if (!el) return;
  var folded = el.closest("details");
  if (folded) folded.open = true;  // an earlier answer's source
  el.scrollIntoView({behavior: "smooth", block: "nearest"});
  el.classList.remove("flash"); void el.offsetWidth; el.classList.add("flash");
  setTimeout(function () { el.classList.remove("flash"); }, 1600);
}, true);
</script>
"""


def theme():
    # System fonts only (CJK first): no web-font download, Chinese renders with the
    # machine's Noto CJK / PingFang / YaHei.
    sans = ["Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", "system-ui", "sans-serif"]
    return gr.themes.Default(primary_hue="indigo", font=sans, font_mono=["ui-monospace", "monospace"])


def launch_options() -> dict:
    """Look-and-feel arguments for ``Blocks.launch`` (Gradio 6 takes them there)."""
    return {"css": CSS, "head": HEAD, "theme": theme()}


def create_app(pipeline, index_root: Path, lang: str = "zh", kb: KnowledgeBase | None = None,
               gate=None, conversations=None, kb_name: str = "default", library=None) -> gr.Blocks:
    h = Handlers(pipeline, index_root, lang, kb, gate, conversations, kb_name, library)
    ui, config = h.ui, pipeline.config
    with gr.Blocks(title=ui["title"], analytics_enabled=False, fill_width=True) as demo:
        gr.Markdown(f"# {ui['title']}\n{ui['subtitle']}", elem_id="app-title")
        state = gr.State(_new_state(kb_name))
        if library is not None:  # which knowledge base the chat and the 知识库 tab work on
            kb_in = gr.Dropdown(choices=library.names(), value=kb_name, label=ui["kb_pick"], elem_id="kb-pick")
        else:
            kb_in = gr.State(kb_name)
        with gr.Tabs():
            with gr.Tab(ui["tab_chat"], id="chat-tab"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(label=ui["chat_label"], elem_id="chat", height=560,
                                             latex_delimiters=[], buttons=["copy"], feedback_options=None,
                                             placeholder=ui["chat_empty"])
                        with gr.Row():
                            box = gr.Textbox(placeholder=ui["placeholder"], show_label=False, scale=1,
                                             lines=1, max_lines=4, autofocus=True, elem_id="question")
                            send = gr.Button(ui["send"], variant="primary", scale=0, min_width=90, elem_id="send")
                            new = gr.Button(ui["new_chat"], scale=0, min_width=90, elem_id="new-chat")
                        if h.conversations is not None:
                            conv = _conversations(h, ui)
                        with gr.Accordion(ui["settings"], open=False):
                            k = gr.Slider(1, 10, value=config.top_k, step=1, label=ui["top_k"])
                            mode = gr.Radio(list(MODES), value=config.mode, label=ui["mode"])
                            length = gr.Slider(64, 1024, value=config.max_new_tokens, step=32,
                                               label=ui["max_new_tokens"])
                    with gr.Column(scale=2):
                        sources = gr.HTML(render.empty_html(ui), elem_id="sources-panel")
            with gr.Tab(ui["tab_kb"], id="kb-tab"):
                table, remove_pick = _kb_tab(h, ui, kb_in)
        outputs = [box, chatbot, sources, state]
        for trigger in (box.submit, send.click):
            # Our own "searching / writing" text shows progress; Gradio's overlay would hide it.
            answered = trigger(h.respond, [box, state, k, mode, length], outputs, concurrency_id="chat",
                               show_progress="hidden")
            if h.conversations is not None:
                answered.then(h.conversation_choices, [kb_in], conv["pick"], queue=False)
        if h.conversations is not None:
            conv["open"].click(h.open_conversation, [conv["pick"]], outputs, queue=False)
            conv["rename"].click(h.rename_conversation, [conv["pick"], conv["title"], kb_in],
                                 [conv["pick"], conv["title"]], queue=False)
            conv["delete"].click(h.delete_conversation, [conv["pick"], state], [conv["pick"], *outputs], queue=False)
            demo.load(h.conversation_choices, [kb_in], conv["pick"], queue=False)
        if library is not None:
            kb_in.change(h.switch_kb, [kb_in], [*outputs, table, remove_pick]
                         + ([conv["pick"]] if h.conversations is not None else []), queue=False)
            demo.load(h.kb_choices, None, kb_in, queue=False)  # made since the page was served
        new.click(h.new_chat, [state], outputs, queue=False)
        chatbot.clear(h.new_chat, [state], outputs, queue=False)  # the chat's own bin button: forget it all
        # Another user may have changed the index: show the current list on every page load.
        demo.load(h.refresh, [kb_in], [table, remove_pick], queue=False)
    demo.queue(default_concurrency_limit=CONCURRENCY)
    demo.rag_handlers = h
    return demo


def _conversations(h: Handlers, ui: dict) -> dict:
    """Saved conversations: pick, open, rename, delete."""
    with gr.Accordion(ui["conversations"], open=False, elem_id="conversations"):
        pick = gr.Dropdown(choices=[], label=ui["conv_pick"], elem_id="conv-pick")
        with gr.Row():
            open_ = gr.Button(ui["conv_open"], size="sm", elem_id="conv-open")
            delete = gr.Button(ui["conv_delete"], size="sm", variant="stop", elem_id="conv-delete")
        with gr.Row():
            title = gr.Textbox(placeholder=ui["conv_title"], show_label=False, scale=3, elem_id="conv-title")
            rename = gr.Button(ui["conv_rename"], size="sm", scale=1, elem_id="conv-rename")
    return {"pick": pick, "open": open_, "delete": delete, "title": title, "rename": rename}


def _kb_tab(h: Handlers, ui: dict, kb_in):
    gr.Markdown(ui["kb_intro"])
    with gr.Row():
        files = gr.File(label=ui["upload_label"], file_count="multiple", file_types=list(ALLOWED),
                        type="filepath", elem_id="upload", scale=3)
        with gr.Column(scale=1):
            add = gr.Button(ui["upload_btn"], variant="primary", elem_id="upload-btn")
            remove_pick = gr.Dropdown(choices=h.choices(), label=ui["remove_label"], elem_id="remove-pick")
            remove = gr.Button(ui["remove_btn"], variant="stop", elem_id="remove-btn")
    status = gr.Markdown(elem_id="kb-status")
    table = gr.Dataframe(value=h.table(), headers=[ui["col_doc"], ui["col_title"], ui["col_chunks"], ui["col_origin"]],
                         datatype=["str", "str", "number", "str"], interactive=False,
                         label=ui["docs_label"], elem_id="doc-table", wrap=True)
    # Index writes one at a time: the index folder has a single writer.
    add.click(h.add_files, [files, kb_in], [status, table, remove_pick, files], concurrency_limit=1,
              concurrency_id="index")
    remove.click(h.remove_doc, [remove_pick, kb_in], [status, table, remove_pick], concurrency_limit=1,
                 concurrency_id="index")
    return table, remove_pick
