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

from loganalyzer.formats import lines, versions, wrappers
from loganalyzer.formats.timestamps import UTC_DTYPE
from loganalyzer.incidents import unmatched
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
    unmatched: pl.DataFrame
    versions: pl.DataFrame


@dataclass
class _SourceScan:
    events: pl.DataFrame
    row: dict
    unmatched: list[pl.DataFrame] = field(default_factory=list)
    versions: list[pl.DataFrame] = field(default_factory=list)


def _scan_source(source: Source, matcher: Matcher, opts: ScanOptions) -> _SourceScan:
    reader = Reader(source, opts.chunk_bytes) if opts.chunk_bytes else Reader(source)
    year = dt.datetime.fromtimestamp(source.mtime or 0, dt.UTC).year
    ctx = wrappers.Context(tz=opts.timezone, year=year)
    wrapper: wrappers.Wrapper | None = None
    inner_formats: set[str] = set()
    parts: list[pl.DataFrame] = []
    out = _SourceScan(pl.DataFrame(schema=EVENT_SCHEMA), {})
    host = source.host_hint or host_from_path(source.name)
    raw = pl.col("raw")
    hint = matcher.candidates(raw) | raw.str.contains(unmatched.LEVEL_HINT) | raw.str.contains(versions.HINT)
    for frame in reader.frames():
        if wrapper is None:
            wrapper = wrappers.detect(frame["raw"].head(wrappers.SNIFF_LINES).to_list())
        cand = frame.filter(hint)
        if cand.is_empty():
            continue
        cand = wrappers.unwrap(cand, wrapper, ctx)
        found = matcher.match(cand.select(pl.col("line").alias("row"), "text"))
        parsed = lines.parse(cand.join(found, left_on="line", right_on="row", how="left"), opts.timezone)
        parsed = parsed.with_columns(
            pl.lit(source.name).alias("source"),
            pl.coalesce("ts", "wrapper_ts").alias("ts"),
            (pl.lit(f"{wrapper.name}/") + pl.col("format") if wrapper.name != "plain" else pl.col("format"))
            .alias("format"),
            pl.coalesce("wrapper_host", pl.lit(host, pl.String)).alias("host"),
        )
        out.versions.append(versions.extract(parsed))
        out.unmatched.append(unmatched.summarise(parsed.filter(pl.col("signature_id").is_null())))
        ev = parsed.filter(pl.col("signature_id").is_not_null())
        if ev.is_empty():
            continue
        inner_formats.update(ev["format"].str.split("/").list.last().unique().to_list())
        parts.append(ev.select(list(EVENT_SCHEMA)))
    events = pl.concat(parts) if parts else pl.DataFrame(schema=EVENT_SCHEMA)
    fmt = wrapper.name if wrapper else None
    if inner_formats:
        inner = "+".join(sorted(inner_formats))
        fmt = inner if fmt == "plain" else f"{fmt}/{inner}"
    stats = reader.stats
    out.row = {"source": source.name, "format": fmt, "bytes": stats.bytes, "lines": stats.lines,
               "events": events.height, "status": stats.status, "error": stats.error}
    out.events = events.cast(EVENT_SCHEMA)
    return out


def _scan_safely(source: Source, matcher: Matcher, opts: ScanOptions) -> _SourceScan:
    """Scan one source; an unexpected failure becomes an ``error`` row instead of ending the run."""
    try:
        return _scan_source(source, matcher, opts)
    except Exception as exc:  # a bug or an unforeseen input must not lose the other files
        row = {"source": source.name, "format": None, "bytes": 0, "lines": 0, "events": 0, "status": "error",
               "error": f"internal error while reading: {type(exc).__name__}: {exc}"}
        return _SourceScan(pl.DataFrame(schema=EVENT_SCHEMA), row)


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
    templates: list[pl.DataFrame] = []
    found_versions: list[pl.DataFrame] = [pl.DataFrame(schema=versions.VERSION_SCHEMA)]
    with ThreadPoolExecutor(max_workers=opts.workers) as pool:
        for part in pool.map(lambda s: _scan_safely(s, matcher, opts), found.sources):
            parts.append(part.events)
            templates += part.unmatched
            found_versions += part.versions
            rows.append(part.row)
            if on_source:
                on_source(part.row)
    events = pl.concat(parts) if parts else pl.DataFrame(schema=EVENT_SCHEMA)
    sources = pl.DataFrame(rows, schema=SOURCE_SCHEMA)
    seen_versions = (pl.concat(found_versions).group_by("host", "component", "version")
                     .agg(pl.col("first_seen").min()).sort("host", "component", "first_seen"))
    return ScanResult(events=events, sources=sources, unmatched=unmatched.merge(templates), versions=seen_versions)
