"""SQuAD-format evaluation data (CMRC2018, DRCD, SQuAD): loader and a cached index of its paragraphs.

    {"data": [{"title", "paragraphs": [{"id", "context", "qas": [{"id", "question",
                                                                   "answers": [{"text", ...}]}]}]}]}

Every paragraph becomes one document whose ``doc_id`` is the paragraph id (title = the
article title), so a question's gold source is simply its own paragraph id. The index is
built once per (file content, embedder) under ``cache_dir()/eval-indexes/`` -- outside the
repository -- and reused by later runs.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from .metrics import Question

BUILD_STATS = "build.json"  # beside CURRENT; index writers only sweep gen-* folders


@dataclass
class Paragraph:
    id: str
    title: str
    context: str


@dataclass
class SquadSet:
    paragraphs: list[Paragraph]
    questions: list[Question]
    problems: list[str] = field(default_factory=list)  # malformed entries, skipped


def _unique(texts: list[str]) -> list[str]:
    return list(dict.fromkeys(t for t in texts if t and t.strip()))


def _question(qa: Any, where: str, pid: str) -> Question | str:
    """A Question, or the reason the entry is unusable."""
    if not isinstance(qa, dict):
        return f"{where}: not an object"
    qid, text = qa.get("id"), qa.get("question")
    if not isinstance(qid, (str, int)) or not isinstance(text, str) or not text.strip():
        return f"{where}: needs an 'id' and a non-empty 'question'"
    raw = qa.get("answers") or []
    answers = _unique([a.get("text", "") for a in raw if isinstance(a, dict)]) if isinstance(raw, list) else []
    impossible = bool(qa.get("is_impossible"))  # SQuAD 2.0
    if not answers and not impossible:
        return f"{where} ({qid}): no answer texts"
    return Question(id=str(qid), question=text, answers=answers, answerable=not impossible,
                    gold_sources=[pid] if not impossible else [])


def parse_squad(obj: Any) -> SquadSet:
    out = SquadSet([], [])
    if not isinstance(obj, dict) or not isinstance(obj.get("data"), list):
        out.problems.append("not a SQuAD-format file: no top-level 'data' list")
        return out
    seen_p: set[str] = set()
    seen_q: set[str] = set()
    for ai, article in enumerate(obj["data"]):
        if not isinstance(article, dict) or not isinstance(article.get("paragraphs"), list):
            out.problems.append(f"data[{ai}]: no 'paragraphs' list")
            continue
        title = str(article.get("title") or "")
        for pi, para in enumerate(article["paragraphs"]):
            where = f"data[{ai}].paragraphs[{pi}]"
            if not isinstance(para, dict) or not isinstance(para.get("context"), str) or not para["context"].strip():
                out.problems.append(f"{where}: no 'context' text")
                continue
            # SQuAD 1.1 paragraphs have no id: name them by position.
            pid = str(para.get("id") or f"p{ai}_{pi}")
            if pid in seen_p:
                out.problems.append(f"{where}: duplicate paragraph id {pid}")
                continue
            seen_p.add(pid)
            out.paragraphs.append(Paragraph(pid, title, para["context"]))
            for qi, qa in enumerate(para.get("qas") or []):
                q = _question(qa, f"{where}.qas[{qi}]", pid)
                if isinstance(q, str):
                    out.problems.append(q)
                elif q.id in seen_q:
                    out.problems.append(f"{where}.qas[{qi}]: duplicate question id {q.id}")
                else:
                    seen_q.add(q.id)
                    out.questions.append(q)
    return out


def load_squad(path: Path) -> SquadSet:
    return parse_squad(json.loads(Path(path).read_text(encoding="utf-8-sig")))


# ---------------------------------------------------------------------------- index

@dataclass
class BuildStats:
    """How the cached index was built; kept beside it so a cached run can still report
    the indexing throughput."""

    n_docs: int
    n_chunks: int
    seconds: float

    @property
    def chunks_per_s(self) -> float:
        return self.n_chunks / self.seconds if self.seconds > 0 else 0.0


@dataclass
class SquadIndex:
    root: Path
    stats: BuildStats
    built: bool  # built by this call (False: reused from the cache)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _content_sha256(path: Path) -> str:
    """What the index is built from: the file, or for a development set (questions.jsonl
    beside docs/) its documents only, so adding questions to a set does not re-index it."""
    docs = path.parent / "docs"
    if path.name != "questions.jsonl" or not docs.is_dir():
        return file_sha256(path)
    h = hashlib.sha256()
    for doc in sorted(docs.iterdir()):
        if doc.is_file():
            h.update(doc.name.encode("utf-8") + b"\0" + file_sha256(doc).encode() + b"\n")
    return h.hexdigest()


def index_folder(path: Path, config, embedder) -> Path:
    """``cache_dir()/eval-indexes/<sha256[:16]>-<embedder checksum>``; non-default chunking or
    index type adds a settings hash, so switching settings back and forth never rebuilds."""
    from rag.config import Config, cache_dir

    name = f"{_content_sha256(path)[:16]}-{embedder.checksum}"
    settings = {k: v for k, v in config.index_settings().items() if k != "embedder"}
    # Against fixed defaults, not this machine's (the precision "auto" picks differs by CPU).
    default = {k: v for k, v in Config(embed_precision="fp32").index_settings().items() if k != "embedder"}
    if settings != default:
        name += "-" + hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:8]
    return cache_dir() / "eval-indexes" / name


def documents(paragraphs: list[Paragraph], source: Path) -> list:
    from rag.records import Document

    return [Document(doc_id=p.id, path=f"{source}#{p.id}", text=p.context, title=p.title,
                     content_hash=hashlib.sha256(p.context.encode()).hexdigest()) for p in paragraphs]


def build_documents_index(root: Path, docs: list, config, embedder, progress: bool = False,
                          rebuild: bool = False) -> BuildStats | None:
    """Index ``docs`` at ``root`` keeping their doc ids (the paragraph ids), through the same
    incremental path as files. Returns build stats when anything was embedded."""
    from rag.index import index_documents

    root.mkdir(parents=True, exist_ok=True)
    report = index_documents(root, docs, config, embedder, rebuild=rebuild, progress=progress)
    if not report.n_embedded:
        return None
    stats = BuildStats(len(docs), report.n_chunks, report.seconds)
    (root / BUILD_STATS).write_text(json.dumps(asdict(stats)), encoding="utf-8")
    return stats


def ensure_squad_index(path: Path, paragraphs: list[Paragraph], config, embedder,
                       progress: bool = False, rebuild: bool = False,
                       say: Callable[[str], None] | None = None) -> SquadIndex:
    """The cached index of ``paragraphs`` (from the SQuAD file ``path``), built when missing,
    built with other settings, or when ``rebuild``."""
    root = index_folder(path, config, embedder)
    if say and (rebuild or not (root / BUILD_STATS).exists()):
        say(f"indexing {len(paragraphs)} paragraphs of {Path(path).name} into {root} (once)")
    # Incremental: a no-op when the cached index is current (a changed lexical recipe is
    # re-derived without re-embedding).
    stats = build_documents_index(root, documents(paragraphs, path), config, embedder, progress, rebuild)
    if stats is None:
        stats = BuildStats(**json.loads((root / BUILD_STATS).read_text(encoding="utf-8")))
        return SquadIndex(root, stats, built=False)
    return SquadIndex(root, stats, built=True)
