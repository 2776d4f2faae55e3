"""Questions and answers in the asker's language: yes/no forms of German and Chinese,
verdict words, sentence ends and word counts of text written without spaces."""

from __future__ import annotations

import pytest

from assistant.locales import leading_verdict, locale_for, word_count


@pytest.mark.parametrize(
    "sentence, yes_no",
    [
        ("Darf ich mein VPN-Abo auch für meine kleine Firma nutzen?", True),
        ("Bekommt der Anbieter meinen Standort?", True),
        ("Wenn ich mein Konto zwei Jahre nicht benutze, wird es dann gelöscht?", True),
        ("Und gilt das auch für Firmenkunden?", True),
        ("Ich möchte wissen, ob meine Daten verkauft werden.", True),
        ("Können Sie mir sagen, ob die Frist verlängert werden kann?", True),
        ("Das ist erlaubt?", True),
        ("Wie viele Geräte kann ich gleichzeitig verbinden?", False),
        ("Bis wann muss ich kündigen?", False),
        ("Mit welchem Partner arbeitet der Dienst zusammen?", False),
        ("Warum wird mein Konto gesperrt?", False),
        ("Können Sie mir sagen, wie lange die Frist ist?", False),
        ("Wird monatlich oder jährlich abgerechnet?", False),
    ],
)
def test_german_yes_no_questions_are_read_by_german_grammar(sentence, yes_no):
    assert locale_for("de").yes_no(sentence) is yes_no


@pytest.mark.parametrize(
    "sentence, yes_no",
    [
        ("我在用这个浏览器，它默认会把使用数据发给服务器吗？", True),
        ("如果发现数据泄露，会通知我吗？", True),
        ("我自己改了代码，能不能继续用原来的名字发布？", True),
        ("退款是否适用于续订？", True),
        ("有没有年龄限制？", True),
        ("每人每天最多能录多少条语音？", False),
        ("订阅价格是多少？", False),
        ("什么时候生效？", False),
        ("按月付款还是按年付款？", False),
    ],
)
def test_chinese_yes_no_questions_are_read_by_chinese_grammar(sentence, yes_no):
    assert locale_for("zh").yes_no(sentence) is yes_no


@pytest.mark.parametrize(
    "text, verdict, rest",
    [
        ("Yes, you can.", "yes", "you can."),
        ("Nein. Das ist nicht erlaubt.", "no", "Das ist nicht erlaubt."),
        ("是。您可以申请退款。", "yes", "您可以申请退款。"),
        ("否。", "no", ""),
        ("Nobody may do that.", None, "Nobody may do that."),
        ("否则将收取费用。", None, "否则将收取费用。"),
    ],
)
def test_a_leading_verdict_is_read_in_any_answer_language(text, verdict, rest):
    assert leading_verdict(text) == (verdict, rest)


def test_text_without_spaces_counts_words_by_characters():
    assert word_count("You can request a refund.") == 5
    assert word_count("您可以申请退款。") == 5  # 7 characters at 1.5 a word
    assert word_count("Mozilla 将退还费用") == 1 + 3  # 4 characters


def test_a_language_without_wording_is_still_named_for_the_prompt():
    french = locale_for("fr")
    assert french.name == "French" and french.yes_no is None and french.refusal == locale_for("en").refusal
    assert locale_for(None).code == "en"
