"""Ratings log: one complete JSON line per click, with everything eval needs; comments as
lines of their own; read back per owner, newest first."""

from __future__ import annotations

import json
import threading

import pytest

from assistant.feedback import FeedbackLog, feedback_record
from assistant.types import Answer, Citation, Passage, Quote


def make_answer() -> Answer:
    p = Passage(
        chunk_id="doc:h:0001",
        doc_id="doc",
        title="T",
        publisher="P",
        date="2025-01-02",
        text="The cap is 50%.",
        start=10,
        end=25,
        score=0.8,
    )
    return Answer(
        question="What is the cap?",
        standalone_query="What is the cap?",
        text="50% [1].",
        status="grounded",
        citations=[Citation(marker=1, passage=p, quotes=[Quote(text="The cap is 50%.", start=10, end=25)])],
        passages=[p],
        backend="local",
    )


def test_record_has_question_answer_citations_backend_time():
    rec = feedback_record(make_answer(), True, top_k=3, filters={"publishers": ["P"]})
    assert rec["rating"] == "up" and rec["question"] == "What is the cap?" and rec["answer"] == "50% [1]."
    assert rec["backend"] == "local" and rec["timestamp"].endswith("+00:00")
    assert rec["citations"][0]["doc_id"] == "doc" and rec["citations"][0]["quotes"][0]["text"] == "The cap is 50%."
    assert rec["top_k"] == 3 and rec["filters"] == {"publishers": ["P"]}
    assert feedback_record(make_answer(), False)["rating"] == "down"


def test_concurrent_appends_give_whole_lines(tmp_path):
    log = FeedbackLog(tmp_path / "sub" / "feedback.jsonl")
    big = feedback_record(make_answer(), True)
    big["answer"] = "x" * 200_000

    def worker():
        for _ in range(10):
            log.append(big)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = (tmp_path / "sub" / "feedback.jsonl").read_text().splitlines()
    assert len(lines) == 60 and all(json.loads(line)["answer"] == "x" * 200_000 for line in lines)
    assert len(log.read()) == 60


def test_a_rating_keeps_its_history_owner_and_every_retrieved_passage():
    history = [{"role": "user", "content": "What is the cap?"}, {"role": "assistant", "content": "50% [1]."}]
    rec = feedback_record(make_answer(), False, history=history, owner="user:ann")
    assert rec["owner"] == "user:ann" and rec["history"] == history and len(rec["id"]) == 32
    assert rec["retrieved_passages"][0]["passage"] == "The cap is 50%." and rec["retrieved"] == ["doc:h:0001"]


def test_ratings_are_read_per_owner_newest_first_with_their_latest_comment(tmp_path):
    log = FeedbackLog(tmp_path / "feedback.jsonl")
    first = {**feedback_record(make_answer(), False, owner="ann"), "timestamp": "2026-01-01T00:00:00+00:00"}
    second = {**feedback_record(make_answer(), True, owner="ann"), "timestamp": "2026-01-02T00:00:00+00:00"}
    bobs = feedback_record(make_answer(), False, owner="bob")
    for record in (first, second, bobs):
        log.append(record)
    log.comment(first["id"], "ann", "  wrong   cap ")
    log.comment(first["id"], "ann", "the cap is for VPNs only")
    assert [r.id for r in log.ratings("ann")] == [second["id"], first["id"]]
    assert log.ratings("ann")[1].comment == "the cap is for VPNs only"
    assert [r.id for r in log.ratings("bob")] == [bobs["id"]] and len(log.ratings()) == 3
    with pytest.raises(KeyError):
        log.comment(first["id"], "bob", "not mine")  # another owner's rating
    with pytest.raises(KeyError):
        log.comment(first["id"], None, "from nobody")
    log.append({"type": "comment", "id": first["id"], "owner": "bob", "comment": "forged"})
    assert log.ratings("ann")[1].comment == "the cap is for VPNs only"


def test_old_lines_and_broken_lines_are_read_without_loss(tmp_path):
    path = tmp_path / "feedback.jsonl"
    old = feedback_record(make_answer(), False)
    for key in ("id", "type", "owner", "history", "retrieved_passages"):
        old.pop(key)
    path.write_text(json.dumps(old) + "\n{not json\n[1, 2]\n", encoding="utf-8")
    log = FeedbackLog(path)
    ratings = log.ratings()
    assert len(ratings) == 1 and log.unreadable == 2
    assert ratings[0].id == FeedbackLog(path).ratings()[0].id  # a stable id for a line without one
    assert ratings[0].passages[0]["passage"] == "The cap is 50%."  # from its citations
    assert "[1] T: The cap is 50%." == ratings[0].sources
