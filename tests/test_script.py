"""Traditional and simplified Chinese: matched as one, answered in the question's script.

Cases are invented or general knowledge, not from the seed documents.
"""
from rag.answer import Pipeline
from rag.prompt import answer_script
from rag.cite import cite, is_refusal_text
from rag.config import Config
from rag.index import update_index
from rag.lexical import BM25Index, recipe_folds, tokenize
from rag.prompt import REFUSAL
from rag.records import Chunk, Hit
from rag.retrieve import Retriever
from rag.support import support_score
from rag.zh import fold, in_script, script_of

from conftest import FakeGenerator

TRAD_DOC = "台北車站\n台北車站位於台灣台北市中正區，是臺灣鐵路與高速鐵路的重要樞紐。車站大樓於1989年啟用，共有地下四層。"


def test_script_of_tells_traditional_from_simplified_and_neither():
    assert script_of("這座車站是哪一年啟用的？") == "hant"
    assert script_of("这座车站是哪一年启用的？") == "hans"
    # Same characters in both scripts, or no Chinese at all: no verdict.
    assert script_of("李白出生在哪？") is None
    assert script_of("When did it open?") is None


def test_fold_matches_scripts_and_in_script_converts_for_reading():
    assert fold("物理化學") == fold("物理化学") == "物理化学"
    assert fold("ＡＢＣ１２") == "abc12"
    assert in_script("车站大楼于1989年启用[1]。", "hant") == "車站大樓於1989年啟用[1]。"
    assert in_script("車站大樓", "hans") == "车站大楼"
    assert in_script("车站", None) == "车站"


def test_bm25_tokens_fold_scripts_but_an_old_index_keeps_its_own():
    assert tokenize("車站大樓") == tokenize("车站大楼")
    assert tokenize("車站大樓", fold_script=False) != tokenize("车站大楼", fold_script=False)
    assert recipe_folds("title+headings+text/2") and not recipe_folds("title+headings+text/1")
    assert not recipe_folds("")  # manifests from before recipes were recorded


def test_bm25_finds_a_traditional_passage_for_a_simplified_query(tmp_path):
    index = BM25Index.build(["車站大樓於1989年啟用", "咖啡豆產自衣索比亞"])
    ids, _ = index.search("车站大楼什么时候启用", 2)
    assert ids.tolist()[:1] == [0]
    index.save(tmp_path / "b")
    old = BM25Index.load(tmp_path / "b", "title+headings+text/1")  # built unfolded: query likewise
    assert not old.fold_script


def _hit(text: str) -> Hit:
    return Hit(Chunk("a.txt", 0, text, 0, len(text), title="a"), 1.0, 1)


def test_a_simplified_claim_is_verified_against_a_traditional_passage():
    passage = "車站大樓於1989年啟用，共有地下四層。"
    assert support_score("车站大楼于1989年启用", passage) >= 0.9
    assert support_score("车站大楼于1999年启用", passage) == 0.0  # numbers stay strict
    cited = cite("车站大楼于1989年启用[1]。", [_hit(passage)])
    assert cited.citations[0].verified


def test_refusals_are_recognised_in_either_script():
    assert is_refusal_text("根據現有資料無法回答該問題。")
    assert is_refusal_text("根据现有资料无法回答该问题。")
    assert not is_refusal_text("車站大樓於1989年啟用。")


def test_answer_script_follows_the_question_then_the_passages():
    trad = [_hit("車站大樓於1989年啟用。")]
    assert answer_script("这座车站是哪一年启用的？", trad) == "hans"
    assert answer_script("這座車站是哪一年啟用的？", trad) == "hant"
    assert answer_script("李白出生在哪？", trad) == "hant"  # undecided question: the passages' script
    assert answer_script("李白出生在哪？", [_hit("李白出生在西域。")]) is None


def _pipeline(tmp_path, embedder, generator):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "station.txt").write_text(TRAD_DOC, encoding="utf-8")
    update_index(tmp_path / "idx", [docs], Config(), embedder)
    return Pipeline(Retriever.open(tmp_path / "idx", embedder, Config()), generator, Config())


def test_traditional_question_gets_a_traditional_answer_from_a_mixed_script_model(tmp_path, fake_embedder):
    # The small model often answers traditional documents in simplified characters.
    gen = FakeGenerator(lambda m: "车站大楼于1989年启用[1]。")
    p = _pipeline(tmp_path, fake_embedder, gen)
    events = list(p.stream("台北車站的車站大樓是哪一年啟用的？"))
    a = events[-1].answer
    assert not a.refused and a.citations[0].verified
    assert a.answer == "車站大樓於1989年啟用[1]。"
    assert "".join(e.text for e in events if e.kind == "token") == a.answer  # streamed as shown
    assert a.citations[0].quote in TRAD_DOC  # the quote is the document's own text


def test_simplified_question_over_traditional_documents_is_answered_in_simplified(tmp_path, fake_embedder):
    gen = FakeGenerator(lambda m: "車站大樓於1989年啟用[1]。")
    a = _pipeline(tmp_path, fake_embedder, gen).ask("台北车站的车站大楼是哪一年启用的？")
    assert not a.refused and a.answer == "车站大楼于1989年启用[1]。"


def test_a_question_over_documents_all_in_the_other_script_is_read_in_theirs(tmp_path, fake_embedder):
    """The model is asked the question in its passages' script and the answer is shown in
    the question's; over documents in both scripts, or in its own, it is asked as written."""
    asked = []

    def reply(messages):
        asked.append(messages[-1]["content"])
        return "車站大樓於1989年啟用[1]。"

    a = _pipeline(tmp_path, fake_embedder, FakeGenerator(reply)).ask("台北车站的车站大楼是哪一年启用的？")
    assert "車站的車站大樓是哪一年啟用的？" in asked[-1] and "车站大楼" not in asked[-1]  # (台 may be 臺)
    assert not a.refused and a.answer == "车站大楼于1989年启用[1]。" and a.standalone_question is None
    (tmp_path / "own").mkdir()
    _pipeline(tmp_path / "own", fake_embedder, FakeGenerator(reply)).ask("台北車站的車站大樓是哪一年啟用的？")
    assert "台北車站的車站大樓是哪一年啟用的？" in asked[-1]
    both = Retriever.open(tmp_path / "idx", fake_embedder, Config())
    both.__dict__["scripts"] = frozenset({"hans", "hant"})
    assert both.in_documents_script("台北车站在哪里？") == "台北车站在哪里？"


def test_refusal_is_worded_in_the_question_script(tmp_path, fake_embedder):
    gen = FakeGenerator(lambda m: "根据现有资料无法回答该问题。")
    p = _pipeline(tmp_path, fake_embedder, gen)
    trad = p.ask("台北車站每天有多少旅客？")
    assert trad.refused and trad.answer == in_script(REFUSAL["zh"], "hant") != REFUSAL["zh"]
    simp = p.ask("台北车站每天有多少旅客？")
    assert simp.refused and simp.answer == REFUSAL["zh"]


def test_question_rules_read_traditional_questions_as_simplified_ones():
    from rag.kind import lacks_quantity, missing_kind
    from rag.relevance import question_terms
    from rag.rewrite import is_followup
    from rag.short import short_answer

    assert question_terms("懷羌縣於中國的哪一個朝代時最先設置？") == question_terms("怀羌县于中国的哪一个朝代时最先设置？")
    assert missing_kind("車站是哪一年啟用的？", "車站於春天啟用[1]。", "zh") == "time"
    assert missing_kind("車站是哪一年啟用的？", "車站於1989年啟用[1]。", "zh") is None
    assert lacks_quantity("車站有幾層？", "共有地下層[1]", "zh") and not lacks_quantity("車站有幾層？", "地下四層[1]", "zh")
    assert is_followup("這家公司是什麼時候成立的？") and not is_followup("台北車站是哪一年啟用的？")
    quote = "車站大樓於1989年啟用。"
    assert short_answer("車站大樓是哪一年啟用的？", "車站大樓於1989年啟用[1]。", [_cite(quote)]) == "1989年"


def _cite(quote: str):
    from rag.records import Citation

    return Citation(1, Chunk("a.txt", 0, quote, 0, len(quote)), quote, 0, len(quote), True, 1.0)


def test_words_copied_from_a_passage_keep_the_passages_characters():
    passage = "咸豐帝於9月6日正式向英國與法國宣戰。"
    # Character conversion alone may pick the wrong traditional form of an ambiguous
    # simplified character; a stretch the answer copies is taken as the passage writes it.
    assert in_script("咸丰帝于9月6日[1]正式宣战。", "hant", [passage]) == "咸豐帝於9月6日[1]正式宣戰。"
    # Sources in the other script are not copied from: the question's script wins.
    assert in_script("咸豐帝於9月6日[1]。", "hans", [passage]) == "咸丰帝于9月6日[1]。"
    assert in_script("答案[1]", None, [passage]) == "答案[1]"


def test_an_answer_mostly_in_the_questions_script_has_its_stray_characters_converted():
    # A small model drifts into the other script mid-sentence; the user reads one script.
    assert in_script("東德經歷了一段稳定的时期[1]。", "hant") == "東德經歷了一段穩定的時期[1]。"
    assert in_script("东德经历了一段穩定的時期[1]。", "hans") == "东德经历了一段稳定的时期[1]。"
    # Text already in the script is returned as it is (variant forms and all).
    assert in_script("皇后在後宮裡[1]。", "hant") == "皇后在後宮裡[1]。"
