"""`rag bench` / `python -m evals.bench`: every stage measured beside its raw baseline.

Each section runs in its own process (see common.section_main), in the order of SECTIONS;
a section that fails is reported as "failed: <reason>" and the others still run. Writes
OUT/BENCH.md (tables, notes, command line, machine facts), OUT/bench.json and the sections'
PNG plots; prints the tables, or with --json one JSON object (progress goes to stderr).

A section is a module with ``run(quick: bool, out: Path, say) -> common.Section`` and

    def main() -> None:
        common.section_main(run)   # --quick, --out DIR, --section-json FILE

listed in SECTIONS below. Its figures (``Section.figures``) are merged into the --json object;
each section reports its own ``<name>_peak_rss_mb``, and ``peak_rss_mb`` is their maximum.
"""
from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from .common import Say, Section

# evals.bench.common is imported inside the functions: `rag` registers this command at
# start-up, and `rag --help` must not pay for subprocess/statistics/traceback imports.

# Section name -> module run as `python -m MODULE --section-json FILE [--quick] --out DIR`.
SECTIONS: dict[str, str] = {
    "ingestion": "evals.bench.ingest",
    "retrieval": "evals.bench.retrieval",
    "stores": "evals.bench.stores",
    "generation": "evals.bench.generation",
    "coldstart": "evals.bench.coldstart",
}
# Keys `--json` always carries (null when the section that measures them failed or did not run).
REQUIRED = ("ingest_speedup_vs_raw", "retrieval_p50_ms_10k", "retrieval_p50_ms_1m", "ann_recall10_1m",
            "ttft_s", "decode_speedup_vs_raw", "answer_total_s", "peak_rss_mb")
DEFAULT_OUT = Path("evals") / "out" / "bench"
# Per-section wall-clock limit: generous, only there so a hung section cannot hang the run.
TIMEOUT_S = {True: 20 * 60, False: 4 * 3600}


@dataclass
class Outcome:
    name: str
    section: Section | None
    error: str | None  # one line when the section failed
    wall_s: float
    process_peak_rss_mb: float  # measured from outside (wait4), a cross-check of the figures


def run_section(name: str, module: str, quick: bool, out: Path, say: Say) -> Outcome:
    import importlib.util

    from .common import Section, run_process

    if importlib.util.find_spec(module) is None:
        return Outcome(name, None, f"module {module} is missing", 0.0, 0.0)
    result_file = out / f".{name}.section.json"
    result_file.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", module, "--section-json", str(result_file), "--out", str(out)]
    say(f"== {name} ({module}{', quick' if quick else ''})")
    proc = run_process(cmd + (["--quick"] if quick else []), timeout=TIMEOUT_S[quick], echo=say)
    try:
        data = json.loads(result_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {"error": _exit_reason(proc)}
    finally:
        result_file.unlink(missing_ok=True)
    if "error" in data or proc.returncode != 0:
        reason = data.get("error") or _exit_reason(proc)
        return Outcome(name, None, reason, proc.wall_s, proc.peak_rss_mb)
    return Outcome(name, Section.from_json(data), None, proc.wall_s, proc.peak_rss_mb)


def _exit_reason(proc) -> str:
    if proc.timed_out:
        return "timed out"
    last = [line for line in proc.stderr.splitlines() if line.strip()]
    tail = f": {last[-1].strip()[:200]}" if last else ""
    return f"exited with code {proc.returncode}{tail}"


def collect_figures(outcomes: list[Outcome]) -> dict[str, Any]:
    """The REQUIRED keys first, then every other figure; peak_rss_mb is the largest of the
    sections' own *_peak_rss_mb figures."""
    figures: dict[str, Any] = {k: None for k in REQUIRED}
    for o in outcomes:
        if o.section:
            figures.update(o.section.figures)
    peaks = [v for k, v in figures.items() if k.endswith("_peak_rss_mb") and k != "peak_rss_mb" and v is not None]
    figures["peak_rss_mb"] = max(peaks) if peaks else None
    return figures


# ---------------------------------------------------------------------------- machine facts

LIBRARIES = ("rag-chat", "numpy", "faiss-cpu", "bm25s", "jieba", "torch", "sentence-transformers",
             "transformers", "onnxruntime", "llama-cpp-python")


def machine_facts() -> dict[str, Any]:
    import platform
    from importlib import metadata

    def version(dist: str) -> str | None:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    return {"cores": os.cpu_count(), "cores_usable": len(os.sched_getaffinity(0)),
            "cpu_model": _proc_field("/proc/cpuinfo", "model name"),
            "ram_gib": _ram_gib(), "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
            "os": platform.platform(), "python": platform.python_version(),
            "libraries": {d: version(d) for d in LIBRARIES}}


def _proc_field(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _ram_gib() -> float | None:
    kib = _proc_field("/proc/meminfo", "MemTotal")
    return round(int(kib.split()[0]) / 2**20, 1) if kib else None


# ---------------------------------------------------------------------------- rendering

def summary_table(outcomes: list[Outcome]) -> str:
    from .common import markdown_table

    rows = [[o.name, "ok" if o.section else f"failed: {o.error}", round(o.wall_s, 1),
             round(o.process_peak_rss_mb) if o.process_peak_rss_mb else None] for o in outcomes]
    return markdown_table(["section", "status", "wall s", "process peak RSS MB"], rows)


def section_markdown(o: Outcome) -> str:
    from .common import markdown_table

    if o.section is None:
        return f"## {o.name}\n\n" + markdown_table(["section", "status"], [[o.name, f"failed: {o.error}"]])
    s = o.section
    parts = [f"## {s.title}", markdown_table(s.headers, s.rows), s.note.strip()]
    if s.plot:
        parts.append(f"![{s.title}]({s.plot})")
    return "\n\n".join(p for p in parts if p)


def render(outcomes: list[Outcome], figures: dict[str, Any], machine: dict[str, Any], command: str) -> str:
    from .common import markdown_table

    libs = ", ".join(f"{k} {v}" for k, v in machine["libraries"].items() if v)
    facts = (f"- command: `{command}`\n- machine: {machine['cores']} cores ({machine['cores_usable']} usable), "
             f"{machine['cpu_model']}, {machine['ram_gib']} GiB RAM, {machine['os']}, Python {machine['python']}\n"
             f"- load average (1/5/15 min) at the start: {', '.join(map(str, machine['load_avg_at_start']))}, at the "
             f"end: {', '.join(map(str, machine.get('load_avg_at_end', [])))} (above the core count, other work "
             f"shared the CPU and slowed the figures)\n- total wall time: {machine.get('wall_s', 0):.0f} s\n"
             f"- libraries: {libs}")
    headline = markdown_table(["figure", "value"], [[k, v] for k, v in figures.items()])
    body = [f"# rag-chat benchmark\n\n{facts}", "## Summary", summary_table(outcomes), headline]
    return "\n\n".join(body + [section_markdown(o) for o in outcomes]) + "\n"


# ---------------------------------------------------------------------------- command

def run_bench(names: list[str], quick: bool, out: Path, command: str, say: Say,
              modules: dict[str, str] | None = None) -> tuple[list[Outcome], dict[str, Any], str]:
    modules = modules or SECTIONS
    out.mkdir(parents=True, exist_ok=True)
    machine = machine_facts()
    t0 = time.perf_counter()
    outcomes = [run_section(n, modules[n], quick, out.resolve(), say) for n in names]
    machine["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    machine["wall_s"] = round(time.perf_counter() - t0, 1)
    figures = collect_figures(outcomes)
    md = render(outcomes, figures, machine, command)
    (out / "BENCH.md").write_text(md, encoding="utf-8")
    report = {"command": command, "quick": quick, "machine": machine, "wall_s": machine["wall_s"],
              "figures": figures, "failed": {o.name: o.error for o in outcomes if o.error},
              "sections": [dict(o.section.to_json() if o.section else {"name": o.name, "error": o.error},
                                wall_s=round(o.wall_s, 1), process_peak_rss_mb=round(o.process_peak_rss_mb, 1))
                           for o in outcomes]}
    (out / "bench.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return outcomes, figures, md


def _selected(only: tuple[str, ...], modules: dict[str, str]) -> list[str]:
    wanted = {w.strip() for item in only for w in item.split(",") if w.strip()}
    unknown = wanted - set(modules)
    if unknown:
        raise click.BadParameter(f"unknown section {', '.join(sorted(unknown))} (choose from {', '.join(modules)})",
                                 param_hint="--only")
    return [n for n in modules if not wanted or n in wanted]


@click.command("bench")
@click.option("--quick", is_flag=True, help="Small sizes: the whole run fits in about 10 minutes on 2 cores.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object of the headline figures.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_OUT,
              show_default=True, help="Folder for BENCH.md, bench.json and the plots.")
@click.option("--only", multiple=True, metavar="SECTION",
              help=f"Run only these sections (repeat or comma-separate): {', '.join(SECTIONS)}.")
def bench_cmd(quick: bool, as_json: bool, out_dir: Path, only: tuple[str, ...]) -> None:
    """Measure ingestion, retrieval, generation and cold start against their raw baselines."""
    from .common import stderr_say

    names = _selected(only, SECTIONS)
    command = " ".join(["rag bench"] + (["--quick"] if quick else []) + (["--json"] if as_json else [])
                       + ["--out", str(out_dir)] + [f"--only {n}" for n in names if only])
    outcomes, figures, md = run_bench(names, quick, out_dir, command, stderr_say)
    if as_json:
        failed = {o.name: o.error for o in outcomes if o.error}
        click.echo(json.dumps(dict(figures, failed=failed, report=str(out_dir / "BENCH.md")), ensure_ascii=False))
    else:
        click.echo(md)
        stderr_say(f"wrote {out_dir / 'BENCH.md'} and {out_dir / 'bench.json'}")
    if any(o.error for o in outcomes):
        sys.exit(1)


if __name__ == "__main__":
    bench_cmd(prog_name="python -m evals.bench")
