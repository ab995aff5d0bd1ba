"""Launching the web app on the real models (``rag serve``).

The app is local-first: it listens on loopback by default, never opens a public share
tunnel, and asks for a password when told to listen on the network.
"""
from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

from rag.errors import UsageError

AUTH_ENV = "RAG_AUTH"  # read through rag.config.Config.auth


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """'user:password' -> ('user', 'password'); None/'' -> None."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise UsageError("auth must look like USER:PASSWORD", f"check --auth or ${AUTH_ENV}")
    return user, password


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost: assume it is reachable from outside


def _check(host: str, share: bool, auth: tuple[str, str] | None) -> None:
    if share:
        raise UsageError("--share is not available: this app works offline and never opens a public "
                         "tunnel", "to serve your local network use --host 0.0.0.0 --auth USER:PASS")
    if not is_loopback(host):
        lock = "" if auth else f" WITHOUT a password: add --auth USER:PASS (or set {AUTH_ENV})"
        print(f"warning: serving on {host}, reachable from other machines{lock}", file=sys.stderr)


def build_pipeline(index_root: Path, config):
    """The real pipeline: bundled embedder and generator; the index is built from ./seeds
    on the first run (rag.session.ensure_index)."""
    from rag.session import open_pipeline

    return open_pipeline(index_root, config)


def create_server(pipeline, index_root: Path, config, lang: str = "zh", auth: tuple[str, str] | None = None,
                  require_keys: bool = False, kb: str | None = None):
    """The FastAPI app ``rag serve`` runs: the HTTP API (app/api.py) with the web app
    mounted at ``/``. The web app shows knowledge base ``kb`` (default: the default one)."""
    import gradio as gr
    from rag import kbs

    from .api import create_api
    from .kb import KnowledgeBase
    from .pool import Library
    from .ui import create_app, launch_options

    library = Library(KnowledgeBase(pipeline, Path(index_root)), config.with_(index=str(index_root), kb=""))
    api = create_api(library, require_keys=require_keys)
    shown = library.get(kb or kbs.DEFAULT)
    demo = create_app(shown.pipeline, shown.root, lang, kb=shown, gate=library.gate,
                      conversations=library.conversations, kb_name=kb or kbs.DEFAULT, library=library)
    return gr.mount_gradio_app(api, demo, path="/", auth=auth, show_error=False, ssr_mode=False, mcp_server=False,
                               footer_links=["settings"],  # Gradio 6's show_api=False: no API page link
                               max_file_size=config.max_file_mb << 20, **launch_options())


def serve(index_root: Path, host: str = "127.0.0.1", port: int = 7860,
          auth: tuple[str, str] | None = None, share: bool = False, config=None, lang: str = "zh") -> None:
    """Build the pipeline and serve the web app and the API until interrupted."""
    from rag import keys, offline
    from rag.config import Config

    offline.enable()  # before gradio (imported by .ui) reads its telemetry switches
    config = config or Config.from_env()
    auth = auth or parse_auth(config.auth or None)
    _check(host, share, auth)
    require_keys = not is_loopback(host)
    if require_keys and not keys.load(config):
        print("warning: the HTTP API needs a key on this address and there is none yet: "
              "create one with `rag keys create NAME`", file=sys.stderr)

    import uvicorn

    index_root = Path(index_root)
    # the default knowledge base's models serve every other one
    app = create_server(build_pipeline(index_root, config.with_(kb="")), index_root, config, lang, auth,
                        require_keys, config.kb or None)
    shown = f"[{host}]" if ":" in host else host
    print(f"serving on http://{shown}:{port}  (web app at /, API at /v1 and /api; Ctrl-C to stop)",
          file=sys.stderr, flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=3)
