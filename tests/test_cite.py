"""The cite stage: markers -> verified citations, on hand-made hits from the seed article."""
from __future__ import annotations

import pytest

from rag.cite import (
    DEFAULT_THRESHOLD,
    best_span,
    cite,
    parse_markers,
    support_score,
)
from rag.records import Chunk, Hit
from rag.zh import claim_sentences

# Verbatim lines of seeds/000_6d9cd55ab9d6cbba.txt (note its ASCII commas), as one document.
DOC = (
    "2026年的1月份,国内的AI界发生了几件大事:\n"
    "1月2日,GPU公司壁仞科技登陆港交所,成为港股国产GPU第一股,并且成为港交所《上市规则》第18C章"
    "(特专科技)启用以来,募资规模最大的IPO项目;\n"
    "1月9日,MiniMax(上海稀宇科技)登陆港交所,不仅创下了全球AI公司从创立到上市的最短时间记录,"
    "而且打破了快手上市创下的科技公司超购记录,而且还是全球第一家市值突破千亿的原生AI公司。\n"
    "1月14日,中国汽车工业协会发布的《2025城市NOA汽车辅助驾驶研究报告》。报告显示,Momenta城市NOA"
    "搭载量41.44万辆,占第三方供应商比例约61.06%,处于断崖式领先。\n"
    "然而,商汤前员工风光无限的同时,被称为AI时代黄埔军校的商汤,自己却被边缘化了。\n"
    "成立于2014年的商汤,曾经是以图像识别为特征的AI 1.0时代的“四小龙”之首,2021年上市前共完成12轮融资,"
    "创造当时融资规模之最。\n"
    "在以大模型为特征的AI2.0时代开启之后,商汤营收就开始负增长,在2018-2025年上半年期间,"
    "商汤的累计亏损高达560亿元,是同期营业收入的两倍还多。\n"
    "商汤是国内第一批大模型入局者。\n"
    "2022年底,OpenAI发布ChatGPT,掀起AI大模型浪潮。而在2023年4月,商汤就推出了自研的"
    "“日日新(SenseNova)”大模型体系,与百度文心一言和阿里通义千问基本同步。\n"
)


def chunk_of(first: str, last: str, chunk_id: int) -> Chunk:
    """The chunk running from the line starting with ``first`` to the end of the line
    containing ``last``, with real document offsets."""
    start = DOC.index(first)
    end = DOC.index("\n", DOC.index(last, start))
    return Chunk("000.txt", chunk_id, DOC[start:end], start, end, title="商汤")


P_LISTINGS = chunk_of("1月2日", "原生AI公司", 0)  # 壁仞科技 and MiniMax
P_LOSSES = chunk_of("成立于2014年", "两倍还多", 1)  # 12轮融资 and 560亿元
P_MOMENTA = chunk_of("1月14日", "断崖式领先", 2)
P_MODEL = chunk_of("商汤是国内第一批", "基本同步", 3)


def hits_of(*chunks: Chunk) -> list[Hit]:
    return [Hit(c, 1.0 - i / 10, i + 1) for i, c in enumerate(chunks)]


HITS = hits_of(P_LISTINGS, P_LOSSES, P_MOMENTA, P_MODEL)


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
    assert parse_markers("见[^1]和(1)以及（2），成立于[2014]年") == []


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


# ----------------------------------------------------------------------- sentences

def test_sentences_never_split_inside_numbers():
    text = "Momenta搭载量41.44万辆,占比约61.06%。股价3.74港元！其次,亏损560亿元；完毕"
    pieces = [text[s:e] for s, e in claim_sentences(text)]
    assert pieces == ["Momenta搭载量41.44万辆,占比约61.06%。", "股价3.74港元！", "其次,亏损560亿元；", "完毕"]


def test_sentences_split_on_ascii_punctuation_and_newlines_but_keep_list_numbers():
    text = "It grew 3.74 times. Really?\n1. 第一项\n2. 第二项……结束"
    pieces = [text[s:e] for s, e in claim_sentences(text)]
    assert pieces == ["It grew 3.74 times.", "Really?", "1. 第一项", "2. 第二项……", "结束"]


# -------------------------------------------------------------------- verification

def test_support_is_high_for_a_copied_claim_and_low_for_another_passage():
    claim = "MiniMax创下了全球AI公司从创立到上市的最短时间记录"
    assert support_score(claim, P_LISTINGS.text) > 0.9
    assert support_score(claim, P_LOSSES.text) < 0.3


def test_numbers_are_strict():
    assert support_score("商汤累计亏损高达560亿元", P_LOSSES.text) == 1.0
    assert support_score("商汤累计亏损高达650亿元", P_LOSSES.text) == 0.0
    assert support_score("商汤累计亏损高达560万元", P_LOSSES.text) == 0.0  # unit matters
    assert support_score("MiniMax于1月19日登陆港交所", P_LISTINGS.text) == 0.0
    assert support_score("MiniMax于1月9日登陆港交所", P_LISTINGS.text) == 1.0
    assert support_score("商汤在2023年4月推出日日新大模型", P_MODEL.text) >= DEFAULT_THRESHOLD
    assert support_score("商汤在2023年5月推出日日新大模型", P_MODEL.text) == 0.0
    assert support_score("占第三方供应商比例约61.06%", P_MOMENTA.text) == 1.0
    assert support_score("占第三方供应商比例约61%", P_MOMENTA.text) == 0.0


def test_function_characters_are_dropped_as_words_not_inside_words():
    # 都 of 首都 and 中 of 中山 are part of the word; 的 and 在 alone are not content.
    passage = "周平王即位後把首都遷到洛邑，因此開始了東周。"
    assert support_score("东周的首都在洛邑", passage) >= DEFAULT_THRESHOLD
    assert support_score("东周的首都在镐京", passage) < DEFAULT_THRESHOLD
    passage = "秦朝末年，中山屬南越國領地。"
    assert support_score("中山屬南越國", passage) == 1.0
    assert support_score("中国屬南越國", passage) < 1.0  # 中国 is a word, not 国


def test_full_width_digits_and_thousands_separators_are_normalised():
    assert support_score("Momenta搭载量４１．４４万辆", P_MOMENTA.text) == 1.0
    passage = "Momenta systems were installed in 414,400 vehicles."
    assert support_score("Momenta systems were installed in 414400 vehicles.", passage) == 1.0
    assert support_score("Momenta systems were installed in 414，400 vehicles.", passage) == 1.0


def test_best_span_gives_document_offsets_of_the_supporting_sentence():
    start, end, score = best_span("Momenta搭载量41.44万辆,占比约61.06%", P_MOMENTA)
    assert DOC[start:end] == "报告显示,Momenta城市NOA搭载量41.44万辆,占第三方供应商比例约61.06%,处于断崖式领先。"
    assert score >= DEFAULT_THRESHOLD


# Claims worded the way a small model rewords, with the passage that supports them; each
# must clear the threshold there and stay below it on the other, same-topic passages.
REWORDED = [
    ("壁仞科技是港股国产GPU第一股", P_LISTINGS),
    ("MiniMax刷新了AI公司从创立到上市用时最短的记录", P_LISTINGS),
    ("MiniMax是全球首家市值突破千亿的原生AI公司", P_LISTINGS),
    ("商汤的累计亏损是同期营业收入的两倍还多", P_LOSSES),
    ("商汤曾经是AI四小龙之首", P_LOSSES),
    ("商汤推出的日日新大模型与文心一言、通义千问基本同步", P_MODEL),
    ("Momenta的城市NOA处于断崖式领先", P_MOMENTA),
]


@pytest.mark.parametrize("claim,source", REWORDED)
def test_threshold_separates_realistic_pairs(claim: str, source: Chunk):
    assert support_score(claim, source.text) >= DEFAULT_THRESHOLD
    for other in (P_LISTINGS, P_LOSSES, P_MOMENTA, P_MODEL):
        if other is not source:
            assert support_score(claim, other.text) < DEFAULT_THRESHOLD


# ---------------------------------------------------------------------------- cite

def test_right_citation_verifies_with_document_offsets():
    answer = "MiniMax于1月9日登陆港交所，创下了全球AI公司从创立到上市的最短时间记录[1]。"
    result = cite(answer, HITS)
    assert result.text == answer
    assert result.unsupported == [] and not result.auto_cited and result.repointed == []
    [c] = result.citations
    assert (c.n, c.verified, c.chunk) == (1, True, P_LISTINGS)
    assert c.quote.startswith("1月9日,MiniMax") and c.support > 0.9
    assert_quotes_document(result.citations)


def test_wrong_passage_number_is_repointed():
    answer = "在2018-2025年上半年期间，商汤的累计亏损高达560亿元[1]。"
    result = cite(answer, HITS)
    assert result.text == "在2018-2025年上半年期间，商汤的累计亏损高达560亿元[2]。"
    assert result.repointed == [(1, 2)]
    [c] = result.citations
    assert (c.n, c.verified, c.chunk) == (2, True, P_LOSSES)
    assert "560亿元" in c.quote
    assert_quotes_document(result.citations)


def test_fabricated_number_is_unsupported():
    answer = "商汤的累计亏损高达650亿元[2]。"
    result = cite(answer, HITS)
    assert result.unsupported == ["商汤的累计亏损高达650亿元。"]
    [c] = result.citations
    assert (c.n, c.verified) == (2, False)
    assert "560亿元" in c.quote  # the user is shown what the passage really says
    assert result.text == answer


def test_answer_without_markers_is_auto_cited():
    answer = "MiniMax于1月9日登陆港交所。Momenta城市NOA搭载量41.44万辆，占第三方供应商比例约61.06%。"
    result = cite(answer, HITS)
    assert result.auto_cited
    assert result.text == (
        "MiniMax于1月9日登陆港交所[1]。Momenta城市NOA搭载量41.44万辆，占第三方供应商比例约61.06%[3]。"
    )
    assert [(c.n, c.verified) for c in result.citations] == [(1, True), (3, True)]
    assert result.unsupported == []
    assert_quotes_document(result.citations)


def test_out_of_range_markers_are_dropped():
    answer = "商汤上市前共完成12轮融资[2][7]。MiniMax登陆港交所[0]，创下最短上市时间记录[9]。"
    result = cite(answer, HITS)
    # [7] goes; the claims left without a marker get the passage that supports them.
    assert result.text == "商汤上市前共完成12轮融资[2]。MiniMax登陆港交所，创下最短上市时间记录[1]。"
    assert [c.n for c in result.citations] == [1, 2]
    assert not result.auto_cited


def test_markers_are_normalised():
    answer = "商汤上市前共完成12轮融资【2】。商汤累计亏损560亿元，Momenta搭载量41.44万辆[2，3]。"
    result = cite(answer, HITS)
    assert result.text == "商汤上市前共完成12轮融资[2]。商汤累计亏损560亿元，Momenta搭载量41.44万辆[2][3]。"
    # Neither passage holds both numbers; together they do, so both citations verify.
    assert [(c.n, c.verified) for c in result.citations] == [(2, True), (3, True)]
    assert result.unsupported == []


@pytest.mark.parametrize("answer", [
    "商汤上市前共完成12轮融资。[2]\n壁仞科技是港股国产GPU第一股。[1]",
    "商汤上市前共完成12轮融资\n[2]\n壁仞科技是港股国产GPU第一股\n[1]",
])
def test_marker_after_the_full_stop_or_on_the_next_line_belongs_to_the_sentence_before(answer):
    result = cite(answer, HITS)
    assert result.text == answer
    assert [(c.n, c.verified) for c in result.citations] == [(1, True), (2, True)]
    assert result.repointed == [] and result.unsupported == []


def test_one_citation_per_passage():
    answer = "商汤上市前共完成12轮融资[2]。商汤累计亏损高达560亿元[2]。"
    result = cite(answer, HITS)
    [c] = result.citations
    assert c.n == 2 and c.verified
    assert c.quote == "在以大模型为特征的AI2.0时代开启之后,商汤营收就开始负增长,在2018-2025年上半年期间,商汤的累计亏损高达560亿元,是同期营业收入的两倍还多。"


def test_unmarked_claims_in_a_marked_answer():
    answer = "商汤上市前共完成12轮融资[2]。壁仞科技是港股国产GPU第一股。商汤2024年营收增长了80%。"
    result = cite(answer, HITS)
    assert result.text == "商汤上市前共完成12轮融资[2]。壁仞科技是港股国产GPU第一股[1]。商汤2024年营收增长了80%。"
    assert result.unsupported == ["商汤2024年营收增长了80%。"]
    assert not result.auto_cited


def test_english_answer_about_an_english_passage():
    passage = Chunk(
        "minimax.md", 0,
        "MiniMax listed in Hong Kong on January 9. It set a record for the shortest time from "
        "founding to IPO of any AI company. Its market value passed 100 billion.",
        100, 253,
    )
    answer = (
        "MiniMax set the record for the shortest time from founding to listing of any AI company [1]. "
        "Its market value passed 200 billion [1]."
    )
    result = cite(answer, hits_of(passage))
    [c] = result.citations
    assert c.verified and c.support == 1.0
    # "listing" is only in the first sentence, so the span is the pair of sentences.
    assert c.quote == passage.text[: passage.text.index(" Its")]
    assert (c.start, c.end) == (100, 100 + len(c.quote))
    assert result.unsupported == ["Its market value passed 200 billion."]


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
    "资料中没有提到商汤2024年的营收。",
    "The documents do not contain this information.",
    "Its 2024 revenue is not mentioned in the passages.",
])
def test_refusals_are_never_unsupported(answer: str):
    result = cite(answer, HITS)
    assert result.unsupported == []
    assert result.citations == [] and not result.auto_cited
    assert result.text == answer


def test_refusal_beside_a_cited_claim():
    answer = "商汤上市前共完成12轮融资[2]。资料中没有提到商汤2024年的营收。"
    result = cite(answer, HITS)
    assert result.unsupported == []
    assert [c.n for c in result.citations] == [2]


def test_no_hits_drops_markers_and_flags_claims():
    result = cite("商汤累计亏损高达560亿元[1]。", [])
    assert result.text == "商汤累计亏损高达560亿元。"
    assert result.citations == []
    assert result.unsupported == ["商汤累计亏损高达560亿元。"]


def test_list_answer_with_lead_in_and_framing():
    answer = (
        "根据提供的资料，商汤主要有以下问题：\n"
        "- 商汤的累计亏损高达560亿元[2]\n"
        "- 资料显示商汤2021年上市前共完成12轮融资[2]\n"
        "希望对你有帮助！"
    )
    result = cite(answer, HITS)
    assert result.text == answer
    assert result.unsupported == []  # the lead-in and the sign-off claim nothing
    assert [(c.n, c.verified) for c in result.citations] == [(2, True)]


def test_each_marker_in_a_sentence_is_checked_against_its_own_clause():
    answer = "商汤累计亏损560亿元[2]，而MiniMax于1月9日登陆港交所[1]，Momenta搭载量41.44万辆[2]。"
    result = cite(answer, HITS)
    assert result.text == "商汤累计亏损560亿元[2]，而MiniMax于1月9日登陆港交所[1]，Momenta搭载量41.44万辆[3]。"
    assert result.repointed == [(2, 3)]
    assert [(c.n, c.verified) for c in result.citations] == [(1, True), (2, True), (3, True)]
    assert_quotes_document(result.citations)


def test_unstated_year_dropped_from_a_stated_date():
    from rag.cite import drop_unstated_years

    passage = "1月9日,MiniMax(上海稀宇科技)登陆港交所。2023年4月,商汤推出日日新。"
    assert drop_unstated_years("MiniMax于2021年1月9日登陆港交所[1]。", [passage]) == "MiniMax于1月9日登陆港交所[1]。"
    # a year the passage does state with that month stays
    assert drop_unstated_years("商汤于2023年4月推出日日新[1]。", [passage]) == "商汤于2023年4月推出日日新[1]。"
    assert drop_unstated_years("成立于2014年。", [passage]) == "成立于2014年。"  # not a date with month
    # a month written 01 is the same month; a spaced date in the answer is a date too
    assert drop_unstated_years("商汤于2023年04月推出日日新[1]。", [passage]) == "商汤于2023年04月推出日日新[1]。"
    assert drop_unstated_years("于2021 年 1 月 9 日登陆", [passage]) == "于1 月 9 日登陆"


def test_bare_answers_are_verified_and_repointed():
    """The prompt asks for the fact first; a bare '41.44万辆[1]' or '王泽楷[2]' is an answer."""
    a = Chunk("d", 0, "报告显示,Momenta城市NOA搭载量41.44万辆,占比约61.06%。", 0, 35)
    b = Chunk("d", 1, "公司联合创始人王泽楷现任公司产品负责人。", 35, 56)
    hits = [Hit(a, 1.0, 1), Hit(b, 0.5, 2)]
    for answer, n in (("41.44万辆[1]", 1), ("8.1%[1]", None), ("王泽楷[1]", 2), ("王泽楷[2]", 2)):
        out = cite(answer, hits)
        if n is None:  # 8.1% is in neither passage
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


def test_counted_numbers_must_count_the_same_thing():
    from rag.cite import support_score

    # "10月" does not vouch for "10名员工"; 名/人 count people alike; the bare figure stays fine.
    assert support_score("商汤10月份裁掉了10名员工", "商汤科技10月份开始新一轮裁员") == 0.0
    assert support_score("裁掉了10人", "裁掉了10名员工") == 1.0
    assert support_score("服务了超过4万家企业", "服务了超过4万家企业") == 1.0
    assert support_score("超过4万", "服务了超过4万家企业") == 1.0


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
