"""A question's token ids without the tokenizers library's start-up, for a one-shot `kb search`.

tokenizers takes ~35 ms to build its 30,522-entry vocabulary from tokenizer.json and ~10 ms to import: a
tenth of a `kb search`, for a question of a dozen words. For text in plain ASCII, BERT's tokenization is
short to state exactly, and is done here: control characters dropped, tab and line breaks made spaces,
lowercase, words split at spaces and punctuation, then greedy longest-match-first WordPiece, between the
[CLS] and [SEP] ids, cut to the model's length. The vocabulary is read from a plain-text copy of
tokenizer.json's kept in kb's cache, sorted, and searched by bisection in the file's bytes as read: no 30,000-entry
dict is built (~2 ms), nor a list of its lines (~2 ms more to split them and decode the text).
Any other text (accents, other scripts, a special token's own spelling) and any tokenizer.json of another
shape is left to tokenizers (`WordPiece.ids` returns None).
tests/test_wordpiece.py holds the ids to tokenizers' over the corpus's text and random ASCII.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from kb.config import cache_root

# ASCII punctuation: each is a word of its own (BertPreTokenizer); every other run of non-space characters is a word.
_WORDS = re.compile(r"[!-/:-@\[-`{-~]|[^ !-/:-@\[-`{-~]+")
# BertNormalizer's clean-up: control characters dropped, tab, line feed and carriage return made spaces.
_CLEAN: dict[int, str | None] = {**dict.fromkeys((*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)),
                                 0x09: " ", 0x0A: " ", 0x0D: " "}
CACHE_VERSION = 2


class WordPiece:
    """BERT's uncased WordPiece for ASCII text, as tokenizer.json describes it."""

    def __init__(self, vocabulary: bytes, config: dict) -> None:
        # b"token\tid" lines, UTF-8, sorted: no token holds a character below the tab, so a line sorts as its token;
        # and UTF-8's bytes sort as the characters do.
        self.vocabulary = vocabulary
        self.cls, self.sep, self.unk = config["cls"], config["sep"], config["unk"]
        self.prefix = config["prefix"]
        self.max_chars = config["max_chars"]
        self.lowercase = config["lowercase"]
        # Added tokens ([CLS], [MASK], ...) are matched in the text by tokenizers' own rules: such text is left to it.
        self.special = tuple(token.lower() for token in config["added"])

    def ids(self, text: str, max_length: int) -> list[int] | None:
        """[CLS] + the text's ids + [SEP], at most `max_length` in all; None for text that is not plain ASCII."""
        if not text.isascii():
            return None
        lowered = text.lower()
        if any(token in lowered for token in self.special):
            return None
        text = lowered if self.lowercase else text
        text = text.translate(_CLEAN)
        ids: list[int] = []
        for word in _WORDS.findall(text):
            ids += self._word(word)
        return [self.cls, *ids[:max(max_length - 2, 0)], self.sep]

    def _word(self, word: str) -> list[int]:
        if len(word) > self.max_chars:
            return [self.unk]
        pieces, start = [], 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = self._id(word[start:end] if start == 0 else self.prefix + word[start:end])
                if piece is not None:
                    pieces.append(piece)
                    start = end
                    break
            else:  # no piece fits: the whole word is unknown
                return [self.unk]
        return pieces

    def _id(self, token: str) -> int | None:
        key = token.encode("utf-8") + b"\t"
        line = _first_line_from(self.vocabulary, key)
        return int(line[len(key):]) if line.startswith(key) else None


def load(tokenizer_json: Path) -> WordPiece | None:
    """The WordPiece of a tokenizer.json, from kb's cache (made on first use); None when it is of another kind."""
    stat = tokenizer_json.stat()
    stamp = json.dumps([CACHE_VERSION, str(tokenizer_json.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino])
    cached = cache_root() / "wordpiece" / f"{hashlib.sha256(stamp.encode()).hexdigest()[:32]}.txt"
    try:
        # The bytes as read: kb writes the file with "\n" alone, and no token holds "\r" (read_text would translate).
        header, _, body = cached.read_bytes().partition(b"\n")
        config = json.loads(header)
        if config and body.count(b"\n") + 1 != config["size"]:
            raise ValueError("a damaged copy")
    except (OSError, ValueError, KeyError, TypeError):  # not made yet, or damaged: made again from the source
        header_text, body_text = _unpack(tokenizer_json, cached)
        config, body = json.loads(header_text), body_text.encode("utf-8")
    if not config:
        return None
    return WordPiece(body, config)


def _first_line_from(text: bytes, key: bytes) -> bytes:
    """The first line of the sorted `text` that is not below `key` (b"" when none is): bisect_left over the lines,
    each probe the line around the middle of the bytes left."""
    low, high = 0, len(text) + 1  # each the start of a line (or past the end)
    while low < high:
        middle = (low + high) // 2
        start = text.rfind(b"\n", low, middle) + 1 or low  # the line holding the byte before `middle`
        end = text.find(b"\n", start)
        end = len(text) if end < 0 else end
        if text[start:end] < key:
            low = end + 1
        else:
            high = start
    end = text.find(b"\n", low)
    return text[low:len(text) if end < 0 else end]


def _unpack(tokenizer_json: Path, cached: Path) -> tuple[str, str]:
    """Read tokenizer.json and keep its vocabulary after a header line, a "token\tid" line each, sorted."""
    from kb.embed import write_cache_file  # kb.embed imports the backends' modules, not this one

    spec = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    config, tokens = _bert_config(spec)
    header, body = json.dumps(config), "\n".join(tokens)
    write_cache_file(cached, f"{header}\n{body}".encode())
    return header, body


def _bert_config(spec: dict) -> tuple[dict, list[str]]:
    """What the ASCII path needs from a BERT tokenizer.json; ({}, []) for any other tokenizer."""
    normalizer, model, post = spec.get("normalizer") or {}, spec.get("model") or {}, spec.get("post_processor") or {}
    vocab = model.get("vocab") or {}
    tokens = sorted(vocab)
    shaped = (normalizer.get("type") == "BertNormalizer" and normalizer.get("clean_text") is True
              and (spec.get("pre_tokenizer") or {}).get("type") == "BertPreTokenizer"
              and model.get("type") == "WordPiece" and model.get("unk_token") in vocab
              and all(isinstance(i, int) for i in vocab.values())
              and not any(c <= "\t" or c in "\n\r" for t in tokens for c in t))
    ends = _cls_sep(post, vocab)
    if not shaped or ends is None:
        return {}, []
    config = {"cls": ends[0], "sep": ends[1], "unk": vocab[model["unk_token"]],
              "prefix": model.get("continuing_subword_prefix", "##"), "max_chars": model.get("max_input_chars_per_word", 100),
              "lowercase": bool(normalizer.get("lowercase", True)), "size": len(tokens),
              "added": [t["content"] for t in spec.get("added_tokens") or []]}
    return config, [f"{token}\t{vocab[token]}" for token in tokens]


def _cls_sep(post: dict, vocab: dict[str, int]) -> tuple[int, int] | None:
    """The ids put around a single text: [CLS] before, [SEP] after, whether as BertProcessing or a template."""
    if post.get("type") == "BertProcessing":
        return post["cls"][1], post["sep"][1]
    if post.get("type") != "TemplateProcessing":
        return None
    single = post.get("single") or []
    shape = [next(iter(piece)) for piece in single]
    if shape != ["SpecialToken", "Sequence", "SpecialToken"] or single[1]["Sequence"]["id"] != "A":
        return None
    ends = [post["special_tokens"][piece["SpecialToken"]["id"]]["ids"] for piece in (single[0], single[2])]
    if any(len(e) != 1 for e in ends):
        return None
    return ends[0][0], ends[1][0]
