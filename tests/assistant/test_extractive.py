"""The no-LLM answer over real retrieval: best evidence sentences, quoted exactly, cited."""

from __future__ import annotations

import re

import pytest

from assistant import answering
from assistant.analysis import analyze
from assistant.extractive import extract, focus_texts
from assistant.policy import REFUSAL
from assistant.types import Answer, Delta
from assistant.verification import EvidenceIndex

WUHAN = "Can I own 100% of a VPN service in Wuhan?"


def run(assistant, question, passages=None, history=None):
    analysis, found = assistant.search(question, history)
    passages = found.passages if passages is None else passages
    ready = answering.prepare(analysis, passages, history, assistant.settings, None, assistant.embedder)
    events = list(answering.answer_stream(ready, assistant.settings, None))
    assert isinstance(events[-1], Answer) and sum(isinstance(e, Answer) for e in events) == 1
    return events


def assert_quotes_are_exact(answer: Answer, snapshot) -> None:
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers == {c.marker for c in answer.citations}
    for citation in answer.citations:
        assert citation.passage == answer.passages[citation.marker - 1]
        doc = snapshot.documents[citation.passage.doc_id]
        assert citation.quotes
        for quote in citation.quotes:
            assert doc.text[quote.start : quote.end] == quote.text
            assert citation.passage.start <= quote.start < quote.end <= citation.passage.end


def test_the_wuhan_question_gets_the_cap_and_the_city_list_quoted_and_a_no(assistant):
    events = run(assistant, WUHAN)
    answer = events[-1]
    assert answer.backend == "extractive" and answer.status == "grounded"
    assert answer.verdict == "no" and answer.text.startswith("No.")
    assert "capped at 50%" in answer.text and "Wuhan" in answer.text
    assert_quotes_are_exact(answer, assistant.snapshot)
    streamed = "".join(e.text for e in events if isinstance(e, Delta))
    assert streamed == answer.text
    assert "first_token" in answer.timings and "extract" in answer.timings


def test_a_fact_question_quotes_the_sentence_with_the_number(assistant):
    answer = run(assistant, "How many pilot tasks does the Plan propose?")[-1]
    assert "155" in answer.text
    assert answer.verdict is None
    assert_quotes_are_exact(answer, assistant.snapshot)
    assert all(check.status == "supported" for check in answer.checks)


def test_sentences_repeated_across_overlapping_passages_are_quoted_once(assistant):
    answer = run(assistant, "Which 20 cities get the new VPN, app store and internet access rules?")[-1]
    sentences = [c.text for citation in answer.citations for c in citation.quotes]
    assert len(sentences) == len(set(sentences))


def test_no_passages_means_a_refusal(assistant):
    answer = run(assistant, "Anything?", passages=[])[-1]
    assert answer.refused and answer.text == REFUSAL and not answer.citations


def test_extraction_works_without_an_embedder(assistant):
    passages = assistant.retrieve(WUHAN)
    claims = extract(analyze(WUHAN), EvidenceIndex(passages, analyze(WUHAN), embedder=None))
    assert any("50%" in c.text for c in claims)


def test_a_value_question_leads_with_a_sentence_stating_one(handbook_assistant):
    answer = run(handbook_assistant, "How many hours of annual leave can I carry over to next year?")[-1]
    assert answer.grounded and "240" in answer.text.split("[")[0]


@pytest.mark.parametrize("budget", [60, 120, 400])
def test_focused_excerpts_keep_every_passage_and_the_deciding_sentences(assistant, budget):
    passages = assistant.retrieve(WUHAN)
    index = EvidenceIndex(passages, analyze(WUHAN), assistant.embedder)
    texts = focus_texts(analyze(WUHAN), index, budget)
    assert len(texts) == len(passages) and all(texts)
    joined = " ".join(texts)
    assert "capped at 50%" in joined
    for text, passage in zip(texts, passages):
        flat = " ".join(passage.text.split())
        for piece in text.split(" … "):
            assert " ".join(piece.split()) in flat  # excerpts are verbatim (sentences joined by spaces)
    if budget >= 120:
        assert "Wuhan" in joined


def test_the_sentence_under_a_heading_leads_the_answer_not_the_heading(assistant):
    """A numbered heading ending in a period reads like a sentence; it names a topic and
    states nothing, so the sentence under it leads the answer."""
    from assistant.types import Passage

    heading = "3. Fees for Mooring Boats."
    text = f"{heading}\nThe port office may charge fees for mooring boats, at most 40 euros a night."
    passage = Passage(
        chunk_id="harbour:0",
        doc_id="harbour",
        title="Harbour Use Licence",
        section=f"Harbour Use Licence > TERMS AND CONDITIONS > {heading}",
        text=text,
        start=0,
        end=len(text),
        score=0.5,
    )
    question = "What does the licence say about fees for mooring boats?"
    claims = extract(analyze(question), EvidenceIndex([passage], analyze(question), assistant.embedder))
    assert claims[0].text.startswith("The port office may charge")
