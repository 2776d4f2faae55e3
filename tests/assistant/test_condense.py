"""Follow-up condensing without an LLM, and the history budget."""

from __future__ import annotations

from assistant.condense import condense as condense_pair
from assistant.condense import trim_history
from assistant.types import Turn


def condense(question, history, rewrite=None) -> str:
    """The query retrieval searches: the standalone question and its context."""
    standalone, context = condense_pair(question, history, rewrite)
    return f"{standalone} {context}".strip()


WUHAN = [
    Turn(role="user", content="Can I own 100% of a VPN service in Wuhan?"),
    Turn(role="assistant", content="No: foreign ownership of domestic VPN services is capped at 50% [1]."),
]


def test_place_substitution():
    assert condense("and in Suzhou?", WUHAN) == "Can I own 100% of a VPN service in Suzhou?"


def test_percentage_substitution():
    assert condense("What about 50%?", WUHAN) == "Can I own 50% of a VPN service in Wuhan?"


def test_date_substitution():
    """The follow-up moves the question's date, not a place."""
    september = [
        Turn(
            role="user", content="How many foreign-invested firms were licensed for telecom business as of September?"
        ),
        Turn(role="assistant", content="As of September, 2,220 foreign-invested companies."),
    ]
    assert condense("And by the end of February 2025?", september) == (
        "How many foreign-invested firms were licensed for telecom business by the end of February 2025?"
    )
    assert condense("and in 2024?", [Turn(role="user", content="How many firms were approved in 2023?")]) == (
        "How many firms were approved in 2024?"
    )


def test_chained_follow_ups_resolve_through_history():
    history = WUHAN + [Turn(role="user", content="what about 50%?"), Turn(role="assistant", content="Yes [1].")]
    assert condense("and in Suzhou?", history) == "Can I own 50% of a VPN service in Suzhou?"


def test_pronoun_follow_up_carries_the_previous_question_and_answer():
    query = condense("who said that?", WUHAN)
    assert query.startswith("who said that?") and "VPN" in query and "capped at 50%" in query


def test_standalone_question_is_left_alone():
    question = "How many pilot tasks does the Plan propose?"
    assert condense(question, WUHAN) == question


def test_llm_rewrite_is_used_only_if_it_keeps_the_new_entity():
    good = condense("and in Suzhou?", WUHAN, rewrite=lambda p: "Can a foreigner own all of a VPN service in Suzhou?")
    assert good == "Can a foreigner own all of a VPN service in Suzhou?"
    answered = condense("and in Suzhou?", WUHAN, rewrite=lambda p: "Foreign ownership in Suzhou is capped at 50%.")
    assert answered != "Foreign ownership in Suzhou is capped at 50%."  # an answer, not a query
    dropped = condense("and in Suzhou?", WUHAN, rewrite=lambda p: "Can I own a VPN service?")
    assert dropped == "Can I own 100% of a VPN service in Suzhou?"


def test_history_budget_keeps_the_most_recent_turns():
    history = [Turn(role="user", content=f"question {i} " + "word " * 50) for i in range(10)]
    kept = trim_history(history, budget_tokens=150)
    assert kept and kept[-1] == history[-1] and len(kept) < len(history)
    assert sum(len(t.content.split()) for t in kept) * 1.35 <= 150 + 2 * len(kept)


def test_membership_follow_up_gets_context_not_a_substitution():
    history = [
        Turn(role="user", content="Which cities are in the pilot for VPN services?"),
        Turn(role="assistant", content="The measures apply in 20 cities, including Wuhan and Suzhou [1]."),
    ]
    query = condense("Is Suzhou one of them?", history)
    assert query.startswith("Is Suzhou one of them?") and "VPN services" in query


def test_sentence_initial_words_are_not_taken_for_names():
    assert condense("And Suzhou?", WUHAN) == "Can I own 100% of a VPN service in Suzhou?"


def test_a_name_without_a_preposition_is_swapped_when_it_is_the_only_one():
    covered = [
        Turn(role="user", content="Is Wuhan covered by the new VPN measures?"),
        Turn(role="assistant", content="Yes. These measures will be implemented in 20 cities [1]."),
    ]
    assert condense("and Fuzhou?", covered) == "Is Fuzhou covered by the new VPN measures?"
    assert condense("And in Lhasa?", covered) == "Is Lhasa covered by the new VPN measures?"
    # Two names: which one the follow-up replaces is not known, so it gets context instead.
    both = [Turn(role="user", content="Did Siemens or Airbus join first?")]
    assert condense_pair("and HSBC Fintech?", both) == ("and HSBC Fintech?", "Did Siemens or Airbus join first?")


def test_another_kind_of_the_same_thing_replaces_it():
    leave = [
        Turn(role="user", content="How much annual leave can I carry over?"),
        Turn(role="assistant", content="Up to 240 hours [1]."),
    ]
    assert condense_pair("and sick leave?", leave) == ("How much sick leave can I carry over?", "")
    assert condense_pair("ok sick leave?", leave)[0] == "How much sick leave can I carry over?"
    assert condense_pair("and leave?", leave)[0] == "and leave?"  # no other kind named


def test_a_prepositional_phrase_replaces_the_object_of_the_same_preposition():
    receipts = [
        Turn(role="user", content="Do I need to keep receipts for meals when I travel?"),
        Turn(role="assistant", content="No, the meal allowance needs no receipts [1]."),
    ]
    assert condense_pair("and for the hotel?", receipts) == (
        "Do I need to keep receipts for the hotel when I travel?",
        "",
    )
    retention = [Turn(role="user", content="How long is data from my phone kept in the US?")]
    assert condense_pair("what about in the EU?", retention)[0] == "How long is data from my phone kept in the EU?"
    assert condense_pair("and from my laptop?", retention)[0] == "How long is data from my laptop kept in the US?"
    meals = [Turn(role="user", content="Are receipts for meals required?")]
    assert condense_pair("and for the hotel?", meals)[0] == "Are receipts for the hotel required?"
    assert condense_pair("also for the hotel?", meals)[0] == "Are receipts for the hotel required?"
    # a question word after the preposition asks something new: not a phrase to swap in
    assert condense_pair("and for how long?", retention)[0] == "and for how long?"
    # no slot for the preposition: the follow-up as asked, with the previous question as context
    assert condense_pair("and during a trial?", retention) == ("and during a trial?", retention[0].content)
