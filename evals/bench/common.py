"""Shared record for benchmark sections: each stage measures itself and returns one Section."""
from __future__ import annotations

import resource
import statistics
from dataclasses import dataclass, field
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
