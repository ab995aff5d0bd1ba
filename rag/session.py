"""Opening a knowledge base: the service layer every front end uses.

The command line (rag/cli.py), the web app (app/) and the evaluation (evals/) all start
the same way: read the ``Config``, find the index folder, build it from ``seeds/`` on first
use, load the embedder (and the generator) once, and open a retriever or a pipeline. That
lives here, so the front ends import downward only and never each other.

Models are looked up as ``embed.load_embedder`` / ``generate.load_generator`` at call time
(not bound at import), so tests can put fakes in their place.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from . import offline
from .config import Config

if TYPE_CHECKING:
    from .answer import Pipeline
    from .manifest import Calibration
    from .retrieve import Retriever

Say = Callable[[str], None]

DEFAULT_DOCS = "seeds"  # the first knowledge base, relative to the working folder
# The labelled questions shipped with the seeds: the first index is calibrated on them.
SEED_QUESTIONS = Path(__file__).resolve().parent.parent / "evals" / "questions.jsonl"


def stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def load_config(**overrides) -> Config:
    """Defaults, then ``RAG_*`` variables, then the non-None ``overrides`` (CLI flags)."""
    return Config.from_env().with_(**overrides)


def index_dir(value: str | Path | None, config: Config | None = None, *, must_exist: bool = True) -> Path:
    """The index folder: ``value`` (``--index``) if given, else the named knowledge base of
    ``--kb`` / ``RAG_KB`` (which must exist unless ``must_exist`` is off), else the
    default one (``RAG_INDEX``)."""
    from . import kbs

    config = config or Config.from_env()
    if value and config.kb:
        from .errors import UsageError

        raise UsageError("--index and --kb name two knowledge bases", "give one of them")
    if value:
        return Path(value)
    name = kbs.selected(config)
    return kbs.require(name, config) if must_exist else kbs.path_of(name, config)


def resolve_backend(root: Path, config: Config) -> Config:
    """``embed_backend`` and ``embed_precision`` "auto" made concrete: what the index at
    ``root`` was built with (its vectors only match queries embedded the same way, and its
    passages are added to in the same precision), or the defaults for a new index. An
    explicit choice is left as it is (a mismatch is then reported)."""
    if "auto" not in (config.embed_backend, config.embed_precision):
        return config
    from . import store
    from .errors import RagError

    try:
        built = store.built_manifest(root, config).config
    except RagError:  # no index yet (or a damaged one: opening it will say so)
        return config
    return config.with_(embed_backend=built["embed_backend"] if config.embed_backend == "auto" else None,
                        embed_precision=built["embed_precision"] if config.embed_precision == "auto" else None)


def default_sources(config: Config, index_flag: str | Path | None = None) -> list[Path]:
    """What ``rag index`` with no PATH builds a new index from: ``seeds/`` for the default
    knowledge base (or an ``--index`` folder); a named one needs its documents given."""
    if config.kb and not index_flag:
        from .errors import UsageError

        raise UsageError(f"knowledge base {config.kb!r} has no index yet", f"give its documents: "
                         f"`rag kb create {config.kb} PATH...`")
    return [Path(DEFAULT_DOCS)]


def ensure_index(root: Path, config: Config, say: Say = stderr) -> None:
    """Build the default index from ./seeds on first use, so the first `rag ask` works."""
    from . import store

    if store.exists(root, config):
        return
    if not Path(DEFAULT_DOCS).is_dir():
        from .errors import IndexMissingError

        raise IndexMissingError(f"no index at {root}", "build one with `rag index PATH ...`")
    from . import embed
    from .index import update_index

    offline.enable()
    say(f"no index at {root} yet: building it from {DEFAULT_DOCS}/ (once)")
    report = update_index(root, [Path(DEFAULT_DOCS)], config, embed.load_embedder(config), progress=True,
                          on_event=say)
    say(report.summary())
    if SEED_QUESTIONS.exists():
        calibrate_index(root, config, SEED_QUESTIONS, "dev", say)


def calibrate_index(root: Path, config: Config, questions: Path, split: str | None,
                    say: Say = stderr) -> "Calibration":
    """Measure the weak-evidence refusal threshold on labelled questions and record it in
    the index manifest (see calibrate.py)."""
    from . import store
    from .calibrate import calibrate, read_questions

    result = calibrate(open_retriever(root, config, build=False), read_questions(questions, split),
                       source=f"{questions.name} (split {split or 'all'})")
    with store.WriteLock(root):
        store.record_calibration(root, config, result)
    say(f"calibrated refusal threshold: {result.describe()}")
    return result


def open_retriever(index: str | Path | None, config: Config, *, build: bool = True,
                   say: Say = stderr) -> "Retriever":
    """A retriever over the index folder (``None``: the config's), built from ./seeds
    first when there is none and ``build`` is set."""
    from . import embed
    from .retrieve import Retriever

    offline.enable()
    root = index_dir(index, config)
    if build:
        ensure_index(root, config, say)
    config = resolve_backend(root, config)
    return Retriever.open(root, embed.load_embedder(config), config)


def open_pipeline(index: str | Path | None, config: Config, say: Say = stderr) -> "Pipeline":
    """Retriever + generator + every answer check: what answers a question."""
    from . import generate
    from .answer import Pipeline

    retriever = open_retriever(index, config, say=say)
    return Pipeline(retriever, generate.load_generator(config), retriever.config)
