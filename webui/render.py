"""HTML for chat messages, sources and the status line.

Every string that comes from the corpus, a model or a user goes through `esc()` before
it is put into markup: one article carries raw `<img ...>` debris, and an uploaded
document or a model can carry anything. The chatbot shows these fragments with
Markdown off and Gradio's sanitizer on, so escaping here is the first of two locks.
Fragments never contain a blank line, so no Markdown renderer would touch them either.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterable, Sequence

from assistant.types import Answer, Citation, Evidence, Passage

_MARKERS = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


def esc(text: object) -> str:
    """Escape for element content and quoted attributes; newlines become <br>."""
    return html.escape(str(text), quote=True).replace("\r", "").replace("\n", "<br>")


def new_uid() -> str:
    """A per-answer prefix so anchors of different answers never collide."""
    return uuid.uuid4().hex[:10]


def source_id(uid: str, marker: int) -> str:
    return f"pqa-{uid}-{marker}"


# -- pieces ---------------------------------------------------------------------------


def merge_spans(spans: Iterable[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """Clip spans to [0, length], drop empty ones, merge overlaps; sorted."""
    clipped = sorted((max(0, s), min(length, e)) for s, e in spans)
    merged: list[tuple[int, int]] = []
    for start, end in clipped:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """`text` escaped, with each span wrapped in <mark class="pqa-quote">."""
    out, pos = [], 0
    for start, end in merge_spans(spans, len(text)):
        out += [esc(text[pos:start]), '<mark class="pqa-quote">', esc(text[start:end]), "</mark>"]
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


def quote_spans(citation: Citation) -> list[tuple[int, int]]:
    """Where each supporting sentence sits inside the cited passage.

    Quotes carry document offsets; the passage starts at `passage.start`. If an offset
    does not land on the quoted text (it should), fall back to finding the text."""
    passage = citation.passage
    spans = []
    for quote in citation.quotes:
        start, end = quote.start - passage.start, quote.end - passage.start
        if 0 <= start < end <= len(passage.text) and passage.text[start:end] == quote.text:
            spans.append((start, end))
            continue
        found = passage.text.find(quote.text) if quote.text else -1
        if found >= 0:
            spans.append((found, found + len(quote.text)))
    return spans


def source_meta(passage: Passage) -> str:
    """'Section · publisher · date · language', escaped; empty fields are left out."""
    bits = [b for b in (passage.heading, passage.publisher, passage.date, passage.language) if b]
    return " · ".join(esc(b) for b in bits)


def safe_url(url: str | None) -> str | None:
    """Only plain http(s) links become clickable."""
    if url and re.match(r"^https?://[^\s\"'<>]+$", url, re.I):
        return url
    return None


def link_markers(escaped_text: str, uid: str, markers: set[int]) -> str:
    """Turn [n] (and [n, m]) in already-escaped text into links to the sources."""

    def repl(match: re.Match) -> str:
        numbers = [int(n) for n in re.split(r"\s*,\s*", match.group(1))]
        if not all(n in markers for n in numbers):
            return match.group(0)
        return "".join(
            f'<a class="pqa-cite" href="#{source_id(uid, n)}" title="Show source {n}">[{n}]</a>' for n in numbers
        )

    return _MARKERS.sub(repl, escaped_text)


def source_html(citation: Citation, uid: str) -> str:
    """One cited source: header and supporting sentence always visible, passage on open."""
    p = citation.passage
    spans = quote_spans(citation)
    quotes = [q.text for q in citation.quotes] or [p.text[s:e] for s, e in spans]
    meta = source_meta(p)
    url = safe_url(p.url)
    quote_html = "".join(f'<span class="pqa-src-quote"><mark class="pqa-quote">{esc(q)}</mark></span>' for q in quotes)
    foot = [f"<code>{esc(p.doc_id)}</code>", f"characters {p.start:,}–{p.end:,}"]
    if url:
        foot.append(f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer nofollow">{esc(url)}</a>')
    return (
        f'<details class="pqa-source" id="{source_id(uid, citation.marker)}">'
        f'<summary><span class="pqa-n">{citation.marker}</span>'
        f'<span class="pqa-src-head"><span class="pqa-src-title">{esc(p.label)}</span>'
        + (f'<span class="pqa-src-meta">{meta}</span>' if meta else "")
        + f"</span>{quote_html}</summary>"
        f'<div class="pqa-passage">{highlight(p.text, spans)}</div>'
        f'<div class="pqa-src-foot">{" · ".join(foot)}</div>'
        "</details>"
    )


def passage_list_html(passages: Sequence[Passage]) -> str:
    items = "".join(
        f'<li><span class="pqa-src-title">{esc(p.label)}</span>'
        + (f' <span class="pqa-src-meta">{source_meta(p)}</span>' if source_meta(p) else "")
        + f'<div class="pqa-passage">{esc(p.text)}</div></li>'
        for p in passages
    )
    return f'<ol class="pqa-nearby-list">{items}</ol>'


def _seconds(answer: Answer) -> str:
    total = answer.timings.get("total")
    return f"{total:.1f} s" if total is not None else ""


# -- whole messages -------------------------------------------------------------------


def question_html(question: str) -> str:
    return f'<div class="pqa-question">{esc(question)}</div>'


def _searched_as(answer: Answer) -> str:
    """What was searched for, when it was the question's translation or took in the
    collection's other spelling of its acronyms and names: a mistranslation or a wrong
    expansion explains sources that miss the point."""
    notes = ""
    if answer.searched_as:
        notes += f'<div class="pqa-note">Searched in the documents\' language as: {esc(answer.searched_as)}</div>'
    if answer.also_searched:
        notes += f'<div class="pqa-note">Also searched for: {esc("; ".join(answer.also_searched))}</div>'
    return notes


def answer_html(answer: Answer, uid: str | None = None) -> str:
    """The final message: answer with linked markers, then its sources."""
    uid = uid or new_uid()
    if answer.refused:
        return refused_html(answer)
    markers = {c.marker for c in answer.citations}
    body = link_markers(esc(answer.text), uid, markers)
    badges = []
    if answer.verdict:
        badges.append(f'<span class="pqa-badge pqa-verdict-{answer.verdict}">{answer.verdict.capitalize()}</span>')
    n = len(answer.citations)
    badges.append(f'<span class="pqa-badge pqa-grounded">Grounded · {n} source{"s" if n != 1 else ""}</span>')
    note = _searched_as(answer)
    if answer.fallback_reason:
        note += f'<div class="pqa-note">Evidence-only answer: {esc(answer.fallback_reason)}</div>'
    sources = "".join(source_html(c, uid) for c in sorted(answer.citations, key=lambda c: c.marker))
    foot = " · ".join(b for b in (esc(answer.backend), _seconds(answer)) if b)
    return (
        f'<div class="pqa-answer pqa-answer-grounded">'
        f'<div class="pqa-badges">{"".join(badges)}</div>'
        f'<div class="pqa-text">{body}</div>{note}'
        + (f'<div class="pqa-sources"><div class="pqa-sources-title">Sources</div>{sources}</div>' if sources else "")
        + f'<div class="pqa-foot">{foot}</div></div>'
    )


def refused_html(answer: Answer) -> str:
    """'Not in the corpus' looks different: a muted box, no sources, what was found."""
    reason = _searched_as(answer)
    if answer.fallback_reason:
        reason += f'<div class="pqa-note">{esc(answer.fallback_reason)}</div>'
    nearby = ""
    if answer.passages:
        nearby = (
            f'<details class="pqa-nearby"><summary>Closest passages found ({len(answer.passages)}), '
            f"not strong enough to answer from</summary>{passage_list_html(answer.passages)}</details>"
        )
    foot = " · ".join(b for b in (esc(answer.backend), _seconds(answer)) if b)
    return (
        '<div class="pqa-answer pqa-answer-refused">'
        '<div class="pqa-badges"><span class="pqa-badge pqa-refused">Not in the corpus</span></div>'
        f'<div class="pqa-text">{esc(answer.text)}</div>{reason}{nearby}'
        f'<div class="pqa-foot">{foot}</div></div>'
    )


def pending_html(evidence: Evidence | None, text: str = "") -> str:
    """While streaming: what was found so far and the text generated so far."""
    if evidence is None:
        progress = "Searching the corpus…"
    elif evidence.refused:
        progress = "Checking the evidence…"
    else:
        n = len(evidence.passages)
        docs = len({p.doc_id for p in evidence.passages})
        progress = f"Found {n} passage{'s' if n != 1 else ''} in {docs} document{'s' if docs != 1 else ''} · writing the answer…"
    body = f'<div class="pqa-text">{esc(text)}<span class="pqa-cursor"></span></div>' if text else ""
    return f'<div class="pqa-answer pqa-answer-pending">{body}<div class="pqa-progress">{esc(progress)}</div></div>'


def stopped_html() -> str:
    return (
        '<div class="pqa-answer pqa-answer-stopped"><div class="pqa-badges">'
        '<span class="pqa-badge pqa-stopped">Stopped</span></div></div>'
    )


def error_html(message: str) -> str:
    return (
        '<div class="pqa-answer pqa-answer-error"><div class="pqa-badges"><span class="pqa-badge pqa-error">Error</span></div>'
        f'<div class="pqa-text">{esc(message)}</div></div>'
    )


def status_html(status: dict, generator: str) -> str:
    """The line under the title: which model answers and what is indexed."""
    built = str(status.get("built_at") or "")
    built = built.replace("T", " ")[:16] if built else "never"
    loading = "loading" in generator
    dot = "pqa-dot-loading" if loading else ("pqa-dot-off" if "unavailable" in generator else "pqa-dot-ok")
    return (
        '<div class="pqa-status">'
        f'<span class="pqa-dot {dot}"></span><span><b>Model</b> {esc(generator)}</span>'
        f"<span><b>Index</b> {int(status.get('documents', 0))} documents · {int(status.get('chunks', 0))} chunks</span>"
        f"<span><b>Built</b> {esc(built)} (generation {esc(status.get('generation', '?'))})</span>"
        f"<span><b>Embeddings</b> {esc(status.get('embed_model', ''))}</span>"
        + (
            '<span class="pqa-status-note">answers are evidence-only until the model has loaded</span>'
            if loading
            else ""
        )
        + "</div>"
    )


RATING_LABELS = {"up": "👍", "down": "👎"}


def _rated(r) -> tuple[str, str]:
    """(when, rating) of a rating as the tab shows them: minutes, and a thumb."""
    return r.timestamp.replace("T", " ")[:16], RATING_LABELS.get(r.rating, r.rating)


def rating_rows(ratings) -> list[list]:
    """Rows for the feedback table: when, the rating, the question, the answer as given,
    its sources and the comment (plain strings: the table shows them as text)."""
    return [
        [
            *_rated(r),
            r.question,
            r.answer,
            r.sources or "—",
            r.comment,
        ]
        for r in ratings
    ]


def rating_choices(ratings) -> list[tuple[str, str]]:
    """(label, id) of each rating, for picking one to comment on."""
    return [(" ".join([*_rated(r), r.question[:70]]), r.id) for r in ratings]


def document_rows(snapshot) -> list[list]:
    """Rows for the corpus table (plain strings: the table shows them as text)."""
    counts: dict[str, int] = {}
    for chunk in snapshot.chunks:
        counts[chunk.doc_id] = counts.get(chunk.doc_id, 0) + 1
    return [
        [
            doc.id,
            doc.title or "—",
            doc.publisher or "—",
            doc.date or "—",
            doc.language or "—",
            counts.get(doc.id, 0),
            doc.source,
        ]
        for doc in sorted(snapshot.documents.values(), key=lambda d: d.id)
    ]
