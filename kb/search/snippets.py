"""Snippets: the query's terms and stems, the words they mark in a passage, and the excerpt around them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from kb.index.keyword.analysis import word_token
from kb.languages import DEFAULT_LANGUAGE, QUESTION_WORDS, STOP_WORDS, fold, fold_letters
from kb.search.inflections import an_inflection

SNIPPET_CHARS = 280

# English's stop words; each language's are in kb/languages.py.
_STOPWORDS = STOP_WORDS[DEFAULT_LANGUAGE] | QUESTION_WORDS[DEFAULT_LANGUAGE]  # a question's words: "latest" is not one
_WORD = re.compile(r"\w+", re.UNICODE)


@lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("porter")


def query_terms(query: str, languages: Sequence[str] = (DEFAULT_LANGUAGE,)) -> list[str]:
    """The query's words that carry meaning: lowercased, the stop words of its `languages` dropped (all kept if
    nothing is left). Those words are never highlighted either: highlights mark the terms' stems."""
    stop = _stop_words(tuple(languages))
    words = [w.lower() for w in _WORD.findall(query)]
    kept = [w for w in words if w not in stop]
    return list(dict.fromkeys(kept or words))


def common_words_only(terms: Sequence[str], languages: Sequence[str] = (DEFAULT_LANGUAGE,)) -> bool:
    """Whether a question's terms (query_terms) are all stop words of its `languages`: "the", "of and the"."""
    stop = _stop_words(tuple(languages))
    return bool(terms) and all(t in stop for t in terms)


def _stop_words(languages: tuple[str, ...]) -> frozenset[str]:
    # a question's words in another language than English: its language's question words too ("comment", "cómo")
    return _STOPWORDS if languages == (DEFAULT_LANGUAGE,) else frozenset().union(*(STOP_WORDS[x] | QUESTION_WORDS[x] for x in languages))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Porter stem of a word, lowercased, accents folded ("competences" marks "compétences", as the index finds it)."""
    return _stemmer().stemWord(fold(word.lower()))


def highlight_spans(text: str, stems: set[str], language: str | None = None, terms: Sequence[str] = (),
                    asked_in: str | None = None) -> list[tuple[int, int]]:
    """[start, end) offsets of the words in text that stem as a query word does, accents aside. With the question's
    `terms`: in a passage in the question's language (`asked_in`) other than English, a word the keyword index reads
    as it reads a term ("aprendices" for "aprendiz"); in any other passage (`language`: its document's), a term or an
    inflection of one (inflection(): "pay" never marks "país", a Porter stem apart). In a passage not in English, never
    one of its language's stop words. Only words that begin like a stem are stemmed (a stem keeps its first letters)."""
    # "s" (of "people's") stems to nothing: not a word to mark; nor is a verb as empty as "get".
    stems = {s for s in stems if s and s not in _UNMARKED}
    if not stems:
        return []
    language = language or DEFAULT_LANGUAGE
    own = language != DEFAULT_LANGUAGE and language == asked_in and bool(terms)
    tokens = frozenset(word_token(language, t) for t in terms) - {""} if own else frozenset()
    asked = tuple(terms) if terms and not own else ()
    plain = tuple(t for t in asked if t.isascii())  # typed without accents: "cote" marks "côte" and "côté", "côte" not "côté"

    def marked(word: str) -> bool:
        if own:
            return word_token(language, word) in tokens
        if stem(word) not in stems:
            return False
        low = word.lower()
        return not asked or an_inflection(low, asked) or (plain != () and an_inflection(fold(low), plain))

    spans = [(s, e) for s, e in _starting_words(text, frozenset(stems)) if marked(text[s:e])]
    if any(h in text for h in _HYPHENS):
        spans = sorted(spans + [(s, e) for s, e in _compounds(text) if all(map(marked, _WORD.findall(text[s:e])))])
    stop = STOP_WORDS.get(language) if language != DEFAULT_LANGUAGE else None
    return [(s, e) for s, e in spans if text[s:e].lower() not in stop] if stop else spans


@lru_cache(maxsize=4096)
def stems_held(text: str, stems: frozenset[str]) -> frozenset[str]:
    """Those of `stems` that a word of text stems to (only the words that begin like a stem are stemmed, as in
    highlight_spans), kept: a search asks it of a chunk up to four times (grouping, the confidence)."""
    low = _lowered(text)
    if not _held_scannable(stems):
        return stems.intersection({stem(w) for w in set(_WORD.findall(low))})
    return stems.intersection({stem(w) for w in {low[start:end] for start, end in _word_starts(low, _prefixes(stems))}})


@lru_cache(maxsize=256)
def _lowered(text: str) -> str:
    # Lowered to find the question's stems in a chunk, then to mark them; accents folded as stem() folds them.
    return fold_letters(text.lower())


@lru_cache(maxsize=256)
def _word_starts(low: str, prefixes: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    """[start, end) of the \\w+ words of a lowercased text that begin with one of the prefixes (each a run of \\w
    characters), in text order. Found with str.find, prefix by prefix: a regex alternation of the prefixes tested its
    first-letter set at every position of the text, where a 3-6 letter prefix occurs a few times in a passage
    (callgrind, labour-docs' 177 questions: a search's regex work 5.4 -> 1.3 M instructions, with _lowered its whole
    31.5 -> 29.4 M). Kept for the search's next asking: a passage's marks look for the prefixes its held stems did."""
    starts = set()
    for prefix in prefixes:
        at = low.find(prefix)
        while at >= 0:
            if not (at and _is_word(low[at - 1])):
                starts.add(at)
            at = low.find(prefix, at + 1)
    return tuple([_WORD.match(low, start).span() for start in sorted(starts)])  # type: ignore[union-attr]


@lru_cache(maxsize=1024)
def _held_scannable(stems: frozenset[str]) -> bool:
    """Whether stems_held may look for the stems' prefixes in the lowercased text: not where that could miss what \\w+
    words find, a stem that is not one \\w+ run ("i̇stanbul": lowercased "İ" is an "i" and a combining dot, which \\w
    does not match)."""
    return bool(stems) and all(_WORD.fullmatch(s) for s in stems) and _lowercase_scannable(_prefixes(stems))


# Highlights never mark part of a hyphenated word ("SKILL" of "SKILL-UP" for "skill"); the whole compound is
# marked when each of its parts is a word of the query ("COVID-19" for "COVID-19 pandemic").
_HYPHENS = "-\u00ad\u2010\u2011"
_COMPOUND = re.compile(rf"(?<!\w)\w+(?:[{_HYPHENS}]\w+)+")
# Generic verbs that no stop word list holds but that say nothing in a passage: searched for, never marked.
_UNMARKED = frozenset({"get", "got", "gotten"})
# The characters for which a lowercased text does not compare as re.IGNORECASE compares (their full lowercase
# differs from the simple one, or they have more than one case partner: "ſ" matches "s", "ı" matches "i"). Any
# character outside these has a lowercase of its own length, and is a word character exactly when it is.
_CASE_TRAPS = "µİıſͅΐΒΕΘΙΚΜΠΡΣΦΰβεθικμπρςσφϐϑϕϖϰϱϴϵВДОСТЪвдостъѢѣᲀᲁᲂᲃᲄᲅᲆᲇᲈṠṡẛιΐΰꙊꙋﬅﬆ"
_TRAPPED = re.compile(f"[{_CASE_TRAPS}]")


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_"  # what re's \w matches in a str pattern


def _starting_words(text: str, stems: frozenset[str]) -> list[tuple[int, int]]:
    """[start, end) of the words that start with a stem's prefix (_prefixes) and stand alone: not joined to
    another word by a hyphen. The prefixes are found in the lowercased text (_word_starts), many times faster than
    an re.IGNORECASE scan, whose leading assertions made it try every position; a text or prefix with a character
    that lowercasing would not compare as re.IGNORECASE does is scanned the old way, so the spans are the same."""
    prefixes = _prefixes(stems)
    low = _lowered(text)
    if not _lowercase_scannable(prefixes) or len(low) != len(text) or (not text.isascii() and _TRAPPED.search(text)):
        return [m.span() for m in _candidates(stems).finditer(fold_letters(text))]  # folded as the lowercase scan
    spans, size = [], len(text)
    for start, end in _word_starts(low, prefixes):  # none inside a word
        if start > 1 and text[start - 1] in _HYPHENS and _is_word(text[start - 2]):
            continue  # after "word-"
        if end + 1 < size and text[end] in _HYPHENS and _is_word(text[end + 1]):
            continue  # before "-word"
        spans.append((start, end))
    return spans


def _compounds(text: str) -> list[tuple[int, int]]:
    """[start, end) of the hyphenated compounds of text, as _COMPOUND finds them: words joined by single hyphens.
    Found from the hyphens (a regex starting with a word scans every letter of the text), each hyphen found with
    str.find: a regex of the four tested each character against its set (callgrind, labour-docs' 177 questions: ~11
    passages a search of ~760 characters and 2.7 hyphens: 0.97 -> 0.52 M instructions a search)."""
    out: list[tuple[int, int]] = []
    size, hyphens = len(text), []
    for hyphen in _HYPHENS:
        at = text.find(hyphen)
        while at >= 0:
            hyphens.append(at)
            at = text.find(hyphen, at + 1)
    for at in sorted(hyphens):
        if not (0 < at < size - 1 and _is_word(text[at - 1]) and _is_word(text[at + 1])):
            continue
        if out and out[-1][1] == at:  # the next hyphen of the same compound
            start = out.pop()[0]
        else:
            start = at - 1
            while start and (text[start - 1].isalnum() or text[start - 1] == "_"):
                start -= 1
        end = at + 1
        while end < size and (text[end].isalnum() or text[end] == "_"):
            end += 1
        out.append((start, end))
    return out


@lru_cache(maxsize=1024)
def _prefixes(stems: frozenset[str]) -> tuple[str, ...]:
    """A stem's first letters that every word stemming to it starts with: two of a short stem ("toys" -> "toi"), all
    but the last two of a longer one, three at least. Porter rewrites at most a stem's last two letters ("happy" ->
    "happi", "hoping" -> "hope", "possibly" -> "possibl" -> "possible"); over the 36,000 distinct words of SciFact and
    the 32,000 of labour-docs none stems to one its prefix misses. The longer the prefix, the fewer words a scan
    meets that stem to something else."""
    return tuple(sorted({s[:2] if len(s) <= 3 else s[:max(3, len(s) - 2)] for s in stems}))


@lru_cache(maxsize=1024)
def _candidates(stems: frozenset[str]) -> re.Pattern[str]:
    """Words that start with a stem's prefix and stand alone: not joined to another word by a hyphen."""
    alone_before, alone_after = rf"(?<!\w[{_HYPHENS}])", rf"(?![{_HYPHENS}]\w)"
    return re.compile(alone_before + r"\b(?:" + "|".join(map(re.escape, _prefixes(stems))) + r")\w*\b" + alone_after,
                      re.IGNORECASE)


@lru_cache(maxsize=1024)
def _lowercase_scannable(prefixes: tuple[str, ...]) -> bool:
    """Whether the prefixes can be looked for in a lowercased text: not when one holds a character that re.IGNORECASE
    matches otherwise than its lowercase (see _CASE_TRAPS)."""
    return not any(c in _CASE_TRAPS or c != c.lower() for p in prefixes for c in p)


def _window(text: str, spans: list[tuple[int, int]], size: int) -> tuple[int, int]:
    """The [start, end) window of at most `size` chars holding the most distinct matched words (a quoted phrase's
    span counts its words: a window that holds it whole goes before one that cuts it). A window opens a quarter of its
    size before a matched word, or earlier where it would run past the text's end: a chunk's last words showed as a
    line-long snippet ("…the readiness of associations to take part.") with two thirds of its room unused."""
    if len(text) <= size:
        return 0, len(text)
    best, best_start, starts = -1, 0, [s for s, _ in spans]
    # Each marked word lowercased and counted once, not once a window that holds it.
    marked = [text[s:e].lower() for s, e in spans]
    counts = {w: len(w.split()) for w in marked}
    # The windows open in text order, so the spans each holds, from its `first` to its `last`, only move forwards: the
    # next window's are found from the last one's, and a window that holds the same spans as the last is not counted
    # again (callgrind, labour-docs' 177 questions: a search's windows 1.07 -> 0.90 M instructions).
    first = last = 0
    counted: tuple[int, int] | None = None
    for start in starts:
        begin = max(0, min(start - size // 4, len(text) - size))
        while starts[first] < begin:
            first += 1
        last = max(last, first)
        while last < len(spans) and spans[last][1] <= begin + size:
            last += 1  # spans come in order: none after the first that ends past the window ends inside it either
        if (first, last) == counted:
            continue
        counted = (first, last)
        held = sum(counts[w] for w in set(marked[first:last]))
        if held > best:
            best, best_start = held, begin
    if best < 0:
        best_start = 0
    return best_start, min(len(text), best_start + size)


def make_snippet(text: str, stems: set[str], size: int = SNIPPET_CHARS, language: str | None = None,
                 phrases: Sequence[Sequence[str]] = (), terms: Sequence[str] = (),
                 asked_in: str | None = None) -> tuple[str, tuple[tuple[int, int], ...]]:
    """A short excerpt of text around the query's words, with highlight offsets (`language`: the text's; `terms` and
    `asked_in`: the question's words and language, as highlight_spans takes them). Each quoted phrase (its words as
    kb/search/phrases.words gives them) the text holds is marked whole, in place of its words."""
    spans = highlight_spans(text, stems, language, terms, asked_in)
    if phrases:
        from kb.search.phrases import spans as phrase_spans  # phrases imports this module

        whole = sorted({span for phrase in phrases for span in phrase_spans(text, phrase)})
        if whole:
            spans = sorted(whole + [(s, e) for s, e in spans if not any(a <= s and e <= b for a, b in whole)])
    start, end = _window(text, spans, size)
    # Snap to word boundaries so a snippet never starts or ends inside a word.
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 30 else start
    if end < len(text):  # after the last marked word in the window, so that the snap never cuts it off
        last = max((e for s, e in spans if s >= start and e <= end), default=start)
        space = text.rfind(" ", last, end)
        if space > start + size // 2:
            end = space
        elif last > start + size // 2:
            end = last
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    body = text[start:end].strip()
    lead = len(text[start:end]) - len(text[start:end].lstrip())
    shift = len(prefix) - start - lead
    marks = tuple((s + shift, e + shift) for s, e in spans if s >= start + lead and e <= start + lead + len(body))
    return prefix + body + suffix, marks
