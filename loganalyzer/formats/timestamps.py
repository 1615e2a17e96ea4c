"""Timestamp parsing into UTC, vectorised."""

from __future__ import annotations

import polars as pl

UTC_DTYPE = pl.Datetime("us", "UTC")


def with_zone(expr: pl.Expr, fmt: str) -> pl.Expr:
    """Parse text carrying its own zone (``Z``, ``+0800`` or ``+08:00``) into UTC."""
    norm = expr.str.replace(r"Z$", "+0000").str.replace(r"([+-]\d{2}):(\d{2})$", "$1$2")
    return norm.str.to_datetime(fmt, strict=False, time_unit="us").dt.convert_time_zone("UTC")


def local(expr: pl.Expr, fmt: str, tz: str) -> pl.Expr:
    """Parse zone-less text as wall time in ``tz`` (the ``--timezone`` option), into UTC."""
    naive = expr.str.to_datetime(fmt, strict=False, time_unit="us")
    return naive.dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC")


def epoch_seconds(expr: pl.Expr) -> pl.Expr:
    """Float seconds since the epoch (zap's ``"ts":1634037928.36``) into UTC."""
    micros = (expr.cast(pl.Float64, strict=False) * 1_000_000).cast(pl.Int64, strict=False)
    return pl.from_epoch(micros, time_unit="us").dt.replace_time_zone("UTC")


def rfc3339(expr: pl.Expr) -> pl.Expr:
    """RFC 3339 / ISO 8601 with fraction and zone, as written by container runtimes and zap."""
    return with_zone(expr, "%Y-%m-%dT%H:%M:%S%.f%z")
