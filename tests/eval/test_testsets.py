"""The committed test sets are usable: every reference context and restatement is a
verbatim span of a cleaned document, so span-based metrics can find it."""

from __future__ import annotations

import pytest

from eval.references import evidence_spans, reference_spans
from eval.testsets import load_testset, testset_names


@pytest.mark.parametrize("name", testset_names())
def test_every_reference_context_is_found_in_the_corpus(name, assistant):
    snapshot = assistant.snapshot
    for sample in load_testset(name):
        assert len(reference_spans(sample, snapshot)) == len(sample.reference_contexts), sample.id
        spans = evidence_spans(sample, snapshot)
        assert len(spans) == len(sample.reference_contexts) + len(sample.also_stated_in), sample.id


def test_restatements_are_in_other_places_than_the_references(assistant):
    snapshot = assistant.snapshot
    for sample in load_testset("gold"):
        refs = reference_spans(sample, snapshot)
        for span in evidence_spans(sample, snapshot)[len(refs):]:
            assert span not in refs, f"{sample.id}: a restatement repeats a reference context"
