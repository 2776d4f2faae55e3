from __future__ import annotations

from index.sentences import sentence_texts


def test_sentences_get_vectors_by_their_words_in_any_script():
    text = "Payment. You can request a refund within 30 days. 付款。您可以在三十天内申请退款。"
    assert sentence_texts("Terms", "Terms > Payment", text, contextual=False) == [
        "You can request a refund within 30 days.",
        "您可以在三十天内申请退款。",
    ]
    assert (
        sentence_texts("Terms", "Terms > Payment", text, contextual=True)[1]
        == "Terms > Payment\n您可以在三十天内申请退款。"
    )
