"""The judge-based metrics end to end: the real local model served by
`python -m llama_cpp.server` on 127.0.0.1, called by ragas through `llm_factory`.

Kept small for the CI budget: one server for the module, one question end to end, and
one right/wrong pair for groundedness.
"""

from __future__ import annotations

import asyncio
import math

import pytest

from eval.testsets import load_testset, save_testset

pytestmark = [pytest.mark.llm, pytest.mark.server]


@pytest.fixture(scope="module")
def judge(built_settings, tmp_path_factory):
    from eval.judge import LocalJudgeServer, local_judge_model

    server = LocalJudgeServer(
        local_judge_model(built_settings, "default"),
        threads=built_settings.llm_threads,
        log_path=tmp_path_factory.mktemp("judge") / "server.log",
    )
    endpoint = server.start()
    yield endpoint
    server.stop()


def test_wrong_answer_scores_lower_on_groundedness(judge, built_settings):
    from ragas.metrics.collections import ResponseGroundedness

    from eval.judge import make_ragas_llm

    gold = {s.id: s for s in load_testset("gold")}["g01"]
    context = gold.reference_contexts  # the passage sentence that answers the question
    right = (
        "The ministry approved 13 foreign-invested enterprises in Beijing, Shanghai, Hainan and Shenzhen for the pilot."
    )
    wrong = (
        "The ministry rejected every application, and only 45 Brazilian banks in Guangzhou may offer telecom services."
    )
    metric = ResponseGroundedness(llm=make_ragas_llm(judge, max_tokens=32), max_retries=2)

    async def score(text: str) -> float:
        return (await metric.ascore(response=text, retrieved_contexts=context)).value

    right_score, wrong_score = asyncio.run(score(right)), asyncio.run(score(wrong))
    assert 0.0 <= wrong_score <= 1.0 and 0.0 <= right_score <= 1.0
    assert wrong_score < right_score, (right_score, wrong_score)


def test_one_judge_serves_successive_event_loops(judge):
    """ragas runs each test-set transform in a new event loop; a connection pooled in an
    earlier loop once failed every later call with "Connection error"."""
    from pydantic import BaseModel

    from eval.judge import CallLog, make_ragas_llm

    class Word(BaseModel):
        word: str

    calls = CallLog(None)
    llm = make_ragas_llm(judge, max_tokens=16, log=calls)
    for n in range(3):
        reply = asyncio.run(llm.agenerate(f"Reply with the word number {n} in English.", Word))
        assert isinstance(reply.word, str)
    assert [c.get("error") for c in calls.calls] == [None] * 3 and len(calls.calls) == 3


def test_full_run_scores_every_metric_in_range(judge, built_settings, tmp_path):
    """One question through the public API, every default judge metric plus the
    no-LLM ones, a results folder with the judge named in it."""
    from eval.metrics import DEFAULT_JUDGE_METRICS, QUICK_METRICS
    from eval.runner import RunOptions, run

    tiny = tmp_path / "tiny.jsonl"
    save_testset([s for s in load_testset("gold") if s.id == "g01"], tiny)
    result, run_dir = run(
        built_settings,
        RunOptions(
            testset=str(tiny),
            backend="extractive",
            judge_endpoint=judge,
            results_root=tmp_path / "results",
            show_progress=False,
        ),
    )
    assert set(result.summary) == set(DEFAULT_JUDGE_METRICS) | set(QUICK_METRICS)
    for name in DEFAULT_JUDGE_METRICS:
        summary = result.summary[name]
        assert summary.failed == 0, (name, [q.scores[name].note for q in result.questions])
        assert summary.scored == 1, name
        assert 0.0 <= summary.mean <= 1.0 and not math.isnan(summary.mean), name
    assert result.ok and not result.judge_problems
    assert result.info["judge"]["dialect"] == "llama.cpp"
    assert (run_dir / "report.html").is_file()
