"""Acronyms and the names they stand for, read from a collection's own text."""

from __future__ import annotations

import pytest

from index.glossary import Glossary
from index.loading import load_corpus


def test_a_definition_is_read_in_either_order_and_in_lower_case():
    glossary = Glossary.build(
        [
            "Staff may call the Employee Assistance Program (EAP) at any time.",
            "Report it to your internet service provider (ISP).",
            "File under the FMLA (Family and Medical Leave Act) first.",
        ]
    )
    assert glossary.defined == {
        "EAP": "Employee Assistance Program",
        "ISP": "internet service provider",
        "FMLA": "Family and Medical Leave Act",
    }


def test_a_question_gets_the_spelling_the_collection_prefers():
    glossary = Glossary.build(
        [
            "The Employee Assistance Program (EAP) is free. EAP counsellors answer calls. EAP is confidential.",
            "Ask the Office of Acquisition (OA). The Office of Acquisition reviews every purchase.",
        ]
    )
    assert glossary.aliases("Is the Employee Assistance Program free?") == ("EAP",)
    assert glossary.aliases("Is EAP free?") == ()  # the collection writes EAP most
    assert glossary.aliases("Who approves purchases at the OA?") == ("Office of Acquisition",)
    assert glossary.aliases("Who approves purchases at the Office of Acquisition?") == ()


def test_an_acronym_the_collection_never_writes_is_read_from_its_names():
    glossary = Glossary.build(
        [
            "Mozilla Public License Version 2.0\n\n1. Definitions\n\nEach Contributor grants a licence.",
            "This Source Code Form is subject to the terms of the Mozilla Public License, v. 2.0.",
        ]
    )
    assert glossary.aliases("Can I sublicense code under the MPL 2.0?") == ("Mozilla Public License",)
    assert glossary.aliases("Is the ABC licence stricter?") == ()


def test_a_sentence_opening_or_a_stop_word_is_no_part_of_a_name():
    glossary = Glossary.build(["If the Program is conveyed, If the Program says so. Your Rights matter. Your Rights."])
    assert "IP" not in glossary.guessed and "ITP" not in glossary.guessed
    assert "YR" not in glossary.guessed


def test_an_acronym_written_apart_from_a_name_is_not_taken_for_it():
    glossary = Glossary.build(
        [
            "We log your IP address. Intellectual Property belongs to us. Intellectual Property is ours.",
            "Your IP address is kept for 30 days.",
        ]
    )
    assert "IP" not in glossary.guessed
    assert glossary.aliases("How long is my IP address kept?") == ()


def test_initials_of_two_names_equally_common_stand_for_neither():
    glossary = Glossary.build(
        [
            "Ask for Advanced Sick Leave or American Sign Language; ask for Advanced Sick Leave or American Sign Language."
        ]
    )
    assert "ASL" not in glossary.guessed


@pytest.fixture(scope="module")
def handbook_glossary(handbook_corpus):
    return Glossary.build(doc.text for doc in load_corpus(handbook_corpus).documents)


@pytest.fixture(scope="module")
def legal_glossary(legal_corpus):
    return Glossary.build(doc.text for doc in load_corpus(legal_corpus).documents)


def test_real_handbook_pages_define_their_acronyms(handbook_glossary):
    assert handbook_glossary.defined["EAP"] == "Employee Assistance Program"
    assert handbook_glossary.defined["VLTP"] == "Voluntary Leave Transfer Program"
    assert handbook_glossary.defined["COR"] == "Contracting Officer Representative"


def test_real_legal_documents_in_three_languages_give_their_names(legal_glossary):
    assert legal_glossary.defined["GPC"] == "Global Privacy Control"
    assert legal_glossary.guessed["MPL"] == "Mozilla Public License"
    assert "IP" not in legal_glossary.guessed  # "IP address", not "Intellectual Property"
