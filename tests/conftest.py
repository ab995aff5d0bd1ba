"""Shared fixtures: a deterministic fake embedder and fake generator, so unit tests run in
milliseconds; integration tests (marked) use the real bundled models."""
from __future__ import annotations

import hashlib
import os
import random
import re
import shutil
import socket
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import pytest

import rag.config

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SHARED = REPO.parent / "shared"


# Tests embed passages in float32 whatever the CPU, so an index built by a fixture, by the
# test itself or by a `rag` child process is built alike on every machine: the environment
# for children, the CPU check for Config() made in this process. The "auto" choice has its
# own tests (test_embed_backend.py), and bf16 its integration test with the real model.
os.environ["RAG_EMBED_PRECISION"] = "fp32"
rag.config.bf16_units = lambda: False


class FakeEmbedder:
    """Hashes character unigrams and bigrams into a fixed-size vector: texts that share
    characters get similar vectors, so retrieval behaves plausibly, deterministically."""

    name = "fake:char-ngrams"
    dim = 256
    checksum = "fake0001"

    def _one(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        t = re.sub(r"\s+", "", text.lower())
        grams = list(t) + [t[i : i + 2] for i in range(len(t) - 1)]
        for g in grams:
            h = int.from_bytes(hashlib.md5(g.encode()).digest()[:4], "little")
            v[h % self.dim] += 1.0 if len(g) == 2 else 0.3
        n = np.linalg.norm(v)
        return v / n if n else v

    def embed_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_passages(texts)


class FakeGenerator:
    """Streams a scripted reply. ``script(messages) -> str``; the default answers with the
    first sentence of passage [1] and cites it, or refuses when there is no passage."""

    name = "fake:scripted"
    n_ctx = 4096

    def __init__(self, script: Callable[[list[dict]], str] | None = None):
        self.script = script or self._default
        self.calls: list[list[dict]] = []

    @staticmethod
    def _default(messages: list[dict]) -> str:
        prompt = messages[-1]["content"]
        m = re.search(r"\[1\][^\n]*\n(.+)", prompt)
        if not m:
            return "根据现有资料无法回答该问题。"
        first = re.split(r"(?<=[。！？!?])", m.group(1).strip())[0]
        return f"{first}[1]"

    def stream(self, messages: list[dict], *, max_new_tokens: int = 256,
               stop: list[str] | None = None) -> Iterator[str]:
        self.calls.append(messages)
        text = self.script(messages)
        for i in range(0, len(text), 3):
            yield text[i : i + 3]

    def count_tokens(self, text: str) -> int:
        return len(text)


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def fake_generator() -> FakeGenerator:
    return FakeGenerator()


@pytest.fixture
def seeds_dir(tmp_path: Path) -> Path:
    """A private copy of the seed documents (tests write only to tmp_path)."""
    d = tmp_path / "seeds"
    shutil.copytree(SEEDS, d)
    return d


def repository_questions(without: tuple[str, ...] = ()) -> list[str]:
    """Every question of the repository's sets (the seed questions and evals/sets/*), but
    those of the sets named in ``without``: the questions users were found to type."""
    import json

    root = Path(__file__).resolve().parents[1] / "evals"
    files = [root / "questions.jsonl"] + sorted(p for p in (root / "sets").glob("*/questions.jsonl")
                                                 if p.parent.name not in without)
    return [json.loads(line)["question"] for f in files for line in f.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def fake_pipeline(root: Path, docs: dict[str, str], embedder, generator):
    """A pipeline over ``docs`` (file name -> text), indexed under ``root`` with ``embedder``
    and answering with ``generator`` (the fakes above, for unit tests)."""
    from rag.answer import Pipeline
    from rag.index import update_index
    from rag.retrieve import Retriever

    (root / "docs").mkdir()
    for name, text in docs.items():
        (root / "docs" / name).write_text(text, encoding="utf-8")
    update_index(root / "idx", [root / "docs"], rag.config.Config(), embedder)
    return Pipeline(Retriever.open(root / "idx", embedder, rag.config.Config()), generator, rag.config.Config())


def real_pipeline(root: Path, docs: dict[str, str], wrap: Callable = lambda generator: generator):
    """A pipeline on the real bundled models over ``docs`` (file name -> text), indexed under
    ``root``; ``wrap`` may wrap the generator (to watch the prompts it is given)."""
    from rag.answer import Pipeline
    from rag.embed import load_embedder
    from rag.generate import load_generator
    from rag.index import update_index
    from rag.retrieve import Retriever

    (root / "docs").mkdir()
    for name, text in docs.items():
        (root / "docs" / name).write_text(text, encoding="utf-8")
    config = rag.config.Config()
    embedder = load_embedder(config)
    update_index(root / "idx", [root / "docs"], config, embedder)
    return Pipeline(Retriever.open(root / "idx", embedder, config), wrap(load_generator(config)), config)


@pytest.fixture(params=["folder", "milvus"])
def any_store(request, monkeypatch) -> str:
    """Runs a test once on each store: the index folder (FAISS + bm25s) and embedded Milvus
    Lite (a milvus.db in the test's index folder). Code under test reads it through
    ``Config.from_env()`` (RAG_STORE) or the ``store`` value returned here."""
    monkeypatch.setenv("RAG_STORE", request.param)
    yield request.param
    from rag.store_milvus import close_all

    close_all()  # each test's Milvus Lite file is its own; do not keep them open


def send_json(handler, code: int, body: dict) -> None:
    """Answer an http.server request with ``body`` as JSON (the loopback test servers)."""
    import json

    data = json.dumps(body).encode()
    handler.send_response(code)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def _ephemeral_range() -> tuple[int, int]:
    try:
        lo, hi = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(lo), int(hi)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def free_port() -> int:
    """A loopback port for a server a test starts in another process. Not one the kernel
    hands out itself (port 0): between this call and the server's bind, any outgoing
    connection (a gRPC client, the test's own requests) may be given that very port, and
    the server then fails to bind (a replica exited with 1 in CI so). Below the ephemeral
    range only another explicit bind can collide."""
    lo, _ = _ephemeral_range()
    for _ in range(200):
        port = random.randint(max(1024, lo - 12000), lo - 1)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port below the ephemeral range")
