"""Questions that ask for a kind of fact a passage either states or not.

"How much is the licence fee?", "how long does approval take?", "when does the pilot end?",
"on what date did HSBC file?", "what is the cap for basic telecom services?", "how many
firms in Guangzhou?": on topic, so the evidence is strong, yet if no retrieved sentence
states a sum, a duration, an end, a date, a share or cap, or a number of the things counted,
the corpus cannot answer (`missing_kind`, the retrieval gate); nor can it list "the names of
all 166 firms" from passages that name fewer things, or pick "which of the 13 companies is
based in Hainan" where no member of the 13 they list is named beside Hainan. The fact must
also be stated near what the question asks it about (its rarest name, number, or what the fact is "for"):
a 50% cap on VPN services says nothing of basic telecom services, a count of firms in four
areas nothing of Guangzhou. And an answer that states no fact of the kind asked for is no
answer (`unstated_kind`, the answer step).

Written from the gold set's unanswerable questions; a set written blind to it
(eval/testsets/typed.jsonl) checks that it refuses no answerable question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Callable, Iterable, Iterator

from assistant.condense import own_words
from assistant.reranking import ANCHOR, NUMBER
from assistant.types import Passage
from index.chunking import split_sentences
from index.lexical import LexicalIndex, tokenize


# Facts of a kind a passage either states or not: (what the question asks, how a passage states it).
_KINDS = {
    "an amount of money": (
        # (Not a bare "costs" or "charge": "does the pilot cut costs?", "who is in charge?".)
        re.compile(r"\bhow much\b[^?]*\b(?:fees?|costs?|prices?|pay|paid|charged?|money|budget)\b"
                   r"|\b(?:fees?|costs?|prices?)\b[^?]*\bhow much\b"
                   r"|\bwhat(?:['’]s|\s+is|\s+are|\s+was|\s+were)\s+(?:the\s+)?(?:[\w-]+\s+){0,3}(?:fees?|prices?|costs?|budget)\b"
                   r"|\b(?:registered|minimum|paid-in|initial)\s+capital\b", re.I),
        re.compile(r"[$€£¥]\s?\d|\b\d[\d,.]*\s*(?:million|billion|thousand)?\s*(?:yuan|renminbi|rmb|cny|dollars?|"
                   r"usd|euros?)\b|\b(?:rmb|cny|usd)\s?\d", re.I),
    ),
    "a length of time": (
        re.compile(r"\bhow long\b|\bhow many (?:hours|days|weeks|months|years)\b", re.I),
        re.compile(r"\b(?:\d+|an?|one|two|three|four|five|six|ten|several|few)\s+(?:working\s+|business\s+)?"
                   r"(?:hours?|days?|weeks?|months?|years?)\b(?!-on-)", re.I),
    ),
    "an end date": (
        re.compile(r"\bwhen\b[^?]*\b(?:end|ends|expire|expires|conclude|concludes|finish|finishes|run out|be over)\b"
                   r"|\b(?:end|expiry|expiration|closing)\s+date\b", re.I),
        re.compile(r"\b(?:until|till|expir\w*|deadline|end date|conclud\w*|ends? (?:on|in|by|after)|will end|"
                   r"runs? (?:until|through|to)|lasts? (?:until|for)|valid (?:until|for|through))\b", re.I),
    ),
    "a date": (
        re.compile(r"\b(?:what|which)(?: (?:is|was|were|are) the)? (?:(?:exact|precise|specific|calendar|particular) ){0,2}"
                   r"(?:date|day|month|year)\b"
                   r"|\bwhich weekday\b"
                   r"|^\s*(?:and\s+)?when\b|\bsince when\b", re.I),
        # ("May" only as a month: "foreign investors may own ...".)
        re.compile(r"\b(?:january|february|march|april|june|july|august|september|october|november|december|"
                   r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|monday|tuesday|wednesday|thursday|friday|"
                   r"saturday|sunday|yesterday|today|tomorrow)\b|\b(?:19|20)\d\d\b|\b\d{1,2}/\d{1,2}\b"
                   r"|\bmay\s+\d|\b(?:in|on|since|by|until|early|late|mid-)\s*may\b"
                   r"|\b(?:last|this|next|earlier this|later this)\s+(?:week|month|year|spring|summer|autumn|fall|winter)\b",
                   re.I),
    ),
    "a share or cap": (
        re.compile(r"\bwhat (?:[\w-]+\s+)?(?:percentage|percent|proportion|share)\b|\bhow much of\b"
                   r"|\b(?:growth|increase|decline)\s+rate\b"
                   r"|\bwhat(?:['’]s|\s+is|\s+are|\s+was|\s+were)\s+(?:the\s+)?(?:[\w-]+\s+){0,3}"
                   r"(?:caps?|ceilings?|limits?|stakes?|shares?|percentages?)\b", re.I),
        re.compile(r"%|\bper ?cent\b|\bwholly\b|\bfully\b|\b(?:caps?|capped|ceilings?|limits?|restrictions?|restricted)\b",
                   re.I),
    ),
}
# "How many X": stated by a number just before X (or a word for the same sort of thing).
_COUNT = re.compile(r"\bhow many((?:\s+of\s+the\s+\d+)?(?:\s+[\w’'-]+){1,3})"
                    r"|\bthe (?:total )?number of((?:\s+[\w’'-]+){1,3})", re.I)
_SORTS = [frozenset(tokenize(words)) for words in (
    "firm firms company companies enterprise enterprises operator operators business businesses affiliate "
    "affiliates player players provider providers entity entities multinational multinationals corporation "
    "corporations",
    "city cities area areas region regions zone zones location locations place places province provinces",
)]
_NUMBER_WORDS = frozenset(tokenize("two three four five six seven eight nine ten eleven twelve fifteen twenty "
                                    "thirty forty fifty hundred hundreds thousand thousands dozen dozens"))
_YEAR = re.compile(r"^(?:19|20)\d\d$")
# Words that end what "how many" counts: "how many foreign firms | have been approved in ...".
_COUNTED_ENDS = frozenset("have has had are is were was be been do does did will would can could got get "
                          "in of to for at on".split())
_QUALIFIER = re.compile(r"\s+(?:for|on|in|of)\s+(?:(?:a|an|the)\s+)?((?:[\w’'-]+\s*){1,3})", re.I)
_COUNT_REACH = 3  # content words between a number and what it counts
_LIST = re.compile(r"(?::|\bsuch as\b|\bincluding\b)[^,;.]+(?:,[^,;.]+)+(?:,|\band\b)", re.I)
# "List the names of all 166 firms", "which are the 20 cities?": N things to be named.
_SMALL_NUMBERS = {w: n for n, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())}
_SMALL_NUMBERS |= {"fifteen": 15, "twenty": 20}
_SMALL_VALUES = {t: n for w, n in _SMALL_NUMBERS.items() for t in tokenize(w)}
_A_NUMBER = r"\d+|" + "|".join(_SMALL_NUMBERS)
_HOW_MANY = f"({_A_NUMBER})"
_NAMING = [
    re.compile(r"\b(?:list|name|enumerate|identify)(?:\s+the\s+names\s+of)?\s+(?:all\s+(?:of\s+)?)?(?:the\s+)?"
               + _HOW_MANY + r"((?:\s+[\w’'-]+){1,3})", re.I),
    re.compile(r"\bnames\s+of\s+(?:all\s+(?:of\s+)?)?(?:the\s+)?" + _HOW_MANY + r"((?:\s+[\w’'-]+){1,3})", re.I),
    # (Only as the whole question, ending in a noun: "what are the 166 firms allowed to do?",
    # "... doing?" ask no names.)
    re.compile(r"\b(?:what|which|who)\s+(?:are|were)\s+(?:all\s+)?the\s+" + _HOW_MANY
               + r"((?:\s+[\w’'-]+){1,3})(?<!ing)(?<!ed)(?<!\bdo)\s*\?\s*$", re.I),
]
_NAME = re.compile(r"[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*")
# "Which of the 13 approved companies is based in Hainan?", "of the 13 firms, how many are in
# Shanghai?", "how many of the 155 tasks deal with healthcare?": a part of a group the question counts.
_GROUP = r"(?:the|these|those)\s+(?P<number>" + _A_NUMBER + r")(?P<group>(?:\s+[\w’'-]+){1,4}"
_PART = [
    re.compile(r"\bof\s+" + _GROUP + r"?)\s*,\s*(?P<ask>which|how many)\b", re.I),
    re.compile(r"\b(?P<ask>which|how many)\s+(?:one\s+)?of\s+" + _GROUP + ")", re.I),
]
# Members of a group, as the passages list them: "multinationals, such as Airbus, Siemens and HSBC".
_MEMBERS = re.compile(r"([\w’'-]+),?\s+(?:such as|including|like)\s+([^;.?!]+)", re.I)


@dataclass(frozen=True)
class Missing:
    kind: str  # "an amount of money"
    near: list[str]  # the question's words the fact had to be stated near
    named: int | None = None  # for names asked: how many things the passages name
    stating: str = "states one"  # what no passage does

    def __str__(self) -> str:
        if self.named is not None:
            return f"the question asks for {self.kind} and the passages name only {self.named} things in all"
        where = f" near {' or '.join(self.near)}" if self.near else ""
        return f"the question asks for {self.kind} and no passage {self.stating}{where}"


def missing_kind(question: str, passages: Iterable[str | Passage], lexical: LexicalIndex | None = None) -> Missing | None:
    """The kind of fact the question asks for that no passage states, if any; with the
    corpus's term statistics (`lexical`), stated near what the question asks it about."""
    asked = own_words(question)
    passages = list(passages)
    if missing := _unnamed(asked, passages) or _unpicked(asked, passages, lexical):
        return missing
    kinds = list(_asked(asked))
    windows = [w for p in passages for w in _windows(p)] if kinds else []
    for kind, match, states in kinds:
        near = _anchors(asked, match, lexical)
        stating = [w for w in windows if states(w)]
        if not any(_mentions(w.tokens, near) for w in stating):
            return Missing(kind, near[1] if near and stating else [])
    return None


def unstated_kind(question: str, answer: Iterable[str]) -> str | None:
    """The kind of fact the question asks for that none of the answer's sentences states: an
    answer to "what market share..." with no share in it, or to "on what date..." with no
    date, is no answer. (Counts are left out: "how many areas" is also answered by naming them.)"""
    windows = [w for text in answer for w in _windows(text)]
    for kind, _, states in _asked(own_words(question), counts=False):
        if not any(states(w) for w in windows):
            return kind
    return None


def _asked(question: str, counts: bool = True) -> Iterator[tuple[str, re.Match, Callable[[_Window], bool]]]:
    """Each kind of fact the question asks for, the words asking, and how a sentence states one."""
    duration = False  # "how many days" asks for a length of time, not a count
    for kind, (asks, states) in _KINDS.items():
        if match := asks.search(question):
            duration |= kind == "a length of time"
            yield kind, match, lambda w, states=states: bool(states.search(w.sentence))
    if counts and not duration and (match := _COUNT.search(question)):
        words = _counted(match.group(1) or match.group(2))
        if counted := set(tokenize(words)):
            sort = counted.union(*(s for s in _SORTS if counted & s))
            yield f"a number of {words}", match, lambda w: _counts(w, sort)


def _unnamed(question: str, passages: list[str | Passage]) -> Missing | None:
    """Names asked for ("list all 166 firms") that the passages cannot hold: they name fewer
    things of any sort (places, people, firms, titles) than the question asks to be named."""
    match = next(filter(None, (naming.search(question) for naming in _NAMING)), None)
    if match is None or _YEAR.match(match.group(1)):  # "list the 2025 measures"
        return None
    number = match.group(1)
    wanted = _how_many(number)
    named = _names(p if isinstance(p, str) else p.text for p in passages)
    if len(named) >= wanted:
        return None
    named_what = re.sub(r"\s+\w+ed$", "", _counted(match.group(2)))  # "166 foreign firms (approved)"
    return Missing(" ".join(["the names of", number, named_what]).strip(), [], len(named))


def _unpicked(question: str, passages: list[str | Passage], lexical: LexicalIndex | None) -> Missing | None:
    """A part of a group the question counts itself ("which of the 13 companies is based in
    Hainan?") that the passages cannot pick out: no sentence names a member of the group they
    list, or states a number of it below the question's, near what picks the part (the
    question's other names, or else its other words). Where the passages list no members,
    nothing is decided: which names belong to the group is then unknown."""
    match = next(filter(None, (part.search(question) for part in _PART)), None)
    if match is None or _YEAR.match(match.group("number")):
        return None
    number, group = match.group("number"), _plural_head(_counted(match.group("group")))
    if not (counted := set(tokenize(group))):
        return None
    total = _how_many(number)
    sort = counted.union(*(s for s in _SORTS if counted & s))
    near = _picked_by(question, match, lexical)
    windows = [w for p in passages for w in _windows(p) if _mentions(w.tokens, near)]
    words = f"{number} {group}"
    if match.group("ask").lower() == "which":
        members = _members(passages, sort)
        if not members or any(_naming_any(members).search(w.sentence) for w in windows):
            return None
        return Missing(f"the name of one of the {words}", near[1] if near else [], stating="names one")
    if any(_counts(w, sort, below=total) for w in windows):
        return None
    return Missing(f"how many of the {words}", near[1] if near else [], stating=f"states a number below {number}")


def _plural_head(words: str) -> str:
    """A group's words up to its last plural ("pilot tasks | deal with")."""
    return re.sub(r"^(.*\b\w+s)\b.*$", r"\1", words)


def _picked_by(question: str, match: re.Match, lexical: LexicalIndex | None) -> tuple[set[str], list[str]] | None:
    """What picks the part out of the group: the rarest of the question's names and numbers
    outside the group, or of its words after the group when it has none."""
    if lexical is None:
        return None
    skip = set(tokenize(match.group(0)))
    outside = question[:match.start()] + " " + question[match.end():]
    return (_rarest(ANCHOR.findall(" " + outside), skip, lexical)
            or _rarest(re.findall(r"[\w’'-]+", question[match.end():]), skip, lexical))


def _members(passages: list[str | Passage], sort: set[str]) -> set[str]:
    """Names the passages list right after a word for the group ("cities, including Beijing")."""
    members = set()
    for p in passages:
        for head, listed in _MEMBERS.findall(p if isinstance(p, str) else p.text):
            if set(tokenize(head)) & sort:
                members.update(_NAME.findall(listed))
    return members


def _naming_any(names: set[str]) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")\b")


def _names(texts: Iterable[str]) -> set[str]:
    """Capitalised words and runs of them, past each sentence's first word."""
    names = set()
    for text in texts:
        for span in split_sentences(text):
            sentence = text[span.start:span.end]
            first = re.match(r"[\W\d_]*[\w’'-]+", sentence)
            names.update(m.group(0) for m in _NAME.finditer(sentence, first.end() if first else 0))
    return names


def _counted(words: str) -> str:
    """What "how many" counts: the words after it up to a verb ("how many foreign firms have
    been approved" counts foreign firms; "how many are located in ..." names none)."""
    words = re.sub(r"^\s*of\s+(?:(?:the|them|these|those)\b)?\s*", "", words, flags=re.I)
    words = re.sub(r"^\d+\s+", "", words)  # "how many of the 155 | tasks"
    kept = []
    for word in words.split():
        if word.lower() in _COUNTED_ENDS:
            break
        kept.append(word)
    return " ".join(kept)


@dataclass
class _Window:
    sentence: str
    own: list[str]  # the sentence's terms
    tokens: list[str]  # with its neighbours' and the article's title, publisher and date


def _windows(passage: str | Passage) -> list[_Window]:
    """Each sentence, and what it may be about: its neighbours' words (a fact and what it is
    about may sit side by side) and the article's ("the April 2025 report")."""
    text = passage if isinstance(passage, str) else passage.text
    about = [] if isinstance(passage, str) else tokenize(f"{passage.title} {passage.publisher} {_date_words(passage.date)}")
    sentences = [text[s.start:s.end] for s in split_sentences(text)]
    terms = [tokenize(s) for s in sentences]
    return [
        _Window(sentence, terms[i], [t for ts in terms[max(0, i - 1):i + 2] for t in ts] + about)
        for i, sentence in enumerate(sentences)
    ]


def _how_many(number: str) -> int:
    """A number a question gives as digits or as a word ("the four pilot areas")."""
    return int(number) if number.isdigit() else _SMALL_NUMBERS[number.lower()]


def _value(token: str) -> float | None:
    if NUMBER.match(token):
        return float(token.replace(",", ""))
    return _SMALL_VALUES.get(token)


def _date_words(iso: str | None) -> str:
    try:
        return date.fromisoformat(iso).strftime("%B %Y") if iso else ""
    except ValueError:
        return ""


def _anchors(question: str, asking: re.Match, lexical: LexicalIndex | None) -> tuple[set[str], list[str]] | None:
    """The rarest of the question's names and numbers and of what the asked fact is "for"
    ("the cap for basic telecom services"), outside the words that ask (ties kept), with the
    words it comes from; None when the question has none the corpus knows, or without the
    corpus's statistics to tell which is rarest."""
    if lexical is None:
        return None
    words = ANCHOR.findall(question)
    if qualifier := _QUALIFIER.match(question, asking.end()):
        words += qualifier.group(1).split()
    return _rarest(words, set(tokenize(asking.group(0))), lexical)


def _rarest(words: list[str], skip: set[str], lexical: LexicalIndex) -> tuple[set[str], list[str]] | None:
    """The rarest stems the corpus knows of these words, outside `skip` (ties kept), with the
    words they come from. (A possessive's "s" is no word: "China's" is China.)"""
    stems_of = {w: set(tokenize(re.sub(r"['’]s$", "", w))) - skip for w in words}
    stems = {t for ts in stems_of.values() for t in ts if lexical.doc_freq.get(t)}
    if not stems:
        return None
    top = max(lexical.idf(t) for t in stems)
    stems = {t for t in stems if lexical.idf(t) == top}
    return stems, [w for w in stems_of if stems_of[w] & stems]


def _mentions(tokens: list[str], near: tuple[set[str], list[str]] | None) -> bool:
    return near is None or not near[0].isdisjoint(tokens)


def _counts(window: _Window, sort: set[str], below: int | None = None) -> bool:
    """A number followed, within a few words, by one of the things counted (`below` a total,
    for a part of it); or the things counted, listed ("three areas" is also "areas: cloud
    computing, data processing, and ...")."""
    tokens = window.own
    for i, token in enumerate(tokens):
        if (NUMBER.match(token) and not token.endswith("%") and not _YEAR.match(token)) or token in _NUMBER_WORDS:
            if below is not None and ((value := _value(token)) is None or value >= below):
                continue
            if sort.intersection(tokens[i + 1:i + 1 + _COUNT_REACH]):
                return True
    return bool(sort.intersection(tokens)) and bool(_LIST.search(window.sentence))
