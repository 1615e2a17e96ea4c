"""The incidents table: one row per incident, with the signature's explanation filled from the evidence."""

from __future__ import annotations

import polars as pl

from loganalyzer.catalogue import Catalogue
from loganalyzer.formats.timestamps import UTC_DTYPE
from loganalyzer.incidents import evidence as ev
from loganalyzer.incidents.render import render
from loganalyzer.incidents.versions import context as version_context
from loganalyzer.severity import LEVELS

INCIDENT_SCHEMA = {
    "incident_id": pl.String,
    "signature_id": pl.String,
    "title": pl.String,
    "component": pl.String,
    "severity": pl.String,
    "host": pl.String,
    "first_seen": UTC_DTYPE,
    "last_seen": UTC_DTYPE,
    "count": pl.Int64,
    "sources": pl.List(pl.String),
    "sample": pl.String,
    "evidence": pl.String,
    "root_cause": pl.String,
    "fix": pl.String,
    "references": pl.List(pl.String),
    "fixed_in": pl.String,
    "related": pl.List(pl.String),
}


def build(events: pl.DataFrame, catalogue: Catalogue, versions: pl.DataFrame | None = None) -> pl.DataFrame:
    """Incidents from events that carry ``incident_id``; incidents below a signature's ``min_count`` are dropped."""
    if events.is_empty():
        return pl.DataFrame(schema=INCIDENT_SCHEMA)
    ordered = events.sort(["ts", "source", "line"], nulls_last=True)
    agg = ordered.group_by("incident_id", maintain_order=True).agg(
        pl.col("signature_id").first(),
        pl.col("host").first(),
        pl.col("ts").min().alias("first_seen"),
        pl.col("ts").max().alias("last_seen"),
        pl.len().cast(pl.Int64).alias("count"),
        pl.col("source").unique().sort().alias("sources"),
        pl.col("raw").first().alias("sample"),
    )
    evidence = ev.merge(events, catalogue)
    rows = []
    for row in agg.iter_rows(named=True):
        sig = catalogue.get(row["signature_id"])
        if sig is None or row["count"] < sig.min_count:
            continue
        found = evidence.get(row["incident_id"], {})
        context = {"host": row["host"], "count": row["count"], **found}  # the evidence wins over the context
        if versions is not None:
            for component in ("etcd", "apisix"):
                context.update(
                    version_context(
                        component,
                        row["host"] if component == sig.component else None,
                        sig.fixed_in if component in (sig.fixed_in or "") else None,
                        versions,
                    )
                )
        rows.append(
            {
                **row,
                "title": sig.title,
                "component": sig.component,
                "severity": sig.severity,
                "evidence": ev.to_json(found),
                "root_cause": render(sig.root_cause, context),
                "fix": render(sig.fix, context),
                "references": list(sig.references),
                "fixed_in": sig.fixed_in,
                "related": [],
            }
        )
    table = pl.DataFrame(rows, schema=INCIDENT_SCHEMA) if rows else pl.DataFrame(schema=INCIDENT_SCHEMA)
    order = pl.col("severity").replace_strict(list(LEVELS), list(range(len(LEVELS))), return_dtype=pl.Int64)
    return table.sort([order, "first_seen"], descending=[True, False], nulls_last=True)
