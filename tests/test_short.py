"""Short answers: the exact words of a verified quote that answer the question.

Cases are general-knowledge sentences, not from the seed documents.
"""
from rag.records import Chunk, Citation
from rag.short import short_answer


def _cite(quote: str, passage: str | None = None, verified: bool = True) -> Citation:
    passage = passage or quote
    at = passage.find(quote)
    return Citation(1, Chunk("d.txt", 0, passage, 0, len(passage)), quote, at, at + len(quote), verified, 1.0)


def test_a_date_is_cut_from_the_restated_question():
    quote = "该火葬场于1962年启用，是当地第二座火葬场。"
    assert short_answer("这座火葬场在哪一年启用？", "这座火葬场于1962年启用[1]。", [_cite(quote)]) == "1962年"


def test_a_name_next_to_the_thing_asked_for():
    quote = "这款游戏由世嘉在其家用主机Dreamcast上推出。"
    answer = "这款游戏是世嘉在其家用主机Dreamcast上推出的作品[1]。"
    assert short_answer("这款游戏在哪个家用主机上被推出？", answer, [_cite(quote)]) == "Dreamcast"


def test_the_thing_asked_for_heads_the_phrase():
    quote = "当时欧洲处于热带性气候，森林广布。"
    assert short_answer("当时的欧洲处于什么气候？", "当时欧洲处于热带性气候[1]。", [_cite(quote)]) == "热带性气候"


def test_a_number_for_how_many():
    quote = "大桥全长1,500米，共有主塔两座。"
    assert short_answer("大桥全长多少米？", "大桥全长1,500米[1]。", [_cite(quote)]) == "1,500米"


def test_why_questions_get_the_reason_clause():
    quote = "因为该市是著名肉牛的产地，车站便当都以牛肉为主。"
    answer = "因为该市是著名肉牛的产地，所以车站便当都以牛肉为主[1]。"
    assert short_answer("为什么车站便当都以牛肉为主？", answer, [_cite(quote)]) == "该市是著名肉牛的产地"


def test_the_span_is_copied_from_the_document_in_its_own_script():
    quote = "車站大樓於1989年啟用。"
    assert short_answer("车站大楼是哪一年启用的？", "车站大楼于1989年启用[1]。", [_cite(quote)]) == "1989年"
    assert short_answer("黑陶是哪里的陶器？", "黑陶是古希臘陶器[1]。", [_cite("黑陶是古希腊陶器。")]) == "古希腊"


def test_no_short_answer_without_verified_evidence_or_when_the_words_are_not_there():
    quote = "该火葬场于1962年启用。"
    assert short_answer("这座火葬场在哪一年启用？", "这座火葬场于1962年启用[1]。", [_cite(quote, verified=False)]) is None
    assert short_answer("这座火葬场在哪一年启用？", "这座火葬场于1975年启用[1]。", [_cite(quote)]) is None
    assert short_answer("这座火葬场在哪一年启用？", "", [_cite(quote)]) is None


def test_english_questions_drop_the_restated_words():
    quote = "The bridge opened to traffic in 1937 after four years of work."
    answer = "The bridge opened to traffic in 1937 [1]."
    assert short_answer("When did the bridge open to traffic?", answer, [_cite(quote)]) == "1937"


def test_the_answer_stands_where_the_question_word_stood():
    # Two uncovered stretches; the one after "虹膜" (what preceded 什么) is the answer.
    quote = "眼之虹膜黄绿色，体侧有一条银带。"
    assert short_answer("这种鱼的虹膜是什么颜色？", "眼之虹膜黄绿色[1]", [_cite(quote)]) == "黄绿色"


def test_lists_ratios_and_dates_before_a_place_stay_whole():
    quote = "军队主要来自萨克森、黑森和汉诺威等地的雇佣兵。"
    answer = "萨克森、黑森和汉诺威等地的雇佣兵[1]。"
    assert short_answer("这支军队的主要来源是什么？", answer, [_cite(quote)]) == answer[:-4]
    assert short_answer("这段路的斜度达到了多少？", "1:5[1]", [_cite("这段路的斜度达到1:5。")]) == "1:5"
    quote = "他于2010年4月2日在北京逝世。"
    assert short_answer("他在什么时候逝世？", "他于2010年4月2日在北京逝世[1]。", [_cite(quote)]) == "2010年4月2日"


def test_a_lone_punctuation_mark_is_never_a_short_answer():
    quote = "罗德·拉沃体育馆位于澳洲墨尔本。"
    answer = "罗德·拉沃体育馆位于澳洲墨尔本[1]。"
    assert short_answer("罗德·拉沃体育馆在什么地方？", answer, [_cite(quote)]) == "澳洲墨尔本"


def test_a_reason_runs_to_the_end_of_its_sentence_but_not_into_the_conclusion():
    quote = "由于该市是著名肉牛的产地，运输方便，因此车站便当都以牛肉为主。"
    answer = "由于该市是著名肉牛的产地，运输方便，因此车站便当都以牛肉为主[1]。"
    assert short_answer("为什么车站便当都以牛肉为主？", answer, [_cite(quote)]) == "该市是著名肉牛的产地，运输方便"


def test_a_leading_quantifier_is_not_part_of_the_answer():
    quote = "他的女友是一位古巴歌手。"
    assert short_answer("他女友的职业是什么？", "他的女友是一位古巴歌手[1]。", [_cite(quote)]) == "古巴歌手"
    quote = "该法在19世纪60年代由索尔维公司实现现代化生产。"
    answer = "该法在19世纪60年代由索尔维公司实现现代化生产[1]。"
    assert short_answer("该法在什么时候实现现代化生产？", answer, [_cite(quote)]) == "19世纪60年代"
