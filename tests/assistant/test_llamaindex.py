"""The llama-index components: PolicyQA's retriever inside a stock `RetrieverQueryEngine`,
and the query and chat engines that answer with verified citations."""

from __future__ import annotations

import pytest
from llama_index.core.schema import QueryBundle

WUHAN = "Can I own 100% of a VPN service in Wuhan?"


def test_retriever_returns_nodes_with_our_scores_and_metadata(assistant):
    nodes = assistant.as_retriever(top_k=3).retrieve(WUHAN)
    passages = assistant.retrieve(WUHAN, top_k=3)
    assert [n.node.node_id for n in nodes] == [p.chunk_id for p in passages]
    assert [n.score for n in nodes] == [p.score for p in passages]
    first = nodes[0].node
    assert {"document", "title", "section", "publisher", "date", "url", "start", "end"} <= set(first.metadata)
    assert (
        assistant.snapshot.text_span(first.metadata["document"], first.start_char_idx, first.end_char_idx) == first.text
    )
    assert "start" not in first.get_content(metadata_mode="llm")  # offsets are not for the model
    assert first.metadata["title"] in first.get_content(metadata_mode="llm")


def test_retriever_filters(assistant):
    nodes = assistant.as_retriever(filters={"publishers": ["Global Times"]}).retrieve(WUHAN)
    assert nodes and {n.node.metadata["publisher"] for n in nodes} == {"Global Times"}


@pytest.mark.llm
def test_retriever_inside_a_stock_query_engine(local_assistant):
    from llama_index.core.query_engine import RetrieverQueryEngine

    llm = local_assistant.as_llm()
    engine = RetrieverQueryEngine.from_args(local_assistant.as_retriever(top_k=3), llm=llm)
    response = engine.query("What is the foreign ownership cap for domestic internet VPN services?")
    assert "50" in str(response), str(response)
    assert any("50%" in n.node.text for n in response.source_nodes)


def test_query_engine_answers_with_verified_citations(assistant):
    response = assistant.as_query_engine().query(QueryBundle(WUHAN))
    answer = response.metadata["answer"]
    assert answer.grounded and str(response) == answer.text
    assert [n.node.node_id for n in response.source_nodes] == [c.passage.chunk_id for c in answer.citations]
    assert any("50%" in q for n in response.source_nodes for q in n.node.metadata["quotes"])


def test_chat_engine_keeps_the_conversation(assistant):
    engine = assistant.as_chat_engine()
    first = engine.chat(WUHAN)
    assert first.metadata["answer"].grounded
    follow = engine.chat("and in Suzhou?")
    assert "suzhou" in follow.metadata["answer"].standalone_query.lower()
    assert "vpn" in follow.metadata["answer"].standalone_query.lower()
    assert len(engine.chat_history) == 4
    streamed = engine.stream_chat("and in Hangzhou?")
    assert "".join(streamed.response_gen) == engine.chat_history[-1].content
    engine.reset()
    assert engine.chat_history == []
    fresh = engine.chat("and in Suzhou?")
    assert "vpn" not in fresh.metadata["answer"].standalone_query.lower()
