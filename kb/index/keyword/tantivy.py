"""The tantivy keyword engine: Tantivy's BM25 (block-max WAND over immutable segments) in the snapshot's folder.

    snapshots/NAME/tantivy/    meta.json, .managed.json and the segment files of one Tantivy index, and
                               kb-analysis.json: the analysis version of its tokens (none: 1, all English)

A write (kb/index/keyword/tantivy_write.py) starts from the previous snapshot's index: its segment files are
immutable, so they are hard-linked into the new snapshot's folder (meta.json and .managed.json are copied), and the
new segments and delete files are written there alone. The old folder is never written, so its readers keep their view.

Scoring equals FTS5's bm25 (kb/index/keyword/fts5.py), so the hybrid's scale and relevance stay as they were:
- column weights title 2, heading 1, text 1 make FTS5's one BM25 over weighted term counts with the row's
  whole length, so the title is indexed twice in one `body` field (Tantivy's field boosts would instead sum
  three separately saturated BM25s, another model);
- the same tokens: kb/index/keyword/analysis.py (FTS5's tokenizer and Porter stems) makes them, Tantivy's
  whitespace tokenizer only splits them; a document in French, Spanish, Italian or Dutch is analysed in its own
  language (its stemmer and stop words) and a question in the languages kb/search/query.py names;
- the same IDF: each term's query is boosted by FTS5's IDF over Tantivy's, log((N - n + 0.5) / (n + 0.5)) over
  log(1 + (N - n + 0.5) / (n + 0.5)); a boost keeps block-max WAND pruning.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Callable, Collection, Sequence
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING

from kb.errors import IndexNotFound
from kb.index.keyword.analysis import ANALYSIS_VERSION, ENGLISH_ONLY, fold, query_tokens
from kb.languages import LANGUAGES

if TYPE_CHECKING:
    import tantivy

    from kb.index.keyword import Query
    from kb.index.keyword.tantivy_write import TantivyWriter

NAME = "tantivy"
FOLDER = "tantivy"
# The one body field: each document's tokens in its own language's analysis. One field keeps one BM25 (and one
# scale for the hybrid) over the whole index; languages rarely share a stem, and when they do ("format") it is
# mostly one word.
BODY = "body"
# The analysis version of the index's tokens (kb/index/keyword/analysis.py), written when the index is created.
ANALYSIS_FILE = "kb-analysis.json"
# Tokens whose document frequency a reader keeps (~100 bytes each).
DOC_FREQS = 65536
# Hits fetched past the k asked for, so that equal scores at the k-th place can be decided by chunk id.
TIE_SLACK = 16


def _schema() -> tantivy.Schema:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("chunk_id", indexed=True, fast=True)  # indexed: deletes by term; fast: read per hit
    builder.add_text_field("doc_id", tokenizer_name="raw", index_option="basic")  # filters by document
    # Term counts without positions: BM25 needs no more, and the index is smaller and faster to write.
    builder.add_text_field(BODY, tokenizer_name="whitespace", index_option="freq")
    return builder.build()


def open_folder(folder: Path) -> tantivy.Index:
    """The Tantivy index in a snapshot's folder."""
    import tantivy

    return tantivy.Index.open(str(folder / FOLDER))


def create(db: sqlite3.Connection, folder: Path) -> None:
    """An empty index in a new snapshot's folder."""
    import tantivy

    (folder / FOLDER).mkdir()
    tantivy.Index(_schema(), path=str(folder / FOLDER), reuse=False)
    (folder / FOLDER / ANALYSIS_FILE).write_text(json.dumps({"version": ANALYSIS_VERSION}), encoding="utf-8")


def drop(db: sqlite3.Connection, folder: Path) -> None:
    """Nothing to drop in a snapshot being built: a write that rebuilds the index does not carry it over."""


def analysis_version(folder: Path) -> int:
    """The analysis version of the snapshot's tokens: an index created before versions were written has 1."""
    try:
        return int(json.loads((folder / FOLDER / ANALYSIS_FILE).read_text(encoding="utf-8"))["version"])
    except FileNotFoundError:
        return ENGLISH_ONLY


def writer(db: sqlite3.Connection, folder: Path, previous: Path | None) -> TantivyWriter:
    from kb.index.keyword.tantivy_write import TantivyWriter, carry_over  # what reads an index needs none of it

    if previous is not None:
        carry_over(previous, folder)
    return TantivyWriter(db, folder)


def tantivy_idf(doc_freq: int, docs: int) -> float:
    """Tantivy's BM25 IDF, log(1 + (N - n + 0.5) / (n + 0.5)), never 0."""
    return math.log(1.0 + (docs - doc_freq + 0.5) / (doc_freq + 0.5))


def idf(doc_freq: int, docs: int) -> float:
    """FTS5's BM25 IDF, log((N - n + 0.5) / (n + 0.5)), at least 1e-6: what this engine's scores use."""
    return max(1e-6, math.log((docs - doc_freq + 0.5) / (doc_freq + 0.5)))


class TantivyIndex:
    """BM25 search of one snapshot: a searcher over its immutable segments, opened once."""

    def __init__(self, folder: Path) -> None:
        try:
            self.index = open_folder(folder)
            # The snapshot never changes: no watcher thread reloading on commits.
            self.index.config_reader(reload_policy="manual")
            self.searcher = self.index.searcher()
            # Tantivy's BM25 counts N (and n) with the deleted chunks its segments still hold; so does idf() here,
            # from the snapshot's own meta.json (N is not in the Python API), so that boost x Tantivy's IDF = idf().
            meta = json.loads((folder / FOLDER / "meta.json").read_text(encoding="utf-8"))
            self.docs = sum(int(segment["max_doc"]) for segment in meta["segments"])
            self.version = analysis_version(folder)
        except (ValueError, OSError, KeyError) as exc:
            raise IndexNotFound(f"The keyword index in {folder} is missing or damaged ({exc}). "
                                f"Rebuild it: kb reindex --index {folder.parent.parent}") from None
        self.schema = self.index.schema
        self._doc_freqs: dict[str, int] = {}

    def _doc_freq(self, token: str) -> int:
        """How many chunks hold the token. A search asks three times for each (its query, the hybrid's ceiling,
        the confidence's IDF) and a search box again at every pause: kept, up to DOC_FREQS tokens."""
        found = self._doc_freqs.get(token)
        if found is None:
            if len(self._doc_freqs) >= DOC_FREQS:
                self._doc_freqs.clear()
            found = self._doc_freqs[token] = self.searcher.doc_freq(BODY, token)
        return found

    def _term(self, token: str) -> tantivy.Query:
        """The token's term query, scored with FTS5's IDF in place of Tantivy's."""
        import tantivy

        found = self._doc_freq(token)
        term = tantivy.Query.term_query(self.schema, BODY, token, index_option="freq")
        return tantivy.Query.boost_query(term, idf(found, self.docs) / tantivy_idf(found, self.docs))

    def _query(self, tokens: Sequence[str], allowed: set[str] | None,
               groups: Sequence[tuple[float, Sequence[Sequence[str]]]] = (),
               about: Sequence[tuple[Collection[str], float]] = ()) -> tantivy.Query:
        """Any of the tokens in the body, and of each group's names (each a name's tokens) the one that scores best,
        a name's IDF at most the group's (that of the words its names stand for), and a score for each chunk of the
        `about` documents; with `allowed`, only in those documents (a filter that adds no score)."""
        import tantivy

        should = tantivy.Occur.Should
        clauses = [(should, self._term(token)) for token in tokens]
        for weight, names in groups:
            best = [self._capped(name, weight) for name in names]
            clauses.append((should, tantivy.Query.disjunction_max_query(best)))
        for tagged, score in about:
            those = tantivy.Query.term_set_query(self.schema, "doc_id", sorted(tagged))
            clauses.append((should, tantivy.Query.const_score_query(those, score)))
        terms = tantivy.Query.boolean_query(clauses)
        if allowed is None:
            return terms
        documents = tantivy.Query.term_set_query(self.schema, "doc_id", sorted(allowed))
        must = tantivy.Occur.Must
        return tantivy.Query.boolean_query([(must, terms), (must, tantivy.Query.const_score_query(documents, 0.0))])

    def _capped(self, name: Sequence[str], weight: float) -> tantivy.Query:
        """The name's tokens, any of them, scored as if their IDF summed to at most `weight`: "Thailand", standing for
        "Southeast Asia", weighs what the region's words weigh, not what a rare word weighs."""
        import tantivy

        query = tantivy.Query.boolean_query([(tantivy.Occur.Should, self._term(t)) for t in name])
        own = sum(idf(self._doc_freq(t), self.docs) for t in name)
        return tantivy.Query.boost_query(query, weight / own) if 0 < weight < own else query

    def _tokens(self, terms: Sequence[str], languages: Sequence[str]) -> list[str]:
        """The query terms as the index holds them (analysed in each language), each once: one term query per token."""
        return query_tokens(tuple(terms), tuple(languages), self.version)

    def search(self, terms: Sequence[str], k: int, allowed: set[str] | None = None,
               languages: Sequence[str] = ("en",),
               alternatives: Sequence[tuple[str, Sequence[str]]] = (),
               names: Sequence[str] = (),
               about: Sequence[tuple[Collection[str], float]] = ()) -> list[tuple[int, float]]:
        """[(chunk_id, bm25)] best first (ties by chunk id)."""
        tokens = self._tokens(terms, languages)
        if names:  # in every language's analysis: each chunk holds a name in its own document's
            tokens = list(dict.fromkeys([*tokens, *self._tokens([w for n in names for w in n.split()], LANGUAGES)]))
        groups = [(self.idf_sum(standing.split(), languages), held)  # each name as its tokens, in each language
                  for standing, group in alternatives
                  if (held := list(dict.fromkeys(tuple(named) for name in group for language in LANGUAGES
                                                 if (named := self._tokens(name.split(), (language,))))))]
        if not (tokens or groups) or k < 1 or (allowed is not None and not allowed):
            return []
        query = self._query(tokens, allowed, groups, about)
        # Equal scores at the k-th place go to the smaller chunk ids: tantivy keeps those its segments list first, which
        # differ between two builds of the same chunks (a reindex); so fetch more while the last still ties the k-th.
        fetch = k + TIE_SLACK
        hits = self.searcher.search(query, fetch, count=False).hits
        while len(hits) == fetch and hits[-1][0] == hits[k - 1][0]:
            fetch *= 2
            hits = self.searcher.search(query, fetch, count=False).hits
        ids = self.searcher.fast_field_values("chunk_id", [address for _, address in hits])
        found = [(int(i), float(s)) for (s, _), i in zip(hits, ids)]  # type: ignore[arg-type]
        found.sort(key=itemgetter(0))
        found.sort(key=itemgetter(1), reverse=True)  # stable: ties stay by chunk id (two C-keyed sorts, no lambda)
        return found[:k]

    def idf_sum(self, terms: Sequence[str], languages: Sequence[str] = ("en",)) -> float:
        """Sum of idf() over the analysed terms (FTS5's formula): a chunk's bm25 never exceeds (k1 + 1) = 2.2 x this."""
        return sum(idf(self._doc_freq(token), self.docs) for token in self._tokens(terms, languages))

    def holds(self, term: str, doc_ids: Collection[str], languages: Sequence[str] = ("en",)) -> bool:
        """Whether a chunk of one of these documents holds the term (any of its tokens). One query of term clauses:
        ~40 us on labour-docs, where `search` with `allowed` (a term set over doc_id) takes ~500 us."""
        import tantivy

        tokens = [t for t in self._tokens([term], languages) if self._doc_freq(t)]
        if not tokens or not doc_ids:
            return False
        should, must = tantivy.Occur.Should, tantivy.Occur.Must
        words = [(should, tantivy.Query.term_query(self.schema, BODY, t, index_option="basic")) for t in tokens]
        docs = [(should, tantivy.Query.term_query(self.schema, "doc_id", d, index_option="basic")) for d in doc_ids]
        query = tantivy.Query.boolean_query([(must, tantivy.Query.boolean_query(words)),
                                             (must, tantivy.Query.boolean_query(docs))])
        return bool(self.searcher.search(query, 1, count=False).hits)

    def doc_freq(self, word: str, languages: Sequence[str] = ("en",)) -> int:
        return max((self._doc_freq(t) for t in self._tokens([word], languages)), default=0)

    def holding_all(self, words: Sequence[str], k: int, languages: Sequence[str] = ("en",)) -> list[int] | None:
        import tantivy

        # Each word as search asks for it (any of its tokens, its analysis in each language), all of them required.
        each = [(tantivy.Occur.Must, self._query(tokens, None)) for tokens in (self._tokens([w], languages) for w in words)
                if tokens]
        if not each:
            return None if not words else []
        hits = self.searcher.search(tantivy.Query.boolean_query(each), k, count=False).hits
        return [int(i) for i in self.searcher.fast_field_values("chunk_id", [address for _, address in hits])]  # type: ignore[arg-type]

    def begins_term(self, word: str, languages: Sequence[str] = ("en",)) -> bool | None:
        return bool(self.searcher.terms_with_prefix(BODY, fold(word.lower()), limit=1))

    def chunk_ids(self) -> set[int]:
        """Every chunk id the keyword index holds (for integrity checks)."""
        import tantivy

        docs = self.searcher.num_docs
        if not docs:
            return set()
        hits = self.searcher.search(tantivy.Query.all_query(), docs, count=False).hits
        return {int(i) for i in self.searcher.fast_field_values("chunk_id", [a for _, a in hits])}  # type: ignore[arg-type]


def open_index(folder: Path, query: Query, chunk_count: Callable[[], int]) -> TantivyIndex:
    return TantivyIndex(folder)
