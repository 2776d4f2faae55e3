"""`policyqa` command line: one sub-command module per area, registered here."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

import policyqa  # noqa: F401  (sets the offline environment first)
from policyqa.errors import PolicyQAError
from policyqa.settings import Settings

# Each module has `register(subparsers)`; its handlers take (args, settings).
COMMAND_MODULES = [
    "policyqa.commands.index",
    "policyqa.commands.model",
    "policyqa.commands.ask",
    "policyqa.commands.serve",
    "policyqa.commands.mcp",
    "policyqa.commands.eval",
    "policyqa.commands.bench",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="policyqa", description=__doc__)
    parser.add_argument("--data-dir", help="override POLICYQA_DATA_DIR")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # an area not built yet
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = Settings().override(data_dir=args.data_dir, corpus_dir=getattr(args, "corpus_dir", None))
        return int(args.handler(args, settings) or 0)
    except PolicyQAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
