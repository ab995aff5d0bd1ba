"""The `rag` command. Heavy libraries are imported inside commands so `rag --help` is instant.

Errors the user can act on (``RagError``) print as one line and exit non-zero; no traceback.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import click

from . import __version__, offline
from .errors import RagError

offline.enable()

DEFAULT_INDEX = "index"
DEFAULT_DOCS = "seeds"


def _index_dir(value: str | None) -> Path:
    return Path(value or os.environ.get("RAG_INDEX") or DEFAULT_INDEX)


def _config(**overrides):
    from .config import Config

    return Config.from_env().with_(**overrides)


def _err(msg: str) -> None:
    click.echo(msg, err=True)


index_option = click.option("--index", "index_dir", metavar="DIR", help="Index folder (default: ./index or $RAG_INDEX).")


class _Group(click.Group):
    """Turns the errors a user can act on into one line on stderr and an exit code."""

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


@cli.command("index")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_option
@click.option("--rebuild", is_flag=True, help="Rebuild from scratch (after changing the embedder or chunking).")
@click.option("--chunk-size", type=int, help="Chunk size in characters (default 300).")
@click.option("--chunk-overlap", type=int, help="Overlap between chunks in characters (default 60).")
@click.option("--index-type", type=click.Choice(["flat", "hnsw", "ivf"]), help="FAISS index type (default flat = exact).")
@click.option("-v", "--verbose", is_flag=True, help="List what the cleaner removed from each document.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def index_cmd(paths, index_dir, rebuild, chunk_size, chunk_overlap, index_type, verbose, as_json):
    """Index documents (files or folders; default: the sources indexed last time, or ./seeds).

    Re-running only embeds new or changed documents and removes deleted ones."""
    from .embed import load_embedder
    from .index import update_index

    root = _index_dir(index_dir)
    config = _config(chunk_size=chunk_size, chunk_overlap=chunk_overlap, index_type=index_type)
    sources = list(paths) or (None if (root / "CURRENT").exists() else [Path(DEFAULT_DOCS)])
    embedder = load_embedder(config)
    report = update_index(root, sources, config, embedder, rebuild=rebuild, progress=not as_json,
                          on_event=None if as_json else _err)
    if as_json:
        click.echo(json.dumps(_report_json(report), ensure_ascii=False))
        return
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
            "dropped": {k: [{"rule": r, "text": t} for r, t in v] for k, v in report.dropped.items()},
            "n_chunks": report.n_chunks, "n_embedded": report.n_embedded, "seconds": round(report.seconds, 2)}


def ensure_index(root: Path, config) -> None:
    """Build the default index from ./seeds on first use, so the first `rag ask` works."""
    if (root / "CURRENT").exists():
        return
    if not Path(DEFAULT_DOCS).is_dir():
        from .errors import IndexMissingError

        raise IndexMissingError(f"no index at {root}", "build one with `rag index PATH ...`")
    from .embed import load_embedder
    from .index import update_index

    _err(f"no index at {root} yet: building it from {DEFAULT_DOCS}/ (once)")
    embedder = load_embedder(config)
    report = update_index(root, [Path(DEFAULT_DOCS)], config, embedder, progress=True, on_event=_err)
    _err(report.summary())
    if SEED_QUESTIONS.exists():
        _calibrate(root, config, SEED_QUESTIONS, "dev")


SEED_QUESTIONS = Path(__file__).resolve().parent.parent / "evals" / "questions.jsonl"


def _calibrate(root: Path, config, questions: Path, split: str | None) -> dict:
    from . import store
    from .calibrate import calibrate, read_questions
    from .embed import load_embedder
    from .retrieve import Retriever

    retriever = Retriever.open(root, load_embedder(config), config)
    result = calibrate(retriever, read_questions(questions, split))
    result["questions"] = f"{questions.name} (split {split or 'all'})"
    with store.WriteLock(root):
        store.update_manifest(root, calibration=result)
    _err(f"calibrated refusal threshold: dense < {result['min_top_dense']} and bm25 < {result['min_top_bm25']} "
         f"(false refusal {result['false_refusal_rate']:.0%} on {result['n_answerable']} answerable, "
         f"refusal {result['refusal_rate_unanswerable'] or 0:.0%} on {result['n_unanswerable']} unanswerable)")
    return result


def open_retriever(index_dir: str | None, config):
    from .embed import load_embedder
    from .retrieve import Retriever

    root = _index_dir(index_dir)
    ensure_index(root, config)
    return Retriever.open(root, load_embedder(config), config)


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
def search_cmd(question, index_dir, k, mode, fusion, as_json):
    """Show the passages retrieved for QUESTION (no generation)."""
    question = _question(question)
    config = _config(top_k=k, mode=mode, fusion=fusion)
    result = open_retriever(index_dir, config).search(question, config.top_k, config.mode)
    if as_json:
        click.echo(json.dumps({"question": question, "retrieved": [h.to_json() for h in result.hits],
                               "timings": {"retrieve_ms": round(result.retrieve_ms, 1)}}, ensure_ascii=False))
        return
    if not result.hits:
        click.echo("no passage matched")
    for h in result.hits:
        c = h.chunk
        where = f"{c.doc_id} [{c.start}:{c.end}]" + (f" p.{c.page}" if c.page else "")
        click.echo(click.style(f"{h.rank}. {h.score:.3f}  {c.title}  {where}", bold=True))
        click.echo("   " + c.text.replace("\n", "\n   "))
    _err(f"({result.retrieve_ms:.0f} ms)")


def open_pipeline(index_dir: str | None, config):
    from .answer import Pipeline
    from .generate import load_generator

    retriever = open_retriever(index_dir, config)
    return Pipeline(retriever, load_generator(config), config)


def _print_sources(answer) -> None:
    if answer.refused:
        if answer.retrieved:
            from .prompt import closest_label

            click.echo(click.style(closest_label(answer), dim=True))
            for h in answer.retrieved[:3]:
                click.echo(click.style(f"  - {h.chunk.title} [{h.chunk.start}:{h.chunk.end}] "
                                       f"{h.chunk.text[:80].replace(chr(10), ' ')}…", dim=True))
        return
    if answer.auto_cited:
        click.echo(click.style("(citations attached by verification: the model gave none)", dim=True))
    for c in answer.citations:
        mark = "" if c.verified else "  (not verified)"
        click.echo(click.style(f"[{c.n}] {c.chunk.title}  {c.chunk.doc_id} [{c.start}:{c.end}]{mark}", bold=True))
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
    # The checked answer replaces the stream when they differ: a refusal, or citations the
    # verifier corrected.
    if answer.refused:
        click.echo(click.style(answer.answer, fg="cyan"))
    elif answer.answer.strip() != "".join(streamed).strip():
        click.echo(click.style("checked: ", dim=True) + answer.answer)
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
def ask_cmd(question, index_dir, k, generator, as_json):
    """Answer QUESTION from the indexed documents, with numbered, verified citations."""
    question = _question(question)
    config = _config(top_k=k, generator=generator)
    _run_question(open_pipeline(index_dir, config), question, None, as_json, config.top_k)


@cli.command("chat")
@index_option
@click.option("-k", type=int, help="How many passages to give the model (default 5).")
@click.option("--model", "generator", help="Generator: 'bundled', a .gguf file, a model folder, or an http(s) URL.")
def chat_cmd(index_dir, k, generator):
    """Interactive multi-turn chat. /new starts over, /sources shows the last sources,
    Ctrl-C cancels an answer, Ctrl-D exits."""
    config = _config(top_k=k, generator=generator)
    pipeline = open_pipeline(index_dir, config)
    history: list[dict] = []
    last = None
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
def calibrate_cmd(questions, index_dir, split):
    """Measure the weak-evidence refusal threshold on QUESTIONS (JSONL with `answerable`;
    default: the bundled seed questions) and record it in the index manifest."""
    config = _config()
    root = _index_dir(index_dir)
    ensure_index(root, config)
    result = _calibrate(root, config, questions or SEED_QUESTIONS, split)
    click.echo(json.dumps(result, ensure_ascii=False))


def _register_lazy() -> None:
    """Commands that live outside rag/ (evaluation, web app); their modules import their
    heavy dependencies inside the command, so registering them stays cheap."""
    from app.cli_serve import serve_cmd
    from evals.bench.__main__ import bench_cmd
    from evals.run import eval_cmd

    cli.add_command(eval_cmd, "eval")
    cli.add_command(serve_cmd, "serve")
    cli.add_command(bench_cmd, "bench")


_register_lazy()


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
