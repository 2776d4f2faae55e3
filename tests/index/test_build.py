"""Incremental builds with the real model and the real embedded Chroma: what is
embedded, what is deleted, and that Chroma ends up holding exactly the snapshot."""

from __future__ import annotations

import json

import numpy as np
import pytest

from index import build_index, open_snapshot
from index.chunking import chunk_document
from index.loading import load_corpus


def chunks_of(settings, doc_id: str) -> set[str]:
    return {c.id for c in open_snapshot(settings).chunks if c.doc_id == doc_id}


def test_full_build_then_a_no_change_build_embeds_nothing(corpus_dir, settings_for, assert_consistent):
    settings = settings_for(corpus_dir)
    report = build_index(settings)
    snap = assert_consistent(settings)
    assert report.changed and report.generation == 1
    assert report.documents == 5 and report.chunks == len(snap.chunks) == report.embedded_chunks
    assert sorted(report.added) == sorted(snap.documents) and not report.updated and not report.removed
    assert not report.issues
    # Chunks in the snapshot are exactly what the chunker makes of the cleaned documents.
    expected = [
        (c.doc_id, c.start, c.end)
        for doc in sorted(load_corpus(corpus_dir).documents, key=lambda d: d.id)
        for c in chunk_document(doc, settings.chunk_words, settings.chunk_overlap_sentences)
    ]
    assert [(c.doc_id, c.start, c.end) for c in snap.chunks] == expected

    again = build_index(settings)
    assert not again.changed and again.embedded_chunks == 0 and again.deleted_vectors == 0
    assert again.generation == 1 and again.chunks == report.chunks
    assert "model" not in again.timings  # the embedding model was not even loaded
    assert "index already up to date" in again.summary()
    assert "with all-MiniLM-L6-v2" in again.summary()  # what auto picked for English documents
    assert_consistent(settings)


def test_add_change_delete(small_corpus, settings_for, assert_consistent, make_doc, text_for):
    settings = settings_for(small_corpus)
    build_index(settings)
    first = assert_consistent(settings)
    per_doc = {d: chunks_of(settings, d) for d in first.documents}

    # Add a document: only its chunks are embedded.
    make_doc(small_corpus, "doc3.md", "doc-3", text_for(3))
    report = build_index(settings)
    assert (report.added, report.updated, report.removed) == (["doc-3"], [], [])
    snap = assert_consistent(settings)
    assert report.embedded_chunks == len(chunks_of(settings, "doc-3")) > 0
    assert report.deleted_vectors == 0
    assert all(chunks_of(settings, d) == ids for d, ids in per_doc.items())  # untouched

    # Change one: its old vectors go, its new ones come, the others stay.
    old_ids = chunks_of(settings, "doc-1")
    make_doc(small_corpus, "doc1.md", "doc-1", text_for(1) + " A new closing sentence was added.")
    report = build_index(settings)
    assert (report.added, report.updated, report.removed) == ([], ["doc-1"], [])
    snap = assert_consistent(settings)
    new_ids = chunks_of(settings, "doc-1")
    assert not old_ids & new_ids
    assert report.embedded_chunks == len(new_ids) and report.deleted_vectors == len(old_ids)
    assert "A new closing sentence was added." in snap.documents["doc-1"].text

    # Metadata alone is part of what a chunk carries: a new title re-indexes the document.
    make_doc(small_corpus, "doc2.md", "doc-2", text_for(2), title="Renamed")
    report = build_index(settings)
    assert report.updated == ["doc-2"]
    assert assert_consistent(settings).documents["doc-2"].title == "Renamed"

    # Delete one: nothing embedded, its vectors deleted.
    gone = chunks_of(settings, "doc-0")
    (small_corpus / "doc0.md").unlink()
    report = build_index(settings)
    assert (report.added, report.updated, report.removed) == ([], [], ["doc-0"])
    assert report.embedded_chunks == 0 and report.deleted_vectors == len(gone)
    snap = assert_consistent(settings)
    assert sorted(snap.documents) == ["doc-1", "doc-2", "doc-3"]

    # And a no-change build after all that touches nothing.
    report = build_index(settings)
    assert not report.changed and report.embedded_chunks == 0
    assert_consistent(settings)


def test_rebuild_reembeds_everything_without_duplicates(small_corpus, settings_for, assert_consistent):
    settings = settings_for(small_corpus)
    first = build_index(settings)
    ids = open_snapshot(settings).chunk_ids()
    report = build_index(settings, rebuild=True)
    assert report.embedded_chunks == first.chunks and report.generation == 2
    snap = assert_consistent(settings)
    assert snap.chunk_ids() == ids


def test_chunking_settings_change_rechunks_everything(small_corpus, settings_for, assert_consistent):
    settings = settings_for(small_corpus)
    build_index(settings)
    before = open_snapshot(settings)
    smaller = settings.override(chunk_words=30)
    report = build_index(smaller)
    assert sorted(report.updated) == sorted(before.documents)
    snap = assert_consistent(smaller)
    assert len(snap.chunks) > len(before.chunks)
    assert "words=30:overlap=1" in snap.chunk_config
    assert report.deleted_vectors == len(before.chunks)


def test_snapshot_serves_texts_and_neighbours(small_corpus, settings_for):
    settings = settings_for(small_corpus)
    build_index(settings)
    snap = open_snapshot(settings)
    for chunk in snap.chunks:
        assert snap.text(chunk) == snap.documents[chunk.doc_id].text[chunk.start : chunk.end]
        before, after = snap.neighbours(chunk)
        assert before is None or (before.doc_id == chunk.doc_id and before.index == chunk.index - 1)
        assert after is None or (after.doc_id == chunk.doc_id and after.index == chunk.index + 1)
    assert snap.lexical is not None and snap.lexical.size == len(snap.chunks)
    best = int(np.argmax(snap.lexical.scores("Item 1-3 telecom")))
    assert "Item 1-3:" in snap.text(snap.chunks[best])
    assert snap.store == "embedded"


def test_parallel_workers_give_the_same_index(small_corpus, settings_for, monkeypatch):
    from index import embedding

    monkeypatch.setattr(embedding, "PARALLEL_MIN_TEXTS", 1)  # the corpus is small
    one = settings_for(small_corpus, "one")
    two = settings_for(small_corpus, "two", embed_workers=2)
    build_index(one)
    report = build_index(two)
    assert report.embedded_chunks == report.chunks
    a, b = open_snapshot(one), open_snapshot(two)
    assert a.chunk_ids() == b.chunk_ids()

    def vectors(settings, snap):
        from index.store import VectorStore

        got = VectorStore(settings, snap.collection, snap.dim).collection.get(
            ids=[c.id for c in snap.chunks], include=["embeddings"]
        )
        order = {i: n for n, i in enumerate(got["ids"])}
        return np.asarray([got["embeddings"][order[c.id]] for c in snap.chunks])

    va, vb = vectors(one, a), vectors(two, b)
    assert va.shape == (len(a.chunks), 384)
    np.testing.assert_allclose(va, vb, atol=1e-5)  # same rows, same order
    np.testing.assert_allclose(np.linalg.norm(vb, axis=1), 1.0, atol=1e-5)


def test_cli_build_and_status(corpus_dir, settings_for, capsys):
    from policyqa.cli import main

    settings = settings_for(corpus_dir)
    args = ["--data-dir", str(settings.data_dir)]
    assert main([*args, "index", "build", "--corpus", str(corpus_dir)]) == 0
    captured = capsys.readouterr()
    assert "5 documents" in captured.out and "added 5, updated 0, removed 0" in captured.out
    assert "embedding" in captured.err  # the progress bar
    assert main([*args, "index", "status", "--corpus", str(corpus_dir), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["documents"] == 5 and info["generation"] == 1
    assert info["chunks"] == sum(d["chunks"] for d in info["document_list"])
    assert main([*args, "index", "status", "--corpus", str(corpus_dir)]) == 0
    assert "gt-miit-pilot-approvals" in capsys.readouterr().out


def test_cli_commands_read_the_index_of_the_folder_given(corpus_dir, small_corpus, settings_for, capsys):
    """Two folders, one data directory: each command reads the index of the folder it is
    given, and a folder not indexed yet says how to index it."""
    from policyqa.cli import main

    args = ["--data-dir", str(settings_for(corpus_dir).data_dir)]
    assert main([*args, "index", "build", "--corpus", str(corpus_dir)]) == 0
    capsys.readouterr()
    question = ["--backend", "extractive", "What is the foreign ownership cap on domestic VPN services?"]
    assert main([*args, "retrieve", "--corpus", str(small_corpus), *question[2:]]) == 2
    assert f"run `policyqa index build --corpus {small_corpus}` first" in capsys.readouterr().err
    assert main([*args, "index", "build", "--corpus", str(small_corpus)]) == 0
    assert main([*args, "ask", "--corpus", str(corpus_dir), "--json", *question]) == 0
    out = capsys.readouterr().out
    answer = json.loads(out[out.index("{") :])
    assert answer["citations"] and {c["passage"]["doc_id"] for c in answer["citations"]} <= {
        d.id for d in open_snapshot(settings_for(corpus_dir)).documents.values()
    }


def test_empty_corpus_folder_is_an_error(tmp_path, settings_for):
    from policyqa.errors import PolicyQAError

    (tmp_path / "empty").mkdir()
    with pytest.raises(PolicyQAError, match="no documents could be loaded"):
        build_index(settings_for(tmp_path / "empty"))


def test_bm25_from_another_tokeniser_version_is_rebuilt_without_re_embedding(small_corpus, settings_for):
    from index.lexical import TOKENIZER_VERSION
    from index.snapshot import current_marker

    settings = settings_for(small_corpus)
    build_index(settings)
    meta_path = settings.index_dir / "snapshots" / current_marker(settings.index_dir) / "bm25" / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["version"] = TOKENIZER_VERSION - 1  # as an older PolicyQA wrote it
    meta_path.write_text(json.dumps(meta))
    report = build_index(settings)
    assert report.changed and report.embedded_chunks == 0
    assert open_snapshot(settings).lexical.version == TOKENIZER_VERSION
    assert not build_index(settings).changed


def test_a_mixed_collection_keeps_english_model_vectors_of_its_english_chunks(
    mixed_corpus, settings_for, make_doc, text_for
):
    """English chunks of a collection in several languages get the English model's vectors
    too (index/companion.py): copied for unchanged chunks, made for changed ones, dropped
    and restored with the setting, without re-embedding the index's own vectors."""
    settings = settings_for(mixed_corpus)
    report = build_index(settings)
    snap = open_snapshot(settings)
    assert report.embed_model == "multilingual-e5-small"
    english = {c.id for c in snap.chunks if snap.documents[c.doc_id].language == "en"}
    companion = snap.companion
    assert companion is not None and companion.model == "all-MiniLM-L6-v2" and companion.language == "en"
    assert companion.owners() == english and sorted(companion.chunks.owners) == sorted(english)
    assert companion.chunks.vectors.shape[1] == 384
    kept = {o: companion.chunks.vectors[i] for i, o in enumerate(companion.chunks.owners)}

    make_doc(mixed_corpus, "doc1.md", "doc-1", text_for(7))  # one English document changes
    build_index(settings)
    snap = open_snapshot(settings)
    english = {c.id for c in snap.chunks if snap.documents[c.doc_id].language == "en"}
    assert snap.companion.owners() == english
    for i, owner in enumerate(snap.companion.chunks.owners):
        if owner in kept:  # an unchanged chunk: its row copied, not embedded again
            assert np.allclose(snap.companion.chunks.vectors[i], kept[owner], atol=1e-3)

    off = build_index(settings.override(english_model=""))
    assert off.changed and off.embedded_chunks == 0 and open_snapshot(settings).companion is None
    on = build_index(settings)
    assert on.changed and on.embedded_chunks == 0 and open_snapshot(settings).companion.owners() == english
    assert not build_index(settings).changed

    build_index(settings.override(sentence_vectors=False))  # as the index's own: chunk vectors only
    snap = open_snapshot(settings)
    english = {c.id for c in snap.chunks if snap.documents[c.doc_id].language == "en"}
    assert set(snap.companion.chunks.owners) == english and not snap.companion.sentences.owners


def test_status_names_the_english_model_of_a_mixed_collection(mixed_corpus, settings_for, capsys):
    from policyqa.cli import main

    settings = settings_for(mixed_corpus)
    args = ["--data-dir", str(settings.data_dir)]
    assert main([*args, "index", "build", "--corpus", str(mixed_corpus)]) == 0
    capsys.readouterr()
    assert main([*args, "index", "status", "--corpus", str(mixed_corpus), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    snap = open_snapshot(settings)
    english = sum(snap.documents[c.doc_id].language == "en" for c in snap.chunks)
    assert info["embed_model"] == "multilingual-e5-small" and english < info["chunks"]
    assert info["english_model"] == f"all-MiniLM-L6-v2 ({english} en chunks)"


def test_an_english_only_collection_has_no_second_model(small_corpus, settings_for):
    settings = settings_for(small_corpus)
    build_index(settings)
    snap = open_snapshot(settings)
    assert snap.embed_model == "all-MiniLM-L6-v2" and snap.companion is None


def test_cli_adds_and_removes_a_document(corpus_dir, settings_for, tmp_path, capsys):
    from policyqa.cli import main

    settings = settings_for(corpus_dir)
    args = ["--data-dir", str(settings.data_dir), "index"]
    corpus = ["--corpus", str(corpus_dir)]
    assert main([*args, "build", *corpus]) == 0
    note = tmp_path / "Harbour note.txt"
    note.write_text("Harbour note\nEvery mooring needs an amber permit from the port office.\n", encoding="utf-8")
    fake = tmp_path / "fake.pdf"
    fake.write_text("not a pdf", encoding="utf-8")
    capsys.readouterr()
    assert main([*args, "add", *corpus, str(note), str(fake)]) == 1  # one file refused
    out = capsys.readouterr().out
    assert "rejected: fake.pdf: the file is named .pdf but is not a PDF" in out and "added 1," in out
    doc_id = next(d.id for d in open_snapshot(settings).documents.values() if d.source == "uploads/Harbour-note.txt")
    assert main([*args, "add", *corpus, str(note)]) == 0  # already indexed: nothing to do
    assert f"already indexed, with the same text, as {doc_id}" in capsys.readouterr().out
    assert main([*args, "remove", *corpus, doc_id]) == 0
    assert "checked: none of its 1 chunk is left" in capsys.readouterr().out
    assert doc_id not in open_snapshot(settings).documents
    assert main([*args, "remove", *corpus, doc_id]) == 2  # a clear error, not a traceback
    assert f"no document {doc_id!r}" in capsys.readouterr().err
