"""The scan: every source read in chunks, unwrapped, matched and parsed into one events frame.

sources → formats → matching, per file; files are scanned in parallel threads (polars releases the
GIL), each file's chunks in order, so memory stays bounded by chunk size × workers.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import polars as pl

from loganalyzer.formats import lines, wrappers
from loganalyzer.formats.timestamps import UTC_DTYPE
from loganalyzer.matching import Matcher
from loganalyzer.sources import Source, discover
from loganalyzer.sources.hosts import host_from_path
from loganalyzer.sources.read import Reader

EVENT_SCHEMA = {
    "source": pl.String, "line": pl.Int64, "ts": UTC_DTYPE, "level": pl.String, "format": pl.String,
    "host": pl.String, "signature_id": pl.String, "message": pl.String, "fields": pl.String, "raw": pl.String,
}
SOURCE_SCHEMA = {
    "source": pl.String, "format": pl.String, "bytes": pl.Int64, "lines": pl.Int64, "events": pl.Int64,
    "status": pl.String, "error": pl.String,
}


@dataclass
class ScanOptions:
    timezone: str = "UTC"
    workers: int = max(os.cpu_count() or 1, 1)
    chunk_bytes: int | None = None


@dataclass
class ScanResult:
    events: pl.DataFrame
    sources: pl.DataFrame
    warnings: list[str] = field(default_factory=list)


def _scan_source(source: Source, matcher: Matcher, opts: ScanOptions) -> tuple[pl.DataFrame, dict]:
    reader = Reader(source, opts.chunk_bytes) if opts.chunk_bytes else Reader(source)
    year = dt.datetime.fromtimestamp(source.mtime or 0, dt.UTC).year
    ctx = wrappers.Context(tz=opts.timezone, year=year)
    wrapper: wrappers.Wrapper | None = None
    inner_formats: set[str] = set()
    parts: list[pl.DataFrame] = []
    host = source.host_hint or host_from_path(source.name)
    for frame in reader.frames():
        if wrapper is None:
            wrapper = wrappers.detect(frame["raw"].head(wrappers.SNIFF_LINES).to_list())
        cand = frame.filter(matcher.candidates(pl.col("raw")))
        if cand.is_empty():
            continue
        cand = wrappers.unwrap(cand, wrapper, ctx)
        found = matcher.match(cand.select(pl.col("line").alias("row"), "text"))
        if found.is_empty():
            continue
        ev = lines.parse(cand.join(found, left_on="line", right_on="row"), opts.timezone)
        inner_formats.update(ev["format"].unique().to_list())
        parts.append(ev.select(
            pl.lit(source.name).alias("source"), "line",
            pl.coalesce("ts", "wrapper_ts").alias("ts"), "level",
            (pl.lit(f"{wrapper.name}/") + pl.col("format") if wrapper.name != "plain" else pl.col("format"))
            .alias("format"),
            pl.coalesce("wrapper_host", pl.lit(host, pl.String)).alias("host"),
            "signature_id", "message", "fields", "raw",
        ))
    events = pl.concat(parts) if parts else pl.DataFrame(schema=EVENT_SCHEMA)
    fmt = wrapper.name if wrapper else None
    if inner_formats:
        inner = "+".join(sorted(inner_formats))
        fmt = inner if fmt == "plain" else f"{fmt}/{inner}"
    stats = reader.stats
    row = {"source": source.name, "format": fmt, "bytes": stats.bytes, "lines": stats.lines,
           "events": events.height, "status": stats.status, "error": stats.error}
    return events.cast(EVENT_SCHEMA), row


def scan(paths: list[str], matcher: Matcher, opts: ScanOptions | None = None,
         on_source: Callable[[dict], None] | None = None) -> ScanResult:
    """Read every file under ``paths`` and return the matched events and one row per source."""
    opts = opts or ScanOptions()
    found = discover(paths)
    rows = [{"source": s.name, "format": None, "bytes": 0, "lines": 0, "events": 0, "status": s.status,
             "error": s.reason} for s in found.skipped]
    for row in rows:
        if on_source:
            on_source(row)
    parts: list[pl.DataFrame] = []
    with ThreadPoolExecutor(max_workers=opts.workers) as pool:
        for events, row in pool.map(lambda s: _scan_source(s, matcher, opts), found.sources):
            parts.append(events)
            rows.append(row)
            if on_source:
                on_source(row)
    events = pl.concat(parts) if parts else pl.DataFrame(schema=EVENT_SCHEMA)
    sources = pl.DataFrame(rows, schema=SOURCE_SCHEMA)
    return ScanResult(events=events, sources=sources)
