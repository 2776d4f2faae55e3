"""A question searched in documents of another language is translated into theirs."""

from __future__ import annotations

import pytest

from assistant.analysis import analyze, content_terms
from assistant.filters import allowed_documents
from assistant.translation import clean, searched_languages, translator
from assistant.types import Filters

QUESTION = "Can I get a refund within the first 30 days?"
GERMAN_PASSAGE = "30-Tage-Rückerstattungs-Richtlinie"


def never(*_):
    raise AssertionError("no generator is needed when the asker's language is searched")


def test_the_languages_searched_follow_the_filters_most_documents_first(legal_assistant):
    snapshot = legal_assistant.snapshot
    assert searched_languages(snapshot, None)[0] == "en"  # most of the sub-collection is English
    assert set(searched_languages(snapshot, None)) == {"en", "de", "zh"}
    german = allowed_documents(snapshot, Filters(languages=["de"]))
    assert searched_languages(snapshot, german) == ("de",)
    assert searched_languages(snapshot, set()) == ()


def test_no_translation_while_some_document_searched_is_in_the_askers_language(legal_assistant):
    snapshot = legal_assistant.snapshot
    assert translator(snapshot, None, never)(QUESTION, "en") is None
    assert translator(snapshot, None, never)("Kann ich eine Rückerstattung bekommen?", "de") is None
    english = allowed_documents(snapshot, Filters(languages=["en", "de"]))
    assert translator(snapshot, english, never)(QUESTION, "en") is None
    assert translator(snapshot, set(), never)(QUESTION, "en") is None  # nothing searched


def test_without_a_generator_the_question_is_searched_as_asked(legal_assistant):
    """The extractive backend, or a generator that could not load: no translation, and the
    multilingual embeddings still find the passage in the other language."""
    snapshot = legal_assistant.snapshot
    german = allowed_documents(snapshot, Filters(languages=["de"]))
    assert translator(snapshot, german, lambda: None)(QUESTION, "en") is None
    analysis, found = legal_assistant.search(QUESTION, filters={"languages": ["de"]})
    assert analysis.translation == "" and analysis.query_text == QUESTION
    assert found.passages and {p.language for p in found.passages} == {"de"}


class Replying:
    """A generator that replies with a given text (a small model's slip, scripted)."""

    def __init__(self, reply: str):
        self.reply = reply

    def stream_chat(self, messages, max_tokens):
        yield self.reply


def test_a_reply_still_in_the_askers_language_is_no_translation(legal_assistant):
    snapshot = legal_assistant.snapshot
    german = allowed_documents(snapshot, Filters(languages=["de"]))
    rewritten = "Can I get my money back within the first 30 days of my subscription?"
    assert translator(snapshot, german, lambda: Replying(rewritten))(QUESTION, "en") is None
    german_reply = "Kann ich innerhalb der ersten 30 Tage eine Rückerstattung bekommen?"
    assert translator(snapshot, german, lambda: Replying(german_reply))(QUESTION, "en") == (german_reply, "de")


def test_a_reply_is_cleaned_to_the_translation():
    assert clean('"Kann ich eine Rückerstattung bekommen?"\n') == "Kann ich eine Rückerstattung bekommen?"
    assert clean("Bekomme ich\ndas Geld zurück?") == "Bekomme ich das Geld zurück?"
    assert clean(" \n“ ”") is None


@pytest.mark.llm
def test_an_english_question_is_searched_in_german_among_german_documents(local_assistant, legal_assistant):
    """Translated by the real local model: the German passage is found by its own words,
    and the answer is still owed in English."""
    from index.language import detect

    snapshot = legal_assistant.snapshot
    filters = Filters(languages=["de"])
    translate = translator(snapshot, allowed_documents(snapshot, filters), lambda: local_assistant._generator("local"))
    analysis = analyze(QUESTION, languages=snapshot.lexical.languages, translate=translate)
    assert analysis.language == "en" and analysis.translated_to == "de"
    assert analysis.query_text == analysis.translation and detect(analysis.translation) == "de", analysis.translation
    assert analysis.lexical_text == analysis.translation
    terms, _ = analysis.terms_for("de")
    assert terms != content_terms(QUESTION, "de") and {"tag", "erst", "innerhalb"} & set(terms), terms
    found = legal_assistant.retriever.retrieve(analysis, filters)
    assert GERMAN_PASSAGE in found.passages[0].text


@pytest.mark.llm
def test_an_answer_searched_in_german_is_written_in_english_and_says_so(legal_assistant):
    """End to end through the public API: the German passage is cited, the answer is in
    the asker's language, and it says what was searched for."""
    from assistant import Assistant
    from index.language import detect

    helper = Assistant(legal_assistant.settings.override(backend="local", llm_timeout=600))
    answer = helper.ask(QUESTION, filters={"languages": ["de"]})
    assert answer.searched_as and detect(answer.searched_as) == "de", answer.searched_as
    assert answer.grounded, (answer.text, answer.notes)
    assert {c.passage.language for c in answer.citations} == {"de"}
    assert detect(answer.text) == "en", answer.text


@pytest.mark.llm
def test_a_german_question_to_an_english_handbook_is_searched_in_english_and_answered_in_german(handbook_assistant):
    from assistant import Assistant
    from index.language import detect

    helper = Assistant(handbook_assistant.settings.override(backend="local", llm_timeout=600))
    question = "Wie viele Wochen bezahlten Elternurlaub bekomme ich nach der Geburt meines Kindes?"
    analysis, found = helper.search(question)
    assert (analysis.language, analysis.translated_to) == ("de", "en")
    assert detect(analysis.translation) == "en", analysis.translation
    assert "12 weeks of paid time off" in " ".join(p.text for p in found.passages), analysis.translation
    answer = helper.ask(question)
    assert answer.grounded and "12" in answer.text, (answer.text, answer.notes)
    assert detect(answer.text) == "de", answer.text
