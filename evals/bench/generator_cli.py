"""`python -m evals.bench.generator_cli [generator]`: a quick look at one generator.

Load time, time to first token and decode speed on a ~500-token Chinese prompt, asked
twice with the same system prompt (the second reuses llama.cpp's KV prefix) and once with
a changed one (cold). For comparing backends or settings by hand in seconds; the full,
recorded measurement is the "generation" section of `rag bench`. It lives here, not in
rag/, because the product never imports evaluation code.
"""
from __future__ import annotations

import argparse

from rag.config import BUNDLED, Config
from rag.generate import Generator, load_generator
from rag.models.hardware import default_threads

_BENCH_PASSAGE = ("北京是中华人民共和国的首都，也是全国的政治中心、文化中心、国际交往中心和科技创新中心。"
                  "北京历史悠久，有三千多年的建城史和八百多年的建都史，拥有故宫、长城、天坛等世界文化遗产。")


def _timed_call(gen: Generator, messages: list[dict], max_new_tokens: int) -> tuple[float, float, int]:
    """(seconds to first piece, seconds for the rest, generated tokens)."""
    import time

    t0 = time.perf_counter()
    first = None
    pieces = []
    for piece in gen.stream(messages, max_new_tokens=max_new_tokens):
        first = first or time.perf_counter()
        pieces.append(piece)
    end = time.perf_counter()
    return (first or end) - t0, end - (first or end), gen.count_tokens("".join(pieces))


def _bench(value: str = BUNDLED, max_new_tokens: int = 64) -> None:
    """Load time, time to first token and decode speed for a ~500-token Chinese prompt, then
    the same long system prompt with another question (llama.cpp reuses the KV prefix)."""
    import time

    t0 = time.perf_counter()
    gen = load_generator(Config.from_env().with_(generator=value))
    print(f"generator {gen.name}: loaded in {time.perf_counter() - t0:.1f} s, threads={default_threads()}")
    system = "只根据下面的资料用中文回答。\n" + "\n".join(f"[{i}] {_BENCH_PASSAGE}" for i in range(1, 10))
    # Questions that need a few sentences, so the decode speed is measured over many tokens.
    prompts = [("same system, question A", system, "请用三句话介绍北京的历史。"),
               ("same system, question B", system, "请用三句话介绍北京的世界文化遗产。"),
               ("changed system (cold) ", "请" + system, "请用三句话介绍北京的历史。")]
    for label, sys_text, question in prompts:
        messages = [{"role": "system", "content": sys_text}, {"role": "user", "content": question}]
        ttft, rest, n = _timed_call(gen, messages, max_new_tokens)
        speed = (n - 1) / rest if rest > 0 and n > 1 else float("nan")
        print(f"{label}: prompt ~{gen.count_tokens(sys_text + question)} tokens, "
              f"first token {ttft:.2f} s, {n} tokens at {speed:.1f} tok/s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m evals.bench.generator_cli",
                                     description="Load time, time to first token and decode speed of one generator.")
    parser.add_argument("generator", nargs="?", default=BUNDLED,
                        help="what RAG_GENERATOR accepts: 'bundled' (default), a .gguf file, "
                             "a Hugging Face model folder or an http(s):// URL")
    _bench(parser.parse_args(argv).generator)


if __name__ == "__main__":
    main()
