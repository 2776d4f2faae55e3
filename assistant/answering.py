"""From retrieved passages to a verified, cited Answer, streamed.

    prepare: the passages as sentences (verification.EvidenceIndex), focused on the
        question (extractive.focus_texts), in a prompt that fits the context window
    relevance: the generator's probability that the passages state the answer
        (asked by the policy before anything is generated)
    answer_stream: the generator streams prose under a grammar → Delta events → the draft
        parsed into a verdict and claims (drafts.py; generation stops once the draft loops
        or has more sentences than an answer keeps) → every claim verified against what it
        cites (verification.py) → the best sentence of a cited passage quoted beside them
        where they leave out what the question asks → the verdict, and whether they
        answer, asked of the verified claims → a stated limit checked against the
        question (limits.py) → what the answer may say decided (policy.after) → Answer

The final Answer is authoritative: streamed text is a preview of the model's draft and
may lose sentences in verification. Whatever goes wrong with the generator (down,
timeout, empty output, text unrelated to the passages) the caller still gets the
extractive answer and a one-line `fallback_reason`, never an exception from the backend
(a generator that still works, its draft unusable, judges that answer's verdict); a draft
about the passages of which nothing is supported is a refusal.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from assistant import policy, prompts
from assistant.analysis import QueryAnalysis
from assistant.drafts import parse_draft, sentences_said
from assistant.extractive import extract, focus_texts
from assistant.generation import judge
from assistant.limits import limit_verdict
from assistant.locales import Locale, leading_verdict, locale_for, written_without_spaces
from assistant.types import Answer, Citation, Delta, Passage, SentenceCheck, Turn
from assistant.values import numbers_in
from assistant.verification import (
    ECHO,
    EvidenceIndex,
    SupportPolicy,
    TextEmbedder,
    Unit,
    VerifiedClaim,
    locate,
    verify_claims,
)
from policyqa.errors import BackendError
from policyqa.settings import Settings

log = logging.getLogger(__name__)

PROMPT_MARGIN_TOKENS = 64
FOCUS_WORDS = 150  # passage words shown to the generator: prompt processing is most of the first-token time
ON_TOPIC = 0.35  # best support of a dropped draft below which the draft is unrelated to the passages


@dataclass
class Prepared:
    """One question's evidence, made ready for the generator and the checks."""

    analysis: QueryAnalysis
    passages: list[Passage]
    history: list[Turn]
    index: EvidenceIndex
    texts: list[str]  # each passage focused on the question
    messages: list[dict] = field(default_factory=list)  # the answer prompt
    shown: int = 0  # passages that fit the prompt (a prefix of `passages`)

    def base(self) -> dict:
        return base(self.analysis, self.passages)

    def grammar(self) -> str:
        """The answer's grammar: verdict for a yes/no question, sentences citing the
        passages shown, in the answer's language."""
        return prompts.answer_grammar(self.shown, self.analysis.yes_no, locale_for(self.analysis.language))


def base(analysis: QueryAnalysis, passages: Sequence[Passage]) -> dict:
    """The fields every Answer to this question carries."""
    return dict(
        question=analysis.asked,
        standalone_query=analysis.standalone,
        context=analysis.context,
        searched_as=analysis.translation,
        also_searched=list(analysis.aliases),
        passages=list(passages),
    )


def prepare(
    analysis: QueryAnalysis,
    passages: Sequence[Passage],
    history: Sequence[Turn] | None,
    settings: Settings,
    generator=None,
    embedder: TextEmbedder | None = None,
) -> Prepared:
    passages = list(passages)
    index = EvidenceIndex(passages, analysis, embedder)
    texts = focus_texts(analysis, index, FOCUS_WORDS) if passages else []
    ready = Prepared(analysis, passages, list(history or []), index, texts)
    if generator is not None and passages:
        ready.messages, ready.shown = _fitted_messages(ready, settings, generator)
    return ready


def _fitted_messages(ready: Prepared, settings: Settings, generator) -> tuple[list[dict], int]:
    """The prompt over focused passage excerpts, trimmed to fit the context window.
    Keeps a prefix of the passage list, so marker [n] still means passages[n-1]."""
    counter = getattr(generator, "count_tokens", None)
    budget = settings.llm_context - settings.llm_max_tokens - PROMPT_MARGIN_TOKENS
    count = len(ready.passages)
    while True:
        built = prompts.messages(ready.analysis, ready.passages[:count], ready.history, ready.texts[:count])
        text = "".join(m["content"] for m in built)
        size = counter(text) if counter else int(len(text) / 3.5)
        if size <= budget or count == 1:
            return built, count
        count -= 1


def relevance(ready: Prepared, generator, settings: Settings) -> float | None:
    """The generator's probability that the passages state the answer (None: not asked,
    as with `min_relevance` 0)."""
    if generator is None or not ready.shown or settings.min_relevance <= 0:
        return None
    shown = ready.passages[: ready.shown]
    try:
        return judge(
            generator, prompts.relevance_messages(ready.analysis, shown, ready.history, ready.texts[: ready.shown])
        )
    except BackendError as exc:
        log.info("relevance not judged: %s", exc)
        return None


def refusal(analysis: QueryAnalysis, passages: Sequence[Passage], backend: str, reason: str, **extra) -> Answer:
    return Answer(
        **base(analysis, passages),
        text=locale_for(analysis.language).refusal,
        status="refused",
        backend=backend,
        notes=[reason] if reason else [],
        **extra,
    )


def answer_stream(
    ready: Prepared, settings: Settings, generator=None, started: float | None = None
) -> Iterator[Delta | Answer]:
    """Yield Delta events as text arrives, then exactly one final Answer. Timings count
    from `started` (the request's start), else from now."""
    started = time.perf_counter() if started is None else started
    timings: dict[str, float] = {}
    if not ready.passages:
        yield refusal(ready.analysis, ready.passages, _backend(generator), "no passage matches the question")
        return
    fallback_reason: str | None = None
    failed = False
    raw = None
    if generator is not None:
        t0 = time.perf_counter()
        raw, reason = yield from _generate(generator, ready.messages, ready.grammar(), settings, timings, started)
        timings["generate"] = time.perf_counter() - t0
        failed = reason is not None
        if reason is None:
            t0 = time.perf_counter()
            answer, reason = _from_draft(raw, ready, settings, generator)
            timings["verify"] = time.perf_counter() - t0
            if answer is not None:
                answer.draft = raw
                answer.timings = {**timings, "total": time.perf_counter() - started}
                yield answer
                return
        fallback_reason = reason
        log.info("falling back to the extractive answer: %s", reason)
    t0 = time.perf_counter()
    answer = _extractive(ready, None if failed else generator)
    timings["extract"] = time.perf_counter() - t0
    answer.fallback_reason = fallback_reason
    answer.generator_failed = failed
    answer.draft = raw
    for sentence in _sentences_of(answer.text):
        timings.setdefault("first_token", time.perf_counter() - started)
        yield Delta(text=sentence, draft=False)
    answer.timings = {**timings, "total": time.perf_counter() - started}
    yield answer


def _backend(generator) -> str:
    return getattr(generator, "backend", "extractive") if generator is not None else "extractive"


def _sentences_of(text: str) -> list[str]:
    """The text's sentences, each with the space after it: joined, they are the text."""
    return re.findall(r".+?(?:[.!?](?:\s+|$)|[。！？]|$)", text, re.S)


def _generate(generator, messages, grammar, settings: Settings, timings: dict, started: float):
    """Stream from the generator, yielding Deltas; returns (raw text, failure or None)."""
    raw = ""
    pieces = 0
    first_piece = None
    name = getattr(generator, "name", "the generator")
    stream = None
    try:
        stream = generator.stream_chat(messages, settings.llm_max_tokens, grammar)
        for piece in stream:
            if not piece:
                continue
            if first_piece is None:
                first_piece = time.perf_counter()
                timings.setdefault("first_token", first_piece - started)
            if _starts_sentence(raw, piece) and _nothing_more_to_say(raw):
                break  # checked as the next sentence starts: the last one's markers are in
            pieces += 1
            raw += piece
            yield Delta(text=piece)
    except BackendError as exc:
        return raw, f"{name}: {exc}"
    except Exception as exc:  # a generator that breaks its contract still must not crash us
        log.exception("generator %s failed", name)
        return raw, f"{name} failed: {type(exc).__name__}: {exc}"
    finally:
        close = getattr(stream, "close", None)
        if close is not None:  # stopped early: the backend ends its generation now
            close()
    if first_piece is not None and pieces > 1:
        elapsed = time.perf_counter() - first_piece
        timings["generated_tokens"] = float(pieces)
        if elapsed > 0:
            timings["tokens_per_s"] = (pieces - 1) / elapsed
    return raw, None


def _starts_sentence(raw: str, piece: str) -> bool:
    """Whether this piece of the stream begins a new sentence: a word after a sentence's
    end and its markers, with a space between ("... 240 hours. [1]" + " You"), or straight
    after a Chinese full stop. Backends differ in which side of a piece the space is on."""
    before = raw.rstrip()
    if not before or not re.match(r"\w", piece.lstrip()):
        return False
    spaced = len(before) < len(raw) or piece[:1].isspace()
    return (before[-1] in ".!?]" and spaced) or before[-1] in "。！？"


SPARE_SENTENCES = 2  # written beyond the answer's sentences, in case verification drops some


def _nothing_more_to_say(raw: str) -> bool:
    """Whether a draft has said all an answer can use: a sentence that repeats an earlier
    one (a small model that starts looping only loops on), or more sentences than an
    answer keeps, with some to spare for those verification drops. Talk about the
    passages counts too: it is never shown, and a draft that loops on it loops all the
    same. Stopping there saves the generation time of text that would be thrown away,
    whatever the backend."""
    said = sentences_said(raw)
    return len(said) > len(set(said)) or len(said) >= prompts.MAX_SENTENCES + SPARE_SENTENCES


def support_policy(settings: Settings) -> SupportPolicy:
    return SupportPolicy(
        judge_threshold=settings.min_support_judge,
        lexical_threshold=settings.min_support_lexical,
        judge_all=settings.verify_with_generator,
    )


def _support_judge(ready: Prepared, raw: str, settings: Settings, generator):
    """Per-sentence support from the generator's own probabilities, when it gives them
    (asked for every sentence with `verify_with_generator`, else only across languages)."""
    if not getattr(generator, "judge", None):
        return None

    def score(sentence: str, marker: int) -> float | None:
        try:
            return judge(generator, prompts.support_messages(ready.messages, raw, sentence, marker))
        except BackendError as exc:
            log.info("support not judged: %s", exc)
            return None

    return score


def _from_draft(raw: str, ready: Prepared, settings: Settings, generator) -> tuple[Answer | None, str | None]:
    """Verify the draft. Returns (answer, None), or (None, why) to fall back."""
    language = ready.analysis.language
    draft = parse_draft(raw, language)
    name = getattr(generator, "name", "the generator")
    backend = generator.backend
    if draft is None:
        return None, f"{name} returned an empty answer"
    if draft.not_found:
        return refusal(ready.analysis, ready.passages, backend, "the generator found no answer in the passages"), None
    kept, checks = verify_claims(
        draft.claims, ready.index, support_policy(settings), _support_judge(ready, raw, settings, generator)
    )
    if not kept and max((c.support for c in checks), default=0.0) < ON_TOPIC:
        # Nothing the draft says is near the passages, or it only gives the question back:
        # a generator that failed, not an attempt at an answer (which, unsupported, would
        # be a refusal).
        if checks and all(c.reason == ECHO for c in checks):
            return None, f"{name} only repeated the question"
        return None, f"{name} returned text unrelated to the passages"
    kept = [_without_verdict(c, language) for c in kept]  # a claim's own "Yes," must not sway the judgement
    kept = with_best_quote(kept, ready)
    judged = policy.Judged(
        answered=_on_statements(prompts.ANSWERED_TASK, ready, kept, generator) if settings.min_answered > 0 else None,
        verdict_yes=_on_statements(prompts.VERDICT_TASK, ready, kept, generator) if ready.analysis.yes_no else None,
    )
    answer = compose(ready, kept, checks, draft.verdict, backend, judged, settings.min_answered)
    answer.scores.update({k: round(v, 4) for k, v in vars(judged).items() if v is not None})
    return answer, None


def with_best_quote(kept: list[VerifiedClaim], ready: Prepared) -> list[VerifiedClaim]:
    """The verified claims, followed by the sentence of the passages they cite that best
    matches the question, quoted exactly, where the claims do not already say it.

    A small model's summary often drops what the question asked for (a number, a
    condition, the items of a list) though the sentence stating it was in a passage it
    cites. That sentence is exact text of an already cited passage, so it adds the
    evidence without adding anything unchecked or any new source. Only beside at least
    one verified claim: whether to answer at all is the policy's decision."""
    shown = kept[: prompts.MAX_SENTENCES]  # the answer shows no more of them
    cited = {n for c in shown for n in c.markers}
    if not cited:
        return kept
    best = next(iter(extract(ready.analysis, ready.index, within=cited)), None)
    if best is None or ready.index.foreign(best.markers[0]) or any(best.text == c.text for c in kept):
        return kept  # a quote in another language than the answer's is left to the citation
    said = set().union(*(ready.index.tokens(c.text) for c in shown))
    asked = ready.index.tokens(ready.analysis.search_text)
    new_numbers = numbers_in(best.text) - set().union(*(numbers_in(c.text) for c in shown))
    if not new_numbers and not (ready.index.tokens(best.text) & asked) - said:
        return kept  # it restates what the claims say of the question
    return [*kept, best]


def _on_statements(task_line: str, ready: Prepared, kept: Sequence[VerifiedClaim], generator) -> float | None:
    """The generator's P(yes) for a judgement on the verified sentences (None: nothing
    kept, or a backend without token probabilities)."""
    if not kept or not getattr(generator, "judge", None):
        return None
    shown = ready.passages[: ready.shown]
    messages = prompts.statements_messages(
        task_line, ready.analysis, shown, ready.history, ready.texts[: ready.shown], [c.text for c in kept]
    )
    try:
        return judge(generator, messages)
    except BackendError as exc:
        log.info("not judged: %s", exc)
        return None


def compose(
    ready: Prepared,
    kept: list[VerifiedClaim],
    checks: list[SentenceCheck],
    draft_verdict: str | None,
    backend: str,
    judged: policy.Judged | None = None,
    min_answered: float = 0.0,
) -> Answer:
    """The Answer from verified claims: the policy decides what it may say (`judged`: the
    generator's judgements on the verified claims)."""
    analysis, index = ready.analysis, ready.index
    limit = limit_verdict(analysis, (u.text for u in index.units))
    deciding = None
    if limit is not None:
        unit = next(u for u in index.units if u.text == limit.limit.sentence)
        deciding = VerifiedClaim(text=unit.text, markers=[unit.passage], quotes={unit.passage: unit})
    kept = [_without_verdict(c, analysis.language) for c in kept]
    outcome = policy.after(analysis, kept, draft_verdict, limit, deciding, judged, min_answered)
    if outcome.refused:
        return Answer(
            **ready.base(),
            text=locale_for(analysis.language).refusal,
            status="refused",
            backend=backend,
            checks=checks,
            notes=[*outcome.notes, outcome.reason],
        )
    # At most MAX_SENTENCES generated sentences; quoted evidence beside them (a stated
    # limit, the best sentence of a cited passage: no check of their own) always stays.
    written = [c for c in outcome.claims if c.check is not None]
    for claim in written[prompts.MAX_SENTENCES :]:
        claim.check.status, claim.check.reason = "dropped", f"beyond the {prompts.MAX_SENTENCES} sentences asked for"
    shown = {id(c) for c in written[: prompts.MAX_SENTENCES]}
    claims = [c for c in outcome.claims if c.check is None or id(c) in shown]
    return Answer(
        **ready.base(),
        text=render(outcome.verdict, claims, outcome.unsaid, locale_for(analysis.language)),
        status="grounded",
        verdict=outcome.verdict,
        backend=backend,
        citations=citations(claims, index.passages),
        checks=checks,
        notes=outcome.notes,
    )


def _without_verdict(claim: VerifiedClaim, language: str | None) -> VerifiedClaim:
    """A claim that repeats "Yes,"/"No," in front: the verdict is rendered once, first."""
    verdict, rest = leading_verdict(claim.text, language)
    stripped = rest.strip()
    if verdict is None or not stripped:
        return claim
    claim.text = stripped[0].upper() + stripped[1:]
    return claim


_CLOSING_MARKS = '"”’»）)」』'
_FULL_WIDTH_STOPS = "。！？"
_QUOTED_STOP = re.compile(f"[.!?…。！？][{_CLOSING_MARKS}]+$")


def render(
    verdict: str | None, claims: Sequence[VerifiedClaim], unsaid: Sequence[str] = (), wording: Locale | None = None
) -> str:
    """The answer's text: the verdict, each claim with its markers before its full stop,
    then what the documents do not answer, in the answer's language (`wording`)."""
    wording = wording or locale_for(None)
    parts = []
    if verdict in ("yes", "no"):
        parts.append(wording.verdict_text(verdict))
    for claim in claims:
        # A sentence quoted with the list it introduces reads as one line: "use: a; b; c".
        body = re.sub(r"\s*\n\s*", "; ", re.sub(r":\s*\n\s*", ": ", claim.text.strip()))
        match = re.match(r"^(.*?)([.!?…。！？]*)$", body, re.S)
        core, punct = (match.group(1).rstrip(), match.group(2)) if match else (body, "")
        markers = "".join(f"[{n}]" for n in claim.markers)
        # a quote keeps its passage's language; its closing marks say none
        spaced = not written_without_spaces(core.rstrip(_CLOSING_MARKS)[-1:])
        stop = punct or (wording.stop if not spaced else ".")
        if _QUOTED_STOP.search(core):
            stop = ""  # '... said the report." [2]': the quoted sentence's stop ends it
        parts.append(f"{core}{' ' if spaced else ''}{markers}{stop}" if markers else f"{core}{stop}")
    for part in unsaid:
        parts.append(wording.unanswered.format(part=part.rstrip("?？").strip()))
    text = parts[0] if parts else ""
    for before, part in zip(parts, parts[1:]):
        # Sentences of a language written without spaces follow each other without one, and
        # nothing follows its full-width stop with a space ("否。Klar ...", "いいえ。15歳 ...").
        unspaced = before[-1:] in _FULL_WIDTH_STOPS or (
            written_without_spaces(before[-1:]) and written_without_spaces(part[:1])
        )
        text += ("" if unspaced else " ") + part
    return text


def citations(claims: Sequence[VerifiedClaim], passages: Sequence[Passage]) -> list[Citation]:
    quotes: dict[int, dict[tuple[int, int], Unit]] = {}
    for claim in claims:
        for n in claim.markers:
            unit = claim.quotes.get(n)
            bucket = quotes.setdefault(n, {})
            if unit is not None:
                bucket[(unit.start, unit.end)] = unit
    return [
        Citation(marker=n, passage=passages[n - 1], quotes=[locate(u) for _, u in sorted(quotes[n].items())])
        for n in sorted(quotes)
    ]


def _extractive(ready: Prepared, generator=None) -> Answer:
    """The answer quoted from the passages. With a working generator whose draft was
    unusable, a yes/no question's verdict is still judged from the quoted sentences, as
    from a draft's verified ones: the quotes are the evidence, and the verdict the
    evidence decides is given (policy.after)."""
    claims = extract(ready.analysis, ready.index)
    checks = [
        SentenceCheck(text=c.text, cited=c.markers, status="supported", support=1.0, reason="quoted from the passage")
        for c in claims
    ]
    for claim, check in zip(claims, checks):
        claim.check = check
    judged = None
    if generator is not None and ready.analysis.yes_no:
        judged = policy.Judged(verdict_yes=_on_statements(prompts.VERDICT_TASK, ready, claims, generator))
    answer = compose(ready, claims, checks, None, "extractive", judged)
    if judged is not None and judged.verdict_yes is not None:
        answer.scores["verdict_yes"] = round(judged.verdict_yes, 4)
    return answer
