"""The llama-cpp-python backend: a GGUF model (the bundled one by default) on the CPU.

Loading costs seconds and ~1.2 GB, so each model is loaded once per process and shared,
behind the lock that guards its (not thread-safe) context; the ``Llama`` subclass keeps
the KV cache of several prompt prefixes, which is what makes the fixed prompts cheap.
llama_cpp is imported only when a model is loaded.
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import ModelError
from ..models.hardware import default_threads
from .base import _first_line, free_at_exit, run_exclusive

_LLAMAS: dict[tuple, tuple[object, threading.Lock]] = {}


def _free_llamas() -> None:
    """Called at exit once the generation threads have stopped (``base.free_at_exit``)."""
    # Free the models while llama_cpp's bindings still exist: left to the garbage collector
    # at interpreter teardown, Llama.__del__ fails with "'NoneType' object is not callable".
    for llm, _ in list(_LLAMAS.values()):
        getattr(llm, "close", lambda: None)()
    _LLAMAS.clear()


free_at_exit(_free_llamas)


# Saved prompt states kept per model (bytes of llama.cpp state; ~28 KB per token for the
# bundled model): enough for the fixed prompt prefixes in use (answer in each language and
# script, question translation both ways, answer rewrite both ways).
STATE_CACHE_BYTES = 256 << 20


def _prefix_cache(capacity: int):
    """llama-cpp-python's RAM cache, holding only the fixed prefixes ``prepare`` keeps and
    restoring one only when it is a whole prefix of the prompt.

    Why: an answer must not depend on what was asked before it. llama-cpp-python reuses the
    KV cache of the previous prompt up to where the two differ, and saves the state after
    every completion for later prompts to start from; so the same prompt was evaluated from
    a different point, in differently cut batches, depending on the questions before it --
    float sums in another order, and a greedy answer that flipped ("…无收益水的比例降到21%"
    or "…14%" for one question, asked after different ones). Now every prompt starts from
    its own fixed prefix, or from nothing."""
    from llama_cpp import LlamaRAMCache

    class PreparedPrefixes(LlamaRAMCache):
        def keep(self, key, state) -> None:
            super().__setitem__(key, state)

        def __setitem__(self, key, value) -> None:
            pass  # the state after each completion: not a start for a later prompt

        def _find_longest_prefix_key(self, key):
            wholly = [k for k in self.cache_state if len(k) <= len(key) and tuple(key[:len(k)]) == k]
            return max(wholly, key=len, default=None)

    return PreparedPrefixes(capacity_bytes=capacity)


def _llama_class(lookup: bool):
    """A ``Llama`` that keeps the KV cache of several prompt prefixes, and optionally drafts
    tokens by prompt lookup.

    Prefixes: llama.cpp reuses the KV cache only for the prefix shared with the *previous*
    prompt. An English question over Chinese documents runs three prompts in turn (question
    translation, answer, English rewrite), so each one found the others' tokens in the cache
    and processed its fixed system prompt + examples again. With llama-cpp-python's RAM
    cache each prompt restores the saved state of its fixed prefix (``prepare``,
    ``_prefix_cache``; measured: English question 8.2 -> 5.7 s, the Chinese question after
    it 5.3 -> 3.6 s). Its ``save_state`` also copies up to n_batch rows of logits (151,936
    floats each, ~310 MB a state) that nothing here reads -- the sampler reads the context,
    and a restored state is evaluated again before sampling -- so these two methods save
    and restore only llama.cpp's state.

    Prompt lookup: RAG answers copy phrases from the passages, so a draft of the next few
    tokens taken from the prompt (llama-cpp-python's ``LlamaPromptLookupDecoding``) is often
    right, and the model checks a token plus its draft in one batch. But llama-cpp-python
    only allows a draft with ``logits_all=True``, which also computes the 151k-word output
    layer for every prompt token: measured here, +2.7 s to first token. This ``eval`` asks
    llama.cpp for every position's logits only in the short verification batches; a long
    prompt batch gets the last one, which is all the sampler reads there. Greedy output
    matches plain decoding up to floating-point ties (5 of 6 seed answers identical, the
    sixth added a 的). Off by default: on this CPU a batch of n tokens costs nearly n single
    steps (`rag bench`), so drafts do not pay.

    Both rely on llama-cpp-python 0.3.x internals (pinned < 0.4).
    """
    import ctypes

    import llama_cpp
    import numpy as np
    from llama_cpp import Llama
    from llama_cpp.llama import LlamaState

    class PrefixStateLlama(Llama):
        def save_state(self) -> LlamaState:
            size = llama_cpp.llama_state_get_size(self._ctx.ctx)
            buf = (ctypes.c_uint8 * int(size))()
            n = llama_cpp.llama_state_get_data(self._ctx.ctx, buf, size)
            if int(n) > int(size):
                raise RuntimeError("failed to copy the llama state")
            return LlamaState(input_ids=self.input_ids.copy(), scores=np.empty((0, 0), np.single),
                              n_tokens=self.n_tokens, llama_state=ctypes.string_at(buf, n),
                              llama_state_size=n, seed=self._seed)

        def load_state(self, state: LlamaState) -> None:
            self.input_ids = state.input_ids.copy()
            self.n_tokens = state.n_tokens
            self._requires_eval = True  # the last token is evaluated again before sampling
            self._seed = state.seed
            buf = (ctypes.c_uint8 * state.llama_state_size).from_buffer_copy(state.llama_state)
            if llama_cpp.llama_state_set_data(self._ctx.ctx, buf, state.llama_state_size) != state.llama_state_size:
                raise RuntimeError("failed to restore the llama state")

    if not lookup:
        return PrefixStateLlama

    class LookupLlama(PrefixStateLlama):
        verify_window = 0  # a batch this short is a sampled token + its draft

        def eval(self, tokens):
            every = len(tokens) <= self.verify_window
            self._ctx.kv_cache_seq_rm(-1, self.n_tokens, -1)
            for i in range(0, len(tokens), self.n_batch):
                batch = tokens[i: i + self.n_batch]
                n_past = self.n_tokens
                self._batch.set_batch(batch=batch, n_past=n_past, logits_all=every)
                self._ctx.decode(self._batch)
                self.input_ids[n_past: n_past + len(batch)] = batch
                self.n_tokens += len(batch)
                self._requires_eval = False

    return LookupLlama


def amx_build() -> bool:
    """llama.cpp was compiled with its AMX matrix kernels (pip builds for the CPU it runs on,
    so any Xeon since Sapphire Rapids). Those kernels crash the process on some machines
    (SIGSEGV at the first tile instruction: llama.cpp issue 20824; the per-thread XTILEDATA
    permission is missing, fix pending upstream): on the 2-core Xeon this was found on,
    `rag ask` died at its first answer with no message."""
    import llama_cpp

    return b"AMX_INT8 = 1" in llama_cpp.llama_print_system_info()


@contextmanager
def plain_cpu_buffers(active: bool):
    """While loading a model: weights in plain CPU buffers (``use_extra_bufts`` off), so no
    AMX kernel ever runs. llama-cpp-python 0.3 has no argument for it: its constructor
    reads ``llama_model_default_params()``, which is wrapped for the duration."""
    if not active:
        yield
        return
    import llama_cpp.llama_cpp as lib

    original = lib.llama_model_default_params

    def params():
        p = original()
        p.use_extra_bufts = False
        return p

    lib.llama_model_default_params = params
    try:
        yield
    finally:
        lib.llama_model_default_params = original


def _load_llama(path: Path, n_ctx: int, threads: int, lookup: int = 0) -> tuple[object, threading.Lock]:
    """One Llama per (file, n_ctx, threads, lookup) per process, with the lock that guards
    it: a llama context is not thread-safe, and loading costs seconds and ~1.2 GB.
    ``lookup`` > 0 drafts that many tokens from the prompt (see ``_llama_class``)."""
    key = (str(path.resolve()), n_ctx, threads, lookup)
    if key in _LLAMAS:
        return _LLAMAS[key]
    try:
        from llama_cpp.llama_speculative import LlamaPromptLookupDecoding  # heavy: imported lazily
    except ImportError as e:
        raise ModelError(f"llama-cpp-python is not installed ({_first_line(e)})",
                         "pip install 'llama-cpp-python>=0.3.36,<0.4'") from e
    try:
        with plain_cpu_buffers(amx_build()):
            llm = _llama_class(bool(lookup))(model_path=str(path), n_ctx=n_ctx, n_threads=threads,
                                             n_threads_batch=threads, n_batch=512, verbose=False)
    except Exception as e:  # noqa: BLE001 - any load failure is a model problem for the user
        raise ModelError(f"cannot load GGUF model {path}: {_first_line(e)}",
                         "check the file is a complete GGUF for llama.cpp, or lower RAG_N_CTX") from e
    llm.set_cache(_prefix_cache(STATE_CACHE_BYTES))
    if lookup:
        # Set after construction: passing draft_model= would force logits_all=True.
        llm.draft_model = LlamaPromptLookupDecoding(num_pred_tokens=lookup)
        llm.verify_window = lookup + 1
    _LLAMAS[key] = (llm, threading.Lock())
    return _LLAMAS[key]


class LlamaCppGenerator:
    """A GGUF model through llama-cpp-python. The chat template comes from the GGUF itself
    (ChatML for Qwen). A prompt whose fixed start was ``prepare``d is evaluated from that
    start's saved state; nothing else carries over from one call to the next."""

    def __init__(self, path: Path, name: str, n_ctx: int = 4096, threads: int = 0,
                 temperature: float = 0.0, lookup: int = 0):
        self.name = name
        self.n_ctx = n_ctx
        self.path = path
        self.temperature = temperature
        self.llm, self._lock = _load_llama(path, n_ctx, threads or default_threads(), lookup)
        # Called with each step's logits before sampling; empty in the app. The confidence
        # probe (evals/confidence_probe.py) reads the probability of each chosen token here.
        self.logits_processors: list = []
        from ..config import cache_dir

        self.prefix_dir = cache_dir() / "llama-prefix"  # saved prefix states (prepare)

    def _sampling(self) -> dict:
        if self.temperature <= 0:
            return {"temperature": 0.0, "top_k": 1}  # greedy: reproducible answers
        return {"temperature": self.temperature}

    def stream(self, messages: list[dict], *, max_new_tokens: int = 256,
               stop: list[str] | None = None) -> Iterator[str]:
        def work(cancel: threading.Event) -> Iterator[str]:
            extra = {}
            if self.logits_processors:
                from llama_cpp import LogitsProcessorList

                extra["logits_processor"] = LogitsProcessorList(self.logits_processors)
            # Nothing of the previous prompt is reused but a fixed prefix from the cache
            # (see _prefix_cache): the same prompt gets the same answer whatever came before.
            self.llm.n_tokens = 0
            chunks = self.llm.create_chat_completion(
                messages=messages, stream=True, max_tokens=max_new_tokens,
                stop=stop or [], **self._sampling(), **extra)
            try:
                for chunk in chunks:
                    text = chunk["choices"][0]["delta"].get("content")
                    if text:
                        yield text
                    if cancel.is_set():
                        break
            except ValueError as e:
                if "context window" in str(e):  # raised lazily, on the first iteration
                    raise ModelError(f"prompt does not fit the model: {_first_line(e)}",
                                     "use fewer/shorter passages (-k, chunk size) or raise RAG_N_CTX") from e
                raise ModelError(f"generation failed: {_first_line(e)}") from e
            except RuntimeError as e:  # llama_decode failures
                raise ModelError(f"generation failed: {_first_line(e)}") from e
            finally:
                # Stop llama-cpp's own generator now, not at garbage collection.
                getattr(chunks, "close", lambda: None)()

        return run_exclusive(self._lock, work)

    def prepare(self, messages: list[dict]) -> None:
        """Make the state after ``messages`` -- the fixed start of later prompts -- ready for
        them: read from disk, or evaluated once and saved there (prefix_store.py). Any
        failure only means the prefix is evaluated with the prompt, as without this."""
        text = self._prefix_text(messages)
        prepared = self.llm.__dict__.setdefault("_rag_prepared", set())
        if text is None or text in prepared:
            return
        prepared.add(text)
        from . import prefix_store

        tokens = self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        path = self.prefix_dir / prefix_store.key(self.path, self.n_ctx, text)
        with self._lock:
            saved = prefix_store.read(path)
            if saved is not None and saved[0] == tokens and saved[1] == len(tokens):
                self.llm.cache.keep(tokens, self._state(tokens, saved[2], saved[3]))
                return
            try:
                self.llm.reset()
                self.llm.eval(tokens)
                state = self.llm.save_state()
            except (RuntimeError, ValueError):
                return
            self.llm.cache.keep(tokens, state)
            try:
                prefix_store.write(path, tokens, state.n_tokens, state.seed, state.llama_state)
            except OSError:
                pass  # a read-only cache folder: the next process evaluates the prefix again

    def _prefix_text(self, messages: list[dict]) -> str | None:
        """The prompt text ``messages`` open every later prompt with, rendered by the
        model's own chat template: what two prompts continuing them differently share."""
        template = self.llm.metadata.get("tokenizer.chat_template")
        if not template or self.llm.chat_format != "chat_template.default":
            return None
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        model = self.llm._model  # the same token texts llama-cpp-python renders the template with
        eos, bos = self.llm.token_eos(), self.llm.token_bos()
        fmt = Jinja2ChatFormatter(template=template, eos_token=model.token_get_text(eos) if eos != -1 else "",
                                  bos_token=model.token_get_text(bos) if bos != -1 else "")
        one, two = (fmt(messages=messages + [{"role": "user", "content": c}]).prompt for c in ("\x01", "\x02"))
        common = os.path.commonprefix([one, two])
        return common or None

    def _state(self, tokens: list[int], seed: int, state: bytes):
        import numpy as np
        from llama_cpp.llama import LlamaState

        ids = np.zeros(len(self.llm.input_ids), dtype=np.intc)
        ids[:len(tokens)] = tokens  # llama-cpp-python keeps a context-sized id array
        return LlamaState(input_ids=ids, scores=np.empty((0, 0), np.single),
                          n_tokens=len(tokens), llama_state=state, llama_state_size=len(state), seed=seed)

    def count_tokens(self, text: str) -> int:
        # Tokenizing reads only the vocabulary, not the context: safe without the lock,
        # so counting never waits behind a running generation.
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))
