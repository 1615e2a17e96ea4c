"""The tables a report reads from an output folder, whatever format ``analyze`` wrote them in."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

#: Columns that are lists in Parquet and ``;``-joined text in CSV.
LIST_COLUMNS = {
    "sources",
    "references",
    "related",
    "hosts",
    "dns_names",
    "ip_addresses",
    "key_usage",
    "extended_key_usage",
    "roles",
    "named_by",
    "ca_files",
    "missing_sans",
    "problems",
    "problem_details",
}
#: Columns that are UTC timestamps.
TIME_COLUMNS = {"first_seen", "last_seen", "ts", "not_before", "not_after"}


@dataclass
class ReportData:
    """Everything a report shows; optional tables are None when the folder does not have them."""

    out_dir: Path
    incidents: pl.DataFrame
    events: pl.LazyFrame | None = None
    sources: pl.DataFrame | None = None
    unmatched: pl.DataFrame | None = None
    hosts: pl.DataFrame | None = None
    certificates: pl.DataFrame | None = None
    run: dict[str, Any] = field(default_factory=dict)


def _normalize(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Lists as lists and times as UTC timestamps, also when the table was read from CSV or JSON Lines."""
    exprs = []
    for name, dtype in frame.collect_schema().items():
        col = pl.col(name)
        if name in LIST_COLUMNS and dtype == pl.String:
            exprs.append(
                pl.when(col.is_null() | (col == ""))
                .then(pl.lit([], pl.List(pl.String)))
                .otherwise(col.str.split(";"))
                .alias(name)
            )
        elif name in TIME_COLUMNS and dtype == pl.String:
            exprs.append(col.str.to_datetime(time_zone="UTC", strict=False).alias(name))
        elif name in TIME_COLUMNS and isinstance(dtype, pl.Datetime):
            zoned = col.dt.replace_time_zone("UTC") if dtype.time_zone is None else col.dt.convert_time_zone("UTC")
            exprs.append(zoned.alias(name))
    return frame.with_columns(exprs) if exprs else frame


def scan_table(out_dir: Path, name: str) -> pl.LazyFrame | None:
    """``out_dir/name`` as Parquet, JSON Lines or CSV (first found), normalized; None if absent."""
    for suffix, scan in ((".parquet", pl.scan_parquet), (".jsonl", pl.scan_ndjson), (".csv", pl.scan_csv)):
        path = out_dir / f"{name}{suffix}"
        if path.is_file():
            return _normalize(scan(path))
    return None


def read_table(out_dir: Path, name: str) -> pl.DataFrame | None:
    """Like :func:`scan_table`, collected."""
    frame = scan_table(out_dir, name)
    return frame.collect() if frame is not None else None


def read_run(out_dir: Path) -> dict[str, Any]:
    """``run.json`` as a dict; empty when absent or unreadable."""
    try:
        data = json.loads((out_dir / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def load(out_dir: Path) -> ReportData:
    """Read the tables of one run; raises FileNotFoundError if there is no incidents table."""
    incidents = read_table(out_dir, "incidents")
    if incidents is None:
        raise FileNotFoundError(f"{out_dir}: no incidents table (run 'loganalyzer analyze --out {out_dir}' first)")
    return ReportData(
        out_dir=out_dir,
        incidents=incidents,
        events=scan_table(out_dir, "events"),
        sources=read_table(out_dir, "sources"),
        unmatched=read_table(out_dir, "unmatched"),
        hosts=read_table(out_dir, "hosts"),
        certificates=read_table(out_dir, "certificates"),
        run=read_run(out_dir),
    )
