"""Shared record for benchmark sections: each stage measures itself and returns one Section."""
from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

Say = Callable[[str], None]


@dataclass
class Section:
    name: str  # "ingestion", "retrieval", "generation", "coldstart"
    title: str  # heading in BENCH.md
    note: str  # what was measured, on what, and how to read the table (markdown)
    headers: list[str]
    rows: list[list[Any]]
    figures: dict[str, float | None] = field(default_factory=dict)  # keys of `rag bench --json`
    plot: str | None = None  # PNG file name, written into the output folder

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "note": self.note, "headers": self.headers,
                "rows": self.rows, "figures": self.figures, "plot": self.plot}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Section":
        return cls(**d)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: Sequence[float], p: float) -> float:
    """Percentile by linear interpolation (p in 0..100)."""
    xs = sorted(values)
    if not xs:
        return float("nan")
    if len(xs) == 1:
        return xs[0]
    k = (len(xs) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def fmt(v: Any) -> str:
    """A table cell: numbers at a precision a reader can use (1,234 / 56.7 / 8.90 / 0.123),
    None as a dash."""
    if v is None or (isinstance(v, float) and v != v):
        return "—"
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v).replace("|", "\\|")
    if isinstance(v, int):
        return f"{v:,}"
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def markdown_table(headers: Sequence[Any], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(map(fmt, headers)) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(fmt(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------- running sections and processes
#
# Each section runs in its own process (`python -m evals.bench.<module> --section-json FILE`),
# so its peak RSS is its own and 1M vectors die with it. A section module ends with
#
#     def main() -> None:
#         section_main(run)
#
#     if __name__ == "__main__":
#         main()


def stderr_say(msg: str) -> None:
    """Progress goes to stderr: stdout is kept for tables or the one `--json` object."""
    print(msg, file=sys.stderr, flush=True)


def one_line(e: BaseException) -> str:
    """An error as one line; RagErrors are already phrased for the user."""
    lines = str(e).strip().splitlines()
    msg = lines[0] if lines else ""
    if _is_rag_error(e):
        return msg
    return f"{type(e).__name__}: {msg}" if msg else type(e).__name__


def _is_rag_error(e: BaseException) -> bool:
    from rag.errors import RagError

    return isinstance(e, RagError)


def section_main(run: Callable[[bool, Path, Say], Section], argv: list[str] | None = None) -> None:
    """Command line of one section process. Writes the Section as JSON to --section-json (or
    stdout); on failure writes {"error": one line} there, the traceback to
    OUT/<name>.error.log, and exits 1."""
    p = argparse.ArgumentParser(description="Run one benchmark section.")
    p.add_argument("--quick", action="store_true", help="Small sizes (the 10-minute run).")
    p.add_argument("--out", type=Path, default=Path("bench-out"), help="Folder for plots.")
    p.add_argument("--section-json", type=Path, help="Write the Section here (default: stdout).")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        result: dict[str, Any] = run(args.quick, args.out, stderr_say).to_json()
        code = 0
    except Exception as e:  # noqa: BLE001 - any failure becomes the section's one-line reason
        result, code = {"error": one_line(e)}, 1
        if not _is_rag_error(e):
            log = args.out / f"{Path(sys.argv[0]).stem}.error.log"
            log.write_text(traceback.format_exc(), encoding="utf-8")
            result["error"] += f" (traceback in {log})"
        stderr_say(f"error: {result['error']}")
    text = json.dumps(result, ensure_ascii=False, default=_json_default)
    if args.section_json:
        args.section_json.write_text(text, encoding="utf-8")
    else:
        print(text)
    sys.exit(code)


def _json_default(o: Any) -> Any:
    """numpy scalars in rows/figures."""
    if hasattr(o, "item"):
        return o.item()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


@dataclass
class ProcResult:
    returncode: int
    wall_s: float
    peak_rss_mb: float  # the process's own peak (and its waited-for children's), from wait4
    stdout: str
    stderr: str
    timed_out: bool = False


def run_process(cmd: Sequence[str], *, timeout: float | None = None, echo: Say | None = None,
                env: dict[str, str] | None = None, cwd: Path | None = None) -> ProcResult:
    """Run ``cmd``, timing it and reading its peak RSS from wait4 (per process, unlike
    RUSAGE_CHILDREN). stderr lines are echoed as they come; a timeout kills the process
    group, so grandchildren (a `rag ask` under a section) go too."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=cwd, start_new_session=True, errors="replace")
    out: list[str] = []
    err: list[str] = []
    readers = [threading.Thread(target=_pump, args=(proc.stdout, out, None), daemon=True),
               threading.Thread(target=_pump, args=(proc.stderr, err, echo), daemon=True)]
    for r in readers:
        r.start()
    timed_out = threading.Event()
    timer = threading.Timer(timeout, _kill_group, (proc.pid, timed_out)) if timeout else None
    if timer:
        timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:  # Ctrl-C: the child is in its own session, so stop it ourselves
        _kill_group(proc.pid, timed_out)
        os.wait4(proc.pid, 0)
        raise
    wall = time.perf_counter() - t0
    if timer:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)  # so Popen never waits again
    for r in readers:
        r.join()
    return ProcResult(proc.returncode, wall, usage.ru_maxrss / 1024, "".join(out), "".join(err),
                      timed_out.is_set())


def _pump(stream, sink: list[str], echo: Say | None) -> None:
    for line in stream:
        sink.append(line)
        if echo:
            echo(line.rstrip("\n"))


def _kill_group(pid: int, flag: threading.Event) -> None:
    flag.set()
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
