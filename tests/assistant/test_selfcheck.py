"""The generator's second look, with the real local model: it tells a question the
passages answer from one they only seem to (the gold set's "scheduled to end")."""

from __future__ import annotations

import pytest

from assistant import selfcheck


FEBRUARY = ("By the end of February this year, MIIT had granted pilot approvals to 13 foreign-invested "
            "enterprises, allowing them to operate value-added telecom businesses such as internet access "
            "and information services.")


@pytest.fixture(scope="module")
def generator(local_assistant):
    return local_assistant._generator("local")


@pytest.mark.llm
def test_a_question_the_text_answers_gets_yes(generator):
    assert selfcheck.states_answer(generator, "How many foreign-invested enterprises had MIIT approved by the end "
                                              "of February?", [FEBRUARY]) is True


@pytest.mark.llm
def test_a_question_the_text_only_seems_to_answer_gets_no(generator):
    assert selfcheck.states_answer(generator, "When is the value-added telecom pilot program scheduled to end?",
                                   [FEBRUARY]) is False


def test_a_generator_that_is_down_leaves_the_answer_standing(base_settings):
    from assistant.generation import load_generator
    from eval.judge import free_port

    down = load_generator(base_settings.override(backend="openai", openai_model="any",
                                                 openai_base_url=f"http://127.0.0.1:{free_port()}/v1"))
    assert selfcheck.states_answer(down, "When is the pilot scheduled to end?", [FEBRUARY]) is None
