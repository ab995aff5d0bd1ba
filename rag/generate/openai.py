"""The OpenAI-compatible HTTP backend: any chat server (llama.cpp server, vLLM, Ollama, ...)
streamed over server-sent events, with the standard library only.

This is how the generator scales out past one CPU process. There is no local tokenizer for
a remote model, so token counts are estimates, erring on the safe side.
"""
from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING, Iterator

from ..errors import ModelError
from ..zh import WIDE_CJK
from .base import _first_line

if TYPE_CHECKING:
    import urllib.error
    import urllib.request

_CJK = re.compile(f"[{WIDE_CJK}]")


def estimate_tokens(text: str) -> int:
    """No local tokenizer for a remote model, so estimate: each CJK character (and CJK
    punctuation/fullwidth form) ~1 token, other text ~4 characters per token. Errs a little
    high for Chinese, which is the safe side when fitting a prompt into the window."""
    cjk = len(_CJK.findall(text))
    return cjk + math.ceil((len(text) - cjk) / 4)


def chat_url(base: str) -> str:
    """Accept ``http://host:port``, ``.../v1`` or the full ``.../v1/chat/completions``."""
    base = base.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    if base.endswith("/v1"):
        return base + "/chat/completions"
    return base + "/v1/chat/completions"


def _opener(url: str) -> urllib.request.OpenerDirector:
    """Local servers are reached directly even if a proxy is configured for the internet."""
    import urllib.parse
    import urllib.request  # lazily: http.client & co. cost ~50 ms at import

    host = urllib.parse.urlsplit(url).hostname or ""
    if host in ("localhost", "127.0.0.1", "::1") or host.endswith(".localhost"):
        return urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener()


class OpenAIGenerator:
    """Any OpenAI-compatible chat server (llama.cpp server, vLLM, Ollama, ...), streamed.
    ``model`` is the name sent in requests (default "default"); ``api_key``, when not empty,
    is sent as a Bearer token -- the registry passes Config.generator_model and
    Config.generator_api_key (RAG_GENERATOR_MODEL, RAG_GENERATOR_API_KEY). count_tokens is
    an estimate (see estimate_tokens)."""

    timeout = 300.0  # seconds without a byte before giving up (long prompts on slow servers)

    def __init__(self, url: str, n_ctx: int = 4096, temperature: float = 0.0,
                 model: str | None = None, api_key: str | None = None):
        self.url = chat_url(url)
        self.model = model or "default"
        self.api_key = api_key or None
        self.name = f"openai:{self.model}@{url}"
        self.n_ctx = n_ctx
        self.temperature = temperature

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def _request(self, messages: list[dict], max_new_tokens: int, stop: list[str] | None) -> urllib.request.Request:
        import urllib.request

        body = {"model": self.model, "messages": messages, "stream": True,
                "max_tokens": max_new_tokens, "temperature": self.temperature}
        if stop:
            body["stop"] = stop
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return urllib.request.Request(self.url, data=json.dumps(body).encode(), headers=headers, method="POST")

    def _open(self, request: urllib.request.Request):
        import urllib.error

        hint = "check RAG_GENERATOR (server URL), RAG_GENERATOR_MODEL and RAG_GENERATOR_API_KEY"
        try:
            return _opener(self.url).open(request, timeout=self.timeout)
        except urllib.error.HTTPError as e:
            detail = _first_line(_error_body(e) or e.reason)
            raise ModelError(f"generator server {self.url} answered HTTP {e.code}: {detail}", hint) from e
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise ModelError(f"cannot reach generator server {self.url}: {_first_line(reason)}", hint) from e

    def stream(self, messages: list[dict], *, max_new_tokens: int = 256,
               stop: list[str] | None = None) -> Iterator[str]:
        import http.client

        # Closing this generator closes the connection, which tells the server to stop.
        with self._open(self._request(messages, max_new_tokens, stop)) as resp:
            try:
                if "json" in resp.headers.get("Content-Type", ""):
                    yield from _plain_reply(resp.read())  # a server that ignored stream=true
                else:
                    yield from _parse_sse(resp)
            except (OSError, http.client.HTTPException) as e:
                raise ModelError(f"generator server {self.url} stopped answering: {_first_line(e)}") from e


def _error_body(e: "urllib.error.HTTPError") -> str:
    """The server's explanation, e.g. {"error": {"message": "model not found"}}."""
    try:
        text = e.read().decode("utf-8", "replace")[:500]
    except OSError:
        return ""
    try:
        err = json.loads(text).get("error", text)
        return str(err.get("message", err) if isinstance(err, dict) else err)
    except (ValueError, AttributeError):
        return text


def _reply_text(data: str | bytes, what: str, key: str) -> str:
    """The text in one JSON message from the server: an SSE event (``what`` "event", ``key``
    "delta") or a whole reply from a server that ignored stream=true ("reply", "message")."""
    try:
        payload = json.loads(data)
    except ValueError:
        shown = data[:80] if isinstance(data, str) else repr(data[:80])
        raise ModelError(f"generator server sent an unreadable {what}: {shown}") from None
    if "error" in payload:
        err = payload["error"]
        raise ModelError(f"generator server error: {_first_line(err.get('message', err) if isinstance(err, dict) else err)}")
    choices = payload.get("choices") or [{}]
    return (choices[0].get(key) or {}).get("content") or ""


def _parse_sse(lines) -> Iterator[str]:
    """Server-sent events: ``data: {json}`` lines, ended by ``data: [DONE]``."""
    for raw in lines:
        line = raw.decode("utf-8", "replace").strip()
        if not line.startswith("data:"):
            continue  # blank separators, comments (": ping"), "event:" lines
        data = line[5:].strip()
        if data == "[DONE]":
            return
        if text := _reply_text(data, "event", "delta"):
            yield text


def _plain_reply(body: bytes) -> Iterator[str]:
    if text := _reply_text(body, "reply", "message"):
        yield text
