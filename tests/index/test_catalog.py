"""The indexes of a data directory, one per corpus folder, as `policyqa index list` shows them."""

from __future__ import annotations

import json
import shutil

from index import build_index
from index.catalog import list_indexes


def test_every_folder_index_is_listed_with_its_folder(small_corpus, settings_for, tmp_path, capsys):
    from policyqa.cli import main

    settings = settings_for(small_corpus)
    other = tmp_path / "harbour"
    other.mkdir()
    (other / "moorings.md").write_text("# Moorings\n\nEvery mooring needs an amber permit from the port office.\n")
    build_index(settings)
    build_index(settings.override(corpus_dir=other))
    shutil.copytree(settings.index_dir, settings.data_dir / "index")  # where an earlier version kept its index
    shutil.rmtree(other)

    first, gone, earlier = list_indexes(settings)
    assert first.current and first.folder == small_corpus and not first.folder_missing
    assert first.documents == len(list(small_corpus.glob("*.md"))) and first.size_bytes > 0
    assert gone.folder == other and gone.folder_missing and gone.documents == 1
    assert earlier.earlier_layout and not earlier.current

    assert main(["--data-dir", str(settings.data_dir), "index", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted((r["folder"] or "", r["folder_missing"]) for r in rows[:2]) == sorted(
        [(str(small_corpus), False), (str(other), True)]
    )
    assert main(["--data-dir", str(settings.data_dir), "index", "list"]) == 0
    out = capsys.readouterr().out
    assert "the folder is gone: delete this index" in out and "written by an earlier version" in out
