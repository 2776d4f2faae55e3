"""A question analysed once, before retrieval, into the object every later stage reads.

`analyze(question, history)` cleans the question, makes a follow-up standalone (keeping the
conversation's context apart, never inside the query text), and reads off what kind of
answer it asks for. Nothing after this module parses the question again.

The question's language is detected among the collection's languages and those answers
have wording for (the answer is written in it). Other languages' questions are read as
yes/no by their own grammar (assistant/locales.py); the rest of the reading is English
grammar, which holds for any collection's questions:
- A question may open with context ("I pay monthly for an add-on. Do I get ...?", "If a
  prosecutor serves a subpoena, will they ...?"): its main clause is the last question
  sentence, after any leading subordinate clause.
- The main clause is a yes/no question when it opens with an auxiliary verb ("can", "is",
  "do", "am", "will", "isn't", ...) or asks "whether"/"if" ("I'd like to know whether ...");
  not when that form carries a request for something else ("Can you list ...?") or offers
  alternatives ("Is it paid monthly or yearly?").
- A yes/no question asks permission when it asks whether something may be done ("can I",
  "am I allowed to", "is it OK to", "is a 50% stake allowed?"), as opposed to whether it must be ("do I have to").
- The kind of answer follows from the question words: "how many" a number, "how much" an
  amount or a number, "how long" a duration, "when" a date, "what is the limit / maximum /
  age / period / deadline" the value such a noun names, "who" a name, "which ... are"
  or "list" a list, "what does X mean" a definition, "why"/"how do I" an explanation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from assistant.condense import condense
from assistant.locales import LOCALES, locale_for
from assistant.types import Turn
from assistant.values import months_in, numbers_in, quantities_in
from index.language import SPACED_LETTER, detect_among
from index.lexical import DEFAULT_LANGUAGE, tokenize
from policyqa.errors import InvalidQuestionError, QuestionTooLongError

AnswerKind = Literal["number", "amount", "date", "duration", "name", "list", "definition", "explanation", "fact"]

_SPACES = re.compile(r"\s+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=\S)|(?<=[。！？])\s*(?=\S)")
_AUX = (
    r"(?:can|could|may|might|must|shall|should|will|would|is|are|am|was|were|do|does|did|has|have|had|"
    r"isn[’']t|aren[’']t|wasn[’']t|weren[’']t|don[’']t|doesn[’']t|didn[’']t|can[’']t|cannot|couldn[’']t|"
    r"won[’']t|wouldn[’']t|shouldn[’']t|hasn[’']t|haven[’']t|mustn[’']t)"
)
_DISCOURSE = re.compile(
    r"^(?:(?:and|so|but|then|also|ok|okay|well|hi|hello|hey|please|quick question|question)\b[,:]?\s*)+", re.I
)
_SUBORDINATE = re.compile(
    r"^(?:if|when|whenever|since|because|after|before|once|while|although|though|given(?: that)?|as long as|"
    r"in case|assuming|suppose|say|unless)\b[^,?]*,\s*",
    re.I,
)
_YES_NO = re.compile(rf"^{_AUX}\b", re.I)
_WHETHER = re.compile(r"\b(?:whether|(?:know|wonder(?:ing)?|tell me|ask(?:ing)?|check|confirm|sure)\s+if)\b", re.I)
_REQUEST = re.compile(
    r"^(?:can|could|would|will)\s+(?:you|u)\s+(?:please\s+)?"
    r"(?:list|name|tell|give|show|explain|describe|summari[sz]e|say|provide|outline|identify|find|help|walk)\b",
    re.I,
)
_EMBEDDED_YES_NO = re.compile(
    r"^(?:can|could|would|will)\s+(?:you|u)\s+(?:please\s+)?(?:tell|confirm|check)"
    r"(?:\s+me)?\s+(?:whether|if)\b",
    re.I,
)
# "Is it paid monthly or yearly?": alternatives, answered by one of them, not by yes or no.
# "Can I ...?", "Am I allowed to ...?", "Is it OK to ...?": asks whether something is permitted.
_PERMISSION = re.compile(
    r"^(?:can|could|may)\s+(?!you\b|u\b)|\b(?:am|are|is)\s+(?:i|we|he|she|they|it|\w+)\s+(?:allowed|permitted|eligible|able)\b"
    r"|^is\s+it\s+(?:ok|okay|possible|allowed|permitted|fine|legal)\b|^(?:will|would)\s+(?:i|we)\s+be\s+(?:able|allowed)\b"
    r"|^(?:is|are)\b.*\b(?:allowed|permitted|acceptable|legal|ok|okay)\W*$",
    re.I,
)
_ALTERNATIVES = re.compile(r"\bor\s+(?!not\b)(?:\w+[’']?\w*\s*){1,4}\?*$", re.I)
_GREETING = re.compile(
    r"^(?:hi|hello|hey|thanks|thank you|thx|good (?:morning|afternoon|evening)|bye|goodbye|ok|okay|"
    r"cheers|yo)(?:\s+(?:there|all|everyone|again|so much|a lot))?$",
    re.I,
)
# "What's the (daily) cap on ...?", "what is the retention period": the value a noun that
# names a quantity stands for, asked for by "what is the" and up to three modifiers (no
# preposition between: "the purpose of the limit" asks for no value).
_WHAT_IS = r"\bwhat(?:\s+is|\s+are|\s+was|\s+were|['’]s)\s+"
_WHAT_IS_THE = (
    rf"{_WHAT_IS}(?:the|my|our|your|its|their)\s+"
    r"(?:(?!(?:of|for|on|in|to|at|by|with|from|about)\b)[\w-]+\s+){0,3}?"
)
_KINDS: list[tuple[AnswerKind, re.Pattern]] = [
    (
        "duration",
        re.compile(
            r"\bhow\s+(?:long|soon)\b|\bhow\s+many\s+(?:days|weeks|months|years|hours|minutes)\b"
            r"|\bhow\s+much\s+time\b|\bwithin\s+what\s+(?:time|period)\b|\bfor\s+how\s+long\b"
            rf"|{_WHAT_IS_THE}(?:period|duration)s?\b",
            re.I,
        ),
    ),
    (
        "amount",
        re.compile(
            r"\bhow\s+much\b.*"
            r"\b(?:cost|costs|pay|paid|charge|charged|fee|fees|price|spend|reimburs\w*|worth|owe)\b"
            r"|\bhow\s+much\s+(?:money|is\s+the\s+(?:fee|price|cost|charge))\b"
            rf"|{_WHAT_IS}the\s+(?:[\w-]+\s+){{0,4}}(?:fee|fees|price|prices|cost|costs|"
            r"charge|charges|rate|rates|salary|stipend|allowance)\b",
            re.I,
        ),
    ),
    (
        "number",
        re.compile(
            r"\bhow\s+(?:many|much)\b|\bwhat\s+(?:number|percentage|share|proportion)\b"
            rf"|{_WHAT_IS_THE}(?:maximum|minimum|max|min|limit|cap|ceiling|threshold|quota|size|age|percentage)s?\b",
            re.I,
        ),
    ),
    (
        "date",
        re.compile(
            r"^(?:when|by\s+when|until\s+when|since\s+when)\b|\bwhat\s+(?:date|day|year|month)\b"
            r"|\b(?:on|by|from)\s+(?:what|which)\s+(?:date|day)\b|\bwhich\s+(?:date|year)\b"
            rf"|{_WHAT_IS_THE}(?:deadline|due\s+date|cut-?off\s+date)s?\b",
            re.I,
        ),
    ),
    (
        "definition",
        re.compile(
            r"\bwhat\s+(?:does|do)\s+.+\bmean\b|\bwhat\s+(?:counts|qualifies)\s+as\b"
            r"|\bdefin(?:e|ition)\b|\bmeaning\s+of\b|\bwhat\s+is\s+meant\s+by\b"
            r"|^what(?:\s+is|['’]s|\s+are)\s+(?:a|an)\s+",
            re.I,
        ),
    ),
    (
        "list",
        re.compile(
            r"^(?:list|name|enumerate)\b|\bwhat\s+are\s+(?:the|all)\b|\bwhich\s+\w+(?:\s+\w+)?\s+(?:are|were)\b"
            r"|\bwhat\s+\w+(?:\s+\w+)?\s+(?:are|were)\s+(?:covered|included|allowed|eligible|available|required)\b",
            re.I,
        ),
    ),
    (
        "name",
        re.compile(
            r"^(?:who|whom|whose|which)\b|\bwhat\s+is\s+the\s+name\b|\bwhat['’]s\s+the\s+name\b"
            r"|\bwho\s+(?:is|are|do|does|should|can|has|have|must)\b",
            re.I,
        ),
    ),
    (
        "explanation",
        re.compile(
            r"^(?:why|how)\b|\bwhat\s+happens\b|\bwhat\s+(?:should|do|can|must)\s+i\s+do\b"
            r"|^(?:explain|describe)\b|\bwhat\s+(?:steps|is\s+the\s+process|are\s+the\s+steps)\b",
            re.I,
        ),
    ),
]
MIN_FOCUS_TERMS = 2  # a main clause with fewer content terms leans on its context
# Words that frame a question rather than say what it is about.
FRAMING = frozenset(
    tokenize(
        "many much total number amount tell say said mention mentioned according article corpus document documents "
        "text question know anything about please give list name exactly actually really wonder wondering "
        "whether thanks hi hello he she him her his hers"
    )
)
_L = SPACED_LETTER  # a name ends at a Chinese character ("Klar默认": "Klar")
_NAME = re.compile(rf"(?<!{_L})(?<![’'])[A-Z](?:{_L}|[’'&.-])*{_L}|(?<!{_L})(?<![’'])[A-Z]{{2,}}(?!{_L})")
_NUMBER = re.compile(r"(?<![\w.])\d[\d,.]*%?")
_WORD = re.compile(r"[^\W\d_][\w’'-]*")


@dataclass(frozen=True)
class QueryAnalysis:
    """Everything later stages need to know about a question, computed once."""

    asked: str  # the question as asked, cleaned
    standalone: str  # the question made standalone (a follow-up rewritten), without context
    language: str = DEFAULT_LANGUAGE  # the asker's: the answer is written in it
    context: str = ""  # what the conversation adds when the follow-up could not be rewritten
    followup: bool = False
    yes_no: bool = False
    permission: bool = False  # a yes/no question on whether something is allowed ("Can I ...?")
    kind: AnswerKind = "fact"
    main_clause: str = ""  # the question proper, after any context sentences or clauses
    terms: tuple[str, ...] = ()  # stemmed content terms, as BM25 sees them
    focus: tuple[str, ...] = ()  # the terms of the main clause: what is asked, not its context
    names: tuple[str, ...] = ()  # capitalised names and acronyms past a sentence's first word
    numbers: tuple[str, ...] = ()
    # The quantities the question poses, with their units ((300.0, "hour")), from its main
    # clause, else from the whole question: what a stated limit is compared with.
    quantities: tuple[tuple[float, str], ...] = ()
    # The numbers and months the question and its context state, as the value checks
    # compare them: an answer may repeat what the asker said.
    stated_numbers: frozenset[str] = frozenset()
    stated_months: frozenset[str] = frozenset()
    # The main clause's words in lower case, its names left out: what is asked, in the
    # asker's words (verification looks for them in the passages).
    clause_words: tuple[str, ...] = ()
    parts: tuple[str, ...] = field(default=())  # the question sentences, for two questions in one
    # (language, terms, focus) for each other language of the collection: a chunk's words
    # are stemmed its language's way, so it is matched with the question stemmed that way.
    by_language: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = ()
    # The search text in the language of the documents searched, when none of them is in
    # the asker's (assistant/translation.py); its language's terms come from it.
    translation: str = ""
    translated_to: str | None = None
    # The other spelling the collection uses for an acronym or a name in the question
    # ("Mozilla Public License" for "MPL"; index/glossary.py): searched for beside it.
    aliases: tuple[str, ...] = ()

    def terms_for(self, language: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(terms, focus terms) as chunks of this language are tokenised."""
        for code, terms, focus in self.by_language:
            if code == language:
                return terms, focus if len(focus) >= MIN_FOCUS_TERMS else terms
        return self.terms, self.focus_terms

    @property
    def search_text(self) -> str:
        """The question in the asker's words: standalone, with its context."""
        return f"{self.standalone} {self.context}".strip()

    @property
    def query_text(self) -> str:
        """What retrieval searches for: the search text, or its translation."""
        return self.translation or self.search_text

    @property
    def dense_text(self) -> str:
        """What dense search embeds: the query text, and the aliases of its acronyms and
        names (a small embedding model knows few acronyms)."""
        return " ".join((self.query_text, *self.aliases))

    @property
    def query_language(self) -> str:
        """The language of `query_text`."""
        return self.translated_to or self.language

    @property
    def lexical_text(self) -> str:
        """What BM25 searches for: the query text, with the main clause once more when
        context sentences or a conversation surround it (what is asked weighs most), and
        the aliases of its acronyms and names."""
        text = self.translation or self.search_text
        if not self.translation and self.main_clause != self.standalone and len(self.focus) >= MIN_FOCUS_TERMS:
            text = f"{text} {self.main_clause}"
        return " ".join((text, *self.aliases))

    @property
    def focus_terms(self) -> tuple[str, ...]:
        """The main clause's terms, when it says enough on its own; "Is that allowed?"
        leaves what is allowed to the sentences before it."""
        return self.focus if len(self.focus) >= MIN_FOCUS_TERMS else self.terms

    @property
    def asks_for_value(self) -> bool:
        """A number, amount, date or duration: an answer without one does not answer."""
        return self.kind in ("number", "amount", "date", "duration")


def normalize_question(question: object, max_chars: int) -> str:
    """Strip control characters and squeeze white space; refuse empty, huge or
    word-less input. A question over the limit is an error, not a silent truncation:
    cutting a question can change what it asks."""
    if not isinstance(question, str):
        raise InvalidQuestionError(f"a question must be text, got {type(question).__name__}")
    if len(question) > 20 * max_chars:
        # Don't even scan a giant paste character by character.
        raise QuestionTooLongError(
            f"the question is {len(question):,} characters; the limit is {max_chars:,} "
            "(POLICYQA_MAX_QUESTION_CHARS). Ask about one thing at a time."
        )
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch
        for ch in question
        if unicodedata.category(ch) not in ("Cs", "Co", "Cn")
    )
    cleaned = _SPACES.sub(" ", cleaned).strip()
    if not cleaned:
        raise InvalidQuestionError("the question is empty: type a question about the documents")
    if len(cleaned) > max_chars:
        raise QuestionTooLongError(
            f"the question is {len(cleaned):,} characters; the limit is {max_chars:,} "
            "(POLICYQA_MAX_QUESTION_CHARS). Ask about one thing at a time."
        )
    if not any(ch.isalnum() for ch in cleaned):
        raise InvalidQuestionError("the question has no words in it")
    if _GREETING.match(re.sub(r"[^\w\s’']", " ", cleaned).strip()):
        raise InvalidQuestionError("that is a greeting, not a question: ask something the documents may answer")
    return cleaned


def question_sentences(text: str) -> list[str]:
    """The sentences that ask something: those ending in "?", else the last one."""
    sentences = [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]
    asking = [s for s in sentences if s.rstrip()[-1:] in "?？"]
    return asking or sentences[-1:]


def main_clause(sentence: str) -> str:
    """A question sentence without its leading discourse words and subordinate clause
    ("So, if I leave early, can I ...?" -> "can I ...?")."""
    clause = sentence.strip()
    for _ in range(3):
        before = clause
        clause = _DISCOURSE.sub("", clause)
        clause = _SUBORDINATE.sub("", clause)
        clause = re.sub(r"^[^:?]{0,60}:\s+(?=\w)", "", clause)  # "Quick question: can I ...?"
        # "what about npm — can I ...?": the question after a dash, when it is one
        clause = re.sub(
            rf"^[^?]{{0,60}}?\s[—–-]\s+(?=(?:{_AUX}|what|which|who|when|where|why|how)\b)", "", clause, flags=re.I
        )
        if clause == before:
            break
    return clause.strip()


_LEADING_PHRASE = re.compile(rf"^[^,?]{{1,60}},\s+(?={_AUX}\b)", re.I)


def is_yes_no(clause: str) -> bool:
    """Whether a main clause asks for yes or no (see the module docstring). A short phrase
    set off by a comma may come first ("On an iPhone, does it ...?", "My son is 12, can he
    ...?"): it qualifies the question, so it stays in the clause, but the form is read after it."""
    clause = _LEADING_PHRASE.sub("", clause, count=1)
    if _EMBEDDED_YES_NO.match(clause):
        return True
    if _YES_NO.match(clause):
        return not _REQUEST.match(clause) and not _ALTERNATIVES.search(clause)
    return bool(_WHETHER.search(clause))


def answer_kind(clause: str) -> AnswerKind:
    """What the clause asks for; a request ("can you tell me how many ...") by what it requests."""
    clause = re.sub(
        r"^(?:can|could|would|will)\s+(?:you|u)\s+(?:please\s+)?(?:(?:tell|show|give)\s+(?:me|us)\s+)?",
        "",
        clause,
        flags=re.I,
    )
    for kind, pattern in _KINDS:
        if pattern.search(clause):
            return kind
    return "fact"


def _elliptical(clause: str) -> bool:
    """A follow-up that carries no question of its own ("and sick leave?")."""
    return not (
        _YES_NO.match(clause)
        or _WHETHER.search(clause)
        or answer_kind(clause) != "fact"
        or re.match(r"^(?:what|which|who|where|how|why|when)\b", clause, re.I)
    )


def names_in(text: str) -> tuple[str, ...]:
    """Capitalised words and acronyms that are not a sentence's first word, nor "I"."""
    out: dict[str, None] = {}
    for sentence in _SENTENCE.split(text):
        for match in _NAME.finditer(sentence):
            word = match.group()
            if match.start() == len(sentence) - len(sentence.lstrip()) or word in ("I", "I'm", "I’m", "I've", "I’ve"):
                continue
            out.setdefault(word.rstrip("."))
    return tuple(out)


def clause_words(clause: str) -> tuple[str, ...]:
    """A clause's words in lower case, in order, without its names (a capitalised word
    past the first)."""
    first = next(iter(clause.split()), "")
    return tuple(w.lower() for w in _WORD.findall(clause) if not (w[:1].isupper() and w != first))


def content_terms(text: str, language: str | None = None) -> tuple[str, ...]:
    """Stemmed content terms in order (as chunks of that language are tokenised), framing
    words left out."""
    seen: dict[str, None] = {}
    for term in tokenize(text, language):
        if term not in FRAMING:
            seen.setdefault(term)
    return tuple(seen)


def question_language(asked: str, history: Sequence[Turn], languages: Sequence[str]) -> str:
    """The asker's language among the collection's and those an answer has wording for
    (locales.py; an asker may read another language than the documents'): the question's,
    else (a name alone, "Firefox Sync?") the conversation's last question's, else English.
    Detection needs high confidence, so a short English question is not taken for another
    language (none of the benchmark sets' English questions is)."""
    candidates = {*languages, *LOCALES, DEFAULT_LANGUAGE}
    found = detect_among(asked, candidates)
    if found is None:
        earlier = [t.content for t in history if t.role == "user"]
        found = detect_among(earlier[-1], candidates) if earlier else None
    return found or DEFAULT_LANGUAGE


def analyze(
    question: str,
    history: Sequence[Turn] = (),
    max_chars: int = 2000,
    rewrite: Callable[[str], str] | None = None,
    languages: Sequence[str] = (),
    translate: Callable[[str, str], tuple[str, str] | None] | None = None,
    aliases: Callable[[str], tuple[str, ...]] | None = None,
) -> QueryAnalysis:
    """The QueryAnalysis of a question (and its conversation, for a follow-up); `languages`
    are the collection's, for terms stemmed each one's way. `translate(text, language)`
    gives the search text in the language of the documents searched, and that language,
    where none of them is in the asker's (assistant/translation.py). `aliases(text)` gives the
    collection's other spellings of the acronyms and names in a text (index/glossary.py)."""
    asked = normalize_question(question, max_chars)
    language = question_language(asked, history, languages)
    standalone, context = condense(asked, list(history), rewrite)
    focus = f"{standalone} {context}".strip()
    translation, translated_to = (translate(focus, language) if translate else None) or ("", None)
    followup = standalone != asked or bool(context)
    parts = question_sentences(standalone)
    clauses = [main_clause(p) for p in parts] or [standalone]
    clause = clauses[-1]
    if language != DEFAULT_LANGUAGE:
        # Another language's question: yes/no and the kind of value asked for by its own
        # question words.
        wording = locale_for(language)
        clause = parts[-1] if parts else asked
        yes_no = bool(wording.yes_no and any(wording.yes_no(p) for p in parts))
        kind = "fact" if yes_no else wording.kind_of(clause)
    elif followup and context and _elliptical(clause):
        # "and sick leave?" asks what the question it follows asked.
        inherited = main_clause(question_sentences(context)[-1] if question_sentences(context) else context)
        yes_no, kind = is_yes_no(inherited), answer_kind(inherited)
    else:
        yes_no = any(is_yes_no(c) for c in clauses)
        open_kinds = [answer_kind(c) for c in clauses if not is_yes_no(c)]
        kind = next((k for k in open_kinds if k != "fact"), open_kinds[0] if open_kinds else "fact")
    by_language = [
        (code, content_terms(focus, code), content_terms(clause, code))
        for code in languages
        if code not in (DEFAULT_LANGUAGE, translated_to)
    ]
    if translated_to:
        # The translation is matched with its language's chunks; its main clause is not
        # read (that reading is English grammar), so all its terms are what it asks.
        translated = content_terms(translation, translated_to)
        by_language.insert(0, (translated_to, translated, translated))
    return QueryAnalysis(
        asked=asked,
        language=language,
        standalone=standalone,
        context=context,
        followup=followup,
        yes_no=yes_no,
        permission=yes_no
        and language == DEFAULT_LANGUAGE
        and bool(_PERMISSION.search(_LEADING_PHRASE.sub("", clause))),
        kind=kind,
        main_clause=clause,
        terms=content_terms(focus),
        focus=content_terms(clause),
        names=names_in(standalone),
        numbers=tuple(dict.fromkeys(_NUMBER.findall(standalone))),
        quantities=tuple(quantities_in(clause) or quantities_in(standalone)),
        stated_numbers=frozenset(numbers_in(focus, language)),
        stated_months=frozenset(months_in(focus)),
        clause_words=clause_words(clause),
        parts=tuple(parts),
        by_language=tuple(by_language),
        translation=translation,
        translated_to=translated_to,
        aliases=aliases(focus) if aliases else (),
    )
