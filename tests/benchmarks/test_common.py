"""Shared benchmark helpers."""

from __future__ import annotations

import json

from benchmarks.common import write_result


def test_a_result_is_written_once_as_json_whether_named_with_json_or_not(tmp_path):
    for name in (str(tmp_path / "run"), str(tmp_path / "other.json")):
        path = write_result(name, {"figure": 1})
        assert path.suffix == ".json" and not path.name.endswith(".json.json")
        assert json.loads(path.read_text())["figure"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.json", "run.json"]
