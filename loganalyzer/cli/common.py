"""Helpers shared by commands: loading the catalogue with clean errors, the console."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

EXIT_OK, EXIT_FOUND, EXIT_USAGE, EXIT_NO_INPUT, EXIT_FAILED = 0, 1, 2, 3, 4


def err(message: str) -> None:
    from loganalyzer.outputs.safe_text import clean

    print(f"loganalyzer: {clean(message)}", file=sys.stderr)


def load_catalogue(extra: list[Path] | None = None, *, include_shipped: bool = True, strict: bool = True):
    """The catalogue; every problem is printed as ``file:line: problem``.

    ``strict``: any problem exits 2. Otherwise the broken signature files are left out and the catalogue of the
    others is returned with the problems, so a run can go on and report them.
    """
    from loganalyzer.catalogue import load

    catalogue, problems = load(extra or [], include_shipped=include_shipped)
    for p in problems:
        print(p, file=sys.stderr)
    if problems and strict:
        err(f"the catalogue has {len(problems)} problem(s); fix them or run 'loganalyzer patterns validate'")
        raise typer.Exit(EXIT_USAGE)
    if problems:
        err(f"the catalogue has {len(problems)} problem(s); the run goes on without the signatures they concern")
    return catalogue if strict else (catalogue, problems)


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


def _writable_dir(path: Path) -> str | None:
    """Why the folder ``path`` cannot be used (or created) for writing, or None if it can."""
    import os

    probe = path
    while not probe.exists():
        if probe.is_symlink():
            return f"{probe}: a dangling symbolic link"
        parent = probe.parent
        if parent == probe:
            break
        probe = parent
    if not probe.is_dir():
        return "not a directory" if probe == path else f"{probe} is not a directory"
    if not os.access(probe, os.W_OK | os.X_OK):
        return "not writable" if probe == path else f"{probe} is not writable"
    return None


def check_out_dir(option: str, path: Path) -> None:
    """``path`` is a writable folder or one that can be created; otherwise exit 2 naming ``option``."""
    problem = _writable_dir(path)
    if problem:
        err(f"{option} {path}: {problem}")
        raise typer.Exit(EXIT_USAGE)


def check_out_file(option: str, path: Path) -> None:
    """``path`` is a file that can be written: not a folder, and its parent a writable (or creatable) folder."""
    if path.is_dir():
        err(f"{option} {path}: is a directory")
        raise typer.Exit(EXIT_USAGE)
    problem = _writable_dir(path.parent)
    if problem:
        err(f"{option} {path}: {problem}")
        raise typer.Exit(EXIT_USAGE)
