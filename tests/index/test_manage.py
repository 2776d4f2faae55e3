"""Documents users manage: removed or replaced through the corpus folder, rebuilt
incrementally, and checked gone from the snapshot, BM25, Chroma and the sentence vectors."""

from __future__ import annotations

import pytest

from index import build_index, open_snapshot
from index.manage import leftovers, remove_document, replace_document
from policyqa.errors import DocumentNotFoundError
from tests.index.conftest import paragraph, write_doc


def test_a_removed_document_leaves_nothing_in_the_index_and_its_file_is_kept(
    small_corpus, settings_for, assert_consistent
):
    settings = settings_for(small_corpus)
    build_index(settings)
    before = open_snapshot(settings)
    chunk_ids = {c.id for c in before.chunks if c.doc_id == "doc-1"}
    assert chunk_ids
    aside = remove_document(settings, before, "doc-1")
    assert not (small_corpus / "doc1.md").exists() and aside.is_file()
    assert aside.is_relative_to(settings.data_dir / "removed") and aside.name == "doc1.md"
    report = build_index(settings)
    assert report.removed == ["doc-1"] and report.deleted_vectors == len(chunk_ids)
    after = assert_consistent(settings)
    assert "doc-1" not in after.documents
    left = leftovers(settings, after, "doc-1", chunk_ids)
    assert left.none, left
    # The check can fail: against the snapshot from before, everything is still there.
    assert not leftovers(settings, before, "doc-1", set()).none


def test_a_replaced_document_is_read_again_and_the_old_file_kept(small_corpus, settings_for, assert_consistent):
    settings = settings_for(small_corpus)
    build_index(settings)
    snapshot = open_snapshot(settings)
    old_text = snapshot.documents["doc-2"].text
    fresh = write_doc(small_corpus / "_new", "doc2.md", "doc-2", "The quokka allowance is paid every March.")
    replace_document(settings, snapshot, "doc-2", fresh.read_bytes())
    fresh.unlink()
    fresh.parent.rmdir()
    report = build_index(settings)
    assert report.updated == ["doc-2"]
    after = assert_consistent(settings)
    assert "quokka allowance" in after.documents["doc-2"].text
    kept = list((settings.data_dir / "removed").rglob("doc2.md"))
    assert len(kept) == 1 and paragraph(2)[:40] in kept[0].read_text() and old_text[:40] in kept[0].read_text()


def test_a_document_not_in_the_index_or_outside_the_folder_is_a_clear_error(small_corpus, settings_for):
    settings = settings_for(small_corpus)
    build_index(settings)
    snapshot = open_snapshot(settings)
    with pytest.raises(DocumentNotFoundError, match="no document"):
        remove_document(settings, snapshot, "no-such-doc")
    (small_corpus / "doc0.md").unlink()
    with pytest.raises(DocumentNotFoundError, match="not in the corpus folder"):
        remove_document(settings, snapshot, "doc-0")
