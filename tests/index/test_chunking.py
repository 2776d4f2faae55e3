"""Chunks are exact spans of the cleaned text, on sentence boundaries, sized as asked."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from index.chunking import chunk_config, chunk_document, chunk_spans, split_sentences, word_spans
from index.documents import Document
from index.loading import load_corpus
from policyqa.settings import PROJECT_ROOT, Settings

WORD = re.compile(r"\S+")


@pytest.fixture(scope="module")
def corpus_docs() -> list[Document]:
    return load_corpus(PROJECT_ROOT / "corpus").documents


def words(text: str) -> int:
    return len(WORD.findall(text))


def check_spans(text: str, spans, chunk_words: int) -> None:
    """The invariants every chunking must keep, whatever the text."""
    assert spans or not text.strip()
    for a in spans:
        assert 0 <= a.start < a.end <= len(text)
        piece = text[a.start : a.end]
        assert piece == piece.strip(), "chunks are trimmed"
    for a, b in zip(spans, spans[1:]):
        assert a.start < b.start and a.end < b.end, "ordered, and each chunk reaches past the last"
    # Nothing is lost: every word of the text is in some chunk.
    covered = [False] * len(text)
    for a in spans:
        covered[a.start : a.end] = [True] * (a.end - a.start)
    for m in WORD.finditer(text):
        assert all(covered[m.start() : m.end()]), f"word {m.group()!r} at {m.start()} is in no chunk"


@pytest.mark.parametrize("chunk_words, overlap", [(100, 1), (60, 1), (40, 0), (150, 2), (20, 3)])
def test_every_chunk_of_the_real_corpus_slices_back_exactly(corpus_docs, chunk_words, overlap):
    total = 0
    for doc in corpus_docs:
        chunks = chunk_document(doc, chunk_words, overlap)
        assert [c.index for c in chunks] == list(range(len(chunks)))
        for chunk in chunks:
            assert chunk.doc_id == doc.id
            assert doc.text[chunk.start : chunk.end] == chunk.text
        check_spans(doc.text, chunks, chunk_words)
        total += len(chunks)
    assert total >= len(corpus_docs)


def test_default_settings_chunks_are_sentence_aligned_and_sized(corpus_docs):
    s = Settings()
    for doc in corpus_docs:
        sentences = split_sentences(doc.text)
        starts = {x.start for x in sentences}
        ends = {x.end for x in sentences}
        for chunk in chunk_document(doc, s.chunk_words, s.chunk_overlap_sentences):
            assert chunk.start in starts and chunk.end in ends, chunk.text[:60]
            inside = [x for x in sentences if chunk.start <= x.start and x.end <= chunk.end]
            # Over the target only when a single sentence is that long.
            assert words(chunk.text) <= s.chunk_words or len(inside) == 1


def test_no_chunk_repeats_the_tail_of_the_previous_one(corpus_docs):
    # Regression: stepping back one sentence for overlap used to produce a chunk made of
    # that sentence alone (a sub-span of the previous chunk) whenever the next sentence
    # did not fit; 9 of 67 chunks of the real corpus were such duplicates.
    for doc in corpus_docs:
        for size in (20, 40, 60, 100):
            spans = chunk_spans(doc.text, size, 1)
            assert all(b.end > a.end for a, b in zip(spans, spans[1:]))


def test_overlap_repeats_at_most_the_asked_sentences():
    text = " ".join(f"Sentence number {n} has exactly seven words." for n in range(20))
    sentences = split_sentences(text)
    assert len(sentences) == 20
    spans = chunk_spans(text, 21, 1)  # three 7-word sentences per chunk
    for a, b in zip(spans, spans[1:]):
        shared = [
            x for x in sentences if a.start <= x.start and x.end <= a.end and b.start <= x.start and x.end <= b.end
        ]
        assert len(shared) == 1
    assert [words(text[s.start : s.end]) for s in spans] == [21] * 9 + [14]
    assert len(chunk_spans(text, 21, 0)) == 7


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Mr. Smith met Dr. Li. They talked.", ["Mr. Smith met Dr. Li.", "They talked."]),
        ("U.S. rules apply. See Art. 5 and No. 7 today.", ["U.S. rules apply.", "See Art. 5 and No. 7 today."]),
        ("The cap is 50.5 percent. It rose.", ["The cap is 50.5 percent.", "It rose."]),
        ('He said "Yes." Then he left!', ['He said "Yes."', "Then he left!"]),
        ("第一句。第二句！", ["第一句。", "第二句！"]),
        ("他说：“好。”然后走了。", ["他说：“好。”", "然后走了。"]),
        ("Line one\nLine two without stop\n\nLine three.", ["Line one", "Line two without stop", "Line three."]),
        ("lower case after stop. stays together.", ["lower case after stop. stays together."]),
        # any alphabet's capitals, scripts without case, and their own end marks
        ("Die Daten werden gelöscht. Über uns.", ["Die Daten werden gelöscht.", "Über uns."]),
        ("Мы храним данные. Вы можете удалить их.", ["Мы храним данные.", "Вы можете удалить их."]),
        ("회사는 보관합니다. 계정을 삭제하면 파기됩니다.", ["회사는 보관합니다.", "계정을 삭제하면 파기됩니다."]),
        ("आप यहाँ हैं। हम यहाँ हैं।", ["आप यहाँ हैं।", "हम यहाँ हैं।"]),
        ("Vale. ¿Cómo funciona?", ["Vale.", "¿Cómo funciona?"]),
    ],
)
def test_sentence_split(text, expected):
    assert [text[s.start : s.end] for s in split_sentences(text)] == expected


def test_over_long_sentence_is_cut_at_words():
    text = "Intro sentence here. Then " + " ".join(f"w{n}" for n in range(250)) + ". Outro."
    spans = chunk_spans(text, 50, 0)
    check_spans(text, spans, 50)
    assert max(words(text[s.start : s.end]) for s in spans) <= 100
    assert text[spans[0].start : spans[0].end] == "Intro sentence here."
    assert text[spans[1].start : spans[1].end].startswith("Then w0 w1")


def test_a_run_of_paths_or_links_counts_by_its_length():
    """A path or an address is many tokens for one run between spaces: chunks of them stay
    about as long as chunks of prose, while long words of any language count once."""
    paths = "\n".join(f"src/modules/package_{n}/internal/config_loader_{n}.py" for n in range(400))
    spans = chunk_spans(paths, 100, 0)
    check_spans(paths, spans, 100)
    assert max(s.end - s.start for s in spans) < 2500  # 100 words of prose are ~600 characters
    for word in (
        "Rechtsschutzversicherungsgesellschaften",
        "Formstack-Datenschutzbestimmungen.",
        "自受理之日起20个工作日内作出决定",
    ):
        assert len(word_spans(word, 0, len(word))) == 1
    link = "https://www.example.gov/about-us/regions/region-5/buildings"  # 59 characters
    assert len(word_spans(link, 0, len(link))) == 3


def test_chunk_ids_follow_content():
    doc = Document(id="d", text="One sentence here. Another one there.")
    changed = Document(id="d", text="One sentence here. Another one changed.")
    retitled = Document(id="d", text=doc.text, title="New title")
    config = chunk_config(100, 1)
    h = doc.content_hash(config)
    assert h == Document(id="d", text=doc.text).content_hash(config)  # stable
    assert (
        len({h, changed.content_hash(config), retitled.content_hash(config), doc.content_hash(chunk_config(60, 1))})
        == 4
    )
    [chunk] = chunk_document(doc, 100, 1)
    assert chunk.chunk_id(h) == f"d:{h}:0000"


def test_empty_and_whitespace_text():
    assert chunk_spans("", 60, 1) == []
    assert chunk_spans(" \n\n \t", 60, 1) == []


@pytest.mark.timeout(120)  # a hang guard: the abbreviation check used to be quadratic
def test_big_document_does_not_hang():
    text = "Mr. Smith went to Washington. He said no. " * 50_000  # 2.1 MB on one line
    spans = chunk_spans(text, 100, 1)
    assert len(spans) > 4_000
    assert text[spans[-1].start : spans[-1].end].endswith("He said no.")


def test_a_table_too_long_to_keep_whole_is_read_once_not_once_per_row(tmp_path, monkeypatch):
    """A long table is cut row by row; counting the words left from every row read the
    table again per row, which made chunking a long table quadratic."""
    import index.chunking as chunking
    from index.loading import load_file

    rows = "\n".join(f"| {i} | item {i} | a fee of {i} euros |" for i in range(3000))
    (tmp_path / "fees.md").write_text(f"# Fees\n\n| n | item | fee |\n|---|---|---|\n{rows}\n", encoding="utf-8")
    doc, _ = load_file(tmp_path / "fees.md", tmp_path, 10**8)

    class Counting:
        scanned = 0

        def finditer(self, text, pos=0, endpos=None):
            Counting.scanned += (len(text) if endpos is None else endpos) - pos
            return WORD.finditer(text, pos, len(text) if endpos is None else endpos)

    monkeypatch.setattr(chunking, "_RUN", Counting())
    chunks = chunk_document(doc, 100, 1)
    assert len(chunks) > 100 and doc.text[chunks[-1].start : chunks[-1].end].endswith("a fee of 2999 euros")
    assert Counting.scanned <= 5 * len(doc.text)


sentence_text = st.lists(
    st.one_of(
        st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=60),
        st.sampled_from(["Mr. X.", "U.S.", "50%.", "\n", "\n\n", ". ", "! ", "? ", "。", "“Quote.” ", "-END-", "  "]),
    ),
    max_size=40,
).map("".join)


@hyp_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=sentence_text, chunk_words=st.integers(10, 80), overlap=st.integers(0, 4))
def test_spans_hold_for_any_text(text, chunk_words, overlap):
    check_spans(text, chunk_spans(text, chunk_words, overlap), chunk_words)
