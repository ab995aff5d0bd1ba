"""``rag serve``: the click command. It reaches ``rag`` as a plugin (entry point
``rag.commands`` in pyproject.toml), so rag/cli.py never imports the web app.

Also runnable on its own: ``python -m app.cli_serve --port 7860``.
"""
from __future__ import annotations

import click


@click.command("serve")
@click.option("--index", "index_dir", metavar="DIR", help="Index folder (default: ./index or $RAG_INDEX).")
@click.option("--kb", metavar="NAME", help="The knowledge base the web app opens on (the API serves them all).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback is reachable from other machines: use --auth.")
@click.option("--port", default=7860, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--auth", metavar="USER:PASS", help="Require this login (default: $RAG_AUTH; none on loopback).")
@click.option("--share", is_flag=True, help="Refused: the app is offline and never opens a public tunnel.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Interface language.")
def serve_cmd(index_dir, kb, host, port, auth, share, lang):
    """Start the chat web app (streamed answers, sources panel, document upload) and the
    HTTP API (OpenAI-compatible /v1/chat/completions, /api/search, documents) on one port."""
    from rag import kbs
    from rag.session import index_dir as resolve_index, load_config

    from .server import parse_auth, serve

    config = load_config(kb=kb)
    if config.kb:
        kbs.require(kbs.selected(config), config)  # a typo is said before the models load
    serve(resolve_index(index_dir, config.with_(kb="")), host=host, port=port, auth=parse_auth(auth), share=share,
          config=config, lang=lang)


def main() -> None:
    """Standalone entry: user errors as one line, like `rag`."""
    from rag.errors import RagError

    try:
        serve_cmd(standalone_mode=False)
    except RagError as e:
        click.echo(f"error: {e}", err=True)
        raise SystemExit(e.exit_code) from None
    except click.ClickException as e:
        e.show()
        raise SystemExit(e.exit_code) from None
    except (KeyboardInterrupt, click.Abort):
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
