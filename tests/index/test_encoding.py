"""Reading text files saved in any common encoding, and refusing what is not text."""

from __future__ import annotations

import pytest

from index.encoding import NotText, decode_text

GERMAN = "Die Kündigung ist jederzeit möglich – die Gebühr von 5 € wird „anteilig“ erstattet."
POLISH = "Użytkownik może złożyć wniosek o usunięcie danych w ciągu 30 dni. Właściciel serwisu odpowiada."
RUSSIAN = "Политика конфиденциальности: мы храним данные не дольше 25 месяцев."
JAPANESE = "個人情報の取り扱いについて、当社は以下の方針を定めます。"


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
def test_a_byte_order_mark_decides(codec):
    data = GERMAN.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    decoded = decode_text(data)
    assert decoded.text == GERMAN and not decoded.guessed


def test_valid_utf8_wins_over_a_stale_declaration():
    decoded = decode_text(GERMAN.encode("utf-8"), declared="windows-1252")
    assert (decoded.text, decoded.encoding, decoded.guessed) == (GERMAN, "utf-8", False)


def test_a_declared_charset_is_used_and_latin1_labels_read_as_windows_1252():
    assert decode_text(RUSSIAN.encode("koi8-r"), declared="KOI8-R").text == RUSSIAN
    decoded = decode_text(GERMAN.encode("cp1252"), declared="ISO-8859-1")  # "€" and "„" are 0x80-0x9F
    assert decoded.text == GERMAN and not decoded.guessed


@pytest.mark.parametrize(
    "text, codec",
    [(GERMAN, "cp1252"), (POLISH, "cp1250"), (RUSSIAN, "cp1251"), (JAPANESE, "shift_jis"), (RUSSIAN, "koi8-r")],
)
def test_legacy_encodings_are_detected(text, codec):
    decoded = decode_text(text.encode(codec))
    assert decoded.text == text and decoded.guessed


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"abc\x00def", "binary"),
        (bytes(range(128, 256)) * 8, "no other text encoding fits"),
        (b"\xff\xfe\x00\xd8", "byte-order mark"),  # UTF-16 that breaks off inside a surrogate pair
    ],
)
def test_what_is_not_text_is_refused_with_a_reason(data, reason):
    with pytest.raises(NotText, match=reason):
        decode_text(data)
