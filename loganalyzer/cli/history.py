"""``loganalyzer history DIR``: one current row per incident across every run in a ``--history`` dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from loganalyzer.cli.common import EXIT_USAGE, err
from loganalyzer.severity import LEVELS

FORMATS = ("table", "csv", "jsonl")


def history(
    directory: Annotated[Path, typer.Argument(help="The folder given to 'analyze --history'.")],
    fmt: Annotated[str, typer.Option("--format", help="table, csv or jsonl.")] = "table",
    min_severity: Annotated[str, typer.Option(help="Only incidents at or above this level.")] = "info",
) -> None:
    """Incidents over all runs: the latest run's row, count summed, first_seen min and last_seen max."""
    import sys

    import polars as pl

    from loganalyzer.nightly.history import current_incidents
    from loganalyzer.severity import rank

    if fmt not in FORMATS:
        err(f"--format takes one of {', '.join(FORMATS)}; got '{fmt}'")
        raise typer.Exit(EXIT_USAGE)
    if min_severity not in LEVELS:
        err(f"--min-severity '{min_severity}' is not one of {', '.join(LEVELS)}")
        raise typer.Exit(EXIT_USAGE)
    if not directory.is_dir():
        err(f"{directory}: no such history folder (the DIR of 'analyze --history DIR')")
        raise typer.Exit(EXIT_USAGE)
    try:
        table = current_incidents(directory)
    except (pl.exceptions.PolarsError, OSError) as exc:
        err(f"{directory}: cannot read the history dataset: {str(exc).splitlines()[0]}")
        raise typer.Exit(EXIT_USAGE) from None
    if table.height:
        table = table.filter(pl.col("severity").is_in([lv for lv in LEVELS if rank(lv) >= rank(min_severity)]))
    if fmt == "jsonl":
        sys.stdout.write(table.write_ndjson() if table.height else "")
        return
    if fmt == "csv":
        flat = table.with_columns(pl.col(c).list.join(";") for c, t in table.schema.items() if isinstance(t, pl.List))
        sys.stdout.write(flat.write_csv())
        return
    _print_table(table)


def _print_table(table) -> None:
    from rich.console import Console
    from rich.table import Table

    from loganalyzer.outputs.safe_text import safe
    from loganalyzer.outputs.terminal import STYLE

    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    if not table.height:
        console.print("No incidents in this history.")
        return

    def when(value) -> str:
        return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else "-"

    out = Table(header_style="bold")
    for col in ("severity", "signature", "host", "count", "first seen", "last seen", "runs", "incident"):
        out.add_column(col, overflow="fold", justify="right" if col in ("count", "runs") else "left")
    for row in table.iter_rows(named=True):
        style = STYLE.get(row["severity"], "default")
        out.add_row(
            f"[{style}]{row['severity']}[/]",
            safe(row["signature_id"]),
            safe(row["host"] or "-"),
            f"{row['count']:,}",
            when(row["first_seen"]),
            when(row["last_seen"]),
            str(row["runs"]),
            safe(row["incident_id"]),
        )
    console.print(out)
    console.print(f"{table.height} incident(s).")
