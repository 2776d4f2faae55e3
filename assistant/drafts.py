"""The generator's draft as a verdict and claims, each with the passage markers after it.

Models talk about their passages in a few recurring ways that are no claims about the
documents: "the passages do not mention ...", "... is not stated", "..., but it does not
specify ...", "... are listed in [1]". These are recognised here in English (which small
models fall back to in any language) and in the answer's language by its locale's
`absence` pattern (assistant/locales.py), so that a draft made only of them reads as "not
found" rather than as an answer. The verdict and the sentence ends are read in any answer
language (assistant/locales.py). A draft that opens by repeating its task line ("The
question asks for a date: ...") keeps what follows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.locales import leading_verdict, locale_for
from assistant.prompts import TASK_ECHO
from assistant.verification import Claim, clean_claim
from index.chunking import is_abbreviation
from index.language import word_count


@dataclass
class Draft:
    claims: list[Claim]
    verdict: str | None = None
    not_found: bool = False


_NOT_FOUND = re.compile(
    r"^\W*(?:the\s+)?(?:passages?|context|corpus|articles?|sources?|documents?)\s+(?:do(?:es)?\s+not|don't|doesn't)\s+"
    r"(?:say|mention|contain|answer|specify|state|provide|include|give)\b",
    re.I,
)
# A sentence saying the passages lack the answer, anywhere in the draft ("the fee is not
# mentioned in the passages [2]"): it is no claim, and if it is all the draft has, the
# draft is a refusal. Small models often wrap one in a verdict or a citation. "Is not
# provided", "is not available", "does not have any data" are talk about the passages only
# when said of them: a document may well state that support is not provided, a service not
# available or data not kept. The passages as subject may stand far from their verb ("the
# passage about X and Y does not mention"); "information" only close to it, since policies
# say what information "does not include".
_DOES_NOT_SAY = (
    r"\b(?:do(?:es)?\s+not|don't|doesn't)\s+"
    r"(?:say|mention|contain|answer|specify|state|provide|include|give|discuss|list|describe)"
)
_ABSENCE = re.compile(
    r"\b(?:is|are|was|were|been)\s+not\s+(?:explicitly\s+|directly\s+)?(?:mentioned|stated|specified|discussed)\b"
    r"|\b(?:is|are|was|were|been)\s+not\s+(?:explicitly\s+|directly\s+)?(?:provided|given|listed|available|disclosed)"
    r"\s+(?:in|by)\s+(?:the\s+|any\s+)?(?:passages?|texts?|articles?|sources?|documents?|context)\b"
    rf"|\b(?:passages?|context|texts?|articles?|sources?|documents?)\b[^.]{{0,60}}?{_DOES_NOT_SAY}"
    rf"|\binformation\b[^.]{{0,30}}?{_DOES_NOT_SAY}"
    r"|\bno\s+(?:information|mention|details?|data)\s+(?:about|on|of|regarding|is|are)\b"
    r"|\b(?:passages?|texts?|articles?|sources?|documents?|context|it|they)\s+(?:does|do)\s+not\s+"
    r"(?:provide|give|contain|include|offer|have)\s+(?:any\s+)?(?:specific\s+)?(?:information|details?|specifics)\b"
    r"|\b(?:question|answer)\s+is\s+not\s+(?:directly\s+)?(?:addressed|answered)\b"
    # "It cannot be determined", "I cannot find": not "if you cannot find your form", a
    # document's instruction to its reader.
    r"|(?<!\byou\s)\b(?:cannot|can't|can\s+not|unable\s+to|not\s+possible\s+to)\s+(?:be\s+)?"
    r"(?:determined?|tell|say|answer|find|confirm|conclude)"
    # "It does not mention ...": the passage as a pronoun, with a verb of saying.
    r"|^\W*(?:it|they)\s+(?:do(?:es)?\s+not|don't|doesn't)\s+(?:explicitly\s+)?(?:say|mention|specify|state|discuss|describe|address)\b",
    re.I,
)
# "..., but it does not specify when the change takes effect": a hedge about the passages
# tacked onto a claim. The claim before it stands; the hedge cites nothing.
_HEDGE_TAIL = re.compile(
    r",?\s+(?:but|although|though|however,?)\s+(?:it|they|this|the\s+(?:passages?|articles?|texts?|context|sources?))"
    r"\s+(?:does|do|did)\s*(?:not|n[’']t)\s+(?:explicitly\s+|directly\s+)?"
    r"(?:mention|specify|say|state|indicate|confirm|show|clarify)\b.*$",
    re.I,
)
# A sentence that points at a passage instead of saying anything ("The names are listed
# in [1]."): asked for what the passages lack, the model points.
_POINTER = re.compile(
    r"\b(?:are|is|were|was|can\s+be)\s+(?:listed|given|provided|found|shown|named|detailed|mentioned)\s+in"
    r"(?:\s+(?:the\s+)?(?:passages?|articles?|texts?|sources?|context|documents?))?\s*[.!]?$",
    re.I,
)
_MARKER_GROUP = re.compile(r"((?:\s*\[\d{1,3}\])+)\s*([.!?。！？]?)")
# A sentence ends at ".", "!" or "?", a closing quote or bracket after it allowed
# ('... "as is." However'), before a capital (Latin, accented too) or a digit, or at a
# Chinese full stop, whatever follows.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’»)]))\s+(?=[A-Z0-9\u00c0-\u00de\"“„(])|(?<=[。！？])\s*(?=\S)")


def _sentences(text: str) -> list[str]:
    """The text cut at sentence ends, not at an abbreviation's full stop ("z. B. Ihre")."""
    pieces, begin = [], 0
    for match in _SENTENCE_END.finditer(text):
        if text[match.start() - 1 : match.start()] == "." and is_abbreviation(text, match.start() - 1):
            continue
        pieces.append(text[begin : match.start()])
        begin = match.end()
    return [*pieces, text[begin:]]


def _whole_sentence(piece: str) -> bool:
    """Whether unmarked text is a whole sentence: ends in a full stop and is longer than a
    fragment (three words)."""
    piece = piece.rstrip()
    return piece[-1:] in ".!?。！？" and word_count(piece) >= 3


def sentences_said(raw: str) -> list[str]:
    """Every finished sentence of a draft so far, talk about the passages included, without
    its verdict, markers and framing, casefolded: what the draft has said, for telling
    when it starts repeating itself or says more than an answer keeps."""
    text = re.sub(r"\s+", " ", raw or "").strip()
    _, text = leading_verdict(text)
    text = _MARKER_GROUP.sub(lambda m: (m.group(2) or ".") + " ", text)
    pieces = [p.strip() for p in _sentences(text)]
    return [
        clean_claim(p)[0].rstrip(".!?。！？").casefold()
        for p in pieces
        if p[-1:] in ".!?。！？" and re.search(r"\w", p)
    ]


def parse_draft(raw: str, language: str | None = None) -> Draft | None:
    """The model's prose as a verdict and claims, each with the markers after it; the
    verdict in the words of the answer's `language` (or English's; any when not known).

    Markers apply to the sentence(s) before them; text after the last marker group is
    a claim without citations (verification finds its passage or drops it).
    """
    text = re.sub(r"\s+", " ", raw or "").strip()
    if not text:
        return None
    verdict, text = leading_verdict(text, language)
    if _NOT_FOUND.match(text) and verdict is None:
        return Draft([], None, not_found=True)
    text = TASK_ECHO.sub("", text)
    claims: list[Claim] = []
    position = 0
    for match in _MARKER_GROUP.finditer(text):
        segment = text[position : match.start()].strip()
        markers = [int(n) for n in re.findall(r"\d+", match.group(1))]
        position = match.end()
        pieces = [p for p in _sentences(segment) if p.strip()]
        for piece in pieces:
            claims.append(Claim(_HEDGE_TAIL.sub("", piece.strip()), markers))
    tail = text[position:].strip()
    for piece in _sentences(tail):
        # Unmarked text counts only as whole sentences: a reply cut off by the token
        # limit must not leave half a sentence in the answer.
        if _whole_sentence(piece):
            claims.append(Claim(_HEDGE_TAIL.sub("", piece.strip()), []))
    claims = [c for c in claims if re.search(r"\w", c.text) and not _NOT_FOUND.match(c.text)]
    talk = [p for p in (_ABSENCE, _POINTER, locale_for(language).absence) if p is not None]
    kept = [c for c in claims if not any(p.search(c.text) for p in talk)]
    said_absent, claims = len(kept) < len(claims), kept
    if not claims and (verdict is None or said_absent):
        return Draft([], None, not_found=said_absent or bool(_NOT_FOUND.search(text)))
    return Draft(claims, verdict, not_found=False)
