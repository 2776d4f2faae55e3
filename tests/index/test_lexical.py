"""BM25 tokenisation by language, and an index over chunks of several languages."""

from __future__ import annotations

import numpy as np

from index.lexical import LexicalIndex, tokenize


def test_english_keeps_numbers_with_percent_and_drops_clitics():
    assert tokenize("Can I own 100% of a VPN service in Wuhan?") == ["own", "100%", "vpn", "servic", "wuhan"]
    assert tokenize("Mozilla's terms") == tokenize("Mozilla terms")
    assert tokenize("same text", None) == tokenize("same text", "en")


def test_english_text_folds_accents_and_compatibility_forms_and_keeps_other_scripts_whole():
    assert tokenize("Submit your résumé", "en") == tokenize("Submit your resume", "en")
    assert tokenize("the \ufb01nancial year", "en") == tokenize("the financial year", "en")  # a PDF's "fi" ligature
    assert "espanol" in tokenize("Available in Español", "en")
    assert "москва" in tokenize("Offices in Москва", "en")


def test_german_words_keep_their_letters_and_are_stemmed_as_german():
    tokens = tokenize("Wir verkaufen Ihre personenbezogenen Daten nicht, für 2,5 Jahre.", "de")
    assert "verkauf" in tokens and "dat" in tokens and "2,5" in tokens
    assert "für" not in tokens and "wir" not in tokens  # German stop words
    assert tokenize("personenbezogene", "de") == tokenize("personenbezogenen", "de")


def test_chinese_is_segmented_into_words():
    tokens = tokenize("保留期限一般不超过25个月。Mozilla VPN", "zh")
    assert {"保留", "期限", "超过", "25", "mozilla", "vpn"} <= set(tokens)
    assert "。" not in tokens


def test_a_language_without_a_stemmer_is_split_into_words():
    assert tokenize("Kebijakan privasi ini berlaku", "id") == tokenize("kebijakan privasi ini berlaku", "id")
    assert tokenize("Ang patakaran sa privacy", "tl") == ["ang", "patakaran", "sa", "privacy"]


def test_text_written_without_spaces_is_indexed_as_character_pairs():
    # Japanese (no spaces), Korean (particles on the word), Thai (no spaces, marks on letters)
    assert tokenize("個人情報の取り扱い", "ja") == ["個人", "人情", "情報", "報の", "の取", "取り", "り扱", "扱い"]
    assert {"처리", "방침"} <= set(tokenize("처리방침에 따라", "ko"))
    assert tokenize("ข้อมูล", "th") == ["ข้อ", "อมู", "มูล"]  # a letter keeps its marks
    assert tokenize("情", "ja") == ["情"]


def test_a_word_is_not_cut_at_its_combining_marks():
    assert tokenize("व्यक्तिगत जानकारी", "hi")[0] == "व्यक्तिगत"  # Devanagari vowel signs and virama
    assert tokenize("Gebu\u0308hr", "de") == tokenize("Gebühr", "de")  # decomposed and composed


def test_a_question_finds_a_passage_in_a_language_written_without_spaces():
    index = LexicalIndex.build(
        [
            "当社は、お客様の個人情報を25か月間保存します。",
            "サービスの利用料金は毎月請求されます。",
            "アカウントはいつでも削除できます。",
        ],
        ["ja", "ja", "ja"],
    )
    assert int(np.argmax(index.scores("個人情報はどのくらい保存されますか"))) == 0
    assert int(np.argmax(index.scores("アカウントを削除できますか"))) == 2


def test_a_question_finds_chunks_in_each_language_tokenised_their_way():
    index = LexicalIndex.build(
        ["Wir verkaufen Ihre Daten nicht.", "我们不会出售您的个人数据。", "We do not sell your data."],
        ["de", "zh", "en"],
    )
    assert index.languages == ("de", "en", "zh")
    assert int(np.argmax(index.scores("Verkaufen Sie meine Daten?"))) == 0
    assert int(np.argmax(index.scores("会出售数据吗"))) == 1
    assert int(np.argmax(index.scores("Does Mozilla sell my data?"))) == 2


def test_the_languages_survive_saving(tmp_path):
    index = LexicalIndex.build(["Wir verkaufen Ihre Daten nicht.", "We do not sell."], ["de", "en"])
    index.save(tmp_path / "bm25")
    loaded = LexicalIndex.load(tmp_path / "bm25")
    assert loaded.languages == ("de", "en") and loaded.version == index.version
    np.testing.assert_allclose(loaded.scores("Daten verkaufen"), index.scores("Daten verkaufen"))


def test_a_chunks_terms_are_read_back_from_the_saved_index_as_tokenised(tmp_path):
    texts = ["Wir verkaufen Ihre Daten nicht.", "我们不会出售您的个人数据。", "", "We do not sell your data, ever."]
    languages = ["de", "zh", "en", "en"]
    LexicalIndex.build(texts, languages).save(tmp_path / "bm25")
    loaded = LexicalIndex.load(tmp_path / "bm25")
    for position, (text, language) in enumerate(zip(texts, languages)):
        assert loaded.chunk_terms(position) == frozenset(tokenize(text, language))
    assert loaded.chunk_terms(2) == frozenset()
