"""Names people use -> the index's: document ids from paths, filter values from labels, sources shown relative.

The service calls these with its reader; each answers from one snapshot's typed reads.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from kb.errors import DocumentNotFound, UnknownFilter
from kb.records import DOCUMENT_TYPES, TYPE_ALIASES, Document, SearchResult
from kb.search.filters import SUGGESTIONS, KnownValues, close_matches, spelling

if TYPE_CHECKING:
    from kb.index.store import IndexReader
    from kb.ingest_records import IngestReport

# Fields every index can filter on, whether or not a document carries them yet.
ALWAYS_FIELDS = ("type", "language", "topic", "country", "region", "year")
# Close ids an unknown id's error suggests.
SUGGESTED_IDS = 3


def known_values(reader: IndexReader, topics_path: Path | None) -> KnownValues:
    """What filters may name in this snapshot: its facet values, the document types, the taxonomy's topics (ids
    and labels) and the country table's countries and regions (names, aliases and codes)."""
    fields = sorted(reader.facet_fields() | set(ALWAYS_FIELDS))
    stored = reader.facet_counts(None, fields)
    names: dict[str, list[tuple[str, str]]] = {f: [(v, v) for v in stored.get(f, {})] for f in fields}
    names["type"] += [(t, t) for t in DOCUMENT_TYPES] + list(TYPE_ALIASES.items())  # `--type toolkit`, `--type news`
    languages = set(stored.get("language", {}))

    # The country table is read when a value is not one of the index's own: it compiles a large pattern (~0.15 s).
    def country(value: str) -> str | None:
        from kb.ingest.enrich import countries

        found = countries().lookup(value)
        return found.code if found else None

    def country_names(value: str) -> list[str]:  # what an unknown country is offered instead: 'Ghanna' -> Ghana
        from kb.ingest.enrich import countries, fold

        table = countries()
        names = [name for name in table.by_name if len(name) > 3]  # not the codes: 'Kenyaa' is not 'KEN'
        close = close_matches(fold(value), names, SUGGESTIONS * 3)
        return list(dict.fromkeys(table.by_code[table.by_name[name]].name for name in close))

    def region(value: str) -> str | None:
        from kb.ingest.enrich import countries

        regions = {spelling(c.region): c.region for c in countries().by_code.values()}
        return regions.get(spelling(value))

    def language(value: str) -> str | None:  # 'English', 'en-GB' -> 'en', when the index holds that language
        from kb.ingest.metadata import normalise_language

        code = normalise_language(value)
        return code if code in languages else None

    taxonomy: list[KnownValues] = []

    def topic(value: str) -> str | None:  # a taxonomy topic by id or label, with documents or not
        from kb.topics import Taxonomy

        if not taxonomy:  # read when a topic is not one of the index's: parsing topics.yaml takes ~0.1-0.3 s
            taxonomy.append(KnownValues.build({"topic": [(t.label, t.id) for t in Taxonomy.load(topics_path).topics]}))
        try:
            return taxonomy[0].value("topic", value)
        except UnknownFilter:
            return None

    return KnownValues.build(names, {"country": country, "region": region, "language": language, "topic": topic},
                             {"country": country_names})


def document_id(reader: IndexReader, ref: str, cwd: Path) -> str:
    """The id of the document `ref` names: its id, a path under an ingested root, or a path as a shell completes
    it (relative to `cwd`, or absolute); DocumentNotFound, with the closest ids, when it names none."""
    text = ref.strip()
    if text and text in reader.documents([text]):  # an id as given: no file system asked
        return text
    candidates = [PurePosixPath(os.path.normpath(text)).as_posix()] if text else []
    full = _full_path(text, cwd)
    if full is not None:
        candidates += [full.relative_to(root).as_posix() for root in reader.roots
                       if os.path.isabs(root) and full.is_relative_to(root)]
    found = reader.documents(candidates)
    for candidate in candidates:
        if candidate in found:
            return candidate
    ids = reader.document_ids()
    tail = [i for i in ids if text.endswith("/" + i)]  # a path that ends in an id: corpus/tool-reports/x.pdf
    if len(tail) == 1:
        return tail[0]
    raise not_found(ref, ids)


def document_file(reader: IndexReader, doc_id: str) -> Path:
    """The original file of a document, only from inside the folder it was ingested from; DocumentNotFound else."""
    try:
        root_name = reader.document_root(doc_id)
    except DocumentNotFound:
        raise DocumentNotFound(f"No file for document {doc_id!r}.") from None
    if root_name.startswith("beir:"):
        raise DocumentNotFound(f"No file for document {doc_id!r}.")
    root = Path(root_name).resolve()
    path = (root / doc_id).resolve()
    # The id came from a path under the root; anything resolving elsewhere (.., symlinks) is refused.
    if not path.is_relative_to(root) or not path.is_file():
        raise DocumentNotFound(f"No file for document {doc_id!r}.")
    return path


def _full_path(text: str, cwd: Path) -> Path | None:
    """`text` as an absolute path (relative ones from `cwd`; a shell has already expanded ~), None if it is none."""
    if not text:
        return None
    try:
        path = Path(text)
        return (path if path.is_absolute() else cwd / path).resolve()
    except (OSError, ValueError):  # a NUL byte, a name too long: not a path of this machine
        return None


def not_found(ref: str, ids: list[str]) -> DocumentNotFound:
    """DocumentNotFound for `ref`, suggesting the ids closest to it: same file name, a cut id's whole, or alike."""
    name = PurePosixPath(ref.strip()).name
    stem = ref.strip().rstrip(".…")
    same = [i for i in ids if PurePosixPath(i).name == name
            or (stem and (i.startswith(stem) or PurePosixPath(i).name.startswith(stem)))]
    alike = close_matches(ref, ids, SUGGESTED_IDS)
    names = {PurePosixPath(i).name: i for i in ids}
    alike += [names[n] for n in close_matches(name, list(names), SUGGESTED_IDS)]
    suggestions = list(dict.fromkeys(same + alike))[:SUGGESTED_IDS]
    hint = f" Did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
    return DocumentNotFound(f"No document {ref!r} in the index.{hint} List them with: kb browse", suggestions)


def relative_source(source: str, roots: Iterable[str]) -> str:
    """Where a document came from, relative to the folder it was ingested from (a record: its id in its collection)."""
    for root in roots:  # longest first: a root inside another names the shorter path
        if source.startswith(root) and source[len(root):len(root) + 1] in ("/", "#", os.sep):
            return source[len(root) + 1:]
    return PurePosixPath(source).name if os.path.isabs(source) else source


def shown_result(result: SearchResult, roots: Iterable[str]) -> SearchResult:
    """The result with each hit's source relative to its root."""
    roots = tuple(roots)
    hits = tuple(dataclasses.replace(h, source=relative_source(h.source, roots)) for h in result.hits)
    return dataclasses.replace(result, hits=hits)


def shown_document(document: Document, roots: Iterable[str]) -> Document:
    """The document with its source relative to its root."""
    return dataclasses.replace(document, source=relative_source(document.source, roots))


def shown_report(report: IngestReport, folder: Path) -> IngestReport:
    """An upload's report naming its files relative to the uploads `folder`, and the index by its folder's name."""
    root = str(folder.resolve())
    changes: dict[str, object] = {"index_dir": Path(report.index_dir).name}
    for f in dataclasses.fields(report):
        entries = getattr(report, f.name)
        if isinstance(entries, tuple) and entries and all(dataclasses.is_dataclass(e) and hasattr(e, "path") for e in entries):
            changes[f.name] = tuple(_shown_entry(e, root) for e in entries)
    return dataclasses.replace(report, **changes)  # type: ignore[arg-type]


def _shown_entry(entry, root: str):
    changes = {"path": relative_source(entry.path, (root,))}
    if isinstance(getattr(entry, "reason", None), str):
        changes["reason"] = entry.reason.replace(root + os.sep, "")
    return dataclasses.replace(entry, **changes)
