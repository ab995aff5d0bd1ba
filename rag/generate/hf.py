"""The transformers backend: a Hugging Face causal-LM folder, offline, on the CPU.

For models that have no GGUF. torch and transformers are imported only when a model is
loaded (they cost seconds), and the offline switches are set then too, not at import.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Callable, Iterator

from ..errors import ModelError
from ..models.hardware import default_threads
from .base import _first_line, cut_at_stops, run_exclusive


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
