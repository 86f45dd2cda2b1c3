"""What the `kb` command prints on a terminal: results, reports, tables and ingest progress (rich).

The CLI's commands parse and call the library; everything they show a person is drawn here, so the
layout can change without touching a command (`--json` output is `to_dict` of the same records).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import click

from kb.records import IndexInfo, IngestReport, SearchResult

TYPE_STYLES = {"press_release": "cyan", "tool_report": "green", "skills_guide": "magenta"}


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


class PlainProgress:
    """One line per file and per embedded batch, for logs and pipes."""

    def __init__(self) -> None:
        self.files = 0
        self.done = 0
        self.total_chunks = 0
        self.embedded_chunks = 0
        self.started = time.perf_counter()

    def start(self, files: int) -> None:
        self.files = files
        self.started = time.perf_counter()
        click.echo(f"ingest: {files} file(s) found", err=True)

    def file_done(self, path: str, chunks: int) -> None:
        self.done += 1
        self.total_chunks += chunks
        if chunks:
            click.echo(f"  [{self.done}/{self.files}] {path}: {chunks} chunk(s)", err=True)

    def embedded(self, chunks: int) -> None:
        self.embedded_chunks += chunks
        seconds = max(time.perf_counter() - self.started, 1e-9)
        click.echo(f"  embedded {self.embedded_chunks}/{self.total_chunks} chunks ({self.embedded_chunks / seconds:.1f} chunks/s, "
                   f"{self.done / seconds:.2f} files/s)", err=True)

    def finish(self) -> None:
        pass

    def cluster(self, nodes: int, actors: int) -> None:
        click.echo(f"ingest: on a Ray cluster of {nodes} node(s), {actors} embedding actor(s)", err=True)


class RichProgress:
    """A live progress display on a terminal: files read and files per second, chunks embedded (a total that
    grows as files are read) and chunks per second, and on a cluster its nodes and embedding actors."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), console=_console(stderr=True), transient=False,
        )
        self.files_task: Any = None  # rich TaskIDs, made when the run starts
        self.chunks_task: Any = None
        self.total_chunks = 0
        self.started = time.perf_counter()
        self.where = ""  # the cluster the files are read on, once the executor says

    def start(self, files: int) -> None:
        self.started = time.perf_counter()
        self.progress.start()
        self.files_task = self.progress.add_task("files", total=files, rate="")
        self.chunks_task = self.progress.add_task("chunks", total=0, rate="")

    def file_done(self, path: str, chunks: int) -> None:
        self.total_chunks += chunks
        self.progress.update(self.files_task, advance=1)
        self.progress.update(self.files_task, rate=self._files_rate())
        self.progress.update(self.chunks_task, total=self.total_chunks)

    def _files_rate(self) -> str:
        done = self.progress.tasks[self.files_task].completed
        return f"{done / max(time.perf_counter() - self.started, 1e-9):.2f} files/s{self.where}"

    def embedded(self, chunks: int) -> None:
        task = self.progress.tasks[self.chunks_task]
        rate = (task.completed + chunks) / max(time.perf_counter() - self.started, 1e-9)
        self.progress.update(self.chunks_task, advance=chunks, rate=f"{rate:.1f} chunks/s")

    def finish(self) -> None:
        self.progress.stop()

    def cluster(self, nodes: int, actors: int) -> None:
        self.where = f" on {nodes} node(s), {actors} actor(s)"
        if self.files_task is not None:
            self.progress.update(self.files_task, rate=self._files_rate())


def print_report(report: IngestReport) -> None:
    console = _console()
    counts = report.counts()
    summary = ", ".join(f"{n} {name}" for name, n in counts.items())
    if not report.changed and not report.failed:
        console.print(f"Nothing changed: {counts['unchanged']} document(s) up to date, 0 chunks embedded.")
    else:
        console.print(f"[bold]Ingested into {report.index_dir}[/]: {summary}; "
                      f"{report.chunks_embedded} chunk(s) embedded in {report.seconds:.1f} s.")
    for failure in report.failed:
        console.print(f"  [red]failed[/] {failure.path}: {failure.reason}", markup=True)


def _hit_lines(rank: int, hit: Any, text: Any) -> list[Any]:
    """The lines of one hit: its head, each passage's place and snippet, its score, a blank line."""
    head = text(f"{rank:>2}. ", style="bold")
    head.append(hit.title, style="bold")
    head.append(f"  [{hit.type.replace('_', ' ')}]", style=TYPE_STYLES.get(hit.type, "white"))
    if hit.date:
        head.append(f"  {hit.date}", style="dim")
    lines = [head]
    for passage in hit.passages:
        where = []
        if passage.page is not None:
            label = f" (printed {passage.page_label})" if passage.page_label and passage.page_label != str(passage.page) else ""
            where.append(f"page {passage.page}{label}")
        if passage.heading_path:
            where.append(" › ".join(passage.heading_path))
        line = text("    ")
        line.append(hit.doc_id, style="blue")
        if where:
            line.append("  " + " · ".join(where), style="dim")
        snippet = text("    " + passage.snippet)
        for start, end in passage.highlights:
            snippet.stylize("bold yellow", start + 4, end + 4)
        lines += [line, snippet]
    return [*lines, text(f"    score {hit.score:.4f} ({hit.score_kind})", style="dim"), text()]


def print_result(result: SearchResult) -> None:
    from rich.text import Text

    console = _console()
    if not result.hits:
        console.print(f"No results for “{result.query}”.")
        return
    lines = []
    if not result.confident:
        lines += [Text("No confident match: none of these passages answers the question closely. "
                       "Try other words, or fewer filters.", style="yellow"), Text()]
    for rank, hit in enumerate(result.hits, start=1):
        lines += _hit_lines(rank, hit, Text)
    lines.append(Text(f"{len(result.hits)} document(s), {result.mode} search, {result.took_ms:.0f} ms", style="dim"))
    # One print of the lines joined: each print of rich's renders, wraps and writes on its own, and costs more
    # than its line (measured: ~70 prints took ~40 ms of a one-shot search). The wrapping is per line alike.
    console.print(Text("\n").join(lines))


def print_browse(result: SearchResult) -> None:
    """A browse result as a table: date, type, title with id, topics, countries."""
    from rich.table import Table

    shown = f", showing {len(result.hits)}" if result.total and result.total > len(result.hits) else ""
    table = Table(title=f"{result.total} document(s){shown}")
    for column in ("date", "type", "title", "topics", "countries"):
        table.add_column(column)
    for hit in result.hits:
        table.add_row(hit.date or "", hit.type.replace("_", " "), f"{hit.title}\n[dim]{hit.doc_id}[/]",
                      ", ".join(hit.metadata.get("topics", ())), ", ".join(hit.metadata.get("countries", ())))
    _console().print(table)


def print_topics(listed: Sequence[Mapping[str, object]]) -> None:
    """The taxonomy's topics with their document counts."""
    from rich.table import Table

    table = Table()
    for column in ("documents", "topic", "id"):
        table.add_column(column, justify="right" if column == "documents" else "left")
    for topic in listed:
        table.add_row(str(topic["documents"]), str(topic["label"]), f"[dim]{topic['id']}[/]")
    _console().print(table)


def _index_kind(index: Mapping[str, Any]) -> str:
    """'ivf (nlist 4000, nprobe 32, SQ8, chosen by auto)' from manifest["index"]."""
    kind = index.get("kind", "flat")
    details = [f"{name} {index[name]}" for name in ("nlist", "nprobe") if name in index]
    if "quantizer" in index:
        details.append(index["quantizer"])
    if index.get("requested") == "auto":
        details.append("chosen by auto")
    return f"{kind} ({', '.join(details)})" if details else kind


def print_info(data: IndexInfo) -> None:
    """What `kb info` shows."""
    from rich.table import Table

    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("index", data.index_dir)
    table.add_row("documents", f"{data.documents}  ({', '.join(f'{n} {t}' for t, n in data.types.items())})")
    table.add_row("chunks", str(data.chunks))
    table.add_row("model", f"{data.model}  (dimension {data.dimension}, sha256 {data.model_hash[:12]})")
    table.add_row("index kind", _index_kind(data.index))
    table.add_row("size on disk", f"{data.size_bytes / 2**20:.1f} MB")
    table.add_row("last update", data.updated_at)
    table.add_row("created", data.created_at)
    _console().print(table)


def print_eval(results: Sequence[Any], dataset: str, split: str) -> None:
    """nDCG@10, Recall@100 and MRR@10 per mode."""
    from rich.table import Table

    table = Table(title=f"{dataset} ({split}, {results[0].queries} queries)")
    for column in ("mode", "nDCG@10", "Recall@100", "MRR@10", "seconds"):
        table.add_column(column, justify="left" if column == "mode" else "right")
    for r in results:
        table.add_row(r.mode, f"{r.ndcg_at_10:.4f}", f"{r.recall_at_100:.4f}", f"{r.mrr_at_10:.4f}", f"{r.seconds:.1f}")
    _console().print(table)
