"""Small matplotlib helpers for the section plots (Agg backend: no display needed)."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


Series = dict[str, list[tuple[float, float]]]  # label -> [(x, y), ...]


def lines(ax, series: Series, xlabel: str, ylabel: str, title: str, log_x: bool = True,
          log_y: bool = False, hline: tuple[float, str] | None = None,
          colors: dict[str, str] | None = None) -> None:
    for label, points in series.items():
        if points:
            xs, ys = zip(*sorted(points))
            ax.plot(xs, ys, marker="o", label=label, color=(colors or {}).get(label))
    if hline:
        ax.axhline(hline[0], color="grey", linestyle="--", linewidth=1, label=hline[1])
    if log_x:
        ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)


def two_panels(path: Path, left: dict, right: dict, suptitle: str) -> None:
    """Two `lines` panels side by side (keyword dicts for `lines`)."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    lines(axes[0], **left)
    lines(axes[1], **right)
    fig.suptitle(suptitle, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def bars(path: Path, labels: Sequence[str], stacks: dict[str, Sequence[float]], ylabel: str, title: str) -> None:
    """Stacked bars: one bar per label, one colour per stack component."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    bottom = [0.0] * len(labels)
    for name, values in stacks.items():
        ax.bar(labels, values, bottom=bottom, label=name)
        bottom = [b + v for b, v in zip(bottom, values)]
    for x, total in enumerate(bottom):
        ax.text(x, total, f"{total:.1f}", ha="center", va="bottom", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
