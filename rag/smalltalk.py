"""Messages that ask the documents nothing: a greeting, thanks, an "OK", goodbye, who the
assistant is, or the time, date or weather now.

A chat box gets these as often as questions. Sent down the data path they are answered from
whatever passage scores highest: the 33 messages of evals/sets/offtopic put to the eight trial
folders (264 asks) got 15 answers, every one wrong -- "今天星期幾？" -> "星期六[1]" (a
timetable's), "What time is it?" -> "10:00 [5]", "What can you do?" -> "You can empty Trash
yourself at any time. [1]" -- and a greeting "the documents do not contain the answer"
(evals/RESULTS.md, thirty-fourth session). Here they get a short reply of
their own before retrieval. Only a message that is small talk *whole*: "你好，请问退款要多久？"
and "今天的讲座几点开始？" ask the documents something and go on down the path.
"""
from __future__ import annotations

import re
import time
from typing import Literal

from .records import Answer, Timings
from .zh import CJK_CHAR, Lang, fold, in_script, script_of

SmallTalk = Literal["greeting", "thanks", "ok", "goodbye", "identity", "now"]

# Ends and openers a message may carry around its small talk (ASCII after fold's NFKC).
_END = r"[\s!.?,~。！？～…:)）😊🙏👋]*"
_TO_YOU = r"(?:[你您]|机器人|助手|小助手)?"
_ZH: dict[SmallTalk, str] = {
    "greeting": rf"(?:{_TO_YOU}(?:你好|您好|嗨|哈喽|哈啰|早上好|早安|上午好|中午好|下午好|晚上好|在吗|在不在)[呀啊哇哦吖]?)"
                rf"{_TO_YOU}",
    "thanks": r"(?:好的|好|嗯|ok)?(?:谢谢|多谢|感谢|谢啦|谢了|辛苦了?)(?:[你您]|你们)?(?:的帮助|的帮忙|的解答)?[啦了呀啊哈]*",
    "ok": r"(?:好的|好滴|好嘞|好吧|嗯嗯?|哦哦?|明白了?|知道了|了解了?|收到|懂了)[啦了呀啊哈的]*",
    "goodbye": r"(?:再见|拜拜|回头见|下次见)[啦了呀啊哈]*",
    "identity": r"(?:请问)?(?:你是谁|你是什么|你叫什么(?:名字)?|你能做什么|你会做什么|你会什么|你能干什么|你可以做什么"
                r"|你有什么功能|怎么用你)[呀啊呢吗]*",
    # The moment the message is sent, which no document states: "现在几点了？", "今天星期几？",
    # "明天会下雨吗？" -- nothing else in the message (今天的讲座几点开始 asks a document), and a
    # day named: a bare "几号？" or "天气怎么样？" may follow up on a date or a place asked before.
    "now": r"(?:请问)?(?:(?:现在|今天|今日|明天|后天|昨天|此刻|这会儿)(?:是)?"
           r"(?:几点了?|几点钟|星期几|礼拜几|周几|几号|几月几[号日]|什么日子|几月几号星期几"
           r"|天气(?:怎么样|如何|好吗|好不好)?|(?:会|要)?下雨(?:吗|不)?|冷不冷|热不热)|几点了)[了呀啊呢吗]*",
}
_EN: dict[SmallTalk, str] = {
    "greeting": r"(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|greetings)(?: there)?",
    "thanks": r"(?:(?:ok|okay|great|cool) )?(?:thanks|thank you|thx|ty|cheers|many thanks)(?: (?:a lot|so much|very much|for (?:the|your) help))?",
    "ok": r"(?:ok|okay|k|got it|i see|understood|cool|great|nice|alright|all right)",
    "goodbye": r"(?:bye|goodbye|bye bye|see you|see ya)(?: later)?",
    "identity": r"(?:who are you|what are you|what can you do|what do you do|how do i use you)",
    "now": r"(?:what(?:'s| is) the time(?: now)?|what(?:'s| is) the (?:date|weather)(?: like)? (?:now|today)"
           r"|what time is it(?: now)?|what day is (?:it|today)|what(?:'s| is) today(?:'s date)?"
           r"|is it going to rain (?:today|tomorrow))",
}
_PATTERNS = {lang: {kind: re.compile(rf"^{_END}{p}{_END}$") for kind, p in table.items()}
             for lang, table in (("zh", _ZH), ("en", _EN))}
_NOTHING = re.compile(rf"^{_END}$")  # a part between commas that holds only ends (an emoji, "!")

REPLY: dict[SmallTalk, dict[Lang, str]] = {
    "greeting": {"zh": "你好！我根据你放入的文档回答问题，答案里的编号指向出处。请直接提问。",
                 "en": "Hello! I answer questions from the documents you have indexed, with numbered "
                       "citations to the passages. Ask away."},
    "thanks": {"zh": "不客气！还有问题可以继续问。", "en": "You're welcome! Ask another question any time."},
    "ok": {"zh": "好的！还有问题可以继续问。", "en": "Sure. Ask another question any time."},
    "goodbye": {"zh": "再见！", "en": "Goodbye!"},
    "identity": {"zh": "我是文档问答助手：根据你放入的文档回答问题，每个答案都标出处；文档里没有的，我会直说。",
                 "en": "I am a document Q&A assistant: I answer from the documents you have indexed and cite "
                       "the passage for each answer; when they do not say, I tell you so."},
    "now": {"zh": "我无法得知现在的时间、日期或天气，只能根据已收录的文档回答问题。",
            "en": "I cannot tell the current time, date or weather; I can only answer from the indexed documents."},
}


def small_talk(message: str) -> SmallTalk | None:
    """What kind of small talk ``message`` is, whole; of its last part when it is several
    ("你好，你是谁？": who the assistant is; "好的，谢谢"); None when any part asks something else
    ("你好，请问退款要多久？")."""
    parts = [p for p in re.split(r"[,、]", fold(message)) if not _NOTHING.match(p)]
    kinds = [_kind(p) for p in parts]
    return kinds[-1] if kinds and all(kinds) else None


def _kind(text: str) -> SmallTalk | None:
    for lang in ("zh", "en"):
        for kind, pattern in _PATTERNS[lang].items():
            if pattern.match(text):
                return kind
    return None


def reply(kind: SmallTalk, message: str) -> str:
    """The reply to ``message``: in Chinese when it is written in Chinese (in its script),
    else in English."""
    if CJK_CHAR.search(message):
        return in_script(REPLY[kind]["zh"], script_of(message))
    return REPLY[kind]["en"]


def small_talk_answer(message: str, t0: float) -> Answer | None:
    """The reply to ``message`` as an answer (refused: nothing was asked of the documents),
    None when it is no small talk."""
    if (talk := small_talk(message)) is None:
        return None
    return Answer(question=message, answer=reply(talk, message), refused=True, citations=[], retrieved=[],
                  timings=Timings(total_ms=(time.perf_counter() - t0) * 1000), refusal_reason="small_talk")


def without_small_talk(history: list[dict]) -> list[dict]:
    """``history`` (chat turns) without its small-talk exchanges, so a follow-up is read
    against the last question, not against "谢谢" (the user's turn and the reply after it)."""
    out: list[dict] = []
    skip_reply = False
    for turn in history:
        if turn.get("role") == "user":
            skip_reply = small_talk(str(turn.get("content", ""))) is not None
            if skip_reply:
                continue
        elif turn.get("role") == "assistant" and skip_reply:
            skip_reply = False
            continue
        out.append(turn)
    return out
