"""Sub-commands of `policyqa`, one module per area."""

from __future__ import annotations

from pathlib import Path


def add_corpus_option(parser) -> None:
    """`--corpus DIR` on every command that reads or changes a collection. The command
    line applies it to the settings before the command runs; each folder has its own
    index (`Settings.index_dir`)."""
    parser.add_argument(
        "--corpus",
        dest="corpus_dir",
        type=Path,
        help="the collection's folder (default: POLICYQA_CORPUS_DIR); each folder has its own index",
    )
