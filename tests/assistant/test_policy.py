"""Answerability decided in one place: the policy's decisions before and after generation."""

from __future__ import annotations

from assistant import policy
from assistant.analysis import analyze
from assistant.limits import limit_verdict
from assistant.types import Passage
from assistant.verification import Unit, VerifiedClaim
from policyqa.settings import Settings

SETTINGS = Settings(min_evidence=0.2, min_relevance=0.3)


def passage(text: str) -> Passage:
    return Passage(chunk_id="c", doc_id="d", text=text, start=0, end=len(text), score=0.5)


def claim(text: str, n: int = 1) -> VerifiedClaim:
    return VerifiedClaim(text=text, markers=[n], quotes={n: Unit(n, text, 0, len(text))})


def test_before_generation_weak_evidence_and_missing_values_are_refused():
    question = analyze("How long do I have to file my travel voucher?")
    good = [passage("Submit your voucher within 5 business days of returning.")]
    assert policy.before(question, good, 0.5, SETTINGS).answer
    assert not policy.before(question, [], 0.5, SETTINGS).answer
    weak = policy.before(question, good, 0.1, SETTINGS)
    assert not weak.answer and "below the threshold" in weak.reason
    no_value = policy.before(question, [passage("Vouchers are submitted in the travel system.")], 0.5, SETTINGS)
    assert not no_value.answer and "a length of time" in no_value.reason
    judged = policy.before(question, good, 0.5, SETTINGS, relevance=0.1)
    assert not judged.answer and "p=0.10" in judged.reason and judged.relevance == 0.1


def test_after_generation_nothing_supported_is_a_refusal():
    outcome = policy.after(analyze("Who approves my leave?"), [], None, None)
    assert outcome.refused and "no sentence" in outcome.reason


def test_an_open_answer_must_state_the_value_asked_for():
    question = analyze("How many hours can I carry over?")
    assert policy.after(question, [claim("You may use annual leave for any reason.")], None, None).refused
    assert not policy.after(question, [claim("You can carry over a maximum of 240 hours.")], None, None).refused


def test_a_stated_limit_decides_the_verdict_and_brings_its_sentence():
    question = analyze("Can I carry over 300 hours of annual leave?")
    sentence = "You can carry over a maximum of 240 annual leave hours, from one leave year to the next."
    limit = limit_verdict(question, [sentence])
    outcome = policy.after(question, [claim("Annual leave accrues every pay period.")], "yes", limit, claim(sentence))
    assert outcome.verdict == "no" and outcome.claims[0].text == sentence
    assert any("corrected to no" in n for n in outcome.notes)


def test_the_generator_verdict_stands_only_with_a_supported_sentence():
    question = analyze("Is sick leave capped?")
    assert (
        policy.after(question, [claim("There is no maximum amount of sick leave you can accrue.")], "no", None).verdict
        == "no"
    )
    assert policy.after(question, [], "no", None).refused


def test_a_part_of_the_question_no_claim_speaks_to_is_named():
    question = analyze("Can I use annual leave for any reason? And who signs my timesheet?")
    outcome = policy.after(question, [claim("You may use annual leave for any reason.")], "yes", None)
    assert outcome.unsaid == ["And who signs my timesheet?"]


def test_the_verdict_asked_again_of_the_verified_sentences_wins_over_the_drafts():
    question = analyze("I subscribed two weeks ago and want to cancel. Can I get a refund?")
    kept = [claim("If you cancel within the first 30 days, you may request a refund.")]
    outcome = policy.after(question, kept, "no", None, judged=policy.Judged(verdict_yes=0.86))
    assert outcome.verdict == "yes" and any("re-decided" in n for n in outcome.notes)
    assert policy.after(question, kept, "yes", None, judged=policy.Judged(verdict_yes=0.2)).verdict == "no"
    assert policy.after(question, kept, "yes", None).verdict == "yes"  # not judged: the draft's
    assert policy.after(question, [], "yes", None, judged=policy.Judged(verdict_yes=0.9)).refused  # nothing supported


def test_supported_sentences_judged_not_to_answer_are_a_refusal_when_asked():
    question = analyze("Which formats can I upload?")
    kept = [claim("The service allows you to upload documents.")]
    off = policy.Judged(answered=0.1)
    assert policy.after(question, kept, None, None, judged=off, min_answered=0.3).refused
    assert not policy.after(question, kept, None, None, judged=off).refused  # threshold 0: off
    assert not policy.after(question, kept, None, None, judged=policy.Judged(answered=0.7), min_answered=0.3).refused
