"""Batch evaluation: `rag eval FILE` -> OUT/results.jsonl, OUT/summary.json, OUT/report.html.

FILE is our JSONL question set (run against an existing index), a SQuAD-format JSON file
(CMRC2018, DRCD, SQuAD), whose paragraphs are indexed into a cache first (evals/squad.py), or
a development-set folder (questions.jsonl + docs/, evals/devsets.py), whose docs/ are indexed
into the same cache and whose questions are scored like JSONL ones (by split and type).

Runs are resumable: each answered question is appended to ``results.jsonl`` and flushed at
once, and a re-run with the same ``--out`` skips the ids already there. The summary is always
recomputed from the whole results file, so an interrupted run plus its resumption reports the
same figures as one uninterrupted run.
"""
from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import click

from .metrics import HIT_KS, Outcome, Question, aggregate, group_by, score

if TYPE_CHECKING:
    from .squad import Paragraph

DEFAULT_OUT = Path("evals") / "out"
RESULTS, SUMMARY, REPORT, RUN = "results.jsonl", "summary.json", "report.html", "run.json"
# Retrieval metrics go to hit@10 / MRR@10, so rankings are always read at least this deep,
# whatever number of passages the generator is given.
DEPTH = max(HIT_KS)
SPLITS = ("dev", "test", "all")

Say = Callable[[str], None]


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- input

@dataclass
class Dataset:
    path: Path
    kind: str  # "jsonl" | "squad" | "devset"
    questions: list[Question]
    paragraphs: list[Paragraph] = field(default_factory=list)  # SQuAD input: what to index
    problems: list[str] = field(default_factory=list)  # bad entries, reported and skipped


def _str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _check_row(row: Any) -> str | None:
    """Why a JSONL row is not a usable question, or None."""
    if not isinstance(row, dict):
        return "not a JSON object"
    if not isinstance(row.get("id"), str) or not row["id"].strip():
        return "needs a string 'id'"
    if not isinstance(row.get("question"), str) or not row["question"].strip():
        return "needs a non-empty string 'question'"
    for key in ("answers", "evidence", "sources"):
        if key in row and not _str_list(row[key]):
            return f"'{key}' must be a list of strings"
    if not isinstance(row.get("answerable", True), bool):
        return "'answerable' must be true or false"
    parts = row.get("answer_parts")
    if parts is not None and not (isinstance(parts, list) and parts and all(_str_list(p) and p for p in parts)):
        return "'answer_parts' must be a list of non-empty lists of strings"
    history = row.get("history") or []
    if not (isinstance(history, list) and all(isinstance(t, dict) and isinstance(t.get("content"), str)
                                              for t in history)):
        return "'history' must be a list of {role, content} objects"
    if row.get("answerable", True) and not (row.get("answers") or row.get("evidence")):
        return "an answerable question needs 'answers' or 'evidence'"
    return None


def _to_question(row: dict) -> Question:
    return Question(id=row["id"], question=row["question"], answers=row.get("answers") or [],
                    evidence=row.get("evidence") or [], answerable=row.get("answerable", True),
                    history=row.get("history") or [], type=str(row.get("type") or ""),
                    split=str(row.get("split") or ""), answer_parts=row.get("answer_parts"),
                    # (A question about whole documents -- what one is about, which mention a
                    # word: a citation of any of them holds the evidence.)
                    gold_sources=row.get("sources") or [])


def parse_jsonl(text: str, name: str) -> tuple[list[Question], list[str]]:
    questions: list[Question] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(f"{name} line {n}: not valid JSON ({e.msg}), skipped")
            continue
        why = _check_row(row)
        if why is None and row["id"] in first_line:
            why = f"duplicate id {row['id']!r} (first on line {first_line[row['id']]})"
        if why:
            problems.append(f"{name} line {n}: {why}, skipped")
            continue
        first_line[row["id"]] = n
        questions.append(_to_question(row))
    return questions, problems


def load_dataset(path: Path) -> Dataset:
    """JSONL questions, or a SQuAD-format file: one JSON object with a ``data`` list."""
    from rag.errors import UsageError

    from .squad import parse_squad

    path = Path(path)
    folder = path if path.is_dir() else None
    if folder is not None:
        from .devsets import QUESTIONS, is_devset

        if not is_devset(folder):
            raise UsageError(f"{folder} is not a development set (no {QUESTIONS} and docs/)",
                             "build one with python -m evals.devsets build")
        path = folder / QUESTIONS
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read {path}: {e}") from None
    if path.suffix.lower() != ".jsonl":
        try:
            obj = json.loads(text)
        except json.JSONDecodeError:
            obj = None  # not one JSON document: JSONL
        if isinstance(obj, dict) and isinstance(obj.get("data"), list):
            s = parse_squad(obj)
            return Dataset(path, "squad", s.questions, s.paragraphs, [f"{path.name}: {p}, skipped" for p in s.problems])
    questions, problems = parse_jsonl(text, path.name)
    if folder is not None:
        from .devsets import kb_paragraphs

        return Dataset(path, "devset", questions, kb_paragraphs(folder), problems)
    return Dataset(path, "jsonl", questions, problems=problems)


def default_out(file: Path) -> Path:
    return DEFAULT_OUT / Path(file).stem


def select(questions: list[Question], split: str, limit: int | None) -> list[Question]:
    chosen = [q for q in questions if split == "all" or q.split == split]
    return chosen[:limit] if limit is not None else chosen


# ---------------------------------------------------------------------------- results file

def read_results(path: Path, say: Say = _stderr) -> dict[str, dict]:
    """Rows already written, by id. A run killed mid-write leaves a partial last line: it is
    cut off so the next append starts on a fresh line (its question is simply run again)."""
    if not path.exists():
        return {}
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        data = data[: data.rfind(b"\n") + 1]
        with open(path, "r+b") as f:
            f.truncate(len(data))
    rows: dict[str, dict] = {}
    for n, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        try:
            row = json.loads(line)
            rows[str(row["id"])] = row
        except (json.JSONDecodeError, KeyError, TypeError):
            say(f"warning: {path} line {n}: unreadable result, ignored (the question runs again)")
    return rows


def check_run(out: Path, settings: dict) -> None:
    """Refuse to mix results of different settings in one output folder: resumption would
    otherwise silently report old answers under new settings."""
    from rag.errors import UsageError

    p = out / RUN
    if p.exists():
        old = json.loads(p.read_text(encoding="utf-8"))
        diff = sorted(k for k in settings if old.get(k) != settings[k])
        if diff and (out / RESULTS).exists():
            was = ", ".join(f"{k}={old.get(k)!r}, now {settings[k]!r}" for k in diff)
            raise UsageError(f"{out} holds results of another run ({was})", "use another --out, or delete it")
    out.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(settings, ensure_ascii=False, indent=1), encoding="utf-8")


# ---------------------------------------------------------------------------- one question

def _standalone(q: Question) -> str:
    """What the pipeline retrieves with: the sanitised question, rewritten when a follow-up."""
    from rag.prompt import sanitize_question
    from rag.rewrite import rewrite
    from rag.zh import question_language

    text = sanitize_question(q.question)
    return rewrite(text, q.history, question_language(text))


def retrieval_row(retriever, q: Question, k: int, mode: str) -> dict:
    from rag.records import Timings

    t0 = time.perf_counter()
    query = _standalone(q)
    r = retriever.search(query, max(k, DEPTH), mode)
    timings = Timings(retrieve_ms=r.retrieve_ms, total_ms=(time.perf_counter() - t0) * 1000)
    return {"question": q.question, "answer": None, "refused": None, "citations": [],
            "standalone_question": query if query != q.question else None,
            "retrieved": [h.to_json() for h in r.hits], "timings": timings.to_json()}


def answer_row(pipeline, q: Question, k: int, mode: str) -> dict:
    answer = pipeline.ask(q.question, q.history or None, k=k, mode=mode)
    row = answer.to_json()
    if k < DEPTH:
        # The generator saw k passages; retrieval is scored to depth 10. Same query, same
        # candidates and fusion, so the pipeline's k hits are this ranking's first k.
        query = answer.standalone_question or answer.question
        row["ranking"] = [h.to_json() for h in pipeline.retriever.search(query, DEPTH, mode).hits]
    return row


# ---------------------------------------------------------------------------- summary

def score_all(dataset: Dataset, questions: list[Question], rows: dict[str, dict]) -> list[Outcome]:
    squad = dataset.kind in ("squad", "devset")  # gold answers are spans: F1/EM apply
    return [score(q, rows[q.id], squad) for q in questions if q.id in rows]


def summarize(dataset: Dataset, outcomes: list[Outcome], settings: dict, extra: dict | None = None) -> dict:
    summary = dict(settings, n_done=len(outcomes), overall=aggregate(outcomes).to_json())
    if dataset.kind != "squad":
        summary["by_split"] = {k: m.to_json() for k, m in group_by(outcomes, "split").items()}
        summary["by_type"] = {k: m.to_json() for k, m in group_by(outcomes, "type").items()}
    summary.update(extra or {})
    return summary


# ---------------------------------------------------------------------------- the run

def _open_squad_index(dataset: Dataset, config, progress: bool, say: Say) -> tuple[str, dict]:
    import rag.embed

    from .squad import ensure_squad_index

    built = ensure_squad_index(dataset.path, dataset.paragraphs, config, rag.embed.load_embedder(config),
                               progress=progress, say=say)
    s = built.stats
    return str(built.root), {"indexing": {"n_docs": s.n_docs, "n_chunks": s.n_chunks,
                                          "seconds": round(s.seconds, 2),
                                          "chunks_per_s": round(s.chunks_per_s, 1), "cached": not built.built}}


def _runner(retrieval_only: bool, index_dir: str | None, config, pipeline_factory, retriever_factory,
            gold: list[Question] | None = None):
    """One function question -> result row, opening the models it needs (once). With
    ``gold`` (the questions of a --gold-passage run) each is answered from its gold passage."""
    if retrieval_only:
        if retriever_factory is None:
            from rag.session import open_retriever as retriever_factory
        retriever = retriever_factory(index_dir, config)
        return lambda q: retrieval_row(retriever, q, config.top_k, config.mode)
    if pipeline_factory is None:
        from rag.session import open_pipeline as pipeline_factory
    pipeline = pipeline_factory(index_dir, config)
    if gold is None:
        return lambda q: answer_row(pipeline, q, config.top_k, config.mode)
    from rag.errors import UsageError

    from .gold_passage import GoldPassages

    pipeline.retriever = passages = GoldPassages(pipeline.retriever, gold)

    def run(q: Question) -> dict:
        if passages.gold.get(q.id) is None:
            raise UsageError("no passage of the index holds its evidence or a gold answer")
        passages.current = q.id
        return answer_row(pipeline, q, 1, config.mode)

    return run


def _replaying(run_one, rec):
    """Rows the earlier run cannot replay are copied from it; questions it lacks are skipped."""
    from rag.errors import UsageError

    def run(q: Question) -> dict:
        if q.id in rec.copied:
            return {k: v for k, v in rec.copied[q.id].items() if k not in ("id", "gold_sources")}
        if q.id not in rec.answers:
            raise UsageError("not in the replayed results")
        rec.current = q.id
        return run_one(q)

    return run


def _run_todo(todo: list[Question], done: dict[str, dict], results: Path, run_one, gold: bool,
              total: int, progress: bool, say: Say) -> None:
    from tqdm import tqdm

    from rag.errors import UsageError

    with open(results, "a", encoding="utf-8") as f, \
            tqdm(total=total, initial=total - len(todo), desc="eval", unit="q", file=sys.stderr,
                 disable=not progress, dynamic_ncols=True) as bar:
        for q in todo:
            try:
                row = run_one(q)
            except UsageError as e:  # a question the pipeline cannot take (e.g. only symbols)
                say(f"warning: question {q.id}: {e}, skipped")
                bar.update(1)
                continue
            row = {"id": q.id, **row}
            if gold:
                row["gold_sources"] = q.gold_sources
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            f.flush()  # each line lands at once: an interrupted run loses at most one question
            done[q.id] = row
            bar.update(1)


def run_eval(file: Path, index_dir: str | Path | None = None, out_dir: str | Path | None = None,
             k: int | None = None, retrieval_only: bool = False, limit: int | None = None,
             split: str = "all", mode: str | None = None, config=None,
             pipeline_factory: Callable | None = None, retriever_factory: Callable | None = None,
             progress: bool = True, say: Say = _stderr, replay: Path | None = None,
             gold_passage: bool = False) -> dict:
    """Evaluate FILE; returns the summary (also written to OUT/summary.json with the report).

    ``pipeline_factory(index_dir, config) -> Pipeline`` and ``retriever_factory(index_dir,
    config) -> Retriever`` default to ``rag.session.open_pipeline`` / ``open_retriever``.
    ``gold_passage``: answer the answerable questions from their gold passage alone
    (evals/gold_passage.py)."""
    from rag.config import Config
    from rag.errors import UsageError

    from .report import write_report

    if split not in SPLITS:
        raise UsageError(f"unknown split {split!r}", f"choose one of {', '.join(SPLITS)}")
    config = (config or Config.from_env()).with_(top_k=k, mode=mode)
    dataset = load_dataset(Path(file))
    for p in dataset.problems:
        say(f"warning: {p}")
    if dataset.kind == "squad" and split != "all":
        raise UsageError("--split applies to JSONL question sets; a SQuAD file has no splits")
    if gold_passage and retrieval_only:
        raise UsageError("--gold-passage answers questions; it does not combine with --retrieval-only")
    questions = select([q for q in dataset.questions if q.answerable or not gold_passage], split, limit)
    if not questions:
        raise UsageError(f"no questions to evaluate in {file}" + (f" (split {split})" if split != "all" else ""))
    out = Path(out_dir) if out_dir else default_out(file)
    settings = {"file": str(Path(file).resolve()), "kind": dataset.kind, "k": config.top_k,
                "mode": config.mode, "retrieval_only": retrieval_only}
    if gold_passage:
        settings.update(gold_passage=True, k=1)
    if replay:
        if retrieval_only:
            raise UsageError("--replay re-checks answers; it does not combine with --retrieval-only")
        settings["replay"] = str(Path(replay).resolve())
    check_run(out, settings)
    extra: dict = {}
    if dataset.kind in ("squad", "devset"):
        if index_dir:
            say(f"note: --index is not used for {dataset.kind} input (its documents are indexed in the cache)")
        index_dir, extra = _open_squad_index(dataset, config, progress, say)
    results = out / RESULTS
    done = read_results(results, say)
    todo = [q for q in questions if q.id not in done]
    if todo:
        rec = None
        if replay:
            from .replay import recorded, replay_factory

            rec = recorded(Path(replay))
            pipeline_factory = replay_factory(rec, retriever_factory)
            extra["replay"] = {"from": str(replay), "copied_unchanged": len(rec.copied)}
        run_one = _runner(retrieval_only, None if index_dir is None else str(index_dir), config,
                          pipeline_factory, retriever_factory, questions if gold_passage else None)
        if rec is not None:
            run_one = _replaying(run_one, rec)
        _run_todo(todo, done, results, run_one, dataset.kind == "squad", len(questions), progress, say)
    outcomes = score_all(dataset, questions, done)
    # How often the model was asked twice (the top passage alone gave no accepted answer,
    # so answer.py had every passage read), and how often that answer was kept: what the
    # second pass costs and earns on this set.
    looked = [done[q.id] for q in questions if q.id in done and done[q.id].get("attempts")]
    extra["second_looks"] = {"asked": len(looked), "kept": sum(not r.get("refused") for r in looked)}
    summary = summarize(dataset, outcomes, dict(settings, split=split, limit=limit,
                                                index=str(index_dir) if index_dir else None,
                                                n_questions=len(questions)), extra)
    (out / SUMMARY).write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    write_report(out / REPORT, summary, [q for q in questions if q.id in done], done, outcomes)
    return summary


# ---------------------------------------------------------------------------- command

@click.command("eval")
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@click.option("--index", "index_dir", metavar="DIR", help="Index for JSONL questions (default: ./index or $RAG_INDEX).")
@click.option("--kb", metavar="NAME", help="A named knowledge base for JSONL questions (`rag kb list`).")
@click.option("--out", "out_dir", metavar="DIR", type=click.Path(path_type=Path),
              help="Output folder (default: evals/out/<FILE stem>); re-running resumes it.")
@click.option("-k", type=int, help="Passages given to the model (default 5); retrieval is scored to depth 10.")
@click.option("--retrieval-only", is_flag=True, help="Skip generation: score retrieval only (fast).")
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N (selected) questions.")
@click.option("--split", type=click.Choice(SPLITS), default="all", show_default=True, help="JSONL split to run.")
@click.option("--mode", type=click.Choice(["dense", "bm25", "hybrid"]), help="Retrieval mode (default hybrid).")
@click.option("--replay", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="RESULTS",
              help="Re-check the model answers saved in an earlier run's results.jsonl instead of "
                   "generating (measures answer-checking rules in seconds).")
@click.option("--gold-passage", is_flag=True,
              help="Answer each answerable question from the passage holding its evidence alone "
                   "(retrieval taken out): what the model and the checks reach given the right passage.")
def eval_cmd(file, index_dir, kb, out_dir, k, retrieval_only, limit, split, mode, replay, gold_passage):
    """Evaluate retrieval and answers on FILE: our JSONL question set, a SQuAD-format
    JSON file (CMRC2018, DRCD, SQuAD) whose paragraphs are indexed first (cached), or a
    development-set folder (evals/devsets.py) whose docs/ are indexed first (cached).

    Writes OUT/results.jsonl (resumable), OUT/summary.json and OUT/report.html."""
    from rag.session import load_config

    from .report import format_tables

    config = load_config(top_k=k, mode=mode, kb=kb)
    if config.kb:  # resolved here, so the evaluation opens it like --index DIR
        from rag.session import index_dir as resolve

        index_dir, config = resolve(index_dir, config), config.with_(kb="")
    out = out_dir or default_out(file)
    summary = run_eval(file, index_dir, out, None, retrieval_only, limit, split, None, config, replay=replay,
                       gold_passage=gold_passage)
    click.echo(format_tables(summary))
    click.echo(f"\n{summary['n_done']}/{summary['n_questions']} questions; "
               f"results in {out / RESULTS}, report {out / REPORT}", err=True)
