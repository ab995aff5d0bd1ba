"""Does indexing slow the generator down afterwards, in the same process?

    python -m evals.bench.decode_after_index openvino|torch

The web app and `rag serve` index an upload and then answer with llama.cpp in one process.
A thread pool left behind by the embedder competes with llama.cpp's decode threads (torch's
did: see README, "decode"). Prints the bundled generator's decode speed (streamed pieces per
second, 96 of them, on one fixed prompt) twice before and twice after embedding 256 CMRC2018
chunks as passages with the runtime named (``RAG_EMBED_RUNTIME``).
"""
from __future__ import annotations

import sys
import time


def main() -> None:
    from rag import offline

    offline.enable()
    from rag.config import Config
    from rag.embed import load_embedder
    from rag.generate import load_generator
    from rag.chunk import embed_text

    from .corpus import corpus_chunks

    runtime = sys.argv[1] if len(sys.argv) > 1 else "auto"
    config = Config(embed_runtime=runtime)
    gen = load_generator(config)
    messages = [{"role": "system", "content": "你是一个助手。"},
                {"role": "user", "content": "请用三百字介绍一下长江的地理特点和历史意义。"}]

    def decode(tag: str) -> None:
        first, n = None, 0
        for _ in gen.stream(messages, max_new_tokens=96):
            first = first or time.perf_counter()
            n += 1
        print(f"{runtime} {tag}: decode {(n - 1) / (time.perf_counter() - first):.1f} pieces/s", flush=True)

    decode("before")
    decode("before, again")
    texts = [embed_text(c) for c in corpus_chunks(256, config)]
    t0 = time.perf_counter()
    load_embedder(config).embed_passages(texts)
    print(f"{runtime}: 256 chunks embedded in {time.perf_counter() - t0:.1f} s", flush=True)
    decode("after")
    time.sleep(2)
    decode("after, 2 s later")


if __name__ == "__main__":
    main()
