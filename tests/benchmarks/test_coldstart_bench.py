"""The cold-start benchmark's two probes, run for real with the extractive backend."""

from __future__ import annotations

from benchmarks.coldstart import app_once, cli_once


def test_cli_cold_start_answers_and_splits_startup_from_the_answer(built_settings):
    run = cli_once(built_settings, "extractive")
    assert run["verdict"] == "no" and run["answered_by"] == "extractive"
    assert 0 < run["answer_s"] < run["wall_s"] and abs(run["startup_s"] + run["answer_s"] - run["wall_s"]) < 1e-6


def test_app_cold_start_serves_the_page_then_the_first_answer(built_settings):
    run = app_once(built_settings, "extractive")
    assert 0 < run["page_s"] < run["first_answer_s"]
    assert run["verdict"] == "no"
