"""Document languages: declared tags normalised, undeclared ones detected offline."""

from __future__ import annotations

import pytest

from index.language import detect, document_language, normalise, prompt_tokens, word_count
from index.loading import load_corpus


@pytest.mark.parametrize(
    ("tag", "code"),
    [("en", "en"), ("zh-CN", "zh"), ("zh_Hans", "zh"), ("de-AT", "de"), ("EN", "en"), ("German", "de"), ("", None)],
)
def test_tags_and_names_become_primary_codes(tag, code):
    assert normalise(tag) == code


def test_an_unknown_tag_is_no_language():
    assert normalise("not a language at all") is None


def test_detection_on_document_text():
    assert detect("Wir verkaufen Ihre personenbezogenen Daten nicht. " * 3) == "de"
    assert detect("我们不会出售您的个人数据。您可以随时删除您的帐户和相关数据。" * 2) == "zh"
    assert detect(ENGLISH) == "en"
    assert detect("Q3 2025: 12%") is None  # too little text to say


ENGLISH = "We do not sell your personal data. You can delete your account at any time, and we will remove it."


NAMES = (
    "Copyright: 1994 Debian Association, Inc. 1995 Sven Rudolph <sr1@inf.tu-dresden.de> 1995 Ian Murdock "
    "<imurdock@debian.org> 1995 Ted Hajek <tedhajek@boombox.micro.umn.edu> 1997 Guy Maor <maor@debian.org> "
    "2000 Roland Bauerschmidt <rb@debian.org> 2016 Afif Elghraoui <afif@ghraoui.name> 2021 Jason Franklin"
)


def test_a_list_of_names_does_not_decide_the_language():
    """Detection reads the document's running text, not the names before it: a list of
    names alone reads as Latin to the trigram model."""
    assert detect(NAMES) not in (None, "en")  # what the opening alone would give
    body = "This program is free software; you can redistribute it and modify it under the terms of the licence. "
    assert detect(NAMES + "\n" + body * 3) == "en"


def test_a_document_with_little_running_text_takes_its_collections_language(tmp_path):
    (tmp_path / "credits.txt").write_text(NAMES + "\nLicence: see the licence file.\n", encoding="utf-8")
    for n in range(2):
        (tmp_path / f"terms-{n}.txt").write_text(f"Terms {n}.\n" + ENGLISH * 4, encoding="utf-8")
    (tmp_path / "hinweis.txt").write_text("Hinweis\nDiese Seite wurde verschoben. Bitte nutzen Sie die neue Adresse.\n")
    languages = {d.source: d.language for d in load_corpus(tmp_path, 10.0).documents}
    # A short notice in another language keeps it: its few words are told among the
    # collection's languages and its own.
    assert languages == {"credits.txt": "en", "hinweis.txt": "de", "terms-0.txt": "en", "terms-1.txt": "en"}
    (tmp_path / "terms-0.txt").write_text("---\nlanguage: fr\n---\n" + NAMES, encoding="utf-8")  # declared: kept
    assert {d.source: d.language for d in load_corpus(tmp_path, 10.0).documents}["terms-0.txt"] == "fr"


def test_a_declared_language_wins_over_detection():
    assert document_language("fr", ENGLISH) == ("fr", False)
    assert document_language(None, ENGLISH) == ("en", True)  # detected from one short sentence


def test_real_translations_are_told_apart(legal_corpus):
    """Mozilla's files declare no language: the German translation is detected as German,
    the English documents (Markdown and the PDF rendering) as English."""
    loaded = load_corpus(legal_corpus, 10.0)
    languages = {d.source: d.language for d in loaded.documents}
    assert languages["de/subscription_services_tos.md"] == "de"
    assert languages["en/subscription_services_tos.md"] == "en"
    assert {lang for source, lang in languages.items() if source.startswith("en/")} == {"en"}


def test_front_matter_language_is_kept(corpus_dir):
    assert {d.language for d in load_corpus(corpus_dir, 10.0).documents} == {"en"}


def test_text_without_spaces_counts_words_by_characters():
    assert word_count("You can request a refund.") == 5
    assert word_count("您可以申请退款。") == 5  # 7 characters at 1.5 a word
    assert word_count("Mozilla 将退还费用") == 1 + 3  # 4 characters
    assert word_count("환불을 요청할 수 있습니다.") == 4  # Korean is written with spaces


def test_prompt_tokens_are_estimated_from_words_in_any_script():
    assert prompt_tokens("You can request a refund within thirty days.") == 10  # 8 words
    assert prompt_tokens("您可以申请退款。" * 3) == 18  # 21 characters, 14 words: not one word
