"""One analysis run: catalogue → scan (sources, formats, matching) → incidents. The CLI only wires this."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from loganalyzer import catalogue as cat
from loganalyzer import incidents
from loganalyzer.certs.confirm import confirm
from loganalyzer.certs.scan import inspect_paths
from loganalyzer.matching import Matcher
from loganalyzer.scan import ScanOptions, scan
from loganalyzer.severity import LEVELS, rank

if TYPE_CHECKING:
    from loganalyzer.nightly.state import State


@dataclass
class Options:
    patterns: list[Path] = field(default_factory=list)
    timezone: str = "UTC"
    window_s: float = incidents.grouping.DEFAULT_WINDOW_S
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    min_severity: str = "info"
    workers: int | None = None
    dask_scheduler: str | None = None  # run the scan on this Dask cluster (loganalyzer.distributed)


@dataclass
class Analysis:
    events: pl.DataFrame
    incidents: pl.DataFrame
    sources: pl.DataFrame
    unmatched: pl.DataFrame
    hosts: pl.DataFrame
    certificates: pl.DataFrame
    catalogue: cat.Catalogue


def run(
    paths: list[str],
    opts: Options,
    catalogue: cat.Catalogue | None = None,
    state: State | None = None,
    on_source: Callable[[dict], None] | None = None,
) -> Analysis:
    """Analyze ``paths``; raises :class:`catalogue.CatalogueError` if the catalogue does not load.

    With ``state`` (:mod:`loganalyzer.nightly.state`) only what earlier runs did not read is read, and
    ``state`` is advanced in memory (the caller commits it). ``on_source`` gets each source's row when read.
    """
    catalogue = catalogue or cat.load_or_raise(opts.patterns)
    scan_opts = ScanOptions(timezone=opts.timezone)
    if opts.workers:
        scan_opts.workers = opts.workers
    if state is not None:
        from loganalyzer.nightly.incremental import scan_incremental

        result = scan_incremental(paths, Matcher(catalogue), scan_opts, state, on_source)
    elif opts.dask_scheduler:
        from loganalyzer.distributed import scan_on_cluster

        result = scan_on_cluster(paths, Matcher(catalogue), scan_opts, opts.dask_scheduler, on_source=on_source)
    else:
        result = scan(paths, Matcher(catalogue), scan_opts, on_source=on_source)
    events = result.events
    if opts.since:
        events = events.filter(pl.col("ts").is_null() | (pl.col("ts") >= opts.since))
    if opts.until:
        events = events.filter(pl.col("ts").is_null() | (pl.col("ts") <= opts.until))
    events = incidents.group(events, catalogue, opts.window_s)
    if state is not None:
        from loganalyzer.nightly.continuity import continue_incidents

        events = continue_incidents(events, catalogue, opts.window_s, state)
    table = incidents.build(events, catalogue, result.versions)
    table = incidents.correlate(table, catalogue.rules)
    ts = events["ts"].drop_nulls()
    local = [p for p in paths if p != "-"]  # stdin was consumed by the scan
    certificates = inspect_paths(local, (ts.min(), ts.max()) if ts.len() else None)
    table = confirm(table, certificates)
    keep = [lvl for lvl in LEVELS if rank(lvl) >= rank(opts.min_severity)]
    table = table.filter(pl.col("severity").is_in(keep))
    events = events.filter(pl.col("incident_id").is_in(table["incident_id"].implode()))
    return Analysis(
        events=events,
        incidents=table,
        sources=result.sources,
        unmatched=result.unmatched,
        hosts=result.versions,
        certificates=certificates,
        catalogue=catalogue,
    )
