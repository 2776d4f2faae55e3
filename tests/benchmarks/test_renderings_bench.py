"""The renderings benchmark on a real collection holding a PDF rendering of a document."""

from __future__ import annotations

import argparse


def test_a_pdf_read_by_its_layout_keeps_the_sources_headings_and_plain_text_keeps_none(
    legal_corpus, base_settings, tmp_path
):
    from benchmarks import renderings

    args = argparse.Namespace(corpus=str(legal_corpus), output=str(tmp_path / "renderings"))
    result = renderings.run(base_settings, args)
    by_reader = {row["reader"]: row for row in result["summary"]}
    layout, plain = by_reader["pdf: layout"], by_reader["pdf: plain text"]
    assert layout["documents"] == plain["documents"] == 1
    assert (layout["heading_precision"], layout["heading_recall"], layout["sections_kept"]) == (1.0, 1.0, 1.0)
    assert plain["heading_recall"] == 0.0
    assert layout["text_similarity"] > plain["text_similarity"]
    assert (tmp_path / "renderings.json").exists()
