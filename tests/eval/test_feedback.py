"""Thumbs-down answers reviewed into release tests: what the reviewer says becomes a valid
test, evidence must be an exact span, nothing reviewed is lost on quitting, a rating is
made into a test once, and the CLI does it over a real index."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from assistant.feedback import FeedbackLog, feedback_record
from eval.feedback import Reviewer, from_feedback, listing, sample_id, split_for, thumbs_down
from eval.testsets import load_testset
from tests.api.helpers import WUHAN, cli_env

SUZHOU = "and in Suzhou?"


@pytest.fixture(scope="module")
def rated(assistant, tmp_path_factory):
    """A real log: a thumbs-up, and two thumbs-down on real answers (one a follow-up)."""
    log = FeedbackLog(tmp_path_factory.mktemp("feedback") / "feedback.jsonl")
    first = assistant.ask(WUHAN)
    history = [{"role": "user", "content": WUHAN}, {"role": "assistant", "content": first.text}]
    log.append(feedback_record(first, True, owner="ann"))
    log.append(feedback_record(first, False, owner="ann"))
    log.append(feedback_record(assistant.ask(SUZHOU, history), False, history=history, owner="bob"))
    return log


def scripted(replies: list[str]):
    said: list[str] = []
    queue = list(replies)

    def ask(prompt: str) -> str:
        said.append(prompt)
        if not queue:
            raise EOFError
        return queue.pop(0)

    return ask, said.append, said


def a_sentence(passage: str) -> str:
    """One line-free sentence of a passage, as a reviewer would copy it."""
    return next(s for s in re.split(r"(?<=[.!?])\s+|\n", passage) if len(s) > 30)


def documents(assistant) -> dict[str, str]:
    return {d.id: d.text for d in assistant.snapshot.documents.values()}


def test_only_thumbs_down_are_offered_oldest_first(rated):
    down = thumbs_down(rated)
    assert [r.question for r in down] == [WUHAN, SUZHOU]
    assert thumbs_down(rated, [down[1].id[:6]]) == [down[1]]


def test_a_review_makes_a_valid_test_with_exact_evidence(rated, assistant, tmp_path):
    rating = thumbs_down(rated)[1]  # the follow-up
    passage = rating.passages[0]["passage"]
    sentence = a_sentence(passage)
    ask, say, said = scripted(
        ["y", "", "1", "this sentence is in no document", sentence, "", "no", "50%; Suzhou", "No: capped at 50%.", "q"]
    )
    reviewer = Reviewer(ask, say, documents(assistant))
    path, added = from_feedback(rated, reviewer, tmp_path / "fb.jsonl", select=[rating.id[:8]])
    assert [s.id for s in added] == [sample_id(rating)] and load_testset(str(path)) == added
    sample = added[0]
    assert sample.user_input == SUZHOU and [t.content for t in sample.history] == [WUHAN, rating.history[1].content]
    assert sample.reference_contexts == [passage, sentence] and sample.reference_doc_ids == [
        rating.passages[0]["doc_id"]
    ]
    assert sample.kind == "yesno" and sample.expected_verdict == "no" and sample.required_facts == ["50%", "Suzhou"]
    assert sample.split == split_for(rating)
    assert any("verbatim" in line for line in said), "a sentence no document holds must be refused"
    text = documents(assistant)[sample.reference_doc_ids[0]]
    assert all(c in text for c in sample.reference_contexts)


def test_unanswerable_and_skipped_ratings(rated, assistant, tmp_path):
    ask, say, _ = scripted(["n", "y", "n", ""])  # skip the first; the second: not answerable
    _, added = from_feedback(rated, Reviewer(ask, say, documents(assistant)), tmp_path / "fb.jsonl")
    assert len(added) == 1 and added[0].kind == "unanswerable" and not added[0].reference_contexts
    assert added[0].reference == "The documents do not say."


def test_quitting_keeps_what_was_reviewed_and_a_rating_becomes_a_test_once(rated, assistant, tmp_path):
    target = tmp_path / "fb.jsonl"
    ask, say, _ = scripted(["y", "n", "The documents do not say.", "q"])
    _, added = from_feedback(rated, Reviewer(ask, say, documents(assistant)), target)
    assert len(added) == 1 and len(load_testset(str(target))) == 1
    ask, say, said = scripted(["y", "n", ""])
    _, again = from_feedback(rated, Reviewer(ask, say, documents(assistant)), target)
    assert [s.user_input for s in again] == [SUZHOU]  # the first is tested already
    assert len(load_testset(str(target))) == 2
    assert "tested" in listing(rated, target) and "to review" not in listing(rated, target)


def test_splits_hold_out_about_two_in_five_stably(rated):
    rating = thumbs_down(rated)[0]
    ids = [rating.model_copy(update={"id": f"{n:032x}"}) for n in range(2000)]
    held = sum(split_for(r) == "heldout" for r in ids)
    assert 700 <= held <= 900 and split_for(rating) == split_for(rating)
    assert split_for(rating, "dev") == "dev"


def test_the_cli_lists_and_reviews_over_the_real_index(rated, built_settings, tmp_path):
    target = tmp_path / "cli.jsonl"
    base = [sys.executable, "-m", "policyqa.cli", "eval", "from-feedback", "--feedback", str(rated.path)]
    env = cli_env(built_settings)
    listed = subprocess.run([*base, "--list"], env=env, capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0 and WUHAN in listed.stdout and SUZHOU in listed.stdout
    first = thumbs_down(rated)[0]
    sentence = a_sentence(first.passages[0]["passage"])
    reviewed = subprocess.run(
        [*base, "--testset", str(target), "--select", first.id[:8], "--split", "heldout"],
        input=f"y\ny\n{sentence}\n\nno\n50%\nNo: it is capped at 50%.\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert reviewed.returncode == 0, reviewed.stderr
    (sample,) = load_testset(str(target))
    assert sample.split == "heldout" and sample.reference_contexts == [sentence] and sample.expected_verdict == "no"
    assert "policyqa eval run --testset" in reviewed.stdout
