"""``loganalyzer certs``: inspect the certificates in a bundle (and those its etcd/APISIX configs name)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from loganalyzer.cli.common import EXIT_FOUND, EXIT_NO_INPUT, EXIT_OK, err, table_formats, time_range


def certs(
    paths: Annotated[list[str], typer.Argument(help="Files, directories (recursive) or globs to inspect.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the certificates table.")] = Path(
        "loganalyzer-out"
    ),
    formats: Annotated[str, typer.Option("--format", help="Table formats: parquet,csv,jsonl.")] = "parquet,csv",
    since: Annotated[
        str | None,
        typer.Option(help="Start of the logs' time range, to check validity then: ISO time or relative (2h, 1d)."),
    ] = None,
    until: Annotated[str | None, typer.Option(help="End of the logs' time range: ISO time or relative.")] = None,
    fail_on_problems: Annotated[
        bool, typer.Option("--fail-on-problems", help="Exit 1 if any certificate has a problem.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Inspect certificates: usages, SANs, validity, chain and key, checked against etcd/APISIX configs."""
    import datetime as dt

    from rich.console import Console

    from loganalyzer.certs import terminal
    from loganalyzer.certs.scan import inspect_bundle
    from loganalyzer.outputs.tables import write_table

    fmts = table_formats(formats)
    now = dt.datetime.now(dt.UTC)
    first, last = time_range(since, until)
    log_range = (first or last, last or now) if (first or last) else None

    result = inspect_bundle(paths, log_range, now)
    if result.readable == 0:
        for note in result.notes:
            err(note)
        err("no input could be read")
        raise typer.Exit(EXIT_NO_INPUT)
    written = write_table(result.table, out, "certificates", fmts)
    terminal.show(Console(quiet=quiet), result.table, result.notes, out, written)
    if fail_on_problems and result.table.filter(result.table["problems"].list.len() > 0).height:
        raise typer.Exit(EXIT_FOUND)
    raise typer.Exit(EXIT_OK)
