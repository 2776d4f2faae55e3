"""The eval suite without a judge: the --quick mode CI runs on every change, the gate,
the report, and a judge that is down. Real index, real embeddings, real ragas metrics."""

from __future__ import annotations

import json
import math

import pytest

from eval.metrics import JUDGE_METRICS, METRICS, QUICK_METRICS, Score, summarize
from eval.testsets import load_testset


@pytest.fixture(scope="module")
def quick_run(built_settings, tmp_path_factory):
    """`policyqa eval run --quick` through the real CLI, extractive backend."""
    from policyqa.cli import main

    results = tmp_path_factory.mktemp("eval-results")
    code = main(
        [
            "--data-dir",
            str(built_settings.data_dir),
            "eval",
            "run",
            "--quick",
            "--backend",
            "extractive",
            "--results-dir",
            str(results),
            "--no-progress",
        ]
    )
    runs = sorted(p for p in results.iterdir() if p.is_dir())
    return code, runs[-1], results


def test_quick_run_writes_scores_report_and_summary(quick_run):
    code, run_dir, _ = quick_run
    assert code == 0
    data = json.loads((run_dir / "results.json").read_text())
    assert data["mode"] == "quick"
    assert len(data["questions"]) == 16
    kinds = {q["kind"] for q in data["questions"]}
    assert kinds == {s.kind for s in load_testset("gold")}, "the quick sample covers every kind of question"
    assert set(data["summary"]) == set(QUICK_METRICS), "no judge metric in quick mode"
    for name, summary in data["summary"].items():
        assert summary["failed"] == 0, name
        assert summary["scored"] + summary["not_applicable"] == 16, name
        for value in summary["values"]:
            assert 0.0 <= value <= 1.0 and not math.isnan(value), name
    # Retrieval finds most reference contexts even without a generator.
    assert data["summary"]["id_context_recall"]["mean"] >= 0.5
    assert data["summary"]["nonllm_context_recall"]["mean"] >= 0.5
    assert data["info"]["backend"] == "extractive"
    assert len(data["info"]["corpus_hash"]) == 16 and data["info"]["commit"]
    html = (run_dir / "report.html").read_text()
    assert "<svg" in html and "<script" not in html.lower()
    assert "Per question" in html and data["questions"][0]["id"] in html
    md = (run_dir / "summary.md").read_text()
    assert "| id_context_recall |" in md


def test_no_judge_run_scores_every_question_of_the_synthetic_set(built_settings, tmp_path):
    """`--no-judge`: the no-LLM metrics on every question, the committed synthetic set."""
    from policyqa.cli import main

    code = main(
        [
            "--data-dir",
            str(built_settings.data_dir),
            "eval",
            "run",
            "--no-judge",
            "--testset",
            "synthetic",
            "--backend",
            "extractive",
            "--results-dir",
            str(tmp_path),
            "--no-progress",
        ]
    )
    data = json.loads((next(p for p in tmp_path.iterdir() if p.is_dir()) / "results.json").read_text())
    assert code == 0 and data["mode"] == "no-judge" and data["testset"] == "synthetic"
    assert len(data["questions"]) == len(load_testset("synthetic"))
    assert set(data["summary"]) == set(QUICK_METRICS)
    assert data["summary"]["id_context_recall"]["scored"] == len(data["questions"])


def test_gate_fails_on_a_threshold_above_the_measured_score(quick_run, tmp_path, capsys):
    from policyqa.cli import main

    _, run_dir, _ = quick_run
    measured = json.loads((run_dir / "results.json").read_text())["summary"]["id_context_recall"]["mean"]
    strict = tmp_path / "strict.toml"
    strict.write_text(
        f"[quick.metrics.id_context_recall]\nmin = {min(1.0, measured + 0.01):.4f}\n"
        f"[quick.metrics.semantic_similarity]\nmin = 0.0\n"
    )
    assert main(["eval", "gate", str(run_dir), "--thresholds", str(strict)]) == 1
    out = capsys.readouterr()
    assert "id_context_recall" in out.err and "FAILED" in out.err
    assert "semantic_similarity" not in out.err.split("FAILED", 1)[1]

    lenient = tmp_path / "lenient.toml"
    lenient.write_text(
        f"[quick.metrics.id_context_recall]\nmin = {measured - 0.01:.4f}\n"
        "[quick.metrics.faithfulness]\nmin = 0.9\n"  # not measured in quick mode: skipped
        "[metrics.id_context_recall]\nmin = 1.1\n"
    )  # a full run's bound: not a quick run's
    assert main(["eval", "gate", str(run_dir), "--thresholds", str(lenient)]) == 0
    assert "skipped" in capsys.readouterr().out


def test_committed_thresholds_pass_on_the_quick_run(quick_run):
    """The CI gate: committed no-LLM thresholds hold for the extractive quick run."""
    from eval.gate import evaluate_gate
    from eval.runner import load_run

    _, run_dir, _ = quick_run
    gate = evaluate_gate(load_run(run_dir))
    assert gate.passed, gate.message()
    assert any(c.status == "pass" for c in gate.checks)


@pytest.mark.llm
def test_the_quick_gate_passes_with_the_default_backend(built_settings, tmp_path, monkeypatch):
    """`policyqa eval run --quick --gate` as a fresh clone runs it: the local model."""
    from policyqa.cli import main

    monkeypatch.setenv("POLICYQA_MODEL_DIR", str(built_settings.model_dir))

    code = main(
        [
            "--data-dir",
            str(built_settings.data_dir),
            "eval",
            "run",
            "--quick",
            "--gate",
            "--results-dir",
            str(tmp_path),
            "--no-progress",
        ]
    )
    data = json.loads((next(p for p in tmp_path.iterdir() if p.is_dir()) / "results.json").read_text())
    assert data["info"]["backend"] == "local"
    assert code == 0, data.get("gate")


def test_second_run_is_compared_with_the_first(quick_run, built_settings):
    from eval.runner import RunOptions, run

    _, first, results = quick_run
    result, run_dir = run(
        built_settings, RunOptions(quick=True, backend="extractive", limit=3, results_root=results, show_progress=False)
    )
    html = (run_dir / "report.html").read_text()
    assert f"Previous run: {first.name}" in html
    assert "change against the previous run" in html


def test_judge_that_is_down_gives_a_clear_error_before_answering(built_settings, tmp_path, capsys):
    from eval.judge import free_port
    from policyqa.cli import main

    url = f"http://127.0.0.1:{free_port()}/v1"
    code = main(
        [
            "--data-dir",
            str(built_settings.data_dir),
            "eval",
            "run",
            "--backend",
            "extractive",
            "--judge-url",
            url,
            "--judge-model",
            "x",
            "--results-dir",
            str(tmp_path),
            "--no-progress",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert f"the judge at {url} is not reachable" in err
    assert "answering" not in err  # failed fast, before any question


def test_unknown_testset_and_bad_thresholds_are_clear_errors(built_settings, tmp_path, capsys):
    from policyqa.cli import main

    assert (
        main(
            [
                "--data-dir",
                str(built_settings.data_dir),
                "eval",
                "run",
                "--quick",
                "--testset",
                "nope",
                "--results-dir",
                str(tmp_path),
            ]
        )
        == 2
    )
    assert "no test set 'nope'" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("[metrics.not_a_metric]\nmin = 1\n")
    assert main(["eval", "gate", str(tmp_path), "--thresholds", str(bad)]) == 2


def test_committed_thresholds_name_known_metrics():
    from eval.gate import load_thresholds

    thresholds = load_thresholds()
    assert thresholds.metrics and set(thresholds.metrics) <= set(METRICS)
    for name in JUDGE_METRICS:
        assert METRICS[name].group == "judge"
    assert 0 < thresholds.max_judge_failure_rate < 1


def test_report_escapes_everything(tmp_path):
    """Questions, answers, passages and judge errors are user/model text: never markup."""
    from assistant.types import Answer, Citation, Passage, Quote
    from eval.report import render_html, render_markdown
    from eval.runner import QuestionResult, RunResult

    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    passage = Passage(chunk_id="c", doc_id=evil, text=evil, start=0, end=len(evil), score=0.5)
    answer = Answer(
        question=evil,
        standalone_query=evil,
        text=evil + " [1]",
        status="grounded",
        citations=[Citation(marker=1, passage=passage, quotes=[Quote(text=evil, start=0, end=5)])],
        passages=[passage],
        backend=evil,
        fallback_reason=evil,
    )
    scores = {"semantic_similarity": Score.of(0.2), "response_groundedness": Score.failed(evil)}
    q = QuestionResult(id=evil, kind="fact", question=evil, reference=evil, answer=answer, scores=scores)
    run = RunResult(
        run_id=evil,
        mode="full",
        testset=evil,
        started_at=evil,
        info={"backend": evil, "judge": {"label": evil}, "generator": evil, "commit": evil},
        settings={},
        questions=[q],
        summary={n: summarize(n, [s]) for n, s in scores.items()},
        timings={"total": 1.0},
        judge_problems=[evil],
    )
    html = render_html(run, None)
    assert "<script" not in html.lower() and "<img" not in html.lower()
    assert "&lt;script&gt;" in html
    assert "|" not in render_markdown(run, None).split(evil.replace("|", "\\|"))[0][-1:]


def test_failed_judge_scores_are_counted_not_averaged():
    from eval.runner import judge_problems

    scores = [Score.of(1.0), Score.failed("parse error"), Score.failed("timeout"), Score.na("refused")]
    s = summarize("response_groundedness", scores)
    assert (s.mean, s.scored, s.failed, s.not_applicable) == (1.0, 1, 2, 1)
    assert s.failure_rate == pytest.approx(2 / 3)
    problems = judge_problems({"response_groundedness": s}, 0.2)
    assert problems and "2 of 3" in problems[0]
    assert not judge_problems({"response_groundedness": summarize("response_groundedness", scores[:1])}, 0.2)
    assert Score.of(float("nan")).status == "failed"


def test_reference_ids_map_overlapping_passages():
    from assistant.types import Passage
    from eval.references import reference_ids, retrieved_ids

    spans = [("d1", 100, 200), ("d2", 0, 50)]
    passages = [
        Passage(chunk_id=str(i), doc_id=d, text="x", start=s, end=e, score=0.1)
        for i, (d, s, e) in enumerate([("d1", 150, 400), ("d1", 300, 500), ("d3", 0, 60)])
    ]
    assert reference_ids(spans) == ["ref0", "ref1"]
    assert retrieved_ids(passages, spans) == ["ref0", "d1:300-500", "d3:0-60"]


def test_secrets_never_reach_the_results_or_reports(built_settings, tmp_path, caplog):
    """API keys and logins are settings like any other; a run writes its settings into
    results.json and the report, masked."""
    import logging

    from eval.runner import RunOptions, run

    secrets = {"openai_api_key": "sk-test-7c1d5e", "auth": "alice:pw-9f2b4a"}
    settings = built_settings.override(**secrets)
    with caplog.at_level(logging.DEBUG):
        _, run_dir = run(
            settings, RunOptions(quick=True, backend="extractive", limit=2, results_root=tmp_path, show_progress=False)
        )
    written = "".join(p.read_text(errors="replace") for p in run_dir.rglob("*") if p.is_file())
    assert "**********" in written  # the settings are there, masked
    for value in secrets.values():
        assert value not in written and value not in caplog.text
