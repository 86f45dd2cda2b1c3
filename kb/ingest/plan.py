"""Plan: what an ingest must do, from what was found against what the index holds. Pure: no I/O.

Given the documents found (their ids, roots and content digests, computed before) and the index's
`{doc_id: (content_hash, root)}`, the plan says which to add, update, leave unchanged or remove, which
found ones cannot be used (a second file with the same id, a file that could not be read), and for each
document to prepare, which stored document's vectors it may reuse.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from kb.records import FileFailure


@dataclass(frozen=True)
class Found:
    """One document found at a source (a file on disk, a record), as the plan sees it."""

    doc_id: str
    label: str  # what a failure names: the file path, or the record's id
    root: str  # the folder (or collection) it was found under
    digest: str | None  # of its content; None when it could not be read (`problem` says why)
    problem: str = ""


@dataclass(frozen=True)
class Plan:
    """What one ingest does. Ids are doc ids; `prepare` is in the order the documents were found."""

    prepare: tuple[Found, ...]  # to load, chunk and embed: the new and the changed
    add: tuple[str, ...]  # ids of `prepare` the index does not hold
    update: tuple[str, ...]  # ids of `prepare` the index holds (their content changed, or the chunker did)
    unchanged: tuple[str, ...]
    remove: tuple[str, ...]  # held under a root that was walked, and not found there any more
    failures: tuple[FileFailure, ...] = ()  # duplicate ids and unreadable files, in the order found
    # Doc id to prepare -> the stored document whose chunk vectors it may reuse (absent: none).
    reuse: Mapping[str, str] = field(default_factory=dict)

    @property
    def unreadable(self) -> tuple[FileFailure, ...]:
        """The found documents whose content could not be read."""
        return tuple(f for f in self.failures if f.code == "unreadable")


def plan(found: Sequence[Found], known: Mapping[str, tuple[str, str]], walked_roots: Collection[str],
         chunker_changed: bool = False) -> Plan:
    """The diff of `found` against the index's `known` {doc_id: (content_hash, root)}.

    A document the index holds under one of `walked_roots` that was not found is removed; one found unreadable
    is kept as it is. When `chunker_changed`, every found document is prepared again and no vector is reused.
    """
    seen: set[str] = set()
    prepare: list[Found] = []
    unchanged: list[str] = []
    failures: list[FileFailure] = []
    for item in found:
        if item.doc_id in seen:
            failures.append(FileFailure(item.label, "duplicate_id", f"another ingested file already has the id {item.doc_id!r}"))
            continue
        seen.add(item.doc_id)
        if item.digest is None:
            failures.append(FileFailure(item.label, "unreadable", item.problem))
        elif item.doc_id in known and known[item.doc_id][0] == item.digest and not chunker_changed:
            unchanged.append(item.doc_id)
        else:
            prepare.append(item)
    remove = sorted(d for d, (_, root) in known.items() if root in walked_roots and d not in seen)
    return Plan(
        prepare=tuple(prepare),
        add=tuple(f.doc_id for f in prepare if f.doc_id not in known),
        update=tuple(f.doc_id for f in prepare if f.doc_id in known),
        unchanged=tuple(unchanged),
        remove=tuple(remove),
        failures=tuple(failures),
        reuse={} if chunker_changed else _reusable(prepare, known, remove),
    )


def _reusable(prepare: Iterable[Found], known: Mapping[str, tuple[str, str]], remove: Sequence[str]) -> dict[str, str]:
    """Where a document's earlier chunk vectors may come from: its own stored version when it changed, or a
    removed document with the same content when it was moved or renamed (removed only after the writing).
    A new chunker may cut or label chunks differently, so the caller asks for none then."""
    removed_by_digest = {known[d][0]: d for d in remove}
    reuse: dict[str, str] = {}
    for item in prepare:
        if item.doc_id in known:
            reuse[item.doc_id] = item.doc_id
        elif item.digest in removed_by_digest:
            reuse[item.doc_id] = removed_by_digest[item.digest]
    return reuse
