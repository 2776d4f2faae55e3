"""Verification: every answer sentence must be supported by the passages it cites.

Two layers, both general to any policy text:
- Hard checks, for what a small model invents most: every number, month and name in a
  sentence must appear in the passages it cites (or in the question, which is the user's
  premise, or in the cited document's title, section or publisher); a sentence that
  restates a passage's sentence with its negation toggled is dropped. Markers must name
  passages that exist; quotes are exact sentences of the cited passages.
- A support score for the sentence against each cited passage. With a generator that
  gives token probabilities, the model itself is asked "Does passage [n] state what this
  sentence says?" and its probability of "yes" is the score (the question follows the
  answer prompt, so its passages are not evaluated again). Without one, the score is
  lexical coverage (the share of the sentence's content words in the passage, stemmed
  as BM25 sees them) averaged with the best embedding similarity to the passage's
  sentences. Each has its own threshold in settings, calibrated on the dev parts of all
  benchmark corpora together (`policyqa bench answers`).

A sentence that fails on its own citations is re-attributed to the passage that best
supports it, or dropped. A citation that adds nothing (no word, number or name of the
sentence the others lack) is removed.

Answer sentences are in the asker's language, passages in their own; a sentence a small
model copied from a passage in another language (or wrote in English into a German
answer) is in that language, so each sentence is read in the language it is written in,
detected among the answer's and the passages'. Words are compared only within one
language (each text tokenised its language's way): across languages the
number and name checks still hold (digits and names are written alike), the word checks
(a restated negation, a number bound to the claim's words, question words the passages
never use) do not apply, and the support score is the generator's judgement where one is
loaded (lexical coverage cannot see a translation), else the embedding similarity alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

import numpy as np

from assistant.analysis import QueryAnalysis
from assistant.locales import locale_for
from assistant.types import Passage, Quote, SentenceCheck
from assistant.values import months_in, names_in, number_stated, numbers_in
from index.chunking import split_sentences
from index.language import detect_among, word_count
from index.lexical import DEFAULT_LANGUAGE, tokenize


class TextEmbedder(Protocol):
    """What verification needs of an embedding model (index/embedding.py's Embedder)."""

    def embed_many(self, texts: Sequence[str]) -> np.ndarray: ...

    def calibrate(self, cosines): ...


Judge = Callable[[str, int], "float | None"]  # (sentence, passage marker) -> P(the passage states it)

_META = frozenset(
    tokenize(
        "passage passages article articles text source sources context document documents state states "
        "stated mention mentions mentioned say says said according provide provides provided information "
        "indicate indicates indicated note noted yes no answer question"
    )
)
# The draft telling how its sentence relates to the question ("This directly answers the
# question by stating that ...", "..., which answers the question"): no claim about the
# documents, whatever the documents are about; what it frames is kept.
_ANSWERS_THE_QUESTION = r"(?:\w+\s+)?(?:answers?|address(?:es)?)\s+(?:the|your|this)\s+question"
_META_PREFIX = re.compile(
    r"^\s*(?:(?:according to|as (?:stated|mentioned|noted) in|based on|per)\s+(?:the\s+)?"
    r"(?:passages?|articles?|sources?|context|texts?|documents?)(?:\s*\[?\d+\]?(?:\s*(?:,|and)\s*\[?\d+\]?)*)?"
    r"(?:\s*\([^()]{0,300}\))?\s*,?\s*"
    r"|(?:the\s+)?(?:passages?|articles?|sources?|context|texts?|documents?)(?:\s*\[?\d+\]?(?:\s*(?:,|and)\s*\[?\d+\]?)*)?\s+"
    r"(?:also\s+|only\s+|clearly\s+)?(?:states?|says?|mentions?|notes?|indicates?|shows?|explains?|confirms?|"
    r"specif(?:y|ies)|provides?)\s+(?:that\s+)?"
    rf"|(?:this|that|it)\s+{_ANSWERS_THE_QUESTION}\s+by\s+(?:stating|saying|noting|explaining)\s+(?:that\s+)?"
    # the same framing in German ("Laut Passage [1], ...", "Die Passage besagt, dass ...")
    r"|(?:laut|gemäß|nach|wie\s+in)\s+(?:der\s+|den\s+|dem\s+)?(?:passagen?|abschnitte?n?|texte?n?|quellen?)"
    r"(?:\s*\[?\d+\]?(?:\s*(?:,|und)\s*\[?\d+\]?)*)?(?:\s+(?:angegeben|beschrieben|erwähnt))?\s*,?\s*"
    r"|(?:die\s+)?(?:passagen?|abschnitte?|texte?|quellen?)(?:\s*\[?\d+\]?(?:\s*(?:,|und)\s*\[?\d+\]?)*)?\s+"
    r"(?:besagt|besagen|sagt|sagen|erwähnt|erwähnen|zeigt|zeigen|beschreibt|beschreiben)\s*,?\s*(?:dass\s+)?"
    # and in Chinese ("根据第1和第2个 passages，", "根据段落[1]，")
    r"|(?:根据|依据|按照)\s*(?:第?\s*\[?\d+\]?\s*(?:(?:和|与|、|,|，)\s*第?\s*\[?\d+\]?\s*)*(?:个|条|段)?\s*)?"
    r"(?:passages?|段落|段|条|文段|资料|文本)?\s*(?:中|所述|所示|的内容)?\s*[，,：:]\s*)",
    re.I,
)
_QUESTION_SUFFIX = re.compile(rf",?\s+(?:which|and\s+this|this)\s+{_ANSWERS_THE_QUESTION}\b[^.;]*(?=[.;]?\s*$)", re.I)
_MARKER = re.compile(r"\s*\[(\d{1,3})\]")
_CLAUSE_BREAK = re.compile(r"[,;:]\s+|[，；：]")
NEAR_COPY = 0.8  # content words shared with one sentence (of the larger of the two) that make a restatement
# Below this MiniLM cosine to every passage word it is the closest question word of, a
# question word is not mentioned in other words either (single words: a coarse but cheap
# test; "fee" against passages about licences scores under it, "maximum" against "limited" over).
MIN_WORD_SIMILARITY = 0.40
MIN_CLAIM_TERMS = 2  # fewer content words ("Therefore, the answer is no.") state nothing to check
ECHO = "only repeats the question"  # the reason of a drop by `EvidenceIndex.echoes`
BINDING = 0.34  # share of a claim's words a sentence stating its number (or a neighbour) must hold
_POSSESSIVE = re.compile(r"[’']s$")


def content_tokens(text: str, language: str | None = None) -> set[str]:
    return {t for t in tokenize(text, language) if t not in _META}


def clean_claim(text: str) -> tuple[str, list[int]]:
    """Strip "Passage 2 states that" framing, talk of the question ("..., which answers the
    question") and inline [n] markers (returned)."""
    markers = [int(m) for m in _MARKER.findall(text)]
    text = _MARKER.sub("", text)
    text = re.sub(r"\s+", " ", text).strip()
    for _ in range(2):
        stripped = _META_PREFIX.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    text = _QUESTION_SUFFIX.sub("", text, count=1)
    text = text.strip(" ,;:-")
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    return text, markers


LIST_WORDS = 80  # a sentence introducing a list ("... you can use:") takes its items up to this size


def sentence_units(text: str) -> list[tuple[int, int]]:
    """The sentences of a passage, as (start, end); a sentence ending in a colon keeps the
    lines after it that it introduces (the items of its list), so that quoting it quotes
    what it says."""
    spans = split_sentences(text)
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(spans):
        start, end = spans[i].start, spans[i].end
        if text[end - 1] == ":":
            j, words = i + 1, word_count(text[start:end])
            # items: whole lines of their own, right after it
            while (
                j < len(spans)
                and text[spans[j - 1].end : spans[j].start].count("\n") == 1
                and words + word_count(text[spans[j].start : spans[j].end]) <= LIST_WORDS
                and (spans[j].end == len(text) or text[spans[j].end] == "\n")
            ):
                words += word_count(text[spans[j].start : spans[j].end])
                end = spans[j].end
                j += 1
            i = j if j > i + 1 else i + 1
        else:
            i += 1
        out.append((start, end))
    return out


@dataclass(frozen=True)
class Unit:
    """One sentence of one passage, located in its document."""

    passage: int  # 1-based marker
    text: str
    start: int  # document offsets
    end: int


@dataclass
class Claim:
    """A generated sentence and the passage numbers it cites."""

    text: str
    cited: list[int]


@dataclass
class VerifiedClaim:
    text: str
    markers: list[int]
    quotes: dict[int, Unit]
    # The generated sentence's check, so that composing the answer can record a later drop
    # on it (one check per generated sentence); None for quoted evidence sentences.
    check: SentenceCheck | None = field(default=None, repr=False, compare=False)


class EvidenceIndex:
    """The passages split into located sentences, with their tokens, numbers and names
    and (lazily) embeddings: built once per answer, shared by verification and extraction."""

    def __init__(
        self, passages: Sequence[Passage], analysis: QueryAnalysis | None = None, embedder: TextEmbedder | None = None
    ):
        self.passages = list(passages)
        self.analysis = analysis
        self.embedder = embedder
        self.language = analysis.language if analysis else DEFAULT_LANGUAGE  # the answer's
        self.passage_languages = [p.language or DEFAULT_LANGUAGE for p in self.passages]
        self.units: list[Unit] = []
        for n, p in enumerate(self.passages, 1):
            for start, end in sentence_units(p.text):
                self.units.append(Unit(n, p.text[start:end], p.start + start, p.start + end))
        self.unit_tokens = [content_tokens(u.text, self.language_of(u)) for u in self.units]
        # What a passage's words are, for the hard checks: its text, and what says what it
        # is (its document's title, section and publisher).
        self.passage_text = [" ".join([p.text, p.title, p.section, p.publisher]) for p in self.passages]
        self.passage_tokens = [content_tokens(t, lang) for t, lang in zip(self.passage_text, self.passage_languages)]
        self.passage_numbers = [numbers_in(p.text, lang) for p, lang in zip(self.passages, self.passage_languages)]
        self.passage_months = [months_in(t) for t in self.passage_text]
        self.passage_lower = [t.casefold() for t in self.passage_text]
        self.question_numbers = analysis.stated_numbers if analysis else frozenset()
        self.question_months = analysis.stated_months if analysis else frozenset()
        self.question_lower = analysis.search_text.casefold() if analysis else ""
        self._unit_vectors: np.ndarray | None = None
        self._unmentioned: set[str] | None = None
        self._tokens: dict[tuple[str, str], set[str]] = {}
        self._languages: dict[str, str] = {}

    def _tokenised(self, text: str, language: str) -> set[str]:
        """Content words of a text in a language, computed once per answer: every check
        of a claim reads them."""
        key = (text, language)
        if key not in self._tokens:
            self._tokens[key] = content_tokens(text, language)
        return self._tokens[key]

    def language_in(self, text: str) -> str:
        """The language an answer sentence is written in: the answer's, unless it is
        detected, among the answer's and its passages' languages, to be another. Where every
        passage is in the answer's language nothing is detected."""
        if text not in self._languages:
            others = set(self.passage_languages) - {self.language}
            found = detect_among(text, (self.language, *others)) if others else None
            self._languages[text] = found or self.language
        return self._languages[text]

    def tokens(self, text: str) -> set[str]:
        """The content words of an answer sentence, in the language it is written in."""
        return self._tokenised(text, self.language_in(text))

    def tokens_as(self, text: str, n: int) -> set[str]:
        """The content words of a text tokenised as passage n's language is."""
        return self._tokenised(text, self.passage_languages[n - 1])

    @cached_property
    def question_tokens(self) -> set[str]:
        """The content words of the question as asked and made standalone (not of its
        conversation context, which an answer may rightly repeat)."""
        if self.analysis is None:
            return set()
        asked = (self.analysis.asked, self.analysis.standalone)
        return set().union(*(self._tokenised(text, self.language) for text in asked))

    def echoes(self, claim: str) -> bool:
        """Whether a claim only gives the question back: it is itself a question, or, for
        a question that is not yes/no, it uses no content word the question does not
        ("The policy recommends a tool, such as [1]." to "Which tool does the policy
        recommend?"). Such a sentence holds in any language and any collection: it adds
        nothing a passage could support, though its words are all in the passages. A
        yes/no question is answered by restating it ("You may transfer the licence."), so
        there only a question sentence counts."""
        if claim.rstrip().endswith(("?", "？")):
            return True
        if self.analysis is None or self.analysis.yes_no:
            return False
        tokens = self.tokens(claim)
        return bool(tokens) and tokens <= self.question_tokens

    def language_of(self, unit: Unit) -> str:
        """The language a sentence is written in: its passage's."""
        return self.passage_languages[unit.passage - 1]

    def foreign(self, n: int, claim: str | None = None) -> bool:
        """Whether passage n is in another language than the claim (or the answer)."""
        return self.passage_languages[n - 1] != (self.language_in(claim) if claim else self.language)

    @cached_property
    def unit_numbers(self) -> list[set[str]]:
        """Each sentence's numbers, as its passage's language writes them."""
        return [numbers_in(u.text, self.language_of(u)) for u in self.units]

    @cached_property
    def unit_clauses(self) -> list[list[tuple[set[str], int]]]:
        """Each sentence's clauses as (content words, negations), for `flipped`; computed
        once, on the first claim checked."""
        out = []
        for u in self.units:
            language = self.language_of(u)
            negation = locale_for(language).negation
            out.append([(content_tokens(c, language), len(negation.findall(c))) for c in _CLAUSE_BREAK.split(u.text)])
        return out

    @property
    def unit_vectors(self) -> np.ndarray | None:
        if self._unit_vectors is None and self.embedder is not None and self.units:
            self._unit_vectors = np.asarray(self.embedder.embed_many([u.text for u in self.units]), dtype=np.float32)
        return self._unit_vectors

    def similarities(self, text: str) -> np.ndarray:
        """Calibrated cosine of a text to every unit (zeros without an embedder)."""
        vectors = self.unit_vectors
        if vectors is None:
            return np.zeros(len(self.units), dtype=np.float32)
        return np.asarray(self.embedder.calibrate(vectors @ self.embedder.embed_many([text])[0]), dtype=np.float32)

    @property
    def unmentioned(self) -> set[str]:
        """The terms of the question's main clause that the passages never use, not even in
        other words: a claim that repeats one answers from the question, not from the
        documents ("the minimum *registered capital*" of passages that name no capital).
        Context sentences and names are the asker's premises, not what is asked. A passage word counts as
        another wording of the question word it is closest to when their embeddings are
        close, so "vacation" may be said as "leave". English questions only: the rescue by
        other wordings needs word embeddings of the language, and the packaged model's are
        English (nor can a word be looked for in passages of another language). Computed
        once, lazily."""
        if self._unmentioned is None:
            same = [t for t, lang in zip(self.passage_tokens, self.passage_languages) if lang == self.language]
            if self.language != DEFAULT_LANGUAGE or not same:
                self._unmentioned = set()
                return self._unmentioned
            seen = set().union(*same)
            words = {}
            for word in self.analysis.clause_words if self.analysis else ():  # names are checked as names
                stems = content_tokens(word)
                if len(stems) == 1 and (stem := next(iter(stems))) not in seen:
                    words.setdefault(word, stem)
            self._unmentioned = set(words.values())
            vocabulary = sorted({w for t in self.passage_text for w in re.findall(r"[^\W\d_][\w’'-]+", t.lower())})
            if words and self.embedder is not None and vocabulary:
                asked = sorted(words)
                sims = np.asarray(
                    self.embedder.calibrate(self.embedder.embed_many(asked) @ self.embedder.embed_many(vocabulary).T)
                )
                owner = sims.argmax(axis=0)
                for row, word in enumerate(asked):
                    own = sims[row][owner == row]
                    if len(own) and own.max() >= MIN_WORD_SIMILARITY:
                        self._unmentioned.discard(words[word])
        return self._unmentioned

    # -- hard checks ----------------------------------------------------------------
    def unstated(self, claim: str, passages: Sequence[int]) -> list[str]:
        """The numbers, months and names of a claim that none of the passages (nor the
        question) states."""
        numbers = set().union(*(self.passage_numbers[n - 1] for n in passages)) if passages else set()
        months = set().union(*(self.passage_months[n - 1] for n in passages)) if passages else set()
        missing = [
            x
            for x in sorted(numbers_in(claim, self.language_in(claim)))
            if not number_stated(x, numbers) and not number_stated(x, self.question_numbers)
        ]
        missing += [m for m in sorted(months_in(claim)) if m not in months and m not in self.question_months]
        for name in sorted(names_in(claim, locale_for(self.language_in(claim)).capitals_are_names)):
            bare = _POSSESSIVE.sub("", name).casefold()
            if bare in self.question_lower or any(bare in self.passage_lower[n - 1] for n in passages):
                continue
            missing.append(name)
        return missing

    # -- support --------------------------------------------------------------------
    def lexical_support(self, claim: str, n: int, sims: np.ndarray) -> float:
        """Coverage of the claim's content words by passage n, averaged with the claim's
        best embedding similarity to one of its sentences."""
        tokens = self.tokens(claim)
        lexical = len(tokens & self.passage_tokens[n - 1]) / len(tokens) if tokens else 0.0
        best = max((float(sims[i]) for i, u in enumerate(self.units) if u.passage == n), default=0.0)
        if self.unit_vectors is None:
            return lexical
        if self.foreign(n, claim):  # no words in common across languages: the embedding alone
            return max(best, 0.0)
        return 0.5 * lexical + 0.5 * max(best, 0.0)

    def quote_for(self, claim: str, n: int, sims: np.ndarray) -> Unit | None:
        """The sentence of passage n that best supports the claim."""
        tokens = self.tokens(claim)
        best, best_score = None, -1.0
        for i, u in enumerate(self.units):
            if u.passage != n:
                continue
            lexical = len(tokens & self.unit_tokens[i]) / len(tokens) if tokens else 0.0
            score = lexical + float(sims[i])
            if score > best_score:
                best, best_score = u, score
        return best

    def problems(self, claim: str, passages: Sequence[int]) -> list[str]:
        """What the hard checks find wrong with a claim against some passages."""
        missing = self.unstated(claim, passages)
        return missing or [f"{n} (stated of something else)" for n in self.unbound(claim, passages)]

    def unbound(self, claim: str, passages: Sequence[int]) -> list[str]:
        """The claim's numbers that its passages state only about something else: no
        sentence holding the number (with the sentences beside it) holds at least
        BINDING of the claim's other content words ("5% is withheld for FERS" from a
        passage whose 5% is an employer match, sentences away from FERS). A sentence in
        another language than the claim binds its number (its words cannot be compared)."""
        words = {t for t in self.tokens(claim) if not t[:1].isdigit()}
        if not words:
            return []
        out = []
        for number in numbers_in(claim, self.language_in(claim)):
            if number_stated(number, self.question_numbers):
                continue
            best = 0.0
            for i, unit in enumerate(self.units):
                if unit.passage in passages and number_stated(number, self.unit_numbers[i]):
                    if self.foreign(unit.passage, claim):
                        best = 1.0
                        break
                    near = set().union(
                        *(
                            self.unit_tokens[j]
                            for j in range(max(0, i - 1), min(len(self.units), i + 2))
                            if self.units[j].passage == unit.passage
                        )
                    )
                    best = max(best, len(words & near) / len(words))
            if best < BINDING:
                out.append(number)
        return out

    def flipped(self, claim: str, passages: Sequence[int]) -> Unit | None:
        """A sentence of the passages that the claim restates with its negation toggled
        ("There is a maximum ..." of "There is no maximum ..., and ..."): lexical support
        cannot see a "not", so a near-copy of opposite polarity is caught here. The claim is
        compared with every run of the sentence's clauses, since a claim often restates one
        clause of a longer sentence; the run it restates most closely decides, so a claim
        that copies a sentence's first clauses is not judged by the negation of a later one."""
        tokens = self.tokens(claim)
        if not tokens:
            return None
        polarity = len(locale_for(self.language_in(claim)).negation.findall(claim)) % 2
        for unit, clauses in zip(self.units, self.unit_clauses):
            if unit.passage not in passages or self.foreign(unit.passage, claim):
                continue
            best, flips = 0.0, False
            for i in range(len(clauses)):
                words, negations = set(), 0
                for clause_words, clause_negations in clauses[i:]:
                    words |= clause_words
                    negations += clause_negations
                    shared = len(tokens & words) / max(len(tokens), len(words), 1)
                    opposite = negations % 2 != polarity
                    if shared > best or (shared == best and not opposite):
                        best, flips = shared, opposite
            if best >= NEAR_COPY and flips:
                return unit
        return None

    def contributes(self, claim: str, n: int, others: Sequence[int]) -> bool:
        """Whether passage n holds a word, number or name of the claim the others lack."""
        tokens = self.tokens(claim)
        rest = set().union(*(self.passage_tokens[m - 1] for m in others if m != n)) if others else set()
        return bool((tokens & self.passage_tokens[n - 1]) - rest)


@dataclass
class SupportPolicy:
    """Thresholds of the support score (settings: min_support_judge, min_support_lexical),
    and whether the generator judges every sentence (settings: verify_with_generator) or
    only those citing a passage in another language than their own."""

    judge_threshold: float
    lexical_threshold: float
    judge_all: bool = False


def verify_claims(
    claims: Sequence[Claim], index: EvidenceIndex, policy: SupportPolicy, judge: Judge | None = None
) -> tuple[list[VerifiedClaim], list[SentenceCheck]]:
    """Check each claim; return the ones kept (with repaired markers) and what was done."""
    kept: list[VerifiedClaim] = []
    checks: list[SentenceCheck] = []
    seen: set[str] = set()
    count = len(index.passages)
    for claim in claims:
        text, inline = clean_claim(claim.text)
        cited = list(dict.fromkeys([*claim.cited, *inline]))
        if not text:
            checks.append(SentenceCheck(text=claim.text, cited=cited, status="dropped", reason="empty sentence"))
            continue
        if text.lower() in seen:
            checks.append(SentenceCheck(text=text, cited=cited, status="dropped", reason="repeats an earlier sentence"))
            continue
        seen.add(text.lower())
        sims = index.similarities(text)
        valid = [n for n in cited if 1 <= n <= count]
        notes = (
            [f"cited passage(s) {[n for n in cited if n not in valid]} that do not exist"]
            if len(valid) < len(cited)
            else []
        )
        scores: dict[int, float] = {}

        def drop(reason: str, support: float = 0.0) -> None:
            checks.append(SentenceCheck(text=text, cited=cited, status="dropped", support=support, reason=reason))

        judged: set[int] = set()

        def score(n: int) -> float:
            if n not in scores:
                asked = judge is not None and (policy.judge_all or index.foreign(n, text))
                value = judge(text, n) if asked else None
                if value is not None:
                    judged.add(n)
                scores[n] = value if value is not None else index.lexical_support(text, n, sims)
            return scores[n]

        def passes(n: int) -> bool:
            value = score(n)
            return value >= (policy.judge_threshold if n in judged else policy.lexical_threshold)

        def related() -> float:
            """How near the claim is to its cited passages, for a claim dropped on a hard
            check: an attempt at an answer, not text unrelated to the passages."""
            return round(max((index.lexical_support(text, n, sims) for n in valid), default=0.0), 3)

        if len(index.tokens(text)) < MIN_CLAIM_TERMS:
            drop("says nothing a passage could state")
            continue
        if index.echoes(text):
            drop(ECHO)
            continue
        borrowed = index.tokens(text) & index.unmentioned
        if borrowed:
            drop(f"answers about {', '.join(sorted(borrowed))}, which no passage mentions", related())
            continue
        flipped = index.flipped(text, range(1, count + 1))
        if flipped is not None:
            drop(f'says the opposite of [{flipped.passage}]: "{flipped.text[:120]}"', related())
            continue
        missing = index.problems(text, valid)
        good = [n for n in valid if not index.problems(text, [n]) and passes(n)] if not missing else []
        if not good and valid and not missing and any(passes(n) for n in valid):
            good = valid  # the passages together state it (a rule here, what it applies to there)
        status = "supported"
        if good:
            markers = [n for n in good if len(good) == 1 or index.contributes(text, n, good)] or good[:1]
            if set(markers) != set(valid):
                status = "reattributed"
                notes.append(f"kept citation(s) {markers} of {valid}")
        else:
            if missing:
                notes.append(f"{', '.join(missing)} not in the cited passage(s)")
            elif valid:
                notes.append(f"the cited passage(s) {valid} do not state it")
            others = sorted(
                (n for n in range(1, count + 1) if n not in valid and not index.problems(text, [n])),
                key=lambda n: -index.lexical_support(text, n, sims),
            )[:1]
            markers = [n for n in others if passes(n)]
            if not markers and valid:
                # The cited passages and one more together state it (a fact from each).
                extra = next(
                    (n for n in range(1, count + 1) if n not in valid and not index.problems(text, [*valid, n])), None
                )
                if extra is not None and any(passes(n) for n in [*valid, extra]):
                    markers = [n for n in [*valid, extra] if index.contributes(text, n, [*valid, extra])] or [extra]
            if not markers:
                drop("; ".join([*notes, "no passage states it"]), round(max([*scores.values(), related()]), 3))
                continue
            status = "reattributed"
            notes.append(f"re-attributed to {markers}")
        quotes = {n: q for n in markers if (q := index.quote_for(text, n, sims)) is not None}
        check = SentenceCheck(
            text=text,
            cited=cited,
            status=status,
            support=round(max(score(n) for n in markers), 3),
            reason="; ".join(notes),
        )
        checks.append(check)
        kept.append(VerifiedClaim(text=text, markers=sorted(markers), quotes=quotes, check=check))
    return kept, checks


def locate(unit: Unit) -> Quote:
    return Quote(text=unit.text, start=unit.start, end=unit.end)
