"""Question hygiene: what reaches retrieval is non-empty, printable and bounded."""

from __future__ import annotations

import re
import unicodedata

from policyqa.errors import InvalidQuestionError

_SPACES = re.compile(r"\s+")


def normalize_question(question: object, max_chars: int) -> str:
    """Strip control characters and squeeze white space; refuse empty or huge input.

    A question over the limit is an error, not a silent truncation: cutting a question
    can change what it asks.
    """
    if not isinstance(question, str):
        raise InvalidQuestionError(f"a question must be text, got {type(question).__name__}")
    if len(question) > 20 * max_chars:
        # Don't even scan a giant paste character by character.
        raise InvalidQuestionError(
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
        raise InvalidQuestionError("the question is empty: type a question about the corpus")
    if len(cleaned) > max_chars:
        raise InvalidQuestionError(
            f"the question is {len(cleaned):,} characters; the limit is {max_chars:,} "
            "(POLICYQA_MAX_QUESTION_CHARS). Ask about one thing at a time."
        )
    if not any(ch.isalnum() for ch in cleaned):
        raise InvalidQuestionError("the question has no words in it")
    return cleaned


_YES_NO_START = re.compile(
    r"^(?:and |so |but |then )?(?:can|could|may|might|is|are|was|were|do|does|did|will|would|should|shall|has|have|had)\b",
    re.I,
)


# "Can you list…", "Could you tell me…": a request in yes/no form, which wants the list,
# not "No." (a small model answered the unanswerable "Can you list the names of all 166
# firms?" with "No." and a sentence about the 166).
_REQUEST = re.compile(
    r"^(?:and |so |but |then )?(?:can|could|would|will)\s+(?:you|u)\s+(?:please\s+)?"
    r"(?:list|name|tell|give|show|explain|describe|summari[sz]e|say|provide|outline|identify|find|help)\b",
    re.I,
)


def is_yes_no(question: str) -> bool:
    text = question.strip()
    return bool(_YES_NO_START.match(text)) and not _REQUEST.match(text)
