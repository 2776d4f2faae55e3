"""Turning ragas's generated rows into test-set samples (no LLM: the rows are written
here the way ragas 0.4.3 writes them, multi-hop "<n-hop>" tags included)."""

from __future__ import annotations

import json

import pytest

from eval.generate import GenerationError, paragraph_chunks, reconvert, to_samples


def chunk_texts(snapshot, doc_id):
    text = snapshot.documents[doc_id].text
    return [text[a:b] for a, b in paragraph_chunks(text, 150)]


def test_paragraph_chunks_cover_the_document_in_order(assistant):
    text = assistant.snapshot.documents["new-measures-20-cities"].text
    spans = paragraph_chunks(text, 150)
    assert len(spans) >= 2 and spans == sorted(spans)
    assert all(text[a:b].strip() == text[a:b] for a, b in spans)
    assert "Suzhou" in "".join(text[a:b] for a, b in spans)


def test_single_and_multi_hop_rows_become_samples(assistant):
    snap = assistant.snapshot
    a, b = chunk_texts(snap, "new-measures-20-cities")[0], chunk_texts(snap, "miit-pilot-four-areas")[0]
    rows = [
        {
            "user_input": "How many pilot tasks does the Plan propose?",
            "reference": "155.",
            "reference_contexts": [a],
            "synthesizer_name": "single_hop_specific_query_synthesizer",
        },
        {
            "user_input": "Which cities are in both programmes?",
            "reference": "Beijing, Shanghai, Hainan, Shenzhen.",
            "reference_contexts": [f"<1-hop>\n\n{a}", f"<2-hop>\n\n{b}"],
            "synthesizer_name": "multi_hop_specific_query_synthesizer",
        },
        {
            "user_input": "How many pilot tasks does the Plan propose?",
            "reference": "155.",
            "reference_contexts": [a],
            "synthesizer_name": "single_hop_specific_query_synthesizer",
        },
        {
            "user_input": "What is made up?",
            "reference": "Nothing.",
            "reference_contexts": ["A sentence that no article contains."],
            "synthesizer_name": "single_hop",
        },
    ]
    samples, synthesizers, dropped = to_samples(rows, snap)
    assert [s.id for s in samples] == ["s01", "s02"]
    assert samples[1].kind == "multi_hop" and samples[1].reference_contexts == [a, b]
    assert samples[1].reference_doc_ids == ["new-measures-20-cities", "miit-pilot-four-areas"]
    assert synthesizers["s02"] == "multi_hop_specific_query_synthesizer"
    assert {d["id"]: d["reason"] for d in dropped} == {
        "s03": "duplicate question",
        "s04": "a reference context is not a span of any document",
    }


def test_reconverting_applies_the_review_without_an_llm(built_settings, assistant, tmp_path):
    a = chunk_texts(assistant.snapshot, "new-measures-20-cities")[0]
    rows = [
        {
            "user_input": f"Question {n}?",
            "reference": "155.",
            "reference_contexts": [a],
            "synthesizer_name": "single_hop_specific_query_synthesizer",
        }
        for n in range(3)
    ]
    out = tmp_path / "synth.jsonl"
    with pytest.raises(GenerationError, match="are needed"):
        reconvert(built_settings, out)
    (tmp_path / "synth.raw.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "synth.meta.json").write_text(
        json.dumps({"review": {"status": "reviewed", "dropped": [{"id": "s02", "reason": "vague"}]}}), encoding="utf-8"
    )
    reconvert(built_settings, out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["s01", "s03"]
    meta = json.loads((tmp_path / "synth.meta.json").read_text(encoding="utf-8"))
    assert meta["generated"] == 3 and meta["kept"] == 2 and meta["review"]["status"] == "reviewed"


def test_a_reference_cut_off_keeps_its_complete_sentences():
    from eval.generate import complete_sentences

    assert (
        complete_sentences("Over 2,400 firms operate. As of September, 2,220 foreign-invest")
        == "Over 2,400 firms operate."
    )
    assert complete_sentences('He said "it is a new phase." ') == 'He said "it is a new phase."'
    assert complete_sentences("The pilot areas are Beijing's zone and the Hainan Free Trade Port") == ""
