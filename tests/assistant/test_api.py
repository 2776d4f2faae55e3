"""The public Python API: concurrency, the Chat object, streaming order, index reloads."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from assistant import Answer, Assistant, Delta, Evidence
from policyqa.errors import IndexMissingError
from policyqa.settings import PROJECT_ROOT

QUESTIONS = {
    "How many pilot tasks does the service-sector work plan propose?": "155",
    "How many foreign-invested enterprises were approved for the value-added telecom pilot?": "166",
    "Which cities are in the pilot for VPN services?": "Wuhan",
    "Which HSBC subsidiary is preparing to apply for an internet content provider permit?": "HSBC Fintech Services",
    "As of September, how many foreign-invested companies had telecom licences?": "2,220",
    "Who is the minister of industry and information technology?": "Jin Zhuanglong",
    "Which veteran telecom industry observer spoke to the Global Times?": "Ma Jihua",
    "What is the foreign ownership cap on domestic VPN services?": "50%",
}


def test_eight_threads_get_correct_independent_results(assistant):
    questions = list(QUESTIONS) * 2
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(assistant.retrieve, questions))
    for question, passages in zip(questions, results):
        assert QUESTIONS[question] in "\n".join(p.text for p in passages[:3]), question


def test_stream_yields_evidence_first_and_answer_last(assistant):
    events = list(assistant.stream("How many pilot tasks does the Plan propose?", backend="extractive"))
    assert isinstance(events[0], Evidence) and events[0].passages
    assert isinstance(events[-1], Answer)
    assert all(isinstance(e, Delta) for e in events[1:-1])
    answer = events[-1]
    assert answer.grounded and "155" in answer.text
    assert {"evidence", "retrieve", "total"} <= set(answer.timings)


def test_refusal_for_off_topic_question(assistant):
    answer = assistant.ask("Who won the 2022 FIFA World Cup?", backend="extractive")
    assert answer.refused and not answer.citations
    assert answer.text == "The documents do not say." and answer.notes


def test_chat_keeps_history_for_follow_ups(assistant):
    chat = assistant.chat()
    first = chat.ask("Which cities are in the pilot for VPN services?", backend="extractive")
    assert first.grounded
    follow = chat.ask("Is Suzhou one of them?", backend="extractive")
    assert follow.standalone_query == "Is Suzhou one of them?" and "VPN" in follow.context
    assert len(chat.history) == 4


def test_status_describes_the_loaded_index(assistant):
    status = assistant.status()
    assert status["documents"] == 5 and status["chunks"] > 5 and status["generator"] == "extractive (no LLM)"


def test_each_corpus_folder_opens_its_own_index(tmp_path, built_settings):
    """Another folder from the same data directory never gets the first folder's index:
    unindexed, it says so; `Assistant.build` indexes it; the first index stays as it was."""
    harbour = tmp_path / "harbour"
    harbour.mkdir()
    (harbour / "moorings.md").write_text(
        "---\nid: moorings\ntitle: Moorings\n---\nEvery mooring needs an amber permit from the port office.\n"
    )
    other = built_settings.override(corpus_dir=harbour)
    assert other.data_dir == built_settings.data_dir and other.index_dir != built_settings.index_dir
    with pytest.raises(IndexMissingError, match=f"policyqa index build --corpus {harbour}"):
        Assistant(other, load_generator=False)
    harbour_qa = Assistant.build(other)
    assert [p.doc_id for p in harbour_qa.retrieve("Who issues mooring permits?")] == ["moorings"]
    assert len(Assistant(built_settings, load_generator=False).snapshot.documents) == 5


def test_new_index_generation_is_picked_up(tmp_path, built_settings):
    """A build while serving: the assistant switches to the new generation whole."""
    from index import build_index

    corpus = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", corpus)
    settings = built_settings.override(data_dir=tmp_path / "data", corpus_dir=corpus)
    build_index(settings)
    live = Assistant(settings, load_generator=False)
    before = live.snapshot.generation
    (corpus / "extra.md").write_text(
        "---\nid: extra\ntitle: Extra\n---\nThe Zorblax telecom rule caps foreign ownership of satellite phones at 10%.\n"
    )
    build_index(settings)
    passages = live.retrieve("What is the Zorblax rule on satellite phones?")
    assert live.snapshot.generation == before + 1
    assert passages[0].doc_id == "extra"


def test_questions_during_a_build_see_the_old_or_the_new_index_never_a_mix(tmp_path, built_settings):
    """Readers keep asking while a build changes a document and adds one: every answer
    comes whole from one generation (its passages are that generation's chunks, quoted
    from that generation's texts), and none fails."""
    import threading

    from index import build_index
    from index.snapshot import open_snapshot

    corpus = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", corpus)
    settings = built_settings.override(data_dir=tmp_path / "data", corpus_dir=corpus)
    build_index(settings)
    old = open_snapshot(settings)
    live = Assistant(settings, load_generator=False)
    vpn = corpus / "new-measures-20-cities.md"
    vpn.write_text(vpn.read_text().replace("capped at 50%", "capped at 49%"))
    (corpus / "extra.md").write_text(
        "---\nid: extra\ntitle: Extra\n---\nThe Zorblax rule caps foreign ownership "
        "of satellite phone services at 10% in Wuhan.\n"
    )
    seen: list[tuple[set[str], str]] = []
    errors: list[BaseException] = []
    building = threading.Event()
    building.set()

    def reader() -> None:
        while building.is_set():
            try:
                answer = live.ask("What is the foreign ownership cap on domestic VPN services in Wuhan?")
                seen.append(({p.chunk_id for p in answer.passages}, answer.text))
            except BaseException as exc:  # noqa: BLE001 - any failure is the finding
                errors.append(exc)
                return

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        build_index(settings)
    finally:
        building.clear()
        for t in threads:
            t.join(timeout=120)
    for _ in range(3):  # and after it
        answer = live.ask("What is the foreign ownership cap on domestic VPN services in Wuhan?")
        seen.append(({p.chunk_id for p in answer.passages}, answer.text))
    new = open_snapshot(settings)
    assert not errors, errors
    assert new.generation == old.generation + 1 and len(seen) >= 4
    old_ids, new_ids = {c.id for c in old.chunks}, {c.id for c in new.chunks}
    for ids, _ in seen:
        assert ids <= old_ids or ids <= new_ids, f"passages from two generations: {ids}"
    assert "49%" in seen[-1][1], "the build's change was not picked up"
