"""Lookalike documents: which of several documents that differ by a year, a model, a version,
a month or a branch the question names, so that its lookalikes' passages are read after its own.

A folder often holds documents that look alike: three years of one annual report, the sheets
of three models of one product line, a rule book and its revision, monthly minutes, the
guest pages of two hotels of one chain. Their passages say the same things with other
values, and a question about 2023's net profit found 2022's and 2024's as high. What tells
them apart is what their names do not share: the file name and title of each (2023, JL-200,
修订版, 4月, Old Town). A question that names one of those documents reads its passages
first; asked what holds *now* (现在, 目前, 现任, current) and naming none, the newest by year.
Other passages keep their order: a question may well be answered by a lookalike (a 2024
report gives 2023's figures beside its own), only after the one it names.
"""
from __future__ import annotations

import bisect
import math
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePath
from typing import Callable, Mapping

from .lexical import tokenize
from .numerals import NOW, arabic_months
from .rewrite import noted_question, without_note
from .zh import CJK_CHAR, fold

# Two documents are lookalikes when their titles or their file names are the same but for a
# part in the middle: what they share at the start and the end is this share of the longer
# at least. A year's report and the next year's (澜汀智能2022年年度报告 / …2023…: 0.93), two
# models' sheets (霽嵐JL-100規格表 / …200…: 0.92), a rule book and its revision (…管理办法
# （2019年版） / …（2023年修订版）: 0.74), two branches' pages (aldermoor_harbour_guest_info /
# …oldtown…: 0.75), two bus routes or stations (九龙巴士7号线 / 86线 0.71, 大沙地站 / 大沙东站
# 0.75); not the Wikipedia articles of the development sets that only open or end alike
# (保山市 / 中山市 0.67, 凡尔赛宫 / 凡尔赛条约 0.6, 印第安纳大学 / 印第安纳步行者 0.57), which
# the words their names share did not tell apart.
SAME_NAME = 0.7


# A name of a lookalike gives the words it is told apart by when it is this alike with each
# of the others' at least: a rule book's file names (…管理办法_旧版2021 / …_修订版2024: 0.67)
# and models' titles with two parts that differ (霽嵐 JL-100 空氣清淨機（輕巧型）… / …JL-200…
# （家庭型）…: 0.52; AX-10 空气净化器（轻巧型）规格表 / …: 0.42) do; the titles of paragraphs
# filed alike (DEV_54 / DEV_55 / …), each an article's, do not.
SAME_PART = 0.4
# Lookalikes are versions of one thing when fewer than this: thirty years of a report, three
# years of monthly minutes; CMRC's paragraphs filed DEV_0 … DEV_848 are 56 to 148 lookalikes
# each, a collection (DEV_1969 is no 1969's document).
VERSIONS = 40
# A word of the names of more documents than this names none of them (公司 of a company's
# folder); a year, a model or a version word is in a few.
_FEW = 100


def _alike(a: str, b: str) -> float:
    """How much of the longer of two names their common start and end cover."""
    if not a or not b:
        return 0.0
    start = len(os.path.commonprefix([a, b]))
    end = len(os.path.commonprefix([a[start:][::-1], b[start:][::-1]]))
    return (start + end) / max(len(a), len(b))


_MONTH = re.compile(r"(?<!\d)(\d{1,2})月")
_YEAR = re.compile(r"^(?:19|20)\d\d$")
# Numbers a name is told apart by: a year, a month, a code with letters (jl-200, v2, 2022-2024).
_NAMING_NUMBER = re.compile(r"^(?:(?:19|20)\d\d|\d{1,2}月|.*[a-z].*|\d{4}-\d{4})$")
# 2022到2024, 2022-2024, from 2022 to 2024: every year between is named.
_YEARS = re.compile(r"(?<!\d)((?:19|20)\d\d)\s*年?\s*(?:到|至|-|–|~|～|to)\s*((?:19|20)\d\d)(?!\d)")


def _folded(text: str) -> str:
    """A name or a question folded (simplified, lower case), months as 4月 (四月, April too;
    not May, a verb as often), file-name parts apart (oldtown_guest)."""
    return arabic_months(fold(text).replace("_", " "))


def _words(text: str) -> set[str]:
    """The words of a name or a question, folded: of two characters at least, and its months."""
    text = _folded(text)
    months = {f"{int(m)}月" for m in _MONTH.findall(text)}
    return {w for w in tokenize(text) if len(w) >= 2} | months


def _sequence(text: str) -> list[str]:
    """The words of a name or a question in order, folded as _words folds them."""
    return tokenize(_folded(text))


def _capitalised(word: str, text: str) -> bool:
    """Is the Latin-script ``word`` (folded) written with a capital in ``text`` (Airport)?"""
    m = re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", text, re.I)
    return bool(m) and m.group(0)[0].isupper()


def _asked(question: str) -> set[str]:
    """The words a question names documents by, the years of a range it gives among them."""
    words = _words(question)
    for a, b in _YEARS.findall(fold(question)):
        words |= {str(y) for y in range(int(a), int(b) + 1)} if int(b) - int(a) <= 50 else set()
    return words


def _names(doc_id: str, title: str) -> tuple[set[str], set[str]]:
    """The words of a document's title and of its file name."""
    return _words(title), _words(PurePath(doc_id).stem)


@dataclass
class Lookalikes:
    """The lookalike documents of an index, found from their names when a question needs them.
    ``titles``: doc id -> title, as the index's manifest lists them (not the documents: a
    Milvus store fetches each document's text it is asked for)."""

    titles: Mapping[str, str]
    _families: dict[str, frozenset[str]] = field(default_factory=dict)
    _own: dict[str, frozenset[str]] = field(default_factory=dict)

    @cached_property
    def _named(self) -> dict[str, tuple[set[str], set[str]]]:
        return {d: _names(d, title) for d, title in self.titles.items()}

    @cached_property
    def _spelled(self) -> dict[str, tuple[str, str]]:
        """Each document's title and file name, folded: compared pairwise, folded once."""
        return {d: (fold(title), fold(PurePath(d).stem)) for d, title in self.titles.items()}

    def _alike_in(self, a: str, b: str) -> tuple[float, float]:
        """How alike the titles of ``a`` and ``b`` are, and their file names."""
        (title_a, stem_a), (title_b, stem_b) = self._spelled[a], self._spelled[b]
        return _alike(title_a, title_b), _alike(stem_a, stem_b)

    def _looks_like(self, a: str, b: str) -> bool:
        return max(self._alike_in(a, b)) >= SAME_NAME

    @cached_property
    def _by_word(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for d, (title, stem) in self._named.items():
            for w in title | stem:
                out.setdefault(w, set()).add(d)
        return out

    @cached_property
    def _sorted(self) -> list[tuple[list[tuple[str, str]], list[tuple[str, str]]]]:
        """For titles and for file names: (name, doc) sorted, and (name reversed, doc) sorted."""
        return [(sorted((sp[i], d) for d, sp in self._spelled.items() if sp[i]),
                 sorted((sp[i][::-1], d) for d, sp in self._spelled.items() if sp[i])) for i in (0, 1)]

    def _candidates(self, doc_id: str) -> set[str]:
        """The documents whose title or file name shares the start or the end of this one's
        that a lookalike must share: their common start and end cover SAME_NAME of the
        longer name, so one of them half of that of this one's at least. Found by bisection
        in sorted names, not by comparing every pair (a folder of thousands of files)."""
        found: set[str] = set()
        for name, (forward, backward) in zip(self._spelled[doc_id], self._sorted):
            if not name:
                continue
            k = max(1, math.ceil(SAME_NAME / 2 * len(name)))
            for table, key in ((forward, name[:k]), (backward, name[::-1][:k])):
                at = bisect.bisect_left(table, (key,))
                while at < len(table) and table[at][0].startswith(key):
                    found.add(table[at][1])
                    at += 1
        return found - {doc_id}

    def family(self, doc_id: str) -> frozenset[str]:
        """The documents that look like ``doc_id`` (not itself): their titles or their file
        names are the same but for a part in the middle (SAME_NAME)."""
        if doc_id not in self._families:
            self._families[doc_id] = frozenset(e for e in self._candidates(doc_id) if self._looks_like(doc_id, e))
        return self._families[doc_id]

    def own_words(self, doc_id: str) -> frozenset[str]:
        """The words of ``doc_id``'s name that none of its lookalikes has (2023, jl-200, 修订版),
        from the names (title, file name) half alike with each of theirs at least (SAME_PART):
        paragraphs filed as DEV_54, DEV_55 … look alike by those names alone, and their titles,
        each an article's, are no part the lookalikes differ by (a question naming an article
        named its paragraph before every other)."""
        if doc_id not in self._own:  # (read per question by names() and _year(): worked out once)
            family = self.family(doc_id)
            alike = [all(self._alike_in(doc_id, e)[i] >= SAME_PART for e in family) for i in (0, 1)]
            mine = set().union(*(words for words, kept in zip(self._named[doc_id], alike) if kept))
            self._own[doc_id] = frozenset(mine - set().union(*(w for e in family for w in self._named[e])))
        return self._own[doc_id]

    def names(self, doc_id: str, asked: set[str]) -> bool:
        """Does a question of words ``asked`` name ``doc_id`` among its lookalikes? By one of
        its own words with a digit that is a year, a month or a code (jl-200), not another
        number (the 18 of 10月18日 named paragraph DEV_18), or by half its own Chinese
        words at least (修订 of 修订|修订版) or most of its own English ones (old|town, not
        the "old" of "how old")."""
        own = self.own_words(doc_id)
        if any(w in asked for w in own if any(c.isdigit() for c in w) and _NAMING_NUMBER.match(w)):
            return True
        plain = [w for w in own if not any(c.isdigit() for c in w)]
        zh = [w for w in plain if CJK_CHAR.match(w)]
        en = [w for w in plain if not CJK_CHAR.match(w)]
        return bool(zh) and 2 * sum(w in asked for w in zh) >= len(zh) \
            or bool(en) and 2 * sum(w in asked for w in en) > len(en)

    def versions(self, doc_id: str) -> frozenset[str]:
        """``doc_id``'s lookalikes when they are few enough to be versions of one thing
        (VERSIONS): three years of a report, a product line, monthly minutes; not a
        collection filed alike (paragraphs DEV_1 … DEV_848, the 1969 of DEV_1969 a year)."""
        family = self.family(doc_id)
        return family if len(family) < VERSIONS else frozenset()

    def passed_over(self, question: str, retrieved: Callable[[], list[str]], k: int) -> set[str]:
        """The documents whose passages come after the others' for ``question``: the
        lookalikes of the documents it names, not named themselves, when one of those is
        among the documents of the passages ``retrieved()`` gives (in their order). Naming
        none, and asking what holds now, the lookalikes of the newest by year among the
        documents of its first ``k`` passages. A follow-up naming none of them (那保固呢？)
        is read with the previous question its note carries."""
        own = without_note(question)
        for asked_in in (own, noted_question(question)):
            if asked_in is None:
                continue
            asked = _asked(asked_in)
            # (A word in the names of hundreds of documents names none of them: 公司.)
            maybe = {d for w in asked if len(self._by_word.get(w, ())) <= _FEW for d in self._by_word.get(w, ())}
            named = {d for d in maybe if self.versions(d) and self.names(d, asked)}
            if named:
                # (Not when none of them was retrieved: 1969年 named a paragraph DEV_1969.)
                found = named & set(retrieved())
                return set().union(*(self.versions(d) for d in found)) - named if found else set()
        if not NOW.search(fold(own)):
            return set()
        later: set[str] = set()
        for d in dict.fromkeys(retrieved()[:k]):
            if d not in self.titles or not self.versions(d):
                continue
            years = {e: self._year(e) for e in self.versions(d) | {d}}
            if None in years.values():
                continue
            newest = max(years.values())
            later |= {e for e, y in years.items() if y < newest}
        return later

    def unlisted(self, question: str, cited: list[str], evidence: str) -> str | None:
        """The version of the ``cited`` documents' lookalikes a question names that the
        folder does not hold: "the Aldermoor Airport branch" answered from the Harbour and
        Old Town branches' pages, "霽嵐 JL-400" from JL-100's to JL-300's sheets -- as
        missing_years refuses a year the evidence does not give. It is the word standing
        where their names differ: after the word that leads each one's own part in its
        name (aldermoor, 霁岚), shaped like their own parts (a capitalised word; a code with
        digits where theirs have them), in no name of theirs and nowhere in the
        ``evidence``. None otherwise."""
        asked = _sequence(without_note(question))
        said = fold(evidence)
        for doc_id in dict.fromkeys(cited):
            if doc_id not in self.titles or not self.versions(doc_id):
                continue
            family = self.versions(doc_id) | {doc_id}
            names = set().union(*(title | stem for title, stem in (self._named[e] for e in family)))
            for i in (0, 1):  # (their titles, their file names)
                leads, coded = set(), []
                for e in family:
                    words, own = _sequence(self._spelled[e][i]), self.own_words(e)
                    at = next((j for j, w in enumerate(words) if w in own), 0)
                    leads.add(words[at - 1] if at else "")
                    coded.append(bool(at) and any(c.isdigit() for c in words[at]))
                lead = leads.pop() if len(leads) == 1 else ""
                if len(lead) < 2:
                    continue
                for j in range(len(asked) - 1):
                    slot = asked[j + 1]
                    if asked[j] != lead or slot in names or slot in said:
                        continue
                    if all(coded) and any(c.isdigit() for c in slot) \
                            or not any(coded) and _capitalised(slot, question):
                        return slot
        return None

    def named_elsewhere(self, names: list[str], cited: list[str], evidence: str) -> str | None:
        """A word of the question's capitalised Latin ``names`` (translate.latin_names: not
        its opening "From", which one title has too) that only one document's title or file
        name has, when the answer cites others only and the word is nowhere in the
        ``evidence``: "Can I bring my dog into the Larkmoor office?" answered from a
        co-working space's house rules, the employer's handbook being
        larkmoor_employee_handbook.md. Not a year or a code (missing_years' and unlisted's).
        Not a Chinese word: a word of one article's title (职业, 国家) is asked of others as
        often (the dev and CMRC200 recordings: 28 answers refused, 16 of them right). None
        otherwise."""
        said = fold(evidence)
        for word in sorted(_words(" ".join(names))):
            docs = self._by_word.get(word, set())
            if len(docs) == 1 and not docs & set(cited) and word not in said \
                    and not any(c.isdigit() for c in word) and not CJK_CHAR.match(word):
                return word
        return None

    def _year(self, doc_id: str) -> int | None:
        """The year a document's name has and its lookalikes' do not (2024 of 修订版2024)."""
        years = [int(w) for w in self.own_words(doc_id) if _YEAR.match(w)]
        return max(years) if years else None
