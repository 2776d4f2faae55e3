"""Citation verification: every answer sentence must be supported by what it cites.

No NLI model or cross-encoder is available offline (see ../shared/GUIDE.md), so support
is measured with what is: lexical coverage of the sentence's content words by the cited
passages (stemmed, as BM25 sees them), MiniLM cosine similarity to the cited passages'
sentences, and verbatim quoting. Two hard rules come first, because they catch what a
small model invents most: every number and every name in a sentence must appear in the
passages it cites (or in the question, which is the user's premise, not a claim), and a
name the answer brings must stand there with what the sentence says of it (`unbound`:
"HSBC is based in Hainan" from a passage that has both words, sentences apart). A closing
"according to X" stays only where a passage gives X as the source of the claim's numbers.

A sentence that fails on its own citations is re-attributed to the smallest set of
passages that does support it, or dropped. Each kept citation must contribute
something to its sentence (citation precision), and a passage that holds a name or
number of the sentence is added (citation recall). Markers always point at passages
that exist. The verdict of a yes/no answer is checked against numeric limits stated in
the evidence ("capped at 50%" cannot be a yes to owning 100%).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np

from assistant.types import Passage, Quote, SentenceCheck
from index.chunking import split_sentences
from index.lexical import tokenize

Embed = Callable[[list[str]], np.ndarray]

# Thresholds, calibrated on the hand-written good and bad answers in
# tests/assistant/test_verification.py and on the local model's real answers.
MIN_LEXICAL = 0.6  # share of a sentence's content words found in its cited passages
MIN_SIMILARITY = 0.7  # MiniLM cosine to the best cited passage sentence
MIN_LEXICAL_WITH_SIMILARITY = 0.5  # ...or both moderately high
MIN_SIMILARITY_WITH_LEXICAL = 0.6
# Of two or more passages a sentence cites, each must back at least this share of what the
# best one backs of the sentence's news (its words that are not the question's).
NEWS_SHARE = 0.75
QUOTE_WORDS = 8  # this many consecutive words copied from a passage count as a quote
# Below this MiniLM cosine to its own passage words, a question word is unmentioned. On the
# gold set: "fee" 0.38 (unanswerable); answerable questions' absent words 0.41-0.68
# ("maximum"→"limited" 0.59), but for "cover" 0.38 and "ICP" 0.30 (a name: checked as one).
MIN_WORD_SIMILARITY = 0.40
# A name the answer brings ("Zhang Chunfei") must stand in the passage among what the
# sentence says of it: the sentences around it must hold this share of the rest of the
# claim, relative to the best-matching sentences anywhere in the evidence. On the local
# model's gold-set answers: the wrong person 0.56, every right name 0.83 or more.
MIN_BINDING = 0.7

# Words that say where a claim comes from rather than what it claims.
_META = set(tokenize(
    "passage passages article articles text source sources context document documents state states "
    "stated mention mentions mentioned say says said according provide provides provided information "
    "indicate indicates indicated note noted yes no answer question"
))
_META_PREFIX = re.compile(
    r"^\s*(?:(?:according to|as (?:stated|mentioned|noted) in|based on|per)\s+(?:the\s+)?"
    r"(?:passages?|articles?|sources?|context|texts?)(?:\s*\[?\d+\]?(?:\s*(?:,|and)\s*\[?\d+\]?)*)?"
    r"(?:\s*\([^()]{0,300}\))?\s*,?\s*"
    r"|(?:the\s+)?(?:passages?|articles?|sources?|context|texts?)(?:\s*\[?\d+\]?(?:\s*(?:,|and)\s*\[?\d+\]?)*)?\s+"
    r"(?:also\s+)?(?:states?|says?|mentions?|notes?|indicates?|shows?|explains?|confirms?)\s+(?:that\s+)?)",
    re.I,
)
_MARKER = re.compile(r"\s*\[(\d{1,3})\]")
# "..., according to the MIIT." at the end of a claim: who said it (see `misattributed`).
_ATTRIBUTION = re.compile(r",?\s+according to (?:the\s+)?((?:[A-Z][\w’'&-]*\s*)+?)\s*(?P<end>[.!]?)$")
_CLAUSE = re.compile(r",\s+(?:and|but|while|whereas)\s+|;\s+")
_CLAUSE_END = re.compile(r"(?:,\s+(?:and|but|while|whereas)|;)\s*$")
# "Chengdu is (not) one of the cities where these measures apply": a name said (not) to be
# among the things of a list (see `membership`).
_MEMBER = re.compile(
    r"(?P<name>(?:[A-Z][\w’'-]*\s+)+)(?:is|are|was|were)\s*(?P<not>(?:not|n[’']t)\s+)?"
    r"(?:one\s+of|among|included\s+(?:in|among)|listed\s+(?:in|among)|part\s+of|covered\s+by|on\s+the\s+list)\s+"
    r"(?P<what>[^,;.]+)")
# "The pilot areas are Beijing, Tianjin, ... and Suzhou": a list said to be the things named
# before it (see `membership`).
_NAME_RUN = r"[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*"
_NEXT_NAME = r"(?:\s*,\s*(?:and\s+)?" + _NAME_RUN + r"|\s+and\s+" + _NAME_RUN + r")"
_NAME_LIST = re.compile(_NAME_RUN + _NEXT_NAME + "+")
_LISTING = re.compile(
    r"(?:^|(?<=\s))(?!(?:and|but|while|whereas)\b)(?:[Tt]he\s+)?(?P<what>(?:[\w’'-]+\s+){0,3}?[\w’'-]+)"
    r"\s+(?:are|were|include|includes|included)\s*:?\s+(?P<names>" + _NAME_RUN + _NEXT_NAME + r"{2,})"
    r"(?=[\s\[\]\d,.]*$)")  # (closing the sentence: markers and a full stop may follow)
_NUMBER = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?:\s*(%|percent\b|per cent\b|pct\b))?", re.I
)
_NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100,
}
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.I)
_FULL_OWNERSHIP = re.compile(
    r"\b(?:fully|wholly|completely|entirely|outright|100\s*(?:%|percent))\b|\bwhole(?:ly)?[- ]owned\b|\ball of\b", re.I
)
_NAME = re.compile(r"\b[A-Z][\w’'&-]*[A-Za-z0-9]\b|\b[A-Z]{2,}\b")
_COMMON_CAPITALISED = set("""
a an the this that these those it its they their them there here he she his her we our you your i my
yes no not none both either neither each every all any some many most several other another such
and but or so yet also then thus hence therefore however moreover furthermore additionally overall
finally first firstly second secondly third last lastly meanwhile instead still specifically notably
namely indeed currently previously recently today now only even just while when where which what who
whom whose how why if because since although though unless until after before during under over
in on at by for of to as with from into about above below between among through per via
according based given following regarding including excluding like unlike
is are was were be been can could may might must shall should will would do does did has have had
foreign investors investor passage passages article articles china's
""".split())
# Dates, not entities: "the April 2025 measures" binds to no sentence of its own.
_CALENDAR = set(tokenize(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday"
))


def clean_claim(text: str) -> tuple[str, list[int]]:
    """Strip "Passage 2 states that" framing and inline [n] markers (returned)."""
    markers = [int(m) for m in _MARKER.findall(text)]
    text = _MARKER.sub("", text)
    text = re.sub(r"\s+", " ", text).strip()
    for _ in range(2):
        stripped = _META_PREFIX.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    text = text.strip(" ,;:-")
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    return text, markers


def numbers_in(text: str) -> set[str]:
    """Canonical numbers: "2,400" -> "2400", "50 percent" -> "50%", "thirteen" -> "13"."""
    out = set()
    for whole, frac, unit in _NUMBER.findall(text):
        value = whole.replace(",", "") + (f".{frac}" if frac else "")
        out.add(value + ("%" if unit else ""))
    for word in _NUMBER_WORD.findall(text):
        out.add(str(_NUMBER_WORDS[word.lower()]))
    return out


def _bare(numbers: Iterable[str]) -> set[str]:
    return {n.rstrip("%") for n in numbers}


def _has_number(number: str, numbers: set[str]) -> bool:
    """"50%" is held by "50%" or by a bare "50" ("capped at 50 percent" reads as both)."""
    return number in numbers or number.rstrip("%") in _bare(numbers)


def names_in(text: str) -> set[str]:
    """Capitalised words and acronyms that are not ordinary sentence words."""
    return {m for m in _NAME.findall(text) if m.lower() not in _COMMON_CAPITALISED}


def content_tokens(text: str) -> set[str]:
    return {t for t in tokenize(text) if t not in _META}


def _name_tokens(name: str) -> set[str]:
    """A name's tokens without its possessive ("Council's" is "council", not also "s")."""
    return content_tokens(re.sub(r"[’']s$", "", name))


def question_numbers(question: str) -> set[str]:
    """Numbers the question brings in, including "fully owned" meaning 100%."""
    nums = numbers_in(question)
    if _FULL_OWNERSHIP.search(question):
        nums |= {"100%", "100"}
    return nums


@dataclass(frozen=True)
class Unit:
    """One sentence of one passage, located in its document."""

    passage: int  # 1-based marker
    text: str
    start: int  # document offsets
    end: int


@dataclass
class Support:
    """How well a set of passages supports one claim."""

    passages: tuple[int, ...]
    lexical: float
    similarity: float
    quoted: bool
    missing: list[str] = field(default_factory=list)  # numbers/names found in none of them

    @property
    def score(self) -> float:
        return max(self.lexical, self.similarity, 1.0 if self.quoted else 0.0)

    @property
    def ok(self) -> bool:
        if self.missing or not self.passages:
            return False
        return (
            self.quoted
            or self.lexical >= MIN_LEXICAL
            or self.similarity >= MIN_SIMILARITY
            or (self.lexical >= MIN_LEXICAL_WITH_SIMILARITY and self.similarity >= MIN_SIMILARITY_WITH_LEXICAL)
        )


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9%]+", text.lower())


def _shingles(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


class EvidenceIndex:
    """The passages split into located sentences, with their tokens, numbers, names and
    (lazily) embeddings: built once per answer, shared by verification and extraction."""

    def __init__(self, passages: Sequence[Passage], question: str = "", embed: Embed | None = None,
                 premise_numbers: bool = True):
        self.passages = list(passages)
        self.question = question
        self.embed = embed
        self.units: list[Unit] = []
        for n, p in enumerate(self.passages, 1):
            for span in split_sentences(p.text):
                self.units.append(Unit(n, p.text[span.start:span.end], p.start + span.start, p.start + span.end))
        self.unit_tokens = [content_tokens(u.text) for u in self.units]
        self.unit_numbers = [numbers_in(u.text) for u in self.units]
        self.passage_tokens = [content_tokens(p.text) for p in self.passages]
        # The article's title and publisher say what its passages are and who reports them:
        # "according to the Global Times" is backed by a Global Times passage.
        self.passage_about = [content_tokens(f"{p.title} {p.publisher}") for p in self.passages]
        self.passage_numbers = [numbers_in(p.text) for p in self.passages]
        self.passage_words = [set(_words(p.text)) for p in self.passages]
        self.passage_shingles = [_shingles(_words(p.text), QUOTE_WORDS) for p in self.passages]
        self.question_tokens = content_tokens(question)
        # A yes/no question's numbers are its premise ("No, not 100%"); for other
        # questions a number in the answer is a claim and must come from a passage.
        self.premise_numbers = premise_numbers
        self.question_numbers = question_numbers(question) if premise_numbers else set()
        self.question_words = set(_words(question))
        every = set().union(*self.passage_tokens, *self.passage_about)
        absent = subject_tokens(question) - every - _ASKING
        self._absent = {w: t for w in self.question_words for t in tokenize(w) if t in absent}
        self._absent_tokens = set(self._absent.values())
        self._unmentioned: set[str] | None = None
        self._unit_vectors: np.ndarray | None = None
        # Each sentence with its neighbours in the same passage: where a name is "said with" something.
        self.window_tokens = []
        for i, u in enumerate(self.units):
            near = [j for j in (i - 1, i, i + 1) if 0 <= j < len(self.units) and self.units[j].passage == u.passage]
            about = self.passage_about[u.passage - 1]
            self.window_tokens.append(set().union(*(self.unit_tokens[j] for j in near), about))

    # -- embeddings ---------------------------------------------------------------
    @property
    def unit_vectors(self) -> np.ndarray | None:
        if self._unit_vectors is None and self.embed is not None and self.units:
            self._unit_vectors = np.asarray(self.embed([u.text for u in self.units]), dtype=np.float32)
        return self._unit_vectors

    def similarities(self, vector: np.ndarray | None) -> np.ndarray:
        """Cosine of one claim vector to every unit (zeros without an embedder)."""
        vectors = self.unit_vectors
        if vector is None or vectors is None:
            return np.zeros(len(self.units), dtype=np.float32)
        return vectors @ vector

    def embed_texts(self, texts: list[str]) -> list[np.ndarray | None]:
        if self.embed is None or not texts:
            return [None] * len(texts)
        return list(np.asarray(self.embed(texts), dtype=np.float32))

    @property
    def unmentioned(self) -> set[str]:
        """What the question asks about that the passages never mention, not even in other
        words ("the licence *fee*"; but "maximum" has "limited"): a claim that repeats it
        answers from the model's imagination. A passage word counts as another wording of
        the question word it is closest to (MiniLM), so "licensed" speaks for "licence",
        not for "fee". Computed lazily: most questions have no absent word."""
        if self._unmentioned is None:
            self._unmentioned = set(self._absent_tokens)
            asked = sorted(w for w in self.question_words if w.isalpha() and tokenize(w))
            words = sorted(w for w in set().union(*self.passage_words) if w.isalpha() and tokenize(w))
            if self._absent and self.embed is not None and words:
                sims = np.asarray(self.embed(asked), dtype=np.float32) @ \
                    np.asarray(self.embed(words), dtype=np.float32).T
                owner = sims.argmax(axis=0)
                self._unmentioned = set()
                for word, token in self._absent.items():
                    row = asked.index(word) if word in asked else None  # "5g" is no word to embed
                    own = sims[row][owner == row] if row is not None else ()
                    if len(own) == 0 or own.max() < MIN_WORD_SIMILARITY:
                        self._unmentioned.add(token)
        return self._unmentioned

    def absent_in(self, text: str) -> set[str]:
        """The question's words, repeated by this text, that no passage contains as such
        (said in other words, perhaps: see `selfcheck`)."""
        return content_tokens(text) & self._absent_tokens

    def unmentioned_in(self, text: str) -> set[str]:
        """The question's unmentioned words that this text repeats."""
        tokens = self.absent_in(text)
        return tokens & self.unmentioned if tokens else set()

    # -- support --------------------------------------------------------------------
    def has_name(self, name: str, n: int) -> bool:
        tokens = content_tokens(name)
        if not tokens:
            return True
        return (tokens <= (self.passage_tokens[n - 1] | self.passage_about[n - 1])
                or set(_words(name)) <= self.passage_words[n - 1])

    def support(self, claim: str, passages: Iterable[int], sims: np.ndarray) -> Support:
        chosen = tuple(sorted({n for n in passages if 1 <= n <= len(self.passages)}))
        tokens = content_tokens(claim)
        covered = set().union(*(self.passage_tokens[n - 1] for n in chosen)) if chosen else set()
        lexical = len(tokens & covered) / len(tokens) if tokens else 0.0
        similarity = max((float(sims[i]) for i, u in enumerate(self.units) if u.passage in chosen), default=0.0)
        words = _words(claim)
        claim_shingles = _shingles(words, QUOTE_WORDS)
        quoted = any(claim_shingles & self.passage_shingles[n - 1] for n in chosen)
        missing = []
        cited_numbers = set().union(*(self.passage_numbers[n - 1] for n in chosen)) if chosen else set()
        for number in sorted(numbers_in(claim)):
            if _has_number(number, cited_numbers):
                continue
            if _has_number(number, self.question_numbers):
                continue
            missing.append(number)
        for name in sorted(names_in(claim)):
            if any(self.has_name(name, n) for n in chosen):
                continue
            missing.append(name)
        missing += sorted(self.unmentioned_in(claim))
        if not missing:
            missing += self.unbound(claim, chosen)
        return Support(chosen, lexical, similarity, quoted, missing)

    def unbound(self, claim: str, chosen: Sequence[int]) -> list[str]:
        """Names the claim brings that the chosen passages do not say together with the rest
        of the claim. Every word of "HSBC is based in Hainan" is in the passage that lists
        HSBC among the 13 and Hainan among the pilot areas, sentences apart; and the
        passage quoting Zhang Chunfei holds "CAICT deputy director" but not the words the
        question attributes to someone else. So a name of the question must stand within a
        sentence of the answer's name or number in the same clause, and the sentences around
        the answer's name must hold most of what the claim says of it."""
        numbers, news = self._news_items(claim)
        news = {x for x in news if _name_tokens(x) - _CALENDAR}
        # A yes/no answer joins a rule to a fact from elsewhere ("capped at 50%" + "Wuhan is
        # among the 20 cities"); an answer to "how many in Guangzhou?" must find its number
        # said of Guangzhou.
        numbers = set() if self.premise_numbers else numbers
        if not news and not numbers:
            return []
        cited = [i for i, u in enumerate(self.units) if u.passage in chosen]
        tokens = {x: _name_tokens(x) for x in news}

        def around(holds: Callable[[int], bool]) -> list[set[str]]:
            return [self.window_tokens[i] for i in cited if holds(i)]

        apart: list[str] = []
        reported: set[str] = set()
        for clause in _CLAUSE.split(claim):  # "A has X, and B has Y": A need not stand with Y
            asked = [(q, _name_tokens(q)) for q in sorted(names_in(clause) - news, key=clause.find)]
            asked = [(q, t) for q, t in asked if t and not t & _CALENDAR]
            items = [(x, around(lambda i, t=tokens[x]: t <= self.unit_tokens[i]))
                     for x in sorted(names_in(clause) & news, key=clause.find)]
            items += [(x, around(lambda i, x=x: _has_number(x, self.unit_numbers[i])))
                      for x in sorted(numbers_in(clause) & numbers)]
            for item, own in items:
                far = [q for q, t in asked if own and not any(t <= w for w in own)]
                if far:  # (not in these passages at all: the name and number checks say so)
                    apart.append(f"{item} beside {far[0]}")
                    reported.add(item)
        loose = []
        rest = content_tokens(claim) - set().union(*tokens.values())
        best = max((len(rest & w) for w in self.window_tokens), default=0)
        for name in sorted(news, key=claim.find):
            # A list may run on for sentences: any window that holds the name will do.
            near = around(lambda i: tokens[name] <= self.window_tokens[i])
            if rest and near and name not in reported and max(len(rest & w) for w in near) < MIN_BINDING * best:
                loose.append(name)
        return apart + ([f"{' '.join(loose)} with the rest of the sentence"] if loose else [])

    def misattributed(self, claim: str) -> str | None:
        """The source of a closing "according to X" that no passage gives for the claim's
        numbers: X must stand within a sentence of them. A small model copies attributions
        from the chat history: after "2,220 were licensed, according to the MIIT", the
        follow-up's "2,400 ... according to the MIIT" took it from the previous answer,
        and the 2,400 is a report's figure."""
        match = _ATTRIBUTION.search(claim)
        if match is None:
            return None
        numbers, _ = self._news_items(claim)
        if not numbers:
            return None
        tokens = _name_tokens(match.group(1))
        for i in range(len(self.units)):
            if tokens <= self.window_tokens[i] and all(_has_number(x, self.unit_numbers[i]) for x in numbers):
                return None
        return match.group(1).strip()

    def membership(self, claim: str) -> str | None:
        """The claim's clause that says a name is, or is not, among things, where the
        passages say otherwise: "Chengdu is not one of the cities where these measures
        apply", beside "These measures will be implemented in 20 cities, including ...,
        Chengdu, ..."; "Xi'an is one of the four pilot areas", where no sentence names Xi'an
        with pilot areas (the model joined the 20-city list to the four-areas passage)."""
        if listed := self._misnamed_list(claim):
            return listed
        for clause in _CLAUSE.split(claim):
            match = _MEMBER.search(clause)
            if match is None or not _name_tokens(name := match.group("name").strip()):
                continue
            what = content_tokens(match.group("what"))
            if match.group("not") and self.said_with(name, what, listed=True) is not None:
                return clause
            if not match.group("not") and what and self.said_with(name, what) is None:
                return clause
        return None

    def _misnamed_list(self, claim: str) -> str | None:
        """The claim's closing list ("The pilot areas are Beijing, Tianjin, ... and Suzhou")
        where the passage that lists those names calls them something else ("20 cities,
        including Beijing, ..."): the local model quoted the 20-city list as the four pilot
        areas, every word of it held but "areas"."""
        match = _LISTING.search(claim)
        if match is None or (match.start() and not _CLAUSE_END.search(claim[:match.start()])):
            return None  # (none, or inside a clause)
        what = content_tokens(match.group("what"))
        names = [_spelt(n) for n in re.findall(_NAME_RUN, match.group("names"))]
        lists = [i for i, unit in enumerate(self.units)
                 if 2 * sum(bool(re.search(rf"\b{n}\b", unit.text)) for n in names) > len(names)]
        if what and lists and not any(what & self.unit_tokens[i] for i in lists):
            return claim[match.start():]
        return None

    def listed_without(self, name: str, what: set[str], count: int | None) -> Unit | None:
        """A sentence that lists as many names as the question counts ("the four pilot
        areas"), none of them `name`, with at least half of `what` in its words or its
        neighbours': the whole list, without the name."""
        if count is None or count < 3 or not what:
            return None
        spelt = re.compile(rf"\b{_spelt(name)}\b")
        for i, unit in enumerate(self.units):
            if 2 * len(what & self.window_tokens[i]) < len(what):
                continue
            for run in _NAME_LIST.finditer(unit.text):
                if len(re.findall(_NAME_RUN, run.group(0))) == count and not spelt.search(run.group(0)):
                    return unit
        return None

    def said_with(self, name: str, what: set[str], listed: bool = False) -> Unit | None:
        """A sentence naming the name (`listed`: in a list, "..., Fuzhou, ...") whose
        words, with its neighbours', hold at least half of `what` ("these measures ... in
        20 cities")."""
        if not what:
            return None
        spelt = _spelt(name)
        named = re.compile(rf"(?:,|\band)\s+{spelt}\b|\b{spelt}\s*," if listed else rf"\b{spelt}\b")
        for i, unit in enumerate(self.units):
            if named.search(unit.text) and 2 * len(what & self.window_tokens[i]) >= len(what):
                return unit
        return None

    def contributes(self, claim: str, n: int, sims: np.ndarray, others: Sequence[int] = ()) -> bool:
        """Does passage n back the claim (citation precision)? Either it supports the
        whole claim on its own and backs its news about as well as the other cited
        passages (`_backs_news`), or it holds a name or number of the claim, not the
        question's, that the others do not (the list that names "Wuhan", beside the rule
        on VPNs)."""
        rest = [m for m in others if m != n]
        single = self.support(claim, [n], sims)
        numbers, names = self._news_items(claim)
        if single.ok or (single.lexical >= MIN_LEXICAL and not [m for m in single.missing if m not in numbers]):
            # (The second: all of it but a number the answer brings, which another passage
            # holds. One the question brought, "the 166-company pilot", is what the
            # sentence is about: a passage without it speaks of something else.)
            if not rest or self._backs_news(claim, n, rest):
                return True
        for number in numbers:
            if number in self.passage_numbers[n - 1] and not any(number in self.passage_numbers[m - 1] for m in rest):
                return True
        for name in names:
            if self.has_name(name, n) and not any(self.has_name(name, m) for m in rest):
                return True
        return False

    def _news_items(self, claim: str) -> tuple[set[str], set[str]]:
        """The claim's numbers and names that the question did not bring: a citation is
        owed for those, not for "the 166-company pilot" restated from the question."""
        asked = numbers_in(self.question) | self.question_numbers
        numbers = {x for x in numbers_in(claim) if not _has_number(x, asked)}
        names = {x for x in names_in(claim) if not (content_tokens(x) and content_tokens(x) <= self.question_tokens)}
        return numbers, names

    def restates_question(self, claim: str) -> bool:
        """A sentence that adds at most one word to the question ("The April 2025 Plan
        introduces several new measures"): it answers nothing, and its citation backs
        nothing the user asked for."""
        numbers, names = self._news_items(claim)
        return not numbers and not names and len(content_tokens(claim) - self.question_tokens) <= 1

    def _backs_news(self, claim: str, n: int, others: Sequence[int]) -> bool:
        """Does passage n back what the claim adds to the question about as well as the best
        of the other cited passages? A small model cites [1][2] where [2] only restates
        the question's words ("the pilot with 166 approved firms"): that passage covers the
        sentence's words, not its news ("does not cover basic telecom services")."""
        news = content_tokens(claim) - self.question_tokens
        if len(news) < 2:
            return True
        gain = len(news & self.passage_tokens[n - 1])
        best = max(len(news & self.passage_tokens[m - 1]) for m in others)
        return gain >= NEWS_SHARE * best

    def best_support(self, claim: str, sims: np.ndarray) -> Support | None:
        """The smallest set of passages (one or two) that supports the claim, best first."""
        count = len(self.passages)
        singles = sorted((self.support(claim, [n], sims) for n in range(1, count + 1)), key=lambda s: -s.score)
        for s in singles:
            if s.ok:
                return s
        best: Support | None = None
        for i in range(1, count + 1):
            for j in range(i + 1, count + 1):
                s = self.support(claim, [i, j], sims)
                if s.ok and (best is None or s.score > best.score):
                    best = s
        return best

    def completes(self, claim: str, chosen: Sequence[int], sims: np.ndarray) -> list[int]:
        """Passages to add so that a name or number of the claim is backed (citation recall)."""
        added: list[int] = []
        current = list(chosen)
        numbers, names = self._news_items(claim)
        for item in sorted(numbers | names):
            is_number = item in numbers

            def holds(n: int) -> bool:
                if is_number:
                    return _has_number(item, self.passage_numbers[n - 1])
                return self.has_name(item, n)

            if any(holds(n) for n in current):
                continue
            for n in range(1, len(self.passages) + 1):
                if holds(n):
                    current.append(n)
                    added.append(n)
                    break
        return added

    def quotes_for(self, claim_vector: np.ndarray | None, claim: str, n: int, sims: np.ndarray | None = None) -> Unit | None:
        """The sentence of passage n that best supports the claim."""
        tokens = content_tokens(claim)
        best, best_score = None, -1.0
        for i, u in enumerate(self.units):
            if u.passage != n:
                continue
            lex = len(tokens & self.unit_tokens[i]) / len(tokens) if tokens else 0.0
            sim = float(sims[i]) if sims is not None else 0.0
            score = lex + sim
            if score > best_score:
                best, best_score = u, score
        return best


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


def verify_claims(claims: Sequence[Claim], index: EvidenceIndex) -> tuple[list[VerifiedClaim], list[SentenceCheck]]:
    """Check each claim; return the ones kept (with repaired markers) and what was done."""
    cleaned = [clean_claim(c.text) for c in claims]
    sources = [index.misattributed(t) for t, _ in cleaned]
    cleaned = [(_ATTRIBUTION.sub(r"\g<end>", t) if source else t, inline)
               for (t, inline), source in zip(cleaned, sources)]
    contradicted = [index.membership(t) for t, _ in cleaned]
    cleaned = [(_without(t, clause) if clause else t, inline) for (t, inline), clause in zip(cleaned, contradicted)]
    texts = [t for t, _ in cleaned]
    vectors = index.embed_texts([t for t in texts if t])
    vector_iter = iter(vectors)
    kept: list[VerifiedClaim] = []
    checks: list[SentenceCheck] = []
    seen: set[str] = set()
    for claim, (text, inline), source, clause in zip(claims, cleaned, sources, contradicted):
        cited = list(dict.fromkeys([*claim.cited, *inline]))
        contradiction = f"\"{clause.rstrip('.')}\": the passages say otherwise" if clause else ""
        if not text:
            checks.append(SentenceCheck(text=claim.text, cited=cited, status="dropped",
                                        reason=contradiction or "empty sentence"))
            continue
        vector = next(vector_iter)
        if text.lower() in seen:
            checks.append(SentenceCheck(text=text, cited=cited, status="dropped", reason="repeats an earlier sentence"))
            continue
        seen.add(text.lower())
        sims = index.similarities(vector)
        valid = [n for n in cited if 1 <= n <= len(index.passages)]
        invalid = [n for n in cited if n not in valid]
        notes: list[str] = []
        if invalid:
            notes.append(f"cited passage(s) {invalid} that do not exist")
        if source:
            notes.append(f"removed \"according to {source}\": no passage says it of these numbers")
        if clause:
            notes.append(f"removed {contradiction}")
        status = "supported"
        result = index.support(text, valid, sims) if valid else None
        if result is not None and result.ok:
            markers = [n for n in result.passages if index.contributes(text, n, sims, result.passages)]
            markers = markers or [max(result.passages, key=lambda n: index.support(text, [n], sims).score)]
            unneeded = [n for n in result.passages if n not in markers]
            if unneeded:
                notes.append(f"removed citation(s) {unneeded} that do not support it")
                status = "reattributed"
        else:
            if result is not None and result.missing:
                notes.append(f"{', '.join(result.missing)} not in the cited passage(s)")
            elif valid:
                notes.append(f"cited passage(s) {valid} do not support it")
            result = index.best_support(text, sims)
            if result is None:
                support = index.support(text, list(range(1, len(index.passages) + 1)), sims)
                reason = (
                    f"{', '.join(support.missing)} found in no passage" if support.missing
                    else "no passage supports it"
                )
                checks.append(SentenceCheck(
                    text=text, cited=cited, status="dropped", support=round(support.score, 3),
                    reason="; ".join([*notes, reason]),
                ))
                continue
            markers = list(result.passages)
            status = "reattributed"
            notes.append(f"re-attributed to {markers}")
        added = index.completes(text, markers, sims)
        if added:
            markers += added
            notes.append(f"added {added} for names/numbers they hold")
            status = "reattributed" if status == "reattributed" or set(markers) != set(valid) else status
        markers = sorted(set(markers))
        if status == "supported" and (markers != sorted(set(valid)) or source or clause):
            status = "reattributed"
        quotes = {}
        for n in markers:
            unit = index.quotes_for(vector, text, n, sims)
            if unit is not None:
                quotes[n] = unit
        final = index.support(text, markers, sims)
        check = SentenceCheck(text=text, cited=cited, status=status, support=round(final.score, 3),
                              reason="; ".join(notes))
        checks.append(check)
        kept.append(VerifiedClaim(text=text, markers=markers, quotes=quotes, check=check))
    return kept, checks


def _spelt(name: str) -> str:
    """A name as a pattern, with either apostrophe (Xi'an, Xi’an)."""
    return re.sub(r"['’]", "['’]", re.escape(name))


def _without(text: str, clause: str) -> str:
    """The sentence less one of its clauses, or its tail from a clause on (and the joint
    before or after it)."""
    pieces = _CLAUSE.split(text)
    if clause not in pieces:  # a tail that runs over joints (a list's ", and")
        head = _CLAUSE_END.sub("", text[:text.rindex(clause)]).rstrip(" ,;")
        return head + "." if head and text.rstrip().endswith(".") else head
    joints = _CLAUSE.findall(text)
    at = pieces.index(clause)
    if len(pieces) == 1:
        return ""
    del pieces[at]
    del joints[at - 1 if at else 0]
    kept = pieces[0] + "".join(j + p for j, p in zip(joints, pieces[1:]))
    kept = kept[:1].upper() + kept[1:]
    return kept.rstrip(" .") + "." if text.rstrip().endswith(".") else kept


# -- yes/no verdicts ------------------------------------------------------------------
_CAP = re.compile(
    r"(?:capped at|cap(?:ped)? of|caps? at|up to|no more than|not (?:to )?exceed(?:ing)?|maximum of|"
    r"limited to|at most|ceiling of|not more than|limit of)\s*(\d+(?:\.\d+)?)\s*(?:%|percent|per cent)",
    re.I,
)
_UNCAPPED = re.compile(
    r"\b(?:lift(?:ing|s|ed)?|remov(?:ing|es|ed|e)|abolish(?:ing|es|ed)?|scrap(?:ping|s|ped)?)\s+"
    r"(?:the\s+)?(?:foreign\s+)?(?:equity\s+|ownership\s+|shareholding\s+)?(?:caps?|restrictions?|limits?)\b"
    r"|\bwholly[- ](?:foreign[- ])?owned\b",
    re.I,
)
# How questions are phrased, not what they ask about ("how *many*", "*name* two", "*list*").
_ASKING = set(tokenize(
    "many much get gets got getting be being do does did doing kind kinds name names list lists all one two "
    "both other others among per his her their include includes including see let lets take takes need needs "
    "first after before under over round roughly exactly currently already"
))
_ASKED_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|percent|per cent)", re.I)
_GENERIC = set(tokenize(
    "foreign foreigner foreigners investor investors investment invest company companies firm firms enterprise "
    "enterprises business businesses own owner owning ownership share stake equity percent allowed allow "
    "permit permitted operate run hold china chinese service services can could may"
))


def asked_share(question: str) -> float | None:
    """The ownership share a yes/no question asks about, if any ("100%", "fully" = 100)."""
    match = _ASKED_PERCENT.search(question)
    if match:
        return float(match.group(1))
    if _FULL_OWNERSHIP.search(question):
        return 100.0
    return None


def subject_tokens(question: str) -> set[str]:
    """What a question is about: its content words, less the generic ones of the domain
    ("foreign", "company", "own") and its numbers."""
    numbers = {t for n in numbers_in(question) for t in tokenize(n)}
    return content_tokens(question) - _GENERIC - numbers


def limit_in(question: str, units: Iterable[Unit]) -> tuple[float, Unit] | None:
    """A numeric ownership limit in the evidence about the question's subject.

    Returns (limit, sentence): 100 for "caps lifted"/"wholly-owned", else the cap.
    Only sentences that share the question's subject words ("VPN", "app store") count.
    """
    subject = subject_tokens(question)
    if not subject:
        return None
    best = None
    for unit in units:
        tokens = content_tokens(unit.text)
        if not tokens & subject:
            continue
        overlap = len(tokens & subject)
        cap = _CAP.search(unit.text)
        if cap:
            candidate = (overlap, float(cap.group(1)), unit)
        elif _UNCAPPED.search(unit.text):
            candidate = (overlap, 100.0, unit)
        else:
            continue
        if best is None or candidate[0] > best[0]:
            best = candidate
    return (best[1], best[2]) if best else None


def unknown_names(question: str, index: EvidenceIndex) -> list[str]:
    """Names in the question that no passage mentions (a place the corpus never lists)."""
    return [
        name for name in sorted(names_in(question))
        if not any(index.has_name(name, n) for n in range(1, len(index.passages) + 1))
    ]


# "Is Fuzhou covered by the new VPN measures?", "do the measures apply in Fuzhou?": is a
# name among the things of a list?
_MEMBERSHIP = [
    re.compile(r"^\W*(?i:and\s+)?(?i:is|are|was|were)\s+(?P<name>" + _NAME_RUN + r")\s+"
               r"(?:one\s+of|among|included|covered|listed|part\s+of|on|in)\b"),
    re.compile(r"^\W*(?i:and\s+)?(?i:does|do|will)\b[^?]*?\b(?:apply|cover|include)\s+(?:in\s+|to\s+)?"
               r"(?P<name>" + _NAME_RUN + ")"),
]


def asked_member(asked: str) -> tuple[str, set[str]] | None:
    """The name a yes/no question asks about being among things, and what those are (None
    for "Is Xi'an one of them?": what they are is in the conversation, not the question)."""
    match = next(filter(None, (m.search(asked) for m in _MEMBERSHIP)), None)
    if match is None:
        return None
    name = match.group("name")
    what = content_tokens(asked) - _name_tokens(name) - _ASKING
    return (name, what) if what else None


def excluded_by_list(asked: str, index: EvidenceIndex) -> Unit | None:
    """The sentence listing all of the things a yes/no question asks a name to be among,
    without it ("Is Lhasa one of the 20 cities ...?"): the answer is no, even for a name no
    passage mentions."""
    member = asked_member(asked)
    return index.listed_without(*member, count=_asked_count(asked)) if member else None


def _asked_count(asked: str) -> int | None:
    """How many things the question says there are ("one of the four pilot areas")."""
    counts = [n for n in numbers_in(asked) if n.isdigit()]  # (not "50%", not "2.5")
    return int(counts[0]) if len(counts) == 1 else None


_NEGATION_CUE = re.compile(r"\b(?:not|no|never|nor|neither|without)\b|n[’']t\b", re.I)
_NEGATIVE_ASK = re.compile(
    r"\b(?:not|no|never|without|exclud\w*|prohibit\w*|ban\w*|bar(?:red|s)?|restrict\w*|limit\w*|cap(?:s|ped)?)\b"
    r"|n[’']t\b", re.I)
NEGATION_SCOPE_WORDS = 8


def negation_in(asked: str, units: Iterable[Unit]) -> Unit | None:
    """A sentence that says "not" right before what a yes/no question asks about: "These
    are *not* legacy telecom services like voice calls" answers "does it include voice
    calls?", and "does *not* cover basic telecom services" answers "does it include basic
    telecom?". At least two of the question's subject words (or its only one) must follow
    the negation within a few words. A question asked in the negative ("is it excluded?")
    is left to the model. On the gold set it decides exactly the two "no"s it should."""
    if _NEGATIVE_ASK.search(asked):
        return None
    subject = subject_tokens(asked)
    need = min(2, len(subject))
    if not need:
        return None
    for unit in units:
        for cue in _NEGATION_CUE.finditer(unit.text):
            scope = " ".join(re.findall(r"[\w’'-]+", unit.text[cue.end():])[:NEGATION_SCOPE_WORDS])
            if len(set(tokenize(scope)) & subject) >= need:
                return unit
    return None


def check_verdict(
    question: str, verdict: str | None, index: EvidenceIndex, asked: str | None = None,
) -> tuple[str | None, str | None, Unit | None]:
    """Make a yes/no verdict agree with a numeric limit stated in the evidence, with a list
    that names what the user asked about, or with a sentence that denies it (`asked`: the
    user's own words, since a condensed follow-up carries the previous turn's words too).

    Returns (verdict, note, deciding sentence). A "yes" about a name the corpus never
    mentions is withdrawn: the corpus cannot confirm it.
    """
    units = index.units
    share = asked_share(question)
    found = limit_in(question, units) if share is not None else None
    if share is None:  # (then no limit was looked for either)
        member = asked_member(asked or question)
        if member is not None:
            # "These measures will be implemented in 20 cities, including ..., Fuzhou, ..." says
            # yes to "Is Fuzhou covered by the new VPN measures?" (the local model said no);
            # where no sentence names Xi'an with pilot areas, nothing says yes to "Is Xi'an one
            # of the four pilot areas?".
            listed = index.said_with(*member, listed=True)
            if listed is not None:
                if verdict == "yes":
                    return verdict, None, listed
                note = f"verdict {verdict or 'missing'} replaced by yes: a passage lists {member[0]} among them"
                return "yes", note, listed
            closed = index.listed_without(*member, count=_asked_count(asked or question))
            if closed is not None:
                # "Is Xi'an one of the four pilot areas?": "... in four designated areas in
                # Beijing, Shanghai, Hainan and Shenzhen" names all four, and not Xi'an.
                if verdict == "no":
                    return verdict, None, closed
                note = f"verdict {verdict or 'missing'} replaced by no: a passage lists all of them without {member[0]}"
                return "no", note, closed
            if verdict == "yes" and index.said_with(*member) is None:
                return None, f"verdict yes withdrawn: no passage says {member[0]} with what was asked", None
        denial = negation_in(asked or question, units)
        if denial is not None:
            if verdict == "no":
                return verdict, None, denial
            note = f"verdict {verdict or 'missing'} replaced by no: the evidence says it is not so"
            return "no", note, denial
    missing = unknown_names(question, index)
    if found is not None:
        limit, unit = found
        decided = "no" if share > limit else "yes"
        if decided == "yes" and missing:
            return None, f"the passages do not mention {', '.join(missing)}", None
        if decided != verdict:
            note = (
                f"verdict {verdict or 'missing'} replaced by {decided}: the evidence limits this to "
                f"{limit:g}% and the question asks about {share:g}%"
            )
            return decided, note, unit
        return verdict, None, unit
    if verdict == "yes" and missing:
        return None, f"verdict yes withdrawn: the passages do not mention {', '.join(missing)}", None
    return verdict, None, None


def locate(unit: Unit) -> Quote:
    return Quote(text=unit.text, start=unit.start, end=unit.end)
