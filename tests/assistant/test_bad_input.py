"""Property-based: random text, unicode, control characters, giant inputs and odd
filters never crash retrieval; they give passages or a clear InvalidQuestionError."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from assistant.types import Filters, Passage
from policyqa.errors import InvalidQuestionError

QUICK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

questions = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=80),
    st.text(alphabet=st.characters(whitelist_categories=("Cc", "Cf", "Zs", "Zl", "Zp")), max_size=50),
    st.builds(lambda w, n: (w + " ") * n, st.sampled_from(["VPN", "Wuhan", "50%", "的", "🙂"]), st.integers(0, 3000)),
)

filters = st.one_of(
    st.none(),
    st.builds(
        Filters,
        doc_ids=st.lists(st.sampled_from(["new-measures-20-cities", "miit-first-batch-13", "nope", ""]), max_size=3),
        publishers=st.lists(st.sampled_from(["Global Times", "global times", "", "Nobody"]), max_size=2),
        date_from=st.one_of(st.none(), st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1))),
        date_to=st.one_of(st.none(), st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1))),
    ),
)


@QUICK
@given(question=questions, chosen=filters, top_k=st.one_of(st.none(), st.integers(1, 50)))
def test_retrieve_never_crashes(assistant, question, chosen, top_k):
    try:
        passages = assistant.retrieve(question, filters=chosen, top_k=top_k)
    except InvalidQuestionError as exc:
        assert str(exc)  # a message a person can read
        return
    assert all(isinstance(p, Passage) for p in passages)
    assert len(passages) <= (top_k or assistant.settings.top_k)
    for p in passages:
        assert assistant.snapshot.documents[p.doc_id].text[p.start : p.end] == p.text
        if chosen and chosen.doc_ids:
            assert p.doc_id in chosen.doc_ids


@QUICK
@given(question=questions)
def test_ask_extractive_never_crashes(assistant, question):
    try:
        answer = assistant.ask(question, backend="extractive")
    except InvalidQuestionError:
        return
    assert answer.status in ("grounded", "refused")
    markers = {c.marker for c in answer.citations}
    assert all(f"[{m}]" in answer.text for m in markers)


@pytest.mark.parametrize("bad", [{"date_from": "not a date"}, {"doc_ids": 5}, {"colour": "red"}])
def test_malformed_filters_are_clear_errors(assistant, bad):
    with pytest.raises(ValidationError):
        assistant.retrieve("VPN ownership", filters=bad)


@pytest.mark.parametrize("top_k", [0, -1, 10_000])
def test_out_of_range_top_k_is_clamped_or_refused(assistant, top_k):
    passages = assistant.retrieve("VPN ownership cap", top_k=top_k)
    assert 1 <= len(passages) <= 50
