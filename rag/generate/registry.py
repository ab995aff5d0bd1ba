"""Choosing and caching the generator: ``Config.generator`` -> a loaded backend.

Each backend is registered as a kind with a test on the RAG_GENERATOR value and a factory,
tried in registration order, so a new backend is one ``register`` call instead of another
branch in ``_build``. Order matters: a URL is never a file, and a value ending in .gguf is
a GGUF (reported missing) even if a folder of that name exists.

Loading costs seconds and memory, so each generator is built once per process per settings,
under a lock: two first requests at once must not load the model twice.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..config import BUNDLED
from ..errors import ModelError
from .base import ACCEPTED, Generator
from .hf import TransformersGenerator
from .llama import LlamaCppGenerator
from .openai import OpenAIGenerator

if TYPE_CHECKING:
    from ..config import Config

Accepts = Callable[[str], bool]  # does this (stripped, non-empty) value name the backend?
Factory = Callable[[str, "Config"], Generator]  # (value, config) -> the loaded generator

_BACKENDS: dict[str, tuple[Accepts, Factory]] = {}  # kind -> (accepts, factory), in order


def register(kind: str, accepts: Accepts, factory: Factory) -> None:
    """Add (or replace) the backend ``kind``: values ``accepts`` are built by ``factory``.
    A new kind is tried after the ones registered before it."""
    _BACKENDS[kind] = (accepts, factory)


def _build(config: "Config") -> Generator:
    value = config.generator.strip()
    if not value:
        raise ModelError("no generator configured", f"set RAG_GENERATOR to {ACCEPTED}")
    for accepts, factory in _BACKENDS.values():
        if accepts(value):
            return factory(value, config)
    raise ModelError(f"unknown generator {value!r} (not a .gguf file, model folder or URL)",
                     f"set RAG_GENERATOR to {ACCEPTED}")


_GENERATORS: dict[tuple, Generator] = {}
_LOAD_LOCK = threading.Lock()  # two first requests at once must not load the model twice


def load_generator(config: "Config") -> Generator:
    """The generator the config names, loaded lazily and once per process per settings."""
    key = (config.generator, config.n_ctx, config.threads, config.temperature, config.lookup_tokens,
           config.generator_model, config.generator_api_key)
    with _LOAD_LOCK:
        if key not in _GENERATORS:
            _GENERATORS[key] = _build(config)
        return _GENERATORS[key]


# --- the built-in backends --------------------------------------------------------------

def _bundled(value: str, config: "Config") -> Generator:
    from ..models.bundled import GGUF_NAME, ensure_bundled_gguf

    return LlamaCppGenerator(ensure_bundled_gguf(), f"bundled:{GGUF_NAME.removesuffix('.gguf')}",
                             config.n_ctx, config.threads, config.temperature, config.lookup_tokens)


def _openai(value: str, config: "Config") -> Generator:
    return OpenAIGenerator(value, config.n_ctx, config.temperature,
                           config.generator_model, config.generator_api_key)


def _gguf(value: str, config: "Config") -> Generator:
    path = Path(value).expanduser()
    if not path.is_file():
        raise ModelError(f"GGUF file not found: {path}", f"set RAG_GENERATOR to {ACCEPTED}")
    return LlamaCppGenerator(path, str(path.resolve()), config.n_ctx, config.threads, config.temperature,
                             config.lookup_tokens)


def _folder(value: str, config: "Config") -> Generator:
    return TransformersGenerator(Path(value).expanduser(), config.n_ctx, config.threads, config.temperature)


register("bundled", lambda value: value == BUNDLED, _bundled)
register("openai", lambda value: value.startswith(("http://", "https://")), _openai)
register("gguf", lambda value: value.lower().endswith(".gguf"), _gguf)
register("transformers", lambda value: Path(value).expanduser().is_dir(), _folder)
