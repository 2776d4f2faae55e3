"""The generated pages are current: docs/benchmarks.md and the README's figures come from
benchmarks/results/*.json, docs/configuration.md from the settings object."""

from __future__ import annotations

from benchmarks.report import CONFIG_DOC, DOC, README, configuration, readme_with, render


def test_benchmark_page_and_readme_figures_match_the_result_files():
    doc, block = render()
    assert DOC.read_text(encoding="utf-8") == doc, "docs/benchmarks.md is stale: run `policyqa bench report`"
    readme = README.read_text(encoding="utf-8")
    assert readme_with(block, readme) == readme, "README figures are stale: run `policyqa bench report`"


def test_configuration_page_matches_the_settings():
    assert CONFIG_DOC.read_text(encoding="utf-8") == configuration(), (
        "docs/configuration.md is stale: run `policyqa bench report`"
    )
