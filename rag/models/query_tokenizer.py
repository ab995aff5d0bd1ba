"""A Unigram tokenizer (e5's, XLM-R's) that loads in ~0.05 s instead of ~1 s, with the same ids.

Loading tokenizer.json builds a trie over all 250k pieces of e5's vocabulary: 0.6-1.9 s on 2
cores, holding the GIL, the largest part of a new ``rag search`` process's wait once torch is
gone. A Unigram tokenizer only ever looks at the pieces that occur in the text: its Viterbi
search over a word (tokenizers' ``Unigram.encode_optimized``) considers exactly the vocabulary
pieces that are substrings of the word, and scores an unknown character ``min_score - 10``,
the minimum over the whole vocabulary. So each batch gets a ``tokenizers.Tokenizer`` of its
own, built from the same tokenizer.json but with only the pieces found in the batch's words
(plus the added tokens and a lowest-scoring piece, which keeps ``min_score``), in the same
order; its ids are mapped back to the full vocabulary's. Normalising, pre-tokenising,
the Viterbi search, post-processing and truncation all stay tokenizers' own code.

A text holding an added token (``<s>``, ``<mask>``, ...) is split at it before normalising,
which this doesn't reproduce: such a batch goes to the full tokenizer, loaded then.
``save`` writes what loading needs (``VOCAB``, beside tokenizer.json) for tokenizers it
supports, and nothing for others (the caller then loads tokenizer.json as usual).
"""
from __future__ import annotations

import bisect
import json
from functools import cached_property
from pathlib import Path
from typing import Sequence

import numpy as np

VOCAB = "vocab.npz"  # the tokenizer.json without its vocabulary, and the vocabulary sorted for bisect


def save(tokenizer_json: Path, out: Path) -> bool:
    """Write ``out / VOCAB`` for the tokenizer in ``tokenizer_json``; False (nothing written)
    when it is not one this class reproduces exactly."""
    spec = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    model, post = spec.get("model") or {}, spec.get("post_processor") or {}
    if model.get("type") != "Unigram" or post.get("type") != "TemplateProcessing":
        return False
    vocab = model.get("vocab") or []
    ids = {p: i for i, (p, _) in enumerate(vocab)}
    if (model.get("byte_fallback") or model.get("unk_id") is None or len(ids) != len(vocab)
            or any(ids.get(t["content"]) != t["id"] for t in spec.get("added_tokens", []))
            or not _specials(spec) <= set(range(len(vocab))) or any("\n" in p for p in ids)):
        return False
    order = sorted(range(len(vocab)), key=lambda i: vocab[i][0])  # code-point order, as bisect compares
    template = dict(spec, model=dict(model, vocab=[]))
    np.savez(out / VOCAB, spec=np.frombuffer(json.dumps(template).encode(), np.uint8),
             pieces=np.frombuffer("\n".join(vocab[i][0] for i in order).encode(), np.uint8),
             ids=np.asarray(order, np.int64), scores=np.asarray([s for _, s in vocab], np.float64))
    return True


def _specials(spec: dict) -> set[int]:
    """Ids every batch's vocabulary keeps: added tokens, unknown, the post-processor's."""
    return ({t["id"] for t in spec.get("added_tokens", [])} | {spec["model"]["unk_id"]}
            | {i for t in spec["post_processor"].get("special_tokens", {}).values() for i in t["ids"]})


class _Ids:
    __slots__ = ("ids",)

    def __init__(self, ids: list[int]):
        self.ids = ids


class SubsetTokenizer:
    """The part of ``tokenizers.Tokenizer`` that embed_onnx's ``_encode`` uses
    (``encode_batch`` -> objects with ``.ids``, ``no_padding``, ``enable_truncation``)."""

    def __init__(self, folder: Path):
        with np.load(folder / VOCAB) as z:
            self._spec = json.loads(z["spec"].tobytes())
            self._pieces = z["pieces"].tobytes().decode().split("\n")  # sorted
            ids, scores = z["ids"], z["scores"]
        self._sorted_ids, self._scores = ids.tolist(), scores.tolist()  # sorted order; by id
        self._folder = folder
        self._longest = max(map(len, self._pieces))
        self._added = [t["content"] for t in self._spec["added_tokens"]]
        always = np.flatnonzero(np.isin(ids, [*_specials(self._spec), int(np.argmin(scores))]))
        self._always = {self._sorted_ids[k]: self._pieces[k] for k in always}  # id -> piece
        self._truncation = 0
        base = self._build(self._always)[0]
        self._normalizer, self._pre_tokenizer = base.normalizer, base.pre_tokenizer

    def no_padding(self) -> None:
        pass  # never pads

    def enable_truncation(self, max_length: int) -> None:
        self._truncation = max_length

    @cached_property
    def full(self):
        """The whole tokenizer, for texts holding an added token."""
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(self._folder / "tokenizer.json"))
        tok.no_padding()
        if self._truncation:
            tok.enable_truncation(self._truncation)
        return tok

    def encode_batch(self, texts: Sequence[str]) -> list:
        if any(a in t for t in texts for a in self._added):
            return self.full.encode_batch(list(texts))
        tok, back = self._build(self._found(texts))
        return [_Ids([back[i] for i in e.ids]) for e in tok.encode_batch(list(texts))]

    def _found(self, texts: Sequence[str]) -> dict[int, str]:
        """id -> piece of every vocabulary piece that is a substring of a word of ``texts``."""
        found = dict(self._always)
        pieces, n_pieces = self._pieces, len(self._pieces)
        for text in texts:
            normal = self._normalizer.normalize_str(text) if self._normalizer else text
            words = self._pre_tokenizer.pre_tokenize_str(normal) if self._pre_tokenizer else [(normal, None)]
            for word, _ in words:
                for a in range(len(word)):
                    for b in range(a + 1, min(len(word), a + self._longest) + 1):
                        k = bisect.bisect_left(pieces, word[a:b])
                        if k < n_pieces and pieces[k] == word[a:b]:
                            found[self._sorted_ids[k]] = pieces[k]
        return found

    def _build(self, pieces: dict[int, str]):
        """(a Tokenizer over just ``pieces``, in vocabulary order; its ids -> the full ids)."""
        from tokenizers import Tokenizer

        order = sorted(pieces)
        new = {i: k for k, i in enumerate(order)}
        spec = dict(self._spec, truncation=None, padding=None)
        model = spec["model"]
        spec["model"] = dict(model, vocab=[[pieces[i], self._scores[i]] for i in order], unk_id=new[model["unk_id"]])
        spec["added_tokens"] = [dict(t, id=new[t["id"]]) for t in spec["added_tokens"]]
        post = spec["post_processor"]
        spec["post_processor"] = dict(post, special_tokens={
            name: dict(t, ids=[new[i] for i in t["ids"]]) for name, t in post["special_tokens"].items()})
        tok = Tokenizer.from_str(json.dumps(spec))
        tok.no_padding()
        if self._truncation:
            tok.enable_truncation(self._truncation)
        return tok, order
