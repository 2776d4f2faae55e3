"""The run report: one self-contained HTML file (inline SVG charts, no scripts, no
external assets) and a Markdown summary. Every piece of text that came from a question,
an answer, a passage, a judge error or a setting is HTML-escaped; settings come from
`Settings.public_dict()`, so secrets are masked before they get here.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable

from eval.metrics import METRICS

GOOD, WARN, BAD, GREY, PREV = "#2e7d32", "#ef6c00", "#c62828", "#9e9e9e", "#90a4ae"
LOW = 0.5  # a score below this is highlighted in the per-question table


def e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def fmt(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _metric_names(run) -> list[str]:
    return [m for m in METRICS if m in run.summary]


def _gate_checks(run) -> dict[str, dict]:
    return {c["metric"]: c for c in (run.gate or {}).get("checks", [])}


def _delta(run, previous, name: str) -> float | None:
    if previous is None or name not in previous.summary:
        return None
    a, b = run.summary[name].mean, previous.summary[name].mean
    return None if a is None or b is None else a - b


# -- SVG charts ---------------------------------------------------------------------------


def bar_chart(run, previous=None) -> str:
    """Horizontal bars per metric (0..1), threshold ticks, previous run as a thin bar."""
    names = _metric_names(run)
    checks = _gate_checks(run)
    row, label_w, bar_w = 26, 210, 420
    height = row * len(names) + 40
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 170}" height="{height}" '
        f'role="img" aria-label="mean score per metric">'
    ]
    for x in range(0, 11, 2):
        gx = label_w + bar_w * x / 10
        out.append(
            f'<line x1="{gx}" y1="10" x2="{gx}" y2="{height - 22}" stroke="#eee"/>'
            f'<text x="{gx}" y="{height - 8}" font-size="10" text-anchor="middle">{x / 10:.1f}</text>'
        )
    for i, name in enumerate(names):
        s = run.summary[name]
        y = 12 + i * row
        info = METRICS[name]
        check = checks.get(name, {})
        color = BAD if check.get("status") == "fail" else (GOOD if check.get("status") == "pass" else "#1565c0")
        out.append(f'<text x="{label_w - 6}" y="{y + 13}" font-size="12" text-anchor="end">{e(info.title)}</text>')
        if s.mean is not None:
            out.append(
                f'<rect x="{label_w}" y="{y + 2}" width="{bar_w * max(0.0, min(1.0, s.mean)):.1f}" height="14" fill="{color}">'
                f"<title>{e(name)}: {s.mean:.3f} (n={s.scored})</title></rect>"
            )
        if previous is not None and name in previous.summary and previous.summary[name].mean is not None:
            pm = previous.summary[name].mean
            out.append(
                f'<rect x="{label_w}" y="{y + 17}" width="{bar_w * max(0.0, min(1.0, pm)):.1f}" height="4" fill="{PREV}">'
                f"<title>previous run: {pm:.3f}</title></rect>"
            )
        for bound in ("min", "max"):
            t = check.get(bound)
            if t is not None:
                tx = label_w + bar_w * t
                out.append(
                    f'<line x1="{tx:.1f}" y1="{y}" x2="{tx:.1f}" y2="{y + 22}" stroke="#000" stroke-width="2">'
                    f"<title>{bound} threshold {t}</title></line>"
                )
        note = fmt(s.mean) + (f"  n={s.scored}")
        if s.failed:
            note += f"  failed={s.failed}"
        out.append(
            f'<text x="{label_w + bar_w + 8}" y="{y + 13}" font-size="11" '
            f'fill="{BAD if s.failed else "#333"}">{e(note)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def comparison_chart(run, previous) -> str:
    """Change per metric against the previous run: bars left (worse) or right (better)."""
    names = [n for n in _metric_names(run) if _delta(run, previous, n) is not None]
    if not names:
        return "<p>No metric in common with the previous run.</p>"
    row, label_w, half = 24, 210, 200
    height = row * len(names) + 30
    cx = label_w + half
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + 2 * half + 80}" height="{height}" '
        f'role="img" aria-label="change against the previous run">',
        f'<line x1="{cx}" y1="4" x2="{cx}" y2="{height - 18}" stroke="#333"/>',
        f'<text x="{cx - half}" y="{height - 4}" font-size="10">-0.5</text>',
        f'<text x="{cx + half - 20}" y="{height - 4}" font-size="10">+0.5</text>',
    ]
    for i, name in enumerate(names):
        d = _delta(run, previous, name)
        better = d >= 0 if METRICS[name].higher_is_better else d <= 0
        y = 6 + i * row
        w = min(half, abs(d) * 2 * half)
        x = cx if d >= 0 else cx - w
        out.append(
            f'<text x="{label_w - 6}" y="{y + 12}" font-size="12" text-anchor="end">{e(METRICS[name].title)}</text>'
            f'<rect x="{x:.1f}" y="{y + 2}" width="{max(w, 1):.1f}" height="14" fill="{GOOD if better else BAD}">'
            f"<title>{e(name)}: {d:+.3f}</title></rect>"
            f'<text x="{cx + half + 6}" y="{y + 12}" font-size="11">{d:+.3f}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def histogram(values: list[float], bins: int = 10, width: int = 180, height: int = 70) -> str:
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, max(0, int(v * bins)))] += 1
    top = max(counts) or 1
    bw = width / bins
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 14}" role="img">']
    for i, c in enumerate(counts):
        h = (height - 4) * c / top
        out.append(
            f'<rect x="{i * bw + 1:.1f}" y="{height - h:.1f}" width="{bw - 2:.1f}" height="{h:.1f}" fill="#5c6bc0">'
            f"<title>{i / bins:.1f}–{(i + 1) / bins:.1f}: {c}</title></rect>"
        )
    out.append(
        f'<line x1="0" y1="{height}" x2="{width}" y2="{height}" stroke="#333"/>'
        f'<text x="0" y="{height + 12}" font-size="10">0</text>'
        f'<text x="{width - 8}" y="{height + 12}" font-size="10">1</text></svg>'
    )
    return "".join(out)


# -- HTML ------------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;max-width:1500px}
h1{font-size:22px} h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #ddd;padding:4px 6px;vertical-align:top}
th{background:#f5f5f5;text-align:left} .num{text-align:right;font-variant-numeric:tabular-nums}
.fail{background:#ffcdd2} .low{background:#ffe0b2} .na{color:#9e9e9e} .pass{background:#c8e6c9}
.banner{padding:10px 14px;border-radius:4px;font-weight:600} .ok{background:#c8e6c9} .bad{background:#ffcdd2}
.small{font-size:12px;color:#555} .answer{max-width:420px} .q{max-width:260px} blockquote{margin:2px 0 2px 8px;color:#444}
.hists{display:flex;flex-wrap:wrap;gap:16px} .hists div{font-size:12px}
"""


def _cell_class(name: str, score) -> str:
    if score is None or score.status == "na":
        return "na"
    if score.status == "failed":
        return "fail"
    value = score.value if METRICS[name].higher_is_better else 1.0 - score.value
    return "low" if value < LOW else ""


def _settings_rows(run) -> Iterable[tuple[str, str]]:
    info = run.info
    judge = info.get("judge", {})
    described = {"quick": "no-LLM metrics on a fixed sample", "no-judge": "no-LLM metrics on every question"}
    yield "mode", f"{run.mode} ({described.get(run.mode, 'all metrics')})"
    yield "test set", f"{run.testset} ({info.get('questions')} questions, {info.get('testset_file', '')})"
    yield "backend", info.get("backend", "")
    yield "generator", info.get("generator", "")
    yield (
        "judge",
        " ".join(
            str(x)
            for x in [
                judge.get("label", ""),
                judge.get("url", ""),
                f"structured={judge['structured']}" if "structured" in judge else "",
            ]
            if x
        ),
    )
    yield "embeddings", info.get("embed_model", "")
    yield (
        "corpus hash",
        f"{info.get('corpus_hash')} (index generation {info.get('index_generation')}, {info.get('documents')} documents)",
    )
    yield "git commit", f"{info.get('commit')}{' (uncommitted changes)' if info.get('dirty') else ''}"
    yield "machine", f"{info.get('cpus')} CPUs, {info.get('llm_threads')} LLM threads, Python {info.get('python')}"
    yield "time", ", ".join(f"{k} {v:.0f} s" for k, v in run.timings.items())
    yield "started", run.started_at


def render_html(run, previous=None) -> str:
    names = _metric_names(run)
    checks = _gate_checks(run)
    gate = run.gate or {}
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>PolicyQA eval {e(run.run_id)}</title>"
        f"<style>{CSS}</style></head><body>",
        f"<h1>PolicyQA evaluation {e(run.run_id)} — {e(run.testset)} ({e(run.mode)})</h1>",
    ]
    if run.judge_problems:
        parts.append(
            "<p class='banner bad'>The judge failed too often; judge metrics are not trustworthy and the run fails:<br>"
            + "<br>".join(e(p) for p in run.judge_problems)
            + "</p>"
        )
    if gate:
        if gate.get("passed"):
            parts.append("<p class='banner ok'>Release gate passed.</p>")
        else:
            parts.append(f"<p class='banner bad'>Release gate failed: {e(', '.join(gate.get('failing', [])))}</p>")

    parts.append("<h2>Run settings</h2><table>")
    parts += [f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in _settings_rows(run)]
    parts.append("</table>")

    parts.append(
        "<h2>Metrics</h2><table><tr><th>metric</th><th>group</th><th>mean</th><th>scored</th>"
        "<th>failed</th><th>n/a</th><th>threshold</th><th>gate</th><th>previous</th><th>change</th></tr>"
    )
    for name in names:
        s, info, c = run.summary[name], METRICS[name], checks.get(name, {})
        bound = " ".join(f"{k} {c[k]}" for k in ("min", "max") if c.get(k) is not None)
        prev = previous.summary[name].mean if previous is not None and name in previous.summary else None
        d = _delta(run, previous, name)
        parts.append(
            f"<tr><td title='{e(info.meaning)}'>{e(info.title)}<br><span class='small'>{e(name)}</span></td>"
            f"<td>{e(info.group)}</td><td class='num'>{fmt(s.mean)}</td><td class='num'>{s.scored}</td>"
            f"<td class='num {'fail' if s.failed else ''}'>{s.failed}</td><td class='num'>{s.not_applicable}</td>"
            f"<td>{e(bound)}</td><td class='{e(c.get('status', ''))}'>{e(c.get('status', ''))} {e(c.get('note', ''))}</td>"
            f"<td class='num'>{fmt(prev)}</td><td class='num'>{'' if d is None else f'{d:+.3f}'}</td></tr>"
        )
    parts.append("</table>")

    parts.append(
        "<h2>Mean score per metric</h2><p class='small'>Bars: this run (green = meets its threshold, "
        "red = misses it, blue = no threshold); thin grey bar: previous run; black tick: threshold.</p>"
    )
    parts.append(bar_chart(run, previous))
    parts.append("<h2>Change against the previous run</h2>")
    if previous is None:
        parts.append("<p>No earlier run on this test set in the results folder.</p>")
    else:
        parts.append(
            f"<p class='small'>Previous run: {e(previous.run_id)} ({e(previous.mode)}, backend "
            f"{e(previous.info.get('backend'))}, commit {e(str(previous.info.get('commit'))[:12])}). "
            "Green = better, red = worse.</p>"
        )
        parts.append(comparison_chart(run, previous))
    parts.append("<h2>Score distributions</h2><div class='hists'>")
    for name in names:
        s = run.summary[name]
        parts.append(
            f"<div><b>{e(METRICS[name].title)}</b><br>{histogram(s.values)}<br>"
            f"n={s.scored}{f', failed={s.failed}' if s.failed else ''}</div>"
        )
    parts.append("</div>")

    failures = [
        (q, n, q.scores[n]) for q in run.questions for n in names if n in q.scores and q.scores[n].status == "failed"
    ]
    parts.append(f"<h2>Failed scores ({len(failures)})</h2>")
    if failures:
        parts.append("<table><tr><th>question</th><th>metric</th><th>reason</th></tr>")
        parts += [f"<tr><td>{e(q.id)}</td><td>{e(n)}</td><td>{e(s.note)}</td></tr>" for q, n, s in failures]
        parts.append("</table>")
    else:
        parts.append("<p>None.</p>")

    parts.append(
        "<h2>Per question</h2><p class='small'>Red: failed to score or a wrong verdict/refusal; orange: "
        f"score below {LOW}; grey: not applicable. Hover a cell for the reason.</p><table><tr>"
        "<th>id</th><th>question</th><th>answer</th><th>citations</th>"
        + "".join(f"<th title='{e(METRICS[n].meaning)}'>{e(n)}</th>" for n in names)
        + "<th>s</th></tr>"
    )
    for q in run.questions:
        a = q.answer
        history = "".join(f"<div class='small'>{e(t.role)}: {e(t.content)}</div>" for t in q.history)
        if a is None:
            answer_html = f"<span class='fail'>{e(q.error)}</span>"
            cites = ""
        else:
            status = a.status + (f", verdict {a.verdict}" if a.verdict else "")
            answer_html = (
                f"<div>{e(a.text)}</div><div class='small'>{e(status)}; {e(a.backend)}"
                f"{'; ' + e(a.fallback_reason) if a.fallback_reason else ''}</div>"
            )
            cites = "".join(
                f"<div><b>[{c.marker}]</b> {e(c.passage.doc_id)}"
                + "".join(f"<blockquote>{e(x.text)}</blockquote>" for x in c.quotes[:2])
                + "</div>"
                for c in a.citations
            )
        cells = []
        for n in names:
            s = q.scores.get(n)
            text = "n/a" if s is None or s.status == "na" else ("failed" if s.status == "failed" else fmt(s.value, 2))
            cells.append(f"<td class='num {_cell_class(n, s)}' title='{e(s.note if s else '')}'>{e(text)}</td>")
        parts.append(
            f"<tr><td>{e(q.id)}<br><span class='small'>{e(q.kind)}</span></td>"
            f"<td class='q'>{history}{e(q.question)}<div class='small'>reference: {e(q.reference)}</div></td>"
            f"<td class='answer'>{answer_html}</td><td class='answer'>{cites}</td>{''.join(cells)}"
            f"<td class='num'>{q.seconds:.1f}</td></tr>"
        )
    parts.append("</table>")

    parts.append(
        "<h2>What the metrics mean</h2><table><tr><th>metric</th><th>computed by</th><th>applies to</th><th>meaning</th></tr>"
    )
    for name in METRICS:
        info = METRICS[name]
        parts.append(
            f"<tr><td>{e(info.title)}<br><span class='small'>{e(name)}</span></td><td>{e(info.ragas_class or 'PolicyQA')}</td>"
            f"<td>{e(info.applies_to)}</td><td>{e(info.meaning)}</td></tr>"
        )
    parts.append("</table></body></html>\n")
    return "".join(parts)


# -- Markdown -----------------------------------------------------------------------------------


def _md(text) -> str:
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def render_markdown(run, previous=None) -> str:
    names = _metric_names(run)
    checks = _gate_checks(run)
    gate = run.gate or {}
    lines = [f"# PolicyQA evaluation {run.run_id}: {run.testset} ({run.mode})", ""]
    if run.judge_problems:
        lines += (
            ["**The judge failed too often; the run fails:**", ""] + [f"- {_md(p)}" for p in run.judge_problems] + [""]
        )
    if gate:
        lines.append(
            "**Release gate: passed**"
            if gate.get("passed")
            else f"**Release gate: FAILED** ({', '.join(gate.get('failing', []))})"
        )
        lines.append("")
    lines += ["| setting | value |", "|---|---|"] + [f"| {k} | {_md(v)} |" for k, v in _settings_rows(run)] + [""]
    lines += [
        "| metric | mean | scored | failed | n/a | threshold | gate | previous | change |",
        "|---|---:|---:|---:|---:|---|---|---:|---:|",
    ]
    for name in names:
        s, c = run.summary[name], checks.get(name, {})
        bound = " ".join(f"{k} {c[k]}" for k in ("min", "max") if c.get(k) is not None)
        prev = previous.summary[name].mean if previous is not None and name in previous.summary else None
        d = _delta(run, previous, name)
        lines.append(
            f"| {name} | {fmt(s.mean)} | {s.scored} | {s.failed} | {s.not_applicable} | {bound} | "
            f"{c.get('status', '')} {_md(c.get('note', ''))} | {fmt(prev)} | {'' if d is None else f'{d:+.3f}'} |"
        )
    lines.append("")
    flagged = []
    for q in run.questions:
        bad = [
            f"{n}={'failed' if s.status == 'failed' else fmt(s.value, 2)}"
            for n in names
            if (s := q.scores.get(n)) is not None and _cell_class(n, s) in ("fail", "low")
        ]
        if bad or q.error:
            flagged.append(f"- **{q.id}** ({q.kind}) {_md(q.question)} — {', '.join(bad) or _md(q.error)}")
    lines += [f"## Questions with failed or low scores ({len(flagged)})", ""] + (flagged or ["None."]) + [""]
    return "\n".join(lines)
