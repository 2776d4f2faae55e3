"""HTML rendering: escaping of every corpus/model string, highlights, marker links."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from assistant.types import Answer, Citation, Evidence, Passage, Quote
from webui import render

PAYLOAD = "<img src=x onerror=alert(1)>"


def passage(text: str, start: int = 100, **meta) -> Passage:
    base = dict(
        chunk_id="d:h:0000",
        doc_id="doc-1",
        title="A title",
        publisher="Pub",
        date="2025-04-21",
        text=text,
        start=start,
        end=start + len(text),
        score=0.9,
    )
    return Passage(**{**base, **meta})


class Tags(HTMLParser):
    """Collects the elements a browser would create from the fragment."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(fragment: str) -> list[tuple[str, dict]]:
    parser = Tags()
    parser.feed(fragment)
    return parser.tags


def test_highlight_marks_exact_spans_and_escapes_the_rest():
    text = "a < b. The rule & more. End"
    out = render.highlight(text, [(7, 23)])
    assert out == 'a &lt; b. <mark class="pqa-quote">The rule &amp; more.</mark> End'


def test_highlight_merges_overlaps_and_clips():
    assert render.merge_spans([(5, 9), (0, 3), (2, 4), (8, 50), (7, 7)], 20) == [(0, 4), (5, 20)]


def test_quote_spans_use_document_offsets_relative_to_the_passage():
    text = "First sentence. Second one here. Third."
    p = passage(text, start=1000)
    q = Quote(text="Second one here.", start=1000 + 16, end=1000 + 32)
    assert render.quote_spans(Citation(marker=1, passage=p, quotes=[q])) == [(16, 32)]


def test_quote_spans_fall_back_to_the_text_when_offsets_are_off():
    p = passage("First sentence. Second one here.", start=10)
    q = Quote(text="Second one here.", start=0, end=16)  # wrong offsets
    assert render.quote_spans(Citation(marker=1, passage=p, quotes=[q])) == [(16, 32)]


def test_markers_become_links_only_for_real_citations():
    out = render.link_markers("Yes [1]. Also [2, 3] and [9].", "u", {1, 2, 3})
    assert out.count('class="pqa-cite"') == 3
    assert 'href="#pqa-u-1"' in out and 'href="#pqa-u-3"' in out
    assert "[9]" in out and 'href="#pqa-u-9"' not in out


def test_answer_html_links_markers_to_sources_with_highlight():
    text = "Allowing foreign investment in VPN services (with foreign ownership capped at 50%). Listed cities."
    p = passage(text, start=500)
    quote = Quote(text=text[:84], start=500, end=584)
    answer = Answer(
        question="q",
        standalone_query="q",
        text="No: the cap is 50% [1].",
        status="grounded",
        verdict="no",
        citations=[Citation(marker=1, passage=p, quotes=[quote])],
        passages=[p],
        backend="local",
        timings={"total": 2.5},
    )
    out = render.answer_html(answer, uid="abc")
    found = tags(out)
    link = [a for t, a in found if t == "a" and a.get("class") == "pqa-cite"]
    details = [a for t, a in found if t == "details"]
    assert link[0]["href"] == "#pqa-abc-1" and details[0]["id"] == "pqa-abc-1"
    assert '<mark class="pqa-quote">' + text[:84] + "</mark>" in out
    assert "A title" in out and "Pub · 2025-04-21" in out
    assert "pqa-answer-grounded" in out and "pqa-verdict-no" in out and "2.5 s" in out


def test_refused_answer_looks_different_and_lists_what_was_found():
    p = passage("Some unrelated text.")
    answer = Answer(
        question="q",
        standalone_query="q",
        text="The corpus does not answer this question.",
        status="refused",
        passages=[p],
        backend="gate",
        fallback_reason="evidence 0.1 below 0.3",
    )
    out = render.answer_html(answer)
    assert "pqa-answer-refused" in out and "Not in the corpus" in out
    assert "pqa-cite" not in out and "pqa-source" not in out
    assert "Closest passages found (1)" in out and "evidence 0.1 below 0.3" in out


def test_a_question_searched_in_translation_says_what_was_searched():
    p = passage("Sie können innerhalb der ersten 30 Tage eine Rückerstattung beantragen.")
    common = dict(question="Can I get a refund?", standalone_query="Can I get a refund?", passages=[p])
    searched = "Kann ich eine <Rückerstattung> bekommen?"
    grounded = Answer(**common, text="Yes [1].", status="grounded", searched_as=searched)
    refused = Answer(**common, text="The documents do not say.", status="refused", searched_as=searched)
    for answer in (grounded, refused):
        out = render.answer_html(answer)
        assert "Searched in the documents' language as: Kann ich eine &lt;Rückerstattung&gt; bekommen?" in out
    plain = Answer(**common, text="Yes [1].", status="grounded")
    assert "Searched in" not in render.answer_html(plain)


def test_the_other_spelling_searched_for_is_shown():
    p = passage("The software is made available under the Mozilla Public License.")
    common = dict(question="Is it under the MPL?", standalone_query="Is it under the MPL?", passages=[p])
    for status, text in (("grounded", "Yes [1]."), ("refused", "The documents do not say.")):
        answer = Answer(**common, text=text, status=status, also_searched=["Mozilla Public License"])
        assert "Also searched for: Mozilla Public License" in render.answer_html(answer)
    assert "Also searched" not in render.answer_html(Answer(**common, text="Yes [1].", status="grounded"))


@pytest.mark.parametrize("field", ["text", "title", "publisher", "doc_id", "url"])
def test_corpus_markup_is_never_markup(field):
    p = passage(f"Before {PAYLOAD} after.", **({field: PAYLOAD} if field != "text" else {}))
    quote = Quote(text=p.text, start=p.start, end=p.end)
    answer = Answer(
        question=PAYLOAD,
        standalone_query="q",
        text=f"Model said {PAYLOAD} [1].",
        status="grounded",
        citations=[Citation(marker=1, passage=p, quotes=[quote])],
        passages=[p],
        backend=PAYLOAD,
        fallback_reason=PAYLOAD,
    )
    for fragment in (
        render.answer_html(answer),
        render.refused_html(answer),
        render.pending_html(Evidence(standalone_query="q", passages=[p]), PAYLOAD),
        render.question_html(PAYLOAD),
        render.error_html(PAYLOAD),
    ):
        assert not [t for t, _ in tags(fragment) if t in ("img", "script", "iframe")]
        assert not any(k.startswith("on") for _, attrs in tags(fragment) for k in attrs)
        assert "&lt;img src=x onerror=alert(1)&gt;" in fragment


def test_only_http_urls_become_links():
    assert render.safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    for bad in ("javascript:alert(1)", "data:text/html,x", 'https://x.org/"onmouseover=1', None, ""):
        assert render.safe_url(bad) is None


def test_fragments_have_no_blank_lines():
    """A blank line would end an HTML block and let a Markdown renderer loose on the rest."""
    p = passage("Line one.\n\nLine two.")
    answer = Answer(
        question="q",
        standalone_query="q",
        text="a\n\nb [1]",
        status="grounded",
        citations=[Citation(marker=1, passage=p)],
        passages=[p],
    )
    assert "\n" not in render.answer_html(answer)


def test_status_line_shows_model_and_index():
    out = render.status_html(
        {
            "documents": 5,
            "chunks": 33,
            "generation": 2,
            "built_at": "2025-05-01T10:20:30Z",
            "embed_model": "all-MiniLM-L6-v2",
        },
        "local: loading…",
    )
    text = re.sub(r"<[^>]+>", " ", out)
    assert "5 documents" in text and "33 chunks" in text and "2025-05-01 10:20" in text
    assert "loading" in text and "pqa-dot-loading" in out
