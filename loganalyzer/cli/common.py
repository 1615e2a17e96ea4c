"""Helpers shared by commands: loading the catalogue with clean errors, the console."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

EXIT_OK, EXIT_FOUND, EXIT_USAGE, EXIT_NO_INPUT = 0, 1, 2, 3


def err(message: str) -> None:
    print(f"loganalyzer: {message}", file=sys.stderr)


def load_catalogue(extra: list[Path] | None = None, *, include_shipped: bool = True):
    """The catalogue, or exit 2 with every problem as ``file:line: problem``."""
    from loganalyzer.catalogue import load

    catalogue, problems = load(extra or [], include_shipped=include_shipped)
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        err(f"the catalogue has {len(problems)} problem(s); fix them or run 'loganalyzer patterns validate'")
        raise typer.Exit(EXIT_USAGE)
    return catalogue
