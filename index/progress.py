"""A terminal progress bar for a build: one tqdm bar per stage, driven by the build's
(stage, done, total) callbacks. Used by the CLI and by the app's first-run indexing."""

from __future__ import annotations


def progress_bar():
    """A tqdm bar per stage, driven by the build's (stage, done, total) callbacks."""
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if total <= 0:
            return
        if bar is None:
            unit = "sentence" if "sentence" in stage else "chunk"
            bar = bars[stage] = tqdm(total=total, desc=stage, unit=unit, leave=True)
        bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return update
