"""The history dataset: every run's tables appended as ``DIR/<table>/date=YYYY-MM-DD/<run-id>.parquet``.

Hive-partitioned Parquet that polars, DuckDB and Spark read directly. Each row carries ``run_id`` and
``run_at``; events also carry ``stream`` (the state's id of the file content), so ``(stream, line)`` is a key.
A journal beside the state lists the files a run is writing; a run killed before its state was committed
has them removed by the next run, which then reads the same data again: nothing is ever counted twice.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from pathlib import Path

import polars as pl

from loganalyzer.atomic import atomic_write
from loganalyzer.formats.timestamps import UTC_DTYPE
from loganalyzer.nightly.hook import checkpoint
from loganalyzer.severity import LEVELS

# The certificates table is a snapshot of files on disk, not of log lines read: it stays in --out only.
TABLES = ("incidents", "events", "sources", "unmatched", "hosts")


def new_run_id(at: dt.datetime) -> str:
    return at.strftime("%Y%m%dT%H%M%SZ-") + secrets.token_hex(3)


def _journal(path: Path, run_id: str, files: list[Path]) -> None:
    text = json.dumps({"run_id": run_id, "files": [str(f) for f in files]})
    atomic_write(path, lambda p: p.write_text(text))


def recover(journal: Path, committed_run_id: str | None) -> list[Path]:
    """Remove what a run killed before committing its state wrote to the history; return the files removed."""
    try:
        data = json.loads(journal.read_text())
    except FileNotFoundError:
        return []
    except (OSError, ValueError):
        data = {}
    removed: list[Path] = []
    if data.get("run_id") != committed_run_id:
        for name in data.get("files", []):
            path = Path(name)
            for stale in [path, *path.parent.glob(f".{path.name}.*.tmp")]:
                if stale.exists():
                    stale.unlink()
                    removed.append(stale)
    journal.unlink(missing_ok=True)
    return removed


def append(
    directory: Path, tables: dict[str, pl.DataFrame], run_id: str, run_at: dt.datetime, journal: Path
) -> list[Path]:
    """Write this run's non-empty tables into the dataset (journal first, each file atomically)."""
    date = run_at.strftime("%Y-%m-%d")
    todo = {name: frame for name, frame in tables.items() if frame.height}
    targets = {name: directory / name / f"date={date}" / f"{run_id}.parquet" for name in todo}
    _journal(journal, run_id, list(targets.values()))
    stamp = [pl.lit(run_id).alias("run_id"), pl.lit(run_at).cast(UTC_DTYPE).alias("run_at")]
    for name, frame in todo.items():
        stamped = frame.with_columns(stamp)
        atomic_write(targets[name], lambda p, f=stamped: f.write_parquet(p, compression="zstd"))
        checkpoint(f"history-{name}")
    return list(targets.values())


def scan_table(directory: Path, table: str) -> pl.LazyFrame | None:
    """All runs' rows of one table (None when the dataset has none)."""
    files = sorted((directory / table).glob("date=*/*.parquet"))
    if not files:
        return None
    return pl.scan_parquet(
        str(directory / table / "**" / "*.parquet"),
        hive_partitioning=True,
        missing_columns="insert",
        extra_columns="ignore",
    )


def current_incidents(directory: Path) -> pl.DataFrame:
    """One row per incident: the latest run's row, with ``count`` summed and the time span over all runs."""
    lf = scan_table(directory, "incidents")
    if lf is None:
        return pl.DataFrame()
    merged = ["incident_id", "count", "first_seen", "last_seen", "sources"]
    every = pl.col("sources").list.explode(keep_nulls=False, empty_as_null=False).unique().sort()
    table = (
        lf.sort("run_at")
        .group_by("incident_id")
        .agg(
            pl.all().exclude(merged).last(),
            pl.col("count").sum(),
            pl.col("first_seen").min(),
            pl.col("last_seen").max(),
            every,
            pl.col("run_id").n_unique().alias("runs"),
        )
        .select(*lf.collect_schema().names(), "runs")
        .collect()
    )
    order = pl.col("severity").replace_strict(list(LEVELS), list(range(len(LEVELS))), default=-1, return_dtype=pl.Int64)
    return table.sort([order, "first_seen"], descending=[True, False], nulls_last=True)
