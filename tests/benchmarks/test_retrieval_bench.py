"""The retrieval benchmark's scoring, and a small real run of it."""

from __future__ import annotations

from benchmarks.retrieval import best_threshold, by_language, evaluate, language_group, rank_metrics, summarize
from eval.testsets import load_testset


def test_rank_metrics_counts_first_overlapping_passage():
    spans = [("d", 100, 200)]
    ranked = [("d", 0, 50), ("e", 100, 200), ("d", 150, 300)]
    assert rank_metrics(ranked, spans) == {"hit@1": 0.0, "hit@3": 1.0, "mrr": 1 / 3, "all@3": 1.0}
    assert rank_metrics(ranked[:2], spans)["mrr"] == 0.0


def test_questions_are_grouped_by_language_and_across_languages():
    assert language_group("de", {"de"}) == "de"
    assert language_group("en", {"zh"}) == "cross-language"
    assert language_group("en", {None}) == "en"  # evidence of unknown language: not across
    rows = [
        {"group": "de", "hit@3": 1.0, "mrr": 1.0},
        {"group": "de", "hit@3": 0.0, "mrr": 0.0},
        {"group": "cross-language", "hit@3": 1.0, "mrr": 0.5},
    ]
    assert by_language(rows) == {
        "cross-language": {"questions": 1, "hit@3": 1.0, "mrr": 0.5},
        "de": {"questions": 2, "hit@3": 0.5, "mrr": 0.5},
    }


def test_best_threshold_separates_when_it_can():
    threshold, accuracy = best_threshold([0.6, 0.7, 0.8], [0.1, 0.2])
    assert accuracy == 1.0 and 0.2 < threshold <= 0.6


def test_a_small_real_run_beats_the_peer_baselines(assistant):
    samples = [s for s in load_testset() if s.id in {"g19", "g22", "g40", "g42", "g68", "g69"}]
    result = evaluate(assistant, samples, ["dense", "llamaindex-hybrid", "full"])
    rows = {r["method"]: r for r in summarize(result, "dev")}
    assert rows["full"]["hit@3"] == 1.0 and rows["full"]["false_refusals"] == "0/4"
    assert rows["full"]["mrr"] >= max(rows["dense"]["mrr"], rows["llamaindex-hybrid"]["mrr"])
