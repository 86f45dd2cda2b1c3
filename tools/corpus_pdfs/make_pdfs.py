#!/usr/bin/env python3
"""Generate the sample PDF documents of the kb corpus from simple Markdown-like sources.

Usage (from the repository root)::

    python tools/corpus_pdfs/make_pdfs.py            # regenerate every PDF in src/
    python tools/corpus_pdfs/make_pdfs.py rpl        # only sources whose file name contains "rpl"
    KB_PDF_DEBUG=1 python tools/corpus_pdfs/make_pdfs.py   # also print how full each page is

Needs fpdf2 (``pip install fpdf2``, also in the ``test`` extra) and pypdf.

Source format (``tools/corpus_pdfs/src/*.md``)
----------------------------------------------
Line 1 is ``# Title``. It is followed by ``key: value`` metadata lines, up to the
first blank line:

    output:       path of the PDF relative to corpus/ (required), e.g. tool-reports/x.pdf
    subtitle:     second line of the title page
    author:       PDF /Author (default "International Labour Office")
    date:         YYYY-MM-DD, becomes the PDF /CreationDate and /ModDate
    subject:      PDF /Subject
    keywords:     PDF /Keywords
    topics:       comma-separated topic slugs   -> sidecar NAME.meta.json
    countries:    comma-separated country names -> sidecar NAME.meta.json
    summary:      one-paragraph summary          -> sidecar NAME.meta.json
    contents:     "yes" adds a table-of-contents page after the title page
    page_labels:  "roman-front" labels the front matter (title page, contents
                  page) i, ii, ... and the body pages 1, 2, 3, ...; the printed
                  footer numbers follow the same labels. Without it, the footer
                  prints the physical page number.

The body then uses:

    ## 1. Heading      a numbered section heading
    ### Heading        a sub-heading
    - item             a bullet (consecutive "- " lines form one list)
    ===page===         an explicit page break (each "page" of the source must fit
                       on one printed page; the script fails if fpdf2 had to add
                       a page break itself, so physical page numbers are stable)
    any other text     paragraph text; consecutive lines are joined, a blank line
                       ends the paragraph

The title page is generated from the metadata, so the first body page is physical
page 2 (page 3 with ``contents: yes``). Text must be latin-1 (core Helvetica font);
curly quotes and dashes are replaced by ASCII equivalents.

Outputs are deterministic: the same sources give byte-identical PDFs.
"""

from __future__ import annotations

import io
import json
import os
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

HERE = Path(__file__).resolve().parent
SRC_DIR = HERE / "src"
CORPUS_DIR = HERE.parent.parent / "corpus"
PAGE_BREAK = "===page==="
MAX_BYTES = 200 * 1024

ASCII_MAP = {
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2013": "-", "\u2014": " - ", "\u2026": "...", "\u00a0": " ",
    "\u2022": "-", "\u2212": "-",
}


def clean(text: str) -> str:
    for bad, good in ASCII_MAP.items():
        text = text.replace(bad, good)
    text.encode("latin-1")  # fail early on characters the core font cannot draw
    return text


def to_roman(n: int) -> str:
    vals = [(10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]
    out = ""
    for v, s in vals:
        while n >= v:
            out += s
            n -= v
    return out


@dataclass
class Doc:
    title: str
    meta: dict[str, str]
    # list of pages; each page is a list of blocks (kind, payload)
    pages: list[list[tuple[str, object]]] = field(default_factory=list)

    @property
    def contents(self) -> bool:
        return self.meta.get("contents", "").lower() == "yes"

    @property
    def labelled(self) -> bool:
        return self.meta.get("page_labels", "") == "roman-front"

    @property
    def front_pages(self) -> int:
        return 2 if self.contents else 1


def parse(path: Path) -> Doc:
    lines = clean(path.read_text(encoding="utf-8")).splitlines()
    if not lines or not lines[0].startswith("# "):
        raise ValueError(f"{path}: first line must be '# Title'")
    title = lines[0][2:].strip()
    meta: dict[str, str] = {}
    i = 1
    while i < len(lines) and lines[i].strip():
        key, _, value = lines[i].partition(":")
        meta[key.strip().lower()] = value.strip()
        i += 1
    if "output" not in meta:
        raise ValueError(f"{path}: missing 'output:' metadata")
    doc = Doc(title=title, meta=meta, pages=[[]])
    para: list[str] = []
    bullets: list[str] = []

    def flush() -> None:
        if para:
            doc.pages[-1].append(("p", " ".join(para)))
            para.clear()
        if bullets:
            doc.pages[-1].append(("ul", list(bullets)))
            bullets.clear()

    for raw in lines[i:]:
        line = raw.rstrip()
        if line.strip() == PAGE_BREAK:
            flush()
            doc.pages.append([])
        elif line.startswith("## "):
            flush()
            doc.pages[-1].append(("h2", line[3:].strip()))
        elif line.startswith("### "):
            flush()
            doc.pages[-1].append(("h3", line[4:].strip()))
        elif line.startswith("- "):
            if para:
                flush()
            bullets.append(line[2:].strip())
        elif not line.strip():
            flush()
        elif bullets and raw.startswith("  "):
            bullets[-1] += " " + line.strip()  # continuation of a bullet
        else:
            if bullets:
                flush()
            para.append(line.strip())
    flush()
    doc.pages = [p for p in doc.pages if p]
    return doc


class DocPDF(FPDF):
    def __init__(self, doc: Doc):
        super().__init__(format="A4", unit="mm")
        self.doc = doc
        self.short_title = doc.meta.get("short_title", doc.title)
        self.set_margins(22, 20, 22)
        self.set_auto_page_break(True, margin=22)

    def label_for(self, physical: int) -> str:
        if self.doc.labelled:
            if physical <= self.doc.front_pages:
                return to_roman(physical)
            return str(physical - self.doc.front_pages)
        return str(physical)

    def footer(self) -> None:
        if self.page_no() == 1:
            return  # no printed number on the title page
        self.set_y(-14)
        self.set_font("Helvetica", "", 8)
        self.set_text_color(110, 110, 110)
        self.set_draw_color(180, 180, 180)
        self.line(22, self.get_y() - 2, 210 - 22, self.get_y() - 2)
        self.cell(120, 5, self.short_title, align="L")
        self.cell(0, 5, self.label_for(self.page_no()), align="R")
        self.set_text_color(0, 0, 0)


def build_pdf(doc: Doc) -> bytes:
    date = datetime.strptime(doc.meta["date"], "%Y-%m-%d").replace(
        hour=9, tzinfo=timezone.utc
    )
    pdf = DocPDF(doc)
    pdf.set_title(doc.title)
    pdf.set_author(doc.meta.get("author", "International Labour Office"))
    pdf.set_subject(doc.meta.get("subject", ""))
    if doc.meta.get("keywords"):
        pdf.set_keywords(doc.meta["keywords"])
    pdf.set_creator("kb tools/corpus_pdfs/make_pdfs.py")
    pdf.set_producer("fpdf2")
    pdf.set_creation_date(date)

    # --- title page
    pdf.add_page()
    pdf.set_fill_color(30, 45, 110)
    pdf.rect(0, 0, 210, 12, style="F")
    pdf.set_y(55)
    pdf.set_font("Helvetica", "B", 24)
    pdf.multi_cell(0, 11, doc.title, align="L")
    if doc.meta.get("subtitle"):
        pdf.ln(4)
        pdf.set_font("Helvetica", "", 14)
        pdf.set_text_color(60, 60, 60)
        pdf.multi_cell(0, 7, doc.meta["subtitle"], align="L")
        pdf.set_text_color(0, 0, 0)
    pdf.set_y(190)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 7, doc.meta.get("author", "International Labour Office"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 6, "Skills and Employability Branch", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, "Geneva, " + date.strftime("%B %Y"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(245)
    pdf.set_font("Helvetica", "I", 8)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(
        0, 4,
        "Sample document written for the kb demonstration knowledge base of the Global "
        "Programme on Skills and Lifelong Learning (GPSL3). It summarizes publicly described "
        "ILO approaches in its own words and is not an official ILO publication. Country "
        "examples are illustrative.",
    )
    pdf.set_text_color(0, 0, 0)

    # --- contents page
    if doc.contents:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 16)
        pdf.cell(0, 10, "Contents", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        pdf.set_font("Helvetica", "", 11)
        for idx, page in enumerate(doc.pages):
            physical = doc.front_pages + 1 + idx
            for kind, payload in page:
                if kind == "h2":
                    pdf.cell(150, 7, str(payload))
                    pdf.cell(0, 7, pdf.label_for(physical), align="R", new_x="LMARGIN", new_y="NEXT")

    # --- body
    for page in doc.pages:
        pdf.add_page()
        expected = pdf.page_no()
        for kind, payload in page:
            if kind == "h2":
                pdf.ln(2)
                pdf.set_font("Helvetica", "B", 14)
                pdf.set_text_color(30, 45, 110)
                pdf.multi_cell(0, 7, str(payload), new_x="LMARGIN", new_y="NEXT")
                pdf.set_text_color(0, 0, 0)
                pdf.ln(1.5)
            elif kind == "h3":
                pdf.ln(1)
                pdf.set_font("Helvetica", "B", 11.5)
                pdf.multi_cell(0, 6, str(payload), new_x="LMARGIN", new_y="NEXT")
                pdf.ln(0.5)
            elif kind == "p":
                pdf.set_font("Helvetica", "", 10.5)
                pdf.multi_cell(0, 5.2, str(payload), new_x="LMARGIN", new_y="NEXT")
                pdf.ln(2.2)
            elif kind == "ul":
                pdf.set_font("Helvetica", "", 10.5)
                for item in payload:  # type: ignore[union-attr]
                    pdf.set_x(pdf.l_margin + 4)
                    pdf.cell(5, 5.2, "-")
                    pdf.multi_cell(0, 5.2, item, new_x="LMARGIN", new_y="NEXT")
                    pdf.ln(0.8)
                pdf.ln(1.6)
        if os.environ.get("KB_PDF_DEBUG"):
            print(f"  page {expected}: filled to y={pdf.get_y():.0f} of {pdf.page_break_trigger:.0f} mm")
        if pdf.page_no() != expected:
            raise RuntimeError(
                f"{doc.meta['output']}: source page starting at physical page {expected} "
                "overflows onto the next page; shorten it or add a ===page=== break"
            )

    data = bytes(pdf.output())
    if doc.labelled:
        data = add_page_labels(data, doc.front_pages)
    return data


def add_page_labels(data: bytes, front: int) -> bytes:
    """Roman labels for the front matter, arabic from 1 for the body (via pypdf)."""
    reader = PdfReader(io.BytesIO(data))
    writer = PdfWriter(clone_from=reader)
    n = len(writer.pages)
    writer.set_page_label(0, front - 1, style="/r", start=1)
    writer.set_page_label(front, n - 1, style="/D", start=1)
    # Deterministic file identifier (pypdf would otherwise derive it from the time).
    from pypdf.generic import ArrayObject, ByteStringObject
    import hashlib

    digest = ByteStringObject(hashlib.md5(data).digest())
    writer._ID = ArrayObject([digest, digest])  # noqa: SLF001
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def write_meta(doc: Doc, pdf_path: Path) -> None:
    def split(key: str) -> list[str]:
        return [s.strip() for s in doc.meta.get(key, "").split(",") if s.strip()]

    meta = {
        "topics": split("topics"),
        "countries": split("countries"),
        "language": doc.meta.get("language", "en"),
        "summary": doc.meta.get("summary", ""),
    }
    side = pdf_path.with_name(pdf_path.stem + ".meta.json")
    side.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    sources = sorted(SRC_DIR.glob("*.md"))
    if argv:
        sources = [s for s in sources if any(a in s.name for a in argv)]
    if not sources:
        print("no sources found", file=sys.stderr)
        return 1
    for src in sources:
        doc = parse(src)
        data = build_pdf(doc)
        if len(data) > MAX_BYTES:
            raise RuntimeError(f"{src.name}: PDF is {len(data)} bytes (limit {MAX_BYTES})")
        out = CORPUS_DIR / doc.meta["output"]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        write_meta(doc, out)
        pages = doc.front_pages + len(doc.pages)
        print(f"{out.relative_to(CORPUS_DIR)}: {pages} pages, {len(data) // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
