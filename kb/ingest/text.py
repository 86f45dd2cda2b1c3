"""Plain text and Markdown loaders, and the byte decoding every text format shares."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from kb.errors import EmptyDocument, LoadError
from kb.ingest.dates import date_of_line
from kb.ingest.frontmatter import parse_front_matter
from kb.records import LoadedFile, Section

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# The detector's names for the Western European code pages, in the order they win a tie.
_WESTERN = ("cp1252", "latin_1", "iso8859_15")
# Typographic ligatures (U+FB00-FB06) that PDF text extraction hands over as one character: the model's vocabulary
# has none of them (it reads "eﬃcient" as [UNK]), so each is written out as its letters.
_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                            "\ufb05": "st", "\ufb06": "st"})


def decode_bytes(data: bytes) -> str:
    """Text from bytes: a BOM wins, then strict UTF-8, then the detected charset, then Windows-1252."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return utf16
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:4096]:
        raise LoadError("binary data, not text (NUL bytes and no byte-order mark)")
    from charset_normalizer import from_bytes  # a dependency of trafilatura; only needed for legacy encodings

    found = from_bytes(data[:200_000])
    best = found.best()
    if best is None or not best.encoding:
        return data.decode("cp1252", errors="replace")
    # Short texts leave the detector undecided between code pages that read the same bytes as letters of the same
    # languages ("crème" in Windows-1252, "crčme" in Windows-1250: a tie, broken by the detector's own order). ILO's
    # files in legacy encodings are English, French, Spanish or Italian: the Western code page wins a tie.
    tied = {m.encoding for m in found
            if m.percent_chaos <= best.percent_chaos and m.percent_coherence >= best.percent_coherence}
    text = data.decode(next((e for e in _WESTERN if e in tied), best.encoding), errors="replace")
    return (_western(data) or text) if _CJK.search(text) else text


# Chinese, Japanese and Korean characters: what a two-byte code page makes of Western accented letters.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def _western(data: bytes) -> str | None:
    """The bytes as Windows-1252 when they read so: mostly ASCII, and each other byte a letter. A French text of a few
    lines ("Sénégal" as S\xe9n\xe9gal) is read by the detector as GB18030 ("S閚間al"), each accented letter and the one
    after it one Chinese character; a Chinese text is mostly two-byte characters, seldom 90 % ASCII."""
    if sum(b < 0x80 for b in data) < 0.9 * len(data):
        return None
    text = data.decode("cp1252", errors="replace")
    return text if all(c.isalpha() or c in "«»–—‘’“”…€°" for c in text if ord(c) > 0x7F) else None


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text saved without a byte-order mark (some Windows tools do): in Latin-script text every other byte is
    a NUL, the high byte of each character. None for anything else, a binary file's scattered NULs among them."""
    sample = data[:4096]
    if len(data) % 2 or len(sample) < 4 or b"\x00" not in sample:
        return None
    high_first, high_last = sample[0::2].count(0), sample[1::2].count(0)  # NULs where BE puts them, where LE does
    half = len(sample) // 2
    for encoding, high, low in (("utf-16-be", high_first, high_last), ("utf-16-le", high_last, high_first)):
        if high >= 0.6 * half and low == 0:
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                return None
    return None


def looks_binary(text: str) -> bool:
    """True when decoded text is mostly control characters: junk, not prose."""
    sample = text[:20_000]
    if not sample:
        return False
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\n\r\t\f") or ch == "\ufffd")
    return bad / len(sample) > 0.05


# U+FFFD, the replacement character: what an earlier conversion left where it could not read a character, mostly a
# typographic apostrophe or quote of a legacy code page ("Women\ufffds Machinery", 115 chunks of 39 labour-docs files).
# Before a contraction's or a possessive's ending it is the apostrophe; anywhere else it is left out, as a space.
_LOST_APOSTROPHE = re.compile(r"(?<=[^\W\d_])\ufffd(?=(?:s|t|d|m|ll|re|ve)\b)")


def normalise_whitespace(text: str) -> str:
    """Collapse runs of spaces and tabs, keep paragraph breaks, drop control characters, write out ligatures, read a
    replacement character (U+FFFD) as the apostrophe it stands for, else as a space."""
    text = text.translate(_LIGATURES).replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\u00ad", "")
    if "\ufffd" in text:
        text = _LOST_APOSTROPHE.sub("\u2019", text).replace("\ufffd", " ")
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", " ", text)
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _read_text(path: Path) -> str:
    text = decode_bytes(path.read_bytes())
    if looks_binary(text):
        raise LoadError("binary data, not text")
    return text


def load_text(path: Path) -> LoadedFile:
    """A plain-text file: the first short line is the title, the rest is one section."""
    text = normalise_whitespace(_read_text(path))
    if not text:
        raise EmptyDocument("the file holds no text")
    first, _, rest = text.partition("\n")
    title = first.strip() if 0 < len(first.strip()) <= 200 and rest.strip() else None
    # A press release's dateline ("Geneva, 14 May 2024") among the first lines dates a file whose name does not.
    date = next((found for line in text.split("\n")[:5] if (found := date_of_line(line))), None)
    return LoadedFile(title=title, sections=(Section(text=text),), format="text", metadata={"date": date} if date else {})


# --- Markdown -----------------------------------------------------------------------------------

# ATX headings; "##Title" without a space is accepted because real exports write it.
_ATX = re.compile(r"^(#{1,6})[ \t]*([^#\n].*?)[ \t]*#*[ \t]*$")
_SETEXT = re.compile(r"^(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^(```|~~~)")
# A backslash before ASCII punctuation makes it a literal character (CommonMark): "\(15-19 years\)", "EMP\_TEMP" as
# UN metadata files and trafilatura's Markdown write them. While markup is stripped, each such character is held as
# a private-use one (_HELD + its code), so that "\*" is never read as emphasis.
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
_HELD = 0xF0000
_HELD_CHARS = re.compile("[\U000F0021-\U000F007E]")


def strip_markdown_inline(text: str) -> str:
    """Markdown and stray HTML markup out of a line of prose, keeping the words (and what backslashes escape)."""
    text = _ESCAPED.sub(lambda m: chr(_HELD + ord(m.group(1))), text)  # held out of the markup's way, put back below
    # Footnotes (GitHub's, Pandoc's): "wage.[^1]" read "wage.[^1]" in the index, "[^1]: ILO, 2017" as a line of text.
    text = re.sub(r"^\[\^[^\]\s]+\]:[ \t]*", "", text, flags=re.M)
    text = re.sub(r"\[\^[^\]\s]+\]", "", text)
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)  # images -> alt text
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links -> link text
    text = re.sub(r"\[([^\]]+)\]\[[^\]]*\]", r"\1", text)  # reference links
    # HTML tags: an inline element's go without a trace ("<a href=…>Toolkit</a>." read "Toolkit ."), others leave a space;
    # <sup> and <sub> too, which conventions' Markdown misplaces as separators ("als:</sup>Voor", "4)<sup>1)In")
    text = re.sub(r"</?(?:a|abbr|b|code|em|font|i|mark|small|span|strong|u)\b[^>\n]{0,400}>", "", text)
    text = re.sub(r"<[^>\n]{1,400}>", " ", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)", r"\1", text)
    text = re.sub(r"(?<![\w_])_(?![\s_])(.+?)(?<![\s_])_(?![\w_])", r"\1", text)  # "_Total unemployment_", not snake_case
    text = re.sub(r"`([^`]+)`", r"\1", text)
    text = re.sub(r"^\s{0,3}>\s?", "", text, flags=re.M)  # block quotes
    text = re.sub(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$", "", text, flags=re.M)  # table rules
    return _HELD_CHARS.sub(lambda m: chr(ord(m.group()) - _HELD), text)


def markdown_sections(body: str) -> tuple[list[Section], list[str], str | None]:
    """Sections of a Markdown body, one per heading, the headings that come before any text, and the title heading.

    When the first heading is the document's title (the only heading at the top level, before any text), it is left
    out of every section's heading path: it names the document, not a place in it. None when there is no such title.
    """
    splitter = _MarkdownSplitter()
    splitter.feed(body.split("\n"))
    sections, leading_headings = splitter.sections, splitter.leading_headings
    if not (leading_headings and _is_title_heading(splitter.levels)):
        return sections, leading_headings, None
    title = leading_headings[0]
    sections = [
        Section(s.text, s.page, s.page_label, s.heading_path[1:] if s.heading_path[:1] == (title,) else s.heading_path)
        for s in sections
    ]
    return sections, leading_headings, title


class _MarkdownSplitter:
    """Reads Markdown lines once, closing a section at every ATX or setext heading (not inside code fences)."""

    def __init__(self) -> None:
        self.sections: list[Section] = []
        self.leading_headings: list[str] = []  # headings before any body text: title candidates
        self.levels: list[int] = []  # every heading's level, in order (setext ones too; none from inside a fence)
        self._stack: list[tuple[int, str]] = []
        self._buffer: list[str] = []
        self._seen_body = False

    def feed(self, lines: list[str]) -> None:
        in_fence = False
        skip_underline = False
        for i, line in enumerate(lines):
            if skip_underline:  # the ===/--- line under a setext heading
                skip_underline = False
                continue
            if _FENCE.match(line.strip()):
                in_fence = not in_fence
                continue
            if not in_fence:
                atx = _ATX.match(line)
                if atx:
                    self._open_heading(len(atx.group(1)), atx.group(2))
                    continue
                nxt = lines[i + 1] if i + 1 < len(lines) else ""
                if self._is_setext(line, nxt):
                    self._open_heading(1 if nxt.startswith("=") else 2, line)
                    skip_underline = True
                    continue
            self._buffer.append(line)
        self._flush()

    def _is_setext(self, line: str, nxt: str) -> bool:
        prev_blank = not self._buffer or not self._buffer[-1].strip()
        return (prev_blank and bool(line.strip()) and len(line) < 200 and bool(_SETEXT.match(nxt))
                and not line.lstrip().startswith(("-", "*", "|", ">")))

    def _flush(self) -> None:
        text = normalise_whitespace(strip_markdown_inline("\n".join(self._buffer)))
        self._buffer.clear()
        if text:
            self._seen_body = True
            self.sections.append(Section(text=text, heading_path=tuple(h for _, h in self._stack)))

    def _open_heading(self, level: int, title: str) -> None:
        self._flush()
        title = normalise_whitespace(strip_markdown_inline(title))
        if not title:
            return
        self.levels.append(level)
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        self._stack.append((level, title))
        if not self._seen_body:
            self.leading_headings.append(title)


def _is_title_heading(levels: list[int]) -> bool:
    """True when the first heading is the only one at its level: a document title, not a section name. The levels are
    the splitter's, so a setext title ("Title\\n=====") counts and a shell comment in a code fence ("# install") does
    not: read line by line with a regex, both left a guide titled by its file name."""
    return bool(levels) and levels.count(levels[0]) == 1 and levels[0] == min(levels)


def load_markdown(path: Path) -> LoadedFile:
    """A Markdown file: YAML front matter as metadata, one section per heading with its heading path."""
    # Windows' CRLF and classic Mac OS's lone CR both end lines: a Markdown file saved with CRs alone was one line.
    front, body = parse_front_matter(_read_text(path).replace("\r\n", "\n").replace("\r", "\n"))
    sections, leading_headings, title_heading = markdown_sections(body)
    if not sections:
        raise EmptyDocument("the Markdown file holds no text under its headings")
    metadata = dict(front)
    if leading_headings:
        metadata.setdefault("_title_candidates", tuple(leading_headings))
    title = front.get("title") if isinstance(front.get("title"), str) else None
    return LoadedFile(
        title=title or title_heading,
        sections=tuple(sections),
        format="markdown",
        metadata=metadata,
    )
