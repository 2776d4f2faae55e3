"""A collection's names by their initials: "MPL" for "Mozilla Public License", and back.

A question may name a thing by its acronym where a passage spells the name out, or the
reverse; BM25 matches neither way, and a small embedding model knows few acronyms. Two
readings of the collection's own text bridge them, for any subject and any language
written with capital letters:

- a definition, a name followed by its initials in brackets ("Family and Medical Leave
  Act (FMLA)", "internet service provider (ISP)") or the reverse ("FMLA (Family and
  Medical Leave Act)"): what the documents themselves say the acronym means;
- otherwise, the capitalised name whose initials it is ("Mozilla Public License" for
  "MPL"), where one clearly leads: documents that use an acronym without defining it
  usually spell out the one name it stands for somewhere. An acronym the collection
  writes counts as a name's only where every document writing it also names it: "IP"
  beside "IP address" is not the "Intellectual Property" of one document that has both.

A sentence's first word is capitalised whatever it is, and a name neither starts nor ends
with a stop word, so "If the Program" and German's capitalised "Ihrer" are no names. Read
from the documents' text when the index is opened (about a second per 10 MB of text).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property

import regex

from index.lexical import stopwords

# A word of a name: a capital, then a lower-case letter ("Mozilla", "GitHub"; not "GNU" or
# "A": a word in capitals is an acronym or shouting). A name is two or more, with at most
# one short lower-case word between two of them ("Family and Medical Leave Act").
_CAP = r"\p{Lu}\p{Ll}[\p{L}\p{M}’'-]*"
_NAME = regex.compile(rf"(?<![\p{{L}}\p{{N}}]){_CAP}(?:[ \t]+(?:\p{{Ll}}{{1,3}}[ \t]+)?{_CAP})+(?![\p{{L}}\p{{N}}])")
_CAPITALISED = regex.compile(rf"(?<![\p{{L}}\p{{N}}]){_CAP}")
_SENTENCE_END = frozenset(".!?:;)\n")  # ")": a list item's "a)"
_OPENING = " \t\"“‘'([*#>•|-"  # quotes, brackets and list or heading marks before a word
# Initials in brackets right after a name, or a name in brackets right after initials.
_ACRONYM = r"\p{Lu}[\p{Lu}\p{N}&]{1,9}"
_DEFINED_AFTER = regex.compile(rf"\(\s*[\"“]?({_ACRONYM})s?[\"”]?\s*\)")
_DEFINED_BEFORE = regex.compile(rf"(?<![\p{{L}}\p{{N}}])({_ACRONYM})s?\s*\(([^()]{{3,120}})\)")
_WRITTEN = regex.compile(rf"(?<![\p{{L}}\p{{N}}]){_ACRONYM}(?![\p{{L}}\p{{N}}])")
_WORD = regex.compile(r"[\p{L}\p{M}\p{N}][\p{L}\p{M}\p{N}’'-]*")
MAX_NAME_WORDS = 6  # capitalised words of a name read for its initials
GUESS_LEAD = 2  # a guessed name is this many times as frequent as the next one at least
MIN_GUESS_COUNT = 2  # ...and written this often: one mention is no evidence of a name


def _initials(words: Iterable[str], connectors: bool) -> str:
    """Initials of a name's words; `connectors`: its lower-case words' too ("FAMLA")."""
    return "".join(w[0] for w in words if connectors or w[0].isupper()).upper()


def _key(name: str) -> str:
    """A name as compared: case, possessives and a plural's "s" aside."""
    words = [w.lower().removesuffix("’s").removesuffix("'s") for w in _WORD.findall(name)]
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words)


def _spelled(acronym: str, words: list[str]) -> str | None:
    """The shortest run of `words` ending the list whose initials are `acronym`, counting
    its lower-case words or not; it starts with a word of the acronym's first letter that
    is not a short connector."""
    for n in range(2, min(len(words), 2 * len(acronym)) + 1):
        run = words[-n:]
        first = run[0]
        if first[0].upper() != acronym[0] or (first[0].islower() and len(first) <= 3):
            continue
        if _initials(run, True) == acronym or (_initials(run, False) == acronym and first[0].isupper()):
            return " ".join(run)
    return None


@dataclass(frozen=True)
class Glossary:
    """Acronyms and the names they stand for, as a collection writes them."""

    defined: dict[str, str]  # acronym -> the name the collection defines it as
    guessed: dict[str, str]  # initials it does not define -> the capitalised name they stand for
    written: Counter[str]  # acronym -> how often the collection writes it
    lowered: str = field(repr=False)  # the collection's text in lower case, for counting names

    @classmethod
    def build(cls, texts: Iterable[str]) -> Glossary:
        definitions: dict[str, Counter[str]] = defaultdict(Counter)
        written: Counter[str] = Counter()
        lowered: list[str] = []
        proper: set[str] = set()  # words capitalised inside a sentence
        # Each document's names (their words, whether they open a sentence) and acronyms.
        documents: list[tuple[list[tuple[list[str], bool]], set[str]]] = []
        for text in texts:
            acronyms = _WRITTEN.findall(text)
            written.update(acronyms)
            lowered.append(text.lower())
            for match in _DEFINED_AFTER.finditer(text):
                acronym = match.group(1)
                name = _spelled(acronym, _WORD.findall(text[max(0, match.start() - 200) : match.start()]))
                if name:
                    definitions[acronym][name] += 1
            for match in _DEFINED_BEFORE.finditer(text):
                acronym, inside = match.group(1), _WORD.findall(match.group(2))
                name = _spelled(acronym, inside)
                if name and name == " ".join(inside):
                    definitions[acronym][name] += 1
            for match in _CAPITALISED.finditer(text):
                if not _starts_sentence(text, match.start()):
                    proper.add(match.group())
            runs = [(m.group().split(), _starts_sentence(text, m.start())) for m in _NAME.finditer(text)]
            documents.append((runs, set(acronyms)))
        names: dict[str, Counter[str]] = defaultdict(Counter)  # by initials: mentions
        writing: Counter[str] = Counter()  # acronym: documents that write it
        beside: dict[str, Counter[str]] = defaultdict(Counter)  # ...and of those, that name it
        for runs, acronyms in documents:
            writing.update(acronyms)
            named: set[tuple[str, str]] = set()
            for words, at_start in runs:
                if at_start and words[0] not in proper:
                    # "Contributions Licensed ...": a sentence's first word is capitalised
                    # whatever it is; it belongs to a name only if capitalised elsewhere too.
                    words = words[1:]
                for initials, name in _names_within(words):
                    names[initials][name] += 1
                    if initials in acronyms:
                        named.add((initials, name))
            for initials, name in named:
                beside[initials][name] += 1
        defined = {acronym: counts.most_common(1)[0][0] for acronym, counts in definitions.items()}
        guessed = {}
        for initials, counts in names.items():
            if initials in defined:
                continue
            (best, n), *rest = counts.most_common(2)
            if n < MIN_GUESS_COUNT or (rest and n < GUESS_LEAD * rest[0][1]):
                continue
            # An acronym the collection writes stands for the name only if every document
            # that writes it names it too ("IP" beside "IP address" is not "Intellectual
            # Property", though one document has both).
            if initials in written and beside[initials][best] < writing[initials]:
                continue
            guessed[initials] = best
        return cls(defined, guessed, written, "\n".join(lowered))

    def aliases(self, text: str) -> tuple[str, ...]:
        """The spelling the collection prefers for each acronym and defined name a text
        uses, where it is the other one: the name an acronym stands for where the
        documents spell it out at least as often as they write the acronym, and the reverse.
        Where the text's own spelling is the documents' usual one, search finds it as it is;
        the other spelling would only add words."""
        out: dict[str, None] = {}
        for acronym in _WRITTEN.findall(text):
            name = self.defined.get(acronym) or self.guessed.get(acronym)
            if name and self.written[acronym] <= self._mentions(name):
                out.setdefault(name)
        by_name = self._acronym_of
        for match in _NAME.finditer(text):
            for _, name in _names_within(match.group().split()):
                acronym = by_name.get(_key(name))
                if acronym and acronym not in text and self._mentions(name) <= self.written[acronym]:
                    out.setdefault(acronym)
        return tuple(out)

    def _mentions(self, name: str) -> int:
        """How often the collection spells a name out (in any case)."""
        return self.lowered.count(name.lower())

    @cached_property
    def _acronym_of(self) -> dict[str, str]:
        return {_key(name): acronym for acronym, name in self.defined.items()}


def _starts_sentence(text: str, at: int) -> bool:
    """Whether the word at `at` opens a sentence, a line or a list item."""
    i = at - 1
    while i >= 0 and text[i] in _OPENING:
        i -= 1
    return i < 0 or text[i] in _SENTENCE_END


@cache
def _function_words() -> frozenset[str]:
    """Stop words of every language bm25s lists: a name neither starts nor ends with one
    ("If the Program", "Your New", German's capitalised "Ihrer")."""
    from bm25s import stopwords as lists

    return frozenset().union(
        *(stopwords(n.removeprefix("STOPWORDS_").lower()) for n in dir(lists) if n.startswith("STOPWORDS_"))
    )


def _names_within(words: list[str]) -> Iterable[tuple[str, str]]:
    """(initials, name) of each run of a name's words from one capitalised word to another,
    with and without its lower-case words' initials: "Mozilla Public License Version" holds
    "Mozilla Public License"."""
    function = _function_words()
    capitals = [i for i, w in enumerate(words) if w[0].isupper() and w.casefold() not in function]
    for a, i in enumerate(capitals):
        for j in capitals[a + 1 : a + MAX_NAME_WORDS]:
            run = words[i : j + 1]
            name = " ".join(run)
            yield _initials(run, False), name
            if any(w[0].islower() for w in run):
                yield _initials(run, True), name
