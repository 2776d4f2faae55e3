"""The embedding backends, with real models: vectors, order, the query and
passage sides, across languages, and what a llama-index pipeline gets."""

from __future__ import annotations

import numpy as np
import pytest

from index.embedding import AUTO, E5_MODEL, _slices, load_embedder, resolve_model
from policyqa.errors import ModelUnavailableError
from policyqa.settings import Settings

MODELS = ["all-MiniLM-L6-v2", E5_MODEL]


@pytest.fixture(scope="module", params=MODELS)
def embedder(request, tmp_path_factory):
    return load_embedder(Settings(data_dir=tmp_path_factory.mktemp("e"), embed_model=request.param, embed_batch_size=2))


def test_embedder_keeps_input_order_and_normalises(embedder):
    texts = ["short", "a much longer text about foreign investment in cloud services " * 3, "mid length text", ""]
    seen = []
    out = embedder.embed_documents(texts, progress=seen.append)
    assert sum(seen) == len(texts)
    assert out.shape == (len(texts), embedder.dim) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-4)
    # Batched, sliced and reordered, each row is what the text embeds to on its own.
    for text, row in zip(texts, out):
        np.testing.assert_allclose(row, embedder.raw_encode([text])[0], atol=1e-4)
    assert embedder.embed_documents([]).shape == (0, embedder.dim)
    assert embedder.embed_many([]).shape == (0, embedder.dim)


def test_a_question_is_closest_to_the_passage_that_answers_it(embedder):
    passages = [
        "Foreign ownership of domestic VPN services is capped at 50 percent.",
        "Employees accrue four hours of sick leave every pay period.",
        "The office is closed on public holidays.",
    ]
    scores = embedder.embed_documents(passages) @ embedder.embed_query("How much of a VPN company may a foreigner own?")
    assert int(np.argmax(scores)) == 0


def test_e5_embeds_queries_and_passages_with_their_own_prefixes(tmp_path):
    e5 = load_embedder(Settings(data_dir=tmp_path, embed_model=E5_MODEL))
    text = "Foreign ownership of domestic VPN services is capped at 50 percent."
    query, passage = e5.embed_query(text), e5.embed_documents([text])[0]
    assert not np.allclose(query, passage, atol=1e-3)  # "query: " vs "passage: "
    np.testing.assert_allclose(e5.embed_many([text])[0], query, atol=1e-5)  # symmetric use: the query side


def test_e5_reads_a_text_up_to_two_windows_of_tokens(tmp_path):
    """A chunk of file paths (few spaces, many tokens) is embedded from its head, as MiniLM
    reads its first 256 tokens, not window by window to its end."""
    e5 = load_embedder(Settings(data_dir=tmp_path, embed_model=E5_MODEL))
    paths = " ".join(f"usr/share/doc/package-{n}/examples/config-{n}.conf" for n in range(600))
    head = e5._head(paths, query=False)
    assert e5.model.token_count(paths) > 3 * e5.MAX_TOKENS
    assert e5.MAX_TOKENS - 40 < e5.model.token_count(head) <= e5.MAX_TOKENS  # cut at the last space that fits
    assert paths.startswith(head) and not head.endswith(" ")
    np.testing.assert_allclose(e5.embed_documents([paths])[0], e5.raw_encode([head])[0], atol=1e-5)
    prose = "Foreign ownership of domestic VPN services is capped at 50 percent. " * 10
    assert e5._head(prose, query=False) == prose  # a policy chunk is read whole


def test_progress_slices_hold_a_bounded_number_of_characters():
    """Longest texts first, a slice of long ones is smaller, so progress keeps moving."""
    lengths = [60_000] * 4 + [500] * 300
    slices = _slices(list(range(len(lengths))), lengths, count=128, chars=128 * 1000)
    assert [len(s) for s in slices[:3]] == [2, 2 + 16, 128] and sum(map(len, slices)) == len(lengths)
    assert all(sum(lengths[i] for i in s) <= 128 * 1000 for s in slices)
    assert _slices([0], [500_000], count=128, chars=1000) == [[0]]  # a longer text is a slice alone


def test_e5_finds_the_same_fact_in_german_and_chinese(tmp_path):
    """An English question scores the German and Chinese renderings of its answer above an
    unrelated English sentence: dense search works across languages with this model."""
    e5 = load_embedder(Settings(data_dir=tmp_path, embed_model=E5_MODEL))
    q = e5.embed_query("Is foreign ownership of VPN services limited?")
    same_de, same_zh, other = (
        e5.embed_documents(
            [
                "Der ausländische Anteil an inländischen VPN-Diensten ist auf 50 Prozent begrenzt.",
                "外资持有国内VPN服务的比例上限为50%。",
                "Employees accrue four hours of sick leave every pay period.",
            ]
        )
        @ q
    )
    assert min(same_de, same_zh) > other


def test_auto_picks_the_english_model_only_for_an_english_collection():
    assert resolve_model(AUTO, ["en", "en", None]) == "all-MiniLM-L6-v2"
    assert resolve_model(AUTO, ["en", "de"]) == E5_MODEL
    assert resolve_model(AUTO, ["zh"]) == E5_MODEL
    assert resolve_model("all-MiniLM-L6-v2", ["de"]) == "all-MiniLM-L6-v2"  # a model named is kept


def test_calibration_puts_e5_on_the_default_scale_and_keeps_its_order(tmp_path):
    """e5's cosines (unrelated text about 0.8) land where MiniLM's do (about 0.2), in the
    same order; the default model's are left as they are."""
    e5 = load_embedder(Settings(data_dir=tmp_path, embed_model=E5_MODEL))
    q = e5.embed_query("Can I get my money back if I cancel in the first month?")
    cosines = (
        e5.embed_documents(
            [
                "If you cancel within the first 30 days, you may request a refund.",
                "Employees accrue four hours of sick leave every pay period.",
            ]
        )
        @ q
    )
    refund, unrelated = e5.calibrate(cosines)
    assert refund > unrelated and unrelated < 0.4 < refund
    assert min(cosines) > 0.7  # what the calibration is for
    mini = load_embedder(Settings(data_dir=tmp_path, embed_model="all-MiniLM-L6-v2"))
    assert mini.calibrate(0.42) == 0.42


def test_llama_index_sees_the_same_vectors(embedder):
    li = embedder.llama_index_embedding()
    text = "Cloud services are opened to foreign investors in pilot cities."
    np.testing.assert_allclose(li.get_query_embedding(text), embedder.embed_query(text), atol=1e-4)
    np.testing.assert_allclose(li.get_text_embedding_batch([text])[0], embedder.raw_encode([text])[0], atol=1e-4)


def test_an_unknown_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelUnavailableError, match="multilingual-e5-small"):
        load_embedder(Settings(data_dir=tmp_path, embed_model=str(tmp_path / "no-such-model")))


def test_worker_process_encodes_like_this_process(tmp_path):
    """The code a parallel worker runs, in a real spawned process: same vectors, per job."""
    import multiprocessing as mp
    import os

    from index.embedding import _worker_main

    embedder = load_embedder(Settings(data_dir=tmp_path))
    ctx = mp.get_context("spawn")
    jobs, results = ctx.Queue(), ctx.Queue()
    worker = ctx.Process(target=_worker_main, args=(str(embedder.path), 8, 1, os.getpid(), jobs, results))
    worker.start()
    try:
        batches = [["cloud services in Beijing", "VPN ownership capped at 50%"], ["data centres", "", "x " * 400]]
        for n, texts in enumerate(batches):
            jobs.put((n, texts))
        jobs.put(None)
        got = dict((n, (vectors, error)) for n, vectors, error in (results.get(timeout=120) for _ in batches))
        worker.join(timeout=30)
        assert worker.exitcode == 0
    finally:
        if worker.is_alive():
            worker.kill()
    for n, texts in enumerate(batches):
        vectors, error = got[n]
        assert error is None
        np.testing.assert_allclose(vectors, embedder.embed_documents(texts), atol=1e-5)


# -- a GGUF embedding model through llama.cpp ------------------------------------------
@pytest.fixture(scope="module")
def gguf_embedder(base_settings):
    """The small generator's GGUF run as an embedding model: a real file through the same
    llama.cpp path an embedding GGUF takes (it has no pooling of its own, so its token
    vectors are averaged)."""
    from assistant.generation.model_files import resolve_model as resolve_gguf

    path = resolve_gguf(base_settings, "small")
    return load_embedder(base_settings.override(embed_model=str(path), embed_batch_size=2))


@pytest.mark.llm
def test_a_gguf_embedding_model_keeps_order_and_normalises(gguf_embedder):
    texts = ["short", "a much longer text about foreign investment in cloud services " * 3, "mid length text", ""]
    out = gguf_embedder.embed_documents(texts)
    assert out.shape == (len(texts), gguf_embedder.dim) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-4)
    for text, row in zip(texts, out):
        np.testing.assert_allclose(row, gguf_embedder.raw_encode([text])[0], atol=1e-3)
    assert gguf_embedder.embed_query("short").shape == (gguf_embedder.dim,)


def test_gguf_models_get_their_task_prefixes_and_scale_by_file_name():
    from index.embedding import gguf_traits

    prefixes, scale = gguf_traits("/models/nomic-embed-text-v1.5.Q8_0.gguf")
    assert prefixes == ("search_query: ", "search_document: ") and scale is not None
    assert gguf_traits("/models/other-embedder.gguf") == (("", ""), None)


def test_a_missing_gguf_file_is_a_clear_error(tmp_path):
    with pytest.raises(ModelUnavailableError, match="no such GGUF file"):
        load_embedder(Settings(data_dir=tmp_path, embed_model=str(tmp_path / "absent.gguf")))
