"""Look and behaviour of the page: theme, CSS and the citation-click script.

Colours come from Gradio's theme variables so light and dark mode both work. Fonts are
the ones Gradio ships (LocalFont): the page never fetches anything from the internet.
"""

from __future__ import annotations


def theme():
    import gradio as gr

    # Gradio's SemiBold (600) Source Sans file is a subset missing letters such as
    # "A": declare only the complete regular and bold faces.
    font = [gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)), "ui-sans-serif", "system-ui", "sans-serif"]
    return gr.themes.Default(
        font=font,
        primary_hue="indigo",
        secondary_hue="slate",
        neutral_hue="slate",
        radius_size="md",
    ).set(block_label_text_weight="600", body_text_color_subdued="*neutral_500")


# Clicking a marker [n] opens its <details id=...> source, scrolls to it and flashes it.
# One delegated listener on the document covers every message, streamed in later too.
HEAD = """
<meta name="referrer" content="no-referrer">
<script>
(() => {
  if (window.__pqaCitations) return;
  window.__pqaCitations = true;
  document.addEventListener("click", (event) => {
    const link = event.target && event.target.closest ? event.target.closest("a.pqa-cite") : null;
    if (!link) return;
    const id = (link.getAttribute("href") || "").replace(/^#/, "");
    const target = id ? document.getElementById(id) : null;
    event.preventDefault();
    event.stopPropagation();
    if (!target) return;
    target.open = true;
    target.scrollIntoView({ behavior: "smooth", block: "nearest" });
    target.classList.remove("pqa-flash");
    void target.offsetWidth;
    target.classList.add("pqa-flash");
  }, true);
})();
</script>
"""

CSS = """
.gradio-container { max-width: 1280px !important; margin: 0 auto !important; }
#pqa-header { display: flex; align-items: baseline; gap: 14px; flex-wrap: wrap; padding: 6px 2px 0; }
#pqa-header h1 { font-size: 1.6rem; font-weight: 600; margin: 0; letter-spacing: -0.01em; }
#pqa-header .pqa-tagline { color: var(--body-text-color-subdued); font-size: 0.95rem; }
.pqa-status { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 18px; font-size: 0.82rem;
  color: var(--body-text-color-subdued); padding: 6px 10px; border: 1px solid var(--border-color-primary);
  border-radius: var(--radius-lg); background: var(--background-fill-secondary); }
.pqa-status b { color: var(--body-text-color); font-weight: 600; margin-right: 4px; }
.pqa-status-note { font-style: italic; }
.pqa-dot { width: 9px; height: 9px; border-radius: 50%; display: inline-block; }
.pqa-dot-ok { background: #16a34a; }
.pqa-dot-loading { background: #f59e0b; animation: pqa-pulse 1.2s ease-in-out infinite; }
.pqa-dot-off { background: #9ca3af; }
@keyframes pqa-pulse { 50% { opacity: 0.35; } }

.pqa-question { white-space: normal; }
.pqa-answer { display: flex; flex-direction: column; gap: 8px; line-height: 1.55; }
.pqa-text { font-size: 0.98rem; }
.pqa-badges { display: flex; gap: 6px; flex-wrap: wrap; }
.pqa-badge { font-size: 0.72rem; font-weight: 600; letter-spacing: 0.02em; text-transform: uppercase;
  padding: 2px 8px; border-radius: 999px; border: 1px solid transparent; }
.pqa-grounded { background: rgba(22, 163, 74, 0.12); color: #15803d; border-color: rgba(22, 163, 74, 0.35); }
.pqa-verdict-yes { background: rgba(37, 99, 235, 0.12); color: #1d4ed8; border-color: rgba(37, 99, 235, 0.35); }
.pqa-verdict-no { background: rgba(220, 38, 38, 0.10); color: #b91c1c; border-color: rgba(220, 38, 38, 0.35); }
.pqa-refused { background: rgba(217, 119, 6, 0.12); color: #b45309; border-color: rgba(217, 119, 6, 0.4); }
.pqa-stopped { background: var(--background-fill-secondary); color: var(--body-text-color-subdued);
  border-color: var(--border-color-primary); }
.pqa-error { background: rgba(220, 38, 38, 0.12); color: #b91c1c; }
.pqa-answer-refused { border-left: 4px solid #d97706; padding: 6px 0 6px 12px;
  background: rgba(217, 119, 6, 0.05); border-radius: 4px; }
.pqa-answer-refused .pqa-text { font-style: italic; color: var(--body-text-color-subdued); }
.pqa-answer-error { border-left: 4px solid #dc2626; padding-left: 12px; }
.pqa-note { font-size: 0.8rem; color: var(--body-text-color-subdued); }
.pqa-foot { font-size: 0.74rem; color: var(--body-text-color-subdued); }
.pqa-progress { font-size: 0.82rem; color: var(--body-text-color-subdued); }
.pqa-cursor::after { content: "▍"; animation: pqa-pulse 1s steps(2) infinite; margin-left: 1px; }

a.pqa-cite { display: inline-block; font-size: 0.75em; font-weight: 700; vertical-align: super; line-height: 1;
  padding: 1px 3px; margin: 0 1px; border-radius: 4px; text-decoration: none !important;
  color: var(--color-accent) !important; background: var(--color-accent-soft); cursor: pointer; }
a.pqa-cite:hover { background: var(--color-accent); color: white !important; }

.pqa-sources { display: flex; flex-direction: column; gap: 6px; margin-top: 2px; }
.pqa-sources-title { font-size: 0.72rem; font-weight: 700; text-transform: uppercase; letter-spacing: 0.06em;
  color: var(--body-text-color-subdued); }
details.pqa-source { border: 1px solid var(--border-color-primary); border-radius: 8px;
  background: var(--background-fill-primary); padding: 0; transition: box-shadow 0.3s, border-color 0.3s; }
details.pqa-source > summary { list-style: none; cursor: pointer; padding: 8px 10px; display: grid;
  grid-template-columns: auto 1fr; column-gap: 10px; row-gap: 4px; align-items: start; }
details.pqa-source > summary::-webkit-details-marker { display: none; }
details.pqa-source[open] > summary { border-bottom: 1px dashed var(--border-color-primary); }
.pqa-n { grid-row: span 2; min-width: 22px; height: 22px; border-radius: 6px; display: inline-flex;
  align-items: center; justify-content: center; font-size: 0.78rem; font-weight: 700;
  background: var(--color-accent-soft); color: var(--color-accent); }
.pqa-src-head { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: baseline; }
.pqa-src-title { font-weight: 600; font-size: 0.88rem; }
.pqa-src-meta { font-size: 0.78rem; color: var(--body-text-color-subdued); }
.pqa-src-quote { grid-column: 2; font-size: 0.86rem; }
.pqa-src-quote::before { content: "“"; color: var(--body-text-color-subdued); }
.pqa-src-quote::after { content: "”"; color: var(--body-text-color-subdued); }
mark.pqa-quote { background: rgba(250, 204, 21, 0.38); color: inherit; padding: 0 1px; border-radius: 2px; }
.pqa-passage { padding: 8px 12px 4px 42px; font-size: 0.85rem; color: var(--body-text-color); white-space: normal; }
.pqa-src-foot { padding: 2px 12px 8px 42px; font-size: 0.72rem; color: var(--body-text-color-subdued); }
.pqa-src-foot code { font-size: 0.72rem; }
details.pqa-source.pqa-flash { border-color: var(--color-accent); box-shadow: 0 0 0 3px var(--color-accent-soft); }
details.pqa-nearby > summary { cursor: pointer; font-size: 0.8rem; color: var(--body-text-color-subdued); }
.pqa-nearby-list { margin: 6px 0 0 18px; font-size: 0.82rem; }
.pqa-nearby-list .pqa-passage { padding: 2px 0 8px 0; color: var(--body-text-color-subdued); }

#pqa-chat { border-radius: var(--radius-lg); }
#pqa-side .timebox { display: flex; }
#pqa-side .timebox input { min-width: 0; width: 100%; flex: 1 1 auto; }
#pqa-side .pqa-side-note { font-size: 0.78rem; color: var(--body-text-color-subdued); }
#pqa-documents-table table, #pqa-documents-table table * { font-family: var(--font) !important; }
#pqa-build-log textarea { font-family: var(--font-mono); font-size: 0.8rem; }
"""
