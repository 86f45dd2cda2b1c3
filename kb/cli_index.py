"""The `kb` commands about the index itself: `info` (what it holds) and `reindex` (its keyword side rebuilt)."""

from __future__ import annotations

import click

from kb import display
from kb.cli import _print_json, _settings, handles_errors, index_option, json_option
from kb.config import KEYWORD_ENGINES


@click.command()
@index_option
@json_option
@click.pass_context
@handles_errors
def info(ctx: click.Context, index: str | None, as_json: bool) -> None:
    """What is in the index: documents, chunks, model, size, last update."""
    from kb.service import KnowledgeBase

    data = KnowledgeBase(_settings(ctx, index=index)).info()
    if as_json:
        _print_json(data)
        return
    display.print_info(data)


@click.command()
@index_option
@click.option("--keyword-engine", type=click.Choice(sorted(KEYWORD_ENGINES)), help="Rebuild in this engine (default: the index's own).")
@click.pass_context
@handles_errors
def reindex(ctx: click.Context, index: str | None, keyword_engine: str | None) -> None:
    """Rebuild the keyword index from the stored chunks: another engine, a newer analysis, or a damaged index."""
    from kb.service import KnowledgeBase

    manifest = KnowledgeBase(_settings(ctx, index=index)).reindex(keyword_engine)
    counts = manifest.counts
    click.echo(f"Keyword index rebuilt ({manifest.keyword}): {counts['chunks']} chunks of {counts['documents']} documents.")
