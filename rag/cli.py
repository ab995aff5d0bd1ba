"""The `rag` command. Heavy libraries are imported inside commands so `rag --help` is instant.

Errors the user can act on (``RagError``) print as one line and exit non-zero; no traceback.
The core commands live here; commands from other packages (the web app's ``serve``, the
evaluation's ``eval`` and ``bench``) register as plugins under the entry-point group
``rag.commands`` (pyproject.toml), so this library never imports its consumers.
"""
from __future__ import annotations

import json
import signal
from importlib.metadata import entry_points
from pathlib import Path

import click

from . import __version__, offline, session
from .errors import RagError

PLUGIN_GROUP = "rag.commands"


def _err(msg: str) -> None:
    click.echo(msg, err=True)


_index_flag = click.option("--index", "index_dir", metavar="DIR", help="Index folder (default: ./index or $RAG_INDEX).")
_kb_flag = click.option("--kb", metavar="NAME", help="A named knowledge base (`rag kb list`; default: $RAG_KB, "
                        "else the default one).")


def index_option(f):
    """``--index DIR`` and ``--kb NAME``: which knowledge base a command works on."""
    return _index_flag(_kb_flag(f))


class _Group(click.Group):
    """Turns the errors a user can act on into one line on stderr and an exit code, and
    finds plugin commands (entry points) only when asked for them."""

    def _plugins(self) -> dict:
        return {ep.name: ep for ep in entry_points(group=PLUGIN_GROUP)}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._plugins()))

    def get_command(self, ctx: click.Context, name: str):
        cmd = super().get_command(ctx, name)
        if cmd is None and (ep := self._plugins().get(name)) is not None:
            cmd = ep.load()  # the plugin's module imports its heavy dependencies inside the command
        return cmd

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except RagError as e:
            _err(f"error: {e}")
            ctx.exit(e.exit_code)
        except KeyboardInterrupt:
            _err("interrupted")
            ctx.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rag")
def cli() -> None:
    """Offline document Q&A: index your documents, then ask questions with verified citations."""
    offline.enable()  # before any command loads a model library


@cli.command("index")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_option
@click.option("--rebuild", is_flag=True, help="Rebuild from scratch (after changing the embedder or chunking).")
@click.option("--chunk-size", type=int, help="Chunk size in characters (default 300).")
@click.option("--chunk-overlap", type=int, help="Overlap between chunks in characters (default 60).")
@click.option("--index-type", type=click.Choice(["flat", "hnsw", "ivf"]), help="FAISS index type (default flat = exact).")
@click.option("--store", "store_value", metavar="STORE",
              help="Where to keep it: folder (default), milvus (a Milvus Lite file in the index folder), "
                   "milvus:///FILE.db or http://HOST:19530 (RAG_STORE). Remembered for later commands.")
@click.option("-v", "--verbose", is_flag=True, help="List what the cleaner removed from each document.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def index_cmd(paths, index_dir, kb, rebuild, chunk_size, chunk_overlap, index_type, store_value, verbose, as_json):
    """Index documents (files or folders; default: the sources indexed last time, or ./seeds).

    Re-running only embeds new or changed documents and removes deleted ones. With --store,
    the documents indexed last time are indexed into that store (a switch of stores)."""
    from . import embed, store
    from .index import update_index

    config = session.load_config(chunk_size=chunk_size, chunk_overlap=chunk_overlap, index_type=index_type, kb=kb,
                                 store=store_value)
    root = session.index_dir(index_dir, config, must_exist=False)  # `--kb NEW PATH...` creates it
    if not rebuild:
        config = session.resolve_backend(root, config)
    known = store.exists(root, config) or store.exists(root, config.with_(store="folder"))
    sources = list(paths) or (None if known else session.default_sources(config, index_dir))
    embedder = embed.load_embedder(config)
    report = update_index(root, sources, config, embedder, rebuild=rebuild, progress=not as_json,
                          on_event=None if as_json else _err)
    if as_json:
        click.echo(json.dumps(_report_json(report), ensure_ascii=False))
        return
    for s in report.notes:
        _err(f"note: {s.path}: {s.reason}")
    for s in report.skipped:
        _err(f"warning: skipped {s.path}: {s.reason}")
    for doc_id, drops in report.dropped.items():
        _err(f"cleaned {doc_id}: removed {len(drops)} boilerplate piece(s)")
        if verbose:
            for rule, text in drops:
                _err(f"    [{rule}] {text}")
    click.echo(f"{root}: {report.summary()}")


def _report_json(report) -> dict:
    return {"index": report.folder, "added": report.added, "updated": report.updated,
            "removed": report.removed, "unchanged": report.unchanged,
            "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
            "notes": [{"path": s.path, "note": s.reason} for s in report.notes],
            "dropped": {k: [{"rule": r, "text": t} for r, t in v] for k, v in report.dropped.items()},
            "n_chunks": report.n_chunks, "n_embedded": report.n_embedded, "seconds": round(report.seconds, 2)}


def _question(q: str) -> str:
    from .prompt import sanitize_question

    return sanitize_question(q, warn=_err)


@cli.command("search")
@click.argument("question")
@index_option
@click.option("-k", type=int, help="How many passages (default 5).")
@click.option("--mode", type=click.Choice(["dense", "bm25", "hybrid"]), help="Retrieval mode (default hybrid).")
@click.option("--fusion", type=click.Choice(["weighted", "rrf"]), help="Hybrid fusion (default weighted scores).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def search_cmd(question, index_dir, kb, k, mode, fusion, as_json):
    """Show the passages retrieved for QUESTION (no generation)."""
    question = _question(question)
    config = session.load_config(top_k=k, mode=mode, fusion=fusion, kb=kb)
    result = session.open_retriever(index_dir, config, say=_err).search(question, config.top_k, config.mode)
    if as_json:
        click.echo(json.dumps({"question": question, "retrieved": [h.to_json() for h in result.hits],
                               "timings": {"retrieve_ms": round(result.retrieve_ms, 1)}}, ensure_ascii=False))
        return
    if not result.hits:
        click.echo("no passage matched")
    for h in result.hits:
        c = h.chunk
        where = f"{c.doc_id} [{c.start}:{c.end}]{_place(c)}"
        click.echo(click.style(f"{h.rank}. {h.score:.3f}  {c.title}  {where}", bold=True))
        click.echo("   " + c.text.replace("\n", "\n   "))
    _err(f"({result.retrieve_ms:.0f} ms)")


def _place(chunk) -> str:
    """Where the passage is in its file (" sheet 销售, rows 12–40", " p. 3"), or ""."""
    if chunk.location is not None:
        return " " + chunk.location.label()
    return f" p. {chunk.page}" if chunk.page else ""  # indexes written before locations


def _print_sources(answer) -> None:
    if answer.refused:
        if answer.retrieved:
            from .prompt import closest_label

            click.echo(click.style(closest_label(answer), dim=True))
            for h in answer.retrieved[:3]:
                click.echo(click.style(f"  - {h.chunk.title} [{h.chunk.start}:{h.chunk.end}]{_place(h.chunk)} "
                                       f"{h.chunk.text[:80].replace(chr(10), ' ')}…", dim=True))
        return
    if answer.auto_cited:
        click.echo(click.style("(citations attached by verification: the model gave none)", dim=True))
    for c in answer.citations:
        mark = "" if c.verified else "  (not verified)"
        click.echo(click.style(f"[{c.n}] {c.chunk.title}  {c.chunk.doc_id} [{c.start}:{c.end}]{_place(c.chunk)}{mark}",
                               bold=True))
        click.echo(f"    “{c.quote}”")
    for s in answer.unsupported:
        click.echo(click.style(f"unsupported by the documents: {s}", fg="yellow"))


def _run_question(pipeline, question: str, history, as_json: bool, k=None):
    """Stream one answer to the terminal (or collect it for --json); returns the Answer."""
    answer = None
    streamed: list[str] = []
    for event in pipeline.stream(question, history, k=k):
        if event.kind == "token" and not as_json:
            click.echo(event.text, nl=False)
            streamed.append(event.text)
        elif event.kind == "done":
            answer = event.answer
    if as_json:
        click.echo(json.dumps(answer.to_json(), ensure_ascii=False))
        return answer
    if streamed:
        click.echo()
    if answer.attempts:  # the streamed answer (from the top passage) was not accepted
        _err(f"note: the best passage alone gave no answer that holds up; asked again with all {len(answer.retrieved)}")
    # The checked answer replaces the stream when they differ: a refusal, or citations the
    # verifier corrected.
    if answer.refused:
        click.echo(click.style(answer.answer, fg="cyan"))
    elif not streamed:  # (made from the index, not the model: a question about the folder)
        click.echo(answer.answer)
    elif answer.answer.strip() != "".join(streamed).strip():
        click.echo(click.style("checked: ", dim=True) + answer.answer)
    if answer.short_answer:
        click.echo(click.style("short answer: ", dim=True) + click.style(answer.short_answer, bold=True))
    _print_sources(answer)
    t = answer.timings
    ttft = f", first token {t.first_token_ms / 1000:.1f}s" if t.first_token_ms else ""
    tps = f", {t.tokens_per_s:.1f} tok/s" if t.tokens_per_s else ""
    _err(f"(retrieval {t.retrieve_ms:.0f} ms{ttft}, total {t.total_ms / 1000:.1f}s{tps})")
    return answer


@cli.command("ask")
@click.argument("question")
@index_option
@click.option("-k", type=int, help="How many passages to give the model (default 5).")
@click.option("--model", "generator", help="Generator: 'bundled', a .gguf file, a model folder, or an http(s) URL.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of streaming.")
def ask_cmd(question, index_dir, kb, k, generator, as_json):
    """Answer QUESTION from the indexed documents, with numbered, verified citations."""
    question = _question(question)
    config = session.load_config(top_k=k, generator=generator, kb=kb)
    _run_question(session.open_pipeline(index_dir, config, _err), question, None, as_json, config.top_k)


@cli.command("chat")
@index_option
@click.option("-k", type=int, help="How many passages to give the model (default 5).")
@click.option("--model", "generator", help="Generator: 'bundled', a .gguf file, a model folder, or an http(s) URL.")
def chat_cmd(index_dir, kb, k, generator):
    """Interactive multi-turn chat. /new starts over, /sources shows the last sources,
    Ctrl-C cancels an answer, Ctrl-D exits."""
    config = session.load_config(top_k=k, generator=generator, kb=kb)
    pipeline = session.open_pipeline(index_dir, config, _err)
    history: list[dict] = []
    last = None
    # Ctrl-C cancels an answer even when we were started with SIGINT ignored (a launcher,
    # nohup, a parent that ignored it while forking): Python then keeps ignoring it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _err("ask a question (/new, /sources, Ctrl-D to quit)")
    while True:
        try:
            line = input("> ")
        except EOFError:
            click.echo()
            return
        except KeyboardInterrupt:
            click.echo()
            continue
        cmd = line.strip()
        if not cmd:
            continue
        if cmd == "/new":
            history, last = [], None
            _err("(new conversation)")
            continue
        if cmd == "/sources":
            if last:
                _print_sources(last)
            continue
        try:
            question = _question(cmd)
            last = _run_question(pipeline, question, history, False, config.top_k)
        except KeyboardInterrupt:
            click.echo()
            _err("(answer cancelled)")
            continue
        except RagError as e:
            _err(f"error: {e}")
            continue
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": last.answer}]


@cli.command("calibrate")
@click.argument("questions", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@index_option
@click.option("--split", default="dev", show_default=True, help="Which split of the questions to use (dev/test/all).")
def calibrate_cmd(questions, index_dir, kb, split):
    """Measure the weak-evidence refusal threshold on QUESTIONS (JSONL with `answerable`;
    default: the bundled seed questions) and record it in the index manifest."""
    config = session.load_config(kb=kb)
    root = session.index_dir(index_dir, config)
    session.ensure_index(root, config, _err)
    result = session.calibrate_index(root, config, questions or session.SEED_QUESTIONS, split, _err)
    click.echo(json.dumps(result.to_json(), ensure_ascii=False))


@cli.group("kb")
def kb_group() -> None:
    """Named knowledge bases: one index each (its own documents, manifest and calibration).

    Every command takes --kb NAME; the HTTP API calls them models."""


@kb_group.command("create")
@click.argument("name")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def kb_create_cmd(name, paths):
    """Create knowledge base NAME from PATHS (files or folders, indexed where they are)."""
    from . import embed, kbs
    from .index import update_index

    config = session.load_config(kb=kbs.check_name(name))
    with kbs.creating(name, config) as root:
        config = session.resolve_backend(root, config)
        report = update_index(root, list(paths), config, embed.load_embedder(config), progress=True, on_event=_err)
    for s in report.skipped:
        _err(f"warning: skipped {s.path}: {s.reason}")
    click.echo(f"created knowledge base {name!r} at {root}: {report.summary()}")


@kb_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def kb_list_cmd(as_json):
    """List the knowledge bases with their document and chunk counts."""
    from . import kbs

    config = session.load_config()
    rows = kbs.listing(config)
    if as_json:
        click.echo(json.dumps({"knowledge_bases": [r.to_json() for r in rows]}, ensure_ascii=False))
        return
    for r in rows:
        state = f"{r.documents} documents, {r.chunks} chunks" if r.exists else "not built yet (first use builds it)"
        click.echo(f"{r.name}\t{state}\t{r.path}")


@kb_group.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def kb_delete_cmd(name, yes):
    """Delete knowledge base NAME: its index and uploaded files (documents indexed from
    elsewhere stay where they are)."""
    from . import kbs

    config = session.load_config()
    root = kbs.require(kbs.check_name(name), config) if name != kbs.DEFAULT else kbs.path_of(name, config)
    if name != kbs.DEFAULT and not yes:
        click.confirm(f"delete knowledge base {name!r} ({root})?", abort=True, err=True)
    kbs.delete(name, config)
    click.echo(f"deleted knowledge base {name!r}")


@cli.group("keys")
def keys_group() -> None:
    """API keys for `rag serve`'s HTTP API (required when it listens beyond this machine)."""


@keys_group.command("create")
@click.argument("name")
@click.option("--kb", "kb_names", multiple=True, metavar="NAME", help="Knowledge base it opens (repeat; default: all).")
@click.option("--write", is_flag=True, help="Also upload and remove documents (default: read only).")
def keys_create_cmd(name, kb_names, write):
    """Create an API key NAME and print it (shown once: only its hash is kept)."""
    from . import keys

    key, token = keys.create(session.load_config(), name, list(kb_names) or None, "write" if write else "read")
    _err(f"key {key.name!r}: {key.access}, knowledge bases {', '.join(key.kbs)}; store it now, it is not shown again")
    click.echo(token)


@keys_group.command("list")
def keys_list_cmd():
    """List the API keys (names and rights, never the keys)."""
    from . import keys

    for k in keys.load(session.load_config()):
        click.echo(f"{k.name}\t{k.shown}…\t{k.access}\t{','.join(k.kbs)}")


@keys_group.command("revoke")
@click.argument("name")
def keys_revoke_cmd(name):
    """Revoke the API key NAME (a running server refuses it from the next request)."""
    from . import keys

    keys.revoke(session.load_config(), name)
    click.echo(f"revoked key {name!r}")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
