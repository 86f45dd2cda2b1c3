"""What the `kb` command prints on a terminal: results, reports, tables and ingest progress (rich).

The CLI's commands parse and call the library; everything they show a person is drawn here, so the
layout can change without touching a command (`--json` output is `to_dict` of the same records).
Lines are wrapped by `kb.terminal`: hanging indents, breaks between words only, ids and paths whole,
the terminal's width (or $COLUMNS, else 120 columns, when the output is piped).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from kb.records import Hit, SearchResult
from kb.terminal import PlainProgress, RichProgress, console, wrap

if TYPE_CHECKING:
    from rich.text import Text  # imported where it is used: `kb --help` and `--json` never load rich

    from kb.ingest_records import IndexInfo, IngestReport

__all__ = ["PlainProgress", "RichProgress", "print_browse", "print_eval", "print_document", "print_info", "print_report", "print_result",
           "print_topics"]

TYPE_STYLES = {"press_release": "cyan", "tool_report": "green", "skills_guide": "magenta"}
# Said when a result is not confident and the confidence step gave no reason of its own.
NOT_CONFIDENT = "No confident match: none of these passages answers the question closely. Try other words, or fewer filters."
INDENT = 4  # where a hit's lines start, under its title
NO_BREAK = "\u00a0"  # between the words of a type label, so a wrapped line never splits "[skills guide]"


# Skipped and failed files listed one a line after the summary; the rest are counted (--json lists them all).
MAX_LISTED = 10


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _skipped_summary(report: IngestReport) -> str:
    """"2 skipped (.docx: unsupported type ×2)": the skipped files, grouped by why."""
    files = [s for s in report.skipped if not s.path.endswith("/")]
    if not files:
        return ""
    reasons = Counter(s.reason for s in files)
    grouped = ", ".join(reason if n == 1 else f"{reason} ×{n}" for reason, n in reasons.most_common())
    return f"{len(files)} skipped ({grouped})"


def ingest_summary(report: IngestReport) -> str:
    """"3 files found: 2 ingested, 1 skipped (.docx: unsupported type)": every file the run found, by outcome."""
    failed = [f for f in report.failed if f.code != "not_found"]  # a path that does not exist is no file found
    ingested = len(report.added) + len(report.updated)
    found = ingested + len(report.unchanged) + len(failed) + sum(not s.path.endswith("/") for s in report.skipped)
    parts = [f"{ingested} ingested"]
    parts += [f"{n} {name}" for name, n in (("unchanged", len(report.unchanged)), ("failed", len(failed))) if n]
    parts += [part for part in (_skipped_summary(report),) if part]
    folders = sum(s.path.endswith("/") for s in report.skipped)
    left_out = f"; {_plural(folders, 'folder')} not searched" if folders else ""
    return f"{_plural(found, 'file')} found: {', '.join(parts)}{left_out}"


def print_report(report: IngestReport) -> None:
    """The ingest summary, what it did to the index, then each failed, skipped and warned-about file and why."""
    from rich.text import Text

    out = console()
    lines = wrap(Text(ingest_summary(report) + ".", style="bold"), out.width, 2, Text())
    if not report.changed:  # a file that failed again changes nothing either; it is listed below
        done = f"Nothing changed in {report.index_dir}: {len(report.unchanged)} document(s) up to date, 0 chunks embedded."
    else:
        done = (f"Index {report.index_dir}: {len(report.added)} added, {len(report.updated)} updated, {len(report.removed)} removed; "
                f"{report.chunks_embedded} chunk(s) embedded in {report.seconds:.1f} s.")
    lines += wrap(Text(done), out.width, 2, Text())
    listed = [*(("failed", f.path, f.reason) for f in report.failed), *(("skipped", s.path, s.reason) for s in report.skipped),
              *(("warned", w.path, "; ".join(w.warnings)) for w in report.warnings)]
    styles = {"failed": "red", "skipped": "yellow", "warned": "dim"}
    for outcome, path, reason in listed[:MAX_LISTED]:
        lines += wrap(Text(f"{path}: {reason}"), out.width, 12, Text(f"  {outcome:<8}  ", style=styles[outcome]))
    if len(listed) > MAX_LISTED:
        lines.append(Text(f"  … and {len(listed) - MAX_LISTED} more (kb ingest --json lists them all)", style="dim"))
    if any(s.code == "unsupported_type" for s in report.skipped):
        from kb.ingest.loaders import LOADERS  # the loaders' modules, only when a file was skipped for its type

        lines += wrap(Text(f"kb reads {', '.join(sorted(LOADERS))} files.", style="dim"), out.width, 2)
    _print_lines(out, lines)


def _where(passage: Any) -> str:
    """"page 12 (printed 10) · 3. Assessment › Methods": where in its document a passage is."""
    where = []
    if passage.page is not None:
        label = f" (printed {passage.page_label})" if passage.page_label and passage.page_label != str(passage.page) else ""
        where.append(f"page {passage.page}{label}")
    if passage.heading_path:
        where.append(" › ".join(passage.heading_path))
    return " · ".join(where)


def _head(hit: Hit, width: int, first: Text, dated: bool = True) -> list[Text]:
    """`first` (" 1. ", a date), then "Title  [tool report]  2021-03-01"; the title's next lines under its start."""
    from rich.text import Text

    head = Text(hit.title, style="bold")
    head.append(f"  [{hit.type.replace('_', NO_BREAK)}]", style=TYPE_STYLES.get(hit.type, "white"))
    if hit.date and dated:
        head.append(f"  {hit.date}", style="dim")
    return wrap(head, width, len(first), first)


def _citation(doc_id: str, where: str, width: int) -> list[Text]:
    """The document's id, never broken, and where the passage is; on two lines when they do not fit on one."""
    from rich.text import Text

    line = Text(" " * INDENT)
    line.append(doc_id, style="blue")
    if not where:
        return [line]
    if INDENT + len(doc_id) + 2 + len(where) <= width:
        line.append("  " + where, style="dim")
        return [line]
    return [line, *wrap(Text(where, style="dim"), width, INDENT + 2)]


def _hit_lines(rank: int, hit: Hit, width: int) -> list[Text]:
    """The lines of one hit: its head, each passage's place and snippet, its score, a blank line."""
    from rich.text import Text

    lines = _head(hit, width, Text(f"{rank:>2}. ", style="bold"))
    for passage in hit.passages:
        snippet = Text(passage.snippet)
        for start, end in passage.highlights:
            snippet.stylize("bold yellow", start, end)
        lines += [*_citation(hit.doc_id, _where(passage), width), *wrap(snippet, width, INDENT)]
    return [*lines, Text(" " * INDENT + f"score {hit.score:.4f} ({hit.score_kind})", style="dim"), Text()]


def _notes(result: SearchResult, width: int) -> list[Text]:
    """The notices (verbatim) and, when the result is not confident, why: before the hits."""
    from rich.text import Text

    said = [*result.notices]
    if result.hits and not result.confident:
        said.append(result.confidence_reason or NOT_CONFIDENT)
    lines: list[Text] = []
    for sentence in said:
        lines += wrap(Text(sentence, style="yellow"), width)
    if result.corrections:
        lines += wrap(Text("(--as-typed searches the words as you typed them.)", style="dim"), width)
    return [*lines, Text()] if lines else []


def _print_lines(out: Any, lines: list[Text]) -> None:
    from rich.text import Text

    # One print of the lines joined: each print of rich's renders, wraps and writes on its own, and costs more
    # than its line (measured: ~70 prints took ~40 ms of a one-shot search). kb has wrapped them: rich must not.
    out.print(Text("\n").join(lines), no_wrap=True, overflow="ignore", crop=False)


def print_result(result: SearchResult) -> None:
    """A search (or `similar`) result: notices, the hits with their passages, a closing line."""
    from rich.text import Text

    out = console()
    lines = _notes(result, out.width)
    if not result.hits:
        why = result.confidence_reason  # why nothing was found (none for a browse)
        asked = result.query if result.query[:1] in "\"“«" else f"“{result.query}”"  # a phrase has its own quotes
        _print_lines(out, [*lines, Text(f"No results for {asked}." + (f" {why}" if why else ""))])
        return
    for rank, hit in enumerate(result.hits, start=1):
        lines += _hit_lines(rank, hit, out.width)
    lines.append(Text(f"{len(result.hits)} document(s), {result.mode} search, {result.took_ms:.0f} ms", style="dim"))
    _print_lines(out, lines)


BROWSE_INDENT = 12  # a listing's lines start under its titles, after the date


def _browse_block(hit: Hit, width: int) -> list[Text]:
    """One document of a listing: date, title and type; its whole id on a line of its own; topics, countries."""
    from rich.text import Text

    lines = _head(hit, width, Text(f"{hit.date or 'undated':<{BROWSE_INDENT - 2}}  ", style="dim"), dated=False)
    lines.append(Text(" " * BROWSE_INDENT).append(hit.doc_id, style="blue"))
    facets = [f"{name}: {', '.join(values)}" for name, values in
              (("topics", hit.metadata.get("topics", ())), ("countries", hit.metadata.get("countries", ()))) if values]
    if facets:
        lines += wrap(Text("; ".join(facets), style="dim"), width, BROWSE_INDENT)
    return [*lines, Text()]


def print_browse(result: SearchResult) -> None:
    """A listing, one document a block, each with its whole id (to copy into `kb similar` or `kb show`), after its
    notices (a question that names a type of document is answered with a listing)."""
    from rich.text import Text

    out = console()
    if not result.hits:
        _print_lines(out, [*_notes(result, out.width), Text("No documents match these filters.")])
        return
    shown = f", showing {len(result.hits)}" if result.total and result.total > len(result.hits) else ""
    lines = [*_notes(result, out.width), Text(f"{result.total} document(s){shown}", style="bold"), Text()]
    for hit in result.hits:
        lines += _browse_block(hit, out.width)
    _print_lines(out, lines[:-1])


def print_topics(listed: Sequence[Mapping[str, object]]) -> None:
    """The taxonomy's topics with their document counts: "   19  TVET and vocational training systems  tvet-systems"."""
    from rich.text import Text

    out = console()
    lines = [Text("documents  topic  id", style="bold")]
    for topic in listed:
        line = Text(str(topic["label"]))
        line.append(f"  {topic['id']}", style="dim")
        lines += wrap(line, out.width, 11, Text(f"{topic['documents']:>9}  "))
    _print_lines(out, lines)


def _index_kind(index: Mapping[str, Any]) -> str:
    """'ivf (nlist 4000, nprobe 32, SQ8, chosen by auto)' from manifest["index"]."""
    kind = index.get("kind", "flat")
    details = [f"{name} {index[name]}" for name in ("nlist", "nprobe") if name in index]
    if "quantizer" in index:
        details.append(index["quantizer"])
    if "screen" in index:
        details.append("8-bit screen")
    if index.get("requested") == "auto":
        details.append("chosen by auto")
    return f"{kind} ({', '.join(details)})" if details else kind


def print_info(data: IndexInfo) -> None:
    """What `kb info` shows: one line a fact, the index folder whole."""
    from rich.text import Text

    rows = [
        ("index", data.index_dir),
        ("documents", f"{data.documents}  ({', '.join(f'{n} {t}' for t, n in data.types.items())})"),
        ("chunks", str(data.chunks)),
        ("model", f"{data.model}  (dimension {data.dimension}, sha256 {data.model_hash[:12]})"),
        ("index kind", _index_kind(data.index)),
        ("size on disk", f"{data.size_bytes / 2**20:.1f} MB"),
        ("last update", data.updated_at),
        ("created", data.created_at),
    ]
    out = console()
    lines: list[Text] = []
    for name, value in rows:
        lines += wrap(Text(value), out.width, 14, Text(f"{name:<12}  ", style="bold"))
    _print_lines(out, lines)


def print_document(fields: Mapping[str, Any], outline: Sequence[Mapping[str, Any]]) -> None:
    """What `kb show` prints: a field a line (lists joined), wrapped under its value; then where the text lives,
    a line per page and heading with its chunk count."""
    from rich.text import Text

    out = console()
    lines: list[Text] = []
    for name, value in fields.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        lines += wrap(Text(shown), out.width, 11, Text(f"{name + ':':<10} ", style="bold"))
    if outline:
        lines.append(Text("outline:", style="bold"))
        for entry in outline:
            page = f"p. {entry['page']}" + (f" ({entry['page_label']})" if entry.get("page_label") else "") if entry.get("page") else ""
            where = " › ".join(entry.get("heading_path") or []) or "(no heading)"
            lines += wrap(Text(f"{where}  [{_plural(int(entry['chunks']), 'chunk')}]"), out.width, 13,
                          Text(f"  {page:<10} " if page else "  "))
    _print_lines(out, lines)


def print_eval(results: Sequence[Any], dataset: str, split: str) -> None:
    """nDCG@10, Recall@100 and MRR@10 per mode."""
    from rich.table import Table

    table = Table(title=f"{dataset} ({split}, {results[0].queries} queries)")
    for column in ("mode", "nDCG@10", "Recall@100", "MRR@10", "seconds"):
        table.add_column(column, justify="left" if column == "mode" else "right")
    for r in results:
        table.add_row(r.mode, f"{r.ndcg_at_10:.4f}", f"{r.recall_at_100:.4f}", f"{r.mrr_at_10:.4f}", f"{r.seconds:.1f}")
    console().print(table)
