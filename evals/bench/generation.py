"""Generation benchmark: our answering path vs a raw ``llama_cpp.Llama`` call on the same passages.

Both use the bundled Qwen2.5-Coder-1.5B Q4_K_M GGUF with the same threads and greedy
decoding, on real seed questions (evals/questions.jsonl, answerable, dev split). The raw
baseline is what a user gets by pasting the retrieved chunks and the question into one chat
message; ours is `Pipeline.stream` (fixed system prompt + examples reused from the KV
cache, passages focused to the sentences that match the question, verified citations).
Each variant answers one throw-away question first, so the figures are warm (model loaded,
fixed prefix cached), as in a running chat session.
"""
from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from .common import Say, Section, median, peak_rss_mb, section_main

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ROOT / "evals" / "questions.jsonl"
MAX_NEW_TOKENS = 256


@dataclass
class Run:
    """One variant's answers: per-question seconds to first token, decode tok/s, total."""

    name: str
    ttft: list[float] = field(default_factory=list)
    decode: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)
    prompt_tokens: list[int] = field(default_factory=list)
    correct: list[bool] = field(default_factory=list)
    eval_rate: list[float] = field(default_factory=list)  # llama.cpp's own decode counters

    def row(self) -> list:
        acc = sum(self.correct) / len(self.correct) if self.correct else None
        rate = median(self.eval_rate) if self.eval_rate else None
        return [self.name, len(self.total), round(median(self.prompt_tokens)), round(median(self.ttft), 2),
                round(median(self.decode), 1), None if rate is None else round(rate, 1),
                round(median(self.total), 2), None if acc is None else round(acc, 2)]


def _perf_reset(llm) -> None:
    import llama_cpp

    llama_cpp.llama_perf_context_reset(llm._ctx.ctx)


def _eval_rate(llm) -> float:
    """Decode tokens/s as llama.cpp counts them: one-token evaluations over their time. Unlike
    tokens / (end - first token), it is not biased by answer length (a 10-token answer
    spends a tenth of its decode time on the end-of-text step)."""
    import llama_cpp

    d = llama_cpp.llama_perf_context(llm._ctx.ctx)
    return d.n_eval / (d.t_eval_ms / 1000) if d.n_eval > 0 and d.t_eval_ms > 0 else float("nan")


def batch_costs(gguf: Path, threads: int, sizes=(1, 2, 4, 8), reps: int = 5) -> dict[int, float]:
    """Milliseconds for llama.cpp to evaluate a batch of n tokens after a 500-token prompt,
    every position's logits included (what verifying a prompt-lookup draft costs).
    Prompt lookup pays only when a batch of n costs well under n single steps."""
    import llama_cpp

    from rag.generate.llama import _llama_class, amx_build, plain_cpu_buffers

    with plain_cpu_buffers(amx_build()):  # as run_raw: no AMX kernels (they may segfault)
        llm = _llama_class(lookup=True)(model_path=str(gguf), n_ctx=2048, n_threads=threads,
                                        n_threads_batch=threads, n_batch=512, verbose=False)
    llm.verify_window = max(sizes) + 1  # logits for every position, as in verification
    text = "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").iterdir()) if p.is_file())
    tokens = llm.tokenize(text.encode(), add_bos=False)[: 500 + max(sizes)]
    llm.eval(tokens[:500])
    costs = {}
    for n in sizes:
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            llm.eval(tokens[500: 500 + n])
            llama_cpp.llama_synchronize(llm._ctx.ctx)  # llama_decode may return before the work ends
            times.append((time.perf_counter() - t) * 1000)
            llm.n_tokens = 500  # drop the batch again (eval removes KV entries past n_tokens)
        costs[n] = median(times)
    del llm
    return costs


def pick_questions(n: int) -> list[dict]:
    """The first n answerable, stand-alone Chinese dev questions (fixed, so runs compare)."""
    rows = [json.loads(x) for x in QUESTIONS.read_text(encoding="utf-8").splitlines() if x.strip()]
    keep = [r for r in rows if r.get("answerable", True) and not r.get("history")
            and r.get("split") == "dev" and r.get("type") != "english"]
    return keep[: n + 1]  # the first one is the warm-up


def _timed(pieces: Iterator[str], t0: float) -> tuple[str, float, float, float]:
    """(text, seconds to first piece, seconds after it, total seconds) of a stream."""
    first = None
    parts = []
    for p in pieces:
        first = first or time.perf_counter()
        parts.append(p)
    end = time.perf_counter()
    first = first or end
    return "".join(parts), first - t0, end - first, end - t0


def _decode_speed(n_tokens: int, seconds: float) -> float:
    return (n_tokens - 1) / seconds if n_tokens > 1 and seconds > 0 else float("nan")


def raw_prompt(question: str, texts: list[str]) -> list[dict]:
    """The baseline's plain prompt: whole chunks and the question in one message."""
    body = "\n\n".join(texts)
    return [{"role": "user", "content": f"资料：\n{body}\n\n问题：{question}\n请根据资料回答。"}]


def run_raw(gguf: Path, threads: int, items: list[tuple[dict, list[str]]], check: Callable) -> Run:
    from llama_cpp import Llama

    from rag.generate.llama import amx_build, plain_cpu_buffers

    # Raw, but not crashing: where llama.cpp was built with its AMX kernels, they segfault at
    # the first tile instruction on some machines (see rag/generate/llama.py); the baseline
    # loads its weights into plain CPU buffers as our generator does, or it measures nothing.
    with plain_cpu_buffers(amx_build()):
        llm = Llama(model_path=str(gguf), n_ctx=4096, n_threads=threads, n_threads_batch=threads, verbose=False)
    run = Run("raw llama_cpp.Llama, whole chunks")
    for i, (q, texts) in enumerate(items):
        messages = raw_prompt(q["question"], texts)
        _perf_reset(llm)
        t0 = time.perf_counter()
        stream = llm.create_chat_completion(messages, max_tokens=MAX_NEW_TOKENS, temperature=0.0, stream=True)
        count = [0]

        def pieces():
            for c in stream:
                piece = c["choices"][0]["delta"].get("content")
                if piece:
                    count[0] += 1
                    yield piece

        text, ttft, rest, total = _timed(pieces(), t0)
        if i == 0:
            continue  # warm-up
        # Each streamed piece is one generated token (or a few, for a character split
        # across tokens); re-tokenizing a degenerate reply ("——" x 200) undercounts.
        n = max(count[0], len(llm.tokenize(text.encode(), add_bos=False, special=False)))
        run.prompt_tokens.append(len(llm.tokenize(messages[0]["content"].encode(), add_bos=False)))
        run.ttft.append(ttft)
        run.decode.append(_decode_speed(n, rest))
        run.eval_rate.append(_eval_rate(llm))
        run.total.append(total)
        run.correct.append(check(q, text))
    del llm
    return run


def run_ours(pipeline, items: list[tuple[dict, list[str]]], check: Callable, name: str) -> Run:
    from rag.prompt import build_messages
    from rag.zh import question_language

    run = Run(name)
    llm = getattr(pipeline.generator, "llm", None)
    counted = llm is not None and not pipeline.config.lookup_tokens  # drafts count as evaluations
    for i, (q, _) in enumerate(items):
        if counted:
            _perf_reset(llm)
        answer = pipeline.ask(q["question"])
        if i == 0:
            continue
        t = answer.timings
        lang = question_language(q["question"])
        hits = answer.retrieved[: pipeline.config.top_k]
        messages, _ = build_messages(q["question"], hits, lang, pipeline.generator,
                                     pipeline.config.max_new_tokens, pipeline.config.focus_chars,
                                     pipeline.config.focus_rest_chars)
        run.prompt_tokens.append(pipeline.generator.count_tokens(messages[-1]["content"]))
        if t.first_token_ms is None:  # refused before generating: no generation figures
            run.correct.append(False)
            continue
        run.ttft.append(t.first_token_ms / 1000)
        run.decode.append(t.tokens_per_s or float("nan"))
        if counted:
            run.eval_rate.append(_eval_rate(llm))
        run.total.append(t.total_ms / 1000)
        run.correct.append(check(q, "" if answer.refused else answer.answer))
    return run


def _check(q: dict, text: str) -> bool:
    from evals.metrics import answer_correct, strip_markers

    return bool(text) and answer_correct(strip_markers(text), q.get("answers") or [], q.get("answer_parts"))


def _plot(runs: list[Run], out: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.2))
    names = [r.name for r in runs]
    ttft = [median(r.ttft) for r in runs]
    rest = [median(r.total) - median(r.ttft) for r in runs]
    ax.barh(names, ttft, label="to first token")
    ax.barh(names, rest, left=ttft, label="rest of the answer")
    ax.set_xlabel("seconds (median per question)")
    ax.invert_yaxis()
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Answer time, Qwen2.5-Coder-1.5B Q4_K_M, 2 threads")
    fig.savefig(out / "generation.png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return "generation.png"


def run(quick: bool, out: Path, say: Say) -> Section:
    from rag.models.bundled import ensure_bundled_gguf
    from rag.config import Config
    from rag.embed import load_embedder
    from rag.generate import load_generator
    from rag.models.hardware import default_threads
    from rag.index import update_index
    from rag.answer import Pipeline
    from rag.retrieve import Retriever

    n = 3 if quick else 10
    config = Config()
    threads = default_threads()
    embedder = load_embedder(config)
    with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp:
        say("generation: indexing seeds/")
        update_index(Path(tmp), [ROOT / "seeds"], config, embedder)
        retriever = Retriever.open(Path(tmp), embedder, config)
        questions = pick_questions(n)
        # The raw baseline gets the same top-k chunks our pipeline retrieves, whole.
        items = [(q, [h.chunk.text for h in retriever.search(q["question"], config.top_k, config.mode).hits])
                 for q in questions]
        say(f"generation: raw baseline on {n} questions")
        raw = run_raw(ensure_bundled_gguf(), threads, items, _check)
        runs = [raw]
        variants = [("ours (default: fixed prefix, focused passages)", config)]
        if not quick:
            variants += [("ours, whole chunks (focus off)", config.with_(focus_chars=0, focus_rest_chars=0)),
                         ("ours + prompt lookup (3 draft tokens)", config.with_(lookup_tokens=3))]
        for name, cfg in variants:
            say(f"generation: {name}")
            runs.append(run_ours(Pipeline(retriever, load_generator(cfg), cfg), items, _check, name))
    say("generation: cost of a batch of n tokens (prompt-lookup verification)")
    costs = batch_costs(ensure_bundled_gguf(), threads)
    ours = runs[1]
    figures = {
        "ttft_s": round(median(ours.ttft), 2),
        "raw_ttft_s": round(median(raw.ttft), 2),
        "decode_tok_s": round(median(ours.decode), 1),
        "raw_decode_tok_s": round(median(raw.decode), 1),
        # llama.cpp's own decode counters: the wall-clock rate of a few-token answer is
        # dominated by its end-of-text step (both columns are in the table).
        "decode_llama_tok_s": round(median(ours.eval_rate), 1),
        "raw_decode_llama_tok_s": round(median(raw.eval_rate), 1),
        "decode_speedup_vs_raw": round(median(ours.eval_rate) / median(raw.eval_rate), 2),
        **{f"batch_{n}_tokens_ms": round(ms, 1) for n, ms in costs.items()},
        "answer_total_s": round(median(ours.total), 2),
        "raw_answer_total_s": round(median(raw.total), 2),
        "generation_peak_rss_mb": round(peak_rss_mb()),
    }
    note = (f"{n} answerable seed questions (dev split), warm (one warm-up question first), "
            f"{threads} threads, greedy, at most {MAX_NEW_TOKENS} new tokens. Times are medians "
            "per question; 'prompt tokens' is the per-question part of the prompt (ours also "
            "sends a fixed system prompt + examples, reused from llama.cpp's KV cache). "
            "'first token' for ours includes retrieval. Accuracy: an acceptable answer occurs "
            "in the reply (our refusals count as wrong). 'decode tok/s' is tokens after the first "
            "over the time after the first; 'llama.cpp decode tok/s' is llama.cpp's own count of "
            "one-token evaluations over their time (not shown for prompt lookup, whose "
            "evaluations include rejected draft tokens).\n\nWhy decode is not faster: a batch of "
            "n tokens, every position's logits included (what checking an n-1 token draft "
            "costs), took " + ", ".join(f"{ms:.0f} ms for {n}" for n, ms in costs.items()) +
            " on this machine, so a draft pays only if nearly all of it is accepted; and "
            "decode runs at the same speed for Q4_0 or IQ4_NL re-quantisations of the model "
            "(measured in the #8 note). Our answers are a few tokens long, so the levers that "
            "count are the shorter prompt and the fixed-prefix KV cache: first token and "
            "whole answer.")
    return Section(
        name="generation", title="Generation: time to first token and decode speed vs raw llama.cpp",
        note=note,
        headers=["variant", "questions", "prompt tokens", "first token s", "decode tok/s",
                 "llama.cpp decode tok/s", "answer s", "accuracy"],
        rows=[r.row() for r in runs], figures=figures, plot=_plot(runs, out))


def main() -> None:
    section_main(run)


if __name__ == "__main__":
    main()
