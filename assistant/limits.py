"""Limits that policy texts state, and the verdict they give a yes/no question.

Policies are made of limits: "a maximum of 240 hours", "within 30 days", "capped at 50%",
"at least 18 years old". A yes/no question asking whether something is allowed
that poses a quantity ("Can I carry over 300 hours?") is decided by comparing that
quantity with the limit a passage states for the same unit about the same thing: above a
maximum or below a minimum is a no, within it a yes. Only permission questions: a limit
can exempt as well as allow ("a need of less than 6 months does not need the full
process" answers "do I have to go through it?" with no, not yes). Small models get such comparisons wrong often; arithmetic on
two numbers does not.

A limit counts only in a sentence that shares at least two of the question's content
terms (besides numbers and the unit), so an unrelated limit in the same passage does not
decide; when the passages state conflicting limits, nothing is decided.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from assistant.analysis import QueryAnalysis
from assistant.values import QUANTITY_NUMBER, QUANTITY_UNIT, quantity_value, unit_words
from index.lexical import tokenize

_UPPER = (
    r"up\s+to|at\s+most|no\s+more\s+than|not\s+more\s+than|a\s+maximum\s+of|maximum\s+of|maximum|max\.?|"
    r"capped\s+at|a\s+cap\s+of|cap\s+of|a\s+limit\s+of|limit\s+of|limited\s+to|not\s+(?:to\s+)?exceed(?:ing)?|"
    r"within|less\s+than|fewer\s+than|no\s+later\s+than|under"
)
_LOWER = r"at\s+least|a\s+minimum\s+of|minimum\s+of|minimum|no\s+less\s+than|no\s+fewer\s+than|no\s+earlier\s+than"
_BOUND = re.compile(
    rf"\b(?:(?P<upper>{_UPPER})|(?P<lower>{_LOWER}))\s+(?:a\s+|the\s+|of\s+)?{QUANTITY_NUMBER}{QUANTITY_UNIT}", re.I
)
# "the 240 hour cap", "a 30-day limit"
_NOUN_BOUND = re.compile(
    rf"\b{QUANTITY_NUMBER}[\s-]*(%|percent|[a-z]+)[\s-]+(?P<kind>cap|limit|maximum|minimum)\b", re.I
)


@dataclass(frozen=True)
class Limit:
    value: float
    units: tuple[str, ...]  # the stemmed words after the number, one of them its unit; or ("%",)
    upper: bool  # a maximum (else a minimum)
    sentence: str

    @property
    def unit(self) -> str:
        return self.units[-1] if self.units else ""


@dataclass(frozen=True)
class LimitVerdict:
    verdict: str  # "yes" | "no"
    limit: Limit
    asked: float
    note: str


def limits_in(sentence: str) -> list[Limit]:
    out = []
    for m in _BOUND.finditer(sentence):
        value, units = quantity_value(m.group(3)), unit_words(m.group(4))
        if value is not None and units:
            out.append(Limit(value, units, upper=m.group("upper") is not None, sentence=sentence))
    for m in _NOUN_BOUND.finditer(sentence):
        value, units, kind = quantity_value(m.group(1)), unit_words(m.group(2)), m.group("kind").lower()
        if value is not None and units:
            out.append(Limit(value, units, upper=kind != "minimum", sentence=sentence))
    return out


def limit_verdict(analysis: QueryAnalysis, sentences: Iterable[str]) -> LimitVerdict | None:
    """The verdict a stated limit gives the question, or None (see the module docstring)."""
    if not analysis.permission:
        return None
    asked = analysis.quantities
    if not asked:
        return None
    terms = {t for t in analysis.terms if not t[:1].isdigit()}
    found: list[tuple[Limit, float]] = []
    for sentence in sentences:
        shared = terms & set(tokenize(sentence))
        for limit in limits_in(sentence):
            for value, unit in asked:
                about = shared - {unit}
                if unit in limit.units and len(about) >= min(2, len(terms - {unit})):
                    found.append((limit, value))
    if not found:
        return None
    verdicts = {
        ("no" if (value > limit.value if limit.upper else value < limit.value) else "yes") for limit, value in found
    }
    if len(verdicts) != 1:
        return None
    limit, value = found[0]
    verdict = verdicts.pop()
    bound = "at most" if limit.upper else "at least"
    unit = next(u for v, u in asked if u in limit.units)
    note = f"the passages set {bound} {limit.value:g} ({unit}); the question asks about {value:g}"
    return LimitVerdict(verdict, limit, value, note)
