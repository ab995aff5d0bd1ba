"""Progress from deep inside a stage (a page being OCR'd) to whoever started the run (the
web app's upload bar), without passing a callback through every parser in between.

The caller sets a sink for the duration of its run (``reporting``); code that does slow
work one unit at a time calls ``say``. Context variables keep two runs in two threads apart.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator

Sink = Callable[[str], None]
_SINK: ContextVar[Sink | None] = ContextVar("rag_progress", default=None)


@contextmanager
def reporting(sink: Sink | None) -> Iterator[None]:
    token = _SINK.set(sink)
    try:
        yield
    finally:
        _SINK.reset(token)


def say(message: str) -> None:
    sink = _SINK.get()
    if sink is not None:
        sink(message)
