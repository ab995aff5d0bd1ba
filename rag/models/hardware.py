"""How many threads the models get, and how to keep thread pools from fighting.

One home for CPU facts, so the embedders (torch, ONNX Runtime) and the generators
(llama.cpp, transformers) size their pools the same way."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path


def default_threads() -> int:
    """Physical cores this process may use. Hyper-threads do not speed up llama.cpp's
    matrix work (they share the core's SIMD units) and oversubscription slows it down."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return max(1, (os.cpu_count() or 2) // 2)
    cores = set()
    for cpu in cpus:
        topo = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
        try:
            cores.add((topo.joinpath("physical_package_id").read_text().strip(),
                       topo.joinpath("core_id").read_text().strip()))
        except OSError:
            return len(cpus)  # no topology info (some containers): count logical CPUs
    return max(1, len(cores))


@contextlib.contextmanager
def torch_threads(n: int):
    """torch limited to ``n`` intra-op threads inside the block, restored after it."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
