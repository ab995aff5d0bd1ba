"""Lexical side of retrieval: Chinese-aware tokens and a bm25s index.

BM25 over raw Chinese characters ("character soup") or an English-only tokenizer is a
known failure of other tools. Here: NFKC + case folding, Latin words and numbers kept
whole (iPhone, 41.44, 2023), Chinese runs segmented by jieba in search mode (which also
emits the sub-words of long words, so 远帆科技 matches 远帆). Since recipe 2 traditional
characters are folded to simplified first (zh.fold): jieba's dictionary is simplified, and
a question in one script then finds passages in the other.
"""
from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from .zh import CJK, CJK_CHAR, fold, normalize

# A token before segmentation: a Latin word or number (41.44, gpt-4), or a run of Chinese
# characters for jieba. evals/bench/synth.py draws its synthetic vocabulary to match.
TOKEN = re.compile(rf"[a-z0-9]+(?:[.\-_][a-z0-9]+)*|[{CJK}]+")
# Function words that carry no topic; kept short on purpose (BM25's idf handles the rest).
STOPWORDS = frozenset(
    "的 了 是 在 和 与 及 也 都 而 就 被 把 对 为 其 这 那 有 等 中 之 于 以 或 并 个 吗 呢 吧 啊 "
    "什么 哪 哪些 哪个 多少 怎么 如何 为什么 是否 谁 几 a an the of to in on for and or is are was were "
    "be by with what which who whom how when where why does did do".split()
)

# How the BM25 text of a chunk is made and tokenised, recorded in the manifest (index.py):
# when it changes, the next update re-derives BM25 from the stored chunks without
# re-embedding, and until then queries are tokenised the way the index was.
RECIPE = "title+headings+text/2"


def recipe_folds(recipe: str) -> bool:
    """Whether an index built with ``recipe`` folded scripts (recipe version 2 on)."""
    version = recipe.rpartition("/")[2]
    return version.isdigit() and int(version) >= 2


_jieba_lock = threading.Lock()
_jieba = None


def _segmenter():
    """jieba, initialised once (loading its dictionary takes about a second)."""
    global _jieba
    with _jieba_lock:
        if _jieba is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _jieba = jieba
    return _jieba


def segment(text: str) -> list[str]:
    """jieba's words of ``text``, in order and covering it (no search-mode overlaps)."""
    return _segmenter().lcut(text)


def dictionary_count(word: str) -> int:
    """How often jieba's dictionary (counts from a general corpus) has ``word``: 0 for a word
    it does not know, as most names."""
    return _segmenter().dt.FREQ.get(word, 0)


def tagged(text: str) -> list[tuple[str, str]]:
    """(word, part-of-speech tag) pairs of ``text`` by jieba (v... for verbs, n... for nouns)."""
    _segmenter()  # the dictionary, loaded once
    from jieba import posseg

    return [(p.word, p.flag) for p in posseg.cut(text)]


def is_verb(tag: str) -> bool:
    """A verb by jieba's tag, not a verb used as a noun (vn: 出口 of 出口级别)."""
    return tag.startswith("v") and tag != "vn"


def tokenize(text: str, fold_script: bool = True) -> list[str]:
    jieba = _segmenter()
    out: list[str] = []
    for m in TOKEN.finditer(fold(text) if fold_script else normalize(text)):
        tok = m.group(0)
        if CJK_CHAR.match(tok):
            out.extend(w for w in jieba.lcut_for_search(tok) if w not in STOPWORDS)
        elif tok not in STOPWORDS:
            out.append(tok)
    return out


class BM25Index:
    """bm25s over our tokens. Saved with bm25s's own numpy/JSON format (no pickle)."""

    def __init__(self, model=None, fold_script: bool = True):
        self.model = model
        self.fold_script = fold_script  # False for an index built before recipe 2

    @classmethod
    def build(cls, texts: Sequence[str]) -> "BM25Index":
        import bm25s

        model = bm25s.BM25()
        corpus = [tokenize(t) or [""] for t in texts]
        if corpus:
            model.index(corpus, show_progress=False)
        return cls(model if corpus else None)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self.model is not None:
            self.model.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, recipe: str = RECIPE) -> "BM25Index":
        import bm25s

        folds = recipe_folds(recipe)
        if not (folder / "params.index.json").exists():
            return cls(None, folds)
        return cls(bm25s.BM25.load(str(folder), show_progress=False, verbosity=0), folds)

    def has_terms(self, text: str) -> bool:
        """True when every token of ``text`` occurs in the indexed documents."""
        tokens = tokenize(text, self.fold_script)
        return bool(tokens) and self.model is not None and all(t in self.model.vocab_dict for t in tokens)

    def search(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(row ids, scores) of the top-k chunks, best first; empty when nothing matches."""
        empty = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if self.model is None:
            return empty
        vocab = self.model.vocab_dict
        tokens = [t for t in tokenize(query, self.fold_script) if t in vocab]
        if not tokens:
            return empty
        n = self.model.scores["num_docs"]
        ids, scores = self.model.retrieve([tokens], k=min(k, n), show_progress=False, n_threads=1)
        ids, scores = ids[0].astype(np.int64), scores[0].astype(np.float32)
        keep = scores > 0
        return ids[keep], scores[keep]
