"""General development sets (evals/devsets.py): split by article, determinism, the
accidental-answer filter, the question loader, `rag eval DIR`, conversational follow-ups
(evals/followups.py), and the real shared data."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SHARED
from evals import devsets as D
from evals import followups as F
from evals.metrics import normalize
from evals.run import eval_cmd, load_dataset, parse_jsonl, run_eval
from rag.config import Config
from test_eval import Factories

# Invented Wikipedia-like articles: every one lies in 欧洲 (an answer shared by all, so a
# held-out question answered "欧洲" is always answerable from the knowledge base by accident)
# and has its own year, area and product (answers found in no other article).
PLACES = ["青岚湖", "石门山", "白桦镇", "赤松岛", "云雀河", "铜铃谷", "雾灯港", "紫藤村",
          "银杏原", "黑石堡", "苍鹭湾", "金沙洲", "月牙泉", "松涛岭"]
PRODUCTS = ["蓝莓酒", "花岗岩", "桦木家具", "海盐", "鳟鱼", "铜铃", "鱼油灯", "紫藤茶",
            "银杏果", "黑陶", "鹭羽扇", "金沙糖", "月牙饼", "松脂"]


def _article(i: int, title: str) -> dict:
    year, area, product = 1801 + i * 7, 120 + i * 13, PRODUCTS[i]
    context = (f"{title}是位于欧洲的一处地方，建于{year}年。{title}的面积约为{area}平方公里，"
               f"当地以出产{product}闻名。每年夏季都有许多游客前来。")
    qas = [
        {"id": f"Q{i}a", "question": f"{title}建于哪一年？",
         "answers": [{"text": f"{year}年", "answer_start": context.index(f"{year}年")}]},
        {"id": f"Q{i}b", "question": f"{title}以出产什么闻名？",
         "answers": [{"text": product, "answer_start": context.index(product)}, {"text": product}]},
        {"id": f"Q{i}c", "question": f"{title}位于哪个大洲？",
         "answers": [{"text": "欧洲", "answer_start": context.index("欧洲")}]},
        {"id": f"Q{i}d", "question": "它的面积约为多少？",
         "answers": [{"text": f"{area}平方公里", "answer_start": context.index(f"{area}平方公里")}]},
    ]
    return {"id": f"A{i}", "title": title, "paragraphs": [{"id": f"P{i}", "context": context, "qas": qas}]}


@pytest.fixture
def source(tmp_path) -> Path:
    data = {"version": "test", "data": [_article(i, t) for i, t in enumerate(PLACES)]}
    # A second entry with the same title is the same article (another paragraph of it).
    data["data"].append({"id": "A0b", "title": PLACES[0], "paragraphs": [
        {"id": "P0b", "context": f"{PLACES[0]}的湖水清澈见底。", "qas": [
            {"id": "Q0e", "question": f"{PLACES[0]}的湖水怎么样？", "answers": [{"text": "清澈见底"}]}]}]})
    p = tmp_path / "tiny.json"
    p.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return p


SIZES = {"articles": 6, "answerable": 4, "unanswerable": 2, "seed": 7}


def _build(source: Path, out: Path, **kw) -> D.DevSet:
    return D.build("zh-hans", out, source, **{**SIZES, **kw})


def _rows(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / D.QUESTIONS).read_text(encoding="utf-8").splitlines()]


def _sample(rows: list[dict]) -> list[dict]:
    """The sampled questions, without the follow-ups made from them."""
    return [r for r in rows if not F.is_followup(r)]


def _kb_titles(out: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8").split("\n", 1)[0] for p in (out / D.DOCS).glob("*.txt")}


def test_split_by_article_and_kb_vs_held_out(tmp_path, source):
    out = tmp_path / "set"
    ds = _build(source, out)
    rows, kb = _rows(out), _kb_titles(out)
    assert len(kb) == SIZES["articles"] and len(ds.kb) == SIZES["articles"]
    splits: dict[str, set[str]] = {}
    for r in rows:
        splits.setdefault(r["title"], set()).add(r["split"])
        if r["answerable"]:
            assert kb[r["source"]] == r["title"] and r["answers"] and r["evidence"]
            assert all(normalize(e) in normalize((out / D.DOCS / r["source"]).read_text(encoding="utf-8"))
                       for e in r["evidence"])
        else:
            assert r["title"] not in kb.values() and r["source"] == "" and r["answers"] == []
    assert all(len(s) == 1 for s in splits.values())  # every question of an article in one split
    for split in D.SPLITS:
        got = [r for r in _sample(rows) if r["split"] == split]
        assert sum(r["answerable"] for r in got) <= SIZES["answerable"]
        assert sum(not r["answerable"] for r in got) <= SIZES["unanswerable"]
    assert {r["split"] for r in rows} == {"dev", "test"}
    assert sum(r["answerable"] for r in rows) > sum(not r["answerable"] for r in rows) > 0
    assert [r["id"] for r in rows if r["type"] == "followup"] == ["Q0e_FU"]  # 青岚湖的湖水… (seed 7)
    # The two entries titled 青岚湖 are one article: one document with both paragraphs.
    if PLACES[0] in kb.values():
        doc = next(n for n, t in kb.items() if t == PLACES[0])
        assert "清澈见底" in (out / D.DOCS / doc).read_text(encoding="utf-8")


def test_same_arguments_give_byte_identical_output(tmp_path, source):
    a, b = tmp_path / "a", tmp_path / "b"
    _build(source, a)
    _build(source, b)
    _build(source, b, articles=9)  # rebuilding in place with other sizes leaves nothing stale
    _build(source, b)
    files = lambda d: {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}  # noqa: E731
    assert files(a) == files(b)
    _build(source, b, seed=8)
    assert files(a) != files(b)
    assert "CC BY-SA" not in (a / D.README).read_text(encoding="utf-8")  # not the shared data: no claim
    assert "split" in (a / D.README).read_text(encoding="utf-8")


def test_accidental_answers_in_the_knowledge_base_are_dropped(tmp_path, source):
    kb_text = D.kb_normalized(D.load_articles(source)[0][:2])
    assert D.accidental(["欧洲"], kb_text)
    assert D.accidental(["１８０１ 年"], kb_text)  # compared normalised: width and spaces folded
    assert not D.accidental(["亚洲", ""], kb_text)
    out = tmp_path / "set"
    ds = _build(source, out, unanswerable=10)
    unans = [r for r in _rows(out) if not r["answerable"]]
    # Every held-out article has a question answered 欧洲: all dropped, the others kept.
    assert unans and all(r["heldout_answers"] != ["欧洲"] for r in unans)
    assert sum(c["accidental_answers_dropped"] for c in ds.counts.values()) == len(PLACES) - SIZES["articles"]
    docs = "".join(p.read_text(encoding="utf-8") for p in (out / D.DOCS).glob("*.txt"))
    assert not any(normalize(a) in normalize(docs) for r in unans for a in r["heldout_answers"])


def test_subjectless_questions_are_kept_and_marked():
    assert D.subjectless("它的面积约为多少？", "青岚湖")
    assert D.subjectless("谁设计了该教堂？", "圣体主教座堂")
    assert D.subjectless("文中的“严重影响”指什么？", "九号风球 (澳门)")
    assert D.subjectless("文中提到的左派社會主義政府為哪一個人所領導?", "民主黨_(美國)")
    assert not D.subjectless("文中提及，麥可杜卡基思曾為哪一州的州長?", "民主黨_(美國)")  # filler, then a name
    assert not D.subjectless("青岚湖建于哪一年？", "青岚湖")
    assert not D.subjectless("孙休被封为琅邪王，当时他的封地在哪？", "朱皇后 (孙休)")  # resolved in the question
    assert not D.subjectless("什么维他命可以经鲑鱼肉摄取到？", "鲑鱼")
    assert not D.subjectless("石门山的其中一座山峰叫什么？", "石门")
    assert D.subjectless("在这次选举中处于领先地位的两位候选人分别是谁？", "2009年马其顿总统选举")
    assert not D.subjectless("隐面龙这个名字是谁命的？", "隐面龙属")  # a name opens it
    assert not D.subjectless("「天皇」這個詞最早在哪一個世紀的時候出現?", "日本歷史")  # quoted: named
    assert not D.subjectless("「現在，它早已死了。」這段話出自哪一篇文章?", "高考")  # inside quotes


def test_questions_jsonl_reads_with_the_question_loader(tmp_path, source):
    out = tmp_path / "set"
    _build(source, out)
    questions, problems = parse_jsonl((out / D.QUESTIONS).read_text(encoding="utf-8"), D.QUESTIONS)
    assert not problems and len(questions) == len(_rows(out))
    assert {q.split for q in questions} <= {"dev", "test"}
    assert {q.type for q in questions} <= {"named", "subjectless", F.FOLLOWUP, F.FOLLOWUP_UNANSWERABLE}
    assert [q.history[0]["content"] for q in questions if q.type == F.FOLLOWUP] == [f"{PLACES[0]}建于哪一年？"]
    marked = [r for r in _rows(out) if r["subjectless"]]
    assert marked and all(r["question"] == "它的面积约为多少？" for r in marked)
    ds = load_dataset(out)
    assert ds.kind == "devset" and ds.path == out / D.QUESTIONS and not ds.problems
    assert sorted(p.id for p in ds.paragraphs) == sorted(_kb_titles(out))
    assert {p.title for p in ds.paragraphs} == set(_kb_titles(out).values())
    assert all(not p.context.startswith(p.title + "\n") for p in ds.paragraphs)


def test_eval_runs_a_devset_folder(tmp_path, source, monkeypatch, fake_embedder, fake_generator):
    monkeypatch.setenv("RAG_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr("rag.embed.load_embedder", lambda config: fake_embedder)
    out = tmp_path / "set"
    _build(source, out)
    fakes = Factories(fake_embedder, fake_generator)
    summary = run_eval(out, None, tmp_path / "o1", split="dev", config=Config(), **fakes.kw())
    dev = [r for r in _rows(out) if r["split"] == "dev"]
    assert summary["kind"] == "devset" and summary["n_done"] == len(dev)
    assert set(summary["by_split"]) == {"dev"} and summary["overall"]["hit@5"] is not None
    assert summary["indexing"]["n_docs"] == SIZES["articles"] and summary["overall"]["f1"] is not None
    assert (tmp_path / "cache" / "eval-indexes").is_dir()
    result = CliRunner().invoke(eval_cmd, [str(out), "--split", "test", "--retrieval-only",
                                           "--out", str(tmp_path / "o2")])
    assert result.exit_code == 0, result.output
    assert "| hit@1 |" in result.stdout
    assert json.loads((tmp_path / "o2" / "summary.json").read_text(encoding="utf-8"))["indexing"]["cached"]
    bad = CliRunner().invoke(eval_cmd, [str(tmp_path / "cache")])
    assert bad.exit_code != 0 and "not a development set" in str(bad.exception)


def test_build_command(tmp_path, source):
    out = tmp_path / "set"
    result = CliRunner().invoke(D.cli, ["build", "--lang", "zh-hans", "--out", str(out), "--source", str(source),
                                        "--articles", "6", "--answerable", "4", "--unanswerable", "2"])
    assert result.exit_code == 0, result.output
    assert "6 knowledge-base documents" in result.stdout and "dev:" in result.stdout
    assert (out / D.README).exists() and _rows(out)
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine", encoding="utf-8")
    refused = CliRunner().invoke(D.cli, ["build", "--lang", "zh-hans", "--out", str(other), "--source", str(source)])
    assert refused.exit_code == 2 and "not a development set" in refused.stderr
    assert [p.name for p in other.iterdir()] == ["notes.txt"]


# ---------------------------------------------------------------------------- follow-ups

def _q(qid: str, question: str, title: str, split: str = "dev", answerable: bool = True) -> dict:
    """A questions.jsonl row as devsets.build writes it."""
    answers = [f"答{qid}"]
    return {"id": qid, "question": question, "answers": answers if answerable else [],
            "evidence": [f"证{qid}"] if answerable else [], "answerable": answerable, "type": "named",
            "split": split, "source": f"{title}.txt" if answerable else "", "subjectless": False,
            "title": title, "origin": {"paragraph": f"P{qid}"}, **({} if answerable else {"heldout_answers": answers})}


def _conversation_rows() -> list[dict]:
    return [
        _q("k1", "它生活在哪里？", "红钻鱼 (鱼类)"),  # smaller id, but not naming its subject
        _q("k2", "红钻鱼生活在哪片海域？", "红钻鱼 (鱼类)"),
        _q("k3", "红钻鱼的明显特征是什么？", "红钻鱼 (鱼类)"),
        _q("k4", "红钻鱼的寿命有多长？", "红钻鱼 (鱼类)"),  # a second candidate: one follow-up an article
        _q("b1", "蓝湖的水深是多少？", "蓝湖"),  # its article's only question: no conversation
        _q("c1", "白塔建于哪一年？", "白塔", "test"),
        _q("c2", "白塔的设计者和白塔的建造者是谁？", "白塔", "test"),  # the title twice: not rewritten
        _q("h1", "金山寺的住持是谁？", "金山寺", "dev", answerable=False),
        _q("h2", "黑河有多长？", "黑河", "dev", answerable=False),  # no "<title>的": no follow-up
        _q("h3", "石桥的桥长是多少？", "石桥", "test", answerable=False),
    ]


def test_followup_replaces_the_title_and_carries_the_first_question():
    got = [r for r in F.followup_rows(_conversation_rows()) if r["type"] == F.FOLLOWUP]
    assert [r["id"] for r in got] == ["k3_FU"]
    fu = got[0]
    assert fu["question"] == "它的明显特征是什么？"  # the qualifier "(鱼类)" is not looked for
    assert fu["history"] == [{"role": "user", "content": "红钻鱼生活在哪片海域？"},
                             {"role": "assistant", "content": "答k2"}]
    b = _conversation_rows()[2]
    assert {k: fu[k] for k in ("answers", "evidence", "source", "split", "title")} == \
        {k: b[k] for k in ("answers", "evidence", "source", "split", "title")}
    assert fu["answerable"] and fu["origin"]["question"] == b["question"] and fu["origin"]["previous"] == "k2"
    # The pool supplies the second question of an article the set asks about once.
    more = F.followup_rows(_conversation_rows(), [_q("b0", "蓝湖的面积是多少？", "蓝湖")])
    assert [(r["id"], r["question"], r["history"][0]["content"]) for r in more if r["type"] == F.FOLLOWUP] == \
        [("b0_FU", "它的面积是多少？", "蓝湖的水深是多少？"), ("k3_FU", "它的明显特征是什么？", "红钻鱼生活在哪片海域？")]
    assert F.pronoun_question("怎么定义圣训学的？", "圣训学") is None  # "它的？" is no question
    assert F.pronoun_question("民主黨的創黨人是誰?", "民主黨_(美國)") == "它的創黨人是誰?"


def test_unanswerable_followups_come_from_held_out_rows():
    rows = _conversation_rows()
    got = [r for r in F.followup_rows(rows) if r["type"] == F.FOLLOWUP_UNANSWERABLE]
    assert [(r["id"], r["split"], r["question"]) for r in got] == \
        [("h1_FU", "dev", "它的住持是谁？"), ("h3_FU", "test", "它的桥长是多少？")]
    for r in got:
        assert not r["answerable"] and r["answers"] == [] and r["evidence"] == [] and r["source"] == ""
        assert r["heldout_answers"] == [f"答{r['id'][:-3]}"]
        first = next(x for x in rows if x["question"] == r["history"][0]["content"])
        # The first turn: an answerable question naming its (knowledge-base) article, same split.
        assert first["answerable"] and first["split"] == r["split"] and F.names(first)
        assert r["history"][1] == {"role": "assistant", "content": first["answers"][0]}
    # Rows already made are not follow-up sources again.
    assert F.followup_rows(rows + F.followup_rows(rows)) == F.followup_rows(rows)


def test_followups_are_deterministic():
    import random

    rows = _conversation_rows()
    want = F.followup_rows(rows)
    assert [r["id"] for r in want] == ["h1_FU", "h3_FU", "k3_FU"]  # by id, whatever the type
    for seed in range(5):
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        assert F.followup_rows(shuffled) == want


def test_followups_command_matches_build_and_does_not_duplicate(tmp_path, source):
    fresh, old = tmp_path / "fresh", tmp_path / "old"
    _build(source, fresh)
    _build(source, old, followups=False)  # a set built before follow-ups
    assert not any(F.is_followup(r) for r in _rows(old))
    run = lambda: CliRunner().invoke(D.cli, ["followups", str(old), "--source", str(source)])  # noqa: E731
    for _ in range(2):  # a rerun replaces the follow-ups, it does not add them again
        result = run()
        assert result.exit_code == 0, result.output
        assert (old / D.QUESTIONS).read_bytes() == (fresh / D.QUESTIONS).read_bytes()
    assert "test: followup 1, followup_unanswerable 0" in result.stdout
    assert sorted(p.name for p in old.iterdir()) == sorted([D.DOCS, D.QUESTIONS, D.README])  # no temp file left
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"data": [_article(0, "别处")]}, ensure_ascii=False), encoding="utf-8")
    wrong = CliRunner().invoke(D.cli, ["followups", str(old), "--source", str(other)])
    assert wrong.exit_code == 2 and "not in" in wrong.stderr
    assert (old / D.QUESTIONS).read_bytes() == (fresh / D.QUESTIONS).read_bytes()


# ---------------------------------------------------------------------------- real data

SIMPLIFIED, TRADITIONAL = "们这国说时会为来对个", "們這國說時會為來對個"


def _script_counts(folder: Path) -> tuple[int, int]:
    text = "".join(p.read_text(encoding="utf-8") for p in (folder / D.DOCS).glob("*.txt"))
    return sum(text.count(c) for c in SIMPLIFIED), sum(text.count(c) for c in TRADITIONAL)


@pytest.mark.parametrize("lang", ["zh-hans", "zh-hant"])
def test_real_shared_data(tmp_path, lang):
    cmrc = SHARED / "data" / "cmrc2018" / "cmrc2018_dev.json"
    if not cmrc.exists():
        pytest.skip(f"{cmrc} is missing (the shared data lives beside the repository)")
    if not D.default_source(lang).exists():
        pytest.skip(f"{D.default_source(lang)} is missing")
    assert D.default_source("zh-hans") == cmrc
    out = tmp_path / lang
    ds = D.build(lang, out, articles=40, answerable=12, unanswerable=6)
    for split, c in ds.counts.items():
        assert c["answerable"] == 12 and c["unanswerable"] == 6, (split, c)
    assert len(list((out / D.DOCS).glob("*.txt"))) == 40
    simplified, traditional = _script_counts(out)
    if lang == "zh-hans":
        assert simplified > 10 * max(traditional, 1)
    else:
        assert traditional > 10 * max(simplified, 1)
    assert "CC BY-SA" in (out / D.README).read_text(encoding="utf-8")
    assert "../shared/data/" in (out / D.README).read_text(encoding="utf-8")


def test_a_second_fresh_sample_leaves_out_what_an_earlier_set_asks(tmp_path, source):
    first = tmp_path / "first"
    _build(source, first, answerable=2, unanswerable=1)
    second = tmp_path / "second"
    _build(source, second, answerable=4, unanswerable=2, without=first / D.QUESTIONS)
    asked = {r["question"] for r in _rows(first)}
    rows = _rows(second)
    assert rows and not any(r["question"] in asked for r in rows)
    # Same knowledge base, so `rag eval` reuses its index; the README says what was left out.
    assert _kb_titles(first) == _kb_titles(second)
    assert "already asks are left out" in (second / D.README).read_text(encoding="utf-8")
    from rag.errors import UsageError

    with pytest.raises(UsageError, match="cannot read"):
        _build(source, tmp_path / "third", without=tmp_path / "nothing.jsonl")
