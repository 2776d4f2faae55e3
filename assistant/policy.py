"""Answerability, decided in one place: when to refuse, and what an answer may claim.

Before generation (`before`): the question is refused when the evidence is too weak for
any answer to rest on it, when the question asks for a value (a number, amount, date or
length of time) and no passage states one of that kind, or when the generator, asked
whether its passages state the answer, says no with a probability below the threshold.
Each threshold is a setting, calibrated on the dev parts of all benchmark corpora
together (one setting for every collection).

After generation (`after`): nothing supported is a refusal; what is supported is the
answer. A yes/no verdict is the one a stated limit gives (assistant/limits.py), else the
one the generator gives when asked again with the verified sentences in front of it
(the draft's verdict is written before any evidence, under the grammar), else the
draft's own, when a supported sentence stands behind it. An answer that asks
for a value and states none does not answer. Where a question asks two things and the
supported sentences speak to one, the answer says plainly that the documents do not
state the other. With `min_answered`, supported sentences that the generator judges not
to answer the question (an off-question sentence the passages do state) are a refusal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.analysis import QueryAnalysis, content_terms
from assistant.limits import LimitVerdict
from assistant.locales import locale_for
from assistant.types import Passage
from assistant.values import number_stated, numbers_in, states_kind
from assistant.verification import VerifiedClaim, content_tokens
from index.lexical import DEFAULT_LANGUAGE
from policyqa.settings import Settings

REFUSAL = locale_for(DEFAULT_LANGUAGE).refusal  # in another language: locale_for(language).refusal
KIND_PHRASES = {"number": "a number", "amount": "an amount", "date": "a date", "duration": "a length of time"}
EVEN_ODDS = 0.5  # P(yes) from which the verified sentences' verdict is yes: a two-way choice
PART_COVERED = 0.34  # share of a question part's content terms the answer must mention to speak to it


@dataclass
class Decision:
    answer: bool
    reason: str = ""
    strength: float = 0.0
    relevance: float | None = None


def before(
    analysis: QueryAnalysis,
    passages: Sequence[Passage],
    strength: float,
    settings: Settings,
    relevance: float | None = None,
) -> Decision:
    """Whether to generate an answer at all (see the module docstring)."""
    decision = Decision(answer=True, strength=strength, relevance=relevance)
    if not passages:
        decision.answer, decision.reason = False, "no passage matches the question"
    elif strength < settings.min_evidence:
        decision.answer = False
        decision.reason = f"evidence {strength:.2f} is below the threshold {settings.min_evidence:.2f}"
    elif analysis.asks_for_value and not any(states_kind(p.text, analysis.kind, p.language) for p in passages):
        decision.answer = False
        decision.reason = f"the question asks for {KIND_PHRASES[analysis.kind]} and no passage states one"
    elif relevance is not None and relevance < settings.min_relevance:
        decision.answer = False
        decision.reason = (
            f"the generator judges that the passages do not state the answer "
            f"(p={relevance:.2f} < {settings.min_relevance:.2f})"
        )
    return decision


@dataclass
class Judged:
    """The generator's judgements on the answer's verified sentences, as P(yes): whether
    they make the answer to a yes/no question yes, and whether they answer the question."""

    verdict_yes: float | None = None
    answered: float | None = None


@dataclass
class Outcome:
    """What the answer may say, after verification."""

    refused: bool
    verdict: str | None = None
    claims: list[VerifiedClaim] = field(default_factory=list)
    unsaid: list[str] = field(default_factory=list)  # question parts the documents do not answer
    notes: list[str] = field(default_factory=list)
    reason: str = ""


def after(
    analysis: QueryAnalysis,
    claims: list[VerifiedClaim],
    draft_verdict: str | None,
    limit: LimitVerdict | None,
    deciding: VerifiedClaim | None = None,
    judged: Judged | None = None,
    min_answered: float = 0.0,
) -> Outcome:
    """The answer's verdict and claims from what verification kept (see the module
    docstring); `judged`: the generator's judgements on the verified claims."""
    judged = judged or Judged()
    notes: list[str] = []
    claims = list(claims)
    verdict = None
    if analysis.yes_no:
        if limit is not None:
            verdict = limit.verdict
            if draft_verdict and draft_verdict != verdict:
                notes.append(f"verdict {draft_verdict} corrected to {verdict}: {limit.note}")
            if deciding is not None and not any(
                number_stated(f"{limit.limit.value:g}", numbers_in(c.text)) for c in claims
            ):
                claims.insert(0, deciding)
                notes.append("added the sentence stating the limit")
        elif claims and judged.verdict_yes is not None:
            verdict = "yes" if judged.verdict_yes >= EVEN_ODDS else "no"
            if draft_verdict and draft_verdict != verdict:
                notes.append(f"verdict {draft_verdict} re-decided as {verdict} from the verified sentences")
        elif claims:
            verdict = draft_verdict
    if not claims:
        return Outcome(refused=True, notes=notes, reason="no sentence of the answer is supported by the passages")
    if judged.answered is not None and judged.answered < min_answered and limit is None:
        return Outcome(
            refused=True,
            notes=notes,
            reason=f"the generator judges that the supported sentences do not answer the question "
            f"(p={judged.answered:.2f} < {min_answered:.2f})",
        )
    if (
        analysis.asks_for_value
        and not analysis.yes_no
        and not any(states_kind(c.text, analysis.kind, analysis.language) for c in claims)
    ):
        return Outcome(
            refused=True,
            notes=notes,
            reason=f"no supported sentence states {KIND_PHRASES[analysis.kind]}, which the question asks for",
        )
    return Outcome(
        refused=False, verdict=verdict, claims=claims, unsaid=unanswered_parts(analysis, claims), notes=notes
    )


def unanswered_parts(analysis: QueryAnalysis, claims: Sequence[VerifiedClaim]) -> list[str]:
    """The parts of a two-part question ("Can I ...? And how long ...?") that no claim speaks to."""
    if len(analysis.parts) < 2:
        return []
    said = set().union(*(content_tokens(c.text, analysis.language) for c in claims))
    out = []
    for part in analysis.parts:
        terms = set(content_terms(part, analysis.language))
        if terms and len(terms & said) / len(terms) < PART_COVERED:
            out.append(part)
    return out
