"""``loganalyzer analyze``: read logs, find incidents, write the tables and print a summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from loganalyzer.cli.common import (
    EXIT_FOUND,
    EXIT_NO_INPUT,
    EXIT_OK,
    EXIT_USAGE,
    err,
    load_catalogue,
    table_formats,
    time_range,
)
from loganalyzer.severity import LEVELS


def _level(value: str | None) -> str | None:
    if value is not None and value not in LEVELS:
        raise typer.BadParameter(f"'{value}' is not one of {', '.join(LEVELS)}")
    return value


def analyze(
    paths: Annotated[list[str], typer.Argument(help="Files, directories (recursive) or globs to read.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the tables.")] = Path("loganalyzer-out"),
    formats: Annotated[str, typer.Option("--format", help="Table formats: parquet,csv,jsonl.")] = "parquet,csv",
    patterns: Annotated[list[Path] | None, typer.Option("--patterns", help="Extra signature folder (repeatable).")]
    = None,
    since: Annotated[str | None, typer.Option(help="Only events at or after: ISO time or relative (2h, 1d).")]
    = None,
    until: Annotated[str | None, typer.Option(help="Only events at or before: ISO time or relative.")] = None,
    min_severity: Annotated[str, typer.Option(help="Report incidents at or above this level.",
                                              callback=_level)] = "info",
    fail_on: Annotated[str | None, typer.Option(help="Exit 1 if an incident at or above this level is found.",
                                                callback=_level)] = None,
    timezone: Annotated[str, typer.Option(help="Zone of timestamps written without one (capnslog, nginx).")]
    = "UTC",
    window: Annotated[str, typer.Option(help="Quiet gap that ends an incident, e.g. 15m.")] = "15m",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    report: Annotated[bool, typer.Option("--report", help="Also write report.html and summary.md into --out.")]
    = False,
) -> None:
    """Analyze logs and write incidents, events and sources tables."""
    import zoneinfo

    from rich.console import Console

    from loganalyzer import analysis
    from loganalyzer.outputs import terminal
    from loganalyzer.outputs.write import write_all
    from loganalyzer.severity import rank
    from loganalyzer.units import parse_duration

    fmts = table_formats(formats)
    window_s = parse_duration(window)
    if not window_s:
        err(f"--window '{window}' is not a duration such as 15m or 90s")
        raise typer.Exit(EXIT_USAGE)
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        err(f"--timezone '{timezone}' is not a known time zone (e.g. UTC, Europe/Berlin)")
        raise typer.Exit(EXIT_USAGE) from None
    since_t, until_t = time_range(since, until)

    catalogue = load_catalogue(patterns)
    opts = analysis.Options(patterns=list(patterns or []), timezone=timezone, window_s=window_s,
                            since=since_t, until=until_t, min_severity=min_severity)
    result = analysis.run(paths, opts, catalogue)
    console = Console(quiet=quiet)
    if not console.is_terminal:
        console = Console(quiet=quiet, width=160)
    written = write_all(result, out, fmts)
    if report:
        from loganalyzer.outputs.report import write_report

        written += write_report(out)
    for row in result.sources.filter(result.sources["status"] != "ok").iter_rows(named=True):
        err(f"{row['source']}: {row['status']}: {row['error']}")
    terminal.summary(console, result.incidents, result.sources, out, written, result.unmatched)
    if result.sources.filter(result.sources["status"].is_in(["ok", "partial"])).is_empty():
        err("no input could be read")
        raise typer.Exit(EXIT_NO_INPUT)
    if fail_on and any(rank(s) >= rank(fail_on) for s in result.incidents["severity"].to_list()):
        raise typer.Exit(EXIT_FOUND)
    raise typer.Exit(EXIT_OK)
