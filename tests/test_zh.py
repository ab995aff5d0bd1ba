"""rag.zh: Chinese characters, sentences, language and normalisation, on text of our own
(encyclopedia-style sentences, traditional Chinese, English), not the seed articles."""
import re

import pytest

from rag.zh import (
    CJK_CHAR,
    WIDE_CJK,
    claim_sentences,
    corpus_language,
    normalize,
    question_language,
    sentence_spans,
    trim_span,
)


def _pieces(split, text):
    return [text[a:b] for a, b in split(text)]


# ---------------------------------------------------------------------- characters

@pytest.mark.parametrize("ch", ["中", "臺", "䶮", "\uf900", "\u3400", "\u9fff"])
def test_cjk_char_matches_ideographs_including_extension_a_and_compatibility(ch):
    assert CJK_CHAR.fullmatch(ch)


@pytest.mark.parametrize("ch", ["。", "，", "\u4dc0", "あ", "한", "A", "1", "\u2f00"])
def test_cjk_char_rejects_punctuation_symbols_kana_hangul_and_radicals(ch):
    assert not CJK_CHAR.fullmatch(ch)


def test_wide_cjk_also_counts_punctuation_hangul_and_fullwidth_forms():
    wide = re.compile(f"[{WIDE_CJK}]")
    assert wide.findall("서울，首爾。ab") == ["서", "울", "，", "首", "爾", "。"]
    assert not wide.search("Seoul, 2024.")


# ---------------------------------------------------------------------- normalise

def test_normalize_folds_fullwidth_and_case():
    assert normalize("ＩＳＢＮ　９７８－７，ＵＮＥＳＣＯ") == "isbn 978-7,unesco"
    assert normalize("\uf900") == "\u8c48"  # a compatibility ideograph becomes the unified one


def test_normalize_leaves_chinese_alone():
    assert normalize("臺灣的首都是臺北。") == "臺灣的首都是臺北。"  # no traditional -> simplified


def test_trim_span():
    text = "  珠穆朗瑪峰 \n"
    assert text[slice(*trim_span(text, 0, len(text)))] == "珠穆朗瑪峰"
    assert trim_span(" \t ", 0, 3)[0] == trim_span(" \t ", 0, 3)[1]  # all blank: empty


# ---------------------------------------------------------------------- sentences

@pytest.mark.parametrize("split, text, expected", [
    # both split on Chinese and ASCII terminal punctuation and on line breaks
    (sentence_spans, "長江是亞洲第一長河！全長約6300公里。\nThe Nile flows north. Does it?",
     ["長江是亞洲第一長河！", "全長約6300公里。", "The Nile flows north.", "Does it?"]),
    (claim_sentences, "他問：「水在100°C沸騰嗎？」對！Water boils at 100 °C. Ice melts at 0 °C．冰",
     ["他問：「水在100°C沸騰嗎？」", "對！", "Water boils at 100 °C.", "Ice melts at 0 °C．", "冰"]),
    # neither splits decimals or domains; claim_sentences keeps "1." list numbers and initials
    (sentence_spans, "圓周率約為3.14159，常寫作3.14。See wikipedia.org for 2.5 more.",
     ["圓周率約為3.14159，常寫作3.14。", "See wikipedia.org for 2.5 more."]),
    (claim_sentences, "1. 黃河長約5464公里。\n2. 流域面積約75.2萬平方公里\nB. Russell wrote it, e.g. in 1903.",
     ["1. 黃河長約5464公里。", "2. 流域面積約75.2萬平方公里", "B. Russell wrote it, e.g.", "in 1903."]),
])
def test_sentences(split, text, expected):
    assert _pieces(split, text) == expected


def test_sentence_spans_respect_the_window_and_offsets():
    text = "甲。乙。丙。"
    assert sentence_spans(text, 2, 4) == [(2, 4)]


def test_the_two_splitters_differ_where_documented():
    text = "It cost 3. Then it rose．後來"
    assert _pieces(sentence_spans, text) == ["It cost 3. Then it rose．後來"]  # '.' after a digit
    assert _pieces(claim_sentences, text) == ["It cost 3.", "Then it rose．", "後來"]


# ----------------------------------------------------------------------- language

@pytest.mark.parametrize("question", ["珠穆朗瑪峰有多高？", "臺北101是哪一年落成的？", "GPU是什麼", "東京",
                                      "A380有几层客舱？", "A股有多少家上市公司？",  # the A of a name is no article
                                      "JL-300呢？", "iPhone 16吗", "Wi-Fi 6呢"])  # a code and one particle
def test_question_language_chinese(question):
    assert question_language(question) == "zh"


@pytest.mark.parametrize("question", [
    "Who designed 臺北101?",  # starts with an English function word
    "A dog's age: what is 狗的寿命?", "What's 李白的字?",
    "Mount Everest: how tall is 珠峰?",  # two function words
    "UNESCO 京",  # one CJK character is not enough
    "cost 呢？", "price of JL-300呢",  # a lowercase English word
    "",
])
def test_question_language_english(question):
    assert question_language(question) == "en"


def test_corpus_language():
    assert corpus_language(["黃河是中國第二長河，發源於青海。", "Yellow River"]) == "zh"
    assert corpus_language(["The Danube flows through ten countries.", "多瑙河"]) == "en"
    assert corpus_language([]) == "en"


def test_a_title_or_an_initial_does_not_end_a_sentence():
    from rag.zh import claim_sentences, sentence_spans

    text = "The plant is run by Dr. Amara Whitcombe. Acme Inc. built it with J. K. Rowling. It boils at 100 °C. Done."
    want = ["The plant is run by Dr. Amara Whitcombe.", "Acme Inc. built it with J. K. Rowling.",
            "It boils at 100 °C.", "Done."]
    assert [text[a:b] for a, b in sentence_spans(text)] == want
    assert [text[a:b] for a, b in claim_sentences(text)] == want


def test_english_stems_meet_across_forms():
    from rag.zh import stem_en

    assert stem_en("approved") == stem_en("approve") == stem_en("approves") == stem_en("approving")
    assert stem_en("closed") == stem_en("close")
    # Short words keep their e, and different words stay apart.
    assert stem_en("the") == "the" and stem_en("one") == "one"
    assert stem_en("note") != stem_en("not")


def test_numbers_written_in_chinese_characters():
    from rag.numerals import cn_number

    assert [cn_number(t) for t in ["五", "十二", "二十五", "一百零五", "两千", "一九四五"]] == [5, 12, 25, 105, 2000, 1945]
    assert cn_number("十十") is None and cn_number("五五十") is None and cn_number("五名") is None


def test_dates_name_a_month_with_the_year_and_day_written_next_to_it():
    from rag.numerals import dates

    [d] = dates("大桥于1957年10月15日通车")
    assert (d.year, d.month, d.day) == ("1957", 10, 15)
    assert "大桥于1957年10月15日通车"[d.start:d.end] == "1957年10月15日"
    assert "大桥于1957年10月15日通车"[d.month_start:d.end] == "10月15日"
    # spaced as PDF text often is, a day written with 号, a month alone
    assert [(d.year, d.month, d.day) for d in dates("1 9 5 7 年，1957 年 10 月 15 日；3月2号；到了8月")] == [
        ("1957", 10, 15), (None, 3, 2), (None, 8, None)]
    # a bare year, a number of months, a month inside a longer number are not dates
    assert dates("建于1957年，历时14个月") == []
    assert [(d.month, d.day) for d in dates("编号123月")] == []
    # as sheets, forms and logs write one: 2021-09-06, 2025/11/01 (not a phone number, a
    # version, nor a thirteenth month)
    assert [(d.year, d.month, d.day) for d in dates("入职日期: 2021-09-06 | 期限 2025/11/01")] == [
        ("2021", 9, 6), ("2025", 11, 1)]
    assert dates("电话0896-3317110，版本1.2.3，v2020.1.15.2，编号2019-13-01") == []


@pytest.mark.parametrize("question, word", [
    ("它在当地被称为什么？", "什么"), ("这片山地被列为什么地方？", "什么"), ("它被封为什么官职？", "什么"),
    ("这种电视为什么会流行？", "为什么"), ("这部分为什么被删除？", "为什么"), ("他为什么离开？", "为什么"),
])
def test_wei_shenme_after_a_verb_that_takes_wei_is_wei_and_shenme(question, word):
    from rag.zh import QUESTION_WORD

    assert QUESTION_WORD.search(question).group() == word



def test_fold_each_converts_by_phrase_and_keeps_every_offset():
    from rag.zh import fold_each

    assert fold_each("批覆") == "批复"  # by phrase: 覆 is 复 here
    assert fold_each("覆蓋") == "覆盖"  # and 覆 where it is 覆
    text = "《關於擴建碼頭的批覆》，ＡＢＣ"
    assert len(fold_each(text)) == len(text)


def test_a_cantonese_question_is_read_in_written_chinese_in_its_own_script():
    from rag.zh import written_chinese

    # invented questions over an invented gym's notice
    assert written_chinese("健身室喺邊度？") == "健身室在哪裡？"
    assert written_chinese("會員係咪包埋毛巾㗎？") == "會員是不是包括毛巾？"
    assert written_chinese("我係學生，月費要俾幾多錢？") == "我是學生，月費要給多少錢？"
    assert written_chinese("咁週末呢？") == "那週末呢？"  # the follow-up 那X呢
    assert written_chinese("游泳池点样预约？") == "游泳池怎样预约？"  # simplified stays simplified
    # written Chinese as it is, 係 of 關係 / 係數 included
    for q in ("健身室在哪裡？", "兩者有什麼關係？", "這個係數是多少？", "會費幾時交？"):
        assert written_chinese(q) == q


from rag.zh import asking_part, one_slip  # noqa: E402


def test_asking_part_drops_a_situation_told_first():
    assert asking_part("我住五楼，没有电梯。这几天降温。电池拿进屋能马上充电吗？要等多久？") == "电池拿进屋能马上充电吗？要等多久？"
    assert asking_part("电池拿进屋能马上充电吗？要等多久？") == "电池拿进屋能马上充电吗？要等多久？"
    assert asking_part("请列出三种电池") == "请列出三种电池"  # no sentence asks with a question mark
    # a quotation asked about is no situation told
    assert asking_part("「学而时习之。」的意思是什么？") == "「学而时习之。」的意思是什么？"
    assert asking_part("他说：“明天再来。”这句话是谁说的？") == "他说：“明天再来。”这句话是谁说的？"


def test_one_slip_is_a_letter_left_out_doubled_or_two_swapped():
    assert one_slip("reciept", "receipt") and one_slip("subscripton", "subscription") and one_slip("adress", "address")
    assert not one_slip("report", "resort")  # one letter for another
    assert not one_slip("monday", "monday") and not one_slip("tour", "tours")  # the same, or too short
    assert not one_slip("xreceipt", "receipt")  # not how a word starts


from rag.zh import YES_NO_Q  # noqa: E402


def test_a_spoken_yes_no_question_and_one_ending_in_an_emoji_are_yes_no():
    for q in ("停车要钱不呀🙏", "周末开门不？", "可以带狗吗🐶", "能不能带狗"):
        assert YES_NO_Q.search(q), q


def test_a_question_for_a_fact_is_not_yes_no():
    for q in ("停车多少钱？", "周末几点开门🙏", "不锈钢锅能用多久？"):
        assert not YES_NO_Q.search(q), q


def test_a_question_asking_how_to_do_something_or_which_step_is_a_procedure():
    from rag.zh import PROCEDURE_Q, to_simplified
    asked = ["打印机卡纸了怎么办？", "审批通过以后接下来要做什么？", "怎么重置管理员密码？", "取消訂位的流程是什麼？",
             "點樣取消預約？", "第一步该做什么？", "那下一步呢？", "How do I reset my password?",
             "The alarm is beeping. What should I do?", "What's the next step?"]
    not_asked = ["这种材料有怎样的用途？", "他后来改名叫做什么？", "这座山是如何形成的？", "战后百姓是怎么做的？",
                 "门诊几点开始？", "How does the engine work?", "How many steps does the guide have?"]
    assert [q for q in asked if not PROCEDURE_Q.search(to_simplified(q))] == []
    assert [q for q in not_asked if PROCEDURE_Q.search(to_simplified(q))] == []
