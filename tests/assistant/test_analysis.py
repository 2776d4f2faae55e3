"""Question analysis: one object per question, read off varied phrasings from the three
benchmark collections (a handbook, legal notices, news articles). No index, no model."""

from __future__ import annotations

import pytest

from assistant.analysis import analyze, answer_kind, is_yes_no, main_clause, normalize_question
from assistant.types import Turn
from index.glossary import Glossary
from policyqa.errors import InvalidQuestionError


@pytest.mark.parametrize(
    "question",
    [
        # context sentences first
        "I pay monthly for an add-on and want to cancel halfway through the month. Do I get the unused days refunded?",
        "My daughter is 16. Is she allowed to receive payments through the donation programme?",
        "I'm resigning next month and still have about 40 hours of annual leave. Will I get paid for those hours?",
        # a leading subordinate clause
        "If a prosecutor serves a subpoena, will they hand over my private files?",
        "When I travel for work, can I book my own hotel?",
        "So, if I leave early, can I still get the bonus?",
        # forms people use
        "Am I allowed to telework from abroad?",
        "Is it OK to use my personal phone for work email?",
        "Isn't the VPN capped at 50%?",
        "I'd like to know whether contractors can use Slack.",
        "Can you tell me whether the pilot covers Wuhan?",
        "Quick question: can I expense a taxi to the airport?",
        "Can I own 100% of a VPN service in Wuhan?",
        # a short phrase set off by a comma
        "On an iPhone, does the browser send crash reports automatically?",
        "My son is 12, can he sign up for an account?",
    ],
)
def test_yes_no_questions_in_any_phrasing(question):
    assert analyze(question).yes_no


@pytest.mark.parametrize(
    "question",
    [
        "Can you list the documents I need for a travel voucher?",
        "Could you tell me which cities are in the pilot?",
        "Is the subscription billed monthly or yearly?",
        "How many pilot tasks are in the plan?",
        "What does personal data mean?",
        "Which cities are covered?",
    ],
)
def test_requests_choices_and_open_questions_are_not_yes_no(question):
    assert not analyze(question).yes_no


@pytest.mark.parametrize(
    "question, kind",
    [
        ("How many foreign firms got approval?", "number"),
        ("How much annual leave can I carry over?", "number"),
        ("How much does MDN Plus cost?", "amount"),
        ("What is the licence fee for a VPN permit?", "amount"),
        ("How long do I have to file a travel voucher?", "duration"),
        ("How many days do I have to appeal?", "duration"),
        ("When does the pilot end?", "date"),
        ("On what date did the new terms take effect?", "date"),
        ("Who approves my leave request?", "name"),
        ("Which company runs the VPN servers?", "name"),
        ("Which cities are covered by the measures?", "list"),
        ("List the leave types for bereavement.", "list"),
        ("What does 'personal data' mean?", "definition"),
        ("What counts as a micropurchase?", "definition"),
        ("Why does Mozilla collect telemetry?", "explanation"),
        ("How do I request a laptop?", "explanation"),
        ("Can you tell me how many hours I can carry over?", "duration"),
        ("Can you tell me how many firms were approved?", "number"),
        ("Can you list the names of the approved firms?", "list"),
        ("What's the daily cap on uploads?", "number"),
        ("What is the minimum age to open an account?", "number"),
        ("What are the size limits for attachments?", "number"),
        ("What is the retention period for server logs?", "duration"),
        ("What's the deadline for the annual report?", "date"),
        ("What are the terms of the agreement?", "list"),
        ("What is the purpose of the limit?", "fact"),
    ],
)
def test_the_kind_of_answer_asked_for(question, kind):
    assert analyze(question).kind == kind


def test_the_main_clause_leaves_the_context_behind():
    assert main_clause("So, if I leave early, can I still get the bonus?") == "can I still get the bonus?"
    analysis = analyze("I'm visiting family in Portugal this summer. Could I telework from there for a few days?")
    assert analysis.main_clause == "Could I telework from there for a few days?"
    assert "telework" in analysis.focus and "portug" not in analysis.focus
    assert "portug" in analysis.terms  # the context still counts for retrieval


def test_a_main_clause_that_points_back_leans_on_its_context():
    analysis = analyze("I'm leaving on July 4th. Is that allowed?")
    assert analysis.focus_terms == analysis.terms
    assert analysis.lexical_text == analysis.search_text


def test_names_and_numbers_are_read_once():
    analysis = analyze("Can Microsoft own 60% of a VPN business in Chengdu?")
    assert analysis.names == ("Microsoft", "VPN", "Chengdu")
    assert analysis.numbers == ("60%",)
    assert analysis.quantities == ((60.0, "%"),)
    assert analysis.stated_numbers == {"60%"}


def test_the_collections_other_spelling_of_a_name_is_searched_for_too():
    glossary = Glossary.build(["The terms of the Mozilla Public License apply.", "See the Mozilla Public License."])
    analysis = analyze("Can I sublicense code under the MPL?", aliases=glossary.aliases)
    assert analysis.aliases == ("Mozilla Public License",)
    assert analysis.lexical_text.endswith("Mozilla Public License")
    assert analysis.dense_text.endswith("Mozilla Public License")
    assert "Mozilla" not in analysis.query_text  # choosing sentences reads the question as asked
    assert analyze("Can I sublicense code under the MPL?").aliases == ()


def test_the_quantities_compared_with_a_limit_come_from_the_main_clause():
    analysis = analyze("I have 40 hours left over from 2 years ago. Can I carry over 300 hours into next year?")
    assert analysis.quantities == ((300.0, "hour"),)
    assert {"40", "300", "2"} <= analysis.stated_numbers
    assert analysis.clause_words == ("can", "carry", "over", "hours", "into", "next", "year")


def test_the_clause_words_leave_the_names_out():
    assert analyze("Does Mozilla VPN keep my IP address?").clause_words == ("does", "keep", "my", "address")


def test_two_questions_in_one_are_kept_as_parts():
    analysis = analyze("Can I carry over annual leave? And how many days?")
    assert analysis.yes_no and analysis.kind == "duration"
    assert len(analysis.parts) == 2


def test_a_follow_up_keeps_its_context_apart_from_the_query():
    history = [
        Turn(role="user", content="Which cities are in the pilot?"),
        Turn(role="assistant", content="Twenty cities, including Wuhan [1]."),
    ]
    analysis = analyze("Is Suzhou one of them?", history)
    assert analysis.followup and analysis.yes_no
    assert analysis.standalone == "Is Suzhou one of them?"
    assert "Which cities are in the pilot?" in analysis.context
    assert "follow-up" not in analysis.standalone and analysis.context in analysis.search_text


def test_an_elliptical_follow_up_is_rewritten_and_asks_what_its_question_asked():
    history = [
        Turn(role="user", content="How much annual leave can I carry over?"),
        Turn(role="assistant", content="Up to 240 hours [1]."),
    ]
    analysis = analyze("and sick leave?", history)
    assert analysis.standalone == "How much sick leave can I carry over?" and not analysis.context
    assert analysis.kind == "number"
    two = analyze("and sick leave? is there a cap on that too?", history)
    assert two.standalone.startswith("How much sick leave can I carry over?")


def test_a_question_pointing_back_is_a_follow_up():
    history = [
        Turn(role="user", content="How much paid parental leave do I get?"),
        Turn(role="assistant", content="12 weeks [1]."),
    ]
    analysis = analyze("do I have to commit to coming back to work afterwards?", history)
    assert analysis.followup and "parental leave" in analysis.context


def test_without_history_nothing_is_a_follow_up():
    analysis = analyze("and in Suzhou?")
    assert not analysis.followup and analysis.standalone == "and in Suzhou?"


@pytest.mark.parametrize(
    "bad, message",
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("\x00\x01\x02", "empty"),
        ("?!?", "no words"),
        ("hello", "greeting"),
        ("Thanks!", "greeting"),
        ("hi there", "greeting"),
    ],
)
def test_bad_questions_get_a_clear_error(bad, message):
    with pytest.raises(InvalidQuestionError, match=message):
        normalize_question(bad, 2000)


def test_a_huge_question_is_an_error_not_a_truncation():
    with pytest.raises(InvalidQuestionError, match="100,000 characters; the limit is 2,000"):
        normalize_question("why " * 25_000, 2000)
    with pytest.raises(InvalidQuestionError, match="must be text"):
        normalize_question(None, 2000)


def test_control_characters_are_stripped():
    assert normalize_question("How many\x00 pilot\x1b tasks\u200b?\x07", 2000) == "How many pilot tasks ?"


def test_helpers_agree_with_the_analysis():
    assert is_yes_no("can I still get the bonus?") and not is_yes_no("Can you list them?")
    assert answer_kind("how long does it take?") == "duration"


def test_a_question_after_a_dash_is_the_main_clause():
    analysis = analyze("what about npm — can I just publish our packages under my own account?")
    assert analysis.yes_no and analysis.main_clause.startswith("can I just publish")


def test_terms_are_also_stemmed_for_each_other_language_of_the_collection():
    analysis = analyze("Werden meine personenbezogenen Daten verkauft?", languages=("de", "en"))
    terms, focus = analysis.terms_for("de")
    assert "personenbezog" in terms and "dat" in terms and focus
    assert analysis.terms_for("en") == (analysis.terms, analysis.focus_terms)
    assert analysis.terms_for(None) == analysis.terms_for("fr") == (analysis.terms, analysis.focus_terms)
    assert analyze("Werden meine Daten verkauft?").by_language == ()  # an English-only collection


MULTILINGUAL = ("en", "de", "zh")


@pytest.mark.parametrize(
    "question, language, yes_no, kind",
    [
        ("Meine Tochter ist 12. Darf sie sich selbst ein Konto anlegen?", "de", True, "fact"),
        ("Wie viele E-Mail-Masken bekomme ich, ohne etwas zu bezahlen?", "de", False, "number"),
        ("Ich habe gekündigt. Wie lange werden meine Daten noch gespeichert?", "de", False, "duration"),
        ("如果我在订阅后 30 天内取消，能退款吗？", "zh", True, "fact"),
        ("免费版最多能保存多少篇文章？", "zh", False, "number"),
        ("Can I send picture messages through my phone mask?", "en", True, "fact"),
    ],
)
def test_a_question_is_read_in_its_own_language(question, language, yes_no, kind):
    analysis = analyze(question, languages=MULTILINGUAL)
    assert (analysis.language, analysis.yes_no, analysis.kind) == (language, yes_no, kind)


def test_a_question_in_another_language_than_the_collections_is_read_in_its_own():
    """An asker may read another language than the documents': the answer is owed in theirs."""
    analysis = analyze("Darf ich das Abo jederzeit kündigen?")  # an English-only collection
    assert (analysis.language, analysis.yes_no) == ("de", True)
    assert analyze("Combien de jours de congé puis-je reporter ?").language == "fr"


@pytest.mark.parametrize(
    "question",
    [
        "Firefox Sync?",
        "Can I telework from Portugal?",
        "What is the MFA policy for GitHub?",
        "and in Suzhou?",
        "Is Google Analytics used on MDN?",
    ],
)
def test_short_english_questions_with_names_stay_english(question):
    assert analyze(question).language == "en"


def test_a_question_that_is_only_a_name_keeps_the_conversation_language():
    history = [
        Turn(role="user", content="Welche Daten speichert der Browser über mich?"),
        Turn(role="assistant", content="…"),
    ]
    assert analyze("Firefox Sync?", history, languages=MULTILINGUAL).language == "de"
    assert analyze("Firefox Sync?", languages=MULTILINGUAL).language == "en"
