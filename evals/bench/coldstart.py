"""Cold start section: how long a user waits for a fresh `rag` process.

Every figure is the wall time of a new process of the venv's own `rag` entry point, next to
the raw baseline of starting the interpreter. `rag ask` is split with its own --json timings
(answer = retrieval + generation, the rest is start-up), and start-up is split further by a
process that performs the same loads as `rag ask` one by one, without generating.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import plots
from .common import ProcResult, Say, Section, median, run_process, section_main

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
QUESTIONS = REPO / "evals" / "questions.jsonl"
PLOT = "coldstart.png"
PHASES = ("import rag.cli", "load embedder", "open index", "load generator")


@dataclass
class Runs:
    label: str
    results: list[ProcResult] = field(default_factory=list)

    @property
    def walls(self) -> list[float]:
        return [r.wall_s for r in self.results]

    @property
    def peak_rss_mb(self) -> float:
        return max((r.peak_rss_mb for r in self.results), default=0.0)


def rag_bin() -> Path:
    from rag.errors import RagError

    path = Path(sys.executable).parent / "rag"
    if not path.exists():
        raise RagError(f"no `rag` entry point beside {sys.executable}", "install the project into this venv")
    return path


def seed_question() -> str:
    """The first answerable seed question (its answer is in seeds/)."""
    for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line) if line.strip() else {}
        if row.get("answerable"):
            return row["question"]
    raise ValueError(f"no answerable question in {QUESTIONS}")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("RAG_INDEX", None)  # every command gets --index explicitly
    return env


def repeat(label: str, cmd: list[str], n: int, cwd: Path, say: Say, check: bool = True) -> Runs:
    runs = Runs(label)
    for _ in range(n):
        r = run_process(cmd, env=_env(), cwd=cwd, timeout=1800)
        if check and r.returncode != 0:
            last = (r.stderr.strip().splitlines() or ["?"])[-1]
            raise RuntimeError(f"{label} failed (exit {r.returncode}): {last[:200]}")
        runs.results.append(r)
        say(f"coldstart: {label}: {r.wall_s:.2f} s, peak RSS {r.peak_rss_mb:.0f} MB")
    return runs


# ---------------------------------------------------------------------------- the phases process

def phases(index: Path) -> dict[str, float]:
    """The loads `rag ask` performs before answering, timed one by one (run in a fresh process)."""
    out: dict[str, float] = {}
    t0 = time.perf_counter()
    import rag.cli  # noqa: F401 - what `rag` imports first
    from rag import session

    out[PHASES[0]] = time.perf_counter() - t0
    config = session.resolve_backend(index, session.load_config())
    t0 = time.perf_counter()
    from rag.embed import load_embedder

    embedder = load_embedder(config)
    out[PHASES[1]] = time.perf_counter() - t0
    t0 = time.perf_counter()
    from rag.retrieve import Retriever

    Retriever.open(index, embedder, config)
    out[PHASES[2]] = time.perf_counter() - t0
    t0 = time.perf_counter()
    from rag.generate import load_generator

    load_generator(config)
    out[PHASES[3]] = time.perf_counter() - t0
    return out


# ---------------------------------------------------------------------------- the section

@dataclass
class Measured:
    interp: Runs
    help: Runs
    index: Runs
    phases: list[dict[str, float]]
    phases_run: Runs
    search: Runs
    ask: Runs
    answers: list[dict]
    gguf_cached: bool
    spawner_rss_mb: float  # RSS of this process when it started the others (see _note)


def measure(quick: bool, work: Path, say: Say) -> Measured:
    from rag.models.bundled import GGUF_NAME
    from rag.config import cache_dir

    from .ann import rss_mb

    rag, idx = str(rag_bin()), str(work / "index")
    spawner_rss = rss_mb()
    gguf_cached = (cache_dir() / "models" / GGUF_NAME).exists()
    interp = repeat("python -c pass", [sys.executable, "-c", "pass"], 3, work, say)
    help_ = repeat("rag --help", [rag, "--help"], 3, work, say)
    index = repeat("rag index seeds/", [rag, "index", str(SEEDS), "--index", idx], 1, work, say)
    n = 1 if quick else 3
    phase_cmd = [sys.executable, "-m", "evals.bench.coldstart", "--phases", idx]
    phases_run = repeat("loads of rag ask, one by one", phase_cmd, n, work, say)
    search = repeat("rag search", [rag, "search", seed_question(), "--index", idx, "--json"], 3, work, say)
    ask = repeat("rag ask", [rag, "ask", seed_question(), "--index", idx, "--json"], n, work, say)
    return Measured(interp, help_, index, [_last_json(r) for r in phases_run.results], phases_run, search,
                    ask, [_last_json(r) for r in ask.results], gguf_cached, spawner_rss)


def _last_json(r: ProcResult) -> dict:
    """The JSON object a command printed last (libraries may print lines of their own)."""
    for line in reversed(r.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError(f"no JSON in the output: {r.stdout[-200:]!r}")


def run(quick: bool, out: Path, say: Say) -> Section:
    with tempfile.TemporaryDirectory(prefix="rag-coldstart-") as tmp:
        m = measure(quick, Path(tmp), say)
    return report(m, out)


def _row(label: str, values: list[float], rss: float | None, note: str = "") -> list:
    return [label, len(values), round(median(values), 2), round(min(values), 2), round(max(values), 2),
            round(rss) if rss else None, note]


def report(m: Measured, out: Path) -> Section:
    answer_s = [a["timings"]["total_ms"] / 1000 for a in m.answers]
    startup_s = [w - a for w, a in zip(m.ask.walls, answer_s)]
    phase = {p: [d[p] for d in m.phases] for p in PHASES}
    rows = [_row("`python -c pass` (interpreter, baseline)", m.interp.walls, m.interp.peak_rss_mb),
            _row("`rag --help`", m.help.walls, m.help.peak_rss_mb),
            _row("`rag index seeds/` (new index, new process)", m.index.walls, m.index.peak_rss_mb),
            _row("**`rag search`** (whole process)", m.search.walls, m.search.peak_rss_mb, "embedder + index, no generator"),
            _row("**`rag ask` (whole process)**", m.ask.walls, m.ask.peak_rss_mb, "1.5B GGUF generator"),
            _row("· start-up (wall − answer)", startup_s, None, "imports + model loads + index"),
            _row("· answer (retrieval + generation)", answer_s, None, "from `rag ask --json` timings")]
    rows += [_row(f"· · {p}", v, None, "separate process, same loads" if i == 0 else "") for i, (p, v)
             in enumerate(phase.items())]
    figures = {"coldstart_help_s": round(median(m.help.walls), 3), "coldstart_search_s": round(median(m.search.walls), 2),
               "coldstart_ask_s": round(median(m.ask.walls), 2),
               "coldstart_ask_startup_s": round(median(startup_s), 2),
               "coldstart_ask_answer_s": round(median(answer_s), 2),
               "coldstart_model_load_s": round(median(phase["load embedder"]) + median(phase["load generator"]), 2),
               "coldstart_peak_rss_mb": round(max(m.ask.peak_rss_mb, m.phases_run.peak_rss_mb, m.index.peak_rss_mb))}
    _plot(m, startup_s, answer_s, phase, out)
    return Section("coldstart", "Cold start: a new `rag` process", _note(m),
                   ["command", "runs", "median s", "min s", "max s", "peak RSS MB", "note"], rows, figures, PLOT)


def _note(m: Measured) -> str:
    a = m.answers[0]
    ttft = a["timings"].get("first_token_ms")
    return (f"Wall time of new processes of `{rag_bin()}` (the venv's entry point), models loaded from the local "
            f"cache ({'already assembled' if m.gguf_cached else 'the GGUF was assembled from its wheels during this run'}"
            f"). `rag ask` answers \"{a['question']}\" from an index of seeds/ built just before (first answer: "
            f"{'refused' if a['refused'] else 'answered'}, first token after {ttft / 1000 if ttft else float('nan'):.1f} s "
            f"of the answer, {a['timings'].get('tokens_per_s') or float('nan'):.1f} tokens/s). Its start-up is the "
            f"process wall time minus the answer time `rag ask --json` reports; the `· ·` rows are a separate "
            f"process doing the same loads one by one (`python -m evals.bench.coldstart --phases`), so they add up "
            f"to about the start-up minus interpreter start. Peak RSS per process is read from wait4; Linux counts "
            f"the starting process's memory at fork in it, so ~{m.spawner_rss_mb:.0f} MB is a floor that only the "
            f"smallest commands show. "
            f"{len(m.ask.walls)} `rag ask` run(s): each generates with the 1.5B model, so the quick run does one.")


def _plot(m: Measured, startup_s: list[float], answer_s: list[float], phase: dict[str, list[float]], out: Path) -> None:
    labels = ["python", "rag --help", "rag index\nseeds/", "rag search", "rag ask"]
    loads = sum(median(v) for v in phase.values())
    stacks = {"whole process / other start-up": [median(m.interp.walls), median(m.help.walls), median(m.index.walls),
                                                 median(m.search.walls), max(median(startup_s) - loads, 0.0)]}
    for p, v in phase.items():
        stacks[p] = [0.0, 0.0, 0.0, 0.0, median(v)]
    stacks["answer (retrieval + generation)"] = [0.0, 0.0, 0.0, 0.0, median(answer_s)]
    plots.bars(out / PLOT, labels, stacks, "seconds (median)", "rag-chat cold start: new processes")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--phases":
        print(json.dumps(phases(Path(sys.argv[2]))))
        return
    section_main(run)


if __name__ == "__main__":
    main()
