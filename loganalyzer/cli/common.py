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


def table_formats(formats: str) -> tuple[str, ...]:
    """The ``--format`` comma list, or exit 2 naming the formats there are."""
    from loganalyzer.outputs.tables import FORMATS

    fmts = tuple(f.strip() for f in formats.split(",") if f.strip())
    if not fmts or any(f not in FORMATS for f in fmts):
        err(f"--format takes a comma list of {', '.join(FORMATS)}; got '{formats}'")
        raise typer.Exit(EXIT_USAGE)
    return fmts


def time_range(since: str | None, until: str | None):
    """``--since`` / ``--until`` as UTC datetimes (ISO or relative to now), or exit 2 with the reason."""
    import datetime as dt

    from loganalyzer.units import parse_time

    now = dt.datetime.now(dt.UTC)
    try:
        return (parse_time(since, now) if since else None), (parse_time(until, now) if until else None)
    except ValueError as exc:
        err(str(exc))
        raise typer.Exit(EXIT_USAGE) from None
