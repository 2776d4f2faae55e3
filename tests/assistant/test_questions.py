"""Bad questions get a clear error (or are cleaned), never a crash."""

from __future__ import annotations

import pytest

from assistant.questions import is_yes_no
from policyqa.errors import InvalidQuestionError


@pytest.mark.parametrize("question", ["", "   \n\t ", "\x00\x01\x02", "?!?"])
def test_empty_questions_are_refused_clearly(assistant, question):
    with pytest.raises(InvalidQuestionError, match="empty|no words"):
        assistant.retrieve(question)


def test_huge_question_is_a_clear_error(assistant):
    with pytest.raises(InvalidQuestionError, match="100,000 characters; the limit is 2,000"):
        assistant.ask("why " * 25_000)


def test_control_characters_are_stripped(assistant):
    passages = assistant.retrieve("How many\x00 pilot\x1b tasks\u200b are in the Plan?\x07")
    assert any("155 pilot tasks" in p.text for p in passages)


def test_non_text_is_rejected(assistant):
    with pytest.raises(InvalidQuestionError, match="must be text"):
        assistant.retrieve(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("question, expected", [
    ("Can I own 100% of a VPN service in Wuhan?", True),
    ("Is Wuhan in the pilot?", True),
    ("and can foreign firms run app stores?", True),
    ("Can you list the names of all 166 foreign firms approved for the telecom pilot?", False),
    ("Could you tell me which cities are in the pilot?", False),
    ("Which cities are in the pilot?", False),
])
def test_requests_in_yes_no_form_are_not_yes_no_questions(question, expected):
    assert is_yes_no(question) is expected
