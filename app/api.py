"""The HTTP API, served beside the web app by ``rag serve`` (same process, same port).

- ``POST /v1/chat/completions``: OpenAI-compatible; ``model`` names the knowledge base.
  The answer text carries the ``[n]`` markers; ``citations``, ``refused`` and
  ``short_answer`` ride as extra fields of the response (and of the last stream chunk).
- ``GET /v1/models``: the knowledge bases.
- ``POST /api/search``; ``GET/POST /api/kb/{name}/documents``,
  ``DELETE /api/kb/{name}/documents/{doc}``; ``GET /api/kb``; ``GET /api/health``.

Every error is JSON (``{"error": {"message", "type", "code"}}``, OpenAI's shape) with a
status that says what happened; never a traceback. ``create_api`` only builds the app, so
tests drive it in-process.
"""
from __future__ import annotations

import logging
import tempfile
import time
import uuid
from pathlib import Path
from typing import Literal

from fastapi import FastAPI, File, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag import keys as keymod
from rag import kbs
from rag.conversations import UnknownConversationError
from rag.errors import (DocumentError, IndexLockedError, IndexMissingError, ModelError, RagError,
                        StoreUnavailableError, UsageError)

from . import chat_api, conversations_api
from .kb import Rejected
from .pool import Busy, Library
from .strings import strings

log = logging.getLogger("rag.api")

MAX_JSON_BYTES = 1 << 20  # a question and its history fit in a few KB; 1 MB is generous


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str = "invalid_request", headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.headers = status, message, code, headers


def error_json(status: int, message: str, code: str) -> dict:
    """OpenAI's error shape; also sent inside a stream that fails after it started."""
    kind = "invalid_request_error" if status < 500 else "server_error"
    return {"error": {"message": message, "type": kind, "code": code}}


def error_response(status: int, message: str, code: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(error_json(status, message, code), status, headers=headers)


# Library errors by HTTP status, most specific first (UnknownKBError is an IndexMissingError).
_STATUS: tuple[tuple[type, int, str], ...] = (
    (kbs.UnknownKBError, 404, "unknown_knowledge_base"),
    (UnknownConversationError, 404, "unknown_conversation"),
    (UsageError, 400, "invalid_request"),
    (IndexLockedError, 409, "index_busy"),
    (IndexMissingError, 404, "not_found"),
    (ModelError, 503, "model_unavailable"),
    (StoreUnavailableError, 503, "store_unavailable"),
    (DocumentError, 400, "bad_document"),
)


def rag_status(e: RagError) -> tuple[int, str]:
    """The HTTP status (and error code) of a library error."""
    if isinstance(e, keymod.KeyDenied):
        return e.status, "unauthorized" if e.status == 401 else "forbidden"
    return next(((status, code) for kind, status, code in _STATUS if isinstance(e, kind)), (500, "server_error"))


class BodyLimit:
    """Refuses request bodies over a limit (413) while they arrive, before anything reads
    them; uploads get the document size limit instead of the JSON one."""

    def __init__(self, app, json_limit: int, upload_limit: int):
        self.app, self.json_limit, self.upload_limit = app, json_limit, upload_limit

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path.startswith("/v1/") or path.startswith("/api/")):
            return await self.app(scope, receive, send)
        limit = self.upload_limit if path.endswith("/documents") else self.json_limit
        declared = dict(scope.get("headers") or []).get(b"content-length")
        too_big = error_response(413, f"request body over {limit >> 20 or 1} MB", "too_large")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await too_big(scope, receive, send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await too_big(scope, receive, send)


class _TooLarge(Exception):
    pass


class Access:
    """Who may read or change which knowledge base. On loopback (``required`` off) anyone;
    otherwise the request's API key decides (rag/keys.py), read from disk per request so a
    revoked key stops working at once."""

    def __init__(self, config, required: bool):
        self.config, self.required = config, required

    def check(self, request: Request, kb: str, need: keymod.Access = "read") -> None:
        """``KeyDenied`` (401/403) unless the request may ``need`` ``kb``."""
        if self.required:  # loopback: OpenAI clients send some key whatever happens; it is not checked
            keymod.check(keymod.load(self.config), _token(request), kb, need)

    def readable(self, request: Request, names: list[str]) -> list[str]:
        """Those of ``names`` the request may read: a key sees only its own (``KeyDenied``
        401 without a valid key); the key file is read once for all of them."""
        if not self.required:
            return list(names)
        key = keymod.identify(keymod.load(self.config), _token(request))
        return [name for name in names if key.allows(name, "read")]


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else None


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    query: str = Field(min_length=1, max_length=4000)
    k: int = Field(5, ge=1, le=50)
    mode: Literal["dense", "bm25", "hybrid"] | None = None
    kb: str = kbs.DEFAULT


def create_api(library: Library, *, require_keys: bool = False) -> FastAPI:
    """The API over ``library``. With ``require_keys`` (a server reachable from other
    machines) every request needs an API key (``rag keys create``); on loopback none does."""
    # No Swagger page: it loads its scripts from a CDN, and this app makes no outside requests.
    api = FastAPI(title="rag-chat API", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")
    api.state.library = library
    config = library.config
    en = strings("en")

    # ------------------------------------------------------------ errors

    @api.exception_handler(ApiError)
    async def _api_error(request, e: ApiError):
        return error_response(e.status, e.message, e.code, e.headers)

    @api.exception_handler(RagError)
    async def _rag_error(request, e: RagError):
        status, code = rag_status(e)
        return error_response(status, str(e), code)

    @api.exception_handler(Busy)
    async def _busy(request, e: Busy):
        # An answer takes ~10 s on a laptop: by then the queue has moved.
        return error_response(429, f"busy: {e}; try again shortly", "busy", {"Retry-After": "10"})

    @api.exception_handler(RequestValidationError)
    async def _invalid(request, e: RequestValidationError):
        first = e.errors()[0] if e.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = first.get("msg", "invalid request")
        if first.get("type") == "json_invalid":
            message, where = "the body is not valid JSON", ""
        return error_response(400, f"{where}: {message}" if where else message, "invalid_request")

    @api.exception_handler(StarletteHTTPException)
    async def _http(request, e: StarletteHTTPException):
        return error_response(e.status_code, str(e.detail), "not_found" if e.status_code == 404 else "http_error")

    @api.exception_handler(Exception)
    async def _crash(request, e: Exception):
        log.exception("API request failed")
        return error_response(500, "internal error (see the server log)", "server_error")

    # ------------------------------------------------------------ access

    access = Access(config, require_keys)

    def open_kb(request: Request, name: str, need: keymod.Access = "read"):
        kbs.check_name(name)
        access.check(request, name, need)  # before saying whether the knowledge base exists
        return library.get(name)

    def reason(e: Rejected) -> str:
        return en[e.key].format(**e.fields)

    # ------------------------------------------------------------ routes

    @api.get("/api/health")
    def health():
        return {"status": "ok", "knowledge_bases": library.names(), "queue": library.gate.state(),
                "generator": getattr(library.default.pipeline.generator, "name", "?")}

    @api.get("/v1/models")
    def models(request: Request):
        return {"object": "list", "data": [{"id": name, "object": "model", "created": 0, "owned_by": "rag-chat"}
                                           for name in access.readable(request, library.names())]}

    @api.get("/api/kb")
    def list_kbs(request: Request):
        names = set(access.readable(request, library.names()))
        return {"knowledge_bases": [{k: v for k, v in row.to_json().items() if k != "path"}
                                    for row in kbs.listing(config) if row.name in names]}

    @api.post("/api/search")
    def search(body: SearchRequest, request: Request):
        kb = open_kb(request, body.kb)
        from rag.prompt import sanitize_question

        query = sanitize_question(body.query)
        result = kb.snapshot().retriever.search(query, body.k, body.mode or config.mode)
        return {"query": query, "kb": body.kb, "hits": [h.to_json() for h in result.hits],
                "retrieve_ms": round(result.retrieve_ms, 1)}

    @api.get("/api/kb/{name}/documents")
    def documents(name: str, request: Request):
        kb = open_kb(request, name)
        return {"kb": name, "documents": [{"id": r.doc_id, "title": r.title, "chunks": r.n_chunks,
                                           "uploaded": r.uploaded} for r in kb.documents()]}

    @api.post("/api/kb/{name}/documents")
    def upload(name: str, request: Request, files: list[UploadFile] = File(...),
               create: bool = Query(False, description="Create the knowledge base if it does not exist")):
        kbs.check_name(name)
        access.check(request, name, "write")
        limit = config.max_file_mb << 20
        for f in files:
            if f.size is not None and f.size > limit:
                raise ApiError(413, f"{f.filename}: over the {config.max_file_mb} MB limit", "too_large")
        with tempfile.TemporaryDirectory(prefix="rag-upload-") as tmp:
            pairs = []
            for i, f in enumerate(files):
                dest = Path(tmp) / str(i)
                with dest.open("wb") as out:
                    while chunk := f.file.read(1 << 20):
                        out.write(chunk)
                pairs.append((dest, f.filename or ""))
            try:
                if create and name != kbs.DEFAULT and not kbs.exists(name, config):
                    _, rejected, report = library.create(name, pairs)
                    status = 201
                else:
                    stored, rejected, report = library.get(name).add(pairs)
                    status = 200
                    if not stored:
                        raise Rejected("no_files", rejected=rejected)
            except Rejected as e:
                if e.key == "no_files":
                    reasons = "; ".join(f"{r.fields.get('name')}: {reason(r)}" for r in e.fields.get("rejected", []))
                    raise ApiError(400, f"no document stored ({reasons or 'no files'})", "bad_document") from None
                raise
        body = {"kb": name, "rejected": [{"name": r.fields.get("name"), "reason": reason(r)} for r in rejected]}
        if report is not None:
            body |= {"added": report.added, "updated": report.updated, "removed": report.removed,
                     "skipped": [{"name": Path(s.path).name, "reason": s.reason} for s in report.skipped],
                     "chunks": report.n_chunks}
        return JSONResponse(body, status)

    @api.delete("/api/kb/{name}")
    def delete_kb(name: str, request: Request):
        """The knowledge base, its uploads and its saved conversations (documents indexed
        from a folder stay where they are)."""
        open_kb(request, name, "write")
        library.delete(name)
        return {"deleted": name}

    @api.delete("/api/kb/{name}/documents/{doc_id:path}")
    def remove(name: str, doc_id: str, request: Request):
        kb = open_kb(request, name, "write")
        try:
            report = kb.remove(doc_id)
        except Rejected as e:
            status = 404 if e.key == "not_found" else 409
            raise ApiError(status, reason(e), e.key) from None
        return {"kb": name, "removed": doc_id, "chunks": report.n_chunks}

    @api.exception_handler(Rejected)
    async def _rejected(request, e: Rejected):
        return error_response(400, reason(e), e.key)

    chat_api.add_routes(api, library, access, open_kb)
    conversations_api.add_routes(api, library, access, open_kb)

    # Everything else under /v1 and /api is ours too: a JSON 404, not the web app's page.
    @api.api_route("/v1/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    @api.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    def unknown(rest: str, request: Request):
        raise ApiError(404, f"no such endpoint: {request.method} {request.url.path}", "not_found")

    api.add_middleware(BodyLimit, json_limit=MAX_JSON_BYTES, upload_limit=(config.max_file_mb << 20) * 4)
    return api


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:24]}"


def now() -> int:
    return int(time.time())
