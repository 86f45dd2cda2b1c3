"""The `kb` command: parse, make one library call, print (rich text on a terminal, or --json)."""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from kb import display
from kb.cli_filters import cli_spelling, filter_options
from kb.config import (
    AUTO_FLAT_MAX_CHUNKS,
    DEFAULT_BROWSE_K,
    DEFAULT_K,
    DEFAULT_MODE,
    INDEX_KINDS,
    MAX_BROWSE_K,
    MAX_K,
    MODES,
    Settings,
)
from kb.errors import FilterError, KBError, QueryError
from kb.index.vectors.arrays import start_blas_single
from kb.records import Filters, to_dict


def _print_json(data: Any) -> None:
    click.echo(json.dumps(to_dict(data), ensure_ascii=False, indent=2))


def _settings(ctx: click.Context, **overrides: Any) -> Settings:
    index = overrides.pop("index", None) or ctx.obj.get("index")
    return Settings.from_env(index_dir=index, **overrides)


def handles_errors(fn: Callable) -> Callable:
    """Translate kb's errors once, at the edge: a message on stderr and exit status 1."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except FilterError as exc:  # said with the flags that give a filter: exit status 2, as for a bad flag
            raise click.UsageError(exc.explain(cli_spelling)) from None
        except QueryError as exc:
            raise click.UsageError(str(exc)) from None
        except KBError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        except OSError as exc:  # the index folder cannot be read or written (permissions, disk full)
            click.echo(f"Error: {exc.strerror or exc} ({exc.filename or 'index'}). Check the index folder (--index).", err=True)
            sys.exit(1)

    return wrapper


Decorator = Callable[[Callable], Callable]
index_option: Decorator = click.option("--index", "index", metavar="DIR", help="Index folder (default ./index or $KB_INDEX).")
json_option: Decorator = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


# The commands that read, print and exit: they run without the cyclic garbage collector (kb/__main__.py).
ONE_SHOT_COMMANDS = frozenset({"search", "similar", "show", "browse", "topics", "info"})


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--index", "index", metavar="DIR", help="Index folder (default ./index or $KB_INDEX).")
@click.version_option(package_name="kb")
@click.pass_context
def main(ctx: click.Context, index: str | None) -> None:
    """kb: find what the knowledge base knows, by meaning and by words.

    \b
    Start with:  kb ingest corpus/
    Then ask:    kb search "how can apprenticeships be made more inclusive?"
    """
    ctx.ensure_object(dict)
    ctx.obj["index"] = index
    if ctx.invoked_subcommand not in ONE_SHOT_COMMANDS:
        gc.enable()  # kb/__main__.py turned it off for a process that only answers and exits
    else:  # before numpy loads: its BLAS starts with the one thread a search uses (kb/index/vectors/arrays.py)
        start_blas_single()


# -- ingest -----------------------------------------------------------------------------------------

@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@index_option
@click.option("--model", help="Embedding model: a sentence-transformers folder or name (default all-MiniLM-L6-v2).")
@click.option("--index-kind", "index_kind", type=click.Choice(INDEX_KINDS),
              help=f"Vector index: auto (a new index's default) = flat up to {AUTO_FLAT_MAX_CHUNKS:,} chunks, ivf "
                   "above; flat = exact search; ivf = approximate (IVF, 8-bit codes), for large indexes. "
                   "An index keeps its kind until told another ($KB_INDEX_KIND).")
@click.option("--ray", "ray_address", metavar="ADDRESS",
              help="Read, chunk and embed new and changed files on a Ray cluster: its head's host:port, or auto for the "
                   "one started on this machine ($KB_RAY_ADDRESS; needs pip install 'kb[cluster]').")
@click.option("--ray-shared-storage", "ray_shared_storage", is_flag=True, default=None,
              help="The cluster's nodes see PATHS at the same paths: send paths, not the files' bytes ($KB_RAY_SHARED_STORAGE=1).")
@json_option
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
@click.pass_context
@handles_errors
def ingest(ctx: click.Context, paths: tuple[str, ...], index: str | None, model: str | None, index_kind: str | None,
           ray_address: str | None, ray_shared_storage: bool | None, as_json: bool, quiet: bool) -> None:
    """Add, update and remove documents so the index matches PATHS (files or folders)."""
    from kb.service import KnowledgeBase

    settings = _settings(ctx, index=index, model=model, index_kind=index_kind, ray_address=ray_address,
                         ray_shared_storage=ray_shared_storage)
    progress = None
    if not quiet:
        progress = display.RichProgress() if sys.stderr.isatty() else display.PlainProgress()
    report = KnowledgeBase(settings).ingest(paths, progress=progress)
    if as_json:
        _print_json({**to_dict(report), "counts": report.counts()})
    else:
        display.print_report(report)
    usable = report.added or report.updated or report.unchanged
    if not usable:
        if not as_json:
            click.echo("Error: nothing could be ingested (see the failures above).", err=True)
        sys.exit(1)


# -- search -----------------------------------------------------------------------------------------

@main.command()
@click.argument("query", nargs=-1, required=True)
@click.option("-k", "k", type=click.IntRange(1, MAX_K), default=DEFAULT_K, show_default=True, help="Number of documents.")
@click.option("--mode", type=click.Choice(MODES), default=DEFAULT_MODE, show_default=True)
@filter_options
@click.option("--query-lang", help="The question's language (en, fr, es, it, nl); detected when left out.")
@click.option("--as-typed", is_flag=True, help="Search the words as typed (misspelt ones are otherwise corrected).")
@index_option
@json_option
@click.pass_context
@handles_errors
def search(ctx: click.Context, query: tuple[str, ...], k: int, mode: str, filters: Filters, query_lang: str | None,
           as_typed: bool, index: str | None, as_json: bool) -> None:
    """Find the documents that best answer QUERY ('"prior learning" in Bangladesh': each holds the quoted phrase)."""
    from kb.service import KnowledgeBase

    text = " ".join(query).strip()
    if not text:
        raise click.UsageError("The query is empty. Example: kb search \"apprenticeships for women\"")
    kb = KnowledgeBase(_settings(ctx, index=index), one_shot=True)
    result = kb.search(text, k=k, mode=mode, filters=filters, query_language=query_lang, correct=not as_typed)
    if as_json:
        _print_json({**to_dict(result), "offset": 0})  # the API's record: the CLI shows the first page
    else:  # a question naming a type of document and nothing else is answered with a listing (kb/search/kinds.py)
        (display.print_browse if result.mode == "browse" else display.print_result)(result)


@main.command()
@click.argument("doc_id")
@click.option("-k", "k", type=click.IntRange(1, MAX_K), default=DEFAULT_K, show_default=True, help="Number of documents.")
@index_option
@json_option
@click.pass_context
@handles_errors
def similar(ctx: click.Context, doc_id: str, k: int, index: str | None, as_json: bool) -> None:
    """More like this: the documents closest in meaning to DOC_ID."""
    from kb.service import KnowledgeBase

    result = KnowledgeBase(_settings(ctx, index=index), one_shot=True).similar(doc_id, k=k)
    if as_json:
        _print_json(result)
    else:
        display.print_result(result)


@main.command()
@click.argument("doc_id")
@index_option
@json_option
@click.pass_context
@handles_errors
def show(ctx: click.Context, doc_id: str, index: str | None, as_json: bool) -> None:
    """One document's metadata and outline; DOC_ID is its id or its file's path."""
    from kb.service import KnowledgeBase

    kb = KnowledgeBase(_settings(ctx, index=index))
    doc = kb.document(doc_id)
    data = {**to_dict(doc), "outline": kb.outline(doc.doc_id)}
    if as_json:
        _print_json(data)
        return
    hidden = {"metadata", "content_hash", "topics_auto"}  # the metadata's own fields are shown, not the dict
    fields = {k: v for k, v in to_dict(doc).items() if k not in hidden} | {k: v for k, v in doc.metadata.items() if k not in hidden}
    display.print_document(fields, data["outline"])


# -- browse and topics ------------------------------------------------------------------------------

@main.command()
@filter_options
@click.option("-k", "k", type=click.IntRange(1, MAX_BROWSE_K), default=DEFAULT_BROWSE_K, show_default=True, help="Number of documents.")
@index_option
@json_option
@click.pass_context
@handles_errors
def browse(ctx: click.Context, filters: Filters, k: int, index: str | None, as_json: bool) -> None:
    """List documents without a question, newest first, with their topics."""
    from kb.service import KnowledgeBase

    result = KnowledgeBase(_settings(ctx, index=index)).browse(filters, k=k)
    if as_json:
        _print_json({**to_dict(result), "offset": 0})
        return
    display.print_browse(result)


@main.command()
@index_option
@json_option
@click.pass_context
@handles_errors
def topics(ctx: click.Context, index: str | None, as_json: bool) -> None:
    """The skills topics, with how many documents are tagged with each."""
    from kb.service import KnowledgeBase

    listed = KnowledgeBase(_settings(ctx, index=index)).topics()
    if as_json:
        _print_json(listed)
        return
    display.print_topics(listed)


# -- info -------------------------------------------------------------------------------------------

# -- eval -------------------------------------------------------------------------------------------

@main.command(name="eval")
@click.argument("dataset", type=click.Path(exists=True, file_okay=False))
@click.option("--mode", "modes", multiple=True, type=click.Choice(MODES),
              help="Modes to score (repeatable; default all three).")
@click.option("--split", default="test", show_default=True, help="Which qrels/SPLIT.tsv to use.")
@json_option
@click.pass_context
@handles_errors
def eval_(ctx: click.Context, dataset: str, modes: tuple[str, ...], split: str, as_json: bool) -> None:
    """Score retrieval on a BEIR-format DATASET folder: nDCG@10, Recall@100, MRR@10 per mode.

    The dataset's index is built once and cached (in $KB_CACHE or ~/.cache/kb), keyed by the data and settings.
    """
    from pathlib import Path

    from kb.evaluate import evaluate

    progress = None if as_json else (display.RichProgress() if sys.stderr.isatty() else display.PlainProgress())
    results = evaluate(Path(dataset), modes or tuple(reversed(MODES)), _settings(ctx), progress=progress, split=split)
    if as_json:
        _print_json(results)
        return
    display.print_eval(results, Path(dataset).name, split)


# -- serve ------------------------------------------------------------------------------------------

@main.command()
@index_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--workers", default="auto", show_default=True, callback=lambda _c, _p, value: _workers(value),
              help="Search processes (1-16; 2+ are fed in order by one server process), or auto: one per CPU that memory holds.")
@click.option("--access-log/--no-access-log", default=True, show_default=True, help="Log each request (uvicorn's access log).")
@click.pass_context
@handles_errors
def serve(ctx: click.Context, index: str | None, host: str, port: int, workers: int | None, access_log: bool) -> None:
    """Run the HTTP API and the search box (demo page at /, API docs at /docs)."""
    from kb.api.serve import run_server, worker_plan

    settings = _settings(ctx, index=index)
    workers, how = worker_plan(settings, workers)
    click.echo(f"kb serving {settings.index_dir}{how} at http://{host}:{port}/  (API docs: http://{host}:{port}/docs)", err=True)
    run_server(settings, host, port, workers, access_log=access_log)


def _workers(value: str) -> int | None:
    from kb.api.serve import parse_workers

    try:
        return parse_workers(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None

# The index commands use the helpers above, so they are registered after them.
from kb.cli_index import info, reindex  # noqa: E402

main.add_command(info)
main.add_command(reindex)

if __name__ == "__main__":
    main()
