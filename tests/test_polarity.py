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
