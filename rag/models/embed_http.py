"""Embeddings from a server: ``RAG_EMBEDDER=http://host:port`` speaks the OpenAI
``/v1/embeddings`` protocol (Text Embeddings Inference, vLLM, Infinity, Ollama and `rag
serve` itself serve it).

A team indexing millions of chunks embeds on a GPU box instead of the laptop's 2 cores;
several requests run at once (``embed_concurrency``) so the server's batching stays busy.
Our prefixes are applied here, as for a local model: the server sees ``passage: …`` and
``query: …`` for an e5 model, whatever it does itself.

The index records the embedder as ``http:<model>`` with a checksum of the model name and
the vectors' dimension: the server's address may change (a new host, a load balancer),
its model may not. A server that swaps weights under the same model name cannot be told
apart; give such a model a new name.
"""
from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

import numpy as np

from ..errors import ModelError

RETRIES = 4  # attempts per request: connection errors, 429 and 5xx are retried
BACKOFF_S = 0.5  # first wait; doubled each time (0.5, 1, 2 s: a restarting server gets ~4 s)
TIMEOUT_S = 120.0  # one request of a full batch on a busy CPU server


def endpoint(url: str) -> str:
    """``http://h:8080``, ``http://h:8080/v1`` or the full path -> the embeddings URL."""
    url = url.rstrip("/")
    if url.endswith("/embeddings"):
        return url
    return url + ("/embeddings" if url.endswith("/v1") else "/v1/embeddings")


class HttpEmbedder:
    def __init__(self, url: str, model: str, api_key: str = "", query_prefix: str = "", passage_prefix: str = "",
                 batch_size: int = 32, concurrency: int = 4):
        self.url = endpoint(url)
        self.model = model
        self.api_key = api_key
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = max(1, batch_size)
        self.concurrency = max(1, concurrency)
        self.name = f"http:{model or 'default'}"
        self.dim = int(self._post(["dimension probe"]).shape[1])
        self.checksum = hashlib.sha256(f"{self.name}/{self.dim}".encode()).hexdigest()[:16]

    def _post(self, texts: list[str]) -> np.ndarray:
        body = json.dumps({"model": self.model, "input": texts, "encoding_format": "float"}).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        wait, last = BACKOFF_S, ""
        for attempt in range(RETRIES):
            try:
                req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
                with urllib.request.urlopen(req, timeout=TIMEOUT_S) as r:
                    return self._vectors(json.loads(r.read()), len(texts))
            except urllib.error.HTTPError as e:
                last = f"HTTP {e.code}: {e.read()[:200].decode(errors='replace').strip()}"
                if e.code != 429 and e.code < 500:
                    break  # a bad request or a wrong key does not get better by asking again
            except (urllib.error.URLError, OSError, TimeoutError) as e:
                last = str(getattr(e, "reason", e))
            except (ValueError, KeyError, TypeError) as e:
                raise ModelError(f"the embedding server at {self.url} answered something that is not "
                                 f"an embeddings response ({e})", "check RAG_EMBEDDER") from None
            if attempt < RETRIES - 1:
                time.sleep(wait)
                wait *= 2
        raise ModelError(f"embedding server at {self.url} failed: {last}",
                         "start it, or check RAG_EMBEDDER / RAG_EMBEDDER_API_KEY")

    @staticmethod
    def _vectors(reply: dict, n: int) -> np.ndarray:
        rows = sorted(reply["data"], key=lambda d: d["index"])
        if len(rows) != n:
            raise ValueError(f"{len(rows)} vectors for {n} texts")
        v = np.asarray([r["embedding"] for r in rows], dtype=np.float32)
        # normalised here: servers differ in whether they do, and the index uses inner products
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)

    def _embed(self, texts: Sequence[str], progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        batches = [list(texts[i:i + self.batch_size]) for i in range(0, len(texts), self.batch_size)]
        if len(batches) == 1:
            return self._post(batches[0])
        with ThreadPoolExecutor(self.concurrency) as pool:
            results = pool.map(self._post, batches)
            if progress:
                from tqdm import tqdm

                results = tqdm(results, total=len(batches), desc="embed", unit="batch", leave=False)
            return np.ascontiguousarray(np.concatenate(list(results)), dtype=np.float32)

    def embed_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self._embed([self.passage_prefix + t for t in texts], progress)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed([self.query_prefix + t for t in texts], False)
