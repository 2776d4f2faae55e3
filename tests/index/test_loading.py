"""Every input format loads with its metadata; bad files become reported issues."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from index.loading import load_corpus, normalize_date, slugify
from policyqa.settings import PROJECT_ROOT
from tests.index.pdfs import pdf_file, pdf_string


def make_pdf(lines: list[str], info: dict[str, str]) -> bytes:
    """A minimal valid one-page PDF with a text content stream, written by hand."""
    stream = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({pdf_string(line)}) Tj T*" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        "<< " + " ".join(f"/{k} ({pdf_string(v)})" for k, v in info.items()) + " >>",
    ]
    return pdf_file(objects, trailer="/Info 6 0 R")


PDF = make_pdf(
    ["Pilot rules for cloud services.", "Foreign ownership is capped at 50% (in 20 cities)."],
    {"Title": "Cloud Pilot Rules", "Author": "Test Ministry", "CreationDate": "D:20250421093000+08'00'"},
)

HTML = """<!DOCTYPE html>
<html lang="en-GB">
<head>
  <title>Fallback title</title>
  <meta property="og:title" content="Telecom Opening Notice">
  <meta property="og:site_name" content="Policy Daily">
  <meta property="article:published_time" content="2025-04-21T09:30:00+08:00">
  <link rel="canonical" href="https://example.org/notice">
  <style>p { color: red }</style>
  <script>var tracking = "do not index";</script>
</head>
<body>
  <nav>Home | News | Contact</nav>
  <article>
    <h1>Telecom Opening Notice</h1>
    <p>The ministry allows <b>wholly foreign-owned</b> data centres &amp; cloud services.</p>
    <p>VPN services are capped at 50%.</p>
    <ul><li>Beijing</li><li>Wuhan</li></ul>
  </article>
  <footer>Copyright Policy Daily</footer>
</body>
</html>
"""


def load(folder: Path):
    result = load_corpus(folder)
    return {d.source: d for d in result.documents}, {i.path: i for i in result.issues}


def test_markdown_front_matter(tmp_path):
    (tmp_path / "a.md").write_text(
        '---\nid: My Doc\ntitle: "A: title"\npublisher: Xinhua\ndate: 2025-02-24\n'
        "url: https://example.org/a\nlanguage: en\n# a comment\n---\nFirst line.\nSecond line.\n",
        encoding="utf-8",
    )
    docs, issues = load(tmp_path)
    doc = docs["a.md"]
    assert not issues
    assert doc.id == "my-doc"  # ids are slugs
    assert (doc.title, doc.publisher, doc.date, doc.url, doc.language) == (
        "A: title",
        "Xinhua",
        "2025-02-24",
        "https://example.org/a",
        "en",
    )
    assert doc.text == "First line.\nSecond line."


def test_markdown_without_front_matter_uses_file_name(tmp_path):
    (tmp_path / "Some Notice (2025).markdown").write_text("# Heading\n\nBody text.\n", encoding="utf-8")
    docs, _ = load(tmp_path)
    doc = docs["Some Notice (2025).markdown"]
    assert doc.id == "some-notice-2025"
    assert (doc.title, doc.publisher, doc.date) == ("Heading", "", None)  # its own headline
    assert doc.text == "Heading\nBody text."


def test_txt(tmp_path):
    (tmp_path / "notes.txt").write_bytes("\ufeffPlain text, UTF-8 with BOM: café.\r\nSecond line.\r\n".encode("utf-8"))
    docs, issues = load(tmp_path)
    assert not issues
    assert docs["notes.txt"].id == "notes"
    assert docs["notes.txt"].text == "Plain text, UTF-8 with BOM: café.\nSecond line."


def test_text_in_other_encodings_loads_with_its_encoding_reported(tmp_path):
    german = "Die Kündigung ist jederzeit möglich – die Gebühr von 5 € wird „anteilig“ erstattet."
    chinese = "如果测试结束后您没有创建帐户，我们会在两周内删除您的电子邮件地址。"
    (tmp_path / "windows.txt").write_bytes(german.encode("cp1252"))
    (tmp_path / "latin1.md").write_bytes("# Café\n\nCrème brûlée, encoded as Latin-1.\n".encode("latin-1"))
    (tmp_path / "gb.txt").write_bytes(chinese.encode("gb18030"))
    notepad = "Rückfragen beantwortet das Büro."
    (tmp_path / "notepad.txt").write_bytes(notepad.encode("utf-16"))  # Notepad's "Unicode": a BOM
    page = "Gebühren: 5 € „pro Monat“ – zahlbar im Voraus."
    declared = f'<html><head><meta charset="iso-8859-1"><title>Gebühren</title></head><body><p>{page}</p>'
    (tmp_path / "page.html").write_bytes(declared.encode("cp1252"))  # labelled Latin-1, as pages are
    docs, issues = load(tmp_path)

    assert docs["windows.txt"].text == german
    assert docs["latin1.md"].text == "Café\nCrème brûlée, encoded as Latin-1." and docs["latin1.md"].title == "Café"
    assert docs["gb.txt"].text == chinese
    assert docs["notepad.txt"].text == notepad
    assert docs["page.html"].text == page and docs["page.html"].title == "Gebühren"
    # A detected encoding is reported (the document still loads); a BOM or a declaration is not.
    assert sorted(issues) == ["gb.txt", "latin1.md", "windows.txt"]
    for path, codec in {"windows.txt": "cp1252", "latin1.md": "cp1252", "gb.txt": "gb18030"}.items():
        assert not issues[path].skipped and f"read as {codec}" in issues[path].problem


def test_html_title_meta_and_body(tmp_path):
    (tmp_path / "notice.html").write_text(HTML, encoding="utf-8")
    docs, issues = load(tmp_path)
    assert not issues
    doc = docs["notice.html"]
    assert (doc.id, doc.title, doc.publisher, doc.date, doc.url, doc.language) == (
        "notice",
        "Telecom Opening Notice",
        "Policy Daily",
        "2025-04-21",
        "https://example.org/notice",
        "en",  # lang="en-GB": languages are kept as primary codes
    )
    assert doc.text.splitlines() == [
        "Telecom Opening Notice",
        "The ministry allows wholly foreign-owned data centres & cloud services.",
        "VPN services are capped at 50%.",
        "Beijing",
        "Wuhan",
    ]
    for chrome in ("tracking", "color: red", "Home | News", "Copyright"):
        assert chrome not in doc.text


def test_html_title_tag_when_no_meta(tmp_path):
    (tmp_path / "plain.htm").write_text(
        "<html><head><title> Only a title </title></head><body><p>Text.</p></body></html>", encoding="utf-8"
    )
    docs, _ = load(tmp_path)
    assert docs["plain.htm"].title == "Only a title"
    assert docs["plain.htm"].text == "Text."


def test_pdf_text_and_metadata(tmp_path):
    (tmp_path / "rules.pdf").write_bytes(PDF)
    docs, issues = load(tmp_path)
    assert not issues
    doc = docs["rules.pdf"]
    assert (doc.id, doc.title, doc.publisher, doc.date) == ("rules", "Cloud Pilot Rules", "Test Ministry", "2025-04-21")
    assert doc.text == "Pilot rules for cloud services.\nForeign ownership is capped at 50% (in 20 cities)."


def make_docx(title: str = "Travel Handbook") -> bytes:
    """A real Word document, written by python-docx: Word's Title and heading styles, a
    bulleted list, a table, bold text, and its core properties."""
    import datetime as dt
    import io

    import docx

    document = docx.Document()
    props = document.core_properties
    props.title, props.author, props.language, props.keywords = title, "Office of Travel", "en-GB", "travel"
    props.modified = dt.datetime(2025, 3, 14, 9, 30)
    document.add_heading("Travel Handbook", level=0)
    document.add_heading("1. Booking", level=1)
    paragraph = document.add_paragraph("Book flights at least ")
    paragraph.add_run("14 days").bold = True
    paragraph.add_run(" before departure.")
    document.add_heading("1.1 Approvals", level=2)
    document.add_paragraph("A supervisor approves every trip.")
    for item in ("Economy class", "One checked bag"):
        document.add_paragraph(item, style="List Bullet")
    table = document.add_table(rows=2, cols=2)
    for (row, col), text in {(0, 0): "City", (0, 1): "Daily rate", (1, 0): "Lyon", (1, 1): "EUR 95"}.items():
        table.cell(row, col).text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_word_document_keeps_its_headings_lists_tables_and_properties(tmp_path):
    from index.chunking import chunk_document

    (tmp_path / "travel.docx").write_bytes(make_docx())
    docs, issues = load(tmp_path)
    assert not issues
    doc = docs["travel.docx"]
    assert (doc.id, doc.title, doc.publisher, doc.date, doc.language, doc.keywords) == (
        "travel",
        "Travel Handbook",
        "Office of Travel",
        "2025-03-14",
        "en",
        "travel",
    )
    assert doc.text == (
        "Travel Handbook\n1. Booking\nBook flights at least 14 days before departure.\n1.1 Approvals\n"
        "A supervisor approves every trip.\nEconomy class\nOne checked bag\nCity | Daily rate\nLyon | EUR 95"
    )
    chunks = chunk_document(doc, chunk_words=20)
    approvals = next(c for c in chunks if "supervisor" in doc.text[c.start : c.end])
    assert approvals.section == "Travel Handbook > 1. Booking > 1.1 Approvals"
    assert "Lyon | EUR 95" in doc.text[approvals.start : approvals.end]  # the list and table stay in their section


def test_a_word_document_without_a_title_property_is_titled_by_its_title_paragraph(tmp_path):
    (tmp_path / "untitled.docx").write_bytes(make_docx(title=""))
    docs, _ = load(tmp_path)
    assert docs["untitled.docx"].title == "Travel Handbook"


def test_an_office_file_that_is_not_a_word_document_or_expands_too_far_is_skipped(tmp_path, monkeypatch):
    import io
    import zipfile

    import index.word

    sheet = io.BytesIO()
    with zipfile.ZipFile(sheet, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    (tmp_path / "renamed-sheet.docx").write_bytes(sheet.getvalue())
    (tmp_path / "bomb.docx").write_bytes(make_docx())
    monkeypatch.setattr(index.word, "MAX_XML_BYTES", 1000)  # a real document's parts are more
    docs, issues = load(tmp_path)
    assert not docs
    assert "without a Word document body" in issues["renamed-sheet.docx"].problem
    assert "over the 0.001 MB allowed" in issues["bomb.docx"].problem


def test_a_real_page_written_to_word_loads_as_its_markdown_does(word_corpus, handbook_corpus):
    from index.chunking import chunk_document

    word = load_corpus(word_corpus).documents[0]
    markdown = next(d for d in load_corpus(handbook_corpus).documents if d.source == "travel-and-leave/leave.md")
    assert (word.title, word.text) == (markdown.title, markdown.text)
    sections = [[c.section for c in chunk_document(d, chunk_words=120)] for d in (word, markdown)]
    assert sections[0] == sections[1] and len(set(sections[0])) > 3


def test_the_same_short_text_in_two_formats_keeps_the_richer_one(tmp_path):
    """Too short for the copy detection's shingles: the exact text decides, and the
    Markdown source wins over its PDF rendering though the PDF's path sorts first."""
    (tmp_path / "a-rendering.pdf").write_bytes(make_pdf(["Pilot rules for cloud services."], {}))
    (tmp_path / "rules.md").write_text("Pilot rules for cloud services.\n", encoding="utf-8")
    docs, issues = load(tmp_path)
    assert list(docs) == ["rules.md"]
    assert "same text as rules.md" in issues["a-rendering.pdf"].problem


def test_all_formats_together_in_subfolders(tmp_path):
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "a.md").write_text("---\nid: a\n---\nAlpha.\n", encoding="utf-8")
    (tmp_path / "sub" / "b.txt").write_text("Beta.\n", encoding="utf-8")
    (tmp_path / "sub" / "deeper" / "c.html").write_text(HTML, encoding="utf-8")
    (tmp_path / "sub" / "d.PDF").write_bytes(PDF)
    (tmp_path / "README.md").write_text("Not a document.\n", encoding="utf-8")
    (tmp_path / ".hidden.md").write_text("Hidden.\n", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.md").write_text("Hidden too.\n", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    docs, issues = load(tmp_path)
    assert sorted(docs) == ["a.md", "sub/b.txt", "sub/d.PDF", "sub/deeper/c.html"]
    assert list(issues) == ["image.png"]
    assert "unsupported file type .png" in issues["image.png"].problem


def test_real_corpus_metadata():
    result = load_corpus(PROJECT_ROOT / "corpus")
    assert not result.issues
    docs = {d.id: d for d in result.documents}
    assert sorted(docs) == [
        "foreign-firms-166-approved",
        "gt-miit-pilot-approvals",
        "miit-first-batch-13",
        "miit-pilot-four-areas",
        "new-measures-20-cities",
    ]
    assert (docs["gt-miit-pilot-approvals"].publisher, docs["gt-miit-pilot-approvals"].date) == (
        "Global Times",
        "2025-02-24",
    )
    assert docs["new-measures-20-cities"].date == "2025-04-21"
    assert docs["foreign-firms-166-approved"].title.startswith("166 Foreign Firms Approved")
    assert all(d.language == "en" for d in docs.values())


# --- bad files: each is reported with a reason; the others still load --------------------------


def test_bad_files_are_reported_and_skipped(tmp_path):
    (tmp_path / "good.md").write_text("---\nid: good\n---\nA good document.\n", encoding="utf-8")
    (tmp_path / "empty.md").write_bytes(b"")
    (tmp_path / "blank.txt").write_text(" \n\t\n", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(os.urandom(2048) + b"\x00" * 16)
    (tmp_path / "noise.md").write_bytes(bytes(range(128, 256)) * 8)
    (tmp_path / "huge.txt").write_bytes(b"word " * 4_000_000)  # 20 MB
    (tmp_path / "z-duplicate.md").write_text("---\nid: good-copy\n---\nA good document.\n", encoding="utf-8")
    (tmp_path / "same-id.md").write_text("---\nid: good\n---\nDifferent text, same id.\n", encoding="utf-8")
    (tmp_path / "broken.pdf").write_bytes(PDF[: len(PDF) // 2])
    (tmp_path / "fake.pdf").write_bytes(b"this is not a PDF at all")
    (tmp_path / "binary.html").write_bytes(b"<html>\x00\x01\x02</html>")
    (tmp_path / "fake.docx").write_bytes(b"a text file renamed to .docx")
    (tmp_path / "broken.docx").write_bytes(make_docx()[:2000])
    (tmp_path / "debris-only.md").write_text('x" src="y.jpg" />A photo. Photo:VCG\n-END-\n', encoding="utf-8")
    docs, issues = load(tmp_path)

    assert sorted(d.id for d in docs.values()) == ["good"]
    expected = {
        "empty.md": "empty file",
        "blank.txt": "no text left after cleaning",
        "binary.txt": "binary",
        "noise.md": "no other text encoding fits",
        "huge.txt": "over the 10 MB limit",
        "z-duplicate.md": "same text as good.md",
        "same-id.md": "already used by good.md",
        "broken.pdf": "not a readable PDF",
        "fake.pdf": "not a readable PDF",
        "binary.html": "binary",
        "fake.docx": "not a readable Word document",
        "broken.docx": "not a readable Word document",
        "debris-only.md": "no text left after cleaning",
    }
    assert set(issues) == set(expected)
    for path, reason in expected.items():
        assert reason in issues[path].problem, (path, issues[path].problem)
        assert issues[path].skipped
        assert str(issues[path]).startswith(f"skipped: {path}: ")


def test_size_limit_is_a_setting(tmp_path):
    (tmp_path / "big.txt").write_bytes(b"word. " * 300_000)  # 1.8 MB
    result = load_corpus(tmp_path, max_document_mb=1)
    assert not result.documents and "over the 1 MB limit" in result.issues[0].problem
    assert [d.source for d in load_corpus(tmp_path, max_document_mb=2).documents] == ["big.txt"]


@pytest.mark.parametrize(
    "front_matter, warning",
    [
        ("title: 'unclosed\nid: [x", "front matter ignored, it is not valid YAML"),
        ("- a list\n- not a mapping", "front matter ignored"),
        ("date: 21/04/2025", "not an ISO date"),
        ("date: [2025]", "not an ISO date"),
    ],
)
def test_malformed_front_matter_is_a_warning_and_keeps_the_text(tmp_path, front_matter, warning):
    (tmp_path / "doc.md").write_text(f"---\n{front_matter}\n---\nThe body survives.\n", encoding="utf-8")
    docs, issues = load(tmp_path)
    assert docs["doc.md"].text == "The body survives."
    assert docs["doc.md"].date is None
    assert warning in issues["doc.md"].problem and not issues["doc.md"].skipped
    assert str(issues["doc.md"]).startswith("warning: doc.md: ")


@pytest.mark.parametrize(
    "html, text",
    [
        (b"<html><body><p>Unclosed <b>bold <div>Second</p></span> tail.</body>", "Unclosed bold\nSecond\n tail."),
        (b"<p>No html or body element at all.", "No html or body element at all."),
        (b"<<<<>>>> loose brackets & stray &bogus; entity", "<<<<>>>> loose brackets & stray &bogus entity"),
    ],
)
def test_malformed_html_still_loads(tmp_path, html, text):
    (tmp_path / "page.html").write_bytes(html)
    docs, issues = load(tmp_path)
    assert not issues
    assert " ".join(docs["page.html"].text.split()) == " ".join(text.split())


def test_missing_folder_is_an_issue(tmp_path):
    result = load_corpus(tmp_path / "nope")
    assert not result.documents and "does not exist" in result.issues[0].problem


def test_unreadable_file_is_an_issue(tmp_path):
    (tmp_path / "ok.md").write_text("Fine.\n", encoding="utf-8")
    (tmp_path / "dangling.md").symlink_to(tmp_path / "missing-target.md")
    (tmp_path / "secret.md").write_text("Unreadable.\n", encoding="utf-8")
    (tmp_path / "secret.md").chmod(0)  # root reads it anyway; a normal user gets an issue
    docs, issues = load(tmp_path)
    assert sorted(docs) == (["ok.md", "secret.md"] if os.geteuid() == 0 else ["ok.md"])
    assert "cannot read" in issues["dangling.md"].problem


@pytest.mark.parametrize(
    "value, iso",
    [
        ("2025-02-24", "2025-02-24"),
        ("2025-04-21T09:30:00+08:00", "2025-04-21"),
        ("D:20250421093000+08'00'", "2025-04-21"),
        (None, None),
        ("", None),
    ],
)
def test_normalize_date(value, iso):
    assert normalize_date(value) == iso


def test_slugify():
    assert slugify("Über Policy: 2025/04!") == "ber-policy-2025-04"
    assert slugify("!!!") == "document"
    assert len(slugify("x" * 200)) == 80
