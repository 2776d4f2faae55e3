"""Turn a follow-up ("and in Suzhou?") into a standalone query before retrieval.

Works without an LLM by history-aware rewriting: substitute the follow-up's new entity
(a place, a percentage, a date) into the previous question, or attach the previous question as
context. With `condense_with_llm` on and a generator loaded, an LLM rewrite is tried
first and kept only if it is a question that keeps every content word of the follow-up
(small models like to drop the new entity, or answer instead of rewriting).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

from assistant.types import Turn
from index.language import TOKENS_PER_WORD, prompt_tokens

log = logging.getLogger(__name__)

# Words a follow-up opens with ("and ...", "what about ...", "ok, ..."), in every pattern below.
_OPENERS = r"and|what about|how about|what of|also|same for|same with|but|or|then|so|ok|okay"
_FOLLOWUP_START = re.compile(rf"^(?:{_OPENERS}|in|for)\b", re.I)
_PRONOUNS = re.compile(
    r"\b(?:it|its|that|this|those|these|they|them|their|there|he|she|his|her|him|one|ones|the same)\b", re.I
)
# Words that point back to what was said before, without naming it.
_ANAPHORA = re.compile(
    r"\b(?:afterwards?|then|too|also|as\s+well|instead|either|in\s+that\s+case|after\s+that|"
    r"before\s+that|otherwise|the\s+same|same\s+thing|that\s+case)\b",
    re.I,
)
_QUESTION_START = re.compile(
    r"^(?:who|whom|whose|what|which|when|where|why|how|is|are|was|were|do|does|did|can|could|may|will|would|"
    r"should|has|have|had|list|name)\b",
    re.I,
)
# A question word inside a follow-up ("and for how long?") asks something new about the
# same thing: no phrase of it takes a slot of the previous question.
_ASKS_ANEW = re.compile(r"\b(?:how|what|which|who|whom|whose|when|where|why)\b", re.I)
_PERCENT = re.compile(r"\b\d+(?:\.\d+)?\s?(?:%|percent\b)", re.I)
_PLACE_AFTER = re.compile(r"\b(in|for|at|from|by|to)\s+((?:[A-Z][\w’'-]*)(?:\s+[A-Z][\w’'-]*)*)")
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
# "as of September", "by the end of February 2025", "in 2024": a time the question is pinned to.
_WHEN = re.compile(
    r"\b(?:as of|by|in|at|since|until|before|after|from|during)\s+(?:the\s+(?:end|start|beginning|middle)\s+of\s+)?"
    rf"(?:{_MONTH}(?:\s+\d{{4}})?|(?:19|20)\d{{2}})\b"
)
# A name past the question's first word, not an acronym: "Is *Wuhan* covered by the new VPN measures?".
_TITLE_NAME = re.compile(r"(?<=\s)[A-Z][a-z][\w’'-]*(?:\s+[A-Z][a-z][\w’'-]*)*")
_CAPITALISED = re.compile(r"\b[A-Z][a-z][\w’'-]*(?:\s+[A-Z][a-z][\w’'-]*)*")
_FOLLOWUP_WORDS = set("and what about how also same for in but or then so ok okay the a an of".split())
_LEADING_WORDS = _FOLLOWUP_WORDS | set(
    "is are was were do does did can could may will would should has have had what which who how why when where".split()
)
_MAX_FOLLOWUP_WORDS = 8


def trim_history(history: Sequence[Turn], budget_tokens: int) -> list[Turn]:
    """The most recent turns that fit the budget, so history never crowds out evidence."""
    kept: list[Turn] = []
    used = 0
    for turn in reversed(history):
        cost = prompt_tokens(turn.content) + 1  # at least a token a turn
        if used + cost > budget_tokens:
            if not kept and turn.role == "user":  # always keep the last question, cut short
                words = turn.content.split()[: max(1, int(budget_tokens / TOKENS_PER_WORD))]
                kept.append(Turn(role="user", content=" ".join(words)))
            break
        kept.append(turn)
        used += cost
    return list(reversed(kept))


def is_followup(question: str, history: Sequence[Turn]) -> bool:
    """Whether a question leans on the conversation: it opens like a follow-up ("and ...",
    "what about ..."), points back (a pronoun, "afterwards", "too", "instead"), or is too
    short to stand alone."""
    if not any(t.role == "user" for t in history):
        return False
    words = question.split()
    return (
        bool(
            _FOLLOWUP_START.match(question)
            or _PRONOUNS.search(question)
            or _ANAPHORA.search(question)
            or len(words) <= 3
        )
        and len(words) <= 3 * _MAX_FOLLOWUP_WORDS
    )


def _new_entity(question: str) -> tuple[str | None, str | None]:
    """(preposition, entity) the follow-up is about, e.g. ("in", "Suzhou")."""
    match = _PLACE_AFTER.search(question)
    if match:
        return match.group(1).lower(), match.group(2)
    names = []
    for m in _CAPITALISED.finditer(question):
        words = m.group().split()
        while words and words[0].lower() in _LEADING_WORDS:
            words.pop(0)  # sentence-initial "And", "Is", "What" are not names
        if words:
            names.append(" ".join(words))
    return (None, names[-1]) if names else (None, None)


def substitute(previous: str, followup: str) -> str | None:
    """Previous question with the follow-up's entity swapped in, or None if no slot fits."""
    new_when, old_when = _WHEN.search(followup), _WHEN.search(previous)
    if new_when and old_when:
        return previous[: old_when.start()] + new_when.group() + previous[old_when.end() :]
    new_pct = _PERCENT.findall(followup)
    if new_pct and _PERCENT.search(previous):
        out = _PERCENT.sub(new_pct[-1], previous, count=1)
        prep, entity = _new_entity(followup)
        return _swap_place(out, prep, entity) or out
    prep, entity = _new_entity(followup)
    if entity:
        return _swap_place(previous, prep, entity)
    return None


def _swap_place(previous: str, prep: str | None, entity: str | None) -> str | None:
    if not entity:
        return None
    slots = [m for m in _PLACE_AFTER.finditer(previous) if prep is None or m.group(1).lower() == prep]
    if slots:
        slot = slots[-1]
        return previous[: slot.start(2)] + entity + previous[slot.end(2) :]
    names = list(_TITLE_NAME.finditer(previous))
    if prep in (None, "in") and entity[:1].isupper() and len(names) == 1:
        # "Is Wuhan covered by the new VPN measures?" + "and (in) Fuzhou?": its one name (not an
        # acronym), whatever stands before it.
        return previous[: names[0].start()] + entity + previous[names[0].end() :]
    return None


def _first_sentence(text: str) -> str:
    text = re.sub(r"\[\d+\]", "", text)
    return re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0][:300]


def previous_question(history: Sequence[Turn]) -> str | None:
    """The last user question made standalone itself (follow-ups can chain)."""
    for i in range(len(history) - 1, -1, -1):
        if history[i].role == "user":
            standalone, context = condense_rule_based(history[i].content, list(history[:i]))
            return f"{standalone} {context}".strip() if context else standalone
    return None


_HEAD = re.compile(
    rf"^(?:{_OPENERS})\s+"
    r"(?:the\s+|for\s+|with\s+)?(?P<phrase>[a-z][\w’'-]*(?:\s+[a-z][\w’'-]*){0,3})\s*\??$",
    re.I,
)


def swap_head_phrase(previous: str, followup: str) -> str | None:
    """ "How much annual leave can I carry over?" + "and sick leave?": the follow-up names
    another kind of the same thing (same last word), which replaces the previous one."""
    match = _HEAD.match(followup.strip())
    if not match or _ASKS_ANEW.search(match.group("phrase")):
        return None
    words = match.group("phrase").split()
    if len(words) < 2:
        return None  # "and leave?" names no other kind of anything
    head = words[-1].lower()
    prev_words = previous.split()
    for i, word in enumerate(prev_words):
        if re.sub(r"[^\w’'-]", "", word).lower() != head:
            continue
        first = max(0, i - len(words) + 1)
        while first < i and prev_words[first].lower() in _LEADING_WORDS | {
            "my",
            "your",
            "our",
            "their",
            "this",
            "that",
        }:
            first += 1
        return " ".join([*prev_words[:first], *words[:-1], word, *prev_words[i + 1 :]])
    return None


_PREPOSITIONS = r"for|in|on|at|with|to|from|during|under|within|without|after|before|about|by|via|through"
_DETERMINERS = r"the|a|an|my|your|our|their|his|her|its|this|that|these|those"
_DETERMINER_WORDS = set(_DETERMINERS.split("|"))
# "and for the hotel?", "what about in the EU?": a follow-up that is one prepositional phrase.
_PHRASE_FOLLOWUP = re.compile(
    rf"^(?:(?:{_OPENERS})[,\s]+)*"
    rf"(?P<prep>{_PREPOSITIONS})\s+(?P<object>(?:(?:{_DETERMINERS})\s+)?[\w’'-]+(?:\s+[\w’'-]+){{0,2}})\s*\?*$",
    re.I,
)
# Words that end a prepositional phrase's object in the previous question: a new clause,
# another preposition, an auxiliary verb.
_OBJECT_ENDS = set(
    (
        "when if and or but that which who whom whose while because so than as where why how whether "
        "is are was were be been do does did can could may might will would should must shall has have had "
        + _PREPOSITIONS.replace("|", " ")
    ).split()
)


_TOKEN = re.compile(r"(?P<word>[\w’'%$.-]+)|\S")  # a word, or one mark between words


def _content_length(words: list[str]) -> int:
    """Words of a noun phrase, its determiner apart ("the hotel": 1)."""
    return len(words) - bool(words and words[0].lower() in _DETERMINER_WORDS)


def swap_prepositional_phrase(previous: str, followup: str) -> str | None:
    """ "Do I need to keep receipts for meals when I travel?" + "and for the hotel?": a
    follow-up that is only a prepositional phrase asks the previous question again with its
    object in place of the object of the same preposition there (the last one, as a new
    place replaces the last place). That object is taken as long as the new one (its
    determiner apart), since English noun phrases end in their noun and a verb may follow
    ("Are receipts for meals required?"), and never past a clause word, a preposition or
    punctuation. A previous question without that preposition has no slot, and gets the
    follow-up with context instead."""
    match = _PHRASE_FOLLOWUP.match(followup.strip())
    if not match or _ASKS_ANEW.search(match.group("object")):
        return None
    prep = match.group("prep").lower()
    length = _content_length(match.group("object").split())
    slot = None
    for m in re.finditer(rf"\b{prep}\s+", previous, re.I):
        words, end = [], m.end()
        for token in _TOKEN.finditer(previous, m.end()):
            if token.group("word") is None or token.group().lower() in _OBJECT_ENDS:
                break  # punctuation, a clause word or a preposition ends the object
            words.append(token.group())
            end = token.end()
            if _content_length(words) == length:
                break
        if _content_length(words) > 0:
            slot = (m.end(), end)
    if slot is None:
        return None
    return previous[: slot[0]] + match.group("object") + previous[slot[1] :]


def condense_rule_based(question: str, history: Sequence[Turn]) -> tuple[str, str]:
    """(standalone question, context): the follow-up rewritten when a slot of the previous
    question takes its new name, number, date, kind of thing or phrase; else the follow-up as
    asked, with the previous question (and, for "that"/"it", the answer's first sentence)
    as context."""
    if not is_followup(question, history):
        return question, ""
    previous = previous_question(history)
    if previous is None:
        return question, ""
    # Swap only for elliptical follow-ups ("and in Suzhou?", "what about 50%?");
    # "Is Suzhou one of them?" asks about the previous answer, so it gets context instead.
    elliptical = bool(_FOLLOWUP_START.match(question)) or len(question.split()) <= 3
    if elliptical and not _PRONOUNS.search(question):
        swapped = (
            substitute(previous, question)
            or swap_head_phrase(previous, question)
            or swap_prepositional_phrase(previous, question)
        )
        if swapped:
            return swapped, ""
    first, _, rest = question.partition("? ")
    if rest and _FOLLOWUP_START.match(first) and not _PRONOUNS.search(first):
        # "and sick leave? is there a cap on that too?": the first sentence swaps, the rest asks.
        swapped = substitute(previous, first + "?") or swap_head_phrase(previous, first + "?")
        if swapped:
            return f"{swapped} {rest}", ""
    context = previous
    if _PRONOUNS.search(question):
        answers = [t.content for t in history if t.role == "assistant"]
        if answers:
            context = f"{previous} {_first_sentence(answers[-1])}"
    return question, context


REWRITE_PROMPT = """Rewrite the user's follow-up question as one standalone question, using the conversation only to resolve what the follow-up refers to. Keep every name, number and place from the follow-up. Reply with the question only.

Conversation:
{history}

Follow-up: {question}
Standalone question:"""


def _content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9%’'-]+", text.lower()) if w not in _FOLLOWUP_WORDS and len(w) > 2}


def condense(
    question: str,
    history: Sequence[Turn],
    rewrite: Callable[[str], str] | None = None,
) -> tuple[str, str]:
    """(standalone question, context) for a question in its conversation; the rule-based
    result when no LLM rewrite does better."""
    standalone, context = condense_rule_based(question, history)
    if rewrite is None or (standalone == question and not context):
        return standalone, context
    shown = "\n".join(f"{t.role}: {t.content[:400]}" for t in history[-4:])
    try:
        candidate = rewrite(REWRITE_PROMPT.format(history=shown, question=question)).strip()
    except Exception as exc:  # any backend failure: the rule-based query is good enough
        log.warning("LLM rewrite of follow-up failed, using rule-based: %s", exc)
        return standalone, context
    candidate = candidate.splitlines()[0].strip().strip('"') if candidate else ""
    # A small model sometimes answers instead of rewriting ("The person who said that was…").
    asks = candidate.endswith("?") or bool(_QUESTION_START.match(candidate))
    if 8 <= len(candidate) <= 400 and asks and _content_words(question) <= _content_words(candidate):
        return candidate, ""
    return standalone, context
