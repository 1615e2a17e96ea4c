"""What a run analyzed, in numbers and short texts, for the report header and the Markdown summary."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from loganalyzer.outputs.report_data import ReportData
from loganalyzer.severity import LEVELS
from loganalyzer.units import human_duration, human_size

READ_STATUSES = ("ok", "partial")


@dataclass
class Overview:
    paths: list[str] = field(default_factory=list)
    files_read: int = 0
    files_not_ok: int = 0
    bytes: int = 0
    lines: int = 0
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    hosts: list[str] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    by_severity: dict[str, int] = field(default_factory=dict)
    run_time: str | None = None
    run_facts: list[tuple[str, str]] = field(default_factory=list)


def when(value: dt.datetime | None) -> str:
    """``2026-11-27 08:20:00`` (UTC), or ``-``."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S") if value is not None else "-"


def window(first: dt.datetime | None, last: dt.datetime | None) -> str:
    """``2026-11-27 08:20:00 → 08:50:00 UTC (30m)``; the date is repeated only when it changes."""
    if first is None:
        return "no timestamps"
    if last is None or last == first:
        return f"{when(first)} UTC"
    end = when(last)
    if end[:10] == when(first)[:10]:
        end = end[11:]
    return f"{when(first)} → {end} UTC ({human_duration((last - first).total_seconds())})"


def _run_time(run: dict[str, Any]) -> str | None:
    """The run's duration from ``run.json`` (written by ``analyze``: ``duration_s``)."""
    seconds = run.get("duration_s")
    return human_duration(float(seconds)) if isinstance(seconds, int | float) else None


def _paths(data: ReportData) -> list[str]:
    """The analyzed paths from ``run.json``, else the top folders the sources were found under."""
    paths = data.run.get("paths")
    if isinstance(paths, list) and paths:
        return [str(p) for p in paths]
    if data.sources is not None and data.sources.height:
        tops = data.sources["source"].str.split("!").list.first().str.split("/").list.first().unique().sort()
        return tops.to_list()
    return []


def _versions(hosts: pl.DataFrame | None) -> list[str]:
    if hosts is None or hosts.is_empty() or "version" not in hosts.columns:
        return []
    comp = pl.col("component") if "component" in hosts.columns else pl.lit("")
    grouped = (
        hosts.filter(pl.col("version").is_not_null())
        .group_by(comp.fill_null("").alias("c"), pl.col("version"))
        .agg(pl.col("host").drop_nulls().unique().sort() if "host" in hosts.columns else pl.len())
        .sort("c", "version")
    )
    out = []
    for c, version, names in grouped.iter_rows():
        who = f" ({', '.join(names)})" if isinstance(names, list) and names else ""
        out.append(f"{c} {version}{who}".strip())
    return out


def overview(data: ReportData) -> Overview:
    """Summarize the sources, incidents, hosts and run.json of ``data``."""
    ov = Overview(paths=_paths(data), versions=_versions(data.hosts), run_time=_run_time(data.run))
    if data.sources is not None and data.sources.height:
        read = data.sources.filter(pl.col("status").is_in(READ_STATUSES))
        ov.files_read, ov.files_not_ok = read.height, data.sources.height - read.height
        ov.bytes, ov.lines = int(read["bytes"].sum() or 0), int(read["lines"].sum() or 0)
    inc = data.incidents
    starts = [inc["first_seen"].min()] if inc.height else []
    ends = [inc["last_seen"].max()] if inc.height else []
    if data.events is not None:
        span = data.events.select(pl.col("ts").min().alias("a"), pl.col("ts").max().alias("b")).collect()
        starts.append(span["a"][0])
        ends.append(span["b"][0])
    starts, ends = [s for s in starts if s is not None], [e for e in ends if e is not None]
    ov.start, ov.end = (min(starts) if starts else None), (max(ends) if ends else None)
    hosts = set(inc["host"].drop_nulls().to_list()) if inc.height else set()
    if data.hosts is not None and "host" in data.hosts.columns:
        hosts |= set(data.hosts["host"].drop_nulls().to_list())
    ov.hosts = sorted(hosts)
    counts = dict(inc.group_by("severity").len().iter_rows()) if inc.height else {}
    ov.by_severity = {lvl: counts.get(lvl, 0) for lvl in reversed(LEVELS)}
    for key, value in data.run.items():
        if isinstance(value, str | int | float | bool) and value not in ("", None):
            ov.run_facts.append((key, str(value)))
    return ov


def describe(ov: Overview) -> str:
    """One sentence: files, size, lines and time range."""
    text = f"{ov.files_read} file(s), {human_size(ov.bytes)}, {ov.lines:,} lines"
    if ov.files_not_ok:
        text += f" ({ov.files_not_ok} skipped or failed)"
    if ov.start is not None:
        text += f"; {window(ov.start, ov.end)}"
    return text
