"""Versions programs print about themselves (etcd at start-up, APISIX), recorded per host."""

from __future__ import annotations

import polars as pl

# component, regex with a `version` group
VERSION_PATTERNS: tuple[tuple[str, str], ...] = (
    ("etcd", r"etcdmain: etcd Version: (?P<version>\d+\.\d+\.\d+)"),
    ("etcd", r'\\?"etcd-version\\?":\\?"(?P<version>\d+\.\d+\.\d+)'),
    ("apisix", r"(?i:apisix[_ ]version)[ :=]+v?(?P<version>\d+\.\d+\.\d+)"),
)
# Phrases of those lines, for the matcher's literal prefilter (case-insensitive).
PHRASES = ("etcd version: ", "etcd-version", "apisix version", "apisix_version")
VERSION_SCHEMA = {
    "host": pl.String,
    "component": pl.String,
    "version": pl.String,
    "first_seen": pl.Datetime("us", "UTC"),
}


def extract(frame: pl.DataFrame) -> pl.DataFrame:
    """(host, component, version, first_seen) for lines of ``frame`` (``text``, ``host``, ``ts``) that state one."""
    parts = []
    for component, pattern in VERSION_PATTERNS:
        found = frame.select(
            "host",
            pl.lit(component).alias("component"),
            pl.col("text").str.extract(pattern, 1).alias("version"),
            pl.col("ts").alias("first_seen"),
        ).filter(pl.col("version").is_not_null())
        parts.append(found)
    out = pl.concat(parts).cast(VERSION_SCHEMA)
    return out.group_by("host", "component", "version").agg(pl.col("first_seen").min())
