"""Errors kb raises. Each message says what went wrong and how to fix it.

Each class carries a stable `code` and the HTTP status the API answers it with: 4xx when the request
can be fixed by whoever sent it, 5xx when the server (its settings, its index) has to be.

Hierarchy (HTTP status)::

    KBError                      anything kb reports to a person                        500
    ├── ConfigError              a setting has a bad value                              500
    ├── IndexNotFound            no index where one was expected                        503
    ├── IndexMismatch            the index was built with another model or schema       500
    ├── IndexLocked              another process is writing the index                   409
    ├── DocumentNotFound         no document with that id                               404
    ├── QueryError               the query or its filters are not valid                 400
    │   └── FilterError          a filter cannot be met, said in each edge's own words  400
    │       ├── UnknownFilter    a filter names a field or value the index does not know 400
    │       └── BackwardsDates   the dates a filter allows end before they begin        400
    ├── UploadRefused            an upload is refused, and none of its files kept       400
    │   ├── BadFileName          no file can be stored under that name                  400
    │   ├── DuplicateFile        the same name twice in one upload                      400
    │   ├── UnsupportedUpload    no loader reads files of that kind                     415
    │   └── FileTooLarge         over the upload size limit                             413
    └── LoadError                one file could not be turned into a document           422
        ├── UnsupportedFile      no loader for this kind of file                        415
        ├── EmptyDocument        the file holds no extractable text                     422
        └── EncryptedDocument    the file is encrypted and cannot be opened             422
"""

from __future__ import annotations

from collections.abc import Callable, Sequence


class KBError(Exception):
    """Base class for every error kb reports to a person."""

    code = "kb_error"
    http_status = 500  # an error no subclass describes is the server's to fix


class ConfigError(KBError):
    """A setting has a value kb cannot use."""

    code = "bad_config"
    http_status = 500  # the server's settings, not the client's request


class IndexNotFound(KBError):
    """There is no index in the directory that was asked for."""

    code = "no_index"
    http_status = 503  # the service is up but has nothing to search yet


class IndexMismatch(KBError):
    """The index was built with a different model, dimension or schema."""

    code = "index_mismatch"
    http_status = 500  # the server's index and model disagree; no request can fix that


class IndexLocked(KBError):
    """Another process holds the index's write lock."""

    code = "index_locked"
    http_status = 409


class DocumentNotFound(KBError):
    """No document with that id is in the index."""

    code = "not_found"
    http_status = 404

    def __init__(self, message: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.suggestions = tuple(suggestions)  # close ids, for the edge to offer


class QueryError(KBError):
    """The query or one of its filters is not valid."""

    code = "bad_query"
    http_status = 400


# How an edge writes one filter, e.g. ("type", "tool_report") -> "--type tool_report" (CLI) or "type=tool_report" (API).
Spelling = Callable[[str, str], str]


class FilterError(QueryError):
    """A filter cannot be met; `explain` says so with the filters as the edge takes them."""

    def explain(self, spell: Spelling) -> str:
        """The message in an edge's own words: `spell` writes a filter as that edge takes it."""
        raise NotImplementedError


class UnknownFilter(FilterError):
    """A filter names a field, or a value of a field, that the index does not know."""

    code = "unknown_filter"
    http_status = 400

    def __init__(self, field: str, value: str, suggestions: Sequence[str] = (), known: Sequence[str] = (),
                 field_known: bool = True) -> None:
        self.field, self.value, self.field_known = field, value, field_known
        self.suggestions, self.known = tuple(suggestions), tuple(known)
        super().__init__(self.explain(lambda name, v: f"{name}={v}"))

    def explain(self, spell: Spelling, most: int = 20) -> str:
        """The message in an edge's own words: `spell` writes a filter as that edge takes it."""
        what = f"the index has no {self.field} {self.value!r}" if self.field_known else f"the index has no field {self.field!r}"
        parts = [f"{spell(self.field, self.value)}: {what}."]
        if self.suggestions:
            spelt = (spell(self.field, s) if self.field_known else spell(s, self.value) for s in self.suggestions)
            parts.append("Did you mean " + " or ".join(spelt) + "?")
        if self.known:
            shown = ", ".join(self.known[:most]) + (f" and {len(self.known) - most} more" if len(self.known) > most else "")
            parts.append(f"{'Known values' if self.field_known else 'Fields'}: {shown}.")
        return " ".join(parts)


class OutsideRegion(FilterError):
    """The countries a filter names are none of the region's it names too ("--country Kenya --region 'West Africa'"):
    no document could pass."""

    code = "countries_outside_region"
    http_status = 400

    def __init__(self, countries: Sequence[str], regions: Sequence[str]) -> None:
        self.countries, self.regions = tuple(countries), tuple(regions)
        super().__init__(self.explain(lambda name, v: f"{name}={v}"))

    def explain(self, spell: Spelling) -> str:
        """The message in an edge's own words: `spell` writes a filter as that edge takes it."""
        given = " ".join([*(spell("country", c) for c in self.countries), *(spell("region", r) for r in self.regions)])
        return f"{given}: no country given is in {' or '.join(self.regions)}, so no document could pass."


class BackwardsDates(FilterError):
    """The filter's first date (since) is after its last (until): no document could pass."""

    code = "backwards_dates"
    http_status = 400

    def __init__(self, since: str, until: str) -> None:
        self.since, self.until = since, until
        super().__init__(self.explain(lambda name, v: f"{name}={v}"))

    def explain(self, spell: Spelling) -> str:
        """The message in an edge's own words: `spell` writes a filter as that edge takes it."""
        return (f"{spell('since', self.since)} {spell('until', self.until)}: the date range ends before it begins, so no "
                f"document could pass. Did you mean {spell('since', self.until)} {spell('until', self.since)}?")


class UploadRefused(KBError):
    """An uploaded file cannot be kept, so nothing of its upload is stored."""

    code = "bad_upload"
    http_status = 400


class BadFileName(UploadRefused):
    """No file can be stored under the name an upload gave."""

    code = "bad_file_name"
    http_status = 400


class DuplicateFile(UploadRefused):
    """One upload holds two files of the same name."""

    code = "duplicate_file"
    http_status = 400


class UnsupportedUpload(UploadRefused):
    """An uploaded file is of a kind no loader reads."""

    code = "unsupported_file"
    http_status = 415


class FileTooLarge(UploadRefused):
    """An uploaded file is over the upload size limit."""

    code = "too_large"
    http_status = 413


class LoadError(KBError):
    """A file could not be turned into a document; the ingest run goes on."""

    code = "load_failed"
    http_status = 422  # the file was received but cannot be read as a document


class UnsupportedFile(LoadError):
    """No loader handles this kind of file."""

    code = "unsupported"
    http_status = 415


class EmptyDocument(LoadError):
    """The file holds no text that can be extracted."""

    code = "empty"
    http_status = 422


class EncryptedDocument(LoadError):
    """The file is encrypted and cannot be opened without a password."""

    code = "encrypted"
    http_status = 422
