"""docs/benchmarks.md, docs/configuration.md and the README's headline figures, generated.

Every figure in the docs comes from `benchmarks/results/*.json`, with the machine, commit
and date of the run that measured it; `tests/benchmarks/test_report.py` fails when the
committed pages differ from what this script writes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from benchmarks.common import RESULTS_DIR, table

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
README = ROOT / "README.md"
# (label, retrieval result, answers result): the seed articles and the two real collections.
CORPORA = [
    ("Seed articles (5 news articles)", "retrieval", "answers", "gold (dev: tuned on)"),
    ("Seed articles, new questions", "retrieval-seed-heldout", "answers-seed-heldout", "seed-heldout"),
    ("18F handbook (238 documents)", "retrieval-18f", "answers-18f", "18f"),
    (
        "18F handbook, questions asked in German (238 documents; a search includes its translation)",
        "retrieval-18f-german",
        "answers-18f-german",
        "18f-german",
    ),
    ("Mozilla legal documents (101 documents, 3 languages)", "retrieval-mozilla", "answers-mozilla", "mozilla"),
    (
        "Mozilla, German, Chinese and cross-language questions (101 documents, 3 languages)",
        "retrieval-mozilla-multilingual",
        "answers-mozilla-multilingual",
        "mozilla-multilingual",
    ),
]
FIGURES = re.compile(r"(<!-- figures:start -->\n).*?(<!-- figures:end -->)", re.S)


def load(name: str) -> dict | None:
    path = RESULTS_DIR / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def provenance(data: dict) -> str:
    m = data.get("machine", {})
    return f"{m.get('when', '?')[:10]}, commit {m.get('commit', '?')}, {m.get('cpus', '?')} CPUs"


def _split_rows(data: dict, method_key: str, methods: list[str] | None = None) -> list[dict]:
    out = []
    for split, rows in data.get("summary", {}).items():
        for row in rows:
            if methods is None or row.get(method_key) in methods:
                out.append({"split": split, **row})
    return out


def retrieval_section(label: str, data: dict) -> str:
    rows = _split_rows(data, "method")
    cols = ["split", "method", "questions", "hit@1", "hit@3", "mrr", "all@3"]
    lat = data.get("latency", {})
    return (
        f"### {label}\n\n{data.get('documents', '?')} documents, {data.get('chunks', '?')} chunks, "
        f"embeddings {data.get('settings', {}).get('embed_model', '?')}; "
        f"`Assistant.search` p50/p95 {lat.get('p50_ms', '?')}/{lat.get('p95_ms', '?')} ms. "
        f"Measured {provenance(data)}.\n\n{_markdown(rows, cols)}\n{_by_language(data)}"
    )


def _by_language(data: dict) -> str:
    """The full pipeline's figures per question language (and across languages), where
    a set has more than one."""
    rows = []
    for split, summary in data.get("summary", {}).items():
        full = next((r for r in summary if r.get("method") == "full"), {})
        for group, figures in full.get("by_language", {}).items():
            rows.append({"split": split, "questions in": group, **figures})
    if len({r["questions in"] for r in rows}) < 2:
        return ""
    cols = ["split", "questions in", "questions", "hit@3", "mrr"]
    return f"\nThe full pipeline by the question's language (cross-language: its evidence is in another):\n\n{_markdown(rows, cols)}\n"


def embeddings_section(label: str, data: dict) -> str:
    default = data.get("settings", {}).get("embed_model", "default")
    order = ["dense", "fused", "full"]
    rows = []
    for row in _split_rows(data, "method"):
        method, _, model = row["method"].partition(" [")
        if method in order:
            rows.append({**row, "method": method, "model": model.rstrip("]") or default})
    cols = ["split", "model", "method", "questions", "hit@1", "hit@3", "mrr", "all@3"]
    lat = " · ".join(f"{m} {v.get('p50_ms')}/{v.get('p95_ms')} ms" for m, v in data.get("latency_by_model", {}).items())
    return (
        f"### {label}\n\n`Assistant.search` p50/p95: {lat}. Measured {provenance(data)}.\n\n"
        f"{_markdown(sorted(rows, key=lambda r: (r['split'], order.index(r['method']), r['model'])), cols)}\n"
    )


def answers_section(label: str, data: dict) -> str:
    rows = _split_rows(data, "backend")
    cols = [
        "split",
        "backend",
        "questions",
        "verdicts",
        "facts",
        "citation_precision",
        "refused_unanswerable",
        "false_refusals",
        "first_token_p95_s",
        "total_p95_s",
    ]
    return f"### {label}\n\nMeasured {provenance(data)}.\n\n{_markdown(rows, cols)}\n"


def _markdown(rows: list[dict], cols: list[str]) -> str:
    lines = table(rows, cols).splitlines()
    head, body = lines[0], lines[2:]
    fmt = lambda line: "| " + line.replace(" | ", " | ") + " |"  # noqa: E731
    return "\n".join([fmt(head), "|" + "|".join("---" for _ in cols) + "|", *map(fmt, body)])


def headline(answers: dict | None, retrieval: dict | None, label: str) -> list[dict]:
    out = []
    for split in ("dev", "heldout"):
        r = next((x for x in (retrieval or {}).get("summary", {}).get(split, []) if x["method"] == "full"), {})
        a = next((x for x in (answers or {}).get("summary", {}).get(split, []) if x["backend"] == "local"), {})
        if r or a:
            out.append(
                {
                    "collection": label,
                    "split": split,
                    "hit@3": r.get("hit@3"),
                    "MRR": r.get("mrr"),
                    "verdicts": a.get("verdicts"),
                    "facts": a.get("facts"),
                    "cited passage holds evidence": a.get("citation_precision"),
                    "unanswerable refused": a.get("refused_unanswerable"),
                    "answerable refused": a.get("false_refusals"),
                }
            )
    return out


def render() -> tuple[str, str]:
    """(docs/benchmarks.md, the README's figures block)."""
    parts = [
        "# Benchmarks",
        "",
        "Generated by `policyqa bench report` from `benchmarks/results/*.json`; do not edit by hand.",
        "Every run states its machine, commit and date. Dev splits are tuned on; held-out splits never are.",
        "",
    ]
    summary: list[dict] = []
    parts.append(
        "## Retrieval\n\nMethods: `dense` (llama-index vector retriever), `bm25`, `llamaindex-hybrid` "
        "(`QueryFusionRetriever` over BM25 and dense, reciprocal rank), `fused` (ours, no re-ranking), "
        "`full` (the pipeline). A passage hits when it overlaps a reference span.\n"
    )
    for label, retrieval, _, _ in CORPORA:
        data = load(retrieval)
        if data:
            parts.append(retrieval_section(label, data))
    compared = [(label, load(f"retrieval-embeddings{name[len('retrieval') :]}")) for label, name, _, _ in CORPORA]
    if any(data for _, data in compared):
        parts.append(
            "## Embedding models\n\nThe same chunks embedded with each model, each over its own index, in one run "
            "(`policyqa bench retrieval --compare-embedding MODEL --output retrieval-embeddings-…`). `dense` ranks by "
            "cosine alone, so it compares the models fairly; `fused` and `full` read each model's cosines on "
            "one scale (`Embedder.calibrate`, since commit f3f07c1; runs before it used e5's raw "
            "cosines, which sit high and close). The default model is the one `auto` picks for the "
            "collection.\n"
        )
        for label, data in compared:
            if data:
                parts.append(embeddings_section(label, data))
    parts.append(
        "## Answers\n\nLocal backend (Qwen2.5-Coder-1.5B) and the extractive backend, default settings, "
        "one set of settings for every collection.\n"
    )
    for label, retrieval, answers, _ in CORPORA:
        data = load(answers)
        if data:
            parts.append(answers_section(label, data))
        summary += headline(load(answers), load(retrieval), label.split(" (")[0])
    ingest = [(name, load(name)) for name in ("ingest", "ingest-18f-handbook")]
    if any(d for _, d in ingest):
        parts.append("## Indexing\n")
        for _, data in ingest:
            if data:
                parts.append(
                    f"### {data['corpus'].get('source', 'synthetic')}\n\n{data['corpus']['documents']} documents, "
                    f"{data['corpus']['chunks']} texts embedded (each chunk and, for verification, its "
                    f"sentences; `chunks` below counts them). Measured {provenance(data)}.\n\n"
                    + _markdown(data["pipelines"], ["pipeline", "chunks", "seconds", "chunks_per_s", "vs_raw"])
                    + "\n"
                )
    decoding = load("decoding")
    if decoding:
        parts.append(
            "## Decoding under the answer grammar\n\nThe same loaded model and answer prompts, greedy decoding "
            "timed from first token to last, with llama-cpp-python's stock sampling (the grammar checked over the "
            "whole vocabulary at every token) and with the grammar checked on the best candidates first "
            f"(`policyqa bench decoding`). Identical text: {decoding['identical_text']}. "
            f"Measured {provenance(decoding)}.\n\n"
            + _markdown(decoding["summary"], ["sampler", "prompts", "tokens_per_s_median", "ratio_to_stock"])
            + "\n"
        )
    state = load("prompt-state")
    if state:
        parts.append(
            "## The system prompt's evaluated state\n\nThe same loaded model answering the same questions in full, "
            "with llama-cpp-python's prompt cache (the whole state saved after every completion) and with the one "
            "state the local backend keeps, in alternating rounds (`policyqa bench prompt-state`). Saved per answer: "
            f"{state['saved_per_answer_s']} s. Identical answers: {state['identical_answers']} (the others where "
            "the cache put back a longer saved state: the prompt is then evaluated in other pieces, and greedy "
            f"decoding may follow a near tie the other way). Measured {provenance(state)}.\n\n"
            + _markdown(state["summary"], ["state", "answers", "mean_s", "median_s"])
            + "\n"
        )
    renderings = load("renderings")
    if renderings:
        parts.append(
            "## Reading renderings\n\nDocuments a collection also holds as a PDF or HTML rendering, read from the "
            "rendering and compared with the source it was rendered from (`policyqa bench renderings`): the "
            "source's headings read as headings (precision and recall, by their text), the share of the source's "
            "innermost chunk sections the rendering's chunks keep, and the texts' similarity by edit distance. PDFs "
            "read by their page layout (the loader's way) and as plain page text (its fallback). "
            f"{renderings['corpus'].rsplit('/', 1)[-1]}, measured {provenance(renderings)}.\n\n"
            + _markdown(
                renderings["summary"],
                ["reader", "documents", "heading_precision", "heading_recall", "sections_kept", "text_similarity"],
            )
            + "\n"
        )
    doc = "\n".join(parts).rstrip() + "\n"
    cols = [
        "collection",
        "split",
        "hit@3",
        "MRR",
        "verdicts",
        "facts",
        "cited passage holds evidence",
        "unanswerable refused",
        "answerable refused",
    ]
    block = _markdown(summary, cols) + "\n" if summary else "(no results yet)\n"
    return doc, block


CONFIG_DOC = ROOT / "docs" / "configuration.md"


def configuration() -> str:
    """docs/configuration.md from the settings object's fields and descriptions."""
    from policyqa.settings import Settings

    lines = [
        "# Configuration",
        "",
        "Generated from `policyqa/settings.py` by `policyqa bench report`; do not edit by hand.",
        "",
        "Every field is set, highest priority first, per call (`Assistant.from_settings(top_k=5)`), by a "
        "`POLICYQA_<FIELD>` environment variable, by `policyqa.toml` in the working directory (or the file "
        "named by `POLICYQA_CONFIG`), else by its default.",
        "",
        "| setting | environment variable | default | what it does |",
        "|---|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=False)
        if field.default_factory is not None:
            default = "(computed)"
        elif hasattr(default, "get_secret_value"):
            default = "(secret)"
        elif isinstance(default, Path):
            default = default.relative_to(ROOT).as_posix() if default.is_relative_to(ROOT) else str(default)
        description = (field.description or "").replace("|", "\\|").replace("\n", " ")
        lines.append(f"| `{name}` | `POLICYQA_{name.upper()}` | `{default}` | {description} |")
    return "\n".join(lines) + "\n"


def readme_with(block: str, readme: str) -> str:
    return FIGURES.sub(lambda m: m.group(1) + block + m.group(2), readme)


def run(settings, args) -> dict:
    doc, block = render()
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(doc, encoding="utf-8")
    CONFIG_DOC.write_text(configuration(), encoding="utf-8")
    readme = README.read_text(encoding="utf-8")
    README.write_text(readme_with(block, readme), encoding="utf-8")
    print(f"wrote {DOC}, {CONFIG_DOC} and the figures in {README}")
    return {"doc": str(DOC)}
