"""The answering pipeline: retrieve -> prompt (the top passage alone) -> generate (streamed)
-> cite -> check -> (no accepted answer: every passage read, once) -> answer or refuse.

``Pipeline.stream`` yields events so the CLI and the web app show tokens as they arrive;
the last event carries the finished ``Answer`` (whose text may differ from the streamed
one: markers normalised, the answer from every passage, or a refusal when nothing in it is
supported).
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from typing import Callable, Iterator

from .calibrate import transferred
from .catalog import folder_answer
from .cite import CitedAnswer, cite, drop_unstated_years, is_refusal_text, without_items
from .config import Config
from .manifest import Calibration
from .generate import Generator, cut_at_loop, stream_prepared
from .prompt import REFUSAL, answer_script, build_messages, leaked_example, sanitize_question
from .records import Answer, EventKind, Hit, RefusalReason, Timings
from .kind import (complete_from_quote, counted_from_list, listed_in_full, missing_event, missing_kind, quoted_instead,
                   with_stated_unit)
from .aspect import bound_elsewhere, missing_aspect, unlisted_item
from .polarity import agreeing_answer, flipped_superlative
from .compared import flipped_comparison
from .rows import cited_unit, units_said, with_units
from .sheets import on_other_sheet
from .relevance import (echoes_question, evidence_windows, missing_context, missing_terms, missing_years,
                        reads_note_back, restates_yes_no, unverified_verdict, verdict_unasked)
from .retrieve import Retrieval, Retriever
from .rewrite import model_question, rewrite, without_note
from .short import short_answer
from .smalltalk import small_talk_answer, without_small_talk
from .support import invented_numbers, rows_off_filter
from .translate import (answer_messages, check_chinese, check_english, chinese_answer_messages, fallback,
                        fallback_zh, latin_names, to_chinese_question, to_english_question)
from .markers import strip_markers
from .restated import RESTATED_SIMILARITY, restating_sentence
from .zh import Lang, Script, corpus_language, in_script, question_language, script_of, written_chinese


@dataclass
class Verdict:
    """What the checks made of a model answer: refused for ``reason``, or ``cited``."""
    reason: RefusalReason | None
    cited: CitedAnswer | None = None


@dataclass
class StreamEvent:
    kind: EventKind
    text: str = ""
    answer: Answer | None = None


def is_refusal(text: str) -> bool:
    """The model declined: the verifier's refusal wording, in its first sentence."""
    first = re.split(r"(?<=[。！？.!?])", text.strip(), maxsplit=1)[0]
    return is_refusal_text(first)


# The top passage is read alone first only when it stands out: the second passage's fused
# score is under this share of the top one's. When they score alike the top one is not
# clearly where the answer is (an English report's route list split over two chunks), and
# read alone it gave wrong answers the checks accepted. Fitted on the development sets
# (0.7-0.9 tried); see evals/RESULTS.md, "the top passage read first".
TOP_MARGIN = 0.8


def first_reading(hits: list[Hit], top_first: bool = True) -> list[Hit]:
    """The passages the model reads first: the top one alone when it stands out, else all."""
    if top_first and len(hits) > 1 and hits[1].score < TOP_MARGIN * hits[0].score:
        return hits[:1]
    return hits


class Pipeline:
    def __init__(self, retriever: Retriever, generator: Generator, config: Config):
        self.retriever = retriever
        self.generator = generator
        self.config = config

    def ask(self, question: str, history: list[dict] | None = None, **kw) -> Answer:
        for event in self.stream(question, history, **kw):
            if event.kind == "done":
                return event.answer
        raise RuntimeError("pipeline ended without an answer")  # pragma: no cover

    def stream(self, question: str, history: list[dict] | None = None, k: int | None = None,
               mode: str | None = None, max_new_tokens: int | None = None) -> Iterator[StreamEvent]:
        t0 = time.perf_counter()
        question = sanitize_question(question)
        # Nothing to ask the documents (a greeting, the time now: smalltalk.py), or a question
        # about the folder itself (which documents, which mention X, what one is about: catalog.py).
        if early := small_talk_answer(question, t0) or folder_answer(question, self.retriever.index, t0, history):
            yield StreamEvent("done", answer=early)
            return
        lang = question_language(question)
        # (Asked in Cantonese, searched and checked in written Chinese: 喺邊度 is a where-question;
        # a follow-up's previous question too, which its note carries.)
        turns = [{**t, "content": written_chinese(t["content"])} if t.get("role") == "user" else t
                 for t in without_small_talk(history or [])]
        standalone = rewrite(written_chinese(question), turns, lang)
        budget = max_new_tokens or self.config.max_new_tokens
        rewritten = standalone if standalone != question else None
        # (Searched and read in the documents' script; the answer is shown in the question's.)
        standalone = self.retriever.in_documents_script(standalone)
        held, other = self.retriever.languages, ("zh" if lang == "en" else "en")
        # Documents in both languages: a question is answered as asked when its best passage
        # is in its language, translated when that passage is in the other one. (Translated
        # too when its own language's passages were too weak, off-topic questions of a
        # mixed development set were answered from the other language's documents:
        # "突破机构由谁创办？" by the founders of an English report's company.)
        retrieval = None
        if self.config.cross_lingual and other in held and lang in held:
            retrieval = self.retriever.search(standalone, k or self.config.top_k, mode or self.config.mode)
            best = retrieval.hits[:1]
            if best and corpus_language([best[0].chunk.text]) != lang:
                retrieval = None  # searched again in the other language
        cross = self.config.cross_lingual and other in held and retrieval is None
        if cross:
            translated = yield from self._translated(standalone, lang)
            if translated:
                yield from self._cross_lingual(question, standalone, translated, lang, t0, k, mode, budget)
                return
        if retrieval is not None and lang == "en":
            yield from self._english_then_chinese(question, standalone, rewritten, t0, k, mode, budget, retrieval)
            return
        if not (cross and lang == "zh"):
            yield from self._answer(question, standalone, lang, lang, rewritten, t0, k, mode, budget, retrieval)
            return
        # The translation failed its check ("…green garden垃圾桶 service…"): the question is
        # answered as asked, and an answer the model wrote in English is rewritten in Chinese
        # like a translated question's, not shown to a Chinese reader as it is.
        answer = yield from self._shown(self._answer(question, standalone, lang, lang, rewritten, t0, k, mode, budget))
        if answer.refused or question_language(answer.answer) != "en":
            yield StreamEvent("done", answer=answer)
            return
        yield from self._in_question_language(question, standalone, lang, answer, t0, budget)

    def _english_then_chinese(self, question: str, standalone: str, rewritten: str | None, t0: float,
                              k: int | None, mode: str | None, budget: int, retrieval: Retrieval):
        """An English question in a folder of both languages, answered as asked from its
        English passages; refused there, it is translated and answered from the Chinese
        documents under every Chinese check and the Chinese calibration ("When is the Xiling
        water plant's phase III expansion expected to be finished?": the words match an
        English FAQ, the answer is in a Chinese report). Not the other way round: English
        documents have no weak-evidence calibration, and off-topic Chinese questions of a
        mixed development set were answered from them."""
        answer = yield from self._shown(self._answer(question, standalone, "en", "en", rewritten, t0, k, mode,
                                                     budget, retrieval))
        if answer.refused and (translated := (yield from self._translated(standalone, "en"))):
            retry = yield from self._shown(self._cross_lingual(question, standalone, translated, "en", t0, k, mode,
                                                               budget))
            answer = answer if retry.refused else retry
        yield StreamEvent("done", answer=answer)

    def _translated(self, standalone: str, lang: Lang):
        """The question in the other language (None when the translation fails its check);
        says so first."""
        yield StreamEvent("status", "translating the question")
        if lang == "en":
            keep = [n for n in latin_names(without_note(standalone)) if self.retriever.uses_term(n)]
            return to_chinese_question(standalone, self.generator, keep)
        return to_english_question(standalone, self.generator)

    @staticmethod
    def _shown(events: Iterator[StreamEvent]):
        """Pass on every event but the last; return that one's answer (to be judged first)."""
        answer = None
        for event in events:
            if event.kind == "done":
                answer = event.answer
            else:
                yield event
        return answer

    def _answer(self, question: str, standalone: str, lang: Lang, out_lang: Lang, rewritten: str | None,
                t0: float, k: int | None, mode: str | None, budget: int,
                retrieval: Retrieval | None = None) -> Iterator[StreamEvent]:
        """Retrieve (unless ``retrieval`` is the search already made), generate and check an
        answer to ``standalone`` in ``lang``; refusals are worded in ``out_lang`` (the
        language the user asked in)."""
        retrieval = retrieval or self.retriever.search(standalone, k or self.config.top_k, mode or self.config.mode)
        timings = Timings(retrieve_ms=retrieval.retrieve_ms)
        script = answer_script(question, retrieval.hits) if out_lang == "zh" else None
        cal = self.calibration(lang)
        in_force = cal.describe() if cal else None

        def refuse(reason: RefusalReason, raw: str | None = None,
                   attempts: list[str] | None = None) -> Iterator[StreamEvent]:
            return self._refuse(question, retrieval.hits, timings, t0, reason, rewritten, out_lang, raw, script,
                                in_force, attempts)

        if not retrieval.hits or cal is not None and retrieval.picked is None and cal.refuses(
                retrieval.top_dense, retrieval.top_bm25, lambda: self.retriever.best_sentence(standalone, retrieval.hits)):
            yield from refuse("weak_evidence")
            return
        # A follow-up's context note finds the passages; the model is asked the question
        # itself, else it answers the previous question too ("…[4]。如果遊客要登上…").
        asked = model_question(standalone)
        # The top passage is read alone first (when it stands out), the others only when that
        # gives no answer the checks accept. Beside four other passages the 1.5B model takes
        # its answer from one it should not (another article's 克里米亞戰爭 for 義大利戰爭), or
        # misreads the top one while citing it (減數分裂 for 有絲分裂); alone with it, it reads
        # it right more often. Measured in evals/RESULTS.md, "the top passage read first".
        first = first_reading(retrieval.hits, self.config.top_first)
        focus = self.config.focus_alone_chars if len(first) == 1 else self.config.focus_chars
        messages, used = build_messages(asked, first, lang, self.generator, budget, focus,
                                        self.config.focus_rest_chars)
        yield StreamEvent("status", f"{len(used)} of {len(retrieval.hits)} passages, generating")
        raw, first_at, end = yield from self._generate(messages, budget, script)
        timings.first_token_ms, timings.tokens_per_s = self._speed(raw, first_at, end, t0)
        verdict = self._verdict(standalone, raw, used, lang)
        attempts: list[str] = []
        if verdict.reason is not None and len(first) < len(retrieval.hits):
            yield StreamEvent("status", "reading the other passages too")
            messages, every = build_messages(asked, retrieval.hits, lang, self.generator, budget,
                                             self.config.focus_chars, self.config.focus_rest_chars)
            again, _, _ = yield from self._generate(messages, budget, script, show=False)
            attempts = [raw, again]
            raw, used, verdict = again, every, self._verdict(standalone, again, every, lang)
        if verdict.reason is not None:
            yield from refuse(verdict.reason, raw, attempts)
            return
        # (An opening yes the answer's own clause contradicts is a no: "Yes, you do not need…".)
        cited = replace(verdict.cited, text=agreeing_answer(standalone, verdict.cited.text))
        cited = listed_in_full(cited, used) or cited  # (some of the rows a condition picked: all of them)
        short = short_answer(standalone, cited.text, cited.citations)
        text = in_script(cited.text, script, [h.chunk.text for h in used])
        timings.total_ms = (time.perf_counter() - t0) * 1000
        yield StreamEvent("done", answer=Answer(
            question=question, answer=text, refused=False, citations=cited.citations,
            retrieved=retrieval.hits, timings=timings, standalone_question=rewritten,
            unsupported=cited.unsupported, auto_cited=cited.auto_cited,
            model_answer=raw if raw != text else None, short_answer=short, calibration=in_force,
            attempts=attempts))

    def _verdict(self, standalone: str, raw: str, used: list[Hit], lang: Lang) -> Verdict:
        """The model declined (or said nothing), else what the checks make of ``raw``."""
        if not raw or is_refusal(raw):
            return Verdict("model")
        return self._check(standalone, raw, used, lang)

    def _check(self, standalone: str, raw: str, used: list[Hit], lang: Lang) -> Verdict:
        """Is ``raw`` backed by the passages ``used`` (its [n] = used[n-1]) and about what
        ``standalone`` asks? The cited answer, or why it is refused."""
        docs = self.retriever.index.docs
        bare, units = units_said(raw, used, docs)
        cited = cite(drop_unstated_years(bare, [h.chunk.text for h in used]), used)
        if not any(c.verified for c in cited.citations) and lang == "zh":
            cited = self._restating(standalone, bare, used) or cited
        if units:  # (the figures checked bare get the units the model wrote back)
            cited = replace(cited, text=with_units(cited.text, units))
        if not any(c.verified for c in cited.citations) \
                or leaked_example(raw, [standalone] + [f"{h.chunk.context_title} {h.chunk.with_context}" for h in used]):
            # Nothing the model said is backed by a passage (or it names a worked example's
            # invented facts): do not pass it on as an answer.
            return Verdict("unsupported")
        if invented_numbers(cited.unsupported, [h.chunk.with_context for h in used]):
            # A figure no passage shown states ("0:00" for 09:00) beside verified clauses: the
            # answer would carry the model's own number.
            return Verdict("unsupported")
        if lang == "zh" and unverified_verdict(standalone, cited.text, cited.unsupported):
            # Asked yes or no, the clause that answers it is the unverified one; a verified
            # side clause beside it does not back the verdict.
            return Verdict("unsupported")
        if self._off_question(standalone, cited, lang):
            # Backed by its passage, but about something else than the question asks.
            return Verdict("off_question")
        off = rows_off_filter(standalone, {c.n: c.quote for c in cited.citations if c.verified},
                              [line for h in used for line in h.chunk.text.splitlines()])
        off += [c.n for c in cited.citations if c.verified and c.n not in off and on_other_sheet(standalone, c, docs)]
        if off:
            # A cited sheet row the question's filter leaves out ("stored in Shed B", the row
            # kept on Shelf A1), or a row of another sheet than the one the question names
            # (平日's for 假日): its item goes from the list, or the answer is refused.
            cited = without_items(cited, off)
            if cited is None or not any(c.verified for c in cited.citations):  # (what is left stands on nothing)
                return Verdict("off_question")
        kind = missing_kind(standalone, cited.text, lang)
        if kind == "money" and (priced := with_stated_unit(cited, {c.n: cited_unit(c, docs) for c in cited.citations})):
            # A bare figure from a table whose unit is stated once above it ("单位：万元") is
            # money: the answer gets the unit ("9828" -> "9828万元").
            kind, cited = None, priced
        if kind:
            # Asked when / how many, answered without a date / number: the verified sentence
            # behind the answer may state it ("远帆科技在港交所上市[1]" rests on "1月9日,
            # 远帆科技(远帆信息技术有限公司)登陆港交所,…"). Then that clause is the answer; else refuse.
            completed = complete_from_quote(cited, kind, cited.text)
            if completed is None and kind == "quantity":
                # (Or, asked how many, the answer lists every item one sentence enumerates.)
                completed = counted_from_list(cited, standalone)
            if completed is None:
                return Verdict("off_question")
            cited = completed
        if restates_yes_no(standalone, cited.text):
            # Asked yes or no and answered with the question as a statement: the verified
            # clause behind it is the answer (it may say "only if" where the model said yes).
            cited = quoted_instead(cited, strip_markers(cited.text))
        return Verdict(None, cited)

    def _off_question(self, standalone: str, cited: CitedAnswer, lang: Lang) -> str | None:
        """The first check that finds the verified answer about something else than
        ``standalone`` asks, by name, or None. In this order, each run only when those
        before it pass (the later ones cost more or judge what the earlier ones let through)."""
        docs = self.retriever.index.docs
        verified = [c for c in cited.citations if c.verified]
        titled = evidence_windows(cited.citations, docs, titles=True)
        cited_texts = [c.chunk.with_context for c in verified] + titled
        cited_docs, said = [c.chunk.doc_id for c in verified], " ".join(cited_texts)
        lookalikes = self.retriever.lookalikes
        checks: tuple[tuple[str, Callable[[], object]], ...] = (
            ("subject", lambda: missing_terms(standalone, cited_texts, lang, titled)),
            ("event", lambda: missing_event(standalone, evidence_windows(cited.citations, docs), lang)),
            ("year", lambda: missing_years(standalone, cited_texts)),
            ("aspect", lambda: self._off_aspect(standalone, titled, lang)),
            ("value of another",
             lambda: lang == "en" and bound_elsewhere(standalone, cited.text, [c.quote for c in verified])),
            ("version the folder lacks", lambda: lookalikes.unlisted(standalone, cited_docs, said)),
            ("document named elsewhere",
             lambda: lookalikes.named_elsewhere(latin_names(without_note(standalone)), cited_docs, said)),
            ("context", lambda: missing_context(standalone, titled, lang)),
            ("echo", lambda: echoes_question(standalone, cited.text)
             or reads_note_back(cited.text, [c.chunk.text for c in verified])),
            ("verdict unasked", lambda: verdict_unasked(standalone, cited.text)),
            ("superlative flipped", lambda: flipped_superlative(standalone, cited.text, cited_texts)),
            ("comparison flipped", lambda: flipped_comparison(standalone, cited.text, cited_texts)),
            ("item the table lacks",
             lambda: lang == "zh" and unlisted_item(standalone, [c.chunk.with_context for c in verified], titled)),
        )
        return next((name for name, failed in checks if failed()), None)

    @staticmethod
    def _off_aspect(standalone: str, titled: list[str], lang: Lang) -> list[str]:
        """missing_aspect, for a follow-up by the words it was asked in or by those of the
        question the model was asked (model_question): "And at the Old Town branch?" names
        only "branch", which a hotel page does not write beside its Wi-Fi password; "What
        about the Harrowgate Ridge Trail?" asked as "How long does it take to hike…" names
        "hike", which a trail guide does not write beside its hours."""
        missing = missing_aspect(standalone, titled, lang)
        if not missing or (asked := model_question(standalone)) == without_note(standalone):
            return missing  # (no question swapped in: judged once)
        return missing_aspect(asked, titled, lang)

    def _restating(self, standalone: str, raw: str, used: list[Hit]) -> CitedAnswer | None:
        """A one-sentence answer that restates the question in the passage's stead and adds
        what a passage sentence states is backed by the one of those sentences the embedder
        finds closest to the question (restating_sentence), if close enough: the lexical
        overlap that the restated words lower is what tells a claim about the question from
        one about a neighbouring subject, and the embedder stands in for it."""
        claim = strip_markers(raw).strip()
        found = restating_sentence(self.retriever.closest, standalone, claim, [h.chunk.text for h in used])
        if found is None or found[0] < RESTATED_SIMILARITY:
            return None
        n = found[1]
        body = claim.rstrip("。.！!")  # the marker before the full stop, as the model writes it
        # (Whatever its overlap: what it adds, numbers too, is in the sentence; a number it
        # restates is the question's -- "在1949年的53年后为136.03万人" -- and a year the
        # question names but the passage does not is missing_years' to refuse.)
        return cite(f"{body}[{n + 1}]{claim[len(body):]}", used, threshold=0.0)

    def _cross_lingual(self, question: str, standalone: str, translated: str, lang: Lang, t0: float,
                       k: int | None, mode: str | None, budget: int) -> Iterator[StreamEvent]:
        """A question in ``lang`` over documents in the other language: answer its
        translation with every check of the documents' language, then stream a rewrite of
        the verified answer in ``lang`` (see translate.py). The draft's tokens are not
        shown."""
        answer = None
        doc_lang: Lang = "zh" if lang == "en" else "en"
        # In a folder of both languages, the translation reads the other language's documents
        # only: a name both share would bring back the passages already refused as asked, and
        # the translated question is read and checked as a question of their language ("…有多
        # 长？" against an English trail guide, "长3 kilometres[1]").
        retrieval = self.retriever.search(translated, k or self.config.top_k, mode or self.config.mode,
                                          language=doc_lang if len(self.retriever.languages) > 1 else None)
        for event in self._answer(question, translated, doc_lang, lang, translated, t0, k, mode, budget, retrieval):
            if event.kind == "done":
                answer = event.answer
            elif event.kind == "status":
                yield event
        if answer.refused:
            yield StreamEvent("done", answer=answer)
            return
        yield from self._in_question_language(question, standalone, lang, answer, t0, budget)

    def _in_question_language(self, question: str, standalone: str, lang: Lang, answer: Answer, t0: float,
                              budget: int) -> Iterator[StreamEvent]:
        """Stream a rewrite of the verified ``answer`` in ``lang`` (the question's language),
        checked against it; a rewrite that fails the check shows the answer itself, labelled."""
        if lang == "en":
            yield StreamEvent("status", "writing the answer in English")
            messages, check, fall_back, script = answer_messages(standalone, answer.answer), check_english, fallback, None
        else:
            yield StreamEvent("status", "writing the answer in Chinese")
            messages, check, fall_back = chinese_answer_messages(standalone, answer.answer), check_chinese, fallback_zh
            script = script_of(question)  # a traditional question gets a traditional answer
        raw, first, end = yield from self._generate(messages, budget, script)
        text = in_script(check(raw, standalone, answer.answer) or fall_back(answer.answer), script)
        timings = answer.timings
        timings.first_token_ms, timings.tokens_per_s = self._speed(raw, first, end, t0)
        timings.total_ms = (time.perf_counter() - t0) * 1000
        yield StreamEvent("done", answer=replace(answer, answer=text, model_answer=answer.answer))

    def _generate(self, messages: list[dict], budget: int, script: Script | None = None, show: bool = True):
        """Stream the generator's pieces as token events (shown in ``script``; not at all
        unless ``show``); returns the raw text and the (first, end) times."""
        parts: list[str] = []
        first = None
        # (Every prompt here opens with fixed instructions and examples: prepared once.)
        for piece in cut_at_loop(stream_prepared(self.generator, messages, max_new_tokens=budget)):
            if first is None:
                first = time.perf_counter()
            parts.append(piece)
            if show:
                yield StreamEvent("token", in_script(piece, script))
        return "".join(parts).strip(), first, time.perf_counter()

    def _speed(self, raw: str, first: float | None, end: float, t0: float) -> tuple[float | None, float | None]:
        """(ms to the first token, decode tokens/s) of one generation."""
        n_tokens = self.generator.count_tokens(raw) if raw else 0
        rate = (n_tokens - 1) / (end - first) if first and n_tokens > 1 and end > first else None
        return ((first - t0) * 1000 if first else None), rate

    def calibration(self, lang: Lang) -> Calibration | None:
        """The weak-evidence threshold in force for a question in ``lang``: the index's own,
        else the one transferred from the general development sets for this embedder and
        language (none: the model and the verifier judge alone)."""
        own = self.retriever.index.calibration
        if own is not None:
            return own
        if lang not in self.retriever.languages:
            return None  # cross-lingual scores are lower: the transfer was measured within a language
        return transferred(self.retriever.embedder.checksum, lang)

    def _refuse(self, question: str, hits: list[Hit], timings: Timings, t0: float, reason: RefusalReason,
                rewritten: str | None, lang: Lang, raw: str | None = None,
                script: Script | None = None, calibration: str | None = None,
                attempts: list[str] | None = None) -> Iterator[StreamEvent]:
        timings.total_ms = (time.perf_counter() - t0) * 1000
        yield StreamEvent("done", answer=Answer(
            question=question, answer=in_script(REFUSAL[lang], script), refused=True, citations=[], retrieved=hits,
            timings=timings, standalone_question=rewritten, refusal_reason=reason,
            model_answer=raw if raw and raw != REFUSAL[lang] else None, calibration=calibration,
            attempts=attempts or []))
