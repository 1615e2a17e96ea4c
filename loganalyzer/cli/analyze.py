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
    check_out_dir,
    check_out_file,
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
    patterns: Annotated[
        list[Path] | None, typer.Option("--patterns", help="Extra signature folder (repeatable).")
    ] = None,
    since: Annotated[str | None, typer.Option(help="Only events at or after: ISO time or relative (2h, 1d).")] = None,
    until: Annotated[str | None, typer.Option(help="Only events at or before: ISO time or relative.")] = None,
    min_severity: Annotated[
        str, typer.Option(help="Report incidents at or above this level.", callback=_level)
    ] = "info",
    fail_on: Annotated[
        str | None, typer.Option(help="Exit 1 if an incident at or above this level is found.", callback=_level)
    ] = None,
    timezone: Annotated[str, typer.Option(help="Zone of timestamps written without one (capnslog, nginx).")] = "UTC",
    window: Annotated[str, typer.Option(help="Quiet gap that ends an incident, e.g. 15m.")] = "15m",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    dask_scheduler: Annotated[
        str | None, typer.Option(envvar="DASK_SCHEDULER_ADDRESS", help="Scan on this Dask cluster: tcp://HOST:PORT.")
    ] = None,
    report: Annotated[bool, typer.Option("--report", help="Also write report.html and summary.md into --out.")] = False,
    state: Annotated[
        Path | None,
        typer.Option(
            help="Incremental: read only what earlier runs with this state "
            "file did not (appended lines, new or rotated files)."
        ),
    ] = None,
    history: Annotated[
        Path | None,
        typer.Option(
            help="Also append this run's tables to this Hive-partitioned "
            "Parquet dataset (DIR/<table>/date=YYYY-MM-DD/)."
        ),
    ] = None,
    metrics: Annotated[
        Path | None,
        typer.Option(help="Write Prometheus text-format metrics for node_exporter's textfile collector to this file."),
    ] = None,
    redact: Annotated[
        bool,
        typer.Option(
            "--redact",
            help="Replace IP addresses, tokens, passwords, Authorization "
            "headers and certificate serials by placeholders.",
        ),
    ] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="If another run holds the same state, wait for it instead of exiting 2.")
    ] = False,
) -> None:
    """Analyze logs and write incidents, events and sources tables."""
    import sys
    import time
    import zoneinfo

    from rich.console import Console

    from loganalyzer import analysis
    from loganalyzer.distributed import ClusterError
    from loganalyzer.nightly.hook import checkpoint
    from loganalyzer.nightly.progress import ScanProgress
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
    # SPEC: an output that cannot be written is a usage error, found before any input is read.
    check_out_dir("--out", out)
    if state:
        check_out_file("--state", state)
    if history:
        check_out_dir("--history", history)
    if metrics:
        check_out_file("--metrics", metrics)

    started = time.time()
    catalogue, catalogue_problems = load_catalogue(patterns, strict=False)
    opts = analysis.Options(
        patterns=list(patterns or []),
        timezone=timezone,
        window_s=window_s,
        since=since_t,
        until=until_t,
        min_severity=min_severity,
        dask_scheduler=dask_scheduler,
    )
    if dask_scheduler and (state or history):
        err("--state/--history read incrementally on this machine; --dask-scheduler is not used with them")
        raise typer.Exit(EXIT_USAGE)
    session = _session(state, history, wait, quiet) if state or history else None
    progress = ScanProgress(enabled=not quiet and sys.stderr.isatty())
    try:
        progress.start()
        try:
            result = analysis.run(paths, opts, catalogue, state=session.state if session else None, on_source=progress)
        except ClusterError as exc:
            err(str(exc))
            raise typer.Exit(EXIT_USAGE) from None
        finally:
            progress.close()
        checkpoint("scanned")
        if redact:
            from loganalyzer.nightly.redact import redact_analysis

            result = redact_analysis(result)
        console = Console(quiet=quiet)
        if not console.is_terminal:
            console = Console(quiet=quiet, width=160)
        run_info = {
            "paths": paths,
            "started": started,
            "duration_s": round(time.time() - started, 3),
            "signatures": len(catalogue),
            "timezone": timezone,
            "window": window,
            "min_severity": min_severity,
            "since": since,
            "until": until,
            "catalogue_problems": [str(p) for p in catalogue_problems],
        }
        written = write_all(result, out, fmts, run_info)
        if report:
            from loganalyzer.outputs.report import write_report

            written += write_report(out)
        checkpoint("outputs")
        already = result.sources["error"].str.contains(r"^(?:archive )?already read").fill_null(False)
        for row in result.sources.filter((result.sources["status"] != "ok") & ~already).iter_rows(named=True):
            err(f"{row['source']}: {row['status']}: {row['error']}")
        terminal.summary(console, result.incidents, result.sources, out, written, result.unmatched)
        if already.any():
            console.print(f"{int(already.sum())} file(s) already read by earlier runs with this state: skipped.")
        code = EXIT_OK
        if result.sources.filter(result.sources["status"].is_in(["ok", "partial"])).is_empty() and not already.any():
            err("no input could be read")
            code = EXIT_NO_INPUT
        elif fail_on and any(rank(s) >= rank(fail_on) for s in result.incidents["severity"].to_list()):
            code = EXIT_FOUND
        if session:
            session.finish(result, success=code != EXIT_NO_INPUT)
    finally:
        if session:
            session.close()
    if metrics:
        from loganalyzer.nightly import metrics as prom

        facts = prom.RunFacts(started, time.time() - started, code, code != EXIT_NO_INPUT)
        prom.write(metrics, result.incidents, result.events, result.sources, facts)
    if catalogue_problems and code != EXIT_NO_INPUT:
        code = EXIT_USAGE  # SPEC: a catalogue error exits 2, after the run went on with the valid signatures
    raise typer.Exit(code)


def _session(state: Path | None, history: Path | None, wait: bool, quiet: bool):
    """The locked nightly session for ``--state``/``--history``, or exit 2 with the reason."""
    from loganalyzer.nightly.session import NightlyError, Session

    def waiting(owner: str) -> None:
        if not quiet:
            err(f"waiting for the run ({owner}) that holds the state to finish")

    try:
        session = Session.open(state, history, wait=wait, on_wait=waiting)
    except NightlyError as exc:
        err(str(exc))
        raise typer.Exit(EXIT_USAGE) from None
    if session.recovered and not quiet:
        err(f"removed {len(session.recovered)} history file(s) of a run that was stopped before it finished")
    return session
