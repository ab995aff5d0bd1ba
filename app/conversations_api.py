"""``/api/conversations``: saved conversations (rag/conversations.py) over HTTP.

A conversation belongs to one knowledge base; a key that may not read that knowledge base
gets 404 for it, the same as for an id that does not exist, so ids leak nothing.
"""
from __future__ import annotations

from typing import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from rag import kbs
from rag.conversations import Conversation, UnknownConversationError
from rag.keys import KeyDenied

from .pool import Library


class NewConversation(BaseModel):
    model_config = ConfigDict(extra="ignore")
    kb: str = kbs.DEFAULT
    title: str = Field("New conversation", min_length=1, max_length=200)


class Rename(BaseModel):
    model_config = ConfigDict(extra="ignore")
    title: str = Field(min_length=1, max_length=200)


def visible(library: Library, request: Request, cid: str, access) -> Conversation:
    """The conversation ``cid`` if the caller may read its knowledge base, else 404."""
    conv = library.conversations.get(cid)
    try:
        access.check(request, conv.kb)
    except KeyDenied:  # a refusal looks like absence
        raise UnknownConversationError(f"no conversation {cid[:80]!r}") from None
    return conv


def add_routes(api: FastAPI, library: Library, access, open_kb: Callable) -> None:
    store = library.conversations

    @api.get("/api/conversations")
    def list_conversations(request: Request, kb: str | None = None, limit: int = 100):
        rows = store.list(kbs.check_name(kb) if kb else None, max(1, min(limit, 1000)))
        mine = set(access.readable(request, sorted({c.kb for c in rows})))
        return {"conversations": [c.to_json(turns=False) for c in rows if c.kb in mine]}

    @api.post("/api/conversations")
    def create(body: NewConversation, request: Request):
        open_kb(request, body.kb)  # exists, and the caller may read it
        return JSONResponse(store.create(body.kb, body.title).to_json(), 201)

    @api.get("/api/conversations/{cid}")
    def get(cid: str, request: Request):
        return visible(library, request, cid, access).to_json()

    @api.patch("/api/conversations/{cid}")
    def rename(cid: str, body: Rename, request: Request):
        visible(library, request, cid, access)
        store.rename(cid, body.title)
        return store.get(cid).to_json(turns=False)

    @api.delete("/api/conversations/{cid}")
    def delete(cid: str, request: Request):
        visible(library, request, cid, access)
        store.delete(cid)
        return {"deleted": cid}
