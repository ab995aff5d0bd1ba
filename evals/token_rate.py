"""Characters per token of the generator's tokenizer, per folder of documents.

    python -m evals.token_rate evals/sets/en-docs/docs evals/sets/en-docs2/docs /tmp/dev11-zh-hant/docs

The focus budgets of the prompt (rag/prompt.py) are set in characters; how many tokens a
character costs depends on the script. This prints the rate for each folder (the first
``--chars`` characters of each of its first ``--files`` files), so the English scale
(``prompt._CHARS_PER_UNIT``) can be checked against the model in use.
"""
from __future__ import annotations

from pathlib import Path

import click


def rate(texts: list[str], count_tokens) -> float:
    """Characters per token over ``texts``."""
    tokens = sum(count_tokens(t) for t in texts)
    return sum(len(t) for t in texts) / tokens if tokens else float("nan")


@click.command()
@click.argument("folders", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--files", default=20, show_default=True, help="files read per folder")
@click.option("--chars", default=3000, show_default=True, help="characters read per file")
def main(folders: tuple[Path, ...], files: int, chars: int) -> None:
    from rag.generate import load_generator
    from rag.session import load_config

    generator = load_generator(load_config())
    for folder in folders:
        paths = sorted(p for p in folder.iterdir() if p.is_file())[:files]
        texts = [p.read_text(encoding="utf-8", errors="replace")[:chars] for p in paths]
        click.echo(f"{folder}: {rate(texts, generator.count_tokens):.2f} characters a token ({len(texts)} files)")


if __name__ == "__main__":
    main()
