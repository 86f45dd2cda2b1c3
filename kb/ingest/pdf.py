"""PDF loader (pypdf): text per page, physical page numbers, printed page labels, info metadata."""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from pathlib import Path
from typing import Any

from kb.errors import EmptyDocument, EncryptedDocument, LoadError
from kb.ingest.hyphens import LineBreaks
from kb.ingest.text import normalise_whitespace
from kb.ingest.titles import names_nothing
from kb.records import LoadedFile, Section

# A numbered heading line: "2. Steps", "3.1 Who takes part".
_NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+([A-Z][^.!?]{2,90})$")
_PAGE_NUMBER_LINE = re.compile(r"^(page\s+)?[\divxlc]{1,6}(\s*(/|of)\s*\d+)?$", re.I)
# A numbered line that ends in a page number ("8. Checklist for RPL managers 6", "7 Un polo privilegiato per la
# formazione, 49"): on a page with CONTENTS_ENTRIES of them or more, an entry of its table of contents, not a heading.
_CONTENTS_ENTRY = re.compile(r"\s(?:\d{1,3}|[ivxlc]{1,6})$", re.I)
CONTENTS_ENTRIES = 3


# A running header or footer is one of the EDGE_LINES first or last lines of a page, printed on RUNNING_SHARE of the
# pages or more: a report that heads its even pages with the publisher and its odd ones with its own name prints each
# on half its pages, under two lines of its own (USDOL's "Thailand", "MODERATE ADVANCEMENT", "6 BUREAU OF
# INTERNATIONAL LABOR AFFAIRS", read as a numbered heading when it was missed). On labour-docs' 86 PDFs, 3 and 0.4
# (instead of 2 and 0.5) add the USDOL and UNICEF running headers and one Italian section label ("OBIETTIVO").
EDGE_LINES = 3
RUNNING_SHARE = 0.4


def _repeated_lines(pages: list[list[str]]) -> set[str]:
    """Lines printed on many pages (running headers and footers), compared without digits."""
    if len(pages) < 3:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        lines = [ln for ln in lines if ln]
        if len(lines) < 4:
            continue  # a page this short is all content; its lines are no evidence of a running header
        edge = lines[:EDGE_LINES] + lines[-EDGE_LINES:]
        counts.update({re.sub(r"\d+", "#", ln) for ln in edge if len(ln) <= 120})
    return {line for line, n in counts.items() if n >= max(3, RUNNING_SHARE * len(pages))}


def _is_furniture(line: str, repeated: set[str]) -> bool:
    """A running header or footer (one of `repeated`, digits aside) or a page number: page furniture, not text."""
    return re.sub(r"\d+", "#", line) in repeated or bool(_PAGE_NUMBER_LINE.match(line))


def _clean_page(lines: list[str], repeated: set[str], breaks: LineBreaks) -> list[tuple[str | None, str]]:
    """Join a page's lines into paragraphs; return [(heading or None, paragraph text)]."""
    blocks: list[tuple[str | None, str]] = []
    heading: str | None = None
    paragraph: list[str] = []

    def flush() -> None:
        text = " ".join(paragraph).strip()
        paragraph.clear()
        if text:
            blocks.append((heading, text))

    entries = [ln for ln in map(str.strip, lines) if _NUMBERED_HEADING.match(ln) and _CONTENTS_ENTRY.search(ln)]
    contents = len(entries) >= CONTENTS_ENTRIES
    for raw in lines:
        line = raw.strip()
        if not line or _is_furniture(line, repeated):
            if not line:
                flush()
            continue
        numbered = _NUMBERED_HEADING.match(line)
        if numbered and len(line) < 100 and not (contents and _CONTENTS_ENTRY.search(line)):
            flush()
            heading = line
            continue
        joined = breaks.join(paragraph[-1], line) if paragraph else None  # a word hyphenated across a line break
        if joined is not None:
            paragraph[-1] = joined
        else:
            paragraph.append(line)
        if re.search(r"[.!?:;]\W*$", line) and len(line) < 60:
            flush()  # a short line ending a sentence usually ends its paragraph
    flush()
    return blocks


def _largest_text(page: Any) -> str | None:
    """The text set in the largest type on a page: on a cover or first page, usually the title."""
    runs: list[tuple[float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if text.strip():
            # The rendered size is the font size scaled by the text and the graphics matrices.
            runs.append((float(size) * math.hypot(tm[0], tm[1]) * math.hypot(cm[0], cm[1]), text.strip()))

    page.extract_text(visitor_text=visit)
    if not runs:
        return None
    top = max(size for size, _ in runs)
    sizes = sorted(size for size, text in runs for _ in range(len(text)))
    if top < 1.2 * sizes[len(sizes) // 2]:
        return None  # nothing stands out above the body text
    title = " ".join(text for size, text in runs if size >= 0.85 * top)
    title = re.sub(r"\b(?:\w ){3,}\w\b", lambda m: m.group(0).replace(" ", ""), title)  # "T i t l e" -> "Title"
    title = normalise_whitespace(title)
    return title if len(title) <= 200 and not names_nothing(title) else None


def clean_title(title: str) -> str:
    """Whitespace collapsed and a space restored after a colon ("Labor:Afghanistan")."""
    return re.sub(r"(?<=\w):(?=[^\W\d])", ": ", " ".join(title.split()))


def _info_date(reader: Any) -> str | None:
    try:
        meta = reader.metadata
        created = meta.creation_date if meta is not None else None
    except Exception as exc:  # pypdf raises assorted errors on malformed date strings
        logging.getLogger(__name__).debug("unreadable PDF date: %s", exc)
        return None
    return created.date().isoformat() if created is not None else None


def load_pdf(path: Path) -> LoadedFile:
    """A PDF: one section per page (and per numbered heading within a page), with page numbers and labels."""
    reader, raw_pages, labels = _read_pages(path)
    repeated = _repeated_lines(raw_pages)
    sections = _sections(raw_pages, labels, repeated)
    if not sections:
        raise EmptyDocument(f"no extractable text in {len(raw_pages)} page(s): an image-only or scanned PDF needs OCR first")
    return LoadedFile(title=_title(reader, raw_pages, repeated), sections=tuple(sections), format="pdf",
                      metadata=_info_metadata(reader), n_pages=len(raw_pages))


def _read_pages(path: Path):
    """(the pypdf reader, each page's lines, the printed page labels where the PDF defines them)."""
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError, PdfStreamError

    broken = (PdfReadError, PdfStreamError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
              OSError, AssertionError, ZeroDivisionError)
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except (NotImplementedError, FileNotDecryptedError, PdfReadError) as exc:
                raise EncryptedDocument(f"encrypted PDF that cannot be opened ({exc})") from None
            if not opened:
                raise EncryptedDocument("encrypted PDF that needs a password; save an unencrypted copy and ingest that")
        has_labels = "/PageLabels" in reader.trailer["/Root"]  # type: ignore[operator]  # a dictionary in a readable PDF
        raw_pages = _page_lines(reader, broken)
        labels = list(reader.page_labels) if has_labels else []
    except (EncryptedDocument, LoadError):
        raise
    except broken as exc:
        # pypdf signals broken files with many exception types; each one means "not a readable PDF".
        raise LoadError(f"not a readable PDF ({type(exc).__name__}: {str(exc)[:160] or 'no detail'})") from None
    return reader, raw_pages, labels


def _page_lines(reader: Any, broken: tuple[type[Exception], ...]) -> list[list[str]]:
    """Each page's lines. A page whose content cannot be read (`broken`) is a page without text, and the file's report
    says which; only when no page can be read is the error the file's."""
    pages: list[list[str]] = []
    failed: list[tuple[int, Exception]] = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            text = page.extract_text() or ""
        except broken as exc:
            failed.append((number, exc))
            text = ""
        pages.append([ln.strip() for ln in normalise_whitespace(text).split("\n")])
    if failed and len(failed) == len(pages):
        raise failed[0][1]
    for number, error in failed:
        logging.getLogger(__name__).warning("page %d has no text: its content could not be read (%s: %s)", number,
                                            type(error).__name__, str(error)[:160] or "no detail")
    return pages


def _sections(raw_pages: list[list[str]], labels: list[str], repeated: set[str]) -> list[Section]:
    """The pages' text without running headers and footers (`repeated`), cut at numbered headings."""
    sections: list[Section] = []
    heading: str | None = None
    breaks = LineBreaks(raw_pages)
    for number, lines in enumerate(raw_pages, start=1):
        label = labels[number - 1] if number - 1 < len(labels) else None
        for block_heading, text in _clean_page(lines, repeated, breaks):
            heading = block_heading or heading
            sections.append(Section(text=text, page=number, page_label=label, heading_path=(heading,) if heading else ()))
    return sections


def _title(reader, raw_pages: list[list[str]], repeated: set[str]) -> str | None:
    """The info dictionary's title, else the largest type on page 1, else its first line that is not a running
    header or footer (`repeated`) or a page number."""
    title = None
    try:
        info_title = reader.metadata.title if reader.metadata is not None else None
    except Exception:
        info_title = None
    if isinstance(info_title, str) and not names_nothing(info_title):  # not "U", "Microsoft Word - draft.docx"
        title = clean_title(info_title)
    if not title and reader.pages:
        try:
            title = _largest_text(reader.pages[0])
        except (ValueError, KeyError, TypeError, AttributeError, IndexError, ZeroDivisionError):
            title = None  # an odd font or matrix: fall back to the first line below
    if not title:
        # Not "Page 1 of 7", nor the running header printed on every page.
        first_lines = [ln for ln in raw_pages[0] if not names_nothing(ln) and not _is_furniture(ln, repeated)] if raw_pages else []
        title = first_lines[0][:200] if first_lines else None
    return title


def _info_metadata(reader) -> dict[str, Any]:
    """Date, description and author from the PDF's info dictionary, where it has them."""
    metadata: dict[str, Any] = {}
    date = _info_date(reader)
    if date:
        metadata["date"] = date
    try:
        subject = reader.metadata.subject if reader.metadata is not None else None
        author = reader.metadata.author if reader.metadata is not None else None
    except Exception:
        subject = author = None
    if isinstance(subject, str) and subject.strip():
        metadata["description"] = subject.strip()
    if isinstance(author, str) and author.strip():
        metadata["author"] = author.strip()
    return metadata
