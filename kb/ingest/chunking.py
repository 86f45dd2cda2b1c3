"""Token-bounded, sentence-aware chunks with provenance.

Each chunk is embedded together with a short context line (document title and heading path), so
the bound applies to that whole input: no chunk is ever truncated by the model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kb.records import Chunk, Section

TokenCounter = Callable[[list[str]], list[int]]

# The context line is cut to this many tokens so long titles cannot crowd out the text.
MAX_CONTEXT_TOKENS = 48
# A chunk's own text is at least this many tokens where its section has more (see _pack).
MIN_CHUNK_TOKENS = 24
# "1.", "(a)", "iv)": a list marker the sentence splitter would otherwise leave on its own.
_LIST_MARKER = re.compile(r"^\(?(?:\d{1,3}|[a-z]|[ivxlc]{1,6})[.)]$", re.IGNORECASE)
_ABBREVIATIONS = {
    "e.g", "i.e", "etc", "no", "nos", "art", "arts", "mr", "mrs", "ms", "dr", "prof", "st", "vs", "cf", "fig",
    "figs", "vol", "pp", "p", "para", "paras", "inc", "ltd", "co", "corp", "jan", "feb", "mar", "apr", "jun",
    "jul", "aug", "sep", "sept", "oct", "nov", "dec", "approx", "dept", "est", "al", "u.s", "u.k", "op", "ibid",
}
# Candidate sentence ends: terminal punctuation, optional closing quotes/brackets, whitespace, then a
# likely sentence start. Newlines always end a sentence (paragraphs, list items).
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9À-ÖØ-Þ])|\n+")


@dataclass(frozen=True)
class ChunkerSettings:
    """How text is cut: target tokens per chunk, overlap in tokens, the model's input limit."""

    chunk_tokens: int
    overlap_tokens: int
    max_seq_length: int

    def as_dict(self) -> dict[str, int | str]:
        return {
            "chunk_tokens": self.chunk_tokens,
            "overlap_tokens": self.overlap_tokens,
            "max_seq_length": self.max_seq_length,
            "max_context_tokens": MAX_CONTEXT_TOKENS,
            "min_chunk_tokens": MIN_CHUNK_TOKENS,
            "version": 2,
        }


def context_line(title: str, heading_path: Sequence[str]) -> str:
    """The context embedded with every chunk: the title, then the heading path."""
    parts = [title.strip()] + [h.strip() for h in heading_path if h.strip() and h.strip() != title.strip()]
    return " > ".join(p for p in parts if p)


def embedding_input(context: str, text: str) -> str:
    """Exactly what the model reads for one chunk."""
    return f"{context}\n{text}" if context else text


def split_sentences(text: str) -> list[str]:
    """Sentences of a text, not split after common abbreviations or initials."""
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if "\n" not in match.group(0):
            word = re.search(r"(\S+)$", text[start:match.start()])
            last = word.group(1).rstrip(".!?…\"'”’)]").lower() if word else ""
            if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
                continue
        piece = text[start:match.start()].strip()
        if piece:
            sentences.append(piece)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    # A list marker ("1.", "(a)") belongs to the sentence it numbers.
    joined: list[str] = []
    for sentence in sentences:
        if joined and _LIST_MARKER.match(joined[-1]):
            joined[-1] = f"{joined[-1]} {sentence}"
        else:
            joined.append(sentence)
    return joined


def _split_long(sentence: str, limit: int, count: TokenCounter) -> list[str]:
    """Cut one over-long sentence into word runs of at most `limit` tokens.

    Each word's tokens are counted once; a run is then checked whole, and shortened while it is over
    the limit (word pieces can merge across spaces differently), so the bound stays exact without
    counting every growing prefix of the sentence.
    """
    words = sentence.split()
    sizes = [n - 2 for n in count(words)]
    pieces: list[str] = []
    start = 0
    while start < len(words):
        end, total = start + 1, sizes[start]
        while end < len(words) and total + sizes[end] <= limit:
            total += sizes[end]
            end += 1
        while end - start > 1 and count([" ".join(words[start:end])])[0] - 2 > limit:
            end -= 1
        run = " ".join(words[start:end])
        if end - start == 1 and sizes[start] > limit:  # a single absurd "word" (a URL, a hash): cut by characters
            step = max(1, len(run) // (sizes[start] // limit + 1))
            pieces.extend(run[i:i + step] for i in range(0, len(run), step))
        else:
            pieces.append(run)
        start = end
    return pieces


def _merge_sections(sections: Sequence[Section]) -> list[Section]:
    """Join neighbouring sections from the same page and heading, so short paragraphs share a chunk."""
    merged: list[Section] = []
    for section in sections:
        prev = merged[-1] if merged else None
        if prev and prev.page == section.page and prev.heading_path == section.heading_path:
            merged[-1] = Section(prev.text + "\n" + section.text, prev.page, prev.page_label, prev.heading_path)
        else:
            merged.append(section)
    return merged


def chunk_document(
    doc_id: str, title: str, sections: Sequence[Section], settings: ChunkerSettings, count: TokenCounter
) -> list[Chunk]:
    """Chunks for one document; each stays within one page (PDF) or one heading's section."""
    chunks: list[Chunk] = []
    for section in _merge_sections(sections):
        headings = tuple(section.heading_path)
        if headings[:1] == (title,):
            headings = headings[1:]  # the document's own title heading adds nothing to its path
        context = context_line(title, headings)
        context_tokens = count([context])[0] - 2 if context else 0
        if context_tokens > MAX_CONTEXT_TOKENS:
            context = _split_long(context, MAX_CONTEXT_TOKENS, count)[0]
            context_tokens = count([context])[0] - 2
        # +1 for the newline between context and text is absorbed by counting the joined input below.
        budget = min(settings.chunk_tokens, settings.max_seq_length - 2 - context_tokens - 2)
        sentences = split_sentences(section.text)
        lengths = [n - 2 for n in count(sentences)]
        units: list[tuple[str, int]] = []
        for sentence, n in zip(sentences, lengths):
            if n > budget:
                pieces = _split_long(sentence, budget, count)
                units.extend(zip(pieces, (m - 2 for m in count(pieces))))
            else:
                units.append((sentence, n))
        room = settings.max_seq_length - 2 - context_tokens - 2
        for text in _pack(units, budget, settings.overlap_tokens, room):
            full = embedding_input(context, text)
            n_tokens = count([full])[0]
            while n_tokens > settings.max_seq_length:  # rare: joining changed the word pieces; trim words
                text = text.rsplit(" ", 1)[0] if " " in text else text[:len(text) * 9 // 10]  # or characters
                full = embedding_input(context, text)
                n_tokens = count([full])[0]
            chunks.append(
                Chunk(
                    doc_id=doc_id,
                    ordinal=len(chunks),
                    text=text,
                    n_tokens=n_tokens,
                    page=section.page,
                    page_label=section.page_label,
                    heading_path=headings,
                    context=context,
                )
            )
    return chunks


def _pack(units: list[tuple[str, int]], budget: int, overlap: int, limit: int | None = None) -> list[str]:
    """Greedy packing of sentences up to the budget, repeating trailing sentences as overlap.

    A chunk whose own text (beyond the overlap) would be only a scrap, under MIN_CHUNK_TOKENS, is not
    cut there: it takes the next sentence, or the section's last scrap joins the chunk before, as long
    as the whole stays within `limit` (the model's room). A scrap alone ("1.", the end of a long
    sentence) would be embedded as little more than its title and heading.
    """
    limit = max(budget, limit or budget)
    texts: list[str] = []
    sizes: list[int] = []
    current: list[tuple[str, int]] = []
    size = 0
    carried_n, carried_size = 0, 0  # current's first units, which repeat the previous chunk, and their size
    for unit in units:
        grown = size + unit[1] + 1
        own = size - carried_size
        if current and grown > budget and not (own < MIN_CHUNK_TOKENS and grown <= limit):
            texts.append(" ".join(s for s, _ in current))
            sizes.append(size)
            carried: list[tuple[str, int]] = []
            carried_size = 0
            for sentence in reversed(current):
                if carried_size + sentence[1] > overlap or len(carried) + 1 >= len(current):
                    break
                carried.insert(0, sentence)
                carried_size += sentence[1] + 1
            if carried_size + unit[1] + 1 > budget:
                carried, carried_size = [], 0
            current, size, carried_n = carried, carried_size, len(carried)
        current.append(unit)
        size += unit[1] + 1
    if current:
        own_units = current[carried_n:]
        own = size - carried_size
        if texts and own < MIN_CHUNK_TOKENS and sizes[-1] + own <= limit:
            texts[-1] += " " + " ".join(s for s, _ in own_units)
        else:
            texts.append(" ".join(s for s, _ in current))
    return texts
