"""A claim that drops its passage's negation is not supported by it."""
from rag.polarity import dropped_negation
from rag.support import support_score

GLOVES_EN = "Gloves and aprons are provided at the check-in desk, so you do not need to bring your own."
GLOVES_ZH = "手套和围裙在签到处发放，志愿者不需要自带。"


def test_a_negated_phrase_stated_positively_is_unsupported():
    assert support_score("Yes, you do have to bring your own gloves.", GLOVES_EN) == 0.0
    assert support_score("志愿者需要自带手套。", GLOVES_ZH) == 0.0
    assert dropped_negation("乙方承担装修垃圾清运费用。", "乙方不承担装修垃圾清运费用，由业主自理。")
    assert dropped_negation("The pool is heated in winter.", "The pool is not heated in winter.")
    assert dropped_negation("可以线上办理退保。", "本保险无法线上办理退保，须到柜台办理。")  # 无法: cannot


def test_the_same_negation_or_another_part_of_the_passage_is_supported():
    assert support_score("No, you do not need to bring your own gloves.", GLOVES_EN) > 0.5
    assert support_score("志愿者无需自带手套。", GLOVES_ZH) > 0.0
    assert not dropped_negation("Gloves are provided at the check-in desk.", GLOVES_EN)
    # the passage states it positively elsewhere (of another subject)
    assert not dropped_negation("乙店提供退款。", "甲店不提供退款。乙店提供退款。")
    # a word that only starts with a negation character (不断, 未来) negates nothing
    assert not dropped_negation("公司不断扩大规模。", "公司不断扩大规模。")
    assert not dropped_negation("须到柜台办理退保。", "本保险无法线上办理退保，须到柜台办理。")
    assert not dropped_negation("该湖是冰川作用形成的。", "当时该地尚未形成的湖泊后来被冰川填平，该湖是冰川作用形成的。")
    # the claim's own clause negates it, further before
    assert not dropped_negation("记者认为当局没有批准任何集会申请。", "据记者观察，似乎没有任何集会申请得到批准。")
    # a negation in another clause is not the claim's phrase
    assert not dropped_negation("Dogs are allowed on the trails.", "Dogs are not allowed in the visitor centre but are welcome on the trails.")


# ------------------------------------------------------------ a yes its own clause denies

from rag.polarity import agreeing_answer  # noqa: E402


def test_a_yes_whose_clause_negates_the_question_becomes_a_no():
    assert agreeing_answer("Do I have to bring my own gloves to a shift?",
                           "Yes, you do not need to bring your own gloves [1].") \
        == "No, you do not need to bring your own gloves [1]."
    assert agreeing_answer("Can pets stay in the rooms?", "Yes, pets cannot stay in the rooms [1].") \
        == "No, pets cannot stay in the rooms [1]."
    assert agreeing_answer("志愿者需要自带手套吗？", "是的，志愿者不需要自带手套[1]。") == "不，志愿者不需要自带手套[1]。"
    assert agreeing_answer("這間分館週日開放嗎？", "是，分館週日不開放[1]。") == "不，分館週日不開放[1]。"


def test_a_yes_that_agrees_or_denies_something_else_is_kept():
    kept = [
        ("Do I have to register?", "Yes, you have to register online [1]."),
        ("Can I pay by card?", "Yes, you do not need cash [1]."),  # denies another thing
        ("Does the pool open on Mondays?", "Yes, it does not close on Mondays [1]."),  # no to closing
        ("Is there a fee for late returns?", "Yes, a fee of $1 is charged for each day a tool is not returned [1]."),
        ("Isn't the museum free?", "Yes, it is not free [1]."),  # the question negates: ambiguous
        ("志愿者需要自带手套吗？", "是的，志愿者需要自带手套[1]。"),
        ("這家店週日營業嗎？", "是的，週日不休息，照常營業[1]。"),  # 不休息: open
        ("What do I need to bring?", "Yes, you do not need to bring gloves [1]."),  # no yes/no question
    ]
    for question, answer in kept:
        assert agreeing_answer(question, answer) == answer, question


def test_the_pipeline_shows_the_no_its_answer_states(tmp_path, fake_embedder):
    from rag.answer import Pipeline
    from rag.config import Config
    from rag.index import update_index
    from rag.retrieve import Retriever
    from conftest import FakeGenerator

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "handbook.md").write_text(
        "# Volunteer handbook\n\nShifts start at 9 am at the warehouse. Gloves and aprons are provided at "
        "the check-in desk, so you do not need to bring your own gloves. Closed-toe shoes are required.\n",
        encoding="utf-8")
    config = Config.from_env()
    update_index(tmp_path / "idx", [docs], config, fake_embedder)
    gen = FakeGenerator(lambda m: "Yes, you do not need to bring your own gloves [1].")
    p = Pipeline(Retriever.open(tmp_path / "idx", fake_embedder, config), gen, config)
    a = p.ask("Do I have to bring my own gloves to a shift?")
    assert not a.refused and a.answer.startswith("No, you do not need to bring your own gloves")


def test_an_answer_giving_a_thing_the_superlative_its_passage_turns_over_is_flipped():
    from rag.polarity import flipped_superlative

    # an invented orchard's report
    passage = ["受夏季雨水偏多影响，七月的产量明显增加，销量和收入均为全年最高；二月因春节停工，为全年最低。"]
    assert flipped_superlative("哪个月的收入最高？", "二月的收入最高[1]。", passage)
    assert not flipped_superlative("哪个月的收入最高？", "七月的收入最高[1]。", passage)
    assert not flipped_superlative("哪个月的收入最低？", "二月的收入最低[1]。", passage)
    assert not flipped_superlative("二月的收入是多少？", "二月的收入最低[1]。", passage)  # no superlative asked


# ------------------------------------------------------------ a word that says "not …"

HOURS = "Closed on Mondays, except bank holiday Mondays, when we open 10:00–17:30."


def test_a_claim_stating_what_its_passage_calls_closed_or_excluded_is_unsupported():
    assert dropped_negation("Yes, we are open on Mondays.", HOURS)
    assert support_score("Yes, we are open on Mondays.", HOURS) == 0.0
    assert dropped_negation("Parking is included in the membership.", "Parking is excluded from every membership.")


def test_the_closed_day_itself_or_a_clause_stating_it_open_is_supported():
    assert not dropped_negation("The gallery is closed on Mondays.", HOURS)
    assert not dropped_negation("It opens at 10:00 on bank holiday Mondays.", HOURS)
    # the passage states it open too, of another part
    assert not dropped_negation("The galleries are open on Mondays.",
                                "The café is closed on Mondays; the galleries are open on Mondays.")


# ------------------------------------------------------------ what a rule excepts

DORM_RULE = "寝室内禁止使用电磁炉、电暖器等高功率电器（单一电器超过800瓦者），吹风机除外。"
PETS = "除导盲犬等服务犬外，宠物不得入馆。"


def test_a_prohibition_put_on_what_the_rule_excepts_is_unsupported():
    assert dropped_negation("吹风机在宿舍内禁止使用。", DORM_RULE)
    assert support_score("吹风机在宿舍内禁止使用。", DORM_RULE) == 0.0
    assert dropped_negation("导盲犬不得入馆。", PETS)


def test_the_rule_itself_or_the_exception_stated_is_supported():
    assert not dropped_negation("寝室内禁止使用电暖器。", DORM_RULE)
    assert not dropped_negation("吹风机可以使用。", DORM_RULE)
    assert not dropped_negation("宠物不得入馆。", PETS)


def test_a_bare_no_before_the_condition_that_allows_it_is_dropped():
    # the passage says "may, if": the opening no contradicts the answer's own condition
    answer = "不可以。押金收据遗失的，须凭身份证到前台登记后方可退还押金[1]。"
    assert agreeing_answer("押金收据丢了还能退押金吗？", answer) == "押金收据遗失的，须凭身份证到前台登记后方可退还押金[1]。"
    # a no that the rest does not turn into "only if" stays
    answer = "不可以。馆内禁止饮食[1]。"
    assert agreeing_answer("可以在馆内吃东西吗？", answer) == answer
