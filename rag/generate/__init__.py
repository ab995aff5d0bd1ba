"""Generate stage: chat messages -> streamed answer text, behind one small interface.

Backends, chosen by ``Config.generator`` (see ``registry``):

* ``"bundled"``            -> the bundled Qwen2.5-Coder-1.5B GGUF (rag.models.bundled), llama-cpp-python
* ``/path/model.gguf``     -> that GGUF, llama-cpp-python (``llama``)
* ``/path/model-folder``   -> a Hugging Face model folder, transformers (offline only) (``hf``)
* ``http(s)://host[:port]`` -> an OpenAI-compatible server (``/v1/chat/completions``, SSE) (``openai``)

Heavy libraries (llama_cpp, torch, transformers) are imported only when a backend is
loaded, so ``import rag.generate`` stays instant. Cancelling: stop iterating (``break``, or
``close()`` the iterator) and generation stops after the current token; the next call works.

Callers look ``load_generator`` up on this package at call time (``from .generate import
load_generator`` inside the function, or ``generate.load_generator``), so tests can replace
it with ``monkeypatch.setattr("rag.generate.load_generator", ...)``.
"""
from __future__ import annotations

from .base import ACCEPTED, Generator, Streamer, cut_at_loop, cut_at_stops, run_exclusive, stream_prepared
from .hf import TransformersGenerator
from .llama import STATE_CACHE_BYTES, LlamaCppGenerator
from .openai import OpenAIGenerator, chat_url, estimate_tokens
from .registry import load_generator, register

__all__ = ["ACCEPTED", "Generator", "LlamaCppGenerator", "OpenAIGenerator", "STATE_CACHE_BYTES",
           "TransformersGenerator", "chat_url", "cut_at_loop", "cut_at_stops", "estimate_tokens", "load_generator",
           "register", "run_exclusive", "Streamer", "stream_prepared"]
