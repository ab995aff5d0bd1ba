"""The step a question asks for by its number ("开机操作的第三步要做什么？", "What is step 2 of
the reset?"): the Nth item of the numbered list the best passage holds.

Shown a procedure's six numbered steps, the 1.5B model read step 2 for 第三步: which line is
step 3 is counting, not reading. The list is found in the retrieved passage's document, among
its lists, as the one whose heading shares most of the question's characters (地震發生時
picks "三、發生地震時" over "一、發生火災時" in one evacuation notice; 第一次用之前 "一、首次使用前"
over the cleaning steps the passage held), the passage's own on a tie;
its item N, from its number to the next item's, is handed over alone with a note that says
which step of which list it is, as lookup.py hands over a table's row.

An item is a line opening with an Arabic number and a mark (1. 2、 3) （4）), 第N步, 步骤N or
"Step N"; a list runs from its item 1 through items numbered on by one, lines between them
going with the item above, and ends at a blank line, a heading or an item out of turn.
Chinese numbers with 、 (一、二、) number a document's sections, not steps.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .numerals import EN_NUMBER_WORDS, cn_number
from .records import Document, Hit
from .zh import Lang, fold

_ZH_STEP = re.compile(r"第\s*([0-9一二两三四五六七八九十]{1,3})\s*(?:步|个步骤|個步驟|项步骤)")
_EN_ORDINAL = {w: i for i, w in enumerate("first second third fourth fifth sixth seventh eighth ninth tenth".split(), 1)}
_EN_STEP = re.compile(r"\bstep\s+(\d{1,2}|%s)\b|\b(%s|\d{1,2}(?:st|nd|rd|th))\s+step\b" % (
    "|".join(w for w in EN_NUMBER_WORDS if EN_NUMBER_WORDS[w] <= 20), "|".join(_EN_ORDINAL)), re.I)
_ITEM = re.compile(r"^\s*(?:(\d{1,2})\s*[.、．)）](?!\d)|[（(](\d{1,2})[)）]"
                   r"|(?:第|步骤|步驟)\s*(\d{1,2}|[一二三四五六七八九十]{1,3})\s*步?[:：，,、.]?|step\s+(\d{1,2})\s*[:.)]?)\s*", re.I)
_HEADING = re.compile(r"^\s*(?:#|[一二三四五六七八九十]+、|第[一二三四五六七八九十\d]+[章节節部分])")


def asked_step(question: str) -> int | None:
    """The number of the step ``question`` asks for (第三步 -> 3, "step 2", "the second step")."""
    if m := _ZH_STEP.search(question):
        return int(m.group(1)) if m.group(1).isdigit() else cn_number(m.group(1))
    if m := _EN_STEP.search(question):
        word = (m.group(1) or m.group(2)).lower()
        if word.isdigit():
            return int(word)
        return EN_NUMBER_WORDS.get(word) or _EN_ORDINAL.get(word) or int(re.sub(r"\D", "", word) or 0) or None
    return None


@dataclass(frozen=True)
class Steps:
    heading: str  # the line above item 1 ("三、开机操作步骤"), "" when none
    items: list[tuple[int, int]]  # (start, end) of each item in the document's text, item 1 first


def numbered_lists(text: str) -> list[Steps]:
    out: list[Steps] = []
    items: list[tuple[int, int]] = []
    heading, previous, pos = "", "", 0

    def close() -> None:
        nonlocal items, previous
        if len(items) >= 2:
            out.append(Steps(heading, items))
        if items:
            previous = ""  # (the next list's heading is a line after this one, if any)
        items = []

    for line in text.split("\n"):
        m = _ITEM.match(line)
        number = _number(m) if m else None
        if number == len(items) + 1 and (items or number == 1):
            if number == 1:
                close()
                heading = previous.strip().lstrip("#").strip()
            items.append((pos, pos + len(line)))
        elif items and line.strip() and not _HEADING.match(line) and number is None:
            items[-1] = (items[-1][0], pos + len(line))  # (a line that goes on with the item)
        else:
            close()
            previous = line if line.strip() else previous  # (a list's own lines head no list)
        pos += len(line) + 1
    close()
    return out


def _number(m: re.Match) -> int | None:
    n = m.group(1) or m.group(2) or m.group(3) or m.group(4)
    return int(n) if n.isdigit() else cn_number(n)


def step_first(question: str, hits: list[Hit], docs: dict[str, Document], lang: Lang) -> list[Hit] | None:
    """Asked for step N, the best passage's list's item N as the one passage (see above);
    None when the question asks for no step or the passage overlaps no list that long."""
    n = asked_step(question)
    if n is None or not hits or (doc := docs.get(hits[0].chunk.doc_id)) is None:
        return None
    chunk = hits[0].chunk
    asked = set(fold(question))

    def fit(s: Steps) -> tuple[int, bool]:  # (its heading's characters the question shares, in the passage)
        return len(asked & set(fold(s.heading))), s.items[0][0] < chunk.end and chunk.start < s.items[-1][1]

    best = max(numbered_lists(doc.text), key=fit, default=None)
    if best is None or n > len(best.items):
        return None
    start, end = best.items[n - 1]
    note = (f"(step {n} of the {len(best.items)} of “{best.heading}”)" if lang == "en" and best.heading
            else f"(step {n} of {len(best.items)})" if lang == "en"
            else f"（「{best.heading}」共{len(best.items)}步，这是第{n}步）" if best.heading
            else f"（共{len(best.items)}步，这是第{n}步）")
    picked = replace(chunk, text=doc.text[start:end], start=start, end=end,
                     location=doc.location_of(start, end) or chunk.location, context=note)
    return [replace(hits[0], chunk=picked, rank=1)]
