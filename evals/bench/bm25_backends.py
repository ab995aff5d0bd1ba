"""bm25s's scoring backends on one synthetic corpus: numpy (rag's) against numba.

    python -m evals.bench.bm25_backends [N_DOCS]     # default 1,000,000; needs `pip install numba`

Prints p50/p95 per query over 100 real CMRC2018 questions for each backend, the first
numba query (its compile time in a new process), and whether both return the same scores
at every rank. Evidence for evals/RESULTS.md ("The default store at 1,000,000 chunks").
"""
from __future__ import annotations

import sys
import time

import numpy as np


def main() -> None:
    from . import synth
    from .common import pct
    from .corpus import questions

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    index = synth.synthetic_bm25(n)
    qs = questions(100)

    def run(label: str) -> list:
        t0 = time.perf_counter()
        index.search(qs[0], 50)
        first = (time.perf_counter() - t0) * 1000
        times, results = [], []
        for q in qs:
            t0 = time.perf_counter()
            results.append(index.search(q, 50))
            times.append((time.perf_counter() - t0) * 1000)
        print(f"{label}: first query {first:.1f} ms, p50 {pct(times, 50):.2f} ms, p95 {pct(times, 95):.2f} ms "
              f"({n:,} documents)")
        return results

    numpy_results = run("numpy")
    try:
        import numba  # noqa: F401
    except ImportError:
        print("numba: not installed (pip install numba)")
        return
    index.model.backend = "numba"
    numba_results = run("numba")
    same = all(np.allclose(a[1], b[1]) for a, b in zip(numpy_results, numba_results))
    print(f"same scores at every rank: {same}")


if __name__ == "__main__":
    main()
