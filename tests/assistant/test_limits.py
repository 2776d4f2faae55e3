"""Stated limits decide yes/no questions that pose a quantity, in any collection's words."""

from __future__ import annotations

import pytest

from assistant.analysis import analyze
from assistant.limits import limit_verdict, limits_in

CARRY_OVER = "You can carry over a maximum of 240 annual leave hours, from one leave year to the next."
VPN = "Allowing foreign investment in domestic internet virtual private network (VPN) services (with foreign ownership capped at 50%)."
APPEAL = "You may appeal a moderation decision within 6 months of the decision."
CAP_NOUN = "As noted above, there is a 240 hour limit on the number of hours you can carry over."


def test_limits_are_read_with_their_unit_and_direction():
    (limit,) = limits_in(CARRY_OVER)
    assert (limit.value, limit.upper) == (240, True) and "hour" in limit.units  # "240 annual leave hours"
    assert [(x.value, x.units, x.upper) for x in limits_in(VPN)] == [(50, ("%",), True)]
    assert [(x.value, x.units[0], x.upper) for x in limits_in(APPEAL)] == [(6, "month", True)]
    assert [(x.value, x.units[0], x.upper) for x in limits_in(CAP_NOUN)] == [(240, "hour", True)]
    assert [(x.value, x.upper) for x in limits_in("Applicants must be at least 18 years old.")] == [(18, False)]


@pytest.mark.parametrize(
    "question, sentence, verdict",
    [
        ("Can I carry over 300 hours of leave into next year?", CAP_NOUN, "no"),
        ("Can I carry over 300 hours of annual leave?", CARRY_OVER, "no"),
        ("Can I carry over 200 hours of leave into next year?", CAP_NOUN, "yes"),
        ("Can I own 100% of a VPN service in Wuhan?", VPN, "no"),
        ("Can a foreign investor own 50% of a VPN service?", VPN, "yes"),
        ("It has been 8 months since the moderation decision. Can I still appeal it?", APPEAL, "no"),
    ],
)
def test_a_quantity_beyond_or_within_a_limit_decides(question, sentence, verdict):
    decided = limit_verdict(analyze(question), [sentence])
    assert decided is not None and decided.verdict == verdict and decided.limit.sentence == sentence


def test_a_limit_about_something_else_decides_nothing():
    assert limit_verdict(analyze("Can I bring 3 guests to the office party?"), [CAP_NOUN]) is None
    assert limit_verdict(analyze("Can I carry over 300 hours of leave?"), [VPN]) is None  # another unit


def test_open_questions_and_conflicting_limits_decide_nothing():
    assert limit_verdict(analyze("How many hours of leave can I carry over?"), [CAP_NOUN]) is None
    conflicting = [
        "There is a 240 hour limit on the hours of leave you carry over.",
        "There is a 400 hour limit on the hours of leave you carry over.",
    ]
    assert limit_verdict(analyze("Can I carry over 300 hours of leave?"), conflicting) is None


def test_only_a_question_asking_permission_is_decided_by_a_limit():
    exemption = (
        "If you have a minor need that is expected to last less than 6 months, you do not need the full process."
    )
    obliged = analyze("My need will last about 3 months. Do I have to go through the whole process?")
    assert obliged.yes_no and not obliged.permission
    assert limit_verdict(obliged, [exemption]) is None
    assert analyze("Am I allowed to carry over 300 hours of leave?").permission
    assert analyze("Is it OK to expense 3 nights of laundry?").permission
    assert analyze("Is a 10-day refund window for a yearly plan allowed?").permission
    assert not analyze("Is the refund window longer for yearly plans?").permission
