"""`policyqa eval generate`: a synthetic test set from ragas's TestsetGenerator.

ragas builds a knowledge graph over the corpus (summaries, themes and named entities per
node, embeddings; similarity and entity-overlap relationships), derives personas from
the summaries, and writes single-hop and multi-hop questions with reference answers.

What had to change for this corpus, and why (see ../shared/GUIDE.md, ragas issues 2083
and 1988): our five articles are 300-650 words with no Markdown headings. ragas's
`default_transforms` puts documents over 500 tokens on the HeadlinesExtractor +
HeadlineSplitter path, which finds no headlines to split on, so no chunk nodes are made
and the chunk-level extractors and query synthesizers then find "no nodes that
satisfied the given filter". Instead of skipping generation we feed ragas chunks we cut
ourselves from the cleaned documents the index holds (paragraph-aligned, ~150 words,
so each holds a few facts), and run ragas's own transforms for pre-chunked input
(`generate_with_chunks`). Every reference context is then a verbatim span of a cleaned
document, which the eval can locate like the gold set's (multi-hop contexts once their
"<1-hop>" tags are stripped).

ragas's raw output is kept beside the test set (`<name>.raw.jsonl`), and the review (which
questions were dropped, and why) lives in `<name>.meta.json`: `--from-raw` converts again
without an LLM. The CustomNodeFilter's "Node … does not have a summary" warnings are
harmless here: it looks for a parent document's summary, and pre-chunked nodes have none,
so it keeps every chunk.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from eval.references import find_in_corpus
from eval.testsets import RAW_SUFFIX, TESTSET_DIR, Sample, save_testset
from policyqa.errors import PolicyQAError
from policyqa.settings import Settings


class GenerationError(PolicyQAError):
    pass


@dataclass
class GenerateOptions:
    size: int = 24
    name: str = "synthetic"
    judge_url: str | None = None
    judge_model: str | None = None
    judge_size: str = "default"
    seed: int = 7
    out: Path | None = None
    chunk_words: int = 150
    num_personas: int = 3
    max_tokens: int = 1024
    timeout: int = 1800  # seconds per LLM call (ragas RunConfig)


def paragraph_chunks(text: str, words: int) -> list[tuple[int, int]]:
    """Spans of consecutive paragraphs (lines) of about `words` words each."""
    spans, start, count, end = [], None, 0, 0
    pos = 0
    for line in text.split("\n"):
        line_start, line_end = pos, pos + len(line)
        pos = line_end + 1
        if not line.strip():
            continue
        if start is None:
            start = line_start
        count += len(line.split())
        end = line_end
        if count >= words:
            spans.append((start, end))
            start, count = None, 0
    if start is not None:
        if spans and count < words // 3:
            spans[-1] = (spans[-1][0], end)  # a short tail joins the previous chunk
        else:
            spans.append((start, end))
    return spans


def corpus_chunks(snapshot, words: int):
    from langchain_core.documents import Document as LCDocument

    chunks = []
    for doc_id in sorted(snapshot.documents):
        doc = snapshot.documents[doc_id]
        for start, end in paragraph_chunks(doc.text, words):
            chunks.append(
                LCDocument(page_content=doc.text[start:end], metadata={"doc_id": doc_id, "start": start, "end": end})
            )
    return chunks


_HOP_TAG = re.compile(r"^\s*<\d+-hop>\s*")
_SENTENCE_END = re.compile(r"[.!?][\"”’)]*(?=\s|$)")
REFERENCE_CHARS = 2000


def complete_sentences(text: str) -> str:
    """The text up to its last complete sentence: a reference cut off by a length bound
    keeps what it fully says, never half a claim."""
    text = text.strip()
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    return text[: ends[-1]] if ends else ""


def raw_rows(testset) -> list[dict]:
    """ragas's output as plain rows, kept beside the test set so that converting it again
    (`policyqa eval generate --from-raw`) needs no new generation."""
    return [
        {
            "user_input": item.eval_sample.user_input,
            "reference": item.eval_sample.reference,
            "reference_contexts": list(item.eval_sample.reference_contexts or []),
            "synthesizer_name": item.synthesizer_name,
        }
        for item in testset.samples
    ]


def to_samples(rows: list[dict], snapshot) -> tuple[list[Sample], dict[str, str], list[dict]]:
    """ragas rows → our Sample format (and each one's synthesizer); drops, with the
    reason, what cannot be used. Multi-hop contexts come tagged "<1-hop>", "<2-hop>":
    the tag goes, the chunk text stays."""
    samples, synthesizers, dropped = [], {}, []
    seen: set[str] = set()
    for n, row in enumerate(rows, 1):
        sid = f"s{n:02d}"
        synthesizer = row.get("synthesizer_name") or ""
        question = (row.get("user_input") or "").strip()
        reference = complete_sentences(row.get("reference") or "")
        contexts = [_HOP_TAG.sub("", c) for c in (row.get("reference_contexts") or []) if c and c.strip()]
        reason = None
        if not question or not reference:
            reason = "empty question or reference (or no complete sentence in the reference)"
        elif question.lower() in seen:
            reason = "duplicate question"
        doc_ids = []
        for ctx in contexts:
            span = find_in_corpus(snapshot, ctx)
            found = span[0] if span else None
            if found is None:
                reason = reason or "a reference context is not a span of any document"
            elif found not in doc_ids:
                doc_ids.append(found)
        if reason:
            dropped.append({"id": sid, "question": question, "reason": reason, "synthesizer": synthesizer})
            continue
        seen.add(question.lower())
        kind = "multi_hop" if "multi_hop" in synthesizer else "fact"
        samples.append(
            Sample(
                id=sid,
                user_input=question,
                reference=reference,
                reference_contexts=contexts,
                reference_doc_ids=doc_ids,
                kind=kind,
            )
        )
        synthesizers[sid] = synthesizer
    return samples, synthesizers, dropped


def generate(settings: Settings, options: GenerateOptions) -> Path:
    import ragas
    from ragas.run_config import RunConfig
    from ragas.testset import TestsetGenerator
    from ragas.testset.synthesizers import default_query_distribution
    from ragas.testset.transforms import default_transforms_for_prechunked

    from eval.judge import CallLog, judge_endpoint, make_ragas_llm
    from eval.runner import _embeddings, corpus_hash, git_commit
    from index.snapshot import open_snapshot

    snapshot = open_snapshot(settings)
    chunks = corpus_chunks(snapshot, options.chunk_words)
    out = options.out or TESTSET_DIR / f"{options.name}.jsonl"
    started = time.perf_counter()
    with judge_endpoint(
        settings, url=options.judge_url, model=options.judge_model, size=options.judge_size, n_ctx=8192
    ) as endpoint:
        calls = CallLog(None)
        # References run to several sentences: the judge's 400-character string bound cut
        # them mid-word in the first committed generation.
        llm = make_ragas_llm(
            endpoint, max_tokens=options.max_tokens, timeout=options.timeout, log=calls, max_string=REFERENCE_CHARS
        )
        embeddings = _embeddings()
        generator = TestsetGenerator(llm=llm, embedding_model=embeddings)
        run_config = RunConfig(timeout=options.timeout, max_workers=1, max_retries=2, seed=options.seed)
        transforms = default_transforms_for_prechunked(llm=llm, embedding_model=embeddings)
        # The query distribution is decided once the graph exists: ragas keeps only the
        # synthesizers whose node clusters exist in it.
        from ragas.testset.graph import KnowledgeGraph, Node, NodeType
        from ragas.testset.transforms import apply_transforms

        kg = KnowledgeGraph(
            nodes=[
                Node(type=NodeType.CHUNK, properties={"page_content": c.page_content, "document_metadata": c.metadata})
                for c in chunks
            ]
        )
        apply_transforms(kg, transforms, run_config=run_config)
        generator.knowledge_graph = kg
        distribution = default_query_distribution(llm, kg)
        try:
            testset = generator.generate(
                testset_size=options.size,
                query_distribution=distribution,
                num_personas=options.num_personas,
                run_config=run_config,
                raise_exceptions=False,
            )
        except ValueError as exc:
            raise GenerationError(f"ragas could not generate questions from the knowledge graph: {exc}") from exc
        judge_info = endpoint.public()
    rows = raw_rows(testset)
    raw_path(out).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    meta = {
        "testset": out.name,
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "seconds": round(time.perf_counter() - started, 1),
        "ragas_version": ragas.__version__,
        "llm": judge_info,
        "embeddings": snapshot.embed_model,
        "corpus_hash": corpus_hash(snapshot),
        "git": git_commit(),
        "options": {
            k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(options).items() if k not in ("judge_url",)
        },
        "input": {
            "chunks": len(chunks),
            "chunking": f"paragraph-aligned spans of the cleaned documents, ~{options.chunk_words} words "
            "(ragas's HeadlineSplitter finds no headlines in these articles)",
            "method": "TestsetGenerator.generate on a KnowledgeGraph of CHUNK nodes built with "
            "default_transforms_for_prechunked (summary, themes, NER, embeddings, "
            "cosine-similarity and entity-overlap relationships)",
        },
        "knowledge_graph": {"nodes": len(kg.nodes), "relationships": len(kg.relationships)},
        "llm_calls": {
            "count": len(calls.calls),
            "seconds": round(sum(c.get("seconds") or 0 for c in calls.calls), 1),
            "failed": [c for c in calls.calls if c.get("error") or c.get("status") != 200],
        },
        "personas": [p.model_dump() for p in (generator.persona_list or [])],
        "query_distribution": {q.name: round(w, 3) for q, w in distribution},
        "review": {"status": "unreviewed", "dropped": [], "notes": ""},
    }
    return write_testset(rows, snapshot, out, meta)


def raw_path(out: Path) -> Path:
    return out.with_name(out.stem + RAW_SUFFIX + ".jsonl")


def meta_path(out: Path) -> Path:
    return out.with_name(out.stem + ".meta.json")


def write_testset(rows: list[dict], snapshot, out: Path, meta: dict) -> Path:
    """Convert ragas rows, apply the review's drops, write the test set and its meta."""
    samples, synthesizers, dropped = to_samples(rows, snapshot)
    review = meta.setdefault("review", {"status": "unreviewed", "dropped": [], "notes": ""})
    rejected = {d["id"] for d in review.get("dropped", [])}
    samples = [s for s in samples if s.id not in rejected]
    if not samples:
        raise GenerationError(f"ragas produced no usable question; see {meta_path(out).name} for what was dropped")
    save_testset(samples, out)
    meta.update(generated=len(rows), kept=len(samples), synthesizers=synthesizers, auto_dropped=dropped)
    meta_path(out).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


def reconvert(settings: Settings, out: Path) -> Path:
    """Rebuild a test set from ragas's kept raw output and its meta (review included),
    after the conversion or the review changed: no LLM is called."""
    from index.snapshot import open_snapshot

    if not raw_path(out).is_file() or not meta_path(out).is_file():
        raise GenerationError(f"{raw_path(out)} and {meta_path(out)} are needed to convert again")
    rows = [json.loads(line) for line in raw_path(out).read_text(encoding="utf-8").splitlines() if line.strip()]
    meta = json.loads(meta_path(out).read_text(encoding="utf-8"))
    return write_testset(rows, open_snapshot(settings), out, meta)
