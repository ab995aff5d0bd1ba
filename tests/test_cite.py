"""The cite stage: markers -> verified citations, on hand-made hits from an invented article."""
from __future__ import annotations

import pytest

from rag.cite import (
    DEFAULT_THRESHOLD,
    best_span,
    cite,
    parse_markers,
    support_score,
)
from rag.records import Chunk, Citation, Hit
from rag.zh import claim_sentences

# An invented article, one line per paragraph (note its ASCII commas), as one document.
DOC = (
    "2025年的3月份,国内的机器人圈接连出了好几件大事:\n"
    "3月2日,芯片公司北辰科技登陆深交所,成为A股国产NPU第一股,也是科创板第五套标准重新启用以来,"
    "融资额最高的新股发行;\n"
    "3月6日,LUMO(上海星图智能)登陆深交所,既刷新了全球机器人企业从成立到上市耗时最短的纪录,"
    "又打破了白鹭电器上市时创下的制造业公司超额认购纪录,还成为全球首家市值越过八百亿的物流机器人公司。\n"
    "3月14日,中国物流装备协会发布了《2024仓储机器人应用研究报告》。报告显示,Farsail仓储AMR"
    "装机量27.38万台,占外部供应商份额约58.24%,遥遥领先同行。\n"
    "不过,远帆旧部纷纷高光的同时,被视为机器人行业人才摇篮的远帆,自身却渐渐掉队了。\n"
    "创办于2013年的远帆,一度是以工业机械臂为代表的机器人1.0时代的“三巨头”之首,2020年上市之前累计完成11轮融资,"
    "创下当时行业融资额之最。\n"
    "进入以大模型为标志的机器人2.0时代之后,远帆营收便转为负增长,在2017-2024年上半年间,"
    "远帆的累计亏损多达370亿元,相当于同期总收入的三倍还多。\n"
    "远帆属于国内最早押注大模型的一批厂商。\n"
    "2022年秋,海外的Orbit实验室发布Orbit Chat,带起一轮机器人大模型的投资热潮。而在2023年6月,远帆便发布了自研的"
    "“云帆(SkySail)”大模型家族,与鹿鸣网络的灵犀和青湾集团的青鸾基本同步。\n"
)


def chunk_of(first: str, last: str, chunk_id: int) -> Chunk:
    """The chunk running from the line starting with ``first`` to the end of the line
    containing ``last``, with real document offsets."""
    start = DOC.index(first)
    end = DOC.index("\n", DOC.index(last, start))
    return Chunk("000.txt", chunk_id, DOC[start:end], start, end, title="远帆")


P_LISTINGS = chunk_of("3月2日", "物流机器人公司", 0)  # 北辰科技 and LUMO
P_LOSSES = chunk_of("创办于2013年", "三倍还多", 1)  # 11轮融资 and 370亿元
P_FARSAIL = chunk_of("3月14日", "遥遥领先同行", 2)
P_MODEL = chunk_of("远帆属于国内最早", "基本同步", 3)


def hits_of(*chunks: Chunk) -> list[Hit]:
    return [Hit(c, 1.0 - i / 10, i + 1) for i, c in enumerate(chunks)]


HITS = hits_of(P_LISTINGS, P_LOSSES, P_FARSAIL, P_MODEL)


def assert_quotes_document(answer_citations) -> None:
    for c in answer_citations:
        assert DOC[c.start : c.end] == c.quote
        assert c.chunk.start <= c.start < c.end <= c.chunk.end


# ------------------------------------------------------------------------- markers

def test_all_marker_forms_are_parsed():
    text = "甲[1]乙[1,2]丙[1， 2]丁[1、3]戊[1-3]己【2】庚［３］辛[1][2]"
    assert [numbers for _, _, numbers in parse_markers(text)] == [
        [1], [1, 2], [1, 2], [1, 3], [1, 2, 3], [2], [3], [1], [2],
    ]
    for start, end, _ in parse_markers(text):
        assert text[start] in "[【［" and text[end - 1] in "]】］"


def test_footnotes_parentheses_and_years_are_not_markers():
    assert parse_markers("见[^1]和(1)以及（2），成立于[2013]年") == []


def test_labelled_markers_are_parsed():
    assert [n for _, _, n in parse_markers("[资料2] [Source 3]")] == [[2], [3]]


def test_a_copied_placeholder_marker_points_at_no_passage_and_the_claim_is_cited_by_verification():
    """The reminder shows [编号] / [n]; a model that copies it as it stands has cited nothing."""
    lake = Chunk("lake.txt", 0, "青嵐湖渡輪碼頭於2016年2月22日正式啟用。", 0, 24)
    assert [n for _, _, n in parse_markers("2016年2月22日[編號]，見[n]")] == [[], []]
    out = cite("2016年2月22日[編號]", [Hit(lake, 1.0, 1)])
    assert out.text == "2016年2月22日[1]" and [c.verified for c in out.citations] == [True]
    assert not out.unsupported
    # Words in brackets are not placeholders: the text keeps them, and a changed date is
    # still not vouched for.
    assert parse_markers("the [nation] and [number]") == []
    assert not any(c.verified for c in cite("2016年3月22日[編號]", [Hit(lake, 1.0, 1)]).citations)
    # A number in Chinese characters, copied from a document's （四） section, likewise
    minutes = Chunk("minutes.txt", 0, "（四）新排程系統：上線工作由林品妤負責，11月17日完成。", 0, 27)
    out = cite("新排程系統上線由林品妤[四]負責。", [Hit(minutes, 1.0, 1)])
    assert out.text == "新排程系統上線由林品妤負責[1]。" and [c.verified for c in out.citations] == [True]
    assert parse_markers("第[十二]条与[四十五]") == [(1, 5, [])]



def test_a_bracketed_label_before_a_marker_is_dropped_and_other_brackets_kept():
    """The model now and then labels its citation ("林秀英[館長][1]", or "林秀英[館長]。" with
    no marker): the label goes; a bracket inside a sentence, or holding a number, stays."""
    hall = Chunk("guide.txt", 0, "館長：現任館長為林秀英，於2019年接任。", 0, 21)
    out = cite("現任館長是林秀英[館長][1]。", [Hit(hall, 1.0, 1)])
    assert out.text == "現任館長是林秀英[1]。" and [c.verified for c in out.citations] == [True]
    assert cite("現任館長是林秀英[館長]。", [Hit(hall, 1.0, 1)]).text == "現任館長是林秀英[1]。"
    kept = cite("林秀英[館長]於2019年接任[1]。", [Hit(hall, 1.0, 1)])
    assert kept.text == "林秀英[館長]於2019年接任[1]。"
    assert cite("於【2019】[1]", [Hit(hall, 1.0, 1)]).text.startswith("於【2019】")
    # a row cited by its code, letters before digits (an invented order sheet's RX-17)
    row = Chunk("order.csv", 0, "编号: RX-17 | 品名: 档案盒 | 金额(元): 180.00", 0, 36)
    assert cite("档案盒的金额是180元[RX-17][1]。", [Hit(row, 1.0, 1)]).text == "档案盒的金额是180元[1]。"
    assert cite("型号[RX-17]的金额是180元[1]。", [Hit(row, 1.0, 1)]).text == "型号[RX-17]的金额是180元[1]。"
    # a clause the model names in brackets, wherever (an invented gym's rules): the label goes
    rules = Chunk("rules.md", 0, "第六条 会员请假须提前2天申请。", 0, 16)
    assert cite("会员请假须提前2天[第六条]申请[1]。", [Hit(rules, 1.0, 1)]).text == "会员请假须提前2天申请[1]。"
    assert cite("會員請假須提前2天【第6條】申請[1]。", [Hit(rules, 1.0, 1)]).text == "會員請假須提前2天申請[1]。"
    # not a bracket holding more than the clause's number
    assert "[第六条规定]" in cite("会员请假[第六条规定]须提前2天申请[1]。", [Hit(rules, 1.0, 1)]).text

# ----------------------------------------------------------------------- sentences

def test_sentences_never_split_inside_numbers():
    text = "Farsail装机量27.38万台,占比约58.24%。股价2.86港元！其次,亏损370亿元；完毕"
    pieces = [text[s:e] for s, e in claim_sentences(text)]
    assert pieces == ["Farsail装机量27.38万台,占比约58.24%。", "股价2.86港元！", "其次,亏损370亿元；", "完毕"]


def test_sentences_split_on_ascii_punctuation_and_newlines_but_keep_list_numbers():
    text = "It grew 2.86 times. Really?\n1. 第一项\n2. 第二项……结束"
    pieces = [text[s:e] for s, e in claim_sentences(text)]
    assert pieces == ["It grew 2.86 times.", "Really?", "1. 第一项", "2. 第二项……", "结束"]


# -------------------------------------------------------------------- verification

def test_support_is_high_for_a_copied_claim_and_low_for_another_passage():
    claim = "LUMO刷新了全球机器人企业从成立到上市耗时最短的纪录"
    assert support_score(claim, P_LISTINGS.text) > 0.9
    assert support_score(claim, P_LOSSES.text) < 0.3


def test_numbers_are_strict():
    assert support_score("远帆累计亏损多达370亿元", P_LOSSES.text) == 1.0
    assert support_score("远帆累计亏损多达730亿元", P_LOSSES.text) == 0.0
    assert support_score("远帆累计亏损多达370万元", P_LOSSES.text) == 0.0  # unit matters
    assert support_score("LUMO于3月16日登陆深交所", P_LISTINGS.text) == 0.0
    assert support_score("LUMO于3月6日登陆深交所", P_LISTINGS.text) == 1.0
    assert support_score("远帆在2023年6月发布云帆大模型", P_MODEL.text) >= DEFAULT_THRESHOLD
    assert support_score("远帆在2023年7月发布云帆大模型", P_MODEL.text) == 0.0
    assert support_score("占外部供应商份额约58.24%", P_FARSAIL.text) == 1.0
    assert support_score("占外部供应商份额约58%", P_FARSAIL.text) == 0.0


def test_function_characters_are_dropped_as_words_not_inside_words():
    # 都 of 首都 and 中 of 中山 are part of the word; 的 and 在 alone are not content.
    passage = "周平王即位後把首都遷到洛邑，因此開始了東周。"
    assert support_score("东周的首都在洛邑", passage) >= DEFAULT_THRESHOLD
    assert support_score("东周的首都在镐京", passage) < DEFAULT_THRESHOLD
    passage = "秦朝末年，中山屬南越國領地。"
    assert support_score("中山屬南越國", passage) == 1.0
    assert support_score("中国屬南越國", passage) < 1.0  # 中国 is a word, not 国


def test_full_width_digits_and_thousands_separators_are_normalised():
    assert support_score("Farsail装机量２７．３８万台", P_FARSAIL.text) == 1.0
    passage = "Farsail robots were installed in 273,800 warehouses."
    assert support_score("Farsail robots were installed in 273800 warehouses.", passage) == 1.0
    assert support_score("Farsail robots were installed in 273，800 warehouses.", passage) == 1.0


def test_best_span_gives_document_offsets_of_the_supporting_sentence():
    start, end, score = best_span("Farsail装机量27.38万台,占比约58.24%", P_FARSAIL)
    assert DOC[start:end] == "报告显示,Farsail仓储AMR装机量27.38万台,占外部供应商份额约58.24%,遥遥领先同行。"
    assert score >= DEFAULT_THRESHOLD


# Claims worded the way a small model rewords, with the passage that supports them; each
# must clear the threshold there and stay below it on the other, same-topic passages.
REWORDED = [
    ("北辰科技是A股国产NPU第一股", P_LISTINGS),
    ("LUMO创下了机器人企业从成立到上市用时最短的记录", P_LISTINGS),
    ("LUMO是全球首个市值越过八百亿的物流机器人公司", P_LISTINGS),
    ("远帆的累计亏损超过同期总收入的三倍", P_LOSSES),
    ("远帆一度是机器人三巨头之首", P_LOSSES),
    ("远帆发布的云帆大模型与灵犀、青鸾基本同步", P_MODEL),
    ("Farsail的仓储AMR遥遥领先同行", P_FARSAIL),
]


@pytest.mark.parametrize("claim,source", REWORDED)
def test_threshold_separates_realistic_pairs(claim: str, source: Chunk):
    assert support_score(claim, source.text) >= DEFAULT_THRESHOLD
    for other in (P_LISTINGS, P_LOSSES, P_FARSAIL, P_MODEL):
        if other is not source:
            assert support_score(claim, other.text) < DEFAULT_THRESHOLD


# ---------------------------------------------------------------------------- cite

def test_right_citation_verifies_with_document_offsets():
    answer = "LUMO于3月6日登陆深交所，刷新了全球机器人企业从成立到上市耗时最短的纪录[1]。"
    result = cite(answer, HITS)
    assert result.text == answer
    assert result.unsupported == [] and not result.auto_cited and result.repointed == []
    [c] = result.citations
    assert (c.n, c.verified, c.chunk) == (1, True, P_LISTINGS)
    assert c.quote.startswith("3月6日,LUMO") and c.support > 0.9
    assert_quotes_document(result.citations)


def test_wrong_passage_number_is_repointed():
    answer = "在2017-2024年上半年间，远帆的累计亏损多达370亿元[1]。"
    result = cite(answer, HITS)
    assert result.text == "在2017-2024年上半年间，远帆的累计亏损多达370亿元[2]。"
    assert result.repointed == [(1, 2)]
    [c] = result.citations
    assert (c.n, c.verified, c.chunk) == (2, True, P_LOSSES)
    assert "370亿元" in c.quote
    assert_quotes_document(result.citations)


def test_fabricated_number_is_unsupported():
    answer = "远帆的累计亏损多达730亿元[2]。"
    result = cite(answer, HITS)
    assert result.unsupported == ["远帆的累计亏损多达730亿元。"]
    [c] = result.citations
    assert (c.n, c.verified) == (2, False)
    assert "370亿元" in c.quote  # the user is shown what the passage really says
    assert result.text == answer


def test_answer_without_markers_is_auto_cited():
    answer = "LUMO于3月6日登陆深交所。Farsail仓储AMR装机量27.38万台，占外部供应商份额约58.24%。"
    result = cite(answer, HITS)
    assert result.auto_cited
    assert result.text == (
        "LUMO于3月6日登陆深交所[1]。Farsail仓储AMR装机量27.38万台，占外部供应商份额约58.24%[3]。"
    )
    assert [(c.n, c.verified) for c in result.citations] == [(1, True), (3, True)]
    assert result.unsupported == []
    assert_quotes_document(result.citations)


def test_out_of_range_markers_are_dropped():
    answer = "远帆上市之前累计完成11轮融资[2][7]。LUMO登陆深交所[0]，刷新最短上市耗时纪录[9]。"
    result = cite(answer, HITS)
    # [7] goes; the claims left without a marker get the passage that supports them.
    assert result.text == "远帆上市之前累计完成11轮融资[2]。LUMO登陆深交所，刷新最短上市耗时纪录[1]。"
    assert [c.n for c in result.citations] == [1, 2]
    assert not result.auto_cited


def test_markers_are_normalised():
    answer = "远帆上市之前累计完成11轮融资【2】。远帆累计亏损370亿元，Farsail装机量27.38万台[2，3]。"
    result = cite(answer, HITS)
    assert result.text == "远帆上市之前累计完成11轮融资[2]。远帆累计亏损370亿元，Farsail装机量27.38万台[2][3]。"
    # Neither passage holds both numbers; together they do, so both citations verify.
    assert [(c.n, c.verified) for c in result.citations] == [(2, True), (3, True)]
    assert result.unsupported == []


@pytest.mark.parametrize("answer", [
    "远帆上市之前累计完成11轮融资。[2]\n北辰科技是A股国产NPU第一股。[1]",
    "远帆上市之前累计完成11轮融资\n[2]\n北辰科技是A股国产NPU第一股\n[1]",
])
def test_marker_after_the_full_stop_or_on_the_next_line_belongs_to_the_sentence_before(answer):
    result = cite(answer, HITS)
    assert result.text == answer
    assert [(c.n, c.verified) for c in result.citations] == [(1, True), (2, True)]
    assert result.repointed == [] and result.unsupported == []


def test_one_citation_per_passage():
    answer = "远帆上市之前累计完成11轮融资[2]。远帆累计亏损多达370亿元[2]。"
    result = cite(answer, HITS)
    [c] = result.citations
    assert c.n == 2 and c.verified
    assert c.quote == "进入以大模型为标志的机器人2.0时代之后,远帆营收便转为负增长,在2017-2024年上半年间,远帆的累计亏损多达370亿元,相当于同期总收入的三倍还多。"


def test_unmarked_claims_in_a_marked_answer():
    answer = "远帆上市之前累计完成11轮融资[2]。北辰科技是A股国产NPU第一股。远帆2024年营收增长了47%。"
    result = cite(answer, HITS)
    assert result.text == "远帆上市之前累计完成11轮融资[2]。北辰科技是A股国产NPU第一股[1]。远帆2024年营收增长了47%。"
    assert result.unsupported == ["远帆2024年营收增长了47%。"]
    assert not result.auto_cited


def test_english_answer_about_an_english_passage():
    passage = Chunk(
        "lumo.md", 0,
        "LUMO listed in Shenzhen on March 6. It set a record for the shortest time from "
        "founding to IPO of any robotics company. Its market value passed 80 billion.",
        100, 255,
    )
    answer = (
        "LUMO set the record for the shortest time from founding to listing of any robotics company [1]. "
        "Its market value passed 90 billion [1]."
    )
    result = cite(answer, hits_of(passage))
    [c] = result.citations
    assert c.verified and c.support == 1.0
    # "listing" is only in the first sentence, so the span is the pair of sentences.
    assert c.quote == passage.text[: passage.text.index(" Its")]
    assert (c.start, c.end) == (100, 100 + len(c.quote))
    assert result.unsupported == ["Its market value passed 90 billion."]


MUSEUM = Chunk("museum.txt", 0, "The Tarrow Museum opened in 1931 in a former wool mill.", 0, 55)
MUSEUM_ROOMS = Chunk("museum.txt", 1, "Its east wing has 40 rooms of textile machines.", 56, 103)
MUSEUM_CAFE = Chunk("museum.txt", 2, "The café on the ground floor serves lunch until three.", 104, 158)


def test_a_marker_on_a_passage_that_does_not_vouch_for_a_verified_claim_is_dropped():
    # The model cited every passage it was shown; only the first says when it opened.
    result = cite("The Tarrow Museum opened in 1931 [1][2][3].", hits_of(MUSEUM, MUSEUM_ROOMS, MUSEUM_CAFE))
    assert result.text == "The Tarrow Museum opened in 1931 [1]."
    assert [(c.n, c.verified) for c in result.citations] == [(1, True)]


def test_markers_on_passages_that_vouch_for_a_claim_together_are_kept():
    answer = "The Tarrow Museum opened in 1931 and its east wing has 40 rooms [1][2]."
    result = cite(answer, hits_of(MUSEUM, MUSEUM_ROOMS, MUSEUM_CAFE))
    assert result.text == answer
    assert [(c.n, c.verified) for c in result.citations] == [(1, True), (2, True)]


@pytest.mark.parametrize("answer", [
    "根据现有资料无法回答该问题。",
    "资料中没有提到远帆2024年的营收。",
    "The documents do not contain this information.",
    "Its 2024 revenue is not mentioned in the passages.",
])
def test_refusals_are_never_unsupported(answer: str):
    result = cite(answer, HITS)
    assert result.unsupported == []
    assert result.citations == [] and not result.auto_cited
    assert result.text == answer


def test_refusal_beside_a_cited_claim():
    answer = "远帆上市之前累计完成11轮融资[2]。资料中没有提到远帆2024年的营收。"
    result = cite(answer, HITS)
    assert result.unsupported == []
    assert [c.n for c in result.citations] == [2]


def test_no_hits_drops_markers_and_flags_claims():
    result = cite("远帆累计亏损多达370亿元[1]。", [])
    assert result.text == "远帆累计亏损多达370亿元。"
    assert result.citations == []
    assert result.unsupported == ["远帆累计亏损多达370亿元。"]


def test_list_answer_with_lead_in_and_framing():
    answer = (
        "根据提供的资料，远帆主要有以下问题：\n"
        "- 远帆的累计亏损多达370亿元[2]\n"
        "- 资料显示远帆2020年上市之前累计完成11轮融资[2]\n"
        "希望对你有帮助！"
    )
    result = cite(answer, HITS)
    assert result.text == answer
    assert result.unsupported == []  # the lead-in and the sign-off claim nothing
    assert [(c.n, c.verified) for c in result.citations] == [(2, True)]


def test_each_marker_in_a_sentence_is_checked_against_its_own_clause():
    answer = "远帆累计亏损370亿元[2]，而LUMO于3月6日登陆深交所[1]，Farsail装机量27.38万台[2]。"
    result = cite(answer, HITS)
    assert result.text == "远帆累计亏损370亿元[2]，而LUMO于3月6日登陆深交所[1]，Farsail装机量27.38万台[3]。"
    assert result.repointed == [(2, 3)]
    assert [(c.n, c.verified) for c in result.citations] == [(1, True), (2, True), (3, True)]
    assert_quotes_document(result.citations)


def test_unstated_year_dropped_from_a_stated_date():
    from rag.cite import drop_unstated_years

    passage = "3月6日,LUMO(上海星图智能)登陆深交所。2023年6月,远帆推出云帆。"
    assert drop_unstated_years("LUMO于2021年3月6日登陆深交所[1]。", [passage]) == "LUMO于3月6日登陆深交所[1]。"
    # a year the passage does state with that month stays
    assert drop_unstated_years("远帆于2023年6月推出云帆[1]。", [passage]) == "远帆于2023年6月推出云帆[1]。"
    assert drop_unstated_years("创办于2013年。", [passage]) == "创办于2013年。"  # not a date with month
    # a month written 06 is the same month; a spaced date in the answer is a date too
    assert drop_unstated_years("远帆于2023年06月推出云帆[1]。", [passage]) == "远帆于2023年06月推出云帆[1]。"
    assert drop_unstated_years("于2021 年 3 月 6 日登陆", [passage]) == "于3 月 6 日登陆"
    # a year stated for another month (2019年10月) is not stated for January
    october = "2019年10月,远帆发布首款产品。1月15日,远帆完成融资。"
    assert drop_unstated_years("远帆于2019年1月15日完成融资[1]。", [october]) == "远帆于1月15日完成融资[1]。"
    # a date with its time after a space, as an approval log or a sheet's cell writes it
    # (an invented purchase request): its year is stated; another month's is not
    log = "财务审批时间：2025-03-19 10:31"
    assert drop_unstated_years("2025-03-19[1]", [log]) == "2025-03-19[1]"
    assert drop_unstated_years("2025-04-19[1]", [log]) == "04-19[1]"


def test_bare_answers_are_verified_and_repointed():
    """The prompt asks for the fact first; a bare '27.38万台[1]' or '林晓舟[2]' is an answer."""
    a = Chunk("d", 0, "报告显示,Farsail仓储AMR装机量27.38万台,占比约58.24%。", 0, 38)
    b = Chunk("d", 1, "林晓舟是这家公司的联合创办人,目前主管产品线。", 38, 61)
    hits = [Hit(a, 1.0, 1), Hit(b, 0.5, 2)]
    for answer, n in (("27.38万台[1]", 1), ("7.3%[1]", None), ("林晓舟[1]", 2), ("林晓舟[2]", 2)):
        out = cite(answer, hits)
        if n is None:  # 7.3% is in neither passage
            assert not any(c.verified for c in out.citations)
            continue
        assert [c.n for c in out.citations if c.verified] == [n], (answer, out)
        assert not out.unsupported


def test_a_labelled_field_says_what_its_number_counts():
    from rag.cite import support_score

    row = "运单号: YD103000 | 始发仓: 青石仓 | 件数: 23 | 重量（千克）: 83"
    assert support_score("运单YD103000有23件", row) == 1.0  # the label 件数 counts pieces
    assert support_score("运单YD103000有23人", row) == 0.0  # ... not people
    assert support_score("运单YD103000有83件", row) == 0.0  # 83 is the weight, labelled 重量
    assert support_score("北岸仓职工有140人", "仓库：北岸仓；职工人数：140") > 0.5
    assert support_score("共有140辆车", "仓库：北岸仓；职工人数：140") == 0.0


def test_kilograms_and_kilometres_are_units_not_thousands():
    from rag.cite import support_score

    assert support_score("这批货共83千克", "这批货共83千克，已装车。") == 1.0
    assert support_score("这批货重量为83千克", "批号: A7 | 重量（千克）: 83") >= 0.5  # 重量 and 千克 of 4 units
    assert support_score("产量为83千吨", "产量为83吨") == 0.0  # 千吨 is still a thousand tonnes


ROUTE_5 = "路线: 5路 | 起点: 市政府 | 终点: 机场 | 全程票价（元）: 10 | 首班车: 5:30 | 末班车: 23:00 | 全长（公里）: 32"


def test_a_spreadsheet_row_vouches_for_a_claim_that_reads_its_cell():
    from rag.cite import support_score

    # The row named by a cell (5路), the number in the cell whose label the claim echoes:
    # the question's own words (公交车) are not the row's, and need not be.
    assert support_score("5路公交车的票价是10元", ROUTE_5) == 1.0
    assert support_score("5路公交车全长32公里", ROUTE_5) == 1.0
    assert support_score("5路公交车的末班车是23:00", ROUTE_5) == 1.0
    assert support_score("运单YD103000重83千克", "运单号: YD103000 | 件数: 23 | 重量（千克）: 83") == 1.0
    # Another column's number, another row, a longer route number, or a label that only
    # shares characters (首班车 / 末班车) does not pass.
    assert support_score("5路的全长是10公里", ROUTE_5) == 0.0
    assert support_score("1路公交车的票价是10元", ROUTE_5) == 0.0
    assert support_score("15路公交车的票价是10元", ROUTE_5) == 0.0
    assert support_score("5路公交车的首班车是23:00", ROUTE_5) == 0.0
    # Without a number, or without naming the row, the overlap judges as for any passage.
    assert support_score("5路的终点是火车站", ROUTE_5) < 0.55
    # A sheet's chunk holds one row a line: the row the claim names vouches for it.
    sheet = "# 票价\n" + ROUTE_5.replace("5路", "1路").replace(": 10 ", ": 2 ") + "\n" + ROUTE_5
    assert support_score("5路公交车的票价是10元", sheet) == 1.0
    assert support_score("1路公交车的票价是10元", sheet) == 0.0


def test_a_document_tables_row_is_read_under_its_header_row():
    from rag.cite import support_score

    # an invented estate's levy table as a Word, OpenDocument or slide table is written: the
    # claim restates the question in its own words (大概要俾), the row gives bare values
    table = "# 分攤\n\n| 座數 | 單位數目 | 每戶分攤（港幣） |\n| 甲座 | 120 | 約72,000 |\n| 乙座 | 96 | 約78,500 |"
    assert support_score("乙座每戶大概要俾78,500港幣", table) == 1.0
    # another row's value or another column's: not vouched for by a row, judged as before by
    # the overlap, which is short of the threshold
    assert support_score("甲座每戶大概要俾78,500港幣", table) < DEFAULT_THRESHOLD
    assert support_score("乙座每戶大概要俾96港幣", table) < DEFAULT_THRESHOLD
    # the row is the quote, not the header row that names its column
    chunk = Chunk("levy.odp", 0, table, 100, 100 + len(table))
    start, end, score = best_span("乙座每戶大概要俾78,500港幣", chunk)
    assert table[start - 100:end - 100] == "| 乙座 | 96 | 約78,500 |" and score == 1.0
    # a chunk that goes on with a table reads its rows under the header it carries
    rest = "| 乙座 | 96 | 約78,500 |\n| 丙座 | 144 | 約75,000 |"
    going_on = Chunk("levy.odp", 1, rest, 0, len(rest), context="| 座數 | 單位數目 | 每戶分攤（港幣） |")
    assert best_span("丙座每戶大概要俾75,000港幣", going_on)[:2] == (rest.index("| 丙座"), len(rest))


def test_a_claims_total_is_the_cell_of_the_column_that_totals():
    from rag.cite import support_score

    # an invented order row: 一共 names 金额 (the total), not 单价 beside it
    row = "编号: 7 | 品名: 档案盒 | 数量: 30 | 单价(元): 6.00 | 金额(元): 180.00 | 申请部门: 总务处"
    assert support_score("总务处申请的档案盒一共180元", row) == 1.0
    assert support_score("总务处申请的档案盒一共6元", row) == 0.0
    assert support_score("总务处申请的档案盒单价是180元", row) == 0.0
    assert support_score("总务处申请的档案盒是180元", row) == 0.0  # no label, no total: as before


def test_the_note_of_counted_rows_vouches_for_the_count_no_row_states():
    from rag.cite import support_score

    # an invented duty roster's rows of one person's days, as retrieval hands them over
    rows = ("（沈一禾国庆一共要值3天班，共3行：2025-10-01、2025-10-03、2025-10-05）\n"
            "日期: 2025-10-01 | 值班人: 沈一禾\n日期: 2025-10-03 | 值班人: 沈一禾\n日期: 2025-10-05 | 值班人: 沈一禾")
    assert support_score("沈一禾国庆一共要值3天班", rows) >= 0.55
    # another count, or the rows without their note: the rows alone say no 3
    assert support_score("沈一禾国庆一共要值4天班", rows) == 0.0
    assert support_score("沈一禾国庆一共要值3天班", rows.split("\n", 1)[1]) == 0.0


def test_a_rows_cell_of_words_vouches_for_a_number_the_claim_states_in_its_words():
    from rag.cite import support_score

    # an invented plan row: the number stands in a note cell, not a labelled one
    row = "套餐: 畅享C | 月费(元): 99 | 流量(GB): 80 | 备注: 含3张副卡，可加装宽带"
    assert support_score("畅享C套餐包含3张副卡", row) == 1.0
    assert support_score("畅享C每月99元", row) == 1.0  # (a labelled cell, as before)
    # the number in other words, or the number of another cell: not
    assert support_score("畅享C含3个宽带", row) == 0.0
    assert support_score("畅享C套餐包含80张副卡", row) == 0.0


def test_a_sheets_date_cell_vouches_for_the_date_written_out():
    from rag.cite import support_score, drop_unstated_years

    row = "工号: QS-1032 | 姓名: 白若岚 | 部门: 销售部 | 入职日期: 2021-09-06 | 办公地点: 总部6楼"
    assert support_score("白若岚是2021年9月6日入职的。", row) == 1.0
    assert support_score("白若岚是2021年09月06日来公司的。", row) == 1.0
    assert drop_unstated_years("白若岚是2021年9月6日入职的[1]。", [row]) == "白若岚是2021年9月6日入职的[1]。"
    # another day is not; with two dates in the row, the label the claim echoes says which
    assert support_score("白若岚是2021年9月16日入职的。", row) == 0.0
    two = "姓名: 白若岚 | 入职日期: 2021-09-06 | 转正日期: 2021-12-06"
    assert support_score("白若岚2021年12月6日转正。", two) == 1.0
    assert support_score("白若岚是2021年12月6日入职的。", two) == 0.0


SHEDS = {1: "item: Tile saw | category: Power tools | location: Shed B",
         2: "item: Hedge trimmer | category: Garden | location: Shed B",
         3: "item: Cordless drill | category: Power tools | location: Shelf A1"}


def test_a_cited_row_the_questions_filter_leaves_out_is_dropped_from_a_list():
    """Every item of "Tile saw [1], Hedge trimmer [2], Cordless drill [3]" is verified by
    its own row; asked what is stored in Shed B, the drill's row (Shelf A1) is not one."""
    from rag.cite import CitedAnswer, without_items
    from rag.support import rows_off_filter

    assert rows_off_filter("Which tools are stored in Shed B?", SHEDS) == [3]
    assert rows_off_filter("Which garden tools can I borrow?", SHEDS) == [1, 3]
    assert rows_off_filter("哪些工具放在Shed B？", SHEDS) == [3]
    # no column value named, or one no cited row holds: nothing to leave out
    assert rows_off_filter("Which tools can I borrow for a week?", SHEDS) == []
    assert rows_off_filter("Which tools are kept in Shed C?", SHEDS) == []
    assert rows_off_filter("Which tools are stored in Shed B?", {1: "The saw is in Shed B."}) == []
    chunk = Chunk("tools.csv", 0, "\n".join(SHEDS.values()), 0, 10)
    cited = CitedAnswer("Tile saw [1], Hedge trimmer [2] and Cordless drill [3].",
                        [Citation(n, chunk, SHEDS[n], 0, 1) for n in SHEDS], [], False)
    kept = without_items(cited, [3])
    assert kept.text == "Tile saw [1], Hedge trimmer [2]." and [c.n for c in kept.citations] == [1, 2]
    assert without_items(CitedAnswer("瓷砖切割机[1]、电钻[3]。", cited.citations, [], False), [3]).text == "瓷砖切割机[1]。"
    # an answer that is no list, or all of whose items go: nothing is left to show
    assert without_items(CitedAnswer("Cordless drill [3].", cited.citations, [], False), [3]) is None
    assert without_items(cited, [1, 2, 3]) is None

def test_counted_numbers_must_count_the_same_thing():
    from rag.cite import support_score

    # "7月" does not vouch for "7名员工"; 名/人 count people alike; the bare figure stays fine.
    assert support_score("远帆7月份裁掉了7名员工", "远帆科技7月份开始新一轮裁员") == 0.0
    assert support_score("裁掉了10人", "裁掉了10名员工") == 1.0
    assert support_score("接入了超过6万家门店", "接入了超过6万家门店") == 1.0
    assert support_score("超过6万", "接入了超过6万家门店") == 1.0


def test_a_count_in_chinese_characters_vouches_for_the_same_count_in_digits():
    passage = "水球比赛每队中有五名队员，另有两名替补。"
    assert support_score("每队中有5名队员", passage) == 1.0
    assert support_score("每队中有2名替补", passage) == 1.0
    # Another count is still unsupported, and 一些 / 十分 are not numbers.
    assert support_score("每队中有6名队员", passage) == 0.0
    assert support_score("这种鱼有10种颜色", "这种鱼十分艳丽，有一些颜色。") == 0.0


def test_years_and_approximate_counts_in_chinese_characters_vouch_for_digits():
    """"一百多年" for the model's "100多年", "一九四五年" for "1945年"; another figure not."""
    passage = "这座钟楼建于一九二五年，至今已有一百多年历史，钟声可传三千余米。"
    assert support_score("钟楼至今已有100多年历史", passage) > 0.8
    assert support_score("钟楼建于1925年", passage) == 1.0
    assert support_score("钟楼至今已有200多年历史", passage) == 0.0
    assert support_score("钟楼建于1926年", passage) == 0.0


def test_an_ordinal_in_chinese_characters_vouches_for_the_same_ordinal_in_digits():
    """"第五大城市" for the model's "第5大城市"; another rank not."""
    passage = "这座港口城市是该国的第五大城市，也是最大的渔港。"
    assert support_score("这座港口城市是该国第5大城市", passage) > 0.8
    assert support_score("这座港口城市是该国第6大城市", passage) == 0.0


def test_a_number_spelled_out_in_english_vouches_for_the_same_number_in_digits():
    passage = "Boats can be booked up to seven days in advance; a booking lasts at most two hours."
    assert support_score("Boats can be booked 7 days in advance", passage) == 1.0
    assert support_score("2 hours", passage) == 1.0
    # Another number is still unsupported, and "two hundred" is not 100.
    assert support_score("Boats can be booked 8 days in advance", passage) == 0.0
    assert support_score("100 members", "The club has two hundred members.") == 0.0
    # a compound number, hyphenated or not
    assert support_score("37 problems were fixed", "Thirty-seven problems were fixed.") == 1.0
    assert support_score("36 problems were fixed", "Thirty-seven problems were fixed.") == 0.0


def test_an_amount_of_money_is_not_vouched_for_by_a_time_of_day():
    hours = "Blood samples are taken on weekday mornings between 7:30 and 10:00."
    assert support_score("Blood samples are taken on weekday mornings for $10.00", hours) == 0.0
    # an amount the passage gives, with its currency before or after it, is
    assert support_score("A copy of the records costs $10.00", "A copy of the records costs 10 dollars.") == 1.0
    assert support_score("Revenue was €18.4 million", "Revenue was 18.4 million euros.") == 1.0
    assert support_score("Blood samples are taken between 7:30 and 10:00", hours) == 1.0
    # one currency list for this check and the relevance check: pence, rupees, 元 alike
    assert support_score("A stamp costs £85", "A stamp costs 85 pence.") == 1.0
    assert support_score("门票$80", "门票80元。") == 1.0


def test_a_spaced_date_in_a_passage_is_one_date():
    # PDF text often comes out spaced; the date is still one fact, checked whole.
    passage = "南京长江大桥于 1968 年 12 月 29 日 全面建成通车。"
    assert support_score("南京长江大桥于1968年12月29日全面建成通车", passage) == 1.0
    assert support_score("南京长江大桥于1968年12月9日全面建成通车", passage) == 0.0


def test_a_row_the_question_names_among_the_retrieved_rows_makes_other_cited_rows_off():
    """Asked about a plan no cited row is (the model read the add-on card of another plan's
    row), the retrieved rows tell that the plan named is a row of its own."""
    from rag.support import rows_off_filter

    plans = {1: "套餐: 畅游39 | 月费(元): 39 | 备注: 可加装副卡，每张10元/月"}
    others = ["套餐: 畅游99 | 月费(元): 99 | 备注: 超出后0.1元/分钟", "套餐: 畅游39 | 月费(元): 39 | 备注: 可加装副卡，每张10元/月"]
    assert rows_off_filter("畅游99能不能加装副卡？", plans, others) == [1]
    # the row asked about is the cited one: nothing off
    assert rows_off_filter("畅游39能不能加装副卡？", plans, others) == []
    # a name no row of the sheet holds filters nothing
    assert rows_off_filter("畅游59能不能加装副卡？", plans, others) == []


def test_a_clock_time_is_one_fact():
    """"0:00" is not vouched for by the 0 and 00 of "09:00"; a time in words vouches for the
    same time in digits, in both clocks where the afternoon is said."""
    hours = "服務時間：週一至週五 09:00-18:00，週六 09:00-12:00，週日及國定假日休息"
    assert support_score("週六服務時間是0:00到12:00", hours) == 0.0
    assert support_score("週六服務時間是09:00到12:00", hours) > 0.5
    assert support_score("週六服務時間是9:00到12:00", hours) > 0.5
    notice = "停水時間 上午9時30分至下午5時30分"
    assert support_score("停水時間由上午9:30至下午17:30", notice) > 0.5
    assert support_score("停水時間由上午9:30至下午18:30", notice) == 0.0
    # a time after a label's colon ("入住时间：14:00", folded to "时间:14:00") is a time too
    assert support_score("入住时间是14:00以后", "- 入住时间：14:00以后；退房时间：12:00以前") > 0.5
    assert support_score("入住时间是4:00以后", "- 入住时间：14:00以后；退房时间：12:00以前") == 0.0
    market = "The Saturday market shift runs 9 am to 1 pm."
    assert support_score("The Saturday market shift ends at 1:00 pm", market) > 0.5
    assert support_score("The Saturday market shift ends at 13:00", market) > 0.5
    assert support_score("The Saturday market shift ends at 2:00 pm", market) == 0.0


def test_an_average_the_passage_never_speaks_of_is_unsupported():
    peak = "云台尖是全镇最高峰，海拔1286米，山顶有观景亭。"
    assert support_score("全镇的平均海拔是1286米", peak) == 0.0
    assert support_score("The town's average elevation is 1286 m", "Its highest peak rises to 1286 m.") == 0.0
    # an average of something else in the passage does not vouch for it
    assert support_score("全镇的平均海拔是1286米", "全镇年平均气温16.2℃。云台尖是全镇最高峰，海拔1286米。") == 0.0
    # the passage's own average, or the peak claimed as a peak: judged as ever
    assert support_score("全镇的平均海拔是860米", "全镇平均海拔860米，最高峰海拔1286米。") > 0.5
    assert support_score("The town's average elevation is 860 m", "The town's average elevation: 860 m; highest peak 1286 m.") > 0.5
    assert support_score("全镇最高峰海拔1286米", peak) > 0.5


def test_a_restating_answer_is_not_backed_by_a_sentence_that_says_otherwise():
    from rag.restated import restating_sentence

    def closest(question, sentences):  # the embedder: every sentence as close
        return 0.95, 0

    question = "全镇的平均海拔是多少米？"
    geography = ["境内最高峰为云台尖，海拔1286米；最低处为白石滩，海拔142米。年平均气温16.8℃。"]
    assert restating_sentence(closest, question, "全镇的平均海拔是142米。", geography) is None
    averaged = ["全镇平均海拔约640米，最低处为白石滩，海拔142米。"]
    assert restating_sentence(closest, question, "全镇的平均海拔是640米。", averaged) == (0.95, 0)


def test_a_lead_in_to_a_list_the_model_never_wrote_vouches_for_nothing():
    # The model stopped after "follow these steps:\n1." -- the lead-in shares the heading's
    # words, but it states nothing, so no passage is cited as its evidence.
    text = "# Descaling your Harwell B7 kettle\nDescale the kettle every month: fill it with descaler and boil it twice."
    kettle = hits_of(Chunk("kettle.md", 0, text, 0, len(text), title="Descaling your Harwell B7 kettle"))
    stopped = cite("To descale your Harwell B7 kettle, follow these steps:\n1. [1]", kettle)
    assert not any(c.verified for c in stopped.citations)
    listed = cite("To descale your Harwell B7 kettle, follow these steps:\n1. Fill it with descaler and boil it twice [1]",
                  kettle)
    assert [(c.n, c.verified) for c in listed.citations] == [(1, True)]
