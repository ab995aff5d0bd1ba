"""A bounded local load test of `rag serve`: concurrent chat sessions, loopback only.

    .venv/bin/python -m evals.load_test [--sessions 8] [--questions 2] [--index DIR]
    .venv/bin/python -m evals.load_test --sessions 2 --api-clients 8 --duration 120

Starts the real server on a free 127.0.0.1 port, opens one Gradio client session per
browser user and (``--api-clients``) HTTP API clients on /v1/chat/completions, and has each
ask its own questions (seed questions with a known answer) at the same time; with
``--duration`` every client keeps asking until the time is up. Checks that each reply
belongs to the question that client asked (no answers mixed between clients) and contains
the expected answer; an API client told 429 waits its Retry-After and asks again (counted).
Samples the server's memory every second; stops the server at the end. Every wait is bounded.
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
    session: int  # browser sessions count from 0, API clients from 100
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


def _session(url: str, i: int, todo: list[tuple[str, list[str]]], timeout: float, until: float = 0) -> list[Reply]:
    from gradio_client import Client

    client = Client(url, verbose=False)
    out = []
    rounds = [todo] if not until else iter(lambda: todo, None)
    for question, expected in (q for batch in rounds for q in batch):
        if until and time.time() > until:
            break
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


def _api_client(url: str, i: int, todo: list[tuple[str, list[str]]], timeout: float, until: float,
                busy: list[int]) -> list[Reply]:
    """One program on the OpenAI-compatible API, asking its questions in turn."""
    import urllib.error

    out, n = [], 0
    while True:
        question, expected = todo[n % len(todo)]
        n += 1
        t0 = time.perf_counter()
        body = json.dumps({"model": "default", "messages": [{"role": "user", "content": question}]}).encode()
        req = urllib.request.Request(url + "v1/chat/completions", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                data = json.load(r)
        except urllib.error.HTTPError as e:
            if e.code != 429:
                raise
            busy[0] += 1
            time.sleep(min(float(e.headers.get("Retry-After") or 5), 10))
            n -= 1  # the same question again
            if time.time() > until:
                return out
            continue
        text = data["choices"][0]["message"]["content"]
        out.append(Reply(100 + i, question, expected, text, time.perf_counter() - t0,
                         own_question=data.get("question") == question,
                         correct=any(_norm(a) in _norm(text) for a in expected)))
        if time.time() > until or (until == 0 and n >= len(todo)):
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
@click.option("--api-clients", default=0, show_default=True, type=click.IntRange(0, 64),
              help="Programs on the HTTP API (/v1/chat/completions) besides the browser sessions.")
@click.option("--duration", default=0.0, show_default=True,
              help="Seconds every client keeps asking (0: each asks its questions once).")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the figures as JSON.")
def main(sessions, per_session, index_dir, timeout, api_clients, duration, json_out):
    todo = _questions((sessions + api_clients) * per_session)
    busy = [0]
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    env = dict(os.environ)
    if index_dir:
        env["RAG_INDEX"] = str(index_dir)
    server = subprocess.Popen([sys.executable, "-m", "rag.cli", "serve", "--port", str(port)], cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0.0]
    t0 = time.perf_counter()
    stop = threading.Event()

    samples: list[tuple[float, float]] = []  # (seconds since start, MB): is memory flat?

    def sample():
        while not stop.wait(1.0):
            samples.append((time.perf_counter() - t0, _rss_mb(server.pid)))
            peak[0] = max(peak[0], samples[-1][1])

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
        t0 = time.perf_counter()
        threading.Thread(target=sample, daemon=True).start()
        until = time.time() + duration if duration else 0
        bound = (duration or timeout * per_session) + timeout + 60
        with ThreadPoolExecutor(sessions + api_clients) as pool:
            futures = [pool.submit(_session, url, i, todo[i * per_session:(i + 1) * per_session], timeout, until)
                       for i in range(sessions)]
            futures += [pool.submit(_api_client, url, i, todo[(sessions + i) * per_session:(sessions + i + 1) * per_session],
                                    timeout, until, busy) for i in range(api_clients)]
            replies = [r for f in futures for r in f.result(timeout=bound)]
            mid_mb = _rss_mb(server.pid)
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
        "sessions": sessions, "api_clients": api_clients, "requests": len(replies), "told_429": busy[0],
        "answered": sum(bool(r.answer.strip()) for r in replies),
        "correct": sum(r.correct for r in replies),
        "mixed_up": sum(not r.own_question for r in replies),
        "latency_p50_s": round(statistics.median(lat), 1),
        "latency_p95_s": round(lat[min(len(lat) - 1, int(0.95 * len(lat)))], 1),
        "wall_s": round(wall, 1), "server_rss_idle_mb": round(idle_mb), "server_rss_peak_mb": round(peak[0]),
        # after the first quarter (every allocation made once) and at the end: flat means equal
        "server_rss_q1_mb": round(next((mb for t, mb in samples if t >= wall / 4), mid_mb)),
        "server_rss_end_mb": round(mid_mb),
    }
    click.echo("| " + " | ".join(summary) + " |")
    click.echo("|" + "---|" * len(summary))
    click.echo("| " + " | ".join(str(v) for v in summary.values()) + " |")
    for r in replies:
        if not r.correct or not r.own_question:
            click.echo(f"session {r.session}: {r.question} -> {r.answer[:80]!r}", err=True)
    if json_out:
        json_out.write_text(json.dumps({"summary": summary, "replies": [asdict(r) for r in replies],
                                        "rss_mb": [(round(t, 1), round(mb)) for t, mb in samples]},
                                       ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
