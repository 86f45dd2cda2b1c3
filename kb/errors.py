"""Errors kb raises. Each message says what went wrong and how to fix it.

Hierarchy::

    KBError                      anything kb reports to a person
    ├── ConfigError              a setting has a bad value
    ├── IndexNotFound            no index where one was expected
    ├── IndexMismatch            the index was built with another model or schema
    ├── IndexLocked              another process is writing the index
    ├── DocumentNotFound         no document with that id
    ├── QueryError               the query or its filters are not valid
    └── LoadError                one file could not be turned into a document
        ├── UnsupportedFile      no loader for this kind of file
        ├── EmptyDocument        the file holds no extractable text
        └── EncryptedDocument    the file is encrypted and cannot be opened
"""

from __future__ import annotations


class KBError(Exception):
    """Base class for every error kb reports to a person."""

    code = "kb_error"


class ConfigError(KBError):
    """A setting has a value kb cannot use."""

    code = "bad_config"


class IndexNotFound(KBError):
    """There is no index in the directory that was asked for."""

    code = "no_index"


class IndexMismatch(KBError):
    """The index was built with a different model, dimension or schema."""

    code = "index_mismatch"


class IndexLocked(KBError):
    """Another process holds the index's write lock."""

    code = "index_locked"


class DocumentNotFound(KBError):
    """No document with that id is in the index."""

    code = "not_found"


class QueryError(KBError):
    """The query or one of its filters is not valid."""

    code = "bad_query"


class LoadError(KBError):
    """A file could not be turned into a document; the ingest run goes on."""

    code = "load_failed"


class UnsupportedFile(LoadError):
    """No loader handles this kind of file."""

    code = "unsupported"


class EmptyDocument(LoadError):
    """The file holds no text that can be extracted."""

    code = "empty"


class EncryptedDocument(LoadError):
    """The file is encrypted and cannot be opened without a password."""

    code = "encrypted"
