"""Structure-aware loading and chunking on Markdown as collections publish it, and on real
documents of the two development collections (skipped where ../shared/corpora is absent)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from index.chunking import SECTION_SEPARATOR, chunk_document
from index.loading import load_corpus, load_file

MESSY = """---
title: Travel rules
keywords: [travel, per diem]
redirect_from:
  - /old-travel/
versions: [1, 2]
sidebar:
  navigation: travel
---

{% alert "Updated guidance" %}
  Read the **new** [travel guidance]({% page "/july-guidance/" %}) first.
{% endalert %}

# Travel rules

## Booking

You *must* book through [Concur](https://example.org/concur) at least
7 days before you travel. Rail is allowed_when_cheaper.

For **meals**, you can claim:

* Breakfast: $15
* Lunch: $20 \\+ tip
* Dinner: $30

<!-- an editor's note -->

| Item | Limit |
|------|-------|
| Taxi | $50 |
| Hotel | $250 per night |

## Receipts

### Lodging
{: #lodging }

Receipts are required for lodging and any expense over $75.
"""


@pytest.fixture
def messy(tmp_path) -> Path:
    path = tmp_path / "travel" / "rules.md"
    path.parent.mkdir()
    path.write_text(MESSY, encoding="utf-8")
    return path


def test_markdown_is_cleaned_to_what_a_reader_sees(messy):
    doc, issues = load_file(messy, messy.parent.parent, 10**7)
    assert not issues  # fields we do not use load silently
    assert doc.id == "travel/rules" and doc.title == "Travel rules" and doc.keywords == "travel, per diem"
    text = doc.text
    for syntax in ("**", "](", "{%", "{:", "<!--", "|---", "* Breakfast", "# ", "\\+"):
        assert syntax not in text, syntax
    assert "Read the new travel guidance first." in text
    assert "You must book through Concur at least 7 days before you travel." in text  # wrapped lines joined
    assert "Lunch: $20 + tip" in text
    assert "Taxi | $50" in text
    assert "allowed_when_cheaper" in text  # intraword underscores are no emphasis


def test_chunks_slice_the_cleaned_text_and_keep_their_section(messy):
    doc, _ = load_file(messy, messy.parent.parent, 10**7)
    for words in (8, 20, 100):
        chunks = chunk_document(doc, words, 1)
        for chunk in chunks:
            assert doc.text[chunk.start : chunk.end] == chunk.text
        sections = {c.section for c in chunks}
        assert "Travel rules > Receipts > Lodging" in sections
    whole = chunk_document(doc, 100, 1)
    meals = next(c for c in whole if "Breakfast" in c.text)
    assert "For meals, you can claim:" in meals.text and "Dinner: $30" in meals.text  # the list stays whole
    assert meals.section == "Travel rules > Booking"
    lodging = next(c for c in whole if "Receipts are required" in c.text)
    assert lodging.text.startswith("Receipts\nLodging\n")  # headings open the chunk of their text


def _ends_on_a_heading(doc, chunk) -> bool:
    last = [b for b in doc.blocks if b.start < chunk.end and b.end > chunk.start][-1]
    return last.kind == "heading" and last.start > chunk.start


def test_real_documents_get_section_paths_and_no_heading_ends_a_chunk(handbook_corpus, legal_corpus):
    leave, _ = load_file(handbook_corpus / "travel-and-leave/leave.md", handbook_corpus, 10**7)
    sections = {c.section for c in chunk_document(leave, 100, 1)}
    assert f"Leave types{SECTION_SEPARATOR}Types of leave{SECTION_SEPARATOR}Annual leave" in sections
    terms, _ = load_file(legal_corpus / "en/subscription_services_tos.md", legal_corpus, 10**7)
    assert terms.date == "2026-03-24"  # from the effective-date attribute
    assert any(
        c.section.endswith("Subscribing to Mozilla Services > Your Payment") for c in chunk_document(terms, 100, 1)
    )
    for folder in (handbook_corpus, legal_corpus):
        for doc in load_corpus(folder).documents:
            for chunk in chunk_document(doc, 100, 1):
                assert doc.text[chunk.start : chunk.end] == chunk.text
                assert not _ends_on_a_heading(doc, chunk), (doc.id, chunk.text[-80:])


def test_ids_are_unique_by_path_and_site_machinery_is_skipped(handbook_corpus, legal_corpus):
    result = load_corpus(handbook_corpus)
    ids = {d.id for d in result.documents}
    assert {"office-of-acquisition/index", "getting-started/index"} <= ids  # two files named index.md
    reasons = {i.path: i.problem for i in result.issues if i.skipped}
    assert "error page" in reasons["404.html"]
    assert "redirect stub" in reasons["redirects/buddy-handbook.md"]
    legal = load_corpus(legal_corpus)
    legal_ids = {d.id for d in legal.documents}
    assert {"en/subscription-services-tos", "de/subscription-services-tos"} <= legal_ids  # a translation is its own


def test_a_copy_in_another_format_is_detected_and_a_version_reported(legal_corpus):
    result = load_corpus(legal_corpus)
    skipped = {i.path: i.problem for i in result.issues if i.skipped}
    assert (
        "the same text as en/subscription_services_tos.md in another format"
        in skipped["en/pdf/subscription_services_tos.pdf"]
    )
    warned = [i for i in result.issues if not i.skipped and i.path == "en/archive/mozilla_vpn_tos.md"]
    assert warned and "both kept" in warned[0].problem
    assert "en/archive/mozilla-vpn-tos" in {d.id for d in result.documents}


def test_a_compilation_of_the_collections_documents_is_skipped_for_its_parts(tmp_path):
    """A print-all page holds every chapter whole: its passages would repeat theirs. A
    document that quotes two chapters beside as much text of its own is a document."""
    topics = ["refunds", "accounts", "privacy"]
    chapters = {
        t: " ".join(f"Rule {n} on {t}: the {t} team answers request {n} within {n + 2} days." for n in range(30))
        for t in topics
    }
    for t, text in chapters.items():
        (tmp_path / f"{t}.md").write_text(f"# {t.title()}\n\n{text}\n", encoding="utf-8")
    (tmp_path / "print.md").write_text(
        "".join(f"# {t.title()}\n\n{text}\n\n" for t, text in chapters.items()), encoding="utf-8"
    )
    own = " ".join(f"Clause {n} of the annual report covers item {n} of the budget for region {n}." for n in range(60))
    (tmp_path / "report.md").write_text(
        f"# Report\n\n{chapters['refunds']}\n\n{chapters['accounts']}\n\n{own}\n", encoding="utf-8"
    )
    result = load_corpus(tmp_path)
    skipped = {i.path: i.problem for i in result.issues if i.skipped}
    assert skipped == {
        "print.md": "a compilation of 3 documents of the collection (accounts.md, privacy.md and 1 more); kept those"
    }
    assert {d.source for d in result.documents} == {"refunds.md", "accounts.md", "privacy.md", "report.md"}


def test_a_chinese_pdf_rendering_with_spaced_characters_is_a_copy(legal_corpus):
    """PDF text extraction spaces Chinese characters; the rendering is still a copy."""
    from index.copies import find_copies
    from index.documents import Document

    source = next(d for d in load_corpus(legal_corpus).documents if d.source.startswith("zh-CN/"))
    spaced = re.sub(r"([\u4e00-\u9fff])", r"\1 ", source.text)
    pdf = Document(id="zh-pdf", text=spaced, source="zh-CN/pdf/copy.pdf")
    copies = find_copies([source, pdf])
    assert copies.skipped == {"zh-pdf"}


def test_a_declared_id_still_wins_and_may_not_be_taken_twice(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.md").write_text("---\nid: Shared Name\n---\nOne.\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("---\nid: shared-name\n---\nTwo.\n", encoding="utf-8")
    (tmp_path / "c.md").write_text("Three.\n", encoding="utf-8")
    (tmp_path / "c.txt").write_text("Four.\n", encoding="utf-8")
    result = load_corpus(tmp_path)
    assert sorted(d.id for d in result.documents) == ["c", "c-txt", "shared-name"]
    assert any("already used" in i.problem for i in result.issues)


def test_text_written_one_paragraph_per_line_keeps_its_lines(tmp_path):
    (tmp_path / "article.md").write_text(
        "Headline Without A Full Stop\nFirst paragraph ends here.\nSecond paragraph ends here too.\n", encoding="utf-8"
    )
    doc = load_corpus(tmp_path).documents[0]
    assert doc.text.splitlines() == [
        "Headline Without A Full Stop",
        "First paragraph ends here.",
        "Second paragraph ends here too.",
    ]


def test_strong_emphasis_beside_chinese_text_loses_its_markers():
    """CommonMark leaves "__…__" touching a CJK character as literal text; readers see bold."""
    from index.markdown import markdown_pieces

    pieces = markdown_pieces(
        "__30 天退款政策。__在您第一次订阅时。\n\n**重要：**请注意。\n\nKeep a__b__c and **bold**."
    )
    assert [p.text for p in pieces] == ["30 天退款政策。在您第一次订阅时。", "重要：请注意。", "Keep a__b__c and bold."]


PLAIN = """                    HARBOUR USE LICENCE
                       Version 2, 3 May 2021
                  https://harbour.example/licence

                            Preamble

  This licence says how boats may use the harbour and what the
port office may charge for it.

  TERMS AND CONDITIONS

  1. Definitions.

  "Boat" means any vessel moored in the harbour.

  2. Mooring Permits. Every boat needs an amber permit from the port
office before it moors.

  3. Fees. The port office may charge a fee of at most 40 euros a night.

  4. Termination.

  A permit ends when the boat leaves the harbour.

Steps to follow
---------------

1. Call the port office.

2. Pay the fee.
"""


def test_plain_text_headings_come_from_layout(tmp_path):
    """A title block, standalone and underlined headings, and numbered sections written
    run-in; short numbered steps stay items of text, not headings."""
    (tmp_path / "licence.txt").write_text(PLAIN, encoding="utf-8")
    doc, _ = load_file(tmp_path / "licence.txt", tmp_path, 1_000_000)
    headings = [(b.level, doc.text[b.start : b.end]) for b in doc.blocks if b.kind == "heading"]
    assert doc.title == "HARBOUR USE LICENCE"
    assert headings == [
        (1, "HARBOUR USE LICENCE"),
        (1, "Preamble"),
        (1, "TERMS AND CONDITIONS"),
        (2, "1. Definitions."),
        (2, "2. Mooring Permits."),
        (2, "3. Fees."),
        (2, "4. Termination."),
        (2, "Steps to follow"),
    ]
    assert "1. Call the port office.\n2. Pay the fee." in doc.text
    chunks = chunk_document(doc, chunk_words=100)
    fees = next(c for c in chunks if "40 euros" in doc.text[c.start : c.end])
    assert fees.section.endswith(SECTION_SEPARATOR.join(["TERMS AND CONDITIONS", "3. Fees."]))
    assert doc.text[fees.start : fees.end].startswith("3. Fees.")


def test_plain_prose_gets_no_headings(tmp_path):
    """Hard-wrapped prose and a one-paragraph-per-line note: no line becomes a heading."""
    (tmp_path / "note.txt").write_text(
        "Staff may carry over up to five days of leave into the next\nyear, with their manager's "
        "approval.\n\nRequests go to the office\nby email.\n\nd) make other arrangements with the office.\n\n"
        "Thanks.\n",
        encoding="utf-8",
    )
    doc, _ = load_file(tmp_path / "note.txt", tmp_path, 1_000_000)
    assert doc.title == "" and not [b for b in doc.blocks if b.kind == "heading"]


def test_a_legacy_page_that_never_closes_its_paragraphs_loads_whole(tmp_path):
    """Unclosed `<p>` tags nest each paragraph in the one before: a thousand of them is a
    thousand levels deep, and every paragraph is still read, in order."""
    body = "".join(f"<p>Rule {n} of the policy applies.\n" for n in range(1000))
    (tmp_path / "old.html").write_text(f"<html><body><h1>Old rules</h1>{body}</body></html>", encoding="utf-8")
    doc, issues = load_file(tmp_path / "old.html", tmp_path, 10**8)
    assert doc is not None, issues
    lines = doc.text.split("\n")
    assert lines[0] == "Old rules" and lines[1:] == [f"Rule {n} of the policy applies." for n in range(1000)]


def test_every_level_of_a_deeply_nested_list_is_kept(tmp_path):
    """Legal text nests clauses (a)(i)(A)(1)... deeper than CommonMark's default limit of
    ten list levels, past which a parser drops the text."""
    items = "".join("  " * n + f"- clause at level {n}\n" for n in range(30))
    (tmp_path / "deep.md").write_text(f"# Clauses\n\n{items}", encoding="utf-8")
    doc, _ = load_file(tmp_path / "deep.md", tmp_path, 10**8)
    assert doc.text.split("\n")[1:] == [f"clause at level {n}" for n in range(30)]


def test_an_html_table_with_a_blank_line_inside_is_read_as_one_table(tmp_path):
    """CommonMark ends a raw HTML block at a blank line (here, left by a template tag on a
    line of its own), and the indented rest of the table would be code, shown with its
    tags; the table is read whole, as the page's renderer and a browser read it."""
    table = (
        '<div class="wrapper">\n  <table>\n    <tr>\n      <td><strong>Office</strong></td>\n'
        '      <td>\n        {% slack_channel "office" %}\n      </td>\n    </tr>\n'
        '\n        <tr>\n          <td>Address</td>\n          <td>1 Main St., <a href="https://x.example/a">floor 3</a></td>\n'
        "        </tr>\n  </table>\n</div>\n"
    )
    (tmp_path / "office.md").write_text(f"# Office\n\n{table}\nA paragraph after it.\n", encoding="utf-8")
    doc, _ = load_file(tmp_path / "office.md", tmp_path, 10**8)
    assert doc.text.split("\n") == ["Office", "Office", "Address | 1 Main St., floor 3", "A paragraph after it."]
    code = "# Example\n\n<div>\n  <p>Open</p>\n\n        <p>still inside</p>\n</div>\n\n    print('code')\n"
    (tmp_path / "code.md").write_text(code, encoding="utf-8")
    doc, _ = load_file(tmp_path / "code.md", tmp_path, 10**8)
    assert "<p>" not in doc.text and "still inside" in doc.text and "print('code')" in doc.text


def test_a_web_page_is_read_as_a_browser_shows_its_main_content(tmp_path):
    """Line breaks in a page's source are spaces (only `<br>` and `<pre>` break lines);
    the `<main>` element is read without the site furniture around it; a refresh that
    names no other page reloads the page, and does not make it a redirect stub."""
    page = (
        '<html><head><title>Refunds</title><meta http-equiv="refresh" content="300"></head><body>'
        '<div id="help"><h2>Keyboard shortcuts</h2><p>Press S to search</p></div>'
        "<main><h1>Refunds</h1><p>You may ask for a refund\nwithin 30 days of\npurchase.</p>"
        "<p>Send it to:<br>Refunds Office</p><pre>line one\nline two</pre></main></body></html>"
    )
    (tmp_path / "refunds.html").write_text(page, encoding="utf-8")
    doc, issues = load_file(tmp_path / "refunds.html", tmp_path, 10**8)
    assert doc is not None, issues
    assert doc.text.split("\n") == [
        "Refunds",
        "You may ask for a refund within 30 days of purchase.",
        "Send it to:",
        "Refunds Office",
        "line one",
        "line two",
    ]
    stub = '<html><head><meta http-equiv="refresh" content="0; URL=new/refunds.html"></head><body></body></html>'
    (tmp_path / "old.html").write_text(stub, encoding="utf-8")
    assert "a redirect stub (to new/refunds.html)" in str(load_file(tmp_path / "old.html", tmp_path, 10**8)[1])


def test_pages_from_one_template_get_one_overlap_warning_each(tmp_path):
    """Reference pages generated from one template share their common options with every
    sibling: each page is reported once, naming its closest sibling and how many more."""
    common = " ".join(f"Option {n} sets the level {n} of the output of the tool in every command." for n in range(40))
    for name in ("build", "check", "test", "bench"):
        own = f"The {name} command {name}s the package and reports what it found while it ran."
        (tmp_path / f"{name}.md").write_text(f"# {name}\n\n{own}\n\n{common}\n", encoding="utf-8")
    warned = [i for i in load_corpus(tmp_path).issues if not i.skipped]
    assert len(warned) == 3 and len({i.path for i in warned}) == 3  # six pairs, one line per page
    assert any("and half of it or more with 2 other documents" in i.problem for i in warned)
