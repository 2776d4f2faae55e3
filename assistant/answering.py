"""From retrieved passages to a verified, cited Answer, streamed.

    focus the passages on the query (extractive.focus_texts) → prompt (prompts.py) →
    the generator streams prose under a grammar → Delta events as text arrives → parse
    verdict, sentences and markers → verify every sentence (verification.py) → check
    the yes/no verdict against limits in the evidence, or re-ask the generator when an
    open answer leans on words no passage uses (selfcheck.py); an open answer must state
    the kind of fact asked for, a date for "when", a share for "what share" (fact_kinds.py)
    → Answer

The final Answer is authoritative: streamed text is a preview of the model's draft and
may lose sentences in verification. Whatever goes wrong with the generator (down,
timeout, garbage, nothing supported) the caller still gets the extractive answer and a
one-line `fallback_reason`, never an exception from the backend.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator, Sequence

import numpy as np

from assistant import prompts, selfcheck
from assistant.extractive import extract, focus_texts
from assistant.fact_kinds import unstated_kind
from assistant.questions import is_yes_no
from assistant.types import Answer, Citation, Delta, Passage, SentenceCheck, Turn
from assistant.verification import (
    Claim,
    EvidenceIndex,
    Unit,
    VerifiedClaim,
    asked_share,
    check_verdict,
    content_tokens,
    excluded_by_list,
    locate,
    names_in,
    subject_tokens,
    verify_claims,
)
from policyqa.errors import BackendError
from policyqa.settings import Settings

log = logging.getLogger(__name__)

REFUSAL = "The corpus does not answer this question."
ASIDE = "says nothing more about what the question asks"
UNSETTLED = "The passages do not settle this."
PROMPT_MARGIN_TOKENS = 64
ON_TOPIC = 0.35  # best support of a dropped draft: below it the draft is noise, not an attempt
FOCUS_WORDS = 180  # passage words shown to the generator: prompt processing is most of the first-token time


# -- parsing the draft ------------------------------------------------------------------
@dataclass
class Draft:
    claims: list[Claim]
    verdict: str | None = None
    not_found: bool = False


_NOT_FOUND = re.compile(
    r"^\W*(?:the\s+)?(?:passages?|context|corpus|articles?|sources?)\s+(?:do(?:es)?\s+not|don't|doesn't)\s+"
    r"(?:say|mention|contain|answer|specify|state|provide|include|give)\b",
    re.I,
)
# A sentence saying the passages lack the answer, anywhere in the draft ("the cap for basic
# telecom is not mentioned in the passages [2]"): it is no claim, and if it is all the
# draft has, the draft is a refusal. Small models often wrap one in a verdict or a citation.
_ABSENCE = re.compile(
    r"\b(?:is|are|was|were|been)\s+not\s+(?:explicitly\s+|directly\s+)?"
    r"(?:mentioned|stated|specified|provided|given|listed|available|disclosed|discussed)\b"
    r"|\b(?:passages?|context|texts?|articles?|sources?|information)\b[^.]{0,30}?\b(?:do(?:es)?\s+not|don't|doesn't|only)\s+"
    r"(?:say|mention|contain|answer|specify|state|provide|include|give|discuss|list|describe)"
    r"|\bno\s+(?:information|mention|details?|data)\s+(?:about|on|of|regarding|is|are)\b"
    r"|\b(?:cannot|can't|can\s+not|unable\s+to|not\s+possible\s+to)\s+(?:be\s+)?(?:determined?|tell|say|answer|find|confirm|conclude)",
    re.I,
)
# "..., but it does not specify that HSBC's subsidiary has received its permit": a hedge
# about the passages tacked onto a claim. The claim before it stands; the hedge cites nothing.
_HEDGE_TAIL = re.compile(
    r",?\s+(?:but|although|though|however,?)\s+(?:it|they|this|the\s+(?:passages?|articles?|texts?|context|sources?))"
    r"\s+(?:does|do|did)\s*(?:not|n[’']t)\s+(?:explicitly\s+|directly\s+)?"
    r"(?:mention|specify|say|state|indicate|confirm|show|clarify)\b.*$",
    re.I,
)
# A sentence that points at a passage instead of saying anything ("The names of all 166
# firms are listed in [1]."): asked for what the passages lack, the model points.
_POINTER = re.compile(
    r"\b(?:are|is|were|was|can\s+be)\s+(?:listed|given|provided|found|shown|named|detailed|mentioned)\s+in"
    r"(?:\s+(?:the\s+)?(?:passages?|articles?|texts?|sources?|context))?\s*[.!]?$",
    re.I,
)
_LEAD_VERDICT = re.compile(r"^\s*(yes|no)\b\s*[.,:;!-]?\s*", re.I)
_MARKER_GROUP = re.compile(r"((?:\s*\[\d{1,3}\])+)\s*([.!?]?)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])")


def parse_draft(raw: str) -> Draft | None:
    """The model's prose as a verdict and claims, each with the markers after it.

    Markers apply to the sentence(s) before them; text after the last marker group is
    a claim without citations (verification finds its passage or drops it).
    """
    text = re.sub(r"\s+", " ", raw or "").strip()
    if not text:
        return None
    verdict = None
    lead = _LEAD_VERDICT.match(text)
    if lead:
        verdict = lead.group(1).lower()
        text = text[lead.end():]
    if _NOT_FOUND.match(text) and verdict is None:
        return Draft([], None, not_found=True)
    claims: list[Claim] = []
    position = 0
    for match in _MARKER_GROUP.finditer(text):
        segment = text[position:match.start()].strip()
        markers = [int(n) for n in re.findall(r"\d+", match.group(1))]
        position = match.end()
        pieces = [p for p in _SENTENCE_END.split(segment) if p.strip()]
        for piece in pieces:
            claims.append(Claim(_HEDGE_TAIL.sub("", piece.strip()), markers))
    tail = text[position:].strip()
    for piece in _SENTENCE_END.split(tail):
        # Unmarked text counts only as whole sentences: a reply cut off by the token
        # limit must not leave half a sentence in the answer.
        if len(piece.split()) >= 3 and piece.rstrip()[-1:] in ".!?":
            claims.append(Claim(_HEDGE_TAIL.sub("", piece.strip()), []))
    claims = [c for c in claims if re.search(r"\w", c.text) and not _NOT_FOUND.match(c.text)]
    kept = [c for c in claims if not (_ABSENCE.search(c.text) or _POINTER.search(c.text))]
    said_absent, claims = len(kept) < len(claims), kept
    if not claims and (verdict is None or said_absent):
        return Draft([], None, not_found=said_absent or bool(_NOT_FOUND.search(text)))
    return Draft(claims, verdict, not_found=False)


# -- composing the answer ---------------------------------------------------------------
_LEADING_VERDICT = re.compile(r"^(yes|no)\b[\s,.:;!-]*", re.I)
_UNLIMITED = re.compile(r"\b(?:unlimited|no (?:cap|limit)|without (?:any )?(?:cap|limit)|fully|wholly|100 ?(?:%|percent))\b", re.I)
_NEGATION = re.compile(
    r"\b(?:not|no|cannot|can't|can ?not|isn't|aren't|doesn't|don't|never|only|capped|cap|limited|"
    r"limit|restricted|up to|at most|exceed|below|maximum)\b",
    re.I,
)


def contradicts(claim: str, verdict: str | None, question: str) -> bool:
    """A sentence that argues the other way from the (checked) verdict."""
    if verdict is None:
        return False
    lead = _LEADING_VERDICT.match(claim)
    if lead and lead.group(1).lower() != verdict:
        return True
    share = asked_share(question)
    if verdict == "no" and share is not None and not _NEGATION.search(claim):
        asked = f"{share:g}%"
        if asked in claim.replace(" %", "%") or (share == 100 and _UNLIMITED.search(claim)):
            return True
    return False


def on_subject(claims: Sequence[VerifiedClaim], asked: str, standalone: str
               ) -> tuple[list[VerifiedClaim], list[VerifiedClaim]]:
    """Split a yes/no answer's sentences into those that speak of the question's subject
    and the asides. After the first, a sentence must name something the user asked about
    that the ones before it did not: "These are not legacy services like voice calls [1]"
    answers "does it include voice calls?"; "The pilot allows wholly-owned data centres
    [2]" after it is another passage's topic, and "Therefore, owning 100% in Wuhan is not
    allowed" only repeats. A follow-up of one word ("and in Suzhou?") is judged by its
    standalone form, so "the cap on VPN services is 50%" still counts."""
    subject = subject_tokens(asked)
    if len(subject) < 2:
        subject = subject_tokens(standalone)
    kept: list[VerifiedClaim] = []
    aside: list[VerifiedClaim] = []
    said: set[str] = set()
    for claim in claims:
        about = content_tokens(claim.text) & subject
        if kept and not about - said:
            aside.append(claim)
            continue
        kept.append(claim)
        said |= about
    return kept, aside


def _leave_out(claim: VerifiedClaim, reason: str) -> None:
    """Record on a verified sentence's own check that the answer leaves it out."""
    if claim.check is not None:
        claim.check.status = "dropped"
        claim.check.reason = reason


def _strip_verdict(text: str) -> str:
    stripped = _LEADING_VERDICT.sub("", text, count=1).strip()
    if not stripped:
        return text
    return stripped[0].upper() + stripped[1:]


def render(verdict: str | None, claims: Sequence[VerifiedClaim], yes_no: bool) -> str:
    parts = []
    if verdict in ("yes", "no"):
        parts.append("Yes." if verdict == "yes" else "No.")
    elif yes_no and claims:
        parts.append(UNSETTLED)
    for claim in claims:
        body = claim.text.strip()
        match = re.match(r"^(.*?)([.!?…]*)$", body, re.S)
        core, punct = (match.group(1).rstrip(), match.group(2)) if match else (body, "")
        markers = "".join(f"[{n}]" for n in claim.markers)
        parts.append(f"{core} {markers}{punct or '.'}" if markers else f"{core}{punct or '.'}")
    return " ".join(parts)


def citations(claims: Sequence[VerifiedClaim], passages: Sequence[Passage]) -> list[Citation]:
    quotes: dict[int, dict[tuple[int, int], Unit]] = {}
    for claim in claims:
        for n in claim.markers:
            unit = claim.quotes.get(n)
            bucket = quotes.setdefault(n, {})
            if unit is not None:
                bucket[(unit.start, unit.end)] = unit
    return [
        Citation(
            marker=n,
            passage=passages[n - 1],
            quotes=[locate(u) for _, u in sorted(quotes[n].items())],
        )
        for n in sorted(quotes)
    ]


def supplement(question: str, claims: list[VerifiedClaim], index: EvidenceIndex, limit: int = 3) -> list[str]:
    """For a yes/no question, add the evidence sentence for each name in the question that
    no kept claim cites (the "Wuhan is in the list" half of a two-passage answer)."""
    notes = []
    cited = {n for c in claims for n in c.markers}
    for name in sorted(names_in(question)):
        if len(claims) >= limit:
            break
        if any(index.has_name(name, n) for n in cited):
            continue
        for unit in index.units:
            if name.lower() in unit.text.lower() and index.has_name(name, unit.passage):
                claims.append(VerifiedClaim(text=unit.text, markers=[unit.passage], quotes={unit.passage: unit}))
                cited.add(unit.passage)
                notes.append(f"added the sentence of [{unit.passage}] that mentions {name}")
                break
    return notes


# -- the pipeline -----------------------------------------------------------------------
@dataclass
class _Run:
    started: float
    timings: dict[str, float] = field(default_factory=dict)

    def mark_first(self) -> None:
        if "first_token" not in self.timings:
            self.timings["first_token"] = time.perf_counter() - self.started


def _prompt_messages(question: str, standalone: str, passages: Sequence[Passage], history, yes_no: bool,
                     index: EvidenceIndex, settings: Settings, generator) -> tuple[list[dict], int]:
    """The prompt over focused passage excerpts, trimmed to fit the context window.
    Keeps a prefix of the passage list, so marker [n] still means passages[n-1]."""
    texts = focus_texts(standalone, index, FOCUS_WORDS)
    counter = getattr(generator, "count_tokens", None)
    budget = settings.llm_context - settings.llm_max_tokens - PROMPT_MARGIN_TOKENS
    count = len(passages)
    while True:
        built = prompts.messages(question, standalone, passages[:count], history, texts[:count], yes_no)
        text = "".join(m["content"] for m in built)
        size = counter(text) if counter else int(len(text) / 3.5)
        if size <= budget or count == 1:
            return built, count
        count -= 1


def answer_stream(
    question: str,
    standalone_query: str,
    passages: Sequence[Passage],
    history: Sequence[Turn] | None,
    settings: Settings,
    generator=None,
    embed: Callable[[list[str]], np.ndarray] | None = None,
) -> Iterator[Delta | Answer]:
    """Yield Delta events as text arrives, then exactly one final Answer.

    `passages` are retrieved, gated and ordered best first; marker [n] is passages[n-1].
    `generator` None means extractive. `embed` gives L2-normalised vectors for the
    similarity checks (verification still works without it, on words and numbers).
    """
    run = _Run(started=time.perf_counter())
    passages = list(passages)
    history = list(history or [])
    standalone_query = standalone_query or question
    yes_no = is_yes_no(standalone_query) or is_yes_no(question)
    base = dict(question=question, standalone_query=standalone_query, passages=passages)
    if not passages:
        yield Answer(**base, text=REFUSAL, status="refused", backend=_backend(generator),
                     timings={"total": time.perf_counter() - run.started})
        return
    index = EvidenceIndex(passages, f"{question} {standalone_query}", embed, premise_numbers=yes_no)

    fallback_reason: str | None = None
    if generator is not None:
        messages, shown = _prompt_messages(question, standalone_query, passages, history, yes_no, index, settings,
                                           generator)
        grammar = prompts.answer_grammar(shown, yes_no)
        t0 = time.perf_counter()
        raw, reason = yield from _generate(generator, messages, grammar, settings, run)
        run.timings["generate"] = time.perf_counter() - t0
        if reason is None:
            t0 = time.perf_counter()
            answer, reason = _from_draft(raw, standalone_query, yes_no, index, base, generator)
            run.timings["verify"] = time.perf_counter() - t0
            if answer is not None:
                answer.draft = raw
                answer.timings = {**run.timings, "total": time.perf_counter() - run.started}
                yield answer
                return
        fallback_reason = reason
        log.info("falling back to the extractive answer: %s", reason)

    t0 = time.perf_counter()
    answer = _extractive(question, standalone_query, yes_no, index, base)
    run.timings["extract"] = time.perf_counter() - t0
    answer.fallback_reason = fallback_reason
    if generator is not None:
        answer.draft = raw
    for i, sentence in enumerate(_sentences_of(answer.text)):
        run.mark_first()
        yield Delta(text=sentence if i == 0 else " " + sentence)
    answer.timings = {**run.timings, "total": time.perf_counter() - run.started}
    yield answer


def _backend(generator) -> str:
    return getattr(generator, "backend", "extractive") if generator is not None else "extractive"


def _sentences_of(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s]


def _generate(generator, messages, grammar, settings: Settings, run: _Run):
    """Stream from the generator, yielding Deltas; returns (raw text, failure or None)."""
    raw = ""
    pieces = 0
    first_piece = None
    name = getattr(generator, "name", "the generator")
    try:
        for piece in generator.stream_chat(messages, settings.llm_max_tokens, grammar):
            if not piece:
                continue
            if first_piece is None:
                first_piece = time.perf_counter()
            pieces += 1
            raw += piece
            run.mark_first()
            yield Delta(text=piece)
    except BackendError as exc:
        return raw, f"{name}: {exc}"
    except Exception as exc:  # a generator that breaks its contract still must not crash us
        log.exception("generator %s failed", name)
        return raw, f"{name} failed: {type(exc).__name__}: {exc}"
    if first_piece is not None and pieces > 1:
        elapsed = time.perf_counter() - first_piece
        run.timings["generated_tokens"] = float(pieces)
        if elapsed > 0:
            run.timings["tokens_per_s"] = (pieces - 1) / elapsed
    return raw, None


def _from_draft(raw: str, standalone: str, yes_no: bool, index: EvidenceIndex, base: dict,
                generator) -> tuple[Answer | None, str | None]:
    """Verify the draft. Returns (answer, None), or (None, why) to fall back."""
    draft = parse_draft(raw)
    name = getattr(generator, "name", "the generator")
    if draft is None:
        return None, f"{name} returned an empty answer"
    if draft.not_found:
        return Answer(**base, text=REFUSAL, status="refused", backend=generator.backend,
                      notes=["the generator found no answer in the passages"]), None
    kept, checks = verify_claims(draft.claims, index)
    absent = sorted(set().union(*(index.unmentioned_in(c.text) for c in draft.claims)))
    if absent and not (yes_no and excluded_by_list(base["question"], index)):
        # The draft answers what the question asks about, which no passage mentions
        # ("the licence fee", "5G spectrum"): what else it says is beside the question.
        return Answer(**base, text=REFUSAL, status="refused", backend=generator.backend, checks=checks,
                      notes=[f"the draft answers about {', '.join(absent)}, which no passage mentions"]), None
    if not kept and not (yes_no and draft.verdict):
        if max((c.support for c in checks), default=0.0) >= ON_TOPIC:
            # On topic but unsupported: what the model claims, the passages do not say.
            return Answer(**base, text=REFUSAL, status="refused", backend=generator.backend, checks=checks,
                          notes=["no sentence of the generated answer is supported by the passages"]), None
        return None, f"{name} returned text unrelated to the passages"
    notes: list[str] = []
    verdict = None
    if yes_no:
        verdict, note, deciding = check_verdict(standalone, draft.verdict, index, asked=base["question"])
        if note:
            notes.append(note)
        if deciding is not None and not any(deciding in c.quotes.values() for c in kept):
            kept.insert(0, VerifiedClaim(text=deciding.text, markers=[deciding.passage],
                                         quotes={deciding.passage: deciding}))
            notes.append(f"added the deciding sentence of [{deciding.passage}]")
        survivors = []
        for claim in kept:
            if contradicts(claim.text, verdict, standalone):
                _leave_out(claim, f"contradicts the verdict {verdict}")
                continue
            survivors.append(replace(claim, text=_strip_verdict(claim.text)))
        kept, aside = on_subject(survivors, base["question"], standalone)
        for claim in aside:
            _leave_out(claim, ASIDE)
        if verdict is not None and not kept:
            kept = extract(standalone, standalone, index, yes_no=False).claims
            if kept:
                notes.append("the generator gave no supported reason: the best evidence sentences are quoted")
    else:
        kept = [replace(c, text=_strip_verdict(c.text)) for c in kept]
        restating = [c for c in kept if index.restates_question(c.text)]
        if len(restating) < len(kept):  # (for a yes/no question, restating it is the answer)
            for claim in restating:
                kept.remove(claim)
                _leave_out(claim, "restates the question")
        leaning = sorted(set().union(*(index.absent_in(c.text) for c in kept))) if kept else []
        if leaning:
            cited = sorted({n for c in kept for n in c.markers})
            if selfcheck.states_answer(generator, standalone, [index.passages[n - 1].text for n in cited]) is False:
                return Answer(**base, text=REFUSAL, status="refused", backend=generator.backend, checks=checks,
                              notes=[f"the draft leans on {', '.join(leaning)}, which no passage says, and the "
                                     "model, asked again, found that the cited passages do not state the answer"]), None
            notes.append(f"self-checked: the draft leans on {', '.join(leaning)}, which no passage says as such")
        if kept and (kind := unstated_kind(standalone, [c.text for c in kept])):
            return Answer(**base, text=REFUSAL, status="refused", backend=generator.backend, checks=checks,
                          notes=[f"no sentence of the answer states {kind}, which the question asks for"]), None
    for claim in kept[prompts.MAX_SENTENCES:]:
        # The grammar bounds runs of sentences before a marker, not sentences: the fourth
        # and later ones are what the prompt did not ask for (a 1.5B model rambles on into
        # its passages' other topics).
        _leave_out(claim, f"beyond the {prompts.MAX_SENTENCES} sentences asked for")
    kept = kept[:prompts.MAX_SENTENCES]
    if not kept:
        return None, "the generated answer had nothing the passages support"
    if yes_no:
        notes += supplement(standalone, kept, index)
    return Answer(
        **base, text=render(verdict, kept, yes_no), status="grounded", verdict=verdict,
        backend=generator.backend, citations=citations(kept, index.passages), checks=checks, notes=notes,
    ), None


def _extractive(question: str, standalone: str, yes_no: bool, index: EvidenceIndex, base: dict) -> Answer:
    result = extract(question, standalone, index, yes_no)
    if not result.claims:
        return Answer(**base, text=REFUSAL, status="refused", backend="extractive")
    notes = [result.verdict_note] if result.verdict_note else []
    claims = list(result.claims)
    if not yes_no and (kind := unstated_kind(standalone, [c.text for c in claims])):
        return Answer(**base, text=REFUSAL, status="refused", backend="extractive",
                      notes=[f"no quoted sentence states {kind}, which the question asks for"])
    if yes_no:
        claims, aside = on_subject(claims, question, standalone)
        if aside:
            notes.append(f"left out {len(aside)} quoted sentence(s) that add nothing the question asks about")
        notes += supplement(standalone, claims, index)
    checks = [
        SentenceCheck(text=c.text, cited=c.markers, status="supported", support=1.0, reason="quoted from the passage")
        for c in claims
    ]
    return Answer(
        **base, text=render(result.verdict, claims, yes_no=False), status="grounded",
        verdict=result.verdict, backend="extractive", citations=citations(claims, index.passages),
        checks=checks, notes=notes,
    )
