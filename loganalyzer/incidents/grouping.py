"""Grouping events into incidents: one signature on one host, split when quiet longer than the window."""

from __future__ import annotations

import hashlib

import polars as pl

from loganalyzer.catalogue import Catalogue

DEFAULT_WINDOW_S = 15 * 60


def incident_id(signature_id: str, host: str | None, first_seen: str | None) -> str:
    """Stable id from signature, host and first timestamp: the same data gives the same id on every run."""
    key = f"{signature_id}|{host or '-'}|{first_seen or '-'}"
    return "inc-" + hashlib.sha1(key.encode()).hexdigest()[:12]


def group(events: pl.DataFrame, catalogue: Catalogue, window_s: float = DEFAULT_WINDOW_S) -> pl.DataFrame:
    """Add ``incident_id`` to every event; the signature's own window overrides ``window_s``."""
    windows = pl.DataFrame(
        {"signature_id": [s.id for s in catalogue], "_window": [s.window or window_s for s in catalogue]},
        schema={"signature_id": pl.String, "_window": pl.Float64},
    )
    keys = ["signature_id", "host"]
    ev = (
        events.with_row_index("_order")
        .join(windows, on="signature_id", how="left")
        .with_columns(pl.col("_window").fill_null(window_s))
        .sort([*keys, "ts", "source", "line"], nulls_last=True)
    )
    gap = (pl.col("ts").diff().dt.total_microseconds() / 1e6).over(keys)
    starts = (pl.int_range(pl.len()).over(keys) == 0) | (gap > pl.col("_window")).fill_null(False)
    ev = ev.with_columns(starts.cast(pl.Int64).cum_sum().over(keys).alias("_seq"))
    ev = ev.with_columns(pl.col("ts").min().over([*keys, "_seq"]).dt.strftime("%Y-%m-%dT%H:%M:%S%.6f").alias("_first"))
    ids = (
        ev.select(*keys, "_first")
        .unique()
        .with_columns(
            pl.struct(*keys, "_first")
            .map_elements(lambda r: incident_id(r["signature_id"], r["host"], r["_first"]), return_dtype=pl.String)
            .alias("incident_id")
        )
    )
    ev = ev.join(ids, on=[*keys, "_first"], how="left", nulls_equal=True)
    return ev.sort("_order").drop("_order", "_window", "_seq", "_first")
