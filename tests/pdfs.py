"""Small real PDFs made on the fly for loader tests (fpdf2 writes, pypdf adds labels and encryption)."""

from __future__ import annotations

from pathlib import Path


def make_pdf(path: Path, pages: list[str], title: str | None = None, created: str | None = "20210314",
             footer: str | None = "Skills toolkit", header: str | None = None) -> Path:
    """A PDF with one page per text, a running footer and a printed page number on each page (and a running
    header above the text, when given)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    if title:
        pdf.set_title(title)
    if created:
        import datetime as dt

        pdf.set_creation_date(dt.datetime.strptime(created, "%Y%m%d").replace(tzinfo=dt.UTC))
    for number, text in enumerate(pages, start=1):
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        if header:
            pdf.set_xy(15, 10)
            pdf.cell(0, 5, header)
        pdf.set_xy(15, 20)
        pdf.multi_cell(180, 6, text)
        if footer:
            pdf.set_xy(15, 280)
            pdf.cell(0, 5, f"{footer} - page {number}")
    pdf.output(str(path))
    return path


def add_page_labels(path: Path, front_pages: int) -> Path:
    """Label the first `front_pages` pages i, ii, ... and the rest 1, 2, ... (like a real report)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(path))
    n = len(writer.pages)
    writer.set_page_label(0, front_pages - 1, style="/r")
    writer.set_page_label(front_pages, n - 1, style="/D", start=1)
    with open(path, "wb") as fh:
        writer.write(fh)
    return path


def encrypt_pdf(path: Path, user_password: str, owner_password: str = "owner") -> Path:
    """Encrypt a PDF in place (AES-256)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(path))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-256")
    with open(path, "wb") as fh:
        writer.write(fh)
    return path


def make_image_only_pdf(path: Path) -> Path:
    """A PDF whose only page holds a drawing and no text (like a scan)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")
    pdf.output(str(path))
    return path


def make_slow_pdf(path: Path, operations: int) -> Path:
    """A one-page PDF whose content stream repeats a text operator `operations` times: valid, and slow
    to extract (about 5 s per 100,000 on a 2-core machine) - a stand-in for a pathological real file."""
    stream = b"BT /F1 12 Tf 10 700 Td " + b"(ab) Tj " * operations + b"ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def break_page(path: Path, index: int) -> Path:
    """Give one page a content stream that ends inside an array, as a damaged real file has: pypdf cannot read it."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter(clone_from=PdfReader(path))
    stream = DecodedStreamObject()
    stream.set_data(b"BT /F1 12 Tf 10 700 Td [ (a) 1 2 ( Tj ET")
    writer.pages[index][NameObject("/Contents")] = writer._add_object(stream)
    with open(path, "wb") as fh:
        writer.write(fh)
    return path
