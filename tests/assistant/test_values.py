"""What counts as a checkable value: amounts of money in any currency in use, in the
languages answers are written in; durations, dates and numbers in a passage's own language."""

from __future__ import annotations

import pytest

from assistant.values import months_in, numbers_in, quantities_in, states_kind


@pytest.mark.parametrize(
    "text",
    [
        "The token costs 14 florins.",
        "It costs 30 rupees a month.",
        "Die Gebühr beträgt 5 Euro.",
        "费用为250元。",
        "CHF 40 per month",
        "R$ 20 per seat",
        "up to 2,400 yuan",
        "10 cents a minute",
        "Das Abo kostet 5,99 € im Monat.",
    ],
)
def test_an_amount_in_any_current_currency_is_an_amount(text):
    assert states_kind(text, "amount")


def test_numbers_without_a_currency_are_no_amount():
    for text in [
        "The measure applies in 20 cities.",
        "We keep it for 25 months.",
        "Antwort in 20 Minuten.",
        "50 % of it",
    ]:
        assert not states_kind(text, "amount"), text


@pytest.mark.parametrize(
    ("text", "kind", "language"),
    [
        ("Es kann bis zu 2 (zwei) Monate dauern.", "duration", "de"),
        ("Die Unterlagen werden zehn Jahre lang aufbewahrt.", "duration", "de"),
        ("Sie können innerhalb von 30 Tagen kündigen.", "duration", "de"),
        ("Wir antworten innerhalb von 10 Geschäftstagen.", "duration", "de"),
        ("U kunt binnen 14 werkdagen opzeggen.", "duration", "nl"),
        ("我们保留邮件的时间都不会超过三天。", "duration", "zh"),
        ("数据保留25个月。", "duration", "zh"),
        ("我们将在收到申请之日起20个工作日内答复。", "duration", "zh"),
        ("用户可在三十日内申请退款。", "duration", "zh"),
        ("30日以内に返金を申請できます。", "duration", "ja"),
        ("Возврат возможен в течение 5 дней.", "duration", "ru"),
        ("The notice runs for two (2) years.", "duration", "en"),
        ("Gültig ab dem 1. Mai.", "date", "de"),
        ("Die Sprechstunde ist am Montag.", "date", "de"),
        ("本政策自5月1日起生效。", "date", "zh"),
        ("Es gibt drei Zusicherungen.", "number", "de"),
    ],
)
def test_a_value_is_recognised_in_the_passage_language(text, kind, language):
    """The answerability policy refuses a question for a value when no passage states one:
    a passage in German or Chinese states it in its own words."""
    assert states_kind(text, kind, language)


@pytest.mark.parametrize(
    ("text", "kind", "language"),
    [
        ("Die Tage werden länger.", "duration", "de"),
        ("Sie haben 10 Verträge abgeschlossen.", "duration", "de"),
        ("Wir bewahren Ihre Daten so lange auf, wie es nötig ist.", "duration", "de"),
        ("Mozilla wird Sie benachrichtigen.", "date", "de"),
        ("Maier hat es gesagt.", "date", "de"),
        ("Wir bewahren Ihre Daten so lange auf.", "date", "de"),
        ("Il joue à un jeu.", "date", "fr"),
        ("我们会通知您。", "duration", "zh"),
        ("本条款自 2025 年 10 月 31 日起生效。", "duration", "zh"),
        ("本政策自5月30日起生效。", "duration", "zh"),
        ("2025年10月に改定しました。", "duration", "ja"),
        ("Sie erhalten ein Konto.", "number", "de"),
    ],
)
def test_a_text_without_the_value_does_not_state_it(text, kind, language):
    assert not states_kind(text, kind, language)


def test_number_words_of_the_passage_language_are_numbers():
    assert numbers_in("zehn Jahre", "de") == {"10"}
    assert numbers_in("vingt-deux jours", "fr") == {"22"}
    assert numbers_in("ten years", "en") == {"10"}
    assert numbers_in("zehn Jahre", "en") == set()


def test_japanese_numerals_are_numbers_and_korean_syllables_are_not():
    assert numbers_in("解約後三十日以内に二万円を返金します。", "ja") == {"30", "20000"}
    assert numbers_in("第三者に提供することはありません。", "ja") == set()  # an ordinal, as in Chinese
    # 이 is the subject particle, 사 ends 회사 ("company"): Sino-Korean numerals as syllables
    assert numbers_in("회사가 이 정보를 30일 이내에 파기합니다.", "ko") == {"30"}


def test_the_modal_may_is_no_month():
    assert months_in("You may cancel at any time.") == set()
    assert not states_kind("You may cancel at any time.", "date")
    assert months_in("Effective May 1, 2024, you may cancel.") == {"may"}
    assert states_kind("The notice was updated in May.", "date")


def test_a_questions_quantities_carry_their_units():
    assert quantities_in("Can I carry over 300 hours of annual leave?") == [(300.0, "hour")]
    assert quantities_in("Can I own 100% of a VPN service in Wuhan?") == [(100.0, "%")]
