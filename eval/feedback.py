"""Thumbs-down answers made into release tests: `policyqa eval from-feedback`.

A thumbs-down says an answer was wrong, not what right would have been, so every test is
reviewed by a person: for each selected rating the reviewer sees the question, the turns
before it, the answer given, the user's comment and the passages the answer had, and says
whether the documents answer it, which passages (or which exact sentences of a document)
hold the evidence, the expected yes/no verdict and the facts a right answer must contain.
A sentence is accepted only if an indexed document holds it verbatim, so every reference
span is exact. Each reviewed test is written at once (quitting loses nothing), into
`eval/testsets/feedback.jsonl` by default, which `policyqa eval run --testset feedback`
and the benchmarks run like any other set.

Splits: a test goes to the held-out part for two ratings in five, by a hash of the
rating's id (stable, and not chosen by the reviewer), so that fixes made while looking at
the dev part are checked on questions nobody tuned on.
"""

from __future__ import annotations

import hashlib
import re
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from assistant.feedback import FeedbackLog, Rating
from eval.testsets import Sample, load_testset, save_testset, testset_path

Ask = Callable[[str], str]
Say = Callable[[str], None]
SplitChoice = Literal["auto", "dev", "heldout"]
HELDOUT_IN_FIVE = 2
ID_PREFIX = "fb-"
SHOWN_CHARS = 400


class ReviewQuit(Exception):
    """The reviewer asked to stop; what was reviewed so far is kept."""


def thumbs_down(log: FeedbackLog, select: Sequence[str] = ()) -> list[Rating]:
    """The thumbs-down ratings, oldest first; with `select`, those whose id starts with one of them."""
    down = [r for r in reversed(log.ratings()) if r.rating == "down"]
    if select:
        down = [r for r in down if any(r.id.startswith(s) for s in select)]
    return down


def _path(testset: str | Path) -> Path:
    """A test set's file: a .jsonl path as given (it may not exist yet), else a name under eval/testsets/."""
    return Path(testset) if str(testset).endswith(".jsonl") else testset_path(str(testset))


def _tests(path: Path) -> list[Sample]:
    """The tests already in a test set's file (none before it is written)."""
    return load_testset(str(path)) if path.exists() else []


def sample_id(rating: Rating) -> str:
    return ID_PREFIX + rating.id[:12]


def split_for(rating: Rating, choice: SplitChoice = "auto") -> Literal["dev", "heldout"]:
    if choice != "auto":
        return choice
    return "heldout" if int(hashlib.sha256(rating.id.encode()).hexdigest(), 16) % 5 < HELDOUT_IN_FIVE else "dev"


def describe(rating: Rating) -> str:
    """The rating as the reviewer reads it: question, history, answer, comment, passages."""
    lines = [f"{rating.timestamp}  id {rating.id[:8]}  status {rating.status or '?'}, verdict {rating.verdict}"]
    for turn in rating.history:
        lines.append(f"  earlier {turn.role}: {_short(turn.content)}")
    lines += [f"Question: {rating.question}", f"Answer given: {_short(rating.answer)}"]
    if rating.comment:
        lines.append(f"Comment: {rating.comment}")
    lines.append("Passages the answer had:" if rating.passages else "The answer had no passages.")
    for n, p in enumerate(rating.passages, 1):
        source = p.get("title") or p.get("doc_id")
        lines.append(textwrap.indent(f"[{n}] {source} ({p.get('doc_id')}): {_short(p.get('passage', ''))}", "  "))
    return "\n".join(lines)


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + " …"


class Reviewer:
    """Asks a person about one rating at a time and makes the test they describe.

    `documents` maps a document id to its indexed text: a sentence the reviewer types must
    be found in one of them verbatim (empty: only passage numbers are accepted)."""

    def __init__(self, ask: Ask, say: Say, documents: dict[str, str], split: SplitChoice = "auto"):
        self.ask, self.say, self.documents, self.split = ask, say, documents, split

    def _answer(self, prompt: str) -> str:
        reply = self.ask(prompt).strip()
        if reply.casefold() in {"q", "quit"}:
            raise ReviewQuit
        return reply

    def _yes(self, prompt: str, default: bool | None = None) -> bool:
        while True:
            reply = self._answer(prompt).casefold()
            if reply in {"y", "yes"} or (not reply and default is True):
                return True
            if reply in {"n", "no"} or (not reply and default is False):
                return False
            self.say("Answer y or n (q stops the review).")

    def review(self, rating: Rating) -> Sample | None:
        """The test the reviewer makes of `rating`, or None when they skip it."""
        self.say(describe(rating))
        if not self._yes("Make a release test of it? [y/n, q to stop] "):
            return None
        answerable = self._yes("Do the documents answer it? [Y/n] ", default=True)
        contexts, doc_ids = self._evidence(rating) if answerable else ([], [])
        verdict = self._verdict() if answerable else None
        facts = self._facts() if answerable else []
        reference = self._answer("A right answer, in a sentence or two: ") or (
            "" if answerable else "The documents do not say."
        )
        while answerable and not reference:
            reference = self._answer("A right answer is needed for an answerable question: ")
        kind = "unanswerable" if not answerable else "yesno" if verdict else "followup" if rating.history else "fact"
        return Sample(
            id=sample_id(rating),
            split=split_for(rating, self.split),
            user_input=rating.question,
            history=rating.history,
            reference=reference,
            reference_contexts=contexts,
            reference_doc_ids=doc_ids,
            kind=kind,
            expected_verdict=verdict,
            required_facts=facts,
            filters=rating.filters or None,
        )

    def _evidence(self, rating: Rating) -> tuple[list[str], list[str]]:
        passages = rating.passages
        contexts: list[str] = []
        doc_ids: list[str] = []
        self.say(
            "Evidence: the numbers of passages above that hold it (e.g. 1,3), or a sentence copied exactly "
            "from a document as it reads; one per line, an empty line when done."
        )
        while True:
            reply = self._answer("evidence> ")
            if not reply:
                if contexts:
                    return contexts, doc_ids
                self.say("An answerable test needs its evidence: give at least one passage or sentence.")
                continue
            if re.fullmatch(r"[\d,\s]+", reply):
                numbers = [int(n) for n in re.findall(r"\d+", reply)]
                if not numbers or any(not 1 <= n <= len(passages) for n in numbers):
                    self.say(f"Passage numbers go from 1 to {len(passages)}.")
                    continue
                found = [(passages[n - 1]["passage"], passages[n - 1]["doc_id"]) for n in numbers]
            else:
                doc_id = next((d for d, text in self.documents.items() if reply in text), None)
                if doc_id is None:
                    self.say("No indexed document holds that sentence verbatim; copy it as the document reads.")
                    continue
                found = [(reply, doc_id)]
            for text, doc_id in found:
                if text not in contexts:
                    contexts.append(text)
                if doc_id not in doc_ids:
                    doc_ids.append(doc_id)

    def _verdict(self) -> Literal["yes", "no"] | None:
        while True:
            reply = self._answer("Expected verdict: yes, no, or empty when it is not a yes/no question: ").casefold()
            if reply in {"", "yes", "no"}:
                return reply or None  # type: ignore[return-value]
            self.say("Type yes, no, or nothing.")

    def _facts(self) -> list[str]:
        reply = self._answer("Facts a right answer must contain, separated by ';' (empty: none): ")
        return [f.strip() for f in reply.split(";") if f.strip()]


def from_feedback(
    log: FeedbackLog,
    reviewer: Reviewer,
    testset: str | Path = "feedback",
    select: Sequence[str] = (),
) -> tuple[Path, list[Sample]]:
    """Review the selected thumbs-down ratings not yet in `testset` and add the tests made
    of them; returns the test set's path and the new tests."""
    path = _path(testset)
    existing = _tests(path)
    done = {s.id for s in existing}
    pending = [r for r in thumbs_down(log, select) if sample_id(r) not in done]
    if log.unreadable:
        reviewer.say(f"({log.unreadable} line(s) of {log.path} could not be read and were skipped)")
    if not pending:
        reviewer.say("No thumbs-down answer is waiting for review.")
        return path, []
    added: list[Sample] = []
    for n, rating in enumerate(pending, 1):
        reviewer.say(f"\n--- {n}/{len(pending)} ---")
        try:
            sample = reviewer.review(rating)
        except (ReviewQuit, EOFError):
            reviewer.say("Stopped; the tests reviewed so far are saved.")
            break
        if sample is not None:
            added.append(sample)
            save_testset(existing + added, path)
            reviewer.say(f"Saved {sample.id} ({sample.split}) to {path}.")
    return path, added


def listing(log: FeedbackLog, testset: str | Path = "feedback") -> str:
    """The thumbs-down ratings, a line each, marking those already made into tests."""
    path = _path(testset)
    done = {s.id for s in _tests(path)}
    lines = []
    for r in thumbs_down(log):
        mark = "tested" if sample_id(r) in done else "to review"
        comment = f"  ({_short(r.comment)})" if r.comment else ""
        lines.append(f"{r.id[:8]}  {r.timestamp}  {mark:9s}  {_short(r.question)}{comment}")
    return "\n".join(lines) if lines else "No thumbs-down answers yet."
