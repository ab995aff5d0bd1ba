"""General development sets: answering *and* refusing on corpora the rules never saw.

    python -m evals.devsets build --lang zh-hans|zh-hant --out DIR \
        [--articles 200 --answerable 80 --unanswerable 40 --seed 1 --source FILE]
    python -m evals.devsets followups DIR    # a set built before follow-ups existed
    python -m evals.devsets merge SET SET... --out DIR   # one knowledge base of several sets
    rag eval DIR --split dev [--retrieval-only] [--limit N]

A set is built from a SQuAD-format reading-comprehension file, read from ``../shared/data``
(relative to the repository root) and never copied into the repository (CC BY-SA):

- ``zh-hans``: CMRC2018 dev (simplified-Chinese Wikipedia, CC BY-SA 4.0);
- ``zh-hant``: DRCD test (traditional-Chinese Wikipedia, CC BY-SA 3.0).

Split rule (``sha256``, so the same on every Python version and machine). An article is
keyed by its title (entries with the same title are one article; an untitled one by its id):

- knowledge base vs held out: the ``--articles`` articles with the smallest
  ``sha256("<seed>|kb|<key>")`` form the knowledge base, every other article is held out;
- dev vs test, orthogonally: ``sha256("<seed>|split|<key>")`` even -> dev, odd -> test, so
  every question of an article lands in the same split.

Per split: ``--answerable`` questions from knowledge-base articles, at most one per article
before a second one of any article (round robin in hash order), each with its gold answers
and as ``evidence`` the sentence of its paragraph holding the answer span (clipped around the
answer when the sentence is long), so retrieval hits and citations are scored as for the seed
questions (evals/metrics.py); and ``--unanswerable`` questions from held-out articles, whose
paragraphs are not in the knowledge base. An unanswerable question one of whose gold answers
occurs in a knowledge-base document (compared with ``metrics.normalize``) may be answerable
from the knowledge base by accident: it is dropped (counted in ``accidental_answers_dropped``).
Then conversational follow-ups ("它的…", with the first turn as ``history``; evals/followups.py),
answerable and not, appended after the sampled questions.

Questions that refer to their passage instead of naming their subject ("他司职什么位置？",
"该频道每日以播放什么剧为主？", "文中提到的…") are kept, marked ``"subjectless": true`` and
given ``type`` "subjectless" (others "named"), so the report's by-type table slices on them.
The test is a heuristic (``subjectless``): the question opens (after at most a question
word) with a pronoun, a demonstrative or "文中/本文", and does not contain the article title.

Output, byte-identical for the same arguments and source file:
``DIR/docs/<sha256("article|<key>")[:16]>.txt`` (one article a file: the title on the first
line, then its paragraphs), ``DIR/questions.jsonl`` (the schema of evals/questions.jsonl, plus
``subjectless``, ``title``, ``origin`` and, for unanswerable questions, the held-out
``heldout_answers``) and ``DIR/README.txt`` (source, licence, split rule, counts).
``rag eval DIR`` indexes ``DIR/docs`` into the evaluation cache (evals/squad.py, keyed by the
documents, so a rebuild with the same arguments or added follow-ups reuse it).

TODO(english slice): English questions over English documents are wanted as a third set, but
there is no English reading-comprehension data in ../shared/data. When some is added (e.g.
SQuAD dev, same format), register it in LANGS; nothing else here is Chinese-specific except
the ``subjectless`` patterns, which would need English pronouns ("it", "this film", ...).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import click

from .metrics import Question, normalize
from .squad import Paragraph, file_sha256, parse_squad

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
DOCS, QUESTIONS, README = "docs", "questions.jsonl", "README.txt"
SPLITS = ("dev", "test")
DEFAULTS = {"articles": 200, "answerable": 80, "unanswerable": 40, "seed": 1}
MAX_EVIDENCE = 150  # characters; a longer answer sentence is clipped around the answer
EVIDENCE_MARGIN = 50  # characters kept either side of the answer when clipping


@dataclass(frozen=True)
class Source:
    name: str
    relpath: str  # relative to the shared data folder
    licence: str


LANGS = {
    "zh-hans": Source("CMRC2018 dev (simplified-Chinese Wikipedia)", "cmrc2018/cmrc2018_dev.json",
                      "CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/); see its LICENCE file"),
    "zh-hant": Source("DRCD test (traditional-Chinese Wikipedia, Delta Electronics)", "drcd/DRCD_test.json",
                      "CC BY-SA 3.0 (http://creativecommons.org/licenses/by-sa/3.0/); see its LICENCE.md file"),
}


def default_source(lang: str) -> Path:
    return SHARED_DATA / LANGS[lang].relpath


def digest(*parts: Any) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------- articles

@dataclass
class Article:
    key: str
    title: str
    paragraphs: list[Paragraph] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)

    @property
    def doc_name(self) -> str:
        """The knowledge-base file name: the same for this article whatever the seed."""
        return digest("article", self.key)[:16] + ".txt"

    def doc_text(self) -> str:
        return "\n\n".join([self.title] + [p.context.strip() for p in self.paragraphs]) + "\n"


def _walk(obj: Any) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """What parse_squad leaves out: paragraph id -> article key (the title, or else the
    article id), and question id -> {answer text: answer_start} for the answers giving one."""
    article_of: dict[str, str] = {}
    starts: dict[str, dict[str, int]] = {}
    for ai, article in enumerate(obj.get("data") or []):
        if not isinstance(article, dict):
            continue
        key = str(article.get("title") or article.get("id") or f"article{ai}")
        for pi, para in enumerate(article.get("paragraphs") or []):
            if not isinstance(para, dict):
                continue
            article_of.setdefault(str(para.get("id") or f"p{ai}_{pi}"), key)  # parse_squad's ids
            for qa in para.get("qas") or []:
                for a in (qa.get("answers") or []) if isinstance(qa, dict) else []:
                    if isinstance(a, dict) and isinstance(a.get("answer_start"), int):
                        starts.setdefault(str(qa.get("id")), {}).setdefault(str(a.get("text")), a["answer_start"])
    return article_of, starts


def load_articles(path: Path) -> tuple[list[Article], dict[str, dict[str, int]], list[str]]:
    """The articles of a SQuAD-format file (parsed by evals/squad.py, paragraphs grouped by
    article title), the answer start offsets, and the problems of the file."""
    obj = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    squad = parse_squad(obj)
    by_para, starts = _walk(obj) if isinstance(obj, dict) else ({}, {})
    articles: dict[str, Article] = {}
    for p in squad.paragraphs:
        key = by_para.get(p.id, p.title or p.id)
        articles.setdefault(key, Article(key, p.title or key)).paragraphs.append(p)
    para_article = {p.id: a for a in articles.values() for p in a.paragraphs}
    for q in squad.questions:
        if q.gold_sources:
            para_article[q.gold_sources[0]].questions.append(q)
    return list(articles.values()), starts, squad.problems


# ---------------------------------------------------------------------------- questions

def evidence_span(context: str, answer: str, start: int | None) -> str | None:
    """The sentence of ``context`` that holds ``answer`` (at ``start`` when that is where it
    is, else its first occurrence), clipped around the answer when longer than MAX_EVIDENCE."""
    from rag.zh import sentence_spans

    pos = start if start is not None and context[start:start + len(answer)] == answer else context.find(answer)
    if not answer or pos < 0:
        return None
    end = pos + len(answer)
    a, b = next(((a, b) for a, b in sentence_spans(context) if a <= pos < b), (pos, end))
    a, b = min(a, pos), max(b, end)
    if b - a > MAX_EVIDENCE:
        a, b = max(a, pos - EVIDENCE_MARGIN), min(b, end + EVIDENCE_MARGIN)
    return context[a:b].strip()


# A reference to the passage instead of a name: pronouns (not in 其他/吉他/维他命/贝他),
# 其 as "its" (not 其中/其他/尤其/土耳其/马其顿), 该/此/这 + a noun, 本次/本届..., 文中/本文.
_REFERENCE = re.compile(
    r"(?<![其吉维維贝貝])[它牠他她](?!加禄|加祿|命)"
    r"|(?<![尤极極土耳马馬有])其(?!他|它|中|餘|余|實|实|次|后|後)"
    r"|(?<![应應])[该該](?!怎|如)"
    r"|(?<![因如彼为為])此(?!外)"
    r"|[这這][个個些位部本座条條首种種項项次年时時裡里]"
    r"|^本(?:作|片|剧|劇|书|書|届|屆|次|游戏|遊戲|站|线|線|种|種)"
    r"|文中|本文|上文"
)
_QUALIFIER = re.compile(r"\s*[（(][^）)]*[）)]\s*$|_\(.*\)$")
# Quoted names and titles: neither a reference ("「耕者有其田」") nor a missing subject.
_QUOTED = re.compile(r'「[^」]*」|“[^”]*”|《[^》]*》|『[^』]*』|"[^"]*"')
# "文中提及，麥可杜卡基思曾為…": a filler opening; what follows names its subject or not.
_FILLER = re.compile(r"^(?:文中|本文|上文)(?:提及|提到|提起|指出)(?![的之])[，,]?")
# What may stand before the reference: nothing, or a question word ("谁设计了该教堂？",
# "在这次选举中…"); a name there is the subject ("艾努人称他们…", "孙休…，当时他…").
_LEAD = re.compile(r"(?:在|于|於|当|當)?(?:(?:谁|誰|哪|何|什么|什麼|为什么|為什麼|如何|多少|几|幾).{0,4})?")


def subjectless(question: str, title: str) -> bool:
    """The question refers to its passage ("他…", "该频道…", "文中…") rather than naming its
    subject: the reference opens the question (after at most a question word), outside
    quotes, and the article title (without a qualifier like "(澳门)") is not in the question."""
    masked = _QUOTED.sub(lambda q: "□" * len(q.group()), _FILLER.sub("", question))
    m = _REFERENCE.search(masked)
    if not m or not _LEAD.fullmatch(masked[: m.start()]):
        return False
    bare = normalize(_QUALIFIER.sub("", title))
    return not (bare and bare in normalize(question))


def question_evidence(q: Question, paragraph: dict[str, Paragraph], starts: dict[str, dict[str, int]]) -> list[str]:
    """The evidence sentences of ``q``'s gold answers in its paragraph, without repeats."""
    ctx = paragraph[q.gold_sources[0]].context
    found = (evidence_span(ctx, t, starts.get(q.id, {}).get(t)) for t in q.answers)
    return list(dict.fromkeys(e for e in found if e))


def _order(seed: Any, articles: Iterable[Article], role: str) -> list[Article]:
    return sorted(articles, key=lambda a: digest(seed, role, a.key))


def split_of(seed: Any, article: Article) -> str:
    return SPLITS[int(digest(seed, "split", article.key)[-1], 16) % 2]


def round_robin(seed: Any, articles: list[Article], usable: Callable[[Question], bool]) -> list[Question]:
    """The usable questions of ``articles`` (in the given order), one per article per round,
    each article's questions in hash order: a sample spreads over as many articles as it can."""
    queues = [sorted((q for q in a.questions if usable(q)), key=lambda q: digest(seed, "question", q.id))
              for a in articles]
    out: list[Question] = []
    for depth in range(max(map(len, queues), default=0)):
        out.extend(q[depth] for q in queues if depth < len(q))
    return out


def accidental(answers: Iterable[str], kb_text: str) -> bool:
    """An answer occurs in the knowledge base (``kb_text``: normalised documents joined by NUL)."""
    return any(n and n in kb_text for n in map(normalize, answers))


def kb_normalized(articles: Iterable[Article]) -> str:
    return "\0".join(normalize(a.doc_text()) for a in articles)


@dataclass
class DevSet:
    kb: list[Article]
    rows: list[dict]  # questions.jsonl rows, in file order
    counts: dict[str, dict[str, int]]  # split -> figure -> count
    problems: list[str]


def _row(q: Question, a: Article, split: str, answerable: bool, evidence: list[str]) -> dict:
    flag = subjectless(q.question, a.title)
    return {"id": q.id, "question": q.question, "answers": q.answers if answerable else [],
            "evidence": evidence, "answerable": answerable, "type": "subjectless" if flag else "named",
            "split": split, "source": a.doc_name if answerable else "", "subjectless": flag,
            "title": a.title, "origin": {"paragraph": q.gold_sources[0] if q.gold_sources else ""},
            **({} if answerable else {"heldout_answers": q.answers})}


def make_devset(articles: list[Article], starts: dict[str, dict[str, int]], n_articles: int,
                n_answerable: int, n_unanswerable: int, seed: Any, problems: list[str] | None = None) -> DevSet:
    ordered = _order(seed, articles, "kb")
    kb, held = ordered[:n_articles], ordered[n_articles:]
    kb_text = kb_normalized(kb)
    article_of = {q.id: a for a in articles for q in a.questions}
    paragraph = {p.id: p for a in articles for p in a.paragraphs}

    def evidence(q: Question) -> list[str]:
        return question_evidence(q, paragraph, starts)

    rows: list[dict] = []
    counts: dict[str, dict[str, int]] = {}
    for split in SPLITS:
        in_split = lambda group: [a for a in group if split_of(seed, a) == split]  # noqa: E731
        kb_s, held_s = in_split(kb), in_split(held)
        ans = round_robin(seed, kb_s, lambda q: q.answerable and bool(evidence(q)))[:n_answerable]
        n_held = sum(q.answerable for a in held_s for q in a.questions)
        kept = round_robin(seed, held_s, lambda q: q.answerable and not accidental(q.answers, kb_text))
        unans = kept[:n_unanswerable]
        chosen = [(q, True) for q in ans] + [(q, False) for q in unans]
        chosen.sort(key=lambda x: digest(seed, "order", x[0].id))  # --limit N takes a mix
        split_rows = [_row(q, article_of[q.id], split, ok, evidence(q) if ok else []) for q, ok in chosen]
        rows += split_rows
        counts[split] = {"kb_articles": len(kb_s), "heldout_articles": len(held_s),
                         "answerable": len(ans), "unanswerable": len(unans),
                         "accidental_answers_dropped": n_held - len(kept),
                         "subjectless": sum(r["subjectless"] for r in split_rows)}
    return DevSet(sorted(kb, key=lambda a: a.doc_name), rows, counts, list(problems or []))


# ---------------------------------------------------------------------------- files

def _left_out(params: dict) -> str:
    if not params.get("without"):
        return ""
    path, n = params["without"].rsplit(":", 1)
    return (f"\n{n} questions that {path} already asks are left out: a second, fresh sample of the "
            "same knowledge base and splits (the counts below are before leaving them out).")


def _readme(lang: str, source: Path, params: dict, ds: DevSet) -> str:
    src = LANGS.get(lang)
    default = source.resolve() == default_source(lang).resolve() if src else False
    where = f"../shared/data/{src.relpath}" if default else source.name
    figures = "\n".join(f"  {split}: " + ", ".join(f"{k} {v}" for k, v in c.items()) for split, c in ds.counts.items())
    return f"""Development set {lang}: built by `python -m evals.devsets build --lang {lang} \
--articles {params['articles']} --answerable {params['answerable']} --unanswerable {params['unanswerable']} \
--seed {params['seed']}{'' if default else ' --source ' + source.name}{' --without ' + params['without'].rsplit(':', 1)[0] if params.get('without') else ''}`.{_left_out(params)}

Source: {src.name if default else 'SQuAD-format file'} {where}
  sha256 {file_sha256(source)}
Licence: {src.licence if default else 'that of the source file'}.
The documents and questions here are derived from the source and shared under the same
licence; do not commit them into the repository.

Split rule (evals/devsets.py): articles are keyed by title. The {params['articles']} articles with the
smallest sha256("{params['seed']}|kb|<key>") are the knowledge base (docs/, one file per
article, the title on the first line); all other articles are held out. Orthogonally,
sha256("{params['seed']}|split|<key>") even -> dev, odd -> test: all questions of an article are in
one split. Answerable questions come from knowledge-base articles (evidence: the sentence
holding the gold answer span); unanswerable ones from held-out articles, dropped when one of
their gold answers occurs in a knowledge-base document. "subjectless": the question refers to
its passage ("他…", "该…", "文中…") instead of naming its subject (a heuristic). Follow-ups
(type "followup" / "followup_unanswerable", after the other rows): a question naming its
subject ("X的…") asked as "它的…" after a first turn in "history" about X (answerable), or
about another, knowledge-base article when X is held out (to be refused).

Counts:
  knowledge base: {len(ds.kb)} documents
{figures}
"""


def write_devset(out: Path, ds: DevSet, readme: str) -> None:
    from rag.errors import UsageError

    out = Path(out)
    if out.exists() and any(out.iterdir()) and not (out / QUESTIONS).exists():
        raise UsageError(f"{out} exists and is not a development set", "give an empty or new folder")
    docs = out / DOCS
    docs.mkdir(parents=True, exist_ok=True)
    for old in docs.glob("*.txt"):  # a previous build with other arguments
        old.unlink()
    for a in ds.kb:
        (docs / a.doc_name).write_bytes(a.doc_text().encode("utf-8"))
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ds.rows)
    (out / QUESTIONS).write_bytes(text.encode("utf-8"))
    (out / README).write_bytes(readme.encode("utf-8"))


def build(lang: str, out: Path, source: Path | None = None, articles: int = DEFAULTS["articles"],
          answerable: int = DEFAULTS["answerable"], unanswerable: int = DEFAULTS["unanswerable"],
          seed: Any = DEFAULTS["seed"], followups: bool = True, without: Path | None = None) -> DevSet:
    from rag.errors import UsageError

    from .followups import counts as followup_counts, followup_rows, source_pool

    source = Path(source) if source else default_source(lang)
    if not source.is_file():
        raise UsageError(f"no source data at {source}", "the shared data lives in ../shared/data")
    arts, starts, problems = load_articles(source)
    if not arts:
        raise UsageError(f"{source}: no usable articles" + (f" ({problems[0]})" if problems else ""),
                         "give a SQuAD-format file")
    ds = make_devset(arts, starts, articles, answerable, unanswerable, seed, problems)
    if followups:  # what `followups DIR` adds to a set built without them, the same rows
        ds.rows += followup_rows(ds.rows, source_pool(ds.rows, arts, starts))
        for split, c in followup_counts(ds.rows).items():
            ds.counts[split].update(c)
    params = {"articles": articles, "answerable": answerable, "unanswerable": unanswerable, "seed": seed}
    if without is not None:
        ds.rows, params["without"] = _without(ds.rows, Path(without))
    write_devset(out, ds, _readme(lang, source, params, ds))
    return ds


def _without(rows: list[dict], earlier: Path) -> tuple[list[dict], str]:
    """``rows`` less those an earlier set (its questions.jsonl) already asks: a second, fresh
    sample of the same knowledge base and splits. A larger build samples the same questions
    first (round robin in hash order), so what is left is new."""
    from rag.errors import UsageError

    try:
        seen = [json.loads(line) for line in earlier.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot read {earlier}: {e}", "give the questions.jsonl of an earlier set") from None
    asked = {r.get("id") for r in seen} | {r.get("question") for r in seen}
    kept = [r for r in rows if r["id"] not in asked and r["question"] not in asked]
    return kept, f"{earlier}:{len(rows) - len(kept)}"


# ---------------------------------------------------------------------------- reading a set

def is_devset(folder: Path) -> bool:
    return (Path(folder) / QUESTIONS).is_file() and (Path(folder) / DOCS).is_dir()


def kb_paragraphs(folder: Path) -> list[Paragraph]:
    """The knowledge base of a set as evals/squad.py paragraphs (doc id = the file name,
    title = its first line, text = the rest), to be indexed by ``ensure_squad_index``."""
    from rag.load import load_document

    out = []
    for path in sorted((Path(folder) / DOCS).glob("*.txt")):
        text = load_document(path, path.name).text
        title, _, body = text.partition("\n")
        out.append(Paragraph(path.name, title.strip(), body.strip() or title))
    return out


# ---------------------------------------------------------------------------- command

@click.group()
def cli() -> None:
    """General development sets from SQuAD-format Chinese Wikipedia data."""


@cli.command("build")
@click.option("--lang", type=click.Choice(sorted(LANGS)), required=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--articles", type=click.IntRange(min=1), default=DEFAULTS["articles"], show_default=True,
              help="Knowledge-base articles.")
@click.option("--answerable", type=click.IntRange(min=0), default=DEFAULTS["answerable"], show_default=True,
              help="Answerable questions per split.")
@click.option("--unanswerable", type=click.IntRange(min=0), default=DEFAULTS["unanswerable"], show_default=True,
              help="Unanswerable questions per split.")
@click.option("--seed", type=int, default=DEFAULTS["seed"], show_default=True)
@click.option("--source", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Another SQuAD-format file (default: the --lang data in ../shared/data).")
@click.option("--followups/--no-followups", default=True, show_default=True,
              help="Add conversational follow-ups (evals/followups.py).")
@click.option("--without", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="QUESTIONS",
              help="Leave out the questions of an earlier set (its questions.jsonl): a second, fresh sample "
                   "of the same knowledge base when built with larger --answerable/--unanswerable.")
def build_cmd(lang, out, articles, answerable, unanswerable, seed, source, followups, without) -> None:
    """Write OUT/docs/*.txt, OUT/questions.jsonl and OUT/README.txt."""
    from rag.errors import RagError

    try:
        ds = build(lang, out, source, articles, answerable, unanswerable, seed, followups, without)
    except RagError as e:  # one line and an exit code, as the rag commands do
        click.echo(f"error: {e}", err=True)
        raise SystemExit(e.exit_code) from None
    if ds.problems:
        click.echo(f"{len(ds.problems)} malformed entries of the source skipped", err=True)
    click.echo(f"{out}: {len(ds.kb)} knowledge-base documents, {len(ds.rows)} questions")
    for split, c in ds.counts.items():
        click.echo(f"  {split}: " + ", ".join(f"{k} {v}" for k, v in c.items()))


def merge(sets: list[Path], out: Path) -> tuple[int, int]:
    """One set over the documents of ``sets`` together -- a folder in two languages, say
    (Chinese Wikipedia articles beside the English documents of evals/sets/en-docs) -- with
    every question of each, unchanged (ids must not clash). Returns (documents, questions)."""
    from rag.errors import UsageError

    docs, rows, ids = {}, [], set()
    for folder in sets:
        if not is_devset(folder):
            raise UsageError(f"{folder} is not a development set (no {QUESTIONS} and {DOCS}/)")
        for path in sorted((folder / DOCS).glob("*.txt")):
            if path.name in docs:
                raise UsageError(f"two sets hold a document named {path.name}")
            docs[path.name] = path.read_bytes()
        for line in (folder / QUESTIONS).read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if row["id"] in ids:
                    raise UsageError(f"two sets hold a question with id {row['id']}")
                ids.add(row["id"])
                rows.append(line)
    (out / DOCS).mkdir(parents=True, exist_ok=True)
    for name, data in docs.items():
        (out / DOCS / name).write_bytes(data)
    (out / QUESTIONS).write_text("\n".join(rows) + "\n", encoding="utf-8")
    (out / README).write_text(f"Merged by `python -m evals.devsets merge {' '.join(map(str, sets))} --out {out}`: "
                              f"{len(docs)} documents, {len(rows)} questions, each as in its own set "
                              "(licences as there).\n", encoding="utf-8")
    return len(docs), len(rows)


@cli.command("merge")
@click.argument("sets", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
def merge_cmd(sets, out) -> None:
    """One set over the documents of SETS together, with all their questions (a folder in
    two languages: a Chinese set and evals/sets/en-docs)."""
    from rag.errors import RagError

    try:
        n_docs, n_rows = merge(list(sets), out)
    except RagError as e:
        click.echo(f"error: {e}", err=True)
        raise SystemExit(e.exit_code) from None
    click.echo(f"{out}: {n_docs} documents, {n_rows} questions")


@cli.command("followups")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(sorted(LANGS)), help="Default: the one its README.txt records.")
@click.option("--source", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The SQuAD-format file it was built from, when not the --lang default.")
def followups_cmd(folder, lang, source) -> None:
    """Replace the follow-up rows of FOLDER/questions.jsonl (a set built without them)."""
    from rag.errors import RagError

    from .followups import add_followups, counts

    try:
        rows = add_followups(folder, lang, source)
    except RagError as e:
        click.echo(f"error: {e}", err=True)
        raise SystemExit(e.exit_code) from None
    got = counts(rows)
    click.echo(f"{folder / QUESTIONS}: {len(rows)} questions, "
               f"{sum(sum(c.values()) for c in got.values())} of them follow-ups")
    for split, c in got.items():
        click.echo(f"  {split}: " + ", ".join(f"{k} {v}" for k, v in c.items()))


if __name__ == "__main__":
    cli()
