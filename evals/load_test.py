"""A bounded local load test of `rag serve`: concurrent chat sessions, loopback only.

    .venv/bin/python -m evals.load_test [--sessions 8] [--questions 2] [--index DIR]

Starts the real server on a free 127.0.0.1 port, opens one Gradio client session per user,
and has every session ask its own questions (seed questions with a known answer) at the same
time. Checks that each reply belongs to the question that session asked (no answers mixed
between sessions) and contains the expected answer; samples the server's memory every
second; stops the server at the end. Every wait is bounded.
"""
from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import click

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Reply:
    session: int
    question: str
    expected: list[str]
    answer: str
    seconds: float
    own_question: bool  # the reply came back in this session, for this question
    correct: bool


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> float:
    """Resident memory of the server process and its children, from /proc."""
    total = 0
    for p in [pid] + _children(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    out = [int(k) for k in kids]
    for k in list(out):
        out += _children(k)
    return out


def _questions(n: int) -> list[tuple[str, list[str]]]:
    rows = [json.loads(x) for x in (REPO / "evals" / "questions.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    picked = [(r["question"], r["answers"]) for r in rows
              if r.get("answerable", True) and not r.get("history") and r["type"] in ("number", "date", "person")]
    if len(picked) < n:
        raise click.UsageError(f"only {len(picked)} suitable questions for {n} requests")
    return picked[:n]


def _norm(s: str) -> str:
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", s).lower().split())


def _session(url: str, i: int, todo: list[tuple[str, list[str]]], timeout: float) -> list[Reply]:
    from gradio_client import Client

    client = Client(url, verbose=False)
    out = []
    for question, expected in todo:
        t0 = time.perf_counter()
        job = client.submit(question, 5, "hybrid", 256, api_name="/respond")
        result = job.result(timeout=timeout)
        chat = result[1] if isinstance(result, (list, tuple)) else result
        last_user = next((m for m in reversed(chat) if m.get("role") == "user"), {})
        last_bot = next((m for m in reversed(chat) if m.get("role") == "assistant"), {})
        text = _text(last_bot.get("content"))
        out.append(Reply(i, question, expected, text, time.perf_counter() - t0,
                         own_question=_norm(question) in _norm(_text(last_user.get("content"))),
                         correct=any(_norm(a) in _norm(text) for a in expected)))
    return out


def _text(content) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(_text(c) for c in content)
    if isinstance(content, dict):
        return str(content.get("text") or content.get("value") or "")
    return str(content or "")


@click.command()
@click.option("--sessions", default=8, show_default=True, type=click.IntRange(1, 32))
@click.option("--questions", "per_session", default=2, show_default=True, type=click.IntRange(1, 10))
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index to serve (built from seeds/ if missing).")
@click.option("--timeout", default=900.0, show_default=True, help="Seconds allowed per request.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the figures as JSON.")
def main(sessions, per_session, index_dir, timeout, json_out):
    todo = _questions(sessions * per_session)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    env = dict(os.environ)
    if index_dir:
        env["RAG_INDEX"] = str(index_dir)
    server = subprocess.Popen([sys.executable, "-m", "rag.cli", "serve", "--port", str(port)], cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0.0]
    stop = threading.Event()

    def sample():
        while not stop.wait(1.0):
            peak[0] = max(peak[0], _rss_mb(server.pid))

    try:
        deadline = time.time() + 600
        while True:
            try:
                urllib.request.urlopen(url, timeout=5).read()
                break
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    raise click.ClickException(f"server did not start: {server.stderr.read()[-500:]}")
                time.sleep(2)
        idle_mb = _rss_mb(server.pid)
        threading.Thread(target=sample, daemon=True).start()
        t0 = time.perf_counter()
        with ThreadPoolExecutor(sessions) as pool:
            futures = [pool.submit(_session, url, i, todo[i * per_session:(i + 1) * per_session], timeout)
                       for i in range(sessions)]
            replies = [r for f in futures for r in f.result(timeout=timeout * per_session + 60)]
        wall = time.perf_counter() - t0
    finally:
        stop.set()
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    lat = sorted(r.seconds for r in replies)
    summary = {
        "sessions": sessions, "requests": len(replies),
        "answered": sum(bool(r.answer.strip()) for r in replies),
        "correct": sum(r.correct for r in replies),
        "mixed_up": sum(not r.own_question for r in replies),
        "latency_p50_s": round(statistics.median(lat), 1),
        "latency_p95_s": round(lat[min(len(lat) - 1, int(0.95 * len(lat)))], 1),
        "wall_s": round(wall, 1), "server_rss_idle_mb": round(idle_mb), "server_rss_peak_mb": round(peak[0]),
    }
    click.echo("| " + " | ".join(summary) + " |")
    click.echo("|" + "---|" * len(summary))
    click.echo("| " + " | ".join(str(v) for v in summary.values()) + " |")
    for r in replies:
        if not r.correct or not r.own_question:
            click.echo(f"session {r.session}: {r.question} -> {r.answer[:80]!r}", err=True)
    if json_out:
        json_out.write_text(json.dumps({"summary": summary, "replies": [asdict(r) for r in replies]},
                                       ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
