"""An answer backed by its passage but about something else than the question is refused."""
import pytest

from rag.answer import Pipeline
from rag.config import Config
from rag.index import update_index
from rag.prompt import REFUSAL, closest_label
from rag.kind import lacks_quantity
from rag.aspect import missing_aspect
from rag.relevance import missing_terms, verdict_unasked
from rag.subject import question_terms
from rag.retrieve import Retriever

from conftest import FakeGenerator

PASSAGE = "远帆科技由周远联合创立，周远曾在青禾机器人担任研究员。公司主营AI视频生成。"


@pytest.mark.parametrize("question, latin, subject", [
    ("远帆科技的CEO是谁？", ["CEO"], ["远帆", "科技"]),
    ("星图AI是谁创立的？", ["AI"], ["星图"]),
    ("北辰科技这次港股IPO一共募资了多少钱？", ["IPO"], ["北辰", "科技"]),  # no 的/是/有: the leading name
    ("远帆智能累计拿到了多少融资？", [], ["远帆", "智能"]),
    ("这次港股IPO一共募资了多少钱？", ["IPO"], []),  # no leading name, no 的/是/有: no subject
    ("根据北辰研究院的报告，Farsail的搭载量是多少？", ["Farsail"], []),  # opens with a preposition
    ("它计划在哪个交易所上市？（接上文：Farsail现在估值多少？）", ["Farsail"], []),  # pronoun: the context's subject
    # 那X呢 asks the previous question of X: X stands in for its subject, which is not required
    ("那在国外生病住院呢？（接上文：鹭岛旅行险的意外医疗最多赔多少？）", [], []),
    ("那家公司是什么时候成立的？（接上文：鹭岛保险的总部在哪里？）", [], ["鹭岛", "保险"]),  # a pronoun: it is
    ("青禾什么时候推出了自研的云帆大模型？", [], ["青禾"]),  # stops at the question word
    ("远帆这次降低裁员补偿的事发生在几月份？", [], []),  # a clause, not a name
    # the name before the one verb that 在 places, even one jieba cuts into characters
    ("青岚湖渡轮停靠在哪个码头？", [], ["青岚湖", "渡轮"]),
    ("长齿锯犁鳗分布在什么地区？", [], ["长齿"]),
    ("这种鱼分布在哪里？", [], []),  # a pronoun
    ("1937年时发生在哪里？", [], []),  # a time, not a name
    ("会议决定迁移在哪一年？", [], []),  # two verbs: a clause
    # what the question leaves out is no subject; the thing a question opens on is
    ("除了已经停运的，还有哪些渡轮航线在规划？", [], []),
    ("青岚湖渡轮还有哪些航线在规划？", [], ["青岚湖", "渡轮"]),
    # a demonstrative and its measure word point at the thing, a name that opens so is one
    ("开这张发票的销售方是哪家公司？", [], ["发票"]),
    ("本田的总部在哪里？", [], ["本田"]),
])
def test_question_terms(question, latin, subject):
    assert question_terms(question) == (latin, subject)


def test_missing_terms():
    assert missing_terms("远帆科技的CEO是谁？", [PASSAGE], "zh") == ["CEO"]
    assert missing_terms("晴空AI有多少月活跃用户？", ["远帆科技的海外产品Farsail Chat和AI视频。"], "zh") == ["晴空"]
    assert missing_terms("远帆科技的联合创始人是谁？", [PASSAGE], "zh") == []
    assert missing_terms("远帆科技的ceo是谁？", ["远帆科技CEO周远"], "zh") == []  # case and width folded
    assert missing_terms("Who is the CEO of 远帆科技?", [PASSAGE], "en") == []  # cross-language: not checked


def test_an_answer_about_another_species_is_missing_the_asked_one():
    other = "松鸦是一种分布极广泛的鸦科动物，包括西欧大部分地区。"
    assert missing_terms("长齿锯犁鳗分布在什么地区？", [other], "zh") == ["长齿"]
    assert missing_terms("松鸦分布在什么地区？", [other], "zh") == []


def test_a_passages_context_is_read_with_its_quote():
    """The note on a row retrieval picked (or a table's header row) says what the row is to
    the question: the checks read it with the quote, as the model did."""
    from dataclasses import replace

    from rag.records import Chunk, Citation, Document
    from rag.relevance import evidence_windows

    text = "Pos: 1 | Team: Reed Island | Goals for: 41\nPos: 2 | Team: Mill Quay | Goals for: 38"
    doc = Document(doc_id="d", path="d", text=text)
    row = text.split("\n")[1]
    start = text.index(row)
    c = Citation(n=1, chunk=Chunk("d", 0, row, start, start + len(row)), quote=row, start=start, end=start + len(row))
    assert evidence_windows([c], {"d": doc}) == [text[:start + len(row)]]
    note = "(Mill Quay has scored the second most goals: the row with the second most Goals for of 2 rows)"
    windowed = evidence_windows([replace(c, chunk=replace(c.chunk, context=note))], {"d": doc})
    assert windowed == [f"{note}\n{text[:start + len(row)]}"]


def test_the_subject_must_be_near_the_supporting_quote():
    """A quote about LUMO does not answer a question about 远帆智能 named elsewhere in the
    same chunk; a subject named in the sentence just before the quote is fine."""
    from rag.records import Chunk, Citation, Document
    from rag.relevance import CONTEXT_BEFORE, evidence_windows

    text = ("远帆智能是由林晓舟于2023年创立。" + "这是一段很长的无关介绍。" * 20 +
            "LUMO成立两年来,已完成四轮融资。")
    doc = Document(doc_id="d", path="d", text=text)
    quote = "LUMO成立两年来,已完成四轮融资。"
    start = text.index(quote)
    c = Citation(n=1, chunk=Chunk("d", 0, text, 0, len(text)), quote=quote, start=start, end=start + len(quote))
    windows = evidence_windows([c], {"d": doc})
    assert windows == [text[start - CONTEXT_BEFORE: start + len(quote)]]
    q = "远帆智能累计拿到了多少融资？"
    assert missing_terms(q, [c.chunk.text], "zh") == []  # the chunk names it
    assert missing_terms(q, [c.chunk.text], "zh", windows) == ["远帆"]  # the quote's context does not
    assert missing_terms("LUMO累计完成了几轮融资？", [c.chunk.text], "zh", windows) == []
    # Only the name itself must be near the quote; a modifier (自研) may be further away.
    table = "青禾一直号称自研的大模型…" + "无关。" * 60 + "青禾机器人 | 云帆大模型 | 2022.9 |"
    assert missing_terms("青禾自研的大模型体系叫什么名字？", [table], "zh", [table[-60:]]) == []


@pytest.mark.parametrize("question, answer, lacks", [
    ("远帆X2芯片采用几纳米制程？", "GPGPU架构[1]", True),
    ("远帆X2芯片采用几纳米制程？", "7纳米[1]", False),
    ("远帆在LingBench测评中位于第几梯队？", "第三梯队[1]", False),  # Chinese numerals count
    ("北辰科技的创始人是谁？", "周远[1]", False),  # not a quantity question
    ("哪几家公司上市了？", "远帆科技和北辰科技[1]", False),  # 哪几 asks which, not how many
    ("How many chips?", "GPGPU[1]", False),  # English: not checked
    # a date is no count, unless a span of time is asked for
    ("这座桥有多少个桥墩？", "按1957年的设计，大桥是当时最长的桥[1]", True),
    ("这座桥有多少个桥墩？", "1957年建成，有8个桥墩[1]", False),
    ("这座桥建了多少年？", "从1955年建到1957年[1]", False),
    ("他在伦敦住了几个月？", "他于1890年5月到达伦敦，9月离开[1]", False),
    # the number of a name the answer restates counts nothing
    ("波音747能载多少名乘客？", "波音747是宽体客机[1]", True),
    ("波音747能载多少名乘客？", "波音747最多可载416名乘客[1]", False),
    ("A380有几层客舱？", "A380由欧洲的飞机制造商生产[1]", True),
    ("A380有几层客舱？", "A380有两层客舱[1]", False),
    # a value the question measures (8岁) is no name: the 8 of "8毫升" is the dose asked
    ("8岁的孩子一次喝几毫升？", "8毫升[1]", False),
    ("8岁的孩子一次喝几毫升？", "8岁的孩子应在医师指导下服用[1]", True),
    # the number of a clause or chapter counts nothing, unless the question asks which one
    ("调休要提前几天报备？", "第十二条[1]", True),
    ("調休要提前幾天報備？", "依第12條辦理[1]", True),
    ("调休要提前几天报备？", "按第十二条，提前2天报备[1]", False),
    ("调休的规定写在第几条？", "第十二条[1]", False),
])
def test_quantity_question_needs_a_numeral(question, answer, lacks):
    from rag.zh import question_language

    assert lacks_quantity(question, answer, question_language(question)) is lacks


def _pipeline(tmp_path, fake_embedder, reply: str) -> Pipeline:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "yuanfan.txt").write_text(PASSAGE, encoding="utf-8")
    update_index(tmp_path / "idx", [docs], Config(), fake_embedder)
    return Pipeline(Retriever.open(tmp_path / "idx", fake_embedder, Config()), FakeGenerator(lambda m: reply), Config())


def test_answer_about_another_slot_is_refused(tmp_path, fake_embedder):
    # Every word of "周远[1]" is in the passage, but the passage says nothing of a CEO.
    a = _pipeline(tmp_path, fake_embedder, "周远[1]").ask("远帆科技的CEO是谁？")
    assert a.refused and a.refusal_reason == "off_question" and a.answer == REFUSAL["zh"]
    assert a.model_answer == "周远[1]" and a.retrieved
    assert "找不到依据" in closest_label(a)  # the passages are not claimed to be unrelated


def test_answer_to_the_asked_slot_passes(tmp_path, fake_embedder):
    a = _pipeline(tmp_path, fake_embedder, "远帆科技由周远联合创立[1]。").ask("远帆科技的联合创始人是谁？")
    assert not a.refused and a.citations[0].verified


def test_a_date_from_another_event_does_not_answer_when():
    from rag.kind import missing_event

    quote = "时代变化很快，2024年的年轻人也许已经记不得当年的远帆科技有多风光。"
    assert missing_event("林晓舟是哪一年去世的？", [quote], "zh") == ["去世"]
    assert missing_event("远帆第三代X3芯片预计什么时候量产？", ["第三代X3芯片在2025年5月正式立项。"], "zh") == ["量产"]
    assert missing_event("远帆第三代X3芯片什么时候正式立项？", ["第三代X3芯片在2025年5月正式立项。"], "zh") == []
    # Any one of the event's words is enough: 离开 is paraphrased (告别), 创办 is not.
    assert missing_event("周远是什么时候离开青禾机器人、创办远帆智能的？",
                         ["2025年5月,周远告别了他在青禾机器人的十年,创办远帆智能。"], "zh") == []
    assert missing_event("青禾机器人成立于什么时候？", ["青禾机器人成立于2023年5月。"], "zh") == []  # nothing after
    assert missing_event("远帆科技的创始人是谁？", [quote], "zh") == []  # not a "when" question


def test_the_event_asked_about_may_be_named_by_another_verb():
    """举办 / 举行 and 去世 / 逝世 name one event; a date of another event still does not answer."""
    from rag.kind import missing_event

    assert missing_event("第一届颁奖典礼在哪一年举办？", ["第一届颁奖典礼于1929年5月16日举行。"], "zh") == []
    assert missing_event("这位诗人是哪一年去世的？", ["诗人于1926年在北平逝世。"], "zh") == []
    assert missing_event("第一届颁奖典礼在哪一年举办？", ["颁奖典礼的奖座于1928年设计完成。"], "zh") == ["举办"]
    assert missing_event("这座桥是什么时候通车的？", ["这座桥于1957年开工建设。"], "zh") != []
    # The shared character may sit elsewhere: 爆发 / 发生.
    assert missing_event("这场战役在什么时候爆发？", ["这场战役发生于1525年5月15日。"], "zh") == []
    assert missing_event("这场战役在什么时候结束？", ["这场战役发生于1525年5月15日。"], "zh") == ["结束"]


def test_a_beginning_dates_what_started_and_a_dated_event_was_held_then():
    """"始于1910年" answers 何时开始发展; "1929年的第一届颁奖典礼" answers when it was held
    (举办 / 举行 / 召开 name no event of their own). A date of something else still does not."""
    from rag.kind import missing_event

    assert missing_event("这家钟表厂是从何时开始发展的？", ["这家钟表厂始于1910年，历史悠久。"], "zh") == []
    assert missing_event("这家钟表厂是从何时开始衰落的？", ["这家钟表厂于1910年兴起。"], "zh") == ["开始", "衰落"]
    held = "该奖项于1929年的第一届颁奖典礼上首度颁发。"
    assert missing_event("第一届颁奖典礼在哪一年举办？", [held], "zh") == []
    assert missing_event("第一届颁奖典礼在哪一年举办？", ["颁奖典礼的奖座于1928年的夏天设计完成。"], "zh") == ["举办"]
    assert missing_event("第一届颁奖典礼在哪一年取消？", [held], "zh") == ["取消"]  # only light verbs


def test_a_second_question_word_is_not_an_event():
    from rag.kind import missing_event

    # 几月几日 asks for one date: 几日 names no event the evidence must hold.
    assert missing_event("世界读书日指的是几月几日？", ["每年的4月23日定为世界读书日。"], "zh") == []
    assert missing_event("世界读书日是哪一年设立的？", ["每年的4月23日定为世界读书日。"], "zh") == ["设立"]
    # ...nor is the word that bounds the span asked (到哪天为止: where the lease's term ends)
    lease = ["本租约期限为三年，自2025年7月1日起至2028年6月30日止。"]
    assert missing_event("这份租约的期限到哪天为止？", lease, "zh") == []
    assert missing_event("这份租约是哪天续签的？", lease, "zh") == ["续签"]


def test_a_bare_answer_is_judged_with_the_rest_of_its_sentence():
    """"1897年[1]" is verified on a quote of five characters; the event it dates is named
    after it, in the same sentence. A later sentence is not read: its event is another one."""
    from rag.records import Chunk, Citation, Document
    from rag.kind import missing_event
    from rag.relevance import evidence_windows

    def windows(text: str) -> list[str]:
        doc = Document(doc_id="d", path="d", text=text)
        start = text.index("1897年")
        c = Citation(n=1, chunk=Chunk("d", 0, text, 0, len(text)), quote="1897年", start=start, end=start + 5)
        return evidence_windows([c], {"d": doc})

    question = "早田在哪一年受同乡邀请首度到台湾？"
    assert windows("他早年在东京求学。1897年，早田受同乡邀请首度到台湾，开始调查植物。") == [
        "他早年在东京求学。1897年，早田受同乡邀请首度到台湾，开始调查植物。"]
    assert missing_event(question, windows("他早年在东京求学。1897年，早田受同乡邀请首度到台湾。"), "zh") == []
    assert missing_event(question, windows("1897年，早田自东京大学毕业。次年首度到台湾。"), "zh") != []


def test_the_name_in_a_subject_is_not_an_everyday_word():
    """The subject's name must be near the quote. It is its first word unless that word is
    an everyday one (建设, 无法) and a rarer one follows."""
    quote = ["大沙地站最初在2003年方案中出现，规划时曾命名为港湾路站。"]
    q = "建设大沙地站的想法最初是在什么时候出现的？"
    assert missing_terms(q, quote, "zh", quote) == []  # 兴建 or 建设: the station is what matters
    # The rarer word is then the name: a quote about another station does not answer.
    assert missing_terms("建设白云站的想法最初是在什么时候出现的？", ["白云站的站厅在地下一层。"], "zh",
                         ["大沙地站最初在2003年方案中出现。"]) == ["白云"]
    # A rare first word is the name, whatever follows it: a quote about another city's
    # wall does not answer, though 城墙 is near it.
    assert missing_terms("涿州古城的长度是多少？", ["涿州古城周长九里。"], "zh", ["保定古城周长十二里。"]) == ["涿州"]
    assert missing_terms("涿州古城的长度是多少？", ["涿州古城周长九里。"], "zh", ["涿州的城墙周长九里。"]) == []


def test_a_documents_title_names_the_subject_of_its_text():
    """Reference articles and manual sections name their subject once, in the title or
    heading; a quote far below it still answers a question about that subject, but not a
    question about another subject."""
    from rag.records import Chunk, Citation, Document
    from rag.relevance import evidence_windows

    text = "红钻鱼\n" + "这是一段很长的分类学介绍。" * 20 + "沿着侧线有条黄色纵带延伸到尾鳍基部。"
    doc = Document(doc_id="fish.txt", path="fish.txt", text=text, title="红钻鱼")
    quote = "沿着侧线有条黄色纵带延伸到尾鳍基部。"
    start = text.index(quote)
    chunk = Chunk("fish.txt", 3, text[start:], start, len(text), title="红钻鱼")
    c = Citation(n=1, chunk=chunk, quote=quote, start=start, end=start + len(quote))
    plain = evidence_windows([c], {"fish.txt": doc})
    titled = evidence_windows([c], {"fish.txt": doc}, titles=True)
    assert missing_terms("红钻鱼的明显特征是什么？", [chunk.text], "zh", plain) == ["钻鱼", "红钻鱼"]  # (the whole name too: jieba cuts 红|钻鱼)
    assert missing_terms("红钻鱼的明显特征是什么？", [chunk.text, *titled], "zh", titled) == []
    assert missing_terms("蓝鳍鱼的明显特征是什么？", [chunk.text, *titled], "zh", titled) == ["蓝鳍鱼"]


def test_a_document_is_about_what_its_file_is_called():
    """Minutes whose text opens with the firm's name, saved as 第三季營運會議紀錄.txt: a
    question about the meeting is about them. A generated file name names nothing."""
    from rag.records import Chunk, Citation, Document
    from rag.relevance import evidence_windows

    def titled(doc_id):
        text = "青岚物流股份有限公司\n" + "出席人员名单与议程。" * 20 + "决议：同意增聘临时理货人员60名。"
        doc = Document(doc_id=doc_id, path=doc_id, text=text, title="青岚物流股份有限公司")
        quote = "决议：同意增聘临时理货人员60名。"
        start = text.index(quote)
        chunk = Chunk(doc_id, 2, text[start:], start, len(text), title=doc.title)
        c = Citation(n=1, chunk=chunk, quote=quote, start=start, end=start + len(quote))
        windows = evidence_windows([c], {doc_id: doc}, titles=True)
        return [chunk.text, *windows], windows

    question = "会议有没有同意加聘临时理货人员？"
    texts, windows = titled("第三季营运会议纪录.txt")
    assert missing_terms(question, texts, "zh", windows) == []
    texts, windows = titled("000_6d9cd55ab9d6cbba.txt")
    assert missing_terms(question, texts, "zh", windows) == ["会议"]


def test_an_article_that_refers_back_to_its_opening_name_is_about_that_name():
    """A reference article names its subject in its opening words, then says 本鱼 (该站…);
    its title may give another name. A quote after 本鱼 is about the opening name, not
    about a name the article never opens with."""
    from rag.records import Chunk, Citation, Document
    from rag.relevance import evidence_windows

    def windows(text, quote, title="蓝鳞鱼"):
        doc = Document(doc_id="fish.txt", path="fish.txt", text=text, title=title)
        start = text.index(quote)
        chunk = Chunk("fish.txt", 0, text, 0, len(text), title=title)
        c = Citation(n=1, chunk=chunk, quote=quote, start=start, end=start + len(quote))
        return chunk, evidence_windows([c], {"fish.txt": doc}, titles=True)

    text = "青鳍石斑鱼，又名蓝鳞鱼，为鲈形目的一种。" + "这是一段很长的分类学介绍。" * 12 + "本鱼各鳞片具淡红色缘。"
    chunk, titled = windows(text, "本鱼各鳞片具淡红色缘。")
    assert missing_terms("青鳍石斑鱼的鳞片有什么特点？", [chunk.text, *titled], "zh", titled) == []
    # no 本鱼 near the quote: the opening name does not lead the window
    text = "青鳍石斑鱼，又名蓝鳞鱼，为鲈形目的一种。" + "这是一段很长的分类学介绍。" * 12 + "另一种鱼各鳞片具淡红色缘。"
    chunk, titled = windows(text, "另一种鱼各鳞片具淡红色缘。")
    assert missing_terms("青鳍石斑鱼的鳞片有什么特点？", [chunk.text, *titled], "zh", titled) == ["青鳍"]


def test_a_subject_phrase_is_missing_when_most_of_it_is():
    """A long subject is a phrase the model and the documents word differently (纪录 for
    记录); one word of it missing is a paraphrase, most of it missing is another subject."""
    passage = "蝮蛇体长平均有30至50公分，最长纪录为70公分。"
    assert question_terms("蝮蛇最长记录是多长？")[1] == ["蝮蛇", "最长", "记录"]
    assert missing_terms("蝮蛇最长记录是多长？", [passage], "zh") == []  # only 记录 is paraphrased
    assert missing_terms("海龟最长记录是多长？", [passage], "zh") == ["海龟", "记录"]
    assert missing_terms("海龟的平均寿命是多少？", [passage], "zh") == ["海龟"]  # a one-word subject


def test_a_leading_frame_clause_is_not_the_subject():
    assert question_terms("以人口计算，西米德兰兹郡的第一大城市是什么？")[1] == ["米德", "德兰", "米德兰"]
    # The question word in the first clause: that clause asks, and has no subject up front.
    assert question_terms("什么动物在1960年代初，大量杀害了岛上的鸟类？")[1] == []
    # An asking clause that goes on from the one before (但/而/其中…) has no subject of its own.
    assert question_terms("2004年多国争取成为理事国，其中甲国虽赞成，但却不愿意其拥有哪项权利？")[1] == []
    assert question_terms("以面积计算，青海湖的深度是多少？")[1] == ["青海", "青海湖"]
    # 同时, the reason or the definition of what the clause before named go on from it too:
    # 同时 / 主因 / 定义 are no subject, which a passage would have to say.
    assert question_terms("蒸汽机车逐渐被淘汰，同时哪种机车成为主流？")[1] == []
    assert question_terms("蒸汽机车逐渐被淘汰，主因是什么机车更加经济？")[1] == []
    assert question_terms("平流层，定义上指的是哪一层大气？")[1] == []
    assert not missing_terms("蒸汽机车逐渐被淘汰，同时哪种机车成为主流？",
                             ["二十世纪中叶蒸汽机车逐渐被淘汰，内燃机车成为主流。"], "zh")
    # A first clause that only names a topic is the subject: "X，全长是多少？" asks X的全长.
    assert question_terms("石狮桥，全长是多少？") == question_terms("石狮桥的全长是多少？")
    assert missing_terms("石狮桥，全长是多少？", ["铁桥全长120米。"], "zh") == ["石狮"]
    assert not missing_terms("石狮桥，全长是多少？", ["石狮桥全长120米。"], "zh")
    # (Not a clause that says something: 大桥建成以后 frames the question.)
    assert question_terms("大桥建成以后，全长是多少？")[1] == ["全长"]
    # ...while a clause that names its own subject still asks about it.
    assert question_terms("蒸汽机车逐渐被淘汰，内燃机车的功率是多少？")[1][0] == "内燃"
    assert missing_terms("以人口计算，西米德兰兹郡的第一大城市是什么？", ["以人口计算，柴郡的第一大城市是沃灵顿。"], "zh")
    assert not missing_terms("以人口计算，西米德兰兹郡的第一大城市是什么？",
                             ["以人口计算，西米德兰兹郡的第一大城市是伯明翰。"], "zh")


def test_a_followup_without_a_subject_inherits_the_previous_questions(tmp_path, fake_embedder):
    """"这家公司是什么时候成立的？" after a question about one start-up is not answered
    about another one."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("青禾科技由林舟创立，主营农业无人机。", encoding="utf-8")
    (docs / "b.txt").write_text("蓝湾电子成立于2016年，总部位于宁波。", encoding="utf-8")
    update_index(tmp_path / "idx", [docs], Config(), fake_embedder)
    def cite_the_2016_passage(messages):
        import re

        m = re.search(r"\[(\d)\][^\[]*2016", messages[-1]["content"])
        if not m:  # the second look shows the top passage alone, and it does not say
            return "根据现有资料无法回答该问题。"
        return f"蓝湾电子成立于2016年[{m.group(1)}]。"

    gen = FakeGenerator(cite_the_2016_passage)
    p = Pipeline(Retriever.open(tmp_path / "idx", fake_embedder, Config()), gen, Config())
    history = [{"role": "user", "content": "青禾科技的创始人是谁？"}, {"role": "assistant", "content": "林舟[1]。"}]
    a = p.ask("这家公司是什么时候成立的？", history)
    assert a.standalone_question and a.refused and a.refusal_reason == "off_question"
    history[0]["content"] = "蓝湾电子的总部在哪里？"
    a = p.ask("这家公司是什么时候成立的？", history)
    assert not a.refused and "2016年" in a.answer


@pytest.mark.parametrize("question, answer, kind", [
    ("图书馆周六几点关门？", "周六晚上八点关门[1]。", None),
    ("图书馆周六几点关门？", "周六闭馆时间为20:30[1]。", None),
    ("图书馆周六几点关门？", "周六照常开放[1]。", "time"),  # 六 is the day's, no time
    # a follow-up 那X呢 asks what its previous question asked: a time
    ("那周日呢？（接上文：图书馆周六几点关门？）", "周日：每月第一个周日闭馆[1]。", "time"),
    ("那周日呢？（接上文：图书馆周六几点关门？）", "周日17:00关门[1]。", None),
    ("报告提出了几点建议？", "报告提出了三点建议[1]。", None),  # a few points: no clock
])
def test_asked_at_what_oclock_an_answer_needs_a_clock_time(question, answer, kind):
    from rag.kind import missing_kind

    assert missing_kind(question, answer, "zh") == kind


@pytest.mark.parametrize("question, answer, kind", [
    # a sheet's date cell as the spreadsheet writes it is a date (an invented staff list)
    ("程远是哪天入职的？", "程远是2021-09-06[1]入职的。", None),
    ("程远是哪天入职的？", "程远于2021/9/6[1]入职。", None),
    ("程远是哪天入职的？", "程远在研发部[1]。", "time"),
    ("程远是哪天入职的？", "程远的工号是0896-3315[1]。", "time"),  # no date: a number with dashes
])
def test_asked_when_a_date_written_with_dashes_is_a_date(question, answer, kind):
    from rag.kind import missing_kind

    assert missing_kind(question, answer, "zh") == kind


@pytest.mark.parametrize("question, answer, kind", [
    # (an invented primary school and choir) an organisation where a person's name should stand
    ("青柳小学的校长是谁？", "青柳小学的校长是区教育局[1]。", "name"),
    ("合唱团的指导老师叫什么名字？", "合唱团的指导老师叫校团委[1]。", "name"),
    ("青柳小学的校长是谁？", "青柳小学的校长是林晓明[1]。", None),
    # who is asked for no person's post: an organisation may well answer it
    ("这条步道由谁负责维护？", "这条步道由市园林管理处负责维护[1]。", None),
    # asked which firm, a street address where its name should stand
    ("这批课桌是从哪家供应商采购的？", "这批课桌是从柳岸区青梧路88号采购的[1]。", "name"),
    ("这批课桌是从哪家供应商采购的？", "这批课桌是从青梧家具有限公司采购的[1]。", None),
])
def test_asked_who_holds_a_post_or_which_firm_the_answer_must_name_one(question, answer, kind):
    from rag.kind import missing_kind

    assert missing_kind(question, answer, "zh") == kind


@pytest.mark.parametrize("answer, kind", [
    ("这部译本直到8世纪以后才得到普遍承认[1]。", None),  # an era is a time
    ("鸟类的全盛时期是第三纪中新世[1]。", None),
    ("该县于北宋初年设置[1]。", None),
    ("这部译本得到了教会的普遍承认[1]。", "time"),  # no time at all
])
def test_a_when_question_is_answered_by_a_date_or_an_era(answer, kind):
    from rag.kind import missing_kind

    assert missing_kind("这部译本是什么时候得到普遍承认的？", answer, "zh") == kind


def test_a_year_the_question_names_must_be_in_the_cited_passage():
    from rag.relevance import missing_years

    passage = "Revenue rose to 18.4 million euros in 2023, compared with 15.1 million euros in 2022."
    assert missing_years("What was the company's revenue in 2020?", [passage]) == ["2020"]
    assert missing_years("What was the company's revenue in 2022?", [passage]) == []
    assert missing_years("该公司2019年到2023年累计营收多少？", ["2019年到2023年累计营收40亿元"]) == []
    assert missing_years("该公司2030年的营收是多少？", ["2023年营收18亿元"]) == ["2030"]
    assert missing_years("What does the plan cost per 1000 litres?", [passage]) == []  # not a year
    assert missing_years("Who founded it?", [passage]) == []


def test_a_year_only_the_previous_question_named_is_not_asked_for():
    # A follow-up carries the previous question as a note; its years were asked before,
    # not now. The note is "（接上文…" and folding would turn its bracket into "(".
    from rag.relevance import missing_years

    passage = ["该桥于2001年竣工，全长3.2公里。"]
    assert missing_years("它哪一年竣工？（接上文：1990年开工的那座桥叫什么？）", passage) == []
    assert missing_years("它2008年的车流量是多少？（接上文：那座桥叫什么？）", passage) == ["2008"]


@pytest.mark.parametrize("question, answer, kind", [
    ("How much does the utility charge per cubic metre?", "The utility charges per cubic metre of water [1].", "quantity"),
    ("How much does the utility charge per cubic metre?", "It charges 2.10 euros per cubic metre [1].", None),
    ("How many instruments does the probe carry?", "It carries five instruments [1].", None),
    ("When did the council approve the plan?", "The council approved the plan [1].", "time"),
    ("When did the council approve the plan?", "On 9 November 2023 [1].", None),
    ("What year did the clinic open?", "It opened in spring [1].", None),
    # an amount, or a year the question states, is no time; a time of day or a span is
    ("On what date is the 2023 dividend paid?", "A dividend of 0.35 euros is paid for 2023 [1].", "time"),
    ("When was the bridge opened?", "It cost 1,932 euros [1].", "time"),
    ("When was the bridge opened?", "The bridge opened in 1932 [1].", None),
    ("When does the library open?", "At 9 am on weekdays [1].", None),
    ("By what time must guests check out?", "11:00 [2]", None),
    ("When will the plant close?", "The plant will close next year [1].", None),
    ("Who founded the clinic?", "Dr. Marcus Feld [1].", None),
    # asked what something costs: an amount of money, or free
    ("What is the total cost of the bridge?", "The total cost of the bridge is 4,200 tonnes [1].", "money"),
    ("What is the total cost of the bridge?", "The bridge cost 38 million euros [1].", None),
    ("How much does a guided tour cost?", "Guided tours are free [1].", None),
    ("What is the fare for the ferry?", "The ferry fare is 450 rupees [1].", None),  # the currency list support reads
    ("Who is in charge of the bridge?", "Dr. Ana Ruiz [1].", None),
])
def test_english_when_and_how_many_need_a_time_and_a_number(question, answer, kind):
    from rag.kind import missing_kind

    assert missing_kind(question, answer, "en") == kind


def test_an_english_question_is_answered_near_what_it_asks_about():

    evidence = ["Harbor Clinic - Handbook The clinic was founded in 1998. Its medical director is Dr. Ana Ruiz."]
    assert missing_aspect("Who is the head nurse at Harbor Clinic?", evidence, "en") == ["head", "nurse"]
    assert missing_aspect("Who is the medical director of Harbor Clinic?", evidence, "en") == []
    assert missing_aspect("When was Harbor Clinic founded?", evidence, "en") == []  # founded ~ founded
    assert missing_aspect("Who runs Harbor Clinic?", evidence, "en") == ["runs"]  # as asked
    assert missing_aspect("谁是诊所的护士长？", evidence, "zh") == []  # Chinese: the subject rules apply instead
    # over Chinese evidence an English question's words cannot be found, whatever it says: no check
    # (an invented logistics firm's onboarding slide)
    slide = ["# IT账号 入职当天由IT服务台开通企业邮箱 办公Wi-Fi：YX-Office（用工号和邮箱密码登录）"]
    assert missing_aspect("What's the office Wi-Fi network called for new staff?", slide, "en") == []
    assert missing_aspect("What's the office Wi-Fi network called for new staff?", evidence, "en") != []
    # "What about X?" and "how long does it take" frame a question; they name nothing asked
    trail = ["## Harrowgate Ridge Trail A demanding route along the ridge. Expect 6–7 hours in total."]
    assert missing_aspect("What about the Harrowgate Ridge Trail? (following up on: How long is the loop?)",
                          trail, "en") == []
    assert missing_aspect("How long does it take to walk the Harrowgate Ridge Trail?", trail, "en") == ["walk"]


def test_an_english_who_question_needs_the_whole_role_near_the_quote():

    evidence = ["Since 2020 the co-operative has been run by chief executive officer Lena Okafor."]
    assert missing_aspect("Who is the chief financial officer of the co-operative?", evidence, "en") == ["financial"]
    assert missing_aspect("Who is the chief executive officer of the co-operative?", evidence, "en") == []
    # a rank the question does not name is another role; one it names is the same
    evidence = ["The annual report of the co-operative was prepared by the deputy director, Ruth Amadi."]
    assert missing_aspect("Who is the director of the co-operative?", evidence, "en") == ["director"]
    assert missing_aspect("Who is the deputy director of the co-operative?", evidence, "en") == []
    # other questions: one word of what they ask about is enough
    assert missing_aspect("How long has the chief financial officer run the co-operative?", evidence, "en") == []


def test_an_english_price_question_needs_the_whole_item_priced_near_the_quote():

    evidence = ["Fares - Ticket | Price now | Price from 1 May Adult day ticket | 5.20 pounds | 5.60 pounds"]
    assert missing_aspect("How much does an adult monthly ticket cost on Tarnby Buses?", evidence, "en") == ["monthly"]
    assert missing_aspect("How much does an adult day ticket cost on Tarnby Buses?", evidence, "en") == []
    evidence = ["Licences - Two users, new licence | 219 dollars"]
    assert missing_aspect("What does a new four-user licence for Quillfeather Books cost?", evidence, "en") == ["four-user"]
    assert missing_aspect("What is the fee for a new licence at Quillfeather?", evidence, "en") == []


def test_half_of_a_two_word_subject_may_be_paraphrased_but_not_its_name():
    passage = "怀羌县于北宋初年设置，属秦凤路。"
    assert missing_terms("怀羌县于中国的哪一个朝代最先设置？", [passage], "zh") == []  # 中国 not said
    # The name itself must still be near the quote.
    assert missing_terms("平羌县于中国的哪一个朝代最先设置？", [passage], "zh", [passage]) != []


def test_an_organisation_named_at_the_start_is_the_subject():
    """No 的/是/有 to end the subject: a leading organisation's name is it, whatever its
    kind (a university, a hospital, a holding company), and must be in the cited text."""
    from rag.relevance import question_terms
    from rag.rewrite import is_followup

    assert question_terms("复旦大学累计培养了多少博士？")[1][:2] == ["复旦", "大学"]
    assert question_terms("协和医院每年接诊多少病人？")[1][:2] == ["协和", "医院"]
    assert "协和" in missing_terms("协和医院每年接诊多少病人？", ["华山医院每年接诊三百万人次。"], "zh")
    assert question_terms("每年接诊多少病人？")[1] == []  # no name: nothing to require
    # A short question that names an organisation stands on its own; one that names none
    # continues the conversation.
    assert not is_followup("复旦大学在哪？") and is_followup("成立于哪年？")



def test_a_which_question_needs_what_it_says_near_the_quote():
    """"哪一种金属…" names no subject: its answer is one. A bare name backed by a passage that
    says nothing of what the question says is not its answer."""
    from rag.relevance import missing_context

    question = "哪一种金属在常温下是液体并且可以导电？"
    assert missing_context(question, ["青铜 青铜是铜与锡的合金，古代用来铸造礼器。"], "zh")
    assert missing_context(question, ["汞 汞在常温下是液体，能够导电，旧称水银。"], "zh") == []
    # A question that opens with its subject is left to missing_terms.
    assert missing_context("汞在常温下是什么状态？", ["青铜是铜与锡的合金。"], "zh") == []


def test_a_word_of_quantity_frames_the_subject_and_does_not_name_it():
    assert question_terms("整个欧洲的经济和文化中心是哪座城市？")[1] == ["欧洲"]
    # evidence that names the place passes, though the quote's own sentence lacks 整个
    quote = "巴黎是法国的首都。巴黎被形容为整个欧洲的文化中心。"
    assert missing_terms("整个欧洲的经济和文化中心是哪座城市？", [quote], "zh", ["巴黎是欧洲人口最多的城市之一。"]) == []
    # a place the evidence does not name is still missing
    assert missing_terms("整个非洲的经济中心是哪座城市？", ["巴黎是法国的首都。"], "zh", ["巴黎是法国的首都。"]) == ["非洲"]


def test_an_answer_that_reads_back_part_of_the_question_answers_nothing():
    from rag.relevance import echoes_question

    assert echoes_question("这种合金含有黄铜和什么金属？", "黄铜[1]")
    assert echoes_question("光合作用的意义是？", "光合作用的意义是[1]。")
    # the answer adds something of its own
    assert not echoes_question("这种合金含有铜和什么金属？", "锡[1]")
    # the question offers the answers: one of them, read back, is the answer
    assert not echoes_question("这种合金含有的是铜还是铁？", "铜[1]")
    assert not echoes_question("长城和金字塔哪一个更古老？", "金字塔[1]")
    # asked yes or no, its own words are the answer yes (the verifier checks the passage)
    assert not echoes_question("星期五上班可以穿牛仔褲嗎？", "可以穿牛仔褲[1]。")
    assert not echoes_question("这座桥是否收费？", "收费[1]")
    assert not echoes_question("码头能不能寄存行李？", "能寄存行李[1]")


def test_an_answer_that_rewords_the_question_without_its_question_word_answers_nothing():
    from rag.relevance import echoes_question

    # the question's words in another order, its question word left out
    assert echoes_question("这座水库在夏季为什么会出现大量蓝藻？", "这座水库在夏季会出现大量蓝藻[1]。")
    assert echoes_question("东线和西线都是哪边还在施工的工程？", "西线[1]、东线[1]。")
    assert echoes_question("白鹭、苍鹭以及什么的栖息地都在湖区？", "白鹭、苍鹭的栖息地都在湖区[1]。")
    # a word of its own is an answer, whatever else it restates (量子光学: made of two of
    # the question's words, but one word of its own)
    assert not echoes_question("近代光学中哪一门处理光的量子特性？", "量子光学[1]。")
    # ...or two of them run together (鹦鹉科: jieba's 鹦鹉 and 科, the question's 科目)
    assert not echoes_question("这种鹦鹉属于什么科目？", "这种鹦鹉属于鹦鹉科[1]。")
    assert not echoes_question("这座水库在夏季为什么会出现大量蓝藻？", "这座水库在夏季水温升高，会出现大量蓝藻[1]。")
    # the question names the alternatives: one of them is the answer
    assert not echoes_question("东线和西线哪条更早开通？", "东线更早开通[1]。")
    assert not echoes_question("甲队跟乙队谁先夺冠？", "乙队先夺冠[1]。")
    assert not echoes_question("甲队和乙队，谁的进球更多一些？", "乙队的进球更多一些[1]。")


def test_an_answer_whose_value_is_its_own_subject_answers_nothing():
    from rag.relevance import echoes_question

    # asked 它的原名 after a question about the statesman: the model wrote the name it had
    assert echoes_question("它的原名是什么？（接上文：林远舟是哪国的政治家？）", "林远舟的原名是林远舟[1]。")
    assert echoes_question("它的地址在哪裡？", "青禾攝影學會的地址是青禾攝影學會[1]。")
    # a value of its own is an answer, and a place inside a namesake place is one too
    assert not echoes_question("它的原名是什么？（接上文：林远舟是哪国的政治家？）", "林远舟的原名是林安[1]。")
    assert not echoes_question("青禾市政府在哪里？", "青禾市政府位于青禾市[1]。")


def test_an_english_answer_that_reads_back_the_question_with_the_verb_moved_answers_nothing():
    from rag.relevance import echoes_question

    assert echoes_question("Who is the head librarian of the city library?", "The head librarian of the city library is [1].")
    # a name of its own is an answer; so is the restated question of a yes/no question
    assert not echoes_question("Who is the head librarian of the city library?",
                               "Maren Holt is the head librarian of the city library [1].")
    assert not echoes_question("Does the city library open on Sundays?", "The city library opens on Sundays [1].")
    # the number of a model name is not a count read back; the name itself, read back, is
    assert not echoes_question("How many speeds does the TX-12 blender have?", "12 [1]")
    assert echoes_question("How many speeds does the TX-12 blender have?", "The TX-12 blender [1].")


def test_citation_markers_standing_for_the_answer_answer_nothing():
    from rag.relevance import echoes_question

    # the passages are named where the law should be
    assert echoes_question("居民委员会是依照哪一部法律设立的？", "居民委员会是依照[1]和[3]两部法律设立的。")
    assert echoes_question("What law set up the council?", "The council was set up under [1] and [2] laws.")
    # markers joined after a claim, or before a comma, are citations
    assert not echoes_question("居民委员会是依照哪一部法律设立的？", "依照《城市居民委员会组织法》设立[1]和[3]。")
    assert not echoes_question("居民委员会是依照哪一部法律设立的？", "根据[1]和[3]，它依照《城市居民委员会组织法》设立。")
    assert not echoes_question("这条河流经哪些国家？", "这条河流经德国[1]和奥地利[2]两个国家。")


def test_the_pipeline_refuses_an_answer_that_reads_back_the_question(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "bronze.txt").write_text("青铜是铜和锡的合金，熔点较低。黄铜是铜和锌的合金。", encoding="utf-8")
    update_index(tmp_path / "idx", [docs], Config(), fake_embedder)

    def ask(reply: str):
        gen = FakeGenerator(lambda m: reply)
        return Pipeline(Retriever.open(tmp_path / "idx", fake_embedder, Config()), gen, Config()).ask(
            "青铜是铜和哪种金属的合金？")

    echoed = ask("青铜是铜[1]")
    assert echoed.refused and echoed.refusal_reason == "off_question"
    assert not ask("青铜是铜和锡的合金[1]。").refused


def test_words_of_time_and_rank_frame_the_subject():
    # a follow-up takes the previous question's subject: its frame (早期, 世界上最早的) is no name
    # the answer's passage must repeat
    follow = "它的花期在几月？（接上文：世界上最早的人工栽培玫瑰在哪里发现？）"
    assert question_terms(follow)[1] == []
    assert question_terms("早期的环城铁路连接哪里？")[1] == []
    # a name stays; a 最 word that is part of the thing asked about (no 的 after it) stays
    assert question_terms("中国最大的淡水湖是哪个？")[1] == ["中国"]
    assert question_terms("蓝鲸最长记录是多长？")[1] == ["蓝鲸", "最长", "记录"]


def test_the_end_of_a_year_a_month_asked_about_and_a_total_frame_the_subject():
    """A report says 截至2022年12月31日 where the question says 2022年底, 一共 is how it asks,
    现任 is when, 四月份 which meeting: none is a name the passage must repeat. The company
    or the committee named beside them still must be there; a month without 份 may be part of
    a name (三月街)."""
    passage = "截至2022年12月31日，青石水务在职员工总数为1,846人。"
    assert question_terms("青石水务2022年底一共有多少员工？")[1] == ["青石", "水务"]
    assert missing_terms("青石水务2022年底一共有多少员工？", [passage], "zh", [passage]) == []
    assert missing_terms("碧波物流2022年底一共有多少员工？", [passage], "zh", [passage]) == ["碧波", "物流"]
    assert question_terms("青石水务现任董事长是谁？")[1] == ["青石", "水务", "董事", "董事长"]
    assert question_terms("四月份业委会的结余是多少？")[1] == ["委会", "业委会"]
    assert question_terms("三月街的节日在哪里举办？")[1] == ["三月"]


def test_how_often_frames_the_subject_it_does_not_name_it():
    # 每周 is said 每星期 in the passage; the name (a Latin title) is what must be there
    question = "《RIVERS》每周的播出时间是什么？"
    passage = "《RIVERS》是自2011年4月起，由某电视台于每星期一21:00-21:54播出的电视连续剧。"
    assert question_terms(question) == (["RIVERS"], [])
    assert missing_terms(question, [passage], "zh", [passage]) == []
    # a name beside it still has to be there: another theatre's hours do not answer
    other = "山口剧场于每星期五晚间演出。"
    assert missing_terms("河湾剧场每周的演出时间是什么？", [other], "zh", [other]) == ["河湾"]


def test_a_lifetime_frames_the_subject_it_does_not_name_it():
    # "一生" is the span asked about; the passage names the man without it
    passage = "根据记载，周廷有三位妻子，分别是李氏、王氏和陈氏。"
    assert question_terms("周廷一生有几位妻子？")[1] == ["周廷"]
    assert missing_terms("周廷一生有几位妻子？", [passage], "zh", [passage]) == []
    # another man's wives do not answer
    assert missing_terms("韩昭一生有几位妻子？", [passage], "zh", [passage]) == ["韩昭"]


def test_the_name_before_a_verb_with_yu_is_the_subject():
    # "X生存于什么时期", "X位于哪里": no 的/是/有 sets X off, yet X is what is asked about
    other = "石塘龙属生存于白垩纪晚期，化石发现于河湾县。"
    assert missing_terms("澄川龙属生存于什么时期？", [other], "zh", [other]) == ["澄川龙"]
    own = "澄川龙属生存于白垩纪晚期，化石发现于河湾县。"
    assert missing_terms("澄川龙属生存于什么时期？", [own], "zh", [own]) == []
    # past a time word and the adverb before the verb
    assert question_terms("现今露天剧场普遍存在于什么地方？")[1] == ["露天", "剧场", "露天剧场"]
    # whatever jieba tags the word 于 follows (创刊: a noun); a time word before it is no name
    assert question_terms("《河湾杂志》创刊于哪一年？")[1] == ["河湾", "杂志"]
    assert question_terms("王立群现效力于哪支球队？")[1] == ["王立群"]
    # a pronoun or a time before the verb names nothing
    assert question_terms("它生存于什么时期？") == ([], [])
    assert question_terms("1937年时发生于哪里？") == ([], [])


def test_a_name_before_the_place_of_what_it_did_is_the_subject():
    # "甲在…设有…": the name before 在 is what the question is about
    assert question_terms("华为在全球几个国家设有研发中心？")[1] == ["华为"]
    passage = "截至2016年末，该行位于中国大陆的分支机构共计23,682个，包括37个一级分行。"
    assert missing_terms("华为在全球几个国家设有研发中心？", [passage], "zh", [passage]) == ["华为"]  # another's figures
    passage = "华为在全球设有16个研发中心。"
    assert missing_terms("华为在全球几个国家设有研发中心？", [passage], "zh", [passage]) == []
    # a question word before 在 names nothing; a pronoun or preposition opens no subject
    assert question_terms("什么动物在岛上捕食鸟类？")[1] == []
    assert question_terms("它在国内几个城市设有基地？")[1] == []
    # the 在 of a word (现在) places nothing: 李明现 is no name (the verb 于 follows names 李明)
    assert question_terms("李明现在效力于哪个球队？")[1] == ["李明"]


def test_a_four_character_name_is_one_subject_not_a_clause():
    # search mode splits 中华书局 into overlapping parts; counted in whole words it is one name
    assert question_terms("中华书局的创办人是谁？")[1] != []
    assert question_terms("西班牙波旁王朝的建立者是谁？")[1] != []
    # five words before the 的 are a clause, paraphrased freely: no subject required
    assert question_terms("政府这次降低失业补助标准的事发生在几月份？")[1] == []


def test_a_phrase_the_question_quotes_must_stand_in_the_cited_passage():
    passage = "昆明市是云南省省会，气候温和，四季如春。"
    # the nickname quoted is nowhere in the passage: the city it names is another's
    assert missing_terms("哪个城市被称为「塞上江南」？", [passage], "zh") == ["塞上江南"]
    # the passage that says the quoted words answers about them (script folded)
    assert missing_terms("哪个城市被称为「春城」？", ["昆明被稱為「春城」。"], "zh") == []


def test_what_happened_before_a_zai_is_no_subject_and_a_phrase_counts_whole_words():
    # 1950年时发生|在…: a time and a verb, not a name; nothing is required of the passage
    assert question_terms("1950年时发生在岛上的罢工是由哪一个工会发起的？")[1] == []
    # 台风生命周期: 台风 and 生命周期 (search mode adds 生命, 周期); one of two words missing is
    # a paraphrase, not another subject
    passage = "台风在成熟阶段风力最强，云墙包围着台风眼。"
    assert missing_terms("台风生命周期的哪一个阶段风力最强？", [passage], "zh", [passage]) == []
    assert missing_terms("台风生命周期的哪一个阶段风力最强？", ["龙卷风在成熟阶段风力最强。"], "zh") != []


def test_a_transliterated_name_must_be_there_by_its_last_part():
    question = "马库斯·洛维尔在场上的位置是什么？"
    # one piece of the name turns up in another word: not the player
    assert missing_terms(question, ["他在马库斯体育场的比赛最后时刻入替出场。"], "zh") == ["洛维"]
    # the surname alone names him, as Chinese text goes on to call him
    assert missing_terms(question, ["洛维尔司职中场，2019年加盟球队。"], "zh") == []


def test_a_question_opening_with_an_agent_phrase_has_no_subject_at_the_front():
    # 由…所产生的: who produces it, not what is asked about (the passage may name only the cells)
    assert question_terms("由光合作用所产生的哪一种气体为动物呼吸所必需？")[1] == []
    # a name that opens with 由 is still the subject
    assert question_terms("由布院温泉的泉水是什么颜色？")[1] == ["由布院", "温泉"]


def test_a_death_is_dated_whatever_word_the_passage_gives_it():
    from rag.kind import missing_event

    assert missing_event("林晓舟是在什么时间病逝的？", ["元和四年秋十一月，林晓舟忧病致死。"], "zh") == []
    assert missing_event("林晓舟是在什么时间去世的？", ["1898年林晓舟卒于京师。"], "zh") == []
    # a date of something else in his life does not answer it
    assert missing_event("林晓舟是在什么时间病逝的？", ["1898年，林晓舟迁居京师。"], "zh") == ["病逝"]


def test_when_something_came_to_be_is_dated_by_its_founding_or_naming():
    from rag.kind import missing_event

    assert missing_event("「临江中学」这个名称于何年诞生？", ["临江中学于1946年3月成立，原名临江师范。"], "zh") == []
    # a date of something else in its history does not answer it
    assert missing_event("「临江中学」这个名称于何年诞生？", ["1958年，临江中学迁至新校址。"], "zh") == ["诞生"]


def test_a_name_jieba_cuts_after_its_first_character_must_be_cited_whole():
    question = "岩银汉鱼是什么属下的唯一一种？"  # jieba: 岩|银汉鱼
    # another species' passage holds 银汉鱼 but not the name
    assert missing_terms(question, ["细头银汉鱼是小银汉鱼科的唯一一种。"], "zh") == ["岩银汉"]
    assert missing_terms(question, ["岩银汉鱼是小银汉鱼科的唯一一种。"], "zh") == []
    # the name in the passage's title is enough (a species' article says 本鱼)
    assert missing_terms(question, ["岩银汉鱼", "本鱼是小银汉鱼科的唯一一种。"], "zh") == []
    # a function word before the subject is no part of a name
    assert missing_terms("最简单的醇类是哪一种？", ["最常见的醇类是乙醇，简单的醇类还有甲醇。"], "zh") == []
    # ...nor is a thing's being new or old (新|烤箱 is an 烤箱 its manual names)
    assert missing_terms("新烤箱买回来，第一次用之前要做什么？", ["首次使用前，请空烤15分钟。本烤箱…"], "zh") == []
    assert missing_terms("红烤箱买回来，第一次用之前要做什么？", ["首次使用前，请空烤15分钟。本烤箱…"], "zh") == ["红烤箱"]


def test_an_event_named_before_the_question_word_is_the_event_dated():
    from rag.kind import missing_event

    # 它的揭幕时间是什么时候: the date must be the unveiling's, not the broadcast's
    assert missing_event("它的揭幕时间是什么时候？", ["这部剧由青山电视台从2011年4月12日开始播出。"], "zh") == ["揭幕"]
    assert missing_event("它的揭幕时间是什么时候？", ["这座纪念碑于1957年10月揭幕。"], "zh") == []
    # a question with the event after the question word is read as before
    assert missing_event("这座纪念碑是什么时候揭幕的？", ["这座纪念碑于1957年10月揭幕。"], "zh") == []


def test_the_place_a_question_opens_within_is_its_subject():
    question = "青石国境内哪一个国家公园为山地大猩猩的栖息地？"  # no 的/是/有 before the question word
    assert question_terms(question)[1] == ["青石"]
    # a passage about a park somewhere else does not answer it
    assert missing_terms(question, ["白沙国家公园位于群岛东部，是多种鸟类的栖息地。"], "zh") != []
    assert missing_terms(question, ["青石国境内的火山国家公园是山地大猩猩的栖息地。"], "zh") == []


def test_asked_how_much_something_costs_a_figure_that_is_no_money_answers_nothing():
    from rag.kind import missing_kind

    # the height of the tower is no cost
    assert missing_kind("青石灯塔的建造费用是多少？", "青石灯塔的建造费用是36米[1]。", "zh") == "money"
    assert missing_kind("這張船票的價格是多少？", "這張船票的價格是50公里[1]。", "zh") == "money"
    # an amount of money answers, in either script
    assert missing_kind("青石灯塔的建造费用是多少？", "青石灯塔的建造费用是120万元[1]。", "zh") is None
    assert missing_kind("這張船票的價格是多少？", "這張船票的價格是50港元[1]。", "zh") is None
    # ...named by the currency after the figure (港幣, 新臺幣, 人民币), not by the word for money
    assert missing_kind("每戶要夾幾多錢？", "每戶大概要夾78,500港幣[1]。", "zh") is None
    assert missing_kind("每戶要付多少錢？", "每戶要付3,000新臺幣[1]。", "zh") is None
    assert missing_kind("每戶要付多少錢？", "每戶要分攤96個單位[1]。", "zh") == "money"  # (a count of flats)
    # a cost named but no amount asked, or a name that holds 钱: not a money question
    assert missing_kind("青石灯塔的建造费用由谁承担？", "由海事局承担[1]。", "zh") is None
    assert missing_kind("钱明远有几个孩子？", "钱明远有三个孩子[1]。", "zh") is None
    # what a firm earns is money: a count of parcels does not answer it, an amount does
    assert missing_kind("青石快递第三季的營收是多少？", "1,284萬件[2]", "zh") == "money"
    assert missing_kind("青石快递第三季的營收是多少？", "3.6億元[2]", "zh") is None
    # ...asked by how much it changed, a percentage answers
    assert missing_kind("青石快递上半年营收同比增长多少？", "同比增长35%[1]。", "zh") is None
    # ...but 收入 alone also means "included" (收入了几首歌)
    assert missing_kind("这张专辑收入了几首歌？", "这张专辑收入了12首歌[1]。", "zh") is None


def test_asked_a_height_weight_or_area_a_figure_in_another_measure_answers_nothing():
    from rag.kind import missing_kind

    # a weight, a price or a length where a height, an area or a weight is asked
    assert missing_kind("青石灯塔有多高？", "青石灯塔高36吨[1]。", "zh") == "measure"
    assert missing_kind("青石灯塔有多高？", "青石灯塔高36元[1]。", "zh") == "measure"
    assert missing_kind("這座湖的面積有多大？", "這座湖的面積為12公里[1]。", "zh") == "measure"
    assert missing_kind("这头鲸有多重？", "这头鲸长约25米[1]。", "zh") == "measure"
    # the measure asked answers, in either script, and an area is in square lengths
    assert missing_kind("青石灯塔有多高？", "青石灯塔高36米[1]。", "zh") is None
    assert missing_kind("這座湖的面積有多大？", "這座湖的面積為12平方公里[1]。", "zh") is None
    assert missing_kind("这头鲸有多重？", "这头鲸重约150吨[1]。", "zh") is None
    # a distance may be given as the time it takes, a speed as a length, a span as years
    assert missing_kind("青石镇离省城多远？", "青石镇离省城约30分钟车程[1]。", "zh") is None
    assert missing_kind("这列火车的时速是多少？", "这列火车的时速为300公里[1]。", "zh") is None
    assert missing_kind("这座桥修了多长时间？", "这座桥修了3年[1]。", "zh") is None
    # a span asked as 多少时间 is a span too: a length does not give it, minutes do
    assert missing_kind("从码头走到灯塔要多少时间？", "从码头到灯塔约2公里[1]。", "zh") == "measure"
    assert missing_kind("从码头走到灯塔要多少时间？", "从码头走到灯塔约20分钟[1]。", "zh") is None
    # asked how long, the times of day it runs are no span (a span beside them is)
    assert missing_kind("备份大概要多长时间？", "系统在每天凌晨2:00〜4:00之间备份[1]。", "zh") == "measure"
    assert missing_kind("备份大概要多长时间？", "备份约需20分钟，每天2:00开始[1]。", "zh") is None
    assert missing_kind("备份在几点进行？", "系统在每天凌晨2:00〜4:00之间备份[1]。", "zh") is None
    # ...and an answer with no span at all, though it counts something (一份)
    assert missing_kind("会员卡过多久就失效？", "每人只能持有一份会员卡[1]。", "zh") == "measure"
    assert missing_kind("会员卡过多久就失效？", "会员卡自开卡之日起两年内有效[1]。", "zh") is None
    assert missing_kind("退款要等多久？", "退款于十日内退回原账户[1]。", "zh") is None
    assert missing_kind("退款要等多久？", "Refunds are paid within 10 days [1].", "zh") is None  # the model's English
    # weeks counted with 个 (十个星期, 兩個禮拜) are a span; a weekday is none
    assert missing_kind("外牆搭棚要做多久？", "每面外牆工期約十個星期[1]。", "zh") is None
    assert missing_kind("换新要等多久？", "大概两个礼拜[1]。", "zh") is None
    assert missing_kind("换新要等多久？", "换新在星期三进行[1]。", "zh") == "measure"
    # no measure given at all is not this check's: a year, a count of something else
    assert missing_kind("青石灯塔有多高？", "青石灯塔建于1998年[1]。", "zh") != "measure"
    assert missing_kind("这条河有多长？", "这条河流经3个省[1]。", "zh") is None


def test_asked_who_a_bare_number_names_nobody():
    from rag.kind import missing_kind

    # the number of the handbook clause that names the person, not the person
    assert missing_kind("請假或保險的問題要找人資部的哪一位？", "8.1[1]", "zh") == "name"
    assert missing_kind("这座桥是谁设计的？", "3.2[1]。", "zh") == "name"
    assert missing_kind("Who handles root canals?", "4.1 [2].", "en") == "name"
    # a name answers, and so does anything with words; a number asked for is no person
    assert missing_kind("請假或保險的問題要找人資部的哪一位？", "陳怡蓁[1]", "zh") is None
    assert missing_kind("这座桥是谁设计的？", "由第3设计院设计[1]。", "zh") is None
    assert missing_kind("Who handles root canals?", "Dr. Rafael Quintero [2].", "en") is None
    assert missing_kind("这座桥有几位设计师？", "3[1]", "zh") is None


def test_asked_a_price_the_thing_priced_is_named_near_the_quote():
    rental = ["## 岛上交通\n- 电动车租赁：每天60元，押金300元 海岛旅行须知"]
    fares = ["### 票价\n| 票种 | 单程 | 往返 |\n| 成人 | 88元 | 160元 | 海岛旅行须知"]
    # another thing's price or deposit
    assert missing_aspect("岛上潜水体验一次多少钱？", ["- 灯塔：门票30元，儿童免票"], "zh") == ["潜水", "体验"]
    assert missing_aspect("借一把充电电钻要交多少押金？", rental, "zh") == ["电钻"]
    # the thing named (one of its words suffices: 成人 of 成人单程船票, in either script)
    assert missing_aspect("租一辆电动车要交多少押金？", rental, "zh") == []
    assert missing_aspect("去海島的成人單程船票多少錢？", fares, "zh") == []
    # no price asked, or nothing named but the money: not this check's
    assert missing_aspect("岛上潜水体验安全吗？", ["- 灯塔：门票30元"], "zh") == []
    assert missing_aspect("逾期还书要付多少钱？", ["逾期每本每日5元"], "zh") == []
    # the thing pointed at (这个房子) is the documents' subject, in their words or not
    lease = ["第四條　押金\n一、乙方應於簽約時交付押金新臺幣20,000元予甲方。"]
    assert missing_aspect("租这个房子押金要交多少？", lease, "zh") == []
    assert missing_aspect("停车位的押金要交多少？", lease, "zh") == ["停车位"]

def test_a_name_jieba_glued_to_the_word_that_goes_to_it_is_the_name_alone():
    # jieba cuts 到茂川镇|游玩: the town is the subject, not "to the town"
    question = "到茂川镇游玩的游客大多来自哪个国家？"
    assert question_terms(question)[1][0] == "茂川镇"
    assert missing_terms(question, ["茂川镇的游客主要来自邻近的岛国。"], "zh") == []
    # a passage about another town still does not answer it
    assert missing_terms(question, ["茂溪村的游客主要来自邻近的岛国。"], "zh") != []
    # a word of the dictionary that opens with such a character is kept whole
    assert "对外贸易" in question_terms("对外贸易的比重是多少？")[1]


def test_asked_what_number_to_call_an_answer_without_one_answers_nothing():
    from rag.kind import missing_kind

    assert missing_kind("What number should tenants call about the lift repairs?", "1 [1]", "en") == "phone"
    assert missing_kind("物业维修热线是多少？", "维修热线24小时开通[1]。", "zh") == "phone"
    # a number to call, however grouped
    assert missing_kind("What number should tenants call about the lift repairs?", "Call 2745 3816 [1].", "en") is None
    assert missing_kind("物业维修热线是多少？", "拨打0571-8866 2231[1]。", "zh") is None
    # not asked for a number to call
    assert missing_kind("How many tenants called the hotline in 2024?", "1,204 tenants [1]", "en") is None
    assert missing_kind("这款手机的电话功能支持5G吗？", "支持[1]", "zh") is None


def test_asked_which_one_of_a_kind_the_kind_itself_in_its_place_names_none():
    from rag.relevance import echoes_question

    assert echoes_question("这次外墙翻新由哪家施工单位负责？", "外墙翻新由施工单位安排[1]。")
    assert echoes_question("這次外牆翻新由哪家施工單位負責？", "通告中提到，工程是施工單位通知的[1]。")
    # a name in its place, or the kind after a name, answers
    assert not echoes_question("这次外墙翻新由哪家施工单位负责？", "外墙翻新由鸿基建筑公司负责[1]。")
    assert not echoes_question("哪家公司收购了蓝鲸科技？", "海川集团这家公司收购了蓝鲸科技[1]。")


def test_an_item_the_cited_table_does_not_list_though_it_lists_its_kind():
    from rag.aspect import unlisted_item

    table = ("## 保修期限\n\n| 产品 | 整机保修 | 主要部件 |\n| 电饭煲 | 1年 | 加热盘3年 |\n| 电压力锅 | 2年 | 密封圈1年 |\n"
             "| 电炖锅 | 1年 | 陶瓷内胆2年 |")
    evidence = ["保修说明 " + table]
    # 煎锅 is a 锅 the table does not list: the 电压力锅 row's 2年 does not answer it
    assert unlisted_item("煎锅保修几年？", [table], evidence) == ["煎锅"]
    # a listed item, a word of no listed kind (the brand), or no table: fine
    assert unlisted_item("电炖锅保修几年？", [table], evidence) == []
    assert unlisted_item("禾乐的电饭煲保修几年？", [table], evidence) == []
    assert unlisted_item("煎锅保修几年？", ["煎锅以外的锅具保修1年。"], ["煎锅以外的锅具保修1年。"]) == []
    sheet = "型号: 电饭煲A1 | 保修: 1年\n型号: 电压力锅B2 | 保修: 2年\n型号: 电炖锅C3 | 保修: 1年"
    assert unlisted_item("煎锅保修几年？", [sheet], [sheet]) == ["煎锅"]


def test_an_answer_about_an_unlisted_item_from_another_items_row_is_refused(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "保修.md").write_text("# 保修说明\n\n| 产品 | 整机保修 | 主要部件 |\n|---|---|---|\n| 电饭煲 | 1年 | 加热盘3年 |\n"
                                 "| 电压力锅 | 2年 | 密封圈1年 |\n| 电炖锅 | 1年 | 陶瓷内胆2年 |\n", encoding="utf-8")
    update_index(tmp_path / "idx", [docs], Config(), fake_embedder)
    retriever = Retriever.open(tmp_path / "idx", fake_embedder, Config())
    said = {"煎锅保修几年？": "煎锅的整机保修是2年[1]。", "电压力锅保修几年？": "电压力锅的整机保修是2年[1]。"}
    p = Pipeline(retriever, FakeGenerator(lambda m: next(a for q, a in said.items() if q in m[-1]["content"])), Config())
    assert p.ask("煎锅保修几年？").refusal_reason == "off_question"
    assert not p.ask("电压力锅保修几年？").refused


def test_the_keys_of_a_passages_rows_leave_out_a_tables_header_only():
    from rag.records import row_keys as _row_keys

    # a sheet's passage opens with its heading: its first row is a row, not a header
    assert _row_keys("# 锅具\n型号: 电饭煲A1 | 保修: 1年\n型号: 电压力锅B2 | 保修: 2年") == ["电饭煲A1", "电压力锅B2"]
    # a document's table: its first row names the columns
    assert _row_keys("## 保修\n\n| 产品 | 整机保修 |\n| 电饭煲 | 1年 |\n| 电炖锅 | 1年 |\n\n说明。") == ["电饭煲", "电炖锅"]


def test_a_yes_no_question_read_back_as_a_statement_is_told_from_an_answer_that_says_more():
    from rag.relevance import restates_yes_no
    assert restates_yes_no("租客可以用会所吗？", "租客可以用会所[1]。")
    assert restates_yes_no("租客可以用會所嗎？", "租客可以用會所[1]。")
    # a bare verdict, an answer that adds the condition, a question that is no yes/no one
    assert not restates_yes_no("可以带宠物吗？", "可以[1]。")
    assert not restates_yes_no("租客可以用会所吗？", "租客须由业主签署授权书，方可使用会所[1]。")
    assert not restates_yes_no("租客可以用哪些设施？", "租客可以用会所[1]。")
    # (in English, left as the model wrote it)
    assert not restates_yes_no("Can I bring my bike on the bus?", "Yes, you can bring your bike on the bus [1].")


# ------------------------------------------------------------ a situation told before the question

def test_a_situation_told_first_gives_no_subject_the_asking_sentence_has():
    story = ("我住老小区，没有电梯，晚上都是把电池拎回家充电。这几天降温，车棚夜里零下好几度。"
             "电池从外面拿进屋能马上充电吗？要等多久？")
    assert question_terms(story)[1] == question_terms("电池从外面拿进屋能马上充电吗？要等多久？")[1]
    assert "晚上" not in question_terms(story)[1]


def test_an_asking_sentence_pointing_back_keeps_the_story_and_one_sentence_is_whole():
    assert question_terms("我买了一台青岚扫地机。它的保修期是多久？")[1] != question_terms("它的保修期是多久？")[1]
    assert question_terms("青岚扫地机的保修期是多久？")[1] == ["青岚", "扫地", "地机", "扫地机"]
    # an asking sentence that goes on from the one before has its subject there
    assert question_terms("Kotlin是一种编程语言。是由哪家公司开发的?")[0] == ["Kotlin"]


def test_asked_what_to_do_the_thing_a_situation_told_first_is_about_must_be_in_the_cited_passage():
    # "复印机卡纸了，该怎么处理？" answered from a library's "书包丢了怎么办" is off the question.
    assert question_terms("复印机卡纸了，该怎么处理？")[1] == ["复印机"]
    assert missing_terms("复印机卡纸了，该怎么处理？", ["问：书包丢了怎么办？答：请到服务台登记。"], "zh") == ["复印机"]
    assert missing_terms("复印机卡纸了，该怎么处理？", ["复印机卡纸时，先打开前盖，取出纸张。"], "zh") == []
    # an everyday word tells nothing (小时), nor does a clause that sets a frame for a question
    # of a fact
    assert question_terms("今天迟到了快一个小时，没签上到，怎么办？")[1] == []
    assert question_terms("复印机卡纸以后，要等多久？")[1] == []


def test_a_bare_yes_or_no_answers_only_a_question_that_asks_yes_or_no():
    # "不可以[3]" -- another passage's rule -- to "what should I do" answers nothing
    assert verdict_unasked("我昨天忘了去复诊，怎么办？", "不可以[3]")
    assert verdict_unasked("The printer shows E5. What should I do?", "No [1].")
    assert not verdict_unasked("可以帮同学占座吗？", "不可以[1]")
    assert not verdict_unasked("Can I park here overnight?", "No [1].")
    assert not verdict_unasked("先开光猫还是先开路由器？", "是[1]")
    assert not verdict_unasked("复诊要带什么？", "需要身份证[1]")


def test_a_misspelt_word_of_an_english_question_is_found_in_the_evidence():
    evidence = ["Billing. Receipts are e-mailed after each payment."]
    assert missing_aspect("Where can I get the reciept for my subscription?", evidence, "en") == []
    assert missing_aspect("Where can I get the receipt for my subscription?", evidence, "en") == []
    # one letter for another is as often another word; and another word is missing
    assert missing_aspect("Where can I get the report for my subscription?", ["The resort is open."], "en") != []
    assert missing_aspect("Where can I get the invoice?", evidence, "en") == ["get", "invoice"]


def test_how_much_x_do_i_pay_names_what_is_priced():
    tours = ["Guided tours. Each tour lasts 45 minutes and costs £3 per person in addition to admission."]
    assert missing_aspect("How much deposit do I pay when I sign up for the island tour?", tours, "en") == ["deposit"]
    assert missing_aspect("How much deposit do I pay when I sign up?",
                          ["A deposit of 5,000 is paid when you sign up for the tour."], "en") == []
    assert missing_aspect("How much do I pay for a tour?", tours, "en") == []


from rag.aspect import bound_elsewhere  # noqa: E402


def test_a_value_its_quote_gives_for_something_else_than_the_question_names_is_off():
    trash = "Deleted notes stay in Trash for 30 days on Free and 90 days on Pro and Team."
    assert bound_elsewhere("how long do deleted notes stay in trash on pro", "30 days [1]", [trash]) == ["30"]
    fares = "Tickets cost £12 for adults and £6 for children under 16."
    assert bound_elsewhere("How much is a ticket for children?", "£12 [1]", [fares]) == ["12"]


def test_the_value_for_what_is_asked_or_one_tied_to_nothing_is_kept():
    trash = "Deleted notes stay in Trash for 30 days on Free and 90 days on Pro and Team."
    assert bound_elsewhere("how long do deleted notes stay in trash on pro", "90 days [1]", [trash]) == []
    assert bound_elsewhere("how long do deleted notes stay in trash", "30 days [1]", [trash]) == []  # not named
    hours = "The museum is open 10:00 to 17:00 on weekdays and 10:00 to 16:00 on weekends."
    assert bound_elsewhere("When does it open on weekends?", "10:00 [1]", [hours]) == []  # 10:00 ties to no day


def test_the_pipeline_refuses_the_value_its_quote_gives_for_another_plan(tmp_path, fake_embedder):
    from rag.answer import Pipeline
    from rag.config import Config
    from rag.index import update_index
    from rag.retrieve import Retriever
    from conftest import FakeGenerator

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "faq.md").write_text(
        "# Notes app FAQ\n\n**How long are deleted notes kept?**\nDeleted notes stay in Trash for 30 days on "
        "Free and 90 days on Pro and Team; after that they are removed permanently.\n", encoding="utf-8")
    config = Config.from_env()
    update_index(tmp_path / "idx", [docs], config, fake_embedder)
    for said, refused in (("30 days [1]", True), ("90 days [1]", False)):
        p = Pipeline(Retriever.open(tmp_path / "idx", fake_embedder, config), FakeGenerator(lambda m: said), config)
        a = p.ask("How long do deleted notes stay in Trash on Pro?")
        assert a.refused == refused, said
        assert a.refusal_reason == ("off_question" if refused else None)


# ------------------------------------------------------------ a yes/no verdict on nothing

from rag.relevance import unverified_verdict  # noqa: E402


def test_a_yes_no_verdict_in_the_unverified_clause_is_found():
    answer = "社区诊所可以做胃镜[3]，要提前预约[3]。"
    assert unverified_verdict("社区诊所能不能做胃镜 要提前约吗", answer, ["社区诊所可以做胃镜"]) == "社区诊所可以做胃镜"


def test_a_verified_verdict_a_side_clause_unverified_or_another_question_is_kept():
    answer = "社区诊所可以做胃镜[3]，要提前预约[3]。"
    assert unverified_verdict("社区诊所能不能做胃镜 要提前约吗", answer, []) is None  # all verified
    # the unverified clause is the side one: the verdict restates the question more
    assert unverified_verdict("社区诊所能不能做胃镜？", "社区诊所可以做胃镜[1]，费用另计[1]。", ["费用另计"]) is None
    assert unverified_verdict("社区诊所几点开门？", "社区诊所8点开门[1]，周日休息[1]。", ["社区诊所8点开门"]) is None
