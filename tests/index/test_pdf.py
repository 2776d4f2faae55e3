"""PDF headings and paragraphs from the page layout: a hand-written PDF whose layout is
known, and real renderings checked against the Markdown they were printed from."""

from __future__ import annotations

import io
import shutil

import pytest
from pypdf import PdfReader

from index.chunking import chunk_document
from index.loading import load_corpus
from index.pdf import pdf_pieces
from tests.index.pdfs import pdf_file, pdf_string

# (font, size, x, y, text): F1 is a regular face, F2 and F3 bold ones; y grows up the page.
Run = tuple[str, float, float, float, str]


def layout_pdf(pages: list[list[Run]]) -> bytes:
    """A valid PDF with each run of text placed where it says, written by hand."""
    fonts = "/Font << /F1 3 0 R /F2 4 0 R /F3 5 0 R >>"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        None,  # the page tree, once the pages are numbered
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        # A bold face whose name does not say so (as TeX's CMBX10): its descriptor does.
        "<< /Type /Font /Subtype /Type1 /BaseFont /CMBX10 /Encoding /WinAnsiEncoding /FontDescriptor 6 0 R >>",
        "<< /Type /FontDescriptor /FontName /CMBX10 /Flags 262176 /FontWeight 700 /ItalicAngle 0 >>",
    ]
    kids = []
    for runs in pages:
        stream = " ".join(
            f"BT /{font} {size} Tf 1 0 0 1 {x} {y} Tm ({pdf_string(text, 'cp1252')}) Tj ET"
            for font, size, x, y, text in runs
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {len(objects)} 0 R "
            f"/Resources << {fonts} >> >>"
        )
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    return pdf_file(objects)


def _page(number: int, body: list[Run]) -> list[Run]:
    """A page with a running title at the top and its number at the bottom."""
    return [("F1", 9, 72, 760, "Staff Travel Rules - internal"), *body, ("F1", 9, 300, 30, f"Page {number} of 3")]


HANDBOOK = layout_pdf(
    [
        _page(
            1,
            [
                ("F2", 20, 72, 700, "Staff Travel Rules"),
                ("F2", 14, 72, 660, "1. Booking"),
                ("F1", 11, 72, 630, "Flights are booked through the travel desk at least fourteen days"),
                ("F1", 11, 72, 616, "before departure, and never by the traveller directly."),
                ("F1", 11, 72, 590, "Hotels follow the same rule."),
                ("F3", 11, 72, 560, "Approvals"),
                ("F1", 11, 72, 540, "A supervisor approves every trip that lasts longer than a single"),
                ("F1", 11, 72, 526, "working day, before anything is booked."),
                ("F1", 11, 72, 500, "Economy class on every flight under six hours."),
                ("F1", 11, 60, 500, "\u2022"),  # the bullet, drawn after its line
                ("F1", 11, 72, 486, "One checked bag."),
                ("F1", 11, 60, 486, "\u2022"),
            ],
        ),
        _page(2, [("F2", 14, 72, 700, "2. Expenses"), ("F1", 11, 72, 670, "Receipts are kept for seven years.")]),
        _page(3, [("F1", 11, 72, 700, "Travel Office"), ("F1", 11, 72, 686, "12 Harbour Street")]),
    ]
)


def test_headings_paragraphs_and_items_come_from_the_layout():
    pieces = [(p.kind, p.level, p.text) for p in pdf_pieces(PdfReader(io.BytesIO(HANDBOOK)))]
    assert pieces == [
        ("heading", 1, "Staff Travel Rules"),
        ("heading", 2, "1. Booking"),
        (
            "paragraph",
            0,
            "Flights are booked through the travel desk at least fourteen days before departure, "
            "and never by the traveller directly.",
        ),
        ("paragraph", 0, "Hotels follow the same rule."),
        ("heading", 3, "Approvals"),  # bold at body size: below the larger headings
        (
            "paragraph",
            0,
            "A supervisor approves every trip that lasts longer than a single working day, before anything is booked.",
        ),
        ("item", 0, "Economy class on every flight under six hours."),
        ("item", 0, "One checked bag."),
        ("heading", 2, "2. Expenses"),
        ("paragraph", 0, "Receipts are kept for seven years."),
        ("paragraph", 0, "Travel Office"),  # short lines broken by hand stay apart
        ("paragraph", 0, "12 Harbour Street"),
    ]  # the running title and the page numbers are gone


def test_a_paragraph_continues_from_one_column_into_the_next():
    left = [("F1", 11, 72, 700 - 14 * i, f"Line {i} of the notice on fees, which continues") for i in range(4)]
    right = [
        ("F1", 11, 320, 700, "into the second column and ends here."),
        ("F1", 11, 320, 672, "A second paragraph starts after a gap."),
    ]
    pieces = pdf_pieces(PdfReader(io.BytesIO(layout_pdf([left + right]))))
    assert [p.text for p in pieces] == [
        " ".join(text for *_, text in left) + " into the second column and ends here.",
        "A second paragraph starts after a gap.",
    ]


def test_a_pdf_document_gets_section_paths(tmp_path):
    (tmp_path / "travel.pdf").write_bytes(HANDBOOK)
    doc = load_corpus(tmp_path).documents[0]
    sections = {c.section for c in chunk_document(doc, chunk_words=25)}
    assert "Staff Travel Rules > 1. Booking > Approvals" in sections
    assert "Staff Travel Rules > 2. Expenses" in sections
    assert doc.title == "Staff Travel Rules"  # no /Title: the first heading


def test_a_document_typeset_by_reportlab_keeps_its_structure_across_pages():
    """Another producer's layout: platypus styles (Title, Heading1, Heading2, BodyText),
    a bulleted list whose bullets come from a symbol glyph, a running header and page
    numbers drawn on every page, and a paragraph broken by the page end."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate

    styles = getSampleStyleSheet()
    sentence = (
        "Employees may work remotely for up to three days per week when their role allows it and their manager "
        "agrees in writing. "
    )
    story = [Paragraph("Remote Work Policy", styles["Title"])]
    for n in range(1, 4):
        items = ["A laptop issued by the office.", "A secure connection at all times."]
        story += [
            Paragraph(f"{n}. Eligibility {n}", styles["Heading1"]),
            Paragraph(sentence * 6, styles["BodyText"]),
            Paragraph(f"{n}.1 Equipment", styles["Heading2"]),
            ListFlowable([ListItem(Paragraph(item, styles["BodyText"])) for item in items], bulletType="bullet"),
            Paragraph(sentence * 14, styles["BodyText"]),
        ]

    def furniture(canvas, doc):
        canvas.setFont("Helvetica", 8)
        canvas.drawString(40, 810, "ACME Corp - Internal")
        canvas.drawString(270, 20, f"Page {doc.page}")

    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4).build(story, onFirstPage=furniture, onLaterPages=furniture)
    reader = PdfReader(out)
    assert len(reader.pages) >= 2
    pieces = pdf_pieces(reader)
    headings = [(p.level, p.text) for p in pieces if p.kind == "heading"]
    assert headings == [
        (1, "Remote Work Policy"),
        *[h for n in range(1, 4) for h in ((1, f"{n}. Eligibility {n}"), (2, f"{n}.1 Equipment"))],
    ]
    assert [p.text for p in pieces if p.kind == "item"] == [
        "A laptop issued by the office.",
        "A secure connection at all times.",
    ] * 3
    paragraphs = [p.text for p in pieces if p.kind == "paragraph"]
    assert len(paragraphs) == 6  # none split by a page end
    assert all(p.startswith("Employees may work") and p.endswith("in writing.") for p in paragraphs)
    assert not any("ACME" in p.text or "Page " in p.text for p in pieces)


@pytest.mark.parametrize("language", ["en", "de", "zh-CN"])
def test_a_real_pdf_rendering_loads_as_the_markdown_it_was_printed_from(shared_corpora, tmp_path, language):
    source = shared_corpora / "mozilla-legal" / language
    docs = {}
    for path in (source / "mdn_plus_terms.md", source / "pdf" / "mdn_plus_terms.pdf"):
        folder = tmp_path / path.suffix[1:]
        folder.mkdir()
        shutil.copy(path, folder / path.name)
        docs[path.suffix] = load_corpus(folder).documents[0]
    pdf, markdown = docs[".pdf"], docs[".md"]

    def headings(doc) -> list[tuple[int, str]]:
        return [(b.level, doc.text[b.start : b.end]) for b in doc.blocks if b.kind == "heading"]

    assert headings(pdf) == headings(markdown) and len(headings(pdf)) > 5
    assert [c.section for c in chunk_document(pdf, 120)] == [c.section for c in chunk_document(markdown, 120)]


def test_a_pdf_with_no_text_is_reported_not_loaded(tmp_path):
    (tmp_path / "scan.pdf").write_bytes(layout_pdf([[]]))  # a scan: pages without text
    result = load_corpus(tmp_path)
    assert not result.documents
    assert "no text layer (a scanned PDF needs OCR" in result.issues[0].problem
