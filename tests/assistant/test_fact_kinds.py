"""Which kind of fact a question asks for, and whether a passage states it near its subject."""

from __future__ import annotations

import pytest

from assistant.fact_kinds import missing_kind, unstated_kind
from assistant.types import Passage


def kind(question, *texts, lexical=None):
    found = missing_kind(question, texts, lexical)
    return found and found.kind


def test_a_kind_of_fact_counts_only_where_a_passage_states_one():
    assert kind("What is the licence fee?", "The fee is 5,000 yuan a year.") is None
    assert kind("How long does approval take?", "Approval takes 20 working days.") is None
    assert kind("How long does approval take?", "Exports rose 30 percent year-on-year.") == "a length of time"
    assert kind("What is the annual licence fee?", "capped at 50%") == "an amount of money"
    # "How much" of a business is a share, not money; costs and charge need not be sums.
    for question in ["How much of a VPN business can a foreigner own?", "Does the pilot cut costs for foreign firms?",
                     "Who is in charge of the pilot?"]:
        assert kind(question, "capped at 50%") is None, question


def test_an_end_date_is_a_deadline_not_any_end():
    question = "When does the pilot program end?"
    assert kind(question, "By the end of February this year, 13 firms had been approved.") == "an end date"
    assert kind(question, "The pilot runs until December 2026.") is None
    assert kind("When did the pilot start?", "By the end of February this year, 13 firms had been approved.") is None


def test_a_date_is_a_day_month_or_year():
    for question in ["On what date did the meeting approve the plan?", "When did the pilot start?",
                     "In what month was the pilot launched?", "And when was it unveiled?"]:
        assert kind(question, "The plan was approved at a State Council meeting.") == "a date", question
        for stated in ["It was approved on February 20.", "The MIIT launched it on Wednesday.",
                       "It was launched last October.", "It was unveiled in 2025."]:
            assert kind(question, stated) is None, (question, stated)
    for question in ["On what calendar date was the plan approved?", "What exact date was it launched?",
                     "What was the exact date on which it was launched?"]:
        assert kind(question, "The plan was approved at a State Council meeting.") == "a date", question
    assert kind("When was it approved?", "Foreign investors may own it.") == "a date"  # "may" is no month here
    assert kind("When was it approved?", "It was approved in May.") is None
    # "When" inside a question does not ask for a date.
    assert kind("What happens when a firm is approved?", "It may operate.") is None


def test_a_share_or_cap_must_be_stated():
    question = "What is the foreign ownership cap for VPN services?"
    assert kind(question, "VPN services (with foreign ownership capped at 50%).") is None
    assert kind(question, "Removing foreign ownership restrictions on internet access services.") is None
    assert kind(question, "The pilot covers 20 cities.") == "a share or cap"


def test_a_share_is_asked_for_by_name_or_as_a_rate():
    for question in ["What market share do foreign firms hold?", "What was China's GDP growth rate in 2024?"]:
        assert kind(question, "Foreign firms hold a significant market share.") == "a share or cap", question
        assert kind(question, "It rose 30 percent year on year.") is None, question


def test_an_answer_must_state_the_kind_of_fact_asked_for():
    assert unstated_kind("On what date do the measures take effect?", ["They take effect in 20 cities."]) == "a date"
    assert unstated_kind("On what date do the measures take effect?", ["They take effect on April 21."]) is None
    assert unstated_kind("What market share do foreign firms hold?", ["A significant one."]) == "a share or cap"
    assert unstated_kind("Which cities are covered?", ["Beijing and Wuhan."]) is None  # no kind asked
    # A count may be answered by naming what is counted.
    assert unstated_kind("How many areas does the pilot target?", ["Cloud computing and data processing."]) is None


def test_a_count_is_a_number_before_what_is_counted():
    question = "How many foreign firms were approved?"
    assert kind(question, "MIIT approved 13 foreign-funded telecom operators.") is None  # operators are firms
    assert kind(question, "China has approved 166 foreign-invested enterprises.") is None
    assert kind(question, "The measures apply in 20 cities.") == "a number of foreign firms"
    assert kind(question, "In 2025 foreign firms were approved.") == "a number of foreign firms"  # a year counts nothing
    # A list of the things counted states their number.
    assert kind("How many areas does the pilot target?",
                "The pilot targets high-growth areas: cloud computing, data processing, and online data.") is None
    # "How many of them are ..." names nothing to count, "how many days" is a length of time.
    assert kind("How many of them are in Beijing?", "Nothing to count here.") is None
    assert kind("How many days does approval take?", "13 firms were approved.") == "a length of time"


def test_names_asked_for_need_passages_naming_as_many_things():
    cities = "The measures apply in 20 cities, including Beijing, Tianjin, Shanghai and Wuhan."
    found = missing_kind("Can you list the names of all 166 foreign firms approved?", [cities])
    assert found.kind == "the names of 166 foreign firms" and found.named == 4  # Beijing ... Wuhan; not "The"
    assert str(found) == ("the question asks for the names of 166 foreign firms "
                          "and the passages name only 4 things in all")
    assert kind("Which are the 20 cities?", cities) == "the names of 20 cities"
    assert kind("Name the four cities.", cities) is None
    assert kind("List all of the three cities.", cities) is None
    # A year names no number of things; a question about the N things is no list of names.
    assert kind("List the 2025 measures.", cities) is None
    for question in ["What are the 166 firms allowed to do?", "What are the 166 firms doing?",
                     "What are the 166 firms approved?"]:
        assert kind(question, cities) is None, question
    assert kind("What are the 166 approved firms?", cities) == "the names of 166 approved firms"


def test_a_follow_ups_context_asks_for_nothing():
    question = "who said that? (follow-up to: How many firms were approved?)"
    assert kind(question, "Zhang said so.") is None


@pytest.fixture(scope="module")
def lexical(assistant):
    return assistant.snapshot.lexical


def test_the_fact_must_be_stated_near_what_it_is_asked_about(lexical):
    cap = "Allowing foreign investment in domestic internet virtual private network (VPN) services " \
          "(with foreign ownership capped at 50%)."
    assert kind("What is the foreign ownership cap for VPN services?", cap, lexical=lexical) is None
    found = missing_kind("What is the foreign ownership cap for basic telecom services?", [cap], lexical)
    assert found.kind == "a share or cap" and found.near == ["basic"]
    assert str(found) == "the question asks for a share or cap and no passage states one near basic"
    count = "MIIT approved 13 foreign-funded operators in Beijing, Shanghai, Hainan and Shenzhen."
    assert kind("How many foreign firms were approved in Shenzhen?", count, lexical=lexical) is None
    assert kind("How many foreign firms were approved in Guangzhou?", count, lexical=lexical) == "a number of foreign firms"
    # A neighbouring sentence may say what the fact is about.
    assert kind("How many foreign firms were approved in Guangzhou?",
                "The pilot reached Guangzhou. MIIT approved 13 foreign firms there.", lexical=lexical) is None
    # Without any statement of the kind, the refusal does not name a subject.
    assert missing_kind("How much is the fee for a VPN permit?", [cap], lexical).near == []


def test_a_possessive_is_its_name(lexical):
    """"China's" is China: its "s" would be near any other possessive."""
    found = missing_kind("What was China's growth rate?", ["Wuhan's exports rose 30% last year."], lexical)
    assert found.kind == "a share or cap" and found.near == ["China's"]


def test_the_article_says_what_its_passages_are_about(lexical):
    text = "By the end of February, MIIT had approved 13 foreign-invested enterprises."
    question = "Per the April 2025 report, how many foreign-invested enterprises had MIIT approved?"
    april = Passage(chunk_id="c", doc_id="d", title="New Measures", publisher="", date="2025-04-21", text=text,
                    start=0, end=len(text), score=1.0)
    assert missing_kind(question, [april], lexical) is None
    assert missing_kind(question, [text], lexical).near == ["April"]


def test_a_part_of_a_group_needs_a_member_or_a_smaller_number_near_what_picks_it(lexical):
    listed = "Most of the 13 enterprises approved are affiliates of multinationals, such as Airbus, Siemens and HSBC."
    where = "MIIT approved 13 foreign-invested enterprises in Beijing, Shanghai, Hainan and Shenzhen."
    which = "Which of the 13 approved companies is based in Hainan?"
    found = missing_kind(which, [listed, where], lexical)
    assert (found.kind, found.near) == ("the name of one of the 13 approved companies", ["Hainan"])
    assert str(found) == ("the question asks for the name of one of the 13 approved companies "
                          "and no passage names one near Hainan")
    assert missing_kind(which, [listed, where, "HSBC runs its affiliate from Hainan."], lexical) is None
    # Without a list of the group's members, which names belong to it is unknown: nothing is decided.
    assert missing_kind(which, [where], lexical) is None
    # A number of the group is a part only below the question's own total.
    how_many = "Of the 13 approved enterprises, how many are located in Shanghai?"
    found = missing_kind(how_many, [listed, where], lexical)
    assert str(found) == ("the question asks for how many of the 13 approved enterprises "
                          "and no passage states a number below 13 near Shanghai")
    assert missing_kind(how_many, [where, "Five of the enterprises are in Shanghai."], lexical) is None
    # With no name to pick by, the words after the group pick ("deal with healthcare").
    tasks = "The Plan proposes 155 pilot tasks. It also widens market access in healthcare."
    found = missing_kind("How many of the 155 pilot tasks deal with healthcare?", [tasks], lexical)
    assert (found.kind, found.near) == ("how many of the 155 pilot tasks", ["healthcare"])
    assert kind("How many of the 155 pilot tasks deal with healthcare?", tasks + " 12 of the pilot tasks do.",
                lexical=lexical) is None
    # A year is no group's size.
    assert kind("Which of the 2025 measures apply in Hainan?", listed, where, lexical=lexical) is None
