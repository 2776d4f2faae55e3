"""The answer benchmark's scoring, on real answers of the extractive backend."""

from __future__ import annotations

from benchmarks.answers import has_fact, run_backend, summarize
from eval.testsets import load_testset


def test_facts_match_whole_numbers_and_ignore_thousands_separators():
    assert has_fact("50", "capped at 50% for VPNs")
    assert not has_fact("50", "capped at 150%")
    assert not has_fact("5", "version 5.1")
    assert has_fact("2,400", "over 2400 companies")
    assert has_fact("Wuhan", "cities such as wuhan and Suzhou")
    assert has_fact("November 15", "no later than November 15th")
    assert has_fact("30 days|thirty days", "within thirty days")
    assert not has_fact("30 days|thirty days", "within 60 days")


def test_facts_in_chinese_need_no_word_boundary_but_numbers_still_do():
    assert has_fact("30 天", "如果您在订阅后 30 天内取消帐户")
    assert has_fact("30", "订阅后30天内")
    assert not has_fact("30", "订阅后130天内")
    assert not has_fact("Monate", "25 Monaten")


def test_a_small_real_run_scores_verdicts_refusals_and_citations(assistant):
    samples = [s for s in load_testset() if s.id in {"g01", "g40", "g42", "g68"}]  # an off-topic question
    rows = run_backend(assistant, "extractive", samples, show=False)
    by_id = {r["id"]: r for r in rows}
    assert by_id["g40"]["verdict_ok"] and by_id["g42"]["verdict_ok"]  # Wuhan 100%: no; Suzhou 50%: yes
    assert by_id["g68"]["refused_ok"] and not by_id["g01"]["false_refusal"]
    summary = summarize("extractive", rows)
    assert summary["verdicts"] == "2/2" and summary["refused_unanswerable"] == "1/1"
    assert {r["split"] for r in rows} == {"dev"}
    assert 0.5 <= summary["citation_precision"] <= 1.0
    assert summary["facts"] == 1.0 and summary["citation_recall"] == 1.0
    assert 0 < summary["evidence_p50_s"] <= summary["total_p95_s"]
