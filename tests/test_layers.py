"""The layering holds: base → index → assistant → eval/webui/api → app/benchmarks → CLI, and
no module imports from a layer above its own (read from the source, so a lazy import
inside a function counts too)."""

from __future__ import annotations

import ast
from pathlib import Path

from policyqa.settings import PROJECT_ROOT

# Longest prefix wins: policyqa's commands sit on top, the rest of policyqa at the bottom.
LAYERS = {
    "policyqa": 0,
    "index": 1,
    "assistant": 2,
    "eval": 3,
    "webui": 3,
    "api": 3,
    "app": 4,
    "benchmarks": 4,
    "policyqa.cli": 5,
    "policyqa.commands": 5,
}
PACKAGES = ["policyqa", "index", "assistant", "eval", "webui", "api", "benchmarks"]


def layer_of(module: str) -> int | None:
    for prefix in sorted(LAYERS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return LAYERS[prefix]
    return None


def imports(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
    return out


def sources() -> list[Path]:
    files = [PROJECT_ROOT / "app.py"]
    for package in PACKAGES:
        files += sorted((PROJECT_ROOT / package).rglob("*.py"))
    return files


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)


def test_no_module_imports_from_a_layer_above_its_own():
    upward = []
    for path in sources():
        mine = layer_of(module_name(path))
        for name in imports(path):
            theirs = layer_of(name)
            if mine is not None and theirs is not None and theirs > mine:
                upward.append(f"{module_name(path)} imports {name}")
    assert not upward, upward


def test_the_check_sees_an_upward_import(tmp_path):
    """The check itself can fail: a lazy import of the CLI is found."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from policyqa.commands.index import run_build\n", encoding="utf-8")
    assert imports(sample) == ["policyqa.commands.index"]
    assert (
        layer_of("policyqa.commands.index")
        > layer_of("app")
        > layer_of("assistant.api")
        > layer_of("policyqa.settings")
    )
