"""The app's input parsing: date pickers and filters (no server needed)."""

from __future__ import annotations

import datetime as dt

import gradio as gr
import pytest

import app


def test_dates_from_the_pickers():
    assert app.parse_date("", "From") is None and app.parse_date(None, "From") is None
    assert app.parse_date("2025-04-21", "From") == dt.date(2025, 4, 21)
    assert app.parse_date("2025-04-21 00:00:00", "From") == dt.date(2025, 4, 21)
    with pytest.raises(gr.Error):
        app.parse_date("last tuesday", "From")


def test_filters():
    f = app.make_filters(["Global Times"], [], "2025-01-01", "")
    assert f.publishers == ("Global Times",) and f.date_from == dt.date(2025, 1, 1) and f.date_to is None
    assert app.make_filters(None, None, None, None).is_empty()
    assert app.make_filters([], [], "", "", ["de"]).languages == ("de",)
    with pytest.raises(gr.Error):
        app.make_filters([], [], "2025-05-01", "2025-01-01")


def test_example_questions_come_from_settings_or_the_corpus_readme(tmp_path):
    from app import example_questions
    from policyqa.settings import Settings

    (tmp_path / "README.md").write_text(
        "# Our policies\n\nNot indexed.\n\n## Example questions\n\n"
        "- How long is the notice period?\n- Who approves travel?\n\n## Other\n\n- no\n"
    )
    assert example_questions(Settings(corpus_dir=tmp_path)) == [
        "How long is the notice period?",
        "Who approves travel?",
    ]
    assert example_questions(Settings(corpus_dir=tmp_path, examples=("Mine?",))) == ["Mine?"]
    assert example_questions(Settings(corpus_dir=tmp_path / "nothing")) == []
