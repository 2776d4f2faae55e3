"""The committed test sets are usable: every reference context and restatement is a
verbatim span of a cleaned document, so span-based metrics can find it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from eval.references import evidence_spans, reference_spans
from eval.testsets import load_testset
from eval.testsets import testset_names as set_names
from index.loading import load_corpus
from policyqa.settings import PROJECT_ROOT

# The collection of ../shared/corpora/ each test set asks about; the rest ask about corpus/.
COLLECTIONS = {
    "18f": "18f-handbook",
    "18f-german": "18f-handbook",
    "mozilla": "mozilla-legal",
    "mozilla-multilingual": "mozilla-legal",
}


def documents_of(name: str, shared_corpora):
    """The cleaned documents a test set refers to, as a build would keep them."""
    folder = shared_corpora / COLLECTIONS[name] if name in COLLECTIONS else PROJECT_ROOT / "corpus"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent: the {name} test set needs ../shared/corpora/")
    return SimpleNamespace(documents={d.id: d for d in load_corpus(folder).documents})


@pytest.mark.parametrize("name", set_names())
def test_every_reference_context_is_found_in_the_corpus(name, shared_corpora):
    snapshot = documents_of(name, shared_corpora)
    for sample in load_testset(name):
        assert len(reference_spans(sample, snapshot)) == len(sample.reference_contexts), sample.id
        spans = evidence_spans(sample, snapshot)
        assert len(spans) == len(sample.reference_contexts) + len(sample.also_stated_in), sample.id


def test_restatements_are_in_other_places_than_the_references(assistant):
    snapshot = assistant.snapshot
    for sample in load_testset("gold"):
        refs = reference_spans(sample, snapshot)
        for span in evidence_spans(sample, snapshot)[len(refs) :]:
            assert span not in refs, f"{sample.id}: a restatement repeats a reference context"
