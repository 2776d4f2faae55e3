"""The evidence gate's refusal of questions about things the articles never mention."""

from __future__ import annotations

import pytest

from assistant.gate import unmentioned


@pytest.fixture(scope="module")
def lexical(assistant):
    return assistant.snapshot.lexical


def test_a_thing_asked_about_in_words_the_corpus_never_uses_is_not_in_it(lexical):
    assert unmentioned("What rules apply to foreign operators bidding for 5G spectrum in China?", lexical) == "5G spectrum"
    assert unmentioned("Any news about spectrum auctions?", lexical) == "spectrum auctions"
    # Follow-up context added by condensing is not the user's question.
    assert unmentioned("and Wuhan? (follow-up to: Any news about spectrum auctions?)", lexical) is None


@pytest.mark.parametrize("question", [
    "What are the rules for VPN services in Wuhan?",  # the corpus's own words
    "What rules apply to foreign banks bidding for licences in China?",  # one unknown word: "license"?
    "What is the cap for Tesla Motors?",  # names may be answered by a list that lacks them
    "Does the cap apply in Lhasa?",  # not what the question is "for" or "about"
    "What does the pilot mean for ordinary consumers?",  # "consumers" is in the corpus
    "What is the cap for 2026?",  # numbers are no words
])
def test_known_words_one_unknown_word_and_names_decide_nothing(lexical, question):
    assert unmentioned(question, lexical) is None


def test_the_retriever_refuses_with_the_words_it_did_not_find(assistant):
    question = "What rules apply to foreign mobile operators bidding for 5G spectrum in China?"
    _, found = assistant.search(question)
    assert found.evidence >= assistant.settings.min_evidence  # on topic: foreign operators, rules, China
    assert not found.answerable
    assert found.refusal == "the question asks about 5G spectrum, which the articles never mention"
