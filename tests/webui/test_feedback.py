"""Feedback log: one complete JSON line per click, with everything eval needs."""

from __future__ import annotations

import json
import threading

from assistant.types import Answer, Citation, Passage, Quote
from webui.feedback import FeedbackLog, feedback_record


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
