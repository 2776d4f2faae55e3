"""A question translated into the language of the documents it is searched in.

When none of the documents searched is in the asker's language (a collection published in
one language and read in another, or a language filter), the question shares no words
with them: BM25 and query-term coverage see nothing, and only the multilingual
embeddings bridge the two languages, across a gap they bridge less well than the same
language. Searched in the documents' own language, every retrieval signal works as it
does for a question asked in it. The generator translates; the answer is still written
in the asker's language, from the question as asked.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable

from assistant.prompts import translation_messages
from index.language import detect_among, language_name
from index.snapshot import Snapshot
from policyqa.errors import BackendError

log = logging.getLogger(__name__)

TOKENS_PER_CHAR = 0.5  # a generous budget for the translation: a token is 2-4 characters
MIN_TOKENS = 32


def searched_languages(snapshot: Snapshot, allowed: set[str] | None) -> tuple[str, ...]:
    """The languages of the documents a question is searched in (`allowed`: those the
    filters leave; None: all), the most documents first."""
    counts = Counter(
        code for doc_id, code in snapshot.document_languages.items() if allowed is None or doc_id in allowed
    )
    return tuple(code for code, _ in counts.most_common())


Translate = Callable[[str, str], "tuple[str, str] | None"]


def translator(snapshot: Snapshot, allowed: set[str] | None, generator_for: Callable[[], object | None]) -> Translate:
    """translate(text, asker's language) -> (the text in the language most of the
    documents searched are in, that language), or None when some of them are in the
    asker's language, or there is no generator, or it fails (an error, or a reply still in
    the asker's language: a small model at times rewrites the question instead): the
    question is then searched as asked, which the multilingual embeddings still match
    across languages. `generator_for` is called only when a translation is needed, so a
    generator is loaded only then."""

    def translate(text: str, language: str) -> tuple[str, str] | None:
        searched = searched_languages(snapshot, allowed)
        if not searched or language in searched:
            return None
        generator = generator_for()
        if generator is None:
            return None
        target = searched[0]
        budget = max(MIN_TOKENS, int(len(text) * TOKENS_PER_CHAR) + MIN_TOKENS)
        messages = translation_messages(text, language_name(target).capitalize())
        try:
            translation = clean("".join(generator.stream_chat(messages, budget)))
        except BackendError as exc:
            log.warning("question not translated into %s: %s", target, exc)
            return None
        if translation is None:
            return None
        if detect_among(translation, (target, language)) == language:
            log.info("question not translated into %s: the reply is in the asker's language", target)
            return None
        return translation, target

    return translate


def clean(reply: str) -> str | None:
    """The translation out of a reply: its lines joined, without quotes around it."""
    text = " ".join(line.strip() for line in reply.splitlines() if line.strip())
    return text.strip("\"'“”„«»「」 ") or None
