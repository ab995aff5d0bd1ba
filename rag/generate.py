"""Generate stage: chat messages -> streamed answer text, behind one small interface.

Backends, chosen by ``Config.generator``:

* ``"bundled"``            -> the bundled Qwen2.5-Coder-1.5B GGUF (rag.bundled), llama-cpp-python
* ``/path/model.gguf``     -> that GGUF, llama-cpp-python
* ``/path/model-folder``   -> a Hugging Face model folder, transformers (offline only)
* ``http(s)://host[:port]`` -> an OpenAI-compatible server (``/v1/chat/completions``, SSE)

Heavy libraries (llama_cpp, torch, transformers) are imported only when a backend is
loaded, so ``import rag.generate`` stays instant. Cancelling: stop iterating (``break``, or
``close()`` the iterator) and generation stops after the current token; the next call works.
"""
from __future__ import annotations

import atexit
import contextlib
import json
import math
import os
import queue
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Protocol

from .config import BUNDLED
from .errors import ModelError

if TYPE_CHECKING:
    import urllib.request

    from .config import Config

ACCEPTED = "'bundled', a .gguf file, a Hugging Face model folder, or an http(s):// URL"


class Generator(Protocol):
    name: str
    n_ctx: int  # context window in tokens

    def stream(self, messages: list[dict], *, max_new_tokens: int = 256,
               stop: list[str] | None = None) -> Iterator[str]: ...

    def count_tokens(self, text: str) -> int: ...  # real tokens of this model's tokenizer


# --- shared helpers ---------------------------------------------------------------------

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


def _first_line(err: BaseException | str) -> str:
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


class _Done:
    """End-of-stream marker; carries the worker's exception, if any."""

    def __init__(self, error: BaseException | None = None):
        self.error = error


_ACTIVE: set[tuple[threading.Event, threading.Thread]] = set()


@atexit.register
def _stop_workers() -> None:
    """At exit, stop generation threads before the model is freed under them (a native
    decode running in a daemon thread during interpreter teardown can crash)."""
    for cancel, thread in list(_ACTIVE):
        cancel.set()
        thread.join(timeout=10)
    # Free the models while llama_cpp's bindings still exist: left to the garbage collector
    # at interpreter teardown, Llama.__del__ fails with "'NoneType' object is not callable".
    for llm, _ in list(_LLAMAS.values()):
        getattr(llm, "close", lambda: None)()
    _LLAMAS.clear()


def _acquire(lock: threading.Lock, cancel: threading.Event) -> bool:
    """Wait our turn for the model, giving up if the consumer went away meanwhile."""
    while not lock.acquire(timeout=0.1):
        if cancel.is_set():
            return False
    return True


def run_exclusive(lock: threading.Lock, work: Callable[[threading.Event], Iterator[str]]) -> Iterator[str]:
    """Run ``work(cancel)`` in a worker thread that holds ``lock``; relay what it yields.

    Why a worker thread and not just ``with lock:`` around the yields: a consumer that
    abandons the iterator without closing it (a web handler that is dropped) would hold the
    lock until garbage collection and block every later request. Here the worker always
    finishes (at most max_new_tokens later) and releases the lock; a consumer that stops
    iterating sets ``cancel`` so the worker stops after the current token."""
    pieces: queue.SimpleQueue = queue.SimpleQueue()
    cancel = threading.Event()

    def worker() -> None:
        error = None
        try:
            if not _acquire(lock, cancel):
                return
            try:
                with contextlib.closing(work(cancel)) as produced:  # closed at once on cancel
                    for piece in produced:
                        if cancel.is_set():
                            break
                        pieces.put(piece)
            finally:
                lock.release()
        except BaseException as e:  # noqa: BLE001 - re-raised in the consumer's thread
            error = e
        finally:
            _ACTIVE.discard(entry)
            pieces.put(_Done(error))

    thread = threading.Thread(target=worker, name="rag-generate", daemon=True)
    entry = (cancel, thread)
    _ACTIVE.add(entry)
    thread.start()
    try:
        while not isinstance(item := pieces.get(), _Done):
            yield item
        if item.error is not None:
            raise item.error
    finally:
        cancel.set()  # consumer finished or went away: the worker stops after this token


def cut_at_stops(pieces: Iterator[str], stops: list[str] | None) -> Iterator[str]:
    """Yield ``pieces`` up to (not including) the first stop string. Text that could be the
    start of a stop string is held back until it is clear, so a stop split across two
    pieces is still caught and never shown."""
    stops = [s for s in (stops or []) if s]
    if not stops:
        yield from pieces
        return
    hold = max(len(s) for s in stops) - 1
    buf = ""
    for piece in pieces:
        buf += piece
        hits = [i for i in (buf.find(s) for s in stops) if i >= 0]
        if hits:
            if min(hits):
                yield buf[: min(hits)]
            return
        if len(buf) > hold:
            cut = len(buf) - hold
            yield buf[:cut]
            buf = buf[cut:]
    if buf:
        yield buf


# --- llama-cpp-python -------------------------------------------------------------------

_LLAMAS: dict[tuple, tuple[object, threading.Lock]] = {}


# Saved prompt states kept per model (bytes of llama.cpp state; ~28 KB per token for the
# bundled model): enough for the three fixed prompts in use (answer, question translation,
# English rewrite) with a question or two each.
STATE_CACHE_BYTES = 256 << 20


def _llama_class(lookup: bool):
    """A ``Llama`` that keeps the KV cache of several prompt prefixes, and optionally drafts
    tokens by prompt lookup.

    Prefixes: llama.cpp reuses the KV cache only for the prefix shared with the *previous*
    prompt. An English question over Chinese documents runs three prompts in turn (question
    translation, answer, English rewrite), so each one found the others' tokens in the cache
    and processed its fixed system prompt + examples again. With llama-cpp-python's RAM
    cache each prompt restores the saved state with its longest prefix (measured: English
    question 8.2 -> 5.7 s, the Chinese question after it 5.3 -> 3.6 s). Its ``save_state``
    also copies up to n_batch rows of logits (151,936 floats each, ~310 MB a state) that
    nothing here reads -- the sampler reads the context, and a restored state is evaluated
    again before sampling -- so these two methods save and restore only llama.cpp's state.

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


def _load_llama(path: Path, n_ctx: int, threads: int, lookup: int = 0) -> tuple[object, threading.Lock]:
    """One Llama per (file, n_ctx, threads, lookup) per process, with the lock that guards
    it: a llama context is not thread-safe, and loading costs seconds and ~1.2 GB.
    ``lookup`` > 0 drafts that many tokens from the prompt (see ``_llama_class``)."""
    key = (str(path.resolve()), n_ctx, threads, lookup)
    if key in _LLAMAS:
        return _LLAMAS[key]
    try:
        from llama_cpp import LlamaRAMCache  # heavy: imported lazily
        from llama_cpp.llama_speculative import LlamaPromptLookupDecoding
    except ImportError as e:
        raise ModelError(f"llama-cpp-python is not installed ({_first_line(e)})",
                         "pip install 'llama-cpp-python>=0.3.36,<0.4'") from e
    try:
        llm = _llama_class(bool(lookup))(model_path=str(path), n_ctx=n_ctx, n_threads=threads,
                                         n_threads_batch=threads, n_batch=512, verbose=False)
    except Exception as e:  # noqa: BLE001 - any load failure is a model problem for the user
        raise ModelError(f"cannot load GGUF model {path}: {_first_line(e)}",
                         "check the file is a complete GGUF for llama.cpp, or lower RAG_N_CTX") from e
    llm.set_cache(LlamaRAMCache(capacity_bytes=STATE_CACHE_BYTES))
    if lookup:
        # Set after construction: passing draft_model= would force logits_all=True.
        llm.draft_model = LlamaPromptLookupDecoding(num_pred_tokens=lookup)
        llm.verify_window = lookup + 1
    _LLAMAS[key] = (llm, threading.Lock())
    return _LLAMAS[key]


class LlamaCppGenerator:
    """A GGUF model through llama-cpp-python. The chat template comes from the GGUF itself
    (ChatML for Qwen). The model is never reset between calls, so llama.cpp reuses the KV
    cache for the prompt prefix shared with the previous call (same system prompt)."""

    def __init__(self, path: Path, name: str, n_ctx: int = 4096, threads: int = 0,
                 temperature: float = 0.0, lookup: int = 0):
        self.name = name
        self.n_ctx = n_ctx
        self.path = path
        self.temperature = temperature
        self.llm, self._lock = _load_llama(path, n_ctx, threads or default_threads(), lookup)

    def _sampling(self) -> dict:
        if self.temperature <= 0:
            return {"temperature": 0.0, "top_k": 1}  # greedy: reproducible answers
        return {"temperature": self.temperature}

    def stream(self, messages: list[dict], *, max_new_tokens: int = 256,
               stop: list[str] | None = None) -> Iterator[str]:
        def work(cancel: threading.Event) -> Iterator[str]:
            chunks = self.llm.create_chat_completion(
                messages=messages, stream=True, max_tokens=max_new_tokens,
                stop=stop or [], **self._sampling())
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

    def count_tokens(self, text: str) -> int:
        # Tokenizing reads only the vocabulary, not the context: safe without the lock,
        # so counting never waits behind a running generation.
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))


# --- transformers -----------------------------------------------------------------------

def _offline_hf() -> None:
    """Never let transformers reach for the network (the product is offline)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class TransformersGenerator:
    """A Hugging Face causal-LM folder, on CPU in float32 (bf16/fp16 matmuls are slow or
    unsupported on most CPUs). Greedy unless a temperature is set."""

    def __init__(self, folder: Path, n_ctx: int = 4096, threads: int = 0, temperature: float = 0.0):
        _offline_hf()
        try:
            import torch  # heavy: imported lazily
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as e:
            raise ModelError(f"transformers/torch not installed ({_first_line(e)})",
                             "pip install torch transformers") from e
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
            self.model = AutoModelForCausalLM.from_pretrained(
                str(folder), local_files_only=True, dtype=torch.float32).eval()
        except Exception as e:  # noqa: BLE001 - any load failure is a model problem for the user
            raise ModelError(f"cannot load model folder {folder}: {_first_line(e)}",
                             "point RAG_GENERATOR at a transformers causal-LM folder") from e
        if not getattr(self.tokenizer, "chat_template", None):
            raise ModelError(f"model folder {folder} has no chat template",
                             "use an instruction-tuned (chat) model")
        torch.set_num_threads(threads or default_threads())
        max_pos = getattr(self.model.config, "max_position_embeddings", None) or n_ctx
        self.name = str(folder.resolve())
        self.n_ctx = min(n_ctx, max_pos)
        self.temperature = temperature
        self._lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def _pad_id(self) -> int | None:
        pad = self.tokenizer.pad_token_id
        return pad if pad is not None else self.tokenizer.eos_token_id

    def _inputs(self, messages: list[dict]):
        prompt = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        # The template already holds the special tokens; do not add a second BOS.
        return self.tokenizer(prompt, return_tensors="pt", add_special_tokens=False)

    def _work(self, messages: list[dict], max_new_tokens: int) -> Callable[[threading.Event], Iterator[str]]:
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        class Cancelled(StoppingCriteria):
            def __init__(self, cancel: threading.Event):
                self.cancel = cancel

            def __call__(self, input_ids, scores, **kwargs) -> bool:
                return self.cancel.is_set()

        def work(cancel: threading.Event) -> Iterator[str]:
            inputs = self._inputs(messages)
            streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
            sampling = ({"do_sample": True, "temperature": self.temperature} if self.temperature > 0
                        else {"do_sample": False})
            kwargs = dict(**inputs, max_new_tokens=max_new_tokens, streamer=streamer,
                          stopping_criteria=StoppingCriteriaList([Cancelled(cancel)]),
                          pad_token_id=self._pad_id(),
                          **sampling)
            failure: list[BaseException] = []

            def run() -> None:
                try:
                    self.model.generate(**kwargs)
                except BaseException as e:  # noqa: BLE001 - re-raised below
                    failure.append(e)
                    streamer.end()

            gen = threading.Thread(target=run, name="rag-hf-generate", daemon=True)
            gen.start()
            try:
                yield from (t for t in streamer if t)
            finally:
                cancel.set()  # also ends model.generate when the consumer stopped early
                gen.join()
            if failure:
                raise ModelError(f"generation failed: {_first_line(failure[0])}") from failure[0]

        return work

    def stream(self, messages: list[dict], *, max_new_tokens: int = 256,
               stop: list[str] | None = None) -> Iterator[str]:
        return cut_at_stops(run_exclusive(self._lock, self._work(messages, max_new_tokens)), stop)


# --- OpenAI-compatible server -----------------------------------------------------------

_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def estimate_tokens(text: str) -> int:
    """No local tokenizer for a remote model, so estimate: each CJK character (and CJK
    punctuation/fullwidth form) ~1 token, other text ~4 characters per token. Errs a little
    high for Chinese, which is the safe side when fitting a prompt into the window."""
    cjk = len(_CJK.findall(text))
    return cjk + math.ceil((len(text) - cjk) / 4)


def chat_url(base: str) -> str:
    """Accept ``http://host:port``, ``.../v1`` or the full ``.../v1/chat/completions``."""
    base = base.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    if base.endswith("/v1"):
        return base + "/chat/completions"
    return base + "/v1/chat/completions"


def _opener(url: str) -> urllib.request.OpenerDirector:
    """Local servers are reached directly even if a proxy is configured for the internet."""
    import urllib.parse
    import urllib.request  # lazily: http.client & co. cost ~50 ms at import

    host = urllib.parse.urlsplit(url).hostname or ""
    if host in ("localhost", "127.0.0.1", "::1") or host.endswith(".localhost"):
        return urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener()


class OpenAIGenerator:
    """Any OpenAI-compatible chat server (llama.cpp server, vLLM, Ollama, ...), streamed.
    Model name from RAG_GENERATOR_MODEL (default "default"); RAG_GENERATOR_API_KEY, when
    set, is sent as a Bearer token. count_tokens is an estimate (see estimate_tokens)."""

    timeout = 300.0  # seconds without a byte before giving up (long prompts on slow servers)

    def __init__(self, url: str, n_ctx: int = 4096, temperature: float = 0.0,
                 model: str | None = None, api_key: str | None = None):
        self.url = chat_url(url)
        self.model = model or os.environ.get("RAG_GENERATOR_MODEL") or "default"
        self.api_key = api_key if api_key is not None else os.environ.get("RAG_GENERATOR_API_KEY")
        self.name = f"openai:{self.model}@{url}"
        self.n_ctx = n_ctx
        self.temperature = temperature

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def _request(self, messages: list[dict], max_new_tokens: int, stop: list[str] | None) -> urllib.request.Request:
        import urllib.request

        body = {"model": self.model, "messages": messages, "stream": True,
                "max_tokens": max_new_tokens, "temperature": self.temperature}
        if stop:
            body["stop"] = stop
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return urllib.request.Request(self.url, data=json.dumps(body).encode(), headers=headers, method="POST")

    def _open(self, request: urllib.request.Request):
        import urllib.error

        hint = "check RAG_GENERATOR (server URL), RAG_GENERATOR_MODEL and RAG_GENERATOR_API_KEY"
        try:
            return _opener(self.url).open(request, timeout=self.timeout)
        except urllib.error.HTTPError as e:
            detail = _first_line(_error_body(e) or e.reason)
            raise ModelError(f"generator server {self.url} answered HTTP {e.code}: {detail}", hint) from e
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise ModelError(f"cannot reach generator server {self.url}: {_first_line(reason)}", hint) from e

    def stream(self, messages: list[dict], *, max_new_tokens: int = 256,
               stop: list[str] | None = None) -> Iterator[str]:
        import http.client

        # Closing this generator closes the connection, which tells the server to stop.
        with self._open(self._request(messages, max_new_tokens, stop)) as resp:
            try:
                if "json" in resp.headers.get("Content-Type", ""):
                    yield from _plain_reply(resp.read())  # a server that ignored stream=true
                else:
                    yield from _parse_sse(resp)
            except (OSError, http.client.HTTPException) as e:
                raise ModelError(f"generator server {self.url} stopped answering: {_first_line(e)}") from e


def _error_body(e: "urllib.error.HTTPError") -> str:
    """The server's explanation, e.g. {"error": {"message": "model not found"}}."""
    try:
        text = e.read().decode("utf-8", "replace")[:500]
    except OSError:
        return ""
    try:
        err = json.loads(text).get("error", text)
        return str(err.get("message", err) if isinstance(err, dict) else err)
    except (ValueError, AttributeError):
        return text


def _payload_text(payload: dict, key: str) -> str:
    if "error" in payload:
        err = payload["error"]
        raise ModelError(f"generator server error: {_first_line(err.get('message', err) if isinstance(err, dict) else err)}")
    choices = payload.get("choices") or [{}]
    return (choices[0].get(key) or {}).get("content") or ""


def _parse_sse(lines) -> Iterator[str]:
    """Server-sent events: ``data: {json}`` lines, ended by ``data: [DONE]``."""
    for raw in lines:
        line = raw.decode("utf-8", "replace").strip()
        if not line.startswith("data:"):
            continue  # blank separators, comments (": ping"), "event:" lines
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            payload = json.loads(data)
        except ValueError:
            raise ModelError(f"generator server sent an unreadable event: {data[:80]}") from None
        if text := _payload_text(payload, "delta"):
            yield text


def _plain_reply(body: bytes) -> Iterator[str]:
    try:
        payload = json.loads(body)
    except ValueError:
        raise ModelError(f"generator server sent an unreadable reply: {body[:80]!r}") from None
    if text := _payload_text(payload, "message"):
        yield text


# --- choosing and caching ---------------------------------------------------------------

_GENERATORS: dict[tuple, Generator] = {}
_LOAD_LOCK = threading.Lock()  # two first requests at once must not load the model twice


def _build(config: "Config") -> Generator:
    value = config.generator.strip()
    if not value:
        raise ModelError("no generator configured", f"set RAG_GENERATOR to {ACCEPTED}")
    if value == BUNDLED:
        from .bundled import GGUF_NAME, ensure_bundled_gguf

        return LlamaCppGenerator(ensure_bundled_gguf(), f"bundled:{GGUF_NAME.removesuffix('.gguf')}",
                                 config.n_ctx, config.threads, config.temperature, config.lookup_tokens)
    if value.startswith(("http://", "https://")):
        return OpenAIGenerator(value, config.n_ctx, config.temperature)
    path = Path(value).expanduser()
    if value.lower().endswith(".gguf"):
        if not path.is_file():
            raise ModelError(f"GGUF file not found: {path}", f"set RAG_GENERATOR to {ACCEPTED}")
        return LlamaCppGenerator(path, str(path.resolve()), config.n_ctx, config.threads, config.temperature,
                                 config.lookup_tokens)
    if path.is_dir():
        return TransformersGenerator(path, config.n_ctx, config.threads, config.temperature)
    raise ModelError(f"unknown generator {value!r} (not a .gguf file, model folder or URL)",
                     f"set RAG_GENERATOR to {ACCEPTED}")


def load_generator(config: "Config") -> Generator:
    """The generator the config names, loaded lazily and once per process per settings."""
    key = (config.generator, config.n_ctx, config.threads, config.temperature, config.lookup_tokens,
           os.environ.get("RAG_GENERATOR_MODEL"), os.environ.get("RAG_GENERATOR_API_KEY"))
    with _LOAD_LOCK:
        if key not in _GENERATORS:
            _GENERATORS[key] = _build(config)
        return _GENERATORS[key]


# --- measuring: python -m rag.generate [generator] ---------------------------------------

_BENCH_PASSAGE = ("北京是中华人民共和国的首都，也是全国的政治中心、文化中心、国际交往中心和科技创新中心。"
                  "北京历史悠久，有三千多年的建城史和八百多年的建都史，拥有故宫、长城、天坛等世界文化遗产。")


def _timed_call(gen: Generator, messages: list[dict], max_new_tokens: int) -> tuple[float, float, int]:
    """(seconds to first piece, seconds for the rest, generated tokens)."""
    import time

    t0 = time.perf_counter()
    first = None
    pieces = []
    for piece in gen.stream(messages, max_new_tokens=max_new_tokens):
        first = first or time.perf_counter()
        pieces.append(piece)
    end = time.perf_counter()
    return (first or end) - t0, end - (first or end), gen.count_tokens("".join(pieces))


def _bench(value: str = BUNDLED, max_new_tokens: int = 64) -> None:
    """Load time, time to first token and decode speed for a ~500-token Chinese prompt, then
    the same long system prompt with another question (llama.cpp reuses the KV prefix)."""
    import time

    from .config import Config

    t0 = time.perf_counter()
    gen = load_generator(Config.from_env().with_(generator=value))
    print(f"generator {gen.name}: loaded in {time.perf_counter() - t0:.1f} s, threads={default_threads()}")
    system = "只根据下面的资料用中文回答。\n" + "\n".join(f"[{i}] {_BENCH_PASSAGE}" for i in range(1, 10))
    # Questions that need a few sentences, so the decode speed is measured over many tokens.
    prompts = [("same system, question A", system, "请用三句话介绍北京的历史。"),
               ("same system, question B", system, "请用三句话介绍北京的世界文化遗产。"),
               ("changed system (cold) ", "请" + system, "请用三句话介绍北京的历史。")]
    for label, sys_text, question in prompts:
        messages = [{"role": "system", "content": sys_text}, {"role": "user", "content": question}]
        ttft, rest, n = _timed_call(gen, messages, max_new_tokens)
        speed = (n - 1) / rest if rest > 0 and n > 1 else float("nan")
        print(f"{label}: prompt ~{gen.count_tokens(sys_text + question)} tokens, "
              f"first token {ttft:.2f} s, {n} tokens at {speed:.1f} tok/s")


if __name__ == "__main__":
    import sys

    _bench(*sys.argv[1:2])
