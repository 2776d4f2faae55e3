"""Citation verification on hand-written good and bad answers over real corpus passages,
with the real MiniLM embedder: no LLM needed, so these run in every test pass."""

from __future__ import annotations

import pytest

from assistant.types import Passage
from assistant.verification import (
    Claim,
    EvidenceIndex,
    asked_share,
    check_verdict,
    clean_claim,
    numbers_in,
    verify_claims,
)

WUHAN = "Can I own 100% of a VPN service in Wuhan?"


def passage_with(snapshot, needle: str, exclude: str | None = None) -> Passage:
    """A real chunk of the built index that contains `needle`."""
    for chunk in snapshot.chunks:
        text = snapshot.text(chunk)
        if needle in text and (exclude is None or exclude not in text):
            doc = snapshot.documents[chunk.doc_id]
            return Passage(
                chunk_id=chunk.id, doc_id=doc.id, title=doc.title, publisher=doc.publisher, date=doc.date,
                text=text, start=chunk.start, end=chunk.end, score=0.5,
            )
    raise AssertionError(f"no chunk contains {needle!r}")


@pytest.fixture(scope="module")
def embed(assistant):
    return assistant.embedder.embed_documents


@pytest.fixture(scope="module")
def passages(assistant):
    snap = assistant.snapshot
    return [
        passage_with(snap, "capped at 50%"),  # [1] the three measures, the 50% VPN cap, the 20 cities
        passage_with(snap, "basic telecom services"),  # [2] the 166-firm pilot does not cover basic telecom
        passage_with(snap, "2,220 foreign-invested companies"),  # [3] licensed companies as of September
    ]


@pytest.fixture(scope="module")
def index(passages, embed):
    return EvidenceIndex(passages, WUHAN, embed)


def check(index, text, cited):
    kept, checks = verify_claims([Claim(text, cited)], index)
    assert len(checks) == 1
    return (kept[0] if kept else None), checks[0]


def test_passages_are_real_and_distinct(passages, assistant):
    for p in passages:
        doc = assistant.snapshot.documents[p.doc_id]
        assert doc.text[p.start:p.end] == p.text
    assert len({p.chunk_id for p in passages}) == 3


def test_a_correct_sentence_with_the_right_citation_is_supported(index):
    kept, result = check(index, "Foreign ownership of domestic VPN services is capped at 50%.", [1])
    assert result.status == "supported", result
    assert kept.markers == [1]
    quote = kept.quotes[1]
    assert "capped at 50%" in quote.text
    assert index.passages[0].text[quote.start - index.passages[0].start: quote.end - index.passages[0].start] == quote.text


def test_a_verbatim_quote_is_supported(index):
    _, result = check(index, "The pilot also does not cover basic telecom services, which remain state-dominated.", [2])
    assert result.status == "supported"
    assert result.support == 1.0


def test_a_made_up_number_is_dropped(index):
    kept, result = check(index, "Foreign ownership of domestic VPN services is capped at 49%.", [1])
    assert kept is None and result.status == "dropped"
    assert "49%" in result.reason


def test_a_made_up_count_is_dropped_even_with_a_plausible_citation(index):
    kept, result = check(index, "As of September, 3,000 foreign-invested companies had telecom licences.", [3])
    assert kept is None and result.status == "dropped"
    assert "3000" in result.reason


def test_a_made_up_name_is_dropped(index):
    kept, result = check(index, "The measures will also be implemented in Paris.", [1])
    assert kept is None and result.status == "dropped"
    assert "Paris" in result.reason


def test_an_unsupported_claim_is_dropped(index):
    kept, result = check(index, "The government expects the economy to double in size.", [1])
    assert kept is None and result.status == "dropped"


def test_a_wrong_citation_is_reattributed_to_the_passage_that_says_it(index):
    kept, result = check(index, "As of September, 2,220 foreign-invested companies were licensed to run telecom businesses.", [1])
    assert result.status == "reattributed"
    assert kept.markers == [3]
    assert "2,220" in kept.quotes[3].text


def test_a_citation_to_a_passage_that_does_not_exist_is_repaired(index):
    kept, result = check(index, "Basic telecom services are not covered by the pilot and remain state-dominated.", [7])
    assert result.status == "reattributed"
    assert kept.markers == [2]
    assert "[7]" in result.reason


def test_an_extra_citation_that_adds_nothing_is_removed(index):
    kept, result = check(index, "Foreign ownership of domestic VPN services is capped at 50%.", [1, 3])
    assert kept.markers == [1]
    assert result.status == "reattributed"


def test_names_from_the_question_are_allowed_but_numbers_must_be_in_the_passages(index):
    kept, result = check(index, "In Wuhan, foreign ownership of VPN services is capped at 50%.", [1])
    assert result.status in ("supported", "reattributed") and kept.markers == [1]
    kept, result = check(index, "In Wuhan, foreign ownership of VPN services is capped at 75%.", [1])
    assert kept is None


def test_meta_framing_is_stripped():
    text, markers = clean_claim("According to passage 1, foreign ownership is capped at 50% [1].")
    assert text == "Foreign ownership is capped at 50%."
    assert markers == [1]
    assert clean_claim("Passage 2 states that the pilot does not cover basic telecom.")[0] == (
        "The pilot does not cover basic telecom."
    )
    assert clean_claim("The passage also mentions that 13 firms were approved.")[0] == "13 firms were approved."


def test_numbers_are_normalised():
    assert numbers_in("2,400 firms, 30 percent, 50% and thirteen more") == {"2400", "30%", "50%", "13"}
    assert asked_share("Can I fully own an app store business?") == 100.0
    assert asked_share("Could a foreign investor hold a 60% stake?") == 60.0
    assert asked_share("Which cities are in the list?") is None


@pytest.mark.parametrize(
    "question, model_verdict, expected",
    [
        (WUHAN, "yes", "no"),  # 100% asked, 50% cap: a small model's typical wrong "yes"
        ("Could a foreign investor hold a 60% stake in a domestic VPN service in Shenzhen?", "yes", "no"),
        ("Is a 50% foreign stake in a VPN provider in Suzhou allowed?", "no", "yes"),
        ("Is a 50% foreign stake in a VPN provider in Suzhou allowed?", "yes", "yes"),
        ("Can foreign investors fully own app store services in Hangzhou?", "no", "yes"),
    ],
)
def test_the_verdict_must_agree_with_a_limit_in_the_evidence(index, question, model_verdict, expected):
    verdict, note, deciding = check_verdict(question, model_verdict, index)
    assert verdict == expected
    assert deciding is not None
    if model_verdict != expected:
        assert note and "replaced" in note


@pytest.mark.parametrize("question, model_verdict, expected", [
    # g56 (the user's words of a follow-up): "These are not legacy telecom services like voice calls"
    ("does it include things like voice calls?", "yes", "no"),
    # g37: "The pilot also does not cover basic telecom services"
    ("Does the pilot with 166 approved foreign firms include basic telecom services?", None, "no"),
    ("Does the pilot with 166 approved foreign firms include basic telecom services?", "no", "no"),
])
def test_the_verdict_must_agree_with_a_sentence_that_denies_what_was_asked(assistant, embed, question,
                                                                          model_verdict, expected):
    snap = assistant.snapshot
    index = EvidenceIndex([passage_with(snap, "166 Foreign Firms Approved"), passage_with(snap, "basic telecom services"),
                           passage_with(snap, "voice calls")], question, embed)
    verdict, note, deciding = check_verdict(question, model_verdict, index)
    assert verdict == expected
    assert deciding is not None and " not " in deciding.text
    assert (note is not None) == (model_verdict != expected)


@pytest.mark.parametrize("question", [
    "Is basic telecom excluded from the 166-firm pilot?",  # asked in the negative: the model's call
    "Can foreign investors fully own an internet data center in the pilot areas?",  # nothing denies it
    "Does the 166-firm pilot include cloud computing?",
])
def test_no_denial_is_read_into_other_questions(assistant, embed, question):
    snap = assistant.snapshot
    index = EvidenceIndex([passage_with(snap, "basic telecom services"), passage_with(snap, "voice calls"),
                           passage_with(snap, "internet data centers")], question, embed)
    verdict, note, deciding = check_verdict(question, "yes", index)
    assert verdict == "yes" and note is None
    assert deciding is None or " not " not in deciding.text


def test_a_yes_about_a_place_the_corpus_never_mentions_is_withdrawn(index):
    verdict, note, _ = check_verdict("Can a foreign investor own 50% of a VPN service in Paris?", "yes", index)
    assert verdict is None
    assert "Paris" in note


def test_verification_without_an_embedder_still_catches_invented_numbers(passages):
    index = EvidenceIndex(passages, WUHAN, embed=None)
    kept, checks = verify_claims(
        [Claim("Foreign ownership of VPN services is capped at 50%.", [1]),
         Claim("Foreign ownership of VPN services is capped at 60%.", [1])],
        index,
    )
    assert [c.status for c in checks] == ["supported", "dropped"]
    assert len(kept) == 1


def test_a_claim_about_what_the_passages_never_mention_is_dropped(passages, embed):
    """The real 1.5B model's draft for an unanswerable question (CI, 2026-11-23): it
    answered the licence *fee* with the ownership cap. No passage says anything about fees."""
    index = EvidenceIndex(passages, "How much is the licence fee for a foreign-invested VPN permit?", embed)
    kept, result = check(index, "The licence fee for a foreign-invested VPN permit is capped at 50%.", [1])
    assert kept is None and result.status == "dropped" and "fee" in result.reason


def test_question_words_said_in_other_words_by_the_passages_do_not_drop_a_claim(passages, embed):
    # "maximum" ~ "capped", "licences" ~ "licensed": paraphrases, not unmentioned subjects.
    index = EvidenceIndex(passages, "What is the maximum foreign ownership share allowed in a domestic VPN service?", embed)
    kept, result = check(index, "The maximum foreign ownership share allowed in a domestic VPN service is 50%.", [1])
    assert kept is not None and result.status == "supported", result.reason
    index = EvidenceIndex(passages, "how many foreign invested companies held telecom licences as of september?", embed)
    kept, result = check(index, "As of September, 2,220 foreign-invested companies held telecom licences.", [3])
    assert kept is not None, result.reason


def test_framing_with_a_quoted_aside_is_stripped():
    text, markers = clean_claim("According to passage [1] (companies had been licensed), there were 2,220 [1].")
    assert text == "There were 2,220." and set(markers) == {1}


def test_a_citation_that_only_restates_the_question_is_removed(assistant, embed):
    """g37: the model cited the headline chunk ("166 Foreign Firms Approved …") beside the
    passage that says the pilot does not cover basic telecom services."""
    snap = assistant.snapshot
    question = "Does the pilot with 166 approved foreign firms include basic telecom services?"
    headline = passage_with(snap, "166 Foreign Firms Approved", exclude="basic telecom services")
    rule = passage_with(snap, "basic telecom services")
    index = EvidenceIndex([headline, rule], question, embed)
    claim = "The pilot with 166 approved foreign firms does not cover basic telecom services, which remain state-dominated."
    kept, result = check(index, claim, [1, 2])
    assert kept.markers == [2]
    assert result.status == "reattributed"
    # Both stay when each backs news of its own: the count is no longer the question's.
    index = EvidenceIndex([headline, rule], "Does the pilot include basic telecom services?", embed)
    kept, _ = check(index, "China approved 166 foreign firms for the pilot, which does not cover basic telecom services.",
                    [1, 2])
    assert kept.markers == [1, 2]


def test_a_name_the_passages_state_apart_from_the_question_s_name_is_dropped(assistant, embed):
    """g66: every word of "HSBC is based in Hainan" is in the passage, but HSBC is among the
    13 firms and Hainan among the pilot areas, sentences apart. HSBC's Shanghai
    subsidiary, said in one sentence, stays."""
    snap = assistant.snapshot
    first_batch = passage_with(snap, "Deutsche Telekom and HSBC")
    index = EvidenceIndex([first_batch], "Which of the 13 approved companies is based in Hainan?", embed)
    assert "Hainan" in first_batch.text
    kept, result = check(index, "The foreign-invested enterprise based in Hainan is HSBC.", [1])
    assert kept is None and result.status == "dropped"
    assert "HSBC beside Hainan" in result.reason
    shanghai = passage_with(snap, "HSBC Fintech Services (Shanghai)")
    index = EvidenceIndex([shanghai], "Which HSBC company is preparing to apply for a permit in Shanghai?", embed)
    kept, result = check(index, "HSBC Fintech Services (Shanghai) Company Limited is preparing to apply for an "
                                "internet content provider permit.", [1])
    assert kept is not None and kept.markers == [1], result


def test_the_wrong_person_for_a_quote_is_dropped_and_the_right_one_kept(assistant, embed):
    """g15: the passage quoting Zhang Chunfei names "CAICT" and a "deputy director", but what
    the question attributes was said by Wang Zhiqin, in another article."""
    snap = assistant.snapshot
    wang = passage_with(snap, "Wang Zhiqin")
    zhang = passage_with(snap, "said Zhang Chunfei")
    question = "Which CAICT deputy director said the pilot would help integrate digital technologies with various sectors?"
    index = EvidenceIndex([wang, zhang], question, embed)
    kept, result = check(index, "The CAICT deputy director Zhang Chunfei said the pilot would help integrate digital "
                                "technologies with various sectors.", [2])
    assert kept is None and result.status == "dropped"
    assert "Zhang Chunfei with the rest of the sentence" in result.reason
    kept, result = check(index, "Wang Zhiqin, deputy director of the China Academy of Information and "
                                "Communications Technology, said the pilot would help integrate digital "
                                "technologies with various sectors.", [1])
    assert kept is not None and kept.markers == [1], result


def test_a_number_said_of_something_else_is_dropped(assistant, embed):
    """g61: "166 firms approved in Guangzhou": 166 is the whole pilot's count, and Guangzhou
    is only in the list of 20 cities of another article."""
    snap = assistant.snapshot
    question = "How many foreign firms have been approved for the pilot in Guangzhou?"
    index = EvidenceIndex([passage_with(snap, "China has approved 166"), passage_with(snap, "Guangzhou")],
                          question, embed, premise_numbers=False)
    kept, result = check(index, "166 foreign firms have been approved for the pilot in Guangzhou.", [1])
    assert kept is None and "166 beside Guangzhou" in result.reason


def test_each_clause_of_a_sentence_is_bound_on_its_own(assistant, embed):
    """g46: one clause from each passage; the first clause's names need not stand with the
    second's "Fintech"."""
    snap = assistant.snapshot
    question = ("Which multinational both has an affiliate in the first batch of 13 and has a fintech subsidiary "
                "preparing an ICP permit application?")
    index = EvidenceIndex([passage_with(snap, "Deutsche Telekom and HSBC"),
                           passage_with(snap, "HSBC Fintech Services (Shanghai)")], question, embed, premise_numbers=False)
    kept, result = check(index, "HSBC has an affiliate among the first 13 foreign-invested enterprises approved for "
                                "the pilot, and HSBC Fintech Services (Shanghai) Company Limited is preparing to apply "
                                "for an internet content provider permit.", [1, 2])
    assert kept is not None and result.status != "dropped", result


def test_a_passage_without_the_question_s_subject_is_no_citation(assistant, embed):
    """g22: the model cited beside the 166-firm article a passage on "value-added
    telecommunication, biotechnology ..." that never mentions the 166-firm pilot. Its words
    cover the sentence's news as well, but the sentence is about the 166-company pilot."""
    question = "Which service areas does the 166-company pilot focus on?"
    passages = assistant.retrieve(question)
    article = next(n for n, p in enumerate(passages, 1) if "approved 166 foreign-invested" in p.text)
    other = next(n for n, p in enumerate(passages, 1)
                 if "value-added telecommunication, biotechnology" in p.text and "166" not in p.text)
    index = EvidenceIndex(passages, question, embed, premise_numbers=False)
    kept, result = check(index, "The 166-company pilot focuses on value-added telecommunications.", [article, other])
    assert kept.markers == [article]
    assert result.status == "reattributed"


def test_an_attribution_no_passage_makes_is_removed(assistant, embed):
    """g52: after "2,220 were licensed, according to the MIIT", the follow-up's answer copied
    the attribution to the 2,400 of February 2025, a report's figure; the MIIT passage it
    then cited says nothing of 2,400."""
    question = "How many foreign-invested firms were licensed for telecom business by the end of February 2025?"
    passages = assistant.retrieve(question)
    report = next(n for n, p in enumerate(passages, 1) if "2,400" in p.text)
    miit = next(n for n, p in enumerate(passages, 1) if "MIIT" in p.text and "2,400" not in p.text)
    index = EvidenceIndex(passages, question, embed, premise_numbers=False)
    claim = ("As of February 2025, 2,400 foreign-invested telecommunications companies were licensed to operate "
             "telecom businesses, according to the MIIT.")
    kept, result = check(index, claim, [report, miit])
    assert kept.text.endswith("telecom businesses.") and "MIIT" not in kept.text
    assert kept.markers == [report]
    assert result.status == "reattributed" and "according to MIIT" in result.reason
    # Where the passage gives the source beside the number, the attribution stays.
    question = "How many foreign-invested companies had been licensed as of September?"
    passages = assistant.retrieve(question)
    n = next(n for n, p in enumerate(passages, 1) if "2,220" in p.text)
    index = EvidenceIndex(passages, question, embed, premise_numbers=False)
    kept, result = check(index, "As of September, 2,220 foreign-invested companies had been licensed to operate "
                                "telecom businesses, according to the MIIT.", [n])
    assert kept.text.endswith("according to the MIIT.") and result.status == "supported"


def test_a_publisher_named_in_a_claim_is_the_cited_articles(assistant, embed):
    """"According to the Global Times piece, 2,400 ...": the cited passage's text never says
    "Global Times", its article's publisher does; another article's passage with the same
    figure does not back the attribution."""
    question = ("According to the Global Times piece, how many new foreign-invested enterprises had been set up "
                "in China's telecom sector as of end-February 2025?")
    passages = assistant.retrieve(question)
    gt = next(n for n, p in enumerate(passages, 1) if p.publisher == "Global Times" and "2,400" in p.text)
    index = EvidenceIndex(passages, question, embed, premise_numbers=False)
    claim = ("According to the Global Times piece, 2,400 new foreign-invested enterprises had been set up in "
             "China's telecom sector as of the end of February 2025.")
    kept, result = check(index, claim, [gt])
    assert result.status == "supported" and kept.markers == [gt]
    other = EvidenceIndex([p for p in passages if p.publisher != "Global Times"], question, embed, premise_numbers=False)
    n = next(n for n, p in enumerate(other.passages, 1) if "2,400" in p.text)
    kept, result = check(other, claim, [n])
    assert kept is None and "Times" in result.reason


def test_a_clause_on_membership_the_passages_contradict_is_cut(index):
    """The local model answered "Can Microsoft own 60% of a VPN business in Chengdu?" with
    "..., and Chengdu is not one of the cities where these measures apply", citing the
    passage that lists Chengdu among the 20 cities: that clause goes, the cap stays."""
    kept, result = check(index, "Foreign ownership is capped at 50% for VPN services, and Chengdu is not one of "
                                "the cities where these measures apply [1].", [1])
    assert kept.text == "Foreign ownership is capped at 50% for VPN services." and kept.markers == [1]
    assert result.status == "reattributed" and "the passages say otherwise" in result.reason
    kept, result = check(index, "Chengdu is not among the 20 cities where the measures will be implemented.", [1])
    assert kept is None and "the passages say otherwise" in result.reason
    # Said to be among things no sentence names it with ("Is Xi'an one of the four pilot
    # areas?" got "Xi'an is one of the four pilot areas", from the 20-city list and another
    # passage): it goes too; among the things a sentence names it with, it stays.
    kept, result = check(index, "Xi’an is one of the four pilot areas [1].", [1])
    assert kept is None and "the passages say otherwise" in result.reason
    kept, result = check(index, "Wuhan is one of the 20 cities where the measures will be implemented [1].", [1])
    assert kept is not None and "say otherwise" not in result.reason


def test_a_list_called_what_its_passage_does_not_call_it_is_cut(index):
    """"Is Xi'an one of the four pilot areas?" got "... The pilot areas are Beijing, Tianjin,
    ... and Suzhou [2]": the 20-city list, verbatim, as the four pilot areas."""
    cities = "Beijing, Tianjin, Shanghai, Hainan, Chongqing, Shenyang, Nanjing, Hangzhou, Wuhan, and Suzhou"
    kept, result = check(index, f"The pilot areas are {cities} [1].", [1])
    assert kept is None and "the passages say otherwise" in result.reason
    kept, result = check(index, "Foreign ownership of VPN services is capped at 50%, and the pilot areas are "
                                f"{cities} [1].", [1])
    assert kept.text == "Foreign ownership of VPN services is capped at 50%." and "say otherwise" in result.reason
    # Called what its passage calls it, the list stays.
    kept, result = check(index, f"The 20 cities are {cities} [1].", [1])
    assert kept is not None and "say otherwise" not in result.reason


def test_a_verdict_on_membership_follows_the_list(assistant, embed):
    """"Is Fuzhou covered by the new VPN measures?": the local model said no beside the
    list that names Fuzhou."""
    question = "Is Fuzhou covered by the new VPN measures?"
    index = EvidenceIndex(assistant.retrieve(question), question, embed)
    verdict, note, deciding = check_verdict(question, "no", index)
    assert verdict == "yes" and "lists Fuzhou among them" in note and "Fuzhou" in deciding.text
    # A sentence lists all four pilot areas, without Xi'an: no.
    question = "Is Xi'an one of the four pilot areas?"
    index = EvidenceIndex(assistant.retrieve(question), question, embed)
    verdict, note, deciding = check_verdict(question, "yes", index)
    assert (verdict, note) == ("no", "verdict yes replaced by no: a passage lists all of them without Xi'an")
    assert "four designated areas in Beijing, Shanghai, Hainan and Shenzhen" in deciding.text
    # Not told how many there are, no list is known to be whole; but no sentence names Xi'an
    # with pilot areas: a yes is withdrawn, a no left alone.
    question = "Is Xi'an one of the pilot areas?"
    index = EvidenceIndex(assistant.retrieve(question), question, embed)
    assert check_verdict(question, "yes", index)[:2] == (None, "verdict yes withdrawn: no passage says Xi'an with "
                                                              "what was asked")
    assert check_verdict(question, "no", index)[0] == "no"
    # Either apostrophe; and a follow-up's "one of them" leaves what they are to the
    # conversation (g53), so it decides nothing.
    question = "Is Xi'an among the 20 cities where the new telecom measures apply?"
    index = EvidenceIndex(assistant.retrieve(question), question, embed)
    assert check_verdict(question, "no", index)[0] == "yes"
    assert check_verdict(question, "yes", index, asked="Is Xi'an one of them?")[:2] == ("yes", None)
    assert check_verdict(question, "no", index, asked="Is Xi'an one of them?")[0] == "no"
