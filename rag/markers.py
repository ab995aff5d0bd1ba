"""Citation markers in a model's answer: which passages it cites, and the answer without them.

Read by the cite stage (which verifies what the markers claim) and by the support score
(which ignores markers when comparing a claim with a passage).
"""
from __future__ import annotations

import re

from .numerals import PART_NUMBER

# [1] [1,2] [1，2] [1、2] [1-3] 【1】 ［1］, optionally labelled ([资料1], [Source 1]). Not [^1]
# (footnote syntax) and not (1) (enumerations): both are too ambiguous in prose. Also the
# placeholder the prompt's reminder shows ([编号], [n]), which the model now and then copies
# as it stands ("2016年2月22日[編號]"), and a number in Chinese characters ("由林品妤[四]負責",
# copied from a document's （四） section): a marker that points at no passage.
_MARKER = re.compile(
    r"[\[【［]\s*(?:(?:资料|段落|来源|文档|参考|passage|source|doc)\s*)?"
    r"(\d+(?:\s*[,，、\-–—~～]\s*\d+)*|编号|編號|n|[一二三四五六七八九十]{1,2})\s*[\]】］]",
    re.IGNORECASE,
)
_RANGE = set("-–—~～")
# Passages are few; a bracketed number above this is content ([2023]), not a marker.
_MAX_MARKER = 99


def _marker_numbers(inner: str) -> list[int] | None:
    """Expand "1, 2" / "1-3" into [1, 2] / [1, 2, 3]; [] for a placeholder; None if it is
    not a marker."""
    if not inner[0].isdigit():
        return []
    parts = re.split(r"\s*([,，、\-–—~～])\s*", inner)
    numbers: list[int] = []
    for i in range(0, len(parts), 2):
        n = int(parts[i])  # int() reads full-width digits too
        if n > _MAX_MARKER:
            return None
        if i and parts[i - 1] in _RANGE and numbers:
            lo, hi = sorted((numbers[-1], n))
            numbers.extend(range(lo, hi + 1))
        else:
            numbers.append(n)
    return list(dict.fromkeys(numbers))


def parse_markers(answer: str) -> list[tuple[int, int, list[int]]]:
    """(start, end, numbers) of every citation marker in ``answer``, in order."""
    found = []
    for m in _MARKER.finditer(answer):
        numbers = _marker_numbers(m.group(1))
        if numbers is not None:
            found.append((m.start(), m.end(), numbers))
    return found


_SPACED_MARKER = re.compile(r"[ \t]*" + _MARKER.pattern, re.IGNORECASE)  # "company [1]."


def strip_markers(text: str) -> str:
    def strip(m: re.Match) -> str:
        return m.group(0) if _marker_numbers(m.group(1)) is None else ""

    return _SPACED_MARKER.sub(strip, text)


# A bracketed word just before a marker or closing a line: the model labels its citation the
# way the prompt labels passages ("現任館長是林秀英[館長]。", and the marker, if any, after it).
# No digit inside (that is a marker or a year), at most 8 characters (a label, not a
# bracketed clause); or a row's code, letters before its digits ("一共235元[CG-2025-002][1]":
# the model cites a sheet row by its id).
_LABEL = re.compile(r"[\[【［](?:[^\[\]【】［］\d\n]{1,8}|[A-Za-z]{1,6}[-_]?\d[\w-]{0,16})[\]】］](?=\s*(?:" + _MARKER.pattern
                    + r"|[。.！!？?]?\s*(?:\n|$)))", re.IGNORECASE)


# A clause the model names in brackets wherever it puts it ("连续病假3天以上[第十一條]要交
#医院证明[1]"): a label of where the rule stands, never the document's words.
_CLAUSE_LABEL = re.compile(rf"[\[【［]{PART_NUMBER}[\]】］]")


def drop_labels(answer: str) -> str:
    """``answer`` without bracketed labels placed before its citation markers or at the end
    of a line, nor bracketed clause numbers anywhere."""
    return _CLAUSE_LABEL.sub("", _LABEL.sub("", answer))
