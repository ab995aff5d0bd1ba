"""``POST /v1/chat/completions``: the OpenAI chat API over a knowledge base.

Any OpenAI client works: ``model`` names the knowledge base, the last user message is the
question and the earlier turns are the conversation (follow-ups are rewritten with them).
Fields we do not use (temperature, tools, ...) are ignored, as OpenAI clients send many.

Streaming sends the model's words as they come. The answer is checked only once it is
complete; when the checked answer differs from what was streamed (a sentence the passages
do not back was dropped, or the whole answer was refused), a last piece of text says so and
gives the checked answer, so a plain chat client never shows an unchecked answer as the
last word. The final chunk carries the checked ``answer`` and the ``citations``.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from typing import Any, AsyncIterator, Callable, Iterator, Literal

from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from rag import kbs
from rag.prompt import sanitize_question
from rag.zh import question_language

from .pool import Library

log = logging.getLogger("rag.api")

MAX_HISTORY_TURNS = 20  # earlier messages kept for the rewrite; older ones cannot matter to a follow-up
CHECKED = {"zh": "\n\n（核对后的回答）", "en": "\n\n(Checked answer)"}


class Part(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str
    text: str | None = None


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[Part] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            if any(p.type != "text" for p in self.content):
                from rag.errors import UsageError

                raise UsageError("only text message parts are supported")
            return "".join(p.text or "" for p in self.content)
        return self.content or ""


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    model: str = kbs.DEFAULT
    messages: list[Message] = Field(min_length=1, max_length=200)
    stream: bool = False
    max_tokens: int | None = Field(None, ge=1, le=4096)
    max_completion_tokens: int | None = Field(None, ge=1, le=4096)
    # ours (OpenAI clients send them with extra_body=...)
    k: int | None = Field(None, ge=1, le=20)
    mode: Literal["dense", "bm25", "hybrid"] | None = None
    # a saved conversation (GET /api/conversations) to continue, or "new" to start one:
    # its stored turns are the history, and this turn is saved once answered
    conversation_id: str | None = Field(None, max_length=64)

    def question_and_history(self) -> tuple[str, list[dict]]:
        from rag.errors import UsageError

        last = self.messages[-1]
        if last.role != "user":
            raise UsageError("the last message must be the user's question")
        history = [{"role": m.role, "content": m.text()} for m in self.messages[:-1]
                   if m.role in ("user", "assistant") and m.text().strip()]
        return sanitize_question(last.text()), history[-MAX_HISTORY_TURNS:]


def extras(answer) -> dict[str, Any]:
    """What an OpenAI response lacks: the checked answer's citations and verdict."""
    j = answer.to_json()
    return {key: j[key] for key in ("question", "citations", "refused", "refusal_reason", "short_answer",
                                    "standalone_question", "calibration", "timings")}


async def relay(request: Request, work: Callable[[threading.Event], Iterator]) -> AsyncIterator:
    """Items of ``work`` (run in its own thread) as they come. When the client goes away,
    or the consumer stops, ``work`` is told through its event and closed, so the model stops
    writing an answer nobody will read."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    cancel = threading.Event()
    end = object()

    def put(item) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the request's loop is gone: nobody is listening any more
            cancel.set()

    def run() -> None:
        try:
            with contextlib.closing(work(cancel)) as items:
                for item in items:
                    if cancel.is_set():
                        break
                    put(item)
        except BaseException as e:  # noqa: BLE001 -- handed to the request
            put(e)
        finally:
            put(end)

    threading.Thread(target=run, name="rag-api-answer", daemon=True).start()
    checked = loop.time()
    try:
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), 0.5)
            except asyncio.TimeoutError:
                item = None
            # Asked twice a second, tokens or not: uvicorn drops writes to a closed
            # connection without an error, so a stream never learns it by sending.
            if loop.time() - checked >= 0.5:
                checked = loop.time()
                if await request.is_disconnected():
                    return
            if item is None:
                continue
            if item is end:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        cancel.set()


def add_routes(api: FastAPI, library: Library, access, open_kb: Callable) -> None:
    from rag.conversations import UnknownConversationError
    from rag.errors import RagError

    from .api import error_json, error_response, new_id, now, rag_status
    from .conversations_api import visible

    @api.post("/v1/chat/completions")
    async def chat(body: ChatRequest, request: Request):
        kb = open_kb(request, body.model)
        question, history = body.question_and_history()
        conv = None
        if body.conversation_id == "new":
            conv = library.conversations.create(body.model, question)
        elif body.conversation_id:
            conv = visible(library, request, body.conversation_id, access)
            if conv.kb != body.model:  # as if absent: no hint about other knowledge bases
                raise UnknownConversationError(f"no conversation {body.conversation_id!r} in {body.model!r}")
            history = conv.history()[-MAX_HISTORY_TURNS:]
        pipeline = kb.snapshot()
        ticket = library.gate.enter()  # Busy: 429, app/api.py
        budget = body.max_completion_tokens or body.max_tokens

        def work(cancel: threading.Event):
            try:
                if not library.gate.wait(ticket, cancel):
                    return
                with contextlib.closing(pipeline.stream(question, history or None, k=body.k, mode=body.mode,
                                                        max_new_tokens=budget)) as events:
                    for event in events:
                        if event.kind == "done" and conv is not None:
                            # saved before the client hears it is done: a crash after
                            # this loses nothing, one before it loses only this turn
                            library.conversations.add_turn(conv.id, question, event.answer.to_json())
                        yield event
            finally:
                library.gate.leave(ticket)

        cid, created = new_id("chatcmpl"), now()
        head = {"id": cid, "created": created, "model": body.model}
        if conv is not None:
            head["conversation_id"] = conv.id
        if not body.stream:
            answer = None
            async for event in relay(request, work):
                if event.kind == "done":
                    answer = event.answer
            if answer is None:  # the client left; nobody reads this
                return error_response(499, "client closed the request", "cancelled")
            message = {"role": "assistant", "content": answer.answer}
            return {**head, "object": "chat.completion",
                    "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                    **extras(answer)}

        lang = question_language(question)

        def chunk(delta: dict, finish: str | None = None, **more) -> str:
            data = {**head, "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **more}
            return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

        async def sse():
            yield chunk({"role": "assistant", "content": ""})
            streamed: list[str] = []
            try:
                async for event in relay(request, work):
                    if event.kind == "token":
                        streamed.append(event.text)
                        yield chunk({"content": event.text})
                    elif event.kind == "done":
                        answer = event.answer
                        said = "".join(streamed).strip()
                        if not said:
                            yield chunk({"content": answer.answer})
                        elif said != answer.answer.strip():
                            yield chunk({"content": f"{CHECKED[lang]}\n{answer.answer}"})
                        yield chunk({}, "stop", answer=answer.answer, **extras(answer))
            except Exception as e:  # noqa: BLE001 -- the stream has started: report in-band
                if isinstance(e, RagError):
                    (status, code), message = rag_status(e), str(e)
                else:
                    log.exception("streamed answer failed")
                    status, code, message = 500, "server_error", "internal error (see the server log)"
                error = error_json(status, message, code)
                error["error"]["status"] = status
                yield f"data: {json.dumps(error, ensure_ascii=False)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(sse(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
