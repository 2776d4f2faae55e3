"""Verification on hand-written supported and unsupported sentences over real passages of
the three collections: a wrong number, a wrong name, a claim from the wrong passage, a
negation flipped. The lexical checks run with the real embedder and no LLM; the support
judge runs with the real local model."""

from __future__ import annotations

import pytest

from assistant import prompts
from assistant.analysis import analyze
from assistant.types import Passage
from assistant.verification import (
    ECHO,
    Claim,
    EvidenceIndex,
    SupportPolicy,
    clean_claim,
    content_tokens,
    verify_claims,
)

POLICY = SupportPolicy(judge_threshold=0.5, lexical_threshold=0.55)


def passage_with(snapshot, needle: str) -> Passage:
    """A real chunk of a built index that contains `needle`."""
    for chunk in snapshot.chunks:
        text = snapshot.text(chunk)
        if needle in text:
            doc = snapshot.documents[chunk.doc_id]
            return Passage(
                chunk_id=chunk.id,
                doc_id=doc.id,
                title=doc.title,
                section=chunk.section,
                publisher=doc.publisher,
                date=doc.date,
                text=text,
                start=chunk.start,
                end=chunk.end,
                score=0.5,
                language=doc.language,
            )
    raise AssertionError(f"no chunk contains {needle!r}")


def verify(index, text, cited, judge=None):
    kept, checks = verify_claims([Claim(text, cited)], index, POLICY, judge)
    assert len(checks) == 1
    return (kept[0] if kept else None), checks[0]


@pytest.fixture(scope="module")
def handbook_index(handbook_assistant):
    snap = handbook_assistant.snapshot
    passages = [
        passage_with(snap, "carry over a maximum of 240 annual leave hours"),
        passage_with(snap, "return to work for at least 12 weeks"),
        passage_with(snap, "There is no maximum amount of sick leave"),
    ]
    return EvidenceIndex(passages, analyze("How much leave can I carry over?"), handbook_assistant.embedder)


@pytest.fixture(scope="module")
def legal_index(legal_assistant):
    snap = legal_assistant.snapshot
    passages = [
        passage_with(snap, "30-Day Refund Policy"),
        passage_with(snap, "Mozilla VPN is a Virtual Private Network in partnership with Mullvad"),
    ]
    return EvidenceIndex(passages, analyze("Can I get a refund?"), legal_assistant.embedder)


@pytest.fixture(scope="module")
def seed_index(assistant):
    snap = assistant.snapshot
    passages = [passage_with(snap, "capped at 50%"), passage_with(snap, "2,220 foreign-invested companies")]
    return EvidenceIndex(passages, analyze("Can I own 100% of a VPN service in Wuhan?"), assistant.embedder)


def test_a_sentence_its_passage_states_is_supported_and_quoted_exactly(handbook_index, legal_index, seed_index):
    for index, text, cited in [
        (handbook_index, "You can carry over a maximum of 240 hours of annual leave to the next leave year.", [1]),
        (legal_index, "If you cancel within the first 30 days, you may request a refund.", [1]),
        (seed_index, "Foreign ownership of domestic VPN services is capped at 50%.", [1]),
    ]:
        claim, check = verify(index, text, cited)
        assert claim is not None and check.status == "supported", check
        quote = claim.quotes[cited[0]]
        passage = index.passages[cited[0] - 1]
        assert passage.text[quote.start - passage.start : quote.end - passage.start] == quote.text


@pytest.mark.parametrize(
    "fixture, text, missing",
    [
        ("handbook_index", "You can carry over a maximum of 300 hours of annual leave.", "300"),
        ("legal_index", "If you cancel within the first 60 days, you may request a refund.", "60"),
        ("seed_index", "As of September, 2,400 foreign-invested companies had been licensed.", "2400"),
    ],
)
def test_a_wrong_number_is_dropped(request, fixture, text, missing):
    claim, check = verify(request.getfixturevalue(fixture), text, [1, 2])
    assert claim is None and check.status == "dropped" and missing in check.reason


@pytest.mark.parametrize(
    "fixture, text, name",
    [
        ("legal_index", "Mozilla VPN is a Virtual Private Network in partnership with NordVPN.", "NordVPN"),
        ("handbook_index", "Carrying over annual leave hours must be approved by Kathryn Smith.", "Kathryn"),
    ],
)
def test_a_wrong_name_is_dropped(request, fixture, text, name):
    claim, check = verify(request.getfixturevalue(fixture), text, [1])
    assert claim is None and name in check.reason


def test_a_number_a_passage_states_of_something_else_is_dropped(handbook_index):
    claim, check = verify(handbook_index, "Employees earn 12 weeks of sick leave every year.", [2, 3])
    assert claim is None and "12 weeks" not in (claim.text if claim else "") and "something else" in check.reason


def test_a_claim_cited_to_the_wrong_passage_is_reattributed(handbook_index, legal_index):
    claim, check = verify(handbook_index, "You must sign an agreement to return to work for at least 12 weeks.", [1])
    assert claim is not None and claim.markers == [2] and check.status == "reattributed"
    claim, check = verify(legal_index, "Mozilla VPN works in partnership with Mullvad.", [1])
    assert claim is not None and claim.markers == [2]


def test_a_claim_no_passage_states_is_dropped(handbook_index):
    claim, check = verify(handbook_index, "Employees may cash out unused sick leave at the end of each year.", [3])
    assert claim is None and check.status == "dropped"


def test_a_clause_restated_with_its_negation_dropped_is_caught(handbook_index):
    claim, check = verify(handbook_index, "There is a maximum amount of sick leave you can accrue.", [3])
    assert claim is None and "opposite" in check.reason
    claim, _ = verify(handbook_index, "There is no maximum amount of sick leave you can accrue.", [3])
    assert claim is not None


def test_polarity_is_read_from_the_clauses_a_claim_restates():
    """A sentence with two negations: its exact copy keeps both and is no flip, though a
    run of its clauses without the first one would look like a near-copy with one."""
    sentence = (
        "If the request does not require supporting medical documentation, the DM or LRAC will provide an RA "
        "decision as soon as possible, but not to exceed 30 calendar days from the request date, unless "
        "extenuating circumstances exist."
    )
    passage = Passage(
        chunk_id="ra",
        doc_id="ra",
        title="Reasonable accommodations",
        text=sentence,
        start=0,
        end=len(sentence),
        score=0.5,
    )
    index = EvidenceIndex([passage], analyze("How soon is a decision due on a request?"), embedder=None)
    assert index.flipped(sentence, [1]) is None
    assert index.flipped(sentence.replace("does not require", "does require"), [1]) is not None


def test_a_sentence_that_only_gives_the_question_back_is_dropped(handbook_index):
    claim, check = verify(handbook_index, "You can carry over leave [1].", [1])
    assert claim is None and check.reason == ECHO, check
    claim, check = verify(handbook_index, "You can carry over a maximum of 240 annual leave hours [1].", [1])
    assert claim is not None, check


@pytest.mark.parametrize(
    "question, sentence, echoes",
    [
        ("Welchen Passwort-Manager empfiehlt TTS?", "TTS empfiehlt einen Passwort-Manager, wie [1].", True),
        ("Welchen Passwort-Manager empfiehlt TTS?", "TTS empfiehlt 1Password als Passwort-Manager [1].", False),
        ("Wie lange dauert eine Sicherheitsüberprüfung?", "Wie lange dauert eine Sicherheitsüberprüfung [1]?", True),
        # A yes/no question is answered by restating it; a question sentence still states nothing.
        ("Can I own 100% of a VPN service in Wuhan?", "You cannot own 100% of a VPN service in Wuhan [1].", False),
        ("Can I own 100% of a VPN service in Wuhan?", "Can you own 100% of a VPN service in Wuhan?", True),
        (
            "Thunderbird 对 13 岁以下孩子的个人信息有什么规定？",
            "Thunderbird对13岁以下孩子的个人信息有以下规定：[1]。",
            True,
        ),
    ],
)
def test_an_echo_of_the_question_is_told_in_any_language(question, sentence, echoes):
    index = EvidenceIndex([], analyze(question, languages=("en", "de", "zh")))
    assert index.echoes(clean_claim(sentence)[0]) is echoes


def test_markers_to_passages_that_do_not_exist_are_repaired(seed_index):
    claim, check = verify(seed_index, "Foreign ownership of domestic VPN services is capped at 50%.", [7])
    assert claim is not None and claim.markers == [1] and "do not exist" in check.reason


def test_meta_framing_and_inline_markers_are_stripped():
    assert clean_claim("According to passage [2], the cap is 50% [2].") == ("The cap is 50%.", [2, 2])
    assert (
        clean_claim("The passages state that leave accrues every pay period.")[0] == "Leave accrues every pay period."
    )
    assert "passag" not in content_tokens("the passage says the documents mention leave")


def test_talk_of_the_question_is_stripped_and_what_it_frames_kept():
    assert clean_claim("Sublicensing is not allowed, which directly answers the question [3].") == (
        "Sublicensing is not allowed.",
        [3],
    )
    assert clean_claim("This directly answers the question by stating that recordings stay private [1].")[0] == (
        "Recordings stay private."
    )
    assert clean_claim("Staff answer the question within 5 days.")[0] == "Staff answer the question within 5 days."


def test_without_an_embedder_invented_numbers_are_still_caught(handbook_index):
    bare = EvidenceIndex(handbook_index.passages, handbook_index.analysis, embedder=None)
    claim, check = verify(bare, "You can carry over a maximum of 480 annual leave hours.", [1])
    assert claim is None and "480" in check.reason
    claim, _ = verify(bare, "You can carry over a maximum of 240 annual leave hours.", [1])
    assert claim is not None


GERMAN_REFUND = "Bekomme ich mein Geld zurück, wenn ich in den ersten 30 Tagen kündige?"


@pytest.fixture(scope="module")
def german_index(legal_assistant):
    snap = legal_assistant.snapshot
    passages = [passage_with(snap, "innerhalb der ersten 30 Tage"), passage_with(snap, "30-Day Refund Policy")]
    analysis = analyze(GERMAN_REFUND, languages=("en", "de", "zh"))
    return EvidenceIndex(passages, analysis, legal_assistant.embedder)


def test_a_german_sentence_is_checked_against_a_german_passage(german_index):
    assert german_index.language == "de" and german_index.passage_languages == ["de", "en"]
    claim, check = verify(
        german_index,
        "Wenn Sie Ihr Konto innerhalb der ersten 30 Tage kündigen, können Sie eine Rückerstattung anfordern.",
        [1],
    )
    assert claim is not None and check.status == "supported", check
    claim, check = verify(
        german_index,
        "Wenn Sie Ihr Konto innerhalb der ersten 90 Tage kündigen, können Sie eine Rückerstattung anfordern.",
        [1],
    )
    assert claim is None and "90" in check.reason


@pytest.mark.parametrize(
    "language, sentence, flipped",
    [
        (
            "de",
            "Es gibt keine Obergrenze für den Krankheitsurlaub, den Sie ansammeln können.",
            "Es gibt eine Obergrenze für den Krankheitsurlaub, den Sie ansammeln können.",
        ),
        (
            "zh",
            "您可以在订阅后三十天内申请退款，费用将全额退还。",
            "您不可以在订阅后三十天内申请退款，费用将全额退还。",
        ),
        (
            "ja",
            "解約した場合、当月分の料金は日割りで返金されません。",
            "解約した場合、当月分の料金は日割りで返金されます。",
        ),
        (
            "ko",
            "월간 요금제를 해지한 경우 해당 월의 남은 기간에 대한 요금은 일할 계산으로 환불되지 않습니다.",
            "월간 요금제를 해지한 경우 해당 월의 남은 기간에 대한 요금은 일할 계산으로 환불됩니다.",
        ),
        (
            "ru",
            "При отмене подписки плата за оставшиеся дни месяца не возвращается.",
            "При отмене подписки плата за оставшиеся дни месяца возвращается.",
        ),
    ],
)
def test_a_negation_flipped_in_another_language_is_caught(language, sentence, flipped):
    passage = Passage(
        chunk_id="p", doc_id="p", title="", text=sentence, start=0, end=len(sentence), score=0.5, language=language
    )
    index = EvidenceIndex([passage], analyze(sentence[:-1] + "?", languages=("en", language)), embedder=None)
    assert index.language == language
    assert index.flipped(sentence, [1]) is None
    assert index.flipped(flipped, [1]) is not None


def test_a_sentence_is_read_in_the_language_it_is_written_in(german_index):
    """A German answer may hold English sentences (copied from an English passage, or the
    small model's own): each is tokenised and checked as English."""
    copied = "If you cancel your account within the first 30 days, you may request a refund."
    assert german_index.language_in(copied) == "en"
    assert german_index.language_in("Sie können eine Rückerstattung anfordern.") == "de"
    assert not german_index.foreign(2, copied) and german_index.foreign(2)
    claim, check = verify(german_index, copied, [2])
    assert claim is not None, check
    flipped = "If you cancel your account within the first 30 days, you may not request a refund."
    assert german_index.flipped(flipped, [2]) is not None
    claim, check = verify(german_index, "Therefore, the answer is no.", [2])
    assert claim is None and check.reason == "says nothing a passage could state"


def test_german_nouns_are_not_taken_for_names(german_index):
    assert german_index.unstated("Die Rückerstattung gilt nur für das erstmalige Abonnieren.", [1]) == []
    assert german_index.unstated("Die Rückerstattung erfolgt über NordVPN.", [1]) == ["NordVPN"]


def test_a_decimal_comma_states_the_same_number_across_languages():
    text = "Die Gebühr beträgt 2,5 % des Betrags, höchstens 1.000 Euro."
    passage = Passage(
        chunk_id="g", doc_id="g", title="Gebühren", text=text, start=0, end=len(text), score=0.5, language="de"
    )
    index = EvidenceIndex([passage], analyze("What is the fee?", languages=("en", "de")), embedder=None)
    assert index.unstated("The fee is 2.5% of the amount, at most 1,000 euros.", [1]) == []
    assert index.unstated("The fee is 25% of the amount.", [1]) == ["25%"]


def test_chinese_numerals_and_digits_inside_chinese_text_are_checked():
    """A Chinese passage states its numbers in numerals or in digits set between characters;
    an English answer (and a Chinese one) restating them passes, a changed number does not;
    words written with numeral characters (一般, 十分, 第三方) are not numbers."""
    text = "我们一般会在三十天内回复，第三方服务的数据最多保留25个月，费用十分低，约为2.5万元的百分之五。"
    passage = Passage(
        chunk_id="z", doc_id="z", title="隐私", text=text, start=0, end=len(text), score=0.5, language="zh"
    )
    english = EvidenceIndex([passage], analyze("How long do you keep my data?", languages=("en", "zh")), embedder=None)
    assert english.unstated("Data is kept for at most 25 months and you get a reply within 30 days.", [1]) == []
    assert english.unstated("The fee is 5% of 25,000 yuan.", [1]) == []
    assert english.unstated("Data is kept for at most 24 months.", [1]) == ["24"]
    assert english.unstated("Third-party data is kept for 3 months.", [1]) == ["3"]
    chinese = EvidenceIndex([passage], analyze("数据保留多久？", languages=("en", "zh")), embedder=None)
    assert chinese.language == "zh"
    assert chinese.unstated("数据最多保留二十五个月。", [1]) == []
    assert chinese.unstated("数据最多保留36个月。", [1]) == ["36"]


def model_judge(local_assistant, analysis, passages, draft: str):
    """The real local model's support judge, asked after the answer prompt and `draft`."""
    generator = local_assistant._generator("local")
    messages = prompts.messages(analysis, passages)

    def judge(sentence, marker):
        return generator.judge(prompts.support_messages(messages, draft, sentence, marker))

    return judge


@pytest.mark.llm
def test_the_model_judges_support_and_a_flipped_negation_is_still_dropped(local_assistant, handbook_assistant):
    """The model supports a restatement; one that restates a clause with its "no" dropped
    is caught by the negation check, whatever the model says."""
    snap = handbook_assistant.snapshot
    passages = [passage_with(snap, "There is no maximum amount of sick leave")]
    analysis = analyze("Is there a cap on how much sick leave I can build up?")
    index = EvidenceIndex(passages, analysis, handbook_assistant.embedder)
    judge = model_judge(
        local_assistant, analysis, passages, "No. There is no maximum amount of sick leave you can accrue [1]."
    )
    kept, _ = verify(index, "There is no maximum amount of sick leave you can accrue.", [1], judge)
    assert kept is not None and kept.check.support >= POLICY.judge_threshold
    flipped, check = verify(index, "There is a maximum amount of sick leave you can accrue.", [1], judge)
    assert flipped is None and check.status == "dropped"


@pytest.mark.llm
def test_the_model_judges_a_sentence_citing_a_passage_in_another_language(local_assistant, legal_assistant):
    """Lexical support cannot see a translation: across languages the model judges."""
    snap = legal_assistant.snapshot
    passages = [passage_with(snap, "innerhalb der ersten 30 Tage")]
    analysis = analyze("Can I get a refund if I cancel in the first 30 days?", languages=("en", "de"))
    index = EvidenceIndex(passages, analysis, legal_assistant.embedder)
    judge = model_judge(
        local_assistant,
        analysis,
        passages,
        "Yes. If you cancel within the first 30 days, you can request a refund [1].",
    )
    kept, check = verify(index, "If you cancel within the first 30 days, you can request a refund.", [1], judge)
    assert kept is not None and kept.check.support >= POLICY.judge_threshold, check
    dropped, check = verify(index, "If you cancel within the first 30 days, you get a free hoodie.", [1], judge)
    assert dropped is None, check


def test_framing_by_the_passages_is_stripped_in_german_and_chinese():
    assert clean_claim("Laut Passage [1], gilt die Frist von 30 Tagen.") == ("Gilt die Frist von 30 Tagen.", [1])
    assert clean_claim("Die Passage besagt, dass die Frist 30 Tage beträgt.")[0] == "Die Frist 30 Tage beträgt."
    assert clean_claim("根据第1和第2个 passages，您可以申请退款[1]。") == ("您可以申请退款。", [1])
    assert clean_claim("根据规定，您可以申请退款。")[0] == "根据规定，您可以申请退款。"  # content, not framing


def test_a_name_ends_where_chinese_text_begins():
    from assistant.values import names_in

    assert names_in("默认情况下，Klar默认会把数据发给Mozilla。") == {"Klar", "Mozilla"}
