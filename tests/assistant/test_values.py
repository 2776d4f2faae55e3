"""What counts as a checkable value: amounts of money in any currency in use, in the
languages answers are written in."""

from __future__ import annotations

import pytest

from assistant.values import states_kind


@pytest.mark.parametrize(
    "text",
    [
        "The token costs 14 florins.",
        "It costs 30 rupees a month.",
        "Die Gebühr beträgt 5 Euro.",
        "费用为250元。",
        "CHF 40 per month",
        "R$ 20 per seat",
        "up to 2,400 yuan",
        "10 cents a minute",
    ],
)
def test_an_amount_in_any_current_currency_is_an_amount(text):
    assert states_kind(text, "amount")


def test_numbers_without_a_currency_are_no_amount():
    for text in ["The measure applies in 20 cities.", "We keep it for 25 months.", "Antwort in 20 Minuten."]:
        assert not states_kind(text, "amount"), text
